//! Interface listing from getifaddrs(3), in plain records (`IfInfo`):
//! Linux adds SIOCGIFMTU / SIOCGIWMODE, macOS reads `if_data`. Qt's
//! post-processing and numbering live in `interface.rs`.

use std::ffi::CStr;
use std::io;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::mem::MaybeUninit;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{IfAddr, IfInfo, LinkFlags, LinkKind};

/// The IFF_* bits Qt reports (qnetworkinterface_unix.cpp convertFlags).
fn link_flags(f: libc::c_uint) -> LinkFlags {
    let f = f as libc::c_int;
    LinkFlags {
        up: f & libc::IFF_UP != 0,
        running: f & libc::IFF_RUNNING != 0,
        broadcast: f & libc::IFF_BROADCAST != 0,
        loopback: f & libc::IFF_LOOPBACK != 0,
        point_to_point: f & libc::IFF_POINTOPOINT != 0,
        multicast: f & libc::IFF_MULTICAST != 0,
    }
}

/// Address and prefix length from a sockaddr the OS handed out.
///
/// # Safety
/// `sa` is null or points to a sockaddr of the family it names.
unsafe fn ip_of(sa: *const libc::sockaddr) -> Option<IpAddr> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: the caller guarantees a valid sockaddr; the family tells the
    // concrete type, read unaligned as getifaddrs gives no alignment promise.
    unsafe {
        match libc::c_int::from((*sa).sa_family) {
            libc::AF_INET => {
                let a: libc::sockaddr_in = std::ptr::read_unaligned(sa.cast());
                Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr))))
            }
            libc::AF_INET6 => {
                let a: libc::sockaddr_in6 = std::ptr::read_unaligned(sa.cast());
                Some(IpAddr::V6(Ipv6Addr::from(a.sin6_addr.s6_addr)))
            }
            _ => None,
        }
    }
}

fn prefix_of(mask: Option<IpAddr>) -> Option<u8> {
    let bits = match mask? {
        IpAddr::V4(m) => u128::from(u32::from(m)) << 96,
        IpAddr::V6(m) => u128::from(m),
    };
    let ones = bits.leading_ones();
    (ones == 128 || bits << ones == 0).then_some(ones as u8)
}

/// Link-layer facts for one interface: hardware address, Qt type, MTU.
#[derive(Default)]
struct Link {
    hw: Vec<u8>,
    kind: LinkKind,
    mtu: i32,
}

