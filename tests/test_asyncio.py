"""The same sockets inside a running asyncio (and uvloop) loop."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

import qudp.aio
from qudp import QHostAddress, QNetworkDatagram, QTimer, QUdpSocket

ROOT = Path(__file__).resolve().parent.parent


def runners() -> list[Any]:
    out: list[Any] = [pytest.param(asyncio.run, id="asyncio")]
    try:
        import uvloop

        out.append(pytest.param(uvloop.run, id="uvloop"))
    except ImportError:
        out.append(
            pytest.param(None, id="uvloop", marks=pytest.mark.skip(reason="uvloop not installed"))
        )
    return out


Runner = Callable[[Coroutine[Any, Any, Any]], Any]


@pytest.fixture(params=["descriptor", "waiter"])
def host(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """How the loop learns that the reactor needs a pass: by watching its
    epoll descriptor (Linux, macOS), or from a waiter thread (Windows's
    way, forced here with QUDP_HOST_WAITER=1)."""
    if request.param == "waiter":
        monkeypatch.setenv("QUDP_HOST_WAITER", "1")
    return str(request.param)


@pytest.mark.parametrize("run", runners())
def test_ready_read_signal_from_asyncio(run: Runner, host: str) -> None:
    async def main() -> tuple[list[bytes], bool]:
        qudp.aio.attach()
        rx = QUdpSocket()
        rx.bind(QHostAddress.LocalHost, 0)
        got: list[bytes] = []
        done = asyncio.get_running_loop().create_future()

        def drain() -> None:
            while rx.hasPendingDatagrams():
                got.append(rx.readDatagram(100)[0])
            if len(got) == 3 and not done.done():
                done.set_result(None)

        rx.readyRead.connect(drain)
        tx = QUdpSocket()
        for p in (b"a", b"b", b"c"):
            tx.writeDatagram(p, QHostAddress.LocalHost, rx.localPort())
        await asyncio.wait_for(done, 5)
        waiting = bool(waiters())
        qudp.aio.detach()
        return got, waiting

    got, waiting = run(main())
    assert got == [b"a", b"b", b"c"]
    if host == "waiter":
        assert waiting, "QUDP_HOST_WAITER=1 but no waiter thread carried the events"


@pytest.mark.parametrize("run", runners())
def test_await_receive_and_async_iterator(run: Runner, host: str) -> None:
    async def main() -> tuple[QNetworkDatagram, list[bytes]]:
        rx = QUdpSocket()
        rx.bind(QHostAddress.LocalHost, 0)
        tx = QUdpSocket()
        loop = asyncio.get_running_loop()
        loop.call_later(0.02, tx.writeDatagram, b"first", QHostAddress.LocalHost, rx.localPort())
        first = await asyncio.wait_for(rx.receiveDatagramAsync(), 5)
        for p in (b"x", b"y", b"z"):
            tx.writeDatagram(p, QHostAddress.LocalHost, rx.localPort())
        rest: list[bytes] = []
        async for d in rx.datagrams():
            rest.append(d.data())
            if len(rest) == 3:
                break
        return first, rest

    first, rest = run(main())
    assert first.data() == b"first" and first.senderPort() > 0
    assert rest == [b"x", b"y", b"z"]


@pytest.mark.parametrize("run", runners())
def test_qtimer_and_iterator_end_on_close(run: Runner, host: str) -> None:
    async def main() -> tuple[list[str], int]:
        qudp.aio.attach()
        fired: list[str] = []
        t = QTimer()
        t.setSingleShot(True)
        t.timeout.connect(lambda: fired.append("timer"))
        t.start(20)
        QTimer.singleShot(10, lambda: fired.append("single"))
        rx = QUdpSocket()
        rx.bind(QHostAddress.LocalHost, 0)
        asyncio.get_running_loop().call_later(0.05, rx.close)
        n = 0
        async for _ in rx.datagrams():
            n += 1
        await asyncio.sleep(0.02)
        return fired, n

    fired, n = run(main())
    assert fired == ["single", "timer"] and n == 0


def waiters() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "qudp-reactor-waiter"]


def test_waiter_thread_ends_with_its_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUDP_HOST_WAITER", "1")
    for t in waiters():
        t.join(5)

    async def main() -> int:
        qudp.aio.attach()
        await asyncio.sleep(0.01)
        return len(waiters())

    assert asyncio.run(main()) == 1
    for t in waiters():
        t.join(5)  # it checks its loop every second
    assert waiters() == []


def test_no_extra_thread_and_no_busy_polling() -> None:
    for t in waiters():
        t.join(5)  # waiters of other tests' closed loops

    async def main() -> tuple[int, float]:
        rx = QUdpSocket()
        rx.bind(QHostAddress.LocalHost, 0)
        threads = threading.active_count()
        import time

        cpu0 = time.process_time()
        try:
            await asyncio.wait_for(rx.receiveDatagramAsync(), 0.3)
        except TimeoutError:
            pass
        return threading.active_count() - threads, time.process_time() - cpu0

    extra, cpu = asyncio.run(main())
    assert extra == 0
    assert cpu < 0.1  # waiting 300 ms idle costs (almost) no CPU


def test_asyncio_example_runs() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "examples" / "asyncio_receiver.py"),
            "--count",
            "2",
            "--timeout",
            "20",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("listening on 127.0.0.1:7756")
    tx = QUdpSocket()
    tx.writeDatagram(b"one", QHostAddress.LocalHost, 7756)
    tx.writeDatagram(b"two", QHostAddress.LocalHost, 7756)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert [line.split(" ", 1)[1] for line in out.strip().splitlines()] == ["one", "two"]
