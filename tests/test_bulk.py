"""Beyond Qt: batch receive and send, zero-copy, GSO/GRO, prefetch order."""

from __future__ import annotations

import array

import pytest

from qudp import QAbstractSocket, QHostAddress, QUdpSocket

from helpers import bound, wait_pending

LO = QHostAddress.LocalHost


def queue(rx: QUdpSocket, payloads: list[bytes]) -> QUdpSocket:
    tx = QUdpSocket()
    for p in payloads:
        assert tx.writeDatagram(p, rx.localAddress(), rx.localPort()) == len(p)
    assert wait_pending(rx)
    return tx


def drain(read, want: int) -> list:  # type: ignore[no-untyped-def]
    out: list = []
    for _ in range(200):
        got = read()
        out.extend(got)
        if len(out) >= want:
            break
    return out


def test_read_payloads_and_datagrams_keep_order_and_senders() -> None:
    rx = bound("127.0.0.1")
    rx.setSocketOption(QAbstractSocket.ReceiveBufferSizeSocketOption, 4 << 20)
    sent = [bytes([i]) * (i % 300) for i in range(200)]
    tx = queue(rx, sent)
    first = rx.readPayloads(5)
    assert first == sent[:5]
    rest = rx.readDatagrams(1000)
    assert [d for d, _, _ in rest] == sent[5 : 5 + len(rest)]
    assert all(a.toString() == "127.0.0.1" and p == tx.localPort() for _, a, p in rest)
    more = drain(lambda: rx.readPayloads(), 200 - 5 - len(rest))
    assert first + [d for d, _, _ in rest] + more == sent
    assert rx.readPayloads() == [] and not rx.hasPendingDatagrams()
    with pytest.raises(ValueError, match="maxCount must be > 0"):
        rx.readPayloads(0)


def test_receive_datagrams_metadata() -> None:
    rx = bound("::1")
    queue(rx, [b"a", b"bb"])
    ds = drain(lambda: rx.receiveDatagrams(10), 2)
    assert [bytes(d.data()) for d in ds] == [b"a", b"bb"]
    assert all(d.hopLimit() == 64 and d.destinationPort() == rx.localPort() for d in ds)


def test_mixing_batch_and_single_reads_preserves_order() -> None:
    rx = bound("127.0.0.1")
    sent = [str(i).encode() for i in range(50)]
    queue(rx, sent)
    got: list[bytes] = []
    while len(got) < 50 and (rx.hasPendingDatagrams() or rx.waitForReadyRead(500)):
        got.append(rx.readDatagram(10)[0])
        got.extend(rx.readPayloads(3))
        d = rx.receiveDatagram()
        if d.isValid():
            got.append(bytes(d.data()))
    assert got == sent


@pytest.mark.parametrize("code", ["i", "q"])
def test_read_datagrams_into_packs_payloads(code: str) -> None:
    rx = bound("127.0.0.1")
    sent = [b"alpha", b"", b"gamma-ray", b"delta"]
    queue(rx, sent)
    buf = bytearray(16)
    sizes = array.array(code, [0] * 8)
    n = rx.readDatagramsInto(buf, sizes)
    # "delta" does not fit in the 16-byte buffer: it stays pending.
    assert n == 3
    assert list(sizes[:3]) == [5, 0, 9]
    assert bytes(buf[:14]) == b"alphagamma-ray"
    assert rx.readDatagram(10)[0] == b"delta"
    with pytest.raises(TypeError, match="sizes must hold 4- or 8-byte integers"):
        rx.readDatagramsInto(buf, bytearray(8))


@pytest.mark.parametrize(
    "sizes", [[1200] * 40, [64] * 100 + [10], [512] * 70 + [100], [5, 900, 5, 5, 5, 70]]
)
def test_write_datagrams_gso_and_mmsg_keep_boundaries(sizes: list[int]) -> None:
    rx = bound("127.0.0.1")
    rx.setSocketOption(QAbstractSocket.ReceiveBufferSizeSocketOption, 4 << 20)
    payloads = [bytes([i % 256]) * n for i, n in enumerate(sizes)]
    tx = QUdpSocket()
    written: list[int] = []
    tx.bytesWritten.connect(written.append)
    assert tx.writeDatagrams(payloads, LO, rx.localPort()) == len(payloads)
    assert written == sizes
    assert wait_pending(rx)
    got = drain(lambda: rx.readPayloads(), len(payloads))
    assert got == payloads


def test_gro_receive_is_split_transparently() -> None:
    rx = bound("127.0.0.1")
    rx.setSocketOption(QAbstractSocket.ReceiveBufferSizeSocketOption, 4 << 20)
    if not rx.setReceiveCoalescing(True):
        pytest.skip("UDP_GRO not available on this kernel")
    payloads = [bytes([i]) * 1000 for i in range(60)] + [b"tail"]
    tx = QUdpSocket()
    assert tx.writeDatagrams(payloads, LO, rx.localPort()) == len(payloads)
    assert wait_pending(rx)
    got = []
    while len(got) < len(payloads) and (rx.hasPendingDatagrams() or rx.waitForReadyRead(500)):
        size = rx.pendingDatagramSize()
        data, _, port = rx.readDatagram(size)
        assert len(data) == size and port == tx.localPort()
        got.append(data)
    assert got == payloads


def test_write_datagrams_errors() -> None:
    tx = QUdpSocket()
    with pytest.raises(TypeError, match="iterable"):
        tx.writeDatagrams(5, LO, 9)
    with pytest.raises(TypeError, match="datagrams"):
        tx.writeDatagrams([b"ok", "text"], LO, 9)
    big = bound("127.0.0.1")
    assert big.writeDatagrams([b"x" * 70000], LO, 9) == -1
    assert big.error() == QAbstractSocket.DatagramTooLargeError


def test_read_batch_size() -> None:
    rx = bound("127.0.0.1")
    assert rx.readBatchSize() == 64
    assert rx.setReadBatchSize(256) and rx.readBatchSize() == 256
    queue(rx, [b"1", b"2"])
    assert rx.readPayloads(1) == [b"1"]
    assert rx.setReadBatchSize(8) is False  # a fetched datagram is still held
    assert rx.readPayloads() == [b"2"]
    with pytest.raises(ValueError, match=r"size must be in 1\.\.=1024"):
        rx.setReadBatchSize(0)


def test_packet_information_can_be_turned_off_and_on() -> None:
    rx = bound("127.0.0.1")
    tx = QUdpSocket()
    assert rx.setPacketInformation(False)
    tx.writeDatagram(b"bare", LO, rx.localPort())
    assert wait_pending(rx)
    d = rx.receiveDatagram()
    assert bytes(d.data()) == b"bare" and d.senderPort() == tx.localPort()
    assert d.destinationAddress().isNull() and d.hopLimit() == -1 and d.interfaceIndex() == 0
    assert rx.setPacketInformation(True)
    tx.writeDatagram(b"full", LO, rx.localPort())
    assert wait_pending(rx)
    d = rx.receiveDatagram()
    assert d.destinationAddress().toString() == "127.0.0.1" and d.hopLimit() == 64
    assert QUdpSocket().setPacketInformation(False) is False
