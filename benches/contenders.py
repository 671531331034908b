"""The contenders of benches/receive.py, and the worker process that runs one.

Each contender runs in its own process so that only the receiver's (or the
sender's) CPU time is measured. The runner talks to a worker over a pipe:

    python benches/contenders.py recv NAME RCVBUF
        prints "PORT <p>", then answers commands read from stdin:
        "go <expected>"  receive exactly <expected> datagrams that are already
                         queued in the kernel; print one JSON line
        "window <sec>"   receive for <sec> seconds while a sender floods the
                         socket (saturated mode); print one JSON line
        "drain"          read whatever is left, untimed; print {"drained": n}
        "exit"
    python benches/contenders.py ping NAME PORT COUNT WARMUP SIZE
    python benches/contenders.py send NAME PORT N SIZE
    python benches/contenders.py list          # names and availability, JSON

Adding a contender: write a class with ``__init__(rcvbuf)``, ``port``,
``count(expected)``, ``window(stop)`` and (if it does not own a plain socket)
``drain()``, and register it in ``RECEIVERS`` with the check that tells
whether its API exists (``needs=``). Senders and pingers are plain
functions in ``SENDERS`` / ``PINGERS``. A contender whose check fails is
listed as skipped with the reason, never silently dropped.

Only 127.0.0.1 is ever used.
"""

# The loops unpack (data, host, port) exactly as user code does, unused parts
# included: that is the pattern being measured.
# ruff: noqa: RUF059

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

LOOPBACK = "127.0.0.1"
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
PY_BUFSIZE = 2048  # the Python loops' receive size; the datagrams are 64 bytes
STOP_TIMEOUT_MS = 60_000  # safety net of every event-loop run


# -- availability checks ---------------------------------------------------


def _have_qudp() -> str | None:
    try:
        import qudp  # noqa: F401
    except ImportError as e:
        return f"qudp not importable: {e}"
    return None


def _have_pyside6() -> str | None:
    try:
        import PySide6.QtNetwork  # noqa: F401
    except ImportError as e:
        return f"PySide6 not installed ({e})"
    return None


def _have_uvloop() -> str | None:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "uvloop not installed"
    return None


def _needs_qudp_method(name: str) -> Callable[[], str | None]:
    """Availability check for a qudp API that may not exist yet."""

    def check() -> str | None:
        if why := _have_qudp():
            return why
        import qudp

        if not hasattr(qudp.QUdpSocket, name):
            return f"QUdpSocket.{name} does not exist in this qudp build yet"
        return None

    return check


def _have_payload_kind() -> str | None:
    if why := _have_qudp():
        return why
    import qudp

    if not hasattr(qudp._qudp, "_set_payload_kind"):
        return "this qudp build has no payload switch (QByteArray)"
    return None


# -- helpers ---------------------------------------------------------------


def force_rcvbuf(fd: int, size: int) -> int:
    """Give the socket behind ``fd`` a receive buffer of ``size`` (the kernel
    doubles it). SO_RCVBUFFORCE passes net.core.rmem_max as root; otherwise
    SO_RCVBUF, capped by rmem_max. Returns the effective size."""
    s = socket.socket(fileno=os.dup(fd))
    try:
        try:
            s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, size)
        except OSError:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
        return s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    finally:
        s.close()


def py_socket(rcvbuf: int) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    force_rcvbuf(s.fileno(), rcvbuf)
    s.bind((LOOPBACK, 0))
    return s


