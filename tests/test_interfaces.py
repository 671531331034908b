"""QNetworkInterface and QNetworkAddressEntry against Qt's rules.

The expectations are what PySide6 6.12 reports on Linux; the netns tests
also compare qudp's listing with PySide6's on the same interfaces.
"""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Iterator

import pytest
from qtoracle import dump_interfaces, qtnetwork

from qudp import QHostAddress, QNetworkAddressEntry, QNetworkInterface, QUdpSocket
from qudp.enums import InterfaceFlag, InterfaceType

NI = QNetworkInterface


def loopback() -> QNetworkInterface:
    los = [i for i in NI.allInterfaces() if i.flags() & NI.IsLoopBack]
    assert los, "a loopback interface"
    return los[0]


# ---- enums ---------------------------------------------------------------


def test_enums_have_qt_values_and_forms() -> None:
    assert [(m.name, m.value) for m in InterfaceFlag] == [
        ("IsUp", 1),
        ("IsRunning", 2),
        ("CanBroadcast", 4),
        ("IsLoopBack", 8),
        ("IsPointToPoint", 16),
        ("CanMulticast", 32),
    ]
    assert NI.InterfaceFlags is NI.InterfaceFlag is InterfaceFlag
    assert NI.InterfaceType is InterfaceType
    assert NI.Ieee80211 is NI.Wifi and NI.Wifi.value == 8
    assert NI.Ieee1394.value == 13 and NI.SixLoWPAN.value == 11
    assert NI.IsUp is InterfaceFlag.IsUp and NI.Loopback is InterfaceType.Loopback
    assert InterfaceFlag.__qualname__ == "QNetworkInterface.InterfaceFlag"
    assert repr(NI.IsUp | NI.IsRunning) == "<InterfaceFlag.IsUp|IsRunning: 3>"


# ---- the invalid interface and argument checking -------------------------


def test_invalid_interface_is_empty() -> None:
    i = NI()
    assert not i.isValid()
    assert (i.name(), i.humanReadableName(), i.index(), i.hardwareAddress()) == ("", "", 0, "")
    assert i.flags() == InterfaceFlag(0) and i.type() is NI.Unknown
    assert i.maximumTransmissionUnit() == 0 and i.addressEntries() == []
    assert repr(i) == "<QNetworkInterface invalid>"


def test_lookups_of_missing_interfaces_give_qt_answers() -> None:
    assert not NI.interfaceFromName("no-such-if").isValid()
    assert not NI.interfaceFromName("").isValid()
    assert not NI.interfaceFromIndex(0).isValid()
    assert not NI.interfaceFromIndex(-1).isValid()
    assert not NI.interfaceFromIndex(99999).isValid()
    assert NI.interfaceIndexFromName("no-such-if") == 0
    assert NI.interfaceIndexFromName("") == 0
    assert NI.interfaceIndexFromName("-3") == 0
    # A decimal name is taken as the index itself, existing or not (Qt).
    assert NI.interfaceIndexFromName("7") == 7
    assert NI.interfaceNameFromIndex(0) == ""
    assert NI.interfaceNameFromIndex(-1) == ""
    assert NI.interfaceNameFromIndex(99999) == ""


def test_bad_arguments_name_themselves() -> None:
    with pytest.raises(TypeError, match="name must be str"):
        NI.interfaceFromName(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="index must be int"):
        NI.interfaceFromIndex("1")  # type: ignore[arg-type]
    with pytest.raises(OverflowError, match="index must be in"):
        NI.interfaceNameFromIndex(2**40)
    with pytest.raises(TypeError, match="other must be QNetworkInterface"):
        NI("lo")  # type: ignore[arg-type]
    s = QUdpSocket()
    with pytest.raises(TypeError, match="iface must be QNetworkInterface or None"):
        s.joinMulticastGroup(QHostAddress("239.1.2.3"), "lo")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="groupAddress"):
        s.joinMulticastGroup("not an address")
    e = QNetworkAddressEntry()
    with pytest.raises(TypeError, match="length must be int"):
        e.setPrefixLength("8")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="newIp"):
        e.setIp("1.2.3.x")


