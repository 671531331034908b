"""qudp's own QEventLoop inside a Qt program: exec() and processEvents()
keep delivering while Qt drives qudp too, each datagram exactly once.

usage: own_loop.py PORT COUNT
"""

from __future__ import annotations

import sys

from _binding import QtCore, finish

import qudp
from qudp import QHostAddress, QUdpSocket


def main() -> None:
    port, count = int(sys.argv[1]), int(sys.argv[2])
    app = QtCore.QCoreApplication(sys.argv)
    sock = QUdpSocket()
    sock.bind(QHostAddress.LocalHost, port)
    calls = {"readyRead": 0, "empty": 0}
    got: list[bytes] = []

    def readPending() -> None:
        calls["readyRead"] += 1
        if not sock.hasPendingDatagrams():
            calls["empty"] += 1
        while sock.hasPendingDatagrams():
            got.append(bytes(sock.readDatagram(2048)[0]))

    sock.readyRead.connect(readPending)
    attached = qudp.qthost.attached()
    sender = QUdpSocket()

    # qudp's own loop, quit by a qudp timer once everything arrived.
    loop = qudp.QEventLoop()
    for i in range(count):
        sender.writeDatagram(b"a%d" % i, QHostAddress.LocalHost, port)
    check = qudp.QTimer()
    check.timeout.connect(lambda: len(got) >= count and loop.quit())
    check.start(1)
    qudp.QTimer.singleShot(10000, lambda: loop.exit(3))  # watchdog
    own_exec = loop.exec()
    check.stop()
    after_exec = len(got)

    # qudp's processEvents, bounded.
    for i in range(count):
        sender.writeDatagram(b"b%d" % i, QHostAddress.LocalHost, port)
    for _ in range(2000):
        if len(got) >= 2 * count:
            break
        qudp.QEventLoop().processEvents()
    after_process = len(got)

    # Then Qt's loop again: nothing is delivered twice, new data still comes.
    for i in range(count):
        sender.writeDatagram(b"c%d" % i, QHostAddress.LocalHost, port)
    QtCore.QTimer.singleShot(50, app.quit)
    qt_exec = app.exec()
    expected = [b"%s%d" % (p, i) for p in (b"a", b"b", b"c") for i in range(count)]
    finish(
        {
            "attached": attached,
            "own_exec": own_exec,
            "qt_exec": qt_exec,
            "after_exec": after_exec,
            "after_process": after_process,
            "total": len(got),
            "exact": got == expected,
            "empty_calls": calls["empty"],
        }
    )


if __name__ == "__main__":
    main()
