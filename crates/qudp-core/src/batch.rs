//! The receive path: a bounded prefetch ring that one `recvmmsg` fills
//! (a `recvmsg` loop where there is no recvmmsg), and that Qt's per-datagram
//! calls then serve in O(1). The ring only ever holds what the kernel has
//! already handed over; it never drops a datagram on its own, and when it is
//! full the rest stays in the kernel queue.
//!
//! Memory follows the traffic. The kernel writes into a per-thread landing
//! area shared by every socket of the thread: each message gets a small slot
//! (`SMALL_BYTES`, contiguous with its neighbours, so a batch of small
//! datagrams touches a few pages) followed by a block of its own for the
//! rest, so that the largest UDP payload (65,527 bytes over IPv6) and a
//! 64 KiB coalesced (GRO) receive still fit and nothing is ever truncated.
//! The socket then keeps exactly what it received: datagrams under
//! `TAKE_BYTES` copied out and packed, a bigger one by taking its block (the
//! slot's bytes copied in front, so a big datagram is never copied twice).
//! A fill hands the previous fill's blocks back to the thread's area, and a
//! fill that finds the kernel queue empty frees the socket's buffers: an
//! idle socket holds no receive memory, and a thread's area costs 4 MiB of
//! address space, at most 16 MiB once big datagrams kept blocks moving
//! between its sockets, resident only where the kernel wrote, whatever its
//! number of sockets.

use std::cell::RefCell;
use std::io;
use std::mem::MaybeUninit;

pub use crate::sys::Meta;
use crate::sys::RecvBuf;
use crate::sys::RecvInfo;

/// Datagrams fetched per fill by default.
pub const DEFAULT_SLOTS: usize = 64;
/// Upper bound for `setReadBatchSize`.
pub const MAX_SLOTS: usize = 1024;
/// The small slot each message lands in first; C receivers use 2 KiB
/// slots too, and every datagram within a 1500-byte MTU fits.
pub const SMALL_BYTES: usize = 2048;
/// Room per message: at least the largest UDP payload (65535 - 8 over
/// IPv6) and the largest GRO receive (64 KiB).
pub const MESSAGE_BYTES: usize = 65536;
/// Messages per system call. Bounds the landing area to `CHUNK` messages;
/// larger batch sizes take several calls of `CHUNK`.
const CHUNK: usize = 64;
/// From this size on a datagram (or GRO run) stays in the block it landed
/// in instead of being copied out; below it, a copy costs less than the
/// block's mostly unused 64 KiB of address space while it waits to be read.
const TAKE_BYTES: usize = 16384;
/// Spare blocks a thread keeps: enough for a batch of 4 chunks of big
/// datagrams. With the area's own, at most 256 blocks (16 MiB of address
/// space per thread, resident only where the kernel wrote).
const SPARE_BLOCKS: usize = 3 * CHUNK;

/// Bytes the kernel has written, as bytes.
///
/// # Safety
/// Every byte of `b` must be initialised.
unsafe fn assume_init(b: &[MaybeUninit<u8>]) -> &[u8] {
    // SAFETY: initialised per the contract; MaybeUninit<u8> has u8's layout.
    unsafe { std::slice::from_raw_parts(b.as_ptr().cast::<u8>(), b.len()) }
}

/// Memory the kernel writes into before anything reads it.
type Block = Box<[MaybeUninit<u8>]>;

/// A message too big for its small slot, kept in the block it landed in:
/// the slot's bytes copied to the front, then what the kernel wrote there.
struct Big {
    block: Block,
    len: usize,
}

impl Big {
    fn bytes(&self) -> &[u8] {
        let len = self.len.min(self.block.len());
        // SAFETY: the first `len` bytes of the block are initialised (the
        // small slot copied in, then the kernel's bytes after it), `len` is
        // within the block, and MaybeUninit<u8> has the layout of u8.
        unsafe { std::slice::from_raw_parts(self.block.as_ptr().cast::<u8>(), len) }
    }
}

