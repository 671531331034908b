//! Unix: recvmmsg (Linux) or a recvmsg loop, control messages, bind flags,
//! errno classification.

use std::ffi::{CStr, CString};
use std::io;
use std::mem::{size_of, MaybeUninit};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;

use socket2::{SockAddr, Socket};

use crate::batch::{Meta, Ring, SLOT_BYTES};

/// A raw descriptor as the OS names it.
pub type Raw = std::os::fd::RawFd;

pub fn raw(sock: &Socket) -> Raw {
    sock.as_raw_fd()
}
use crate::error::Class;

/// Room for the control messages of one datagram: pktinfo (v4 or v6),
/// TTL/hop limit, timestamp and drop counter, each CMSG_SPACE-aligned.
const CTRL_BYTES: usize = 256;

pub fn classify(code: i32) -> (Class, String) {
    let class = match code {
        libc::EMSGSIZE => Class::MsgSize,
        libc::EADDRINUSE => Class::AddrInUse,
        libc::EACCES | libc::EPERM => Class::Access,
        libc::EADDRNOTAVAIL => Class::AddrNotAvail,
        libc::EINVAL => Class::Invalid,
        libc::ECONNREFUSED => Class::ConnRefused,
        libc::EHOSTUNREACH => Class::HostUnreach,
        libc::ENETUNREACH => Class::NetUnreach,
        libc::ETIMEDOUT => Class::TimedOut,
        libc::ENOBUFS | libc::ENOMEM | libc::ENFILE | libc::EMFILE => Class::NoBufs,
        libc::EAGAIN => Class::WouldBlock,
        libc::EBADF => Class::BadFd,
        libc::ENOTSOCK => Class::NotSock,
        libc::EAFNOSUPPORT | libc::EPROTONOSUPPORT => Class::AfNoSupport,
        libc::ENETRESET => Class::NetReset,
        libc::ECONNRESET => Class::ConnReset,
        libc::EINTR => Class::Interrupted,
        _ => Class::Other,
    };
    (class, io::Error::from_raw_os_error(code).to_string())
}

/// An IPv6 scope string to an index: a number, or an interface name.
pub fn scope_index(scope: &str) -> u32 {
    if scope.is_empty() {
        return 0;
    }
    if let Ok(n) = scope.parse::<u32>() {
        return n;
    }
    match CString::new(scope) {
        // SAFETY: a valid NUL-terminated string; if_nametoindex only reads it.
        Ok(c) => unsafe { libc::if_nametoindex(c.as_ptr()) },
        Err(_) => 0,
    }
}

/// An interface index to the scope string Qt shows: the interface's name,
/// or the number when there is no such interface.
pub fn scope_name(index: u32) -> String {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: buf has IF_NAMESIZE bytes as if_indextoname requires.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        index.to_string()
    } else {
        // SAFETY: on success if_indextoname wrote a NUL-terminated name into buf.
        unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    }
}

fn set_int(sock: &Socket, level: libc::c_int, name: libc::c_int, value: libc::c_int) -> io::Result<()> {
    // SAFETY: value is a live c_int and we pass its exact size.
    let r = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

pub fn get_int(sock: &Socket, level: libc::c_int, name: libc::c_int) -> io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: value/len describe a writable c_int buffer.
    let r = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    // Some options (IP_MULTICAST_TTL/LOOP on Linux) may come back as one byte.
    if len == 1 {
        value &= 0xff;
    }
    Ok(value)
}

/// Ask for the per-datagram metadata QNetworkDatagram reports, as Qt does at
/// socket creation (ReceivePacketInformation + ReceiveHopLimit): the IPv6
/// options on IPv6 and dual-stack sockets (Linux then reports v4 traffic as
/// v4-mapped, without a hop limit, exactly as Qt shows it), the IPv4 ones on
/// IPv4 sockets. Failures are ignored: the datagram then lacks that field.
pub fn enable_recv_info(sock: &Socket, v6_family: bool) {
    set_recv_info(sock, v6_family, true);
}

/// The same options on or off (setPacketInformation).
pub fn set_recv_info(sock: &Socket, v6_family: bool, on: bool) {
    let v = on as libc::c_int;
    if v6_family {
        let _ = set_int(sock, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, v);
        let _ = set_int(sock, libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT, v);
        return;
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = set_int(sock, libc::IPPROTO_IP, libc::IP_PKTINFO, v);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = set_int(sock, libc::IPPROTO_IP, libc::IP_RECVDSTADDR, v);
    let _ = set_int(sock, libc::IPPROTO_IP, libc::IP_RECVTTL, v);
}

/// Receive coalescing (UDP_GRO, Linux 5.0+): the kernel may hand over a
/// run of same-sized datagrams from one sender in one buffer; qudp splits it
/// back (Ring::split_coalesced), so it only saves per-datagram work.
pub fn set_gro(sock: &Socket, on: bool) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    return set_int(sock, libc::SOL_UDP, libc::UDP_GRO, on as libc::c_int);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = (sock, on);
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
}

