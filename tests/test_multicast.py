"""Multicast and broadcast across namespaced hosts, and Qt's rules for them.

mcnet.standard() builds three hosts (a, b, c) on three bridged segments
(see its docstring). A host's kernel decides what reaches a socket, so
"b receives only while joined / only on the joined interface / only from
the chosen source" is checked on real traffic between namespaces. Qt's
exact answers for the Qt-named calls are checked against PySide6 on the
same interfaces.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import mcnet
import pytest
from qtoracle import qtnetwork

import qudp
from qudp import QAbstractSocket, QHostAddress, QUdpSocket

from helpers import Recorder

WARN_V4_ON_V6 = (
    "QAbstractSocket: cannot bind to QHostAddress::Any (or an IPv6 address) and join an "
    "IPv4 multicast group; bind to QHostAddress::AnyIPv4 instead if you want to do this"
)


@dataclass(frozen=True)
class Fam:
    name: str
    any: str  # the receiver's and sender's bind address, as Python source
    group: str
    ssm: str
    a1: str  # host a's address on e1
    c1: str  # host c's address on e1


V4 = Fam("v4", "QHostAddress.AnyIPv4", "239.77.0.1", "232.77.0.1", "10.71.0.1", "10.71.0.3")
V6 = Fam("v6", "QHostAddress.AnyIPv6", "ff15::77", "ff35::8000:77", "fd71::1", "fd71::3")


@pytest.fixture(params=[V4, V6], ids=["v4", "v6"])
def fam(request: pytest.FixtureRequest) -> Fam:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def net() -> Iterator[mcnet.Net]:
    try:
        n = mcnet.standard()
    except (mcnet.NetError, OSError) as e:
        why = f"cannot build the namespaced test network: {e}"
        if os.environ.get("QUDP_REQUIRE_NETNS") == "1":
            pytest.fail(why)
        pytest.skip(why)
    try:
        yield n
    finally:
        n.close()


_port = [46000]


def port() -> int:
    _port[0] += 1
    return _port[0]


def receiver(h: mcnet.Host, var: str, fam: Fam, p: int, bind: str | None = None) -> None:
    h.exec(
        f"{var} = QUdpSocket()\n"
        f"assert {var}.bind(QHostAddress({bind or fam.any}), {p}, QUdpSocket.ShareAddress)"
    )


def sender(h: mcnet.Host, var: str, fam: Fam, ifname: str, bind: str | None = None) -> None:
    h.exec(
        f"{var} = QUdpSocket()\n"
        f"assert {var}.bind(QHostAddress({bind or fam.any}), 0)\n"
        f"{var}.setMulticastInterface(iface({ifname!r}))"
    )


def send(h: mcnet.Host, data: str, group: str, p: int, var: str = "s") -> None:
    assert h.eval(f"send({var}, {data!r}, {group!r}, {p})") == len(data), h.eval(
        f"{var}.errorString()"
    )


def got(h: mcnet.Host, var: str, ms: int = 300, count: int = 0) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = h.eval(f"collect({var}, {ms}, {count})")
    for d in out:
        d["dst"] = d["dst"].split("%")[0]  # an IPv6 destination carries the ifindex
    return out


def brief(ds: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(d["data"], d["src"], d["ifname"]) for d in ds]


def close(h: mcnet.Host, *names: str) -> None:
    h.exec("\n".join(f"{n}.close()" for n in names))


# ---- across hosts -----------------------------------------------------------


@pytest.mark.netns
def test_group_reaches_another_host_only_while_joined(net: mcnet.Net, fam: Fam) -> None:
    a, b = net.hosts["a"], net.hosts["b"]
    p = port()
    receiver(b, "r", fam, p)
    sender(a, "s", fam, "e1")
    send(a, "before", fam.group, p)
    assert got(b, "r") == []
    assert b.eval(f"r.joinMulticastGroup(QHostAddress({fam.group!r}), iface('e1'))") is True
    send(a, "joined", fam.group, p)
    [d] = got(b, "r", 3000, 1)
    assert (d["data"], d["src"], d["dst"], d["ifname"], d["hop"]) == (
        "joined",
        fam.a1,
        fam.group,
        "e1",
        1,  # the default multicast TTL / hop limit
    )
    assert b.eval(f"r.leaveMulticastGroup(QHostAddress({fam.group!r}), iface('e1'))") is True
    send(a, "after", fam.group, p)
    assert got(b, "r") == []
    close(a, "s")
    close(b, "r")


@pytest.mark.netns
def test_only_the_joined_interface_receives(net: mcnet.Net, fam: Fam) -> None:
    a, b = net.hosts["a"], net.hosts["b"]
    p = port()
    receiver(b, "r", fam, p)
    assert b.eval(f"r.joinMulticastGroup(QHostAddress({fam.group!r}), iface('e1'))")
    sender(a, "s", fam, "e2")
    assert a.eval("s.multicastInterface().name()") == "e2"
    send(a, "via e2", fam.group, p)
    assert got(b, "r") == [], "joined on e1 only"
    a.exec("s.setMulticastInterface(iface('e1'))")
    send(a, "via e1", fam.group, p)
    assert brief(got(b, "r", 3000, 1)) == [("via e1", fam.a1, "e1")]
    assert b.eval(f"r.joinMulticastGroup(QHostAddress({fam.group!r}), iface('e2'))")
    a.exec("s.setMulticastInterface(iface('e2'))")
    send(a, "via e2 again", fam.group, p)
    a2 = "10.72.0.1" if fam is V4 else "fd72::1"
    assert brief(got(b, "r", 3000, 1)) == [("via e2 again", a2, "e2")]
    close(a, "s")
    close(b, "r")


@pytest.mark.netns
def test_ttl_is_what_the_sender_set(net: mcnet.Net, fam: Fam) -> None:
    a, b = net.hosts["a"], net.hosts["b"]
    p = port()
    receiver(b, "r", fam, p)
    assert b.eval(f"r.joinMulticastGroup(QHostAddress({fam.group!r}), iface('e1'))")
    sender(a, "s", fam, "e1")
    assert a.eval("s.socketOption(QAbstractSocket.MulticastTtlOption)") == 1
    a.exec("s.setSocketOption(QAbstractSocket.MulticastTtlOption, 7)")
    assert a.eval("s.socketOption(QAbstractSocket.MulticastTtlOption)") == 7
    send(a, "ttl7", fam.group, p)
    [d] = got(b, "r", 3000, 1)
    assert (d["data"], d["hop"]) == ("ttl7", 7)
    close(a, "s")
    close(b, "r")


@pytest.mark.netns
def test_dual_stack_sender_applies_ttl_and_interface_to_ipv4_too(net: mcnet.Net) -> None:
    # Beyond Qt: Qt sets only IPV6_MULTICAST_HOPS / IPV6_MULTICAST_IF on a
    # dual-stack socket, so its IPv4 multicast keeps TTL 1 and the route's
    # interface; qudp sets the IPv4 options as well.
    a, b = net.hosts["a"], net.hosts["b"]
    p = port()
    receiver(b, "r", V4, p)
    assert b.eval(f"r.joinMulticastGroup(QHostAddress({V4.group!r}), iface('e2'))")
    sender(a, "s", V4, "e2", bind="QHostAddress.Any")
    a.exec("s.setSocketOption(QAbstractSocket.MulticastTtlOption, 5)")
    send(a, "dual", V4.group, p)
    [d] = got(b, "r", 3000, 1)
    assert (d["data"], d["src"], d["ifname"], d["hop"]) == ("dual", "10.72.0.1", "e2", 5)
    close(a, "s")
    close(b, "r")


@pytest.mark.netns
def test_source_specific_membership_filters_other_sources(net: mcnet.Net, fam: Fam) -> None:
    a, b, c = net.hosts["a"], net.hosts["b"], net.hosts["c"]
    p = port()
    receiver(b, "r", fam, p)
    sender(a, "s", fam, "e1", bind=f"QHostAddress({fam.a1!r})")
    sender(c, "s", fam, "e1", bind=f"QHostAddress({fam.c1!r})")
    g = fam.ssm
    assert b.eval(f"r.joinMulticastGroup(QHostAddress({g!r}), iface('e1'), source={fam.a1!r})")
    send(a, "from a", g, p)
    send(c, "from c", g, p)
    assert brief(got(b, "r", 600)) == [("from a", fam.a1, "e1")]
    # Switch the one allowed source from a to c.
    assert b.eval(f"r.leaveMulticastGroup(QHostAddress({g!r}), iface('e1'), source={fam.a1!r})")
    assert b.eval(f"r.joinMulticastGroup(QHostAddress({g!r}), iface('e1'), source={fam.c1!r})")
    send(a, "from a", g, p)
    send(c, "from c", g, p)
    assert brief(got(b, "r", 600)) == [("from c", fam.c1, "e1")]
    assert b.eval(f"r.leaveMulticastGroup(QHostAddress({g!r}), iface('e1'), source={fam.c1!r})")
    assert not b.eval(f"r.leaveMulticastGroup(QHostAddress({g!r}), iface('e1'), source={fam.c1!r})")
    send(c, "after leave", g, p)
    assert got(b, "r") == []
    close(a, "s")
    close(c, "s")
    close(b, "r")


@pytest.mark.netns
def test_ipv4_join_by_index_on_an_interface_without_ipv4_address(net: mcnet.Net) -> None:
    # e3 has no IPv4 address: Qt's joinMulticastGroup (IP_ADD_MEMBERSHIP by
    # address) cannot use it; a group request by index can.
    a, b = net.hosts["a"], net.hosts["b"]
    p = port()
    g = "239.77.0.3"
    receiver(b, "r", V4, p)
    assert b.eval(f"r.joinMulticastGroup(QHostAddress({g!r}), iface('e3'))") is False
    a.exec(
        "s = QUdpSocket()\n"
        "assert s.bind(QHostAddress('10.71.0.1'), 0)\n"
        f"d = QNetworkDatagram(b'via e3', QHostAddress({g!r}), {p})\n"
        "d.setInterfaceIndex(iface('e3').index())"
    )
    assert a.eval("s.writeDatagram(d)") == 6
    assert got(b, "r") == []
    assert b.eval(f"r.joinMulticastGroup(QHostAddress({g!r}), iface('e3'), source='10.71.0.1')")
    assert a.eval("s.writeDatagram(d)") == 6
    assert brief(got(b, "r", 3000, 1)) == [("via e3", "10.71.0.1", "e3")]
    close(a, "s")
    close(b, "r")


@pytest.mark.netns
def test_join_and_leave_on_all_interfaces(net: mcnet.Net, fam: Fam) -> None:
    a, b = net.hosts["a"], net.hosts["b"]
    p = port()
    g = "239.77.0.4" if fam is V4 else "ff15::78"
    receiver(b, "r", fam, p)
    assert b.eval(f"names(r.joinMulticastGroupOnAllInterfaces({g!r}))") == ["e1", "e2", "e3"]
    # Joining again is not an error: those interfaces are joined.
    assert b.eval(f"names(r.joinMulticastGroupOnAllInterfaces({g!r}))") == ["e1", "e2", "e3"]
    a.exec(f"s = QUdpSocket()\nassert s.bind(QHostAddress({fam.any}), 0)")
    code = (
        f"d = QNetworkDatagram(b'on ' + {{n!r}}.encode(), QHostAddress({g!r}), {p})\n"
        "d.setInterfaceIndex(iface({n!r}).index())\n"
        "assert s.writeDatagram(d) > 0, s.errorString()"
    )
    for n in ("e1", "e2", "e3"):
        a.exec(code.format(n=n))
    assert sorted((d["data"], d["ifname"]) for d in got(b, "r", 3000, 3)) == [
        ("on e1", "e1"),
        ("on e2", "e2"),
        ("on e3", "e3"),
    ]
    assert b.eval(f"names(r.leaveMulticastGroupOnAllInterfaces({g!r}))") == ["e1", "e2", "e3"]
    for n in ("e1", "e2", "e3"):
        a.exec(code.format(n=n))
    assert got(b, "r") == []
    assert b.eval(f"names(r.leaveMulticastGroupOnAllInterfaces({g!r}))") == []
    close(a, "s")
    close(b, "r")


@pytest.mark.netns
def test_loopback_option_keeps_copies_off_the_sending_host(net: mcnet.Net, fam: Fam) -> None:
    a, b = net.hosts["a"], net.hosts["b"]
    p = port()
    g = fam.group
    for h in (a, b):
        receiver(h, "r", fam, p)
        assert h.eval(f"r.joinMulticastGroup(QHostAddress({g!r}), iface('e1'))")
    sender(a, "s", fam, "e1")
    assert a.eval("s.socketOption(QAbstractSocket.MulticastLoopbackOption)") == 1
    send(a, "loop on", g, p)
    assert brief(got(a, "r", 3000, 1)) == [("loop on", fam.a1, "e1")]
    assert [d["data"] for d in got(b, "r", 3000, 1)] == ["loop on"]
    a.exec("s.setSocketOption(QAbstractSocket.MulticastLoopbackOption, 0)")
    assert a.eval("s.socketOption(QAbstractSocket.MulticastLoopbackOption)") == 0
    send(a, "loop off", g, p)
    assert [d["data"] for d in got(b, "r", 3000, 1)] == ["loop off"]
    assert got(a, "r") == []
    close(a, "s", "r")
    close(b, "r")


@pytest.mark.netns
def test_subnet_broadcast(net: mcnet.Net) -> None:
    a, b, c = net.hosts["a"], net.hosts["b"], net.hosts["c"]
    p = port()
    receiver(b, "r", V4, p)
    receiver(c, "r", V4, p)
    receiver(b, "u", V4, p, bind="QHostAddress('10.71.0.2')")
    a.exec("s = QUdpSocket()\nassert s.bind(QHostAddress.AnyIPv4, 0)")
    send(a, "subnet", "10.71.0.255", p)
    for h in (b, c):
        [d] = got(h, "r", 3000, 1)
        assert (d["data"], d["src"], d["dst"], d["ifname"]) == (
            "subnet",
            "10.71.0.1",
            "10.71.0.255",
            "e1",
        )
    # Linux: a socket bound to a unicast address gets no broadcasts.
    assert got(b, "u", 100) == []
    close(a, "s")
    close(b, "r", "u")
    close(c, "r")


@pytest.mark.netns
def test_limited_broadcast_needs_a_route_or_an_interface(net: mcnet.Net) -> None:
    a, b, c = net.hosts["a"], net.hosts["b"], net.hosts["c"]
    p = port()
    receiver(b, "r", V4, p)
    receiver(c, "r", V4, p)
    a.exec("s = QUdpSocket()\nassert s.bind(QHostAddress.AnyIPv4, 0)")
    # No route for 255.255.255.255: Qt's answer, -1 with NetworkError.
    assert a.eval(f"s.writeDatagram(b'x', QHostAddress(QHostAddress.Broadcast), {p})") == -1
    assert a.eval("(s.error().name, s.errorString())") == [
        "NetworkError",
        "Unable to send a message",
    ]
    # Out of a chosen interface (IP_PKTINFO): only segment 2 hears it.
    a.exec(
        f"d = QNetworkDatagram(b'all on e2', QHostAddress(QHostAddress.Broadcast), {p})\n"
        "d.setInterfaceIndex(iface('e2').index())"
    )
    assert a.eval("s.writeDatagram(d)") == 9
    [d] = got(b, "r", 3000, 1)
    assert (d["data"], d["src"], d["dst"], d["ifname"]) == (
        "all on e2",
        "10.72.0.1",
        "255.255.255.255",
        "e2",
    )
    assert got(c, "r") == []
    # With a default route the plain call works, out of that route's link.
    a.sh("ip route add default dev e1")
    try:
        send(a, "all on e1", "255.255.255.255", p)
        for h in (b, c):
            assert brief(got(h, "r", 3000, 1)) == [("all on e1", "10.71.0.1", "e1")]
    finally:
        a.sh("ip route del default dev e1")
    close(a, "s")
    close(b, "r")
    close(c, "r")


# ---- Qt's answers, compared with PySide6 on the same interfaces -------------


def qt_cases(net_mod: Any) -> list[tuple[str, Any]]:
    """Every Qt-named multicast call's result, for qudp or PySide6.QtNetwork."""
    A, U, NI = net_mod.QHostAddress, net_mod.QUdpSocket, net_mod.QNetworkInterface
    S = net_mod.QAbstractSocket
    br1, br3 = NI.interfaceFromName("br1"), NI.interfaceFromName("br3")
    G, G6 = A("239.77.1.1"), A("ff15::79")
    errors: list[Any] = []
    out: list[tuple[str, Any]] = []

    def sock() -> Any:
        s = U()
        s.errorOccurred.connect(errors.append)
        return s

    u = sock()
    out.append(("unbound join", u.joinMulticastGroup(G)))
    out.append(("unbound leave", u.leaveMulticastGroup(G, br1)))
    out.append(("unbound multicastInterface", u.multicastInterface().isValid()))
    u.setMulticastInterface(br1)
    f = U()
    out.append(("bind to a foreign address", f.bind(A("192.0.2.1"), 0)))
    f.errorOccurred.connect(errors.append)
    out.append(("join after failed bind", f.joinMulticastGroup(G)))
    out.append(("leave after failed bind", f.leaveMulticastGroup(G)))
    s = sock()
    s.bind(A(A.AnyIPv4), 0)
    out.append(("join without a route", s.joinMulticastGroup(G)))
    out.append(("join br1", s.joinMulticastGroup(G, br1)))
    out.append(("join br1 again", s.joinMulticastGroup(G, br1)))
    out.append(("join br3 (no IPv4 address)", s.joinMulticastGroup(A("239.77.1.2"), br3)))
    out.append(("join a unicast address", s.joinMulticastGroup(A("10.71.0.9"), br1)))
    out.append(("join the null address", s.joinMulticastGroup(A(), br1)))
    out.append(("join an IPv6 group", s.joinMulticastGroup(G6, br1)))
    out.append(("leave", s.leaveMulticastGroup(G, br1)))
    out.append(("leave again", s.leaveMulticastGroup(G, br1)))
    out.append(("multicastInterface unset", s.multicastInterface().name()))
    s.setMulticastInterface(br3)
    out.append(("set br3 (no IPv4 address)", s.multicastInterface().name()))
    s.setMulticastInterface(br1)
    out.append(("set br1", s.multicastInterface().name()))
    s.setMulticastInterface(NI())
    out.append(("set the invalid interface", s.multicastInterface().name()))
    s.setSocketOption(S.MulticastTtlOption, 9)
    s.setSocketOption(S.MulticastLoopbackOption, 0)
    out.append(
        (
            "v4 options",
            (s.socketOption(S.MulticastTtlOption), s.socketOption(S.MulticastLoopbackOption)),
        )
    )
    d = sock()
    d.bind(A(A.Any), 0)
    out.append(("dual-stack join IPv4", d.joinMulticastGroup(G, br1)))
    out.append(("dual-stack leave IPv4", d.leaveMulticastGroup(G, br1)))
    out.append(("dual-stack join IPv6", d.joinMulticastGroup(G6, br1)))
    out.append(("dual-stack leave IPv6", d.leaveMulticastGroup(G6, br1)))
    d.setMulticastInterface(br3)
    out.append(("dual-stack set br3", d.multicastInterface().name()))
    v6 = sock()
    v6.bind(A(A.AnyIPv6), 0)
    out.append(("IPv6 join IPv4", v6.joinMulticastGroup(G, br1)))
    out.append(("IPv6 join br3", v6.joinMulticastGroup(G6, br3)))
    out.append(("IPv6 join br3 again", v6.joinMulticastGroup(G6, br3)))
    out.append(("IPv6 join a unicast address", v6.joinMulticastGroup(A("fd71::9"), br1)))
    v6.setSocketOption(S.MulticastTtlOption, 3)
    out.append(("v6 TTL", v6.socketOption(S.MulticastTtlOption)))
    lo4 = sock()
    lo4.bind(A(A.LocalHost), 0)
    out.append(("127.0.0.1-bound join br1", lo4.joinMulticastGroup(G, br1)))
    out.append(("no errorOccurred so far", list(errors)))
    out.append(("error() untouched", [x.error().name for x in (u, s, d, v6, lo4)]))
    # A multicast send with no route and no interface set: NetworkError. (A
    # fresh socket: after a failed join Qt's engine keeps that failure and
    # reports it for the next error, a quirk qudp does not copy.)
    w = sock()
    w.bind(A(A.AnyIPv4), 0)
    out.append(("send without route", w.writeDatagram(b"x", G, 9)))
    out.append(("its error", (w.error().name, w.errorString())))
    out.append(("signalled", [e.name for e in errors]))
    return out


