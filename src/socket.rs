//! `QAbstractSocket` / `QUdpSocket` for Python: argument checking, the lock
//! around the core, and signal emission after the lock is released (slots
//! may call back into the socket, close it or start a nested loop).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};
use pyo3::{PyTraverseError, PyVisit};
use std::sync::OnceLock;

use crate::address::{extract_addr, HostAddr, Ip, QHostAddress};
use crate::batch::Meta;
use crate::core::{state, Ancillary, Core, Event, Events};
use crate::datagram::{sender_of, QNetworkDatagram};
use crate::enums;
use crate::error::{self, check_port, QtError, SocketError};
use crate::signal::{lock, Signal};

const UDP_SOCKET: i64 = 1;

pub use crate::warning::qt_warning;

/// The docstrings of the per-datagram calls, written once: QAbstractSocket
/// and QUdpSocket both carry these methods (see QUdpSocket's pymethods).
macro_rules! datagram_doc {
    (hasPendingDatagrams) => {
        "True if at least one datagram is waiting to be read (in qudp's\n\
         prefetch ring or in the kernel queue; the check may fetch a batch\n\
         with recvmmsg). False with a warning on a socket that is not bound."
    };
    (pendingDatagramSize) => {
        "Size of the first pending datagram (0 for an empty one), or -1 when\n\
         none is pending."
    };
    (readDatagram) => {
        "Read one datagram: `(data, sender, senderPort)`. At most `maxlen`\n\
         bytes are returned; the rest of a longer datagram is discarded, as in\n\
         Qt (`maxlen=0` discards the datagram). With nothing pending, returns\n\
         `(b\"\", QHostAddress(), 0)` and sets TemporaryError."
    };
    (receiveDatagram) => {
        "Read one datagram with its metadata as a QNetworkDatagram: sender,\n\
         destination address (IP_PKTINFO / IPV6_PKTINFO) and port, hop limit\n\
         (IP_RECVTTL / IPV6_RECVHOPLIMIT) and interface index. `maxSize` < 0\n\
         reads it whole. With nothing pending, returns an invalid datagram."
    };
    (writeDatagram) => {
        "Send one datagram: `writeDatagram(data, host, port)` or\n\
         `writeDatagram(datagram)`. `data` is any bytes-like object. An\n\
         unbound socket is first bound to Any (dual-stack) as in Qt. Returns\n\
         the bytes sent (bytesWritten is emitted before returning), or -1 with\n\
         error() set: DatagramTooLargeError past the protocol's limit (EMSGSIZE),\n\
         NetworkError, TemporaryError when the send buffer is full."
    };
}

macro_rules! signals {
    ($($field:ident => $getter:ident, $sig:literal, $n:literal;)*) => {
        #[derive(Default)]
        struct Signals {
            $($field: OnceLock<Py<Signal>>,)*
        }

        impl Signals {
            fn visit(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
                $(if let Some(s) = self.$field.get() { visit.call(s)?; })*
                Ok(())
            }
        }

        #[pymethods]
        impl QAbstractSocket {
            $(
                #[doc = concat!("Signal `", $sig, "`.")]
                #[getter]
                fn $getter(&self, py: Python<'_>) -> Py<Signal> {
                    self.signals
                        .$field
                        .get_or_init(|| Py::new(py, Signal::new($sig, $n)).expect("allocate Signal"))
                        .clone_ref(py)
                }
            )*
        }
    };
}

signals! {
    ready_read => readyRead, "readyRead()", 0;
    channel_ready_read => channelReadyRead, "channelReadyRead(int)", 1;
    bytes_written => bytesWritten, "bytesWritten(qlonglong)", 1;
    channel_bytes_written => channelBytesWritten, "channelBytesWritten(int,qlonglong)", 2;
    state_changed => stateChanged, "stateChanged(QAbstractSocket::SocketState)", 1;
    error_occurred => errorOccurred, "errorOccurred(QAbstractSocket::SocketError)", 1;
    host_found => hostFound, "hostFound()", 0;
    connected => connected, "connected()", 0;
    disconnected => disconnected, "disconnected()", 0;
    about_to_close => aboutToClose, "aboutToClose()", 0;
    read_channel_finished => readChannelFinished, "readChannelFinished()", 0;
}

/// Qt's `QAbstractSocket`: the state machine, errors, options, signals and
/// QIODevice side that `QUdpSocket` derives from (Python code may subclass
/// either). `state()` goes Unconnected -> Bound (`bind()`) or HostLookup ->
/// Connecting -> Connected (`connectToHost()`), and back with `close()` or
/// `abort()`; every failure sets `error()` / `errorString()` to Qt's values
/// and emits `errorOccurred`.
#[pyclass(name = "QAbstractSocket", module = "qudp", subclass, frozen, weakref, dict)]
pub struct QAbstractSocket {
    /// True once the Rust fields exist. The collector may traverse the
    /// object while its base's tp_new still runs (a Python subclass's dict
    /// is allocated there), when this memory is still zeroed.
    constructed: bool,
    pub core: Mutex<Core>,
    /// QIODevice state beyond the open mode (iodevice.rs).
    pub io: Mutex<crate::iostate::IoState>,
    socket_type: i64,
    signals: Signals,
    parent: Mutex<Option<Py<PyAny>>>,
    /// Sender addresses handed out by readDatagram, reused once the caller
    /// has dropped them (reference count 1: only this cache holds them).
    /// Saves an allocation per datagram; callers never see a shared object.
    senders: Mutex<Senders>,
}

/// What readDatagram hands out again and again for one peer: its address
/// objects (see `sender_object`) and its port as a Python int (immutable,
/// so sharing it is safe; a port above 256 would otherwise be a new
/// allocation per datagram).
#[derive(Default)]
struct Senders {
    addrs: [Option<Py<QHostAddress>>; 2],
    port: Option<(u16, Py<PyAny>)>,
}