def drain_fd(fd: int) -> int:
    """Read what is queued on ``fd`` without blocking; the count. The
    duplicate shares the file's flags, so it must not make the owner's
    socket non-blocking: MSG_DONTWAIT per call instead."""
    s = socket.socket(fileno=os.dup(fd))
    n = 0
    try:
        for _ in range(100_000_000):
            try:
                s.recv(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            n += 1
    finally:
        s.close()
    return n


class SocketContender:
    """A contender that owns a plain Python socket ``self.sock``."""

    sock: socket.socket

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def drain(self) -> int:
        return drain_fd(self.sock.fileno())


# -- receivers: plain Python sockets ---------------------------------------


class PyRecvfrom(SocketContender):
    """The reference: ``data, addr = sock.recvfrom(2048)`` in a blocking loop."""

    def __init__(self, rcvbuf: int) -> None:
        self.sock = py_socket(rcvbuf)

    def count(self, expected: int) -> Any:
        sock = self.sock
        data = b""
        for _ in range(expected):
            data, addr = sock.recvfrom(PY_BUFSIZE)
        return expected, data

    def window(self, stop: list[int]) -> int:
        sock = self.sock
        n = 0
        while not stop:
            data, addr = sock.recvfrom(PY_BUFSIZE)
            n += 1
        return n


class PyRecvfromInto(SocketContender):
    """``n, addr = sock.recvfrom_into(buf)`` into one preallocated bytearray."""

    def __init__(self, rcvbuf: int) -> None:
        self.sock = py_socket(rcvbuf)
        self.buf = bytearray(PY_BUFSIZE)

    def count(self, expected: int) -> Any:
        sock = self.sock
        buf = self.buf
        k = 0
        for _ in range(expected):
            k, addr = sock.recvfrom_into(buf)
        return expected, bytes(buf[:k])

    def window(self, stop: list[int]) -> int:
        sock = self.sock
        buf = self.buf
        n = 0
        while not stop:
            k, addr = sock.recvfrom_into(buf)
            n += 1
        return n


class PySelectors(SocketContender):
    """selectors.DefaultSelector (epoll); on each readiness event, read with
    non-blocking recvfrom until BlockingIOError."""

    def __init__(self, rcvbuf: int) -> None:
        import selectors

        self.sock = py_socket(rcvbuf)
        self.sock.setblocking(False)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.sock, selectors.EVENT_READ)

    def count(self, expected: int) -> Any:
        sock = self.sock
        sel = self.sel
        n = 0
        data = b""
        while n < expected:
            for _key, _ev in sel.select(10.0):
                try:
                    while True:
                        data, addr = sock.recvfrom(PY_BUFSIZE)
                        n += 1
                except BlockingIOError:
                    pass
        return n, data

    def window(self, stop: list[int]) -> int:
        sock = self.sock
        sel = self.sel
        n = 0
        while not stop:
            for _key, _ev in sel.select(0.5):
                try:
                    while not stop:
                        data, addr = sock.recvfrom(PY_BUFSIZE)
                        n += 1
                except BlockingIOError:
                    pass
        return n


