//! Multicast on `QAbstractSocket` / `QUdpSocket`: Qt's joinMulticastGroup,
//! leaveMulticastGroup, setMulticastInterface and multicastInterface with
//! Qt's exact results, plus source-specific membership (RFC 3678 group
//! requests by interface index) and joining on every interface at once.
//!
//! Qt's rules (qudpsocket.cpp, qnativesocketengine.cpp and
//! qnativesocketengine_unix.cpp multicastMembershipHelper):
//! - no OS socket: a warning, and False / an invalid interface;
//! - an OS socket that is not bound: the engine's warning, and False;
//! - an IPv4 group on an IPv6 or dual-stack socket: a warning, and False;
//! - any other failure: False, with error() left as it was and no
//!   errorOccurred (QUdpSocket only returns the engine's bool).

use std::net::{IpAddr, Ipv4Addr};

use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::address::{extract_addr, HostAddr, Ip, PROTO_ANY, PROTO_IPV4, PROTO_IPV6};
use crate::core::{state, Core};
use crate::error::arg_error;
use crate::interface::{self, extract_iface, flag, Iface, QNetworkInterface};
use crate::signal::lock;
use crate::socket::{qt_warning, QAbstractSocket};

const V4_GROUP_ON_V6: &str = "QAbstractSocket: cannot bind to QHostAddress::Any (or an IPv6 address) and join an IPv4 multicast group; bind to QHostAddress::AnyIPv4 instead if you want to do this";

/// Why Qt refuses a multicast call before asking the OS; each has its
/// warning text.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No OS socket (QT_CHECK_BOUND in qudpsocket.cpp).
    NoSocket,
    /// An OS socket that is not in BoundState (the engine's Q_CHECK_STATE).
    NotBound,
    /// An IPv4 group on an IPv6 or dual-stack socket.
    V4GroupOnV6,
}

impl Refusal {
    fn warning(&self, func: &str) -> String {
        match self {
            Refusal::NoSocket => {
                format!("QUdpSocket::{func}() called on a QUdpSocket when not in QUdpSocket::BoundState")
            }
            Refusal::NotBound => {
                format!("QNativeSocketEngine::{func}() was not called in QAbstractSocket::BoundState")
            }
            Refusal::V4GroupOnV6 => V4_GROUP_ON_V6.to_owned(),
        }
    }
}

/// Join or leave: the checks the engine makes before the syscall. The
/// IPv4-on-IPv6 refusal is Qt's for joins only (QNativeSocketEngine::
/// joinMulticastGroup); a leave goes to the OS, which refuses it.
fn precheck(core: &Core, join: bool, group: &HostAddr) -> Result<(), Refusal> {
    if !core.is_valid() {
        return Err(Refusal::NoSocket);
    }
    if core.state() != state::BOUND {
        return Err(Refusal::NotBound);
    }
    if join && group.protocol() == PROTO_IPV4 && matches!(core.proto(), PROTO_IPV6 | PROTO_ANY) {
        return Err(Refusal::V4GroupOnV6);
    }
    Ok(())
}

/// Qt's multicastMembershipHelper: an IPv6 group with IPV6_JOIN_GROUP /
/// IPV6_LEAVE_GROUP and the interface's index (0: the kernel's choice);
/// an IPv4 group with IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP and the
/// interface's first IPv4 address (INADDR_ANY for the invalid interface;
/// an interface without one fails). Anything else fails.
pub fn membership(core: &Core, join: bool, group: &HostAddr, iface: &Iface) -> Result<bool, Refusal> {
    precheck(core, join, group)?;
    let sock = core.sock().ok_or(Refusal::NoSocket)?;
    let r = match group.ip {
        Ip::V6(g) if join => sock.join_multicast_v6(&g, iface.index),
        Ip::V6(g) => sock.leave_multicast_v6(&g, iface.index),
        Ip::V4(g) => {
            let via = if iface.is_valid() {
                match iface.first_v4() {
                    Some(a) => a,
                    // Qt: NetworkError "Network unreachable" in the engine only.
                    None => return Ok(false),
                }
            } else {
                Ipv4Addr::UNSPECIFIED
            };
            if join {
                sock.join_multicast_v4(&g, &via)
            } else {
                sock.leave_multicast_v4(&g, &via)
            }
        }
        Ip::Any | Ip::Null => return Ok(false),
    };
    Ok(r.is_ok())
}

