//! The virtual connection and the QIODevice side of a UDP socket:
//! connectToHost (name lookup off the loop thread), waitForConnected, and
//! read / write / readAll / readLine / peek / bytesAvailable, one datagram at
//! a time as Qt reads a connected UDP socket.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyWeakrefReference};

use crate::address::{extract_addr, HostAddr};
use crate::core::{state, Events};
use crate::enums;
use crate::error::{self, QtError, SocketError};
use crate::signal::lock;
use crate::socket::{qt_warning, QAbstractSocket};

const READ_ONLY: i64 = 0x1;
const WRITE_ONLY: i64 = 0x2;
const READ_WRITE: i64 = 0x3;

fn to_host_addrs(ips: Vec<std::net::IpAddr>) -> Vec<HostAddr> {
    ips.into_iter()
        .map(|ip| HostAddr::from_socket_addr(&std::net::SocketAddr::new(ip, 0)))
        .collect()
}

impl QAbstractSocket {
    /// Finish a connect: the lookup gave `addrs` for generation `gen`.
    fn lookup_done(slf: &Bound<'_, Self>, gen: u64, addrs: Vec<HostAddr>, port: u16) -> PyResult<()> {
        let me = slf.get();
        let mut ev = Events::new();
        {
            let mut c = lock(&me.core);
            if c.lookup_gen != gen || c.state != state::HOST_LOOKUP {
                return Ok(()); // aborted, closed or reconnected meanwhile
            }
            c.finish_connect(&addrs, port, &mut ev);
        }
        Self::sync_registration(slf)?;
        me.emit(slf.py(), ev)
    }

    /// QIODevice's checks before a read: open, and open for reading.
    fn readable(&self, py: Python<'_>, what: &str) -> bool {
        let mode = lock(&self.core).open_mode;
        if mode == 0 {
            qt_warning(py, &format!("QIODevice::{what} (QUdpSocket): device not open"));
            return false;
        }
        if mode & READ_ONLY == 0 {
            qt_warning(py, &format!("QIODevice::{what} (QUdpSocket): WriteOnly device"));
            return false;
        }
        true
    }

    /// Take the next datagram's bytes (cut to `max`), or None.
    fn next_bytes<'py>(&self, py: Python<'py>, max: Option<usize>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let mut ev = Events::new();
        let got = lock(&self.core).take(max, &mut ev, |b, _| crate::payload::new(py, b));
        self.emit(py, ev)?;
        Ok(got)
    }
}

#[pymethods]
impl QAbstractSocket {
    /// Connect to one peer: `connectToHost(hostName or address, port,
    /// openMode=ReadWrite)`. An address connects at once (HostLookupState,
    /// ConnectingState, hostFound, ConnectedState, connected, all before
    /// returning); a name is looked up on another thread while the loop
    /// runs, then connects, or fails with HostNotFoundError. Afterwards
    /// write() sends to the peer and only the peer's datagrams arrive.
    #[pyo3(signature = (host, port, openMode=None, protocol=None))]
    fn connectToHost(
        slf: &Bound<'_, Self>,
        host: &Bound<'_, PyAny>,
        port: &Bound<'_, PyAny>,
        openMode: Option<&Bound<'_, PyAny>>,
        protocol: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let py = slf.py();
        let me = slf.get();
        let port = crate::socket::port_arg(port, "port")?;
        let mode = match openMode {
            Some(m) if !m.is_none() => enums::value_of(m, "openMode", "OpenModeFlag")?,
            _ => READ_WRITE,
        };
        let want = match protocol {
            Some(p) if !p.is_none() => enums::value_of(p, "protocol", "NetworkLayerProtocol")?,
            _ => crate::address::PROTO_ANY,
        };
        // A name, or an address given as such.
        let (name, literal) = if let Ok(s) = host.extract::<String>() {
            let lit = HostAddr::parse(&s);
            (s, lit)
        } else {
            let a = extract_addr(host, "host")?;
            (a.to_qt_string(), Some(a))
        };
        let mut ev = Events::new();
        let gen = {
            let mut c = lock(&me.core);
            if matches!(
                c.state,
                state::CONNECTED | state::CONNECTING | state::CLOSING | state::HOST_LOOKUP
            ) {
                drop(c);
                qt_warning(
                    py,
                    &format!(
                        "QAbstractSocket::connectToHost() called when already looking up or connecting/connected to \"{name}\""
                    ),
                );
                let mut ev = Events::new();
                lock(&me.core).fail(QtError::new(SocketError::Operation, error::CONNECTING), &mut ev);
                return me.emit(py, ev);
            }
            c.begin_connect(&name, port, mode, &mut ev)
        };
        me.emit(py, ev)?;
        if let Some(addr) = literal {
            return Self::lookup_done(slf, gen, vec![addr], port);
        }
        // Resolve off the loop thread; the result comes back as posted work.
        let weak = PyWeakrefReference::new(slf.as_any())?.unbind();
        let reactor = crate::reactor::current_py()?;
        let back = reactor.clone();
        std::thread::Builder::new()
            .name("qudp-lookup".into())
            .spawn(move || {
                let found = crate::sys::lookup(&name).unwrap_or_default();
                back.post(Box::new(move |py| {
                    let Some(obj) = weak.bind(py).upgrade() else {
                        return Ok(());
                    };
                    let sock = obj.cast::<QAbstractSocket>()?;
                    let addrs: Vec<HostAddr> = to_host_addrs(found)
                        .into_iter()
                        .filter(|a| want == crate::address::PROTO_ANY || a.protocol() == want)
                        .collect();
                    QAbstractSocket::lookup_done(sock, gen, addrs, port)
                }));
            })
            .map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
        Ok(())
    }