fn fire(py: Python<'_>, slot: &OnceLock<Py<Signal>>, args: &[Bound<'_, PyAny>]) -> PyResult<()> {
    match slot.get() {
        Some(s) => s.get().fire(py, args),
        None => Ok(()),
    }
}

pub fn port_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<u16> {
    match obj.extract::<i64>() {
        Ok(v) => check_port(name, v),
        Err(_) if obj.is_instance_of::<pyo3::types::PyInt>() => Err(PyOverflowError::new_err(format!(
            "{name} must be in 0..=65535, got {}",
            obj.repr()?
        ))),
        Err(_) => Err(error::type_error(
            name,
            "int",
            &obj.get_type().name()?.to_string(),
        )),
    }
}

// Argument converters for `#[pyo3(from_py_with = ...)]`: messages name the
// argument (PyO3's own name it only in a note that str(exc) omits).
#[inline]
fn maxlen_arg(o: &Bound<'_, PyAny>) -> PyResult<i64> {
    error::len_arg(o, "maxlen")
}
fn max_size_arg(o: &Bound<'_, PyAny>) -> PyResult<i64> {
    error::i64_arg(o, "maxSize")
}
fn msecs_arg(o: &Bound<'_, PyAny>) -> PyResult<i64> {
    error::i32_arg(o, "msecs").map(i64::from)
}
fn enabled_arg(o: &Bound<'_, PyAny>) -> PyResult<bool> {
    error::bool_arg(o, "enabled")
}

/// Qt's SocketOption numbers run 0..=10.
fn option_arg(o: &Bound<'_, PyAny>) -> PyResult<i64> {
    crate::enums::enum_arg(o, "option", "SocketOption", crate::options::is_known)
}

impl QAbstractSocket {
    fn new_socket(socket_type: i64) -> Self {
        QAbstractSocket {
            constructed: true,
            core: Mutex::new(Core::default()),
            io: Mutex::new(Default::default()),
            socket_type,
            signals: Signals::default(),
            parent: Mutex::new(None),
            senders: Mutex::new(Senders::default()),
        }
    }

