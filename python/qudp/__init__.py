"""qudp: Qt's QUdpSocket for Python, without Qt, on a Rust core.

Change ``from PySide6.QtNetwork import QUdpSocket, QHostAddress`` to
``from qudp import QUdpSocket, QHostAddress``.
"""

from __future__ import annotations

from enum import Enum

from . import _qudp
from ._bytearray import QByteArray
from ._qudp import (
    Connection,
    QAbstractSocket,
    QEventLoop,
    QHostAddress,
    QNetworkAddressEntry,
    QNetworkDatagram,
    QNetworkInterface,
    QTimer,
    QUdpSocket,
    Signal,
)
from .enums import (
    ALL as _ALL_ENUMS,
)
from .enums import (
    BindFlag,
    ConversionModeFlag,
    InterfaceFlag,
    InterfaceType,
    NetworkLayerProtocol,
    OpenModeFlag,
    PauseMode,
    ProcessEventsFlag,
    SocketError,
    SocketOption,
    SocketState,
    SocketType,
    SpecialAddress,
)

# `typing` is not imported at run time: `import qudp` stays cheap.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any
del TYPE_CHECKING

__all__ = [
    "Connection",
    "QAbstractSocket",
    "QByteArray",
    "QEventLoop",
    "QHostAddress",
    "QNetworkAddressEntry",
    "QNetworkDatagram",
    "QNetworkInterface",
    "QTimer",
    "QUdpSocket",
    "Signal",
]
__version__: str = _qudp.__version__  # one place: Cargo.toml

_qudp._register_enums(dict(_ALL_ENUMS))
# Every payload is a QByteArray from here on (see src/payload.rs).
_qudp._register_payload_class(QByteArray, QByteArray())


def _attach(owner: type, enums: tuple[type[Enum], ...], aliases: dict[str, type[Enum]]) -> None:
    # Nested as in PySide6 (QAbstractSocket.SocketState), plus Qt 4's short
    # forms for every member (QUdpSocket.BoundState, QHostAddress.LocalHost).
    for e in enums:
        setattr(owner, e.__name__, e)
        for name, member in e.__members__.items():
            setattr(owner, name, member)
    for name, e in aliases.items():
        setattr(owner, name, e)


_attach(
    QAbstractSocket,
    (
        SocketState,
        SocketError,
        SocketOption,
        BindFlag,
        NetworkLayerProtocol,
        SocketType,
        PauseMode,
        OpenModeFlag,
    ),
    {"BindMode": BindFlag, "PauseModes": PauseMode, "OpenMode": OpenModeFlag},
)
_attach(
    QHostAddress,
    (SpecialAddress, ConversionModeFlag),
    {"ConversionMode": ConversionModeFlag},
)
_attach(QNetworkInterface, (InterfaceFlag, InterfaceType), {"InterfaceFlags": InterfaceFlag})
_attach(QEventLoop, (ProcessEventsFlag,), {"ProcessEventsFlags": ProcessEventsFlag})
# QHostAddress also carries the protocol names (QHostAddress.IPv4Protocol).
for _name, _member in NetworkLayerProtocol.__members__.items():
    setattr(QHostAddress, _name, _member)
del _name, _member


def _timer_init(self: QTimer, parent: object | None = None) -> None:
    # A parent owns its children in Qt. The reactor holds timers weakly, so
    # the parent holds the timer, in the list QUdpSocket(parent) also uses.
    self.__dict__["_qudp_parent"] = parent
    if parent is not None:
        try:
            parent.__dict__.setdefault("_qudp_children", []).append(self)
        except AttributeError:
            pass  # an object without attributes cannot own it


def _timer_parent(self: QTimer) -> object | None:
    """QObject::parent(): the parent given to the constructor, or None."""
    return self.__dict__.get("_qudp_parent")


QTimer.__init__ = _timer_init  # type: ignore[method-assign]
QTimer.parent = _timer_parent  # type: ignore[method-assign]


# Awaitable receive on every socket. asyncio itself is imported on first
# use (qudp.aio), so `import qudp` stays cheaper than `import asyncio`.
def _receiveDatagramAsync(self: QAbstractSocket, maxSize: int = -1) -> Any:
    """``await sock.receiveDatagramAsync()``: the next datagram (asyncio)."""
    from .aio import receive_datagram

    return receive_datagram(self, maxSize)


def _datagrams(self: QAbstractSocket, maxSize: int = -1) -> Any:
    """``async for d in sock.datagrams():`` every datagram until the socket closes."""
    from .aio import datagrams

    return datagrams(self, maxSize)


_receiveDatagramAsync.__name__ = "receiveDatagramAsync"
_datagrams.__name__ = "datagrams"
QAbstractSocket.receiveDatagramAsync = _receiveDatagramAsync  # type: ignore[method-assign]
QAbstractSocket.datagrams = _datagrams  # type: ignore[method-assign]


def __getattr__(name: str) -> Any:
    # `qudp.aio` without importing asyncio at `import qudp`.
    if name == "aio":
        import importlib

        return importlib.import_module(".aio", __name__)
    raise AttributeError(f"module 'qudp' has no attribute {name!r}")


# A running Qt application (PySide6/PyQt6/PyQt5/PySide2, whichever the
# program imported) drives qudp's signals and timers; see qudp.qthost.
from . import qthost as _qthost  # noqa: E402

_qthost._install()