@pytest.mark.netns
def test_qt_named_calls_match_pyside6(net: mcnet.Net, capfd: pytest.CaptureFixture[str]) -> None:
    qn = qtnetwork()
    capfd.readouterr()
    ours = qt_cases(qudp)
    our_err = capfd.readouterr().err.splitlines()
    theirs = qt_cases(qn)
    their_err = capfd.readouterr().err.splitlines()
    assert ours == theirs
    assert our_err == their_err
    # What was compared, spelled out for the reader:
    assert dict(ours)["join br1"] is True and dict(ours)["dual-stack join IPv4"] is False
    assert WARN_V4_ON_V6 in our_err
    assert (
        "QUdpSocket::joinMulticastGroup() called on a QUdpSocket when not in "
        "QUdpSocket::BoundState" in our_err
    )
    assert (
        "QNativeSocketEngine::joinMulticastGroup() was not called in "
        "QAbstractSocket::BoundState" in our_err
    )


# ---- argument checking (no traffic) ------------------------------------------


def test_source_argument_is_checked() -> None:
    s = QUdpSocket()
    with pytest.raises(ValueError, match="source: fd00::1 is not of the same family"):
        s.joinMulticastGroup(QHostAddress("232.1.1.1"), source="fd00::1")
    with pytest.raises(ValueError, match="source: must be a unicast address"):
        s.joinMulticastGroup("232.1.1.1", source="232.1.1.2")
    with pytest.raises(ValueError, match="source: must be a unicast address"):
        s.leaveMulticastGroup("232.1.1.1", None, source="0.0.0.0")
    with pytest.raises(ValueError, match="source"):
        s.joinMulticastGroup("232.1.1.1", source="nonsense")
    with pytest.raises(ValueError, match="groupAddress: must be an IPv4 or IPv6"):
        s.joinMulticastGroupOnAllInterfaces(QHostAddress())
    with pytest.raises(TypeError):
        s.joinMulticastGroup("232.1.1.1", None, "10.0.0.1")  # type: ignore[misc]


