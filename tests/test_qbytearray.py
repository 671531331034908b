"""qudp.QByteArray: every payload is an immutable bytes subclass with Qt's
read-only QByteArray API, checked against PySide6's QByteArray."""

from __future__ import annotations

import copy
import gc
import json
import math
import os
import pickle
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qudp
from qudp import QByteArray, QHostAddress, QNetworkDatagram, QUdpSocket, _qudp

from helpers import bound, wait_pending


@pytest.fixture
def pair() -> Iterator[tuple[QUdpSocket, socket.socket, tuple[str, int]]]:
    """A bound qudp socket and a plain socket that sends to it."""
    s = bound("127.0.0.1")
    p = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    p.bind(("127.0.0.1", 0))
    yield s, p, ("127.0.0.1", s.localPort())
    p.close()
    s.close()


def send(p: socket.socket, dest: tuple[str, int], *payloads: bytes) -> None:
    for d in payloads:
        p.sendto(d, dest)


# -- the door: what payloads are -------------------------------------------------


def test_fast_path_is_used_on_this_interpreter() -> None:
    # CPython 3.11-3.14: the layout check passes and payloads are built as
    # PyBytes_FromStringAndSize builds bytes (the fallbacks are for
    # interpreters where it does not).
    assert _qudp._payload_kind() == "qbytearray-malloc", _qudp._payload_layout()
    assert _qudp._payload_layout() == (struct.calcsize("nPn"), struct.calcsize("nPnn"))


def test_payloads_are_not_garbage_collected() -> None:
    # A payload holds no references: no GC header, no generation-0 link
    # (src/bytearray.rs builds the type without Py_TPFLAGS_HAVE_GC).
    assert not QByteArray.__flags__ & (1 << 14)
    assert not gc.is_tracked(_qudp._payload(b"x")) and not gc.is_tracked(QByteArray(b"x")[1:])
    before = gc.get_count()[0]
    keep = [_qudp._payload(b"p%d" % i) for i in range(5000)]
    assert gc.get_count()[0] - before < 100 and len(keep) == 5000


@pytest.mark.parametrize("kind", ["qbytearray-malloc", "qbytearray-alloc", "qbytearray-new"])
def test_type_references_balance(kind: str) -> None:
    # Each instance holds a reference to its heap type, taken when it is made
    # and dropped by the type's deallocator: no leak, no premature free.
    _qudp._set_payload_kind(kind)
    try:
        base = sys.getrefcount(QByteArray)
        keep = [_qudp._payload(b"r%d" % i) for i in range(1000)]
        assert sys.getrefcount(QByteArray) == base + 1000
        del keep
        assert sys.getrefcount(QByteArray) == base
    finally:
        _qudp._set_payload_kind("qbytearray")


@pytest.mark.parametrize("kind", ["qbytearray-malloc", "qbytearray-alloc", "qbytearray-new"])
def test_every_payload_is_a_qbytearray(pair: Any, kind: str) -> None:
    s, p, dest = pair
    _qudp._set_payload_kind(kind)
    try:
        payloads = [b"first", b"", b"x" * 1500]
        send(p, dest, *payloads)
        assert wait_pending(s)
        data, _host, port = s.readDatagram(s.pendingDatagramSize())
        assert type(data) is QByteArray and data == b"first" and port == p.getsockname()[1]
        assert not data.isNull()
        assert wait_pending(s)
        d = s.receiveDatagram()
        assert type(d.data()) is QByteArray and d.data() == b"" and not d.data().isNull()
        assert wait_pending(s)
        (big,) = s.readPayloads(10)
        assert type(big) is QByteArray and big == b"x" * 1500
        send(p, dest, b"one", b"two")
        assert wait_pending(s)
        time.sleep(0.05)
        got = s.readDatagrams(10)
        assert [type(g[0]) for g in got] == [QByteArray, QByteArray]
        send(p, dest, b"three")
        assert wait_pending(s)
        (dg,) = s.receiveDatagrams(10)
        assert type(dg.data()) is QByteArray and dg.data() == b"three"
    finally:
        _qudp._set_payload_kind("qbytearray")


