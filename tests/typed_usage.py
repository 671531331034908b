"""Type-checked by mypy in CI (not a test module): code written the way the
README and Qt's docs write it must type-check against qudp's stubs."""

from __future__ import annotations

from qudp import QAbstractSocket, QByteArray, QHostAddress, QNetworkDatagram, QUdpSocket


class Receiver:
    def __init__(self) -> None:
        self.sock = QUdpSocket()
        ok: bool = self.sock.bind(QHostAddress.LocalHost, 7755)
        ok = ok and self.sock.bind(7755, QUdpSocket.ShareAddress | QUdpSocket.ReuseAddressHint)
        ok = ok and self.sock.bind("::1", 0, QUdpSocket.DefaultForPlatform)
        self.sock.readyRead.connect(self.read_pending)
        self.sock.errorOccurred.connect(self.on_error)

    def read_pending(self) -> None:
        while self.sock.hasPendingDatagrams():
            size: int = self.sock.pendingDatagramSize()
            data, sender, port = self.sock.readDatagram(size)
            print(len(data), sender.toString(), port + 1)
            # The payload is a QByteArray and bytes at once.
            text: str = data.data().decode() + data.decode()
            value, ok2 = data.mid(0, 4).toInt(16)
            raw: bytes = data[1:]
            parts: list[QByteArray] = data.split(",")
            print(text, value, ok2, raw, parts, data.isNull(), QByteArray.fromHex(b"0a"))
            dg: QNetworkDatagram = self.sock.receiveDatagram()
            reply = dg.makeReply(b"ack")
            self.sock.writeDatagram(reply)

    def on_error(self, err: QAbstractSocket.SocketError) -> None:
        if err == QAbstractSocket.SocketError.DatagramTooLargeError:
            print(self.sock.errorString())


def send(payload: bytes | bytearray | memoryview) -> int:
    with QUdpSocket() as s:
        s.setSocketOption(QAbstractSocket.MulticastTtlOption, 4)
        ttl: int | None = s.socketOption(QAbstractSocket.SocketOption.MulticastTtlOption)
        state: QAbstractSocket.SocketState = s.state()
        print(ttl, state)
        return s.writeDatagram(payload, QHostAddress("127.0.0.1"), 7755)
