"""QUdpSocket on real sockets: bind, send, receive, state, errors, close.

Each expectation is what PySide6 6.12 does on Linux (see test_parity.py for
the same scenarios run on both)."""

from __future__ import annotations

import socket

import pytest

from qudp import QAbstractSocket, QHostAddress, QNetworkDatagram, QUdpSocket

from helpers import Recorder, bound, wait_pending

S = QAbstractSocket


def test_fresh_socket_state() -> None:
    s = QUdpSocket()
    assert s.state() == S.UnconnectedState
    assert s.error() == S.UnknownSocketError
    assert s.errorString() == "Unknown error"
    assert s.localAddress().isNull() and s.localPort() == 0
    assert s.peerAddress().isNull() and s.peerPort() == 0 and s.peerName() == ""
    assert s.socketDescriptor() == -1
    assert not s.isValid()
    assert s.socketType() == S.UdpSocket
    assert not s.isOpen()


@pytest.mark.parametrize(
    ("args", "text", "proto"),
    [
        ((), "0.0.0.0", S.AnyIPProtocol),
        ((0,), "0.0.0.0", S.AnyIPProtocol),
        ((0, QUdpSocket.ShareAddress), "0.0.0.0", S.AnyIPProtocol),
        ((QHostAddress.LocalHost, 0), "127.0.0.1", S.IPv4Protocol),
        ((QHostAddress.LocalHost,), "127.0.0.1", S.IPv4Protocol),
        ((QHostAddress("127.0.0.1"), 0), "127.0.0.1", S.IPv4Protocol),
        (("127.0.0.1", 0), "127.0.0.1", S.IPv4Protocol),
        ((QHostAddress.Any, 0), "0.0.0.0", S.AnyIPProtocol),
        ((QHostAddress.AnyIPv4, 0), "0.0.0.0", S.IPv4Protocol),
        ((QHostAddress.AnyIPv6, 0), "::", S.IPv6Protocol),
        ((QHostAddress.LocalHostIPv6, 0), "::1", S.IPv6Protocol),
    ],
)
def test_bind_overloads(args: tuple, text: str, proto: object) -> None:
    s = QUdpSocket()
    rec = Recorder(s, "stateChanged")
    assert s.bind(*args) is True
    assert s.state() == S.BoundState
    assert s.localAddress().toString() == text
    assert s.localAddress().protocol() == proto
    assert 0 < s.localPort() < 65536
    assert s.isValid() and s.socketDescriptor() >= 0
    assert not s.isOpen()  # bind does not open the QIODevice, as in Qt
    assert rec.events == [("stateChanged", (S.BoundState,))]


def test_bind_keywords_and_explicit_port() -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    s = QUdpSocket()
    assert s.bind(address=QHostAddress.LocalHost, port=port, mode=QUdpSocket.DefaultForPlatform)
    assert s.localPort() == port


def test_dual_stack_any_receives_both_families() -> None:
    s = bound(QHostAddress.Any)
    tx4 = QUdpSocket()
    tx6 = QUdpSocket()
    assert tx4.writeDatagram(b"four", QHostAddress.LocalHost, s.localPort()) == 4
    assert tx6.writeDatagram(b"six", QHostAddress.LocalHostIPv6, s.localPort()) == 3
    got = {}
    for _ in range(2):
        assert wait_pending(s)
        d = s.receiveDatagram()
        got[bytes(d.data())] = d
    # Qt reports IPv4 peers of a dual-stack socket as v4-mapped IPv6.
    assert got[b"four"].senderAddress().toString() == "::ffff:127.0.0.1"
    assert got[b"four"].hopLimit() == -1
    assert got[b"six"].senderAddress().toString() == "::1"
    assert got[b"six"].hopLimit() == 64


