//! The virtual connection of a UDP socket: connectToHost (name lookup off
//! the loop thread), waitForConnected, and write() to the peer. The read side
//! of QIODevice is in iodevice.rs.

use pyo3::prelude::*;
use pyo3::types::PyWeakrefReference;

use crate::address::{extract_addr, HostAddr};
use crate::core::{state, Events};
use crate::error::{self, QtError, SocketError};
use crate::signal::lock;
use crate::socket::{qt_warning, QAbstractSocket};

const WRITE_ONLY: i64 = 0x2;
const READ_WRITE: i64 = 0x3;

fn msecs_arg(o: &Bound<'_, PyAny>) -> PyResult<i64> {
    error::i32_arg(o, "msecs").map(i64::from)
}

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
            if c.lookup_gen() != gen || c.state() != state::HOST_LOOKUP {
                return Ok(()); // aborted, closed or reconnected meanwhile
            }
            c.finish_connect(&addrs, port, &mut ev);
        }
        Self::sync_registration(slf)?;
        me.emit(slf.py(), ev)
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
            Some(m) if !m.is_none() => crate::enums::flags_arg(m, "openMode", "OpenModeFlag", 0xff)?,
            _ => READ_WRITE,
        };
        let want = match protocol {
            Some(p) if !p.is_none() => {
                crate::enums::enum_arg(p, "protocol", "NetworkLayerProtocol", |v| (-1..=2).contains(&v))?
            }
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
                c.state(),
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
    fn waitForConnected(
        slf: &Bound<'_, Self>,
        #[pyo3(from_py_with = msecs_arg)] msecs: i64,
    ) -> PyResult<bool> {
        let _ = msecs;
        let py = slf.py();
        let me = slf.get();
        let (st, name, gen, port) = {
            let c = lock(&me.core);
            (
                c.state(),
                c.peer_name().to_owned(),
                c.lookup_gen(),
                c.pending_port(),
            )
        };
        match st {
            state::CONNECTED => return Ok(true),
            state::HOST_LOOKUP => {}
            state::BOUND => {
                let mut ev = Events::new();
                {
                    let mut c = lock(&me.core);
                    c.close(true, &mut ev);
                    c.set_error(QtError::new(SocketError::SocketTimeout, error::SOCKET_TIMEOUT));
                }
                me.emit(py, ev)?;
                return Ok(false);
            }
            _ => return Ok(false),
        }
        let found = py.detach(|| crate::sys::lookup(&name).unwrap_or_default());
        Self::lookup_done(slf, gen, to_host_addrs(found), port)?;
        Ok(lock(&me.core).state() == state::CONNECTED)
    }

    /// Send `data` as one datagram to the connected peer. Returns the bytes
    /// sent (bytesWritten is emitted) or -1; an ICMP port unreachable from an
    /// earlier datagram surfaces here as ConnectionRefusedError.
    pub(crate) fn write(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<i64> {
        let mode = lock(&self.core).open_mode();
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
            if c.state() != state::CONNECTED {
                c.fail(
                    QtError::new(SocketError::UnknownSocket, "Socket is not connected"),
                    &mut ev,
                );
                return -1;
            }
            c.send(b, &mut ev)
        })?;
        self.emit(py, ev)?;
        if n >= 0 {
            self.emit_channel_bytes_written(py, n)?;
        }
        Ok(n)
    }
}
