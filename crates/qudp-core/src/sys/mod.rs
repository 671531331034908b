//! The bottom layer: system calls, control messages, addresses and
//! interfaces, in plain records. Platform code is picked here, in one
//! place; each platform module offers the same functions, and nothing in
//! `sys` imports anything else of the crate (the layers above convert
//! these records into their own types).

use std::net::{IpAddr, SocketAddr};

#[cfg(unix)]
mod cmsg;
#[cfg(unix)]
mod ifaddrs;
#[cfg(unix)]
mod sockaddr;
#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use ifaddrs::interfaces;
#[cfg(unix)]
pub use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

/// Run a system call again while a signal interrupts it (EINTR); any other
/// result is returned. Callers that must let Python see the signal first
/// (waits) handle EINTR themselves.
pub fn retry<T>(mut call: impl FnMut() -> std::io::Result<T>) -> std::io::Result<T> {
    loop {
        match call() {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

/// What the kernel said about one received datagram besides its bytes,
/// decoded from its control messages. Anything the kernel did not send, or
/// cut off for lack of room, is unknown (`None`, -1, 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvInfo {
    /// Destination address and interface (IP_PKTINFO / IPV6_PKTINFO).
    pub dst: Option<IpAddr>,
    pub ifindex: u32,
    /// TTL or hop limit (IP_RECVTTL / IPV6_RECVHOPLIMIT), -1 when unknown.
    pub hop: i32,
    /// Kernel receive time (SO_TIMESTAMPNS), nanoseconds since the epoch.
    pub stamp_ns: Option<i64>,
    /// Kernel drop counter (SO_RXQ_OVFL) as of this datagram.
    pub drops: Option<u32>,
    /// GRO segment size (UDP_GRO) when the kernel coalesced datagrams.
    pub gso_size: usize,
    /// The kernel had more control data than room (MSG_CTRUNC).
    pub truncated: bool,
}

impl Default for RecvInfo {
    fn default() -> Self {
        RecvInfo {
            dst: None,
            ifindex: 0,
            hop: -1,
            stamp_ns: None,
            drops: None,
            gso_size: 0,
            truncated: false,
        }
    }
}

/// Per-datagram send options (QNetworkDatagram's hop limit, interface index
/// and sender address), sent as control messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendMeta {
    pub hop_limit: Option<i32>,
    pub ifindex: u32,
    pub source: Option<IpAddr>,
}

impl SendMeta {
    pub fn is_empty(&self) -> bool {
        self.hop_limit.is_none() && self.ifindex == 0 && self.source.is_none()
    }
}

/// What one socket has learned about sending with UDP GSO. It belongs to
/// the socket, not the process: the kernel refuses GSO per route (IPsec:
/// EIO), per socket (SO_NO_CHECK: EINVAL) and per path MTU (EMSGSIZE), so
/// one socket's answer says nothing about another's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GsoState {
    /// No GSO for this socket at all (ENOPROTOOPT: a kernel without
    /// UDP_SEGMENT; EIO: a route that cannot offload).
    pub off: bool,
    /// Largest segment size still worth trying; a size the kernel refused
    /// (EMSGSIZE, or EINVAL on kernels before 5.x) lowers it.
    pub max_seg: usize,
}

impl Default for GsoState {
    fn default() -> Self {
        GsoState {
            off: false,
            max_seg: usize::MAX,
        }
    }
}

/// A portable classification of OS error numbers; each platform's table is
/// `classify`, and `error.rs` maps the classes to Qt's errors once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrClass {
    MsgSize,
    AddrInUse,
    Access,
    AddrNotAvail,
    Invalid,
    ConnRefused,
    HostUnreach,
    NetUnreach,
    TimedOut,
    NoBufs,
    WouldBlock,
    BadFd,
    NotSock,
    AfNoSupport,
    NetReset,
    ConnReset,
    Interrupted,
    Other,
}

/// The kind of link an interface is, as the OS reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LinkKind {
    #[default]
    Unknown,
    Loopback,
    Virtual,
    Ethernet,
    Slip,
    CanBus,
    Ppp,
    Fddi,
    Wifi,
    Phonet,
    Ieee802154,
    SixLowpan,
    Ieee80216,
    Ieee1394,
}

/// The interface flags Qt reports (IFF_* on Unix, adapter state on Windows).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkFlags {
    pub up: bool,
    pub running: bool,
    pub broadcast: bool,
    pub loopback: bool,
    pub point_to_point: bool,
    pub multicast: bool,
}

impl LinkFlags {
    pub fn merge(&mut self, o: LinkFlags) {
        self.up |= o.up;
        self.running |= o.running;
        self.broadcast |= o.broadcast;
        self.loopback |= o.loopback;
        self.point_to_point |= o.point_to_point;
        self.multicast |= o.multicast;
    }
}

/// One address of an interface as the OS lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfAddr {
    pub ip: IpAddr,
    /// Prefix length, None when the netmask is unknown or not contiguous.
    pub prefix: Option<u8>,
    /// The IPv4 broadcast address, where the OS keeps one.
    pub broadcast: Option<std::net::Ipv4Addr>,
}

/// One interface as the OS lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IfInfo {
    pub index: u32,
    pub name: String,
    /// Windows' friendly name; empty elsewhere.
    pub friendly: String,
    pub flags: LinkFlags,
    pub kind: LinkKind,
    /// Hardware address bytes (empty when there is none).
    pub hw: Vec<u8>,
    pub mtu: i32,
    pub addrs: Vec<IfAddr>,
}

/// What the kernel told us about one received datagram: its length and the
/// metadata of its control messages. A plain record: the receive functions
/// fill one per datagram and the layers above decide what to keep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// Bytes received (for a coalesced receive, all of its segments).
    pub len: usize,
    pub src: Option<SocketAddr>,
    /// What its control messages said (destination, interface, hop limit,
    /// timestamp, drop counter, GRO segment size), decoded by `cmsg`.
    pub info: RecvInfo,
}
