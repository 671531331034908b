"""The pattern from QUdpSocket's documentation, on qudp.

Bind to LocalHost:7755; readyRead drains the socket with hasPendingDatagrams /
pendingDatagramSize / readDatagram. Run it, then send to it:

    python examples/receiver.py --count 3 &
    python -m qudp send 127.0.0.1 7755 hello
"""

from __future__ import annotations

import argparse

from qudp import QEventLoop, QHostAddress, QTimer, QUdpSocket


class Server:
    def __init__(self, port: int, count: int) -> None:
        self.loop = QEventLoop()
        self.count = count
        self.received = 0
        self.udpSocket = QUdpSocket()
        self.udpSocket.bind(QHostAddress.LocalHost, port)
        self.udpSocket.readyRead.connect(self.readPendingDatagrams)

    def readPendingDatagrams(self) -> None:
        while self.udpSocket.hasPendingDatagrams():
            size = self.udpSocket.pendingDatagramSize()
            datagram, sender, senderPort = self.udpSocket.readDatagram(size)
            self.processTheDatagram(datagram, sender, senderPort)

    def processTheDatagram(self, datagram: bytes, sender: QHostAddress, port: int) -> None:
        self.received += 1
        print(f"{sender.toString()}:{port} {datagram.decode(errors='replace')}", flush=True)
        if self.count and self.received >= self.count:
            self.loop.quit()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=7755)
    p.add_argument("--count", type=int, default=0, help="quit after this many datagrams (0: never)")
    p.add_argument(
        "--timeout", type=float, default=0, help="quit after this many seconds (0: never)"
    )
    args = p.parse_args()
    server = Server(args.port, args.count)
    print(f"listening on 127.0.0.1:{server.udpSocket.localPort()}", flush=True)
    if args.timeout:
        QTimer.singleShot(int(args.timeout * 1000), server.loop.quit)
    server.loop.exec()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
