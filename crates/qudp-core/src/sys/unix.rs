//! Unix: recvmmsg (Linux) or a recvmsg loop, control messages, bind flags,
//! errno classification.

use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::io;
use std::marker::PhantomData;
use std::mem::{size_of, MaybeUninit};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;

use socket2::{SockAddr, Socket};

use super::cmsg::{self, SendBuf};
use super::sockaddr::{from_socket_addr, to_socket_addr};
use super::Meta;
use super::{ErrClass as Class, GsoState, SendMeta};

/// A raw descriptor as the OS names it.
pub type Raw = std::os::fd::RawFd;

pub fn raw(sock: &Socket) -> Raw {
    sock.as_raw_fd()
}

/// Room for the control messages of one datagram (see cmsg::RECV_SPACE).
const CTRL_BYTES: usize = cmsg::RECV_SPACE;

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

pub fn set_int(sock: &Socket, level: libc::c_int, name: libc::c_int, value: libc::c_int) -> io::Result<()> {
    set_raw(sock, level, name, &value, size_of::<libc::c_int>())
}

/// setsockopt(2) with the first `len` bytes of `value` (a C struct whose
/// tail some options leave off); `len` is checked against its size.
fn set_raw<T>(sock: &Socket, level: libc::c_int, name: libc::c_int, value: &T, len: usize) -> io::Result<()> {
    assert!(len <= size_of::<T>(), "setsockopt length beyond the value");
    // SAFETY: value is live and has at least `len` readable bytes.
    let r = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            len as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn get_int_raw(fd: Raw, level: libc::c_int, name: libc::c_int) -> io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: value/len describe a writable c_int buffer.
    let r = unsafe { libc::getsockopt(fd, level, name, (&mut value as *mut libc::c_int).cast(), &mut len) };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    // Some options (IP_MULTICAST_TTL/LOOP on Linux) may come back as one byte.
    if len == 1 {
        value &= 0xff;
    }
    Ok(value)
}

/// The kernel's path MTU estimate (IP_MTU / IPV6_MTU, by the socket's
/// family); Linux only, and only on a connected socket (ENOTCONN otherwise).
pub fn path_mtu(sock: &Socket, v6_socket: bool) -> io::Result<i32> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let (level, name) = if v6_socket {
            (libc::IPPROTO_IPV6, libc::IPV6_MTU)
        } else {
            (libc::IPPROTO_IP, libc::IP_MTU)
        };
        get_int_raw(sock.as_raw_fd(), level, name)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = (sock, v6_socket);
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
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
    linux_only(sock, on)
}

/// Kernel receive timestamps (SO_TIMESTAMPNS) on or off; Linux only.
pub fn set_timestamps(sock: &Socket, on: bool) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    return set_int(sock, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, on as libc::c_int);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    linux_only(sock, on)
}

/// The kernel's receive-queue drop counter (SO_RXQ_OVFL); Linux only.
pub fn set_drop_counter(sock: &Socket, on: bool) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    return set_int(sock, libc::SOL_SOCKET, libc::SO_RXQ_OVFL, on as libc::c_int);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    linux_only(sock, on)
}

/// The answer of a Linux-only option elsewhere.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn linux_only(_sock: &Socket, _on: bool) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
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

