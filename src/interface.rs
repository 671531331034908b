//! `QNetworkInterface` and `QNetworkAddressEntry`: the host's interfaces and
//! their addresses, as Qt lists them.
//!
//! Enumeration is the OS's own call, made in `sys`: getifaddrs(3) on Unix
//! (plus SIOCGIFMTU / SIOCGIWMODE on Linux, `if_data` on macOS) and
//! GetAdaptersAddresses on Windows. Qt's post-processing is done here, once
//! for every platform: an IPv4 entry without a broadcast address gets
//! `ip | ~netmask` (QNetworkInterfaceManager's postProcess), and an IPv6
//! link-local address carries the interface name as its scope id.

use std::hash::{Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::address::{extract_addr, HostAddr, Ip, QHostAddress, PROTO_IPV4, PROTO_IPV6};
use crate::enums;
use crate::sys::{IfInfo, LinkFlags, LinkKind};

/// Qt's `QNetworkInterface::InterfaceFlag` bits.
pub mod flag {
    pub const IS_UP: u32 = 0x1;
    pub const IS_RUNNING: u32 = 0x2;
    pub const CAN_BROADCAST: u32 = 0x4;
    pub const IS_LOOPBACK: u32 = 0x8;
    pub const IS_POINT_TO_POINT: u32 = 0x10;
    pub const CAN_MULTICAST: u32 = 0x20;
}

/// Qt's `QNetworkInterface::InterfaceType` numbers.
pub mod kind {
    pub const UNKNOWN: i64 = 0;
    pub const LOOPBACK: i64 = 1;
    pub const VIRTUAL: i64 = 2;
    pub const ETHERNET: i64 = 3;
    pub const SLIP: i64 = 4;
    pub const CAN_BUS: i64 = 5;
    pub const PPP: i64 = 6;
    pub const FDDI: i64 = 7;
    pub const WIFI: i64 = 8;
    pub const PHONET: i64 = 9;
    pub const IEEE802154: i64 = 10;
    pub const SIX_LOWPAN: i64 = 11;
    pub const IEEE80216: i64 = 12;
    pub const IEEE1394: i64 = 13;
}

/// One address of an interface. `prefix` is -1 when unknown, as Qt's
/// QNetmask; the netmask itself is derived from it and the IP's family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub ip: HostAddr,
    pub prefix: i32,
    pub broadcast: HostAddr,
}

impl Default for Entry {
    fn default() -> Self {
        Entry {
            ip: HostAddr::default(),
            prefix: -1,
            broadcast: HostAddr::default(),
        }
    }
}

fn width(protocol: i64) -> Option<i32> {
    match protocol {
        PROTO_IPV4 => Some(32),
        PROTO_IPV6 => Some(128),
        _ => None,
    }
}

impl Entry {
    pub fn new(ip: IpAddr, prefix: Option<u8>, broadcast: Option<Ipv4Addr>) -> Entry {
        let ip = HostAddr::from(match ip {
            IpAddr::V4(a) => Ip::V4(a),
            IpAddr::V6(a) => Ip::V6(a),
        });
        let mut e = Entry {
            ip,
            prefix: -1,
            broadcast: broadcast.map_or_else(HostAddr::default, |b| Ip::V4(b).into()),
        };
        e.set_prefix(prefix.map_or(-1, i32::from));
        e
    }

    /// QNetmask::setPrefixLength: out of range for the IP's family is -1.
    pub fn set_prefix(&mut self, len: i32) {
        self.prefix = match width(self.ip.protocol()) {
            Some(w) if (0..=w).contains(&len) => len,
            _ => -1,
        };
    }

    /// The netmask as an address of the IP's family (null when unknown).
    pub fn netmask(&self) -> HostAddr {
        let p = self.prefix;
        match (width(self.ip.protocol()), p) {
            (Some(32), 0..=32) => {
                let m = if p == 0 { 0 } else { u32::MAX << (32 - p) };
                Ip::V4(Ipv4Addr::from(m)).into()
            }
            (Some(128), 0..=128) => {
                let m = if p == 0 { 0 } else { u128::MAX << (128 - p) };
                Ip::V6(Ipv6Addr::from(m)).into()
            }
            _ => HostAddr::default(),
        }
    }

