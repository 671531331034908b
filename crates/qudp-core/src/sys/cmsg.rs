//! Control messages (cmsg(3)): the one place for the CMSG_* arithmetic.
//!
//! Decoding walks the bytes the kernel wrote as a slice. A header is read
//! only when it lies wholly inside, a value only when its message's
//! `cmsg_len` covers it (`cmsg_len >= CMSG_LEN(size of the value)`), and a
//! malformed length ends the walk. A message the kernel cut short for lack
//! of room (it shrinks `cmsg_len` and sets MSG_CTRUNC) therefore leaves its
//! field unknown, never filled from bytes past the buffer. Encoding writes
//! into an aligned buffer whose room is checked before each message.

use std::mem::size_of;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::RecvInfo;

/// CMSG_SPACE(n): the room one message with an n-byte value takes.
pub const fn space(n: usize) -> usize {
    // SAFETY: CMSG_SPACE is arithmetic on its argument only.
    unsafe { libc::CMSG_SPACE(n as libc::c_uint) as usize }
}

/// CMSG_LEN(n): the `cmsg_len` of a message with an n-byte value.
pub const fn len(n: usize) -> usize {
    // SAFETY: CMSG_LEN is arithmetic on its argument only.
    unsafe { libc::CMSG_LEN(n as libc::c_uint) as usize }
}

/// Where a message's value starts (CMSG_DATA minus the header address).
const DATA: usize = len(0);
/// The unit CMSG_ALIGN rounds to (8 on 64-bit Linux, 4 on macOS).
const ALIGN: usize = space(1) - space(0);
/// The smallest well-formed message: a whole header.
const MIN_MSG: usize = if DATA > size_of::<libc::cmsghdr>() {
    DATA
} else {
    size_of::<libc::cmsghdr>()
};

const fn round8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

/// Control buffer room for one received datagram with every option qudp
/// can turn on at once: packet information for IPv4 and IPv6 (a dual-stack
/// socket may get both), TTL and hop limit, the kernel timestamp, the drop
/// counter and the GRO segment size. More than that (options set from
/// outside, e.g. on a dup of the descriptor) is cut by the kernel with
/// MSG_CTRUNC and decodes as unknown. A multiple of 8 so that per-datagram
/// buffers laid end to end in u64 storage stay aligned.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const RECV_SPACE: usize = round8(
    space(size_of::<libc::in_pktinfo>())
        + space(size_of::<libc::in6_pktinfo>())
        + 2 * space(size_of::<libc::c_int>()) // IP_TTL, IPV6_HOPLIMIT
        + space(size_of::<libc::timespec>()) // SCM_TIMESTAMPNS
        + space(size_of::<u32>()) // SO_RXQ_OVFL
        + space(size_of::<libc::c_int>()), // UDP_GRO
);
/// Elsewhere: IP_RECVDSTADDR, IP_RECVTTL (one byte), IPV6_PKTINFO and
/// IPV6_HOPLIMIT.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub const RECV_SPACE: usize = round8(
    space(size_of::<libc::in_addr>())
        + space(size_of::<u8>())
        + space(size_of::<libc::in6_pktinfo>())
        + space(size_of::<libc::c_int>()),
);

/// Room for what qudp sends: a hop limit, packet information and a GSO
/// segment size.
pub const SEND_SPACE: usize =
    round8(space(size_of::<libc::c_int>()) + space(size_of::<libc::in6_pktinfo>()) + space(size_of::<u16>()));

/// Values that may be read from, or written as, raw control-message bytes.
///
/// # Safety
/// Every bit pattern must be a valid value, and the type must have no
/// padding (its bytes are handed to the kernel as they are).
pub unsafe trait Pod: Copy {}
// SAFETY: integers and C structs of integers without padding.
unsafe impl Pod for u8 {}
// SAFETY: as above.
unsafe impl Pod for u16 {}
// SAFETY: as above.
unsafe impl Pod for u32 {}
// SAFETY: as above.
unsafe impl Pod for i32 {}
// SAFETY: as above (two integers of the same width).
unsafe impl Pod for libc::timespec {}
// SAFETY: as above (a 4-byte address).
unsafe impl Pod for libc::in_addr {}
// SAFETY: as above (16 address bytes and a 4-byte index).
unsafe impl Pod for libc::in6_pktinfo {}
// SAFETY: as above (an index and two 4-byte addresses).
#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
unsafe impl Pod for libc::in_pktinfo {}

