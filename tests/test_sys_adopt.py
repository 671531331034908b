"""setSocketDescriptor takes only UDP sockets of an IP family, and never
closes or reuses the socket's own descriptor (issue 10, defects 2 and 10)."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from qudp import QHostAddress, QUdpSocket

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX descriptors")

E = QUdpSocket.SocketError
S = QUdpSocket.SocketState


def _fd_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


@contextmanager
def _pipe() -> Iterator[int]:
    r, w = os.pipe()
    try:
        yield r
    finally:
        os.close(r)
        os.close(w)


@contextmanager
def _file() -> Iterator[int]:
    with tempfile.TemporaryFile() as f:
        yield f.fileno()


@contextmanager
def _sock(family: int, kind: int) -> Iterator[int]:
    with socket.socket(family, kind) as s:
        yield s.fileno()


@contextmanager
def _tcp_listener() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.fileno()


KINDS: dict[str, Callable[[], Any]] = {
    "pipe": _pipe,
    "file": _file,
    "tcp": lambda: _sock(socket.AF_INET, socket.SOCK_STREAM),
    "tcp listener": _tcp_listener,
    "unix dgram": lambda: _sock(socket.AF_UNIX, socket.SOCK_DGRAM),
    "unix stream": lambda: _sock(socket.AF_UNIX, socket.SOCK_STREAM),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_non_udp_descriptors_are_refused_and_left_open(kind: str) -> None:
    with KINDS[kind]() as fd:
        s = QUdpSocket()
        errors: list[Any] = []
        s.errorOccurred.connect(errors.append)
        assert s.setSocketDescriptor(fd) is False
        # Qt's error for a descriptor its engine cannot use, set without
        # errorOccurred (QAbstractSocket::setSocketDescriptor).
        assert s.error() == E.UnsupportedSocketOperationError
        assert s.errorString() == "Invalid socket descriptor"
        assert errors == []
        assert s.socketDescriptor() == -1
        assert s.state() == S.UnconnectedState
        assert not s.isValid()
        del s
        assert _fd_open(fd), "a refused descriptor stays the caller's"


def test_ping_socket_is_refused_where_the_kernel_has_them() -> None:
    import conftest

    if conftest.IN_NETNS:
        # Allow ICMP "ping" sockets for root, in the private namespace only.
        try:
            with open("/proc/sys/net/ipv4/ping_group_range", "w") as f:
                f.write("0 0")
        except OSError:
            pass
    try:
        p = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    except OSError:
        pytest.skip("no unprivileged ICMP sockets here")
    with p:
        s = QUdpSocket()
        assert s.setSocketDescriptor(p.fileno()) is False
        assert _fd_open(p.fileno())


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6])
def test_udp_descriptors_are_adopted(family: int) -> None:
    p = socket.socket(family, socket.SOCK_DGRAM)
    fd = p.detach()
    s = QUdpSocket()
    assert s.setSocketDescriptor(fd) is True
    assert s.socketDescriptor() == fd
    s.close()
    assert not _fd_open(fd)


def test_own_descriptor_is_kept_open_with_its_number() -> None:
    s = QUdpSocket()
    assert s.bind(QHostAddress("127.0.0.1"), 0)
    fd, port = s.socketDescriptor(), s.localPort()
    assert s.setSocketDescriptor(fd, S.BoundState) is True
    assert s.socketDescriptor() == fd
    assert _fd_open(fd)
    assert s.state() == S.BoundState and s.localPort() == port
    # The number is not free: the next file gets another one, and the
    # socket still receives on it.
    with tempfile.TemporaryFile() as f:
        assert f.fileno() != fd
        tx = QUdpSocket()
        assert tx.writeDatagram(b"still here", QHostAddress("127.0.0.1"), port) == 10
        assert s.waitForReadyRead(2000)
        assert s.readDatagram(100)[0] == b"still here"
        s.close()
        assert _fd_open(f.fileno()), "closing the socket left the file alone"
    assert not _fd_open(fd), "close() closed the socket's own descriptor"


@pytest.mark.parametrize("value", [2**40, 2**31])
def test_descriptor_beyond_int_is_overflow_error(value: int) -> None:
    s = QUdpSocket()
    with pytest.raises(OverflowError, match="socketDescriptor"):
        s.setSocketDescriptor(value)
    assert s.socketDescriptor() == -1