/// The kernel's landing area for one thread, reused by each fill.
struct Scratch {
    /// `CHUNK` small slots, back to back.
    small: Block,
    /// One `MESSAGE_BYTES` block per message; the kernel writes past the
    /// first `SMALL_BYTES`. `None` once a ring took it.
    blocks: Vec<Option<Block>>,
    /// Blocks handed back beyond those, for the next chunks of a batch
    /// larger than `CHUNK` (without them every big datagram would cost an
    /// allocation and fresh pages); at most `SPARE_BLOCKS`.
    spare: Vec<Block>,
    metas: Vec<Meta>,
}

impl Scratch {
    fn new() -> Self {
        Scratch {
            small: Box::new_uninit_slice(CHUNK * SMALL_BYTES),
            blocks: (0..CHUNK).map(|_| None).collect(),
            spare: Vec::new(),
            metas: Vec::with_capacity(CHUNK),
        }
    }

    /// Take back the blocks a ring held (its datagrams were all read).
    fn give_back(&mut self, bigs: Vec<Big>) {
        let mut bigs = bigs.into_iter().map(|b| b.block);
        for slot in self.blocks.iter_mut().filter(|b| b.is_none()) {
            match bigs.next() {
                Some(b) => *slot = Some(b),
                None => return,
            }
        }
        let room = SPARE_BLOCKS - self.spare.len().min(SPARE_BLOCKS);
        self.spare.extend(bigs.take(room));
    }