# ---- the loopback interface (any machine) --------------------------------


def test_loopback_interface() -> None:
    lo = loopback()
    assert lo.isValid() and lo.type() is NI.Loopback
    assert lo.flags() & NI.IsUp and not lo.flags() & NI.IsPointToPoint
    assert lo.humanReadableName() == lo.name()
    assert NI.interfaceIndexFromName(lo.name()) == lo.index() > 0
    assert NI.interfaceNameFromIndex(lo.index()) == lo.name()
    assert NI.interfaceFromIndex(lo.index()) == lo
    assert NI.interfaceFromName(lo.name()) == lo
    # Qt: a decimal string names the index.
    assert NI.interfaceFromName(str(lo.index())) == lo
    ips = [e.ip().toString() for e in lo.addressEntries()]
    assert "127.0.0.1" in ips
    v4 = next(e for e in lo.addressEntries() if e.ip().toString() == "127.0.0.1")
    assert (v4.prefixLength(), v4.netmask().toString(), v4.broadcast().toString()) == (
        8,
        "255.0.0.0",
        "127.255.255.255",
    )
    assert QHostAddress("127.0.0.1") in NI.allAddresses()


def test_interface_is_a_value() -> None:
    lo = loopback()
    assert copy.copy(lo) == lo and copy.deepcopy(lo) == lo and NI(lo) == lo
    assert hash(NI(lo)) == hash(lo) and lo != NI()
    assert len({lo, NI(lo), NI()}) == 2
    assert repr(lo).startswith(f"<QNetworkInterface {lo.name()} index={lo.index()} IsUp")


# ---- QNetworkAddressEntry -------------------------------------------------


def test_address_entry_rules() -> None:
    e = QNetworkAddressEntry()
    assert (e.ip().toString(), e.netmask().toString(), e.broadcast().toString()) == ("", "", "")
    assert e.prefixLength() == -1
    e.setPrefixLength(8)
    assert e.prefixLength() == -1, "no prefix length without an address family"
    e.setIp(QHostAddress("10.1.2.3"))
    e.setPrefixLength(20)
    assert (e.netmask().toString(), e.prefixLength(), e.broadcast().toString()) == (
        "255.255.240.0",
        20,
        "",
    )
    e.setPrefixLength(33)
    assert (e.netmask().toString(), e.prefixLength()) == ("", -1)
    e.setNetmask(QHostAddress("255.255.0.0"))
    assert (e.netmask().toString(), e.prefixLength()) == ("255.255.0.0", 16)
    e.setNetmask(QHostAddress("255.0.255.0"))
    assert (e.netmask().toString(), e.prefixLength()) == ("", -1)
    e.setNetmask(QHostAddress("ffff::"))
    assert e.prefixLength() == -1, "a netmask of the other family clears it"
    e6 = QNetworkAddressEntry()
    e6.setIp(QHostAddress("fe80::1"))
    e6.setPrefixLength(64)
    assert (e6.netmask().toString(), e6.prefixLength()) == ("ffff:ffff:ffff:ffff::", 64)
    a, b = QNetworkAddressEntry(), QNetworkAddressEntry()
    for x in (a, b):
        x.setIp(QHostAddress("10.1.2.3"))
        x.setPrefixLength(20)
    assert a == b and QNetworkAddressEntry() == QNetworkAddressEntry()
    b.setBroadcast(QHostAddress("10.1.15.255"))
    assert a != b and QNetworkAddressEntry(b) == b
    assert repr(b) == "QNetworkAddressEntry(10.1.2.3/20 brd 10.1.15.255)"


# ---- real interfaces in the private namespace -----------------------------