/// Linux: the AF_PACKET entry's sockaddr_ll gives the ARPHRD type and the
/// hardware address; Qt's probeIfType maps the type, telling Wi-Fi from
/// Ethernet with SIOCGIWMODE; the MTU comes from SIOCGIFMTU.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn link_of(ifa: &libc::ifaddrs, name: &CStr) -> Option<(u32, Link)> {
    if ifa.ifa_addr.is_null() {
        return None;
    }
    // SAFETY: ifa_addr is non-null and getifaddrs keeps it alive.
    if libc::c_int::from(unsafe { (*ifa.ifa_addr).sa_family }) != libc::AF_PACKET {
        return None;
    }
    // SAFETY: an AF_PACKET address is a sockaddr_ll.
    let ll: libc::sockaddr_ll = unsafe { std::ptr::read_unaligned(ifa.ifa_addr.cast()) };
    let len = usize::from(ll.sll_halen).min(ll.sll_addr.len());
    let ioctl = |req: libc::c_ulong| -> Option<libc::ifreq> {
        // SAFETY: ifreq is plain old data; all-zero is valid.
        let mut r: libc::ifreq = unsafe { MaybeUninit::zeroed().assume_init() };
        for (d, s) in r
            .ifr_name
            .iter_mut()
            .zip(name.to_bytes().iter().take(libc::IFNAMSIZ - 1))
        {
            *d = *s as libc::c_char;
        }
        // SAFETY: a throwaway datagram socket for the interface ioctls.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return None;
        }
        // SAFETY: r is a valid ifreq for these read-only requests.
        let ok = unsafe { libc::ioctl(fd, req as _, &mut r) } >= 0;
        // SAFETY: fd was opened above and is closed once.
        unsafe { libc::close(fd) };
        ok.then_some(r)
    };
    // Qt's probeIfType (qnetworkinterface_linux.cpp).
    let kind = match ll.sll_hatype {
        libc::ARPHRD_LOOPBACK => LinkKind::Loopback,
        libc::ARPHRD_ETHER if ioctl(libc::SIOCGIWMODE).is_some() => LinkKind::Wifi,
        libc::ARPHRD_ETHER => LinkKind::Ethernet,
        libc::ARPHRD_SLIP | libc::ARPHRD_CSLIP | libc::ARPHRD_SLIP6 | libc::ARPHRD_CSLIP6 => LinkKind::Slip,
        libc::ARPHRD_CAN => LinkKind::CanBus,
        libc::ARPHRD_PPP => LinkKind::Ppp,
        libc::ARPHRD_FDDI => LinkKind::Fddi,
        libc::ARPHRD_IEEE80211 | libc::ARPHRD_IEEE80211_PRISM | libc::ARPHRD_IEEE80211_RADIOTAP => {
            LinkKind::Wifi
        }
        libc::ARPHRD_IEEE802154 => LinkKind::Ieee802154,
        820 | 821 => LinkKind::Phonet, // ARPHRD_PHONET, ARPHRD_PHONET_PIPE
        825 => LinkKind::SixLowpan,    // ARPHRD_6LOWPAN
        libc::ARPHRD_TUNNEL | libc::ARPHRD_TUNNEL6 | libc::ARPHRD_NONE | libc::ARPHRD_VOID => {
            LinkKind::Virtual
        }
        _ => LinkKind::Unknown,
    };
    // SAFETY: SIOCGIFMTU filled the ifru_mtu member of the union.
    let mtu = ioctl(libc::SIOCGIFMTU).map_or(0, |r| unsafe { r.ifr_ifru.ifru_mtu });
    let link = Link {
        hw: ll.sll_addr[..len].to_vec(),
        kind,
        mtu,
    };
    Some((ll.sll_ifindex as u32, link))
}