/// Kernel receive timestamps (SO_TIMESTAMPNS) on or off; Linux only.
pub fn set_timestamps(sock: &Socket, on: bool) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    return set_int(sock, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, on as libc::c_int);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = (sock, on);
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
}

/// The kernel's receive-queue drop counter (SO_RXQ_OVFL); Linux only.
pub fn set_drop_counter(sock: &Socket, on: bool) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    return set_int(sock, libc::SOL_SOCKET, libc::SO_RXQ_OVFL, on as libc::c_int);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = (sock, on);
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
}

/// Qt's BindMode → socket options on Unix (QAbstractSocketPrivate::bind):
/// nothing for DefaultForPlatform; otherwise ShareAddress or
/// ReuseAddressHint turn address reuse on and anything else turns it off.
/// Address reuse is SO_REUSEADDR on Linux, SO_REUSEPORT for UDP on the BSDs
/// and macOS where SO_REUSEADDR alone does not allow a second bind
/// (QNativeSocketEngine::setOption, QTBUG-6305). DontShareAddress needs
/// nothing: not sharing is the Unix default.
///
/// LoadBalance (0x100, qudp only) joins a group of sockets on one port
/// among which the kernel spreads incoming datagrams: SO_REUSEPORT on Linux
/// (socket(7); the group is every socket that set it, same effective uid)
/// and SO_REUSEPORT_LB on FreeBSD (setsockopt(2)). macOS and the other BSDs
/// only have SO_REUSEPORT, which lets the sockets share the port but hands
/// each unicast datagram to one of them without spreading, so the bind is
/// refused there (EINVAL: UnsupportedSocketOperationError) instead of
/// quietly sending everything to one socket. With DontShareAddress it
/// contradicts itself and is refused everywhere.
pub fn apply_bind_mode(sock: &Socket, mode: i64) -> io::Result<()> {
    const SHARE: i64 = 0x1;
    const DONT_SHARE: i64 = 0x2;
    const REUSE_HINT: i64 = 0x4;
    const LOAD_BALANCE: i64 = 0x100;
    if mode == 0 {
        return Ok(());
    }
    if mode & LOAD_BALANCE != 0 {
        if mode & DONT_SHARE != 0 {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        set_int(sock, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1)?;
        #[cfg(target_os = "freebsd")]
        set_int(sock, libc::SOL_SOCKET, libc::SO_REUSEPORT_LB, 1)?;
        #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    let on = (mode & (SHARE | REUSE_HINT) != 0) as libc::c_int;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    return set_int(sock, libc::SOL_SOCKET, libc::SO_REUSEADDR, on);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    return set_int(sock, libc::SOL_SOCKET, libc::SO_REUSEPORT, on);
}

/// Take ownership of descriptor `fd` (setSocketDescriptor). Only a closed
/// descriptor is refused (EBADF), as in Qt.
pub fn adopt(fd: i64) -> io::Result<Socket> {
    let fd = Raw::try_from(fd).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
    // SAFETY: F_GETFD only inspects the descriptor table.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is open; from here on the Socket owns it, as Qt's engine does.
    Ok(unsafe { <Socket as std::os::fd::FromRawFd>::from_raw_fd(fd) })
}

/// Wait until `fd` is readable or `timeout_ms` passes (-1: forever).
/// Retries EINTR after giving Python a chance to raise (Ctrl+C).
pub fn poll_readable(fd: Raw, timeout_ms: i32) -> io::Result<bool> {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let r = unsafe { libc::poll(&mut p, 1, timeout_ms) };
    match r {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(false),
        _ => Ok(true),
    }
}

fn to_socket_addr(storage: &libc::sockaddr_storage, len: libc::socklen_t) -> Option<SocketAddr> {
    let len = len as usize;
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let a: &libc::sockaddr_in = unsafe { &*(storage as *const libc::sockaddr_storage).cast() };
            let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            Some(SocketAddr::V4(std::net::SocketAddrV4::new(
                ip,
                u16::from_be(a.sin_port),
            )))
        }
        libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let a: &libc::sockaddr_in6 = unsafe { &*(storage as *const libc::sockaddr_storage).cast() };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            Some(SocketAddr::V6(std::net::SocketAddrV6::new(
                ip,
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// Decode the control messages of one received datagram into `meta`.
///
/// # Safety
/// `hdr` must be a msghdr whose control buffer the kernel has just filled.
unsafe fn parse_cmsgs(hdr: &libc::msghdr, meta: &mut Meta) {
    // SAFETY (whole function): CMSG_* walk the buffer the kernel wrote, and
    // each payload is read unaligned with the type the kernel documents for
    // that (level, type) pair.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(hdr);
        while !c.is_null() {
            let level = (*c).cmsg_level;
            let kind = (*c).cmsg_type;
            let data = libc::CMSG_DATA(c);
            match (level, kind) {
                #[cfg(any(target_os = "linux", target_os = "android"))]
                (libc::IPPROTO_IP, libc::IP_PKTINFO) => {
                    let info: libc::in_pktinfo = std::ptr::read_unaligned(data.cast());
                    meta.dst = Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr))));
                    meta.ifindex = info.ipi_ifindex as u32;
                }
                #[cfg(not(any(target_os = "linux", target_os = "android")))]
                (libc::IPPROTO_IP, libc::IP_RECVDSTADDR) => {
                    let a: libc::in_addr = std::ptr::read_unaligned(data.cast());
                    meta.dst = Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(a.s_addr))));
                }
                (libc::IPPROTO_IP, libc::IP_TTL) => {
                    meta.hop = std::ptr::read_unaligned(data.cast::<libc::c_int>());
                }
                #[cfg(not(any(target_os = "linux", target_os = "android")))]
                (libc::IPPROTO_IP, libc::IP_RECVTTL) => {
                    meta.hop = i32::from(std::ptr::read_unaligned(data.cast::<u8>()));
                }
                (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => {
                    let info: libc::in6_pktinfo = std::ptr::read_unaligned(data.cast());
                    let a = Ipv6Addr::from(info.ipi6_addr.s6_addr);
                    meta.dst = Some(IpAddr::V6(a));
                    meta.ifindex = info.ipi6_ifindex as u32;
                }
                (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT) => {
                    meta.hop = std::ptr::read_unaligned(data.cast::<libc::c_int>());
                }
                #[cfg(any(target_os = "linux", target_os = "android"))]
                (libc::SOL_SOCKET, libc::SCM_TIMESTAMPNS) => {
                    let ts: libc::timespec = std::ptr::read_unaligned(data.cast());
                    meta.stamp_ns = Some(ts.tv_sec as i64 * 1_000_000_000 + ts.tv_nsec as i64);
                }
                #[cfg(any(target_os = "linux", target_os = "android"))]
                (libc::SOL_UDP, libc::UDP_GRO) => {
                    meta.gso_size = std::ptr::read_unaligned(data.cast::<libc::c_int>()).max(0) as usize;
                }
                #[cfg(any(target_os = "linux", target_os = "android"))]
                (libc::SOL_SOCKET, libc::SO_RXQ_OVFL) => {
                    meta.drops = Some(std::ptr::read_unaligned(data.cast::<u32>()));
                }
                _ => {}
            }
            c = libc::CMSG_NXTHDR(hdr, c);
        }
    }
}