    /// Wait until connected. A pending name lookup is finished here, with
    /// the GIL released (as Qt's waitForConnected does). False when not
    /// connecting; a bound, unconnected socket is aborted, as in Qt.
    #[pyo3(signature = (msecs=30000))]
    fn waitForConnected(slf: &Bound<'_, Self>, msecs: i64) -> PyResult<bool> {
        let _ = msecs;
        let py = slf.py();
        let me = slf.get();
        let (st, name, gen, port) = {
            let c = lock(&me.core);
            (c.state, c.peer_name.clone(), c.lookup_gen, c.pending_port)
        };
        match st {
            state::CONNECTED => return Ok(true),
            state::HOST_LOOKUP => {}
            state::BOUND => {
                let mut ev = Events::new();
                {
                    let mut c = lock(&me.core);
                    c.close(true, &mut ev);
                    c.err = QtError::new(SocketError::SocketTimeout, error::SOCKET_TIMEOUT);
                }
                me.emit(py, ev)?;
                return Ok(false);
            }
            _ => return Ok(false),
        }
        let found = py.detach(|| crate::sys::lookup(&name).unwrap_or_default());
        Self::lookup_done(slf, gen, to_host_addrs(found), port)?;
        Ok(lock(&me.core).state == state::CONNECTED)
    }

