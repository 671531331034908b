"""qudp.compat: the QtCore classes headless programs use, without Qt."""

from __future__ import annotations

import gc
import time
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

import qudp
from qudp import QAbstractSocket, QHostAddress
from qudp import compat as qc
from qudp.compat import (
    SIGNAL,
    SLOT,
    QCoreApplication,
    QEventLoop,
    QObject,
    Qt,
    QTimer,
    QUdpSocket,
    Signal,
    Slot,
)


class Emitter(QObject):
    valueChanged = Signal(str, float)
    overloaded = Signal((int,), (str,))


class Receiver(QObject):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.got: list[Any] = []
        self.senders: list[Any] = []

    @Slot(str, float)
    def take(self, text: str, value: float) -> None:
        self.got.append((text, value))
        self.senders.append(self.sender())

    @Slot()
    def poke(self) -> None:
        self.got.append("poke")
        self.senders.append(self.sender())


@pytest.fixture
def app() -> Iterator[QCoreApplication]:
    a = QCoreApplication(["prog", "--flag"])
    yield a
    a.shutdown()


def spin(ms: int = 50) -> None:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        QCoreApplication.processEvents()


# --- signals ---------------------------------------------------------------------


def test_class_level_signal_is_bound_per_instance() -> None:
    a, b = Emitter(), Emitter()
    assert isinstance(Emitter.valueChanged, Signal)
    assert a.valueChanged is a.valueChanged
    assert a.valueChanged is not b.valueChanged
    r = Receiver()
    a.valueChanged.connect(r.take)
    b.valueChanged.emit("b", 2.0)
    assert r.got == []
    a.valueChanged.emit("a", 1.5)
    assert r.got == [("a", 1.5)]
    assert r.senders == [a]


def test_emit_checks_the_argument_count_like_pyside() -> None:
    e = Emitter()
    with pytest.raises(TypeError, match=r"valueChanged\(QString,double\) needs 2 argument"):
        e.valueChanged.emit("x")
    with pytest.raises(TypeError, match=r"only accepts 2 argument\(s\), 3 given"):
        e.valueChanged.emit("x", 1.0, 2)


def test_slots_taking_fewer_arguments_and_failing_slots() -> None:
    e = Emitter()
    seen: list[Any] = []
    e.valueChanged.connect(lambda: seen.append("none"))
    e.valueChanged.connect(lambda t: seen.append(t))

    def broken(*_: Any) -> None:
        raise ValueError("slot failed")

    e.valueChanged.connect(broken)
    e.valueChanged.connect(lambda *a: seen.append(a))
    hooked: list[type] = []
    import sys

    old, sys.excepthook = sys.excepthook, lambda t, v, tb: hooked.append(t)
    try:
        e.valueChanged.emit("v", 3.0)
    finally:
        sys.excepthook = old
    assert seen == ["none", "v", ("v", 3.0)]
    assert hooked == [ValueError]


def test_connection_does_not_keep_the_receiver_alive() -> None:
    e = Emitter()
    r = Receiver()
    e.valueChanged.connect(r.take)
    ref = weakref.ref(r)
    del r
    gc.collect()
    assert ref() is None
    e.valueChanged.emit("x", 1.0)  # no error, nothing called


def test_disconnect_forms() -> None:
    e, r = Emitter(), Receiver()
    c1 = e.valueChanged.connect(r.take)
    e.valueChanged.connect(r.take)
    assert c1
    assert e.valueChanged.disconnect(c1) is True
    assert not c1
    e.valueChanged.emit("once", 0.0)
    assert e.valueChanged.disconnect(r.take) is True
    with pytest.warns(RuntimeWarning, match="Failed to disconnect"):
        assert e.valueChanged.disconnect(r.take) is False
    e.valueChanged.emit("never", 0.0)
    assert r.got == [("once", 0.0)]


def test_overloads_are_separate_signals() -> None:
    e = Emitter()
    got: list[Any] = []
    e.overloaded.connect(lambda v: got.append(("int", v)))
    e.overloaded[str].connect(lambda v: got.append(("str", v)))
    e.overloaded.emit(1)
    e.overloaded[str].emit("s")
    assert e.overloaded[int] is e.overloaded
    assert got == [("int", 1), ("str", "s")]


def test_block_signals() -> None:
    e, r = Emitter(), Receiver()
    e.valueChanged.connect(r.take)
    assert e.blockSignals(True) is False
    assert e.signalsBlocked()
    e.valueChanged.emit("blocked", 0.0)
    assert e.blockSignals(False) is True
    e.valueChanged.emit("free", 0.0)
    assert r.got == [("free", 0.0)]