class _AioBase(SocketContender):
    """asyncio DatagramProtocol: one datagram_received() call per datagram."""

    def new_loop(self) -> Any:
        import asyncio

        return asyncio.new_event_loop()

    def __init__(self, rcvbuf: int) -> None:
        import asyncio

        self.sock = py_socket(rcvbuf)
        self.sock.setblocking(False)
        self.loop = self.new_loop()
        me = self

        class Proto(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                me.n += 1
                me.last = data
                if me.n >= me.target:
                    me.loop.stop()

        self.n = 0
        self.target = 1 << 62
        self.last = b""
        self.transport, _ = self.loop.run_until_complete(
            self.loop.create_datagram_endpoint(Proto, sock=self.sock)
        )

    def count(self, expected: int) -> Any:
        self.n = 0
        self.target = expected
        guard = self.loop.call_later(STOP_TIMEOUT_MS / 1000, self.loop.stop)
        self.loop.run_forever()
        guard.cancel()
        return self.n, self.last

    def window(self, stop: list[int]) -> int:
        self.n = 0
        self.target = 1 << 62

        def on_alarm() -> None:
            stop.append(1)
            self.loop.stop()

        self.loop.add_signal_handler(signal.SIGALRM, on_alarm)
        self.loop.run_forever()
        self.loop.remove_signal_handler(signal.SIGALRM)
        return self.n


class PyAsyncio(_AioBase):
    pass


class PyUvloop(_AioBase):
    def new_loop(self) -> Any:
        import uvloop

        return uvloop.new_event_loop()


# -- receivers: PySide6 ----------------------------------------------------


class _WarmSlots:
    """For the readyRead contenders: ``warm()`` calls their slots a few
    times with nothing pending, so that CPython specializes the slots'
    bytecode as it would in a program whose slot runs for every batch (see
    ``warm_up``)."""

    target: int
    stop: list[int]
    n: int
    last: Any

    def slot(self) -> None:
        raise NotImplementedError

    def slot_window(self) -> None:
        raise NotImplementedError

    def warm(self) -> None:
        self.target, self.stop = 1 << 62, []
        for _ in range(WARM_CALLS):
            self.slot()
            self.slot_window()
        self.n, self.target, self.last = 0, 0, b""


class PySide6ReadyRead(_WarmSlots):
    """Qt's documented pattern on PySide6: readyRead -> while
    hasPendingDatagrams(): readDatagram(pendingDatagramSize()). One
    QEventLoop.exec() per measurement (PySide6 6.12 leaks a reference per
    exec()/singleShot() call and aborts after ~5000: keep them few)."""

    def __init__(self, rcvbuf: int) -> None:
        from PySide6.QtCore import QCoreApplication
        from PySide6.QtNetwork import QAbstractSocket, QHostAddress, QUdpSocket

        self.app = QCoreApplication.instance() or QCoreApplication([])
        self.s = QUdpSocket()
        if not self.s.bind(QHostAddress(QHostAddress.SpecialAddress.LocalHost), 0):
            raise OSError(self.s.errorString())
        self.s.setSocketOption(QAbstractSocket.SocketOption.ReceiveBufferSizeSocketOption, rcvbuf)
        force_rcvbuf(self.s.socketDescriptor(), rcvbuf)
        self.stop: list[int] = []
        self.target = 0
        self.n = 0
        self.last: Any = b""
        self.connected: Any = None

    @property
    def port(self) -> int:
        return self.s.localPort()

    def slot(self) -> None:
        s = self.s
        n = self.n
        data = None
        while s.hasPendingDatagrams():
            data, host, port = s.readDatagram(s.pendingDatagramSize())
            n += 1
        self.n = n
        self.last = data
        if n >= self.target:
            self.loop.quit()

    def slot_window(self) -> None:
        s = self.s
        stop = self.stop
        n = self.n
        while not stop and s.hasPendingDatagrams():
            data, host, port = s.readDatagram(s.pendingDatagramSize())
            n += 1
        self.n = n
        if stop:
            self.loop.quit()

    def _connect(self, slot: Callable[[], None]) -> None:
        if self.connected is not None:
            self.s.readyRead.disconnect(self.connected)
        self.s.readyRead.connect(slot)
        self.connected = slot

    def _run(self, ms: int) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        self.loop = QEventLoop()
        guard = QTimer()
        guard.setSingleShot(True)
        guard.timeout.connect(self.loop.quit)
        guard.start(ms)
        self.loop.exec()
        guard.stop()

    def count(self, expected: int) -> Any:
        self.n, self.target, self.stop = 0, expected, []
        self._connect(self.slot)
        self._run(STOP_TIMEOUT_MS)
        return self.n, bytes(self.last)

    def window(self, stop: list[int]) -> int:
        self.n, self.target, self.stop = 0, 1 << 62, stop
        self._connect(self.slot_window)
        self._run(int(float(os.environ.get("BENCH_WINDOW", "2")) * 1000) + 500)
        return self.n

    def drain(self) -> int:
        k = 0
        while self.s.hasPendingDatagrams() and k < 100_000_000:
            self.s.readDatagram(65536)
            k += 1
        return k


# -- receivers: qudp -------------------------------------------------------


class _QudpBase:
    def __init__(self, rcvbuf: int) -> None:
        import qudp

        self.qudp = qudp
        self.s = qudp.QUdpSocket()
        if not self.s.bind(qudp.QHostAddress.LocalHost, 0):
            raise OSError(self.s.errorString())
        # The Qt way first (capped by net.core.rmem_max), then forced.
        self.s.setSocketOption(qudp.QAbstractSocket.ReceiveBufferSizeSocketOption, rcvbuf)
        force_rcvbuf(self.s.socketDescriptor(), rcvbuf)
        # Drop counting (SO_RXQ_OVFL) adds a control message to every
        # datagram, so it is off while measuring; "drain" turns it on to
        # cross-check qudp's count against the kernel's.

    @property
    def port(self) -> int:
        return self.s.localPort()

    def warm(self) -> None:
        """Run the receive loops a few times with nothing to do (see
        ``warm_up``); the readyRead contenders warm their slots instead."""
        for _ in range(WARM_CALLS):
            self.count(0)
            self.window([1])

    def drain(self) -> int:
        k = 0
        while self.s.hasPendingDatagrams() and k < 100_000_000:
            self.s.readDatagram(65536)
            k += 1
        return k

    def dropped(self) -> int | None:
        return self.s.droppedDatagrams()

    def enable_drop_count(self) -> None:
        self.s.setDropCounting(True)


class QudpReadyRead(_WarmSlots, _QudpBase):
    """Qt's documented pattern on qudp: readyRead -> while
    hasPendingDatagrams(): readDatagram(pendingDatagramSize())."""

    def __init__(self, rcvbuf: int) -> None:
        super().__init__(rcvbuf)
        self.stop: list[int] = []
        self.target = 0
        self.n = 0
        self.last: Any = b""
        self.loop = self.qudp.QEventLoop()
        self.guard = self.qudp.QTimer()  # safety net, stopped after each run
        self.guard.setSingleShot(True)
        self.guard.timeout.connect(self.loop.quit)
        self.connected: Any = None

    def _connect(self, slot: Callable[[], None]) -> None:
        if self.connected is not None:
            self.s.readyRead.disconnect(self.connected)
        self.s.readyRead.connect(slot)
        self.connected = slot

    def slot(self) -> None:
        s = self.s
        n = self.n
        data = None
        while s.hasPendingDatagrams():
            data, host, port = s.readDatagram(s.pendingDatagramSize())
            n += 1
        self.n = n
        self.last = data
        if n >= self.target:
            self.loop.quit()

    def slot_window(self) -> None:
        s = self.s
        stop = self.stop
        n = self.n
        while not stop and s.hasPendingDatagrams():
            data, host, port = s.readDatagram(s.pendingDatagramSize())
            n += 1
        self.n = n
        if stop:
            self.loop.quit()

    def count(self, expected: int) -> Any:
        self.n, self.target = 0, expected
        self._connect(self.slot)
        self.guard.start(STOP_TIMEOUT_MS)
        self.loop.exec()
        self.guard.stop()
        return self.n, self.last

    def window(self, stop: list[int]) -> int:
        self.n, self.stop = 0, stop
        self._connect(self.slot_window)
        self.guard.start(STOP_TIMEOUT_MS)
        self.loop.exec()
        self.guard.stop()
        return self.n

    def on_alarm(self) -> None:
        self.loop.quit()


class QudpReadDatagramLoop(_QudpBase):
    """No event loop: readDatagram(2048) in a loop, waitForReadyRead() when
    nothing is pending (isolates the per-call cost from readyRead's)."""

    def count(self, expected: int) -> Any:
        s = self.s
        n = 0
        data = b""
        while n < expected:
            data, host, port = s.readDatagram(PY_BUFSIZE)
            if port:
                n += 1
            else:
                s.waitForReadyRead(1000)
        return n, data

    def window(self, stop: list[int]) -> int:
        s = self.s
        n = 0
        while not stop:
            data, host, port = s.readDatagram(PY_BUFSIZE)
            if port:
                n += 1
            else:
                s.waitForReadyRead(100)
        return n


class QudpReadDatagramInto(_QudpBase):
    """Zero-copy: readDatagramInto(bytearray) in a loop, waitForReadyRead()
    when nothing is pending."""

    def __init__(self, rcvbuf: int) -> None:
        super().__init__(rcvbuf)
        self.buf = bytearray(PY_BUFSIZE)

    def count(self, expected: int) -> Any:
        s = self.s
        buf = self.buf
        n = 0
        k = 0
        while n < expected:
            k, host, port = s.readDatagramInto(buf)
            if k >= 0:
                n += 1
            else:
                s.waitForReadyRead(1000)
        return n, bytes(buf[:k])

    def window(self, stop: list[int]) -> int:
        s = self.s
        buf = self.buf
        n = 0
        while not stop:
            k, host, port = s.readDatagramInto(buf)
            if k >= 0:
                n += 1
            else:
                s.waitForReadyRead(100)
        return n


class QudpReceiveDatagram(_QudpBase):
    """receiveDatagram() -> QNetworkDatagram in a loop, waitForReadyRead()
    when nothing is pending."""

    def count(self, expected: int) -> Any:
        s = self.s
        n = 0
        d = None
        while n < expected:
            d = s.receiveDatagram()
            if d.isValid():
                n += 1
            else:
                s.waitForReadyRead(1000)
        return n, (d.data() if d is not None else b"")

    def window(self, stop: list[int]) -> int:
        s = self.s
        n = 0
        while not stop:
            if s.receiveDatagram().isValid():
                n += 1
            else:
                s.waitForReadyRead(100)
        return n


class _QudpBatch(_QudpBase):
    """Batch receive: many datagrams per call. The loop only counts what each
    call returns (like the C loop, it does not touch the payloads)."""

    MAX = 1024

    def get(self) -> Any:
        raise NotImplementedError

    def count(self, expected: int) -> Any:
        s = self.s
        n = 0
        got: Any = ()
        while n < expected:
            got = self.get()
            if got:
                n += len(got)
            else:
                s.waitForReadyRead(1000)
        return n, (got[-1] if got else b"")

    def window(self, stop: list[int]) -> int:
        s = self.s
        n = 0
        while not stop:
            got = self.get()
            if got:
                n += len(got)
            else:
                s.waitForReadyRead(100)
        return n


class QudpReadPayloads(_QudpBatch):
    """readPayloads(1024) -> list of bytes."""

    def get(self) -> Any:
        return self.s.readPayloads(self.MAX)


class QudpReadDatagrams(_QudpBatch):
    """readDatagrams(1024) -> list of (bytes, QHostAddress, port)."""

    def get(self) -> Any:
        return self.s.readDatagrams(self.MAX)

    def count(self, expected: int) -> Any:
        n, last = super().count(expected)
        return n, (last[0] if last else b"")


class QudpReceiveDatagrams(_QudpBatch):
    """receiveDatagrams(1024) -> list of QNetworkDatagram."""

    def get(self) -> Any:
        return self.s.receiveDatagrams(self.MAX)

    def count(self, expected: int) -> Any:
        n, last = super().count(expected)
        return n, (last.data() if last else b"")


class QudpReadDatagramsInto(_QudpBase):
    """readDatagramsInto(buffer, sizes): payloads packed into one bytearray,
    lengths into an array of 8-byte integers (numpy-style zero copy)."""

    MAX = 1024

    def __init__(self, rcvbuf: int) -> None:
        import array

        super().__init__(rcvbuf)
        self.buf = bytearray(self.MAX * PY_BUFSIZE)
        self.sizes = array.array("Q", bytes(8 * self.MAX))

    def count(self, expected: int) -> Any:
        s = self.s
        buf, sizes = self.buf, self.sizes
        n = 0
        k = 0
        while n < expected:
            k = s.readDatagramsInto(buf, sizes)
            if k:
                n += k
            else:
                s.waitForReadyRead(1000)
        return n, (bytes(buf[: sizes[0]]) if k else b"")

    def window(self, stop: list[int]) -> int:
        s = self.s
        buf, sizes = self.buf, self.sizes
        n = 0
        while not stop:
            k = s.readDatagramsInto(buf, sizes)
            if k:
                n += k
            else:
                s.waitForReadyRead(100)
        return n


class QudpReadDatagramsIntoBare(QudpReadDatagramsInto):
    """readDatagramsInto with setPacketInformation(False): no IP_PKTINFO /
    IP_RECVTTL control messages for the kernel to build (beyond Qt)."""

    def __init__(self, rcvbuf: int) -> None:
        super().__init__(rcvbuf)
        self.s.setPacketInformation(False)


class QudpReadPayloadsBare(QudpReadPayloads):
    """readPayloads with setPacketInformation(False)."""

    def __init__(self, rcvbuf: int) -> None:
        super().__init__(rcvbuf)
        self.s.setPacketInformation(False)


def _plain_bytes(cls: type) -> Callable[[int], Any]:
    """The same contender with payloads as plain ``bytes`` instead of
    ``qudp.QByteArray``: the baseline of the QByteArray cost, run in the same
    benchmark run (qudp's hidden per-process switch)."""

    def make(rcvbuf: int) -> Any:
        import qudp

        qudp._qudp._set_payload_kind("bytes")
        return cls(rcvbuf)

    return make


# name -> (factory, availability check or None). The order is the table's.
RECEIVERS: dict[str, tuple[Callable[[int], Any], Callable[[], str | None] | None]] = {
    "python recvfrom loop": (PyRecvfrom, None),
    "python recvfrom_into loop": (PyRecvfromInto, None),
    "python selectors loop": (PySelectors, None),
    "asyncio DatagramProtocol": (PyAsyncio, None),
    "uvloop DatagramProtocol": (PyUvloop, _have_uvloop),
    "PySide6 readyRead+readDatagram": (PySide6ReadyRead, _have_pyside6),
    "qudp readyRead+readDatagram": (QudpReadyRead, _have_qudp),
    "qudp readyRead+readDatagram, plain bytes": (_plain_bytes(QudpReadyRead), _have_payload_kind),
    "qudp readDatagram loop": (QudpReadDatagramLoop, _have_qudp),
    "qudp readDatagramInto loop": (QudpReadDatagramInto, _have_qudp),
    "qudp receiveDatagram loop": (QudpReceiveDatagram, _have_qudp),
    # Batch receive (beyond Qt); skipped with a note while the API is missing.
    "qudp readPayloads batch": (QudpReadPayloads, _needs_qudp_method("readPayloads")),
    "qudp readPayloads batch, plain bytes": (_plain_bytes(QudpReadPayloads), _have_payload_kind),
    "qudp readDatagrams batch": (QudpReadDatagrams, _needs_qudp_method("readDatagrams")),
    "qudp receiveDatagrams batch": (
        QudpReceiveDatagrams,
        _needs_qudp_method("receiveDatagrams"),
    ),
    "qudp readDatagramsInto batch": (
        QudpReadDatagramsInto,
        _needs_qudp_method("readDatagramsInto"),
    ),
    "qudp readPayloads batch, no packet info": (
        QudpReadPayloadsBare,
        _needs_qudp_method("setPacketInformation"),
    ),
    "qudp readDatagramsInto batch, no packet info": (
        QudpReadDatagramsIntoBare,
        _needs_qudp_method("setPacketInformation"),
    ),
}


# -- senders (CPU to send N datagrams) -------------------------------------


def send_python(port: int, size: int) -> Callable[[int], int]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = b"x" * size
    dest = (LOOPBACK, port)

    def run(n: int) -> int:
        sendto = s.sendto
        for _ in range(n):
            sendto(payload, dest)
        return n

    return run


def send_qudp(port: int, size: int) -> Callable[[int], int]:
    import qudp

    s = qudp.QUdpSocket()
    payload = b"x" * size
    host = qudp.QHostAddress(LOOPBACK)

    def run(n: int) -> int:
        write = s.writeDatagram
        sent = 0
        for _ in range(n):
            if write(payload, host, port) == size:
                sent += 1
        return sent

    return run


def send_qudp_v4(port: int, size: int) -> Callable[[int], int]:
    """writeDatagram from a socket bound to AnyIPv4 (the kernel's IPv4 path;
    an unbound socket binds dual-stack, as Qt does)."""
    import qudp

    s = qudp.QUdpSocket()
    s.bind(qudp.QHostAddress.AnyIPv4, 0)
    payload = b"x" * size
    host = qudp.QHostAddress(LOOPBACK)

    def run(n: int) -> int:
        write = s.writeDatagram
        sent = 0
        for _ in range(n):
            if write(payload, host, port) == size:
                sent += 1
        return sent

    return run


def send_qudp_batch(port: int, size: int) -> Callable[[int], int]:
    """writeDatagrams(list of payloads, host, port) -> count, 1024 per call."""
    import qudp

    s = qudp.QUdpSocket()
    host = qudp.QHostAddress(LOOPBACK)
    chunk = [b"x" * size] * 1024

    def run(n: int) -> int:
        sent = 0
        while sent < n:
            k = s.writeDatagrams(chunk[: min(1024, n - sent)], host, port)
            if k <= 0:
                break
            sent += k
        return sent

    return run


def send_pyside6(port: int, size: int) -> Callable[[int], int]:
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtNetwork import QHostAddress, QUdpSocket

    app = QCoreApplication.instance() or QCoreApplication([])
    s = QUdpSocket()
    payload = b"x" * size
    host = QHostAddress(LOOPBACK)

    def run(n: int) -> int:
        _ = app
        write = s.writeDatagram
        sent = 0
        for _ in range(n):
            if write(payload, host, port) == size:
                sent += 1
        return sent

    return run


SENDERS: dict[
    str, tuple[Callable[[int, int], Callable[[int], int]], Callable[[], str | None] | None]
] = {
    "python sendto": (send_python, None),
    "PySide6 writeDatagram": (send_pyside6, _have_pyside6),
    "qudp writeDatagram": (send_qudp, _have_qudp),
    "qudp writeDatagram, IPv4 socket": (send_qudp_v4, _have_qudp),
    "qudp writeDatagrams batch": (send_qudp_batch, _needs_qudp_method("writeDatagrams")),
}


# -- ping-pong clients (64-byte round trips against an echo server) --------


def ping_python(port: int, count: int, warmup: int, size: int) -> list[int]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = b"x" * size
    dest = (LOOPBACK, port)
    clock = time.perf_counter_ns
    out = [0] * count
    for i in range(warmup + count):
        t0 = clock()
        s.sendto(payload, dest)
        s.recvfrom(PY_BUFSIZE)
        if i >= warmup:
            out[i - warmup] = clock() - t0
    return out


def _ping_aio(
    new_loop: Callable[[], Any], port: int, count: int, warmup: int, size: int
) -> list[int]:
    import asyncio

    loop = new_loop()
    clock = time.perf_counter_ns
    out = [0] * count
    payload = b"x" * size
    state = {"i": 0, "t0": 0}

    class Proto(asyncio.DatagramProtocol):
        def connection_made(self, transport: Any) -> None:
            self.t = transport

        def datagram_received(self, data: bytes, addr: Any) -> None:
            i = state["i"]
            if i >= warmup:
                out[i - warmup] = clock() - state["t0"]
            i += 1
            state["i"] = i
            if i >= warmup + count:
                loop.stop()
                return
            state["t0"] = clock()
            self.t.sendto(payload, (LOOPBACK, port))

    transport, proto = loop.run_until_complete(
        loop.create_datagram_endpoint(Proto, local_addr=(LOOPBACK, 0))
    )
    guard = loop.call_later(STOP_TIMEOUT_MS / 1000, loop.stop)
    state["t0"] = clock()
    transport.sendto(payload, (LOOPBACK, port))
    loop.run_forever()
    guard.cancel()
    transport.close()
    return out


def ping_asyncio(port: int, count: int, warmup: int, size: int) -> list[int]:
    import asyncio

    return _ping_aio(asyncio.new_event_loop, port, count, warmup, size)


def ping_uvloop(port: int, count: int, warmup: int, size: int) -> list[int]:
    import uvloop

    return _ping_aio(uvloop.new_event_loop, port, count, warmup, size)


def ping_pyside6(port: int, count: int, warmup: int, size: int) -> list[int]:
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
    from PySide6.QtNetwork import QHostAddress, QUdpSocket

    app = QCoreApplication.instance() or QCoreApplication([])
    s = QUdpSocket()
    s.bind(QHostAddress(QHostAddress.SpecialAddress.LocalHost), 0)
    host = QHostAddress(LOOPBACK)
    loop = QEventLoop()
    return _ping_qt(app, s, host, loop, QTimer, port, count, warmup, size)


def ping_qudp(port: int, count: int, warmup: int, size: int) -> list[int]:
    import qudp

    s = qudp.QUdpSocket()
    s.bind(qudp.QHostAddress.LocalHost, 0)
    host = qudp.QHostAddress(LOOPBACK)
    return _ping_qt(None, s, host, qudp.QEventLoop(), qudp.QTimer, port, count, warmup, size)


def _ping_qt(
    app: Any,
    s: Any,
    host: Any,
    loop: Any,
    timer: Any,
    port: int,
    count: int,
    warmup: int,
    size: int,
) -> list[int]:
    """readyRead slot reads the reply and sends the next ping; one exec()."""
    clock = time.perf_counter_ns
    out = [0] * count
    payload = b"x" * size
    state = {"i": 0, "t0": 0}

    def slot() -> None:
        while s.hasPendingDatagrams():
            s.readDatagram(s.pendingDatagramSize())
            i = state["i"]
            if i >= warmup:
                out[i - warmup] = clock() - state["t0"]
            i += 1
            state["i"] = i
            if i >= warmup + count:
                loop.quit()
                return
            state["t0"] = clock()
            s.writeDatagram(payload, host, port)

    s.readyRead.connect(slot)
    timer.singleShot(STOP_TIMEOUT_MS, loop.quit)
    state["t0"] = clock()
    s.writeDatagram(payload, host, port)
    loop.exec()
    _ = app
    return out


def ping_qudp_wait(port: int, count: int, warmup: int, size: int) -> list[int]:
    """No event loop: writeDatagram, waitForReadyRead, readDatagram."""
    import qudp

    s = qudp.QUdpSocket()
    s.bind(qudp.QHostAddress.LocalHost, 0)
    host = qudp.QHostAddress(LOOPBACK)
    payload = b"x" * size
    clock = time.perf_counter_ns
    out = [0] * count
    for i in range(warmup + count):
        t0 = clock()
        s.writeDatagram(payload, host, port)
        s.waitForReadyRead(2000)
        s.readDatagram(PY_BUFSIZE)
        if i >= warmup:
            out[i - warmup] = clock() - t0
    return out


PINGERS: dict[
    str, tuple[Callable[[int, int, int, int], list[int]], Callable[[], str | None] | None]
] = {
    "python blocking socket": (ping_python, None),
    "asyncio DatagramProtocol": (ping_asyncio, None),
    "uvloop DatagramProtocol": (ping_uvloop, _have_uvloop),
    "PySide6 readyRead": (ping_pyside6, _have_pyside6),
    "qudp readyRead": (ping_qudp, _have_qudp),
    "qudp waitForReadyRead": (ping_qudp_wait, _have_qudp),
}


# -- the worker ------------------------------------------------------------


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _cpu() -> tuple[float, float, float]:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return time.process_time(), ru.ru_utime, ru.ru_stime


def _payload_ok(last: Any, size: int) -> bool:
    try:
        return len(last) == size
    except TypeError:
        return True  # a contender that returns a datagram object


# CPython 3.11 specializes ("quickens") a function's bytecode once it has
# been entered 8 times or looped 8 times through a `for`/`while True` jump;
# the `while cond:` loop of a slot that drains 200,000 queued datagrams in
# one call is neither, so without a warm-up it would run unspecialized
# (about 1.5x the instructions) although any real program's slot, called for
# every batch, is specialized. Every contender that has a `warm()` gets it
# before the first measurement; the Python loops use `for` and specialize
# themselves.
WARM_CALLS = 10


def warm_up(c: Any) -> None:
    if hasattr(c, "warm"):
        c.warm()


def worker_recv(name: str, rcvbuf: int) -> None:
    factory, _ = RECEIVERS[name]
    c = factory(rcvbuf)
    warm_up(c)
    size = int(os.environ.get("BENCH_SIZE", "64"))
    _emit({"port": c.port})
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "go":
            expected = int(arg)
            c0, u0, s0 = _cpu()
            w0 = time.perf_counter()
            received, last = c.count(expected) if expected else (0, b"x" * size)
            w1 = time.perf_counter()
            c1, u1, s1 = _cpu()
            extra = c.drain()
            _emit(
                {
                    "received": received,
                    "extra": extra,
                    "payload_ok": _payload_ok(last, size),
                    "cpu": c1 - c0,
                    "user": u1 - u0,
                    "sys": s1 - s0,
                    "wall": w1 - w0,
                    "qudp_dropped": c.dropped() if hasattr(c, "dropped") else None,
                }
            )
        elif cmd == "window":
            sec = float(arg)
            stop: list[int] = []

            def on_alarm(signum: int, frame: Any, stop: list[int] = stop) -> None:
                stop.append(1)
                if hasattr(c, "on_alarm"):
                    c.on_alarm()

            signal.signal(signal.SIGALRM, on_alarm)
            c0, u0, s0 = _cpu()
            w0 = time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, sec)
            n = c.window(stop)
            w1 = time.perf_counter()
            c1, u1, s1 = _cpu()
            signal.setitimer(signal.ITIMER_REAL, 0)
            _emit({"received": n, "cpu": c1 - c0, "user": u1 - u0, "sys": s1 - s0, "wall": w1 - w0})
        elif cmd == "drain":
            if hasattr(c, "enable_drop_count"):
                c.enable_drop_count()
            _emit(
                {
                    "drained": c.drain(),
                    "qudp_dropped": c.dropped() if hasattr(c, "dropped") else None,
                }
            )
        elif cmd == "exit":
            break


