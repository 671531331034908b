"""QObject, QTimer, QEventLoop and QCoreApplication for programs without Qt.

Object trees work as in Qt: a parent keeps its children alive (qudp's
QUdpSocket(parent) adds itself to the same list), deleteLater() tears an
object and its children down when control returns to the event loop, and a
child socket is closed then, as Qt's destructor closes it.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import types
import weakref
from collections.abc import Callable
from typing import Any, ClassVar, overload

from .. import QAbstractSocket as _RustSocket
from .. import QEventLoop as _RustLoop
from .. import QTimer as _RustTimer
from .. import QUdpSocket as _RustUdpSocket
from .._qudp import Signal as _RustSignal
from ._signal import (
    Connection,
    Signal,
    SignalInstance,
    _capacity,
    _tls,
    _type_value,
    blocked,
    current_sender,
    deleted,
    is_deleted,
    mark,
    marked,
    sender_stack,
)

# --- old-style connections (SIGNAL()/SLOT() strings) -------------------------


def _spec(spec: object, what: str) -> tuple[str, str, str]:
    """'2readyRead()' -> ('2', 'readyRead', ''); also accepts no prefix."""
    if not isinstance(spec, str):
        raise TypeError(f"{what} must be a SIGNAL()/SLOT() string, not {type(spec).__name__}")
    code = spec[0] if spec[:1] in ("0", "1", "2") else ""
    body = spec[len(code) :].strip()
    name, _, rest = body.partition("(")
    if not name.isidentifier():
        raise ValueError(f"{what}: not a signal or slot signature: {spec!r}")
    return code, name, rest.rstrip(")").strip()


# Qt 5's socket signal `error(QAbstractSocket::SocketError)` is Qt 6's errorOccurred.
_RENAMED = {"error": "errorOccurred"}


def _find_signal(obj: object, name: str, args: str, create: bool) -> Any:
    """The signal `name` of `obj`: a Rust signal, a declared one (the overload
    whose arity matches `args`), or a dynamic old-style one."""
    attr = getattr(type(obj), name, None)
    if isinstance(obj, _RustSocket) and name in _RENAMED:
        name = _RENAMED[name]
        attr = getattr(type(obj), name, None)
    if attr is not None:
        bound = getattr(obj, name)
        if isinstance(bound, SignalInstance):
            n = len([a for a in args.split(",") if a.strip()])
            for inst in (bound, *bound._overloads.values()):
                if inst._nargs == n:
                    return inst
            return bound
        if isinstance(bound, _RelayedSignal):
            return bound._rust
        if isinstance(bound, _RustSignal):
            return bound
    if not create or not isinstance(getattr(obj, "__dict__", None), dict):
        return None
    # PySide lets old-style code emit and connect signals it never declared.
    dyn = obj.__dict__.setdefault("_qo_dynamic", {})
    inst = dyn.get(name)
    if inst is None:
        inst = dyn[name] = SignalInstance(obj, name, None)
    return inst


class _Relay:
    """Connects a Rust signal to a slot so that sender() and blockSignals()
    work inside it. Holds sender and receiver weakly. The Rust signal calls
    `call`, a plain closure: it runs once per emission, and a closure is
    cheaper to call than an object with __call__."""

    __slots__ = ("__weakref__", "arity", "call", "conn", "func", "receiver", "sender")

    def __init__(
        self, sender: object, receiver: object | None, func: Callable[..., object]
    ) -> None:
        self.sender = _weak(sender)
        self.receiver = None if receiver is None else _weak(receiver)
        self.func = func
        self.arity = _capacity(func) - (1 if receiver is not None else 0)
        self.conn: object = None
        self.call = _relay_call(self.sender, self.receiver, func, self.arity)


def _relay_call(
    sender_ref: Callable[[], Any],
    recv_ref: Callable[[], Any] | None,
    func: Callable[..., object],
    arity: int,
) -> Callable[..., None]:
    tls = _tls

    def call(*args: object) -> None:
        sender = sender_ref()
        if blocked and marked(blocked, sender):
            return
        if recv_ref is None:
            recv = None
        else:
            recv = recv_ref()
            if recv is None or (deleted and marked(deleted, recv)):
                return
        if arity >= 0:
            args = args[:arity]
        try:
            stack = tls.stack
        except AttributeError:
            stack = sender_stack()
        stack.append((sender, recv))
        try:
            if recv is None:
                func(*args)
            else:
                func(recv, *args)
        finally:
            stack.pop()

    return call


def _relay_connect(
    rust: Any,
    relays: list[_Relay],
    sender: object,
    recv: object | None,
    func: Callable[..., object],
    ctype: object,
) -> Any:
    """Connect `func` (on `recv`) to a qudp signal through a relay, with
    Qt's connection types done here: qudp's own signals call directly."""
    kind = _type_value(ctype)
    if kind & _UNIQUE and any(
        r.func is func and (None if r.receiver is None else r.receiver()) is recv for r in relays
    ):
        return Connection(None, 0)
    relay = _Relay(sender, recv, func)
    call = relay.call
    if kind & 0x7F == _QUEUED:
        direct = call

        def call(*args: object) -> None:
            _RustTimer.singleShot(0, functools.partial(direct, *args))

    if kind & _SINGLE_SHOT:
        first = call

        def call(*args: object) -> None:
            if relay in relays:
                relays.remove(relay)
                rust.disconnect(relay.conn)
                first(*args)

    relay.conn = rust.connect(call)
    relays.append(relay)
    return relay.conn


_QUEUED = 2
_UNIQUE = 0x80
_SINGLE_SHOT = 0x100


def _weak(obj: object) -> Callable[[], Any]:
    try:
        return weakref.ref(obj)
    except TypeError:
        return lambda: obj


# Relays per Rust signal, so old-style disconnect can find them.
_relays: weakref.WeakKeyDictionary[Any, list[_Relay]] = weakref.WeakKeyDictionary()


class _NoSuchSlot(Exception):
    pass


def _slot_target(receiver: object, spec: str) -> tuple[object | None, Callable[..., object]]:
    """(receiver, plain function) or (None, callable) for a SLOT()/SIGNAL() string."""
    code, name, args = _spec(spec, "method")
    if code == "2":
        sig = _find_signal(receiver, name, args, create=True)
        if sig is None:
            raise _NoSuchSlot(f"No such signal {type(receiver).__name__}::{name}({args})")
        return None, sig.emit
    meth = getattr(receiver, name, None)
    if meth is None:
        for klass in type(receiver).__mro__:
            for attr in vars(klass).values():
                if getattr(attr, "_qudp_slot_name", None) == name:
                    meth = types.MethodType(attr, receiver)
                    break
            if meth is not None:
                break
    if meth is None:
        raise _NoSuchSlot(f"No such slot {type(receiver).__name__}::{name}({args})")
    if isinstance(meth, types.MethodType):
        return meth.__self__, meth.__func__
    return None, meth


def _parse_connect(
    this: object | None, args: tuple[Any, ...]
) -> tuple[object, str, object | None, Callable[..., object], object]:
    """Qt's and PySide's connect() overloads -> (sender, signal spec,
    receiver or None, function, connection type)."""
    rest = list(args)
    if this is not None and rest and isinstance(rest[0], str):
        sender = this  # obj.connect(SIGNAL(...), slot)
    elif rest:
        sender = rest.pop(0)
    else:
        raise TypeError("connect() needs a sender and a signal")
    if not rest:
        raise TypeError("connect() needs a signal")
    signal = rest.pop(0)
    if len(rest) >= 2 and isinstance(rest[1], str):
        receiver, method, extra = rest[0], rest[1], rest[2:]
        recv, func = _slot_target(receiver, method)
    elif rest and isinstance(rest[0], str):
        if this is None:
            raise TypeError("connect(sender, SIGNAL, SLOT) needs a receiver: call it on one")
        recv, func = _slot_target(this, rest[0])
        extra = rest[1:]
    elif rest and callable(rest[0]):
        slot, extra = rest[0], rest[1:]
        if isinstance(slot, SignalInstance | _RustSignal):
            recv, func = None, slot.emit
        elif isinstance(slot, types.MethodType):
            recv, func = slot.__self__, slot.__func__
        else:
            recv, func = None, slot
    else:
        raise TypeError("connect(): the slot must be a callable or a SLOT()/SIGNAL() string")
    if len(extra) > 1:
        raise TypeError(f"connect() takes at most one connection type, got {len(extra)} extra")
    return sender, signal, recv, func, extra[0] if extra else None


def _connect(this: object | None, *args: Any, **kwargs: Any) -> Any:
    if "type" in kwargs:
        args = (*args, kwargs.pop("type"))
    if kwargs:
        raise TypeError(f"connect() got an unexpected keyword argument {next(iter(kwargs))!r}")
    try:
        sender, spec, recv, func, ctype = _parse_connect(this, args)
        _type_value(ctype)  # check it
        _code, name, sargs = _spec(spec, "signal")
        sig = _find_signal(sender, name, sargs, create=True)
        if sig is None:
            raise _NoSuchSlot(f"No such signal {type(sender).__name__}::{name}({sargs})")
    except _NoSuchSlot as e:
        # Qt warns and returns an invalid connection.
        print(f"QObject::connect: {e}", file=sys.stderr)
        return Connection(None, 0)
    if isinstance(sig, SignalInstance):
        slot = func if recv is None else types.MethodType(func, recv)
        return sig.connect(slot, ctype)
    return _relay_connect(sig, _relays.setdefault(sig, []), sender, recv, func, ctype)


def _disconnect(this: object | None, *args: Any) -> bool:
    if len(args) == 1 and isinstance(args[0], Connection):
        sig = args[0]._signal
        return sig is not None and sig.disconnect(args[0])
    try:
        sender, spec, recv, func, _ = _parse_connect(this, args)
    except _NoSuchSlot:
        return False
    _code, name, sargs = _spec(spec, "signal")
    sig = _find_signal(sender, name, sargs, create=False)
    if sig is None:
        return False
    if isinstance(sig, SignalInstance):
        return sig.disconnect(func if recv is None else types.MethodType(func, recv))
    for relay in reversed(_relays.get(sig, [])):
        target = None if relay.receiver is None else relay.receiver()
        if relay.func is func and target is recv:
            _relays[sig].remove(relay)
            return bool(sig.disconnect(relay.conn))
    return False


class _StaticOrBound:
    """A method callable both ways, like PySide's QObject.connect: static
    ``QObject.connect(sender, ...)`` and bound ``self.connect(...)``."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self._fn = fn
        self.__doc__ = fn.__doc__

    def __get__(self, obj: object, objtype: type | None = None) -> Callable[..., Any]:
        return lambda *a, **k: self._fn(obj, *a, **k)


