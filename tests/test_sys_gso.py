"""Batch sends on a path whose MTU is smaller than the datagrams (issue 10,
defect 7): writeDatagrams must accept what writeDatagram accepts. Runs in
the private namespace, with its loopback's MTU lowered to Ethernet's."""

from __future__ import annotations

import fcntl
import os
import socket
import struct
import sys
from collections.abc import Iterator

import pytest

from qudp import QAbstractSocket, QHostAddress, QUdpSocket

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(sys.platform != "linux", reason="UDP GSO is Linux's"),
]

SIOCGIFMTU = 0x8921
SIOCSIFMTU = 0x8922


def _mtu(value: int | None = None) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        if value is None:
            req = struct.pack("16si", b"lo", 0) + b"\0" * 20
            return int(struct.unpack("16si", fcntl.ioctl(s.fileno(), SIOCGIFMTU, req)[:20])[1])
        fcntl.ioctl(s.fileno(), SIOCSIFMTU, struct.pack("16si", b"lo", value) + b"\0" * 20)
        return value


@pytest.fixture
def mtu1500() -> Iterator[None]:
    old = _mtu()
    _mtu(1500)
    try:
        yield
    finally:
        _mtu(old)


def _drain(rx: QUdpSocket, n: int) -> list[bytes]:
    got: list[bytes] = []
    while len(got) < n and (rx.hasPendingDatagrams() or rx.waitForReadyRead(2000)):
        got.append(rx.readDatagram(rx.pendingDatagramSize())[0])
    return got


@pytest.mark.parametrize("addr", ["127.0.0.1", "::1"])
@pytest.mark.parametrize("connected", [False, True])
def test_datagrams_larger_than_the_mtu_go_out_in_a_batch(
    mtu1500: None, addr: str, connected: bool
) -> None:
    rx = QUdpSocket()
    assert rx.bind(QHostAddress(addr), 0)
    rx.setSocketOption(QAbstractSocket.ReceiveBufferSizeSocketOption, 4 << 20)
    tx = QUdpSocket()
    if connected:
        tx.connectToHost(QHostAddress(addr), rx.localPort())
        assert tx.state() == QAbstractSocket.SocketState.ConnectedState
    # A single send of 2000 bytes is fragmented and accepted ...
    assert tx.writeDatagram(b"s" * 2000, QHostAddress(addr), rx.localPort()) == 2000
    assert _drain(rx, 1) == [b"s" * 2000]
    # ... and so is a batch of them (same size: the GSO candidate), twice,
    # so a size learned from the first batch is used by the second.
    for round_ in range(2):
        payloads = [bytes([65 + i + round_]) * 2000 for i in range(4)]
        assert tx.writeDatagrams(payloads, QHostAddress(addr), rx.localPort()) == 4, (
            tx.errorString()
        )
        assert _drain(rx, 4) == payloads
    # Segments that fit the MTU still go out together and arrive intact.
    small = [bytes([i]) * 1400 for i in range(40)]
    assert tx.writeDatagrams(small, QHostAddress(addr), rx.localPort()) == 40
    assert _drain(rx, 40) == small


def _coalesced_runs(rx: QUdpSocket, n: int) -> tuple[list[bytes], int]:
    """Read n datagrams; count the distinct kernel timestamps, i.e. the
    receives they came in (GRO hands a GSO send over as one)."""
    got: list[bytes] = []
    stamps = set()
    while len(got) < n and (rx.hasPendingDatagrams() or rx.waitForReadyRead(2000)):
        d = rx.receiveDatagram()
        got.append(d.data())
        stamps.add(d.timestamp())
    return got, len(stamps)


def test_one_socket_refused_gso_does_not_turn_it_off_for_others() -> None:
    rx = QUdpSocket()
    assert rx.bind(QHostAddress("127.0.0.1"), 0)
    rx.setSocketOption(QAbstractSocket.ReceiveBufferSizeSocketOption, 4 << 20)
    if not rx.setReceiveCoalescing(True):
        pytest.skip("UDP_GRO not available on this kernel")
    assert rx.setReceiveTimestamps(True)
    lo = QHostAddress("127.0.0.1")
    payloads = [bytes([i]) * 1000 for i in range(8)]
    # A socket without UDP checksums (SO_NO_CHECK, set on a dup): the
    # kernel refuses GSO on it with EINVAL; its batch falls back.
    odd = QUdpSocket()
    assert odd.bind(QHostAddress("127.0.0.1"), 0)
    with socket.socket(fileno=os.dup(odd.socketDescriptor())) as d:
        d.setsockopt(socket.SOL_SOCKET, 11, 1)  # SO_NO_CHECK
    assert odd.writeDatagrams(payloads, lo, rx.localPort()) == 8
    got, runs = _coalesced_runs(rx, 8)
    assert got == payloads and runs == 8
    # Another socket still sends its batch as one GSO send.
    other = QUdpSocket()
    assert other.writeDatagrams(payloads, lo, rx.localPort()) == 8
    got, runs = _coalesced_runs(rx, 8)
    assert got == payloads
    assert runs == 1, "sent with GSO and received coalesced"


def test_partial_batch_send_records_the_error() -> None:
    rx = QUdpSocket()
    assert rx.bind(QHostAddress("127.0.0.1"), 0)
    tx = QUdpSocket()
    errors: list[object] = []
    tx.errorOccurred.connect(errors.append)
    # The last datagram cannot be sent (too large for UDP): the first two
    # go out, the count says so, and error() says why the rest did not.
    n = tx.writeDatagrams(
        [b"a" * 10, b"b" * 20, b"c" * 70000], QHostAddress("127.0.0.1"), rx.localPort()
    )
    assert n == 2
    assert tx.error() == QAbstractSocket.SocketError.DatagramTooLargeError
    assert errors == [QAbstractSocket.SocketError.DatagramTooLargeError]
    assert _drain(rx, 2) == [b"a" * 10, b"b" * 20]
