"""All cores: the LoadBalance bind flag (SO_REUSEPORT groups) and the batch
calls releasing the GIL around their system calls.

Everything runs on the private namespace's loopback (tests/conftest.py)."""

from __future__ import annotations

import select
import struct
import sys
import threading
import time
from collections.abc import Iterator

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


# -- the GIL around the batch calls' system calls -----------------------------


@pytest.fixture
def no_forced_switch() -> Iterator[None]:
    # With a long switch interval a thread waiting for the GIL only gets it
    # when the holder releases it on its own (here: around a system call).
    old = sys.getswitchinterval()
    sys.setswitchinterval(30.0)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


class Watcher:
    """A thread that counts the times it ran while the main thread was
    inside a call (`inside` is set and cleared by the main thread only)."""

    def __init__(self) -> None:
        self.inside = False
        self.hits = 0
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop:
            if self.inside:
                self.hits += 1
            time.sleep(0)  # give the GIL back, then wait for it again

    def __enter__(self) -> Watcher:
        self.thread.start()
        time.sleep(0.05)  # the watcher is now waiting for the GIL
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop = True
        self.thread.join(5)


BIG = 8000  # large datagrams make each recvmmsg/sendmmsg copy take a while


def queued(rx: QUdpSocket, tx: QUdpSocket, n: int, first: int) -> None:
    data = [struct.pack("!I", first + i) * (BIG // 4) for i in range(n)]
    assert tx.writeDatagrams(data, rx.localAddress(), rx.localPort()) == n
    # Wait without reading: waitForReadyRead would prefetch into the ring
    # (with the GIL held) and leave the batch call no system call to time.
    assert select.select([rx.socketDescriptor()], [], [], 2)[0]


@pytest.mark.parametrize(
    "call", ["readPayloads", "readDatagrams", "receiveDatagrams", "readDatagramsInto"]
)
def test_batch_receive_releases_the_gil(no_forced_switch: None, call: str) -> None:
    import array

    rx = bound("127.0.0.1")
    rx.setSocketOption(QAbstractSocket.ReceiveBufferSizeSocketOption, 8 << 20)
    rx.setReadBatchSize(1024)
    # What the kernel's buffer surely holds (truesize is below 2x payload).
    rcvbuf = rx.socketOption(QAbstractSocket.ReceiveBufferSizeSocketOption)
    n = min(300, int(rcvbuf or 0) // (2 * BIG))
    assert n >= 10
    tx = bound("127.0.0.1")
    buf = bytearray(BIG * 1024)
    sizes = array.array("q", [0] * 1024)
    got: list[int] = []
    with Watcher() as w:
        # Each round gives the waiting thread one window of a large copy;
        # a few rounds make missing them all unlikely.
        for r in range(20):
            queued(rx, tx, n, r * n)
            for _ in range(10):
                w.inside = True
                if call == "readDatagramsInto":
                    k = rx.readDatagramsInto(buf, sizes)
                    out = [bytes(buf[i * BIG : i * BIG + 4]) for i in range(k)]
                    assert list(sizes[:k]) == [BIG] * k
                else:
                    out = getattr(rx, call)(1024)
                    if call == "readDatagrams":
                        out = [d for d, _, _ in out]
                    elif call == "receiveDatagrams":
                        out = [d.data() for d in out]
                w.inside = False
                got.extend(struct.unpack("!I", bytes(d[:4]))[0] for d in out)
                if len(got) == (r + 1) * n:
                    break
            if w.hits:
                break
    assert got == list(range(len(got))) and len(got) % n == 0, "every datagram once, in order"
    assert w.hits > 0, "no other thread ran during the receive system calls"


def test_write_datagrams_releases_the_gil(no_forced_switch: None) -> None:
    rx = bound("127.0.0.1")
    tx = bound("127.0.0.1")
    payloads = [bytes(BIG)] * 512
    with Watcher() as w:
        for _ in range(10):
            w.inside = True
            n = tx.writeDatagrams(payloads, rx.localAddress(), rx.localPort())
            w.inside = False
            assert n == len(payloads)
    assert w.hits > 0, "no other thread ran during the send system calls"


def test_threads_sharing_one_socket_get_each_datagram_once_in_order() -> None:
    # Refills run without the lock: another thread's read must neither lose
    # a datagram nor take one out of order meanwhile.
    rx = bound("127.0.0.1")
    rx.setSocketOption(QAbstractSocket.ReceiveBufferSizeSocketOption, 16 << 20)
    tx = bound("127.0.0.1")
    total = 4000  # well within the 16 MiB asked (8 MiB on a default rmem_max)
    for i in range(total):
        assert tx.writeDatagram(struct.pack("!I", i), rx.localAddress(), rx.localPort()) == 4
    assert rx.waitForReadyRead(2000)
    seen: list[list[int]] = [[], [], []]

    def batch(k: int) -> None:
        end = time.monotonic() + 10
        while sum(map(len, seen)) < total and time.monotonic() < end:
            seen[k].extend(struct.unpack("!I", p)[0] for p in rx.readPayloads(64))

    def single() -> None:
        end = time.monotonic() + 10
        while sum(map(len, seen)) < total and time.monotonic() < end:
            if rx.hasPendingDatagrams():
                d, _, _ = rx.readDatagram(16)
                if d:
                    seen[2].append(struct.unpack("!I", d)[0])

    ts = [threading.Thread(target=batch, args=(0,)), threading.Thread(target=batch, args=(1,))]
    ts.append(threading.Thread(target=single))
    for t in ts:
        t.start()
    for t in ts:
        t.join(15)
    assert sorted(seen[0] + seen[1] + seen[2]) == list(range(total))
    for s in seen:
        assert s == sorted(s)


# -- the example ----------------------------------------------------------------


@linux
@pytest.mark.parametrize("how", ["--threads", "--processes"])
def test_reuseport_example_receives_every_datagram(how: str) -> None:
    import subprocess
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / "examples" / "reuseport_receiver.py"
    probe = bound("127.0.0.1")
    port = probe.localPort()
    probe.close()
    proc = subprocess.Popen(
        [sys.executable, str(example), "--port", str(port), how, "2", "--seconds", "4"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        for _ in range(2):
            assert "listening" in proc.stdout.readline()
        senders = [bound("127.0.0.1") for _ in range(32)]
        for k in range(10):
            for s in senders:
                assert s.writeDatagram(bytes([k]), QHostAddress.LocalHost, port) == 1
        out, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
    counts = [
        int(line.split(": ")[1].split()[0]) for line in out.splitlines() if "datagrams" in line
    ]
    assert len(counts) == 2 and sum(counts) == 320, out
    assert all(counts), "the kernel spread 32 flows over both receivers"