def test_qiodevice_reads_are_qbytearray() -> None:
    p = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    p.bind(("127.0.0.1", 0))
    s = QUdpSocket()
    try:
        s.connectToHost(QHostAddress.LocalHost, p.getsockname()[1])
        assert s.waitForConnected(2000)
        dest = ("127.0.0.1", s.localPort())
        send(p, dest, b"line one\nrest", b"0123456789", b"a", b"b")
        assert wait_pending(s)
        peeked = s.peek(4)
        line = s.readLine()
        assert (peeked, line) == (b"line", b"line one\n")
        assert wait_pending(s)
        part = s.read(3)
        assert part == b"012"
        assert wait_pending(s)
        time.sleep(0.05)
        rest = s.readAll()
        assert rest == b"ab"
        empty = s.read(10)
        for x in (peeked, line, part, rest, empty):
            assert type(x) is QByteArray
        # Nothing to read gives Qt's null byte array; an empty datagram does not.
        assert empty.isNull() and s.readAll().isNull() and s.peek(5).isNull()
        assert s.readLine().isNull() and QNetworkDatagram().data().isNull()
    finally:
        s.close()
        p.close()


def test_plain_bytes_switch_for_the_benchmark(pair: Any) -> None:
    s, p, dest = pair
    _qudp._set_payload_kind("bytes")
    try:
        send(p, dest, b"plain")
        assert wait_pending(s)
        assert type(s.readDatagram(100)[0]) is bytes
    finally:
        _qudp._set_payload_kind("qbytearray")
    with pytest.raises(ValueError, match="kind"):
        _qudp._set_payload_kind("str")


@pytest.mark.parametrize("kind", ["qbytearray-malloc", "qbytearray-alloc", "qbytearray-new"])
def test_hash_is_the_bytes_hash(pair: Any, kind: str) -> None:
    # The hash cache must read "not computed": zeroed memory would be a
    # cached hash of 0 and break every dict lookup by equal bytes.
    s, p, dest = pair
    _qudp._set_payload_kind(kind)
    try:
        texts = [b"key-%d" % i for i in range(20)] + [b"", b"\x00"]
        send(p, dest, *texts)
        got = []
        deadline = time.monotonic() + 5
        while len(got) < len(texts) and time.monotonic() < deadline:
            if wait_pending(s, 200):
                got += s.readPayloads(64)
    finally:
        _qudp._set_payload_kind("qbytearray")
    assert got == texts
    table = {t: i for i, t in enumerate(texts)}
    for i, g in enumerate(got):
        assert (hash(g) == hash(bytes(g)) and hash(g) != 0) or g == b""
        assert table[g] == i and g in set(texts)
        assert g[:] is not g and hash(g[:]) == hash(bytes(g))


# -- the PySide idiom and the PyQt idiom on one payload ------------------------


def test_pyside_and_pyqt_idioms_on_one_payload(pair: Any) -> None:
    s, p, dest = pair
    send(p, dest, b"QSO K1ABC 14.074 FT8\n")
    assert wait_pending(s)
    data, _host, _port = s.readDatagram(s.pendingDatagramSize())
    # PySide: QByteArray methods, data() is plain bytes, str() is b'...'.
    assert data.data().decode() == "QSO K1ABC 14.074 FT8\n"
    assert type(data.data()) is bytes
    assert data.size() == data.length() == data.count() == 21
    assert str(data)[2:5] == "QSO"
    assert data.mid(4, 5).data() == b"K1ABC" and data[4:9].data() == b"K1ABC"
    assert data.split(" ")[2].toDouble() == (14.074, True)
    assert data.trimmed().endsWith(b"FT8") and data.startsWith("QSO")
    assert data.indexOf(b"K1") == 4 and data.contains(b"14.")
    # PyQt: the same object is bytes.
    assert isinstance(data, bytes)
    assert data.decode().split()[1] == "K1ABC"
    assert data.find(b"14") == 10 and data[0] == ord("Q")
    assert str(data, encoding="ascii").startswith("QSO") and data
    assert data[:3] == b"QSO" and memoryview(data)[:3].tobytes() == b"QSO"
    assert json.loads(json.dumps(data.decode())) == data.decode()
    assert socket.inet_aton("1.2.3.4") + data[:1] == b"\x01\x02\x03\x04Q"