def test_bind_address_in_use_and_share_address() -> None:
    a = bound("127.0.0.1")
    b = QUdpSocket()
    rec = Recorder(b, "errorOccurred", "stateChanged")
    assert b.bind(QHostAddress.LocalHost, a.localPort()) is False
    assert b.error() == S.AddressInUseError
    assert b.errorString() == "The bound address is already in use"
    assert b.state() == S.UnconnectedState
    assert rec.events == [("errorOccurred", (S.AddressInUseError,))]
    # ShareAddress on both sides lets both bind (SO_REUSEADDR on Linux).
    c = bound("127.0.0.1", 0, QUdpSocket.ShareAddress)
    d = QUdpSocket()
    assert d.bind(
        QHostAddress.LocalHost, c.localPort(), QUdpSocket.ShareAddress | QUdpSocket.ReuseAddressHint
    )
    e = QUdpSocket()
    assert not e.bind(QHostAddress.LocalHost, c.localPort(), QUdpSocket.DontShareAddress)


def test_bind_unavailable_and_null_address() -> None:
    s = QUdpSocket()
    assert s.bind(QHostAddress("192.0.2.1"), 0) is False
    assert s.error() == S.SocketAddressNotAvailableError
    assert s.errorString() == "The address is not available"
    n = QUdpSocket()
    assert n.bind(QHostAddress(), 0) is False
    assert n.error() == S.UnsupportedSocketOperationError
    assert n.errorString() == "Unsupported socket operation"


def test_bind_twice_warns_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    s = bound("127.0.0.1")
    port = s.localPort()
    rec = Recorder(s, "errorOccurred")
    assert s.bind(QHostAddress.LocalHost, 0) is False
    assert (
        "QNativeSocketEngine::bind() was not called in QAbstractSocket::UnconnectedState"
        in capsys.readouterr().err
    )
    assert s.state() == S.BoundState and s.localPort() == port
    assert s.error() == S.UnknownSocketError
    assert rec.events == [("errorOccurred", (S.UnknownSocketError,))]


def test_bind_argument_errors() -> None:
    s = QUdpSocket()
    with pytest.raises(OverflowError, match=r"port must be in 0\.\.=65535, got 70000"):
        s.bind(QHostAddress.LocalHost, 70000)
    with pytest.raises(OverflowError, match="port"):
        s.bind(-1)
    with pytest.raises(ValueError, match=r"address.*not a valid"):
        s.bind("not an address", 0)
    with pytest.raises(TypeError, match="mode"):
        s.bind(QHostAddress.LocalHost, 0, "share")
    with pytest.raises(TypeError, match="port"):
        s.bind(QHostAddress.LocalHost, "80")
    assert s.state() == S.UnconnectedState


def test_write_on_unbound_socket_binds_first() -> None:
    rx = bound("127.0.0.1")
    tx = QUdpSocket()
    rec = Recorder(tx, "stateChanged", "bytesWritten")
    assert tx.writeDatagram(b"abc", QHostAddress.LocalHost, rx.localPort()) == 3
    # Both signals are emitted synchronously, in this order (as in Qt).
    assert rec.events == [("stateChanged", (S.BoundState,)), ("bytesWritten", (3,))]
    assert tx.state() == S.BoundState
    assert tx.localAddress().protocol() == S.AnyIPProtocol
    assert wait_pending(rx)
    data, sender, port = rx.readDatagram(100)
    assert (data, port) == (b"abc", tx.localPort())
    assert sender.toString() == "127.0.0.1"


@pytest.mark.parametrize(
    "payload", [b"bytes", bytearray(b"bytearray"), memoryview(b"xmemoryview")[1:]]
)
def test_write_any_bytes_like(payload: object) -> None:
    rx = bound("127.0.0.1")
    tx = QUdpSocket()
    n = tx.writeDatagram(payload, QHostAddress.LocalHost, rx.localPort())
    assert n == len(bytes(payload))  # type: ignore[call-overload]
    assert wait_pending(rx)
    assert rx.readDatagram(100)[0] == bytes(payload)  # type: ignore[call-overload]


