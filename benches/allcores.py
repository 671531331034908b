"""All cores: N receivers on one port (BindFlag.LoadBalance, SO_REUSEPORT),
each with its own socket and its own QEventLoop, as N processes and as N
threads of one process.

    python benches/allcores.py [--n 1,2,4] [--kinds processes,threads]
                               [--modes drain,live] [--count 200000]
                               [--seconds 2] [--rounds 3] [--out FILE]

Modes:
  drain  a sender process queues --count datagrams of 64 bytes from 64
         source ports into the group first; then the receivers start and
         drain them. The sender is done, so the receivers have the machine:
         the aggregate rate (datagrams / wall time from start to the last
         datagram) shows how far N receivers scale.
  live   the sender floods for --seconds while the receivers run: on a
         machine with few cores the sender competes with them, so this is
         what the whole machine allows, sender included.

Each receiver's slot is `readPayloads()` (the GIL is released around its
recvmmsg); the payloads carry a sequence number that the runner checks:
received + kernel drops == sent (drops summed over the group's sockets from
/proc/net/udp) and no sequence number twice, or the row says INVALID.
CPU per datagram is the receivers' process CPU time (user + system) divided
by the datagrams they read. Everything runs in a private network namespace
when possible (loopback otherwise) and each run is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
DGRAM = 64
SOURCES = 64  # sender source ports: the kernel hashes each flow to one socket
BATCH = 64
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
MAX_RUN = 30.0  # seconds any receiver or sender may run, whatever happens


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _big_rcvbuf(fd: int, size: int) -> None:
    """A receive buffer large enough to hold a drain run (root: past
    rmem_max with SO_RCVBUFFORCE; otherwise what rmem_max allows)."""
    s = socket.socket(fileno=os.dup(fd))
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, size)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    finally:
        s.close()


# -- receivers (worker processes) ---------------------------------------------


def _receive(port: int, rcvbuf: int, go: threading.Event, idle: float, out: dict[str, Any]) -> None:
    """One receiver: its own socket and its own QEventLoop, on this thread."""
    from qudp import QEventLoop, QHostAddress, QTimer, QUdpSocket

    s = QUdpSocket()
    ok = s.bind(QHostAddress.LocalHost, port, QUdpSocket.LoadBalance)
    out["bound"] = ok
    if not ok:
        out["error"] = s.errorString()
        go.set()  # let the others see it
        return
    _big_rcvbuf(s.socketDescriptor(), rcvbuf)
    chunks: list[bytes] = []
    n = [0]
    last = [0.0]

    def read() -> None:
        while True:
            got = s.readPayloads(BATCH * 4)
            if not got:
                return
            chunks.append(b"".join(got))  # sequence numbers checked later
            n[0] += len(got)
            last[0] = time.monotonic()

    out["ready"].wait()  # everyone bound before the first datagram
    go.wait()
    loop = QEventLoop()
    s.readyRead.connect(read)
    start = time.monotonic()
    hard_end = start + MAX_RUN

    def check() -> None:
        now = time.monotonic()
        quiet_since = last[0] or start
        if now - quiet_since > idle or now > hard_end:
            loop.quit()

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(20)
    read()  # datagrams queued before the loop started (drain mode)
    loop.exec()
    timer.stop()
    out.update(received=n[0], first=start, last=last[0], data=b"".join(chunks), sock=s)


def worker(kind: str, n: int, port: int, rcvbuf: int, idle: float) -> None:
    """A process with `n` receivers (threads, or one on the main thread).
    Protocol on stdin/stdout: prints `ready`, waits for `go`, prints its
    result as JSON, waits for `bye` (the sockets stay open until then so the
    runner can read their drop counters)."""
    go = threading.Event()
    ready = threading.Event()
    outs: list[dict[str, Any]] = [{"ready": ready} for _ in range(n)]
    threads = [
        threading.Thread(target=_receive, args=(port, rcvbuf, go, idle, o), daemon=True)
        for o in outs
    ]
    # Receivers run on their own threads in both kinds (one per process for
    # "processes"), so the code measured is the same.
    del kind
    for t in threads:
        t.start()
    end = time.monotonic() + 10
    while not all("bound" in o for o in outs) and time.monotonic() < end:
        time.sleep(0.01)
    bound = all(o.get("bound") for o in outs)
    ready.set()
    print("ready" if bound else "failed " + str([o.get("error") for o in outs]), flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    cpu0 = _cpu()
    go.set()
    for t in threads:
        t.join(MAX_RUN + 5)
    cpu = _cpu() - cpu0
    path = tempfile.mktemp(prefix="allcores-", suffix=".bin")
    with open(path, "wb") as f:
        for o in outs:
            f.write(o.get("data", b""))
    res = {
        "received": [o.get("received", 0) for o in outs],
        "first": min(o.get("first", 0.0) for o in outs),
        "last": max(o.get("last", 0.0) for o in outs),
        "cpu": cpu,
        "data": path,
    }
    print(json.dumps(res), flush=True)
    sys.stdin.readline()


# -- sender --------------------------------------------------------------------


def sender(port: int, count: int, seconds: float) -> None:
    """Send from SOURCES ports: `count` datagrams (drain), or for `seconds`
    (live). Each payload starts with (source index << 48 | sequence)."""
    from qudp import QHostAddress, QUdpSocket

    to = QHostAddress.LocalHost
    socks = []
    for _ in range(SOURCES):
        s = QUdpSocket()
        assert s.bind(QHostAddress.LocalHost, 0), s.errorString()
        socks.append(s)
    sent = [0] * SOURCES
    template = array("Q", [0] * (DGRAM // 8 * BATCH))
    start = time.monotonic()
    end = start + (seconds if count == 0 else MAX_RUN)
    total = 0
    while time.monotonic() < end and (count == 0 or total < count):
        for i, s in enumerate(socks):
            k = BATCH if count == 0 else min(BATCH, count - total)
            if k <= 0:
                break
            base = (i << 48) | sent[i]
            template[0 : DGRAM // 8 * k : DGRAM // 8] = array("Q", range(base, base + k))
            blob = template.tobytes()
            got = s.writeDatagrams([blob[j * DGRAM : (j + 1) * DGRAM] for j in range(k)], to, port)
            if got > 0:
                sent[i] += got
                total += got
            elif count:
                time.sleep(0.0005)  # the send queue is full: let it drain
    print(json.dumps({"sent": sent, "seconds": time.monotonic() - start}), flush=True)


# -- runner ---------------------------------------------------------------------


def _drops(port: int) -> int | None:
    """The kernel drop counters of every socket bound to `port`, summed."""
    total, seen = 0, False
    with open("/proc/net/udp") as f:
        next(f)
        for line in f:
            cols = line.split()
            if int(cols[1].split(":")[1], 16) == port:
                total += int(cols[-1])
                seen = True
    return total if seen else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spawn(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HERE), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def one_run(kind: str, n: int, mode: str, count: int, seconds: float) -> dict[str, Any]:
    port = _free_port()
    per_socket = max(count, 1) * 2048 // n + (8 << 20)  # truesize of a 64-byte datagram < 2 KiB
    idle = 0.3 if mode == "drain" else 0.5
    if kind == "threads":
        workers = [_spawn(["--worker", "threads", str(n), str(port), str(per_socket), str(idle)])]
    else:
        workers = [
            _spawn(["--worker", "processes", "1", str(port), str(per_socket), str(idle)])
            for _ in range(n)
        ]
    try:
        for w in workers:
            line = w.stdout.readline().strip()  # type: ignore[union-attr]
            if line != "ready":
                raise RuntimeError(f"receiver failed: {line}")
        if mode == "drain":
            snd = _spawn(["--sender", str(port), str(count), "0"])
            info = json.loads(snd.communicate(timeout=MAX_RUN + 10)[0])
            for w in workers:
                w.stdin.write("go\n")  # type: ignore[union-attr]
                w.stdin.flush()  # type: ignore[union-attr]
        else:
            for w in workers:
                w.stdin.write("go\n")  # type: ignore[union-attr]
                w.stdin.flush()  # type: ignore[union-attr]
            snd = _spawn(["--sender", str(port), "0", str(seconds)])
            info = json.loads(snd.communicate(timeout=seconds + MAX_RUN)[0])
        results = [json.loads(w.stdout.readline()) for w in workers]  # type: ignore[union-attr]
        drops = _drops(port)
    finally:
        for w in workers:
            try:
                w.stdin.write("bye\n")  # type: ignore[union-attr]
                w.stdin.flush()  # type: ignore[union-attr]
            except OSError:
                pass
            try:
                w.wait(timeout=10)
            except subprocess.TimeoutExpired:
                w.kill()
    sent_by = info["sent"]
    sent = sum(sent_by)
    per_socket_rx = [k for r in results for k in r["received"]]
    received = sum(per_socket_rx)
    seqs = array("Q")
    for r in results:
        blob = Path(r["data"]).read_bytes()
        os.unlink(r["data"])
        seqs.frombytes(memoryview(blob).cast("Q")[:: DGRAM // 8].tobytes())
    unique = set(seqs)
    valid = all((q >> 48) < SOURCES and (q & ((1 << 48) - 1)) < sent_by[q >> 48] for q in unique)
    wall = max(r["last"] for r in results) - min(r["first"] for r in results)
    if mode == "live":
        wall = info["seconds"]
    cpu = sum(r["cpu"] for r in results)
    return {
        "kind": kind,
        "n": n,
        "mode": mode,
        "sent": sent,
        "received": received,
        "per_socket": per_socket_rx,
        "drops": drops,
        "duplicates": len(seqs) - len(unique),
        "accounted": drops is not None and received + drops == sent and valid,
        "rate": received / wall if wall > 0 else 0.0,
        "cpu_us": cpu / received * 1e6 if received else float("nan"),
        "wall": wall,
        # How many cores the receivers kept busy on average: the machine's
        # share for them, whatever N is.
        "cores": cpu / wall if wall > 0 else 0.0,
    }


def _enter_netns() -> str:
    sys.path.insert(0, str(HERE.parent.parent / "python"))
    try:
        from qudp._bench import _enter_netns as enter
    except ImportError:
        return "host loopback (qudp._bench not found)"
    why = enter()
    return "private network namespace" if why is None else f"host loopback ({why})"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    p.add_argument("--sender", nargs=3, help=argparse.SUPPRESS)
    p.add_argument("--n", default="1,2,4")
    p.add_argument("--kinds", default="processes,threads")
    p.add_argument("--modes", default="drain,live")
    p.add_argument("--count", type=int, default=200_000, help="datagrams per drain run")
    p.add_argument("--seconds", type=float, default=2.0, help="length of a live run")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out", help="also write the table and raw numbers (JSON) here")
    a = p.parse_args(argv)
    if a.worker:
        kind, n, port, rcvbuf, idle = a.worker
        worker(kind, int(n), int(port), int(rcvbuf), float(idle))
        return 0
    if a.sender:
        port, count, seconds = a.sender
        sender(int(port), int(count), float(seconds))
        return 0
    where = _enter_netns()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"# load average {load:.1f} at start; allcores: {os.cpu_count()} CPUs, "
        f"{platform.processor() or platform.machine()}, Linux {platform.release()}, "
        f"Python {platform.python_version()}; {where}",
        file=sys.stderr,
    )
    rows: list[dict[str, Any]] = []
    for mode in a.modes.split(","):
        for kind in a.kinds.split(","):
            for n in map(int, a.n.split(",")):
                runs = []
                for rnd in range(a.rounds):
                    print(f"  {mode} {kind} N={n} round {rnd + 1}/{a.rounds} ...", file=sys.stderr)
                    runs.append(one_run(kind, n, mode, a.count, a.seconds))
                med = sorted(runs, key=lambda x: x["rate"])[len(runs) // 2]
                med["rate_all"] = [x["rate"] for x in runs]
                med["cpu_all"] = [x["cpu_us"] for x in runs]
                med["accounted"] = all(x["accounted"] and x["duplicates"] == 0 for x in runs)
                rows.append(med)
    base = {(r["mode"], r["kind"]): r["rate"] for r in rows if r["n"] == 1}
    lines = [
        "| mode | receivers | N | datagrams/s (median) | vs N=1 | CPU µs/datagram | "
        "cores used | per-socket split | sent | received + drops | duplicates | check |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        b = base.get((r["mode"], r["kind"]))
        split = "/".join(str(k) for k in r["per_socket"])
        ratio = f"{r['rate'] / b:.2f}x" if b else "-"
        lines.append(
            f"| {r['mode']} | {r['kind']} | {r['n']} | {r['rate'] / 1e3:,.0f} k | {ratio} "
            f"| {statistics.median(r['cpu_all']):.2f} | {r['cores']:.2f} | {split} "
            f"| {r['sent']:,} | {r['received']:,} + {r['drops']} | {r['duplicates']} "
            f"| {'ok' if r['accounted'] else 'INVALID'} |"
        )
    table = "\n".join(lines)
    print(table)
    if a.out:
        Path(a.out).write_text(table + "\n\n```json\n" + json.dumps(rows, indent=1) + "\n```\n")
    return 0 if all(r["accounted"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
