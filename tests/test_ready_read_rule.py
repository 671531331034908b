"""Qt's readyRead rule on every arrival pattern (issue 10).

epoll reports each arrival once; datagrams that reach the kernel while
readyRead is suppressed must still be signalled after the next read. The
expected counts are PySide6's (tests/test_readyread_rule.py compares with it
directly).
"""

from __future__ import annotations

import time
from typing import Any

from qudp import QAbstractSocket, QEventLoop, QHostAddress, QTimer, QUdpSocket

from helpers import bound

ALL = QEventLoop.ProcessEventsFlag.AllEvents


def settle(ms: int = 30) -> None:
    """Let the loop deliver what has arrived (bounded)."""
    end = time.monotonic() + ms / 1000
    loop = QEventLoop()
    while time.monotonic() < end:
        loop.processEvents(ALL, 5)


def send(port: int, *payloads: bytes) -> None:
    tx = QUdpSocket()
    for p in payloads:
        assert tx.writeDatagram(p, QHostAddress.LocalHost, port) == len(p)
    time.sleep(0.01)  # on loopback they are queued by now


def test_read_one_outside_slot_after_more_arrived_unread() -> None:
    rx = bound()
    calls: list[int] = []
    rx.readyRead.connect(lambda: calls.append(1))
    send(rx.localPort(), b"1")
    settle()
    assert calls == [1]
    send(rx.localPort(), b"2", b"3")
    settle()
    assert calls == [1]  # unread: no new emission
    assert rx.readDatagram(10)[0] == b"1"
    settle()
    assert len(calls) == 2  # data remains: Qt emits again
    assert rx.readDatagram(10)[0] == b"2"
    settle()
    assert len(calls) == 3
    assert rx.readDatagram(10)[0] == b"3"
    settle()
    assert len(calls) == 3
    assert not rx.hasPendingDatagrams()


def test_read_one_per_emission_inside_slot_never_stalls() -> None:
    rx = bound()
    got: list[bytes] = []
    first = []

    def slot() -> None:
        if not first:
            first.append(1)
            send(rx.localPort(), b"b", b"c")  # arrive while readyRead is unread
        got.append(rx.readDatagram(10)[0])

    rx.readyRead.connect(slot)
    send(rx.localPort(), b"a")
    settle(60)
    assert got == [b"a", b"b", b"c"]


def test_five_arrive_one_by_one_then_one_read_outside_slot() -> None:
    rx = bound()
    calls: list[int] = []
    rx.readyRead.connect(lambda: calls.append(1))
    for i in range(5):
        send(rx.localPort(), bytes([48 + i]))
        settle(10)
    assert calls == [1]
    assert rx.readDatagram(10)[0] == b"0"
    settle()
    assert len(calls) == 2


def test_slot_running_nested_loop_is_not_reentered() -> None:
    rx = bound()
    depth = [0]
    max_depth = [0]
    got: list[bytes] = []

    def slot() -> None:
        depth[0] += 1
        max_depth[0] = max(max_depth[0], depth[0])
        got.append(rx.readDatagram(10)[0])
        if len(got) == 1:
            send(rx.localPort(), b"late")
            settle(30)  # a nested loop while the new datagram arrives
        depth[0] -= 1

    rx.readyRead.connect(slot)
    send(rx.localPort(), b"first")
    settle()
    assert max_depth[0] == 1
    assert got == [b"first"]
    # Qt keeps the socket silent until the application reads again.
    assert rx.hasPendingDatagrams()
    assert rx.readDatagram(10)[0] == b"late"


def test_slot_reading_later_from_a_timer_gets_everything() -> None:
    rx = bound()
    got: list[bytes] = []
    calls: list[int] = []

    def later() -> None:
        got.append(rx.readDatagram(10)[0])

    def slot() -> None:
        calls.append(1)
        if len(calls) == 1:
            # The second arrives (and its edge is seen) while the first is
            # still unread; the read comes later still.
            QTimer.singleShot(2, lambda: send(rx.localPort(), b"second"))
            QTimer.singleShot(25, later)
        else:
            later()

    rx.readyRead.connect(slot)
    send(rx.localPort(), b"first")
    settle(120)
    assert got == [b"first", b"second"]
    assert len(calls) == 2


def test_icmp_refusal_is_reported_once_and_kept() -> None:
    closed = QUdpSocket()
    assert closed.bind(QHostAddress.LocalHost, 0)
    port = closed.localPort()
    closed.close()  # nobody listens there now
    s = QUdpSocket()
    s.connectToHost(QHostAddress.LocalHost, port)
    assert s.state() == QAbstractSocket.SocketState.ConnectedState
    errors: list[Any] = []
    s.errorOccurred.connect(errors.append)
    assert s.write(b"ping") == 4
    time.sleep(0.02)
    data, _, _ = s.readDatagram(10)
    assert data == b""
    assert errors == [QAbstractSocket.SocketError.ConnectionRefusedError]
    assert s.error() == QAbstractSocket.SocketError.ConnectionRefusedError
    # The socket stays usable.
    assert s.write(b"again") == 5


def test_close_from_another_thread_wakes_wait_for_ready_read() -> None:
    import threading

    rx = bound()
    port = rx.localPort()
    result: list[bool] = []
    t = threading.Thread(target=lambda: result.append(rx.waitForReadyRead(-1)), daemon=True)
    t.start()
    time.sleep(0.05)
    rx.close()
    t.join(5)
    assert not t.is_alive(), "waitForReadyRead(-1) was not woken by close()"
    assert result == [False]
    # The port is free again.
    again = QUdpSocket()
    assert again.bind(QHostAddress.LocalHost, port), again.errorString()
