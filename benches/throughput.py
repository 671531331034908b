"""qudp to qudp throughput with GSO/GRO against a C sendmmsg -> recvmmsg pair,
and memory while receiving millions of datagrams.

    python benches/throughput.py [--seconds 3] [--rounds 3] [--soak 10000000]

Runs in a private network namespace (loopback only). The C pair is
benches/cbench.c (compiled at run time). Every load loop is bounded in time.
Datagrams counted are those the receiver got; what the kernel dropped is
reported separately (received + dropped <= sent, as on any UDP path).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

RECEIVER = r"""
import json, os, sys, time
from qudp import QHostAddress, QUdpSocket, QAbstractSocket
secs, rcvbuf, mode = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = QUdpSocket()
s.bind(QHostAddress.LocalHost, 0)
s.setSocketOption(QAbstractSocket.ReceiveBufferSizeSocketOption, rcvbuf)
if mode == "gro":
    s.setReceiveCoalescing(True)
    s.setPacketInformation(False)
s.setReadBatchSize(256)
print(s.localPort(), flush=True)
sys.stdin.readline()
n = 0
end = time.monotonic() + secs
while time.monotonic() < end:
    got = s.readPayloads(4096)
    if got:
        n += len(got)
    else:
        s.waitForReadyRead(50)
print(json.dumps({"received": n}), flush=True)
"""

SENDER = r"""
import json, sys, time
from qudp import QHostAddress, QUdpSocket
port, secs, size = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
s = QUdpSocket()
s.bind(QHostAddress.LocalHost, 0)
host = QHostAddress.LocalHost
chunk = [b"x" * size] * 64
sent = 0
end = time.monotonic() + secs
while time.monotonic() < end:
    k = s.writeDatagrams(chunk, host, port)
    if k > 0:
        sent += k
print(json.dumps({"sent": sent}), flush=True)
"""

SOAK = r"""
import json, os, sys, time
from qudp import QAbstractSocket, QEventLoop, QHostAddress, QTimer, QUdpSocket
target, limit = int(sys.argv[1]), float(sys.argv[2])
page = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * page
s = QUdpSocket()
s.bind(QHostAddress.LocalHost, 0)
s.setSocketOption(QAbstractSocket.ReceiveBufferSizeSocketOption, 8 << 20)
print(s.localPort(), flush=True)
loop = QEventLoop()
got = 0
samples = []
def read():
    global got
    while s.hasPendingDatagrams():
        s.readDatagram(s.pendingDatagramSize())
        got += 1
    if got >= target:
        loop.quit()
s.readyRead.connect(read)
t = QTimer()
t.timeout.connect(lambda: samples.append(rss()))
t.start(250)
QTimer.singleShot(int(limit * 1000), loop.quit)
samples.append(rss())
t0 = time.monotonic()
loop.exec()
print(json.dumps({"received": got, "seconds": time.monotonic() - t0,
                  "rss_first": samples[1] if len(samples) > 1 else samples[0],
                  "rss_max": max(samples), "rss_last": samples[-1], "samples": len(samples)}),
      flush=True)
"""


def pinned(cpu: int):  # type: ignore[no-untyped-def]
    def pre() -> None:
        try:
            os.sched_setaffinity(0, {cpu % os.cpu_count()})  # type: ignore[operator]
        except OSError:
            pass

    return pre


def build_c() -> Path | None:
    gcc = shutil.which("gcc") or shutil.which("cc")
    if not gcc:
        return None
    out = Path(tempfile.gettempdir()) / "qudp-cbench"
    r = subprocess.run([gcc, "-O2", "-o", str(out), str(HERE / "cbench.c")], capture_output=True)
    return out if r.returncode == 0 else None


def c_pair(cb: Path, size: int, secs: float) -> tuple[int, int]:
    rx = subprocess.Popen(
        [str(cb), "recv", "recvmmsg", str(8 << 20)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=pinned(1),
    )
    assert rx.stdin and rx.stdout
    port = int(rx.stdout.readline().split()[1])
    rx.stdin.write(f"window {secs}\n")
    rx.stdin.flush()
    tx = subprocess.run(
        [str(cb), "blast", str(port), str(secs), str(size)],
        capture_output=True,
        text=True,
        preexec_fn=pinned(0),
        timeout=secs + 30,
    )
    got = json.loads(rx.stdout.readline())["received"]
    rx.stdin.write("exit\n")
    rx.stdin.flush()
    rx.wait(10)
    return got, json.loads(tx.stdout)["sent"]


def qudp_pair(size: int, secs: float, mode: str) -> tuple[int, int]:
    py = sys.executable
    rx = subprocess.Popen(
        [py, "-c", RECEIVER, str(secs), str(8 << 20), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=pinned(1),
    )
    assert rx.stdin and rx.stdout
    port = int(rx.stdout.readline())
    rx.stdin.write("go\n")
    rx.stdin.flush()
    tx = subprocess.run(
        [py, "-c", SENDER, str(port), str(secs), str(size)],
        capture_output=True,
        text=True,
        preexec_fn=pinned(0),
        timeout=secs + 30,
    )
    got = json.loads(rx.stdout.readline())["received"]
    rx.wait(10)
    return got, json.loads(tx.stdout)["sent"]


def soak(n: int, limit: float) -> dict[str, float]:
    py = sys.executable
    rx = subprocess.Popen(
        [py, "-c", SOAK, str(n), str(limit)],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=pinned(1),
    )
    assert rx.stdout
    port = int(rx.stdout.readline())
    tx = subprocess.Popen(
        [py, "-c", SENDER, str(port), str(limit), "64"],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=pinned(0),
    )
    out = json.loads(rx.stdout.readline())
    tx.kill()
    tx.wait(10)
    rx.wait(10)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--soak", type=int, default=10_000_000, help="datagrams (0: skip)")
    ap.add_argument("--soak-limit", type=float, default=90.0, help="seconds at most")
    a = ap.parse_args()
    import netns

    why = netns.enter()
    print(f"network: {'private namespace' if why is None else 'host loopback: ' + why}")
    cb = build_c()
    print("| payload | C sendmmsg -> recvmmsg (dgram/s) | qudp GSO -> GRO (dgram/s) | x C |")
    print("|---:|---:|---:|---:|")
    for size in (64, 1200):
        c_rates, q_rates, ratios = [], [], []
        for _ in range(a.rounds):
            c_got = c_pair(cb, size, a.seconds)[0] if cb else 0
            q_got = qudp_pair(size, a.seconds, "gro")[0]
            c_rates.append(c_got / a.seconds)
            q_rates.append(q_got / a.seconds)
            if c_got:
                ratios.append(q_got / c_got)
        c_med = statistics.median(c_rates)
        q_med = statistics.median(q_rates)
        r = statistics.median(ratios) if ratios else float("nan")
        print(f"| {size} B | {c_med:,.0f} | {q_med:,.0f} | {r:.2f} |")
    if a.soak:
        res = soak(a.soak, a.soak_limit)
        mb = 1 << 20
        print(
            f"\nmemory while receiving (readyRead pattern, qudp GSO sender): "
            f"{res['received']:,} datagrams in {res['seconds']:.1f} s; RSS first "
            f"{res['rss_first'] / mb:.1f} MiB, max {res['rss_max'] / mb:.1f} MiB, last "
            f"{res['rss_last'] / mb:.1f} MiB ({res['samples']} samples)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
