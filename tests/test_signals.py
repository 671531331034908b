"""Signal objects: connect / disconnect / emit with PySide's semantics."""

from __future__ import annotations

import gc
import sys
import weakref
from typing import Any

import pytest

from qudp import QAbstractSocket, QHostAddress, QUdpSocket


def test_signal_is_cached_and_connect_returns_connection() -> None:
    s = QUdpSocket()
    assert s.readyRead is s.readyRead
    conn = s.readyRead.connect(lambda: None)
    assert conn
    assert s.readyRead.disconnect(conn) is True


def test_slots_run_in_order_and_twice_if_connected_twice() -> None:
    s = QUdpSocket()
    calls: list[str] = []

    def a() -> None:
        calls.append("a")

    def b() -> None:
        calls.append("b")

    s.readyRead.connect(a)
    s.readyRead.connect(b)
    s.readyRead.connect(a)
    assert s.readyRead.emit() is True
    assert calls == ["a", "b", "a"]
    # One connection goes per disconnect(slot) call.
    assert s.readyRead.disconnect(a) is True
    calls.clear()
    s.readyRead.emit()
    assert sorted(calls) == ["a", "b"]


def test_disconnect_unknown_slot_warns_and_returns_false() -> None:
    s = QUdpSocket()
    with pytest.warns(
        RuntimeWarning, match=r'Failed to disconnect \(.*\) from signal "readyRead\(\)"'
    ):
        assert s.readyRead.disconnect(lambda: None) is False
    with pytest.warns(RuntimeWarning, match=r"Failed to disconnect \(None\)"):
        assert s.readyRead.disconnect() is False
    s.readyRead.connect(print)
    s.readyRead.connect(print)
    assert s.readyRead.disconnect() is True


def test_fewer_arguments_than_the_signal() -> None:
    s = QUdpSocket()
    seen: list[Any] = []
    s.bytesWritten.connect(lambda: seen.append("none"))
    s.bytesWritten.connect(lambda n: seen.append(n))

    def defaults(a: int = 1, b: int = 2, c: int = 3) -> None:
        seen.append((a, b, c))

    s.bytesWritten.connect(defaults)
    s.bytesWritten.connect(lambda *a: seen.append(a))
    s.bytesWritten.emit(7)
    assert seen == ["none", 7, (7, 2, 3), (7,)]


def test_emit_argument_count_errors() -> None:
    s = QUdpSocket()
    with pytest.raises(
        TypeError, match=r"bytesWritten\(qlonglong\) needs 1 argument\(s\), 0 given!"
    ):
        s.bytesWritten.emit()
    with pytest.raises(TypeError, match=r"readyRead\(\) only accepts 0 argument\(s\), 1 given!"):
        s.readyRead.emit(1)


def test_connect_non_callable_raises() -> None:
    with pytest.raises(TypeError, match="slot must be callable, not int"):
        QUdpSocket().readyRead.connect(3)


def test_exception_in_slot_goes_to_excepthook_and_others_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[Any] = []
    monkeypatch.setattr(sys, "excepthook", lambda t, v, tb: seen.append((t, str(v))))
    rx = QUdpSocket()
    rx.bind(QHostAddress.LocalHost, 0)
    tx = QUdpSocket()

    def boom(n: int) -> None:
        raise ValueError(f"boom {n}")

    tx.bytesWritten.connect(boom)
    tx.bytesWritten.connect(lambda n: seen.append(n))
    assert tx.writeDatagram(b"abcd", QHostAddress.LocalHost, rx.localPort()) == 4
    assert seen == [(ValueError, "boom 4"), 4]


def test_keyboard_interrupt_in_slot_propagates() -> None:
    s = QUdpSocket()

    def stop() -> None:
        raise KeyboardInterrupt

    s.readyRead.connect(stop)
    with pytest.raises(KeyboardInterrupt):
        s.readyRead.emit()


def test_bound_method_does_not_keep_receiver_alive() -> None:
    class Receiver:
        def __init__(self) -> None:
            self.calls = 0

        def on(self) -> None:
            self.calls += 1

    s = QUdpSocket()
    r = Receiver()
    s.readyRead.connect(r.on)
    s.readyRead.emit()
    assert r.calls == 1
    ref = weakref.ref(r)
    del r
    gc.collect()
    assert ref() is None
    s.readyRead.emit()  # the dead connection is dropped silently
    assert "0 slot" in repr(s.readyRead)


def test_signal_to_signal_and_enum_arguments() -> None:
    a, b = QUdpSocket(), QUdpSocket()
    got: list[Any] = []
    b.stateChanged.connect(got.append)
    a.stateChanged.connect(b.stateChanged)
    a.bind(QHostAddress.LocalHost, 0)
    assert got == [QAbstractSocket.BoundState]
    assert isinstance(got[0], QAbstractSocket.SocketState)


def test_slot_closing_the_socket_it_listens_to() -> None:
    rx = QUdpSocket()
    rx.bind(QHostAddress.LocalHost, 0)
    states: list[Any] = []

    def on_state(st: Any) -> None:
        states.append(st)
        if st == QAbstractSocket.ClosingState:
            rx.close()  # re-entrant close from inside the close

    rx.stateChanged.connect(on_state)
    rx.close()
    assert rx.state() == QAbstractSocket.UnconnectedState
    assert QAbstractSocket.UnconnectedState in states


def test_socket_with_signal_cycle_is_collected() -> None:
    s = QUdpSocket()
    s.bind(QHostAddress.LocalHost, 0)

    def drain(sock: QUdpSocket = s) -> None:  # cycle: socket -> signal -> drain -> socket
        sock.readDatagram(10)

    s.readyRead.connect(drain)
    ref = weakref.ref(s)
    del s, drain
    gc.collect()
    assert ref() is None