def test_write_array_module_buffer() -> None:
    import array

    rx = bound("127.0.0.1")
    arr = array.array("i", [1, 2, 3])
    assert QUdpSocket().writeDatagram(arr, QHostAddress.LocalHost, rx.localPort()) == 12
    assert wait_pending(rx)
    assert rx.readDatagram(100)[0] == arr.tobytes()


def test_write_argument_errors() -> None:
    s = QUdpSocket()
    with pytest.raises(TypeError, match="data must be a bytes-like object, not str"):
        s.writeDatagram("text", QHostAddress.LocalHost, 9)
    with pytest.raises(TypeError, match="data must be a bytes-like object, not int"):
        s.writeDatagram(5, QHostAddress.LocalHost, 9)
    with pytest.raises(OverflowError, match=r"port must be in 0\.\.=65535, got 70000"):
        s.writeDatagram(b"x", QHostAddress.LocalHost, 70000)
    with pytest.raises(ValueError, match="host"):
        s.writeDatagram(b"x", "999.1.1.1", 9)
    with pytest.raises(TypeError):
        s.writeDatagram(b"x")
    assert s.state() == S.UnconnectedState  # nothing happened


def test_write_empty_and_refuse_none() -> None:
    rx = bound("127.0.0.1")
    tx = QUdpSocket()
    rec = Recorder(tx, "bytesWritten")
    assert tx.writeDatagram(b"", QHostAddress.LocalHost, rx.localPort()) == 0
    # PySide6 sends an empty datagram for None; SPEC: a non-bytes payload raises.
    with pytest.raises(TypeError, match="data must be a bytes-like object, not NoneType"):
        tx.writeDatagram(None, QHostAddress.LocalHost, rx.localPort())
    assert rec.events == [("bytesWritten", (0,))]
    assert wait_pending(rx)
    assert rx.pendingDatagramSize() == 0
    assert rx.readDatagram(10)[0] == b""


@pytest.mark.parametrize(("family_", "ok", "too_big"), [("v4", 65507, 65508), ("v6", 65527, 65528)])
def test_datagram_too_large(family_: str, ok: int, too_big: int) -> None:
    addr = QHostAddress.LocalHost if family_ == "v4" else QHostAddress.LocalHostIPv6
    rx = bound(addr)
    tx = bound(addr)
    rec = Recorder(tx, "errorOccurred")
    assert tx.writeDatagram(b"\0" * ok, addr, rx.localPort()) == ok
    assert tx.writeDatagram(b"\0" * too_big, addr, rx.localPort()) == -1
    assert tx.error() == S.DatagramTooLargeError
    assert tx.errorString() == "Datagram was too large to send"
    assert rec.events == [("errorOccurred", (S.DatagramTooLargeError,))]
    assert tx.state() == S.BoundState
    assert wait_pending(rx)
    assert rx.pendingDatagramSize() == ok


def test_write_to_port_zero_is_network_error() -> None:
    tx = bound("127.0.0.1")
    assert tx.writeDatagram(b"x", QHostAddress.LocalHost, 0) == -1
    assert tx.error() == S.NetworkError
    assert tx.errorString() == "Unable to send a message"


def test_ipv4_to_v6only_socket_fails() -> None:
    tx = bound(QHostAddress.AnyIPv6)
    assert tx.writeDatagram(b"x", QHostAddress.LocalHost, 9) == -1
    assert tx.error() == S.NetworkError


def test_ipv6_from_ipv4_socket_is_refused_not_misrouted() -> None:
    # Qt would send this to 0.0.0.0 (this host); qudp refuses it instead.
    tx = bound("127.0.0.1")
    assert tx.writeDatagram(b"x", QHostAddress.LocalHostIPv6, 9) == -1
    assert tx.error() == S.NetworkError