def worker_send(name: str, port: int, n: int, size: int) -> None:
    factory, _ = SENDERS[name]
    run = factory(port, size)
    _emit({"ready": run(min(1000, n))})  # warm-up; the runner drains the sink
    sys.stdin.readline()  # wait for "go"
    c0, u0, s0 = _cpu()
    w0 = time.perf_counter()
    sent = run(n)
    w1 = time.perf_counter()
    c1, u1, s1 = _cpu()
    _emit({"sent": sent, "cpu": c1 - c0, "user": u1 - u0, "sys": s1 - s0, "wall": w1 - w0})


def worker_ping(name: str, port: int, count: int, warmup: int, size: int) -> None:
    fn, _ = PINGERS[name]
    _emit({"ns": fn(port, count, warmup, size), "lost": 0})


def worker_echo() -> None:
    """Fallback echo server when there is no C compiler: blocking Python."""
    s = py_socket(1 << 20)
    s.settimeout(30)
    _emit({"port": s.getsockname()[1]})
    for _ in range(100_000_000):
        try:
            data, addr = s.recvfrom(65536)
        except TimeoutError:
            break
        if data == b"STOP":
            break
        s.sendto(data, addr)


def availability() -> dict[str, dict[str, str | None]]:
    out: dict[str, dict[str, str | None]] = {}
    for kind, table in (("recv", RECEIVERS), ("send", SENDERS), ("ping", PINGERS)):
        out[kind] = {name: (check() if check else None) for name, (_, check) in table.items()}
    return out


def main(argv: list[str]) -> None:
    kind = argv[1]
    if kind == "list":
        _emit(availability())
    elif kind == "recv":
        worker_recv(argv[2], int(argv[3]))
    elif kind == "send":
        worker_send(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    elif kind == "echo":
        worker_echo()
    elif kind == "ping":
        worker_ping(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), int(argv[6]))
    else:
        raise SystemExit(f"unknown worker kind {kind!r}")


if __name__ == "__main__":
    main(sys.argv)