/// Scratch space for one batch's addresses and control messages, reused.
struct Scratch {
    names: Vec<libc::sockaddr_storage>,
    ctrl: Vec<u64>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = const {
        std::cell::RefCell::new(Scratch { names: Vec::new(), ctrl: Vec::new() })
    };
}

/// Fill an empty ring from `sock` with one recvmmsg (Linux) or a recvmsg
/// loop. Ok(0) when nothing is queued; an error only when the very first
/// receive fails (later errors stay pending in the kernel for the next call).
pub fn recv_batch(sock: &Socket, ring: &mut Ring) -> io::Result<usize> {
    let slots = ring.slots;
    let data = ring.start_fill().as_mut_ptr();
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        let s = &mut *s;
        if s.names.len() < slots {
            // SAFETY: sockaddr_storage is plain old data; all-zero is valid.
            s.names
                .resize(slots, unsafe { MaybeUninit::zeroed().assume_init() });
            s.ctrl.resize(slots * CTRL_BYTES / 8, 0);
        }
        let mut iovs: Vec<libc::iovec> = (0..slots)
            .map(|i| libc::iovec {
                // SAFETY: slot i lies within data (slots * SLOT_BYTES long).
                iov_base: unsafe { data.add(i * SLOT_BYTES) }.cast(),
                iov_len: SLOT_BYTES,
            })
            .collect();
        // SAFETY: msghdr is plain old data; all-zero is a valid empty header.
        let mut hdrs: Vec<libc::msghdr> = (0..slots)
            .map(|_| unsafe { MaybeUninit::zeroed().assume_init() })
            .collect();
        for (i, h) in hdrs.iter_mut().enumerate() {
            h.msg_name = (&mut s.names[i] as *mut libc::sockaddr_storage).cast();
            h.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            h.msg_iov = &mut iovs[i];
            h.msg_iovlen = 1;
            // SAFETY: each datagram gets its own CTRL_BYTES of ctrl.
            h.msg_control = unsafe { s.ctrl.as_mut_ptr().cast::<u8>().add(i * CTRL_BYTES) }.cast();
            h.msg_controllen = CTRL_BYTES as _;
        }
        let n = receive(sock, &mut hdrs)?;
        for (i, h) in hdrs.iter().take(n.0).enumerate() {
            let mut meta = Meta {
                off: i * SLOT_BYTES,
                len: n.1[i].min(SLOT_BYTES),
                src: to_socket_addr(&s.names[i], h.msg_namelen),
                hop: -1,
                ..Meta::default()
            };
            // SAFETY: the kernel filled h's control buffer for this datagram.
            unsafe { parse_cmsgs(h, &mut meta) };
            ring.metas.push(meta);
        }
        ring.more = n.0 == slots;
        ring.split_coalesced();
        Ok(ring.metas.len())
    })
}