    /// QNetworkAddressEntry::setNetmask: a mask of the other family, or one
    /// whose ones are not contiguous, clears it.
    pub fn set_netmask(&mut self, mask: &HostAddr) {
        self.prefix = -1;
        if mask.protocol() != self.ip.protocol() {
            return;
        }
        let (bits, w) = match mask.ip {
            Ip::V4(a) => (u128::from(u32::from(a)) << 96, 32),
            Ip::V6(a) => (u128::from(a), 128),
            _ => return,
        };
        let ones = bits.leading_ones() as i32;
        if ones == 128 || bits << ones == 0 {
            self.prefix = ones.min(w);
        }
    }

    /// Qt's postProcess: broadcast = ip | ~netmask for an IPv4 entry that
    /// has a netmask but no broadcast address.
    fn fill_broadcast(&mut self) {
        if let Ip::V4(a) = self.ip.ip {
            if self.broadcast.is_null() && self.prefix >= 0 {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.prefix)
                };
                self.broadcast = Ip::V4(Ipv4Addr::from(u32::from(a) | !mask)).into();
            }
        }
    }

    /// Qt's operator==: ip, netmask and broadcast (scope ids do not count).
    fn same(&self, other: &Entry) -> bool {
        self.ip.ip == other.ip.ip
            && self.netmask().ip == other.netmask().ip
            && self.broadcast.ip == other.broadcast.ip
    }
}

/// One interface, a snapshot taken when it was listed (as Qt's).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Iface {
    pub index: u32,
    pub name: String,
    /// Windows' friendly name; empty elsewhere (humanReadableName = name).
    pub friendly: String,
    pub flags: u32,
    pub kind: i64,
    pub hw: String,
    pub mtu: i32,
    pub entries: Vec<Entry>,
}

impl Iface {
    pub fn is_valid(&self) -> bool {
        !self.name.is_empty()
    }

    /// The first IPv4 address, which Qt uses for IP_ADD_MEMBERSHIP and
    /// IP_MULTICAST_IF (struct in_addr names an interface by address).
    pub fn first_v4(&self) -> Option<Ipv4Addr> {
        self.entries.iter().find_map(|e| match e.ip.ip {
            Ip::V4(a) => Some(a),
            _ => None,
        })
    }

    pub fn ipv4_addresses(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        self.entries.iter().filter_map(|e| match e.ip.ip {
            Ip::V4(a) => Some(a),
            _ => None,
        })
    }
}