    /// A QHostAddress object for a datagram's sender: a cached one nobody
    /// else holds any more, updated in place, or a new one.
    /// readDatagram's body (QUdpSocket's readDatagram calls it too).
    fn read_datagram<'py>(&self, py: Python<'py>, maxlen: i64) -> PyResult<Bound<'py, PyTuple>> {
        let empty = || -> PyResult<Bound<'py, PyTuple>> {
            (crate::payload::empty(py), QHostAddress::default(), 0u16).into_pyobject(py)
        };
        // Fast path: one lock, the datagram straight from the ring.
        let mut ev = Events::new();
        let got = {
            let mut c = lock(&self.core);
            if c.ring().is_empty() && !(c.is_valid() && matches!(c.state(), state::BOUND | state::CONNECTED))
            {
                None
            } else {
                Some(c.read_datagram(maxlen as usize, &mut ev, |b, m| {
                    (crate::payload::new(py, b), sender_of(m))
                }))
            }
        };
        let Some(got) = got else {
            self.check_bound(py, "readDatagram")?;
            return empty();
        };
        if !ev.is_empty() {
            self.emit(py, ev)?;
        }
        let Some((data, (addr, port))) = got else {
            return empty();
        };
        let (host, port) = self.sender_and_port(py, addr, Some(port))?;
        let port = port.expect("asked for the port");
        PyTuple::new(py, [data.into_any(), host.into_any(), port])
    }

    fn sender_object<'py>(&self, py: Python<'py>, addr: HostAddr) -> PyResult<Bound<'py, QHostAddress>> {
        Ok(self.sender_and_port(py, addr, None)?.0)
    }

    /// The sender's address object and, when `port` is given, its port as
    /// a Python int, both from the cache when possible (one lock).
    fn sender_and_port<'py>(
        &self,
        py: Python<'py>,
        addr: HostAddr,
        port: Option<u16>,
    ) -> PyResult<(Bound<'py, QHostAddress>, Option<Bound<'py, PyAny>>)> {
        let mut cache = lock(&self.senders);
        let port = match port {
            None => None,
            Some(p) => Some(match &cache.port {
                Some((q, obj)) if *q == p => obj.bind(py).clone(),
                _ => {
                    let obj = p.into_pyobject(py)?.into_any();
                    cache.port = Some((p, obj.clone().unbind()));
                    obj
                }
            }),
        };
        for obj in cache.addrs.iter().flatten() {
            let b = obj.bind(py);
            // SAFETY: b is a live object; reading its reference count.
            if unsafe { pyo3::ffi::Py_REFCNT(b.as_ptr()) } == 1 {
                if let Ok(mut inner) = b.try_borrow_mut() {
                    // The same peer as last time (the usual case): as is.
                    if inner.inner != addr {
                        inner.inner = addr;
                    }
                    drop(inner);
                    return Ok((b.clone(), port));
                }
            }
        }
        let fresh = Bound::new(py, QHostAddress { inner: addr })?;
        // Keep it for reuse; the older cached object (if any) is the user's now.
        let i = if cache.addrs[0].is_none() || cache.addrs[1].is_some() {
            0
        } else {
            1
        };
        cache.addrs[i] = Some(fresh.clone().unbind());
        Ok((fresh, port))
    }

    /// QIODevice::write's second signal, channelBytesWritten(0, n), which
    /// Qt emits after bytesWritten for write()/putChar (not writeDatagram).
    /// Whether a bytesWritten slot can exist (the signal object was made).
    pub fn wants_bytes_written(&self) -> bool {
        self.signals.bytes_written.get().is_some()
    }

    pub fn emit_channel_bytes_written(&self, py: Python<'_>, n: i64) -> PyResult<()> {
        if self.signals.channel_bytes_written.get().is_none() {
            return Ok(());
        }
        let zero = 0i64.into_pyobject(py)?.into_any();
        let n = n.into_pyobject(py)?.into_any();
        fire(py, &self.signals.channel_bytes_written, &[zero, n])
    }

    /// Emit what the core reported, in order, with no lock held.
    pub fn emit(&self, py: Python<'_>, events: Events) -> PyResult<()> {
        for ev in events {
            match ev {
                Event::State(s) => {
                    if self.signals.state_changed.get().is_some() {
                        let m = enums::member(py, "SocketState", s)?;
                        fire(py, &self.signals.state_changed, &[m])?;
                    }
                }
                Event::Error(e) => {
                    if self.signals.error_occurred.get().is_some() {
                        let m = enums::member(py, "SocketError", e as i64)?;
                        fire(py, &self.signals.error_occurred, &[m])?;
                    }
                }
                Event::BytesWritten(n) => {
                    if self.wants_bytes_written() {
                        let n = n.into_pyobject(py)?.into_any();
                        fire(py, &self.signals.bytes_written, &[n])?;
                    }
                }
                Event::ReadyRead => {
                    fire(py, &self.signals.ready_read, &[])?;
                    if self.signals.channel_ready_read.get().is_some() {
                        let zero = 0i64.into_pyobject(py)?.into_any();
                        fire(py, &self.signals.channel_ready_read, &[zero])?;
                    }
                }
                Event::AboutToClose => fire(py, &self.signals.about_to_close, &[])?,
                Event::HostFound => fire(py, &self.signals.host_found, &[])?,
                Event::Connected => fire(py, &self.signals.connected, &[])?,
                Event::ReadChannelFinished => fire(py, &self.signals.read_channel_finished, &[])?,
                Event::Disconnected => fire(py, &self.signals.disconnected, &[])?,
            }
        }
        Ok(())
    }

    /// Qt's QT_CHECK_BOUND: the socket must exist; otherwise warn, and the
    /// caller returns Qt's failure value without touching error().
    fn check_bound(&self, py: Python<'_>, func: &str) -> PyResult<bool> {
        let (valid, st, code) = {
            let c = lock(&self.core);
            (c.is_valid(), c.state(), c.error().code)
        };
        if !valid {
            let name = func.trim_end_matches("(n)");
            qt_warning(
                py,
                &format!("QUdpSocket::{name}() called on a QUdpSocket when not in QUdpSocket::BoundState"),
            );
            return Ok(false);
        }
        if st == state::UNCONNECTED {
            // A socket left by a failed bind: the engine's own checks answer,
            // as in Qt (pendingDatagramSize and receiveDatagram() stay quiet).
            match func {
                "hasPendingDatagrams" => qt_warning(
                    py,
                    "QNativeSocketEngine::hasPendingDatagrams() was called in QAbstractSocket::UnconnectedState",
                ),
                "readDatagram" | "readDatagramInto" | "receiveDatagram(n)" => {
                    qt_warning(
                        py,
                        "QNativeSocketEngine::readDatagram() was called not in QAbstractSocket::BoundState or QAbstractSocket::ConnectedState",
                    );
                    self.emit(py, smallvec::smallvec![Event::Error(code)])?;
                }
                _ => {}
            }
            return Ok(false);
        }
        Ok(true)
    }

    /// Make sure a socket that can receive is registered with this thread's
    /// reactor, so readyRead is delivered by QEventLoop / asyncio.
    pub fn sync_registration(slf: &Bound<'_, Self>) -> PyResult<()> {
        let me = slf.get();
        let Some(raw) = lock(&me.core).registration_wanted() else {
            return Ok(());
        };
        let weak = pyo3::types::PyWeakrefReference::new(slf.as_any())?.unbind();
        let reactor = crate::reactor::current_py()?;
        // Where the OS cannot register the socket (Windows for now), the
        // socket still works through waitForReadyRead.
        if let Ok(handle) =
            reactor.register_socket(raw, crate::reactor::Target::Socket(weak, Self::readable_callback))
        {
            lock(&me.core).attach_registration(raw, handle);
        }
        Ok(())
    }

    /// The reactor's callback (it holds sockets weakly, as plain objects).
    fn readable_callback(obj: &Bound<'_, PyAny>, edge: bool) -> PyResult<usize> {
        obj.cast::<QAbstractSocket>()?.get().on_readable(obj.py(), edge)
    }

    /// The reactor saw a readiness edge (`edge`) or re-checks after a read:
    /// emit readyRead as Qt's rule says (Core::check_ready_read).
    pub fn on_readable(&self, py: Python<'_>, edge: bool) -> PyResult<usize> {
        let mut ev = Events::new();
        let emitting = {
            let mut c = lock(&self.core);
            if edge {
                c.readiness_edge();
            }
            c.check_ready_read(&mut ev)
        };
        let n = ev.len();
        let r = self.emit(py, ev);
        if emitting {
            lock(&self.core).ready_read_done();
        }
        r.map(|_| n)
    }

    fn do_bind(slf: &Bound<'_, Self>, addr: HostAddr, port: u16, mode: i64) -> PyResult<bool> {
        let py = slf.py();
        let me = slf.get();
        let mut ev = Events::new();
        let ok = {
            let mut c = lock(&me.core);
            if c.is_valid() && c.state() != state::UNCONNECTED {
                // The engine refuses to bind twice; Qt still emits
                // errorOccurred with whatever error it already had.
                let code = c.error().code;
                drop(c);
                qt_warning(
                    py,
                    "QNativeSocketEngine::bind() was not called in QAbstractSocket::UnconnectedState",
                );
                me.emit(py, smallvec::smallvec![Event::Error(code)])?;
                return Ok(false);
            }
            c.bind(&addr, port, mode, &mut ev)
        };
        if ok {
            Self::sync_registration(slf)?;
        }
        me.emit(py, ev)?;
        Ok(ok)
    }

    fn bind_mode(obj: Option<&Bound<'_, PyAny>>) -> PyResult<i64> {
        match obj {
            None => Ok(0),
            // DefaultForPlatform 0, ShareAddress 1, DontShareAddress 2,
            // ReuseAddressHint 4, and qudp's LoadBalance 0x100 (SO_REUSEPORT).
            Some(m) => crate::enums::flags_arg(m, "mode", "BindFlag", 0x7 | 0x100),
        }
    }

    /// Pop one datagram; bytes cut to `max`. Python objects are built after
    /// the lock is released.
    #[allow(clippy::type_complexity)]
    fn take_one<'py>(
        &self,
        py: Python<'py>,
        max: Option<usize>,
    ) -> PyResult<(Option<(Bound<'py, PyBytes>, Meta, u16)>, Events)> {
        let mut ev = Events::new();
        let got = {
            let mut c = lock(&self.core);
            let local_port = c.local_port();
            c.take(max, &mut ev, |bytes, meta| {
                (crate::payload::new(py, bytes), meta.clone(), local_port)
            })
        };
        Ok((got, ev))
    }
}

