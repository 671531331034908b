"""A backlog drained one datagram per readyRead (Qt's rule re-emits while
data remains) does not starve Qt's own events: Qt timers keep firing and
the window keeps repainting while qudp works through it; and qudp timers
are never early.

usage: flood.py PORT COUNT
"""

from __future__ import annotations

import socket
import sys
import time

from _binding import QtCore, QtWidgets, finish

import qudp
from qudp import QHostAddress, QUdpSocket


def main() -> None:
    port, count = int(sys.argv[1]), int(sys.argv[2])
    app = QtWidgets.QApplication(sys.argv)
    label = QtWidgets.QLabel("0")
    label.show()
    # A queue that holds the whole backlog (SO_RCVBUFFORCE: we run as root
    # in the test namespace; rmem_max may cap SO_RCVBUF).
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        raw.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 8 << 20)
    except OSError:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    raw.bind(("127.0.0.1", port))
    sock = QUdpSocket()
    sock.setSocketDescriptor(raw.detach())
    sender = QUdpSocket()
    for i in range(count):
        sender.writeDatagram(b"%d" % i, QHostAddress.LocalHost, port)
    time.sleep(0.1)  # loopback delivery finishes in softirq

    state = {"read": 0, "ticks_during": 0, "done": False}

    def readOne() -> None:  # one datagram per readyRead
        sock.readDatagram(64)
        state["read"] += 1
        label.setText(str(state["read"]))
        if state["read"] == count:
            state["done"] = True
            maybe_quit()

    def maybe_quit() -> None:
        if state["done"] and len(delays) == 3:
            app.quit()

    def tick() -> None:
        if not state["done"] and state["read"] > 0:
            state["ticks_during"] += 1

    sock.readyRead.connect(readOne)
    ticker = QtCore.QTimer()
    ticker.timeout.connect(tick)
    ticker.start(0)

    # qudp timers inside the same loop: never early.
    delays: list[float] = []
    for ms in (3, 17, 40):
        start = time.perf_counter()

        def fired(ms: int = ms, start: float = start) -> None:
            delays.append((time.perf_counter() - start) * 1000 - ms)
            maybe_quit()

        qudp.QTimer.singleShot(ms, fired)
    QtCore.QTimer.singleShot(20000, lambda: app.exit(3))  # watchdog
    code = app.exec()
    finish(
        {
            "exit": code,
            "read": state["read"],
            "ticks_during": state["ticks_during"],
            "early_ms": [round(d, 2) for d in delays if d < 0],
            "timers": len(delays),
        }
    )


if __name__ == "__main__":
    main()
