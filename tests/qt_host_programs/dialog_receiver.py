"""Qt's broadcast receiver dialog, keeping the binding's widgets and taking
QUdpSocket from qudp. A sender on a Qt timer sends to 127.0.0.1 only; the
dialog shows the last datagram in a QLabel and closes when all arrived.

usage: dialog_receiver.py PORT COUNT
"""

from __future__ import annotations

import sys

from _binding import QtCore, QtWidgets, finish

from qudp import QHostAddress, QUdpSocket


class Receiver(QtWidgets.QDialog):
    def __init__(self, port: int, expected: int, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.expected = expected
        self.received: list[str] = []
        self.statusLabel = QtWidgets.QLabel("Listening for broadcasted messages")
        self.statusLabel.setWordWrap(True)
        quitButton = QtWidgets.QPushButton("&Quit")

        self.udpSocket = QUdpSocket(self)
        self.udpSocket.bind(QHostAddress(QHostAddress.LocalHost), port, QUdpSocket.ShareAddress)
        self.udpSocket.readyRead.connect(self.processPendingDatagrams)
        quitButton.clicked.connect(self.close)

        buttonLayout = QtWidgets.QHBoxLayout()
        buttonLayout.addStretch(1)
        buttonLayout.addWidget(quitButton)
        buttonLayout.addStretch(1)
        mainLayout = QtWidgets.QVBoxLayout()
        mainLayout.addWidget(self.statusLabel)
        mainLayout.addLayout(buttonLayout)
        self.setLayout(mainLayout)
        self.setWindowTitle("Broadcast Receiver")

    def processPendingDatagrams(self) -> None:
        while self.udpSocket.hasPendingDatagrams():
            datagram, _host, _port = self.udpSocket.readDatagram(
                self.udpSocket.pendingDatagramSize()
            )
            text = bytes(datagram).decode()
            self.received.append(text)
            self.statusLabel.setText(f'Received datagram: "{text}"')
        if len(self.received) >= self.expected:
            self.accept()


class Sender(QtCore.QObject):
    def __init__(self, port: int, count: int) -> None:
        super().__init__()
        self.port, self.count, self.sent = port, count, 0
        self.socket = QUdpSocket()
        self.timer = QtCore.QTimer(self)
        self.timer.timeout.connect(self.broadcastDatagram)
        self.timer.start(2)

    def broadcastDatagram(self) -> None:
        message = f"Broadcast message {self.sent}".encode()
        self.socket.writeDatagram(message, QHostAddress(QHostAddress.LocalHost), self.port)
        self.sent += 1
        if self.sent == self.count:
            self.timer.stop()


def main() -> None:
    port, count = int(sys.argv[1]), int(sys.argv[2])
    app = QtWidgets.QApplication(sys.argv)
    receiver = Receiver(port, count)
    receiver.show()
    receiver.finished.connect(app.quit)
    sender = Sender(port, count)
    QtCore.QTimer.singleShot(20000, lambda: app.exit(3))  # watchdog
    code = app.exec()
    finish(
        {
            "exit": code,
            "sent": sender.sent,
            "received": len(receiver.received),
            "in_order": receiver.received == [f"Broadcast message {i}" for i in range(count)],
            "label": receiver.statusLabel.text(),
        }
    )


if __name__ == "__main__":
    main()
