"""Qt host: qudp's sockets and timers driven by a running Qt event loop.

A program that keeps PySide6, PyQt6, PyQt5 (or PySide2) for its widgets and
QtCore but takes ``QUdpSocket`` and ``QHostAddress`` from qudp gets every
qudp signal and timer from Qt's loop: ``app.exec()``, ``QEventLoop.exec()``,
``processEvents()`` and the nested loops of modal dialogs.

How: the reactor's poll descriptor (epoll/kqueue, readable whenever qudp has
something to do) is watched by the binding's ``QSocketNotifier``, and its
next deadline by one single-shot ``QTimer``. No thread, no polling. The
descriptor is used level-style: each activation runs reactor passes until
nothing is left that is due now, then re-arms the timer for the next
deadline (or a zero timer, so widgets get a turn between bursts).

Attaching is automatic: when a signal is connected, a socket bound or a
timer started, and a Qt application object exists, on a thread that has a
Qt event dispatcher, for whichever binding the program imported (qudp never
imports one itself). ``attach()`` does it explicitly, for programs that set
everything up before creating the application object.
"""

from __future__ import annotations

import math
import sys
import threading
import types
import warnings
import weakref
from threading import get_ident

from . import _qudp, _waiter

# Not imported at run time (annotations only): `import qudp` stays light.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import socket as _socket
    from typing import Any

__all__ = ["attach", "attached", "detach"]

# Probed in this order; the first one the program imported wins.
_BINDINGS = ("PySide6", "PyQt6", "PyQt5", "PySide2")

# Passes run per activation while work is due at once (a slot that reads one
# datagram per readyRead re-queues its socket); after that a zero timer lets
# Qt handle its own events first, so a flood cannot freeze the widgets.
_PASSES_PER_ACTIVATION = 64

# One host per OS thread. Not threading.local: on a QThread every slot call
# gets a fresh Python thread state, whose locals die when the slot returns.
_hosts: dict[int, _Host] = {}


_QTCORE = tuple(name + ".QtCore" for name in _BINDINGS)
# len(sys.modules) when no binding was found: importing one adds modules,
# so while the count stays the same the answer stays "none" (the hooks run
# on every connect and timer start; this keeps them at one comparison).
_none_at = -1


def _qtcore() -> Any:
    global _none_at
    mods = sys.modules
    count = len(mods)
    if count == _none_at:
        return None
    for key in _QTCORE:
        core = mods.get(key)
        # `python -m qudp run` maps these names to qudp.compat: not a Qt.
        if core is not None and hasattr(core, "QSocketNotifier"):
            return core
    _none_at = count
    return None


def _enum(owner: Any, scope: str, name: str) -> Any:
    # Qt 6 bindings scope enums (QSocketNotifier.Type.Read); PyQt5 also has
    # the flat Qt 5 form (QSocketNotifier.Read).
    scoped = getattr(owner, scope, None)
    value = getattr(scoped, name, None)
    return value if value is not None else getattr(owner, name)