/// The value at the start of `data`, if `data` holds all of it.
fn read<T: Pod>(data: &[u8]) -> Option<T> {
    if data.len() < size_of::<T>() {
        return None;
    }
    // SAFETY: `data` has at least size_of::<T>() bytes and any bit pattern
    // is a valid T (Pod); the read is unaligned.
    Some(unsafe { std::ptr::read_unaligned(data.as_ptr().cast::<T>()) })
}

/// One control message: level, type and the value bytes its `cmsg_len`
/// covers (fewer than the value's size when the kernel cut it short).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Msg<'a> {
    pub level: libc::c_int,
    pub kind: libc::c_int,
    pub data: &'a [u8],
}

/// The messages of a control buffer, in order (CMSG_FIRSTHDR/CMSG_NXTHDR
/// over a slice).
pub struct Msgs<'a> {
    buf: &'a [u8],
    pos: usize,
}

pub fn walk(buf: &[u8]) -> Msgs<'_> {
    Msgs { buf, pos: 0 }
}

impl<'a> Iterator for Msgs<'a> {
    type Item = Msg<'a>;

    fn next(&mut self) -> Option<Msg<'a>> {
        let rest = self.buf.get(self.pos..)?;
        if rest.len() < MIN_MSG {
            self.pos = self.buf.len();
            return None;
        }
        // SAFETY: `rest` holds a whole header; cmsghdr is plain integers,
        // read unaligned because the slice gives no alignment promise.
        let h: libc::cmsghdr = unsafe { std::ptr::read_unaligned(rest.as_ptr().cast()) };
        #[allow(clippy::unnecessary_cast)] // size_t on glibc, socklen_t elsewhere
        let n = h.cmsg_len as usize;
        // Shorter than a header is malformed (the kernel's own walk stops
        // there too); longer than the buffer is not something the kernel
        // writes (it shrinks cmsg_len to what fits), so it is not trusted.
        if n < MIN_MSG || n > rest.len() {
            self.pos = self.buf.len();
            return None;
        }
        // CMSG_NXTHDR: the next header starts at the aligned end.
        self.pos = self.pos.saturating_add(n.div_ceil(ALIGN) * ALIGN);
        Some(Msg {
            level: h.cmsg_level,
            kind: h.cmsg_type,
            data: &rest[DATA..n],
        })
    }
}

/// A TTL or hop limit only when it is one (0..=255).
fn hop(v: Option<libc::c_int>) -> Option<i32> {
    v.filter(|h| (0..=255).contains(h))
}

fn v4(a: libc::in_addr) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(u32::from_be(a.s_addr)))
}

