"""Wrong Python arguments raise TypeError/ValueError/OverflowError whose
message names the argument (SPEC section 2), never CPython's generic text."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from qudp import (
    QAbstractSocket,
    QEventLoop,
    QHostAddress,
    QNetworkAddressEntry,
    QNetworkDatagram,
    QTimer,
    QUdpSocket,
)

from helpers import bound

LO = QHostAddress.LocalHost
Opt = QAbstractSocket.SocketOption


def fresh() -> QUdpSocket:
    return QUdpSocket()


def sock() -> QUdpSocket:
    return bound("127.0.0.1")


CASES: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    (
        "readDatagram(None)",
        lambda: sock().readDatagram(None),
        TypeError,
        "maxlen must be int, not NoneType",
    ),
    ("readDatagram(2**64)", lambda: sock().readDatagram(2**64), OverflowError, "maxlen must be in"),
    (
        "readDatagram(1.5)",
        lambda: sock().readDatagram(1.5),
        TypeError,
        "maxlen must be int, not float",
    ),
    ("readDatagram(-1)", lambda: sock().readDatagram(-1), ValueError, "maxlen must be >= 0"),
    (
        "readDatagram('x')",
        lambda: sock().readDatagram("x"),
        TypeError,
        "maxlen must be int, not str",
    ),
    (
        "receiveDatagram(None)",
        lambda: sock().receiveDatagram(None),
        TypeError,
        "maxSize must be int",
    ),
    ("receiveDatagram(2**64)", lambda: sock().receiveDatagram(2**64), OverflowError, "maxSize"),
    ("receiveDatagram(1.5)", lambda: sock().receiveDatagram(1.5), TypeError, "maxSize"),
    (
        "setHopLimit(2**40)",
        lambda: QNetworkDatagram().setHopLimit(2**40),
        OverflowError,
        "count must be in",
    ),
    (
        "setHopLimit(None)",
        lambda: QNetworkDatagram().setHopLimit(None),
        TypeError,
        "count must be int",
    ),
    (
        "setInterfaceIndex(-1)",
        lambda: QNetworkDatagram().setInterfaceIndex(-1),
        OverflowError,
        "index must be in",
    ),
    (
        "setSender(a, None)",
        lambda: QNetworkDatagram().setSender(LO, None),
        TypeError,
        "port must be int",
    ),
    (
        "setDestination(a, 1.5)",
        lambda: QNetworkDatagram().setDestination(LO, 1.5),
        TypeError,
        "port must be int",
    ),
    (
        "QNetworkDatagram(port=70000)",
        lambda: QNetworkDatagram(b"x", LO, 70000),
        OverflowError,
        "port must be in",
    ),
    (
        "writeDatagram(None, h, p)",
        lambda: fresh().writeDatagram(None, LO, 9),
        TypeError,
        "data must be a bytes-like",
    ),
    (
        "bind(addr, None)",
        lambda: fresh().bind(LO, None),
        TypeError,
        "port must be int, not NoneType",
    ),
    ("bind(port=None)", lambda: fresh().bind(port=None), TypeError, "port must be int"),
    (
        "bind(addr, 0, 999)",
        lambda: fresh().bind(LO, 0, 999),
        ValueError,
        "mode must be a BindFlag, got 999",
    ),
    (
        "bind(addr, 0, mode=None)",
        lambda: fresh().bind(LO, 0, mode=None),
        TypeError,
        "mode must be BindFlag or int",
    ),
    ("bind(0, None)", lambda: fresh().bind(0, None), TypeError, "mode must be"),
    ("bind(0, -1)", lambda: fresh().bind(0, -1), ValueError, "mode must be a BindFlag"),
    (
        "setSocketOption(99, 1)",
        lambda: sock().setSocketOption(99, 1),
        ValueError,
        "option must be a SocketOption, got 99",
    ),
    (
        "setSocketOption(2**70, 1)",
        lambda: sock().setSocketOption(2**70, 1),
        ValueError,
        "option must be a SocketOption",
    ),
    (
        "setSocketOption(o, None)",
        lambda: sock().setSocketOption(Opt.MulticastTtlOption, None),
        TypeError,
        "value must be int",
    ),
    (
        "socketOption(99)",
        lambda: sock().socketOption(99),
        ValueError,
        "option must be a SocketOption, got 99",
    ),
    (
        "socketOption(-1)",
        lambda: fresh().socketOption(-1),
        ValueError,
        "option must be a SocketOption",
    ),
    (
        "setSocketDescriptor(2**40)",
        lambda: fresh().setSocketDescriptor(2**40),
        OverflowError,
        "socketDescriptor",
    ),
    (
        "setSocketDescriptor(None)",
        lambda: fresh().setSocketDescriptor(None),
        TypeError,
        "socketDescriptor must be int",
    ),
    (
        "setSocketDescriptor(fd, 99)",
        lambda: fresh().setSocketDescriptor(-1, 99),
        ValueError,
        "state must be a SocketState",
    ),
    (
        "setSocketDescriptor(fd, s, 4096)",
        lambda: fresh().setSocketDescriptor(-1, None, 4096),
        ValueError,
        "openMode must be",
    ),
    (
        "connectToHost(h, p, 4096)",
        lambda: fresh().connectToHost(LO, 9, 4096),
        ValueError,
        "openMode must be",
    ),
    (
        "connectToHost(h, p, protocol=7)",
        lambda: fresh().connectToHost(LO, 9, protocol=7),
        ValueError,
        "protocol must be",
    ),
    ("read(None)", lambda: sock().read(None), TypeError, "maxlen must be int"),
    ("read(2**64)", lambda: sock().read(2**64), OverflowError, "maxlen"),
    ("peek(1.5)", lambda: sock().peek(1.5), TypeError, "maxlen must be int"),
    ("readLine(None)", lambda: sock().readLine(None), TypeError, "maxlen must be int"),
    ("readPayloads(None)", lambda: sock().readPayloads(None), TypeError, "maxCount must be int"),
    ("readDatagrams(1.5)", lambda: sock().readDatagrams(1.5), TypeError, "maxCount must be int"),
    ("receiveDatagrams(2**64)", lambda: sock().receiveDatagrams(2**64), OverflowError, "maxCount"),
    (
        "setReadBatchSize(None)",
        lambda: sock().setReadBatchSize(None),
        TypeError,
        "size must be int",
    ),
    (
        "setReceiveCoalescing(None)",
        lambda: sock().setReceiveCoalescing(None),
        TypeError,
        "enabled must be bool",
    ),
    (
        "setReceiveTimestamps('x')",
        lambda: sock().setReceiveTimestamps("x"),
        TypeError,
        "enabled must be bool",
    ),
    (
        "setDropCounting(1.5)",
        lambda: sock().setDropCounting(1.5),
        TypeError,
        "enabled must be bool",
    ),
    (
        "setPacketInformation(None)",
        lambda: sock().setPacketInformation(None),
        TypeError,
        "enabled must be bool",
    ),
    (
        "waitForReadyRead(None)",
        lambda: sock().waitForReadyRead(None),
        TypeError,
        "msecs must be int",
    ),
    (
        "waitForReadyRead(2**40)",
        lambda: sock().waitForReadyRead(2**40),
        OverflowError,
        "msecs must be in",
    ),
    (
        "waitForBytesWritten(1.5)",
        lambda: sock().waitForBytesWritten(1.5),
        TypeError,
        "msecs must be int",
    ),
    (
        "waitForConnected(None)",
        lambda: fresh().waitForConnected(None),
        TypeError,
        "msecs must be int",
    ),
    (
        "isInSubnet(s, 1.5)",
        lambda: QHostAddress("1.2.3.4").isInSubnet(LO, 1.5),
        TypeError,
        "netmask must be int",
    ),
    (
        "isInSubnet((s,))",
        lambda: QHostAddress("1.2.3.4").isInSubnet((LO,)),
        TypeError,
        "subnet must be a",
    ),
    ("parseSubnet(None)", lambda: QHostAddress.parseSubnet(None), TypeError, "subnet must be str"),
    ("setScopeId(None)", lambda: QHostAddress("::1").setScopeId(None), TypeError, "id must be str"),
    ("QEventLoop.exit(None)", lambda: QEventLoop().exit(None), TypeError, "returnCode must be int"),
    (
        "QEventLoop.exit(2**40)",
        lambda: QEventLoop().exit(2**40),
        OverflowError,
        "returnCode must be in",
    ),
    (
        "processEvents(None, 1.5)",
        lambda: QEventLoop().processEvents(None, 1.5),
        TypeError,
        "maxtime must be int",
    ),
    ("QTimer.setInterval(None)", lambda: QTimer().setInterval(None), TypeError, "msec must be int"),
    ("QTimer.start(1.5)", lambda: QTimer().start(1.5), TypeError, "msec must be int, not float"),
    (
        "QTimer.setSingleShot(None)",
        lambda: QTimer().setSingleShot(None),
        TypeError,
        "singleShot must be bool",
    ),
    (
        "QTimer.singleShot(None, f)",
        lambda: QTimer.singleShot(None, print),
        TypeError,
        "msec must be int",
    ),
    (
        "isEqual(a, 999)",
        lambda: QHostAddress("1.2.3.4").isEqual(LO, 999),
        ValueError,
        "mode must be a ConversionModeFlag",
    ),
    (
        "setPrefixLength(2**40)",
        lambda: QNetworkAddressEntry().setPrefixLength(2**40),
        OverflowError,
        "length must be in",
    ),
    (
        "readDatagramInto(None) unbound",
        lambda: fresh().readDatagramInto(None),
        TypeError,
        "buffer must be a writable",
    ),
]


@pytest.mark.parametrize(("call", "exc", "text"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_argument_names_itself(
    call: Callable[[], Any], exc: type[Exception], text: str
) -> None:
    with pytest.raises(exc) as info:
        call()
    assert text in str(info.value)


def test_write_datagram_none_sends_nothing() -> None:
    rx = sock()
    tx = fresh()
    with pytest.raises(TypeError, match="data"):
        tx.writeDatagram(None, LO, rx.localPort())
    assert not rx.waitForReadyRead(50)
    assert not tx.isValid()  # not even the implicit bind happened


def test_bool_arguments_take_ints_as_cpp_does() -> None:
    s = sock()
    assert s.setPacketInformation(1) is True
    assert s.setPacketInformation(False) is True


def test_huge_descriptor_is_not_truncated_to_another_one() -> None:
    # Qt truncates 2**40 to descriptor 0 and adopts it; qudp refuses, and a
    # real descriptor of the same low bits stays untouched.
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fd = raw.fileno()
    s = fresh()
    with pytest.raises(OverflowError, match="socketDescriptor"):
        s.setSocketDescriptor(fd + 2**40)
    assert s.socketDescriptor() == -1
    raw.getsockname()  # still open and ours
    raw.close()
