"""The virtual connection: connectToHost and the QIODevice side."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from qudp import QAbstractSocket, QEventLoop, QHostAddress, QTimer, QUdpSocket

from helpers import Recorder, wait_pending

S = QAbstractSocket
SIGNALS = (
    "stateChanged",
    "hostFound",
    "connected",
    "errorOccurred",
    "disconnected",
    "bytesWritten",
)


_OPEN: list[socket.socket] = []


@pytest.fixture(autouse=True)
def _close_python_sockets() -> Any:
    yield
    while _OPEN:
        _OPEN.pop().close()


def pysock(af: int = socket.AF_INET) -> socket.socket:
    s = socket.socket(af, socket.SOCK_DGRAM)
    _OPEN.append(s)
    return s


def peer(family: str) -> tuple[socket.socket, str]:
    af, host = (socket.AF_INET, "127.0.0.1") if family == "v4" else (socket.AF_INET6, "::1")
    p = pysock(af)
    p.bind((host, 0))
    p.settimeout(5)
    return p, host


def names(rec: Recorder) -> list[Any]:
    return [(n, *(getattr(a, "name", a) for a in args)) for n, args in rec.events]


def test_connect_to_address_is_synchronous(family: str) -> None:
    p, host = peer(family)
    s = QUdpSocket()
    rec = Recorder(s, *SIGNALS)
    s.connectToHost(QHostAddress(host), p.getsockname()[1])
    assert names(rec) == [
        ("stateChanged", "HostLookupState"),
        ("stateChanged", "ConnectingState"),
        ("hostFound",),
        ("stateChanged", "ConnectedState"),
        ("connected",),
    ]
    assert s.state() == S.ConnectedState
    assert (s.peerAddress().toString(), s.peerPort(), s.peerName()) == (
        host,
        p.getsockname()[1],
        host,
    )
    assert s.localAddress().toString() == host and s.localPort() > 0
    assert s.isOpen() and s.isReadable() and s.isWritable() and s.isSequential()
    assert s.openMode() == S.ReadWrite | S.Unbuffered
    assert s.waitForConnected(10) is True


def test_write_read_and_only_the_peer_gets_through(family: str) -> None:
    p, host = peer(family)
    s = QUdpSocket()
    s.connectToHost(host, p.getsockname()[1])  # an address given as a string
    rec = Recorder(s, "bytesWritten", "readyRead")
    assert s.write(b"hello") == 5
    assert rec.events == [("bytesWritten", (5,))]
    data, addr = p.recvfrom(100)
    assert data == b"hello" and addr[1] == s.localPort()
    stranger = pysock(p.family)
    stranger.sendto(b"stranger", (host, s.localPort()))
    p.sendto(b"0123456789", addr)
    p.sendto(b"one", addr)
    p.sendto(b"two", addr)
    assert wait_pending(s)
    assert s.bytesAvailable() == 10
    assert s.peek(4) == b"0123"
    assert s.read(3) == b"012"  # the rest of the datagram is discarded
    assert wait_pending(s)
    time.sleep(0.02)
    assert s.readAll() == b"onetwo"  # every pending datagram
    assert s.readAll() == b"" and s.bytesAvailable() == 0 and s.atEnd()
    assert s.read(10) == b""


def test_read_line_and_can_read_line() -> None:
    p, _ = peer("v4")
    s = QUdpSocket()
    s.connectToHost(QHostAddress.LocalHost, p.getsockname()[1])
    p.sendto(b"abc\ndef", ("127.0.0.1", s.localPort()))
    p.sendto(b"no newline", ("127.0.0.1", s.localPort()))
    assert wait_pending(s)
    assert s.canReadLine()
    assert s.readLine() == b"abc\n"
    assert wait_pending(s)
    assert not s.canReadLine()
    assert s.readLine(3) == b"no "
    with pytest.raises(ValueError, match="maxlen must be >= 0"):
        s.read(-1)


def test_mixed_with_datagram_calls() -> None:
    p, _ = peer("v4")
    s = QUdpSocket()
    s.connectToHost(QHostAddress.LocalHost, p.getsockname()[1])
    assert s.writeDatagram(b"wd", QHostAddress.LocalHost, p.getsockname()[1]) == 2
    assert p.recvfrom(10)[0] == b"wd"
    p.sendto(b"dg", ("127.0.0.1", s.localPort()))
    assert wait_pending(s)
    data, addr, port = s.readDatagram(10)
    assert (data, addr.toString(), port) == (b"dg", "127.0.0.1", p.getsockname()[1])


def test_connect_by_name_localhost_through_the_loop() -> None:
    p, _ = peer("v4")
    s = QUdpSocket()
    rec = Recorder(s, *SIGNALS)
    s.connectToHost("localhost", p.getsockname()[1])
    assert names(rec) == [("stateChanged", "HostLookupState")]
    assert s.state() == S.HostLookupState  # the loop did not block
    loop = QEventLoop()
    s.connected.connect(loop.quit)
    QTimer.singleShot(5000, loop.quit)
    loop.exec()
    assert names(rec)[1:] == [
        ("stateChanged", "ConnectingState"),
        ("hostFound",),
        ("stateChanged", "ConnectedState"),
        ("connected",),
    ]
    assert s.peerName() == "localhost"
    assert s.peerAddress().isLoopback()
    assert s.peerPort() == p.getsockname()[1]


def test_wait_for_connected_finishes_the_lookup() -> None:
    s = QUdpSocket()
    assert s.waitForConnected(10) is False
    s.connectToHost("localhost", 9)
    assert s.waitForConnected(5000) is True
    assert s.state() == S.ConnectedState and s.peerAddress().isLoopback()


def test_unresolvable_name_is_host_not_found() -> None:
    # .invalid never resolves (RFC 6761); inside the private namespace no
    # query can leave the machine.
    s = QUdpSocket()
    rec = Recorder(s, *SIGNALS)
    s.connectToHost("no-such-host.invalid", 9)
    loop = QEventLoop()
    s.errorOccurred.connect(lambda *_: loop.quit())
    QTimer.singleShot(10000, loop.quit)
    loop.exec()
    assert names(rec) == [
        ("stateChanged", "HostLookupState"),
        ("stateChanged", "UnconnectedState"),
        ("errorOccurred", "HostNotFoundError"),
    ]
    assert s.error() == S.HostNotFoundError and s.errorString() == "Host not found"


def test_connect_while_connected_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    s = QUdpSocket()
    s.connectToHost(QHostAddress.LocalHost, 9)
    rec = Recorder(s, "errorOccurred")
    s.connectToHost(QHostAddress.LocalHost, 10)
    assert (
        "connectToHost() called when already looking up or connecting/connected"
        in capsys.readouterr().err
    )
    assert s.error() == S.OperationError
    assert s.errorString() == "Trying to connect while connection is in progress"
    assert names(rec) == [("errorOccurred", "OperationError")]
    assert s.peerPort() == 9


def test_bound_socket_keeps_its_port_when_connecting() -> None:
    s = QUdpSocket()
    s.bind(QHostAddress.LocalHost, 0)
    port = s.localPort()
    rec = Recorder(s, "stateChanged")
    s.connectToHost(QHostAddress.LocalHost, 9)
    assert s.localPort() == port
    assert names(rec) == [
        ("stateChanged", "HostLookupState"),
        ("stateChanged", "ConnectingState"),
        ("stateChanged", "ConnectedState"),
    ]


def test_disconnect_from_host_keeps_device_open_close_does_not() -> None:
    s = QUdpSocket()
    s.connectToHost(QHostAddress.LocalHost, 9)
    rec = Recorder(s, "stateChanged", "readChannelFinished", "disconnected", "aboutToClose")
    s.disconnectFromHost()
    assert names(rec) == [
        ("stateChanged", "ClosingState"),
        ("stateChanged", "UnconnectedState"),
        ("readChannelFinished",),
        ("disconnected",),
    ]
    assert s.isOpen() and s.peerAddress().isNull()
    t = QUdpSocket()
    t.connectToHost(QHostAddress.LocalHost, 9)
    rec = Recorder(t, "aboutToClose", "disconnected")
    t.close()
    assert names(rec) == [("aboutToClose",), ("disconnected",)]
    assert not t.isOpen()


def test_read_write_when_not_open(capsys: pytest.CaptureFixture[str]) -> None:
    b = QUdpSocket()
    b.bind(QHostAddress.LocalHost, 0)
    assert b.read(10) == b"" and b.write(b"x") == -1
    err = capsys.readouterr().err
    assert "QIODevice::read (QUdpSocket): device not open" in err
    assert "QIODevice::write (QUdpSocket): device not open" in err
    r = QUdpSocket()
    r.connectToHost(QHostAddress.LocalHost, 9, QUdpSocket.ReadOnly)
    assert r.write(b"x") == -1
    assert "QIODevice::write (QUdpSocket): ReadOnly device" in capsys.readouterr().err


def test_icmp_port_unreachable_is_connection_refused_and_socket_survives() -> None:
    dead = pysock()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()
    s = QUdpSocket()
    s.connectToHost(QHostAddress.LocalHost, port)
    rec = Recorder(s, "errorOccurred", "readyRead")
    assert s.write(b"x") == 1
    time.sleep(0.05)  # the ICMP error comes back on loopback
    # Whichever call meets the pending error reports it (Qt: only readDatagram).
    assert s.write(b"y") == -1
    assert s.error() == S.ConnectionRefusedError
    assert s.errorString() == "Connection refused"
    assert names(rec) == [("errorOccurred", "ConnectionRefusedError")]
    # The error was consumed: the socket still works.
    alive = pysock()
    alive.bind(("127.0.0.1", port))
    assert s.write(b"z") == 1
    assert alive.recvfrom(10)[0] == b"z"


def test_icmp_error_from_the_event_loop() -> None:
    dead = pysock()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()
    s = QUdpSocket()
    s.connectToHost(QHostAddress.LocalHost, port)
    rec = Recorder(s, "errorOccurred", "readyRead")
    s.write(b"x")
    loop = QEventLoop()
    s.errorOccurred.connect(lambda *_: loop.quit())
    QTimer.singleShot(2000, loop.quit)
    loop.exec()
    assert names(rec) == [("errorOccurred", "ConnectionRefusedError")]
    assert s.state() == S.ConnectedState


def test_set_socket_descriptor_of_connected_python_socket() -> None:
    p, _ = peer("v4")
    py = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # detached below
    py.connect(p.getsockname())
    s = QUdpSocket()
    assert s.setSocketDescriptor(py.detach())
    assert s.state() == S.ConnectedState
    assert (s.peerAddress().toString(), s.peerPort()) == ("127.0.0.1", p.getsockname()[1])
    assert s.write(b"adopted") == 7
    assert p.recvfrom(10)[0] == b"adopted"


def test_connect_argument_errors() -> None:
    s = QUdpSocket()
    with pytest.raises(OverflowError, match="port"):
        s.connectToHost("localhost", 70000)
    with pytest.raises(TypeError, match="host"):
        s.connectToHost(3.5, 9)
    assert s.state() == S.UnconnectedState
