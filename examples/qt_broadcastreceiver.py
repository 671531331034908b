"""Qt's Broadcast Receiver dialog with real Qt widgets and qudp's socket.

The program keeps PySide6 (or PyQt6, PyQt5) for QApplication, QDialog,
QLabel and QPushButton and only takes QUdpSocket and QHostAddress from qudp:
readyRead arrives from Qt's own event loop (app.exec()), no thread, no
polling. Bounded by --count datagrams and --timeout seconds.

    python examples/qt_broadcastreceiver.py --count 3
    python examples/broadcastsender.py          # in another terminal

Compared with Qt's example only the network import changed:
    from PySide6.QtNetwork import QHostAddress, QUdpSocket   # before
    from qudp import QHostAddress, QUdpSocket                # after
"""

from __future__ import annotations

import argparse
import importlib
import sys
from types import ModuleType

from qudp import QHostAddress, QUdpSocket


def load_binding(name: str | None) -> tuple[ModuleType, ModuleType]:
    for candidate in [name] if name else ["PySide6", "PyQt6", "PyQt5"]:
        try:
            core = importlib.import_module(f"{candidate}.QtCore")
            widgets = importlib.import_module(f"{candidate}.QtWidgets")
        except ImportError:
            continue
        return core, widgets
    raise SystemExit("this example needs PySide6, PyQt6 or PyQt5")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=45454)
    p.add_argument("--count", type=int, default=0, help="close after this many (0: no limit)")
    p.add_argument("--timeout", type=float, default=60.0, help="close after this many seconds")
    p.add_argument("--binding", choices=["PySide6", "PyQt6", "PyQt5"])
    args = p.parse_args(argv)
    QtCore, QtWidgets = load_binding(args.binding)

    class Receiver(QtWidgets.QDialog):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.received = 0
            self.statusLabel = QtWidgets.QLabel("Listening for broadcasted messages")
            self.statusLabel.setWordWrap(True)
            quitButton = QtWidgets.QPushButton("&Quit")

            self.udpSocket = QUdpSocket(self)
            self.udpSocket.bind(QHostAddress.AnyIPv4, args.port, QUdpSocket.ShareAddress)
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
                datagram = self.udpSocket.receiveDatagram()
                text = bytes(datagram.data()).decode(errors="replace")
                self.statusLabel.setText(f'Received datagram: "{text}"')
                print(self.statusLabel.text(), flush=True)
                self.received += 1
                if self.received == args.count:
                    self.accept()

    app = QtWidgets.QApplication(sys.argv[:1])
    receiver = Receiver()
    receiver.show()
    print(f"Listening for broadcasted messages on port {args.port}", flush=True)
    QtCore.QTimer.singleShot(int(args.timeout * 1000), receiver.reject)
    receiver.finished.connect(app.quit)
    app.exec()
    return 0


if __name__ == "__main__":
    sys.exit(main())