def test_read_truncates_and_discards_rest() -> None:
    rx = bound("127.0.0.1")
    tx = QUdpSocket()
    for payload in (b"0123456789", b"abcdefghij", b"second"):
        tx.writeDatagram(payload, QHostAddress.LocalHost, rx.localPort())
    assert wait_pending(rx)
    assert rx.pendingDatagramSize() == 10
    assert rx.readDatagram(3)[0] == b"012"
    assert rx.pendingDatagramSize() == 10  # the next one, not the rest
    assert rx.readDatagram(0)[0] == b""  # maxlen 0 discards a datagram
    assert wait_pending(rx)
    assert rx.readDatagram(100)[0] == b"second"


def test_read_with_nothing_pending() -> None:
    rx = bound("127.0.0.1")
    rec = Recorder(rx, "errorOccurred")
    assert rx.hasPendingDatagrams() is False
    assert rx.pendingDatagramSize() == -1
    data, addr, port = rx.readDatagram(10)
    assert (data, addr.isNull(), port) == (b"", True, 0)
    assert rx.error() == S.TemporaryError
    assert rx.errorString() == "No datagram available for reading"
    assert rec.events == [("errorOccurred", (S.TemporaryError,))]
    with pytest.raises(ValueError, match="maxlen must be >= 0, got -1"):
        rx.readDatagram(-1)


def test_receive_datagram_metadata(family: str, loopback: str) -> None:
    rx = bound(loopback)
    tx = bound(loopback)
    assert tx.writeDatagram(b"meta", QHostAddress(loopback), rx.localPort()) == 4
    assert wait_pending(rx)
    d = rx.receiveDatagram()
    assert d.isValid() and not d.isNull()
    assert bytes(d.data()) == b"meta"
    assert d.senderAddress().toString() == loopback
    assert d.senderPort() == tx.localPort()
    assert d.destinationPort() == rx.localPort()
    assert d.hopLimit() == 64
    assert d.interfaceIndex() == socket.if_nametoindex("lo")
    # IPv6 destinations carry the arrival interface as scope id, as Qt shows.
    expected_dest = loopback if family == "v4" else f"::1%{socket.if_nametoindex('lo')}"
    assert d.destinationAddress().toString() == expected_dest


def test_receive_datagram_truncation_and_empty_queue() -> None:
    rx = bound("127.0.0.1")
    tx = QUdpSocket()
    tx.writeDatagram(b"0123456789", QHostAddress.LocalHost, rx.localPort())
    assert wait_pending(rx)
    assert bytes(rx.receiveDatagram(3).data()) == b"012"
    assert not rx.hasPendingDatagrams()
    rec = Recorder(rx, "errorOccurred")
    d = rx.receiveDatagram()
    assert not d.isValid()
    assert (d.senderPort(), d.destinationPort(), d.hopLimit(), d.interfaceIndex()) == (
        -1,
        -1,
        -1,
        0,
    )
    assert rx.error() == S.UnknownSocketError and rec.events == []


def test_order_and_content_preserved_across_batches() -> None:
    rx = bound("127.0.0.1")
    rx.setSocketOption(S.ReceiveBufferSizeSocketOption, 4 << 20)
    tx = QUdpSocket()
    sent = [bytes([i % 256]) * (i % 1500) for i in range(300)]
    for p in sent:
        assert tx.writeDatagram(p, QHostAddress.LocalHost, rx.localPort()) == len(p)
    got = []
    while len(got) < len(sent) and wait_pending(rx, 1000):
        while rx.hasPendingDatagrams():
            size = rx.pendingDatagramSize()
            data, _, port = rx.readDatagram(size)
            assert len(data) == size and port == tx.localPort()
            got.append(data)
    assert got == sent