    /// Send `data` as one datagram to the connected peer. Returns the bytes
    /// sent (bytesWritten is emitted) or -1; an ICMP port unreachable from an
    /// earlier datagram surfaces here as ConnectionRefusedError.
    fn write(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<i64> {
        let mode = lock(&self.core).open_mode;
        if mode == 0 {
            qt_warning(py, "QIODevice::write (QUdpSocket): device not open");
            return Ok(-1);
        }
        if mode & WRITE_ONLY == 0 {
            qt_warning(py, "QIODevice::write (QUdpSocket): ReadOnly device");
            return Ok(-1);
        }
        let mut ev = Events::new();
        let n = crate::buffer::with_bytes(data, "data", |b| {
            let mut c = lock(&self.core);
            if c.state != state::CONNECTED {
                c.fail(
                    QtError::new(SocketError::UnknownSocket, "Socket is not connected"),
                    &mut ev,
                );
                return -1;
            }
            c.send(b, &mut ev)
        })?;
        self.emit(py, ev)?;
        Ok(n)
    }

    /// Read the next datagram, at most `maxlen` bytes (the rest of a longer
    /// datagram is discarded, as Qt's read on a UDP socket); b"" if none.
    fn read<'py>(&self, py: Python<'py>, maxlen: i64) -> PyResult<Bound<'py, PyBytes>> {
        if maxlen < 0 {
            return Err(PyValueError::new_err(format!(
                "maxlen must be >= 0, got {maxlen}"
            )));
        }
        if !self.readable(py, "read") {
            return Ok(crate::payload::empty(py));
        }
        Ok(self
            .next_bytes(py, Some(maxlen as usize))?
            .unwrap_or_else(|| crate::payload::empty(py)))
    }

    /// Every pending datagram, concatenated (Qt's readAll on UDP).
    fn readAll<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        if !self.readable(py, "read") {
            return Ok(crate::payload::empty(py));
        }
        let mut out = Vec::new();
        let mut ev = Events::new();
        {
            let mut c = lock(&self.core);
            while c.take(None, &mut ev, |b, _| out.extend_from_slice(b)).is_some() {}
        }
        self.emit(py, ev)?;
        Ok(if out.is_empty() {
            crate::payload::empty(py)
        } else {
            crate::payload::new(py, &out)
        })
    }

    /// A line from the next datagram: up to and including its first '\n'
    /// (at most `maxlen` bytes when maxlen > 0); the rest of that datagram is
    /// discarded. (Qt reads one byte per datagram here; see docs.)
    #[pyo3(signature = (maxlen=0))]
    fn readLine<'py>(&self, py: Python<'py>, maxlen: i64) -> PyResult<Bound<'py, PyBytes>> {
        if maxlen < 0 {
            return Err(PyValueError::new_err(format!(
                "maxlen must be >= 0, got {maxlen}"
            )));
        }
        if !self.readable(py, "readLine") {
            return Ok(crate::payload::empty(py));
        }
        let mut ev = Events::new();
        let got = lock(&self.core).take(None, &mut ev, |b, _| {
            let end = b.iter().position(|&c| c == b'\n').map_or(b.len(), |i| i + 1);
            let end = if maxlen > 0 { end.min(maxlen as usize) } else { end };
            crate::payload::new(py, &b[..end])
        });
        self.emit(py, ev)?;
        Ok(got.unwrap_or_else(|| crate::payload::empty(py)))
    }

    /// Whether the next datagram holds a complete line.
    fn canReadLine(&self, py: Python<'_>) -> PyResult<bool> {
        let mut ev = Events::new();
        let r = {
            let mut c = lock(&self.core);
            c.open_mode & READ_ONLY != 0 && c.fill(&mut ev) && c.ring.front_bytes().contains(&b'\n')
        };
        self.emit(py, ev)?;
        Ok(r)
    }

    /// The first `maxlen` bytes of the next datagram, without consuming it.
    fn peek<'py>(&self, py: Python<'py>, maxlen: i64) -> PyResult<Bound<'py, PyBytes>> {
        if maxlen < 0 {
            return Err(PyValueError::new_err(format!(
                "maxlen must be >= 0, got {maxlen}"
            )));
        }
        if !self.readable(py, "peek") {
            return Ok(crate::payload::empty(py));
        }
        let mut ev = Events::new();
        let r = {
            let mut c = lock(&self.core);
            if c.fill(&mut ev) {
                let b = c.ring.front_bytes();
                crate::payload::new(py, &b[..b.len().min(maxlen as usize)])
            } else {
                crate::payload::empty(py)
            }
        };
        self.emit(py, ev)?;
        Ok(r)
    }

    /// Size of the next pending datagram (0 when none), as Qt reports it.
    fn bytesAvailable(&self, py: Python<'_>) -> PyResult<i64> {
        let mut ev = Events::new();
        let r = {
            let mut c = lock(&self.core);
            if c.is_valid() && c.fill(&mut ev) {
                c.ring.front().map_or(0, |m| m.len as i64)
            } else {
                0
            }
        };
        self.emit(py, ev)?;
        Ok(r)
    }

    /// Always 0: UDP writes are not buffered.
    fn bytesToWrite(&self) -> i64 {
        0
    }

    /// True when no datagram is pending.
    fn atEnd(&self, py: Python<'_>) -> PyResult<bool> {
        let mut ev = Events::new();
        let pending = {
            let mut c = lock(&self.core);
            c.is_valid() && c.fill(&mut ev)
        };
        self.emit(py, ev)?;
        Ok(!pending)
    }

    fn isReadable(&self) -> bool {
        lock(&self.core).open_mode & READ_ONLY != 0
    }

    fn isWritable(&self) -> bool {
        lock(&self.core).open_mode & WRITE_ONLY != 0
    }

    /// A socket is a sequential device.
    fn isSequential(&self) -> bool {
        true
    }

    /// Nothing is buffered for writing, so there is nothing to flush: False,
    /// as Qt's flush() on a UDP socket.
    fn flush(&self) -> bool {
        false
    }
}
