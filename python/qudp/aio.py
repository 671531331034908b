"""asyncio integration: the same sockets, driven by a running asyncio loop.

The reactor's poll descriptor (epoll/kqueue) is registered with the asyncio
loop (``add_reader``) and its next timer deadline with ``call_at``: one
descriptor, no extra thread, no busy polling. Works with uvloop too. On
Windows, which has no such descriptor (and whose default Proactor loop has
no ``add_reader``), a waiter thread blocks in the reactor's poll and asks
the loop for a pass with ``call_soon_threadsafe`` (``qudp._waiter``).

    import asyncio, qudp
    async def main():
        sock = qudp.QUdpSocket()
        sock.bind(qudp.QHostAddress.LocalHost, 7755)
        async for datagram in sock.datagrams():
            print(datagram.data())
    asyncio.run(main())

Signals (``readyRead`` and the rest) and ``QTimer`` fire from the asyncio
loop while it runs; ``attach()`` is called for you by the async methods.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from . import _qudp, _waiter

if TYPE_CHECKING:
    from ._qudp import QAbstractSocket, QNetworkDatagram

__all__ = ["attach", "datagrams", "detach", "receive_datagram"]


class _Driver:
    """Drives this thread's reactor from one asyncio loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.fd = _qudp._reactor_fd()
        self.timer: asyncio.TimerHandle | asyncio.Handle | None = None
        self.waiter: _waiter.Waiter | None = None
        _qudp._reactor_hosted(True)
        if _waiter.wanted(self.fd):
            self.waiter = _waiter.Waiter(self.wake, lambda: not loop.is_closed())
        else:
            loop.add_reader(self.fd, self.run)
        # Anything already due or queued (timers started before attach).
        self.timer = loop.call_soon(self.run)

    def wake(self) -> None:
        # On the waiter thread.
        self.loop.call_soon_threadsafe(self.run)

    def run(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.waiter is not None:
            self.waiter.passing()
        next_in = _qudp._reactor_pass()
        if next_in is None:
            return
        if next_in <= 0:
            self.timer = self.loop.call_soon(self.run)
        else:
            self.timer = self.loop.call_at(self.loop.time() + next_in, self.run)

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if self.waiter is not None:
            self.waiter.close()
        elif not self.loop.is_closed():
            self.loop.remove_reader(self.fd)
        _qudp._reactor_hosted(False)


_drivers: dict[int, _Driver] = {}


def attach(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Let the running (or given) asyncio loop deliver qudp's signals and
    timers on this thread. Idempotent."""
    loop = loop or asyncio.get_running_loop()
    d = _drivers.get(id(loop))
    if d is not None and d.loop is loop and not loop.is_closed():
        return
    if d is not None:
        d.close()
    _drivers[id(loop)] = _Driver(loop)


def detach(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Stop driving qudp from `loop`."""
    loop = loop or asyncio.get_running_loop()
    d = _drivers.pop(id(loop), None)
    if d is not None:
        d.close()


async def receive_datagram(sock: QAbstractSocket, maxSize: int = -1) -> QNetworkDatagram:
    """Wait for the next datagram on `sock` and return it as a QNetworkDatagram."""
    attach()
    while True:
        if sock.hasPendingDatagrams():
            return sock.receiveDatagram(maxSize)
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()

        def wake(*_: Any, fut: asyncio.Future[None] = fut) -> None:
            if not fut.done():
                fut.set_result(None)

        conn = sock.readyRead.connect(wake)
        closed = sock.stateChanged.connect(wake)
        try:
            if sock.hasPendingDatagrams():
                continue
            if not sock.isValid():
                raise ConnectionError("socket is not bound")
            await fut
        finally:
            sock.readyRead.disconnect(conn)
            sock.stateChanged.disconnect(closed)


async def datagrams(sock: QAbstractSocket, maxSize: int = -1) -> AsyncIterator[QNetworkDatagram]:
    """Async iterator over the datagrams of `sock`; ends when it is closed."""
    while sock.isValid():
        try:
            yield await receive_datagram(sock, maxSize)
        except ConnectionError:
            return
