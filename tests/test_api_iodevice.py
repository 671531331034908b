"""The QIODevice side of a connected UDP socket, as Qt answers it (checked
against PySide6 by the iodevice_chars parity scenario)."""

from __future__ import annotations

import time

import pytest

from qudp import QHostAddress, QUdpSocket

from helpers import bound, wait_pending

LO = QHostAddress.LocalHost


def pair() -> tuple[QUdpSocket, QUdpSocket]:
    rx, tx = bound("127.0.0.1"), bound("127.0.0.1")
    rx.connectToHost(LO, tx.localPort())
    tx.connectToHost(LO, rx.localPort())
    return rx, tx


def send(tx: QUdpSocket, rx: QUdpSocket, *payloads: bytes) -> None:
    for p in payloads:
        assert tx.write(p) == len(p)
    assert wait_pending(rx)


def test_get_char_takes_one_byte_of_a_datagram() -> None:
    rx, tx = pair()
    send(tx, rx, b"abc", b"def")
    assert rx.getChar() == (True, "a")  # the rest of "abc" is lost, as in Qt
    assert rx.bytesAvailable() == 3
    assert rx.read(10) == b"def"
    assert rx.getChar() == (False, "\x00")


def test_get_char_of_a_high_byte_is_latin1() -> None:
    rx, tx = pair()
    send(tx, rx, b"\xff")
    assert rx.getChar() == (True, "\xff")


def test_unget_char_comes_first_for_qiodevice_reads_only() -> None:
    rx, tx = pair()
    send(tx, rx, b"abc", b"def")
    rx.ungetChar(ord("Z"))
    rx.ungetChar(b"Y")
    assert rx.bytesAvailable() == 2 + 3 and rx.size() == 5 and rx.pos() == 0
    assert rx.peek(4) == b"YZab"
    assert not rx.atEnd()
    assert rx.read(3) == b"YZa"  # the put-back bytes, then one datagram cut to 1
    rx.ungetChar("Q")
    assert rx.readDatagram(10)[0] == b"def"  # datagram calls never see it
    assert rx.readAll() == b"Q"
    assert rx.atEnd()


def test_read_zero_consumes_nothing() -> None:
    rx, tx = pair()
    send(tx, rx, b"abc")
    assert rx.read(0) == b""
    assert rx.pendingDatagramSize() == 3


def test_skip_reads_like_read() -> None:
    rx, tx = pair()
    send(tx, rx, b"xyz", b"abc")
    rx.ungetChar(ord("A"))
    assert rx.skip(0) == 0
    assert rx.skip(3) == 3  # "A" and "xy"; "z" is lost with its datagram
    assert rx.read(10) == b"abc"
    assert rx.skip(9) == 0
    with pytest.raises(ValueError, match="maxSize must be >= 0"):
        rx.skip(-1)


def test_transaction_rollback_puts_bytes_back() -> None:
    rx, tx = pair()
    send(tx, rx, b"abc", b"def", b"ghi")
    rx.startTransaction()
    assert rx.isTransactionStarted()
    assert rx.read(2) == b"ab"
    assert rx.getChar() == (True, "d")
    rx.rollbackTransaction()
    assert not rx.isTransactionStarted()
    assert rx.bytesAvailable() == 6
    assert rx.read(100) == b"abdghi"
    rx.startTransaction()
    send(tx, rx, b"jkl")
    assert rx.read(100) == b"jkl"
    rx.commitTransaction()
    assert rx.read(100) == b""


def test_transaction_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    rx, _ = pair()
    rx.startTransaction()
    rx.startTransaction()
    rx.commitTransaction()
    rx.commitTransaction()
    rx.rollbackTransaction()
    err = capsys.readouterr().err
    assert "startTransaction (QUdpSocket): Called while transaction already in progress" in err
    assert "commitTransaction (QUdpSocket): Called while no transaction in progress" in err
    assert "rollbackTransaction (QUdpSocket): Called while no transaction in progress" in err


def test_text_mode_drops_carriage_returns() -> None:
    rx, tx = pair()
    send(tx, rx, b"a\r\nb", b"\rcd", b"x\ry")
    rx.setTextModeEnabled(True)
    assert rx.isTextModeEnabled()
    assert rx.openMode().value & 0x10
    assert rx.read(100) == b"a\nb"
    assert rx.getChar() == (True, "x")  # '\r' skipped: "\rcd" is lost
    rx.close()
    assert not rx.isTextModeEnabled()


