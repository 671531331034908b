//! Platform code, picked in one place. Each platform module offers the same
//! functions; the rest of the crate calls them through `crate::sys`.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

use std::net::{IpAddr, SocketAddr};

/// What the kernel told us about one received datagram: its length and the
/// metadata of its control messages. A plain record: the receive functions
/// fill one per datagram and the layers above decide what to keep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// Bytes received (for a coalesced receive, all of its segments).
    pub len: usize,
    pub src: Option<SocketAddr>,
    /// Destination address and interface (IP_PKTINFO / IPV6_PKTINFO).
    pub dst: Option<IpAddr>,
    pub ifindex: u32,
    /// TTL or hop limit (IP_RECVTTL / IPV6_RECVHOPLIMIT), -1 when unknown.
    pub hop: i32,
    /// Kernel receive time (SO_TIMESTAMPNS), nanoseconds since the epoch.
    pub stamp_ns: Option<i64>,
    /// Kernel drop counter (SO_RXQ_OVFL) as of this datagram.
    pub drops: Option<u32>,
    /// Segment size (UDP_GRO) when the kernel coalesced several datagrams
    /// of one sender into this receive; 0 otherwise.
    pub gso_size: usize,
}
