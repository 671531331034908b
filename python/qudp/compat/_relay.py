"""Relays: qudp's (Rust) signals seen from compat, so that sender(),
blockSignals(), deleted receivers and Qt's connection types work for slots
connected to a socket's or a timer's signals."""

from __future__ import annotations

import functools
import types
import weakref
from collections.abc import Callable
from typing import Any, overload

from .. import QTimer as _RustTimer
from .._qudp import Signal as _RustSignal
from ._signal import (
    _QUEUED,
    _SINGLE_SHOT,
    _UNIQUE,
    Connection,
    SignalInstance,
    _capacity,
    _tls,
    _type_value,
    blocked,
    deleted,
    marked,
    sender_stack,
)


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


def _weak(obj: object) -> Callable[[], Any]:
    try:
        return weakref.ref(obj)
    except TypeError:
        return lambda: obj


# Relays per Rust signal, so old-style disconnect can find them.


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
