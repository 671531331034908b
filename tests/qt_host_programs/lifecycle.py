"""When qudp attaches to Qt and re-attaches:

1. a socket bound and connected before the application object exists is
   served once qudp.qthost.attach() is called (no qudp call after the app
   was created could have attached it);
2. a second application object, after the first was destroyed (its Python
   object still alive), is attached by the next connect().

usage: lifecycle.py PORT
"""

from __future__ import annotations

import gc
import importlib
import sys

from _binding import NAME, QtCore, finish

import qudp
from qudp import QHostAddress, QUdpSocket

got: list[bytes] = []
sender = QUdpSocket()


def read(sock: QUdpSocket) -> None:
    while sock.hasPendingDatagrams():
        got.append(bytes(sock.readDatagram(64)[0]))
    QtCore.QCoreApplication.quit()


def receive_one(app: QtCore.QCoreApplication, port: int) -> list[str]:
    got.clear()
    QtCore.QTimer.singleShot(5, lambda: sender.writeDatagram(b"x", QHostAddress.LocalHost, port))
    QtCore.QTimer.singleShot(2000, app.quit)  # ends the wait if nothing comes
    app.exec()
    return [g.decode() for g in got]


def main() -> None:
    port = int(sys.argv[1])
    out: dict[str, object] = {}
    early = QUdpSocket()
    early.bind(QHostAddress.LocalHost, port)
    early.readyRead.connect(lambda: read(early))
    out["before_app"] = qudp.qthost.attach()
    app = QtCore.QCoreApplication(sys.argv)
    out["explicit"] = qudp.qthost.attach()
    out["first_app"] = receive_one(app, port)

    # Destroy the C++ application while its Python object lives on.
    if hasattr(app, "shutdown"):
        app.shutdown()  # PySide6
    else:
        importlib.import_module(NAME + ".sip").delete(app)  # PyQt
    gc.collect()
    out["after_delete"] = qudp.qthost.attached()
    app2 = QtCore.QCoreApplication(sys.argv)
    early.readyRead.connect(lambda: None)  # any connect attaches again
    out["second_app"] = receive_one(app2, port)
    out["reattached"] = qudp.qthost.attached()
    finish(out)


if __name__ == "__main__":
    main()