class _Host:
    """Drives this thread's reactor from one Qt application's event loop."""

    def __init__(self, core: Any, app: Any) -> None:
        self.core = core
        # Gone when its Python object is collected, or when the C++ object
        # is destroyed while the Python one lives on (PySide6's shutdown(),
        # sip.delete): destroyed() says so.
        self.app = weakref.ref(app, self.app_destroyed)
        self.app_gone = False
        app.destroyed.connect(self.app_destroyed)
        self.fd = _qudp._reactor_fd()
        self.runs = 0
        self.passes = 0
        # Children of the application (when on its thread) so they go when
        # it goes; otherwise owned here.
        self.on_app_thread = app.thread() == core.QThread.currentThread()
        # ensure() may trust this host without asking Qt.
        self.fast = self.on_app_thread
        parent = app if self.on_app_thread else None
        # A finished QThread's number can be reused by a new thread.
        self.dispatcher = None if self.on_app_thread else core.QAbstractEventDispatcher.instance()
        # Windows has no reactor descriptor: a waiter thread signals a
        # socket pair instead, which QSocketNotifier watches (qudp._waiter).
        self.waiter: _waiter.Waiter | None = None
        self.pair: tuple[_socket.socket, _socket.socket] | None = None
        watch = self.fd
        if _waiter.wanted(self.fd):
            import socket  # only here: `import qudp` stays cheap

            self.pair = socket.socketpair()
            for end in self.pair:
                end.setblocking(False)
            watch = self.pair[0].fileno()
            self.waiter = _waiter.Waiter(self._signal, lambda: self.pair is not None)
        read = _enum(core.QSocketNotifier, "Type", "Read")
        self.notifier = core.QSocketNotifier(watch, read, parent)
        # A slot without parameters: PySide6 then skips converting the
        # signal's arguments (a descriptor and an enum, ~15 µs per call).
        self.notifier.activated.connect(self.activated)
        self.timer = core.QTimer(parent)
        self.timer.setSingleShot(True)
        self.timer.setTimerType(_enum(core.Qt, "TimerType", "PreciseTimer"))
        self.timer.timeout.connect(self.run)
        if not self.on_app_thread:
            # Clean up on the worker thread as it ends: Qt still runs its
            # deferred deletions there after finished().
            direct = _enum(core.Qt, "ConnectionType", "DirectConnection")
            core.QThread.currentThread().finished.connect(self.thread_finished, direct)
        _qudp._reactor_hosted(True)
        # Timers started and data queued before we attached.
        self.armed = True
        self.timer.start(0)

    def app_destroyed(self, *_: Any) -> None:
        self.app_gone = True
        self.fast = False

    def alive(self) -> bool:
        if self.app_gone or self.app() is None:
            return False
        return self.on_app_thread or (
            self.core.QAbstractEventDispatcher.instance() is self.dispatcher
        )

    def activated(self) -> None:
        pair = self.pair
        if pair is not None:
            try:
                while pair[0].recv(512):
                    pass
            except OSError:
                pass  # drained
        self.run()

    def _signal(self) -> None:
        # On the waiter thread: wake the notifier on the host's thread.
        pair = self.pair  # close() may clear it meanwhile
        if pair is not None:
            try:
                pair[1].send(b"\0")
            except BlockingIOError:
                pass  # a wake-up is already pending
            except OSError:
                pass  # closed meanwhile; the waiter stops at its next check

    def run(self) -> None:
        """Process everything that is ready, then wait for the descriptor or
        the next deadline. Re-entrant: a slot may open a modal dialog, whose
        nested loop calls this again."""
        self.runs += 1
        if self.waiter is not None:
            self.waiter.passing()
        next_in: float | None = 0.0
        try:
            for _i in range(_PASSES_PER_ACTIVATION):
                self.passes += 1
                next_in = _qudp._reactor_pass()
                if next_in is None or next_in > 0:
                    break
        finally:
            # Also after KeyboardInterrupt/SystemExit from a slot: what the
            # pass did not handle is still queued and gets its turn.
            self._schedule(next_in)

    def _schedule(self, next_in: float | None) -> None:
        if next_in is None:
            if self.armed:
                self.armed = False
                self.timer.stop()
        else:
            # Qt timers count whole milliseconds: round up, never fire early.
            self.armed = True
            self.timer.start(max(0, math.ceil(next_in * 1000.0)))

    def thread_finished(self) -> None:
        if _hosts.get(threading.get_ident()) is self:
            del _hosts[threading.get_ident()]
        self.close()

    def close(self) -> None:
        for obj in (self.notifier, self.timer):
            try:
                if obj is self.notifier:
                    obj.setEnabled(False)
                else:
                    obj.stop()
                obj.deleteLater()
            except RuntimeError:
                pass  # already deleted with the application
        if self.waiter is not None:
            self.waiter.close()
        if self.pair is not None:
            pair, self.pair = self.pair, None
            for end in pair:
                end.close()
        _qudp._reactor_hosted(False)


def _current() -> _Host | None:
    me = threading.get_ident()
    host = _hosts.get(me)
    if host is not None and not host.alive():
        del _hosts[me]
        # Its application is gone: close it. Otherwise it belonged to an
        # earlier thread with this number, whose Qt objects must not be
        # touched from here.
        if host.app_gone or host.app() is None:
            host.close()
        host = None
    return host


def ensure() -> bool:
    """Attach to a running Qt application if there is one; cheap when
    attached already or when no Qt binding is imported."""
    host = _hosts.get(get_ident())
    if host is not None and host.fast:
        return True
    core = _qtcore()
    if core is None:
        return False
    return _attach(core)


def _attach(core: Any) -> bool:
    if _current() is not None:
        return True
    app = core.QCoreApplication.instance()
    # A thread without a Qt event dispatcher (plain threading.Thread) runs
    # qudp's own loop; Qt objects there would never be served.
    if app is None or core.QAbstractEventDispatcher.instance() is None:
        return False
    _hosts[threading.get_ident()] = _Host(core, app)
    return True


def attach() -> bool:
    """Let the running Qt application's loop drive qudp on this thread.
    Returns False when no Qt binding is imported, no application object
    exists, or this thread has no Qt event loop. Idempotent."""
    core = _qtcore()
    return core is not None and _attach(core)


def detach() -> None:
    """Stop driving qudp from Qt on this thread (qudp's own QEventLoop and
    asyncio still work)."""
    host = _hosts.pop(threading.get_ident(), None)
    if host is not None:
        host.close()