# -- bytes behaviour ---------------------------------------------------------


@given(st.binary(max_size=64))
@settings(max_examples=300, deadline=None)
def test_bytes_behaviour(raw: bytes) -> None:
    q = _qudp._payload(raw)
    assert type(q) is QByteArray and isinstance(q, bytes)
    assert q == raw and not q != raw and hash(q) == hash(raw)
    assert str(q) == str(raw) and repr(q) == repr(raw) and f"{q!s}" == str(raw)
    assert bytes(q) == raw and type(bytes(q)) is bytes and q.data() == raw
    assert list(q) == list(raw) and len(q) == len(raw) and bool(q) == bool(raw)
    assert memoryview(q).tobytes() == raw and memoryview(q).readonly
    assert (q < b"\x80") == (raw < b"\x80") and q + b"!" == raw + b"!"
    if raw:
        assert q[0] == raw[0] and q[-1] == raw[-1]
    for sl in (slice(1, None), slice(None, -1), slice(None, None, 2), slice(5, 2)):
        part = q[sl]
        assert type(part) is QByteArray and part == raw[sl] and not part.isNull()
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(q, proto))
        assert type(back) is QByteArray and back == raw and hash(back) == hash(raw)
    assert pickle.loads(pickle.dumps(q)) == raw
    assert copy.copy(q) is q and copy.deepcopy(q) is q


def test_null_and_constructors() -> None:
    assert QByteArray().isNull() and QByteArray() == b"" and str(QByteArray()) == "b''"
    assert not QByteArray(b"").isNull() and QByteArray(b"").isEmpty()
    assert QByteArray(QByteArray()).isNull() and not QByteArray(QByteArray(b"")).isNull()
    assert pickle.loads(pickle.dumps(QByteArray())).isNull()
    assert QByteArray(b"abc") == b"abc" and type(QByteArray(b"abc")) is QByteArray
    assert QByteArray(bytearray(b"ab")) == b"ab" and QByteArray(memoryview(b"ab")) == b"ab"
    assert QByteArray("é") == "é".encode() and QByteArray(b"abcdef", 3) == b"abc"
    assert QByteArray(3, "x") == b"xxx" and QByteArray(2, 0x41) == b"AA"
    assert QByteArray(b"a").__class__.__module__ == "qudp" and qudp.QByteArray is QByteArray
    with pytest.raises(TypeError, match="QByteArray"):
        QByteArray(5)
    with pytest.raises(TypeError, match="data"):
        QByteArray(1.5)
    with pytest.raises(TypeError, match="ch"):
        QByteArray(3, "xy")
    assert QByteArray(b"0" * 5000 + b"7").toInt() == (7, True)
    assert QByteArray(b"9" * 5000).toLongLong() == (0, False)
    with pytest.raises(ValueError, match="base"):
        QByteArray(b"1").toInt(37)
    with pytest.raises(TypeError, match="from_"):
        QByteArray(b"1").indexOf(b"1", "0")
    with pytest.raises(TypeError, match="separator"):
        QByteArray(b"1").toHex("::")

    class Sub(QByteArray):
        __slots__ = ()

    assert type(Sub(b"x")) is Sub and Sub(b"x") == b"x" and Sub().isNull() is False


def test_mutating_qt_methods_are_absent() -> None:
    q = QByteArray(b"abc")
    for name in (
        "append",
        "chop",
        "clear",
        "fill",
        "insert",
        "prepend",
        "remove",
        "resize",
        "setNum",
        "truncate",
        "squeeze",
        "push_back",
        "push_front",
        "replace_",
    ):
        assert not hasattr(q, name), name
    with pytest.raises(TypeError):
        q[0] = 1  # type: ignore[index]


# -- differential: the same calls on PySide6's QByteArray ------------------------

