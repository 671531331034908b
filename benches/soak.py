"""Soak: millions of datagrams checked one by one, and many socket lifecycles.

    python benches/soak.py            # 10,000,000 datagrams per pattern, 100,000 lifecycles
    python benches/soak.py --quick    # 200,000 datagrams per pattern, 10,000 lifecycles

Patterns (``--modes``, all by default):

  readyread   Qt's pattern: a readyRead slot under QEventLoop.exec() reads
              ``while hasPendingDatagrams(): readDatagram(2048)``.
  batch       a readyRead slot calls ``readPayloads(1024)`` once per emission.
  lifecycles  sockets created, bound, given a bound-method readyRead slot and
              a datagram that is still pending at close(); the last 8 closed
              ones stay referenced (a collector's backlog).

Each datagram carries a sequence number and a CRC-32 of the sequence number
and the body (12-byte header, bodies of 0..1200 bytes from a seeded pool):
the receiver checks the CRC and the length of every datagram, that sequence
numbers only increase (no duplicate, no reordering), and that the gaps
equal the kernel's drop counter (SO_RXQ_OVFL through setDropCounting /
droppedDatagrams) as of the last datagram read. The sender is a separate
process using the standard library's socket (an independent implementation),
paced at ``--rate`` datagrams/s (0: as fast as it can); after the last
datagram it sends end markers every 20 ms until stopped, and the receiver
stops at the first one it sees. RSS is sampled every second (lifecycles:
every 1/10 of the run) and descriptors are counted.

Loopback only: the runner enters a private network namespace when it can
(tests/netns.py), and every phase ends by its deadline. Exit status 1 when
any check fails.
"""

from __future__ import annotations

import argparse
import collections
import gc
import json
import os
import random
import socket
import struct
import subprocess
import sys
import time
import zlib
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = struct.Struct("<QI")
POOL_SEED = 20261206
POOL_SIZE = 509  # prime: body and sequence number do not line up with batch sizes


def body_pool() -> list[bytes]:
    rnd = random.Random(POOL_SEED)
    sizes = [0, 1, 2, 63, 64, 1200] + [rnd.randrange(0, 1201) for _ in range(POOL_SIZE - 6)]
    return [rnd.randbytes(n) for n in sizes]


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


# --------------------------------------------------------------------------
# Sender (a separate process, standard library only)


def sender(port: int, count: int, rate: int) -> None:
    pool = body_pool()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    dest = ("127.0.0.1", port)
    pack = HEADER.pack
    crc32 = zlib.crc32
    t0 = time.perf_counter()
    seq = 0
    while seq < count:
        stop = min(seq + 64, count)
        while seq < stop:
            body = pool[seq % POOL_SIZE]
            head = seq.to_bytes(8, "little")
            s.sendto(pack(seq, crc32(body, crc32(head))) + body, dest)
            seq += 1
        if rate:
            ahead = seq / rate - (time.perf_counter() - t0)
            if ahead > 0:
                time.sleep(ahead)
    # End markers, each with its own sequence number, until the parent stops us.
    end = b"END"
    while True:
        head = seq.to_bytes(8, "little")
        s.sendto(pack(seq, crc32(end, crc32(head))) + end, dest)
        seq += 1
        time.sleep(0.02)


# --------------------------------------------------------------------------
# Receiver side


