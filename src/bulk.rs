//! Beyond Qt: many datagrams per call. Receive drains the prefetch ring
//! (refilled by recvmmsg) into a list, or packs payloads into a caller's
//! buffer for numpy users; send uses sendmmsg, or one GSO send when the
//! datagrams share a size. Each keeps the per-datagram API's meaning:
//! order, sender, truncation and readyRead re-arming are the same.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use crate::address::{extract_addr, HostAddr, QHostAddress};
use crate::batch::{Meta, MAX_SLOTS};
use crate::core::{state, Core, Event, Events};
use crate::datagram::{sender_of, QNetworkDatagram};
use crate::signal::lock;
use crate::socket::QAbstractSocket;

fn count_arg(obj: &Bound<'_, PyAny>) -> PyResult<usize> {
    let max_count = crate::error::i64_arg(obj, "maxCount")?;
    usize::try_from(max_count)
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| PyValueError::new_err(format!("maxCount must be > 0, got {max_count}")))
}

fn enabled_arg(o: &Bound<'_, PyAny>) -> PyResult<bool> {
    crate::error::bool_arg(o, "enabled")
}

/// `Core::take_many` limited to what the ring already holds, so no system
/// call runs under the lock. Returns how many were taken and whether the
/// caller may go on (it took all it asked for, and wants more).
fn take_held(
    c: &mut Core,
    want: usize,
    ev: &mut Events,
    f: impl FnMut(&[u8], &Meta) -> bool,
) -> (usize, bool) {
    let k = want.min(c.ring().len());
    if k == 0 {
        return (0, false);
    }
    let n = c.take_many(k, ev, f);
    (n, n == k && k < want)
}

impl QAbstractSocket {
    /// The batch calls' receive loop: refill the ring with the core unlocked
    /// and the GIL released (threads with their own sockets and loops run
    /// meanwhile), then let `round` take from what it holds, until the
    /// kernel has nothing more or `round` says stop. Python objects are only
    /// made in `round`, with the GIL.
    fn in_rounds(
        &self,
        py: Python<'_>,
        ev: &mut Events,
        mut round: impl FnMut(&mut Events) -> PyResult<bool>,
    ) -> PyResult<()> {
        loop {
            let job = lock(&self.core).begin_fill();
            if let Some((sock, mut ring)) = job {
                let r = py.detach(|| ring.fill(&sock));
                if !lock(&self.core).end_fill(sock, ring, r, ev) {
                    return Ok(());
                }
            }
            if !round(ev)? {
                return Ok(());
            }
        }
    }
}