def test_put_char_sends_one_byte_datagrams() -> None:
    rx, tx = pair()
    assert tx.putChar(66) and tx.putChar(-1) and tx.putChar(b"C") and tx.putChar("D")
    got = []
    for _ in range(4):
        assert wait_pending(rx)
        got.append(rx.readDatagram(10)[0])
    assert got == [b"B", b"\xff", b"C", b"D"]


def test_write_and_put_char_emit_channel_bytes_written() -> None:
    rx, tx = pair()
    ev: list[tuple[object, ...]] = []
    tx.bytesWritten.connect(lambda n: ev.append(("bw", n)))
    tx.channelBytesWritten.connect(lambda c, n: ev.append(("cbw", c, n)))
    tx.writeDatagram(b"abc", LO, rx.localPort())  # Qt: bytesWritten only
    tx.write(b"de")
    tx.putChar(65)
    assert ev == [("bw", 3), ("bw", 2), ("cbw", 0, 2), ("bw", 1), ("cbw", 0, 1)]


def test_put_char_while_looking_up_is_false() -> None:
    s = QUdpSocket()
    s.connectToHost("localhost", 9)
    assert s.state() == QUdpSocket.HostLookupState
    assert s.putChar(65) is False


@pytest.mark.parametrize(
    ("c", "exc", "text"),
    [
        (256, OverflowError, "c must be in -128..=255"),
        (-129, OverflowError, "c must be in -128..=255"),
        ("ab", ValueError, "c must be one ASCII character"),
        ("\u00e9", ValueError, "c must be one ASCII character"),
        (b"", ValueError, "c must be one byte"),
        (None, TypeError, "c must be int, bytes or str, not NoneType"),
        (1.5, TypeError, "c must be int, bytes or str, not float"),
    ],
)
def test_char_arguments_name_c(c: object, exc: type[Exception], text: str) -> None:
    rx, tx = pair()
    with pytest.raises(exc, match=text):
        tx.putChar(c)
    with pytest.raises(exc, match=text):
        rx.ungetChar(c)


def test_sequential_device_answers(capsys: pytest.CaptureFixture[str]) -> None:
    rx, _ = pair()
    assert rx.isSequential() and rx.pos() == 0
    assert rx.seek(0) is False and rx.reset() is False
    assert capsys.readouterr().err.count("Cannot call seek on a sequential device") == 2
    assert rx.readChannelCount() == 1 and rx.writeChannelCount() == 1
    assert QUdpSocket().readChannelCount() == 0
    rx.setReadBufferSize(10)
    assert rx.readBufferSize() == 10
    rx.setProtocolTag("x")
    assert rx.protocolTag() == "x"
    rx.setPauseMode(QUdpSocket.PauseMode.PauseOnSslErrors)
    assert rx.pauseMode() == QUdpSocket.PauseMode.PauseOnSslErrors
    rx.resume()
    with pytest.raises(ValueError, match="channel must be 0"):
        rx.setCurrentReadChannel(1)
    assert rx.currentReadChannel() == 0 and rx.currentWriteChannel() == 0


def test_read_line_with_maxlen_one_warns(capsys: pytest.CaptureFixture[str]) -> None:
    rx, tx = pair()
    send(tx, rx, b"ab\ncd")
    assert rx.readLine(1) == b""
    assert "Called with maxSize < 2" in capsys.readouterr().err
    rx.ungetChar(ord("Z"))
    assert rx.canReadLine()
    assert rx.readLine() == b"Zab\n"


def test_wait_for_disconnected(capsys: pytest.CaptureFixture[str]) -> None:
    assert QUdpSocket().waitForDisconnected(10) is False
    assert "not allowed in UnconnectedState" in capsys.readouterr().err
    rx, _ = pair()
    t0 = time.monotonic()
    assert rx.waitForDisconnected(50) is False  # Qt waits msecs on UDP
    assert time.monotonic() - t0 >= 0.04


def test_close_clears_put_back_bytes() -> None:
    rx, _ = pair()
    rx.ungetChar(ord("Q"))
    rx.close()
    assert rx.bytesAvailable() == 0
