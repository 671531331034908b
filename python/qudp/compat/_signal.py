"""Signals declared in Python classes: ``Signal``/``pyqtSignal``, ``Slot``,
``SIGNAL()``/``SLOT()``, and who sent the signal a slot is running for.

qudp's sockets and timers carry Rust signals (``qudp.Signal``); the classes
here give user-declared signals the same connect/disconnect/emit rules
(PySide's): slots run in connection order, a slot may take fewer arguments
than the signal carries, a bound method does not keep its object alive, and
an exception in a slot is printed while the remaining slots still run.
"""

from __future__ import annotations

import functools
import inspect
import sys
import threading
import types
import weakref
from collections.abc import Callable
from enum import Enum
from typing import Any

from .. import QTimer as _RustTimer
from .._qudp import Signal as _RustSignal


class Qt:
    """The part of Qt's ``Qt`` namespace that compat implements."""

    class ConnectionType(Enum):
        AutoConnection = 0
        DirectConnection = 1
        QueuedConnection = 2
        BlockingQueuedConnection = 3
        UniqueConnection = 0x80
        SingleShotConnection = 0x100

    AutoConnection = ConnectionType.AutoConnection
    DirectConnection = ConnectionType.DirectConnection
    QueuedConnection = ConnectionType.QueuedConnection
    BlockingQueuedConnection = ConnectionType.BlockingQueuedConnection
    UniqueConnection = ConnectionType.UniqueConnection
    SingleShotConnection = ConnectionType.SingleShotConnection


Qt.ConnectionType.__module__ = "qudp.compat"

# Qt.ConnectionType values as bits: the low byte is the kind, the rest flags.
_QUEUED = 2
_UNIQUE = 0x80
_SINGLE_SHOT = 0x100


def _type_value(t: object) -> int:
    if t is None:
        return 0
    if isinstance(t, Qt.ConnectionType):
        return t.value
    if isinstance(t, int) and not isinstance(t, bool):
        # PyQt5's enums are ints, and it lets code OR them together.
        return t
    value = getattr(t, "value", None)
    if isinstance(value, int):
        return value
    raise TypeError(f"type must be a Qt.ConnectionType, not {type(t).__name__}")


# --- who is sending: QObject.sender() --------------------------------------

_tls = threading.local()


def sender_stack() -> list[tuple[object, object]]:
    """This thread's (sender, receiver) pairs of the slots now running.
    Callers push and pop around the call themselves: a context manager
    would cost more than the rest of a relayed emission."""
    try:
        return _tls.stack  # type: ignore[no-any-return]
    except AttributeError:
        _tls.stack = []
        return _tls.stack  # type: ignore[no-any-return]


def current_sender(receiver: object) -> object | None:
    """The sender of the signal whose slot on `receiver` is running (Qt:
    QObject::sender() is only valid inside a slot of that object)."""
    stack = sender_stack()
    if stack and stack[-1][1] is receiver:
        return stack[-1][0]
    return None


# --- slots --------------------------------------------------------------------


def _capacity(slot: Callable[..., object]) -> int:
    """How many positional arguments `slot` accepts (-1: any number)."""
    try:
        sig = inspect.signature(slot)
    except (TypeError, ValueError):
        return -1
    n = 0
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            return -1
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            n += 1
    return n


# Objects with blocked signals, and objects deleted by deleteLater(), as
# sets of weak references. Both are usually empty, so the per-emission test
# is the truth test of a plain set (a WeakSet's costs a Python-level __len__).
blocked: set[weakref.ref[Any]] = set()
deleted: set[weakref.ref[Any]] = set()


def mark(refs: set[weakref.ref[Any]], obj: object, on: bool) -> None:
    if on:
        refs.add(weakref.ref(obj, refs.discard))
    else:
        refs.discard(weakref.ref(obj))


def marked(refs: set[weakref.ref[Any]], obj: object) -> bool:
    try:
        return bool(refs) and weakref.ref(obj) in refs
    except TypeError:  # cannot be weakly referenced, so never marked
        return False


def is_deleted(obj: object) -> bool:
    return marked(deleted, obj)


