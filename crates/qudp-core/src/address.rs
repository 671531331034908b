//! Addresses as Qt keeps them: an IPv4 or IPv6 address with an optional
//! scope id, or one of Qt's special values (null, the dual-stack "Any").

use std::hash::Hash;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

mod parse;

/// Qt's `NetworkLayerProtocol` numbers.
pub const PROTO_IPV4: i64 = 0;
pub const PROTO_IPV6: i64 = 1;
pub const PROTO_ANY: i64 = 2;
pub const PROTO_UNKNOWN: i64 = -1;

/// The address itself. `Any` is Qt's `QHostAddress::Any`: both families'
/// unspecified address at once (a dual-stack socket binds it as `::`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Ip {
    #[default]
    Null,
    Any,
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct HostAddr {
    pub ip: Ip,
    /// IPv6 scope (interface name or number), as Qt keeps it: a string.
    pub scope: String,
}

/// RFC 5952 text as Qt writes it: like Rust's, except that a deprecated
/// v4-compatible address whose upper 16 of 32 bits are set (::1.2.3.4, but
/// not ::2) keeps its dotted quad.
fn v6_text(a: Ipv6Addr) -> String {
    let v = u128::from(a);
    if v >> 32 == 0 && v >= 0x1_0000 {
        format!("::{}", Ipv4Addr::from(v as u32))
    } else {
        a.to_string()
    }
}

/// Qt's `SpecialAddress` numbers.
pub fn special(value: i64) -> Option<HostAddr> {
    let ip = match value {
        0 => Ip::Null,
        1 => Ip::V4(Ipv4Addr::BROADCAST),
        2 => Ip::V4(Ipv4Addr::LOCALHOST),
        3 => Ip::V6(Ipv6Addr::LOCALHOST),
        4 => Ip::Any,
        5 => Ip::V6(Ipv6Addr::UNSPECIFIED),
        6 => Ip::V4(Ipv4Addr::UNSPECIFIED),
        _ => return None,
    };
    Some(HostAddr::from(ip))
}

impl From<Ip> for HostAddr {
    fn from(ip: Ip) -> Self {
        HostAddr {
            ip,
            scope: String::new(),
        }
    }
}

impl HostAddr {
    /// Parse the way `QHostAddress::setAddress(QString)` does (see
    /// `parse.rs`); None where Qt returns false.
    pub fn parse(text: &str) -> Option<HostAddr> {
        parse::parse(text)
    }

    pub fn protocol(&self) -> i64 {
        match self.ip {
            Ip::Null => PROTO_UNKNOWN,
            Ip::Any => PROTO_ANY,
            Ip::V4(_) => PROTO_IPV4,
            Ip::V6(_) => PROTO_IPV6,
        }
    }

    pub fn is_null(&self) -> bool {
        self.ip == Ip::Null
    }

    pub fn to_qt_string(&self) -> String {
        match self.ip {
            Ip::Null => String::new(),
            Ip::Any => "0.0.0.0".to_owned(),
            Ip::V4(a) => a.to_string(),
            Ip::V6(a) if self.scope.is_empty() => v6_text(a),
            Ip::V6(a) => format!("{}%{}", v6_text(a), self.scope),
        }
    }

