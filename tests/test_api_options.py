"""Socket option values reach the kernel as Qt passes them (no normalising)."""

from __future__ import annotations

import pytest

from qudp import QAbstractSocket, QHostAddress

from helpers import bound

Opt = QAbstractSocket.SocketOption
TTL = Opt.MulticastTtlOption
LOOP = Opt.MulticastLoopbackOption


@pytest.mark.parametrize("addr", ["127.0.0.1", "::1", QHostAddress.Any])
def test_multicast_ttl_minus_one_is_the_default(addr: object) -> None:
    s = bound(addr)
    s.setSocketOption(TTL, 9)
    assert s.socketOption(TTL) == 9
    s.setSocketOption(TTL, -1)  # the kernel's (and Qt's) "default": 1
    assert s.socketOption(TTL) == 1
    s.setSocketOption(TTL, 9)
    s.setSocketOption(TTL, 300)  # refused by the kernel: unchanged
    assert s.socketOption(TTL) == 9


def test_ipv4_loopback_takes_any_non_zero_as_one() -> None:
    s = bound("127.0.0.1")
    for v, want in [(0, 0), (2, 1), (0, 0), (-1, 1), (0, 0), (7, 1)]:
        s.setSocketOption(LOOP, v)
        assert s.socketOption(LOOP) == want, v


@pytest.mark.parametrize("addr", ["::1", QHostAddress.Any])
def test_ipv6_loopback_accepts_only_zero_and_one(addr: object) -> None:
    s = bound(addr)
    for v, want in [(0, 0), (2, 0), (1, 1), (5, 1), (-1, 1), (0, 0), (7, 0)]:
        s.setSocketOption(LOOP, v)
        assert s.socketOption(LOOP) == want, v


def test_option_value_outside_a_c_int_is_refused() -> None:
    s = bound("127.0.0.1")
    with pytest.raises(OverflowError, match="value must be in"):
        s.setSocketOption(TTL, 2**40)
    with pytest.raises(TypeError, match="value must be int, not float"):
        s.setSocketOption(TTL, 1.5)
