"""QObject, QTimer, QEventLoop and QUdpSocket for programs without Qt.

Object trees work as in Qt: a parent keeps its children alive (qudp's
QUdpSocket(parent) adds itself to the same list), deleteLater() tears an
object and its children down when control returns to the event loop, and a
child socket is closed then, as Qt's destructor closes it.
"""

from __future__ import annotations

import sys
import threading
import types
import weakref
from typing import Any

from .. import QAbstractSocket as _RustSocket
from .. import QEventLoop as _RustLoop
from .. import QTimer as _RustTimer
from .. import QUdpSocket as _RustUdpSocket
from ._connect import (
    _connect,
    _disconnect,
    _find_signal,
    _NoSuchSlot,
    _slot_target,
    _spec,
    _StaticOrBound,
)
from ._relay import _Relayed
from ._signal import Signal, blocked, current_sender, deleted, is_deleted, mark, marked

# --- QObject --------------------------------------------------------------------


def _children(obj: object) -> list[Any]:
    # The same attribute qudp's Rust QUdpSocket(parent) appends to.
    return obj.__dict__.setdefault("_qudp_children", [])  # type: ignore[no-any-return]


def _teardown(obj: object) -> None:
    """What Qt's destructor does to an object of the tree being deleted."""
    if isinstance(obj, QObject):
        obj._qo_destroy()  # compat's QTimer and QUdpSocket included
    elif isinstance(obj, _RustSocket):
        obj.close()
    elif isinstance(obj, _RustTimer):
        obj.stop()


class QObject:
    """Qt's QObject for programs without Qt: object tree, object name,
    signals, old-style connect, sender(), blockSignals(), deleteLater()."""

    destroyed = Signal(object)
    objectNameChanged = Signal(str)

    def __init__(self, parent: object | None = None, *, objectName: str | None = None) -> None:
        d = self.__dict__
        d.setdefault("_qo_parent", None)
        _children(self)
        if parent is not None:
            self.setParent(parent)
        if objectName is not None:
            self.setObjectName(objectName)

    # object tree
    def parent(self) -> Any:
        return self.__dict__.get("_qo_parent")

    def setParent(self, parent: object | None) -> None:
        old = self.__dict__.get("_qo_parent")
        if old is parent:
            return
        if old is not None:
            kids = _children(old)
            for i, c in enumerate(kids):
                if c is self:
                    del kids[i]
                    break
        self.__dict__["_qo_parent"] = parent
        if parent is not None:
            if not isinstance(getattr(parent, "__dict__", None), dict):
                raise TypeError(f"parent must be a QObject, not {type(parent).__name__}")
            _children(parent).append(self)

    def children(self) -> list[Any]:
        return list(_children(self))

    def findChildren(self, type: type | None = None, name: str = "") -> list[Any]:
        """Descendants (depth first, as Qt) of `type` with objectName `name`."""
        found = []
        for c in _children(self):
            ok = type is None or isinstance(c, type)
            if ok and (not name or getattr(c, "objectName", lambda: "")() == name):
                found.append(c)
            if isinstance(c, QObject):
                found.extend(c.findChildren(type, name))
        return found

    def findChild(self, type: type | None = None, name: str = "") -> Any:
        kids = self.findChildren(type, name)
        return kids[0] if kids else None

    def objectName(self) -> str:
        return str(self.__dict__.get("_qo_name", ""))

    def setObjectName(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"name must be str, not {type(name).__name__}")
        if name != self.objectName():
            self.__dict__["_qo_name"] = name
            self.objectNameChanged.emit(name)

    # signals
    def blockSignals(self, block: bool) -> bool:
        """Block this object's own signals; returns the previous state."""
        old = marked(blocked, self)
        mark(blocked, self, bool(block))
        return old

    def signalsBlocked(self) -> bool:
        return marked(blocked, self)

    def sender(self) -> Any:
        """Inside a slot of this object: the object whose signal called it."""
        return current_sender(self)

    connect: Any = _StaticOrBound(_connect)
    disconnect: Any = _StaticOrBound(_disconnect)

    def emit(self, signal: str, *args: object) -> bool:
        """Old-style emit: ``self.emit(SIGNAL('done(int)'), 3)``."""
        _code, name, sargs = _spec(signal, "signal")
        sig = _find_signal(self, name, sargs, create=True)
        return bool(sig.emit(*args))

    # lifetime
    def deleteLater(self) -> None:
        """Delete the object (and its children) when control returns to the
        event loop: emits destroyed, closes child sockets, leaves the parent."""
        if not self.__dict__.get("_qo_delete_posted"):
            self.__dict__["_qo_delete_posted"] = True
            ref = weakref.ref(self)

            def destroy() -> None:
                obj = ref()
                if obj is not None:
                    obj._qo_destroy()

            _RustTimer.singleShot(0, destroy)

    def _qo_destroy(self) -> None:
        if is_deleted(self):
            return
        # Qt emits destroyed() even from an object whose signals are blocked.
        mark(blocked, self, False)
        self.destroyed.emit(self)
        mark(deleted, self, True)
        for c in list(_children(self)):
            _teardown(c)
        _children(self).clear()
        self.setParent(None)
        for inst in self.__dict__.get("_qo_signals", {}).values():
            inst._conns.clear()

    def __repr__(self) -> str:
        name = self.objectName()
        extra = f' name="{name}"' if name else ""
        return f"<{type(self).__module__}.{type(self).__qualname__}{extra} at {id(self):#x}>"


