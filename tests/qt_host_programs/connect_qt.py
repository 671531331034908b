"""qudp signals connected to Qt signals and with Qt's connection types:
argument counts, disconnect by the Qt signal, a deleted receiver, queued and
unique connections.

usage: connect_qt.py
"""

from __future__ import annotations

import gc
import sys

from _binding import QtCore, QueuedConnection, Signal, finish

import qudp


class Relay(QtCore.QObject):
    bare = Signal()
    withState = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []
        self.bare.connect(lambda: self.seen.append("bare"))
        self.withState.connect(lambda s: self.seen.append(f"state:{getattr(s, 'name', s)}"))


def main() -> None:
    app = QtCore.QCoreApplication(sys.argv)
    relay = Relay()
    sock = qudp.QUdpSocket()
    out: dict[str, object] = {}

    # stateChanged carries one argument; a Qt signal without any gets none.
    sock.stateChanged.connect(relay.bare)
    sock.stateChanged.connect(relay.withState)
    sock.bind(qudp.QHostAddress.LocalHost, 0)
    out["direct"] = list(relay.seen)

    relay.seen.clear()
    out["disconnect_qt"] = sock.stateChanged.disconnect(relay.bare)
    sock.stateChanged.connect(relay.withState, QueuedConnection)
    sock.close()
    out["queued_during_emit"] = list(relay.seen)
    app.processEvents()
    out["queued_after"] = list(relay.seen)
    # The most recent connection to the Qt signal goes first: queued, direct.
    sock.stateChanged.connect(relay.bare, QueuedConnection)
    out["disconnect_queued_qt"] = [
        sock.stateChanged.disconnect(relay.bare),
        sock.stateChanged.disconnect(relay.withState),
        sock.stateChanged.disconnect(relay.withState),
        repr(sock.stateChanged).endswith("with 0 slot(s)>"),
    ]

    # Qt signals whose QObject was deleted (by Qt, or with its Python
    # object): emitting on PyQt's bound signal then would crash; Qt has
    # dropped its connection instead.
    doomed, collected = Relay(), Relay()
    sock2 = qudp.QUdpSocket()
    sock2.stateChanged.connect(doomed.bare)
    sock2.stateChanged.connect(collected.withState)
    doomed.deleteLater()
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    del doomed, collected
    gc.collect()
    sock2.bind(qudp.QHostAddress.LocalHost, 0)
    sock2.close()
    out["after_receivers_deleted"] = "survived"

    # UniqueConnection: a second identical connection is refused.
    unique = QtCore.Qt.ConnectionType.UniqueConnection
    calls: list[int] = []

    def slot() -> None:
        calls.append(1)

    t = qudp.QTimer()
    t.setSingleShot(True)
    first = t.timeout.connect(slot, unique)
    second = t.timeout.connect(slot, unique)
    out["unique"] = [bool(first), bool(second)]
    t.start(0)
    QtCore.QTimer.singleShot(30, app.quit)
    app.exec()
    out["unique_calls"] = len(calls)
    finish(out)


if __name__ == "__main__":
    main()