class _RelayedSignal:
    """A qudp (Rust) signal of a compat object, seen through relays so that
    sender() and blockSignals() work for its slots as they do in Qt."""

    __slots__ = ("_owner", "_relays", "_rust")

    def __init__(self, owner: object, rust: Any) -> None:
        self._owner = weakref.ref(owner)
        self._rust = rust
        self._relays: list[_Relay] = []

    def connect(self, slot: Callable[..., object], type: object = None) -> Any:
        recv: object | None
        func: Callable[..., object]
        if isinstance(slot, _SIGNALS):
            recv, func = None, slot.emit
        elif isinstance(slot, types.MethodType):
            recv, func = slot.__self__, slot.__func__
        elif callable(slot):
            recv, func = None, slot
        else:
            raise TypeError(f"slot must be callable, not {slot.__class__.__name__}")
        return _relay_connect(self._rust, self._relays, self._owner(), recv, func, type)

    def disconnect(self, slot: object = None) -> bool:
        if slot is None:
            self._relays.clear()
            return bool(self._rust.disconnect())
        target = slot.emit if isinstance(slot, _SIGNALS) else slot
        for relay in reversed(self._relays):
            if relay.conn is target or _relay_matches(relay, target):
                self._relays.remove(relay)
                return bool(self._rust.disconnect(relay.conn))
        return bool(self._rust.disconnect(target))  # warns as PySide does

    def emit(self, *args: object) -> bool:
        return bool(self._rust.emit(*args))

    def __call__(self, *args: object) -> bool:
        return self.emit(*args)

    def __repr__(self) -> str:
        return repr(self._rust).replace("<Signal", "<SignalInstance", 1)


_SIGNALS = (SignalInstance, _RustSignal, _RelayedSignal)


def _relay_matches(relay: _Relay, slot: object) -> bool:
    if isinstance(slot, types.MethodType):
        recv = None if relay.receiver is None else relay.receiver()
        return recv is slot.__self__ and relay.func is slot.__func__
    return relay.receiver is None and relay.func == slot


class _Relayed:
    """Class attribute that replaces an inherited Rust signal getter."""

    def __init__(self, base: type, name: str) -> None:
        self._name = name
        self._getter = getattr(base, name)

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> _Relayed: ...
    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> _RelayedSignal: ...
    def __get__(self, obj: object | None, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        cache = obj.__dict__.setdefault("_qo_relayed", {})
        sig = cache.get(self._name)
        if sig is None:
            sig = cache[self._name] = _RelayedSignal(obj, self._getter.__get__(obj))
        return sig


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
