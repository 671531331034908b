"""qudp receive benchmarks against C, the Python standard library and PySide6.

    python benches/receive.py [--quick] [--out bench-results/]

Run it with an interpreter that has a *release* build of qudp installed
(see docs/performance.md); uvloop, PySide6-Essentials and matplotlib are
used when present. Modes (all by default; pick with --modes):

  prequeue   N datagrams of 64 bytes are queued in the receiver's kernel
             queue first (sender: a separate process), then the receiver's
             CPU time to read them all is measured.
  callgrind  user-space instructions per datagram of the same receive loops
             (valgrind --tool=callgrind, two runs: N and N/10 datagrams).
  saturated  a C sender floods the receiver for a fixed time: datagrams/s
             received, kernel drops counted.
  paced      a C sender paced at a fixed rate; the highest rate each receiver
             takes with under 1 % loss (4 MiB buffer), found by bisection.
  send       the sender's CPU time to send N datagrams.
  pingpong   64-byte round trips against a C echo server: p50 / p99.

Every contender runs in its own process; every datagram is accounted for
(received + kernel drops == sent, drops from the socket's counter in
/proc/net/udp, the one SO_RXQ_OVFL reports) or the row is marked invalid.
The runner moves itself into a private network namespace when it can, and
only ever uses 127.0.0.1.

Outputs: a markdown table on stdout and in OUT/receive.md, all raw numbers
in OUT/receive.json, a bar chart at docs/performance.png (OUT/receive.png
with --quick).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import datetime
import fcntl
import hashlib
import json
import os
import platform
import re
import resource
import select
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import C_MMSG, PLAIN, QT_PATTERN, REF, Report, plot

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKER = HERE / "contenders.py"
C_SOURCE = HERE / "cbench.c"
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
NAN = float("nan")

C_RECVFROM = "C recvfrom loop"
C_QUDPCFG = "C recvmmsg, qudp's options"
C_BIGSLOTS = "C recvmmsg, qudp's options, 64 KiB slots"
DGRAM = 64
# The paced mode: the receivers the performance issue compares, the
# receive buffer and loss limit of its independent measurement, the rates.
PACED = (
    C_MMSG, REF, "python recvfrom_into loop", QT_PATTERN, "qudp readPayloads batch",
    "uvloop DatagramProtocol", "PySide6 readyRead+readDatagram",
)  # fmt: skip
PACED_RCVBUF = 4 << 20
PACED_LOSS_PCT = 1.0
PACED_LO, PACED_HI = 200_000, 2_000_000


# -- environment -------------------------------------------------------------


def enter_netns() -> str:
    """Move this process (and so every worker) into a fresh network
    namespace with only loopback up. Returns a note for the report."""
    if os.environ.get("QUDP_BENCH_NETNS") == "1":
        return "private network namespace (set up by the caller)"
    if not sys.platform.startswith("linux"):
        return "host loopback (not Linux)"
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    clone_newnet, clone_newuser = 0x40000000, 0x10000000
    try:
        if os.getuid() == 0:
            if libc.unshare(clone_newnet) != 0:
                raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        else:
            uid, gid = os.getuid(), os.getgid()
            if libc.unshare(clone_newuser | clone_newnet) != 0:
                raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
            Path("/proc/self/setgroups").write_text("deny")
            Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
            Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
            req = struct.pack("16sH", b"lo", 0) + b"\0" * 22
            flags = struct.unpack("16sH", fcntl.ioctl(s.fileno(), siocgifflags, req)[:18])[1]
            fcntl.ioctl(
                s.fileno(), siocsifflags, struct.pack("16sH", b"lo", flags | iff_up) + b"\0" * 22
            )
    except OSError as e:
        return f"host loopback (no private network namespace: {e})"
    return "private network namespace (loopback only)"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    vm = False
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name") and cpu == "unknown":
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("flags") and " hypervisor" in line:
                vm = True
    if vm:
        cpu += " (virtual machine)"
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "python_executable": sys.executable,
    }
    for mod in ("qudp", "PySide6", "uvloop"):
        try:
            m = __import__(mod)
            info[mod] = getattr(m, "__version__", "?")
            if mod == "qudp":
                so = next(Path(m.__file__ or ".").parent.glob("_qudp*.so"), None)
                info["qudp_path"] = str(so)
                in_tree = bool(so and REPO in so.resolve().parents)
                info["qudp_build"] = "source tree" if in_tree else "installed wheel"
        except ImportError:
            info[mod] = None
    try:
        out = subprocess.run(["gcc", "--version"], capture_output=True, text=True, check=False)
        info["gcc"] = out.stdout.splitlines()[0] if out.stdout else None
    except OSError:
        info["gcc"] = None
    return info


class LoadMeter:
    """Load of the machine while the benchmarks run: /proc/loadavg samples,
    and the CPU the rest of the machine used (all busy time minus this
    runner's and its children's)."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.t0 = time.monotonic()
        self.busy0 = self._busy()
        self.own0 = self._own()

    @staticmethod
    def _busy() -> float:
        with open("/proc/stat") as f:
            parts = f.readline().split()[1:]
        vals = [int(x) for x in parts]
        idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
        return (sum(vals[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own() -> float:
        a = resource.getrusage(resource.RUSAGE_SELF)
        b = resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

    def sample(self) -> float:
        v = float(Path("/proc/loadavg").read_text().split()[0])
        self.samples.append(v)
        return v

    def summary(self) -> dict[str, Any]:
        wall = time.monotonic() - self.t0
        busy = self._busy() - self.busy0
        own = self._own() - self.own0
        s = sorted(self.samples) or [0.0]
        return {
            "loadavg_min": s[0],
            "loadavg_median": statistics.median(s),
            "loadavg_max": s[-1],
            "wall_s": round(wall, 1),
            "other_cpus_busy": round(max(0.0, busy - own) / wall, 2) if wall else 0.0,
        }


def udp_socket_stats(port: int) -> tuple[int, int] | None:
    """(rx_queue bytes, drops) of the socket bound to 127.0.0.1:port, from
    /proc/net/udp: the drops column is sk_drops, what SO_RXQ_OVFL reports."""
    key = f"0100007F:{port:04X}"
    with open("/proc/net/udp") as f:
        for line in f:
            fields = line.split()
            if len(fields) > 12 and fields[1] == key:
                rx = int(fields[4].split(":")[1], 16)
                return rx, int(fields[-1])
    return None


def settle(port: int, limit_s: float = 2.0) -> tuple[int, int]:
    """Wait until the receiver's queue stops changing (loopback delivery is
    finished by softirq, possibly after the sender returned)."""
    last = udp_socket_stats(port)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        time.sleep(0.01)
        now = udp_socket_stats(port)
        if now == last:
            break
        last = now
    return last or (0, 0)


def effective_rcvbuf(request: int) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, request)
        except OSError:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, request)
        return s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)