/// Beyond Qt: membership for one source (MCAST_JOIN_SOURCE_GROUP /
/// MCAST_LEAVE_SOURCE_GROUP), or for any source on one interface by index
/// (MCAST_JOIN_GROUP / MCAST_LEAVE_GROUP) when `source` is None. Same
/// checks as Qt's calls.
pub fn group_request(
    core: &Core,
    join: bool,
    group: IpAddr,
    ifindex: u32,
    source: Option<IpAddr>,
) -> Result<std::io::Result<()>, Refusal> {
    let g: HostAddr = match group {
        IpAddr::V4(a) => Ip::V4(a).into(),
        IpAddr::V6(a) => Ip::V6(a).into(),
    };
    precheck(core, join, &g)?;
    let sock = core.sock().ok_or(Refusal::NoSocket)?;
    Ok(crate::sys::group_request(
        sock, core.v6, join, ifindex, group, source,
    ))
}

/// The interfaces a group is joined on by joinMulticastGroupOnAllInterfaces:
/// up and multicast-capable (IFF_UP and IFF_MULTICAST).
pub fn multicast_capable() -> Vec<Iface> {
    interface::all()
        .into_iter()
        .filter(|i| i.flags & flag::IS_UP != 0 && i.flags & flag::CAN_MULTICAST != 0)
        .collect()
}

/// A group argument as an IP address of one family (for the group
/// requests, which need a concrete family).
fn concrete_ip(a: &HostAddr, arg: &str) -> PyResult<IpAddr> {
    match a.ip {
        Ip::V4(v) => Ok(IpAddr::V4(v)),
        Ip::V6(v) => Ok(IpAddr::V6(v)),
        _ => Err(arg_error(arg, "must be an IPv4 or IPv6 address")),
    }
}

/// The source argument of a source-specific call: a unicast address of
/// the group's family.
fn source_ip(group: &HostAddr, source: &Bound<'_, PyAny>) -> PyResult<IpAddr> {
    let s = extract_addr(source, "source")?;
    let ip = concrete_ip(&s, "source")?;
    if s.is_multicast() || ip.is_unspecified() {
        return Err(arg_error(
            "source",
            format!("must be a unicast address, got {}", s.to_qt_string()),
        ));
    }
    let same = matches!(
        (group.ip, ip),
        (Ip::V4(_), IpAddr::V4(_)) | (Ip::V6(_), IpAddr::V6(_))
    );
    if !same {
        return Err(arg_error(
            "source",
            format!(
                "{} is not of the same family as groupAddress {}",
                s.to_qt_string(),
                group.to_qt_string()
            ),
        ));
    }
    Ok(ip)
}

impl QAbstractSocket {
    fn join_or_leave(
        &self,
        py: Python<'_>,
        join: bool,
        group: &Bound<'_, PyAny>,
        iface: Option<&Bound<'_, PyAny>>,
        source: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let func = if join {
            "joinMulticastGroup"
        } else {
            "leaveMulticastGroup"
        };
        let g = extract_addr(group, "groupAddress")?;
        let iface = extract_iface(iface, "iface")?;
        let src = match source.filter(|s| !s.is_none()) {
            Some(s) => Some((concrete_ip(&g, "groupAddress")?, source_ip(&g, s)?)),
            None => None,
        };
        let r = {
            let c = lock(&self.core);
            match src {
                None => membership(&c, join, &g, &iface),
                Some((gip, sip)) => group_request(&c, join, gip, iface.index, Some(sip)).map(|r| r.is_ok()),
            }
        };
        match r {
            Ok(ok) => Ok(ok),
            Err(refusal) => {
                qt_warning(py, &refusal.warning(func));
                Ok(false)
            }
        }
    }