ORACLE = r"""
import json, math, sys, warnings
warnings.simplefilter("ignore")
from PySide6.QtCore import QByteArray as Q

def enc(v):
    if isinstance(v, Q):
        null = v.isNull()  # before data(): Qt's non-const data() detaches a null array
        return ["Q", bytes(v.data()).hex(), null]
    if isinstance(v, bool):
        return ["t", v]
    if isinstance(v, int):
        return ["i", v]
    if isinstance(v, float):
        return ["f", repr(v)]
    if isinstance(v, bytes):
        return ["b", v.hex()]
    if isinstance(v, str):
        return ["s", v]
    if isinstance(v, (tuple, list)):
        return ["L", [enc(x) for x in v]]
    return ["?", type(v).__name__]

def dec(a):
    return bytes.fromhex(a["b"]) if isinstance(a, dict) else a

for line in sys.stdin:
    out = []
    for method, data, args in json.loads(line):
        args = [dec(a) for a in args]
        if method in ("toBase64", "fromBase64") and len(args) > (method == "fromBase64"):
            args[-1] = Q.Base64Option(args[-1])
        try:
            if method.startswith("from"):
                v = getattr(Q, method)(*args)
            else:
                v = getattr(Q(bytes.fromhex(data)), method)(*args)
            out.append(enc(v))
        except Exception as e:
            out.append(["E", type(e).__name__])
    print(json.dumps(out), flush=True)
"""


def enc(v: Any) -> Any:
    if isinstance(v, QByteArray):
        return ["Q", bytes(v).hex(), v.isNull()]
    if isinstance(v, bool):
        return ["t", v]
    if isinstance(v, int):
        return ["i", v]
    if isinstance(v, float):
        return ["f", repr(v)]
    if isinstance(v, bytes):
        return ["b", v.hex()]
    if isinstance(v, str):
        return ["s", v]
    if isinstance(v, tuple | list):
        return ["L", [enc(x) for x in v]]
    return ["?", type(v).__name__]


