"""A loop and its timers belong to the thread that created them (Qt's thread
affinity): other threads are refused with Qt's warnings instead of racing the
owning thread's reactor, and nothing hangs or crashes once that thread ends."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import pytest

from qudp import QEventLoop, QHostAddress, QTimer, QUdpSocket

START_REFUSED = "QObject::startTimer: Timers cannot be started from another thread"
KILL_REFUSED = "QObject::killTimer: Timers cannot be stopped from another thread"


def run_for(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def in_thread(fn: Any) -> Any:
    """Run `fn` on a new thread that then ends; return its result."""
    box: dict[str, Any] = {}

    def body() -> None:
        box["r"] = fn()

    t = threading.Thread(target=body)
    t.start()
    t.join(10)
    assert not t.is_alive()
    return box.get("r")


def test_reactor_fd_while_another_thread_runs_exec_does_not_deadlock() -> None:
    # Thread T creates a loop; the main thread runs its exec(); T then asks
    # for the reactor descriptor holding the GIL (as asyncio's attach does).
    code = textwrap.dedent(
        """
        import threading, time
        from qudp import QEventLoop, _qudp
        ready = threading.Event()
        box = {}
        def worker():
            box["loop"] = QEventLoop()
            box["fd"] = _qudp._reactor_fd()
            ready.set()
            time.sleep(0.2)
            box["fd2"] = [_qudp._reactor_fd() for _ in range(100)][-1]
            box["loop"].quit()
        t = threading.Thread(target=worker, daemon=True)
        t.start()
        ready.wait()
        rc = box["loop"].exec()
        pe = box["loop"].processEvents()
        t.join(5)
        print(rc, pe, box.get("fd2") == box["fd"], box["fd"] >= 0)
        """
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=10
        )
    except subprocess.TimeoutExpired:
        pytest.fail("deadlock: exec() off the owning thread vs _reactor_fd()")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["-1", "False", "True", "True"]
    assert "QEventLoop::exec: Must be called from the thread that created the loop" in out.stderr
    assert "QEventLoop::processEvents: Must be called from the thread" in out.stderr


def test_timer_started_from_another_thread_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    t = QTimer()
    t.setSingleShot(True)
    fired: list[float] = []
    t.timeout.connect(lambda: fired.append(time.monotonic()))
    in_thread(lambda: t.start(10))
    assert START_REFUSED in capsys.readouterr().err
    assert not t.isActive() and t.remainingTime() == -1
    run_for(80)
    assert fired == []
    # The owning thread can still start it.
    t.start(10)
    run_for(80)
    assert len(fired) == 1


def test_active_timer_restarted_stopped_or_reset_from_another_thread(
    capsys: pytest.CaptureFixture[str],
) -> None:
    fired: list[str] = []
    timers = {}
    for name in ("start", "stop", "setInterval"):
        t = QTimer()
        t.timeout.connect(lambda n=name: fired.append(n))
        t.start(30)
        timers[name] = t
    in_thread(lambda: timers["start"].start(10))
    assert capsys.readouterr().err.splitlines() == [KILL_REFUSED, START_REFUSED]
    in_thread(timers["stop"].stop)
    assert capsys.readouterr().err.splitlines() == [KILL_REFUSED]
    in_thread(lambda: timers["setInterval"].setInterval(20))
    assert capsys.readouterr().err.splitlines() == [KILL_REFUSED, START_REFUSED]
    # Qt's QTimer forgets its id in each case: inactive, and it never fires.
    assert [t.isActive() for t in timers.values()] == [False, False, False]
    assert timers["setInterval"].interval() == 20
    run_for(100)
    assert fired == []


def test_inactive_timer_set_interval_from_another_thread_is_quiet(
    capsys: pytest.CaptureFixture[str],
) -> None:
    t = QTimer()
    in_thread(lambda: t.setInterval(25))
    assert t.interval() == 25 and not t.isActive()
    assert capsys.readouterr().err == ""


def test_worker_thread_timer_fires_on_time_and_refuses_the_main_thread(
    capsys: pytest.CaptureFixture[str],
) -> None:
    created = threading.Event()
    box: dict[str, Any] = {}

    def worker() -> None:
        loop = QEventLoop()
        t = QTimer()
        t.setSingleShot(True)
        t.timeout.connect(lambda: (box.setdefault("own", time.monotonic()), loop.quit()))
        box["timer"], box["loop"] = t, loop
        other = QTimer()
        other.setSingleShot(True)
        other.timeout.connect(lambda: box.setdefault("foreign", 1))
        box["other"] = other
        box["t0"] = time.monotonic()
        t.start(10)
        created.set()
        QTimer.singleShot(3000, loop.quit)  # a bound, should the timer never fire
        box["rc"] = loop.exec()

    th = threading.Thread(target=worker)
    th.start()
    assert created.wait(5)
    box["other"].start(10)  # from the main thread: refused, no wake-up needed
    assert START_REFUSED in capsys.readouterr().err
    assert not box["other"].isActive()
    th.join(10)
    assert not th.is_alive() and box["rc"] == 0
    assert box["own"] - box["t0"] < 0.5  # 10 ms asked; before: no wake-up
    assert "foreign" not in box


def test_objects_of_a_finished_thread(capsys: pytest.CaptureFixture[str]) -> None:
    timer, loop, rx = in_thread(lambda: (QTimer(), QEventLoop(), _bound_socket()))
    timer.start(5)
    assert START_REFUSED in capsys.readouterr().err and not timer.isActive()
    assert loop.exec() == -1
    assert "QEventLoop::exec: Must be called" in capsys.readouterr().err
    loop.quit()
    loop.wakeUp()
    # The socket still works by waiting; its readyRead has no loop to come from.
    tx = QUdpSocket()
    assert tx.writeDatagram(b"late", QHostAddress.LocalHost, rx.localPort()) == 4
    assert rx.waitForReadyRead(2000)
    assert rx.readDatagram(10)[0] == b"late"
    run_for(10)
    rx.close()
    del timer, loop, rx


def _bound_socket() -> QUdpSocket:
    s = QUdpSocket()
    assert s.bind(QHostAddress.LocalHost, 0)
    return s


ORACLE = """
import os, sys, threading, time
if sys.argv[1] == "qt":
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
    app = QCoreApplication([])
