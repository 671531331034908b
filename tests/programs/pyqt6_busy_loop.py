# ruff: noqa: UP031  (written as the PyQt5/PySide programs of their day)
"""A PyQt6 program without exec(): it polls with
QGuiApplication.processEvents() until its datagrams have arrived, the way
simulation loops and test drivers do.

usage: pyqt6_busy_loop.py COUNT
"""

import sys
import time

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtGui import QGuiApplication
from PyQt6.QtNetwork import QHostAddress, QUdpSocket


class Counter(QObject):
    counted = pyqtSignal(int)

    def __init__(self, socket):
        super().__init__()
        self.total = 0
        self.socket = socket
        socket.readyRead.connect(self.drain)

    def drain(self):
        while self.socket.hasPendingDatagrams():
            self.socket.readDatagram(self.socket.pendingDatagramSize())
            self.total += 1
        self.counted.emit(self.total)


app = QGuiApplication(sys.argv)
count = int(sys.argv[1])
rx = QUdpSocket()
rx.bind(QHostAddress(QHostAddress.SpecialAddress.LocalHost), 0)
counter = Counter(rx)
seen = []
counter.counted.connect(seen.append)
tx = QUdpSocket()
sent = calls = 0
deadline = time.monotonic() + 10
while counter.total < count and time.monotonic() < deadline:
    if sent < count:  # one tick per frame, as a simulation loop would
        tx.writeDatagram(b"tick %d" % sent, QHostAddress("127.0.0.1"), rx.localPort())
        sent += 1
    QGuiApplication.processEvents()
    calls += 1
print("received %d of %d" % (counter.total, count))
print("progress reports increasing:", seen == sorted(seen) and seen[-1] == count)
sys.exit(0 if counter.total == count else 1)
