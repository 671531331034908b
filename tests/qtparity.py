"""Differential scenarios: the same code run on qudp and on PySide6.

Each scenario is a function of a backend namespace ``m`` (``m.QUdpSocket``,
``m.QHostAddress``, ``m.QAbstractSocket``, ``m.QNetworkDatagram``, ``m.pump``,
``m.stderr``) and returns a JSON-able observation. test_parity.py runs every
scenario in two subprocesses (``python tests/qtparity.py qt|qudp [names]``),
one per backend, and compares what they print: one JSON line per scenario.

Rules that keep PySide6 6.12 alive (see SPEC section 6): one
QCoreApplication; events only through ``QEventLoop().processEvents(AllEvents,
ms)`` in bounded loops (few hundred calls in all); never ``readDatagram`` with
nothing pending and never ``readDatagram(-1)`` on Qt; and the process ends
with ``os._exit`` so PySide's refcount bugs cannot crash it at exit.
"""

from __future__ import annotations

import enum
import gc
import json
import os
import re
import socket
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

SCENARIOS: dict[str, Callable[[Any], Any]] = {}


def scenario(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    SCENARIOS[fn.__name__.removeprefix("sc_")] = fn
    return fn


# --------------------------------------------------------------------------
# Normalisation


def norm(x: Any) -> Any:
    """Turn Qt and qudp values into the same JSON-able form."""
    if x is None or isinstance(x, bool | int | float | str):
        return x
    if isinstance(x, enum.Flag):
        return x.value
    if isinstance(x, enum.Enum):
        return x.name
    if isinstance(x, dict):
        return {str(k): norm(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [norm(v) for v in x]
    if isinstance(x, bytes | bytearray | memoryview):
        return "b:" + bytes(x).hex()
    tname = type(x).__name__
    if tname == "QByteArray":
        return "b:" + bytes(x).hex()
    if tname == "QHostAddress":
        return "a:" + x.toString()
    return f"<{tname}>"


def addr(a: Any) -> str:
    return a.toString()


def portk(p: int) -> Any:
    """Ports are random: keep only -1 / 0 / 'P' (some real port)."""
    return p if p in (-1, 0) else "P"


def fdk(fd: int) -> Any:
    return fd if fd < 0 else "fd"


def exc(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"


def call(fn: Callable[..., Any], *args: Any) -> Any:
    """Result of fn(*args), or the exception it raised as 'Type: message'."""
    try:
        return norm(fn(*args))
    except Exception as e:
        return "raised " + exc(e)


def hexaddr(text: str) -> str:
    return re.sub(r"0x[0-9a-fA-F]+", "0x?", text)


class Rec:
    """Records signals of one or more objects, in emission order."""

    SOCK = (
        "stateChanged",
        "errorOccurred",
        "bytesWritten",
        "readyRead",
        "readChannelFinished",
        "disconnected",
        "aboutToClose",
    )

    def __init__(self, *socks: Any, names: tuple[str, ...] = SOCK, tag: bool = False) -> None:
        self.ev: list[list[Any]] = []
        for i, s in enumerate(socks):
            for n in names:
                getattr(s, n).connect(self._slot(f"{i}.{n}" if tag else n))

    def _slot(self, name: str) -> Callable[..., None]:
        def slot(*args: Any) -> None:
            self.ev.append([name, norm(args)])

        return slot

    def take(self) -> list[list[Any]]:
        out, self.ev = self.ev, []
        return out

    def count(self, name: str) -> int:
        return sum(1 for n, _ in self.ev if n == name)


def state(s: Any) -> dict[str, Any]:
    return {
        "state": s.state().name,
        "error": s.error().name,
        "errorString": s.errorString(),
        "local": addr(s.localAddress()),
        "localProto": s.localAddress().protocol().name,
        "localPort": portk(s.localPort()),
        "fd": fdk(s.socketDescriptor()),
        "isValid": s.isValid(),
        "isOpen": s.isOpen(),
        "openMode": norm(s.openMode()),
    }


def bound(m: Any, host: Any = None, port: int = 0, *mode: Any) -> Any:
    s = m.QUdpSocket()
    a = m.QHostAddress.LocalHost if host is None else host
    if not s.bind(a, port, *mode):
        raise RuntimeError(f"bind({a}) failed: {s.errorString()}")
    return s


def drain(s: Any) -> list[str]:
    out = []
    while s.hasPendingDatagrams():
        out.append(norm(s.readDatagram(70000)[0]))
    return out


def wait_pending(m: Any, s: Any) -> bool:
    for _ in range(50):
        if s.hasPendingDatagrams():
            return True
        time.sleep(0.002)
    return False


def dgram(d: Any, rx: Any = None, tx: Any = None) -> dict[str, Any]:
    out = {
        "data": norm(d.data()),
        "sender": addr(d.senderAddress()),
        "senderPort": portk(d.senderPort()),
        "dest": addr(d.destinationAddress()),
        "destPort": portk(d.destinationPort()),
        "hopLimit": d.hopLimit(),
        "ifindex": d.interfaceIndex(),
        "isValid": d.isValid(),
        "isNull": d.isNull(),
    }
    if tx is not None:
        out["senderPortIsTx"] = d.senderPort() == tx.localPort()
    if rx is not None:
        out["destPortIsRx"] = d.destinationPort() == rx.localPort()
    return out


# --------------------------------------------------------------------------
# Socket basics and bind


@scenario
def sc_fresh_state(m: Any) -> Any:
    s = m.QUdpSocket()
    out = state(s)
    out.update(
        peer=addr(s.peerAddress()),
        peerProto=s.peerAddress().protocol().name,
        peerPort=s.peerPort(),
        peerName=s.peerName(),
        socketType=s.socketType().name,
    )
    return out


def _bind_cases(m: Any) -> list[tuple[str, tuple[Any, ...]]]:
    A, S = m.QHostAddress, m.QUdpSocket
    return [
        ("()", ()),
        ("(0)", (0,)),
        ("(0, Share)", (0, S.ShareAddress)),
        ("(0, Reuse)", (0, S.ReuseAddressHint)),
        ("(0, DontShare)", (0, S.DontShareAddress)),
        ("(LocalHost)", (A.LocalHost,)),
        ("(LocalHost, 0)", (A.LocalHost, 0)),
        ("(A(LocalHost), 0)", (A(A.LocalHost), 0)),
        ("(A('127.0.0.1'), 0)", (A("127.0.0.1"), 0)),
        ("(A('127.0.0.2'), 0)", (A("127.0.0.2"), 0)),
        ("(LocalHost, 0, Share|Reuse)", (A.LocalHost, 0, S.ShareAddress | S.ReuseAddressHint)),
        ("(LocalHost, 0, DontShare)", (A.LocalHost, 0, S.DontShareAddress)),
        ("(Any, 0)", (A.Any, 0)),
        ("(A(Any), 0)", (A(A.Any), 0)),
        ("(AnyIPv4, 0)", (A.AnyIPv4, 0)),
        ("(A('0.0.0.0'), 0)", (A("0.0.0.0"), 0)),
        ("(AnyIPv6, 0)", (A.AnyIPv6, 0)),
        ("(A('::'), 0)", (A("::"), 0)),
        ("(LocalHostIPv6, 0)", (A.LocalHostIPv6, 0)),
        ("(A('::1'), 0)", (A("::1"), 0)),
        ("(Broadcast, 0)", (A.Broadcast, 0)),
        ("(A('224.0.0.1'), 0)", (A("224.0.0.1"), 0)),
        ("(A('::ffff:127.0.0.1'), 0)", (A("::ffff:127.0.0.1"), 0)),
        ("(A(), 0)", (A(), 0)),
        ("(Null, 0)", (A.Null, 0)),
        ("(A('192.0.2.1'), 0)", (A("192.0.2.1"), 0)),
        ("(A('2001:db8::1'), 0)", (A("2001:db8::1"), 0)),
    ]


@scenario
def sc_bind_overloads(m: Any) -> Any:
    out = {}
    for label, args in _bind_cases(m):
        s = m.QUdpSocket()
        rec = Rec(s)
        ret = s.bind(*args)
        out[label] = {"ret": ret, "signals": rec.take(), **state(s)}
    s = m.QUdpSocket()
    out["(port=0)"] = {"ret": s.bind(port=0), **state(s)}
    return out


@scenario
def sc_bind_port_kept(m: Any) -> Any:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    s = m.QUdpSocket()
    ok = s.bind(m.QHostAddress.LocalHost, port)
    return {"ret": ok, "samePort": s.localPort() == port}


def _modes(m: Any) -> dict[str, Any]:
    S = m.QUdpSocket
    return {
        "Default": S.DefaultForPlatform,
        "Share": S.ShareAddress,
        "DontShare": S.DontShareAddress,
        "Reuse": S.ReuseAddressHint,
        "Share|Reuse": S.ShareAddress | S.ReuseAddressHint,
        "DontShare|Reuse": S.DontShareAddress | S.ReuseAddressHint,
    }


@scenario
def sc_bind_conflicts(m: Any) -> Any:
    A = m.QHostAddress
    modes = _modes(m)
    out = {}
    for n1, m1 in modes.items():
        for n2, m2 in modes.items():
            first = bound(m, A.LocalHost, 0, m1)
            second = m.QUdpSocket()
            rec = Rec(second)
            ret = second.bind(A.LocalHost, first.localPort(), m2)
            out[f"{n1}/{n2}"] = [ret, second.error().name, second.errorString(), rec.take()]
            if ret:
                out[f"{n1}/{n2}"].append(second.localPort() == first.localPort())
    return out


@scenario
def sc_bind_conflicts_families(m: Any) -> Any:
    A = m.QHostAddress
    pairs = [
        (A.Any, A.LocalHost),
        (A.LocalHost, A.Any),
        (A.Any, A.LocalHostIPv6),
        (A.Any, A.Any),
        (A.AnyIPv4, A.LocalHost),
        (A.AnyIPv6, A.LocalHost),
        (A.AnyIPv6, A.AnyIPv4),
        (A.LocalHostIPv6, A.LocalHost),
    ]
    out = []
    for a1, a2 in pairs:
        first = bound(m, a1)
        second = m.QUdpSocket()
        ret = second.bind(a2, first.localPort())
        out.append([a1.name, a2.name, ret, second.error().name])
    return out


@scenario
def sc_bind_twice(m: Any) -> Any:
    s = bound(m)
    port = s.localPort()
    rec = Rec(s)
    m.stderr()
    ret = s.bind(m.QHostAddress.LocalHost, 0)
    err = m.stderr()
    ret2 = s.bind(m.QHostAddress.AnyIPv6, 0)
    err2 = m.stderr()
    return {
        "ret": [ret, ret2],
        "stderr": [err, err2],
        "signals": rec.take(),
        "samePort": s.localPort() == port,
        **state(s),
    }


@scenario
def sc_bind_twice_after_error(m: Any) -> Any:
    # The error re-emitted by a second bind is the socket's current error.
    first = bound(m)
    s = m.QUdpSocket()
    s.bind(m.QHostAddress.LocalHost, first.localPort())  # AddressInUse
    s.bind(m.QHostAddress.LocalHost, 0)
    rec = Rec(s)
    ret = s.bind(m.QHostAddress.LocalHost, 0)
    m.stderr()
    return {"ret": ret, "signals": rec.take(), **state(s)}


@scenario
def sc_failed_bind_signals(m: Any) -> Any:
    first = bound(m)
    s = m.QUdpSocket()
    rec = Rec(s)
    out = {"inuse": s.bind(m.QHostAddress.LocalHost, first.localPort())}
    out["inuse_signals"] = rec.take()
    out["inuse_state"] = state(s)
    m.pump()
    out["later_signals"] = rec.take()
    t = m.QUdpSocket()
    rec = Rec(t)
    out["notavail"] = t.bind(m.QHostAddress("192.0.2.1"), 0)
    out["notavail_signals"] = rec.take()
    out["notavail_state"] = state(t)
    return out


@scenario
def sc_bind_after_failed_bind(m: Any) -> Any:
    # Qt keeps the engine of a failed bind; the next bind reuses its family.
    out = {}
    for label, a1, a2 in [
        ("v4fail->v4", "192.0.2.1", "127.0.0.1"),
        ("v6fail->v6", "2001:db8::1", "::1"),
        ("v4fail->v6", "192.0.2.1", "::1"),
        ("v6fail->v4", "2001:db8::1", "127.0.0.1"),
    ]:
        s = m.QUdpSocket()
        r1 = s.bind(m.QHostAddress(a1), 0)
        r2 = s.bind(m.QHostAddress(a2), 0)
        out[label] = [r1, r2, state(s)]
    s = m.QUdpSocket()
    s.bind(m.QHostAddress("192.0.2.1"), 0)
    rx = bound(m)
    out["v4fail->write"] = [
        s.writeDatagram(b"x", m.QHostAddress.LocalHost, rx.localPort()),
        state(s),
    ]
    m.stderr()
    return out


@scenario
def sc_write_unbound(m: Any) -> Any:
    rx = bound(m)
    s = m.QUdpSocket()
    rec = Rec(s)
    n = s.writeDatagram(b"hello", m.QHostAddress.LocalHost, rx.localPort())
    sig = rec.take()
    m.pump()
    got = None
    if wait_pending(m, rx):
        d = rx.receiveDatagram()
        got = [norm(d.data()), addr(d.senderAddress()), d.senderPort() == s.localPort()]
    out = {"ret": n, "signals": sig, "later": rec.take(), "got": got, **state(s)}
    s.close()
    rec.take()
    n = s.writeDatagram(b"again", m.QHostAddress.LocalHostIPv6, rx.localPort() + 0)
    out["afterClose"] = [n, rec.take(), state(s)]
    return out


@scenario
def sc_write_datagram_object_unbound(m: Any) -> Any:
    rx = bound(m)
    s = m.QUdpSocket()
    rec = Rec(s)
    n = s.writeDatagram(m.QNetworkDatagram(b"dg", m.QHostAddress.LocalHost, rx.localPort()))
    t = m.QUdpSocket()
    rec2 = Rec(t)
    n2 = t.writeDatagram(m.QNetworkDatagram(b"dg"))
    return {
        "ret": n,
        "signals": rec.take(),
        "state": state(s),
        "nodest_ret": n2,
        "nodest_signals": rec2.take(),
        "nodest_state": state(t),
        "received": wait_pending(m, rx) and norm(rx.receiveDatagram().data()),
    }


def _size_case(m: Any, bind_to: Any, dest: Any, size: int, rx: Any) -> Any:
    tx = bound(m, bind_to)
    rec = Rec(tx)
    n = tx.writeDatagram(b"x" * size, dest, rx.localPort())
    out = [n, tx.error().name, tx.errorString(), rec.take(), tx.state().name]
    if n > 0 and wait_pending(m, rx):
        out.append(rx.pendingDatagramSize())
        d = rx.receiveDatagram()
        out.append(len(bytes(d.data())))
    return out


@scenario
def sc_datagram_sizes(m: Any) -> Any:
    A = m.QHostAddress
    rx4 = bound(m, A.LocalHost)
    rx6 = bound(m, A.LocalHostIPv6)
    rxa = bound(m, A.Any)
    out = {}
    for size in (65507, 65508):
        out[f"v4 {size}"] = _size_case(m, A.LocalHost, A.LocalHost, size, rx4)
        out[f"any->v4 {size}"] = _size_case(m, A.Any, A.LocalHost, size, rxa)
    for size in (65507, 65527, 65528):
        out[f"v6 {size}"] = _size_case(m, A.LocalHostIPv6, A.LocalHostIPv6, size, rx6)
        out[f"any->v6 {size}"] = _size_case(m, A.Any, A.LocalHostIPv6, size, rxa)
    out["v4 70000"] = _size_case(m, A.LocalHost, A.LocalHost, 70000, rx4)
    return out


@scenario
def sc_write_port_zero(m: Any) -> Any:
    out = {}
    s = bound(m)
    rec = Rec(s)
    out["bound"] = [s.writeDatagram(b"x", m.QHostAddress.LocalHost, 0), rec.take(), state(s)]
    u = m.QUdpSocket()
    rec = Rec(u)
    out["unbound"] = [u.writeDatagram(b"x", m.QHostAddress.LocalHost, 0), rec.take(), state(u)]
    return out


@scenario
def sc_write_destinations(m: Any) -> Any:
    A = m.QHostAddress
    out = {}
    rx4 = bound(m, A.LocalHost)
    rx6 = bound(m, A.LocalHostIPv6)
    rxa = bound(m, A.Any)
    cases = [
        ("v6only->v4", A.AnyIPv6, rx4, A.LocalHost),
        ("v6only->mapped", A.AnyIPv6, rxa, A("::ffff:127.0.0.1")),
        ("any->v4", A.Any, rx4, A.LocalHost),
        ("any->v6", A.Any, rx6, A.LocalHostIPv6),
        ("any->mapped", A.Any, rx4, A("::ffff:127.0.0.1")),
        ("v4->127.255.255.255", A.AnyIPv4, rxa, A("127.255.255.255")),
        ("v4->broadcast", A.AnyIPv4, rxa, A.Broadcast),
        ("v4->unused port", A.LocalHost, None, A.LocalHost),
    ]
    for label, src, rx, dst in cases:
        tx = bound(m, src)
        rec = Rec(tx)
        port = rx.localPort() if rx is not None else 9
        n = tx.writeDatagram(b"abc", dst, port)
        got = None
        if n > 0 and rx is not None and wait_pending(m, rx):
            d = rx.receiveDatagram()
            got = [addr(d.senderAddress()), addr(d.destinationAddress())]
        out[label] = [n, tx.error().name, rec.take(), got]
    return out


@scenario
def sc_write_data_types(m: Any) -> Any:
    rx = bound(m)
    s = bound(m)
    out = {}
    for label, data in [("bytes", b"ab"), ("bytearray", bytearray(b"cd"))]:
        out[label] = call(s.writeDatagram, data, m.QHostAddress.LocalHost, rx.localPort())
    out["received"] = drain(rx) if wait_pending(m, rx) else None
    out["str"] = call(s.writeDatagram, "ab", m.QHostAddress.LocalHost, rx.localPort())
    out["int"] = call(s.writeDatagram, 5, m.QHostAddress.LocalHost, rx.localPort())
    out["strType"] = out["str"].split(":")[0]
    out["intType"] = out["int"].split(":")[0]
    del out["str"], out["int"]
    return out


# --------------------------------------------------------------------------
# Receiving


@scenario
def sc_empty_datagram(m: Any) -> Any:
    rx = bound(m)
    tx = bound(m)
    rrec = Rec(rx)
    trec = Rec(tx)
    n = tx.writeDatagram(b"", m.QHostAddress.LocalHost, rx.localPort())
    m.pump()
    out = {
        "ret": n,
        "txSignals": trec.take(),
        "readyRead": rrec.count("readyRead"),
        "has": rx.hasPendingDatagrams(),
        "size": rx.pendingDatagramSize(),
    }
    data, sender, port = rx.readDatagram(10)
    out.update(
        data=norm(data),
        sender=addr(sender),
        portIsTx=port == tx.localPort(),
        hasAfter=rx.hasPendingDatagrams(),
        sizeAfter=rx.pendingDatagramSize(),
    )
    return out


@scenario
def sc_read_truncation(m: Any) -> Any:
    rx = bound(m)
    tx = bound(m)
    out: dict[str, Any] = {}
    for label, how in [
        ("read0", lambda: rx.readDatagram(0)),
        ("read3", lambda: rx.readDatagram(3)),
        ("read100", lambda: rx.readDatagram(100)),
        ("recv3", lambda: rx.receiveDatagram(3)),
        ("recv0", lambda: rx.receiveDatagram(0)),
        ("recvKw3", lambda: rx.receiveDatagram(maxSize=3)),
        ("recv-1", lambda: rx.receiveDatagram(-1)),
    ]:
        tx.writeDatagram(b"0123456789", m.QHostAddress.LocalHost, rx.localPort())
        wait_pending(m, rx)
        size = rx.pendingDatagramSize()
        r = how()
        if isinstance(r, tuple):
            res = [norm(r[0]), addr(r[1]), r[2] == tx.localPort()]
        else:
            res = [norm(r.data()), addr(r.senderAddress()), r.senderPort() == tx.localPort()]
        out[label] = [size, res, rx.hasPendingDatagrams(), rx.error().name]
    return out


def _meta(m: Any, rx_addr: Any, tx_addr: Any, dest: Any) -> Any:
    rx = bound(m, rx_addr)
    tx = bound(m, tx_addr)
    tx.writeDatagram(b"meta", dest, rx.localPort())
    tx.writeDatagram(b"meta2", dest, rx.localPort())
    if not wait_pending(m, rx):
        return "nothing arrived"
    d = rx.receiveDatagram()
    data, sender, port = rx.readDatagram(100)
    return {
        "dgram": dgram(d, rx, tx),
        "destScope": d.destinationAddress().scopeId(),
        "senderScope": d.senderAddress().scopeId(),
        "senderProto": d.senderAddress().protocol().name,
        "destProto": d.destinationAddress().protocol().name,
        "read": [norm(data), addr(sender), sender.protocol().name, port == tx.localPort()],
    }


@scenario
def sc_receive_metadata(m: Any) -> Any:
    A = m.QHostAddress
    return {
        "v4": _meta(m, A.LocalHost, A.LocalHost, A.LocalHost),
        "anyv4": _meta(m, A.AnyIPv4, A.LocalHost, A.LocalHost),
        "v6": _meta(m, A.LocalHostIPv6, A.LocalHostIPv6, A.LocalHostIPv6),
        "anyv6": _meta(m, A.AnyIPv6, A.LocalHostIPv6, A.LocalHostIPv6),
        "dual<-v4": _meta(m, A.Any, A.LocalHost, A.LocalHost),
        "dual<-v6": _meta(m, A.Any, A.LocalHostIPv6, A.LocalHostIPv6),
        "dual<-dual": _meta(m, A.Any, A.Any, A.LocalHost),
    }


@scenario
def sc_datagram_send_options(m: Any) -> Any:
    A = m.QHostAddress
    rx = bound(m)
    tx = bound(m)
    d = m.QNetworkDatagram(b"hop", A.LocalHost, rx.localPort())
    d.setHopLimit(5)
    n1 = tx.writeDatagram(d)
    wait_pending(m, rx)
    got1 = rx.receiveDatagram()
    d2 = m.QNetworkDatagram(b"if", A.LocalHost, rx.localPort())
    d2.setInterfaceIndex(1)
    n2 = tx.writeDatagram(d2)
    wait_pending(m, rx)
    got2 = rx.receiveDatagram()
    senders = []
    for src in (A.LocalHost, A.AnyIPv4, A.Any):
        t = bound(m, src)
        d3 = m.QNetworkDatagram(b"src", A.LocalHost, rx.localPort())
        d3.setSender(A("127.0.0.5"))
        n3 = t.writeDatagram(d3)
        got3 = rx.receiveDatagram() if wait_pending(m, rx) else None
        senders.append([n3, got3 and addr(got3.senderAddress()), t.error().name])
    # The reply cycle: makeReply of a received datagram goes back to its sender.
    reply = got1.makeReply(b"pong")
    n4 = rx.writeDatagram(reply)
    wait_pending(m, tx)
    got4 = tx.receiveDatagram()
    return {
        "hop": [n1, got1.hopLimit(), norm(got1.data())],
        "ifindex": [n2, got2.interfaceIndex(), norm(got2.data())],
        "setSender": senders,
        "reply": [n4, dgram(reply), dgram(got4, tx, rx)],
        "errors": [tx.error().name, rx.error().name],
    }


@scenario
def sc_receive_nothing_pending(m: Any) -> Any:
    s = bound(m)
    rec = Rec(s)
    out = {}
    for label, args in [("()", ()), ("(-1)", (-1,)), ("(10)", (10,)), ("(0)", (0,))]:
        d = s.receiveDatagram(*args)
        out[label] = [dgram(d), s.error().name, s.errorString(), rec.take()]
    out["has"] = s.hasPendingDatagrams()
    out["size"] = s.pendingDatagramSize()
    return out


def _rr_pair(m: Any) -> tuple[Any, Any, Rec]:
    rx = bound(m)
    tx = bound(m)
    return rx, tx, Rec(rx, names=("readyRead",))


def _send(m: Any, tx: Any, rx: Any, *payloads: bytes) -> None:
    for p in payloads:
        tx.writeDatagram(p, m.QHostAddress.LocalHost, rx.localPort())


@scenario
def sc_readyread_unread(m: Any) -> Any:
    rx, tx, rec = _rr_pair(m)
    steps = []
    _send(m, tx, rx, b"1", b"2", b"3")
    m.pump()
    steps.append(["3 sent", rec.count("readyRead")])
    m.pump()
    steps.append(["pump again", rec.count("readyRead")])
    _send(m, tx, rx, b"4")
    m.pump()
    steps.append(["new arrival, unread", rec.count("readyRead")])
    rx.receiveDatagram()
    m.pump()
    steps.append(["read one outside", rec.count("readyRead")])
    data = drain(rx)
    m.pump()
    steps.append(["drained", rec.count("readyRead"), data])
    _send(m, tx, rx, b"5")
    m.pump()
    steps.append(["after drain, new", rec.count("readyRead")])
    return steps


@scenario
def sc_readyread_read_one_per_slot(m: Any) -> Any:
    rx = bound(m)
    tx = bound(m)
    got: list[Any] = []

    def slot() -> None:
        if rx.hasPendingDatagrams():
            got.append(norm(rx.readDatagram(100)[0]))
        else:
            got.append("none")

    rx.readyRead.connect(slot)
    _send(m, tx, rx, b"a", b"b", b"c")
    m.pump()
    after = list(got)
    m.pump()
    return {"calls": after, "laterCalls": got[len(after) :], "pending": rx.hasPendingDatagrams()}


@scenario
def sc_readyread_slot_reads_nothing(m: Any) -> Any:
    rx, tx, rec = _rr_pair(m)
    steps = []
    _send(m, tx, rx, b"1", b"2")
    m.pump()
    steps.append(rec.count("readyRead"))
    _send(m, tx, rx, b"3")
    m.pump()
    steps.append(rec.count("readyRead"))
    rx.receiveDatagram()
    _send(m, tx, rx, b"4")
    m.pump()
    steps.append(rec.count("readyRead"))
    steps.append(drain(rx))
    return steps


@scenario
def sc_readyread_read_all_in_slot(m: Any) -> Any:
    rx = bound(m)
    tx = bound(m)
    got: list[Any] = []

    def slot() -> None:
        got.append(drain(rx))

    rx.readyRead.connect(slot)
    _send(m, tx, rx, b"a", b"b", b"c")
    m.pump()
    first = list(got)
    _send(m, tx, rx, b"d")
    m.pump()
    return {"first": first, "all": got}


@scenario
def sc_channel_ready_read(m: Any) -> Any:
    rx = bound(m)
    tx = bound(m)
    rec = Rec(rx, names=("readyRead", "channelReadyRead"))
    _send(m, tx, rx, b"1")
    m.pump()
    return rec.take()


# --------------------------------------------------------------------------
# close / abort / errors


def _close_case(m: Any, action: str, pending: bool = False) -> Any:
    s = bound(m)
    port = s.localPort()
    if pending:
        tx = bound(m)
        _send(m, tx, s, b"pending")
        wait_pending(m, s)
    rec = Rec(s)
    getattr(s, action)()
    first = rec.take()
    after = state(s)
    getattr(s, action)()
    second = rec.take()
    m.pump()
    out = {"signals": first, "state": after, "again": second, "later": rec.take()}
    if pending:
        out["rebind"] = s.bind(m.QHostAddress.LocalHost, port)
        out["pendingAfterRebind"] = s.hasPendingDatagrams()
    return out


@scenario
def sc_close_bound(m: Any) -> Any:
    return _close_case(m, "close", pending=True)


@scenario
def sc_abort_bound(m: Any) -> Any:
    return _close_case(m, "abort")


@scenario
def sc_disconnect_from_host_bound(m: Any) -> Any:
    return _close_case(m, "disconnectFromHost")


@scenario
def sc_close_unbound(m: Any) -> Any:
    s = m.QUdpSocket()
    rec = Rec(s)
    s.close()
    s.abort()
    s.disconnectFromHost()
    return {"signals": rec.take(), "state": state(s), "stderr": m.stderr()}


@scenario
def sc_abort_then_bind_close(m: Any) -> Any:
    s = bound(m)
    s.abort()
    rec = Rec(s)
    s.bind(m.QHostAddress.LocalHost, 0)
    s.close()
    return rec.take()


@scenario
def sc_rebind_after_close_other_family(m: Any) -> Any:
    s = bound(m)
    s.close()
    ok = s.bind(m.QHostAddress.LocalHostIPv6, 0)
    return {"ret": ok, **state(s)}


@scenario
def sc_error_sticky(m: Any) -> Any:
    first = bound(m)
    s = m.QUdpSocket()
    out = {"fail": s.bind(m.QHostAddress.LocalHost, first.localPort())}
    out["afterFail"] = [s.error().name, s.errorString()]
    out["ok"] = s.bind(m.QHostAddress.LocalHost, 0)
    out["afterOk"] = [s.state().name, s.error().name, s.errorString()]
    out["write"] = s.writeDatagram(b"x", m.QHostAddress.LocalHost, first.localPort())
    out["afterWrite"] = [s.error().name, s.errorString()]
    s.close()
    out["afterClose"] = [s.error().name, s.errorString()]
    t = bound(m)
    t.writeDatagram(b"x" * 70000, m.QHostAddress.LocalHost, first.localPort())
    out["tooLarge"] = [t.error().name, t.errorString()]
    out["write2"] = t.writeDatagram(b"x", m.QHostAddress.LocalHost, first.localPort())
    out["afterWrite2"] = [t.error().name, t.errorString()]
    return out


_OPTIONS = (
    "LowDelayOption",
    "KeepAliveOption",
    "MulticastTtlOption",
    "MulticastLoopbackOption",
    "TypeOfServiceOption",
    "SendBufferSizeSocketOption",
    "ReceiveBufferSizeSocketOption",
    "PathMtuSocketOption",
    "KeepAliveIdleOption",
    "KeepAliveIntervalOption",
    "KeepAliveCountOption",
)


def _opts(m: Any, s: Any) -> dict[str, Any]:
    Opt = m.QAbstractSocket.SocketOption
    return {n: call(s.socketOption, getattr(Opt, n)) for n in _OPTIONS}


@scenario
def sc_socket_option_defaults(m: Any) -> Any:
    A = m.QHostAddress
    out = {"unbound": _opts(m, m.QUdpSocket())}
    for label, a in [
        ("v4", A.LocalHost),
        ("anyv4", A.AnyIPv4),
        ("v6", A.LocalHostIPv6),
        ("anyv6", A.AnyIPv6),
        ("dual", A.Any),
    ]:
        out[label] = _opts(m, bound(m, a))
    return out


@scenario
def sc_socket_option_set(m: Any) -> Any:
    A = m.QHostAddress
    Opt = m.QAbstractSocket.SocketOption
    sets = [
        ("ReceiveBufferSizeSocketOption", 100000),
        ("ReceiveBufferSizeSocketOption", 1),
        ("SendBufferSizeSocketOption", 100000),
        ("MulticastTtlOption", 5),
        ("MulticastLoopbackOption", 0),
        ("MulticastLoopbackOption", True),
        ("TypeOfServiceOption", 0x10),
        ("KeepAliveOption", 1),
        ("LowDelayOption", 1),
        ("PathMtuSocketOption", 1000),
    ]
    out = {}
    for label, a in [("v4", A.LocalHost), ("v6", A.LocalHostIPv6), ("dual", A.Any)]:
        s = bound(m, a)
        res = []
        for name, value in sets:
            r = call(s.setSocketOption, getattr(Opt, name), value)
            res.append([name, value, r, call(s.socketOption, getattr(Opt, name))])
        out[label] = res
    s = m.QUdpSocket()
    r = call(s.setSocketOption, Opt.ReceiveBufferSizeSocketOption, 100000)
    call(s.setSocketOption, Opt.MulticastTtlOption, 7)
    s.bind(A.LocalHost, 0)
    out["beforeBind"] = [
        r,
        s.socketOption(Opt.ReceiveBufferSizeSocketOption),
        s.socketOption(Opt.MulticastTtlOption),
    ]
    t = m.QUdpSocket()
    call(t.setSocketOption, Opt.MulticastTtlOption, 7)
    rx = bound(m)
    t.writeDatagram(b"x", A.LocalHost, rx.localPort())
    out["beforeAutoBind"] = t.socketOption(Opt.MulticastTtlOption)
    return out


@scenario
def sc_iodevice_chars(m: Any) -> Any:
    """QIODevice calls on a UDP socket: getChar / ungetChar / putChar, skip,
    position and size, transactions, text mode, the bookkeeping calls, on a
    fresh socket and on a connected pair. (readLine, canReadLine and peek
    differ by design: docs/semantics.md.)"""
    A = m.QHostAddress
    out: dict[str, Any] = {}
    u = m.QUdpSocket()
    out["fresh"] = [
        call(u.getChar),
        call(u.putChar, 65),
        call(u.ungetChar, 65),
        call(u.skip, 3),
        call(u.pos),
        call(u.size),
        call(u.atEnd),
        call(u.seek, 0),
        call(u.reset),
        call(u.setTextModeEnabled, True),
        call(u.isTextModeEnabled),
        call(u.readChannelCount),
        call(u.writeChannelCount),
        call(u.currentReadChannel),
        call(u.readBufferSize),
        call(u.waitForDisconnected, 10),
        call(u.isTransactionStarted),
        call(u.protocolTag),
        m.stderr(),
    ]
    rx, tx = bound(m), bound(m)
    rx.connectToHost(A.LocalHost, tx.localPort())
    tx.connectToHost(A.LocalHost, rx.localPort())
    steps: list[Any] = []

    def send(*ds: bytes) -> None:
        for d in ds:
            tx.write(d)
        wait_pending(m, rx)

    send(b"abc", b"def", b"ghi")
    steps.append(["getChar", call(rx.getChar), call(rx.bytesAvailable)])
    steps.append(
        ["ungetChar", call(rx.ungetChar, ord("Z")), call(rx.bytesAvailable), call(rx.size)]
    )
    steps.append(["pos/atEnd", call(rx.pos), call(rx.atEnd)])
    steps.append(["read 2", call(rx.read, 2), call(rx.bytesAvailable)])
    steps.append(["read 0", call(rx.read, 0), call(rx.pendingDatagramSize)])
    steps.append(["read", call(rx.read, 100), call(rx.atEnd), call(rx.getChar)])
    send(b"abc", b"def", b"ghi")
    rx.startTransaction()
    steps.append(["tx", call(rx.read, 2), call(rx.getChar), call(rx.isTransactionStarted)])
    rx.rollbackTransaction()
    steps.append(["rollback", call(rx.bytesAvailable), call(rx.read, 100), call(rx.read, 100)])
    rx.startTransaction()
    rx.startTransaction()
    rx.commitTransaction()
    rx.commitTransaction()
    rx.rollbackTransaction()
    steps.append(["tx warnings", call(rx.isTransactionStarted), m.stderr()])
    send(b"xyz", b"abc")
    rx.ungetChar(ord("A"))
    steps.append(["skip", call(rx.skip, 0), call(rx.skip, 3), call(rx.read, 100), call(rx.skip, 9)])
    send(b"a\r\nb", b"\rcd", b"x\ry\r")
    rx.setTextModeEnabled(True)
    steps.append(["text", call(rx.isTextModeEnabled), norm(rx.openMode()), call(rx.read, 100)])
    steps.append(["text getChar", call(rx.getChar), call(rx.read, 100)])
    rx.setTextModeEnabled(False)
    steps.append(["readLine 1", call(rx.readLine, 1), m.stderr()])
    steps.append(["putChar", call(tx.putChar, 66), call(tx.putChar, -1)])
    wait_pending(m, rx)
    steps.append(["got", drain(rx)])
    steps.append(["channels", call(rx.readChannelCount), call(rx.writeChannelCount)])
    # Qt stores any channel number and then crashes on the next read of a
    # channel that does not exist; qudp refuses all but channel 0.
    rx.setCurrentReadChannel(0)
    rx.setCurrentWriteChannel(0)
    rx.setReadBufferSize(10)
    steps.append(["settings", call(rx.currentReadChannel), call(rx.readBufferSize)])
    rx.startTransaction()
    rx.setCurrentReadChannel(0)
    steps.append(["channel in tx", call(rx.currentReadChannel), m.stderr()])
    rx.rollbackTransaction()
    steps.append(["waitForDisconnected", call(rx.waitForDisconnected, 10)])
    rx.ungetChar(ord("Q"))
    rx.setTextModeEnabled(True)
    rx.close()
    steps.append(
        ["closed", call(rx.bytesAvailable), call(rx.isTextModeEnabled), norm(rx.openMode())]
    )
    out["connected"] = steps
    look = m.QUdpSocket()
    look.connectToHost("localhost", 9)
    out["lookup"] = [look.state().name, call(look.putChar, 65), look.error().name]
    out["stderr"] = m.stderr()
    return out


@scenario
def sc_socket_option_values(m: Any) -> Any:
    """Values go to the kernel as Qt passes them: TTL -1 is the default (1),
    IPv4 loopback takes any non-zero as 1, IPv6 only 0 and 1 (others leave
    it), out-of-range TTLs and TOS bits are the kernel's business."""
    A = m.QHostAddress
    Opt = m.QAbstractSocket.SocketOption
    steps = [
        ("MulticastTtlOption", [5, -1, 7, 300, -2, 255, 256, 0]),
        ("MulticastLoopbackOption", [0, 2, 0, 1, 0, -1, 0, 7, 1, 5]),
        ("TypeOfServiceOption", [300, 0x10, -1]),
        ("SendBufferSizeSocketOption", [-1]),
        ("ReceiveBufferSizeSocketOption", [0]),
    ]
    out = {}
    for label, a in [("v4", A.LocalHost), ("v6", A.LocalHostIPv6), ("dual", A.Any)]:
        s = bound(m, a)
        res = []
        for name, values in steps:
            for v in values:
                call(s.setSocketOption, getattr(Opt, name), v)
                res.append([name, v, call(s.socketOption, getattr(Opt, name))])
        out[label] = res
    return out


# --------------------------------------------------------------------------
# setSocketDescriptor


def _pysock(family: int = socket.AF_INET, host: str | None = "127.0.0.1") -> socket.socket:
    p = socket.socket(family, socket.SOCK_DGRAM)
    if host is not None:
        p.bind((host, 0))
    return p


def _fd_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _adopt(m: Any, p: socket.socket, *args: Any) -> dict[str, Any]:
    fd = p.detach()  # the QUdpSocket owns it from now on
    s = m.QUdpSocket()
    rec = Rec(s)
    ret = s.setSocketDescriptor(fd, *args)
    import fcntl  # POSIX only; the scenarios run only in a Linux network namespace

    nonblock = bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK) if _fd_open(fd) else None
    out = {
        "ret": ret,
        "signals": rec.take(),
        "sameFd": s.socketDescriptor() == fd,
        "nonblocking": nonblock,
        "peer": addr(s.peerAddress()),
        "peerPort": portk(s.peerPort()),
        **state(s),
    }
    out["_sock"] = s
    out["_fd"] = fd
    out["_rec"] = rec
    return out


def _strip(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if not k.startswith("_")}


@scenario
def sc_set_socket_descriptor_default(m: Any) -> Any:
    p = _pysock()
    port = p.getsockname()[1]
    out = _adopt(m, p)
    s, fd, rec = out["_sock"], out["_fd"], out["_rec"]
    out["samePort"] = s.localPort() == port
    tx = bound(m)
    _send(m, tx, s, b"via fd")
    m.pump()
    out["readyRead"] = rec.count("readyRead")
    rec.take()
    out["read"] = drain(s) if wait_pending(m, s) else None
    s.close()
    out["closeSignals"] = rec.take()
    out["fdOpenAfterClose"] = _fd_open(fd)
    out["afterClose"] = state(s)
    return _strip(out)


@scenario
def sc_set_socket_descriptor_states(m: Any) -> Any:
    S = m.QUdpSocket
    out = {}
    for label, args in [
        ("Bound+ReadOnly", (S.BoundState, S.ReadOnly)),
        ("Bound", (S.BoundState,)),
        ("Unconnected", (S.UnconnectedState,)),
        ("Connecting", (S.ConnectingState,)),
        ("Connected+WriteOnly", (S.ConnectedState, S.WriteOnly)),
    ]:
        r = _adopt(m, _pysock(), *args)
        s = r["_sock"]
        r["receives"] = None
        if s.state() == S.BoundState:
            tx = bound(m)
            _send(m, tx, s, b"x")
            r["receives"] = drain(s) if wait_pending(m, s) else None
        s.close()
        r["closeSignals"] = r["_rec"].take()
        r["stateAfterClose"] = s.state().name
        out[label] = _strip(r)
    return out


@scenario
def sc_set_socket_descriptor_kinds(m: Any) -> Any:
    out = {}
    out["v6"] = _strip(_adopt(m, _pysock(socket.AF_INET6, "::1")))
    out["unbound"] = _strip(_adopt(m, _pysock(host=None)))
    c = _pysock()
    c.connect(("127.0.0.1", 9))
    out["connected"] = _strip(_adopt(m, c))
    s = bound(m)
    r = _adopt(m, _pysock())
    # Replacing the descriptor of a socket that is already bound.
    p = _pysock()
    fd = p.detach()
    rec = Rec(s)
    out["onBound"] = [s.setSocketDescriptor(fd), rec.take(), state(s), s.socketDescriptor() == fd]
    del r
    return out


@scenario
def sc_set_socket_descriptor_invalid(m: Any) -> Any:
    out = {}
    gone = _pysock()
    closed_fd = gone.fileno()
    gone.close()
    for label, fd in [("-1", -1), ("9999 (not open)", 9999), ("just closed", closed_fd)]:
        assert fd == -1 or not _fd_open(fd)
        s = m.QUdpSocket()
        rec = Rec(s)
        ret = s.setSocketDescriptor(fd)
        out[label] = {"ret": ret, "signals": rec.take(), **state(s)}
    m.stderr()
    return out


# --------------------------------------------------------------------------
# waitFor*


@scenario
def sc_wait_for_ready_read_timeout(m: Any) -> Any:
    s = bound(m)
    rec = Rec(s)
    t0 = time.monotonic()
    ret = s.waitForReadyRead(100)
    dt = time.monotonic() - t0
    out = {"ret": ret, "tookAbout100ms": 0.08 <= dt < 1.5, "signals": rec.take(), **state(s)}
    t0 = time.monotonic()
    out["zero"] = [s.waitForReadyRead(0), time.monotonic() - t0 < 0.5, rec.take()]
    out["stateAfter"] = state(s)
    u = m.QUdpSocket()
    rec = Rec(u)
    t0 = time.monotonic()
    out["unbound"] = [u.waitForReadyRead(1000), time.monotonic() - t0 < 0.5, rec.take(), state(u)]
    out["stderr"] = m.stderr()
    return out


@scenario
def sc_wait_for_ready_read_data(m: Any) -> Any:
    rx = bound(m)
    tx = bound(m)
    rec = Rec(rx)
    _send(m, tx, rx, b"w1")
    time.sleep(0.01)
    out = {"first": [rx.waitForReadyRead(1000), rec.take()]}
    out["second"] = [rx.waitForReadyRead(1000), rec.take()]
    out["read"] = drain(rx)
    _send(m, tx, rx, b"w2")
    out["third"] = [rx.waitForReadyRead(1000), rec.take()]
    m.pump()
    out["pumpAfter"] = rec.take()
    out["error"] = [rx.error().name, rx.errorString()]
    return out


@scenario
def sc_wait_for_bytes_written(m: Any) -> Any:
    s = bound(m)
    rec = Rec(s)
    t0 = time.monotonic()
    out = {"bound": [s.waitForBytesWritten(1000), time.monotonic() - t0 < 0.5, rec.take()]}
    out["boundState"] = state(s)
    out["boundStderr"] = m.stderr()
    u = m.QUdpSocket()
    out["unbound"] = [u.waitForBytesWritten(1000), state(u)]
    out["unboundStderr"] = m.stderr()
    return out


@scenario
def sc_unbound_misuse(m: Any) -> Any:
    out = {}
    other = bound(m)
    for label in ("fresh", "closed", "failedBind"):
        s = m.QUdpSocket()
        if label == "closed":
            s.bind(m.QHostAddress.LocalHost, 0)
            s.close()
        if label == "failedBind":
            s.bind(m.QHostAddress.LocalHost, other.localPort())
        rec = Rec(s)
        m.stderr()
        res = {}
        res["hasPendingDatagrams"] = [s.hasPendingDatagrams(), m.stderr()]
        res["pendingDatagramSize"] = [s.pendingDatagramSize(), m.stderr()]
        res["receiveDatagram"] = [dgram(s.receiveDatagram()), m.stderr()]
        res["receiveDatagram(10)"] = [dgram(s.receiveDatagram(10)), m.stderr()]
        res["signals"] = rec.take()
        res["state"] = state(s)
        out[label] = res
    return out


# --------------------------------------------------------------------------
# QHostAddress

ADDRESS_INPUTS: list[Any] = [
    "127.0.0.1",
    "::1",
    "fe80::1%lo",
    "fe80::1%1",
    "fe80::1%eth99",
    "fe80::1%",
    "::ffff:1.2.3.4",
    "1.2.3",
    "127.1",
    "1.65535",
    "0x7f000001",
    "2130706433",
    "4294967295",
    "0177.0.0.1",
    "010.0.0.1",
    "1.2.3.04",
    "1.2.3.08",
    "300.1.1.1",
    "1.2.3.256",
    "1.2.3.4.5",
    "",
    "localhost",
    "[::1]",
    "1.2.3.4:80",
    "1.2.3.4%lo",
    "  127.0.0.1 ",
    " ::1",
    "FE80::ABCD",
    "2001:0db8:0:0:0:0:0:0001",
    "1:0:0:2:0:0:0:3",
    "1:0:2:0:3:0:4:0",
    "0:0:0:0:0:ffff:0102:0304",
    "::127.0.0.1",
    "::ffff:127.0.0.1",
    "::1.2.3.4",
    "::2",
    "::ffff:0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "8.8.8.8",
    "169.254.1.1",
    "224.0.0.1",
    "ff02::1",
    "::ffff:224.0.0.1",
    "255.255.255.255",
    "::ffff:255.255.255.255",
    "fec0::1",
    "fc00::1",
    "fd00::1",
    "0.0.0.0",
    "::",
    "100.64.0.1",
    "127.255.255.254",
    "1:2:3:4:5:6:7:8:9",
    "::1::",
    "1.2.3.4 5",
    "0x100000000",
    "+1.2.3.4",
    "-1.2.3.4",
    0x7F000001,
    0,
    None,
]


def _addr_info(a: Any) -> dict[str, Any]:
    return {
        "str": a.toString(),
        "proto": a.protocol().name,
        "null": a.isNull(),
        "bool": bool(a),
        "scope": a.scopeId(),
        "v4": a.toIPv4Address(),
        "v6": bytes(list(a.toIPv6Address())).hex(),
        "pred": "".join(
            "1" if getattr(a, p)() else "0"
            for p in (
                "isLoopback",
                "isMulticast",
                "isBroadcast",
                "isLinkLocal",
                "isSiteLocal",
                "isUniqueLocalUnicast",
                "isPrivateUse",
                "isGlobal",
            )
        ),
    }


@scenario
def sc_address_parsing(m: Any) -> Any:
    A = m.QHostAddress
    out = {}
    for x in ADDRESS_INPUTS:
        out[repr(x)] = call(lambda x=x: _addr_info(A(x)))
    for sp in ("Null", "Broadcast", "LocalHost", "LocalHostIPv6", "Any", "AnyIPv6", "AnyIPv4"):
        out[sp] = call(lambda sp=sp: _addr_info(A(getattr(A, sp))))
    out["A()"] = _addr_info(A())
    for label, arg in [("-1", -1), ("2**32", 2**32), ("list", ["1.2.3.4"])]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = call(lambda arg=arg: A(arg).toString())
        out[f"ctor {label}"] = r.split(":")[0]
    out["copy"] = _addr_info(A(A("fe80::1%lo")))
    return out


@scenario
def sc_address_set_and_scope(m: Any) -> Any:
    A = m.QHostAddress
    out = {}
    for x in ("1.2.3.4", "bogus", "", "::1", "fe80::2%3"):
        a = A("9.9.9.9")
        r = a.setAddress(x)
        out[f"setAddress({x!r})"] = [r, a.toString(), a.protocol().name, a.isNull()]
    a = A("9.9.9.9")
    out["setAddress(int)"] = [call(a.setAddress, 0x01020304), a.toString()]
    a = A("9.9.9.9")
    out["setAddress(special)"] = [call(a.setAddress, A.LocalHostIPv6), a.toString()]
    a = A("fe80::1")
    out["setScopeId v6"] = [call(a.setScopeId, "eth0"), a.toString(), a.scopeId()]
    a.setScopeId("")
    out["clearScope"] = [a.toString(), a.scopeId()]
    a = A("1.2.3.4")
    a.setScopeId("eth0")
    out["setScopeId v4"] = [a.toString(), a.scopeId()]
    a = A("1.2.3.4")
    out["clear"] = [call(a.clear), a.toString(), a.isNull(), a.protocol().name]
    return out


EQ_PAIRS = [
    ("::ffff:1.2.3.4", "1.2.3.4"),
    ("Any", "AnyIPv4"),
    ("Any", "AnyIPv6"),
    ("AnyIPv4", "AnyIPv6"),
    ("::1", "127.0.0.1"),
    ("::1.2.3.4", "1.2.3.4"),
    ("", ""),
    ("fe80::1%1", "fe80::1"),
    ("fe80::1%1", "fe80::1%lo"),
    ("127.0.0.1", "127.0.0.1"),
    ("127.0.0.1", "127.0.0.2"),
    ("::", "0.0.0.0"),
    ("::ffff:0.0.0.0", "0.0.0.0"),
    ("Any", "Any"),
    ("Any", ""),
    ("2001:db8::1", "2001:DB8::1"),
]


SPECIALS = ("Null", "Broadcast", "LocalHost", "LocalHostIPv6", "Any", "AnyIPv6", "AnyIPv4")


def _mk(A: Any, x: str) -> Any:
    return A(getattr(A, x)) if x in SPECIALS else A(x)


@scenario
def sc_address_equality(m: Any) -> Any:
    A = m.QHostAddress
    modes = {
        "default": (),
        "Strict": (A.StrictConversion,),
        "V4Mapped": (A.ConvertV4MappedToIPv4,),
        "V4Compat": (A.ConvertV4CompatToIPv4,),
        "Unspecified": (A.ConvertUnspecifiedAddress,),
        "LocalHost": (A.ConvertLocalHost,),
        "Tolerant": (A.TolerantConversion,),
    }
    out = {}
    for x, y in EQ_PAIRS:
        a, b = _mk(A, x), _mk(A, y)
        eq = a == b
        out[f"{x} | {y}"] = {
            "==": eq,
            "!=": a != b,
            "rev==": b == a,
            "hashEqIfEq": (hash(a) == hash(b)) if eq else None,
            **{k: a.isEqual(b, *v) for k, v in modes.items()},
        }
    specials = []
    for x in ("127.0.0.1", "::1", "0.0.0.0", "::", "255.255.255.255", "", "::ffff:127.0.0.1"):
        a = A(x)
        for sp in ("Null", "Broadcast", "LocalHost", "LocalHostIPv6", "Any", "AnyIPv6", "AnyIPv4"):
            e = getattr(A, sp)
            r = [a == e, e == a, a != e]
            if any(r[:2]) or r[2] is not True:
                specials.append([x, sp, r])
    out["specials"] = specials
    out["A(Any)==Any"] = A(A.Any) == A.Any
    out["others"] = [
        call(lambda: A("127.0.0.1") == "127.0.0.1"),
        call(lambda: A("127.0.0.1") == 0x7F000001),
        call(lambda: A("127.0.0.1") == None),  # noqa: E711
        call(lambda: A("127.0.0.1") != None),  # noqa: E711
    ]
    out["lt"] = call(lambda: A("1.1.1.1") < A("2.2.2.2")).split(":")[0]
    out["setSize"] = len({A("127.0.0.1"), A(A.LocalHost), A("::1")})
    return out


@scenario
def sc_address_subnets(m: Any) -> Any:
    A = m.QHostAddress
    cases = [
        ("192.168.1.5", "192.168.0.0", 16),
        ("192.169.1.5", "192.168.0.0", 16),
        ("192.168.1.5", "192.168.0.0", 33),
        ("192.168.1.5", "192.168.0.0", -1),
        ("192.168.1.5", "0.0.0.0", 0),
        ("::ffff:192.168.1.5", "192.168.0.0", 16),
        ("192.168.1.5", "::ffff:192.168.0.0", 112),
        ("", "", 0),
        ("2001:db8::1", "2001:db8::", 32),
        ("2001:db9::1", "2001:db8::", 32),
        ("2001:db8::1", "2001:db8::", 129),
        ("10.0.0.1", "10.0.0.1", 32),
        ("10.0.0.1", "10.0.0.0", 31),
    ]
    out = {}
    for a, net, n in cases:
        out[f"{a} in {net}/{n}"] = call(lambda a=a, net=net, n=n: A(a).isInSubnet(A(net), n))
    out["tuple"] = call(lambda: A("192.168.1.5").isInSubnet((A("192.168.0.0"), 16)))
    parse = [
        "192.168.0.0/16",
        "192.168.1.5/16",
        "192.168.0.0/255.255.0.0",
        "192.168.0.0/255.0.255.0",
        "10/8",
        "192.168/16",
        "192.168.1",
        "192.168.0.0",
        "2001:db8::/32",
        "2001:db8::1",
        "2001:db8::/129",
        "192.168.0.0/33",
        "/-1",
        "garbage",
        "",
        "::ffff:1.2.3.4/120",
        "fe80::1%lo/64",
        "0x7f.1/8",
        "10./8",
        " 10.0.0.0/8 ",
    ]
    for p in parse:

        def f(p: str = p) -> Any:
            net, n = A.parseSubnet(p)
            return [net.toString(), n, net.protocol().name]

        out[f"parse {p!r}"] = call(f)
    return out


# --------------------------------------------------------------------------
# QNetworkDatagram


@scenario
def sc_datagram_object(m: Any) -> Any:
    A, D = m.QHostAddress, m.QNetworkDatagram
    out = {}
    out["D()"] = dgram(D())
    out["D(b'abc')"] = dgram(D(b"abc"))
    out["D(b'abc', L4, 1234)"] = dgram(D(b"abc", A("127.0.0.1"), 1234))
    out["D(b'abc', L4)"] = dgram(D(b"abc", A("127.0.0.1")))
    out["D(bytearray, LocalHost, 5)"] = dgram(D(bytearray(b"ba"), A.LocalHost, 5))
    out["D(b'', L4, 5)"] = dgram(D(b"", A("127.0.0.1"), 5))
    out["D(D(...))"] = call(lambda: dgram(D(D(b"cp", A("::1"), 7))))
    out["D(str)"] = call(lambda: D("abc")).split(":")[0]
    out["D(port 70000)"] = call(lambda: D(b"x", A.LocalHost, 70000)).split(":")[0]
    d = D()
    rets = [
        call(d.setData, b"payload"),
        call(d.setSender, A("10.0.0.1")),
        call(d.setDestination, A("10.0.0.2"), 99),
        call(d.setHopLimit, 300),
        call(d.setInterfaceIndex, 3),
    ]
    out["setters"] = [rets, dgram(d)]
    d.setSender(A("10.0.0.1"), 77)
    out["setSenderPort"] = dgram(d)
    hops = []
    for h in (0, -5, -1):
        d.setHopLimit(h)
        hops.append(d.hopLimit())
    out["hops"] = hops
    out["setInterfaceIndex(-1)"] = call(d.setInterfaceIndex, -1).split(":")[0]
    out["setDestination(a,-1)"] = call(d.setDestination, A("10.0.0.2"), -1).split(":")[0]
    out["setDestination(a,70000)"] = call(d.setDestination, A("10.0.0.2"), 70000).split(":")[0]
    out["afterBadSetters"] = dgram(d)
    out["clear"] = [call(d.clear), dgram(d)]
    e = D(b"x")
    e.setSender(A("10.0.0.1"), 5)
    out["senderOnly"] = dgram(e)
    return out


@scenario
def sc_datagram_make_reply(m: Any) -> Any:
    A, D = m.QHostAddress, m.QNetworkDatagram
    out = {}
    for label, dst in [
        ("unicast", "10.0.0.2"),
        ("multicast", "239.1.2.3"),
        ("broadcast", "255.255.255.255"),
        ("v6", "2001:db8::2"),
        ("v6multicast", "ff02::1"),
        ("null", ""),
    ]:
        d = D(b"req", A(dst), 1111)
        d.setSender(A("10.0.0.1"), 2222)
        d.setHopLimit(9)
        d.setInterfaceIndex(4)
        r = d.makeReply(b"resp")
        out[label] = [dgram(r), dgram(d)]
    out["empty"] = dgram(D().makeReply(b"x"))
    return out


@scenario
def sc_datagram_copy_semantics(m: Any) -> Any:
    import copy

    A, D = m.QHostAddress, m.QNetworkDatagram
    d = D(b"a", A("10.0.0.2"), 5)
    try:
        c = copy.copy(d)
    except Exception as e:
        return {"copy.copy": "raised " + exc(e)}
    c.setData(b"b")
    c.setHopLimit(3)
    dest = d.destinationAddress()
    dest.setAddress("10.9.9.9")
    return {"orig": dgram(d), "copy": dgram(c)}


# --------------------------------------------------------------------------
# Signals


@scenario
def sc_signal_connect_twice(m: Any) -> Any:
    s = m.QUdpSocket()
    calls: list[Any] = []

    def f(n: int) -> None:
        calls.append(["f", n])

    def g(n: int) -> None:
        calls.append(["g", n])

    out: dict[str, Any] = {}
    c1 = s.bytesWritten.connect(f)
    s.bytesWritten.connect(g)
    s.bytesWritten.connect(f)
    s.bytesWritten.connect(f)
    out["connBool"] = bool(c1)
    out["emit"] = s.bytesWritten.emit(42)
    out["calls3"] = list(calls)
    calls.clear()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out["disc1"] = s.bytesWritten.disconnect(f)
        s.bytesWritten.emit(1)
        out["afterDisc1"] = list(calls)
        calls.clear()
        out["disc2"] = s.bytesWritten.disconnect(f)
        s.bytesWritten.emit(2)
        out["afterDisc2"] = sorted(calls)
        calls.clear()
        out["warnings"] = [hexaddr(str(x.message)) for x in w]
    out["discAll"] = s.bytesWritten.disconnect()
    s.bytesWritten.emit(3)
    out["afterDiscAll"] = list(calls)
    calls.clear()
    s.readyRead.connect(lambda: calls.append("f"))
    fn = calls.append
    s.stateChanged.connect(f)
    s.stateChanged.connect(g)
    s.stateChanged.connect(f)
    s.stateChanged.disconnect(f)
    s.stateChanged.emit(m.QAbstractSocket.BoundState)
    out["fgf-f"] = [c[0] for c in calls]
    calls.clear()
    del fn
    c = s.readyRead.connect(lambda: calls.append("lam"))
    out["discConn"] = s.readyRead.disconnect(c)
    s.readyRead.emit()
    out["afterDiscConn"] = list(calls)
    return out


@scenario
def sc_signal_disconnect_unknown(m: Any) -> Any:
    s = m.QUdpSocket()

    def never() -> None:
        pass

    out = {}
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out["readyRead"] = s.readyRead.disconnect(never)
        out["bytesWritten"] = s.bytesWritten.disconnect(never)
        out["stateChanged"] = s.stateChanged.disconnect(never)
        out["errorOccurred"] = s.errorOccurred.disconnect(never)
        out["none"] = s.readyRead.disconnect()
        s.readyRead.connect(never)
        out["once"] = s.readyRead.disconnect(never)
        out["again"] = s.readyRead.disconnect(never)
        out["warnings"] = [[x.category.__name__, hexaddr(str(x.message))] for x in w]
    return out


@scenario
def sc_signal_slot_arity(m: Any) -> Any:
    rx = bound(m)
    s = bound(m)
    got: list[Any] = []

    def zero() -> None:
        got.append("zero")

    def defaults(a: Any = 1, b: Any = 2, c: Any = 3) -> None:
        got.append(["defaults", a, b, c])

    def star(*a: Any) -> None:
        got.append(["star", list(a)])

    def two(a: Any, b: Any) -> None:
        got.append("two")

    class Obj:
        def meth(self) -> None:
            got.append("meth")

        def meth1(self, n: int) -> None:
            got.append(["meth1", n])

    o = Obj()
    s.bytesWritten.connect(lambda: got.append("lambda0"))
    s.bytesWritten.connect(zero)
    s.bytesWritten.connect(defaults)
    s.bytesWritten.connect(star)
    s.bytesWritten.connect(o.meth)
    s.bytesWritten.connect(o.meth1)
    s.bytesWritten.connect(two)
    s.bytesWritten.connect(lambda n: got.append(["after", n]))
    hooked: list[Any] = []
    old = sys.excepthook
    sys.excepthook = lambda t, v, tb: hooked.append([t.__name__, str(v)])
    try:
        m.stderr()
        n = s.writeDatagram(b"abc", m.QHostAddress.LocalHost, rx.localPort())
        err = m.stderr()
    finally:
        sys.excepthook = old
    return {"ret": n, "got": got, "hooked": hooked, "stderr": err}


@scenario
def sc_signal_emit(m: Any) -> Any:
    s = m.QUdpSocket()
    rec = Rec(s)
    out = {
        "bytesWritten": call(s.bytesWritten.emit, 42),
        "readyRead": call(s.readyRead.emit),
        "stateChanged": call(s.stateChanged.emit, m.QAbstractSocket.ClosingState),
        "errorOccurred": call(s.errorOccurred.emit, m.QAbstractSocket.NetworkError),
        "disconnected": call(s.disconnected.emit),
    }
    out["signals"] = rec.take()
    out["realState"] = s.state().name
    out["realError"] = s.error().name
    out["bw()"] = call(s.bytesWritten.emit)
    out["rr(1)"] = call(s.readyRead.emit, 1)
    out["signalsAfterBad"] = rec.take()
    out["cached"] = s.readyRead is s.readyRead
    return out


@scenario
def sc_signal_exception_in_slot(m: Any) -> Any:
    rx = bound(m)
    s = bound(m)
    calls: list[Any] = []

    def bad(n: int) -> None:
        calls.append("bad")
        raise ValueError(f"boom {n}")

    s.bytesWritten.connect(bad)
    s.bytesWritten.connect(lambda n: calls.append(["after", n]))

    def bad_rr() -> None:
        calls.append("bad_rr")
        drain(rx)
        raise KeyError("rr")

    rx.readyRead.connect(bad_rr)
    rx.readyRead.connect(lambda: calls.append("after_rr"))
    hooked: list[Any] = []
    old = sys.excepthook
    sys.excepthook = lambda t, v, tb: hooked.append([t.__name__, str(v), tb is not None])
    try:
        n = s.writeDatagram(b"boom", m.QHostAddress.LocalHost, rx.localPort())
        m.pump()
    finally:
        sys.excepthook = old
    # With the default hook the traceback is printed to stderr.
    m.stderr()
    s.bytesWritten.disconnect()
    s.bytesWritten.connect(bad)
    s.bytesWritten.emit(7)
    text = m.stderr()
    tb_lines = [ln for ln in text.splitlines() if ln.startswith(("Traceback", "ValueError"))]
    return {"ret": n, "calls": calls, "hooked": hooked, "defaultHookStderr": tb_lines}


@scenario
def sc_signal_slot_order_and_reentrancy(m: Any) -> Any:
    rx = bound(m)
    s = bound(m)
    order: list[Any] = []

    def first(n: int) -> None:
        order.append(["first", n])
        if n == 3:
            s.writeDatagram(b"x", m.QHostAddress.LocalHost, rx.localPort())

    s.bytesWritten.connect(first)
    s.bytesWritten.connect(lambda n: order.append(["second", n]))
    s.writeDatagram(b"abc", m.QHostAddress.LocalHost, rx.localPort())
    return order


@scenario
def sc_signal_state_changed_args(m: Any) -> Any:
    s = m.QUdpSocket()
    types: list[Any] = []
    s.stateChanged.connect(lambda st: types.append([type(st).__name__, st.name]))
    s.errorOccurred.connect(lambda e: types.append([type(e).__name__, e.name]))
    s.bytesWritten.connect(lambda n: types.append([type(n).__name__, n]))
    s.bind(m.QHostAddress.LocalHost, 0)
    s.writeDatagram(b"x" * 70000, m.QHostAddress.LocalHost, 9)
    s.writeDatagram(b"xy", m.QHostAddress.LocalHost, 9)
    return list(types)


@scenario
def sc_destroy_bound(m: Any) -> Any:
    out = {}
    for label in ("bound", "unbound", "closed"):
        ev: list[Any] = []
        s = m.QUdpSocket()
        if label != "unbound":
            s.bind(m.QHostAddress.LocalHost, 0)
        if label == "closed":
            s.close()
        s.stateChanged.connect(lambda st, ev=ev: ev.append(["stateChanged", st.name]))
        s.readChannelFinished.connect(lambda ev=ev: ev.append(["readChannelFinished"]))
        s.disconnected.connect(lambda ev=ev: ev.append(["disconnected"]))
        s.aboutToClose.connect(lambda ev=ev: ev.append(["aboutToClose"]))
        del s
        gc.collect()
        out[label] = ev
    return out


# --------------------------------------------------------------------------
# Deliberate differences (docs/semantics.md): both sides are observed, and
# test_parity.py checks each against what the document says.


@scenario
def sc_designed_data_types(m: Any) -> Any:
    rx = bound(m)
    tx = bound(m)
    _send(m, tx, rx, b"t1", b"t2")
    wait_pending(m, rx)
    d = rx.readDatagram(10)[0]
    wait_pending(m, rx)
    g = rx.receiveDatagram().data()
    return [type(d).__name__, type(g).__name__, bytes(d).hex(), len(g), bytes(g[1:]).hex()]


@scenario
def sc_designed_read_nothing_pending(m: Any) -> Any:
    if m.kind == "qt":
        return "not run: PySide6 returns garbage here, and readDatagram(-1) aborts"
    s = bound(m)
    rec = Rec(s)
    data, sender, port = s.readDatagram(10)
    out = {
        "read10": [norm(data), addr(sender), port, s.error().name, s.errorString(), rec.take()],
        "read-1": call(s.readDatagram, -1),
        "stateAfter": s.state().name,
    }
    return out


@scenario
def sc_designed_write_none(m: Any) -> Any:
    rx = bound(m)
    s = bound(m)
    ret = call(s.writeDatagram, None, m.QHostAddress.LocalHost, rx.localPort())
    return {"ret": ret, "got": drain(rx) if wait_pending(m, rx) else []}


@scenario
def sc_designed_memoryview(m: Any) -> Any:
    rx = bound(m)
    tx = bound(m)
    r = call(tx.writeDatagram, memoryview(b"mv"), m.QHostAddress.LocalHost, rx.localPort())
    got = drain(rx) if wait_pending(m, rx) else []
    return {"ret": r if isinstance(r, int) else r.split(":")[0], "got": got}


@scenario
def sc_designed_string_address(m: Any) -> Any:
    rx = bound(m)
    out = {}
    s = m.QUdpSocket()
    out["bind str"] = call(s.bind, "127.0.0.1", 0)
    out["bind str state"] = s.state().name
    t = m.QUdpSocket()
    out["bind bogus"] = call(t.bind, "bogus", 0)
    tx = bound(m)
    out["write str"] = call(tx.writeDatagram, b"s", "127.0.0.1", rx.localPort())
    out["write bogus"] = call(tx.writeDatagram, b"s", "bogus", rx.localPort())
    out["got"] = drain(rx) if wait_pending(m, rx) else []
    return {k: v.split("\n")[0] if isinstance(v, str) else v for k, v in out.items()}


@scenario
def sc_designed_port_overflow(m: Any) -> Any:
    out = {}
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        s = m.QUdpSocket()
        out["bind 70000"] = call(s.bind, m.QHostAddress.LocalHost, 70000)
        out["bind -1"] = call(s.bind, m.QHostAddress.LocalHost, -1)
        t = bound(m)
        out["write 70000"] = call(t.writeDatagram, b"x", m.QHostAddress.LocalHost, 70000)
        out["warnings"] = len(w)
    out["state"] = [s.state().name, t.error().name]
    return out


@scenario
def sc_designed_wrong_family_destination(m: Any) -> Any:
    A = m.QHostAddress
    rx = bound(m, A.Any)
    out = {}
    for label, src, dst in [
        ("v4 socket -> ::1", A.LocalHost, A.LocalHostIPv6),
        ("v4 socket -> null", A.LocalHost, A()),
        ("anyv4 socket -> ::1", A.AnyIPv4, A("::1")),
    ]:
        tx = bound(m, src)
        rec = Rec(tx)
        n = tx.writeDatagram(b"wf", dst, rx.localPort())
        got = None
        if wait_pending(m, rx):
            d = rx.receiveDatagram()
            got = [norm(d.data()), addr(d.destinationAddress())]
        out[label] = {"ret": n, "error": tx.error().name, "signals": rec.take(), "got": got}
    return out


@scenario
def sc_designed_second_error(m: Any) -> Any:
    A = m.QHostAddress
    out = {}
    s = bound(m)
    rec = Rec(s)
    s.writeDatagram(b"x" * 70000, A.LocalHost, 9)
    s.writeDatagram(b"x", A.LocalHost, 0)
    out["tooLarge,port0"] = [s.error().name, s.errorString(), rec.take()]
    t = bound(m)
    rec = Rec(t)
    t.writeDatagram(b"x", A.LocalHost, 0)
    t.writeDatagram(b"x" * 70000, A.LocalHost, 9)
    out["port0,tooLarge"] = [t.error().name, t.errorString(), rec.take()]
    u = bound(m)
    rec = Rec(u)
    u.writeDatagram(b"x" * 70000, A.LocalHost, 9)
    rec.take()
    r = u.waitForReadyRead(50)
    out["tooLarge,waitTimeout"] = [r, u.error().name, rec.take(), u.state().name]
    return out


@scenario
def sc_designed_connrefused_on_send(m: Any) -> Any:
    # An adopted connected socket: the first send provokes ICMP port
    # unreachable, the next call meets ECONNREFUSED.
    closed = _pysock()
    port = closed.getsockname()[1]
    closed.close()
    p = _pysock()
    p.connect(("127.0.0.1", port))
    fd = p.detach()
    s = m.QUdpSocket()
    ok = s.setSocketDescriptor(fd)
    rec = Rec(s)
    n1 = s.writeDatagram(b"a", m.QHostAddress.LocalHost, port)
    time.sleep(0.02)
    n2 = s.writeDatagram(b"b", m.QHostAddress.LocalHost, port)
    e2 = [s.error().name, s.errorString()]
    time.sleep(0.02)
    n3 = s.writeDatagram(b"c", m.QHostAddress.LocalHost, port)
    return {
        "adopted": ok,
        "writes": [n1, n2, n3],
        "error": e2,
        "signals": rec.take(),
        "state": s.state().name,
    }


@scenario
def sc_designed_close_after_failed_bind(m: Any) -> Any:
    first = bound(m)
    s = m.QUdpSocket()
    s.bind(m.QHostAddress.LocalHost, first.localPort())
    before = [fdk(s.socketDescriptor()), s.isValid()]
    rec = Rec(s)
    s.close()
    return {"before": before, "after": [fdk(s.socketDescriptor()), s.isValid()], "sig": rec.take()}


@scenario
def sc_designed_address_pickle(m: Any) -> Any:
    import copy
    import pickle

    A = m.QHostAddress
    a = A("fe80::1%lo")
    out = {
        "copy": call(lambda: copy.copy(a).toString()),
        "deepcopy": call(lambda: copy.deepcopy(a).toString()),
        "pickle": call(lambda: pickle.loads(pickle.dumps(a)).toString()),
        "hash": call(lambda: hash(A("1.2.3.4")) == hash(A("1.2.3.4"))),
    }
    return {k: v.split(":")[0] if str(v).startswith("raised") else v for k, v in out.items()}


# --------------------------------------------------------------------------
# Backends and the runner


def make_backend(kind: str) -> SimpleNamespace:
    if kind == "qt":
        from PySide6.QtCore import QCoreApplication, QEventLoop
        from PySide6.QtNetwork import QAbstractSocket, QHostAddress, QNetworkDatagram, QUdpSocket

        app = QCoreApplication.instance() or QCoreApplication([])
        flag = QEventLoop.ProcessEventsFlag.AllEvents
    else:
        from qudp import QAbstractSocket, QEventLoop, QHostAddress, QNetworkDatagram, QUdpSocket

        app = None
        flag = QEventLoop.AllEvents
    loop = QEventLoop()
    m = SimpleNamespace(
        kind=kind,
        app=app,
        QUdpSocket=QUdpSocket,
        QHostAddress=QHostAddress,
        QAbstractSocket=QAbstractSocket,
        QNetworkDatagram=QNetworkDatagram,
        pumps=0,
    )

    def pump(ms: int = 20, rounds: int = 2) -> None:
        for _ in range(rounds):
            time.sleep(0.005)
            loop.processEvents(flag, ms)
            m.pumps += 1

    m.pump = pump
    return m


class StderrTrap:
    """Sends fd 2 to a file for the whole run; ``take()`` returns what is new."""

    def __init__(self) -> None:
        fd, self.path = tempfile.mkstemp(prefix="qtparity-")
        os.close(fd)
        self.fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
        self.saved = os.dup(2)
        sys.stderr.flush()
        os.dup2(self.fd, 2)
        self.pos = 0

    def take(self) -> str:
        sys.stderr.flush()
        size = os.fstat(self.fd).st_size
        data = os.pread(self.fd, size - self.pos, self.pos) if size > self.pos else b""
        self.pos = size
        return hexaddr(data.decode("utf-8", "replace"))

    def restore(self) -> None:
        sys.stderr.flush()
        os.dup2(self.saved, 2)
        os.unlink(self.path)


def main(argv: list[str]) -> None:
    kind = argv[1]
    names = argv[2:] or list(SCENARIOS)
    out = os.fdopen(os.dup(1), "w")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # stray prints must not corrupt the JSON
    try:
        m = make_backend(kind)
    except ImportError as e:
        out.write(json.dumps({"name": "__import__", "exception": exc(e)}) + "\n")
        out.flush()
        os._exit(0)
    trap = StderrTrap()
    m.stderr = trap.take
    for name in names:
        out.write(json.dumps({"begin": name}) + "\n")
        out.flush()
        trap.take()
        rec: dict[str, Any] = {"name": name}
        t0 = time.monotonic()
        try:
            rec["result"] = norm(SCENARIOS[name](m))
        except BaseException as e:
            rec["exception"] = exc(e)
            rec["traceback"] = traceback.format_exc()
        gc.collect()
        rec["stderr"] = trap.take()
        rec["seconds"] = round(time.monotonic() - t0, 3)
        try:
            line = json.dumps(rec)
        except (TypeError, ValueError) as e:
            line = json.dumps({"name": name, "exception": "not JSON-able: " + exc(e)})
        out.write(line + "\n")
        out.flush()
    out.write(json.dumps({"name": "__meta__", "result": {"pumps": m.pumps}}) + "\n")
    out.flush()
    trap.restore()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