def attached() -> bool:
    """Is Qt's loop driving qudp on this thread?"""
    return _current() is not None


# ---------------------------------------------------------------------------
# Connecting qudp signals to Qt: a Qt signal as the slot, and Qt's
# ConnectionType as the second argument of connect().

AUTO, DIRECT, QUEUED, BLOCKING_QUEUED = 0, 1, 2, 3
UNIQUE, SINGLE_SHOT = 0x80, 0x100


def _connection_type(value: Any) -> int:
    if value is None:
        return AUTO
    raw = getattr(value, "value", value)  # Python enums (PySide6, PyQt6)
    try:
        t = int(raw.__index__())
    except (AttributeError, TypeError):
        raise TypeError(
            f"type must be a Qt.ConnectionType or int, not {type(value).__name__}"
        ) from None
    if t < 0 or t & ~(0x3 | UNIQUE | SINGLE_SHOT):
        raise ValueError(f"type must be a Qt.ConnectionType, got {t}")
    return t


def _is_qt_signal(slot: Any) -> bool:
    # A bound Qt signal (PySide's SignalInstance, PyQt's pyqtBoundSignal):
    # "callable" by type but calling it raises; Qt connects it to emit.
    mod = type(slot).__module__ or ""
    return mod.split(".", 1)[0] in _BINDINGS and hasattr(slot, "emit") and hasattr(slot, "connect")


def _signature_types(text: str) -> list[str] | None:
    # "name(int,QMap<QString,int>)" -> ["int", "QMap<QString,int>"]: split
    # at commas outside <...> and (...).
    start, end = text.find("("), text.rfind(")")
    if start < 0 or end < start:
        return None
    types, depth, cur = [], 0, ""
    for ch in text[start + 1 : end]:
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        elif ch == "," and depth == 0:
            types.append(cur.strip())
            cur = ""
            continue
        cur += ch
    if cur.strip():
        types.append(cur.strip())
    return types


def _qt_signal_types(sig: Any) -> list[str] | None:
    text = getattr(sig, "signal", None)  # PyQt: "2name(QString)"
    if not isinstance(text, str):
        text = repr(sig)  # PySide: "<...SignalInstance name(QString) at 0x...>"
        text = text.split(" at 0x", 1)[0]
    return _signature_types(text)


_relay_classes: dict[tuple[str, tuple[str, ...]], Any] = {}


def _relay_for(sig: Any, types: list[str]) -> Any:
    """A QObject of the signal's own binding whose `relay` signal has the
    same C++ argument types, connected to `sig` inside Qt: Qt then drops
    the connection when the signal's object is destroyed (PyQt's bound
    signal does not keep it alive, and emitting on a dead one crashes), and
    queues the emission if that object lives in another thread."""
    root = type(sig).__module__.split(".", 1)[0]
    core = sys.modules[root + ".QtCore"]
    key = (root, tuple(types))
    cls = _relay_classes.get(key)
    if cls is None:
        make = getattr(core, "pyqtSignal", None) or core.Signal
        cls = type("QudpRelay", (core.QObject,), {"relay": make(*types)})
        _relay_classes[key] = cls
    helper = cls()
    helper.relay.connect(sig)
    return helper


def _capacity(fn: Any) -> int | None:
    """Most positional arguments `fn` takes (None: any number)."""
    try:
        import inspect  # only when a Qt signal is connected

        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    n = 0
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            return None
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            n += 1
    return n


class _Forward:
    """A qudp signal's slot that forwards to a Qt signal, with as many
    arguments as the Qt signal has (Qt lets a signal drop trailing ones)."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, sig: Any) -> None:
        self.sig = sig  # only compared (disconnect), never emitted on
        types = _qt_signal_types(sig)
        if types is None:
            raise TypeError(f"slot: cannot read the signature of Qt signal {sig!r}")
        self.arity = len(types)
        self.helper = _relay_for(sig, types)
        self.emit = self.helper.relay.emit

    def __call__(self, *args: Any) -> None:
        self.emit(*args[: self.arity])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Forward):
            other = other.sig
        return bool(_is_qt_signal(other) and self.sig == other)

    def __repr__(self) -> str:
        return f"<forward to {self.sig!r}>"


class _Queued:
    """QueuedConnection: the call is posted to the loop of this thread and
    runs on its next pass, with the arguments of the emission. A bound
    method's object is held weakly, as for direct connections."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, slot: Any) -> None:
        self.arity = _capacity(slot)
        if isinstance(slot, types.MethodType):
            self.ref: Any = weakref.WeakMethod(slot)
        else:
            self.ref = lambda slot=slot: slot
        self.slot_repr = repr(slot)

    def __call__(self, *args: Any) -> None:
        args = args[: self.arity] if self.arity is not None else args
        _qudp.QTimer.singleShot(0, lambda: self._deliver(args))

    def _deliver(self, args: tuple[Any, ...]) -> None:
        fn = self.ref()
        if fn is not None:
            fn(*args)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Queued):
            other = other.ref()
        mine = self.ref()
        # A _Forward compares itself with the Qt signal it forwards to.
        return mine is not None and bool(mine == other)

    def __repr__(self) -> str:
        return f"<queued {self.slot_repr}>"


