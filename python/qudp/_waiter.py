"""A waiter thread for host loops that cannot watch the reactor's descriptor.

On Linux and macOS a host loop (asyncio, a running Qt application) watches
the reactor's epoll/kqueue descriptor. Windows has none (mio polls an I/O
completion port), so there a thread blocks in the reactor's poll (GIL
released) and asks the host loop for a pass whenever it reports something;
the events it took are kept for that pass. It waits again once the host has
begun that pass, so it never spins, and a slot that opens a nested loop
(a modal dialog) still gets its events. ``QUDP_HOST_WAITER=1`` uses it on
every platform (the tests do, to run this path on Linux).
"""

from __future__ import annotations

import os
import threading

from . import _qudp

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

# How often an idle waiter checks that its host still runs (seconds).
_CHECK_EVERY = 1.0


def wanted(fd: int) -> bool:
    """Whether a host loop needs a waiter for the reactor descriptor `fd`."""
    return fd < 0 or os.environ.get("QUDP_HOST_WAITER") == "1"


class Waiter:
    """Waits for this thread's reactor on a daemon thread and calls `notify`
    (from that thread) when a pass is needed, while `alive()` holds. The
    host calls ``passing()`` as each pass begins and ``close()`` when it
    stops."""

    def __init__(self, notify: Callable[[], None], alive: Callable[[], bool]) -> None:
        self._reactor = _qudp._ReactorWaiter()
        self._notify = notify
        self._alive = alive
        self._ready = threading.Event()
        self._ready.set()
        self._stop = False
        self._thread = threading.Thread(target=self._main, name="qudp-reactor-waiter", daemon=True)
        self._thread.start()

    def _running(self) -> bool:
        return not self._stop and self._alive()

    def _main(self) -> None:
        try:
            while True:
                # Until the host begins the pass it was asked for (or stops).
                while not self._ready.wait(_CHECK_EVERY):
                    if not self._running():
                        return
                if not self._running():
                    return
                self._ready.clear()
                while not self._reactor.wait(_CHECK_EVERY):
                    if not self._running():
                        return
                if not self._running():
                    return
                self._notify()
        except (RuntimeError, OSError):
            return  # the host loop is closed

    def passing(self) -> None:
        """The host begins a pass: the waiter may wait again."""
        self._ready.set()

    def close(self) -> None:
        self._stop = True
        self._ready.set()
        self._reactor.wake()
