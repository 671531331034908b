"""Receive memory: every size arrives whole and in order, and a socket's
receive memory follows what it holds rather than a fixed reservation."""

from __future__ import annotations

import os
import re
import socket

import pytest

from qudp import QHostAddress, QUdpSocket

from helpers import bound, wait_pending

SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
SIZES = [0, 1, 2047, 2048, 2049, 9000, 65507]


def force_rcvbuf(s: QUdpSocket, size: int) -> None:
    """A receive buffer for every datagram a test queues (root in the netns;
    SO_RCVBUF is capped by net.core.rmem_max)."""
    with socket.socket(fileno=os.dup(s.socketDescriptor())) as py:
        try:
            py.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, size)
        except PermissionError:
            py.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


PATTERN = bytes(range(256)) * 258


def payload(seq: int, size: int) -> bytes:
    """`size` bytes that differ per datagram and per position."""
    head = seq.to_bytes(2, "big")
    body = PATTERN[seq % 251 : seq % 251 + max(0, size - 2)]
    return (head + body)[:size]


def interleaved(sizes: list[int]) -> list[int]:
    """Every size next to every other: small before big and big before small."""
    out = list(sizes) + list(reversed(sizes))
    for s in sizes:
        out += [s, 64]
    return out


@pytest.mark.parametrize("how", ["readDatagram", "readPayloads"])
def test_mixed_sizes_in_one_batch_arrive_whole_and_in_order(family: str, how: str) -> None:
    host = "127.0.0.1" if family == "v4" else "::1"
    sizes = SIZES + ([65527] if family == "v6" else [])
    rx = bound(host)
    force_rcvbuf(rx, 16 << 20)
    tx = QUdpSocket()
    sent = [payload(i, n) for i, n in enumerate(interleaved(sizes))]
    for p in sent:
        assert tx.writeDatagram(p, QHostAddress(host), rx.localPort()) == len(p), tx.errorString()
    assert wait_pending(rx)
    got: list[bytes] = []
    for _ in range(len(sent) + 5):
        if how == "readDatagram":
            if not rx.hasPendingDatagrams():
                break
            size = rx.pendingDatagramSize()
            data, _, port = rx.readDatagram(size)
            assert port == tx.localPort() and len(data) == size
            got.append(data)
        else:
            batch = rx.readPayloads()
            if not batch:
                break
            got += batch
    assert [len(g) for g in got] == [len(p) for p in sent]
    assert got == sent
    assert not rx.hasPendingDatagrams()


def vm_size_kib() -> int:
    with open("/proc/self/status") as f:
        m = re.search(r"^VmSize:\s+(\d+) kB", f.read(), re.M)
    assert m
    return int(m.group(1))


@pytest.mark.parametrize(
    ("size", "bound_mib"),
    # Up to 16 KiB a socket keeps a packed copy; from there on the 64 KiB
    # block the datagram landed in.
    [(100, 16), (9000, 24), (65507, 48)],
)
def test_many_sockets_holding_one_datagram_each_use_little_address_space(
    size: int, bound_mib: int
) -> None:
    # A fixed 4 MiB ring per socket would add 2,000 MiB here.
    n = 500
    tx = QUdpSocket()
    warm = bound()
    tx.writeDatagram(b"warm", QHostAddress("127.0.0.1"), warm.localPort())
    assert wait_pending(warm) and warm.readDatagram(10)[0] == b"warm"
    sent = [payload(i, size - i % 7) for i in range(n)]
    before = vm_size_kib()
    socks = [bound() for _ in range(n)]
    growth = []
    for _ in range(2):
        for s, p in zip(socks, sent, strict=True):
            assert tx.writeDatagram(p, QHostAddress("127.0.0.1"), s.localPort()) == len(p)
        # hasPendingDatagrams() takes each datagram from the kernel into the
        # socket's ring, where it stays until read.
        assert all(wait_pending(s) for s in socks)
        growth.append(vm_size_kib() - before)
        got = [s.readDatagram(size)[0] for s in socks]
        assert got == sent
        del got
        # Reading finds each queue empty: the rings give their memory back,
        # so the second round reuses it.
        assert not any(s.hasPendingDatagrams() for s in socks)
    for s in socks:
        s.close()
    assert growth[0] < bound_mib * 1024, f"{n} sockets holding {size} B each: +{growth[0]} KiB"
    assert growth[1] - growth[0] < 4 * 1024, f"second round: +{growth[1] - growth[0]} KiB more"