# --- timers and loops ---------------------------------------------------------


class QTimer(_RustTimer, QObject):
    """qudp's QTimer with a parent (which keeps it alive) and old-style
    ``QTimer.singleShot(msec, receiver, SLOT('name()'))``."""

    def __init__(self, parent: object | None = None) -> None:
        # The parent is QObject's business here, not qudp.QTimer's.
        _RustTimer.__init__(self)
        QObject.__init__(self, parent)

    parent = QObject.parent
    timeout = _Relayed(_RustTimer, "timeout")  # type: ignore[assignment]

    @staticmethod
    def singleShot(msec: int, *args: Any) -> None:
        if len(args) == 2 and isinstance(args[1], str):
            try:
                recv, func = _slot_target(args[0], args[1])
            except _NoSuchSlot as e:
                print(f"QTimer::singleShot: {e}", file=sys.stderr)
                return
            slot = func if recv is None else types.MethodType(func, recv)
            _RustTimer.singleShot(msec, args[0], slot)
            return
        _RustTimer.singleShot(msec, *args)

    def _qo_destroy(self) -> None:
        self.stop()
        QObject._qo_destroy(self)


class QUdpSocket(_RustUdpSocket, QObject):
    """qudp's QUdpSocket as a QObject: parent (kept alive by it), object
    name, deleteLater(), blockSignals(), and sender() inside its slots. The
    socket methods are qudp's own, inherited unchanged."""

    def __init__(self, parent: object | None = None) -> None:
        # The parent is QObject's business here, not the Rust socket's.
        _RustUdpSocket.__init__(self)
        QObject.__init__(self, parent)

    parent = QObject.parent
    readyRead = _Relayed(_RustUdpSocket, "readyRead")  # type: ignore[assignment]
    channelReadyRead = _Relayed(_RustUdpSocket, "channelReadyRead")  # type: ignore[assignment]
    bytesWritten = _Relayed(_RustUdpSocket, "bytesWritten")  # type: ignore[assignment]
    stateChanged = _Relayed(_RustUdpSocket, "stateChanged")  # type: ignore[assignment]
    errorOccurred = _Relayed(_RustUdpSocket, "errorOccurred")  # type: ignore[assignment]
    hostFound = _Relayed(_RustUdpSocket, "hostFound")  # type: ignore[assignment]
    connected = _Relayed(_RustUdpSocket, "connected")  # type: ignore[assignment]
    disconnected = _Relayed(_RustUdpSocket, "disconnected")  # type: ignore[assignment]
    aboutToClose = _Relayed(_RustUdpSocket, "aboutToClose")  # type: ignore[assignment]
    readChannelFinished = _Relayed(_RustUdpSocket, "readChannelFinished")  # type: ignore[assignment]

    def _qo_destroy(self) -> None:
        QObject._qo_destroy(self)
        self.close()


_loops = threading.local()


def _running_loops() -> list[Any]:
    return _loops.__dict__.setdefault("stack", [])  # type: ignore[no-any-return]


class QEventLoop(_RustLoop, QObject):
    """qudp's QEventLoop with a parent; QCoreApplication.exit() ends every
    running loop of the thread, as in Qt."""

    def __init__(self, parent: object | None = None) -> None:
        _RustLoop.__init__(self)
        QObject.__init__(self, parent)

    def exec(self, flags: Any = None) -> int:
        stack = _running_loops()
        stack.append(self)
        try:
            return int(_RustLoop.exec(self, flags))
        finally:
            stack.remove(self)

    def exec_(self, flags: Any = None) -> int:
        return self.exec(flags)
