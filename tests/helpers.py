"""Small helpers shared by the tests."""

from __future__ import annotations

from typing import Any

from qudp import QHostAddress, QUdpSocket


def bound(addr: str | Any = "127.0.0.1", port: int = 0, *mode: Any) -> QUdpSocket:
    s = QUdpSocket()
    assert s.bind(addr if not isinstance(addr, str) else QHostAddress(addr), port, *mode), (
        s.errorString()
    )
    return s


def wait_pending(s: Any, ms: int = 2000) -> bool:
    """Wait for a datagram without reading it (works on qudp and PySide6)."""
    return bool(s.hasPendingDatagrams() or s.waitForReadyRead(ms))


class Recorder:
    """Collects signal emissions as (name, args) in order."""

    def __init__(self, sock: Any, *names: str) -> None:
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        for n in names:
            getattr(sock, n).connect(self._make(n))

    def _make(self, name: str) -> Any:
        def slot(*args: Any) -> None:
            self.events.append((name, args))

        return slot

    def names(self) -> list[str]:
        return [n for n, _ in self.events]
