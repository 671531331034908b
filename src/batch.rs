//! The receive path: a bounded prefetch ring that one `recvmmsg` fills
//! (a `recvmsg` loop where there is no recvmmsg), and that Qt's per-datagram
//! calls then serve in O(1). The ring only ever holds what the kernel has
//! already handed over; it never drops a datagram on its own, and when it is
//! full the rest stays in the kernel queue.

use std::io;
use std::net::{IpAddr, SocketAddr};

/// Largest UDP payload over IPv6 without jumbograms (65535 - 8); IPv4's
/// limit (65507) is smaller, so one slot of this size never truncates.
pub const SLOT_BYTES: usize = 65536;
/// Datagrams fetched per system call by default.
pub const DEFAULT_SLOTS: usize = 64;
/// Upper bound for `setReadBatchSize`.
pub const MAX_SLOTS: usize = 1024;

/// What the kernel told us about one datagram besides its bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// Where the datagram starts in the ring's data (a slot, or a segment
    /// within a slot when GRO coalesced several datagrams into one).
    pub off: usize,
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
    /// GRO segment size (UDP_GRO) when the kernel coalesced datagrams.
    pub gso_size: usize,
}

/// Fixed slots for one batch plus the metadata of what they hold.
pub struct Ring {
    /// `slots * SLOT_BYTES`, allocated on the first receive (zeroed pages
    /// that are only made resident where the kernel writes).
    pub data: Vec<u8>,
    pub slots: usize,
    pub metas: Vec<Meta>,
    pub head: usize,
    /// The last refill used every slot, so the kernel may hold more. When it
    /// did not, the queue was empty then and any later datagram brings a new
    /// readiness edge: no re-check (and no extra recvmmsg) is needed.
    pub more: bool,
}

impl Default for Ring {
    fn default() -> Self {
        Ring::new(DEFAULT_SLOTS)
    }
}

impl Ring {
    pub fn new(slots: usize) -> Self {
        Ring {
            data: Vec::new(),
            slots: slots.clamp(1, MAX_SLOTS),
            metas: Vec::new(),
            head: 0,
            more: false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.head >= self.metas.len()
    }

    pub fn len(&self) -> usize {
        self.metas.len() - self.head.min(self.metas.len())
    }

    pub fn front(&self) -> Option<&Meta> {
        self.metas.get(self.head)
    }

    /// The bytes of the datagram at the head.
    pub fn front_bytes(&self) -> &[u8] {
        let m = &self.metas[self.head];
        &self.data[m.off..m.off + m.len]
    }

    /// Split every coalesced (GRO) receive into its datagrams, in order, so
    /// the rest of qudp sees one entry per datagram as the sender sent them.
    pub fn split_coalesced(&mut self) {
        if !self.metas.iter().any(|m| m.gso_size > 0 && m.len > m.gso_size) {
            return;
        }
        let mut out = Vec::with_capacity(self.metas.len() * 2);
        for m in self.metas.drain(..) {
            if m.gso_size == 0 || m.len <= m.gso_size {
                out.push(m);
                continue;
            }
            let mut at = 0;
            while at < m.len {
                let n = m.gso_size.min(m.len - at);
                out.push(Meta {
                    off: m.off + at,
                    len: n,
                    gso_size: 0,
                    ..m.clone()
                });
                at += n;
            }
        }
        self.metas = out;
    }

    /// Take the head. Panics if empty; callers check `is_empty` first.
    pub fn pop(&mut self) -> Meta {
        let m = std::mem::take(&mut self.metas[self.head]);
        self.head += 1;
        m
    }

    /// Forget everything held (close/abort): the data was the socket's, and
    /// a closed socket has no pending datagrams. The slots are released too:
    /// a closed socket may live on until the cyclic GC finds it (a bound
    /// method of its owner as a slot), and glibc serves a 4 MiB calloc from
    /// the heap, every page touched, once one such block has been freed, so
    /// kept slots cost their full size in RSS.
    pub fn clear(&mut self) {
        self.data = Vec::new();
        self.metas.clear();
        self.head = 0;
    }

    /// Change the batch size. Only applies while empty, so nothing already
    /// fetched is lost.
    pub fn resize(&mut self, slots: usize) -> bool {
        if !self.is_empty() {
            return false;
        }
        self.slots = slots.clamp(1, MAX_SLOTS);
        self.data = Vec::new();
        self.metas.clear();
        self.head = 0;
        true
    }

    /// Prepare for a refill: the caller has checked the ring is empty.
    pub fn start_fill(&mut self) -> &mut [u8] {
        debug_assert!(self.is_empty());
        self.metas.clear();
        self.head = 0;
        let need = self.slots * SLOT_BYTES;
        if self.data.len() != need {
            self.data = vec![0u8; need];
        }
        &mut self.data
    }

    /// Fill from the socket when empty. Returns how many datagrams are now
    /// held; `Ok(0)` means the kernel had none (EAGAIN).
    pub fn fill(&mut self, fd: &socket2::Socket) -> io::Result<usize> {
        if !self.is_empty() {
            return Ok(self.len());
        }
        crate::sys::recv_batch(fd, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pushed(r: &mut Ring, lens: &[usize]) {
        r.start_fill();
        for (i, &len) in lens.iter().enumerate() {
            let off = i * SLOT_BYTES;
            r.data[off..off + len].fill(i as u8 + 1);
            r.metas.push(Meta {
                off,
                len,
                ..Meta::default()
            });
        }
    }

    #[test]
    fn pops_in_order_then_empty() {
        let mut r = Ring::new(4);
        pushed(&mut r, &[3, 0, 5]);
        assert_eq!(r.len(), 3);
        assert_eq!(r.front_bytes(), &[1, 1, 1]);
        assert_eq!(r.pop().len, 3);
        assert_eq!(r.front_bytes(), b"");
        assert_eq!(r.pop().len, 0);
        assert_eq!(r.front_bytes(), &[3; 5]);
        r.pop();
        assert!(r.is_empty());
        assert_eq!(r.len(), 0);
    }

    #[test]
    fn coalesced_receive_splits_into_datagrams() {
        let mut r = Ring::new(2);
        r.start_fill();
        r.data[..10].copy_from_slice(b"aaaabbbbcc");
        r.metas.push(Meta {
            off: 0,
            len: 10,
            gso_size: 4,
            hop: 7,
            ..Meta::default()
        });
        r.split_coalesced();
        let mut got = Vec::new();
        while !r.is_empty() {
            got.push((r.front_bytes().to_vec(), r.front().unwrap().hop));
            r.pop();
        }
        assert_eq!(
            got,
            vec![(b"aaaa".to_vec(), 7), (b"bbbb".to_vec(), 7), (b"cc".to_vec(), 7)]
        );
    }

    #[test]
    fn resize_refused_while_holding_data() {
        let mut r = Ring::new(2);
        pushed(&mut r, &[1]);
        assert!(!r.resize(8));
        r.pop();
        assert!(r.resize(8));
        assert_eq!(r.slots, 8);
        assert!(Ring::new(0).slots >= 1);
        assert_eq!(Ring::new(1 << 20).slots, MAX_SLOTS);
    }
}
