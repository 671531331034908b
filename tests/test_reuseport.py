"""All cores: the LoadBalance bind flag (SO_REUSEPORT groups) and the batch
calls releasing the GIL around their system calls.

Everything runs on the private namespace's loopback (tests/conftest.py)."""

from __future__ import annotations

import struct
import sys
import time

import pytest

from qudp import QAbstractSocket, QHostAddress, QUdpSocket

from helpers import bound

BindFlag = QAbstractSocket.BindFlag
LB = QUdpSocket.LoadBalance
linux = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="SO_REUSEPORT balancing: Linux"
)


def group(addr: str, n: int, mode: object = LB) -> list[QUdpSocket]:
    """`n` sockets bound to one port of `addr` with `mode`."""
    first = bound(addr, 0, mode)
    port = first.localPort()
    return [first] + [bound(addr, port, mode) for _ in range(n - 1)]


Got = list[list[tuple[bytes, int]]]


def drain_all(socks: list[QUdpSocket], want: int, seconds: float = 5.0) -> Got:
    """Every socket's (payload, sender port) in arrival order, until `want`
    datagrams in all arrived or the time is up."""
    got: list[list[tuple[bytes, int]]] = [[] for _ in socks]
    end = time.monotonic() + seconds
    while sum(map(len, got)) < want and time.monotonic() < end:
        for i, s in enumerate(socks):
            got[i].extend((d, p) for d, _, p in s.readDatagrams())
        if sum(map(len, got)) < want:
            socks[0].waitForReadyRead(10)
    return got


def test_load_balance_value_cannot_meet_qt_bits() -> None:
    assert BindFlag.LoadBalance.value == 0x100
    qt = BindFlag.ShareAddress | BindFlag.DontShareAddress | BindFlag.ReuseAddressHint
    assert qt.value & BindFlag.LoadBalance.value == 0
    assert QUdpSocket.LoadBalance is BindFlag.LoadBalance
    assert QAbstractSocket.BindMode.LoadBalance is BindFlag.LoadBalance


@linux
def test_group_spreads_datagrams_each_received_once(loopback: str) -> None:
    n, senders, per_sender = 4, 48, 20
    rxs = group(loopback, n)
    for r in rxs:
        r.setSocketOption(QAbstractSocket.ReceiveBufferSizeSocketOption, 1 << 20)
    port = rxs[0].localPort()
    txs = [bound(loopback) for _ in range(senders)]
    for k in range(per_sender):
        for i, tx in enumerate(txs):
            seq = i * per_sender + k
            assert tx.writeDatagram(struct.pack("!I", seq), QHostAddress(loopback), port) == 4
    total = senders * per_sender
    got = drain_all(rxs, total)
    seqs = [struct.unpack("!I", d)[0] for per in got for d, _ in per]
    assert sorted(seqs) == list(range(total)), "every datagram exactly once"
    # The kernel spreads flows over the whole group...
    assert all(per for per in got), [len(per) for per in got]
    # ...and keeps each flow (one sender port) on one socket, in order.
    owner: dict[int, int] = {}
    for i, per in enumerate(got):
        for _, p in per:
            assert owner.setdefault(p, i) == i, f"sender port {p} reached two sockets"
        for p in {p for _, p in per}:
            mine = [struct.unpack("!I", d)[0] for d, q in per if q == p]
            assert mine == sorted(mine)
    assert len(owner) == senders


@linux
def test_load_balance_combines_with_share_address() -> None:
    rxs = group("127.0.0.1", 2, LB | QUdpSocket.ShareAddress)
    assert all(r.state() == QUdpSocket.BoundState for r in rxs)


@linux
def test_every_member_of_the_group_needs_the_flag() -> None:
    (lb,) = group("127.0.0.1", 1)
    other = QUdpSocket()
    assert not other.bind(QHostAddress.LocalHost, lb.localPort())
    assert other.error() == QUdpSocket.AddressInUseError
    plain = bound("127.0.0.1")
    late = QUdpSocket()
    assert not late.bind(QHostAddress.LocalHost, plain.localPort(), LB)
    assert late.error() == QUdpSocket.AddressInUseError


def test_load_balance_with_dont_share_is_refused() -> None:
    s = QUdpSocket()
    assert not s.bind(QHostAddress.LocalHost, 0, LB | QUdpSocket.DontShareAddress)
    assert s.error() == QUdpSocket.UnsupportedSocketOperationError
    assert s.state() == QUdpSocket.UnconnectedState
