"""Old-style connections: SIGNAL()/SLOT() strings, Qt's and PySide's
connect()/disconnect() overloads, and signals known only by name."""

from __future__ import annotations

import sys
import types
import weakref
from collections.abc import Callable
from typing import Any

from .. import QAbstractSocket as _RustSocket
from .._qudp import Signal as _RustSignal
from ._relay import _Relay, _relay_connect, _RelayedSignal
from ._signal import Connection, SignalInstance, _type_value

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
