//! Beyond Qt: many datagrams per call. Receive drains the prefetch ring
//! (refilled by recvmmsg) into a list, or packs payloads into a caller's
//! buffer for numpy users; send uses sendmmsg, or one GSO send when the
//! datagrams share a size. Each keeps the per-datagram API's meaning:
//! order, sender, truncation and readyRead re-arming are the same.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use crate::address::{extract_addr, HostAddr, QHostAddress};
use crate::batch::MAX_SLOTS;
use crate::core::{state, Event, Events};
use crate::datagram::{sender_of, QNetworkDatagram};
use crate::signal::lock;
use crate::socket::QAbstractSocket;

fn count_arg(max_count: i64) -> PyResult<usize> {
    usize::try_from(max_count)
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| PyValueError::new_err(format!("maxCount must be > 0, got {max_count}")))
}

#[pymethods]
impl QAbstractSocket {
    /// Up to `maxCount` pending datagrams' payloads as a list of bytes (no
    /// sender objects: the cheapest form). Empty when nothing is pending.
    #[pyo3(signature = (maxCount=1024))]
    fn readPayloads<'py>(&self, py: Python<'py>, maxCount: i64) -> PyResult<Bound<'py, PyList>> {
        let max = count_arg(maxCount)?;
        let out = PyList::empty(py);
        if !lock(&self.core).is_valid() {
            return Ok(out);
        }
        let mut ev = Events::new();
        let mut err = None;
        lock(&self.core).take_many(max, &mut ev, |b, _| {
            match out.append(crate::payload::new(py, b)) {
                Ok(()) => true,
                Err(e) => {
                    err = Some(e);
                    false
                }
            }
        });
        if let Some(e) = err {
            return Err(e);
        }
        self.emit(py, ev)?;
        Ok(out)
    }

    /// Up to `maxCount` pending datagrams as `(data, sender, senderPort)`
    /// tuples, like readDatagram's result.
    #[pyo3(signature = (maxCount=1024))]
    fn readDatagrams<'py>(&self, py: Python<'py>, maxCount: i64) -> PyResult<Bound<'py, PyList>> {
        let max = count_arg(maxCount)?;
        let mut raw: Vec<(Bound<'py, PyBytes>, HostAddr, u16)> = Vec::new();
        let mut ev = Events::new();
        if lock(&self.core).is_valid() {
            lock(&self.core).take_many(max, &mut ev, |b, m| {
                let (addr, port) = sender_of(m);
                raw.push((crate::payload::new(py, b), addr, port));
                true
            });
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
    fn receiveDatagrams<'py>(&self, py: Python<'py>, maxCount: i64) -> PyResult<Vec<QNetworkDatagram>> {
        let max = count_arg(maxCount)?;
        let mut out = Vec::new();
        let mut ev = Events::new();
        if lock(&self.core).is_valid() {
            let mut c = lock(&self.core);
            let local_port = c.local_port;
            c.take_many(max, &mut ev, |b, m| {
                let d = QNetworkDatagram::received(crate::payload::new(py, b).unbind(), m, local_port);
                out.push(d);
                true
            });
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
        let n = crate::buffer::with_bytes_mut(buffer, "buffer", |out| {
            crate::buffer::with_ints_mut(sizes, "sizes", |lens, item| {
                let slots = lens.len() / item;
                if slots == 0 {
                    return 0;
                }
                let mut at = 0usize;
                let mut k = 0usize;
                let mut c = lock(&self.core);
                if !c.is_valid() {
                    return 0;
                }
                c.take_many(slots, &mut ev, |b, _| {
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
            })
        })??;
        self.emit(py, ev)?;
        Ok(n)
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
        let items: Vec<Bound<'_, PyAny>> = datagrams
            .try_iter()
            .map_err(|_| PyTypeError::new_err("datagrams must be an iterable of bytes-like objects"))?
            .collect::<PyResult<_>>()?;
        let mut owned: Vec<Bound<'_, PyBytes>> = Vec::with_capacity(items.len());
        for it in &items {
            owned.push(crate::buffer::to_pybytes(it, "datagrams[i]")?);
        }
        let views: Vec<&[u8]> = owned.iter().map(|b| b.as_bytes()).collect();
        let mut ev = Events::new();
        let n = lock(&me.core).send_many(&views, &to, port, &mut ev);
        if ev.contains(&Event::State(state::BOUND)) {
            Self::sync_registration(slf)?;
        }
        me.emit(py, ev)?;
        Ok(n)
    }

    /// Datagrams fetched per recvmmsg call (1..=1024, default 64). Takes
    /// effect once the datagrams already fetched have been read.
    fn setReadBatchSize(&self, size: i64) -> PyResult<bool> {
        let n = usize::try_from(size)
            .ok()
            .filter(|&n| (1..=MAX_SLOTS).contains(&n))
            .ok_or_else(|| PyValueError::new_err(format!("size must be in 1..={MAX_SLOTS}, got {size}")))?;
        Ok(lock(&self.core).ring.resize(n))
    }

    fn readBatchSize(&self) -> usize {
        lock(&self.core).ring.slots
    }

    /// Linux: let the kernel coalesce runs of datagrams (UDP_GRO); qudp
    /// splits them back, so reads see exactly what was sent. False where
    /// unavailable or before bind.
    fn setReceiveCoalescing(&self, enabled: bool) -> bool {
        let c = lock(&self.core);
        c.sock
            .as_ref()
            .is_some_and(|s| crate::sys::set_gro(s, enabled).is_ok())
    }
}