#[pymethods]
impl QAbstractSocket {
    #[new]
    #[pyo3(signature = (socketType=None, parent=None))]
    fn py_new(socketType: Option<&Bound<'_, PyAny>>, parent: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let _ = parent;
        let t = match socketType {
            None => UDP_SOCKET,
            Some(t) => crate::enums::enum_arg(t, "socketType", "SocketType", |_| true)?,
        };
        if t != UDP_SOCKET {
            return Err(PyValueError::new_err(format!(
                "socketType: qudp implements UDP sockets only (SocketType.UdpSocket), got {t}"
            )));
        }
        Ok(QAbstractSocket::new_socket(t))
    }

    /// Accepts the constructor's arguments so Python subclasses can call
    /// `super().__init__(parent)`. A parent keeps the socket alive, as a Qt
    /// parent owns its children.
    #[pyo3(signature = (*args, **kwargs))]
    fn __init__(
        slf: &Bound<'_, Self>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        // Materialise the (empty) instance __dict__ now: CPython 3.11 only
        // specialises method calls on an object whose dict exists, which
        // makes every later sock.readDatagram(...) call cheaper.
        let _ = slf.getattr(pyo3::intern!(slf.py(), "__dict__"));
        let mut parent = kwargs.and_then(|k| k.get_item("parent").ok().flatten());
        if parent.is_none() {
            // QUdpSocket(parent) or QAbstractSocket(socketType, parent).
            let is_udp = slf.is_instance_of::<QUdpSocket>();
            let idx = if is_udp { 0 } else { 1 };
            parent = args.get_item(idx).ok();
        }
        if let Some(p) = parent.filter(|p| !p.is_none()) {
            *lock(&slf.get().parent) = Some(p.clone().unbind());
            // Best effort: objects without attributes simply do not own it.
            let children = match p.getattr("_qudp_children") {
                Ok(c) => Some(c),
                Err(_) => {
                    let l = pyo3::types::PyList::empty(slf.py());
                    p.setattr("_qudp_children", &l).ok().map(|_| l.into_any())
                }
            };
            if let Some(c) = children {
                let _ = c.call_method1("append", (slf,));
            }
        }
        Ok(())
    }

    /// The QObject parent given to the constructor (QObject::parent), or None.
    fn parent(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        lock(&self.parent).as_ref().map(|p| p.clone_ref(py))
    }

    /// Bind to an address and port, as Qt's four overloads:
    /// `bind(port=0)`, `bind(port, mode)`, `bind(address, port=0)`,
    /// `bind(address, port, mode)`. `address` is a QHostAddress, a
    /// SpecialAddress or a string. Returns True and enters BoundState, or
    /// False with error() set (AddressInUseError, SocketAccessError,
    /// SocketAddressNotAvailableError, ...). `mode` maps to SO_REUSEADDR
    /// (SO_REUSEPORT on BSD/macOS, SO_EXCLUSIVEADDRUSE on Windows) as in Qt;
    /// qudp's `LoadBalance` joins a SO_REUSEPORT group (docs/allcores.md).
    #[pyo3(signature = (*args, **kwargs))]
    fn bind(
        slf: &Bound<'_, Self>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<bool> {
        let kw = |k: &str| kwargs.and_then(|d| d.get_item(k).ok().flatten());
        let pos: Vec<Bound<'_, PyAny>> = args.iter().collect();
        if pos.len() > 3 {
            return Err(PyTypeError::new_err(format!(
                "bind() takes at most 3 arguments ({} given)",
                pos.len()
            )));
        }
        if let Some(k) = kwargs {
            for key in k.keys() {
                let key: String = key.extract()?;
                if !matches!(key.as_str(), "address" | "port" | "mode") {
                    return Err(PyTypeError::new_err(format!(
                        "bind() got an unexpected keyword argument '{key}'"
                    )));
                }
            }
        }
        let first = pos.first().cloned();
        let address_form = kw("address").is_some()
            || first
                .as_ref()
                .is_some_and(|a| !a.is_instance_of::<pyo3::types::PyInt>());
        if address_form {
            let a = first.clone().or_else(|| kw("address")).expect("address given");
            let addr = extract_addr(&a, "address")?;
            let port = match pos.get(1).cloned().or_else(|| kw("port")) {
                Some(p) => port_arg(&p, "port")?,
                None => 0,
            };
            let mode = Self::bind_mode(pos.get(2).or(kw("mode").as_ref()))?;
            Self::do_bind(slf, addr, port, mode)
        } else {
            if pos.len() > 2 {
                return Err(PyTypeError::new_err(
                    "bind(port, mode) takes at most 2 arguments when the first is a port",
                ));
            }
            let port = match first.or_else(|| kw("port")) {
                Some(p) => port_arg(&p, "port")?,
                None => 0,
            };
            let mode = Self::bind_mode(pos.get(1).or(kw("mode").as_ref()))?;
            Self::do_bind(slf, Ip::Any.into(), port, mode)
        }
    }

