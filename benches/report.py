"""Statistics, the markdown report and the chart of benches/receive.py."""

# The report is for people: it uses the multiplication sign, en dash and micro sign.
# ruff: noqa: RUF001

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

REF = "python recvfrom loop"
C_MMSG = "C recvmmsg loop"
QT_PATTERN = "qudp readyRead+readDatagram"
PLAIN = ", plain bytes"  # suffix of the contenders whose payloads are plain bytes
PY_SEND = "python sendto"
QUDP_SEND = "qudp writeDatagram"
PY_PING = "python blocking socket"
PACED_PEER = "python recvfrom_into loop"  # the overload target's peer
NAN = float("nan")

Rows = dict[str, list[dict[str, Any]]]


def isnan(x: float) -> bool:
    return x != x


def med(rows: list[dict[str, Any]], key: str) -> float:
    vals = [r[key] for r in rows if r.get("valid") and not isnan(r.get(key, NAN))]
    return statistics.median(vals) if vals else NAN


def paired_ratio(rows: Rows, name: str, ref: str, key: str) -> float:
    """Median over rounds of name / ref, each pair measured in the same round."""
    by_round = {r["round"]: r for r in rows.get(ref, []) if r.get("valid")}
    ratios = [
        r[key] / by_round[r["round"]][key]
        for r in rows.get(name, [])
        if r.get("valid") and r["round"] in by_round and by_round[r["round"]][key]
    ]
    return statistics.median(ratios) if ratios else NAN


def kernel_share(rows: list[dict[str, Any]]) -> float:
    """System time / CPU time over all valid rounds. getrusage splits the
    (exact) CPU time by tick sampling, so this is approximate."""
    ok = [r for r in rows if r.get("valid")]
    user = sum(r.get("user", 0.0) for r in ok)
    sys_ = sum(r.get("sys", 0.0) for r in ok)
    return sys_ / (user + sys_) if user + sys_ > 0 else NAN


def fmt(x: float, spec: str = ".2f") -> str:
    return "—" if isnan(x) else format(x, spec)


