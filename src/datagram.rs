//! `QNetworkDatagram`: a payload with its sender, destination, hop limit and
//! interface index, as `receiveDatagram` returns and `writeDatagram` takes.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::address::{extract_addr, HostAddr, Ip, QHostAddress};
use crate::batch::Meta;
use crate::error::check_port;

/// `QNetworkDatagram`: a payload with its sender, destination, hop limit
/// and interface index. `receiveDatagram()` fills them in from the control
/// messages the kernel sent with the datagram (IP_PKTINFO/IPV6_PKTINFO,
/// IP_RECVTTL/IPV6_HOPLIMIT; WSARecvMsg on Windows); given to
/// `writeDatagram()`, the destination is where it goes and the hop limit,
/// interface and sender address travel as control messages (sendmsg).
///
/// ```python
/// d = QNetworkDatagram(b"ping", QHostAddress("127.0.0.1"), 7755)
/// d.setHopLimit(4)
/// sock.writeDatagram(d)
/// reply = sock.receiveDatagram()
/// print(reply.data(), reply.senderAddress(), reply.hopLimit())
/// ```
#[pyclass(name = "QNetworkDatagram", module = "qudp", subclass)]
pub struct QNetworkDatagram {
    pub data: Py<PyBytes>,
    pub sender: HostAddr,
    /// -1 when unset, as Qt's senderPort()/destinationPort().
    pub sender_port: i32,
    pub dest: HostAddr,
    pub dest_port: i32,
    pub hop_limit: i32,
    pub ifindex: u32,
    /// Kernel receive timestamp in ns since the epoch (beyond Qt), if known.
    pub stamp_ns: Option<i64>,
}

/// A received datagram's sender, as Qt reports it.
pub fn sender_of(meta: &Meta) -> (HostAddr, u16) {
    match &meta.src {
        Some(sa) => (HostAddr::from_socket_addr(sa), sa.port()),
        None => (HostAddr::default(), 0),
    }
}

/// A received datagram's destination as Qt shows it: an IPv6 address
/// carries the arrival interface's index as its scope id.
pub fn destination_of(meta: &Meta) -> HostAddr {
    match meta.info.dst {
        Some(std::net::IpAddr::V6(a)) => HostAddr {
            ip: Ip::V6(a),
            scope: if meta.info.ifindex != 0 {
                meta.info.ifindex.to_string()
            } else {
                String::new()
            },
        },
        Some(std::net::IpAddr::V4(a)) => Ip::V4(a).into(),
        None => HostAddr::default(),
    }
}

impl QNetworkDatagram {
    /// What receiveDatagram(s) return for `data` received with `meta` on a
    /// socket bound to `local_port`.
    pub fn received(data: Py<PyBytes>, meta: &Meta, local_port: u16) -> Self {
        let (sender, sender_port) = sender_of(meta);
        QNetworkDatagram {
            data,
            sender,
            sender_port: i32::from(sender_port),
            dest: destination_of(meta),
            dest_port: i32::from(local_port),
            hop_limit: meta.info.hop,
            ifindex: meta.info.ifindex,
            stamp_ns: meta.info.stamp_ns,
        }
    }

    pub fn copy(&self, py: Python<'_>) -> Self {
        QNetworkDatagram {
            data: self.data.clone_ref(py),
            sender: self.sender.clone(),
            sender_port: self.sender_port,
            dest: self.dest.clone(),
            dest_port: self.dest_port,
            hop_limit: self.hop_limit,
            ifindex: self.ifindex,
            stamp_ns: self.stamp_ns,
        }
    }

    pub fn empty(py: Python<'_>) -> Self {
        QNetworkDatagram {
            data: crate::payload::empty(py).unbind(),
            sender: HostAddr::default(),
            sender_port: 0,
            dest: HostAddr::default(),
            dest_port: 0,
            hop_limit: -1,
            ifindex: 0,
            stamp_ns: None,
        }
    }
}

/// A port as an int with a message naming `port`; the range is checked
/// where it is used (check_port).
fn port_num(o: &Bound<'_, PyAny>) -> PyResult<i64> {
    crate::error::i64_arg(o, "port")
}

#[pymethods]
impl QNetworkDatagram {
    #[new]
    #[pyo3(signature = (data=None, destinationAddress=None, port=0))]
    fn py_new(
        py: Python<'_>,
        data: Option<&Bound<'_, PyAny>>,
        destinationAddress: Option<&Bound<'_, PyAny>>,
        #[pyo3(from_py_with = port_num)] port: i64,
    ) -> PyResult<Self> {
        if let Some(other) = data.and_then(|d| d.cast::<QNetworkDatagram>().ok()) {
            // QNetworkDatagram(other): Qt's copy constructor.
            return Ok(other.borrow().copy(py));
        }
        let mut d = QNetworkDatagram::empty(py);
        if let Some(data) = data {
            d.data = crate::payload::from_arg(data, "data")?.unbind();
        }
        if let Some(a) = destinationAddress {
            d.dest = extract_addr(a, "destinationAddress")?;
            d.dest_port = i32::from(check_port("port", port)?);
        }
        Ok(d)
    }