class _Target:
    """A slot as stored: a bound method is held as (weak receiver, function)
    so a connection does not keep its receiver alive, as in PySide."""

    __slots__ = ("arity", "func", "key", "receiver")

    def __init__(self, slot: Callable[..., object]) -> None:
        self.arity = _capacity(slot)
        self.receiver: weakref.ref[Any] | None = None
        self.func: Callable[..., object] = slot
        self.key: object = slot
        if isinstance(slot, types.MethodType):
            try:
                self.receiver = weakref.ref(slot.__self__)
                self.func = slot.__func__
                self.key = None  # the bound method would keep its object alive
            except TypeError:
                pass

    def resolve(self) -> tuple[Callable[..., object], object] | None:
        """(callable, receiver object or None), or None if the receiver is gone."""
        if self.receiver is None:
            owner = getattr(self.func, "__self__", None)
            return self.func, owner
        obj = self.receiver()
        if obj is None or is_deleted(obj):
            return None
        return types.MethodType(self.func, obj), obj

    def matches(self, slot: object) -> bool:
        if self.receiver is not None and isinstance(slot, types.MethodType):
            return self.receiver() is slot.__self__ and self.func is slot.__func__
        return self.key is slot or self.key == slot

    def call(self, sender: object, args: tuple[object, ...]) -> None:
        resolved = self.resolve()
        if resolved is None:
            return
        fn, receiver = resolved
        if self.arity >= 0:
            args = args[: self.arity]
        stack = sender_stack()
        stack.append((sender, receiver))
        try:
            fn(*args)
        except Exception:
            # PySide prints the traceback and carries on with the next slot.
            sys.excepthook(*sys.exc_info())
        finally:
            stack.pop()


def _call_later(fn: Callable[[], object]) -> None:
    _RustTimer.singleShot(0, fn)


class Connection:
    """What connect() returns (PySide6's QMetaObject.Connection): true when a
    connection was made; disconnect() accepts it."""

    __slots__ = ("__weakref__", "_id", "_signal")

    def __init__(self, signal: SignalInstance | None, conn_id: int) -> None:
        self._signal = signal
        self._id = conn_id

    def __bool__(self) -> bool:
        return self._signal is not None and any(c.id == self._id for c in self._signal._conns)

    def __repr__(self) -> str:
        return f"<Connection #{self._id}>"


class _Conn:
    __slots__ = ("id", "target", "type")

    def __init__(self, conn_id: int, target: _Target, ctype: int) -> None:
        self.id = conn_id
        self.target = target
        self.type = ctype


_next_id = iter(range(1, 1 << 62)).__next__

# Qt's names for Python types in a signal's signature, as PySide prints them.
_QT_NAMES = {
    str: "QString",
    float: "double",
    int: "int",
    bool: "bool",
    bytes: "QByteArray",
    object: "PyObject",
    list: "QVariantList",
    dict: "QVariantMap",
}


def _qt_name(t: object) -> str:
    if isinstance(t, str):
        return t
    if isinstance(t, type) and t in _QT_NAMES:
        return _QT_NAMES[t]
    return str(getattr(t, "__name__", repr(t)))