@pytest.mark.netns
def test_unbound_and_dual_stack_refusals_warn_and_leave_error_alone(
    capfd: pytest.CaptureFixture[str],
) -> None:
    s = QUdpSocket()
    rec = Recorder(s, "errorOccurred")
    assert s.joinMulticastGroupOnAllInterfaces("239.1.1.1") == []
    assert s.joinMulticastGroup("232.1.1.1", source="10.0.0.1") is False
    assert "QUdpSocket::joinMulticastGroupOnAllInterfaces() called on a QUdpSocket" in (
        capfd.readouterr().err
    )
    assert s.bind(QHostAddress.Any, 0)
    assert s.joinMulticastGroup("232.1.1.1", source="10.0.0.1") is False
    assert s.joinMulticastGroupOnAllInterfaces("239.1.1.1") == []
    assert capfd.readouterr().err.count(WARN_V4_ON_V6) == 2
    assert s.error() is QAbstractSocket.UnknownSocketError and rec.events == []
    s.close()


# ---- the ported Qt examples, as scripts and as `python -m qudp ...` ----------

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def program(kind: str, name: str) -> str:
    if kind == "script":
        return f"{sys.executable} {os.path.join(EXAMPLES, name.replace('-', '') + '.py')}"
    return f"{sys.executable} -m qudp {name}"