/// Decode what qudp asked for from one datagram's control bytes; other
/// messages are skipped. `truncated` is the kernel's MSG_CTRUNC.
pub fn decode(buf: &[u8], truncated: bool) -> RecvInfo {
    let mut info = RecvInfo {
        truncated,
        ..RecvInfo::default()
    };
    for m in walk(buf) {
        match (m.level, m.kind) {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            (libc::IPPROTO_IP, libc::IP_PKTINFO) => {
                if let Some(p) = read::<libc::in_pktinfo>(m.data) {
                    info.dst = Some(v4(p.ipi_addr));
                    info.ifindex = p.ipi_ifindex as u32;
                }
            }
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            (libc::IPPROTO_IP, libc::IP_RECVDSTADDR) => {
                if let Some(a) = read::<libc::in_addr>(m.data) {
                    info.dst = Some(v4(a));
                }
            }
            (libc::IPPROTO_IP, libc::IP_TTL) => {
                if let Some(h) = hop(read::<libc::c_int>(m.data)) {
                    info.hop = h;
                }
            }
            // The BSDs and macOS deliver the TTL as one byte.
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            (libc::IPPROTO_IP, libc::IP_RECVTTL) => {
                if let Some(h) = read::<u8>(m.data) {
                    info.hop = i32::from(h);
                }
            }
            (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => {
                if let Some(p) = read::<libc::in6_pktinfo>(m.data) {
                    info.dst = Some(IpAddr::V6(Ipv6Addr::from(p.ipi6_addr.s6_addr)));
                    info.ifindex = p.ipi6_ifindex;
                }
            }
            (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT) => {
                if let Some(h) = hop(read::<libc::c_int>(m.data)) {
                    info.hop = h;
                }
            }
            #[cfg(any(target_os = "linux", target_os = "android"))]
            (libc::SOL_SOCKET, libc::SCM_TIMESTAMPNS) => {
                // time_t and c_long are 32-bit on some targets.
                #[allow(clippy::useless_conversion)]
                if let Some(ts) = read::<libc::timespec>(m.data) {
                    let ns = (0..1_000_000_000).contains(&ts.tv_nsec).then(|| {
                        i64::from(ts.tv_sec)
                            .checked_mul(1_000_000_000)?
                            .checked_add(i64::from(ts.tv_nsec))
                    });
                    if let Some(Some(ns)) = ns {
                        info.stamp_ns = Some(ns);
                    }
                }
            }
            #[cfg(any(target_os = "linux", target_os = "android"))]
            (libc::SOL_UDP, libc::UDP_GRO) => {
                // A segment size the ring can split by: 1..=65535.
                if let Some(s) = read::<libc::c_int>(m.data).filter(|s| (1..=65535).contains(s)) {
                    info.gso_size = s as usize;
                }
            }
            #[cfg(any(target_os = "linux", target_os = "android"))]
            (libc::SOL_SOCKET, libc::SO_RXQ_OVFL) => {
                if let Some(d) = read::<u32>(m.data) {
                    info.drops = Some(d);
                }
            }
            _ => {}
        }
    }
    info
}

/// Decode the control data of a header `recvmsg`/`recvmmsg` has filled.
///
/// # Safety
/// `h.msg_control` is null or points to at least `cap` readable bytes (the
/// room given to the kernel); only `min(msg_controllen, cap)` are read.
pub unsafe fn decode_msghdr(h: &libc::msghdr, cap: usize) -> RecvInfo {
    let truncated = h.msg_flags & libc::MSG_CTRUNC != 0;
    if h.msg_control.is_null() {
        return RecvInfo {
            truncated,
            ..RecvInfo::default()
        };
    }
    #[allow(clippy::unnecessary_cast)] // size_t on glibc, socklen_t elsewhere
    let n = (h.msg_controllen as usize).min(cap);
    // SAFETY: the caller promises `cap` readable bytes at msg_control and
    // `n <= cap`.
    let buf = unsafe { std::slice::from_raw_parts(h.msg_control.cast::<u8>(), n) };
    decode(buf, truncated)
}

/// A control buffer for `sendmsg`, aligned for `cmsghdr`.
#[repr(C, align(8))]
pub struct SendBuf {
    bytes: [u8; SEND_SPACE],
    used: usize,
}

impl Default for SendBuf {
    fn default() -> Self {
        SendBuf {
            bytes: [0; SEND_SPACE],
            used: 0,
        }
    }
}

impl SendBuf {
    /// Append one message; false, and nothing written, when it does not fit.
    pub fn push<T: Pod>(&mut self, level: libc::c_int, kind: libc::c_int, value: T) -> bool {
        push_into(&mut self.bytes, &mut self.used, level, kind, value)
    }

    /// Point `hdr` at the messages pushed so far (none: no control data).
    pub fn attach(&mut self, hdr: &mut libc::msghdr) {
        if self.used > 0 {
            hdr.msg_control = self.bytes.as_mut_ptr().cast();
            hdr.msg_controllen = self.used as _;
        }
    }
}

/// Write one message at `*used` in `buf` (which must start 8-aligned), with
/// its padding zeroed; false if it does not fit.
fn push_into<T: Pod>(
    buf: &mut [u8],
    used: &mut usize,
    level: libc::c_int,
    kind: libc::c_int,
    value: T,
) -> bool {
    let need = space(size_of::<T>());
    let at = *used;
    let Some(end) = at.checked_add(need).filter(|e| *e <= buf.len()) else {
        return false;
    };
    buf[at..end].fill(0);
    // SAFETY: cmsghdr is plain integers (and padding on some libcs); zero
    // is a valid value for all of them.
    let mut h: libc::cmsghdr = unsafe { std::mem::zeroed() };
    h.cmsg_len = len(size_of::<T>()) as _;
    h.cmsg_level = level;
    h.cmsg_type = kind;
    // SAFETY: [at, end) lies in `buf` and holds the header (DATA bytes) and
    // then the value (space() covers both); writes are unaligned-safe.
    unsafe {
        let base = buf.as_mut_ptr().add(at);
        std::ptr::write_unaligned(base.cast::<libc::cmsghdr>(), h);
        std::ptr::write_unaligned(base.add(DATA).cast::<T>(), value);
    }
    *used = end;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A test encoder with room for anything.
    struct Enc {
        buf: Vec<u8>,
        used: usize,
    }

    impl Enc {
        fn new() -> Self {
            Enc {
                buf: vec![0; 4096],
                used: 0,
            }
        }
        fn push<T: Pod>(&mut self, level: libc::c_int, kind: libc::c_int, v: T) -> &mut Self {
            assert!(push_into(&mut self.buf, &mut self.used, level, kind, v));
            self
        }
        fn bytes(&self) -> &[u8] {
            &self.buf[..self.used]
        }
    }

    #[derive(Clone, Debug)]
    struct Sample {
        v6: Option<([u8; 16], u32)>,
        hop: Option<i32>,
        ttl: Option<i32>,
        #[cfg(any(target_os = "linux", target_os = "android"))]
        v4: Option<(u32, u32)>,
        #[cfg(any(target_os = "linux", target_os = "android"))]
        stamp: Option<(i64, i64)>,
        #[cfg(any(target_os = "linux", target_os = "android"))]
        drops: Option<u32>,
        #[cfg(any(target_os = "linux", target_os = "android"))]
        gro: Option<i32>,
    }

    fn sample() -> impl Strategy<Value = Sample> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            (
                proptest::option::of((any::<[u8; 16]>(), any::<u32>())),
                proptest::option::of(0..=255i32),
                proptest::option::of(0..=255i32),
                proptest::option::of((any::<u32>(), any::<u32>())),
                proptest::option::of((0..4_000_000_000i64, 0..1_000_000_000i64)),
                proptest::option::of(any::<u32>()),
                proptest::option::of(1..=65535i32),
            )
                .prop_map(|(v6, hop, ttl, v4, stamp, drops, gro)| Sample {
                    v6,
                    hop,
                    ttl,
                    v4,
                    stamp,
                    drops,
                    gro,
                })
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            (
                proptest::option::of((any::<[u8; 16]>(), any::<u32>())),
                proptest::option::of(0..=255i32),
                proptest::option::of(0..=255i32),
            )
                .prop_map(|(v6, hop, ttl)| Sample { v6, hop, ttl })
        }
    }

    /// Encode a sample as the kernel would; returns the buffer and what a
    /// full decode must give.
    fn encode(s: &Sample) -> (Enc, RecvInfo) {
        let mut e = Enc::new();
        let mut want = RecvInfo::default();
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            if let Some((sec, nsec)) = s.stamp {
                let ts = libc::timespec {
                    tv_sec: sec as _,
                    tv_nsec: nsec as _,
                };
                e.push(libc::SOL_SOCKET, libc::SCM_TIMESTAMPNS, ts);
                want.stamp_ns = Some(sec * 1_000_000_000 + nsec);
            }
            if let Some(d) = s.drops {
                e.push(libc::SOL_SOCKET, libc::SO_RXQ_OVFL, d);
                want.drops = Some(d);
            }
            if let Some(g) = s.gro {
                e.push(libc::SOL_UDP, libc::UDP_GRO, g);
                want.gso_size = g as usize;
            }
        }
        if let Some((a, idx)) = s.v6 {
            let p = libc::in6_pktinfo {
                ipi6_addr: libc::in6_addr { s6_addr: a },
                ipi6_ifindex: idx as _,
            };
            e.push(libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, p);
            want.dst = Some(IpAddr::V6(Ipv6Addr::from(a)));
            want.ifindex = idx;
        }
        if let Some(h) = s.hop {
            e.push(libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT, h);
            want.hop = h;
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some((a, idx)) = s.v4 {
            let p = libc::in_pktinfo {
                ipi_ifindex: idx as _,
                ipi_spec_dst: libc::in_addr { s_addr: 0 },
                ipi_addr: libc::in_addr { s_addr: a.to_be() },
            };
            e.push(libc::IPPROTO_IP, libc::IP_PKTINFO, p);
            want.dst = Some(IpAddr::V4(Ipv4Addr::from(a)));
            want.ifindex = idx;
        }
        if let Some(t) = s.ttl {
            e.push(libc::IPPROTO_IP, libc::IP_TTL, t);
            want.hop = t;
        }
        (e, want)
    }

    /// Every field is unknown or one of the values the sample sent for it
    /// (with both pktinfo messages, or hop limit and TTL, a cut may leave
    /// the earlier one).
    fn sound(got: &RecvInfo, s: &Sample) -> bool {
        let mut hops = vec![-1];
        hops.extend(s.hop);
        hops.extend(s.ttl);
        let mut dsts = vec![None];
        dsts.extend(s.v6.map(|(a, _)| Some(IpAddr::V6(Ipv6Addr::from(a)))));
        #[allow(unused_mut)]
        let mut want = RecvInfo::default();
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            dsts.extend(s.v4.map(|(a, _)| Some(IpAddr::V4(Ipv4Addr::from(a)))));
            want.stamp_ns = s.stamp.map(|(sec, ns)| sec * 1_000_000_000 + ns);
            want.drops = s.drops;
            want.gso_size = s.gro.map_or(0, |g| g as usize);
        }
        hops.contains(&got.hop)
            && dsts.contains(&got.dst)
            && (got.stamp_ns.is_none() || got.stamp_ns == want.stamp_ns)
            && (got.drops.is_none() || got.drops == want.drops)
            && (got.gso_size == 0 || got.gso_size == want.gso_size)
    }

    #[test]
    fn a_bare_header_cut_by_the_kernel_is_unknown() {
        // The reported case: the kernel had room for the TTL's header only,
        // shrank its cmsg_len to the header and set MSG_CTRUNC. The bytes
        // after the buffer (here 0x2a..) must not be read as the TTL.
        let mut e = Enc::new();
        e.push(libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT, 64i32);
        e.push(libc::IPPROTO_IP, libc::IP_TTL, 64i32);
        let cut = e.used - space(4) + DATA;
        let mut buf = e.bytes()[..cut].to_vec();
        let last = cut - DATA;
        // SAFETY: `last` starts a whole header inside buf.
        let mut h: libc::cmsghdr = unsafe { std::ptr::read_unaligned(buf[last..].as_ptr().cast()) };
        h.cmsg_len = DATA as _;
        // SAFETY: `last` starts a whole header inside buf.
        unsafe { std::ptr::write_unaligned(buf[last..].as_mut_ptr().cast(), h) };
        buf.extend_from_slice(&[0x2a; 8]);
        let info = decode(&buf[..cut], true);
        assert_eq!(info.hop, 64, "the complete hop limit is kept");
        assert!(info.truncated);
        let only_ttl = decode(&buf[space(4)..cut], true);
        assert_eq!(only_ttl.hop, -1);
    }

    #[test]
    fn out_of_range_values_are_unknown() {
        let mut e = Enc::new();
        e.push(libc::IPPROTO_IP, libc::IP_TTL, 791_355_056i32);
        #[cfg(any(target_os = "linux", target_os = "android"))]
        e.push(libc::SOL_UDP, libc::UDP_GRO, -5i32);
        let info = decode(e.bytes(), false);
        assert_eq!(info.hop, -1);
        assert_eq!(info.gso_size, 0);
    }

    #[test]
    fn send_buffer_holds_what_qudp_sends_and_refuses_more() {
        let mut b = SendBuf::default();
        assert!(b.push(libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT, 3i32));
        let p = libc::in6_pktinfo {
            ipi6_addr: libc::in6_addr { s6_addr: [1; 16] },
            ipi6_ifindex: 7,
        };
        assert!(b.push(libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, p));
        assert!(b.push(libc::SOL_UDP, 103, 1200u16));
        assert!(!b.push(libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, p));
        let info = decode(&b.bytes[..b.used], false);
        assert_eq!(info.hop, 3);
        assert_eq!(info.ifindex, 7);
        assert!(RECV_SPACE % 8 == 0 && RECV_SPACE >= 5 * space(4));
    }

    proptest! {
        #[test]
        fn encode_decode_round_trip(s in sample()) {
            let (e, want) = encode(&s);
            prop_assert_eq!(decode(e.bytes(), false), want);
        }

        /// The buffer cut anywhere (as if the room ended there), with and
        /// without the kernel's shrinking of the last cmsg_len: no panic, no
        /// read past the cut, every field what was sent or unknown.
        #[test]
        fn truncated_buffers_give_sent_or_unknown(s in sample(), cut in 0usize..400, shrink in any::<bool>()) {
            let (e, want) = encode(&s);
            let cut = cut.min(e.used);
            let mut buf = e.bytes()[..cut].to_vec();
            if shrink {
                // Find the message the cut falls in and shrink its length.
                let mut at = 0;
                while at + MIN_MSG <= cut {
                    // SAFETY: a whole header lies at `at` (at + MIN_MSG <= cut).
                    let h: libc::cmsghdr = unsafe { std::ptr::read_unaligned(buf[at..].as_ptr().cast()) };
                    #[allow(clippy::unnecessary_cast)]
                    let n = h.cmsg_len as usize;
                    if at + n > cut {
                        let mut h2 = h;
                        h2.cmsg_len = (cut - at) as _;
                        // SAFETY: a whole header lies at `at`.
                        unsafe { std::ptr::write_unaligned(buf[at..].as_mut_ptr().cast(), h2) };
                        break;
                    }
                    at += n.div_ceil(ALIGN) * ALIGN;
                }
            }
            let got = decode(&buf, true);
            prop_assert!(sound(&got, &s), "{:?} vs {:?}", got, want);
            // A cut at a message boundary loses nothing before it.
            if cut == e.used {
                prop_assert_eq!(got.hop, want.hop);
            }
        }

        /// Random bytes, random lengths: the walk ends, stays inside, and the
        /// values it reports are in range.
        #[test]
        fn malformed_buffers_are_safe(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let info = decode(&bytes, false);
            prop_assert!(info.hop == -1 || (0..=255).contains(&info.hop));
            prop_assert!(info.gso_size <= 65535);
            let mut total = 0;
            for m in walk(&bytes) {
                total += 1;
                prop_assert!(m.data.len() <= bytes.len());
                prop_assert!(total <= bytes.len() / MIN_MSG);
            }
        }

        /// Oversized cmsg_len values (longer than the buffer, or near usize::MAX)
        /// are not followed.
        #[test]
        fn oversized_lengths_stop_the_walk(extra in 1usize..1_000_000, huge in any::<bool>()) {
            let mut e = Enc::new();
            e.push(libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT, 9i32);
            e.push(libc::IPPROTO_IP, libc::IP_TTL, 10i32);
            let mut buf = e.bytes().to_vec();
            let second = space(4);
            // SAFETY: a whole header lies at `second`.
            let mut h: libc::cmsghdr = unsafe { std::ptr::read_unaligned(buf[second..].as_ptr().cast()) };
            let n = if huge { usize::MAX - extra } else { len(4) + extra };
            h.cmsg_len = n as _;
            // SAFETY: a whole header lies at `second`.
            unsafe { std::ptr::write_unaligned(buf[second..].as_mut_ptr().cast(), h) };
            let info = decode(&buf, false);
            #[allow(clippy::unnecessary_cast)]
            let stored = h.cmsg_len as usize;
            if stored > buf.len() - second {
                prop_assert_eq!(info.hop, 9);
            }
        }
    }
}
