"""QtCore without Qt: the QtCore classes headless UDP programs use.

``from qudp.compat import QCoreApplication, QObject, Signal, Slot, QTimer``
lets a PySide6/PyQt program written for Qt's event loop run on qudp's loop
alone. ``python -m qudp run script.py`` maps the program's own
``PySide6.QtCore``/``PyQt5.QtCore``... imports here (see qudp._runhook).

What is here is implemented, not stubbed; a Qt name that is not here is
absent (docs/porting.md lists both).
"""

from __future__ import annotations

import qudp as _qudp_package

from ._app import QCoreApplication, QGuiApplication
from ._object import QEventLoop, QObject, QTimer, QUdpSocket
from ._signal import (
    SIGNAL,
    SLOT,
    Connection,
    Qt,
    Signal,
    SignalInstance,
    Slot,
    pyqtSignal,
    pyqtSlot,
)

# --- QByteArray -----------------------------------------------------------------
# qudp.QByteArray (issue 9, part 1) is the payload type; until it is part of
# qudp, a placeholder with the read-only accessors PySide code calls on
# payloads stands in. This is the only place that knows; delete the
# placeholder once qudp exports QByteArray.


class _QByteArrayPlaceholder(bytes):
    """Placeholder: an immutable bytes with Qt's read-only accessors."""

    __slots__ = ()

    def data(self) -> bytes:
        return bytes(self)

    def size(self) -> int:
        return len(self)

    length = size

    def isEmpty(self) -> bool:
        return len(self) == 0


QByteArray: type[bytes] = getattr(_qudp_package, "QByteArray", _QByteArrayPlaceholder)

# --------------------------------------------------------------------------------

pyqtBoundSignal = SignalInstance

__all__ = [
    "SIGNAL",
    "SLOT",
    "Connection",
    "QByteArray",
    "QCoreApplication",
    "QEventLoop",
    "QGuiApplication",
    "QObject",
    "QTimer",
    "QUdpSocket",
    "Qt",
    "Signal",
    "SignalInstance",
    "Slot",
    "pyqtBoundSignal",
    "pyqtSignal",
    "pyqtSlot",
]