def compile_c(log: list[str]) -> Path | None:
    gcc = shutil.which("gcc") or shutil.which("cc")
    if not gcc:
        log.append("no C compiler: the C contenders are skipped, the echo server is Python")
        return None
    digest = hashlib.sha256(C_SOURCE.read_bytes()).hexdigest()[:12]
    out = Path(tempfile.gettempdir()) / f"qudp-cbench-{digest}"
    if not out.exists():
        tmp = out.with_suffix(".tmp")
        r = subprocess.run(
            [gcc, "-O2", "-Wall", "-o", str(tmp), str(C_SOURCE)], capture_output=True, text=True
        )
        if r.returncode != 0:
            log.append(f"gcc failed, C contenders skipped: {r.stderr.strip()[:300]}")
            return None
        tmp.rename(out)
    return out


# -- talking to workers --------------------------------------------------------


class WorkerError(RuntimeError):
    pass


class Worker:
    """A receiver process that answers one JSON line per command."""

    def __init__(
        self, cmd: list[str], logdir: Path, tag: str, env: dict[str, str] | None = None
    ) -> None:
        self.log = open(logdir / f"{tag}.log", "ab")
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, env=env
        )
        self.buf = b""
        first = self.readline(120.0)
        if first.startswith("PORT "):
            self.port = int(first.split()[1])
        else:
            self.port = int(json.loads(first)["port"])

    def readline(self, timeout: float) -> str:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise WorkerError(f"no answer in {timeout:.0f} s")
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise WorkerError(f"worker exited (rc={self.proc.wait()}); see {self.log.name}")
                self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode()

    def send(self, cmd: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((cmd + "\n").encode())
        self.proc.stdin.flush()

    def ask(self, cmd: str, timeout: float) -> dict[str, Any]:
        self.send(cmd)
        return json.loads(self.readline(timeout))

    def answered(self, wait: float) -> bool:
        """Whether an answer line is (or within `wait` s becomes) readable."""
        assert self.proc.stdout is not None
        if b"\n" in self.buf:
            return True
        r, _, _ = select.select([self.proc.stdout.fileno()], [], [], wait)
        return bool(r)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self) -> None:
        try:
            if self.proc.poll() is None and self.proc.stdin:
                self.proc.stdin.write(b"exit\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()
        self.log.close()


def run_json(cmd: list[str], timeout: float, stdin: str | None = None) -> dict[str, Any]:
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise WorkerError(
            f"{Path(cmd[0]).name} failed (rc={r.returncode}): {r.stderr.strip()[-400:]}"
        )
    return json.loads(r.stdout.strip().splitlines()[-1])


def percentile(sorted_vals: Sequence[float], p: float) -> float:
    if not sorted_vals:
        return NAN
    k = min(len(sorted_vals) - 1, max(0, round(p / 100 * (len(sorted_vals) - 1))))
    return sorted_vals[k]


def show_cpu(r: dict[str, Any]) -> str:
    """A round's CPU figure, for the progress lines."""
    return f"{r['cpu_per_M']:7.3f} s/1M"


# -- the runner ----------------------------------------------------------------


class Runner:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.py = args.python or sys.executable
        self.out = Path(args.out)
        self.logdir = self.out / "logs"
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.notes: list[str] = []
        self.cbin = compile_c(self.notes)
        self.avail = json.loads(
            subprocess.run(
                [self.py, str(WORKER), "list"], capture_output=True, text=True, check=True
            ).stdout
        )
        self.load = LoadMeter()
        ncpu = os.cpu_count() or 1
        # CPU a: sender / echo server; CPU b: receiver / ping client.
        pinned = ncpu > 1 and not args.no_pin
        self.cpu_a: int | None = 0 if pinned else None
        self.cpu_b: int | None = ncpu - 1 if pinned else None
        # Ping-pong client: on the echo server's CPU by default. Across CPUs
        # every round trip pays two cross-CPU wake-ups, which in a VM cost
        # tens of µs and drown the library's own cost.
        self.ping_cpu = {"same": self.cpu_a, "split": self.cpu_b}.get(args.ping_cpus)
        if args.ping_cpus == "none":
            self.ping_cpu = None
        self.results: dict[str, Any] = {}
        self.profiles: dict[str, str] = {}
        self.skipped: dict[str, dict[str, str]] = {"recv": {}, "send": {}, "ping": {}}
        for kind in ("recv", "send", "ping"):
            for name, why in self.avail[kind].items():
                if why:
                    self.skipped[kind][name] = why

    # contenders ---------------------------------------------------------------

    def receivers(self) -> list[str]:
        names = []
        if self.cbin:
            names += [C_MMSG, C_QUDPCFG, C_BIGSLOTS, C_RECVFROM]
        names += [n for n, why in self.avail["recv"].items() if not why]
        if self.args.only:
            names = [n for n in names if any(o.lower() in n.lower() for o in self.args.only)]
            for must in (REF, C_MMSG):
                if must not in names and (must != C_MMSG or self.cbin):
                    names.insert(0, must)
        return names

    def recv_cmd(self, name: str, rcvbuf: int) -> list[str]:
        if name == C_MMSG:
            return [str(self.cbin), "recv", "recvmmsg", str(rcvbuf)]
        if name == C_RECVFROM:
            return [str(self.cbin), "recv", "recvfrom", str(rcvbuf)]
        if name == C_QUDPCFG:
            return [str(self.cbin), "recv", "recvmmsg-qudpcfg", str(rcvbuf)]
        if name == C_BIGSLOTS:
            return [str(self.cbin), "recv", "recvmmsg-bigslots", str(rcvbuf)]
        return [self.py, str(WORKER), "recv", name, str(rcvbuf)]

    def worker_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["BENCH_WINDOW"] = str(self.args.window)
        env["BENCH_SIZE"] = str(DGRAM)
        env["PYTHONHASHSEED"] = "0"
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        return env

    def prequeue(self, port: int, n: int) -> None:
        """Queue n datagrams on 127.0.0.1:port from a separate process."""
        if self.cbin:
            run_json(
                [str(self.cbin), "send", "sendmmsg", str(port), str(n), str(DGRAM)], timeout=120
            )
        else:
            code = (
                "import socket\n"
                "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                f"for _ in range({n}): s.sendto(b'x' * {DGRAM}, ('127.0.0.1', {port}))\n"
                "print('{}')"
            )
            run_json([self.py, "-c", code], timeout=120)

    def tag(self, name: str) -> str:
        return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()

    # mode: prequeue ---------------------------------------------------------

    def one_prequeue(self, w: Worker, n: int, timeout: float) -> dict[str, Any]:
        _, drops0 = udp_socket_stats(w.port) or (0, 0)
        self.prequeue(w.port, n)
        _, drops1 = settle(w.port)
        dropped = drops1 - drops0
        expected = n - dropped
        self.load.sample()
        r = w.ask(f"go {expected}", timeout)
        _, drops2 = udp_socket_stats(w.port) or (0, drops1)
        r.update(sent=n, expected=expected, kernel_drops=dropped)
        problems = []
        if r["received"] != expected:
            problems.append(f"received {r['received']} of {expected}")
        if r.get("extra"):
            problems.append(f"{r['extra']} more than sent-dropped")
        if drops2 != drops1:
            problems.append(f"{drops2 - drops1} dropped while receiving")
        if not r.get("payload_ok", True):
            problems.append("last payload has the wrong size")
        if r["received"] + dropped + r.get("extra", 0) != n:
            problems.append("received + drops != sent")
        r["valid"] = not problems
        r["problems"] = problems
        r["cpu_per_M"] = r["cpu"] / r["received"] * 1e6 if r["received"] else NAN
        return r

    def mode_prequeue(self) -> None:
        a = self.args
        names = self.receivers()
        n = a.n
        rcvbuf = max(8 << 20, n * 1024)
        eff = effective_rcvbuf(rcvbuf)
        if eff < n * 1300:  # ~830 bytes of kernel memory per 64-byte datagram on loopback
            n = max(1000, eff // 1300)
            self.notes.append(
                f"receive buffer capped at {eff} bytes (no CAP_NET_ADMIN for SO_RCVBUFFORCE): "
                f"N lowered to {n}."
            )
        timeout = 60 + n * 1e-4
        print(
            f"[prequeue] N={n} x {DGRAM} B, {a.rounds} rounds, {len(names)} contenders", flush=True
        )
        workers: dict[str, Worker] = {}
        errors: dict[str, str] = {}
        try:
            for name in names:
                try:
                    workers[name] = Worker(
                        self.recv_cmd(name, rcvbuf),
                        self.logdir,
                        "recv-" + self.tag(name),
                        self.worker_env(),
                    )
                except (WorkerError, OSError) as e:
                    errors[name] = f"did not start: {e}"
            # Warm-up round (not recorded): page faults, allocator arenas, caches.
            for name, w in list(workers.items()):
                try:
                    self.one_prequeue(w, max(1000, n // 10), timeout)
                except WorkerError as e:
                    errors[name] = str(e)
                    workers.pop(name).close()

            def one(name: str, rnd: int) -> dict[str, Any]:
                try:
                    r = self.one_prequeue(workers[name], n, timeout)
                except WorkerError:
                    workers.pop(name).close()
                    raise
                r["round"] = rnd
                return r

            got, failed = self.rotate(list(workers), a.rounds, one, show_cpu)
            errors.update(failed)
        finally:
            for w in workers.values():
                w.close()
        rows = {name: got.get(name, []) for name in names}
        self.results["prequeue"] = {"n": n, "rcvbuf": eff, "rows": rows, "errors": errors}

    # mode: callgrind ----------------------------------------------------------

    def callgrind_one(self, name: str, n: int, rcvbuf: int, tmp: Path) -> tuple[int, Path]:
        outf = tmp / f"cg-{self.tag(name)}-{n}.out"
        cmd = [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={outf}", "--dump-instr=no",
            "--compress-strings=no", *self.recv_cmd(name, rcvbuf),
        ]  # fmt: skip
        w = Worker(cmd, self.logdir, "callgrind-" + self.tag(name), self.worker_env())
        try:
            _, d0 = udp_socket_stats(w.port) or (0, 0)
            self.prequeue(w.port, n)
            _, d1 = settle(w.port)
            expected = n - (d1 - d0)
            r = w.ask(f"go {expected}", 1800)
            if r["received"] != expected or r.get("extra"):
                raise WorkerError(f"callgrind run lost datagrams: {r}")
        finally:
            w.close()
        text = outf.read_text(errors="replace")
        m = re.search(r"^(?:summary|totals):\s+(\d+)", text, re.M)
        if not m:
            raise WorkerError("no totals in callgrind output")
        return int(m.group(1)), outf

    @staticmethod
    def self_costs(outf: Path) -> dict[str, int]:
        """Self cost (Ir) per function, from callgrind_annotate. Lines are
        "file:function [object]"; the same function can appear with and
        without its object, and with a recursion suffix ('2): merged."""
        r = subprocess.run(
            ["callgrind_annotate", "--threshold=100", str(outf)], capture_output=True, text=True
        )
        costs: dict[str, int] = {}
        objs: dict[str, str] = {}
        for line in r.stdout.splitlines():
            m = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+(.+)$", line)
            if not m or "PROGRAM TOTALS" in line:
                continue
            text = m.group(2)
            obj = re.search(r"\[([^]]*)\]$", text)
            text = re.sub(r"\s*\[[^]]*\]$", "", text)
            fn = text.rsplit(":", 1)[-1] if ":" in text else text
            fn = re.sub(r"'\d+$", "", fn)
            if obj:
                objs[fn] = obj.group(1).rsplit("/", 1)[-1]
            costs[fn] = costs.get(fn, 0) + int(m.group(1).replace(",", ""))
        return {f"{fn}  [{objs[fn]}]" if fn in objs else fn: v for fn, v in costs.items()}

    def profile(self, name: str, f1: Path, f0: Path, per: float, dn: int) -> None:
        """Per-datagram profile: self instructions per function in the big run
        minus the small run, divided by the difference in datagrams."""
        if not shutil.which("callgrind_annotate"):
            return
        c1, c0 = self.self_costs(f1), self.self_costs(f0)
        diff = sorted(((c1.get(k, 0) - c0.get(k, 0)) / dn, k) for k in c1.keys() | c0.keys())
        diff.reverse()
        lines = [
            f"# {name}: {per:,.0f} user-space instructions per datagram, by function (self cost)",
            "",
        ]
        for v, k in diff[:40]:
            if v < 1:
                break
            lines.append(f"{v:9.0f}  {100 * v / per:5.1f}%  {k}")
        self.profiles[name] = "\n".join(lines) + "\n"

    def mode_callgrind(self) -> None:
        if not shutil.which("valgrind"):
            self.notes.append("valgrind not installed: no instruction counts")
            return
        names = self.receivers()
        if self.args.quick and not self.args.only:
            # The ones the targets name; the full run counts everyone.
            keep = (REF, C_MMSG, QT_PATTERN, QT_PATTERN + PLAIN)
            names = [n for n in names if n in keep or "batch" in n]
        n1 = self.args.cg_n
        n0 = max(100, n1 // 10)
        rcvbuf = max(8 << 20, n1 * 1024)
        print(f"[callgrind] N={n1} minus baseline N={n0}, {len(names)} contenders", flush=True)
        out: dict[str, Any] = {}
        with tempfile.TemporaryDirectory(prefix="qudp-cg-") as d:
            for name in names:
                t0 = time.monotonic()
                try:
                    i1, f1 = self.callgrind_one(name, n1, rcvbuf, Path(d))
                    i0, f0 = self.callgrind_one(name, n0, rcvbuf, Path(d))
                    if name.startswith("qudp") or name == REF or self.args.profile_all:
                        self.profile(name, f1, f0, (i1 - i0) / (n1 - n0), n1 - n0)
                except (WorkerError, OSError, subprocess.SubprocessError) as e:
                    out[name] = {"error": str(e)}
                    print(f"  {name:34s} error: {e}", flush=True)
                    continue
                per = (i1 - i0) / (n1 - n0)
                out[name] = {
                    "instr_total_n1": i1,
                    "instr_total_n0": i0,
                    "n1": n1,
                    "n0": n0,
                    "per_dgram": per,
                }
                print(
                    f"  {name:34s} {per:9.0f} instr/dgram ({time.monotonic() - t0:.0f} s)",
                    flush=True,
                )
        self.results["callgrind"] = out

    def rotate(
        self,
        names: list[str],
        rounds: int,
        one: Callable[[str, int], dict[str, Any]],
        show: Callable[[dict[str, Any]], str],
    ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
        """Run one(name, round) for every contender in every round, in an
        order rotated per round; a contender that fails once is dropped with
        the reason. Returns the rows per contender and the errors."""
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        errors: dict[str, str] = {}
        for rnd in range(rounds):
            order = names[rnd % len(names) :] + names[: rnd % len(names)]
            for name in order:
                if name in errors:
                    continue
                try:
                    r = one(name, rnd)
                except (WorkerError, OSError, subprocess.SubprocessError, ValueError) as e:
                    errors[name] = str(e)
                    continue
                rows[name].append(r)
                flag = "" if r["valid"] else "  INVALID: " + "; ".join(r["problems"])
                print(f"  r{rnd} {name:34s} {show(r)}{flag}", flush=True)
        return rows, errors

    # mode: saturated -----------------------------------------------------------

    def mode_saturated(self) -> None:
        if not self.cbin:
            self.notes.append("saturated mode needs the C sender (gcc): skipped")
            return
        a = self.args
        names = self.receivers()
        rcvbuf = 8 << 20
        print(f"[saturated] {a.window} s windows, {a.sat_rounds} rounds, C GSO sender", flush=True)
        rows, errors = self.rotate(
            names,
            a.sat_rounds,
            lambda name, rnd: self.one_saturated(name, rcvbuf, rnd),
            lambda r: f"{r['rate']:10.0f} dgram/s, drops {r['drop_pct']:5.1f}%",
        )
        self.results["saturated"] = {
            "window_s": a.window,
            "pinned": self.cpu_a is not None,
            "rcvbuf": rcvbuf,
            "rows": rows,
            "errors": errors,
        }

    def one_saturated(self, name: str, rcvbuf: int, rnd: int) -> dict[str, Any]:
        a = self.args
        w = Worker(
            self.recv_cmd(name, rcvbuf), self.logdir, "sat-" + self.tag(name), self.worker_env()
        )
        pin(w.proc.pid, self.cpu_b)
        blaster = None
        try:
            _, d0 = udp_socket_stats(w.port) or (0, 0)
            blaster = subprocess.Popen(
                [str(self.cbin), "blast", str(w.port), str(a.window + 0.7), str(DGRAM), "gso"],
                stdout=subprocess.PIPE,
                text=True,
            )
            pin(blaster.pid, self.cpu_a)
            time.sleep(0.15)  # the queue is full before the window opens
            self.load.sample()
            _, dw0 = udp_socket_stats(w.port) or (0, 0)
            r = w.ask(f"window {a.window}", a.window + 60)
            _, dw1 = udp_socket_stats(w.port) or (0, dw0)
            out, _ = blaster.communicate(timeout=a.window + 30)
            blast = json.loads(out.strip().splitlines()[-1])
            sent = blast["sent"]
            _, d1 = settle(w.port)
            drained = w.ask("drain", 120)
            _, d2 = udp_socket_stats(w.port) or (0, d1)
        finally:
            if blaster and blaster.poll() is None:
                blaster.kill()
                blaster.wait()
            w.close()
        drops = d2 - d0
        r.update(
            round=rnd, sent=sent, drained=drained["drained"], kernel_drops=drops,
            qudp_dropped=drained.get("qudp_dropped"),
        )  # fmt: skip
        r["rate"] = r["received"] / r["wall"] if r["wall"] else 0.0
        r["busy"] = r["cpu"] / r["wall"] if r["wall"] else NAN
        r["cpu_per_M"] = r["cpu"] / r["received"] * 1e6 if r["received"] else NAN
        # Drops while the receiver was reading (the sender goes on a little
        # longer, into a queue nobody reads: those drops are not its fault).
        offered = r["received"] + (dw1 - dw0)
        r["drop_pct"] = 100.0 * (dw1 - dw0) / offered if offered else 0.0
        r["gso_sender"] = bool(blast.get("gso"))
        problems = []
        # SO_RXQ_OVFL stamps the drop count on a datagram when it is queued,
        # so droppedDatagrams() after the drain may lag the final count.
        qd = r["qudp_dropped"]
        if qd is not None and qd > drops:
            problems.append(f"droppedDatagrams() says {qd}, the kernel {drops}")
        if r["received"] + r["drained"] + drops != sent:
            problems.append(
                f"received {r['received']} + drained {r['drained']} + drops {drops} != sent {sent}"
            )
        r["valid"] = not problems
        r["problems"] = problems
        return r

    # mode: paced ---------------------------------------------------------------

    def mode_paced(self) -> None:
        """The highest rate each receiver takes with under PACED_LOSS_PCT loss:
        a C sender paced at a fixed rate (UDP GSO, 64 datagrams per call, each
        call at its scheduled time), the rate found by bisection."""
        if not self.cbin:
            self.notes.append("paced mode needs the C sender (gcc): skipped")
            return
        a = self.args
        names = [n for n in self.receivers() if n in PACED]
        rcvbuf = PACED_RCVBUF
        print(
            f"[paced] {a.paced_window} s per rate, {a.paced_steps} bisection steps in "
            f"[{PACED_LO:,}, {PACED_HI:,}]/s, {a.paced_rounds} rounds, loss < {PACED_LOSS_PCT} %",
            flush=True,
        )
        rows, errors = self.rotate(
            names,
            a.paced_rounds,
            lambda name, rnd: self.one_paced(name, rcvbuf, rnd),
            lambda r: (
                f"{r['rate']:10,.0f} dgram/s" + (" (sender-limited)" if r["sender_limited"] else "")
            ),
        )
        self.results["paced"] = {
            "window_s": a.paced_window,
            "steps": a.paced_steps,
            "loss_pct": PACED_LOSS_PCT,
            "range": [PACED_LO, PACED_HI],
            "pinned": self.cpu_a is not None,
            "rcvbuf": rcvbuf,
            "rows": rows,
            "errors": errors,
        }

    def one_paced(self, name: str, rcvbuf: int, rnd: int) -> dict[str, Any]:
        """Bisect one receiver's highest rate with loss under the limit (a
        failing rate gets a second try); one receiver process for all steps
        (its socket's drop counter is read before and after each step)."""
        a = self.args
        w = Worker(
            self.recv_cmd(name, rcvbuf), self.logdir, "paced-" + self.tag(name), self.worker_env()
        )
        pin(w.proc.pid, self.cpu_b)
        lo, hi = 0.0, float(PACED_HI)
        rate = float(PACED_LO)
        best: dict[str, Any] | None = None
        steps: list[dict[str, Any]] = []
        problems: list[str] = []
        try:
            for _ in range(a.paced_steps):
                # A rate that loses is tried once more: a single stall of the
                # (virtual) CPU longer than the buffer's few milliseconds
                # loses as much as a receiver that is too slow.
                for _try in range(2):
                    st = self.paced_step(w, rate)
                    steps.append(st)
                    if st["problem"] or st["loss_pct"] < PACED_LOSS_PCT:
                        break
                if st["problem"]:
                    problems.append(st["problem"])
                    break
                ok = st["loss_pct"] < PACED_LOSS_PCT
                if ok and (best is None or st["achieved"] > best["achieved"]):
                    best = st
                lo, hi = (rate, hi) if ok else (lo, rate)
                rate = (lo + hi) / 2 if best is not None else rate / 2
                if best is None and rate < PACED_LO / 8:
                    break
        finally:
            w.close()
        lowest = min((st["asked"] for st in steps), default=rate)
        return {
            "round": rnd,
            "rate": best["achieved"] if best else 0.0,
            "loss_pct": best["loss_pct"] if best else NAN,
            "cpu_per_M": best["cpu_per_M"] if best else NAN,
            # The sender fell behind its schedule at the best step: the
            # receiver took everything offered, so its own limit is higher.
            "sender_limited": bool(best and best["achieved"] < 0.95 * best["asked"]),
            "steps": steps,
            "valid": not problems and best is not None,
            "problems": problems
            or ([] if best else [f"loss at every rate down to {lowest:,.0f}/s"]),
        }

    def paced_step(self, w: Worker, rate: float) -> dict[str, Any]:
        """One rate: the receiver reads for the whole time the sender sends;
        loss = the kernel's drops during the step / datagrams sent."""
        a = self.args
        _, d0 = settle(w.port)
        # The receiver's window outlasts the sender; a blocking receiver that
        # is still waiting when its window ends is woken by one datagram.
        w.send(f"window {a.paced_window + 0.3}")
        time.sleep(0.1)
        self.load.sample()
        sender = subprocess.Popen(
            [str(self.cbin), "blast", str(w.port), str(a.paced_window), str(DGRAM), "gso",
             str(rate)],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        pin(sender.pid, self.cpu_a)
        out, _ = sender.communicate(timeout=a.paced_window + 30)
        blast = json.loads(out.strip().splitlines()[-1])
        wakes = 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            deadline = time.monotonic() + 60
            while not w.answered(0.4 if wakes == 0 else 0.05):
                if time.monotonic() > deadline:
                    raise WorkerError("no answer to window")
                tx.sendto(b"w" * DGRAM, ("127.0.0.1", w.port))
                wakes += 1
        r = json.loads(w.readline(1.0))
        _, d1 = settle(w.port)
        drained = w.ask("drain", 120)["drained"]
        sent = blast["sent"] + wakes
        drops = d1 - d0
        problem = ""
        if r["received"] + drained + drops != sent:
            problem = (
                f"at {rate:,.0f}/s: received {r['received']} + drained {drained} + "
                f"drops {drops} != sent {sent}"
            )
        return {
            "asked": rate,
            "achieved": blast["rate"],
            "sent": sent,
            "received": r["received"],
            "drained": drained,
            "drops": drops,
            "loss_pct": 100.0 * drops / sent if sent else NAN,
            "cpu_per_M": r["cpu"] / r["received"] * 1e6 if r["received"] else NAN,
            "busy": r["cpu"] / r["wall"] if r["wall"] else NAN,
            "problem": problem,
        }

    # mode: send ----------------------------------------------------------------

    def mode_send(self) -> None:
        a = self.args
        names = []
        if self.cbin:
            names += ["C sendmsg GSO", "C sendmmsg", "C sendto"]
        names += [n for n, why in self.avail["send"].items() if not why]
        n = a.n
        print(f"[send] N={n} x {DGRAM} B, {a.rounds} rounds", flush=True)
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sink.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, max(8 << 20, (n + 2000) * 1024))
        except OSError:
            sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, max(8 << 20, (n + 2000) * 1024))
        sink.bind(("127.0.0.1", 0))
        sink.setblocking(False)
        port = sink.getsockname()[1]

        def drain() -> int:
            k = 0
            for _ in range(10_000_000):
                try:
                    sink.recv(65536)
                except BlockingIOError:
                    break
                k += 1
            return k

        def one(name: str, rnd: int) -> dict[str, Any]:
            """Send n datagrams into the emptied sink: the sender's report,
            checked against what reached the sink."""
            drain()
            _, d0 = udp_socket_stats(port) or (0, 0)
            self.load.sample()
            if name.startswith("C "):
                mode = "gso" if "GSO" in name else "sendmmsg" if "mmsg" in name else "sendto"
                r = run_json([str(self.cbin), "send", mode, str(port), str(n), str(DGRAM)], 120)
            else:
                w = subprocess.Popen(
                    [self.py, str(WORKER), "send", name, str(port), str(n), str(DGRAM)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    env=self.worker_env(),
                )
                try:
                    assert w.stdout is not None and w.stdin is not None
                    json.loads(w.stdout.readline())  # warmed up
                    settle(port)
                    drain()
                    _, d0 = udp_socket_stats(port) or (0, 0)
                    out, _ = w.communicate("go\n", timeout=120)
                    r = json.loads(out.strip().splitlines()[-1])
                finally:
                    if w.poll() is None:
                        w.kill()
                        w.wait()
            settle(port)
            got = drain()
            _, d1 = udp_socket_stats(port) or (0, d0)
            arrived = got + (d1 - d0)
            problems = (
                []
                if r["sent"] == n and arrived == n
                else [f"sent {r['sent']} of {n}, arrived {arrived}"]
            )
            r.update(
                round=rnd,
                sink_received=got,
                kernel_drops=d1 - d0,
                cpu_per_M=r["cpu"] / r["sent"] * 1e6 if r["sent"] else NAN,
                valid=not problems,
                problems=problems,
            )
            return r

        try:
            rows, errors = self.rotate(names, a.rounds, one, show_cpu)
        finally:
            sink.close()
        self.results["send"] = {"n": n, "rows": rows, "errors": errors}

    # mode: ping-pong --------------------------------------------------------------

    def ping_once(self, cmd: list[str]) -> list[int]:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.worker_env(),
        )
        pin(proc.pid, self.ping_cpu)
        try:
            out, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode != 0:
            raise WorkerError(err.strip()[-300:])
        return json.loads(out.strip().splitlines()[-1])["ns"]

    def mode_pingpong(self) -> None:
        a = self.args
        names = (["C blocking socket"] if self.cbin else []) + [
            n for n, why in self.avail["ping"].items() if not why
        ]
        if self.cbin:
            echo_cmd = [str(self.cbin), "echo", str(1 << 20)]
            echo_kind = "C (blocking recvfrom/sendto)"
        else:
            echo_cmd = [self.py, str(WORKER), "echo"]
            echo_kind = "Python (blocking recvfrom/sendto)"
        print(
            f"[pingpong] {a.pings} round trips after {a.ping_warmup} warm-up, "
            f"{a.rounds} rounds, echo: {echo_kind}",
            flush=True,
        )
        echo = subprocess.Popen(echo_cmd, stdout=subprocess.PIPE, text=True)
        if self.args.ping_cpus != "none":
            pin(echo.pid, self.cpu_a)
        try:
            assert echo.stdout is not None
            first = echo.stdout.readline()
            port = (
                int(first.split()[1])
                if first.startswith("PORT")
                else int(json.loads(first)["port"])
            )
            args = [str(port), str(a.pings), str(a.ping_warmup), str(DGRAM)]

            def one(name: str, rnd: int) -> dict[str, Any]:
                if name.startswith("C "):
                    cmd = [str(self.cbin), "ping", *args]
                else:
                    cmd = [self.py, str(WORKER), "ping", name, *args]
                self.load.sample()
                ns = sorted(self.ping_once(cmd))
                if len(ns) != a.pings or ns[0] <= 0:
                    raise WorkerError("missing round trips")
                return {
                    "round": rnd,
                    "p50_us": percentile(ns, 50) / 1e3,
                    "p99_us": percentile(ns, 99) / 1e3,
                    "min_us": ns[0] / 1e3,
                    "valid": True,
                }

            rows, errors = self.rotate(
                names,
                a.rounds,
                one,
                lambda r: f"p50 {r['p50_us']:6.1f} us  p99 {r['p99_us']:6.1f} us",
            )
        finally:
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    s.sendto(b"STOP", ("127.0.0.1", port))
                echo.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired, UnboundLocalError):
                pass
            if echo.poll() is None:
                echo.kill()
                echo.wait()
        self.results["pingpong"] = {
            "echo": echo_kind,
            "count": a.pings,
            "rows": rows,
            "errors": errors,
        }


def pin(pid: int, cpu: int | None) -> None:
    """Keep a process on one CPU (saturated and ping-pong modes put the two
    ends on different CPUs)."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return
    try:
        os.sched_setaffinity(pid, {cpu})
    except OSError:
        pass


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer datagrams and rounds")
    p.add_argument("--out", default=str(REPO / "bench-results"), help="directory for results")
    p.add_argument("--modes", default="prequeue,callgrind,saturated,paced,send,pingpong")
    p.add_argument("--only", action="append", help="contenders whose name contains this")
    p.add_argument("-n", type=int, help="datagrams per pre-queued round (default 50,000)")
    p.add_argument("--rounds", type=int, help="rounds per contender (default 5)")
    p.add_argument("--plot", help="chart path (default docs/performance.png)")
    p.add_argument("--python", help="interpreter for the workers (default: this one)")
    p.add_argument("--profile-all", action="store_true", help="callgrind profile of everyone")
    p.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    p.add_argument(
        "--ping-cpus",
        choices=("same", "split", "none"),
        default="same",
        help="ping-pong: client on the echo server's CPU, on the other CPU, or unpinned",
    )
    p.add_argument("--no-netns", action="store_true", help="stay on the host's loopback")
    p.add_argument("--paced-rounds", type=int, help="paced mode: rounds (default 3, --quick 1)")
    args = p.parse_args(argv)
    args.n = args.n or (10_000 if args.quick else 50_000)
    args.rounds = args.rounds or (3 if args.quick else 5)
    args.sat_rounds = 2 if args.quick else 3
    args.window = 1.0 if args.quick else 2.0
    args.paced_rounds = args.paced_rounds or (1 if args.quick else 3)
    args.paced_window = 0.5 if args.quick else 1.0
    args.paced_steps = 6 if args.quick else 7
    args.cg_n = 5_000 if args.quick else 20_000
    args.pings = 1_000 if args.quick else 5_000
    args.ping_warmup = 200
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]

    netns = "host loopback (--no-netns)" if args.no_netns else enter_netns()
    info = machine()
    info["netns"] = netns
    info["date"] = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"qudp benchmarks: {info['nproc']} x {info['cpu']}, {info['kernel']}, {netns}")
    if info.get("qudp_build") == "source tree":
        print("warning: qudp comes from the source tree (a debug `maturin develop` build?)")
    run = Runner(args)
    run.load.sample()
    for mode in args.modes:
        getattr(run, f"mode_{mode}")()
    run.load.sample()
    info["load"] = run.load.summary()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    default_plot = out / "receive.png" if args.quick else REPO / "docs" / "performance.png"
    plot_path = Path(args.plot) if args.plot else default_plot
    why = plot(run.results, plot_path)
    if why:
        run.notes.append(why)
    rep = Report(run.results, info, args)
    text = rep.build(run.skipped, run.notes)
    (out / "receive.md").write_text(text)
    for name, prof in run.profiles.items():
        (out / f"profile-{run.tag(name)}.txt").write_text(prof)
    blob = {
        "machine": info,
        "args": vars(args),
        "results": run.results,
        "summary": rep.summary,
        "skipped": run.skipped,
        "notes": run.notes,
    }
    (out / "receive.json").write_text(json.dumps(blob, indent=1, default=str))
    print()
    print(text)
    print(f"wrote {out / 'receive.md'}, {out / 'receive.json'}" + ("" if why else f", {plot_path}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
