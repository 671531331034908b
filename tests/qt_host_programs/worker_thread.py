"""A qudp socket owned by a QThread worker (the moveToThread pattern): its
readyRead slot runs on the worker thread, driven by that thread's Qt loop,
while the main thread's Qt loop keeps running.

usage: worker_thread.py PORT COUNT
"""

from __future__ import annotations

import sys
import threading

from _binding import QtCore, Signal, finish

import qudp
from qudp import QHostAddress, QUdpSocket


class Worker(QtCore.QObject):
    done = Signal(int)

    def __init__(self, port: int, count: int) -> None:
        super().__init__()
        self.port, self.count = port, count
        self.threads: set[str] = set()
        self.got = 0

    def start(self) -> None:
        # Created on the worker thread: it belongs to that thread's reactor.
        self.socket = QUdpSocket()
        self.socket.readyRead.connect(self.readPending)
        self.socket.bind(QHostAddress.LocalHost, self.port)
        self.attached = qudp.qthost.attached()
        self.ready_thread = threading.get_ident()

    def readPending(self) -> None:
        self.threads.add("worker" if threading.get_ident() == self.ready_thread else "other")
        while self.socket.hasPendingDatagrams():
            self.socket.readDatagram(64)
            self.got += 1
        if self.got >= self.count:
            self.done.emit(self.got)


def main() -> None:
    port, count = int(sys.argv[1]), int(sys.argv[2])
    app = QtCore.QCoreApplication(sys.argv)
    thread = QtCore.QThread()
    worker = Worker(port, count)
    worker.moveToThread(thread)
    thread.started.connect(worker.start)
    result: dict[str, object] = {}

    def finished(n: int) -> None:
        result["received"] = n
        thread.quit()

    worker.done.connect(finished)  # queued to the main thread by Qt
    thread.finished.connect(app.quit)
    thread.start()
    sender = QUdpSocket()
    main_ticks = [0]

    def send() -> None:
        main_ticks[0] += 1
        if main_ticks[0] <= count:
            sender.writeDatagram(b"w", QHostAddress.LocalHost, port)

    pump = QtCore.QTimer()
    pump.timeout.connect(send)
    QtCore.QTimer.singleShot(50, lambda: pump.start(1))
    QtCore.QTimer.singleShot(20000, lambda: app.exit(3))  # watchdog
    code = app.exec()
    thread.wait(5000)
    result.update(
        exit=code,
        worker_attached=worker.attached,
        main_attached=qudp.qthost.attached(),
        threads=sorted(worker.threads),
        main_thread_is_other=worker.ready_thread != threading.get_ident(),
        # The worker's host went with its thread.
        hosts_left=len(qudp.qthost._hosts),
    )
    finish(result)


if __name__ == "__main__":
    main()
