"""QEventLoop, QTimer and readyRead delivery from the reactor."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path

import pytest

from qudp import QAbstractSocket, QEventLoop, QHostAddress, QTimer, QUdpSocket

from helpers import bound

ROOT = Path(__file__).resolve().parent.parent


def run_for(ms: int) -> None:
    """Run the loop for `ms` milliseconds (bounded)."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def send(port: int, *payloads: bytes) -> None:
    tx = QUdpSocket()
    for p in payloads:
        assert tx.writeDatagram(p, QHostAddress.LocalHost, port) == len(p)


def test_ready_read_once_for_several_unread() -> None:
    rx = bound("127.0.0.1")
    calls: list[int] = []
    rx.readyRead.connect(lambda: calls.append(1))
    send(rx.localPort(), b"a", b"b", b"c")
    run_for(50)
    assert len(calls) == 1  # not again until something is read
    send(rx.localPort(), b"d")
    run_for(30)
    assert len(calls) == 1
    assert rx.readDatagram(10)[0] == b"a"  # a read outside the slot re-arms it
    run_for(30)
    assert len(calls) == 2


def test_slot_reading_one_per_emission_gets_every_datagram() -> None:
    rx = bound("127.0.0.1")
    got: list[bytes] = []
    rx.readyRead.connect(lambda: got.append(rx.readDatagram(10)[0]))
    send(rx.localPort(), b"1", b"2", b"3")
    loop = QEventLoop()
    for _ in range(50):
        loop.processEvents()
        if len(got) == 3:
            break
        time.sleep(0.002)
    assert got == [b"1", b"2", b"3"]


def test_ready_read_after_drain_and_empty_datagram() -> None:
    rx = bound("127.0.0.1")
    calls: list[bytes] = []

    def drain() -> None:
        while rx.hasPendingDatagrams():
            calls.append(rx.readDatagram(10)[0])

    rx.readyRead.connect(drain)
    send(rx.localPort(), b"")
    run_for(30)
    assert calls == [b""]  # an empty datagram is a datagram
    send(rx.localPort(), b"next")
    run_for(30)
    assert calls == [b"", b"next"]


def test_sender_at_full_speed_one_read_per_emission_never_stalls() -> None:
    """Every datagram the kernel kept reaches the slot (QTBUG-43857)."""
    rx = bound("127.0.0.1")
    rx.setSocketOption(QAbstractSocket.ReceiveBufferSizeSocketOption, 1 << 20)
    assert rx.setDropCounting(True)
    total = 20000
    got = 0

    def one() -> None:
        nonlocal got
        if rx.readDatagram(64)[0]:
            got += 1

    rx.readyRead.connect(one)
    sender = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import socket,sys\n"
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            f"for i in range({total}): s.sendto(b'x'*64,('127.0.0.1',{rx.localPort()}))\n",
        ]
    )
    loop = QEventLoop()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        loop.processEvents(QEventLoop.AllEvents, 50)
        if sender.poll() is not None and not rx.hasPendingDatagrams():
            break
        if sender.poll() is None:
            time.sleep(0.001)
    sender.wait(10)
    assert sender.returncode == 0
    # The kernel reports its drop count with the next datagram: send a
    # marker once the queue has drained, and read it.
    marker = QUdpSocket()
    marker.writeDatagram(b"", QHostAddress.LocalHost, rx.localPort())
    assert rx.waitForReadyRead(5000) or rx.hasPendingDatagrams()
    assert rx.readDatagram(64)[0] == b""
    dropped = rx.droppedDatagrams() or 0
    assert got + dropped == total, (got, dropped)
    assert got > total // 10


def test_timers_order_single_shot_and_interval() -> None:
    order: list[str] = []
    loop = QEventLoop()
    QTimer.singleShot(30, lambda: order.append("30"))
    QTimer.singleShot(10, lambda: order.append("10"))
    QTimer.singleShot(0, lambda: order.append("0"))
    t0 = time.monotonic()
    rep = QTimer()
    rep.setInterval(15)
    ticks: list[float] = []

    def tick() -> None:
        ticks.append(time.monotonic())
        if len(ticks) == 4:
            rep.stop()

    rep.timeout.connect(tick)
    rep.start()
    assert rep.isActive() and 0 <= rep.remainingTime() <= 15
    one = QTimer()
    one.setSingleShot(True)
    one.timeout.connect(lambda: order.append("single"))
    one.start(20)
    QTimer.singleShot(120, loop.quit)
    loop.exec()
    assert order == ["0", "10", "single", "30"]
    assert len(ticks) == 4 and not rep.isActive() and rep.remainingTime() == -1
    assert ticks[0] - t0 >= 0.014
    assert not one.isActive()


def test_timer_stop_restart_and_set_interval() -> None:
    t = QTimer()
    fired: list[int] = []
    t.timeout.connect(lambda: fired.append(1))
    t.start(10)
    t.stop()
    run_for(40)
    assert fired == []
    t.setSingleShot(True)
    t.start(10)
    t.setInterval(60)  # an active timer restarts with the new interval
    assert t.interval() == 60
    run_for(30)
    assert fired == []
    run_for(60)
    assert fired == [1]
    with pytest.raises(ValueError, match="msec must be >= 0"):
        t.start(-5)


