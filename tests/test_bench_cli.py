"""`python -m qudp bench` runs, accounts for every datagram and prints its table.

Functional only (a tiny window, one round): performance is measured by
benchmarks, never asserted here.
"""

from __future__ import annotations

import subprocess
import sys


def test_bench_cli_small_run() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "qudp", "bench", "--seconds", "0.2", "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "qudp, Qt's readyRead pattern" in out.stdout
    assert "Python socket, blocking recvfrom loop" in out.stdout
    assert "unaccounted" not in out.stdout, out.stdout
    assert "round 1/1: qudp-readyread" in out.stderr