def test_write_network_datagram_with_hop_limit(family: str, loopback: str) -> None:
    rx = bound(loopback)
    tx = bound(loopback)
    dg = QNetworkDatagram(b"dg", QHostAddress(loopback), rx.localPort())
    dg.setHopLimit(5)
    assert tx.writeDatagram(dg) == 2
    assert wait_pending(rx)
    got = rx.receiveDatagram()
    assert bytes(got.data()) == b"dg" and got.hopLimit() == 5
    reply = got.makeReply(b"pong")
    assert reply.destinationAddress().toString() == loopback
    assert reply.destinationPort() == tx.localPort()
    assert rx.writeDatagram(reply) == 4
    assert wait_pending(tx)
    assert tx.readDatagram(10)[0] == b"pong"


def test_write_network_datagram_without_destination() -> None:
    tx = QUdpSocket()
    assert tx.writeDatagram(QNetworkDatagram(b"x")) == -1
    assert tx.error() == S.NetworkError


@pytest.mark.parametrize(
    ("call", "result", "name"),
    [
        (lambda s: s.hasPendingDatagrams(), False, "hasPendingDatagrams"),
        (lambda s: s.pendingDatagramSize(), -1, "pendingDatagramSize"),
        (lambda s: s.readDatagram(10)[0], b"", "readDatagram"),
        (lambda s: s.receiveDatagram().isValid(), False, "receiveDatagram"),
    ],
)
def test_misuse_on_unbound_socket_warns(
    capsys: pytest.CaptureFixture[str], call, result, name
) -> None:  # type: ignore[no-untyped-def]
    for s in (QUdpSocket(), bound("127.0.0.1")):
        s.close()
        rec = Recorder(s, "errorOccurred")
        assert call(s) == result
        warning = f"QUdpSocket::{name}() called on a QUdpSocket when not in QUdpSocket::BoundState"
        assert warning in capsys.readouterr().err
        assert s.error() == S.UnknownSocketError and rec.events == []


def test_socket_options(family: str, loopback: str) -> None:
    s = QUdpSocket()
    assert s.socketOption(S.ReceiveBufferSizeSocketOption) is None
    s.setSocketOption(S.ReceiveBufferSizeSocketOption, 100000)  # dropped: no socket yet
    s.bind(QHostAddress(loopback), 0)
    assert s.socketOption(S.ReceiveBufferSizeSocketOption) != 200000
    assert s.socketOption(S.MulticastTtlOption) == 1
    assert s.socketOption(S.MulticastLoopbackOption) == 1
    assert s.socketOption(S.KeepAliveOption) == 0
    assert s.socketOption(S.LowDelayOption) is None
    assert s.socketOption(S.PathMtuSocketOption) is None  # not connected
    assert s.socketOption(S.TypeOfServiceOption) == (0 if family == "v4" else None)
    s.setSocketOption(S.ReceiveBufferSizeSocketOption, 100000)
    assert s.socketOption(S.ReceiveBufferSizeSocketOption) == 200000  # Linux doubles it
    s.setSocketOption(S.MulticastTtlOption, 5)
    assert s.socketOption(S.MulticastTtlOption) == 5
    s.setSocketOption(S.MulticastLoopbackOption, False)
    assert s.socketOption(S.MulticastLoopbackOption) == 0
    with pytest.raises(TypeError, match="value"):
        s.setSocketOption(S.MulticastTtlOption, "5")
    with pytest.raises(TypeError, match="option"):
        s.socketOption("ttl")


def test_close_and_abort_signals() -> None:
    s = bound("127.0.0.1")
    rec = Recorder(s, "stateChanged", "readChannelFinished", "disconnected", "aboutToClose")
    s.close()
    assert rec.events == [
        ("stateChanged", (S.ClosingState,)),
        ("stateChanged", (S.UnconnectedState,)),
        ("readChannelFinished", ()),
        ("disconnected", ()),
    ]
    assert (s.state(), s.localPort(), s.socketDescriptor(), s.isValid()) == (
        S.UnconnectedState,
        0,
        -1,
        False,
    )
    s.close()
    assert len(rec.events) == 4  # a second close does nothing
    a = bound("127.0.0.1")
    rec = Recorder(a, "stateChanged", "readChannelFinished", "disconnected")
    a.abort()
    assert rec.events == [("stateChanged", (S.UnconnectedState,)), ("readChannelFinished", ())]


