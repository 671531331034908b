"""Modal dialogs' nested loops keep delivering qudp datagrams.

A window receives a steady stream (a Qt timer sends to 127.0.0.1). First a
modal QDialog.exec() is opened from a timer and closed by a timer once ten
datagrams arrived during it; then the readyRead slot itself opens a modal
dialog (a nested loop inside qudp's dispatch) that closes once ten datagrams
arrived on a second socket (as in Qt, the socket whose readyRead slot is
still running gets no new readyRead until the slot returns).

usage: modal_dialog.py PORT
"""

from __future__ import annotations

import sys

from _binding import QtCore, QtWidgets, finish

from qudp import QHostAddress, QUdpSocket


class Window(QtWidgets.QWidget):
    def __init__(self, port: int) -> None:
        super().__init__()
        self.label = QtWidgets.QLabel("waiting", self)
        self.socket = QUdpSocket(self)
        self.socket.bind(QHostAddress.LocalHost, port)
        self.socket.readyRead.connect(self.readPending)
        self.side = QUdpSocket(self)
        self.side.bind(QHostAddress.LocalHost, 0)
        self.side.readyRead.connect(self.readSide)
        self.side_total = 0
        self.total = 0
        self.modal_depth = 0
        self.during: dict[str, int] = {"timer_dialog": 0, "slot_dialog": 0}
        self.current: str | None = None
        self.slot_dialog_done = False
        self.max_depth = 0

    def readPending(self) -> None:
        while self.socket.hasPendingDatagrams():
            data, _host, _port = self.socket.readDatagram(self.socket.pendingDatagramSize())
            self.total += 1
            self.label.setText(bytes(data).decode())
            if self.current == "timer_dialog":
                self.during["timer_dialog"] += 1
        if self.total >= 40 and not self.slot_dialog_done and self.current is None:
            self.slot_dialog_done = True
            self.runDialog("slot_dialog", "side_total")

    def readSide(self) -> None:
        while self.side.hasPendingDatagrams():
            self.side.readDatagram(self.side.pendingDatagramSize())
            self.side_total += 1
            if self.current == "slot_dialog":
                self.during["slot_dialog"] += 1

    def runDialog(self, name: str, counter: str = "total") -> int:
        dialog = QtWidgets.QDialog(self)
        dialog.setModal(True)
        self.current = name
        self.modal_depth += 1
        self.max_depth = max(self.max_depth, self.modal_depth)
        closer = QtCore.QTimer(dialog)
        start = getattr(self, counter)

        def check() -> None:
            if getattr(self, counter) - start >= 10:
                dialog.accept()

        closer.timeout.connect(check)
        closer.start(5)
        QtCore.QTimer.singleShot(10000, dialog.reject)  # watchdog
        result = dialog.exec()
        self.modal_depth -= 1
        self.current = None
        return result


def main() -> None:
    port = int(sys.argv[1])
    app = QtWidgets.QApplication(sys.argv)
    window = Window(port)
    window.show()
    sender = QUdpSocket()
    seq = [0]

    def send() -> None:
        sender.writeDatagram(f"tick {seq[0]}".encode(), QHostAddress.LocalHost, port)
        sender.writeDatagram(b"side", QHostAddress.LocalHost, window.side.localPort())
        seq[0] += 1

    pump = QtCore.QTimer()
    pump.timeout.connect(send)
    pump.start(2)
    results: dict[str, int] = {}
    QtCore.QTimer.singleShot(
        20, lambda: results.setdefault("timer", window.runDialog("timer_dialog"))
    )

    def done() -> None:
        if window.slot_dialog_done and window.current is None:
            app.quit()

    watcher = QtCore.QTimer()
    watcher.timeout.connect(done)
    watcher.start(10)
    QtCore.QTimer.singleShot(20000, lambda: app.exit(3))  # watchdog
    code = app.exec()
    finish(
        {
            "exit": code,
            "timer_result": results.get("timer"),
            "during": window.during,
            "total": window.total,
            "sent": seq[0],
            "side_total": window.side_total,
            "label": window.label.text(),
        }
    )


if __name__ == "__main__":
    main()