    /// The address as an `IpAddr` for a socket call; `Any` is `::` (Qt binds
    /// it on a dual-stack IPv6 socket).
    pub fn ip_addr(&self) -> Option<IpAddr> {
        match self.ip {
            Ip::Null => None,
            Ip::Any => Some(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
            Ip::V4(a) => Some(IpAddr::V4(a)),
            Ip::V6(a) => Some(IpAddr::V6(a)),
        }
    }

    /// Socket address for `port`, for a socket of family v6 (`v6_socket`):
    /// IPv4 addresses become v4-mapped there, as Qt's setPortAndAddress does.
    pub fn socket_addr(&self, port: u16, v6_socket: bool) -> Option<SocketAddr> {
        let ip = self.ip_addr()?;
        Some(match (ip, v6_socket) {
            (IpAddr::V4(a), true) => SocketAddr::V6(SocketAddrV6::new(a.to_ipv6_mapped(), port, 0, 0)),
            (IpAddr::V6(a), _) => {
                let scope_id = crate::sys::scope_index(&self.scope);
                SocketAddr::V6(SocketAddrV6::new(a, port, 0, scope_id))
            }
            (IpAddr::V4(a), false) => SocketAddr::new(IpAddr::V4(a), port),
        })
    }

    /// From a socket address the kernel gave us. A scope number becomes an
    /// interface name where one exists, as Qt does for link-local peers.
    pub fn from_socket_addr(sa: &SocketAddr) -> HostAddr {
        match sa {
            SocketAddr::V4(a) => Ip::V4(*a.ip()).into(),
            SocketAddr::V6(a) => HostAddr {
                ip: Ip::V6(*a.ip()),
                scope: if a.scope_id() == 0 {
                    String::new()
                } else {
                    crate::sys::scope_name(a.scope_id())
                },
            },
        }
    }

    /// Qt's toIPv4Address(&ok): the IPv4 value where there is one (Any and
    /// "::" give 0, a v4-mapped address its IPv4 part), else None.
    pub fn v4_u32(&self) -> Option<u32> {
        match self.ip {
            Ip::V4(a) => Some(u32::from(a)),
            Ip::Any => Some(0),
            Ip::V6(a) if a.is_unspecified() => Some(0),
            Ip::V6(a) => a.to_ipv4_mapped().map(u32::from),
            Ip::Null => None,
        }
    }

    /// The 16 bytes Qt keeps for every address (toIPv6Address): IPv4 as
    /// v4-mapped except 0.0.0.0, which is all zeros like Any and Null.
    pub fn v6_octets(&self) -> [u8; 16] {
        match self.ip {
            Ip::V6(a) => a.octets(),
            Ip::V4(a) if a.is_unspecified() => [0; 16],
            Ip::V4(a) => a.to_ipv6_mapped().octets(),
            Ip::Any | Ip::Null => [0; 16],
        }
    }

    /// The IPv4 address Qt classifies: the address itself, or the IPv4
    /// inside a v4-mapped IPv6 one (QHostAddressPrivate::classify).
    fn embedded_v4(&self) -> Option<Ipv4Addr> {
        match self.ip {
            Ip::V4(a) => Some(a),
            Ip::V6(a) => a.to_ipv4_mapped(),
            _ => None,
        }
    }

    fn class(&self) -> Class {
        if let Some(a) = self.embedded_v4().filter(|a| !a.is_unspecified()) {
            let o = a.octets();
            return match o[0] {
                127 => Class::Loopback,
                224..=239 => Class::Multicast,
                169 if o[1] == 254 => Class::LinkLocal,
                0 => Class::LocalNet,
                255 if a == Ipv4Addr::BROADCAST => Class::Broadcast,
                240..=255 => Class::Unknown,
                10 => Class::Private,
                172 if (16..=31).contains(&o[1]) => Class::Private,
                192 if o[1] == 168 => Class::Private,
                _ => Class::Global,
            };
        }
        let Ip::V6(a) = self.ip else {
            return if self.ip == Ip::Null {
                Class::Unknown
            } else {
                Class::LocalNet
            };
        };
        let seg0 = a.segments()[0];
        if seg0 >> 8 == 0xff {
            Class::Multicast
        } else if seg0 & 0xffc0 == 0xfec0 {
            Class::SiteLocal
        } else if seg0 & 0xffc0 == 0xfe80 {
            Class::LinkLocal
        } else if seg0 & 0xff80 == 0xfe00 {
            Class::Unknown
        } else if seg0 & 0xfe00 == 0xfc00 {
            Class::UniqueLocal
        } else if u128::from(a) >> 64 != 0 {
            Class::Global
        } else if a == Ipv6Addr::LOCALHOST {
            Class::Loopback
        } else if a.is_unspecified() || a.to_ipv4_mapped().is_some() {
            Class::LocalNet
        } else {
            Class::Global
        }
    }

    pub fn is_loopback(&self) -> bool {
        self.class() == Class::Loopback
    }
    pub fn is_multicast(&self) -> bool {
        self.class() == Class::Multicast
    }
    pub fn is_broadcast(&self) -> bool {
        self.class() == Class::Broadcast
    }
    pub fn is_link_local(&self) -> bool {
        self.class() == Class::LinkLocal
    }
    pub fn is_site_local(&self) -> bool {
        self.class() == Class::SiteLocal
    }
    pub fn is_unique_local(&self) -> bool {
        self.class() == Class::UniqueLocal
    }
    pub fn is_private_use(&self) -> bool {
        matches!(self.class(), Class::Private | Class::UniqueLocal)
    }
    /// Qt counts private, unique-local and site-local ranges as global too.
    pub fn is_global(&self) -> bool {
        matches!(
            self.class(),
            Class::Global | Class::Private | Class::UniqueLocal | Class::SiteLocal
        )
    }

    /// Whether the first `prefix` bits equal those of `subnet`; families
    /// must match, as in Qt; a prefix past the width is clamped.
    pub fn in_subnet(&self, subnet: &HostAddr, prefix: i64) -> bool {
        if prefix < 0 {
            return false;
        }
        match (self.ip, subnet.ip) {
            (Ip::V4(a), Ip::V4(s)) => {
                let p = prefix.min(32) as u32;
                let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
                (u32::from(a) & mask) == (u32::from(s) & mask)
            }
            (Ip::V6(a), Ip::V6(s)) => {
                let p = prefix.min(128) as u32;
                let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
                (u128::from(a) & mask) == (u128::from(s) & mask)
            }
            _ => false,
        }
    }

    /// Qt's isEqual with a ConversionMode; the scope id never counts.
    pub fn equal(&self, other: &HostAddr, mode: i64) -> bool {
        const V4_MAPPED: i64 = 1;
        const V4_COMPAT: i64 = 2;
        const UNSPECIFIED: i64 = 4;
        const LOCALHOST: i64 = 8;
        // IPv6 → IPv4 as convertToIpv4 allows under `mode`.
        let to_v4 = |a: Ipv6Addr| -> Option<Ipv4Addr> {
            let v = u128::from(a);
            if v >> 64 != 0 {
                return None;
            }
            if let Some(m) = a.to_ipv4_mapped() {
                return (mode & V4_MAPPED != 0).then_some(m);
            }
            if v == 0 && mode & UNSPECIFIED != 0 {
                return Some(Ipv4Addr::UNSPECIFIED);
            }
            if v == 1 && mode & LOCALHOST != 0 {
                return Some(Ipv4Addr::LOCALHOST);
            }
            // "::x" is the v4-compatible form of x (:: of 0.0.0.0).
            if v >> 32 == 0 && mode & V4_COMPAT != 0 {
                return Some(Ipv4Addr::from(v as u32));
            }
            None
        };
        match (self.ip, other.ip) {
            (Ip::V4(a), Ip::V4(b)) => a == b,
            (Ip::V6(a), Ip::V6(b)) => a == b,
            (Ip::V4(a), Ip::V6(b)) | (Ip::V6(b), Ip::V4(a)) => to_v4(b) == Some(a),
            (Ip::Any, Ip::V4(a)) | (Ip::V4(a), Ip::Any) => mode & UNSPECIFIED != 0 && a.is_unspecified(),
            (Ip::Any, Ip::V6(a)) | (Ip::V6(a), Ip::Any) => mode & UNSPECIFIED != 0 && a.is_unspecified(),
            (a, b) => a == b,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Loopback,
    Multicast,
    LinkLocal,
    LocalNet,
    Broadcast,
    Unknown,
    Private,
    Global,
    SiteLocal,
    UniqueLocal,
}

/// QHostAddress::parseSubnet: "addr/prefix" or "addr/netmask"; IPv4 may
/// give 1 to 4 decimal parts ("192.168.1" is 192.168.1.0/24 by default).
pub fn parse_subnet(text: &str) -> Option<(HostAddr, i64)> {
    let t = text.trim();
    let (addr, mask) = match t.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (t, None),
    };
    let (net, max, default) = if addr.contains(':') {
        let a = HostAddr::parse(addr)?;
        (a, 128, 128)
    } else {
        let a = addr.strip_suffix('.').unwrap_or(addr);
        let parts: Vec<&str> = a.split('.').collect();
        if parts.is_empty() || parts.len() > 4 {
            return None;
        }
        let mut o = [0u8; 4];
        for (i, p) in parts.iter().enumerate() {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            o[i] = p.parse::<u8>().ok()?;
        }
        (
            HostAddr::from(Ip::V4(Ipv4Addr::from(o))),
            32,
            8 * parts.len() as i64,
        )
    };
    let prefix: i64 = match mask {
        None => default,
        Some(m) if m.contains('.') && max == 32 => {
            // A dotted netmask must be contiguous ones.
            let v = u32::from(m.parse::<Ipv4Addr>().ok()?);
            if v.leading_ones() + v.trailing_zeros() != 32 {
                return None;
            }
            i64::from(v.leading_ones())
        }
        Some(m) => {
            let n = m.parse::<i64>().ok()?;
            if !(0..=max).contains(&n) {
                return None;
            }
            n
        }
    };
    // Qt clears the host bits of the returned network address.
    let ip = match net.ip {
        Ip::V4(v) => {
            let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
            Ip::V4(Ipv4Addr::from(u32::from(v) & mask))
        }
        Ip::V6(v) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix)
            };
            Ip::V6(Ipv6Addr::from(u128::from(v) & mask))
        }
        other => other,
    };
    Some((HostAddr { ip, scope: net.scope }, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_v4_v6_and_scope() {
        assert_eq!(
            HostAddr::parse(" 127.0.0.1 ").unwrap().ip,
            Ip::V4(Ipv4Addr::LOCALHOST)
        );
        let s = HostAddr::parse("fe80::1%eth0").unwrap();
        assert_eq!(s.scope, "eth0");
        assert_eq!(s.to_qt_string(), "fe80::1%eth0");
        assert!(HostAddr::parse("300.1.1.1").is_none());
        assert!(HostAddr::parse("").is_none());
        assert!(HostAddr::parse("localhost").is_none());
        assert!(HostAddr::parse("1.2.3.4.5").is_none());
        let q = |t: &str| HostAddr::parse(t).unwrap().to_qt_string();
        assert_eq!(q("1.2.3"), "1.2.0.3");
        assert_eq!(q("127.1"), "127.0.0.1");
        assert_eq!(q("010.0.0.1"), "8.0.0.1");
        assert_eq!(q("0x7f.1"), "127.0.0.1");
        assert_eq!(q("1"), "0.0.0.1");
    }

    #[test]
    fn strict_equality_keeps_families_apart() {
        let mapped = HostAddr::parse("::ffff:1.2.3.4").unwrap();
        let v4 = HostAddr::parse("1.2.3.4").unwrap();
        assert!(!mapped.equal(&v4, 0));
        assert!(mapped.equal(&v4, 0xff));
        let a = HostAddr::parse("fe80::1%eth0").unwrap();
        let b = HostAddr::parse("fe80::1%1").unwrap();
        assert!(a.equal(&b, 0));
        assert!(HostAddr::parse("::ffff:127.0.0.1").unwrap().is_loopback());
        assert!(!special(4).unwrap().equal(&special(6).unwrap(), 0));
        assert!(special(4).unwrap().equal(&special(6).unwrap(), 0xff));
    }

    #[test]
    fn subnets() {
        let (a, p) = parse_subnet("192.168.7.9/16").unwrap();
        assert_eq!((a.to_qt_string().as_str(), p), ("192.168.0.0", 16));
        assert_eq!(parse_subnet("10.0.0.0/255.0.0.0").unwrap().1, 8);
        assert!(parse_subnet("10.0.0.0/33").is_none());
        let x = HostAddr::parse("192.168.200.1").unwrap();
        assert!(x.in_subnet(&a, 16));
        assert!(!x.in_subnet(&a, 24 + 1));
        assert_eq!(parse_subnet("192.168.1").unwrap().1, 24);
        assert_eq!(parse_subnet("192.168.1").unwrap().0.to_qt_string(), "192.168.1.0");
    }

    #[test]
    fn specials_match_qt_strings() {
        let s: Vec<String> = (0..7).map(|v| special(v).unwrap().to_qt_string()).collect();
        assert_eq!(
            s,
            [
                "",
                "255.255.255.255",
                "127.0.0.1",
                "::1",
                "0.0.0.0",
                "::",
                "0.0.0.0"
            ]
        );
    }
}
