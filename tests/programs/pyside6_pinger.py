"""A headless PySide6 program: a pinger measures round trips to an echo
peer over UDP on 127.0.0.1 and a reporter prints them.

Written as a PySide6 program (it runs on PySide6 unchanged); the tests run
it with `python -m qudp run` where PySide6 cannot be imported.

usage: pyside6_pinger.py [COUNT]
"""

import sys
import time

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, Slot
from PySide6.QtNetwork import QHostAddress, QUdpSocket


class EchoPeer(QObject):
    """Echoes every datagram. Its socket is owned by the parent only."""

    def __init__(self, parent=None):
        super().__init__(parent)
        socket = QUdpSocket(self)
        socket.setObjectName("echo")
        socket.bind(QHostAddress(QHostAddress.LocalHost), 0)
        socket.readyRead.connect(self.echo)

    def port(self):
        return self.findChild(QUdpSocket, "echo").localPort()

    @Slot()
    def echo(self):
        socket = self.sender()
        while socket.hasPendingDatagrams():
            data, host, port = socket.readDatagram(socket.pendingDatagramSize())
            socket.writeDatagram(data, host, port)


class Pinger(QObject):
    roundTrip = Signal(str, float)
    finished = Signal(int)

    def __init__(self, peerPort, count, parent=None):
        super().__init__(parent)
        self.setObjectName("pinger")
        self.peerPort = peerPort
        self.count = count
        self.sentAt = {}
        self.replies = 0
        self.socket = QUdpSocket(self)
        self.socket.readyRead.connect(self.readReplies)
        self.timer = QTimer(self)
        self.timer.setInterval(2)
        self.timer.timeout.connect(self.sendNext)

    @Slot()
    def start(self):
        self.timer.start()

    @Slot()
    def sendNext(self):
        n = len(self.sentAt)
        if n == self.count:
            self.timer.stop()
            return
        text = f"ping {n}"
        self.sentAt[text] = time.monotonic()
        self.socket.writeDatagram(text.encode(), QHostAddress.LocalHost, self.peerPort)

    @Slot()
    def readReplies(self):
        while self.socket.hasPendingDatagrams():
            datagram = self.socket.receiveDatagram()
            text = bytes(datagram.data()).decode()
            self.roundTrip.emit(text, time.monotonic() - self.sentAt[text])
            self.replies += 1
        if self.replies == self.count:
            self.finished.emit(0)


class Reporter(QObject):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.lines = 0

    @Slot(str, float)
    def show(self, text, seconds):
        origin = self.sender().objectName()
        print(f"{origin}: reply {text!r}, {'ok' if seconds >= 0 else 'clock went back'}")
        self.lines += 1

    @Slot()
    def summary(self):
        print(f"summary: {self.lines} replies")


def main():
    app = QCoreApplication(sys.argv)
    count = int(app.arguments()[1]) if len(app.arguments()) > 1 else 5
    root = QObject()
    peer = EchoPeer(root)
    pinger = Pinger(peer.port(), count, root)
    pinger.roundTrip.connect(Reporter(root).show)
    pinger.finished.connect(app.exit)
    QCoreApplication.instance().aboutToQuit.connect(root.findChild(Reporter).summary)
    QTimer.singleShot(0, pinger.start)
    QTimer.singleShot(10000, lambda: app.exit(2))  # give up after 10 s
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