class Oracle:
    def __init__(self) -> None:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ORACLE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def ask(self, cases: list[tuple[str, bytes, list[Any]]]) -> list[Any]:
        assert self.proc.stdin and self.proc.stdout
        wire = [
            (m, d.hex(), [{"b": a.hex()} if isinstance(a, bytes) else a for a in args])
            for m, d, args in cases
        ]
        self.proc.stdin.write(json.dumps(wire) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"PySide6 oracle died (rc={self.proc.poll()})"
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


@pytest.fixture(scope="module")
def oracle() -> Iterator[Oracle]:
    pytest.importorskip("PySide6.QtCore")
    o = Oracle()
    yield o
    o.close()


def mine(method: str, data: bytes, args: list[Any]) -> Any:
    try:
        if method.startswith("from"):
            return enc(getattr(QByteArray, method)(*args))
        return enc(getattr(QByteArray(data), method)(*args))
    except Exception as e:
        return ["E", type(e).__name__]


def chars(alphabet: bytes, max_size: int = 12) -> st.SearchStrategy[bytes]:
    return st.lists(st.sampled_from(list(alphabet)), max_size=max_size).map(bytes)


ASCII = st.binary(max_size=12).map(lambda b: bytes(c & 0x7F for c in b))
SEARCH = chars(b"ab,", 10)
small = st.integers(-15, 15)
INT_TEXT = chars(b"0123456789abcdefxXbB+- \t", 10) | st.integers(-(2**65), 2**65).map(
    lambda i: str(i).encode()
)
FLOAT_TEXT = (
    chars(b"0123456789.eE+- \tinfatyINFAN", 10)
    | st.floats(allow_nan=False).map(lambda f: repr(f).encode())
    | st.sampled_from([b"1e39", b"1e-39", b"1e-46", b"3.4e38", b"3.5e38", b"1e-310", b"1e400"])
)


def cases() -> st.SearchStrategy[tuple[str, bytes, list[Any]]]:
    no_arg = st.sampled_from(
        [
            "size",
            "length",
            "isEmpty",
            "isNull",
            "data",
            "toUpper",
            "toLower",
            "trimmed",
            "simplified",
            "toHex",
            "toDouble",
            "toFloat",
        ]
    )
    ints = st.sampled_from(
        ["toInt", "toUInt", "toShort", "toUShort", "toLong", "toULong", "toLongLong", "toULongLong"]
    )
    ws = chars(b" \t\n\r\x0b\x0cab", 10)
    return st.one_of(
        st.tuples(no_arg, st.binary(max_size=16), st.just([])),
        st.tuples(st.sampled_from(["trimmed", "simplified"]), ws, st.just([])),
        st.tuples(st.sampled_from(["toDouble", "toFloat"]), FLOAT_TEXT, st.just([])),
        st.tuples(ints, INT_TEXT, st.just([])),
        st.tuples(ints, INT_TEXT, st.sampled_from([0, 2, 8, 10, 16, 36]).map(lambda b: [b])),
        st.tuples(
            st.sampled_from(
                ["count", "contains", "startsWith", "endsWith", "indexOf", "lastIndexOf"]
            ),
            SEARCH,
            SEARCH.map(lambda b: [b]),
        ),
        # from in -size..size+2: Qt does not define a position before the start.
        st.tuples(st.sampled_from(["indexOf", "lastIndexOf"]), SEARCH, SEARCH, small).map(
            lambda t: (t[0], t[1], [t[2], max(t[3], -len(t[1]))])
        ),
        st.tuples(
            st.sampled_from(["left", "right", "mid"]),
            st.binary(max_size=8),
            small.map(lambda n: [n]),
        ),
        st.tuples(st.just("mid"), st.binary(max_size=8), st.tuples(small, small).map(list)),
        st.tuples(ASCII.filter(bool), st.integers(0, 11)).map(
            lambda t: ("at", t[0], [t[1] % len(t[0])])
        ),
        st.tuples(
            st.just("toHex"),
            st.binary(max_size=8),
            st.sampled_from([":", " ", "-"]).map(lambda c: [c]),
        ),
        st.tuples(
            st.just("toBase64"), st.binary(max_size=10), st.integers(0, 3).map(lambda o: [o])
        ),
        st.tuples(
            st.just("fromHex"),
            st.just(b""),
            chars(b"0123456789abcdefABCDEFxz: ").map(lambda b: [b]),
        ),
        st.tuples(
            st.just("fromBase64"),
            st.just(b""),
            st.tuples(chars(b"QUJDZGVmYWI+/-_=\n ", 14), st.sampled_from([0, 1])).map(list),
        ),
        st.tuples(st.just("split"), SEARCH, st.sampled_from([",", "a"]).map(lambda c: [c])),
        st.tuples(st.just("toStdString"), ASCII, st.just([])),
    )


CASES = cases()


def same(a: Any, b: Any) -> bool:
    # A NaN from both sides is the same result.
    if a[0] == "f" and b[0] == "f":
        return a[1] == b[1] or (math.isnan(float(a[1])) and math.isnan(float(b[1])))
    if a[0] == "L" and b[0] == "L":
        return len(a[1]) == len(b[1]) and all(same(x, y) for x, y in zip(a[1], b[1], strict=True))
    return bool(a == b)


@given(st.lists(CASES, min_size=40, max_size=40))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_matches_pyside6(oracle: Oracle, batch: list[tuple[str, bytes, list[Any]]]) -> None:
    want = oracle.ask(batch)
    for (method, data, args), w in zip(batch, want, strict=True):
        got = mine(method, data, args)
        assert same(got, w), f"QByteArray({data!r}).{method}(*{args!r}): qudp {got}, Qt {w}"


def test_datagram_data_is_a_qbytearray_whatever_was_passed() -> None:
    # PySide6's QNetworkDatagram.data() is always a QByteArray.
    for arg in (b"ab", bytearray(b"ab"), memoryview(b"ab")):
        d = QNetworkDatagram(arg)
        assert type(d.data()) is QByteArray and d.data() == b"ab"
        d.setData(arg)
        assert type(d.data()) is QByteArray and d.data().data() == b"ab"
        assert type(d.makeReply(arg).data()) is QByteArray
    q = QByteArray(b"same")
    assert QNetworkDatagram(q).data() is q  # immutable: shared, not copied
