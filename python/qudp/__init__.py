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
__version__ = "0.1.0"

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

# Awaitable receive on every socket (asyncio; see qudp.aio).
from . import aio as _aio  # noqa: E402

_aio._install(QAbstractSocket)
