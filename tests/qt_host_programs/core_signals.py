"""A headless QCoreApplication program with QObject subclasses and Qt
signals, taking its sockets and one timer from qudp:

- a qudp signal connected to a Qt signal (readyRead -> dataArrived), which a
  decorated Qt slot handles; the slot re-emits a Qt signal with arguments;
- a qudp signal connected with Qt.QueuedConnection (runs after the emission);
- a qudp QTimer ticking inside app.exec();
- Qt's own QEventLoop.exec() waiting for a datagram (readyRead -> loop.quit).

usage: core_signals.py PORT COUNT
"""

from __future__ import annotations

import sys

from _binding import DirectConnection, QtCore, QueuedConnection, Signal, Slot, finish

import qudp
from qudp import QHostAddress, QUdpSocket


class Listener(QtCore.QObject):
    dataArrived = Signal()
    messageReceived = Signal(str, int)

    def __init__(self, port: int) -> None:
        super().__init__()
        self.socket = QUdpSocket()
        self.states: list[str] = []
        self.order: list[str] = []
        # A qudp signal driving a Qt signal, as in `connect(sock, SIGNAL(...), self, SIGNAL(...))`.
        self.socket.readyRead.connect(self.dataArrived)
        self.dataArrived.connect(self.readPending)
        self.socket.stateChanged.connect(self.onState, QueuedConnection)
        self.socket.stateChanged.connect(self.onStateDirect, DirectConnection)
        self.socket.bind(QHostAddress.LocalHost, port)
        self.order.append("bind returned")

    @Slot()
    def readPending(self) -> None:
        while self.socket.hasPendingDatagrams():
            d = self.socket.receiveDatagram()
            self.messageReceived.emit(bytes(d.data()).decode(), d.senderPort())

    def onState(self, state: object) -> None:
        self.order.append("queued")
        self.states.append(getattr(state, "name", str(state)))

    def onStateDirect(self) -> None:
        self.order.append("direct")


class Logger(QtCore.QObject):
    def __init__(self, expected: int) -> None:
        super().__init__()
        self.expected = expected
        self.lines: list[str] = []
        self.ticks = 0

    @Slot(str, int)
    def log(self, text: str, port: int) -> None:
        self.lines.append(text)
        if len(self.lines) == self.expected:
            QtCore.QCoreApplication.quit()

    def tick(self) -> None:
        self.ticks += 1


def main() -> None:
    port, count = int(sys.argv[1]), int(sys.argv[2])
    app = QtCore.QCoreApplication(sys.argv)
    listener = Listener(port)
    logger = Logger(count)
    listener.messageReceived.connect(logger.log)

    ticker = qudp.QTimer()
    ticker.timeout.connect(logger.tick)
    ticker.start(5)

    # Qt's own QEventLoop waits for the first datagram: qudp's readyRead quits it.
    sender = QUdpSocket()
    waiter = QUdpSocket()
    waiter.bind(QHostAddress.LocalHost, 0)
    loop = QtCore.QEventLoop()
    waiter.readyRead.connect(loop.quit)
    QtCore.QTimer.singleShot(
        10, lambda: sender.writeDatagram(b"wake", QHostAddress.LocalHost, waiter.localPort())
    )
    QtCore.QTimer.singleShot(10000, lambda: loop.exit(3))  # watchdog
    nested = loop.exec()
    woke = waiter.hasPendingDatagrams()

    def send() -> None:
        for i in range(count):
            sender.writeDatagram(f"line {i}".encode(), QHostAddress.LocalHost, port)

    QtCore.QTimer.singleShot(30, send)
    QtCore.QTimer.singleShot(20000, lambda: app.exit(3))  # watchdog
    code = app.exec()
    finish(
        {
            "exit": code,
            "nested": nested,
            "woke": woke,
            "lines": len(logger.lines),
            "in_order": logger.lines == [f"line {i}" for i in range(count)],
            "ticks": logger.ticks,
            "states": listener.states,
            "order": listener.order,
        }
    )


if __name__ == "__main__":
    main()