#[pymethods]
impl QAbstractSocket {
    /// Up to `maxCount` pending datagrams' payloads as a list of bytes (no
    /// sender objects: the cheapest form). Empty when nothing is pending.
    #[pyo3(signature = (maxCount=1024))]
    fn readPayloads<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = count_arg)] maxCount: usize,
    ) -> PyResult<Bound<'py, PyList>> {
        let max = maxCount;
        let out = PyList::empty(py);
        if !lock(&self.core).is_valid() {
            return Ok(out);
        }
        let mut ev = Events::new();
        let mut left = max;
        self.in_rounds(py, &mut ev, |ev| {
            let mut err = None;
            let (n, more) = take_held(&mut lock(&self.core), left, ev, |b, _| {
                match out.append(crate::payload::new(py, b)) {
                    Ok(()) => true,
                    Err(e) => {
                        err = Some(e);
                        false
                    }
                }
            });
            left -= n;
            err.map_or(Ok(more), Err)
        })?;
        self.emit(py, ev)?;
        Ok(out)
    }

    /// Up to `maxCount` pending datagrams as `(data, sender, senderPort)`
    /// tuples, like readDatagram's result.
    #[pyo3(signature = (maxCount=1024))]
    fn readDatagrams<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = count_arg)] maxCount: usize,
    ) -> PyResult<Bound<'py, PyList>> {
        let max = maxCount;
        let mut raw: Vec<(Bound<'py, PyBytes>, HostAddr, u16)> = Vec::new();
        let mut ev = Events::new();
        if lock(&self.core).is_valid() {
            self.in_rounds(py, &mut ev, |ev| {
                let (_, more) = take_held(&mut lock(&self.core), max - raw.len(), ev, |b, m| {
                    let (addr, port) = sender_of(m);
                    raw.push((crate::payload::new(py, b), addr, port));
                    true
                });
                Ok(more)
            })?;
        }
        self.emit(py, ev)?;
        let out = PyList::empty(py);
        for (data, addr, port) in raw {
            out.append((data, QHostAddress { inner: addr }, port).into_pyobject(py)?)?;
        }
        Ok(out)
    }

    /// Up to `maxCount` pending datagrams as QNetworkDatagram objects, with
    /// all the metadata receiveDatagram reports.
    #[pyo3(signature = (maxCount=1024))]
    fn receiveDatagrams<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = count_arg)] maxCount: usize,
    ) -> PyResult<Vec<QNetworkDatagram>> {
        let max = maxCount;
        let mut out = Vec::new();
        let mut ev = Events::new();
        if lock(&self.core).is_valid() {
            self.in_rounds(py, &mut ev, |ev| {
                let mut c = lock(&self.core);
                let local_port = c.local_port();
                let (_, more) = take_held(&mut c, max - out.len(), ev, |b, m| {
                    let d = QNetworkDatagram::received(crate::payload::new(py, b).unbind(), m, local_port);
                    out.push(d);
                    true
                });
                Ok(more)
            })?;
        }
        self.emit(py, ev)?;
        Ok(out)
    }

    /// Zero-copy for numpy users: pack pending payloads back to back into
    /// `buffer` (any writable bytes-like object) and store each one's length
    /// in `sizes` (a writable array of 4- or 8-byte integers). Stops when
    /// `sizes` is full or the next datagram does not fit (it stays pending).
    /// Returns the number of datagrams stored.
    fn readDatagramsInto(
        &self,
        py: Python<'_>,
        buffer: &Bound<'_, PyAny>,
        sizes: &Bound<'_, PyAny>,
    ) -> PyResult<usize> {
        let mut ev = Events::new();
        // Check both arguments (formats, no overlap) before receiving anything.
        let slots =
            crate::buffer::with_bytes_and_ints_mut(buffer, "buffer", sizes, "sizes", |_, lens, item| {
                lens.len() / item
            })?;
        if slots == 0 || !lock(&self.core).is_valid() {
            return Ok(0);
        }
        let mut at = 0usize;
        let mut k = 0usize;
        // The buffers are taken again in each round, so no reference into
        // them lives while the GIL is released for the receive.
        self.in_rounds(py, &mut ev, |ev| {
            crate::buffer::with_bytes_and_ints_mut(buffer, "buffer", sizes, "sizes", |out, lens, item| {
                // A resize by another thread between rounds shrinks what is left.
                let want = (lens.len() / item).min(slots).saturating_sub(k);
                take_held(&mut lock(&self.core), want, ev, |b, _| {
                    if at + b.len() > out.len() {
                        return false;
                    }
                    out[at..at + b.len()].copy_from_slice(b);
                    at += b.len();
                    let v = b.len() as u64;
                    if item == 8 {
                        lens[k * 8..k * 8 + 8].copy_from_slice(&v.to_ne_bytes());
                    } else {
                        lens[k * 4..k * 4 + 4].copy_from_slice(&(v as u32).to_ne_bytes());
                    }
                    k += 1;
                    true
                })
                .1
            })
        })?;
        self.emit(py, ev)?;
        Ok(k)
    }

    /// Send every payload in `datagrams` (bytes-like objects) to `host`:`port`
    /// in as few system calls as possible: one UDP GSO send per run of
    /// equal-sized datagrams (Linux), sendmmsg otherwise. Returns how many
    /// were sent (bytesWritten is emitted for each), or -1 with error() set
    /// if none could be.
    fn writeDatagrams(
        slf: &Bound<'_, Self>,
        datagrams: &Bound<'_, PyAny>,
        host: &Bound<'_, PyAny>,
        port: &Bound<'_, PyAny>,
    ) -> PyResult<i64> {
        let py = slf.py();
        let me = slf.get();
        let to = extract_addr(host, "host")?;
        let port = crate::socket::port_arg(port, "port")?;
        let iter = datagrams
            .try_iter()
            .map_err(|_| PyTypeError::new_err("datagrams must be an iterable of bytes-like objects"))?;
        let mut owned: Vec<Bound<'_, PyBytes>> = Vec::with_capacity(datagrams.len().unwrap_or(0));
        for it in iter {
            owned.push(crate::buffer::to_pybytes(&it?, "datagrams[i]")?);
        }
        let views: Vec<&[u8]> = owned.iter().map(|b| b.as_bytes()).collect();
        let mut ev = Events::new();
        let job = lock(&me.core).begin_send(&to, port, &mut ev);
        // One bytesWritten per datagram, as Qt; not even queued when nothing
        // can be listening (the signal object was never made).
        let each = me.wants_bytes_written();
        let n = match job {
            Some((sock, dest, mut gso)) => {
                // The GIL is released only for the system calls; the
                // payloads are immutable bytes this call holds.
                let r = py.detach(|| crate::sys::send_batch(&sock, &views, &dest, &mut gso));
                lock(&me.core).end_send_many(&views, r, gso, each, &mut ev)
            }
            None => -1,
        };
        if ev.contains(&Event::State(state::BOUND)) {
            Self::sync_registration(slf)?;
        }
        me.emit(py, ev)?;
        Ok(n)
    }

    /// Datagrams fetched per recvmmsg call (1..=1024, default 64). Takes
    /// effect once the datagrams already fetched have been read.
    fn setReadBatchSize(&self, size: &Bound<'_, PyAny>) -> PyResult<bool> {
        let size = crate::error::i64_arg(size, "size")?;
        let n = usize::try_from(size)
            .ok()
            .filter(|&n| (1..=MAX_SLOTS).contains(&n))
            .ok_or_else(|| PyValueError::new_err(format!("size must be in 1..={MAX_SLOTS}, got {size}")))?;
        Ok(lock(&self.core).set_batch_size(n))
    }

    /// Datagrams fetched per recvmmsg(2) call (setReadBatchSize; default 64).
    /// Beyond Qt.
    fn readBatchSize(&self) -> usize {
        lock(&self.core).ring().slots
    }

    /// Linux: let the kernel coalesce runs of datagrams (UDP_GRO); qudp
    /// splits them back, so reads see exactly what was sent. False where
    /// unavailable or before bind.
    fn setReceiveCoalescing(&self, #[pyo3(from_py_with = enabled_arg)] enabled: bool) -> bool {
        let c = lock(&self.core);
        c.sock().is_some_and(|s| crate::sys::set_gro(s, enabled).is_ok())
    }
}
