# ruff: noqa: UP008, UP031  (written as the PyQt5/PySide programs of their day)
"""A PyQt5 program: a listener turns datagrams into a pyqtSignal, a
printer slot shows them, QUIT ends the application.

usage: pyqt5_listener.py PORT
"""

import sys

from PyQt5.QtCore import QCoreApplication, QObject, QTimer, pyqtSignal, pyqtSlot
from PyQt5.QtNetwork import QAbstractSocket, QHostAddress, QUdpSocket


class Listener(QObject):
    messageReceived = pyqtSignal(str, str, int)
    quitRequested = pyqtSignal()

    def __init__(self, port, parent=None):
        super(Listener, self).__init__(parent)
        self.sock = QUdpSocket(self)
        if not self.sock.bind(QHostAddress.LocalHost, port, QUdpSocket.ShareAddress):
            raise SystemExit("cannot bind: " + self.sock.errorString())
        assert self.sock.state() == QAbstractSocket.BoundState
        self.sock.readyRead.connect(self.on_ready_read)

    @pyqtSlot()
    def on_ready_read(self):
        while self.sock.hasPendingDatagrams():
            data, host, port = self.sock.readDatagram(self.sock.pendingDatagramSize())
            if data.startswith(b"QUIT"):
                self.quitRequested.emit()
                return
            self.messageReceived.emit(data.decode("utf-8"), host.toString(), port)


class Printer(QObject):
    def __init__(self):
        super(Printer, self).__init__()
        self.count = 0

    @pyqtSlot(str, str, int)
    def show(self, text, host, port):
        self.count += 1
        print("message %d from %s: %s" % (self.count, host, text))


def main():
    app = QCoreApplication(sys.argv)
    port = int(sys.argv[1])
    listener = Listener(port)
    printer = Printer()
    listener.messageReceived.connect(printer.show)
    listener.quitRequested.connect(app.quit)

    sender = QUdpSocket()
    lines = [b"hello", b"caf\xc3\xa9", b"QUIT"]

    def send_next():
        if lines:
            sender.writeDatagram(lines.pop(0), QHostAddress(QHostAddress.LocalHost), port)
        else:
            timer.stop()

    timer = QTimer()
    timer.timeout.connect(send_next)
    timer.start(1)
    QTimer.singleShot(10000, lambda: app.exit(2))
    rc = app.exec_()
    print("printed %d, exit %d" % (printer.count, rc))
    return rc


if __name__ == "__main__":
    sys.exit(main())
