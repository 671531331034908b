"""QCoreApplication (and QGuiApplication as the same thing): the
application object of a program without Qt."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any, ClassVar

from .. import QEventLoop as _RustLoop
from ._object import QEventLoop, QObject, _running_loops
from ._signal import Signal


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    return value


# --- the application ------------------------------------------------------------


class QCoreApplication(QObject):
    """The application object: one per process, ``exec()`` runs the main
    loop, ``quit()``/``exit()`` end it, ``aboutToQuit`` fires on the way out."""

    aboutToQuit = Signal()
    _self: ClassVar[QCoreApplication | None] = None
    _names: ClassVar[dict[str, str]] = {}
    _processor = threading.local()

    def __init__(self, argv: list[str] | None = None) -> None:
        if QCoreApplication._self is not None:
            raise RuntimeError(
                "Please destroy the QCoreApplication singleton before creating a new "
                "QCoreApplication instance."
            )
        args = sys.argv if argv is None else argv
        if isinstance(args, str | bytes) or not all(isinstance(a, str) for a in args):
            raise TypeError(f"argv must be a list of str, not {argv!r}")
        super().__init__()
        self._argv = list(args)
        QCoreApplication._self = self

    @staticmethod
    def instance() -> QCoreApplication | None:
        return QCoreApplication._self

    @staticmethod
    def arguments() -> list[str]:
        app = QCoreApplication._self
        return list(app._argv) if app is not None else []

    @staticmethod
    def exec() -> int:
        app = QCoreApplication._self
        if app is None:
            print(
                "QCoreApplication::exec: Please instantiate the QApplication object first",
                file=sys.stderr,
            )
            return -1
        loop = QEventLoop()
        code = loop.exec()
        # Qt emits aboutToQuit when the main loop has ended, before exec returns.
        app.aboutToQuit.emit()
        return code

    exec_ = exec

    @staticmethod
    def exit(returnCode: int = 0) -> None:
        """End every running event loop of this thread with `returnCode`."""
        for loop in list(_running_loops()):
            loop.exit(returnCode)

    @staticmethod
    def quit() -> None:
        QCoreApplication.exit(0)

    @staticmethod
    def processEvents(flags: Any = None, maxtime: int | None = None) -> None:
        """Run what is ready now (timers, socket signals) and return."""
        p = QCoreApplication._processor.__dict__
        loop = p.get("loop")
        if loop is None:
            loop = p["loop"] = _RustLoop()
        loop.processEvents(flags, maxtime)

    def shutdown(self) -> None:
        """Drop the singleton so a new application can be created (PySide6)."""
        if QCoreApplication._self is self:
            QCoreApplication._self = None

    @staticmethod
    def applicationName() -> str:
        app = sys.argv[0] if sys.argv else ""
        return QCoreApplication._names.get("app") or os.path.splitext(os.path.basename(app))[0]

    @staticmethod
    def setApplicationName(name: str) -> None:
        QCoreApplication._names["app"] = _text(name, "name")

    @staticmethod
    def applicationVersion() -> str:
        return QCoreApplication._names.get("version", "")

    @staticmethod
    def setApplicationVersion(version: str) -> None:
        QCoreApplication._names["version"] = _text(version, "version")

    @staticmethod
    def organizationName() -> str:
        return QCoreApplication._names.get("org", "")

    @staticmethod
    def setOrganizationName(orgName: str) -> None:
        QCoreApplication._names["org"] = _text(orgName, "orgName")

    @staticmethod
    def organizationDomain() -> str:
        return QCoreApplication._names.get("domain", "")

    @staticmethod
    def setOrganizationDomain(orgDomain: str) -> None:
        QCoreApplication._names["domain"] = _text(orgDomain, "orgDomain")

    @staticmethod
    def applicationPid() -> int:
        return os.getpid()

    @staticmethod
    def applicationFilePath() -> str:
        return os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""

    @staticmethod
    def applicationDirPath() -> str:
        return os.path.dirname(QCoreApplication.applicationFilePath())


class QGuiApplication(QCoreApplication):
    """Only what a headless program asks of it: the application object,
    ``exec()`` and ``processEvents()``. No windows, no GUI."""