/// macOS / iOS: the AF_LINK entry's sockaddr_dl gives the type and the
/// hardware address, its ifa_data (struct if_data) the MTU.
#[cfg(target_vendor = "apple")]
fn link_of(ifa: &libc::ifaddrs, _name: &CStr) -> Option<(u32, Link)> {
    if ifa.ifa_addr.is_null() {
        return None;
    }
    // SAFETY: ifa_addr is non-null and getifaddrs keeps it alive.
    if libc::c_int::from(unsafe { (*ifa.ifa_addr).sa_family }) != libc::AF_LINK {
        return None;
    }
    // SAFETY: an AF_LINK address is a sockaddr_dl, possibly longer than the
    // struct (sdl_data runs on): read the header, then the bytes it counts.
    let dl: libc::sockaddr_dl = unsafe { std::ptr::read_unaligned(ifa.ifa_addr.cast()) };
    let start = std::mem::offset_of!(libc::sockaddr_dl, sdl_data) + usize::from(dl.sdl_nlen);
    let hw = (0..usize::from(dl.sdl_alen))
        // SAFETY: sdl_len covers name and address bytes.
        .map(|i| unsafe { *ifa.ifa_addr.cast::<u8>().add(start + i) })
        .collect();
    // Qt's qnetworkinterface_unix.cpp (BSD branch) type mapping, IFT_*.
    let kind = match dl.sdl_type {
        0x06 => LinkKind::Ethernet,       // IFT_ETHER
        0x18 => LinkKind::Loopback,       // IFT_LOOP
        0x17 => LinkKind::Ppp,            // IFT_PPP
        0x1c => LinkKind::Slip,           // IFT_SLIP
        0x0f => LinkKind::Fddi,           // IFT_FDDI
        0x47 => LinkKind::Wifi,           // IFT_IEEE80211
        0x90 => LinkKind::Ieee1394,       // IFT_IEEE1394
        0x37 | 0x39 => LinkKind::Virtual, // IFT_GIF, IFT_STF
        _ => LinkKind::Unknown,
    };
    let mtu = if ifa.ifa_data.is_null() {
        0
    } else {
        // SAFETY: for AF_LINK entries ifa_data points to a struct if_data.
        let d: libc::if_data = unsafe { std::ptr::read_unaligned(ifa.ifa_data.cast()) };
        d.ifi_mtu as i32
    };
    Some((u32::from(dl.sdl_index), Link { hw, kind, mtu }))
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
fn link_of(_ifa: &libc::ifaddrs, _name: &CStr) -> Option<(u32, Link)> {
    None
}

/// The broadcast address of an entry, where the OS keeps one (the field is
/// shared with the point-to-point peer, so only on broadcast interfaces).
/// glibc puts the address itself there when the kernel has no
/// IFA_BROADCAST; that counts as none, so Qt's `ip | ~netmask` applies.
fn broadcast_of(ifa: &libc::ifaddrs, ip: Option<IpAddr>) -> Option<Ipv4Addr> {
    let f = ifa.ifa_flags as libc::c_int;
    if f & libc::IFF_BROADCAST == 0 || f & libc::IFF_POINTOPOINT != 0 {
        return None;
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let p = ifa.ifa_ifu;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let p = ifa.ifa_dstaddr;
    // SAFETY: getifaddrs keeps the pointed-to sockaddr alive.
    match unsafe { ip_of(p) }? {
        IpAddr::V4(a) if !a.is_unspecified() && Some(IpAddr::V4(a)) != ip => Some(a),
        _ => None,
    }
}

/// Every interface with its addresses, from getifaddrs(3): interfaces in
/// the order the OS lists them (the link entries come first), each
/// address attached by interface index, so IPv4 labels ("eth0:1") land
/// on their interface as in Qt.
pub fn interfaces() -> io::Result<Vec<IfInfo>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills head with a list we free below.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut out: Vec<IfInfo> = Vec::new();
    let mut p = head;
    while !p.is_null() {
        // SAFETY: p is a node of the list getifaddrs returned.
        let ifa = unsafe { &*p };
        p = ifa.ifa_next;
        if ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let cname = unsafe { CStr::from_ptr(ifa.ifa_name) };
        let link = link_of(ifa, cname);
        let index = match &link {
            Some((i, _)) => *i,
            // SAFETY: cname is NUL-terminated; if_nametoindex only reads it
            // (Linux strips an IPv4 label after ':' itself).
            None => unsafe { libc::if_nametoindex(cname.as_ptr()) },
        };
        if index == 0 {
            continue;
        }
        let pos = match out.iter().position(|i| i.index == index) {
            Some(pos) => pos,
            None => {
                let name = super::interface_name(index).unwrap_or_else(|| {
                    let n = cname.to_string_lossy();
                    n.split(':').next().unwrap_or_default().to_owned()
                });
                out.push(IfInfo {
                    index,
                    name,
                    ..IfInfo::default()
                });
                out.len() - 1
            }
        };
        let iface = &mut out[pos];
        iface.flags.merge(link_flags(ifa.ifa_flags));
        if let Some((_, l)) = link {
            iface.hw = l.hw;
            iface.kind = l.kind;
            iface.mtu = l.mtu;
            continue;
        }
        // SAFETY: getifaddrs keeps ifa_addr / ifa_netmask alive until freed.
        let (ip, mask) = unsafe { (ip_of(ifa.ifa_addr), ip_of(ifa.ifa_netmask)) };
        if let Some(ip) = ip {
            iface.addrs.push(IfAddr {
                ip,
                prefix: prefix_of(mask),
                broadcast: broadcast_of(ifa, Some(ip)),
            });
        }
    }
    // SAFETY: head came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    Ok(out)
}