/// Qt's makeHwAddress: upper-case hex bytes joined by colons.
pub fn hw_string(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Qt's InterfaceFlag bits for the OS's flags.
fn qt_flags(f: LinkFlags) -> u32 {
    [
        (f.up, flag::IS_UP),
        (f.running, flag::IS_RUNNING),
        (f.broadcast, flag::CAN_BROADCAST),
        (f.loopback, flag::IS_LOOPBACK),
        (f.point_to_point, flag::IS_POINT_TO_POINT),
        (f.multicast, flag::CAN_MULTICAST),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .fold(0, |acc, (_, bit)| acc | bit)
}

/// Qt's InterfaceType number for the OS's link kind.
fn qt_kind(k: LinkKind) -> i64 {
    match k {
        LinkKind::Unknown => kind::UNKNOWN,
        LinkKind::Loopback => kind::LOOPBACK,
        LinkKind::Virtual => kind::VIRTUAL,
        LinkKind::Ethernet => kind::ETHERNET,
        LinkKind::Slip => kind::SLIP,
        LinkKind::CanBus => kind::CAN_BUS,
        LinkKind::Ppp => kind::PPP,
        LinkKind::Fddi => kind::FDDI,
        LinkKind::Wifi => kind::WIFI,
        LinkKind::Phonet => kind::PHONET,
        LinkKind::Ieee802154 => kind::IEEE802154,
        LinkKind::SixLowpan => kind::SIX_LOWPAN,
        LinkKind::Ieee80216 => kind::IEEE80216,
        LinkKind::Ieee1394 => kind::IEEE1394,
    }
}

impl From<IfInfo> for Iface {
    fn from(i: IfInfo) -> Iface {
        Iface {
            index: i.index,
            name: i.name,
            friendly: i.friendly,
            flags: qt_flags(i.flags),
            kind: qt_kind(i.kind),
            hw: hw_string(&i.hw),
            mtu: i.mtu,
            entries: i
                .addrs
                .into_iter()
                .map(|a| Entry::new(a.ip, a.prefix, a.broadcast))
                .collect(),
        }
    }
}

/// Every interface, in the OS's order, after Qt's post-processing. An
/// enumeration failure gives an empty list, as in Qt.
pub fn all() -> Vec<Iface> {
    let mut list: Vec<Iface> = crate::sys::interfaces()
        .unwrap_or_default()
        .into_iter()
        .map(Iface::from)
        .collect();
    for iface in &mut list {
        for e in &mut iface.entries {
            e.fill_broadcast();
            if e.ip.is_link_local() && matches!(e.ip.ip, Ip::V6(_)) {
                e.ip.scope = iface.name.clone();
            }
        }
    }
    list
}

/// QNetworkInterfaceManager::interfaceFromName: a decimal string is an
/// index, anything else a name.
pub fn by_name(name: &str) -> Option<Iface> {
    let index = name.parse::<u32>().ok();
    all()
        .into_iter()
        .find(|i| index.is_some_and(|n| n == i.index) || i.name == name)
}

pub fn by_index(index: u32) -> Option<Iface> {
    all().into_iter().find(|i| i.index == index)
}

/// The interface that owns IPv4 address `a` (Qt's nativeMulticastInterface).
pub fn by_v4_address(a: Ipv4Addr) -> Option<Iface> {
    all().into_iter().find(|i| i.ipv4_addresses().any(|x| x == a))
}

/// `QNetworkAddressEntry`: one IP address of an interface with its netmask
/// (kept as a prefix length, as Qt's QNetmask) and IPv4 broadcast address.
#[pyclass(name = "QNetworkAddressEntry", module = "qudp", subclass)]
#[derive(Clone, Default)]
pub struct QNetworkAddressEntry {
    pub inner: Entry,
}

#[pymethods]
impl QNetworkAddressEntry {
    /// `QNetworkAddressEntry()` is empty (prefix length -1);
    /// `QNetworkAddressEntry(other)` copies.
    #[new]
    #[pyo3(signature = (other=None))]
    fn py_new(other: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        match other {
            None => Ok(Self::default()),
            Some(o) => match o.cast::<QNetworkAddressEntry>() {
                Ok(e) => Ok(e.borrow().clone()),
                Err(_) => Err(crate::error::type_error(
                    "other",
                    "QNetworkAddressEntry",
                    &o.get_type().name()?.to_string(),
                )),
            },
        }
    }

    /// The IPv4 or IPv6 address; IPv6 link-local ones carry the interface
    /// name as scope id.
    fn ip(&self) -> QHostAddress {
        QHostAddress {
            inner: self.inner.ip.clone(),
        }
    }

    /// QNetworkAddressEntry::setIp(): set the entry's address.
    fn setIp(&mut self, newIp: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.ip = extract_addr(newIp, "newIp")?;
        Ok(())
    }

    /// The netmask as an address of the IP's family (`ffff:ffff:ffff:ffff::`
    /// for a /64); null when the prefix length is unknown.
    fn netmask(&self) -> QHostAddress {
        QHostAddress {
            inner: self.inner.netmask(),
        }
    }

    /// Set the netmask, which also sets the prefix length. A mask of the
    /// other family or with non-contiguous ones clears both (Qt's QNetmask).
    fn setNetmask(&mut self, newNetmask: &Bound<'_, PyAny>) -> PyResult<()> {
        let m = extract_addr(newNetmask, "newNetmask")?;
        self.inner.set_netmask(&m);
        Ok(())
    }

    /// Bits set in the netmask: 0..=32 (IPv4), 0..=128 (IPv6), -1 unknown.
    fn prefixLength(&self) -> i32 {
        self.inner.prefix
    }

    /// Set the prefix length; a value outside the IP family's range (or any
    /// value while the IP is null) means "unknown" (-1), as in Qt.
    fn setPrefixLength(&mut self, length: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = crate::error::i32_arg(length, "length")?;
        self.inner.set_prefix(v);
        Ok(())
    }

    /// The IPv4 broadcast address (IFA_BROADCAST, or `ip | ~netmask` when
    /// the OS gives none); always null for IPv6.
    fn broadcast(&self) -> QHostAddress {
        QHostAddress {
            inner: self.inner.broadcast.clone(),
        }
    }

    /// QNetworkAddressEntry::setBroadcast(): set the entry's broadcast address.
    fn setBroadcast(&mut self, newBroadcast: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.broadcast = extract_addr(newBroadcast, "newBroadcast")?;
        Ok(())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<QNetworkAddressEntry>()
            .is_ok_and(|o| self.inner.same(&o.borrow().inner))
    }

    fn __ne__(&self, other: &Bound<'_, PyAny>) -> bool {
        !self.__eq__(other)
    }

    fn __copy__(&self) -> Self {
        self.clone()
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> Self {
        self.clone()
    }

    fn __repr__(&self) -> String {
        entry_text(&self.inner).map_or_else(
            || "QNetworkAddressEntry()".to_owned(),
            |t| format!("QNetworkAddressEntry({t})"),
        )
    }
}

fn entry_text(e: &Entry) -> Option<String> {
    if e.ip.is_null() {
        return None;
    }
    let mut s = e.ip.to_qt_string();
    if e.prefix >= 0 {
        s.push_str(&format!("/{}", e.prefix));
    }
    if !e.broadcast.is_null() {
        s.push_str(&format!(" brd {}", e.broadcast.to_qt_string()));
    }
    Some(s)
}

fn type_name(o: &Bound<'_, PyAny>) -> String {
    o.get_type().name().map(|n| n.to_string()).unwrap_or_default()
}

/// Qt's `int` arguments: out of range is an OverflowError naming `arg`.
fn int32_arg(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<i32> {
    let v: i64 = obj.extract().map_err(|_| {
        if obj.is_instance_of::<pyo3::types::PyInt>() {
            pyo3::exceptions::PyOverflowError::new_err(format!(
                "{arg} must fit a C int, got {}",
                obj.repr().map(|r| r.to_string()).unwrap_or_default()
            ))
        } else {
            crate::error::type_error(arg, "int", &type_name(obj))
        }
    })?;
    i32::try_from(v).map_err(|_| {
        pyo3::exceptions::PyOverflowError::new_err(format!(
            "{arg} must be in -2147483648..=2147483647, got {v}"
        ))
    })
}

fn str_arg(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<String> {
    obj.extract::<String>()
        .map_err(|_| crate::error::type_error(arg, "str", &type_name(obj)))
}

/// `QNetworkInterface`: one network interface of this host, as listed when
/// the object was made (a snapshot, like Qt's). `QNetworkInterface()` is the
/// invalid interface: no name, index 0, no flags.
#[pyclass(name = "QNetworkInterface", module = "qudp", subclass, frozen)]
#[derive(Clone, Default)]
pub struct QNetworkInterface {
    pub inner: Iface,
}

impl QNetworkInterface {
    pub fn of(inner: Option<Iface>) -> Self {
        QNetworkInterface {
            inner: inner.unwrap_or_default(),
        }
    }
}

/// The interface an `iface` argument names: a QNetworkInterface, or None
/// for the invalid one (the OS's default).
pub fn extract_iface(obj: Option<&Bound<'_, PyAny>>, arg: &str) -> PyResult<Iface> {
    match obj {
        None => Ok(Iface::default()),
        Some(o) if o.is_none() => Ok(Iface::default()),
        Some(o) => match o.cast::<QNetworkInterface>() {
            Ok(i) => Ok(i.get().inner.clone()),
            Err(_) => Err(PyTypeError::new_err(format!(
                "{arg} must be QNetworkInterface or None, not {}",
                type_name(o)
            ))),
        },
    }
}

#[pymethods]
impl QNetworkInterface {
    /// `QNetworkInterface()`: the invalid interface. `QNetworkInterface(other)`
    /// copies.
    #[new]
    #[pyo3(signature = (other=None))]
    fn py_new(other: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        Ok(QNetworkInterface {
            inner: extract_iface(other, "other")?,
        })
    }

    /// True if this names an interface (its name is not empty).
    fn isValid(&self) -> bool {
        self.inner.is_valid()
    }

    /// The OS's interface index (the IPv6 scope id), 0 if unknown.
    fn index(&self) -> u32 {
        self.inner.index
    }

    /// The OS's name: "eth0", "lo" on Linux; the adapter GUID on Windows.
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// Windows' friendly name ("Ethernet 2"); the same as name() on Unix.
    fn humanReadableName(&self) -> String {
        if self.inner.friendly.is_empty() {
            self.inner.name.clone()
        } else {
            self.inner.friendly.clone()
        }
    }

    /// `InterfaceFlag`s from the OS's IFF_UP, IFF_RUNNING, IFF_BROADCAST,
    /// IFF_LOOPBACK, IFF_POINTOPOINT and IFF_MULTICAST.
    fn flags<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        enums::member(py, "InterfaceFlag", i64::from(self.inner.flags))
    }

    /// The `InterfaceType`, from the link type (ARPHRD_* on Linux, IFT_* on
    /// macOS, IF_TYPE_* on Windows); Unknown when it cannot be told.
    #[pyo3(name = "type")]
    fn type_<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        enums::member(py, "InterfaceType", self.inner.kind)
    }

    /// The link-layer address as upper-case hex bytes joined by ':'
    /// ("02:00:00:00:00:0A"); "" when the interface has none.
    fn hardwareAddress(&self) -> String {
        self.inner.hw.clone()
    }

    /// The MTU in bytes (SIOCGIFMTU on Linux), 0 if unknown.
    fn maximumTransmissionUnit(&self) -> i32 {
        self.inner.mtu
    }

    /// The interface's addresses, IPv4 first, each with netmask and (IPv4)
    /// broadcast address.
    fn addressEntries(&self) -> Vec<QNetworkAddressEntry> {
        self.inner
            .entries
            .iter()
            .map(|e| QNetworkAddressEntry { inner: e.clone() })
            .collect()
    }

    /// Every interface of this host, in the OS's order (up or not); an
    /// empty list if they cannot be listed.
    #[staticmethod]
    fn allInterfaces() -> Vec<QNetworkInterface> {
        all()
            .into_iter()
            .map(|inner| QNetworkInterface { inner })
            .collect()
    }

    /// Every address of every interface that is up (IsUp), in order.
    #[staticmethod]
    fn allAddresses<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let addrs: Vec<QHostAddress> = all()
            .into_iter()
            .filter(|i| i.flags & flag::IS_UP != 0)
            .flat_map(|i| i.entries.into_iter().map(|e| QHostAddress { inner: e.ip }))
            .collect();
        PyList::new(py, addrs)
    }

    /// The interface called `name`, which may also be an index in decimal
    /// ("1"); the invalid interface if there is none.
    #[staticmethod]
    fn interfaceFromName(name: &Bound<'_, PyAny>) -> PyResult<QNetworkInterface> {
        let name = str_arg(name, "name")?;
        Ok(QNetworkInterface::of(by_name(&name)))
    }

    /// The interface with OS index `index`; the invalid interface if none.
    #[staticmethod]
    fn interfaceFromIndex(index: &Bound<'_, PyAny>) -> PyResult<QNetworkInterface> {
        let index = int32_arg(index, "index")?;
        Ok(QNetworkInterface::of(
            u32::try_from(index).ok().filter(|i| *i != 0).and_then(by_index),
        ))
    }

    /// The index of interface `name` (if_nametoindex), or the number itself
    /// when `name` is decimal; 0 if there is no such interface.
    #[staticmethod]
    fn interfaceIndexFromName(name: &Bound<'_, PyAny>) -> PyResult<i64> {
        let name = str_arg(name, "name")?;
        Ok(i64::from(crate::sys::scope_index(&name) as i32))
    }

    /// The name of the interface with index `index` (if_indextoname); ""
    /// if there is none.
    #[staticmethod]
    fn interfaceNameFromIndex(index: &Bound<'_, PyAny>) -> PyResult<String> {
        let index = int32_arg(index, "index")?;
        Ok(u32::try_from(index)
            .ok()
            .filter(|i| *i != 0)
            .and_then(crate::sys::interface_name)
            .unwrap_or_default())
    }

    /// Interfaces compare by content (Qt compares by identity).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<QNetworkInterface>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __ne__(&self, other: &Bound<'_, PyAny>) -> bool {
        !self.__eq__(other)
    }

    fn __hash__(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (self.inner.index, &self.inner.name).hash(&mut h);
        h.finish()
    }

    fn __copy__(&self) -> Self {
        self.clone()
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> Self {
        self.clone()
    }

    fn __repr__(&self) -> String {
        let i = &self.inner;
        if !i.is_valid() {
            return "<QNetworkInterface invalid>".to_owned();
        }
        let names = [
            (flag::IS_UP, "IsUp"),
            (flag::IS_RUNNING, "IsRunning"),
            (flag::CAN_BROADCAST, "CanBroadcast"),
            (flag::IS_LOOPBACK, "IsLoopBack"),
            (flag::IS_POINT_TO_POINT, "IsPointToPoint"),
            (flag::CAN_MULTICAST, "CanMulticast"),
        ];
        let flags: Vec<&str> = names
            .iter()
            .filter(|(b, _)| i.flags & b != 0)
            .map(|(_, n)| *n)
            .collect();
        let mut s = format!(
            "<QNetworkInterface {} index={} {}",
            i.name,
            i.index,
            flags.join("|")
        );
        for e in &i.entries {
            if let Some(t) = entry_text(e) {
                s.push(' ');
                s.push_str(&t);
            }
        }
        s.push('>');
        s
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<QNetworkInterface>()?;
    m.add_class::<QNetworkAddressEntry>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(ip: &str, prefix: Option<u8>) -> Entry {
        Entry::new(ip.parse().unwrap(), prefix, None)
    }

    #[test]
    fn netmask_from_prefix_and_back() {
        let mut e = v4("10.1.2.3", Some(20));
        assert_eq!(e.netmask().to_qt_string(), "255.255.240.0");
        e.set_netmask(&HostAddr::parse("255.255.0.0").unwrap());
        assert_eq!(e.prefix, 16);
        e.set_netmask(&HostAddr::parse("255.0.255.0").unwrap());
        assert_eq!((e.prefix, e.netmask().is_null()), (-1, true));
        e.set_netmask(&HostAddr::parse("ffff::").unwrap());
        assert_eq!(e.prefix, -1, "a netmask of the other family clears it");
        e.set_prefix(33);
        assert_eq!(e.prefix, -1);
        e.set_netmask(&HostAddr::parse("255.255.255.255").unwrap());
        assert_eq!(e.prefix, 32);
        e.set_netmask(&HostAddr::parse("0.0.0.0").unwrap());
        assert_eq!(e.prefix, 0);
        let e6 = Entry::new("fe80::1".parse().unwrap(), Some(64), None);
        assert_eq!(e6.netmask().to_qt_string(), "ffff:ffff:ffff:ffff::");
        let mut null = Entry::default();
        null.set_prefix(8);
        assert_eq!(null.prefix, -1, "no prefix without an IP family");
    }

    #[test]
    fn broadcast_is_computed_when_missing() {
        let mut e = v4("10.9.0.1", Some(24));
        e.fill_broadcast();
        assert_eq!(e.broadcast.to_qt_string(), "10.9.0.255");
        let mut host = v4("192.168.5.5", Some(32));
        host.fill_broadcast();
        assert_eq!(host.broadcast.to_qt_string(), "192.168.5.5");
        let mut given = Entry::new(
            "10.9.1.1".parse().unwrap(),
            Some(16),
            Some("10.9.255.254".parse().unwrap()),
        );
        given.fill_broadcast();
        assert_eq!(given.broadcast.to_qt_string(), "10.9.255.254");
        let mut v6 = Entry::new("fd00::1".parse().unwrap(), Some(64), None);
        v6.fill_broadcast();
        assert!(v6.broadcast.is_null());
    }

    #[test]
    fn hardware_address_text() {
        assert_eq!(hw_string(&[2, 0, 0, 0, 0, 0x0a]), "02:00:00:00:00:0A");
        assert_eq!(hw_string(&[]), "");
    }

    #[test]
    fn loopback_is_listed_with_its_addresses() {
        let lo = all()
            .into_iter()
            .find(|i| i.flags & flag::IS_LOOPBACK != 0)
            .expect("a loopback interface");
        assert_eq!(lo.kind, kind::LOOPBACK);
        assert!(lo.ipv4_addresses().any(|a| a.is_loopback()) || lo.flags & flag::IS_UP == 0);
        assert_eq!(by_index(lo.index).map(|i| i.name), Some(lo.name.clone()));
        assert_eq!(by_name(&lo.index.to_string()).map(|i| i.index), Some(lo.index));
    }
}
