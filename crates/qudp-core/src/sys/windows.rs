//! Windows: Winsock error classes, Qt's bind flags (SO_EXCLUSIVEADDRUSE for
//! DontShareAddress), WSARecvMsg / WSASendMsg with packet information and
//! hop limit, and mio registration through its own UdpSocket (AFD polling).

use std::io;
use std::mem::MaybeUninit;
use std::os::windows::io::{AsRawSocket, FromRawSocket, IntoRawSocket};

use socket2::Socket;
use windows_sys::Win32::Networking::WinSock as ws;

use super::{ErrClass as Class, GsoState, IfAddr, IfInfo, LinkFlags, LinkKind, SendMeta};
use super::{Meta, RecvInfo};

/// A raw socket handle as the OS names it.
pub type Raw = std::os::windows::io::RawSocket;

pub fn raw(sock: &Socket) -> Raw {
    sock.as_raw_socket()
}

pub fn classify(code: i32) -> (Class, String) {
    let class = match code {
        ws::WSAEMSGSIZE => Class::MsgSize,
        ws::WSAEADDRINUSE => Class::AddrInUse,
        ws::WSAEACCES => Class::Access,
        ws::WSAEADDRNOTAVAIL => Class::AddrNotAvail,
        ws::WSAEINVAL => Class::Invalid,
        ws::WSAECONNREFUSED => Class::ConnRefused,
        ws::WSAEHOSTUNREACH => Class::HostUnreach,
        ws::WSAENETUNREACH => Class::NetUnreach,
        ws::WSAETIMEDOUT => Class::TimedOut,
        ws::WSAENOBUFS => Class::NoBufs,
        ws::WSAEWOULDBLOCK => Class::WouldBlock,
        ws::WSAENOTSOCK => Class::NotSock,
        ws::WSAEBADF => Class::BadFd,
        ws::WSAECONNABORTED => Class::ConnReset,
        ws::WSAEAFNOSUPPORT | ws::WSAEPROTONOSUPPORT => Class::AfNoSupport,
        ws::WSAENETRESET => Class::NetReset,
        // A UDP socket gets WSAECONNRESET for an ICMP port unreachable.
        ws::WSAECONNRESET => Class::ConnRefused,
        ws::WSAEINTR => Class::Interrupted,
        _ => Class::Other,
    };
    (class, io::Error::from_raw_os_error(code).to_string())
}

pub fn scope_index(scope: &str) -> u32 {
    scope.parse::<u32>().unwrap_or(0)
}

pub fn scope_name(index: u32) -> String {
    index.to_string()
}

