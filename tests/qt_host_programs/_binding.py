"""The Qt binding a program runs on, chosen by QUDP_QT_BINDING (PySide6,
PyQt6 or PyQt5): the programs are written once and run on each.

Only the chosen binding is imported; qudp must find it in sys.modules.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

NAME = os.environ.get("QUDP_QT_BINDING", "PySide6")

if NAME == "PySide6":
    from PySide6 import QtCore, QtWidgets
    from PySide6.QtCore import Signal, Slot
elif NAME == "PyQt6":
    from PyQt6 import QtCore, QtWidgets
    from PyQt6.QtCore import pyqtSignal as Signal
    from PyQt6.QtCore import pyqtSlot as Slot
elif NAME == "PyQt5":
    from PyQt5 import QtCore, QtWidgets
    from PyQt5.QtCore import pyqtSignal as Signal
    from PyQt5.QtCore import pyqtSlot as Slot
else:  # pragma: no cover
    raise SystemExit(f"unknown QUDP_QT_BINDING {NAME!r}")

__all__ = ["NAME", "QtCore", "QtWidgets", "Signal", "Slot", "finish"]

# Qt 6 scopes enums; PyQt5 has only the flat Qt 5 names for some.
QueuedConnection = QtCore.Qt.ConnectionType.QueuedConnection
DirectConnection = QtCore.Qt.ConnectionType.DirectConnection


def finish(result: dict[str, Any]) -> None:
    """Report and leave at once: PySide6 6.12's refcount bugs must not get a
    chance to crash the interpreter's shutdown."""
    result["bindings"] = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in _ALL})
    # Which way qudp learned of reactor events: its waiter thread, or Qt
    # watching the reactor's descriptor.
    result["waiter"] = any(t.name == "qudp-reactor-waiter" for t in threading.enumerate())
    print(json.dumps(result), flush=True)
    sys.stderr.flush()
    os._exit(0)


_ALL = {"PySide6", "PyQt6", "PyQt5", "PySide2", "PyQt4", "PySide"}
