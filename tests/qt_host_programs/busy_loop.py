"""A processEvents() busy loop (a long computation keeping its window
alive) still gets every qudp datagram and timer, and qudp is not polled:
Qt's loop calls into qudp only when its descriptor or deadline says so.

usage: busy_loop.py PORT CALLS
"""

from __future__ import annotations

import sys
import threading
import time

from _binding import QtWidgets, finish

import qudp
from qudp import QHostAddress, QUdpSocket

DATAGRAMS = 200


def main() -> None:
    port, calls = int(sys.argv[1]), int(sys.argv[2])
    app = QtWidgets.QApplication(sys.argv)
    progress = QtWidgets.QProgressBar()
    progress.setRange(0, calls)
    progress.show()
    receiver = QUdpSocket()
    receiver.bind(QHostAddress.LocalHost, port)
    got: list[bytes] = []

    def readPending() -> None:
        while receiver.hasPendingDatagrams():
            got.append(bytes(receiver.readDatagram(2048)[0]))

    receiver.readyRead.connect(readPending)
    fired: list[str] = []
    qudp.QTimer.singleShot(0, lambda: fired.append("zero"))
    qudp.QTimer.singleShot(5, lambda: fired.append("5ms"))
    host = qudp.qthost._hosts[threading.get_ident()]
    runs_before = host.runs
    sender = QUdpSocket()
    every = calls // DATAGRAMS
    start = time.perf_counter()
    for i in range(calls):
        if i % every == 0 and i // every < DATAGRAMS:
            sender.writeDatagram(b"%d" % (i // every), QHostAddress.LocalHost, port)
        if i % 1000 == 0:
            progress.setValue(i)
        app.processEvents()
    elapsed = time.perf_counter() - start
    finish(
        {
            "calls": calls,
            "received": len(got),
            "in_order": got == [b"%d" % i for i in range(DATAGRAMS)],
            "fired": fired,
            "runs": host.runs - runs_before,
            "seconds": round(elapsed, 3),
        }
    )


if __name__ == "__main__":
    main()