def test_error_survives_success_and_close() -> None:
    a = bound("127.0.0.1")
    b = QUdpSocket()
    assert not b.bind(QHostAddress.LocalHost, a.localPort())
    assert b.bind(QHostAddress.LocalHost, 0)
    assert b.error() == S.AddressInUseError  # Qt never resets error()
    b.close()
    assert b.error() == S.AddressInUseError


def test_rebind_after_close_other_family() -> None:
    s = bound("127.0.0.1")
    s.close()
    assert s.bind(QHostAddress.LocalHostIPv6, 0)
    assert s.localAddress().toString() == "::1"


def test_context_manager_and_repr() -> None:
    with QUdpSocket() as s:
        assert repr(s) == "<QUdpSocket UnconnectedState>"
        s.bind(QHostAddress.LocalHost, 0)
        assert repr(s) == f"<QUdpSocket BoundState 127.0.0.1:{s.localPort()}>"
    assert s.state() == S.UnconnectedState
    six = bound("::1")
    assert repr(six) == f"<QUdpSocket BoundState [::1]:{six.localPort()}>"

    class Mine(QUdpSocket):
        pass

    assert repr(Mine()).startswith("<Mine UnconnectedState")


def test_set_socket_descriptor_adopts_python_socket() -> None:
    py = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    py.bind(("127.0.0.1", 0))
    port = py.getsockname()[1]
    s = QUdpSocket()
    rec = Recorder(s, "stateChanged")
    assert s.setSocketDescriptor(py.detach()) is True
    assert s.state() == S.ConnectedState and s.isOpen()
    assert rec.events == [("stateChanged", (S.ConnectedState,))]
    assert (s.localAddress().toString(), s.localPort()) == ("127.0.0.1", port)
    QUdpSocket().writeDatagram(b"adopted", QHostAddress.LocalHost, port)
    assert wait_pending(s)
    assert s.readDatagram(100)[0] == b"adopted"
    rec2 = Recorder(s, "aboutToClose")
    s.close()
    assert rec2.events == [("aboutToClose", ())]


def test_set_socket_descriptor_bound_state_and_bad_fds() -> None:
    py = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    py.bind(("::1", 0))
    s = QUdpSocket()
    assert s.setSocketDescriptor(py.detach(), S.BoundState, S.ReadOnly)
    assert s.state() == S.BoundState and s.openMode() == S.ReadOnly
    assert s.localAddress().toString() == "::1"
    t = QUdpSocket()
    rec = Recorder(t, "errorOccurred", "stateChanged")
    assert t.setSocketDescriptor(-1) is False
    assert t.error() == S.UnknownSocketError
    assert t.setSocketDescriptor(99999) is False
    assert t.error() == S.UnsupportedSocketOperationError
    assert t.errorString() == "Invalid socket descriptor"
    assert rec.events == []


def test_wait_for_ready_read() -> None:
    rx = bound("127.0.0.1")
    rec = Recorder(rx, "readyRead", "errorOccurred")
    assert rx.waitForReadyRead(50) is False
    assert rx.error() == S.SocketTimeoutError
    assert rx.errorString() == "Network operation timed out"
    assert rec.names() == ["errorOccurred"]
    assert rx.state() == S.BoundState
    QUdpSocket().writeDatagram(b"x", QHostAddress.LocalHost, rx.localPort())
    assert rx.waitForReadyRead(2000) is True
    assert rec.names() == ["errorOccurred", "readyRead"]
    # Still unread: True at once, and no second readyRead (Qt's rule).
    assert rx.waitForReadyRead(2000) is True
    assert rec.names() == ["errorOccurred", "readyRead"]
    assert QUdpSocket().waitForReadyRead(10) is False


