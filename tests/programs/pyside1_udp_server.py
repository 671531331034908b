# ruff: noqa: UP031  (written as the PyQt5/PySide programs of their day)
"""A PySide (1) program in the style of the original QUdpSocket page: the
socket is bound to QHostAddress.LocalHost port 7755 in initSocket() and
connected the old way, with SIGNAL('readyRead()') and
SLOT('readPendingDatagrams()'). A client sends a few datagrams from a timer;
the server reports them with an old-style custom signal and quits.
"""

import sys

from PySide.QtCore import SIGNAL, SLOT, QCoreApplication, QObject, QTimer
from PySide.QtNetwork import QHostAddress, QUdpSocket

MESSAGES = ["first", "second", "third"]


class Server(QObject):
    def __init__(self, parent=None):
        QObject.__init__(self, parent)
        self.received = 0
        self.initSocket()

    def initSocket(self):
        self.udpSocket = QUdpSocket(self)
        self.udpSocket.bind(QHostAddress.LocalHost, 7755)

        self.connect(self.udpSocket, SIGNAL("readyRead()"), self, SLOT("readPendingDatagrams()"))

    def readPendingDatagrams(self):
        udpSocket = self.sender()
        while udpSocket.hasPendingDatagrams():
            datagram, sender, senderPort = udpSocket.readDatagram(udpSocket.pendingDatagramSize())
            self.processTheDatagram(datagram, sender, senderPort)

    def processTheDatagram(self, datagram, sender, senderPort):
        print("server got %r from %s" % (bytes(datagram), sender.toString()))
        self.received += 1
        if self.received == len(MESSAGES):
            self.emit(SIGNAL("allReceived(int)"), self.received)


class Client(QObject):
    def __init__(self, parent=None):
        QObject.__init__(self, parent)
        self.socket = QUdpSocket(self)
        self.pending = list(MESSAGES)
        self.timer = QTimer(self)
        QObject.connect(self.timer, SIGNAL("timeout()"), self.sendOne)
        self.timer.start(1)

    def sendOne(self):
        if not self.pending:
            self.timer.stop()
            return
        self.socket.writeDatagram(self.pending.pop(0).encode(), QHostAddress.LocalHost, 7755)


class Main(QObject):
    def done(self, count):
        print("all %d datagrams received" % count)
        QCoreApplication.instance().quit()


app = QCoreApplication(sys.argv)
main = Main()
server = Server(main)
client = Client(main)
main.connect(server, SIGNAL("allReceived(int)"), main, SLOT("done(int)"))
QTimer.singleShot(10000, app, SLOT("quit()"))  # give up after 10 s
app.exec_()