def test_signal_to_signal_and_rust_signal_to_compat_signal() -> None:
    a, b, r = Emitter(), Emitter(), Receiver()
    a.valueChanged.connect(b.valueChanged)
    b.valueChanged.connect(r.take)
    a.valueChanged.emit("chained", 1.0)
    assert r.got == [("chained", 1.0)]
    assert r.senders == [b]

    class Notifier(QObject):
        arrived = Signal()

    n = Notifier()
    n.arrived.connect(r.poke)
    s = qudp.QUdpSocket()
    s.readyRead.connect(n.arrived)  # a qudp signal driving a compat one
    s.readyRead.emit()
    assert r.got[-1] == "poke" and r.senders[-1] is n


def test_connection_types(app: QCoreApplication) -> None:
    e, r = Emitter(), Receiver()
    e.valueChanged.connect(r.take, Qt.QueuedConnection)
    e.valueChanged.emit("queued", 1.0)
    assert r.got == []  # not before control returns to the loop
    spin()
    assert r.got == [("queued", 1.0)]
    assert r.senders == [e]

    e2, r2 = Emitter(), Receiver()
    assert e2.valueChanged.connect(r2.take, Qt.UniqueConnection)
    assert not e2.valueChanged.connect(r2.take, Qt.UniqueConnection)
    e2.valueChanged.connect(r2.poke, type=Qt.ConnectionType.SingleShotConnection)
    e2.valueChanged.emit("a", 1.0)
    e2.valueChanged.emit("b", 2.0)
    assert r2.got == [("a", 1.0), "poke", ("b", 2.0)]
    with pytest.raises(TypeError, match=r"type must be a Qt\.ConnectionType"):
        e2.valueChanged.connect(r2.take, "queued")


def test_connection_types_on_socket_signals(app: QCoreApplication) -> None:
    s, r = QUdpSocket(), Receiver()
    s.readyRead.connect(r.poke, Qt.QueuedConnection)
    s.readyRead.emit()
    assert r.got == []
    spin()
    assert r.got == ["poke"] and r.senders == [s]
    t = QTimer()
    got: list[str] = []
    assert t.timeout.connect(r.poke, Qt.UniqueConnection)
    assert not t.timeout.connect(r.poke, Qt.UniqueConnection)
    t.timeout.connect(lambda: got.append("once"), Qt.SingleShotConnection)
    t.timeout.emit()
    t.timeout.emit()
    assert got == ["once"] and r.got == ["poke", "poke", "poke"]


def test_connection_type_values_are_qts() -> None:
    assert {m.name: m.value for m in Qt.ConnectionType} == {
        "AutoConnection": 0,
        "DirectConnection": 1,
        "QueuedConnection": 2,
        "BlockingQueuedConnection": 3,
        "UniqueConnection": 0x80,
        "SingleShotConnection": 0x100,
    }


# --- old-style connect --------------------------------------------------------------


