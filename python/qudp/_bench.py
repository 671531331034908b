"""``python -m qudp bench``: how fast is qudp on this machine?

A sender process floods a receiver process on loopback (inside a private
network namespace when the system allows one) for a fixed window; each
contender's receiver reports the datagrams it read and the CPU time it
spent. Every contender is busy the whole window, so CPU per datagram
compares them fairly; every datagram the sender sent is accounted for as
received or dropped by the kernel (the drop counter of /proc/net/udp).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import fcntl
import json
import os
import resource
import socket
import statistics
import struct
import subprocess
import sys
import time
from collections.abc import Callable

PAYLOAD = 64
RCVBUF = 4 << 20


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _kernel_drops(port: int) -> int | None:
    """The receive-queue drop counter of the UDP socket bound to `port`."""
    try:
        with open("/proc/net/udp") as f:
            next(f)
            for line in f:
                cols = line.split()
                if int(cols[1].split(":")[1], 16) == port:
                    return int(cols[-1])
    except (OSError, ValueError, IndexError):
        return None
    return None


# Receivers: each binds 127.0.0.1:0, returns (port, run) where run(seconds)
# reads until the window ends and returns the datagrams it read.


def _qudp_socket() -> object:
    from qudp import QHostAddress, QUdpSocket

    s = QUdpSocket()
    assert s.bind(QHostAddress.LocalHost, 0), s.errorString()
    s.setSocketOption(QUdpSocket.SocketOption.ReceiveBufferSizeSocketOption, RCVBUF)
    return s


def _qudp_loop(s: object, slot: Callable[[], None], seconds: float) -> None:
    from qudp import QEventLoop, QTimer

    loop = QEventLoop()
    s.readyRead.connect(slot)  # type: ignore[attr-defined]
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    s.readyRead.disconnect(slot)  # type: ignore[attr-defined]


def rx_qudp_pattern() -> tuple[int, Callable[[float], int]]:
    s = _qudp_socket()
    n = [0]

    def slot() -> None:  # Qt's documented readPendingDatagrams()
        while s.hasPendingDatagrams():  # type: ignore[attr-defined]
            s.readDatagram(s.pendingDatagramSize())  # type: ignore[attr-defined]
            n[0] += 1

    def run(seconds: float) -> int:
        before = n[0]
        _qudp_loop(s, slot, seconds)
        return n[0] - before

    return s.localPort(), run  # type: ignore[attr-defined]


def rx_qudp_batch() -> tuple[int, Callable[[float], int]]:
    s = _qudp_socket()
    n = [0]

    def slot() -> None:
        n[0] += len(s.readPayloads())  # type: ignore[attr-defined]

    def run(seconds: float) -> int:
        before = n[0]
        _qudp_loop(s, slot, seconds)
        return n[0] - before

    return s.localPort(), run  # type: ignore[attr-defined]


def _py_socket() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.05)
    return s


def _py_loop(into: bool) -> tuple[int, Callable[[float], int]]:
    """A plain blocking loop: recvfrom(65536), or recvfrom_into a buffer."""
    s = _py_socket()
    # A bound method and its one argument: no extra Python call per datagram.
    recv: Callable[..., object] = s.recvfrom_into if into else s.recvfrom
    arg: object = bytearray(65536) if into else 65536

    def run(seconds: float) -> int:
        n, end = 0, time.monotonic() + seconds
        while True:
            try:
                for _ in range(256):
                    recv(arg)
                    n += 1
            except TimeoutError:
                pass
            if time.monotonic() >= end:
                return n

    return s.getsockname()[1], run


def rx_python_recvfrom() -> tuple[int, Callable[[float], int]]:
    return _py_loop(into=False)


def rx_python_recvfrom_into() -> tuple[int, Callable[[float], int]]:
    return _py_loop(into=True)


def rx_uvloop() -> tuple[int, Callable[[float], int]]:
    import asyncio

    import uvloop

    loop = uvloop.new_event_loop()
    n = [0]

    class Proto(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: object) -> None:
            n[0] += 1

    sock = _py_socket()
    sock.setblocking(False)
    loop.run_until_complete(loop.create_datagram_endpoint(Proto, sock=sock))

    def run(seconds: float) -> int:
        before = n[0]
        loop.run_until_complete(asyncio.sleep(seconds))
        return n[0] - before

    return sock.getsockname()[1], run


def rx_pyside6() -> tuple[int, Callable[[float], int]]:
    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtNetwork import QHostAddress, QUdpSocket

    app = QCoreApplication.instance() or QCoreApplication([])
    s = QUdpSocket()
    assert s.bind(QHostAddress.SpecialAddress.LocalHost, 0)
    s.setSocketOption(QUdpSocket.SocketOption.ReceiveBufferSizeSocketOption, RCVBUF)
    n = [0]

    def slot() -> None:
        while s.hasPendingDatagrams():
            s.readDatagram(s.pendingDatagramSize())
            n[0] += 1

    def run(seconds: float) -> int:
        before = n[0]
        s.readyRead.connect(slot)
        QTimer.singleShot(int(seconds * 1000), app.quit)
        app.exec()
        s.readyRead.disconnect(slot)
        return n[0] - before

    return s.localPort(), run


CONTENDERS: dict[str, tuple[str, Callable[[], tuple[int, Callable[[float], int]]], str | None]] = {
    "qudp-readyread": ("qudp, Qt's readyRead pattern", rx_qudp_pattern, None),
    "qudp-batch": ("qudp, readPayloads() in readyRead", rx_qudp_batch, None),
    "python-recvfrom": ("Python socket, blocking recvfrom loop", rx_python_recvfrom, None),
    "python-recvfrom-into": ("Python socket, recvfrom_into loop", rx_python_recvfrom_into, None),
    "uvloop": ("uvloop DatagramProtocol", rx_uvloop, "uvloop"),
    "pyside6": ("PySide6 QUdpSocket, readyRead pattern", rx_pyside6, "PySide6"),
}
REFERENCE = "python-recvfrom"


def worker(name: str, seconds: float) -> None:
    """Child process: set up, print the port, wait for 'go', measure, report."""
    port, run = CONTENDERS[name][1]()
    print(port, flush=True)
    sys.stdin.readline()
    cpu0, t0 = _cpu(), time.monotonic()
    got = run(seconds)
    cpu1, t1 = _cpu(), time.monotonic()
    sys.stdin.readline()  # the sender has finished
    drops = _kernel_drops(port)
    late = run(0.3)  # what is still queued, for the accounting only
    print(
        json.dumps(
            {
                "received": got,
                "cpu": cpu1 - cpu0,
                "wall": t1 - t0,
                "late": late,
                "drops": drops,
            }
        ),
        flush=True,
    )


def sender(port: int, seconds: float) -> None:
    """Child process: flood 127.0.0.1:port, say when it started, print the count."""
    from qudp import QHostAddress, QUdpSocket

    s = QUdpSocket()
    # Two sizes, so writeDatagrams uses sendmmsg: a GSO super-packet that
    # does not fit the receive queue is dropped whole but counted once.
    batch = [bytes(PAYLOAD), bytes(PAYLOAD + 1)] * 32
    sent = max(s.writeDatagrams(batch, QHostAddress.LocalHost, port), 0)
    print("ready", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sent += max(s.writeDatagrams(batch, QHostAddress.LocalHost, port), 0)
    print(sent, flush=True)


def _child(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "qudp._bench", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def measure(name: str, seconds: float) -> dict[str, float | int | None]:
    rx = _child(["worker", name, str(seconds)])
    assert rx.stdin is not None and rx.stdout is not None
    port = int(rx.stdout.readline())
    tx = _child(["sender", str(port), str(seconds + 0.3)])
    assert tx.stdout is not None
    tx.stdout.readline()  # sending
    time.sleep(0.05)  # the queue fills: the receiver is busy from the first instant
    rx.stdin.write("go\n")
    rx.stdin.flush()
    sent = int(tx.stdout.readline())
    tx.wait(10)
    rx.stdin.write("done\n")
    rx.stdin.flush()
    line = rx.stdout.readline()
    rx.wait(10)
    r: dict[str, float | int | None] = json.loads(line)
    r["sent"] = sent
    total = int(r["received"] or 0) + int(r["late"] or 0)
    drops = r["drops"]
    r["accounted"] = drops is not None and total + int(drops) == sent
    return r


def _enter_netns() -> str | None:
    """A private network namespace with its own loopback; None, or why not."""
    if not sys.platform.startswith("linux"):
        return "not Linux"
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    newnet, newuser = 0x40000000, 0x10000000
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:
        ok = libc.unshare(newnet) == 0
    else:
        ok = libc.unshare(newuser | newnet) == 0
        if ok:
            with open("/proc/self/setgroups", "w") as f:
                f.write("deny")
            with open("/proc/self/uid_map", "w") as f:
                f.write(f"0 {uid} 1")
            with open("/proc/self/gid_map", "w") as f:
                f.write(f"0 {gid} 1")
    if not ok:
        return os.strerror(ctypes.get_errno())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH", b"lo", 0) + b"\0" * 22
        flags = struct.unpack("16sH", fcntl.ioctl(s.fileno(), 0x8913, req)[:18])[1]
        fcntl.ioctl(s.fileno(), 0x8914, struct.pack("16sH", b"lo", flags | 1) + b"\0" * 22)
    return None


def _available(module: str | None) -> bool:
    if module is None:
        return True
    import importlib.util

    return importlib.util.find_spec(module) is not None


def run(seconds: float, rounds: int, plot: str | None) -> int:
    why = _enter_netns()
    where = "a private network namespace" if why is None else f"the host's loopback ({why})"
    print(
        f"qudp bench: 64-byte datagrams on {where}, {rounds} x {seconds:g} s each", file=sys.stderr
    )
    names = [n for n, (_, _, mod) in CONTENDERS.items() if _available(mod)]
    results: dict[str, list[dict[str, float | int | None]]] = {n: [] for n in names}
    for r in range(rounds):
        for n in names:  # interleaved rounds: drift in the machine hits everyone
            print(f"  round {r + 1}/{rounds}: {n} ...", end="", file=sys.stderr, flush=True)
            res = measure(n, seconds)
            results[n].append(res)
            flag = "" if res["accounted"] else " (not accounted!)"
            print(f" {int(res['received'] or 0):,} datagrams{flag}", file=sys.stderr)
    rows: list[tuple[str, float, float, float, bool]] = []
    for n in names:
        rs = results[n]
        per = [float(x["cpu"] or 0) / max(int(x["received"] or 0), 1) * 1e6 for x in rs]
        rate = [int(x["received"] or 0) / float(x["wall"] or 1) for x in rs]
        busy = [float(x["cpu"] or 0) / float(x["wall"] or 1) for x in rs]
        ok = all(x["accounted"] for x in rs)
        rows.append(
            (n, statistics.median(per), statistics.median(rate), statistics.median(busy), ok)
        )
    ref = {r[0]: r[1] for r in rows}.get(REFERENCE)
    print()
    print(f"{'contender':40} {'CPU us/dgram':>12} {'dgrams/s':>11} {'busy':>5} {'vs Python':>9}")
    for name, cpu, dps, frac, good in rows:
        ratio = f"{ref / cpu:.2f}x" if ref else "-"
        notes = ("" if good else "  unaccounted datagrams!") + (
            "" if frac >= 0.8 else "  sender-limited"
        )
        print(f"{CONTENDERS[name][0]:40} {cpu:12.2f} {dps:11,.0f} {frac:5.0%} {ratio:>9}{notes}")
    print()
    print("Medians of the rounds. CPU us/dgram: the receiver's CPU time per datagram")
    print("read; busy: its CPU time over the window (a receiver below 80 % was not")
    print("saturated by the sender, and its figure includes idle wake-ups); 'vs Python':")
    print("the blocking recvfrom loop's CPU per datagram over this one's (higher is")
    print("better). Absolute figures vary between machines; ratios from one run travel.")
    if plot:
        _plot(rows, plot)
    return 0


def _plot(rows: list[tuple[str, float, float, float, bool]], path: str) -> None:
    import importlib

    try:
        matplotlib = importlib.import_module("matplotlib")
        matplotlib.use("Agg")
        plt = importlib.import_module("matplotlib.pyplot")
    except ImportError:
        print("--plot needs matplotlib (pip install matplotlib)", file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.5 * len(rows)))
    ax.barh([CONTENDERS[n][0] for n, *_ in rows], [r[1] for r in rows], color="#4477aa")
    ax.invert_yaxis()
    ax.set_xlabel("receiver CPU per datagram (us), lower is better")
    ax.set_title("qudp bench: 64-byte datagrams, saturating sender")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot written to {path}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "worker":
        worker(argv[1], float(argv[2]))
        return 0
    if argv and argv[0] == "sender":
        sender(int(argv[1]), float(argv[2]))
        return 0
    p = argparse.ArgumentParser(prog="qudp bench", description=__doc__)
    p.add_argument("--seconds", type=float, default=0.5, help="window per measurement")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--plot", metavar="FILE", help="write a PNG bar chart (needs matplotlib)")
    a = p.parse_args(argv)
    return run(a.seconds, a.rounds, a.plot)


if __name__ == "__main__":
    sys.exit(main())