def status(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no data"
    bad = [r for r in rows if not r.get("valid")]
    if bad:
        why = "; ".join(bad[0].get("problems", []))
        return f"INVALID {len(bad)}/{len(rows)}: {why[:80]}"
    return "ok"


def verdict(x: float, limit: float) -> str:
    if isnan(x):
        return "not measured"
    return "met" if x <= limit else "**not met**"


class Report:
    def __init__(self, results: dict[str, Any], info: dict[str, Any], args: Any) -> None:
        self.res = results
        self.info = info
        self.args = args
        self.lines: list[str] = []
        self.summary: dict[str, Any] = {}

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def build(self, skipped: dict[str, dict[str, str]], notes: list[str]) -> str:
        self.skipped = skipped
        self.header()
        if "prequeue" in self.res:
            self.prequeue()
            self.targets()
        if "saturated" in self.res:
            self.saturated()
        if "paced" in self.res:
            self.paced()
        if "send" in self.res:
            self.send()
        if "pingpong" in self.res:
            self.pingpong()
        if notes:
            self.add("Notes: " + " ".join(notes), "")
        cmd = "python benches/receive.py" + (" --quick" if self.args.quick else "")
        self.add(f"Command: `{cmd}`; raw numbers in receive.json.")
        return "\n".join(self.lines) + "\n"

    def header(self) -> None:
        i = self.info
        ld = i["load"]
        self.add(f"# qudp receive benchmarks ({i['date']})", "")
        self.add(
            f"{i['nproc']} × {i['cpu']}, Linux {i['kernel']}, CPython {i['python']}; "
            f"qudp {i.get('qudp')} ({i.get('qudp_build', '?')}), PySide6 {i.get('PySide6')}, "
            f"uvloop {i.get('uvloop')}; {i['netns']}.",
            f"Load: loadavg {ld['loadavg_min']:.2f}–{ld['loadavg_max']:.2f} "
            f"(median {ld['loadavg_median']:.2f}); other processes kept "
            f"{ld['other_cpus_busy']:.2f} of {i['nproc']} CPUs busy on average during the "
            f"{ld['wall_s']:.0f} s run.",
            "",
        )

    def prequeue(self) -> None:
        pq = self.res["prequeue"]
        cg = self.res.get("callgrind", {})
        rows: Rows = pq["rows"]
        a = self.args
        self.add(
            f"## Receive {pq['n']:,} pre-queued datagrams of 64 B (median of {a.rounds} rounds)",
            "",
            "CPU: user + system time of the receiving process only, in seconds per million "
            "datagrams (= µs per datagram). Ratios: median of the per-round ratios (each round "
            "runs every contender back to back). Kernel: share of that CPU time spent in the "
            "kernel (tick-sampled, approximate). Instructions: user space only (callgrind).",
            "",
            "| contender | CPU s/1M | min–max | kernel | × py recvfrom | × C recvmmsg "
            "| instr/dgram | instr × py | check |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        )
        ref_i = cg.get(REF, {}).get("per_dgram", NAN)
        table: dict[str, dict[str, float]] = {}
        for name, rs in rows.items():
            ok = [r["cpu_per_M"] for r in rs if r.get("valid")]
            m = med(rs, "cpu_per_M")
            ins = cg.get(name, {}).get("per_dgram", NAN)
            t = {
                "cpu_per_M": m,
                "x_ref": paired_ratio(rows, name, REF, "cpu_per_M"),
                "x_c_mmsg": paired_ratio(rows, name, C_MMSG, "cpu_per_M"),
                "instr": ins,
                "instr_x_ref": ins / ref_i if ref_i and not isnan(ref_i) else NAN,
                "kernel": kernel_share(rs),
            }
            table[name] = t
            spread = f"{fmt(min(ok))}–{fmt(max(ok))}" if ok else "—"
            self.add(
                f"| {name} | {fmt(m, '.3f')} | {spread} | {fmt(100 * t['kernel'], '.0f')} % "
                f"| {fmt(t['x_ref'])} | {fmt(t['x_c_mmsg'])} | {fmt(ins, ',.0f')} "
                f"| {fmt(t['instr_x_ref'])} | {status(rs)} |"
            )
        for name, why in pq["errors"].items():
            self.add(f"| {name} | — | — | — | — | — | — | — | error: {why[:80]} |")
        for name, why in self.skipped["recv"].items():
            self.add(f"| {name} | — | — | — | — | — | — | — | skipped: {why} |")
        self.summary["prequeue"] = table
        self.add("")
        self.payload_cost(rows, cg)
        if cg:
            first = next(iter(cg.values()))
            self.add(
                f"Instructions per datagram: (callgrind total of a run with "
                f"{first.get('n1', a.cg_n):,} datagrams − total of a run with "
                f"{first.get('n0', a.cg_n // 10):,}) / the difference, so start-up and the "
                "one-time cost of entering the loop cancel.",
                "",
            )
            for k, v in cg.items():
                if "error" in v:
                    self.add(f"- callgrind {k}: {v['error']}")
        elif "callgrind" not in self.args.modes:
            self.add("Instruction counts not run (`--modes` without callgrind).", "")

    def payload_cost(self, rows: Rows, cg: dict[str, Any]) -> None:
        """qudp.QByteArray payloads against plain bytes: each contender with
        a ", plain bytes" twin, ratio per round (target: at most 1.05)."""
        pairs = [
            (n[: -len(PLAIN)], n) for n in rows if n.endswith(PLAIN) and n[: -len(PLAIN)] in rows
        ]
        if not pairs:
            return
        self.add(
            "QByteArray payloads against plain bytes (the same contender with qudp's payload "
            "switch; CPU ratio = median of the per-round ratios; target ≤ 1.05):",
            "",
            "| contender | QByteArray CPU s/1M | plain bytes CPU s/1M | CPU ratio "
            "| instr/dgram QByteArray | instr/dgram bytes | instr ratio |",
            "|---|---:|---:|---:|---:|---:|---:|",
        )
        out = {}
        for qba, plain in pairs:
            r = paired_ratio(rows, qba, plain, "cpu_per_M")
            iq = cg.get(qba, {}).get("per_dgram", NAN)
            ib = cg.get(plain, {}).get("per_dgram", NAN)
            ir = iq / ib if ib and not isnan(ib) else NAN
            out[qba] = {"cpu_ratio": r, "instr_ratio": ir}
            self.add(
                f"| {qba} | {fmt(med(rows[qba], 'cpu_per_M'), '.3f')} "
                f"| {fmt(med(rows[plain], 'cpu_per_M'), '.3f')} | {fmt(r, '.3f')} "
                f"| {fmt(iq, ',.0f')} | {fmt(ib, ',.0f')} | {fmt(ir, '.3f')} |"
            )
        self.summary["payload"] = out
        self.add("")

    def targets(self) -> None:
        t = self.summary["prequeue"]
        qt = t.get(QT_PATTERN, {})
        self.add("### Targets of the performance issue", "")
        self.add("| target | measured | verdict |", "|---|---:|---|")
        x = qt.get("x_ref", NAN)
        self.add(
            f"| readyRead pattern: CPU ≤ 1/1.4 = 0.71 × python recvfrom | {fmt(x)} × "
            f"| {verdict(x, 1 / 1.4)} |"
        )
        x = qt.get("x_c_mmsg", NAN)
        self.add(
            f"| readyRead pattern: CPU ≤ 1.25 × C recvmmsg | {fmt(x)} × | {verdict(x, 1.25)} |"
        )
        x = qt.get("instr_x_ref", NAN)
        self.add(
            f"| readyRead pattern: user-space instructions ≤ 0.5 × python recvfrom "
            f"| {fmt(x)} × | {verdict(x, 0.5)} |"
        )
        batch = {n: v for n, v in t.items() if "batch" in n and not isnan(v["x_c_mmsg"])}
        if batch:
            best = min(batch, key=lambda n: batch[n]["x_c_mmsg"])
            x = batch[best]["x_c_mmsg"]
            self.add(
                f"| batch receive: CPU ≤ 1.05 × C recvmmsg (best: {best}) | {fmt(x)} × "
                f"| {verdict(x, 1.05)} |"
            )
        else:
            why = "; ".join(v for n, v in self.skipped["recv"].items() if "batch" in n)
            self.add(f"| batch receive: CPU ≤ 1.05 × C recvmmsg | — | not measured {why} |")
        for mode in ("saturated", "paced"):
            got = self.res.get(mode)
            if got and got["rows"].get(QT_PATTERN) and got["rows"].get(PACED_PEER):
                x = paired_ratio(got["rows"], QT_PATTERN, PACED_PEER, "rate")
                what = (
                    "rate under a flood"
                    if mode == "saturated"
                    else f"highest paced rate with < {got['loss_pct']:g} % loss"
                ) + " ≥ python recvfrom_into's"
                self.add(
                    f"| overload: readyRead pattern's {what} | {fmt(x)} × | {verdict(1 / x, 1.0)} |"
                )
        sd = self.res.get("send")
        if sd:
            x = paired_ratio(sd["rows"], QUDP_SEND, PY_SEND, "cpu_per_M")
            self.add(f"| writeDatagram: CPU ≤ python sendto | {fmt(x)} × | {verdict(x, 1.0)} |")
            gso_batch, c_gso = "qudp writeDatagrams batch", "C sendmsg GSO"
            if gso_batch in sd["rows"] and c_gso in sd["rows"]:
                # A CPU-bound sender's rate is 1 / its CPU per datagram.
                x = paired_ratio(sd["rows"], c_gso, gso_batch, "cpu_per_M")
                self.add(
                    f"| writeDatagrams to one peer: rate ≥ 0.95 × C GSO sender's "
                    f"(= C's CPU per datagram / qudp's) | {fmt(x)} × | {verdict(1 / x, 1 / 0.95)} |"
                )
            v4 = QUDP_SEND + ", IPv4 socket"
            if v4 in sd["rows"]:
                x = paired_ratio(sd["rows"], v4, PY_SEND, "cpu_per_M")
                self.add(
                    f"| writeDatagram from an IPv4-bound socket: CPU ≤ python sendto | {fmt(x)} × "
                    f"| {verdict(x, 1.0)} |"
                )
        pp = self.res.get("pingpong")
        if pp:
            for name in ("qudp readyRead", "qudp waitForReadyRead"):
                x = paired_ratio(pp["rows"], name, PY_PING, "p50_us")
                self.add(
                    f"| ping-pong p50 ({name}) ≤ python blocking socket | {fmt(x)} × "
                    f"| {verdict(x, 1.0)} |"
                )
        self.add("")

    def saturated(self) -> None:
        sat = self.res["saturated"]
        rows: Rows = sat["rows"]
        gso = any(r.get("gso_sender") for rs in rows.values() for r in rs)
        how = "UDP GSO sendmsg, 64 datagrams per call" if gso else "sendmmsg"
        self.add(
            f"## Receive while a C sender floods the socket ({how}; {sat['window_s']} s "
            f"windows, SO_RCVBUF {sat['rcvbuf'] >> 20} MiB, median of {self.args.sat_rounds} "
            "rounds)",
            "",
            ("Sender and receiver pinned to different CPUs. " if sat["pinned"] else "")
            + "Busy: the receiver's CPU time / wall time (below 100 %: it waited for data or "
            "for the CPU). Drops: share of what arrived during the window that the kernel "
            "dropped because the queue was full.",
            "",
            "| contender | datagrams/s | × py recvfrom | CPU s/1M | busy | drops | check |",
            "|---|---:|---:|---:|---:|---:|---|",
        )
        for name, rs in rows.items():
            if not rs:
                continue
            ratio = paired_ratio(rows, name, REF, "rate")
            self.add(
                f"| {name} | {fmt(med(rs, 'rate'), ',.0f')} "
                f"| {fmt(ratio)} | {fmt(med(rs, 'cpu_per_M'), '.3f')} "
                f"| {fmt(100 * med(rs, 'busy'), '.0f')} % | {fmt(med(rs, 'drop_pct'), '.1f')} % "
                f"| {status(rs)} |"
            )
        for name, why in sat["errors"].items():
            self.add(f"| {name} | — | — | — | — | — | error: {why[:80]} |")
        self.add("")

    def paced(self) -> None:
        pc = self.res["paced"]
        rows: Rows = pc["rows"]
        lo, hi = pc["range"]
        self.add(
            f"## Highest paced rate with < {pc['loss_pct']:g} % loss (C sender paced with UDP "
            f"GSO, 64 datagrams per call; SO_RCVBUF {pc['rcvbuf'] >> 20} MiB; "
            f"{pc['window_s']} s per rate, {pc['steps']} bisection steps in "
            f"[{lo:,}, {hi:,}]/s; median of {len(next(iter(rows.values()), []))} rounds)",
            "",
            ("Sender and receiver pinned to different CPUs. " if pc["pinned"] else "")
            + "A rate passes if one of two tries loses less than the limit (one stall of a "
            "virtual CPU longer than the buffer's few milliseconds loses as much as a slow "
            "receiver). The rate is the one the sender achieved at the best step that passed; "
            "*sender-limited* means the receiver kept up with everything the sender could "
            "offer. CPU: the receiver's CPU per datagram at that step.",
            "",
            "| contender | datagrams/s | × py recvfrom_into | loss | CPU s/1M | check |",
            "|---|---:|---:|---:|---:|---|",
        )
        for name, rs in rows.items():
            if not rs:
                continue
            ratio = paired_ratio(rows, name, PACED_PEER, "rate")
            limited = " (sender-limited)" if any(r["sender_limited"] for r in rs) else ""
            self.add(
                f"| {name} | {fmt(med(rs, 'rate'), ',.0f')}{limited} | {fmt(ratio)} "
                f"| {fmt(med(rs, 'loss_pct'), '.2f')} % | {fmt(med(rs, 'cpu_per_M'), '.3f')} "
                f"| {status(rs)} |"
            )
        for name, why in pc["errors"].items():
            self.add(f"| {name} | — | — | — | — | error: {why[:80]} |")
        self.summary["paced"] = {
            n: {"rate": med(rs, "rate"), "x_peer": paired_ratio(rows, n, PACED_PEER, "rate")}
            for n, rs in rows.items()
            if rs
        }
        self.add("")

    def send(self) -> None:
        sd = self.res["send"]
        rows: Rows = sd["rows"]
        self.add(
            f"## Send {sd['n']:,} datagrams of 64 B: CPU of the sending process "
            f"(median of {self.args.rounds} rounds)",
            "",
            "On loopback the sender's system call also delivers into the receiver's queue, so that "
            "kernel work is in every row.",
            "",
            "| contender | CPU s/1M | × python sendto | check |",
            "|---|---:|---:|---|",
        )
        for name, rs in rows.items():
            self.add(
                f"| {name} | {fmt(med(rs, 'cpu_per_M'), '.3f')} "
                f"| {fmt(paired_ratio(rows, name, PY_SEND, 'cpu_per_M'))} | {status(rs)} |"
            )
        for name, why in sd["errors"].items():
            self.add(f"| {name} | — | — | error: {why[:80]} |")
        for name, why in self.skipped["send"].items():
            self.add(f"| {name} | — | — | skipped: {why} |")
        self.add("")

    def pingpong(self) -> None:
        pp = self.res["pingpong"]
        rows: Rows = pp["rows"]
        self.add(
            f"## Ping-pong: {pp['count']:,} round trips of 64 B against a {pp['echo']} echo "
            f"server (median over {self.args.rounds} rounds of each round's percentile)",
            "",
            "| client | p50 µs | p99 µs | p50 × python blocking | check |",
            "|---|---:|---:|---:|---|",
        )
        for name, rs in rows.items():
            self.add(
                f"| {name} | {fmt(med(rs, 'p50_us'), '.1f')} | {fmt(med(rs, 'p99_us'), '.1f')} "
                f"| {fmt(paired_ratio(rows, name, PY_PING, 'p50_us'))} | {status(rs)} |"
            )
        for name, why in pp["errors"].items():
            self.add(f"| {name} | — | — | — | error: {why[:80]} |")
        for name, why in self.skipped["ping"].items():
            self.add(f"| {name} | — | — | — | skipped: {why} |")
        self.add("")


# -- the chart -----------------------------------------------------------------


def family(name: str) -> str:
    if name.startswith("C "):
        return "C"
    if name.startswith("qudp"):
        return "qudp"
    if name.startswith("PySide6"):
        return "PySide6"
    return "Python"


COLORS = {"C": "#7f7f7f", "Python": "#4c72b0", "PySide6": "#55a868", "qudp": "#dd8452"}


def _bars(
    ax: Any, names: list[str], vals: list[float], xlabel: str, title: str, cap: float
) -> None:
    """Horizontal bars; a bar longer than ``cap`` is cut there and labelled
    with its value (asyncio would otherwise squash the others)."""
    y = list(range(len(names)))[::-1]
    shown = [min(v, cap) for v in vals]
    ax.barh(y, shown, color=[COLORS[family(n)] for n in names])
    ax.set_yticks(y, names, fontsize=7)
    ax.set_xlabel(xlabel, fontsize=7)
    ax.set_title(title, fontsize=8)
    for yi, v, w in zip(y, vals, shown, strict=True):
        label = f" {v:.2f}" if v < 10 else f" {v:.1f}"
        ax.text(w, yi, label + (" (cut)" if v > cap else ""), va="center", fontsize=6)
    ax.set_xlim(0, cap * 1.2)
    ax.tick_params(axis="x", labelsize=6)


def plot(results: dict[str, Any], path: Path) -> str | None:
    """Two panels: receive CPU per datagram, ping-pong p50. None on success,
    else why there is no chart."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib not installed: no chart."
    pq = results.get("prequeue")
    if not pq:
        return "no pre-queued results: no chart."
    pp = results.get("pingpong")
    names = [n for n, rs in pq["rows"].items() if not isnan(med(rs, "cpu_per_M"))]
    vals = [med(pq["rows"][n], "cpu_per_M") for n in names]
    panels = 2 if pp else 1
    fig, axes = plt.subplots(
        1, panels, figsize=(10 if pp else 6, 4.2), dpi=90, width_ratios=[3, 2][:panels]
    )
    ax = axes[0] if panels == 2 else axes
    ref = med(pq["rows"].get(REF, []), "cpu_per_M")
    cmmsg = med(pq["rows"].get(C_MMSG, []), "cpu_per_M")
    cap = max(vals) if isnan(ref) else min(max(vals), 2.5 * ref)
    _bars(
        ax,
        names,
        vals,
        "CPU µs per datagram (lower is better)",
        f"Receive {pq['n']:,} pre-queued 64 B datagrams",
        cap,
    )
    for x, label, ls in (
        (ref / 1.4, "target: python recvfrom / 1.4", "--"),
        (cmmsg * 1.25, "target: C recvmmsg × 1.25", ":"),
    ):
        if not isnan(x):
            ax.axvline(x, color="k", ls=ls, lw=0.8, label=label)
    ax.legend(fontsize=6, loc="lower right")
    if pp:
        pn = [n for n, rs in pp["rows"].items() if not isnan(med(rs, "p50_us"))]
        pv = [med(pp["rows"][n], "p50_us") for n in pn]
        pref = med(pp["rows"].get(PY_PING, []), "p50_us")
        _bars(
            axes[1],
            pn,
            pv,
            "round trip p50, µs (lower is better)",
            "Ping-pong 64 B against a C echo server",
            max(pv) if isnan(pref) else min(max(pv), 2.5 * pref),
        )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    try:  # a palette PNG is a third of the size (the chart is committed)
        from PIL import Image

        with Image.open(path) as im:
            small = im.convert("RGB").quantize(colors=64)
        small.save(path, optimize=True)
    except (ImportError, OSError):
        pass
    return None