def test_old_style_connect_from_the_qudpsocket_page(app: QCoreApplication) -> None:
    class Server(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.got: list[bytes] = []
            self.udpSocket = QUdpSocket(self)
            assert self.udpSocket.bind(QHostAddress.LocalHost, 0)
            self.connect(
                self.udpSocket, SIGNAL("readyRead()"), self, SLOT("readPendingDatagrams()")
            )

        def readPendingDatagrams(self) -> None:
            assert self.sender() is self.udpSocket
            while self.udpSocket.hasPendingDatagrams():
                data, _host, _port = self.udpSocket.readDatagram(
                    self.udpSocket.pendingDatagramSize()
                )
                self.got.append(bytes(data))

    server = Server()
    tx = qudp.QUdpSocket()
    for i in range(3):
        tx.writeDatagram(b"d%d" % i, QHostAddress.LocalHost, server.udpSocket.localPort())
    deadline = time.monotonic() + 5
    while len(server.got) < 3 and time.monotonic() < deadline:
        QCoreApplication.processEvents()
    assert server.got == [b"d0", b"d1", b"d2"]
    # Old-style disconnect takes the same arguments.
    assert QObject.disconnect(
        server.udpSocket, SIGNAL("readyRead()"), server, SLOT("readPendingDatagrams()")
    )
    tx.writeDatagram(b"late", QHostAddress.LocalHost, server.udpSocket.localPort())
    spin(100)
    assert server.got == [b"d0", b"d1", b"d2"]


def test_old_style_forms_static_three_argument_and_dynamic_signals() -> None:
    e, r = Emitter(), Receiver()
    # static, with a callable
    QObject.connect(e, SIGNAL("valueChanged(QString,double)"), r.take)
    # member form with receiver = self
    r.connect(e, SIGNAL("valueChanged(QString,double)"), SLOT("poke()"))
    e.valueChanged.emit("x", 1.0)
    assert r.got == [("x", 1.0), "poke"]
    assert r.senders == [e, e]
    # PySide 1: emit a signal nobody declared, by its signature
    got: list[int] = []
    e.connect(SIGNAL("finished(int)"), got.append)
    e.emit(SIGNAL("finished(int)"), 7)
    assert got == [7]
    # a signal connected to a signal, by strings
    other = Emitter()
    QObject.connect(
        e, SIGNAL("valueChanged(QString,double)"), other, SIGNAL("valueChanged(QString,double)")
    )
    seen: list[Any] = []
    other.valueChanged.connect(lambda *a: seen.append(a))
    e.valueChanged.emit("y", 2.0)
    assert seen == [("y", 2.0)]


def test_old_style_connect_to_a_missing_slot_warns_and_fails(capfd: Any) -> None:
    s = QUdpSocket()
    ok = QObject.connect(s, SIGNAL("readyRead()"), Receiver(), SLOT("missing()"))
    assert not ok
    assert "QObject::connect: No such slot Receiver::missing()" in capfd.readouterr().err


def test_qt5_error_signal_name_maps_to_error_occurred() -> None:
    s, r = QUdpSocket(), Receiver()
    got: list[Any] = []
    r.connect(s, SIGNAL("error(QAbstractSocket::SocketError)"), lambda e: got.append(e))
    s.errorOccurred.emit(QAbstractSocket.NetworkError)
    assert got == [QAbstractSocket.NetworkError]


# --- object tree ----------------------------------------------------------------------


def test_parent_children_and_set_parent() -> None:
    root = QObject(objectName="root")
    a = Receiver(root)
    b = QObject(a)
    b.setObjectName("b")
    assert a.parent() is root and root.children() == [a]
    assert root.findChild(QObject, "b") is b
    assert root.findChildren(Receiver) == [a]
    b.setParent(root)
    assert a.children() == [] and root.children() == [a, b]
    b.setParent(None)
    assert root.children() == [a] and b.parent() is None
    names: list[str] = []
    b.objectNameChanged.connect(names.append)
    b.setObjectName("renamed")
    b.setObjectName("renamed")
    assert names == ["renamed"]


def test_parent_keeps_sockets_and_timers_alive(app: QCoreApplication) -> None:
    parent = QObject()
    plain = qudp.QUdpSocket(parent)  # qudp's own socket takes a parent too
    compat_sock = QUdpSocket(parent)
    timer = QTimer(parent)
    assert plain.parent() is parent
    assert compat_sock.parent() is parent
    assert timer.parent() is parent
    assert parent.children() == [plain, compat_sock, timer]
    fired: list[int] = []
    timer.setSingleShot(True)
    timer.timeout.connect(lambda: fired.append(1))
    timer.start(1)
    refs = [weakref.ref(o) for o in (plain, compat_sock, timer)]
    del plain, compat_sock, timer
    gc.collect()
    assert all(r() is not None for r in refs)
    spin(50)
    assert fired == [1]  # the timer nobody else holds still fired
    del parent
    gc.collect()
    assert all(r() is None for r in refs)


def test_qudp_timer_parent_is_returned_and_keeps_it_alive() -> None:
    """qudp.QTimer(parent), as QUdpSocket(parent): the reactor holds timers
    weakly, so without the parent's reference the timer would vanish."""

    class Owner:  # any object with attributes can own qudp objects
        pass

    owner = Owner()
    t = qudp.QTimer(owner)
    assert t.parent() is owner
    assert qudp.QTimer().parent() is None
    fired: list[int] = []
    t.setSingleShot(True)
    t.timeout.connect(lambda: fired.append(1))
    t.start(1)
    ref = weakref.ref(t)
    del t
    gc.collect()
    assert ref() is not None
    loop = qudp.QEventLoop()
    deadline = time.monotonic() + 2
    while not fired and time.monotonic() < deadline:
        loop.processEvents()
    assert fired == [1]
    del owner
    gc.collect()
    assert ref() is None


def test_delete_later_closes_child_sockets_and_emits_destroyed(app: QCoreApplication) -> None:
    parent = QObject()
    owner = QObject(parent)
    sock = QUdpSocket(owner)
    plain = qudp.QUdpSocket(owner)
    assert sock.bind(QHostAddress.LocalHost, 0) and plain.bind(QHostAddress.LocalHost, 0)
    gone: list[Any] = []
    owner.destroyed.connect(gone.append)
    owner.blockSignals(True)  # Qt emits destroyed() all the same
    owner.deleteLater()
    assert gone == [] and sock.state() == QAbstractSocket.BoundState
    spin()
    assert gone == [owner]
    assert sock.state() == QAbstractSocket.UnconnectedState
    assert plain.state() == QAbstractSocket.UnconnectedState
    assert parent.children() == [] and owner.children() == []


def test_deleted_receiver_gets_no_more_calls(app: QCoreApplication) -> None:
    e, r = Emitter(), Receiver()
    e.valueChanged.connect(r.take)
    r.deleteLater()
    spin()
    e.valueChanged.emit("after", 0.0)
    assert r.got == []


# --- sender() for qudp's own signals ----------------------------------------------------


def test_sender_for_socket_signals_and_none_outside_slots(app: QCoreApplication) -> None:
    r = Receiver()
    socks = [QUdpSocket(r) for _ in range(2)]
    for s in socks:
        assert s.bind(QHostAddress.LocalHost, 0)
        s.readyRead.connect(r.poke)
    tx = qudp.QUdpSocket()
    tx.writeDatagram(b"x", QHostAddress.LocalHost, socks[1].localPort())
    deadline = time.monotonic() + 5
    while not r.got and time.monotonic() < deadline:
        QCoreApplication.processEvents()
    assert r.senders == [socks[1]]
    assert r.sender() is None
    # blockSignals covers the socket's signals too.
    socks[1].readDatagram(100)
    socks[1].blockSignals(True)
    tx.writeDatagram(b"y", QHostAddress.LocalHost, socks[1].localPort())
    spin(100)
    assert r.got == ["poke"]
    assert socks[1].readyRead.disconnect(r.poke) is True


def test_timer_single_shot_with_slot_string(app: QCoreApplication) -> None:
    r = Receiver()
    QTimer.singleShot(0, r, SLOT("poke()"))
    spin()
    assert r.got == ["poke"]


# --- the application ---------------------------------------------------------------------


def test_application_singleton_arguments_and_exec(app: QCoreApplication) -> None:
    assert QCoreApplication.instance() is app
    assert app.arguments() == ["prog", "--flag"]
    with pytest.raises(RuntimeError, match="singleton"):
        QCoreApplication([])
    app.setApplicationName("logger")
    QCoreApplication.setOrganizationName("club")
    assert (app.applicationName(), QCoreApplication.organizationName()) == ("logger", "club")
    with pytest.raises(TypeError, match="name must be str"):
        app.setApplicationName(3)  # type: ignore[arg-type]
    order: list[str] = []
    app.aboutToQuit.connect(lambda: order.append("aboutToQuit"))
    QTimer.singleShot(1, lambda: QCoreApplication.exit(5))
    assert app.exec() == 5
    assert order == ["aboutToQuit"]
    QTimer.singleShot(1, app.quit)
    assert app.exec_() == 0
    assert order == ["aboutToQuit", "aboutToQuit"]


def test_application_argv_must_be_strings() -> None:
    with pytest.raises(TypeError, match="argv must be a list of str"):
        QCoreApplication("prog --flag")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="argv must be a list of str"):
        QCoreApplication([b"prog"])  # type: ignore[list-item]
    assert QCoreApplication.instance() is None


def test_exit_ends_nested_loops(app: QCoreApplication) -> None:
    codes: list[int] = []

    def nested() -> None:
        QTimer.singleShot(1, lambda: app.exit(3))
        codes.append(QEventLoop().exec())  # as a modal dialog would

    QTimer.singleShot(1, nested)
    assert app.exec() == 3
    assert codes == [3]


def test_gui_application_is_a_core_application() -> None:
    g = qc.QGuiApplication([])
    try:
        assert QCoreApplication.instance() is g
        ran: list[int] = []
        QTimer.singleShot(0, lambda: ran.append(1))
        deadline = time.monotonic() + 2
        while not ran and time.monotonic() < deadline:
            qc.QGuiApplication.processEvents()
        assert ran == [1]
    finally:
        g.shutdown()
    assert QCoreApplication.instance() is None


def test_names_qt_has_and_compat_lacks_are_absent() -> None:
    for name in ("QThread", "QSettings", "QSocketNotifier", "QIODevice", "Property"):
        assert not hasattr(qc, name), name
