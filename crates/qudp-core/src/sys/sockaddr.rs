//! `sockaddr` <-> `SocketAddr`: the OS's address records and Rust's, with
//! the length the kernel reports checked before a byte is read.

use std::mem::size_of;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use socket2::SockAddr;

/// The address in `storage`, of which the OS filled `len` bytes; None for
/// another family or a length too short for the family's record.
pub fn to_socket_addr(storage: &libc::sockaddr_storage, len: libc::socklen_t) -> Option<SocketAddr> {
    let len = len as usize;
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
            // SAFETY: the family and length say the storage holds a
            // sockaddr_in; sockaddr_storage is aligned for every sockaddr.
            let a: &libc::sockaddr_in = unsafe { &*(storage as *const libc::sockaddr_storage).cast() };
            let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(a.sin_port))))
        }
        libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above, for sockaddr_in6.
            let a: &libc::sockaddr_in6 = unsafe { &*(storage as *const libc::sockaddr_storage).cast() };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(a.sin6_addr.s6_addr),
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// `addr` as a sockaddr (with `sin_len` where the platform has one, through
/// socket2) and its length.
pub fn from_socket_addr(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain old data; all-zero is valid.
    let mut st: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let sa = SockAddr::from(*addr);
    let n = (sa.len() as usize).min(size_of::<libc::sockaddr_storage>());
    // SAFETY: `sa` holds sa.len() valid bytes and `st` has room for `n`.
    unsafe {
        std::ptr::copy_nonoverlapping(
            sa.as_ptr().cast::<u8>(),
            (&mut st as *mut libc::sockaddr_storage).cast::<u8>(),
            n,
        )
    };
    (st, n as libc::socklen_t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_addr() -> impl Strategy<Value = SocketAddr> {
        prop_oneof![
            (any::<u32>(), any::<u16>()).prop_map(|(ip, p)| SocketAddr::new(Ipv4Addr::from(ip).into(), p)),
            (any::<u128>(), any::<u16>(), any::<u32>(), any::<u32>())
                .prop_map(|(ip, p, f, s)| { SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(ip), p, f, s)) }),
        ]
    }

    proptest! {
        #[test]
        fn round_trip(a in any_addr()) {
            let (st, len) = from_socket_addr(&a);
            prop_assert_eq!(to_socket_addr(&st, len), Some(a));
            // And socket2 reads our record the same way.
            // SAFETY: st holds `len` bytes of a sockaddr written above.
            let back = unsafe { SockAddr::new(std::mem::transmute_copy(&st), len) };
            prop_assert_eq!(back.as_socket(), Some(a));
        }

        /// A length shorter than the family's record is refused, whatever
        /// the bytes; random storage never panics.
        #[test]
        fn short_or_random_storage(bytes in proptest::collection::vec(any::<u8>(), size_of::<libc::sockaddr_storage>()), len in 0u32..200) {
            // SAFETY: sockaddr_storage is plain old data; any bytes are valid.
            let st: libc::sockaddr_storage = unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast()) };
            let got = to_socket_addr(&st, len as libc::socklen_t);
            match got {
                Some(SocketAddr::V4(_)) => prop_assert!(len as usize >= size_of::<libc::sockaddr_in>()),
                Some(SocketAddr::V6(_)) => prop_assert!(len as usize >= size_of::<libc::sockaddr_in6>()),
                None => {}
            }
        }

        #[test]
        fn truncated_lengths_of_real_addresses(a in any_addr(), cut in 0u32..28) {
            let (st, len) = from_socket_addr(&a);
            let cut = cut.min(len.saturating_sub(1));
            prop_assert_eq!(to_socket_addr(&st, cut), None);
        }
    }
}