def test_collected_timer_never_fires() -> None:
    fired: list[int] = []
    t = QTimer()
    t.timeout.connect(lambda: fired.append(1))
    t.start(5)
    ref = weakref.ref(t)
    del t
    gc.collect()
    assert ref() is None
    run_for(30)
    assert fired == []


def test_exit_code_is_running_and_quit_before_exec() -> None:
    loop = QEventLoop()
    loop.quit()  # ignored: exec() starts afresh, as in Qt
    states: list[bool] = []
    QTimer.singleShot(5, lambda: states.append(loop.isRunning()))
    QTimer.singleShot(10, lambda: loop.exit(3))
    assert loop.exec() == 3
    assert states == [True] and not loop.isRunning()


def test_quit_from_another_thread() -> None:
    loop = QEventLoop()
    threading.Timer(0.05, loop.quit).start()
    t0 = time.monotonic()
    assert loop.exec() == 0
    assert time.monotonic() - t0 < 5


def test_nested_loop_in_slot_and_slot_closing_socket() -> None:
    rx = bound("127.0.0.1")
    other = QUdpSocket()
    seen: list[str] = []

    def on_ready() -> None:
        seen.append("outer")
        inner = QEventLoop()
        QTimer.singleShot(10, inner.quit)
        inner.exec()
        seen.append("inner done")
        rx.readDatagram(10)
        rx.close()
        assert other.bind(QHostAddress.LocalHost, 0)  # binding inside a slot works

    rx.readyRead.connect(on_ready)
    send(rx.localPort(), b"x", b"y")
    run_for(60)
    assert seen == ["outer", "inner done"]
    assert rx.state() == QAbstractSocket.UnconnectedState


def test_exception_in_slot_does_not_stop_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    errors: list[str] = []
    monkeypatch.setattr(sys, "excepthook", lambda t, v, tb: errors.append(str(v)))
    rx = bound("127.0.0.1")
    got: list[bytes] = []

    def bad() -> None:
        raise RuntimeError("slot failed")

    rx.readyRead.connect(bad)
    rx.readyRead.connect(lambda: got.append(rx.readDatagram(10)[0]))
    send(rx.localPort(), b"z")
    run_for(40)
    assert errors == ["slot failed"] and got == [b"z"]


def test_ctrl_c_stops_exec_with_keyboard_interrupt() -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals go to the main thread")
    loop = QEventLoop()
    threading.Timer(0.05, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        loop.exec()
    assert not loop.isRunning()


def test_quit_from_signal_handler() -> None:
    loop = QEventLoop()
    old = signal.signal(signal.SIGUSR1, lambda *_: loop.exit(9))
    try:
        threading.Timer(0.05, lambda: os.kill(os.getpid(), signal.SIGUSR1)).start()
        assert loop.exec() == 9
    finally:
        signal.signal(signal.SIGUSR1, old)


def test_collected_socket_gets_no_callback_and_no_fd_leak() -> None:
    def fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    calls: list[int] = []
    run_for(1)  # the reactor exists
    before = fds()
    for i in range(1500):
        s = QUdpSocket()
        s.bind(QHostAddress.LocalHost, 0)
        s.readyRead.connect(lambda: calls.append(1))
        if i % 2:
            s.close()
        send(s.localPort() or 9, b"late") if i % 3 == 0 else None
        del s
    gc.collect()
    run_for(20)
    assert fds() <= before + 2
    assert calls == []


def test_socket_memory_returns_to_baseline() -> None:
    import resource

    def rss_kb() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() // 1024

    for _ in range(200):
        QUdpSocket().bind(QHostAddress.LocalHost, 0)
    gc.collect()
    base = rss_kb()
    for _ in range(3000):
        s = QUdpSocket()
        s.bind(QHostAddress.LocalHost, 0)
        s.readyRead.connect(s.close)
        del s
    gc.collect()
    assert rss_kb() - base < 8 * 1024


def test_receiver_example_runs() -> None:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "receiver.py"), "--count", "2", "--timeout", "20"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("listening on 127.0.0.1:7755")
    send(7755, b"hello", b"world")
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    lines = out.strip().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["hello", "world"]


def test_timer_due_in_the_same_pass_fires_inside_a_nested_loop() -> None:
    # Two timers are due at once; the first opens a nested loop (a modal
    # dialog). Qt fires the second inside it, which here ends that loop.
    outer = QEventLoop()
    inner = QEventLoop()
    codes: list[int] = []

    def first() -> None:
        safety = QTimer()
        safety.setSingleShot(True)
        safety.timeout.connect(lambda: inner.exit(9))
        safety.start(2000)
        codes.append(inner.exec())
        outer.quit()

    QTimer.singleShot(1, first)
    QTimer.singleShot(2, lambda: inner.exit(3))
    time.sleep(0.02)  # both are due before the loop starts
    QTimer.singleShot(5000, outer.quit)
    outer.exec()
    assert codes == [3]