    #[doc = datagram_doc!(writeDatagram)]
    #[pyo3(signature = (data, host=None, port=None, /))]
    fn writeDatagram(
        slf: &Bound<'_, Self>,
        data: &Bound<'_, PyAny>,
        host: Option<&Bound<'_, PyAny>>,
        port: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<i64> {
        let py = slf.py();
        let this = slf.get();
        let mut ev = Events::new();
        let sent = match (host, port) {
            (Some(host), Some(port)) => {
                let host = extract_addr(host, "host")?;
                let port = port_arg(port, "port")?;
                // None is not a payload (PySide sends an empty datagram).
                crate::buffer::with_bytes(data, "data", |b| {
                    lock(&this.core).send_to(b, &host, port, &mut ev)
                })?
            }
            (None, None) => {
                let dg = data.cast::<QNetworkDatagram>().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "writeDatagram() takes (data, host, port) or (QNetworkDatagram), got a single {}",
                        data.get_type().name().map(|n| n.to_string()).unwrap_or_default()
                    ))
                })?;
                let d = dg.borrow();
                let payload = d.data.bind(py).clone();
                let dest = d.dest.clone();
                let port = u16::try_from(d.dest_port).unwrap_or(0);
                let anc = Ancillary {
                    hop_limit: (d.hop_limit != -1).then_some(d.hop_limit),
                    ifindex: d.ifindex,
                    source: d.sender.ip_addr().filter(|_| !d.sender.is_null()),
                };
                drop(d);
                // A datagram without destination still binds an unbound socket
                // first (Qt's writeDatagram), then fails with NetworkError.
                lock(&this.core).send_datagram(payload.as_bytes(), &dest, port, &anc, &mut ev)
            }
            _ => {
                return Err(PyTypeError::new_err(
                    "writeDatagram() takes (data, host, port) or (QNetworkDatagram), got 2 arguments",
                ))
            }
        };
        if ev.contains(&Event::State(state::BOUND)) {
            Self::sync_registration(slf)?; // bound implicitly by this write
        }
        this.emit(py, ev)?;
        Ok(sent)
    }

    #[doc = datagram_doc!(hasPendingDatagrams)]
    fn hasPendingDatagrams(&self, py: Python<'_>) -> PyResult<bool> {
        {
            let mut c = lock(&self.core);
            if !c.ring().is_empty() {
                return Ok(true);
            }
            if c.is_valid() && matches!(c.state(), state::BOUND | state::CONNECTED) {
                let mut ev = Events::new();
                let r = c.fill(&mut ev);
                drop(c);
                self.emit(py, ev)?;
                return Ok(r);
            }
        }
        self.check_bound(py, "hasPendingDatagrams")?;
        Ok(false)
    }

    #[doc = datagram_doc!(pendingDatagramSize)]
    fn pendingDatagramSize(&self, py: Python<'_>) -> PyResult<i64> {
        {
            let mut c = lock(&self.core);
            if let Some(m) = c.ring().front() {
                return Ok(m.len as i64);
            }
            if c.is_valid() && matches!(c.state(), state::BOUND | state::CONNECTED) {
                let mut ev = Events::new();
                let r = if c.fill(&mut ev) {
                    c.ring().front().map_or(-1, |m| m.len as i64)
                } else {
                    -1
                };
                drop(c);
                self.emit(py, ev)?;
                return Ok(r);
            }
        }
        self.check_bound(py, "pendingDatagramSize")?;
        Ok(-1)
    }

    #[doc = datagram_doc!(readDatagram)]
    #[pyo3(signature = (maxlen))]
    fn readDatagram<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = maxlen_arg)] maxlen: i64,
    ) -> PyResult<Bound<'py, PyTuple>> {
        self.read_datagram(py, maxlen)
    }

    #[doc = datagram_doc!(receiveDatagram)]
    #[pyo3(signature = (maxSize=-1))]
    fn receiveDatagram(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = max_size_arg)] maxSize: i64,
    ) -> PyResult<QNetworkDatagram> {
        let max = usize::try_from(maxSize).ok();
        let name = if max.is_some() {
            "receiveDatagram(n)"
        } else {
            "receiveDatagram"
        };
        if !self.check_bound(py, name)? {
            return Ok(QNetworkDatagram::empty(py));
        }
        let (got, mut ev) = self.take_one(py, max)?;
        let Some((data, meta, local_port)) = got else {
            if max.is_some() {
                // Qt's read fails and it re-emits its current error.
                let code = lock(&self.core).error().code;
                ev.push(Event::Error(code));
            }
            self.emit(py, ev)?;
            return Ok(QNetworkDatagram::empty(py));
        };
        self.emit(py, ev)?;
        Ok(QNetworkDatagram::received(data.unbind(), &meta, local_port))
    }

    /// Beyond Qt, zero-copy: read the next datagram into `buffer` (any
    /// writable bytes-like object: bytearray, memoryview, numpy array) and
    /// return `(nbytes, sender, senderPort)`. A datagram longer than the
    /// buffer is cut and the rest discarded, as readDatagram does. With
    /// nothing pending: `(-1, QHostAddress(), 0)` and TemporaryError.
    fn readDatagramInto<'py>(
        &self,
        py: Python<'py>,
        buffer: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let none = || (-1i64, QHostAddress::default(), 0u16).into_pyobject(py);
        crate::buffer::check_writable(buffer, "buffer")?;
        if !self.check_bound(py, "readDatagramInto")? {
            return none();
        }
        let mut ev = Events::new();
        let got = crate::buffer::with_bytes_mut(buffer, "buffer", |out| {
            let mut c = lock(&self.core);
            let cap = out.len();
            c.read_datagram(cap, &mut ev, |bytes, meta| {
                out[..bytes.len()].copy_from_slice(bytes);
                (bytes.len(), meta.clone())
            })
        })?;
        let Some((n, meta)) = got else {
            self.emit(py, ev)?;
            return none();
        };
        self.emit(py, ev)?;
        let (addr, port) = sender_of(&meta);
        (n as i64, self.sender_object(py, addr)?, port).into_pyobject(py)
    }

    /// Beyond Qt: turn the per-datagram packet information off (or on
    /// again): destination address, interface index and hop limit
    /// (IP_PKTINFO / IP_RECVTTL, IPV6_RECVPKTINFO / IPV6_RECVHOPLIMIT), which
    /// Qt always requests. Off saves the kernel ~0.1 µs per datagram for
    /// readers that do not need them; receiveDatagram then reports them as
    /// unknown. Returns False before bind.
    fn setPacketInformation(&self, #[pyo3(from_py_with = enabled_arg)] enabled: bool) -> bool {
        let c = lock(&self.core);
        match c.sock() {
            Some(s) => {
                crate::sys::set_recv_info(s, c.v6(), enabled);
                true
            }
            None => false,
        }
    }

    /// Beyond Qt: report the kernel's receive time of each datagram
    /// (SO_TIMESTAMPNS) in QNetworkDatagram.timestamp(). Linux only;
    /// returns False where the OS has no such option or the socket is not
    /// bound yet.
    fn setReceiveTimestamps(&self, #[pyo3(from_py_with = enabled_arg)] enabled: bool) -> bool {
        let mut c = lock(&self.core);
        let ok = c
            .sock()
            .is_some_and(|s| crate::sys::set_timestamps(s, enabled).is_ok());
        if ok {
            c.set_timestamps_on(enabled);
        }
        ok
    }

    /// Beyond Qt: count datagrams the kernel dropped because the receive
    /// queue was full (SO_RXQ_OVFL), read with droppedDatagrams(). Linux
    /// only; False where unavailable or before bind.
    fn setDropCounting(&self, #[pyo3(from_py_with = enabled_arg)] enabled: bool) -> bool {
        let c = lock(&self.core);
        c.sock()
            .is_some_and(|s| crate::sys::set_drop_counter(s, enabled).is_ok())
    }

    /// The kernel's drop counter as of the last datagram read (None until
    /// drop counting is on and a datagram has been read).
    fn droppedDatagrams(&self) -> Option<u32> {
        lock(&self.core).drops()
    }

    /// QAbstractSocket::state(): UnconnectedState, BoundState after bind(),
    /// ConnectedState after connectToHost(), HostLookupState/ConnectingState
    /// while a name is looked up.
    fn state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = lock(&self.core).state();
        enums::member(py, "SocketState", s)
    }

    /// QAbstractSocket::error(): the last error (a SocketError), kept until
    /// the next one; UnknownSocketError on a new socket. Set from the OS error
    /// of the failing system call (bind, sendto/sendmsg, recvmsg).
    fn error<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let e = lock(&self.core).error().code;
        enums::member(py, "SocketError", e as i64)
    }

    /// QIODevice::errorString(): Qt's English text for the last error
    /// ("The bound address is already in use", ...), "Unknown error" at first.
    fn errorString(&self) -> String {
        lock(&self.core).error().text.clone()
    }

    /// QAbstractSocket::socketType(): UdpSocket for QUdpSocket.
    fn socketType<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        enums::member(py, "SocketType", self.socket_type)
    }

    /// QAbstractSocket::localAddress(): the bound address (getsockname(2));
    /// Any for a dual-stack socket bound to Any, a null address when unbound.
    fn localAddress(&self) -> QHostAddress {
        QHostAddress {
            inner: lock(&self.core).local().clone(),
        }
    }

    /// QAbstractSocket::localPort(): the bound port (getsockname(2)), 0 when
    /// unbound.
    fn localPort(&self) -> u16 {
        lock(&self.core).local_port()
    }

    /// QAbstractSocket::peerAddress(): the address given to connectToHost()
    /// once connected (connect(2) on UDP fixes the peer), else null.
    fn peerAddress(&self) -> QHostAddress {
        QHostAddress {
            inner: lock(&self.core).peer().clone(),
        }
    }

    /// QAbstractSocket::peerPort(): the connected peer's port, else 0.
    fn peerPort(&self) -> u16 {
        lock(&self.core).peer_port()
    }

    /// QAbstractSocket::peerName(): the host name given to connectToHost(),
    /// empty when connected by address or not connected.
    fn peerName(&self) -> String {
        lock(&self.core).peer_name().to_owned()
    }

    /// True while the socket has an OS socket (after bind, an implicit bind
    /// by writeDatagram, or setSocketDescriptor).
    fn isValid(&self) -> bool {
        lock(&self.core).is_valid()
    }

    /// The native descriptor, or -1.
    fn socketDescriptor(&self) -> i64 {
        lock(&self.core).sock().map_or(-1, |s| crate::sys::raw(s) as i64)
    }

    /// Take over an existing socket descriptor (e.g. `sock.detach()` of a
    /// Python socket), in `state` (ConnectedState by default) and opened
    /// with `openMode`. The socket now owns the descriptor and closes it.
    #[pyo3(signature = (socketDescriptor, state=None, openMode=None))]
    fn setSocketDescriptor(
        slf: &Bound<'_, Self>,
        socketDescriptor: &Bound<'_, PyAny>,
        state: Option<&Bound<'_, PyAny>>,
        openMode: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let py = slf.py();
        let this = slf.get();
        // Qt truncates to its descriptor type and may adopt another
        // descriptor (2**40 becomes 0); anything the platform's descriptor
        // type cannot hold is refused here (-1 is Qt's "no descriptor").
        let fd = error::i64_arg(socketDescriptor, "socketDescriptor")?;
        if fd != -1 && crate::sys::Raw::try_from(fd).is_err() {
            return Err(PyOverflowError::new_err(format!(
                "socketDescriptor must be a valid descriptor number, got {fd}"
            )));
        }
        let new_state = match state {
            Some(s) if !s.is_none() => {
                crate::enums::enum_arg(s, "state", "SocketState", |v| (0..=6).contains(&v))?
            }
            _ => state::CONNECTED,
        };
        let mode = match openMode {
            Some(m) if !m.is_none() => crate::enums::flags_arg(m, "openMode", "OpenModeFlag", 0xff)?,
            _ => 3,
        };
        if fd == -1 {
            return Ok(false);
        }
        if fd >= 0 && crate::sys::Raw::try_from(fd).is_err() {
            // Qt truncates it to an int and would adopt another descriptor.
            return Err(PyOverflowError::new_err(format!(
                "socketDescriptor must fit a descriptor (at most {}), got {fd}",
                crate::sys::Raw::MAX
            )));
        }
        // The socket's own descriptor is kept as it is, never closed and
        // reopened: Qt closes it first and then fails on a closed number.
        let own = lock(&this.core).release_if_own(fd);
        let adopted = match own {
            Some(s) => Ok(s),
            None => crate::sys::adopt(fd).map(std::sync::Arc::new),
        };
        let sock = match adopted {
            Ok(s) => s,
            Err(_) => {
                // Qt sets the error without emitting errorOccurred here.
                lock(&this.core).set_error(QtError::new(
                    SocketError::UnsupportedSocketOperation,
                    error::INVALID_SOCKET,
                ));
                return Ok(false);
            }
        };
        let mut ev = Events::new();
        lock(&this.core).adopt(sock, new_state, mode, &mut ev);
        Self::sync_registration(slf)?;
        this.emit(py, ev)?;
        Ok(true)
    }

    /// Close the socket: ClosingState, then UnconnectedState (stateChanged
    /// each time), readChannelFinished and disconnected, as Qt. Pending
    /// datagrams are dropped with the socket. error() is kept.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let mut ev = Events::new();
        lock(&self.io).close();
        lock(&self.core).close(false, &mut ev);
        self.emit(py, ev)
    }

    /// Close at once: no ClosingState and no disconnected, as Qt's abort().
    fn abort(&self, py: Python<'_>) -> PyResult<()> {
        let mut ev = Events::new();
        lock(&self.io).close();
        lock(&self.core).close(true, &mut ev);
        self.emit(py, ev)
    }

    /// Leave the connected (or bound) state: ClosingState,
    /// UnconnectedState, readChannelFinished, disconnected. Unlike close(),
    /// the QIODevice stays open, as in Qt.
    fn disconnectFromHost(&self, py: Python<'_>) -> PyResult<()> {
        let mut ev = Events::new();
        lock(&self.core).disconnect(&mut ev);
        self.emit(py, ev)
    }

    /// Set a SocketOption (Qt ignores this until the socket exists).
    fn setSocketOption(&self, option: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let opt = option_arg(option)?;
        // Qt takes a QVariant and hands value.toInt() to setsockopt.
        let v = if let Ok(b) = value.cast::<pyo3::types::PyBool>() {
            i32::from(b.is_true())
        } else {
            error::i32_arg(value, "value")?
        };
        let c = lock(&self.core);
        if let Some(sock) = c.sock() {
            let _ = crate::options::set(sock, c.v6(), opt, v);
        }
        Ok(())
    }

    /// The value of a SocketOption, or None when the socket does not exist
    /// yet or the option does not apply (Qt's invalid QVariant).
    fn socketOption(&self, option: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
        let opt = option_arg(option)?;
        let c = lock(&self.core);
        Ok(c.sock()
            .and_then(|s| crate::options::get(s, c.v6(), opt).ok().flatten()))
    }

    /// Block (with the GIL released) until a datagram is pending or
    /// `msecs` pass (-1: no limit). Emits readyRead as Qt does. On timeout,
    /// returns False with SocketTimeoutError. False at once when unbound.
    #[pyo3(signature = (msecs=30000))]
    fn waitForReadyRead(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = msecs_arg)] msecs: i64,
    ) -> PyResult<bool> {
        let start = Instant::now();
        // Only read the kernel once poll says there is something: an empty
        // ring needs no speculative recvmmsg first (one system call less
        // per round trip).
        let mut readable = false;
        loop {
            let mut ev = Events::new();
            // The socket itself, not its number: close() on another thread
            // then wakes this wait and the number cannot be reused under it.
            let sock = {
                let mut c = lock(&self.core);
                if !matches!(c.state(), state::BOUND | state::CONNECTED) {
                    return Ok(false);
                }
                if let Some(emitting) = c.ready_for_wait(readable, &mut ev) {
                    drop(c);
                    let r = self.emit(py, ev);
                    if emitting {
                        lock(&self.core).ready_read_done();
                    }
                    return r.map(|_| true);
                }
                if !ev.is_empty() {
                    drop(c);
                    self.emit(py, ev)?;
                    return Ok(false);
                }
                match c.shared_sock() {
                    Some(s) => s,
                    None => return Ok(false),
                }
            };
            let remaining = if msecs < 0 {
                -1
            } else {
                let left = Duration::from_millis(msecs as u64).saturating_sub(start.elapsed());
                left.as_millis().min(i32::MAX as u128) as i32
            };
            let ready = py.detach(|| crate::sys::poll_readable(crate::sys::raw(&sock), remaining));
            drop(sock);
            match ready {
                Ok(true) => readable = true,
                Ok(false) => {
                    let mut ev = Events::new();
                    lock(&self.core).fail(QtError::new(SocketError::SocketTimeout, error::TIMEOUT), &mut ev);
                    self.emit(py, ev)?;
                    return Ok(false);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => py.check_signals()?,
                Err(_) => return Ok(false),
            }
        }
    }

    /// UDP writes are not buffered, so there is never anything to wait for:
    /// False, as in Qt (with Qt's warning when unconnected).
    #[pyo3(signature = (msecs=30000))]
    fn waitForBytesWritten(&self, py: Python<'_>, #[pyo3(from_py_with = msecs_arg)] msecs: i64) -> bool {
        let _ = msecs;
        if lock(&self.core).state() == state::UNCONNECTED {
            qt_warning(
                py,
                "QAbstractSocket::waitForBytesWritten() is not allowed in UnconnectedState",
            );
        }
        false
    }

    /// QIODevice::openMode(): ReadWrite once connectToHost() or
    /// setSocketDescriptor() opened the device, NotOpen after bind() alone
    /// (as in Qt) and after close().
    fn openMode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let m = lock(&self.core).open_mode() | lock(&self.io).mode_bits();
        enums::member(py, "OpenModeFlag", m)
    }

    /// QIODevice::isOpen(): whether openMode() is not NotOpen.
    fn isOpen(&self) -> bool {
        lock(&self.core).open_mode() != 0
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _t: &Bound<'_, PyAny>,
        _v: &Bound<'_, PyAny>,
        _tb: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let name = slf.get_type().name()?.to_string();
        let c = lock(&slf.get().core);
        let addr = |h: &HostAddr, p: u16| match h.ip {
            Ip::V6(_) => format!("[{}]:{p}", h.to_qt_string()),
            _ => format!("{}:{p}", h.to_qt_string()),
        };
        let mut s = format!("<{name} {}", state::name(c.state()));
        if c.state() != state::UNCONNECTED || c.local_port() != 0 {
            s.push(' ');
            s.push_str(&addr(c.local(), c.local_port()));
        }
        if !c.peer().is_null() {
            s.push_str(" -> ");
            s.push_str(&addr(c.peer(), c.peer_port()));
        }
        s.push('>');
        Ok(s)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if !self.constructed {
            return Ok(()); // zeroed memory: a zeroed OnceLock reads as set
        }
        self.signals.visit(&visit)?;
        if let Ok(p) = self.parent.try_lock() {
            if let Some(p) = p.as_ref() {
                visit.call(p)?;
            }
        }
        Ok(())
    }

    fn __clear__(&self) {
        let p = lock(&self.parent).take();
        drop(p);
    }
}