/// Returns (count, lengths). EAGAIN is Ok((0, _)); EINTR is retried.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn receive(sock: &Socket, hdrs: &mut [libc::msghdr]) -> io::Result<(usize, Vec<usize>)> {
    let mut mm: Vec<libc::mmsghdr> = hdrs
        .iter()
        .map(|h| libc::mmsghdr {
            msg_hdr: *h,
            msg_len: 0,
        })
        .collect();
    loop {
        // SAFETY: mm holds mm.len() headers whose buffers outlive the call.
        let r = unsafe {
            libc::recvmmsg(
                sock.as_raw_fd(),
                mm.as_mut_ptr(),
                mm.len() as _,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if r >= 0 {
            let n = r as usize;
            for (h, m) in hdrs.iter_mut().zip(&mm).take(n) {
                *h = m.msg_hdr;
            }
            return Ok((n, mm.iter().take(n).map(|m| m.msg_len as usize).collect()));
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) => return Ok((0, Vec::new())),
            _ => return Err(e),
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn receive(sock: &Socket, hdrs: &mut [libc::msghdr]) -> io::Result<(usize, Vec<usize>)> {
    let mut lens = Vec::new();
    for h in hdrs.iter_mut() {
        loop {
            // SAFETY: h points at buffers that outlive the call.
            let r = unsafe { libc::recvmsg(sock.as_raw_fd(), h, libc::MSG_DONTWAIT) };
            if r >= 0 {
                lens.push(r as usize);
                break;
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EAGAIN) => return Ok((lens.len(), lens)),
                _ if lens.is_empty() => return Err(e),
                _ => return Ok((lens.len(), lens)),
            }
        }
    }
    Ok((lens.len(), lens))
}

fn push_cmsg<T: Copy>(buf: &mut Vec<u64>, used: &mut usize, level: libc::c_int, kind: libc::c_int, value: T) {
    // SAFETY: CMSG_SPACE/CMSG_LEN are pure size computations.
    let space = unsafe { libc::CMSG_SPACE(size_of::<T>() as u32) } as usize;
    let need = *used + space;
    if buf.len() * 8 < need {
        buf.resize(need.div_ceil(8), 0);
    }
    // SAFETY: the buffer has `space` free bytes at `used`, 8-byte aligned
    // storage (u64), and we write one cmsghdr followed by its payload.
    unsafe {
        let base = buf.as_mut_ptr().cast::<u8>().add(*used);
        let hdr = base.cast::<libc::cmsghdr>();
        (*hdr).cmsg_level = level;
        (*hdr).cmsg_type = kind;
        (*hdr).cmsg_len = libc::CMSG_LEN(size_of::<T>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(hdr).cast::<T>(), value);
    }
    *used = need;
}

/// sendmsg with Qt's per-datagram options: hop limit (IPV6_HOPLIMIT or
/// IP_TTL) and outgoing interface/source (IPV6_PKTINFO or IP_PKTINFO).
pub fn send_ancillary(
    sock: &Socket,
    data: &[u8],
    dest: Option<&SockAddr>,
    v6: bool,
    anc: &crate::core::Ancillary,
) -> io::Result<usize> {
    let mut ctrl: Vec<u64> = Vec::new();
    let mut used = 0usize;
    if let Some(hop) = anc.hop_limit {
        if v6 {
            push_cmsg(
                &mut ctrl,
                &mut used,
                libc::IPPROTO_IPV6,
                libc::IPV6_HOPLIMIT,
                hop as libc::c_int,
            );
        } else {
            push_cmsg(
                &mut ctrl,
                &mut used,
                libc::IPPROTO_IP,
                libc::IP_TTL,
                hop as libc::c_int,
            );
        }
    }
    if anc.ifindex != 0 || anc.source.is_some() {
        if v6 {
            let addr = match anc.source {
                Some(IpAddr::V6(a)) => a,
                Some(IpAddr::V4(a)) => a.to_ipv6_mapped(),
                None => Ipv6Addr::UNSPECIFIED,
            };
            let info = libc::in6_pktinfo {
                ipi6_addr: libc::in6_addr {
                    s6_addr: addr.octets(),
                },
                ipi6_ifindex: anc.ifindex as _,
            };
            push_cmsg(&mut ctrl, &mut used, libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, info);
        } else {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            {
                let src = match anc.source {
                    Some(IpAddr::V4(a)) => u32::from(a).to_be(),
                    _ => 0,
                };
                let info = libc::in_pktinfo {
                    ipi_ifindex: anc.ifindex as _,
                    ipi_spec_dst: libc::in_addr { s_addr: src },
                    ipi_addr: libc::in_addr { s_addr: 0 },
                };
                push_cmsg(&mut ctrl, &mut used, libc::IPPROTO_IP, libc::IP_PKTINFO, info);
            }
        }
    }
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    // SAFETY: msghdr is plain old data; all-zero is a valid empty header.
    let mut hdr: libc::msghdr = unsafe { MaybeUninit::zeroed().assume_init() };
    if let Some(d) = dest {
        hdr.msg_name = d.as_ptr() as *mut libc::c_void;
        hdr.msg_namelen = d.len();
    }
    hdr.msg_iov = &mut iov;
    hdr.msg_iovlen = 1;
    if used > 0 {
        hdr.msg_control = ctrl.as_mut_ptr().cast();
        hdr.msg_controllen = used as _;
    }
    loop {
        // SAFETY: hdr points at iov, dest and ctrl, all alive for the call.
        let r = unsafe { libc::sendmsg(sock.as_raw_fd(), &hdr, 0) };
        if r >= 0 {
            return Ok(r as usize);
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
}

/// Register `fd` with a reactor for readable events.
pub fn register(registry: &mio::Registry, fd: Raw, token: mio::Token) -> io::Result<()> {
    registry.register(&mut mio::unix::SourceFd(&fd), token, mio::Interest::READABLE)
}

pub fn deregister(registry: &mio::Registry, fd: Raw) -> io::Result<()> {
    registry.deregister(&mut mio::unix::SourceFd(&fd))
}

/// The poll's own descriptor (epoll/kqueue), readable when anything is ready.
pub fn poll_raw(poll: &mio::Poll) -> i64 {
    i64::from(poll.as_raw_fd())
}

/// getaddrinfo(3) as Qt's QHostInfo uses it (AF_UNSPEC, AI_ADDRCONFIG), in
/// the resolver's order, duplicates removed. Blocking: call it off the loop.
pub fn lookup(name: &str) -> io::Result<Vec<IpAddr>> {
    let c = CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: addrinfo is plain old data; all-zero is a valid hints value.
    let mut hints: libc::addrinfo = unsafe { MaybeUninit::zeroed().assume_init() };
    hints.ai_family = libc::AF_UNSPEC;
    hints.ai_socktype = libc::SOCK_DGRAM;
    hints.ai_flags = libc::AI_ADDRCONFIG;
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: valid name and hints; res receives a list we free below.
    let rc = unsafe { libc::getaddrinfo(c.as_ptr(), std::ptr::null(), &hints, &mut res) };
    if rc != 0 {
        return Ok(Vec::new());
    }
    let mut out: Vec<IpAddr> = Vec::new();
    let mut node = res;
    while !node.is_null() {
        // SAFETY: node is an element of the list getaddrinfo returned.
        let ai = unsafe { &*node };
        if !ai.ai_addr.is_null() {
            // SAFETY: ai_addr points at ai_addrlen bytes of a sockaddr; we
            // copy them into storage of the largest size.
            let sa = unsafe {
                let mut st: libc::sockaddr_storage = MaybeUninit::zeroed().assume_init();
                let n = (ai.ai_addrlen as usize).min(size_of::<libc::sockaddr_storage>());
                std::ptr::copy_nonoverlapping(
                    ai.ai_addr.cast::<u8>(),
                    (&mut st as *mut libc::sockaddr_storage).cast::<u8>(),
                    n,
                );
                to_socket_addr(&st, ai.ai_addrlen)
            };
            if let Some(sa) = sa {
                if !out.contains(&sa.ip()) {
                    out.push(sa.ip());
                }
            }
        }
        node = ai.ai_next;
    }
    // SAFETY: res came from getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(res) };
    Ok(out)
}

/// Most segments one GSO send may carry (the kernel's UDP_MAX_SEGMENTS).
#[cfg(any(target_os = "linux", target_os = "android"))]
const GSO_MAX_SEGMENTS: usize = 64;
/// Largest GSO super-datagram payload (IPv4's limit; safe for IPv6 too).
#[cfg(any(target_os = "linux", target_os = "android"))]
const GSO_MAX_BYTES: usize = 65507;

#[cfg(any(target_os = "linux", target_os = "android"))]
static GSO_BROKEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Send `payloads` to `dest`: with UDP GSO (Linux 4.18+) when they share one
/// size (the last may be shorter), else with sendmmsg; a plain loop
/// elsewhere. Returns how many were sent and the error that stopped it.
pub fn send_batch(sock: &Socket, payloads: &[&[u8]], dest: &SockAddr) -> (usize, Option<io::Error>) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let mut done = 0;
        while done < payloads.len() {
            let rest = &payloads[done..];
            let seg = rest[0].len();
            let fits = seg > 0 && seg <= GSO_MAX_BYTES;
            let run = if fits && !GSO_BROKEN.load(std::sync::atomic::Ordering::Relaxed) {
                let limit = GSO_MAX_SEGMENTS.min(GSO_MAX_BYTES / seg.max(1));
                let mut k = 0;
                while k < rest.len() && k < limit && rest[k].len() == seg {
                    k += 1;
                }
                // A shorter last segment is allowed.
                if k < rest.len() && k < limit && rest[k].len() < seg && !rest[k].is_empty() {
                    k += 1;
                }
                k
            } else {
                0
            };
            let r = if run >= 2 {
                match send_gso(sock, &rest[..run], seg, dest) {
                    Err(e)
                        if matches!(
                            e.raw_os_error(),
                            Some(libc::EIO | libc::EINVAL | libc::ENOPROTOOPT)
                        ) =>
                    {
                        // No GSO here (device or kernel): never try again.
                        GSO_BROKEN.store(true, std::sync::atomic::Ordering::Relaxed);
                        continue;
                    }
                    r => r.map(|_| run),
                }
            } else {
                send_mmsg(sock, &rest[..rest.len().min(1024)], dest)
            };
            match r {
                Ok(n) if n > 0 => done += n,
                Ok(_) => break,
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
                Err(e) => return (done, Some(e)),
            }
        }
        (done, None)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        for (i, p) in payloads.iter().enumerate() {
            if let Err(e) = sock.send_to(p, dest) {
                return (i, Some(e));
            }
        }
        (payloads.len(), None)
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn send_gso(sock: &Socket, segs: &[&[u8]], seg: usize, dest: &SockAddr) -> io::Result<usize> {
    let mut iovs: Vec<libc::iovec> = segs
        .iter()
        .map(|p| libc::iovec {
            iov_base: p.as_ptr() as *mut libc::c_void,
            iov_len: p.len(),
        })
        .collect();
    let mut ctrl: Vec<u64> = Vec::new();
    let mut used = 0usize;
    push_cmsg(&mut ctrl, &mut used, libc::SOL_UDP, libc::UDP_SEGMENT, seg as u16);
    // SAFETY: msghdr is plain old data; all-zero is a valid empty header.
    let mut hdr: libc::msghdr = unsafe { MaybeUninit::zeroed().assume_init() };
    hdr.msg_name = dest.as_ptr() as *mut libc::c_void;
    hdr.msg_namelen = dest.len();
    hdr.msg_iov = iovs.as_mut_ptr();
    hdr.msg_iovlen = iovs.len() as _;
    hdr.msg_control = ctrl.as_mut_ptr().cast();
    hdr.msg_controllen = used as _;
    // SAFETY: hdr points at iovs, dest and ctrl, all alive for the call.
    let r = unsafe { libc::sendmsg(sock.as_raw_fd(), &hdr, 0) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

/// sendmmsg(2) of up to `msgs.len()` datagrams; returns how many went out.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn send_mmsg(sock: &Socket, msgs: &[&[u8]], dest: &SockAddr) -> io::Result<usize> {
    let mut iovs: Vec<libc::iovec> = msgs
        .iter()
        .map(|p| libc::iovec {
            iov_base: p.as_ptr() as *mut libc::c_void,
            iov_len: p.len(),
        })
        .collect();
    let mut hdrs: Vec<libc::mmsghdr> = iovs
        .iter_mut()
        .map(|iov| {
            // SAFETY: msghdr is plain old data; all-zero is a valid header.
            let mut h: libc::msghdr = unsafe { MaybeUninit::zeroed().assume_init() };
            h.msg_name = dest.as_ptr() as *mut libc::c_void;
            h.msg_namelen = dest.len();
            h.msg_iov = iov;
            h.msg_iovlen = 1;
            libc::mmsghdr {
                msg_hdr: h,
                msg_len: 0,
            }
        })
        .collect();
    // SAFETY: hdrs point at iovs and dest, alive for the call.
    let r = unsafe { libc::sendmmsg(sock.as_raw_fd(), hdrs.as_mut_ptr(), hdrs.len() as _, 0) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

// ---- Interfaces (QNetworkInterface) ------------------------------------

/// The name of interface `index` (if_indextoname), None if there is none.
pub fn interface_name(index: u32) -> Option<String> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: buf has IF_NAMESIZE bytes as if_indextoname requires.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: on success if_indextoname wrote a NUL-terminated name into buf.
    Some(
        unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// IFF_* → Qt's InterfaceFlag bits (qnetworkinterface_unix.cpp convertFlags).
fn qt_flags(f: libc::c_uint) -> u32 {
    use crate::interface::flag;
    let f = f as libc::c_int;
    let map = [
        (libc::IFF_UP, flag::IS_UP),
        (libc::IFF_RUNNING, flag::IS_RUNNING),
        (libc::IFF_BROADCAST, flag::CAN_BROADCAST),
        (libc::IFF_LOOPBACK, flag::IS_LOOPBACK),
        (libc::IFF_POINTOPOINT, flag::IS_POINT_TO_POINT),
        (libc::IFF_MULTICAST, flag::CAN_MULTICAST),
    ];
    map.iter()
        .filter(|(b, _)| f & b != 0)
        .fold(0, |acc, (_, q)| acc | q)
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
    kind: i64,
    mtu: i32,
}

/// Linux: the AF_PACKET entry's sockaddr_ll gives the ARPHRD type and the
/// hardware address; Qt's probeIfType maps the type, telling Wi-Fi from
/// Ethernet with SIOCGIWMODE; the MTU comes from SIOCGIFMTU.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn link_of(ifa: &libc::ifaddrs, name: &CStr) -> Option<(u32, Link)> {
    use crate::interface::kind;
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
        libc::ARPHRD_LOOPBACK => kind::LOOPBACK,
        libc::ARPHRD_ETHER if ioctl(libc::SIOCGIWMODE).is_some() => kind::WIFI,
        libc::ARPHRD_ETHER => kind::ETHERNET,
        libc::ARPHRD_SLIP | libc::ARPHRD_CSLIP | libc::ARPHRD_SLIP6 | libc::ARPHRD_CSLIP6 => kind::SLIP,
        libc::ARPHRD_CAN => kind::CAN_BUS,
        libc::ARPHRD_PPP => kind::PPP,
        libc::ARPHRD_FDDI => kind::FDDI,
        libc::ARPHRD_IEEE80211 | libc::ARPHRD_IEEE80211_PRISM | libc::ARPHRD_IEEE80211_RADIOTAP => kind::WIFI,
        libc::ARPHRD_IEEE802154 => kind::IEEE802154,
        820 | 821 => kind::PHONET, // ARPHRD_PHONET, ARPHRD_PHONET_PIPE
        825 => kind::SIX_LOWPAN,   // ARPHRD_6LOWPAN
        libc::ARPHRD_TUNNEL | libc::ARPHRD_TUNNEL6 | libc::ARPHRD_NONE | libc::ARPHRD_VOID => kind::VIRTUAL,
        _ => kind::UNKNOWN,
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
    use crate::interface::kind;
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
        0x06 => kind::ETHERNET,       // IFT_ETHER
        0x18 => kind::LOOPBACK,       // IFT_LOOP
        0x17 => kind::PPP,            // IFT_PPP
        0x1c => kind::SLIP,           // IFT_SLIP
        0x0f => kind::FDDI,           // IFT_FDDI
        0x47 => kind::WIFI,           // IFT_IEEE80211
        0x90 => kind::IEEE1394,       // IFT_IEEE1394
        0x37 | 0x39 => kind::VIRTUAL, // IFT_GIF, IFT_STF
        _ => kind::UNKNOWN,
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
pub fn interfaces() -> io::Result<Vec<crate::interface::Iface>> {
    use crate::interface::{hw_string, Entry, Iface};
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills head with a list we free below.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut out: Vec<Iface> = Vec::new();
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
                let name = interface_name(index).unwrap_or_else(|| {
                    let n = cname.to_string_lossy();
                    n.split(':').next().unwrap_or_default().to_owned()
                });
                out.push(Iface {
                    index,
                    name,
                    ..Iface::default()
                });
                out.len() - 1
            }
        };
        let iface = &mut out[pos];
        iface.flags |= qt_flags(ifa.ifa_flags);
        if let Some((_, l)) = link {
            iface.hw = hw_string(&l.hw);
            iface.kind = l.kind;
            iface.mtu = l.mtu;
            continue;
        }
        // SAFETY: getifaddrs keeps ifa_addr / ifa_netmask alive until freed.
        let (ip, mask) = unsafe { (ip_of(ifa.ifa_addr), ip_of(ifa.ifa_netmask)) };
        if let Some(ip) = ip {
            iface
                .entries
                .push(Entry::new(ip, prefix_of(mask), broadcast_of(ifa, Some(ip))));
        }
    }
    // SAFETY: head came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    Ok(out)
}

// ---- Multicast group requests (RFC 3678) --------------------------------

#[cfg(any(target_os = "linux", target_os = "android"))]
mod mcast {
    pub const JOIN_GROUP: libc::c_int = libc::MCAST_JOIN_GROUP;
    pub const LEAVE_GROUP: libc::c_int = libc::MCAST_LEAVE_GROUP;
    pub const JOIN_SOURCE_GROUP: libc::c_int = libc::MCAST_JOIN_SOURCE_GROUP;
    pub const LEAVE_SOURCE_GROUP: libc::c_int = libc::MCAST_LEAVE_SOURCE_GROUP;

    /// <netinet/in.h> struct group_source_req (and group_req, its prefix).
    #[repr(C)]
    pub struct GroupSourceReq {
        pub interface: u32,
        pub group: libc::sockaddr_storage,
        pub source: libc::sockaddr_storage,
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod mcast {
    // The BSDs and macOS number these 80..83 (<netinet/in.h>).
    pub const JOIN_GROUP: libc::c_int = 80;
    pub const LEAVE_GROUP: libc::c_int = 81;
    pub const JOIN_SOURCE_GROUP: libc::c_int = 82;
    pub const LEAVE_SOURCE_GROUP: libc::c_int = 83;

    /// macOS declares the group requests under `#pragma pack(4)`.
    #[cfg_attr(target_vendor = "apple", repr(C, packed(4)))]
    #[cfg_attr(not(target_vendor = "apple"), repr(C))]
    pub struct GroupSourceReq {
        pub interface: u32,
        pub group: libc::sockaddr_storage,
        pub source: libc::sockaddr_storage,
    }
}

fn storage_of(ip: IpAddr) -> libc::sockaddr_storage {
    // SAFETY: sockaddr_storage is plain old data; all-zero is valid.
    let mut st: libc::sockaddr_storage = unsafe { MaybeUninit::zeroed().assume_init() };
    let sa = SockAddr::from(SocketAddr::new(ip, 0));
    // SAFETY: sa holds sa.len() valid bytes, which fit a sockaddr_storage.
    unsafe {
        std::ptr::copy_nonoverlapping(
            sa.as_ptr().cast::<u8>(),
            (&mut st as *mut libc::sockaddr_storage).cast::<u8>(),
            (sa.len() as usize).min(size_of::<libc::sockaddr_storage>()),
        )
    };
    st
}

/// Join or leave `group` on interface `ifindex` (0: the kernel picks by
/// route), for one `source` only when given: MCAST_JOIN_GROUP,
/// MCAST_LEAVE_GROUP, MCAST_JOIN_SOURCE_GROUP, MCAST_LEAVE_SOURCE_GROUP
/// (RFC 3678 §5.2), at the IPv6 level on an AF_INET6 socket and the IPv4
/// level otherwise. Naming the interface by index means it needs no IPv4
/// address, unlike IP_ADD_MEMBERSHIP.
pub fn group_request(
    sock: &Socket,
    v6_socket: bool,
    join: bool,
    ifindex: u32,
    group: IpAddr,
    source: Option<IpAddr>,
) -> io::Result<()> {
    let name = match (join, source.is_some()) {
        (true, false) => mcast::JOIN_GROUP,
        (false, false) => mcast::LEAVE_GROUP,
        (true, true) => mcast::JOIN_SOURCE_GROUP,
        (false, true) => mcast::LEAVE_SOURCE_GROUP,
    };
    let level = if v6_socket {
        libc::IPPROTO_IPV6
    } else {
        libc::IPPROTO_IP
    };
    let req = mcast::GroupSourceReq {
        interface: ifindex,
        group: storage_of(group),
        // SAFETY: all-zero sockaddr_storage is valid (unused for group_req).
        source: source.map_or_else(|| unsafe { MaybeUninit::zeroed().assume_init() }, storage_of),
    };
    // A group_req is the group_source_req without its source.
    let len = if source.is_some() {
        size_of::<mcast::GroupSourceReq>()
    } else {
        size_of::<mcast::GroupSourceReq>() - size_of::<libc::sockaddr_storage>()
    };
    // SAFETY: req is a live, initialised request of at least `len` bytes.
    let r = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&req as *const mcast::GroupSourceReq).cast(),
            len as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