def run_pair(
    net: mcnet.Net, tmp: str, receiver_cmd: str, sender_cmd: str, lines: int
) -> tuple[list[str], str]:
    """Start the receiver on b, wait until it listens, run the sender on a."""
    a, b = net.hosts["a"], net.hosts["b"]
    out = os.path.join(tmp, "receiver.out")
    b.sh(f"timeout 30 {receiver_cmd} > {out} 2>&1 &")
    deadline = time.monotonic() + 15
    while "Listening" not in _read(out):
        assert time.monotonic() < deadline, f"receiver did not start: {_read(out)!r}"
        time.sleep(0.05)
    sent = a.sh(sender_cmd)
    while _read(out).count("Received") < lines and time.monotonic() < deadline:
        time.sleep(0.05)
    return _read(out).splitlines(), sent


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


@pytest.mark.netns
@pytest.mark.parametrize("kind", ["script", "cli"])
def test_multicast_examples_across_hosts(net: mcnet.Net, kind: str, tmp_path: Any) -> None:
    received, sent = run_pair(
        net,
        str(tmp_path),
        program(kind, "multicast-receiver") + " --iface e1 --count 6 --timeout 20",
        program(kind, "multicast-sender") + " --iface e1 --ttl 3 --count 3 --interval 0.05",
        6,
    )
    assert sent.splitlines() == [
        "Ready to multicast datagrams to groups 239.255.43.21 and [ff12::2115] on port 45454",
        "Now sending datagram 1",
        "Now sending datagram 2",
        "Now sending datagram 3",
    ]
    assert received[0] == "Listening for multicast messages on both IPv4 and IPv6"
    v4 = [x for x in received if x.startswith("Received IPv4")]
    v6 = [x for x in received if x.startswith("Received IPv6")]
    assert v4 == [f'Received IPv4 datagram: "Multicast message {n}"' for n in (1, 2, 3)]
    assert len(v6) == 3
    for n, line in enumerate(v6, 1):
        # ff12::2115 is link-scoped: the sender is a's link-local address on e1.
        assert re.fullmatch(
            rf'Received IPv6 datagram from \[fe80::[0-9a-f:]+%e1\]:\d+: "Multicast message {n}"',
            line,
        ), line


