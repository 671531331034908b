"""Qt's connection types on qudp signals, without Qt: the second argument of
connect() (Qt.ConnectionType or its int value) and the attach hooks that
must stay inert when no Qt binding is imported."""

from __future__ import annotations

import enum
import gc
import subprocess
import sys

import pytest

import qudp

DIRECT, QUEUED, BLOCKING, UNIQUE, SINGLE_SHOT = 1, 2, 3, 0x80, 0x100


class ConnectionType(enum.Enum):
    """Shaped like PySide6's / PyQt6's Qt.ConnectionType (a Python enum)."""

    DirectConnection = 1
    QueuedConnection = 2


def pump(n: int = 5) -> None:
    loop = qudp.QEventLoop()
    for _ in range(n):
        loop.processEvents()


def test_queued_runs_on_the_next_pass_with_the_emitted_arguments() -> None:
    t = qudp.QTimer()
    calls: list[str] = []
    t.timeout.connect(lambda: calls.append("direct"), DIRECT)
    t.timeout.connect(lambda: calls.append("queued"), QUEUED)
    t.timeout.connect(lambda: calls.append("auto"))
    t.timeout.emit()
    assert calls == ["direct", "auto"]
    pump()
    assert calls == ["direct", "auto", "queued"]


def test_queued_passes_only_the_arguments_the_slot_takes() -> None:
    sock = qudp.QUdpSocket()
    got: list[tuple[object, ...]] = []
    sock.stateChanged.connect(lambda: got.append(()), ConnectionType.QueuedConnection)
    sock.stateChanged.connect(lambda s: got.append((s,)), ConnectionType.QueuedConnection)
    sock.bind(qudp.QHostAddress.LocalHost, 0)
    assert got == []
    pump()
    assert got == [(), (qudp.QAbstractSocket.BoundState,)]


def test_queued_bound_method_does_not_keep_its_object_alive() -> None:
    calls: list[int] = []

    class Receiver:
        def slot(self) -> None:
            calls.append(1)

    t = qudp.QTimer()
    r = Receiver()
    t.timeout.connect(r.slot, QUEUED)
    t.timeout.emit()
    del r
    gc.collect()
    pump()
    assert calls == []


def test_queued_connection_disconnects_by_slot() -> None:
    t = qudp.QTimer()
    calls: list[int] = []

    def slot() -> None:
        calls.append(1)

    t.timeout.connect(slot, QUEUED)
    assert t.timeout.disconnect(slot) is True
    t.timeout.emit()
    pump()
    assert calls == []


def test_blocking_queued_calls_directly_on_the_same_thread() -> None:
    t = qudp.QTimer()
    calls: list[int] = []
    t.timeout.connect(lambda: calls.append(1), BLOCKING)
    t.timeout.emit()
    assert calls == [1]


def test_unique_and_single_shot_flags() -> None:
    t = qudp.QTimer()
    calls: list[str] = []

    def slot() -> None:
        calls.append("u")

    assert t.timeout.connect(slot, UNIQUE)
    assert not t.timeout.connect(slot, UNIQUE)
    t.timeout.connect(lambda: calls.append("once"), SINGLE_SHOT)
    t.timeout.emit()
    t.timeout.emit()
    assert calls == ["u", "once", "u"]


def test_connection_type_errors_name_the_argument() -> None:
    t = qudp.QTimer()
    with pytest.raises(TypeError, match="type"):
        t.timeout.connect(print, "queued")
    with pytest.raises(ValueError, match="type"):
        t.timeout.connect(print, 7)
    with pytest.raises(TypeError, match="slot"):
        t.timeout.connect(42, QUEUED)


def test_no_qt_binding_is_imported_and_nothing_attaches() -> None:
    code = (
        "import sys, qudp\n"
        "s = qudp.QUdpSocket(); s.readyRead.connect(print)\n"
        "s.bind(qudp.QHostAddress.LocalHost, 0)\n"
        "t = qudp.QTimer(); t.start(10); qudp.QTimer.singleShot(0, print)\n"
        "assert not qudp.qthost.attach() and not qudp.qthost.attached()\n"
        "qt = [m for m in sys.modules if m.startswith(('PySide', 'PyQt', 'shiboken', 'sip'))]\n"
        "assert qt == [], qt\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


def test_qudp_compat_under_a_qt_name_is_not_taken_for_qt() -> None:
    # `python -m qudp run` maps PySide6.QtCore to qudp.compat, which has
    # QCoreApplication but no QSocketNotifier: no host, connect still works.
    code = (
        "import sys, types, qudp\n"
        "fake = types.ModuleType('PySide6.QtCore')\n"
        "class QCoreApplication:\n"
        "    @staticmethod\n"
        "    def instance(): return QCoreApplication()\n"
        "fake.QCoreApplication = QCoreApplication\n"
        "sys.modules['PySide6.QtCore'] = fake\n"
        "t = qudp.QTimer(); got = []\n"
        "t.timeout.connect(lambda: got.append(1)); t.setSingleShot(True); t.start(0)\n"
        "qudp.QEventLoop().processEvents()\n"
        "assert got == [1] and not qudp.qthost.attached() and not qudp.qthost.attach()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


def test_a_signal_like_object_connects_by_its_emit() -> None:
    class Relay:
        def __init__(self) -> None:
            self.got: list[object] = []

        def emit(self, *args: object) -> None:
            self.got.append(args)

    t = qudp.QTimer()
    relay = Relay()
    t.timeout.connect(relay)
    t.timeout.emit()
    assert relay.got == [()]