    fn on_all_interfaces<'py>(
        &self,
        py: Python<'py>,
        join: bool,
        group: &Bound<'py, PyAny>,
        source: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let func = if join {
            "joinMulticastGroupOnAllInterfaces"
        } else {
            "leaveMulticastGroupOnAllInterfaces"
        };
        let g = extract_addr(group, "groupAddress")?;
        let gip = concrete_ip(&g, "groupAddress")?;
        let sip = match source.filter(|s| !s.is_none()) {
            Some(s) => Some(source_ip(&g, s)?),
            None => None,
        };
        let candidates = multicast_capable();
        let mut done = Vec::new();
        let mut refused = None;
        {
            let c = lock(&self.core);
            for iface in candidates {
                match group_request(&c, join, gip, iface.index, sip) {
                    Err(r) => {
                        refused = Some(r);
                        break;
                    }
                    // Already a member there (EADDRINUSE) counts as joined.
                    Ok(Ok(())) => done.push(iface),
                    Ok(Err(e)) if join && e.kind() == std::io::ErrorKind::AddrInUse => done.push(iface),
                    Ok(Err(_)) => {}
                }
            }
            if refused.is_none() && done.is_empty() {
                // With no candidate interface at all, still make Qt's checks.
                if let Err(r) = precheck(&c, join, &g) {
                    refused = Some(r);
                }
            }
        }
        if let Some(r) = refused {
            qt_warning(py, &r.warning(func));
        }
        let items: Vec<QNetworkInterface> = done
            .into_iter()
            .map(|inner| QNetworkInterface { inner })
            .collect();
        PyList::new(py, items)
    }
}

#[pymethods]
impl QAbstractSocket {
    /// Join the multicast group `groupAddress` on interface `iface` (None
    /// or the invalid interface: the one the OS picks by route). Needs
    /// BoundState. An IPv6 group uses IPV6_JOIN_GROUP with the interface
    /// index; an IPv4 group uses IP_ADD_MEMBERSHIP with the interface's
    /// first IPv4 address, so it needs an IPv4 socket (bound to AnyIPv4 or
    /// an IPv4 address): on an IPv6 or dual-stack (Any) socket Qt refuses
    /// with a warning. Returns False on failure without touching error(),
    /// as Qt does.
    ///
    /// Beyond Qt: with `source`, join for that one source only
    /// (source-specific multicast, MCAST_JOIN_SOURCE_GROUP, RFC 3678); the
    /// interface is then named by index and needs no IPv4 address.
    #[pyo3(signature = (groupAddress, iface=None, *, source=None))]
    fn joinMulticastGroup(
        &self,
        py: Python<'_>,
        groupAddress: &Bound<'_, PyAny>,
        iface: Option<&Bound<'_, PyAny>>,
        source: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.join_or_leave(py, true, groupAddress, iface, source)
    }

    /// Leave the group joined with the same `groupAddress`, `iface` (and
    /// `source`): IPV6_LEAVE_GROUP / IP_DROP_MEMBERSHIP, or
    /// MCAST_LEAVE_SOURCE_GROUP with `source`. False when not a member or
    /// not bound, error() untouched, as in Qt.
    #[pyo3(signature = (groupAddress, iface=None, *, source=None))]
    fn leaveMulticastGroup(
        &self,
        py: Python<'_>,
        groupAddress: &Bound<'_, PyAny>,
        iface: Option<&Bound<'_, PyAny>>,
        source: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.join_or_leave(py, false, groupAddress, iface, source)
    }

