"""The timer heap stays bounded by the live timers, whatever restarts do."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from qudp import QEventLoop, QTimer, _qudp


def run_for(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def test_restarting_a_long_timer_does_not_grow_the_heap() -> None:
    live = QTimer()
    fired: list[int] = []
    live.timeout.connect(lambda: fired.append(1))
    live.start(1000)
    long = QTimer()
    long.timeout.connect(lambda: fired.append(60))
    t0 = time.monotonic()
    for _ in range(200_000):
        long.start(60_000)
        if time.monotonic() - t0 > 30:
            break
    entries = _qudp._reactor_timer_entries()
    assert entries < 1000, entries
    assert long.isActive() and 59_000 < long.remainingTime() <= 60_000
    assert live.isActive() and 0 <= live.remainingTime() <= 1000  # may be due under load
    # Both still fire when due after the compactions.
    live.start(10)
    long.start(20)
    run_for(60)
    assert 1 in fired and 60 in fired
    live.stop()
    long.stop()


def test_many_live_timers_all_fire_after_compaction() -> None:
    timers = []
    fired: set[int] = set()
    for i in range(300):
        t = QTimer()
        t.setSingleShot(True)
        t.timeout.connect(lambda i=i: fired.add(i))
        for _ in range(5):
            t.start(20 + i % 7)  # four stale entries per live one
        timers.append(t)
    assert _qudp._reactor_timer_entries() <= 4 * 300
    run_for(80)
    assert fired == set(range(300))


def test_garbage_collection_inside_the_constructor_is_safe() -> None:
    # QTimer has a __dict__, so allocating it can run a collection that
    # traverses the half-built timer (its fields still zeroed memory).
    code = textwrap.dedent(
        """
        import gc
        from qudp import QEventLoop, QTimer
        keep = []
        for threshold in range(1, 30):  # every phase of allocations vs. collections
            gc.set_threshold(threshold, 1, 1)
            for i in range(500):
                t = QTimer()
                t.timeout.connect(lambda i=i: i)
                keep.append((t, QEventLoop(), [i] * (i % 3)))
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", (out.returncode, out.stderr[-2000:])