@pytest.mark.netns
@pytest.mark.parametrize("kind", ["script", "cli"])
def test_broadcast_examples_across_hosts(net: mcnet.Net, kind: str, tmp_path: Any) -> None:
    received, sent = run_pair(
        net,
        str(tmp_path),
        program(kind, "broadcast-receiver") + " --count 2 --timeout 20",
        program(kind, "broadcast-sender") + " --address 10.71.0.255 --count 2 --interval 0.05",
        2,
    )
    assert sent.splitlines() == [
        "Ready to broadcast datagrams on port 45454",
        "Now broadcasting datagram 1",
        "Now broadcasting datagram 2",
    ]
    assert received == [
        "Listening for broadcasted messages on port 45454",
        'Received datagram: "Broadcast message 1"',
        'Received datagram: "Broadcast message 2"',
    ]


@pytest.mark.netns
def test_interfaces_command_lists_like_ip_addr(net: mcnet.Net) -> None:
    out = net.hosts["b"].sh(f"{sys.executable} -m qudp interfaces")
    lines = out.splitlines()
    assert lines[0] == "1: lo: <IsUp,IsRunning,IsLoopBack> mtu 65536 type Loopback"
    assert "    inet 127.0.0.1/8 brd 127.255.255.255" in lines
    e1 = lines.index(next(x for x in lines if ": e1: " in x))
    assert lines[e1].endswith(
        ": e1: <IsUp,IsRunning,CanBroadcast,CanMulticast> mtu 1500 type Ethernet"
    )
    assert re.fullmatch(r"    link ([0-9A-F]{2}:){5}[0-9A-F]{2}", lines[e1 + 1])
    assert lines[e1 + 2 : e1 + 4] == [
        "    inet 10.71.0.2/24 brd 10.71.0.255",
        "    inet6 fd71::2/64",
    ]
    assert re.fullmatch(r"    inet6 fe80::[0-9a-f:]+%e1/64", lines[e1 + 4])