/// Qt's `QUdpSocket`: send and receive UDP datagrams.
///
/// Qt's usage: `bind()` to a port (and address) to receive; each time
/// datagrams arrive, `readyRead` is emitted once, and the slot reads while
/// `hasPendingDatagrams()` says more are there, with `readDatagram()` (the
/// bytes, sender and port) or `receiveDatagram()` (a `QNetworkDatagram`
/// with destination, hop limit and interface too). `writeDatagram()` sends
/// to any host (binding an unbound socket first); after `connectToHost()`
/// the socket is a `QIODevice` on one peer (`read()`, `write()`). Signals
/// are delivered by a running `QEventLoop`, an asyncio loop (`qudp.aio`) or
/// a running PySide6/PyQt application; without one, `waitForReadyRead()`
/// blocks (GIL released). Under the hood: a non-blocking socket, epoll or
/// kqueue (AFD on Windows), and `recvmmsg` batches into a prefetch ring.
///
/// ```python
/// from qudp import QEventLoop, QHostAddress, QUdpSocket
///
/// sock = QUdpSocket()
/// sock.bind(QHostAddress.LocalHost, 7755)
///
/// def read_pending():
///     while sock.hasPendingDatagrams():
///         data, host, port = sock.readDatagram(sock.pendingDatagramSize())
///         print(f"{host.toString()}:{port} {data!r}")
///
/// sock.readyRead.connect(read_pending)
/// sock.writeDatagram(b"hello", QHostAddress.LocalHost, 7755)
/// QEventLoop().exec()  # until quit()
/// ```
///
/// Beyond Qt: batch calls (`readPayloads`, `readDatagramsInto`,
/// `writeDatagrams`), GSO/GRO, kernel timestamps, source-specific
/// multicast, `BindFlag.LoadBalance` (SO_REUSEPORT).
#[pyclass(name = "QUdpSocket", module = "qudp", extends = QAbstractSocket, subclass, frozen)]
pub struct QUdpSocket;