@pytest.fixture
def links() -> Iterator[None]:
    """veth pairs in the test's own namespace, like the PySide6 probe:
    qa0 (up, MAC 02:00:00:00:00:0a, three addresses) <-> qa1 (up),
    qb0 (up, MTU 1400, /32) <-> qb1 (down, with an address)."""
    cmds = [
        "ip link add qa0 type veth peer name qa1",
        "ip link set qa0 address 02:00:00:00:00:0a",
        "ip addr add 10.9.0.1/24 dev qa0",
        "ip addr add 10.9.1.1/16 broadcast 10.9.255.254 dev qa0",
        "ip -6 addr add fd00::1/64 dev qa0 nodad",
        "ip link set qa0 up",
        "ip link set qa1 up",
        "ip link add qb0 type veth peer name qb1",
        "ip link set qb0 mtu 1400",
        "ip addr add 192.168.5.5/32 dev qb0",
        "ip addr add 10.8.0.1/24 dev qb1",
        "ip link set qb0 up",
    ]
    try:
        for c in cmds:
            subprocess.run(c, shell=True, check=True, capture_output=True, timeout=20)
        yield None
    finally:
        for n in ("qa0", "qb0"):
            subprocess.run(["ip", "link", "del", n], capture_output=True, timeout=20)


def entries(i: QNetworkInterface) -> list[tuple[str, str, str, int]]:
    return [
        (e.ip().toString(), e.netmask().toString(), e.broadcast().toString(), e.prefixLength())
        for e in i.addressEntries()
    ]


@pytest.mark.netns
def test_veth_interfaces_as_qt_lists_them(links: object) -> None:
    qa0, qa1 = NI.interfaceFromName("qa0"), NI.interfaceFromName("qa1")
    qb0, qb1 = NI.interfaceFromName("qb0"), NI.interfaceFromName("qb1")
    assert all(i.isValid() for i in (qa0, qa1, qb0, qb1))
    up = NI.IsUp | NI.IsRunning | NI.CanBroadcast | NI.CanMulticast
    assert qa0.flags() == up and qa1.flags() == up
    # qb0 is up but its peer is down: no carrier, so not running.
    assert qb0.flags() == NI.IsUp | NI.CanBroadcast | NI.CanMulticast
    assert qb1.flags() == NI.CanBroadcast | NI.CanMulticast
    assert qa0.type() is NI.Ethernet
    assert qa0.hardwareAddress() == "02:00:00:00:00:0A"
    assert (qa0.maximumTransmissionUnit(), qb0.maximumTransmissionUnit()) == (1500, 1400)
    got = entries(qa0)
    assert got[:3] == [
        ("10.9.0.1", "255.255.255.0", "10.9.0.255", 24),  # broadcast computed (Qt)
        ("10.9.1.1", "255.255.0.0", "10.9.255.254", 16),  # broadcast as configured
        ("fd00::1", "ffff:ffff:ffff:ffff::", "", 64),
    ]
    link_local = got[3]
    assert link_local[0].startswith("fe80::") and link_local[0].endswith("%qa0")
    assert entries(qb0) == [("192.168.5.5", "255.255.255.255", "192.168.5.5", 32)]
    assert entries(qb1) == [("10.8.0.1", "255.255.255.0", "10.8.0.255", 24)]
    everything = [a.toString() for a in NI.allAddresses()]
    assert "10.9.1.1" in everything and "192.168.5.5" in everything
    assert "10.8.0.1" not in everything, "allAddresses skips interfaces that are down"
    assert NI.interfaceFromIndex(qa0.index()) == qa0


@pytest.mark.netns
def test_listing_matches_pyside6(links: object) -> None:
    qn = qtnetwork()
    ours, theirs = dump_interfaces(NI), dump_interfaces(qn.QNetworkInterface)
    assert ours == theirs
    assert [a.toString() for a in NI.allAddresses()] == [
        a.toString() for a in qn.QNetworkInterface.allAddresses()
    ]
    for name in ("qa0", "1", "nope"):
        assert (
            NI.interfaceFromName(name).name() == qn.QNetworkInterface.interfaceFromName(name).name()
        )
        assert NI.interfaceIndexFromName(name) == qn.QNetworkInterface.interfaceIndexFromName(name)
    for index in (0, 1, 9999):
        assert NI.interfaceNameFromIndex(index) == qn.QNetworkInterface.interfaceNameFromIndex(
            index
        )