    /// A block for each of the first `want` messages.
    fn stock(&mut self, want: usize) {
        for slot in self.blocks[..want].iter_mut().filter(|b| b.is_none()) {
            *slot = Some(
                self.spare
                    .pop()
                    .unwrap_or_else(|| Box::new_uninit_slice(MESSAGE_BYTES)),
            );
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<Option<Scratch>> = const { RefCell::new(None) };
}

/// How many datagrams one received message holds: several when the kernel
/// coalesced them (UDP_GRO reports the segment size; the last may be short).
fn segments(m: &Meta) -> usize {
    if m.info.gso_size > 0 && m.len > m.info.gso_size {
        m.len.div_ceil(m.info.gso_size)
    } else {
        1
    }
}

/// Where a held datagram's bytes are: `big` 0 for the packed small data,
/// k for the k-th big block; `off` within it.
#[derive(Clone, Copy, Debug)]
struct Loc {
    big: usize,
    off: usize,
}

/// The datagrams of one fill: their records, their small datagrams packed
/// in one buffer and their big ones in blocks of their own.
pub struct Ring {
    data: Vec<u8>,
    bigs: Vec<Big>,
    metas: Vec<Meta>,
    locs: Vec<Loc>,
    head: usize,
    /// Messages per fill (setReadBatchSize).
    pub slots: usize,
    /// The last fill took `slots` messages, so the kernel may hold more.
    /// When it did not, the queue was empty then.
    pub more: bool,
    /// An error met after some datagrams of a fill: reported by the next
    /// fill, once those datagrams are read, so order is kept.
    pending: Option<io::Error>,
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
            bigs: Vec::new(),
            metas: Vec::new(),
            locs: Vec::new(),
            head: 0,
            slots: slots.clamp(1, MAX_SLOTS),
            more: false,
            pending: None,
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
    #[inline]
    pub fn front_bytes(&self) -> &[u8] {
        let Loc { big, off } = self.locs[self.head];
        let len = self.metas[self.head].len;
        match big {
            0 => &self.data[off..off + len],
            k => &self.bigs[k - 1].bytes()[off..off + len],
        }
    }

    /// Drop the head without copying its record out (records are plain
    /// data; the next fill clears them). Panics if empty, like `pop`.
    #[inline]
    pub fn advance(&mut self) {
        assert!(self.head < self.metas.len(), "advance on an empty ring");
        self.head += 1;
    }

    /// Take the head. Panics if empty; callers check `is_empty` first.
    pub fn pop(&mut self) -> Meta {
        let m = std::mem::take(&mut self.metas[self.head]);
        self.head += 1;
        m
    }

    /// Hold nothing, and give the memory back: what an empty ring keeps
    /// would be a cost per idle socket.
    fn release(&mut self) {
        self.data = Vec::new();
        self.bigs = Vec::new();
        self.metas = Vec::new();
        self.locs = Vec::new();
        self.head = 0;
    }

    /// Hold nothing but keep the buffers for the next fill: a busy socket
    /// reuses them instead of allocating its batch again each time. The
    /// big blocks go back to the landing area at the next fill.
    fn reset(&mut self) {
        self.data.clear();
        self.metas.clear();
        self.locs.clear();
        self.head = 0;
    }

    /// Forget everything held (close/abort): the data was the socket's, and
    /// a closed socket has no pending datagrams or errors.
    pub fn clear(&mut self) {
        self.release();
        self.more = false;
        self.pending = None;
    }

    /// Change the batch size. Only applies while empty, so nothing already
    /// fetched is lost.
    pub fn resize(&mut self, slots: usize) -> bool {
        if !self.is_empty() {
            return false;
        }
        self.slots = slots.clamp(1, MAX_SLOTS);
        true
    }

    /// Copy one received message in (its bytes in parts, as they landed)
    /// and hold it, split into its datagrams if the kernel coalesced
    /// several. `meta.len` is taken from the parts.
    pub fn absorb(&mut self, meta: Meta, parts: [&[u8]; 2]) {
        let off = self.data.len();
        let len = parts[0].len() + parts[1].len();
        self.data.extend_from_slice(parts[0]);
        self.data.extend_from_slice(parts[1]);
        let m = Meta { len, ..meta };
        self.metas.reserve(segments(&m));
        self.push_split(&m, 0, off);
    }

    /// Hold the record of one received message whose bytes start at `off`
    /// in buffer `big`: as is, or, when the kernel coalesced several
    /// datagrams (GRO), one record per datagram, in order, so the rest of
    /// qudp sees them as the sender sent them. The segments' bytes are
    /// already back to back.
    fn push_split(&mut self, m: &Meta, big: usize, off: usize) {
        if segments(m) == 1 {
            self.metas.push(m.clone());
            self.locs.push(Loc { big, off });
            return;
        }
        let mut at = 0;
        while at < m.len {
            let n = m.info.gso_size.min(m.len - at);
            self.metas.push(Meta {
                len: n,
                info: RecvInfo {
                    gso_size: 0,
                    ..m.info
                },
                ..m.clone()
            });
            self.locs.push(Loc { big, off: off + at });
            at += n;
        }
    }

    /// Fill from the socket when empty. Returns how many datagrams are now
    /// held; `Ok(0)` means the kernel had none (EAGAIN). Takes at most
    /// `slots` messages; the rest stays in the kernel.
    pub fn fill(&mut self, sock: &socket2::Socket) -> io::Result<usize> {
        if !self.is_empty() {
            return Ok(self.len());
        }
        self.reset();
        if let Some(e) = self.pending.take() {
            self.release();
            return Err(e);
        }
        // The thread's landing area; a fresh one only while the thread is
        // being torn down (or, impossibly, re-entered).
        let got = SCRATCH
            .try_with(|cell| match cell.try_borrow_mut() {
                Ok(mut s) => self.fill_from(sock, s.get_or_insert_with(Scratch::new)),
                Err(_) => self.fill_from(sock, &mut Scratch::new()),
            })
            .unwrap_or_else(|_| self.fill_from(sock, &mut Scratch::new()));
        if !matches!(got, Ok(n) if n > 0) {
            // The queue is empty (or failed): the socket is idle until the
            // next datagram, so it keeps no buffer.
            self.release();
        }
        got
    }

    fn fill_from(&mut self, sock: &socket2::Socket, s: &mut Scratch) -> io::Result<usize> {
        s.give_back(std::mem::take(&mut self.bigs));
        let mut taken = 0;
        while taken < self.slots {
            let want = (self.slots - taken).min(CHUNK);
            s.stock(want);
            s.metas.clear();
            let (n, err) = {
                let mut small = s.small.chunks_exact_mut(SMALL_BYTES);
                let mut blocks = s.blocks.iter_mut();
                let mut msgs: [[RecvBuf<'_>; 2]; CHUNK] = std::array::from_fn(|_| {
                    let a = small.next().expect("CHUNK small slots");
                    let b: &mut [MaybeUninit<u8>] = match blocks.next() {
                        Some(Some(b)) => &mut b[SMALL_BYTES..],
                        _ => &mut [],
                    };
                    [RecvBuf::new(a), RecvBuf::new(b)]
                });
                crate::sys::recv_batch(sock, &mut msgs[..want], &mut s.metas)
            };
            let n = n.min(s.metas.len()).min(want);
            // Room for exactly what arrived.
            let (mut bytes, mut records) = (0, 0);
            for (m, block) in s.metas[..n].iter_mut().zip(&s.blocks) {
                let cap = if block.is_some() {
                    MESSAGE_BYTES
                } else {
                    SMALL_BYTES
                };
                m.len = m.len.min(cap);
                if m.len < TAKE_BYTES {
                    bytes += m.len;
                }
                records += segments(m);
            }
            self.data.reserve(bytes);
            self.metas.reserve(records);
            self.locs.reserve(records);
            // Without coalesced receives (the usual case) the records go in
            // as they are, in one copy.
            let whole = records == n;
            if whole {
                self.metas.extend_from_slice(&s.metas[..n]);
            }
            for (i, m) in s.metas[..n].iter().enumerate() {
                let slot = &s.small[i * SMALL_BYTES..(i + 1) * SMALL_BYTES];
                let loc = if m.len >= TAKE_BYTES {
                    // Clamped above: a message this big had a block.
                    let Some(mut block) = s.blocks[i].take() else {
                        unreachable!()
                    };
                    block[..SMALL_BYTES].copy_from_slice(slot);
                    self.bigs.push(Big { block, len: m.len });
                    Loc {
                        big: self.bigs.len(),
                        off: 0,
                    }
                } else {
                    let head = m.len.min(SMALL_BYTES);
                    let off = self.data.len();
                    // SAFETY: the kernel wrote m.len bytes for message i: the
                    // first `head` at the start of its slot, the rest (if any)
                    // into its block after SMALL_BYTES; both slices are
                    // bounds-checked.
                    unsafe {
                        self.data.extend_from_slice(assume_init(&slot[..head]));
                        if m.len > head {
                            let block = s.blocks[i].as_deref().unwrap_or_default();
                            self.data
                                .extend_from_slice(assume_init(&block[SMALL_BYTES..m.len]));
                        }
                    }
                    Loc { big: 0, off }
                };
                if whole {
                    self.locs.push(loc);
                } else {
                    self.push_split(m, loc.big, loc.off);
                }
            }
            taken += n;
            if let Some(e) = err {
                if self.is_empty() {
                    return Err(e);
                }
                self.pending = Some(e);
                break;
            }
            if n < want {
                break;
            }
        }
        self.more = taken == self.slots;
        Ok(self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use socket2::{Domain, Protocol, Socket, Type};
    use std::net::{Ipv4Addr, SocketAddr};

    fn held(r: &mut Ring, lens: &[usize]) {
        r.release();
        for (i, &len) in lens.iter().enumerate() {
            let bytes = vec![i as u8 + 1; len];
            r.absorb(
                Meta {
                    len,
                    ..Meta::default()
                },
                [&bytes[..len.min(3)], &bytes[len.min(3)..]],
            );
        }
    }

    fn drain(r: &mut Ring) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        while !r.is_empty() {
            got.push(r.front_bytes().to_vec());
            assert_eq!(r.front().unwrap().len, got.last().unwrap().len());
            r.pop();
        }
        got
    }

    /// A receiver on 127.0.0.1 and a sender connected to it.
    fn pair() -> (Socket, Socket) {
        let rx = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
        // Room for a chunk of maximal datagrams (SO_RCVBUFFORCE: we are root).
        let big: i32 = 64 << 20;
        #[cfg(target_os = "linux")]
        // SAFETY: a live c_int of the size passed.
        let forced = unsafe {
            libc::setsockopt(
                std::os::fd::AsRawFd::as_raw_fd(&rx),
                libc::SOL_SOCKET,
                libc::SO_RCVBUFFORCE,
                (&big as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        #[cfg(not(target_os = "linux"))]
        let forced = -1;
        if forced != 0 {
            rx.set_recv_buffer_size(big as usize).unwrap();
        }
        rx.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())
            .unwrap();
        rx.set_nonblocking(true).unwrap();
        let tx = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
        tx.set_send_buffer_size(4 << 20).unwrap();
        tx.connect(&rx.local_addr().unwrap()).unwrap();
        (rx, tx)
    }

    fn payload(i: usize, len: usize) -> Vec<u8> {
        (0..len).map(|k| (k * 7 + i * 13) as u8).collect()
    }

    #[test]
    fn pops_in_order_then_empty() {
        let mut r = Ring::new(4);
        held(&mut r, &[3, 0, 5]);
        assert_eq!(r.len(), 3);
        assert_eq!(r.front_bytes(), &[1, 1, 1]);
        assert_eq!(r.pop().len, 3);
        assert_eq!(r.front_bytes(), b"");
        assert_eq!(r.pop().len, 0);
        assert_eq!(r.front_bytes(), &[3; 5]);
        r.pop();
        assert!(r.is_empty());
        assert_eq!(r.len(), 0);
        assert!(r.front().is_none());
    }

    #[test]
    fn coalesced_receive_splits_into_datagrams() {
        let mut r = Ring::new(2);
        r.absorb(
            Meta {
                len: 10,
                info: RecvInfo {
                    gso_size: 4,
                    hop: 7,
                    ..RecvInfo::default()
                },
                ..Meta::default()
            },
            [b"aaaab", b"bbbcc"],
        );
        let mut got = Vec::new();
        while !r.is_empty() {
            got.push((r.front_bytes().to_vec(), r.front().unwrap().info.hop));
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
        held(&mut r, &[1]);
        assert!(!r.resize(8));
        r.pop();
        assert!(r.resize(8));
        assert_eq!(r.slots, 8);
        assert!(Ring::new(0).slots >= 1);
        assert_eq!(Ring::new(1 << 20).slots, MAX_SLOTS);
    }

    #[test]
    fn an_idle_ring_holds_no_memory() {
        let (rx, tx) = pair();
        let mut r = Ring::new(4);
        held(&mut r, &[100, 70000]);
        assert!(r.data.capacity() >= 70100);
        r.pop();
        r.pop();
        // Drained but not yet idle: the buffers wait for the next fill.
        tx.send(b"next").unwrap();
        assert_eq!(r.fill(&rx).unwrap(), 1);
        assert_eq!(r.front_bytes(), b"next");
        r.pop();
        // A fill that finds the queue empty gives everything back.
        assert_eq!(r.fill(&rx).unwrap(), 0);
        assert_eq!((r.data.capacity(), r.metas.capacity()), (0, 0));
        held(&mut r, &[5]);
        r.clear();
        assert!(r.is_empty());
        assert_eq!((r.data.capacity(), r.metas.capacity()), (0, 0));
    }

    #[test]
    fn big_and_small_datagrams_mixed_in_one_fill() {
        let (rx, tx) = pair();
        let lens = [0, 1, 2047, 2048, 2049, 9000, 65507, 64, 65507, 3];
        for (i, &len) in lens.iter().enumerate() {
            assert_eq!(tx.send(&payload(i, len)).unwrap(), len);
        }
        let mut r = Ring::new(64);
        assert_eq!(r.fill(&rx).unwrap(), lens.len());
        assert!(!r.more);
        let got = drain(&mut r);
        let want: Vec<Vec<u8>> = lens.iter().enumerate().map(|(i, &n)| payload(i, n)).collect();
        assert_eq!(got, want);
        assert_eq!(r.fill(&rx).unwrap(), 0);
        assert_eq!(r.data.capacity(), 0);
    }

    #[test]
    fn a_fill_takes_at_most_slots_and_leaves_the_rest_in_the_kernel() {
        let (rx, tx) = pair();
        // 150 > CHUNK: a batch of 100 takes two system calls.
        for i in 0..150 {
            tx.send(&payload(i, 10 + i * 37)).unwrap();
        }
        let mut r = Ring::new(100);
        assert_eq!(r.fill(&rx).unwrap(), 100);
        assert!(r.more);
        // A full ring does not read more.
        assert_eq!(r.fill(&rx).unwrap(), 100);
        let mut got = drain(&mut r);
        assert_eq!(r.fill(&rx).unwrap(), 50);
        assert!(!r.more);
        got.extend(drain(&mut r));
        let want: Vec<Vec<u8>> = (0..150).map(|i| payload(i, 10 + i * 37)).collect();
        assert_eq!(got, want);
        assert_eq!(r.fill(&rx).unwrap(), 0);
    }

    #[test]
    fn a_full_batch_of_maximal_datagrams_fits() {
        let (rx, tx) = pair();
        // Every message of a chunk uses its overflow area.
        for i in 0..CHUNK + 1 {
            tx.send(&payload(i, 65507)).unwrap();
        }
        let mut r = Ring::new(CHUNK);
        assert_eq!(r.fill(&rx).unwrap(), CHUNK);
        let mut got = drain(&mut r);
        assert_eq!(r.fill(&rx).unwrap(), 1);
        got.extend(drain(&mut r));
        assert_eq!(got.len(), CHUNK + 1);
        for (i, g) in got.iter().enumerate() {
            assert!(g == &payload(i, 65507), "datagram {i} altered");
        }
    }

    #[test]
    fn big_blocks_cycle_between_rings_and_the_thread_keeps_a_bounded_number() {
        let pairs: Vec<(Socket, Socket)> = (0..5).map(|_| pair()).collect();
        let mut rings: Vec<Ring> = (0..5).map(|_| Ring::new(CHUNK)).collect();
        for round in 0..2 {
            for (k, (_, tx)) in pairs.iter().enumerate() {
                for i in 0..CHUNK {
                    tx.send(&payload(round * 1000 + k * 100 + i, TAKE_BYTES + i))
                        .unwrap();
                }
            }
            // Five rings hold a full batch of big datagrams at once.
            for (r, (rx, _)) in rings.iter_mut().zip(&pairs) {
                assert_eq!(r.fill(rx).unwrap(), CHUNK);
                assert_eq!(r.bigs.len(), CHUNK);
            }
            for (k, (r, (rx, _))) in rings.iter_mut().zip(&pairs).enumerate() {
                let got = drain(r);
                for (i, g) in got.iter().enumerate() {
                    assert!(g == &payload(round * 1000 + k * 100 + i, TAKE_BYTES + i));
                }
                // The queue is empty: the blocks go back to the thread.
                assert_eq!(r.fill(rx).unwrap(), 0);
                assert!(r.bigs.is_empty());
            }
            let kept = SCRATCH.with(|s| {
                let s = s.borrow();
                let s = s.as_ref().unwrap();
                s.blocks.iter().flatten().count() + s.spare.len()
            });
            assert_eq!(kept, CHUNK + SPARE_BLOCKS);
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    #[cfg(target_os = "linux")]
    fn gro_receive_is_split_back() {
        let (rx, tx) = pair();
        crate::sys::set_gro(&rx, true).unwrap();
        let segs: Vec<Vec<u8>> = (0..20)
            .map(|i| payload(i, if i == 19 { 500 } else { 1200 }))
            .collect();
        let refs: Vec<&[u8]> = segs.iter().map(Vec::as_slice).collect();
        let dest = rx.local_addr().unwrap();
        let (sent, err) = crate::sys::send_batch(&tx, &refs, &dest, &mut crate::sys::GsoState::default());
        assert_eq!((sent, err.map(|e| e.to_string())), (20, None));
        let mut r = Ring::new(4);
        let mut got = Vec::new();
        let mut most = 0;
        for _ in 0..40 {
            let n = r.fill(&rx).unwrap();
            if n == 0 {
                break;
            }
            most = most.max(n);
            got.extend(drain(&mut r));
        }
        assert_eq!(got, segs);
        // Loopback hands the GSO send over whole: coalesced, then split.
        assert!(most > 4, "no coalesced receive seen (largest fill {most})");
    }

    #[test]
    fn an_error_after_datagrams_comes_after_them() {
        let (rx, tx) = pair();
        tx.send(b"one").unwrap();
        let mut r = Ring::new(4);
        r.pending = Some(io::Error::from_raw_os_error(111));
        // A held error is reported only once the ring is empty.
        r.absorb(
            Meta {
                len: 1,
                ..Meta::default()
            },
            [b"x", b""],
        );
        assert_eq!(r.fill(&rx).unwrap(), 1);
        r.pop();
        assert_eq!(r.fill(&rx).unwrap_err().raw_os_error(), Some(111));
        assert_eq!(r.fill(&rx).unwrap(), 1);
        assert_eq!(r.front_bytes(), b"one");
    }
}