/// Take ownership of descriptor `fd` (setSocketDescriptor) if it is a UDP
/// socket of an IP family, as Qt's fetchConnectionParameters reads it: the
/// family from getsockname (AF_INET or AF_INET6) and SO_TYPE (SOCK_DGRAM);
/// on Linux also SO_PROTOCOL (UDP, not e.g. an ICMP "ping" socket). Qt only
/// refuses a closed descriptor and takes pipes, files, TCP and AF_UNIX
/// sockets, which qudp could then neither read nor write as datagrams (and
/// an AF_UNIX peer could pass descriptors that nobody closes). A refused
/// descriptor is left open and untouched: it stays the caller's.
pub fn adopt(fd: i64) -> io::Result<Socket> {
    let fd = Raw::try_from(fd).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
    // SAFETY: F_GETFD only inspects the descriptor table.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: sockaddr_storage is plain old data; all-zero is valid.
    let mut st: libc::sockaddr_storage = unsafe { MaybeUninit::zeroed().assume_init() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: st/len describe a writable sockaddr_storage; getsockname
    // writes at most `len` bytes (ENOTSOCK for pipes and files).
    if unsafe { libc::getsockname(fd, (&mut st as *mut libc::sockaddr_storage).cast(), &mut len) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let family = libc::c_int::from(st.ss_family);
    if (len as usize) < size_of::<libc::sa_family_t>() || !matches!(family, libc::AF_INET | libc::AF_INET6) {
        return Err(io::Error::from_raw_os_error(libc::EAFNOSUPPORT));
    }
    if get_int_raw(fd, libc::SOL_SOCKET, libc::SO_TYPE)? != libc::SOCK_DGRAM {
        return Err(io::Error::from_raw_os_error(libc::EPROTOTYPE));
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if get_int_raw(fd, libc::SOL_SOCKET, libc::SO_PROTOCOL)? != libc::IPPROTO_UDP {
        return Err(io::Error::from_raw_os_error(libc::EPROTONOSUPPORT));
    }
    // SAFETY: fd is an open UDP socket; from here on the Socket owns it, as
    // Qt's engine does.
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

/// One buffer the kernel may write received bytes into, laid out as the
/// OS's `iovec` so that an array of them is a msghdr's scatter list.
#[repr(transparent)]
pub struct RecvBuf<'a> {
    iov: libc::iovec,
    _buf: PhantomData<&'a mut [MaybeUninit<u8>]>,
}

impl<'a> RecvBuf<'a> {
    pub fn new(buf: &'a mut [MaybeUninit<u8>]) -> Self {
        RecvBuf {
            iov: libc::iovec {
                iov_base: buf.as_mut_ptr().cast(),
                iov_len: buf.len(),
            },
            _buf: PhantomData,
        }
    }

    pub fn capacity(&self) -> usize {
        self.iov.iov_len
    }
}

/// Per-thread space for one batch's headers, addresses and control messages.
#[derive(Default)]
struct Scratch {
    names: Vec<libc::sockaddr_storage>,
    ctrl: Vec<u64>,
    #[cfg(any(target_os = "linux", target_os = "android"))]
    hdrs: Vec<libc::mmsghdr>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = const {
        RefCell::new(Scratch {
            names: Vec::new(),
            ctrl: Vec::new(),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            hdrs: Vec::new(),
        })
    };
}

/// Control buffer words (u64 keeps cmsghdr alignment) per datagram.
const CTRL_WORDS: usize = CTRL_BYTES.div_ceil(8);

/// A receive header for one datagram: its bytes go into `bufs` in order.
fn recv_header<const N: usize>(
    name: &mut libc::sockaddr_storage,
    ctrl: &mut [u64],
    bufs: &mut [RecvBuf<'_>; N],
) -> libc::msghdr {
    // SAFETY: msghdr is plain old data; all-zero is a valid empty header.
    let mut h: libc::msghdr = unsafe { MaybeUninit::zeroed().assume_init() };
    h.msg_name = (name as *mut libc::sockaddr_storage).cast();
    h.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // RecvBuf is repr(transparent) over iovec.
    h.msg_iov = bufs.as_mut_ptr().cast::<libc::iovec>();
    h.msg_iovlen = N as _;
    h.msg_control = ctrl.as_mut_ptr().cast();
    h.msg_controllen = (ctrl.len() * 8) as _;
    h
}

/// The record of one received datagram from its header and byte count
/// (clamped to what its buffers can hold).
fn received(hdr: &libc::msghdr, name: &libc::sockaddr_storage, n: usize, cap: usize) -> Meta {
    // SAFETY: hdr's control buffer is the CTRL_BYTES chunk of the scratch
    // that the kernel has just filled for this datagram.
    let info = unsafe { cmsg::decode_msghdr(hdr, CTRL_BYTES) };
    Meta {
        len: n.min(cap),
        src: to_socket_addr(name, hdr.msg_namelen),
        info,
    }
}

/// Receive up to `msgs.len()` datagrams without blocking, with one recvmmsg
/// (Linux) or a recvmsg loop: datagram i is scattered over the buffers of
/// `msgs[i]` in order, and its record is appended to `out`. Returns how many
/// arrived and the error that stopped the batch: `(0, None)` when nothing is
/// queued (EAGAIN), `(0, Some(e))` when the first receive failed, `(n, Some(e))`
/// when a receive after the n-th failed (the caller reports it after the n).
pub fn recv_batch<const N: usize>(
    sock: &Socket,
    msgs: &mut [[RecvBuf<'_>; N]],
    out: &mut Vec<Meta>,
) -> (usize, Option<io::Error>) {
    let count = msgs.len();
    if count == 0 {
        return (0, None);
    }
    let mut run = |s: &mut Scratch| {
        if s.names.len() < count {
            // SAFETY: sockaddr_storage is plain old data; all-zero is valid.
            s.names
                .resize(count, unsafe { MaybeUninit::zeroed().assume_init() });
            s.ctrl.resize(count * CTRL_WORDS, 0);
        }
        receive(sock, s, msgs, out)
    };
    // A fresh scratch only while the thread is being torn down.
    SCRATCH
        .try_with(|s| match s.try_borrow_mut() {
            Ok(mut s) => run(&mut s),
            Err(_) => run(&mut Scratch::default()),
        })
        .unwrap_or_else(|_| run(&mut Scratch::default()))
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn receive<const N: usize>(
    sock: &Socket,
    s: &mut Scratch,
    msgs: &mut [[RecvBuf<'_>; N]],
    out: &mut Vec<Meta>,
) -> (usize, Option<io::Error>) {
    let count = msgs.len();
    s.hdrs.clear();
    for ((name, ctrl), bufs) in s
        .names
        .iter_mut()
        .zip(s.ctrl.chunks_exact_mut(CTRL_WORDS))
        .zip(msgs.iter_mut())
    {
        s.hdrs.push(libc::mmsghdr {
            msg_hdr: recv_header(name, ctrl, bufs),
            msg_len: 0,
        });
    }
    let r = loop {
        // SAFETY: hdrs holds `count` headers whose names, control buffers
        // and iovecs (borrowed from msgs) all outlive the call.
        let r = unsafe {
            libc::recvmmsg(
                sock.as_raw_fd(),
                s.hdrs.as_mut_ptr(),
                count as _,
                libc::MSG_DONTWAIT as _,
                std::ptr::null_mut(),
            )
        };
        if r >= 0 {
            break r as usize;
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) => return (0, None),
            // An error after some datagrams is not returned: recvmmsg keeps
            // it for the next call (net/socket.c, do_recvmmsg).
            _ => return (0, Some(e)),
        }
    };
    let n = r.min(count);
    for ((bufs, h), name) in msgs.iter().zip(&s.hdrs).zip(&s.names).take(n) {
        let cap = bufs.iter().map(RecvBuf::capacity).sum();
        out.push(received(&h.msg_hdr, name, h.msg_len as usize, cap));
    }
    (n, None)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn receive<const N: usize>(
    sock: &Socket,
    s: &mut Scratch,
    msgs: &mut [[RecvBuf<'_>; N]],
    out: &mut Vec<Meta>,
) -> (usize, Option<io::Error>) {
    let mut n = 0;
    while n < msgs.len() {
        let cap = msgs[n].iter().map(RecvBuf::capacity).sum();
        let ctrl = &mut s.ctrl[n * CTRL_WORDS..(n + 1) * CTRL_WORDS];
        let mut h = recv_header(&mut s.names[n], ctrl, &mut msgs[n]);
        // SAFETY: h points at a name, control buffer and iovecs that
        // outlive the call.
        let r = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut h, libc::MSG_DONTWAIT) };
        if r >= 0 {
            out.push(received(&h, &s.names[n], r as usize, cap));
            n += 1;
            continue;
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) => return (n, None),
            _ => return (n, Some(e)),
        }
    }
    (n, None)
}

/// sendmsg with Qt's per-datagram options: hop limit (IPV6_HOPLIMIT or
/// IP_TTL) and outgoing interface/source (IPV6_PKTINFO or IP_PKTINFO).
pub fn send_ancillary(
    sock: &Socket,
    data: &[u8],
    dest: Option<&SockAddr>,
    v6: bool,
    meta: &SendMeta,
) -> io::Result<usize> {
    let mut ctrl = SendBuf::default();
    if let Some(hop) = meta.hop_limit {
        let (level, kind) = if v6 {
            (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT)
        } else {
            (libc::IPPROTO_IP, libc::IP_TTL)
        };
        ctrl.push(level, kind, hop as libc::c_int);
    }
    if meta.ifindex != 0 || meta.source.is_some() {
        if v6 {
            let addr = match meta.source {
                Some(IpAddr::V6(a)) => a,
                Some(IpAddr::V4(a)) => a.to_ipv6_mapped(),
                None => Ipv6Addr::UNSPECIFIED,
            };
            let info = libc::in6_pktinfo {
                ipi6_addr: libc::in6_addr {
                    s6_addr: addr.octets(),
                },
                ipi6_ifindex: meta.ifindex as _,
            };
            ctrl.push(libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, info);
        } else {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            {
                let src = match meta.source {
                    Some(IpAddr::V4(a)) => u32::from(a).to_be(),
                    _ => 0,
                };
                let info = libc::in_pktinfo {
                    ipi_ifindex: meta.ifindex as _,
                    ipi_spec_dst: libc::in_addr { s_addr: src },
                    ipi_addr: libc::in_addr { s_addr: 0 },
                };
                ctrl.push(libc::IPPROTO_IP, libc::IP_PKTINFO, info);
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
    ctrl.attach(&mut hdr);
    super::retry(|| {
        // SAFETY: hdr points at iov, dest and ctrl, all alive for the call.
        let r = unsafe { libc::sendmsg(sock.as_raw_fd(), &hdr, 0) };
        if r >= 0 {
            Ok(r as usize)
        } else {
            Err(io::Error::last_os_error())
        }
    })
}

/// Register `fd` with a reactor for readable events.
/// What the reactor keeps to deregister a socket: its descriptor (epoll and
/// kqueue need nothing else).
pub struct Source(Raw);

pub fn register(registry: &mio::Registry, fd: Raw, token: mio::Token) -> io::Result<Source> {
    registry.register(&mut mio::unix::SourceFd(&fd), token, mio::Interest::READABLE)?;
    Ok(Source(fd))
}

/// After a dispatch: nothing to do, epoll and kqueue report every new edge.
pub fn rearm(_registry: &mio::Registry, _source: &mut Source, _token: mio::Token) -> io::Result<()> {
    Ok(())
}

pub fn deregister(registry: &mio::Registry, source: Source) -> io::Result<()> {
    registry.deregister(&mut mio::unix::SourceFd(&source.0))
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

/// Every path carries a datagram of this size (IPv6's minimum MTU, RFC
/// 8200; IPv4 links below it are rare, and a refusal is learned anyway).
#[cfg(any(target_os = "linux", target_os = "android"))]
const SAFE_PATH_MTU: usize = 1280;

/// The largest GSO segment `dest`'s path takes. The kernel refuses a GSO
/// send whose segment plus IP and UDP headers exceeds the path's fragment
/// size (udp_send_skb: EMSGSIZE), where a plain send of the same datagram
/// would be fragmented. A segment that fits SAFE_PATH_MTU needs no check;
/// a larger one is checked against IP_MTU / IPV6_MTU, which a connected
/// socket knows (asked once per call, in `probed`). An unconnected socket
/// has no path MTU to ask for: it tries, and a refusal lowers its
/// GsoState::max_seg.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn segment_limit(sock: &Socket, dest: &SockAddr, seg: usize, probed: &mut Option<usize>) -> usize {
    let (v4_socket, v4_path) = match dest.as_socket() {
        Some(SocketAddr::V4(_)) => (true, true),
        Some(SocketAddr::V6(a)) => (false, a.ip().to_ipv4_mapped().is_some()),
        None => (false, false),
    };
    let headers = if v4_path { 20 + 8 } else { 40 + 8 };
    if seg + headers <= SAFE_PATH_MTU {
        return GSO_MAX_BYTES;
    }
    *probed.get_or_insert_with(|| {
        match path_mtu(sock, !v4_socket) {
            Ok(m) if m > 0 => (m as usize).saturating_sub(headers),
            _ => GSO_MAX_BYTES, // ENOTCONN: no path yet; see above
        }
    })
}

/// Send `payloads` to `dest`: with UDP GSO (Linux 4.18+) when they share one
/// size (the last may be shorter) that the path takes, else with sendmmsg;
/// a plain loop elsewhere. A GSO send the kernel refuses falls back to
/// sendmmsg and teaches `gso`. Returns how many were sent and the error
/// that stopped it.
pub fn send_batch(
    sock: &Socket,
    payloads: &[&[u8]],
    dest: &SockAddr,
    gso: &mut GsoState,
) -> (usize, Option<io::Error>) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let mut done = 0;
        // The path MTU, asked at most once per call.
        let mut probed = None;
        while done < payloads.len() {
            let rest = &payloads[done..];
            let seg = rest[0].len();
            let fits = !gso.off
                && seg > 0
                && seg <= GSO_MAX_BYTES
                && seg <= gso.max_seg
                && rest.len() >= 2
                && rest[1].len() <= seg
                && seg <= segment_limit(sock, dest, seg, &mut probed);
            let run = if fits {
                let limit = GSO_MAX_SEGMENTS.min(GSO_MAX_BYTES / seg);
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
                    Err(e) => match e.raw_os_error() {
                        // This size is too large for the path (EINVAL on
                        // kernels before 5.x): send it without GSO.
                        Some(libc::EMSGSIZE | libc::EINVAL) => {
                            gso.max_seg = seg - 1;
                            continue;
                        }
                        // No GSO on this socket's route or kernel.
                        Some(libc::EIO | libc::ENOPROTOOPT | libc::EOPNOTSUPP) => {
                            gso.off = true;
                            continue;
                        }
                        _ => Err(e),
                    },
                    Ok(_) => Ok(run),
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
        let _ = gso;
        for (i, p) in payloads.iter().enumerate() {
            if let Err(e) = sock.send_to(p, dest) {
                return (i, Some(e));
            }
        }
        (payloads.len(), None)
    }
}

/// Segments up to this size are copied into one buffer before a GSO send:
/// the kernel's copy walks one iovec per segment, which for small
/// datagrams costs more than the copy (64 B: ~4 % of the send's CPU).
#[cfg(any(target_os = "linux", target_os = "android"))]
const GSO_COPY_MAX_SEG: usize = 512;

#[cfg(any(target_os = "linux", target_os = "android"))]
thread_local! {
    static GSO_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn send_gso(sock: &Socket, segs: &[&[u8]], seg: usize, dest: &SockAddr) -> io::Result<usize> {
    if seg <= GSO_COPY_MAX_SEG {
        let sent = GSO_BUF.try_with(|b| {
            let Ok(mut buf) = b.try_borrow_mut() else {
                return None;
            };
            buf.clear();
            for p in segs {
                buf.extend_from_slice(p);
            }
            Some(send_gso_iovs(sock, &[&buf[..]], seg, dest))
        });
        if let Ok(Some(r)) = sent {
            return r;
        }
    }
    send_gso_iovs(sock, segs, seg, dest)
}

/// One iovec per payload, for the kernel to read from (it never writes
/// through them, whatever the pointer's type says).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn iovecs(payloads: &[&[u8]]) -> Vec<libc::iovec> {
    payloads
        .iter()
        .map(|p| libc::iovec {
            iov_base: p.as_ptr() as *mut libc::c_void,
            iov_len: p.len(),
        })
        .collect()
}

/// One GSO sendmsg of `parts`, which the kernel concatenates and cuts into
/// `seg`-byte datagrams.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn send_gso_iovs(sock: &Socket, parts: &[&[u8]], seg: usize, dest: &SockAddr) -> io::Result<usize> {
    let mut iovs = iovecs(parts);
    let mut ctrl = SendBuf::default();
    ctrl.push(libc::SOL_UDP, libc::UDP_SEGMENT, seg as u16);
    // SAFETY: msghdr is plain old data; all-zero is a valid empty header.
    let mut hdr: libc::msghdr = unsafe { MaybeUninit::zeroed().assume_init() };
    hdr.msg_name = dest.as_ptr() as *mut libc::c_void;
    hdr.msg_namelen = dest.len();
    hdr.msg_iov = iovs.as_mut_ptr();
    hdr.msg_iovlen = iovs.len() as _;
    ctrl.attach(&mut hdr);
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
    let mut iovs = iovecs(msgs);
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
    from_socket_addr(&SocketAddr::new(ip, 0)).0
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
    set_raw(sock, level, name, &req, len)
}