def test_wait_for_bytes_written(capsys: pytest.CaptureFixture[str]) -> None:
    assert QUdpSocket().waitForBytesWritten(10) is False
    assert "waitForBytesWritten() is not allowed in UnconnectedState" in capsys.readouterr().err
    assert bound("127.0.0.1").waitForBytesWritten(10) is False


def test_read_datagram_into_buffer() -> None:
    rx = bound("127.0.0.1")
    tx = QUdpSocket()
    tx.writeDatagram(b"zero-copy", QHostAddress.LocalHost, rx.localPort())
    tx.writeDatagram(b"0123456789", QHostAddress.LocalHost, rx.localPort())
    buf = bytearray(16)
    assert wait_pending(rx)
    n, addr, port = rx.readDatagramInto(buf)
    assert (n, bytes(buf[:n]), addr.toString(), port) == (
        9,
        b"zero-copy",
        "127.0.0.1",
        tx.localPort(),
    )
    small = memoryview(bytearray(4))
    assert wait_pending(rx)
    assert rx.readDatagramInto(small)[0] == 4 and bytes(small) == b"0123"
    assert not rx.hasPendingDatagrams()  # the rest was discarded
    assert rx.readDatagramInto(buf)[0] == -1
    with pytest.raises(TypeError, match="buffer must be a writable bytes-like object"):
        rx.readDatagramInto(b"readonly")


def test_parent_keeps_socket_alive() -> None:
    import gc
    import weakref

    class Owner:
        pass

    owner = Owner()
    ref = weakref.ref(QUdpSocket(owner))
    gc.collect()
    assert ref() is not None
    assert ref().parent() is owner  # type: ignore[union-attr]
    del owner
    gc.collect()
    assert ref() is None


def test_qabstractsocket_constructor() -> None:
    s = QAbstractSocket(S.UdpSocket, None)
    assert s.bind(QHostAddress.LocalHost, 0)
    with pytest.raises(ValueError, match="socketType"):
        QAbstractSocket(S.TcpSocket, None)


def test_sender_objects_are_never_shared_with_the_caller() -> None:
    a, b = QUdpSocket(), QUdpSocket()
    a.bind(QHostAddress.LocalHost, 0)
    b.bind(QHostAddress.LocalHostIPv6, 0)
    six = bound(QHostAddress.Any)
    kept = []
    for i in range(6):
        (a if i % 2 else b).writeDatagram(
            b"x", QHostAddress.LocalHost if i % 2 else QHostAddress.LocalHostIPv6, six.localPort()
        )
    while len(kept) < 6 and wait_pending(six):
        _, host, port = six.readDatagram(10)
        kept.append((host, host.toString(), port))
    # Every object the caller kept still says what it said when returned.
    assert [h.toString() for h, _, _ in kept] == [t for _, t, _ in kept]
    assert len({id(h) for h, _, _ in kept}) == 6
    # A dropped one is reused in place, and reports the new sender.
    del kept
    b.writeDatagram(b"y", QHostAddress.LocalHostIPv6, six.localPort())
    assert wait_pending(six)
    assert six.readDatagram(10)[1].toString() == "::1"


DROP_BIND_CAP = r"""
import ctypes, sys
# capset(2): clear every capability from the effective and permitted sets,
# so binding a port below 1024 is refused with EACCES as for a normal user.
class Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
class Data(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]
libc = ctypes.CDLL(None, use_errno=True)
hdr = Header(0x20080522, 0)
data = (Data * 2)()
if libc.capset(ctypes.byref(hdr), data) != 0:
    sys.exit(3)
from qudp import QHostAddress, QUdpSocket
s = QUdpSocket()
ok = s.bind(QHostAddress.LocalHost, 80)
print(ok, s.error().name, s.errorString(), s.state().name)
"""


def test_privileged_port_is_socket_access_error() -> None:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-c", DROP_BIND_CAP], capture_output=True, text=True, timeout=30
    )
    if r.returncode == 3:
        pytest.skip("cannot drop capabilities here")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False SocketAccessError The address is protected UnconnectedState"
