//! Windows: Winsock error classes, SO_EXCLUSIVEADDRUSE for DontShareAddress,
//! and a plain recvfrom loop (no control messages yet: destination address,
//! hop limit and interface index are not reported on Windows).

use std::io;
use std::mem::MaybeUninit;
use std::os::windows::io::AsRawSocket;

use socket2::Socket;
use windows_sys::Win32::Networking::WinSock as ws;

use crate::batch::{Meta, Ring, SLOT_BYTES};

/// A raw socket handle as the OS names it.
pub type Raw = std::os::windows::io::RawSocket;

pub fn raw(sock: &Socket) -> Raw {
    sock.as_raw_socket()
}
use crate::error::Class;

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
        ws::WSAENOPROTOOPT => Class::NoProtoOpt,
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

fn set_int(sock: &Socket, level: i32, name: i32, value: i32) -> io::Result<()> {
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

pub fn enable_recv_info(_sock: &Socket, _v6_family: bool) {}

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
/// default behaviour.
pub fn apply_bind_mode(sock: &Socket, mode: i64) -> io::Result<()> {
    const DONT_SHARE: i64 = 0x2;
    const REUSE_HINT: i64 = 0x4;
    if mode == 0 {
        return Ok(());
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

/// Take ownership of socket handle `fd` (setSocketDescriptor).
pub fn adopt(fd: i64) -> io::Result<Socket> {
    let raw = Raw::try_from(fd).map_err(|_| io::Error::from_raw_os_error(ws::WSAENOTSOCK))?;
    // SAFETY: the caller hands the handle over; from here on the Socket owns it.
    let sock = unsafe { <Socket as std::os::windows::io::FromRawSocket>::from_raw_socket(raw) };
    if let Err(e) = sock.local_addr() {
        if e.raw_os_error() == Some(ws::WSAENOTSOCK) {
            // Not ours to close: give the handle back untouched.
            std::mem::forget(sock);
            return Err(e);
        }
    }
    Ok(sock)
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

/// A recvfrom loop into the ring's slots until the socket would block.
pub fn recv_batch(sock: &Socket, ring: &mut Ring) -> io::Result<usize> {
    let slots = ring.slots;
    let data = ring.start_fill();
    let mut got = Vec::new();
    for i in 0..slots {
        let buf = &mut data[i * SLOT_BYTES..(i + 1) * SLOT_BYTES];
        // SAFETY: u8 and MaybeUninit<u8> have the same layout; recv_from only writes.
        let uninit = unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) };
        match sock.recv_from(uninit) {
            Ok((n, from)) => got.push(Meta {
                off: i * SLOT_BYTES,
                len: n,
                src: from.as_socket(),
                hop: -1,
                ..Meta::default()
            }),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if got.is_empty() => return Err(e),
            Err(_) => break,
        }
    }
    let n = got.len();
    ring.metas = got;
    Ok(n)
}

/// Windows: the per-datagram options are not applied yet; the datagram is
/// sent plainly.
pub fn send_ancillary(
    sock: &Socket,
    data: &[u8],
    dest: Option<&socket2::SockAddr>,
    _v6: bool,
    _anc: &crate::core::Ancillary,
) -> io::Result<usize> {
    match dest {
        Some(d) => sock.send_to(data, d),
        None => sock.send(data),
    }
}

/// mio registers only its own socket types on Windows; the reactor does not
/// drive raw sockets there yet (waitForReadyRead still works).
pub fn register(_registry: &mio::Registry, _fd: Raw, _token: mio::Token) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

pub fn deregister(_registry: &mio::Registry, _fd: Raw) -> io::Result<()> {
    Ok(())
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
pub fn send_batch(sock: &Socket, payloads: &[&[u8]], dest: &socket2::SockAddr) -> (usize, Option<io::Error>) {
    for (i, p) in payloads.iter().enumerate() {
        if let Err(e) = sock.send_to(p, dest) {
            return (i, Some(e));
        }
    }
    (payloads.len(), None)
}