pub fn set_int(sock: &Socket, level: i32, name: i32, value: i32) -> io::Result<()> {
    // SAFETY: value is a live i32 and we pass its exact size.
    let r = unsafe {
        ws::setsockopt(
            sock.as_raw_socket() as ws::SOCKET,
            level,
            name,
            (&value as *const i32).cast(),
            std::mem::size_of::<i32>() as i32,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

pub fn get_int(sock: &Socket, level: i32, name: i32) -> io::Result<i32> {
    let mut value: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as i32;
    // SAFETY: value/len describe a writable i32 buffer.
    let r = unsafe {
        ws::getsockopt(
            sock.as_raw_socket() as ws::SOCKET,
            level,
            name,
            (&mut value as *mut i32).cast(),
            &mut len,
        )
    };
    if r == 0 {
        Ok(value)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The path MTU estimate (IP_MTU / IPV6_MTU, Windows 10 1703+) of a
/// connected socket.
pub fn path_mtu(sock: &Socket, v6_socket: bool) -> io::Result<i32> {
    if v6_socket {
        get_int(sock, ws::IPPROTO_IPV6, ws::IPV6_MTU)
    } else {
        get_int(sock, ws::IPPROTO_IP, ws::IP_MTU)
    }
}

/// Packet information and hop limit with each datagram, as Qt's Windows
/// engine asks for them (IP_PKTINFO / IPV6_PKTINFO and IP_HOPLIMIT /
/// IPV6_HOPLIMIT, read back by WSARecvMsg). A dual-stack socket gets the
/// IPv4 options too: Windows reports an IPv4 datagram's on that level.
pub fn enable_recv_info(sock: &Socket, v6_family: bool) {
    set_recv_info(sock, v6_family, true);
}

/// The same options on or off (setPacketInformation).
pub fn set_recv_info(sock: &Socket, v6_family: bool, on: bool) {
    let v = on as i32;
    if v6_family {
        let _ = set_int(sock, ws::IPPROTO_IPV6, ws::IPV6_PKTINFO, v);
        let _ = set_int(sock, ws::IPPROTO_IPV6, ws::IPV6_HOPLIMIT, v);
    }
    let _ = set_int(sock, ws::IPPROTO_IP, ws::IP_PKTINFO, v);
    let _ = set_int(sock, ws::IPPROTO_IP, ws::IP_HOPLIMIT, v);
}

pub fn set_gro(_sock: &Socket, _on: bool) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

pub fn set_timestamps(_sock: &Socket, _on: bool) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

pub fn set_drop_counter(_sock: &Socket, _on: bool) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Qt's BindMode → socket options on Windows (QAbstractSocketPrivate::bind):
/// ReuseAddressHint is SO_REUSEADDR, DontShareAddress is SO_EXCLUSIVEADDRUSE;
/// DefaultForPlatform (0) leaves both alone; ShareAddress alone is Windows'
/// default behaviour. qudp's LoadBalance (0x100) is refused (WSAEINVAL:
/// UnsupportedSocketOperationError): Windows has no SO_REUSEPORT, and
/// SO_REUSEADDR gives each datagram to one socket without spreading.
pub fn apply_bind_mode(sock: &Socket, mode: i64) -> io::Result<()> {
    const DONT_SHARE: i64 = 0x2;
    const REUSE_HINT: i64 = 0x4;
    const LOAD_BALANCE: i64 = 0x100;
    if mode == 0 {
        return Ok(());
    }
    if mode & LOAD_BALANCE != 0 {
        return Err(io::Error::from_raw_os_error(ws::WSAEINVAL));
    }
    set_int(
        sock,
        ws::SOL_SOCKET,
        ws::SO_REUSEADDR,
        (mode & REUSE_HINT != 0) as i32,
    )?;
    set_int(
        sock,
        ws::SOL_SOCKET,
        ws::SO_EXCLUSIVEADDRUSE,
        (mode & DONT_SHARE != 0) as i32,
    )
}

/// Take ownership of socket handle `fd` (setSocketDescriptor) if it is a
/// UDP socket of an IP family (getsockname's family, SO_TYPE), as on Unix;
/// a refused handle is given back untouched.
pub fn adopt(fd: i64) -> io::Result<Socket> {
    let raw = Raw::try_from(fd).map_err(|_| io::Error::from_raw_os_error(ws::WSAENOTSOCK))?;
    // SAFETY: the caller hands the handle over; from here on the Socket owns
    // it unless it is refused below (then it is forgotten, not closed).
    let sock = unsafe { <Socket as std::os::windows::io::FromRawSocket>::from_raw_socket(raw) };
    let ok = match sock.local_addr() {
        Ok(a) if !(a.is_ipv4() || a.is_ipv6()) => Err(io::Error::from_raw_os_error(ws::WSAEAFNOSUPPORT)),
        // An unbound socket has no name yet (WSAEINVAL); its type still tells.
        Ok(_) => Ok(()),
        Err(e) if e.raw_os_error() == Some(ws::WSAEINVAL) => Ok(()),
        Err(e) => Err(e),
    }
    .and_then(|()| match sock.r#type()? {
        t if t == socket2::Type::DGRAM => Ok(()),
        _ => Err(io::Error::from_raw_os_error(ws::WSAEPROTOTYPE)),
    });
    match ok {
        Ok(()) => Ok(sock),
        Err(e) => {
            // Not ours to close: give the handle back untouched.
            std::mem::forget(sock);
            Err(e)
        }
    }
}

pub fn poll_readable(fd: Raw, timeout_ms: i32) -> io::Result<bool> {
    let mut p = ws::WSAPOLLFD {
        fd: fd as ws::SOCKET,
        events: ws::POLLRDNORM,
        revents: 0,
    };
    // SAFETY: one valid WSAPOLLFD.
    let r = unsafe { ws::WSAPoll(&mut p, 1, timeout_ms) };
    match r {
        ws::SOCKET_ERROR => Err(io::Error::last_os_error()),
        0 => Ok(false),
        _ => Ok(true),
    }
}

/// One buffer the kernel may write received bytes into.
pub struct RecvBuf<'a>(&'a mut [MaybeUninit<u8>]);

impl<'a> RecvBuf<'a> {
    pub fn new(buf: &'a mut [MaybeUninit<u8>]) -> Self {
        RecvBuf(buf)
    }

    pub fn capacity(&self) -> usize {
        self.0.len()
    }
}

/// WSARecvMsg is reached through a pointer the provider hands out
/// (SIO_GET_EXTENSION_FUNCTION_POINTER); it is the same for every socket of
/// the provider, so it is asked for once.
fn wsa_recv_msg(sock: &Socket) -> io::Result<RecvMsgFn> {
    static PTR: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    if let Some(p) = PTR.get() {
        // SAFETY: stored below from a non-null LPFN_WSARECVMSG.
        return Ok(unsafe { std::mem::transmute::<usize, RecvMsgFn>(*p) });
    }
    let guid = ws::WSAID_WSARECVMSG;
    let mut f: ws::LPFN_WSARECVMSG = None;
    let mut got = 0u32;
    // SAFETY: in and out buffers are a GUID and a function pointer of the
    // sizes passed; no overlapped I/O.
    let r = unsafe {
        ws::WSAIoctl(
            sock.as_raw_socket() as ws::SOCKET,
            ws::SIO_GET_EXTENSION_FUNCTION_POINTER,
            (&guid as *const windows_sys::core::GUID).cast(),
            std::mem::size_of_val(&guid) as u32,
            (&mut f as *mut ws::LPFN_WSARECVMSG).cast(),
            std::mem::size_of::<ws::LPFN_WSARECVMSG>() as u32,
            &mut got,
            std::ptr::null_mut(),
            None,
        )
    };
    match f {
        Some(func) if r == 0 => {
            let _ = PTR.set(func as usize);
            Ok(func)
        }
        _ => Err(io::Error::last_os_error()),
    }
}

type RecvMsgFn = unsafe extern "system" fn(
    ws::SOCKET,
    *mut ws::WSAMSG,
    *mut u32,
    *mut windows_sys::Win32::System::IO::OVERLAPPED,
    ws::LPWSAOVERLAPPED_COMPLETION_ROUTINE,
) -> i32;

/// Control messages (WSA_CMSG_*): a header of (usize length, i32 level,
/// i32 type), headers and values aligned to the header's alignment. The
/// same checks as `cmsg.rs` on Unix: a header is read only when it lies
/// wholly inside what the provider wrote, a value only when its length
/// covers it, and a malformed length ends the walk.
mod wsacmsg {
    use std::mem::{align_of, size_of};

    use windows_sys::Win32::Networking::WinSock as ws;

    const ALIGN: usize = align_of::<ws::CMSGHDR>();
    /// WSA_CMSG_DATA's offset: the header rounded up to ALIGN.
    pub const DATA: usize = size_of::<ws::CMSGHDR>().div_ceil(ALIGN) * ALIGN;

    /// WSA_CMSG_SPACE(n).
    pub const fn space(n: usize) -> usize {
        DATA + n.div_ceil(ALIGN) * ALIGN
    }

    /// Room for IP_PKTINFO, IPV6_PKTINFO and both hop limits at once.
    pub const RECV_SPACE: usize = space(size_of::<ws::IN_PKTINFO>())
        + space(size_of::<ws::IN6_PKTINFO>())
        + 2 * space(size_of::<i32>());

    /// Room for a hop limit and packet information.
    pub const SEND_SPACE: usize = space(size_of::<i32>()) + space(size_of::<ws::IN6_PKTINFO>());

    /// (level, type, value bytes) of each message in `buf`.
    pub fn walk(buf: &[u8]) -> impl Iterator<Item = (i32, i32, &[u8])> {
        let mut pos = 0usize;
        std::iter::from_fn(move || {
            let rest = buf.get(pos..)?;
            if rest.len() < DATA {
                return None;
            }
            // SAFETY: `rest` holds a whole header of plain integers; read
            // unaligned since the slice promises no alignment.
            let h: ws::CMSGHDR = unsafe { std::ptr::read_unaligned(rest.as_ptr().cast()) };
            let n = h.cmsg_len;
            if n < DATA || n > rest.len() {
                pos = buf.len();
                return None;
            }
            pos = pos.saturating_add(n.div_ceil(ALIGN) * ALIGN);
            Some((h.cmsg_level, h.cmsg_type, &rest[DATA..n]))
        })
    }

    /// The value at the start of `data` if `data` holds all of it.
    pub fn read<T: Copy>(data: &[u8]) -> Option<T> {
        if data.len() < size_of::<T>() {
            return None;
        }
        // SAFETY: enough bytes; only called for plain-integer structs.
        Some(unsafe { std::ptr::read_unaligned(data.as_ptr().cast::<T>()) })
    }

    /// Append one message to `buf` (aligned storage of `cap` bytes at
    /// `*len`); false if it does not fit.
    pub fn push<T: Copy>(buf: &mut [u64], len: &mut usize, level: i32, kind: i32, value: T) -> bool {
        let need = space(size_of::<T>());
        let bytes = buf.len() * 8;
        if *len + need > bytes {
            return false;
        }
        let h = ws::CMSGHDR {
            cmsg_len: DATA + size_of::<T>(),
            cmsg_level: level,
            cmsg_type: kind,
        };
        let base = buf.as_mut_ptr().cast::<u8>();
        // SAFETY: the message fits (checked above) and both writes stay
        // inside it; unaligned writes need no alignment.
        unsafe {
            std::ptr::write_bytes(base.add(*len), 0, need);
            std::ptr::write_unaligned(base.add(*len).cast::<ws::CMSGHDR>(), h);
            std::ptr::write_unaligned(base.add(*len + DATA).cast::<T>(), value);
        }
        *len += need;
        true
    }
}

/// What one datagram's control messages say (packet information, hop limit).
fn decode_info(ctrl: &[u8], truncated: bool) -> RecvInfo {
    let mut info = RecvInfo {
        truncated,
        ..RecvInfo::default()
    };
    for (level, kind, data) in wsacmsg::walk(ctrl) {
        match (level, kind) {
            (ws::IPPROTO_IP, ws::IP_PKTINFO) => {
                if let Some(p) = wsacmsg::read::<ws::IN_PKTINFO>(data) {
                    // SAFETY: IN_ADDR is a union of views of the same 4 bytes.
                    let a = unsafe { p.ipi_addr.S_un.S_addr };
                    info.dst = Some(std::net::IpAddr::V4(u32::from_be(a).into()));
                    info.ifindex = p.ipi_ifindex;
                }
            }
            (ws::IPPROTO_IPV6, ws::IPV6_PKTINFO) => {
                if let Some(p) = wsacmsg::read::<ws::IN6_PKTINFO>(data) {
                    // SAFETY: IN6_ADDR is a union of views of the same 16 bytes.
                    let a = unsafe { p.ipi6_addr.u.Byte };
                    info.dst = Some(std::net::IpAddr::V6(a.into()));
                    info.ifindex = p.ipi6_ifindex;
                }
            }
            // Windows reports the TTL as IP_TTL or IP_HOPLIMIT by version.
            (ws::IPPROTO_IP, ws::IP_HOPLIMIT | ws::IP_TTL) | (ws::IPPROTO_IPV6, ws::IPV6_HOPLIMIT) => {
                if let Some(h) = wsacmsg::read::<i32>(data).filter(|h| (0..=255).contains(h)) {
                    info.hop = h;
                }
            }
            _ => {}
        }
    }
    info
}

/// A received datagram's sender as a Rust address.
fn sender_of(st: &ws::SOCKADDR_STORAGE, len: i32) -> Option<std::net::SocketAddr> {
    let len = usize::try_from(len).ok()?;
    match st.ss_family {
        ws::AF_INET if len >= std::mem::size_of::<ws::SOCKADDR_IN>() => {
            // SAFETY: the provider wrote a SOCKADDR_IN (family and length).
            let a: ws::SOCKADDR_IN =
                unsafe { std::ptr::read_unaligned((st as *const ws::SOCKADDR_STORAGE).cast()) };
            // SAFETY: IN_ADDR is a union of views of the same 4 bytes.
            let ip = u32::from_be(unsafe { a.sin_addr.S_un.S_addr });
            Some(std::net::SocketAddr::new(
                std::net::IpAddr::V4(ip.into()),
                u16::from_be(a.sin_port),
            ))
        }
        ws::AF_INET6 if len >= std::mem::size_of::<ws::SOCKADDR_IN6>() => {
            // SAFETY: the provider wrote a SOCKADDR_IN6 (family and length).
            let a: ws::SOCKADDR_IN6 =
                unsafe { std::ptr::read_unaligned((st as *const ws::SOCKADDR_STORAGE).cast()) };
            // SAFETY: unions of views of the same bytes.
            let (ip, scope) = unsafe { (a.sin6_addr.u.Byte, a.Anonymous.sin6_scope_id) };
            Some(std::net::SocketAddr::V6(std::net::SocketAddrV6::new(
                ip.into(),
                u16::from_be(a.sin6_port),
                u32::from_be(a.sin6_flowinfo),
                scope,
            )))
        }
        _ => None,
    }
}

/// Receive up to `msgs.len()` datagrams without blocking, one WSARecvMsg
/// each (with its packet information and hop limit): datagram i is
/// scattered over the buffers of `msgs[i]` in order and its record appended
/// to `out`. Returns how many arrived and the error that stopped the batch
/// (`(0, None)`: nothing queued), as on Unix.
pub fn recv_batch<const N: usize>(
    sock: &Socket,
    msgs: &mut [[RecvBuf<'_>; N]],
    out: &mut Vec<Meta>,
) -> (usize, Option<io::Error>) {
    let recv = match wsa_recv_msg(sock) {
        Ok(f) => f,
        Err(e) => return (0, Some(e)),
    };
    let mut ctrl = [0u64; wsacmsg::RECV_SPACE.div_ceil(8)];
    let mut n = 0;
    while n < msgs.len() {
        let cap = msgs[n].iter().map(RecvBuf::capacity).sum::<usize>();
        let mut bufs: [ws::WSABUF; N] = std::array::from_fn(|_| ws::WSABUF {
            len: 0,
            buf: std::ptr::null_mut(),
        });
        for (b, r) in bufs.iter_mut().zip(msgs[n].iter_mut()) {
            b.len = u32::try_from(r.0.len()).unwrap_or(u32::MAX);
            b.buf = r.0.as_mut_ptr().cast();
        }
        // SAFETY: SOCKADDR_STORAGE is plain old data; all-zero is valid.
        let mut from: ws::SOCKADDR_STORAGE = unsafe { std::mem::zeroed() };
        let mut msg = ws::WSAMSG {
            name: (&mut from as *mut ws::SOCKADDR_STORAGE).cast(),
            namelen: std::mem::size_of::<ws::SOCKADDR_STORAGE>() as i32,
            lpBuffers: bufs.as_mut_ptr(),
            dwBufferCount: N as u32,
            Control: ws::WSABUF {
                len: (ctrl.len() * 8) as u32,
                buf: ctrl.as_mut_ptr().cast(),
            },
            dwFlags: 0,
        };
        let mut got = 0u32;
        // SAFETY: msg points at live buffers of the lengths it states (the
        // caller's, `from` and `ctrl`); no overlapped I/O.
        let r = unsafe {
            recv(
                sock.as_raw_socket() as ws::SOCKET,
                &mut msg,
                &mut got,
                std::ptr::null_mut(),
                None,
            )
        };
        let err = if r == 0 {
            0
        } else {
            // SAFETY: reads this thread's last Winsock error; no arguments.
            unsafe { ws::WSAGetLastError() }
        };
        match err {
            // A datagram larger than the buffers arrives cut (WSAEMSGSIZE):
            // what fitted is kept, as recvfrom's MSG_TRUNC on Unix.
            0 | ws::WSAEMSGSIZE => {
                let clen = (msg.Control.len as usize).min(ctrl.len() * 8);
                // SAFETY: ctrl is u64 storage of at least clen bytes.
                let cbytes = unsafe { std::slice::from_raw_parts(ctrl.as_ptr().cast::<u8>(), clen) };
                let len = if err == 0 { got as usize } else { cap };
                out.push(Meta {
                    len: len.min(cap),
                    src: sender_of(&from, msg.namelen),
                    info: decode_info(cbytes, msg.dwFlags & ws::MSG_CTRUNC != 0),
                });
                n += 1;
            }
            ws::WSAEWOULDBLOCK => return (n, None),
            ws::WSAEINTR => continue,
            e => return (n, Some(io::Error::from_raw_os_error(e))),
        }
    }
    (n, None)
}

/// Send one datagram with per-datagram options as control messages
/// (WSASendMsg): hop limit (IP_TTL / IPV6_HOPLIMIT) and source address or
/// interface (IP_PKTINFO / IPV6_PKTINFO), as Qt's Windows engine sends them.
pub fn send_ancillary(
    sock: &Socket,
    data: &[u8],
    dest: Option<&socket2::SockAddr>,
    v6: bool,
    meta: &SendMeta,
) -> io::Result<usize> {
    let mut ctrl = [0u64; wsacmsg::SEND_SPACE.div_ceil(8)];
    let mut clen = 0usize;
    if let Some(hop) = meta.hop_limit {
        let (level, kind) = if v6 {
            (ws::IPPROTO_IPV6, ws::IPV6_HOPLIMIT)
        } else {
            (ws::IPPROTO_IP, ws::IP_TTL)
        };
        wsacmsg::push(&mut ctrl, &mut clen, level, kind, hop);
    }
    if meta.ifindex != 0 || meta.source.is_some() {
        if v6 {
            let addr = match meta.source {
                Some(std::net::IpAddr::V6(a)) => a,
                Some(std::net::IpAddr::V4(a)) => a.to_ipv6_mapped(),
                None => std::net::Ipv6Addr::UNSPECIFIED,
            };
            let info = ws::IN6_PKTINFO {
                ipi6_addr: ws::IN6_ADDR {
                    u: ws::IN6_ADDR_0 { Byte: addr.octets() },
                },
                ipi6_ifindex: meta.ifindex,
            };
            wsacmsg::push(&mut ctrl, &mut clen, ws::IPPROTO_IPV6, ws::IPV6_PKTINFO, info);
        } else {
            let src = match meta.source {
                Some(std::net::IpAddr::V4(a)) => u32::from(a).to_be(),
                _ => 0,
            };
            let info = ws::IN_PKTINFO {
                ipi_addr: ws::IN_ADDR {
                    S_un: ws::IN_ADDR_0 { S_addr: src },
                },
                ipi_ifindex: meta.ifindex,
            };
            wsacmsg::push(&mut ctrl, &mut clen, ws::IPPROTO_IP, ws::IP_PKTINFO, info);
        }
    }
    let mut buf = ws::WSABUF {
        len: u32::try_from(data.len()).map_err(|_| io::Error::from_raw_os_error(ws::WSAEMSGSIZE))?,
        buf: data.as_ptr() as *mut u8,
    };
    let msg = ws::WSAMSG {
        name: dest.map_or(std::ptr::null_mut(), |d| {
            d.as_ptr().cast::<ws::SOCKADDR>().cast_mut()
        }),
        namelen: dest.map_or(0, |d| d.len()),
        lpBuffers: &mut buf,
        dwBufferCount: 1,
        Control: ws::WSABUF {
            len: clen as u32,
            buf: if clen == 0 {
                std::ptr::null_mut()
            } else {
                ctrl.as_mut_ptr().cast()
            },
        },
        dwFlags: 0,
    };
    super::retry(|| {
        let mut sent = 0u32;
        // SAFETY: msg points at data, dest and ctrl, all alive for the call;
        // the provider only reads them. No overlapped I/O.
        let r = unsafe {
            ws::WSASendMsg(
                sock.as_raw_socket() as ws::SOCKET,
                &msg,
                0,
                &mut sent,
                std::ptr::null_mut(),
                None,
            )
        };
        if r == 0 {
            Ok(sent as usize)
        } else {
            Err(io::Error::last_os_error())
        }
    })
}

/// What the reactor keeps of a registered socket. mio polls on Windows
/// through AFD and only for its own socket type, so the socket is lent to a
/// `mio::net::UdpSocket` for as long as it is registered, and taken back
/// (never closed) on deregistration: the socket belongs to its `Core`.
pub struct Source(Option<mio::net::UdpSocket>);

impl Drop for Source {
    fn drop(&mut self) {
        if let Some(s) = self.0.take() {
            // Give the handle back without closing it.
            let _ = s.into_raw_socket();
        }
    }
}

pub fn register(registry: &mio::Registry, fd: Raw, token: mio::Token) -> io::Result<Source> {
    // SAFETY: fd is a live socket owned by the caller's Core, which
    // deregisters before it closes; Source never closes it (see Drop).
    let mut sock = Source(Some(unsafe { mio::net::UdpSocket::from_raw_socket(fd) }));
    if let Some(s) = sock.0.as_mut() {
        registry.register(s, token, mio::Interest::READABLE)?;
    }
    Ok(sock)
}

/// After a dispatch: mio's AFD poll reports readiness once and is armed
/// again only by a mio read that would block, which qudp's own reads are
/// not. Re-registering submits a new poll, which reports at once if data is
/// still queued, so a datagram that arrived during the slot is not missed.
pub fn rearm(registry: &mio::Registry, source: &mut Source, token: mio::Token) -> io::Result<()> {
    match source.0.as_mut() {
        Some(s) => registry.reregister(s, token, mio::Interest::READABLE),
        None => Ok(()),
    }
}

pub fn deregister(registry: &mio::Registry, mut source: Source) -> io::Result<()> {
    match source.0.as_mut() {
        Some(s) => registry.deregister(s),
        None => Ok(()),
    }
}

/// Windows has no pollable descriptor for the reactor (IOCP).
pub fn poll_raw(_poll: &mio::Poll) -> i64 {
    -1
}

/// Name lookup through the standard library (getaddrinfo underneath).
pub fn lookup(name: &str) -> io::Result<Vec<std::net::IpAddr>> {
    use std::net::ToSocketAddrs;
    let mut out = Vec::new();
    if let Ok(addrs) = (name, 0u16).to_socket_addrs() {
        for a in addrs {
            if !out.contains(&a.ip()) {
                out.push(a.ip());
            }
        }
    }
    Ok(out)
}

/// A plain send loop (no sendmmsg/GSO on Windows yet).
pub fn send_batch(
    sock: &Socket,
    payloads: &[&[u8]],
    dest: &socket2::SockAddr,
    _gso: &mut GsoState,
) -> (usize, Option<io::Error>) {
    for (i, p) in payloads.iter().enumerate() {
        if let Err(e) = sock.send_to(p, dest) {
            return (i, Some(e));
        }
    }
    (payloads.len(), None)
}

// ---- Interfaces (QNetworkInterface) ------------------------------------

use windows_sys::Win32::NetworkManagement::IpHelper as iphlp;

/// The name of interface `index` (if_indextoname), None if there is none.
pub fn interface_name(index: u32) -> Option<String> {
    let mut buf = [0u8; 257];
    // SAFETY: buf is larger than IF_NAMESIZE (256 + NUL).
    let p = unsafe { iphlp::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return None;
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    Some(String::from_utf8_lossy(&buf[..end]).into_owned())
}

fn wide(p: *const u16) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: p is a NUL-terminated UTF-16 string owned by the adapter list.
    let len = (0..).take_while(|&i| unsafe { *p.add(i) } != 0).count();
    // SAFETY: the first `len` units were just read.
    String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(p, len) })
}

/// A SOCKET_ADDRESS's IP, through socket2's sockaddr decoding.
fn ip_of(sa: &ws::SOCKET_ADDRESS) -> Option<std::net::IpAddr> {
    if sa.lpSockaddr.is_null() || sa.iSockaddrLength <= 0 {
        return None;
    }
    let mut st = socket2::SockAddrStorage::zeroed();
    let len = (sa.iSockaddrLength as usize).min(std::mem::size_of::<socket2::SockAddrStorage>());
    // SAFETY: lpSockaddr holds iSockaddrLength bytes; st has room for `len`.
    unsafe {
        std::ptr::copy_nonoverlapping(
            sa.lpSockaddr.cast::<u8>(),
            (&mut st as *mut socket2::SockAddrStorage).cast::<u8>(),
            len,
        )
    };
    // SAFETY: st holds a sockaddr of `len` bytes copied from the OS.
    let addr = unsafe { socket2::SockAddr::new(st, len as socket2::socklen_t) };
    addr.as_socket().map(|s| s.ip())
}

/// Every adapter with its unicast addresses, from GetAdaptersAddresses, as
/// Qt's qnetworkinterface_win.cpp reads it: the LUID name
/// (ConvertInterfaceLuidToNameW) as name() and FriendlyName as
/// humanReadableName(); up and running when OperStatus is up; broadcast
/// unless loopback or point-to-point; multicast unless
/// IP_ADAPTER_NO_MULTICAST.
pub fn interfaces() -> io::Result<Vec<IfInfo>> {
    let flags =
        iphlp::GAA_FLAG_SKIP_ANYCAST | iphlp::GAA_FLAG_SKIP_MULTICAST | iphlp::GAA_FLAG_SKIP_DNS_SERVER;
    let mut size: u32 = 16 * 1024;
    let mut buf: Vec<u64> = Vec::new();
    let mut filled = false;
    // The list can grow between the size query and the call: retry a few times.
    for _ in 0..4 {
        buf.resize((size as usize).div_ceil(8), 0);
        // SAFETY: buf has `size` writable, 8-aligned bytes.
        let r = unsafe {
            iphlp::GetAdaptersAddresses(
                u32::from(ws::AF_UNSPEC),
                flags,
                std::ptr::null(),
                buf.as_mut_ptr().cast(),
                &mut size,
            )
        };
        match r {
            0 => {
                filled = true;
                break;
            }
            windows_sys::Win32::Foundation::ERROR_BUFFER_OVERFLOW => continue,
            e => return Err(io::Error::from_raw_os_error(e as i32)),
        }
    }
    if !filled {
        return Err(io::Error::from_raw_os_error(
            windows_sys::Win32::Foundation::ERROR_BUFFER_OVERFLOW as i32,
        ));
    }
    let mut out = Vec::new();
    let mut p = buf.as_ptr() as *const iphlp::IP_ADAPTER_ADDRESSES_LH;
    while !p.is_null() {
        // SAFETY: p walks the list GetAdaptersAddresses wrote into buf.
        let a = unsafe { &*p };
        p = a.Next;
        // SAFETY: the IfIndex view of the first union is always valid.
        let index = if a.Ipv6IfIndex != 0 {
            a.Ipv6IfIndex
        } else {
            unsafe { a.Anonymous1.Anonymous.IfIndex }
        };
        let mut name_buf = [0u16; 257];
        // SAFETY: name_buf has room for 257 UTF-16 units.
        let ok =
            unsafe { iphlp::ConvertInterfaceLuidToNameW(&a.Luid, name_buf.as_mut_ptr(), name_buf.len()) }
                == 0;
        let mut name = if ok {
            wide(name_buf.as_ptr())
        } else {
            String::new()
        };
        if name.is_empty() && !a.AdapterName.is_null() {
            // SAFETY: AdapterName is a NUL-terminated ANSI string.
            name = unsafe { std::ffi::CStr::from_ptr(a.AdapterName.cast()) }
                .to_string_lossy()
                .into_owned();
        }
        let kind = match a.IfType {
            iphlp::IF_TYPE_ETHERNET_CSMACD => LinkKind::Ethernet,
            iphlp::IF_TYPE_SOFTWARE_LOOPBACK => LinkKind::Loopback,
            iphlp::IF_TYPE_IEEE80211 => LinkKind::Wifi,
            iphlp::IF_TYPE_PPP => LinkKind::Ppp,
            iphlp::IF_TYPE_SLIP => LinkKind::Slip,
            iphlp::IF_TYPE_FDDI => LinkKind::Fddi,
            iphlp::IF_TYPE_IEEE1394 => LinkKind::Ieee1394,
            iphlp::IF_TYPE_IEEE80216_WMAN => LinkKind::Ieee80216,
            iphlp::IF_TYPE_TUNNEL => LinkKind::Virtual,
            _ => LinkKind::Unknown,
        };
        let up = a.OperStatus == windows_sys::Win32::NetworkManagement::Ndis::IfOperStatusUp;
        let f = LinkFlags {
            up,
            running: up,
            loopback: kind == LinkKind::Loopback,
            point_to_point: matches!(kind, LinkKind::Ppp | LinkKind::Slip),
            broadcast: !matches!(kind, LinkKind::Loopback | LinkKind::Ppp | LinkKind::Slip),
            // SAFETY: the Flags view of the second union is always valid.
            multicast: unsafe { a.Anonymous2.Flags } & iphlp::IP_ADAPTER_NO_MULTICAST == 0,
        };
        let hw_len = (a.PhysicalAddressLength as usize).min(a.PhysicalAddress.len());
        let mut entries = Vec::new();
        let mut u = a.FirstUnicastAddress;
        while !u.is_null() {
            // SAFETY: u walks this adapter's unicast list inside buf.
            let ua = unsafe { &*u };
            u = ua.Next;
            if let Some(ip) = ip_of(&ua.Address) {
                entries.push(IfAddr {
                    ip,
                    prefix: Some(ua.OnLinkPrefixLength),
                    broadcast: None,
                });
            }
        }
        out.push(IfInfo {
            index,
            name,
            friendly: wide(a.FriendlyName),
            flags: f,
            kind,
            hw: a.PhysicalAddress[..hw_len].to_vec(),
            mtu: a.Mtu as i32,
            addrs: entries,
        });
    }
    Ok(out)
}

// ---- Multicast group requests (RFC 3678) --------------------------------

fn storage_of(ip: std::net::IpAddr) -> ws::SOCKADDR_STORAGE {
    // SAFETY: SOCKADDR_STORAGE is plain old data; all-zero is valid.
    let mut st: ws::SOCKADDR_STORAGE = unsafe { std::mem::zeroed() };
    let sa = socket2::SockAddr::from(std::net::SocketAddr::new(ip, 0));
    // SAFETY: sa holds sa.len() valid bytes, which fit a SOCKADDR_STORAGE.
    unsafe {
        std::ptr::copy_nonoverlapping(
            sa.as_ptr().cast::<u8>(),
            (&mut st as *mut ws::SOCKADDR_STORAGE).cast::<u8>(),
            (sa.len() as usize).min(std::mem::size_of::<ws::SOCKADDR_STORAGE>()),
        )
    };
    st
}

/// MCAST_JOIN_GROUP / MCAST_LEAVE_GROUP / MCAST_JOIN_SOURCE_GROUP /
/// MCAST_LEAVE_SOURCE_GROUP with GROUP_REQ / GROUP_SOURCE_REQ, as on Unix.
pub fn group_request(
    sock: &Socket,
    v6_socket: bool,
    join: bool,
    ifindex: u32,
    group: std::net::IpAddr,
    source: Option<std::net::IpAddr>,
) -> io::Result<()> {
    let name = match (join, source.is_some()) {
        (true, false) => ws::MCAST_JOIN_GROUP,
        (false, false) => ws::MCAST_LEAVE_GROUP,
        (true, true) => ws::MCAST_JOIN_SOURCE_GROUP,
        (false, true) => ws::MCAST_LEAVE_SOURCE_GROUP,
    } as i32;
    let level = if v6_socket {
        ws::IPPROTO_IPV6
    } else {
        ws::IPPROTO_IP
    };
    let req = ws::GROUP_SOURCE_REQ {
        gsr_interface: ifindex,
        gsr_group: storage_of(group),
        // SAFETY: all-zero SOCKADDR_STORAGE is valid (unused for GROUP_REQ).
        gsr_source: source.map_or_else(|| unsafe { std::mem::zeroed() }, storage_of),
    };
    let len = if source.is_some() {
        std::mem::size_of::<ws::GROUP_SOURCE_REQ>()
    } else {
        std::mem::size_of::<ws::GROUP_REQ>()
    };
    // SAFETY: req is a live request of at least `len` bytes.
    let r = unsafe {
        ws::setsockopt(
            sock.as_raw_socket() as ws::SOCKET,
            level,
            name,
            (&req as *const ws::GROUP_SOURCE_REQ).cast(),
            len as i32,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