class _SingleShot:
    """SingleShotConnection: disconnects itself before its first call."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.arity = None if isinstance(inner, _Forward | _Queued) else _capacity(inner)
        self.signal: Any = None
        self.conn: Any = None

    def __call__(self, *args: Any) -> None:
        if self.conn is None:
            return
        signal, conn, self.signal, self.conn = self.signal, self.conn, None, None
        _orig_disconnect(signal, conn)
        self.inner(*(args[: self.arity] if self.arity is not None else args))

    def __eq__(self, other: object) -> bool:
        return bool(self.inner == other)


class _RefusedConnection:
    """What connect() returns for a refused UniqueConnection: false, like
    PySide6's invalid QMetaObject.Connection (PyQt raises TypeError)."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "<Connection refused (not unique)>"


_REFUSED = _RefusedConnection()
_orig_connect: Any = None
_orig_disconnect: Any = None


def _connect(self: Any, slot: Any, type: Any = None) -> Any:
    """Connect `slot` (a callable, a qudp signal or a Qt signal) and return a
    Connection. `type` is Qt's ConnectionType: Auto and Direct call the slot
    during the emission, Queued posts the call to this thread's loop,
    BlockingQueued calls directly (the emitter is always on the slot's
    thread); the UniqueConnection and SingleShotConnection flags apply."""
    t = _connection_type(type)
    ensure()
    if _is_qt_signal(slot):
        target: Any = _Forward(slot)
    elif not callable(slot) and callable(getattr(slot, "emit", None)):
        target = slot.emit  # another signal-like object (qudp.compat's)
    else:
        target = slot
    if t & 0x3 == QUEUED:
        if not callable(target) and not isinstance(slot, _qudp.Signal):
            raise TypeError(f"slot must be callable, not {slot.__class__.__name__}")
        target = _Queued(target.emit if isinstance(target, _qudp.Signal) else target)
    if t & UNIQUE and _connected(self, target):
        return _REFUSED
    if t & SINGLE_SHOT:
        if isinstance(target, _qudp.Signal):
            target = target.emit
        once = _SingleShot(target)
        once.signal = self
        once.conn = _orig_connect(self, once)
        return once.conn
    return _orig_connect(self, target)


def _connected(signal: Any, target: Any) -> bool:
    # Qt refuses a duplicate unique connection. The signal only answers
    # "disconnect this": probe that way and put the connection back.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        probe = target.emit if isinstance(target, _qudp.Signal) else target
        if not _orig_disconnect(signal, probe):
            return False
    _orig_connect(signal, target)
    return True


def _wrap_start(orig: Any) -> Any:
    modules = sys.modules

    def start(self: Any, *args: Any, **kwargs: Any) -> Any:
        # ensure(), inlined for the common answers (no Qt; attached): timers
        # are restarted often, e.g. a watchdog per datagram.
        if len(modules) != _none_at:
            host = _hosts.get(get_ident())
            if host is None or not host.fast:
                ensure()
        return orig(self, *args, **kwargs)

    start.__doc__ = orig.__doc__
    start.__name__ = orig.__name__
    start.__wrapped__ = orig  # type: ignore[attr-defined]
    return start


def _install() -> None:
    """Hook the moments qudp starts needing a loop (connect, bind, timer
    start) so a Qt application present by then is attached."""
    global _orig_connect, _orig_disconnect
    sig = _qudp.Signal
    _orig_connect = sig.connect
    _orig_disconnect = sig.disconnect
    sig.connect = _connect  # type: ignore[method-assign, assignment]
    for cls, name in (
        (_qudp.QAbstractSocket, "bind"),
        (_qudp.QAbstractSocket, "connectToHost"),
        (_qudp.QTimer, "start"),
    ):
        setattr(cls, name, _wrap_start(getattr(cls, name)))
    single = _qudp.QTimer.singleShot

    def singleShot(msec: Any, *args: Any) -> None:
        ensure()
        single(msec, *args)

    singleShot.__doc__ = single.__doc__
    singleShot.__wrapped__ = single  # type: ignore[attr-defined]
    _qudp.QTimer.singleShot = staticmethod(singleShot)  # type: ignore[method-assign, assignment]