#[pymethods]
impl QUdpSocket {
    #[new]
    #[pyo3(signature = (parent=None))]
    fn py_new(parent: Option<&Bound<'_, PyAny>>) -> PyClassInitializer<Self> {
        let _ = parent;
        PyClassInitializer::from(QAbstractSocket::new_socket(UDP_SOCKET)).add_subclass(QUdpSocket)
    }

    // The per-datagram calls, once more on QUdpSocket (where Qt has them),
    // each delegating to QAbstractSocket's, where the rule stays. CPython
    // 3.11 inlines a call to a C method only when the object's type is the
    // method's own type (PRECALL_*_METHOD_DESCRIPTOR_*), and PyO3's type
    // check is then exact: Qt's readyRead loop went from 2,794 to 2,340
    // user-space instructions per datagram.

    #[doc = datagram_doc!(hasPendingDatagrams)]
    fn hasPendingDatagrams(slf: &Bound<'_, Self>) -> PyResult<bool> {
        slf.as_super().get().hasPendingDatagrams(slf.py())
    }

    #[doc = datagram_doc!(pendingDatagramSize)]
    fn pendingDatagramSize(slf: &Bound<'_, Self>) -> PyResult<i64> {
        slf.as_super().get().pendingDatagramSize(slf.py())
    }