else:
    from qudp import QEventLoop, QTimer

def pump(ms):
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()

def foreign(fn):
    t = threading.Thread(target=fn)
    t.start()
    t.join()

def say(*a):
    sys.stderr.flush()
    print(*a, file=sys.stderr, flush=True)

fired = []
def make(name, single=False):
    t = QTimer()
    t.setSingleShot(single)
    t.timeout.connect(lambda: fired.append(name))
    return t

a = make("a", True)
say("start inactive from thread")
foreign(lambda: a.start(10))
say(a.isActive(), a.remainingTime(), a.interval())
b = make("b")
b.start(500)
say("start active from thread")
foreign(lambda: b.start(10))
say(b.isActive(), b.remainingTime(), b.interval())
c = make("c")
c.start(500)
say("stop from thread")
foreign(c.stop)
say(c.isActive(), c.remainingTime())
say("stop inactive from thread")
foreign(c.stop)
d = make("d")
d.start(500)
say("setInterval active from thread")
foreign(lambda: d.setInterval(20))
say(d.isActive(), d.interval())
say("setInterval inactive from thread")
foreign(lambda: d.setInterval(30))
say(d.isActive(), d.interval())
box = {}
foreign(lambda: box.setdefault("t", make("e", True)))
say("start a finished thread's timer here")
box["t"].start(10)
say(box["t"].isActive())
pump(100)
say("fired", sorted(fired))
os._exit(0)
"""


def test_cross_thread_timers_match_pyside6() -> None:
    pytest.importorskip("PySide6.QtCore")
    out = {}
    for backend in ("qt", "qudp"):
        r = subprocess.run(
            [sys.executable, "-c", ORACLE, backend], capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 0, r.stderr
        out[backend] = r.stderr.splitlines()
    assert out["qudp"] == out["qt"]
    assert "fired []" in out["qt"]
