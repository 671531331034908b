"""readDatagramsInto's `sizes`: native integers only, never the same memory as `buffer`."""

from __future__ import annotations

import array

import pytest

from qudp import QUdpSocket

from helpers import bound, wait_pending


def queued(payloads: list[bytes]) -> QUdpSocket:
    rx = bound("127.0.0.1")
    tx = QUdpSocket()
    for p in payloads:
        assert tx.writeDatagram(p, rx.localAddress(), rx.localPort()) == len(p)
    assert wait_pending(rx)
    return rx


@pytest.mark.parametrize("code", ["f", "d"])
def test_float_sizes_are_refused_and_nothing_is_read(code: str) -> None:
    rx = queued([b"abc", b"defgh"])
    sizes = array.array(code, [0.0] * 4)
    with pytest.raises(TypeError, match="sizes must hold 4- or 8-byte integers"):
        rx.readDatagramsInto(bytearray(64), sizes)
    assert list(sizes) == [0.0] * 4
    assert rx.readDatagram(10)[0] == b"abc"


@pytest.mark.parametrize("code", ["i", "I", "l", "L", "q", "Q", "n", "N"])
def test_integer_sizes_of_every_native_kind_work(code: str) -> None:
    rx = queued([b"abc", b"defgh"])
    buf = bytearray(64)
    if code in "nN":
        sizes = memoryview(bytearray(8 * 4)).cast(code)
    else:
        sizes = memoryview(array.array(code, [0] * 4))
    assert rx.readDatagramsInto(buf, sizes) == 2
    assert list(sizes[:2]) == [3, 5]
    assert bytes(buf[:8]) == b"abcdefgh"


def test_short_integers_are_refused() -> None:
    rx = queued([b"abc"])
    with pytest.raises(TypeError, match="sizes must hold 4- or 8-byte integers"):
        rx.readDatagramsInto(bytearray(64), array.array("h", [0] * 4))


def test_same_object_as_buffer_and_sizes_is_refused() -> None:
    rx = queued([b"abcdefgh" * 4])
    mem = bytearray(64)
    with pytest.raises(ValueError, match="sizes and buffer must not share memory"):
        rx.readDatagramsInto(mem, memoryview(mem).cast("q"))
    assert mem == bytearray(64)
    assert rx.pendingDatagramSize() == 32


def test_overlapping_views_are_refused_disjoint_views_work() -> None:
    rx = queued([b"abcdefgh", b"ij"])
    mem = bytearray(64)
    view = memoryview(mem)
    with pytest.raises(ValueError, match="must not share memory"):
        rx.readDatagramsInto(view[8:40], view[32:64].cast("q"))
    assert rx.readDatagramsInto(view[:32], view[32:64].cast("q")) == 2
    assert bytes(mem[:10]) == b"abcdefghij"
    assert list(view[32:64].cast("q")[:2]) == [8, 2]