    #[doc = datagram_doc!(readDatagram)]
    #[pyo3(signature = (maxlen))]
    fn readDatagram<'py>(
        slf: &Bound<'py, Self>,
        #[pyo3(from_py_with = maxlen_arg)] maxlen: i64,
    ) -> PyResult<Bound<'py, PyTuple>> {
        slf.as_super().get().read_datagram(slf.py(), maxlen)
    }

    #[doc = datagram_doc!(receiveDatagram)]
    #[pyo3(signature = (maxSize=-1))]
    fn receiveDatagram(
        slf: &Bound<'_, Self>,
        #[pyo3(from_py_with = max_size_arg)] maxSize: i64,
    ) -> PyResult<QNetworkDatagram> {
        slf.as_super().get().receiveDatagram(slf.py(), maxSize)
    }

    #[doc = datagram_doc!(writeDatagram)]
    #[pyo3(signature = (data, host=None, port=None, /))]
    fn writeDatagram(
        slf: &Bound<'_, Self>,
        data: &Bound<'_, PyAny>,
        host: Option<&Bound<'_, PyAny>>,
        port: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<i64> {
        QAbstractSocket::writeDatagram(slf.as_super(), data, host, port)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<QAbstractSocket>()?;
    m.add_class::<QUdpSocket>()
}
