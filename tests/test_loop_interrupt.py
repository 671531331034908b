"""KeyboardInterrupt or SystemExit out of a slot ends exec() but loses no
work: what the interrupted pass had not handled yet runs on the next one."""

from __future__ import annotations

import time

import pytest

from qudp import QEventLoop, QHostAddress, QTimer, QUdpSocket

from helpers import bound

STOPS = [KeyboardInterrupt, SystemExit]


def run_for(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


@pytest.mark.parametrize("exc", STOPS)
def test_other_repeating_timer_due_in_the_same_pass_keeps_firing(exc: type) -> None:
    counts = {"a": 0, "b": 0}
    raised: list[str] = []

    def slot(name: str) -> None:
        counts[name] += 1
        if not raised:  # whichever fires first stops the loop, once
            raised.append(name)
            raise exc

    a, b = QTimer(), QTimer()
    a.timeout.connect(lambda: slot("a"))
    b.timeout.connect(lambda: slot("b"))
    a.start(20)
    b.start(20)
    time.sleep(0.05)  # both are due in the first pass
    with pytest.raises(exc):
        QEventLoop().exec()
    assert a.isActive() and b.isActive()
    run_for(110)
    assert counts["a"] >= 2 and counts["b"] >= 2, counts
    a.stop()
    b.stop()


@pytest.mark.parametrize("exc", STOPS)
def test_other_single_shot_due_in_the_same_pass_still_runs(exc: type) -> None:
    ran: list[str] = []

    def first() -> None:
        ran.append("first")
        raise exc

    QTimer.singleShot(0, first)
    QTimer.singleShot(0, lambda: ran.append("second"))
    time.sleep(0.01)
    with pytest.raises(exc):
        QEventLoop().processEvents()
    QEventLoop().processEvents()
    assert ran == ["first", "second"]


@pytest.mark.parametrize("exc", STOPS)
def test_other_ready_socket_still_gets_ready_read(exc: type) -> None:
    socks = [bound("127.0.0.1"), bound("127.0.0.1")]
    got: list[int] = []
    raised: list[int] = []

    def slot(i: int) -> None:
        got.append(i)
        if not raised:
            raised.append(i)
            raise exc

    for i, s in enumerate(socks):
        s.readyRead.connect(lambda i=i: slot(i))
    QEventLoop().processEvents()  # the re-checks queued at bind
    tx = QUdpSocket()
    for s in socks:
        assert tx.writeDatagram(b"x", QHostAddress.LocalHost, s.localPort()) == 1
    time.sleep(0.05)  # both readable, neither read: one poll reports both
    with pytest.raises(exc):
        QEventLoop().processEvents()
    for _ in range(5):
        QEventLoop().processEvents()
    assert sorted(got) == [0, 1], got
