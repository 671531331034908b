"""QHostAddress against Qt's rules (values observed on PySide6 6.12)."""

from __future__ import annotations

import copy
import pickle

import pytest

from qudp import QHostAddress

A = QHostAddress


@pytest.mark.parametrize(
    ("text", "expected", "proto"),
    [
        ("127.0.0.1", "127.0.0.1", A.IPv4Protocol),
        ("  127.0.0.1 ", "127.0.0.1", A.IPv4Protocol),
        ("1.2.3", "1.2.0.3", A.IPv4Protocol),
        ("127.1", "127.0.0.1", A.IPv4Protocol),
        ("010.0.0.1", "8.0.0.1", A.IPv4Protocol),
        ("0x7f.1", "127.0.0.1", A.IPv4Protocol),
        ("::1", "::1", A.IPv6Protocol),
        ("::FFFF:1.2.3.4", "::ffff:1.2.3.4", A.IPv6Protocol),
        ("fe80::1%lo", "fe80::1%lo", A.IPv6Protocol),
        ("fe80::1%1", "fe80::1%1", A.IPv6Protocol),
    ],
)
def test_parse_like_qt(text: str, expected: str, proto: object) -> None:
    a = A(text)
    assert a.toString() == expected
    assert a.protocol() == proto
    assert not a.isNull()


@pytest.mark.parametrize("text", ["", "300.1.1.1", "localhost", "1.2.3.4.5", "1.2.3.x", "::g"])
def test_unparsable_is_null(text: str) -> None:
    a = A(text)
    assert a.isNull()
    assert a.toString() == ""
    assert a.protocol() == A.UnknownNetworkLayerProtocol
    assert A().setAddress(text) is False


def test_special_addresses() -> None:
    cases = {
        A.Null: ("", A.UnknownNetworkLayerProtocol),
        A.Broadcast: ("255.255.255.255", A.IPv4Protocol),
        A.LocalHost: ("127.0.0.1", A.IPv4Protocol),
        A.LocalHostIPv6: ("::1", A.IPv6Protocol),
        A.Any: ("0.0.0.0", A.AnyIPProtocol),
        A.AnyIPv6: ("::", A.IPv6Protocol),
        A.AnyIPv4: ("0.0.0.0", A.IPv4Protocol),
    }
    for special, (text, proto) in cases.items():
        a = A(special)
        assert (a.toString(), a.protocol()) == (text, proto), special
        assert a == special


def test_numbers_and_bytes() -> None:
    assert A(0x7F000001).toString() == "127.0.0.1"
    assert A(0x7F000001).toIPv4Address() == 0x7F000001
    assert A(bytes(15) + b"\x01").toString() == "::1"
    assert A("::1").toIPv6Address() == bytes(15) + b"\x01"
    assert A("1.2.3.4").toIPv6Address() == bytes(10) + b"\xff\xff\x01\x02\x03\x04"
    assert A("::ffff:1.2.3.4").toIPv4Address() == 0x01020304
    with pytest.raises(OverflowError, match="address"):
        A(1 << 40)
    with pytest.raises(ValueError, match="16"):
        A(b"\x01\x02")
    with pytest.raises(TypeError, match="address"):
        A(1.5)


def test_strict_equality_and_tolerant_isequal() -> None:
    mapped, v4 = A("::ffff:1.2.3.4"), A("1.2.3.4")
    assert mapped != v4
    assert mapped.isEqual(v4)
    assert not mapped.isEqual(v4, A.StrictConversion)
    assert mapped.isEqual(v4, A.ConvertV4MappedToIPv4)
    assert A(A.Any) != A(A.AnyIPv4)
    assert A(A.Any).isEqual(A(A.AnyIPv4))
    assert A("0.0.0.0") == A.AnyIPv4
    assert A("0.0.0.0") != A.Any
    # The scope id does not take part in comparisons, as in Qt.
    assert A("fe80::1%lo") == A("fe80::1%1")
    assert A() == A()
    assert A("1.2.3.4") != "1.2.3.4"


def test_hash_matches_equality_and_qt() -> None:
    assert hash(A("1.2.3.4")) == hash(A("1.2.3.4"))
    # qHash covers the 16 IPv6-form bytes only.
    assert hash(A("1.2.3.4")) == hash(A("::ffff:1.2.3.4"))
    assert len({A("10.0.0.1"), A("10.0.0.1"), A("10.0.0.2")}) == 2


def test_copy_pickle_repr() -> None:
    for a in [A("10.1.2.3"), A("fe80::1%lo"), A(), A(A.Any)]:
        assert copy.copy(a) == a
        assert copy.deepcopy(a) == a
        b = pickle.loads(pickle.dumps(a))
        assert b == a and b.toString() == a.toString() and b.protocol() == a.protocol()
    assert repr(A("10.1.2.3")) == 'QHostAddress("10.1.2.3")'
    assert repr(A()) == "QHostAddress()"
    assert str(A("::1")) == "::1"
    c = A("1.1.1.1")
    d = copy.copy(c)
    d.setAddress("2.2.2.2")
    assert c.toString() == "1.1.1.1"


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("127.0.0.1", {"isLoopback"}),
        ("::ffff:127.0.0.1", {"isLoopback"}),
        ("::1", {"isLoopback"}),
        ("224.0.0.1", {"isMulticast"}),
        ("ff02::1", {"isMulticast"}),
        ("255.255.255.255", {"isBroadcast"}),
        ("169.254.1.1", {"isLinkLocal"}),
        ("fe80::1", {"isLinkLocal"}),
        ("fec0::1", {"isSiteLocal", "isGlobal"}),
        ("fd00::1", {"isUniqueLocalUnicast", "isGlobal", "isPrivateUse"}),
        ("10.1.1.1", {"isGlobal", "isPrivateUse"}),
        ("8.8.8.8", {"isGlobal"}),
        ("2001:db8::1", {"isGlobal"}),
    ],
)
def test_classification(text: str, flags: set[str]) -> None:
    a = A(text)
    for name in [
        "isLoopback",
        "isMulticast",
        "isBroadcast",
        "isLinkLocal",
        "isSiteLocal",
        "isUniqueLocalUnicast",
        "isGlobal",
        "isPrivateUse",
    ]:
        assert getattr(a, name)() is (name in flags), (text, name)


def test_subnets() -> None:
    net, prefix = A.parseSubnet("192.168.7.9/16")
    assert (net.toString(), prefix) == ("192.168.0.0", 16)
    assert A.parseSubnet("192.168.1")[1] == 24
    assert A.parseSubnet("10.0.0.0/255.0.0.0")[1] == 8
    bad = A.parseSubnet("10.0.0.0/33")
    assert bad[0].isNull() and bad[1] == -1
    assert A("192.168.200.1").isInSubnet(net, 16)
    assert A("192.168.200.1").isInSubnet((net, 16))
    assert not A("192.169.0.1").isInSubnet(net, 16)
    assert not A("::ffff:192.168.0.1").isInSubnet(net, 16)
    assert A("2001:db8::5").isInSubnet(A("2001:db8::"), 32)


def test_scope_and_clear() -> None:
    a = A("fe80::1")
    a.setScopeId("eth7")
    assert a.scopeId() == "eth7"
    assert a.toString() == "fe80::1%eth7"
    v4 = A("1.2.3.4")
    v4.setScopeId("eth0")
    assert v4.scopeId() == ""
    v4.clear()
    assert v4.isNull()