class SignalInstance:
    """A signal bound to one object: connect, disconnect, emit."""

    __slots__ = ("__weakref__", "_conns", "_name", "_nargs", "_overloads", "_owner", "_types")

    def __init__(self, owner: object, name: str, types_: tuple[Any, ...] | None) -> None:
        try:
            self._owner: Callable[[], object] = weakref.ref(owner)
        except TypeError:
            self._owner = lambda: owner
        self._types = types_
        # None: a signal known only by name (old-style emit), any arguments.
        self._nargs = -1 if types_ is None else len(types_)
        sig = "..." if types_ is None else ",".join(_qt_name(t) for t in types_)
        self._name = f"{name}({sig})"
        self._conns: list[_Conn] = []
        self._overloads: dict[tuple[Any, ...], SignalInstance] = {}

    def connect(self, slot: Callable[..., object], type: object = None) -> Connection:
        """Connect a callable or another signal; returns a Connection."""
        ctype = _type_value(type)
        if isinstance(slot, _RustSignal):
            slot = slot.emit
        if not callable(slot):
            raise TypeError(f"slot must be callable, not {slot.__class__.__name__}")
        target = _Target(slot.emit if isinstance(slot, SignalInstance) else slot)
        if isinstance(slot, SignalInstance):
            target.key = slot
        if ctype & _UNIQUE and any(c.target.matches(slot) for c in self._conns):
            return Connection(None, 0)
        conn = _Conn(_next_id(), target, ctype)
        self._conns.append(conn)
        return Connection(self, conn.id)

    def disconnect(self, slot: object = None) -> bool:
        """Disconnect one connection of `slot` (or a Connection), or all."""
        if slot is None:
            had = bool(self._conns)
            self._conns.clear()
            return had
        if isinstance(slot, Connection):
            idx = next((i for i, c in enumerate(self._conns) if c.id == slot._id), None)
        else:
            if isinstance(slot, _RustSignal):
                slot = slot.emit
            idx = next(
                (
                    i
                    for i in range(len(self._conns) - 1, -1, -1)
                    if self._conns[i].target.matches(slot)
                ),
                None,
            )
        if idx is None:
            import warnings

            warnings.warn(
                f'libpyside: Failed to disconnect ({slot!r}) from signal "{self._name}".',
                RuntimeWarning,
                stacklevel=2,
            )
            return False
        del self._conns[idx]
        return True

    def emit(self, *args: object) -> bool:
        """Call every connected slot with `args`."""
        n = self._nargs
        if n >= 0 and len(args) != n:
            verb = "needs" if len(args) < n else "only accepts"
            raise TypeError(f"{self._name} {verb} {n} argument(s), {len(args)} given!")
        owner = self._owner()
        if blocked and marked(blocked, owner):
            return False
        for conn in list(self._conns):
            # A slot that disconnected a later one during this emission
            # stops it from running, as in Qt.
            if conn not in self._conns:
                continue
            if conn.type & _SINGLE_SHOT:
                self._conns.remove(conn)
            if conn.target.resolve() is None:
                if conn in self._conns:
                    self._conns.remove(conn)
                continue
            if conn.type & 0x7F == _QUEUED:
                _call_later(functools.partial(conn.target.call, owner, args))
            else:
                conn.target.call(owner, args)
        return True

    # qudp's Rust signals connect callables: calling emits, so
    # ``sock.readyRead.connect(self.mySignal)`` drives this signal.
    def __call__(self, *args: object) -> bool:
        return self.emit(*args)

    def __getitem__(self, types_: object) -> SignalInstance:
        """One overload of a signal declared with several, e.g. ``sig[str]``."""
        key = types_ if isinstance(types_, tuple) else (types_,)
        if self._types is not None and key == self._types:
            return self
        inst = self._overloads.get(key)
        if inst is None:
            raise KeyError(f"{self._name} has no overload {key!r}")
        return inst

    def __repr__(self) -> str:
        return f"<SignalInstance {self._name}>"


class Signal:
    """A signal declared as a class attribute: ``sent = Signal(str, float)``.
    Each instance gets its own bound signal (a SignalInstance)."""

    def __init__(self, *types_: Any, name: str | None = None, arguments: Any = None) -> None:
        del arguments  # argument names only matter to QML
        if types_ and all(isinstance(t, (tuple, list)) for t in types_):
            self._overloads = [tuple(t) for t in types_]
        else:
            self._overloads = [tuple(types_)]
        self._name = name

    def __set_name__(self, owner: type, name: str) -> None:
        if self._name is None:
            self._name = name

    def __get__(self, obj: object, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        cache = obj.__dict__.setdefault("_qo_signals", {})
        inst = cache.get(id(self))
        if inst is None:
            name = self._name or "signal"
            inst = SignalInstance(obj, name, self._overloads[0])
            for t in self._overloads[1:]:
                inst._overloads[t] = SignalInstance(obj, name, t)
            cache[id(self)] = inst
        return inst

    def __repr__(self) -> str:
        return f"<Signal {self._name}>"


pyqtSignal = Signal


class Slot:
    """``@Slot(int, str, name=..., result=...)``: marks a method as a slot.
    The method itself is returned unchanged; old-style ``SLOT()`` strings
    find it by its (or the given) name."""

    def __init__(self, *types_: Any, name: str | None = None, result: Any = None) -> None:
        self._types = types_
        self._name = name
        del result

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if self._name is not None:
            try:
                func._qudp_slot_name = self._name  # type: ignore[attr-defined]
            except AttributeError:
                pass
        return func


pyqtSlot = Slot


def SIGNAL(signature: str) -> str:
    """Old-style signal spec, as in Qt's SIGNAL() macro: ``'2name(args)'``."""
    return "2" + signature


def SLOT(signature: str) -> str:
    """Old-style slot spec, as in Qt's SLOT() macro: ``'1name(args)'``."""
    return "1" + signature