    /// Beyond Qt: join `groupAddress` (for `source` only, if given) on
    /// every interface that is up and can multicast (IFF_UP and
    /// IFF_MULTICAST), each by index with MCAST_JOIN_GROUP /
    /// MCAST_JOIN_SOURCE_GROUP, so interfaces without an IPv4 address work
    /// too. Returns the interfaces now joined (already-joined ones
    /// included); an empty list if none. Same state and family rules as
    /// joinMulticastGroup.
    #[pyo3(signature = (groupAddress, *, source=None))]
    fn joinMulticastGroupOnAllInterfaces<'py>(
        &self,
        py: Python<'py>,
        groupAddress: &Bound<'py, PyAny>,
        source: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        self.on_all_interfaces(py, true, groupAddress, source)
    }

    /// Beyond Qt: leave `groupAddress` (for `source`) on every up,
    /// multicast-capable interface; returns the interfaces left.
    #[pyo3(signature = (groupAddress, *, source=None))]
    fn leaveMulticastGroupOnAllInterfaces<'py>(
        &self,
        py: Python<'py>,
        groupAddress: &Bound<'py, PyAny>,
        source: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        self.on_all_interfaces(py, false, groupAddress, source)
    }

    /// The outgoing interface for multicast datagrams: IPV6_MULTICAST_IF on
    /// IPv6 and dual-stack sockets, IP_MULTICAST_IF (an address, mapped back
    /// to its interface) on IPv4 ones. The invalid interface when none was
    /// set, or (with Qt's warning) when the socket does not exist.
    fn multicastInterface(&self, py: Python<'_>) -> QNetworkInterface {
        let got = {
            let c = lock(&self.core);
            c.sock().map(|s| {
                if c.v6() {
                    s.multicast_if_v6()
                        .ok()
                        .filter(|i| *i != 0)
                        .and_then(interface::by_index)
                } else {
                    s.multicast_if_v4()
                        .ok()
                        .filter(|a| !a.is_unspecified())
                        .and_then(interface::by_v4_address)
                }
            })
        };
        match got {
            Some(iface) => QNetworkInterface::of(iface),
            None => {
                qt_warning(py, &Refusal::NoSocket.warning("multicastInterface"));
                QNetworkInterface::default()
            }
        }
    }

    /// Send multicast datagrams out of `iface` (None or the invalid
    /// interface: the OS's choice again). IPv6 and dual-stack sockets set
    /// IPV6_MULTICAST_IF to its index; IPv4 sockets set IP_MULTICAST_IF to
    /// its first IPv4 address that the OS accepts (nothing happens for an
    /// interface without one, as in Qt). Beyond Qt, a dual-stack socket also
    /// sets IP_MULTICAST_IF where the OS allows it, so its IPv4 multicast
    /// leaves by the same interface. Needs a socket (Qt's warning otherwise).
    #[pyo3(signature = (iface))]
    fn setMulticastInterface(&self, py: Python<'_>, iface: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let iface = extract_iface(iface, "iface")?;
        let applied = {
            let c = lock(&self.core);
            c.sock().map(|s| {
                let v4 = |s: &socket2::Socket| {
                    if !iface.is_valid() {
                        let _ = s.set_multicast_if_v4(&Ipv4Addr::UNSPECIFIED);
                        return;
                    }
                    for a in iface.ipv4_addresses() {
                        if s.set_multicast_if_v4(&a).is_ok() {
                            return;
                        }
                    }
                };
                if c.v6() {
                    let _ = s.set_multicast_if_v6(iface.index);
                    if c.proto() == PROTO_ANY {
                        v4(s);
                    }
                } else {
                    v4(s);
                }
            })
        };
        if applied.is_none() {
            qt_warning(py, &Refusal::NoSocket.warning("setMulticastInterface"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Events;

    fn bound(addr: &str) -> Core {
        let mut c = Core::default();
        assert!(c.bind(&HostAddr::parse(addr).unwrap(), 0, 0, &mut Events::new()));
        c
    }

    fn g(a: &str) -> HostAddr {
        HostAddr::parse(a).unwrap()
    }

    #[test]
    fn refusals_follow_qt() {
        let none = Core::default();
        assert_eq!(
            membership(&none, true, &g("239.1.1.1"), &Iface::default()),
            Err(Refusal::NoSocket)
        );
        let dual = {
            let mut c = Core::default();
            assert!(c.bind(&Ip::Any.into(), 0, 0, &mut Events::new()));
            c
        };
        assert_eq!(
            membership(&dual, true, &g("239.1.1.1"), &Iface::default()),
            Err(Refusal::V4GroupOnV6)
        );
        // Leaving is not refused up front; the OS says no.
        assert_eq!(
            membership(&dual, false, &g("239.1.1.1"), &Iface::default()),
            Ok(false)
        );
        let v6 = bound("::1");
        assert_eq!(
            membership(&v6, true, &g("239.1.1.1"), &Iface::default()),
            Err(Refusal::V4GroupOnV6)
        );
        assert!(Refusal::NotBound
            .warning("joinMulticastGroup")
            .starts_with("QNativeSocketEngine::joinMulticastGroup() was not called"));
    }

    /// Move this test's thread into a fresh network namespace with lo up,
    /// so no group is ever joined on the host's interfaces (network
    /// namespaces are per thread). False where that is not allowed.
    fn private_netns() -> bool {
        // SAFETY: unshare affects only this thread's namespaces.
        if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
            return false;
        }
        // SAFETY: a plain ioctl on a throwaway socket with a zeroed ifreq.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
            if fd < 0 {
                return false;
            }
            let mut req: libc::ifreq = std::mem::zeroed();
            req.ifr_name[0] = b'l' as libc::c_char;
            req.ifr_name[1] = b'o' as libc::c_char;
            let ok = libc::ioctl(fd, libc::SIOCGIFFLAGS as _, &mut req) == 0 && {
                req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
                libc::ioctl(fd, libc::SIOCSIFFLAGS as _, &req) == 0
            };
            libc::close(fd);
            ok
        }
    }

    #[test]
    fn v4_join_on_loopback_bound_socket_and_leave_twice() {
        if !private_netns() {
            eprintln!("skipped: cannot create a private network namespace");
            return;
        }
        // IP_ADD_MEMBERSHIP by the address of lo; a second leave fails.
        let c = bound("127.0.0.1");
        let lo = interface::all()
            .into_iter()
            .find(|i| i.flags & flag::IS_LOOPBACK != 0 && i.first_v4().is_some());
        let Some(lo) = lo else { return };
        assert_eq!(membership(&c, true, &g("239.255.7.7"), &lo), Ok(true));
        assert_eq!(
            membership(&c, true, &g("239.255.7.7"), &lo),
            Ok(false),
            "already joined"
        );
        assert_eq!(membership(&c, false, &g("239.255.7.7"), &lo), Ok(true));
        assert_eq!(membership(&c, false, &g("239.255.7.7"), &lo), Ok(false));
        assert_eq!(
            membership(&c, true, &g("10.1.1.1"), &lo),
            Ok(false),
            "not a group"
        );
        assert_eq!(membership(&c, true, &HostAddr::default(), &lo), Ok(false));
        let no_v4 = Iface {
            name: "x".into(),
            index: lo.index,
            ..Iface::default()
        };
        assert_eq!(membership(&c, true, &g("239.255.7.8"), &no_v4), Ok(false));
    }

    #[test]
    fn source_specific_group_requests_are_accepted_by_the_kernel() {
        // MCAST_JOIN_SOURCE_GROUP / MCAST_LEAVE_SOURCE_GROUP on lo by index:
        // a wrongly laid-out group_source_req would be refused (EINVAL).
        if !private_netns() {
            eprintln!("skipped: cannot create a private network namespace");
            return;
        }
        let c = bound("127.0.0.1");
        let Some(lo) = interface::all()
            .into_iter()
            .find(|i| i.flags & flag::IS_LOOPBACK != 0)
        else {
            return;
        };
        let g: IpAddr = "232.7.7.7".parse().unwrap();
        let src: IpAddr = "127.0.0.2".parse().unwrap();
        let r = |join| group_request(&c, join, g, lo.index, Some(src)).expect("not refused");
        assert!(r(true).is_ok());
        assert!(r(false).is_ok());
        assert!(r(false).is_err(), "left already");
        let any = |join| group_request(&c, join, g, lo.index, None).expect("not refused");
        assert!(any(true).is_ok());
        assert!(any(false).is_ok());
    }
}
