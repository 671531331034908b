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

/// Set `option` to `value` on a socket of the given family.
/// `Ok(false)` means the option does not apply to UDP (Qt ignores it).
pub fn set(sock: &Socket, v6: bool, option: i64, value: i64) -> io::Result<bool> {
    let u = u32::try_from(value).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    match option {
        // Qt maps TypeOfServiceOption to IP_TOS only; IPv6 sockets have none.
        TYPE_OF_SERVICE if v6 => return Ok(false),
        MULTICAST_TTL if v6 => {
            sock.set_multicast_hops_v6(u)?;
            // Beyond Qt: a dual-stack socket sends IPv4 multicast with the
            // IPv4 TTL (IP_MULTICAST_TTL), which Qt leaves at 1; set both.
            // Where the OS refuses IPv4 options on IPv6 sockets, no harm.
            let _ = sock.set_multicast_ttl_v4(u);
        }
        MULTICAST_TTL => sock.set_multicast_ttl_v4(u)?,
        MULTICAST_LOOPBACK if v6 => {
            sock.set_multicast_loop_v6(u != 0)?;
            let _ = sock.set_multicast_loop_v4(u != 0); // as for the TTL above
        }
        MULTICAST_LOOPBACK => sock.set_multicast_loop_v4(u != 0)?,
        TYPE_OF_SERVICE => sock.set_tos_v4(u)?,
        KEEP_ALIVE => sock.set_keepalive(u != 0)?,
        SEND_BUFFER => sock.set_send_buffer_size(u as usize)?,
        RECEIVE_BUFFER => sock.set_recv_buffer_size(u as usize)?,
        _ => return Ok(false),
    }
    Ok(true)
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