    /// QNetworkDatagram::data(): the payload, a QByteArray.
    fn data<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.data.bind(py).clone()
    }

    /// QNetworkDatagram::setData(): replace the payload (any bytes-like object).
    fn setData(&mut self, data: &Bound<'_, PyAny>) -> PyResult<()> {
        self.data = crate::payload::from_arg(data, "data")?.unbind();
        Ok(())
    }

    /// QNetworkDatagram::senderAddress(): who sent a received datagram (the
    /// source address of recvmsg), or the source address to send from.
    fn senderAddress(&self) -> QHostAddress {
        QHostAddress {
            inner: self.sender.clone(),
        }
    }

    /// -1 while the sender address is null, as in Qt.
    fn senderPort(&self) -> i32 {
        if self.sender.is_null() {
            -1
        } else {
            self.sender_port
        }
    }

    /// QNetworkDatagram::setSender(): the source address (and port) to send
    /// from: sent as IP_PKTINFO/IPV6_PKTINFO, so the kernel picks that local
    /// address if it is one of this host's.
    #[pyo3(signature = (address, port=0))]
    fn setSender(
        &mut self,
        address: &Bound<'_, PyAny>,
        #[pyo3(from_py_with = port_num)] port: i64,
    ) -> PyResult<()> {
        self.sender = extract_addr(address, "address")?;
        self.sender_port = i32::from(check_port("port", port)?);
        Ok(())
    }

    /// QNetworkDatagram::destinationAddress(): where a received datagram was
    /// addressed (IP_PKTINFO/IPV6_PKTINFO: useful on sockets bound to Any or
    /// joined to groups), or where writeDatagram() sends it.
    fn destinationAddress(&self) -> QHostAddress {
        QHostAddress {
            inner: self.dest.clone(),
        }
    }

    /// -1 while the destination address is null, as in Qt.
    fn destinationPort(&self) -> i32 {
        if self.dest.is_null() {
            -1
        } else {
            self.dest_port
        }
    }

    /// QNetworkDatagram::setDestination(): where writeDatagram() sends it.
    fn setDestination(
        &mut self,
        address: &Bound<'_, PyAny>,
        #[pyo3(from_py_with = port_num)] port: i64,
    ) -> PyResult<()> {
        self.dest = extract_addr(address, "address")?;
        self.dest_port = i32::from(check_port("port", port)?);
        Ok(())
    }

    /// QNetworkDatagram::hopLimit(): the TTL / hop limit the datagram arrived
    /// with (IP_RECVTTL/IPV6_HOPLIMIT), or to send with; -1 when unknown.
    fn hopLimit(&self) -> i32 {
        self.hop_limit
    }

    /// Qt's int: -1 (the default) means "unset"; values outside a C int
    /// raise OverflowError naming `count`.
    fn setHopLimit(&mut self, count: &Bound<'_, PyAny>) -> PyResult<()> {
        self.hop_limit = crate::error::i32_arg(count, "count")?;
        Ok(())
    }

    /// QNetworkDatagram::interfaceIndex(): the interface it arrived on, or to
    /// send it from; 0 when unknown or unset.
    fn interfaceIndex(&self) -> u32 {
        self.ifindex
    }

    /// Qt's uint; values outside it raise OverflowError naming `index`.
    fn setInterfaceIndex(&mut self, index: &Bound<'_, PyAny>) -> PyResult<()> {
        self.ifindex = crate::error::int_in(index, "index", 0, i64::from(u32::MAX))? as u32;
        Ok(())
    }

    /// Kernel receive time in nanoseconds since the epoch (SO_TIMESTAMPNS),
    /// or None when timestamps are off or the OS has none. Beyond Qt.
    fn timestamp(&self) -> Option<i64> {
        self.stamp_ns
    }

    /// Valid when it has a sender or a destination address (Qt's rule; an
    /// empty payload can be valid, a payload alone is not).
    fn isValid(&self) -> bool {
        !self.sender.is_null() || !self.dest.is_null()
    }

    /// QNetworkDatagram::isNull(): the opposite of isValid(): no sender and
    /// no destination address, as from receiveDatagram() when nothing was
    /// pending.
    fn isNull(&self) -> bool {
        !self.isValid()
    }

    /// Clear data, addresses, hop limit and interface; Qt keeps the ports.
    fn clear(&mut self, py: Python<'_>) {
        let (sp, dp) = (self.sender_port, self.dest_port);
        *self = QNetworkDatagram::empty(py);
        self.sender_port = sp;
        self.dest_port = dp;
    }

    /// A datagram addressed back to this one's sender, sent from the address
    /// this one arrived at (unless that was multicast, as Qt), on the same
    /// interface, with `payload`.
    #[pyo3(signature = (payload=None))]
    fn makeReply(&self, py: Python<'_>, payload: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let mut r = QNetworkDatagram::empty(py);
        r.data = match payload {
            Some(p) => crate::payload::from_arg(p, "payload")?.unbind(),
            None => crate::payload::empty(py).unbind(),
        };
        r.dest = self.sender.clone();
        r.dest_port = self.sender_port;
        r.ifindex = self.ifindex;
        if !self.dest.is_multicast() {
            r.sender = self.dest.clone();
            r.sender_port = self.dest_port;
        }
        Ok(r)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        if !self.isValid() {
            return "QNetworkDatagram()".to_owned();
        }
        let data = self.data.bind(py);
        format!(
            "<QNetworkDatagram {} bytes from {}:{} to {}:{}>",
            data.as_bytes().len(),
            self.sender.to_qt_string(),
            self.senderPort(),
            self.dest.to_qt_string(),
            self.destinationPort()
        )
    }

    fn __copy__(&self, py: Python<'_>) -> Self {
        self.copy(py)
    }

    fn __deepcopy__(&self, py: Python<'_>, _memo: &Bound<'_, PyAny>) -> Self {
        self.copy(py)
    }

    fn __traverse__(&self, visit: pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        // The collector may see a subclass instance whose base tp_new is
        // still running: the field is then zeroed memory, a null pointer.
        if self.data.as_ptr().is_null() {
            return Ok(());
        }
        visit.call(&self.data)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<QNetworkDatagram>()
}