class Checker:
    """Checks every datagram; counts gaps (losses) and anything wrong."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.pool_len = [len(b) for b in body_pool()]
        self.next = 0
        self.received = 0
        self.lost = 0
        self.bad = 0
        self.backwards = 0  # duplicated or reordered
        self.done = False
        self.first_bad: str | None = None

    def check(self, d: bytes) -> None:
        if len(d) < HEADER.size:
            self._bad(f"short datagram of {len(d)} bytes")
            return
        seq, crc = HEADER.unpack_from(d)
        mv = memoryview(d)
        if zlib.crc32(mv[12:], zlib.crc32(mv[:8])) != crc:
            self._bad(f"CRC mismatch at seq {seq}")
            return
        if seq < self.count and len(d) != HEADER.size + self.pool_len[seq % POOL_SIZE]:
            self._bad(f"length {len(d)} at seq {seq}")
            return
        if seq < self.next:
            self.backwards += 1
            return
        self.lost += seq - self.next
        self.next = seq + 1
        if seq >= self.count:
            self.done = True
        else:
            self.received += 1

    def _bad(self, why: str) -> None:
        self.bad += 1
        if self.first_bad is None:
            self.first_bad = why


def start_sender(port: int, count: int, rate: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--sender", str(port), str(count), str(rate)]
    )


def stream(
    mode: str, count: int, rate: int, max_seconds: float, rcvbuf: int, pause_every: int
) -> dict[str, Any]:
    from qudp import QAbstractSocket, QEventLoop, QHostAddress, QTimer, QUdpSocket

    loop = QEventLoop()
    rx = QUdpSocket()
    assert rx.bind(QHostAddress("127.0.0.1"), 0), rx.errorString()
    rx.setSocketOption(QAbstractSocket.SocketOption.ReceiveBufferSizeSocketOption, rcvbuf)
    assert rx.setDropCounting(True), "drop counting (SO_RXQ_OVFL) is not available"
    chk = Checker(count)
    check = chk.check
    emissions = 0
    next_pause = [pause_every or count + 1]

    def maybe_pause() -> None:
        # A receiver that stops now and then (a GC pause, a slow slot): the
        # kernel queue overflows and its drop counter must match the gaps.
        if chk.received >= next_pause[0]:
            next_pause[0] += pause_every
            time.sleep(0.05)

    if mode == "readyread":

        def slot() -> None:
            nonlocal emissions
            emissions += 1
            while rx.hasPendingDatagrams():
                check(rx.readDatagram(2048)[0])
            maybe_pause()
            if chk.done:
                loop.quit()

    else:

        def slot() -> None:
            nonlocal emissions
            emissions += 1
            for d in rx.readPayloads(1024):
                check(d)
            maybe_pause()
            if chk.done:
                loop.quit()

    rx.readyRead.connect(slot)
    samples: list[tuple[float, float, int]] = []
    t0 = time.monotonic()
    last_progress = [t0, 0]
    stalled = False

    def tick() -> None:
        nonlocal stalled
        now = time.monotonic()
        samples.append((round(now - t0, 1), round(rss_mib(), 2), chk.received))
        if chk.next != last_progress[1]:
            last_progress[:] = [now, chk.next]
        elif now - last_progress[0] > 5:
            stalled = True  # nothing new for 5 s although the sender keeps sending
            loop.quit()
        if now - t0 > max_seconds:
            loop.quit()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(1000)
    proc = start_sender(rx.localPort(), count, rate)
    cpu0 = time.process_time()
    try:
        loop.exec()
    finally:
        proc.kill()
        proc.wait()
        timer.stop()
    seconds = time.monotonic() - t0
    cpu = time.process_time() - cpu0
    tick_rss = [s[1] for s in samples]
    drops = rx.droppedDatagrams()
    rx.close()
    warm = tick_rss[len(tick_rss) // 10 :] or tick_rss or [rss_mib()]
    out = {
        "mode": mode,
        "sent": count,
        "received": chk.received,
        "lost": chk.lost,
        "kernel_drops": drops,
        "bad": chk.bad,
        "first_bad": chk.first_bad,
        "backwards": chk.backwards,
        "completed": chk.done,
        "stalled": stalled,
        "emissions": emissions,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "us_per_datagram_cpu": round(cpu / max(chk.received, 1) * 1e6, 2),
        "rss_first_mib": tick_rss[0] if tick_rss else None,
        "rss_warm_min_mib": min(warm),
        "rss_warm_max_mib": max(warm),
        "rss_samples": samples,
    }
    out["ok"] = bool(
        chk.done
        and not stalled
        and chk.bad == 0
        and chk.backwards == 0
        # Linux omits the SO_RXQ_OVFL message while the count is 0, and
        # droppedDatagrams() stays None until a datagram carried it.
        and chk.lost == (drops or 0)
        and max(warm) - min(warm) < 8
    )
    return out


class _Receiver:
    def __init__(self, sock_cls: Any) -> None:
        self.sock = sock_cls()
        self.reads = 0
        self.sock.readyRead.connect(self.on_ready_read)

    def on_ready_read(self) -> None:
        self.reads += 1


def lifecycles(count: int, max_seconds: float) -> dict[str, Any]:
    from qudp import QHostAddress, QUdpSocket

    local = QHostAddress("127.0.0.1")
    tx = QUdpSocket()
    assert tx.bind(local, 0)
    keep: collections.deque[_Receiver] = collections.deque(maxlen=8)

    def one() -> None:
        r = _Receiver(QUdpSocket)
        s = r.sock
        assert s.bind(local, 0), s.errorString()
        tx.writeDatagram(b"x" * 64, local, s.localPort())
        assert s.waitForReadyRead(2000) and s.hasPendingDatagrams()
        s.close()
        keep.append(r)

    for _ in range(300):
        one()
    keep.clear()
    gc.collect()
    rss0, fds0 = rss_mib(), fd_count()
    samples = [(0, round(rss0, 2), fds0)]
    t0 = time.monotonic()
    done = 0
    step = max(count // 10, 1)
    while done < count and time.monotonic() - t0 < max_seconds:
        for _ in range(min(step, count - done)):
            one()
        done += min(step, count - done)
        samples.append((done, round(rss_mib(), 2), fd_count()))
    keep.clear()
    gc.collect()
    rss1, fds1 = rss_mib(), fd_count()
    peak = max(s[1] for s in samples)
    out = {
        "mode": "lifecycles",
        "lifecycles": done,
        "seconds": round(time.monotonic() - t0, 1),
        "rss_before_mib": round(rss0, 2),
        "rss_peak_mib": peak,
        "rss_after_mib": round(rss1, 2),
        "fds_before": fds0,
        "fds_max": max(s[2] for s in samples),
        "fds_after": fds1,
        "samples": samples,
    }
    out["ok"] = done == count and fds1 == fds0 and out["fds_max"] <= fds0 + 9 and peak - rss0 < 8
    return out


def enter_netns() -> str:
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
    import netns

    problem = netns.enter()
    return "private network namespace" if problem is None else f"host loopback ({problem})"


def report(results: list[dict[str, Any]]) -> str:
    lines = [
        "| pattern | sent | received | lost | kernel drops | altered | dup/reordered "
        "| seconds | CPU us/dgram | RSS first / warm min..max MiB | ok |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in results:
        if r["mode"] == "lifecycles":
            continue
        lines.append(
            f"| {r['mode']} | {r['sent']:,} | {r['received']:,} | {r['lost']:,} "
            f"| {r['kernel_drops']} | {r['bad']} | {r['backwards']} | {r['seconds']} "
            f"| {r['us_per_datagram_cpu']} | {r['rss_first_mib']} / {r['rss_warm_min_mib']}.."
            f"{r['rss_warm_max_mib']} | {'yes' if r['ok'] else 'NO'} |"
        )
    for r in results:
        if r["mode"] == "lifecycles":
            lines.append("")
            lines.append(
                f"lifecycles: {r['lifecycles']:,} in {r['seconds']} s; RSS "
                f"{r['rss_before_mib']} -> peak {r['rss_peak_mib']} -> {r['rss_after_mib']} MiB; "
                f"descriptors {r['fds_before']} -> max {r['fds_max']} -> {r['fds_after']}; "
                f"{'ok' if r['ok'] else 'NOT FLAT'}"
            )
    return "\n".join(lines)


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--sender":
        sender(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="200,000 datagrams, 10,000 lifecycles")
    p.add_argument("--datagrams", type=int, help="per pattern (default 10,000,000)")
    p.add_argument("--lifecycles", type=int, help="default 100,000")
    p.add_argument("--rate", type=int, default=150_000, help="datagrams/s, 0 = flood")
    p.add_argument("--modes", default="readyread,batch,lifecycles")
    p.add_argument("--max-seconds", type=float, help="per phase (default from the counts)")
    p.add_argument("--rcvbuf", type=int, default=4 << 20, help="receive buffer (bytes)")
    p.add_argument(
        "--pause-every", type=int, default=0, help="receiver sleeps 50 ms every N datagrams"
    )
    p.add_argument("--json", help="write all results here")
    p.add_argument("--no-netns", action="store_true", help="stay on the host's loopback")
    args = p.parse_args()
    count = args.datagrams or (200_000 if args.quick else 10_000_000)
    cycles = args.lifecycles or (10_000 if args.quick else 100_000)
    where = "host loopback (--no-netns)" if args.no_netns else enter_netns()
    print(
        f"qudp soak: {count:,} datagrams per pattern at {args.rate or 'flood'}/s, "
        f"{cycles:,} lifecycles; {where}",
        flush=True,
    )
    results = []
    for mode in args.modes.split(","):
        if mode == "lifecycles":
            limit = args.max_seconds or 60 + cycles / 500
            r = lifecycles(cycles, limit)
        else:
            limit = args.max_seconds or 120 + count / 15_000
            r = stream(mode, count, args.rate, limit, args.rcvbuf, args.pause_every)
        results.append(r)
        print(json.dumps({k: v for k, v in r.items() if "samples" not in k}), flush=True)
    text = report(results)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "where": where, "results": results}, f, indent=1)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
