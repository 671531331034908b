//! `QAbstractSocket::SocketOption` → socket options, as QNativeSocketEngine
//! maps them: the multicast options go to the IPv6 level on IPv6 and
//! dual-stack sockets and to the IPv4 level otherwise; TypeOfServiceOption
//! is IP_TOS on IPv4 sockets only (Qt has no IPV6_TCLASS mapping).

use std::io;

use socket2::Socket;

pub const KEEP_ALIVE: i64 = 1;
pub const MULTICAST_TTL: i64 = 2;
pub const MULTICAST_LOOPBACK: i64 = 3;
pub const TYPE_OF_SERVICE: i64 = 4;
pub const SEND_BUFFER: i64 = 5;
pub const RECEIVE_BUFFER: i64 = 6;
pub const PATH_MTU: i64 = 7;

/// Whether `option` is one of Qt's `SocketOption` numbers.
pub fn is_known(option: i64) -> bool {
    (0..=10).contains(&option)
}

/// Set `option` to `value` on a socket of the given family.
/// `Ok(false)` means the option does not apply to UDP (Qt ignores it).
///
/// The value goes to the kernel unchanged as a C int, as Qt's
/// QNativeSocketEngine::setOption passes it: -1 for MulticastTtlOption is
/// the kernel's "default" (1); IP_MULTICAST_LOOP takes any non-zero value
/// as 1, while IPV6_MULTICAST_LOOP refuses anything but 0 and 1 (EINVAL,
/// the value stays). socket2's setters cast their argument back to c_int,
/// so `value as u32` reaches the kernel as the same bits.
pub fn set(sock: &Socket, v6: bool, option: i64, value: i32) -> io::Result<bool> {
    let bits = value as u32;
    match option {
        // Qt maps TypeOfServiceOption to IP_TOS only; IPv6 sockets have none.
        TYPE_OF_SERVICE if v6 => return Ok(false),
        MULTICAST_TTL if v6 => {
            sock.set_multicast_hops_v6(bits)?;
            // Beyond Qt: a dual-stack socket sends IPv4 multicast with the
            // IPv4 TTL (IP_MULTICAST_TTL), which Qt leaves at 1; set both,
            // but only once the IPv6 level (the one Qt reads back) took it.
            // Where the OS refuses IPv4 options on IPv6 sockets, no harm.
            let _ = sock.set_multicast_ttl_v4(bits);
        }
        MULTICAST_TTL => sock.set_multicast_ttl_v4(bits)?,
        MULTICAST_LOOPBACK if v6 => {
            set_loop_v6(sock, value)?;
            let _ = sock.set_multicast_loop_v4(value != 0); // as for the TTL above
        }
        MULTICAST_LOOPBACK => set_loop_v4(sock, value)?,
        TYPE_OF_SERVICE => sock.set_tos_v4(bits)?,
        KEEP_ALIVE => sock.set_keepalive(value != 0)?,
        // usize -> c_int inside socket2 truncates back to `value`'s bits, so
        // a negative size reaches the kernel as Qt sends it.
        SEND_BUFFER => sock.set_send_buffer_size(value as isize as usize)?,
        RECEIVE_BUFFER => sock.set_recv_buffer_size(value as isize as usize)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// IPV6_MULTICAST_LOOP with the caller's int (the kernel checks it).
#[cfg(unix)]
fn set_loop_v6(sock: &Socket, value: i32) -> io::Result<()> {
    crate::sys::set_int(sock, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_LOOP, value)
}

#[cfg(not(unix))]
fn set_loop_v6(sock: &Socket, value: i32) -> io::Result<()> {
    sock.set_multicast_loop_v6(value != 0)
}

/// IP_MULTICAST_LOOP with the caller's int (the kernel checks it).
#[cfg(unix)]
fn set_loop_v4(sock: &Socket, value: i32) -> io::Result<()> {
    crate::sys::set_int(sock, libc::IPPROTO_IP, libc::IP_MULTICAST_LOOP, value)
}

#[cfg(not(unix))]
fn set_loop_v4(sock: &Socket, value: i32) -> io::Result<()> {
    sock.set_multicast_loop_v4(value != 0)
}

/// Read `option`; `Ok(None)` when it does not apply to UDP.
pub fn get(sock: &Socket, v6: bool, option: i64) -> io::Result<Option<i64>> {
    let v = match option {
        MULTICAST_TTL if v6 => i64::from(sock.multicast_hops_v6()?),
        MULTICAST_TTL => i64::from(sock.multicast_ttl_v4()?),
        MULTICAST_LOOPBACK if v6 => i64::from(sock.multicast_loop_v6()?),
        MULTICAST_LOOPBACK => i64::from(sock.multicast_loop_v4()?),
        TYPE_OF_SERVICE if v6 => return Ok(None),
        KEEP_ALIVE => i64::from(sock.keepalive()?),
        TYPE_OF_SERVICE => i64::from(sock.tos_v4()?),
        SEND_BUFFER => sock.send_buffer_size()? as i64,
        RECEIVE_BUFFER => sock.recv_buffer_size()? as i64,
        PATH_MTU => path_mtu(sock, v6)?,
        _ => return Ok(None),
    };
    Ok(Some(v))
}

/// PathMtuSocketOption: the kernel's path MTU estimate (sys::path_mtu).
fn path_mtu(sock: &Socket, v6: bool) -> io::Result<i64> {
    crate::sys::path_mtu(sock, v6).map(i64::from)
}
