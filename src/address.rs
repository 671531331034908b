//! `QHostAddress`: the Python class over the core's address (`HostAddr`).

use std::hash::{Hash, Hasher};
use std::net::{Ipv4Addr, Ipv6Addr};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

pub use qudp_core::address::*;

use crate::enums;
use crate::error::arg_error;

/// `QHostAddress`. Mutable like Qt's (setAddress, clear, setScopeId), and
/// also hashable, copyable and picklable for Python users.
#[pyclass(name = "QHostAddress", module = "qudp", subclass)]
#[derive(Clone, Default)]
pub struct QHostAddress {
    pub inner: HostAddr,
}

impl QHostAddress {
    pub fn new_py(py: Python<'_>, inner: HostAddr) -> PyResult<Py<QHostAddress>> {
        Py::new(py, QHostAddress { inner })
    }
}

/// Anything Qt accepts where a `QHostAddress` is expected: an address, a
/// `SpecialAddress`, or a string. Unparsable strings raise `ValueError`
/// naming `arg` (Qt would silently use a null address).
pub fn extract_addr(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<HostAddr> {
    if let Ok(a) = obj.cast::<QHostAddress>() {
        return Ok(a.borrow().inner.clone());
    }
    if let Ok(s) = obj.extract::<&str>() {
        return HostAddr::parse(s)
            .ok_or_else(|| arg_error(arg, format!("{s:?} is not a valid IPv4 or IPv6 address")));
    }
    if enums::is_member(obj, "SpecialAddress")? {
        let v: i64 = obj.getattr("value")?.extract()?;
        return special(v).ok_or_else(|| arg_error(arg, format!("unknown SpecialAddress {v}")));
    }
    Err(crate::error::type_error(
        arg,
        "QHostAddress, QHostAddress.SpecialAddress or str",
        &obj.get_type().name()?.to_string(),
    ))
}

fn from_any(obj: &Bound<'_, PyAny>) -> PyResult<Option<HostAddr>> {
    if obj.is_none() {
        return Ok(Some(HostAddr::default()));
    }
    if let Ok(a) = obj.cast::<QHostAddress>() {
        return Ok(Some(a.borrow().inner.clone()));
    }
    if let Ok(s) = obj.extract::<&str>() {
        return Ok(HostAddr::parse(s));
    }
    if enums::is_member(obj, "SpecialAddress")? {
        let v: i64 = obj.getattr("value")?.extract()?;
        return Ok(special(v));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        let bytes: [u8; 16] = b.as_bytes().try_into().map_err(|_| {
            arg_error(
                "address",
                format!("bytes must be 16 long for IPv6, got {}", b.as_bytes().len()),
            )
        })?;
        return Ok(Some(Ip::V6(Ipv6Addr::from(bytes)).into()));
    }
    if let Ok(v) = obj.extract::<i64>() {
        let n = u32::try_from(v).map_err(|_| {
            pyo3::exceptions::PyOverflowError::new_err(format!(
                "address must be an IPv4 number in 0..=4294967295, got {v}"
            ))
        })?;
        return Ok(Some(Ip::V4(Ipv4Addr::from(n)).into()));
    }
    if let Ok(seq) = obj.extract::<Vec<u8>>() {
        let bytes: [u8; 16] = seq.as_slice().try_into().map_err(|_| {
            arg_error(
                "address",
                format!("an IPv6 address needs 16 octets, got {}", seq.len()),
            )
        })?;
        return Ok(Some(Ip::V6(Ipv6Addr::from(bytes)).into()));
    }
    Err(PyTypeError::new_err(format!(
        "address must be str, int, 16 bytes, QHostAddress or QHostAddress.SpecialAddress, not {}",
        obj.get_type().name()?
    )))
}

#[pymethods]
impl QHostAddress {
    #[new]
    #[pyo3(signature = (address=None))]
    fn py_new(address: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let inner = match address {
            None => HostAddr::default(),
            Some(a) => from_any(a)?.unwrap_or_default(),
        };
        Ok(QHostAddress { inner })
    }

    /// Set from a string, number, 16 bytes or special address; for a string,
    /// returns False (and leaves the address null) when it does not parse.
    /// Returns whether a string parsed (Qt's bool overload); the number,
    /// bytes and SpecialAddress forms return None, as Qt's void overloads.
    fn setAddress(&mut self, address: &Bound<'_, PyAny>) -> PyResult<Option<bool>> {
        let is_text = address.extract::<&str>().is_ok();
        let parsed = from_any(address)?;
        let ok = parsed.is_some();
        self.inner = parsed.unwrap_or_default();
        Ok(is_text.then_some(ok))
    }

    /// QHostAddress::clear(): make this the null address.
    fn clear(&mut self) {
        self.inner = HostAddr::default();
    }

    /// QHostAddress::isNull(): no address set (Qt's Null, not 0.0.0.0).
    fn isNull(&self) -> bool {
        self.inner.is_null()
    }

    /// QHostAddress::protocol(): IPv4Protocol, IPv6Protocol, AnyIPProtocol
    /// for Any, UnknownNetworkLayerProtocol for the null address.
    fn protocol<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        enums::member(py, "NetworkLayerProtocol", self.inner.protocol())
    }

    /// QHostAddress::toString(): dotted quad, RFC 5952 IPv6 text with
    /// "%scope" when a scope id is set, "" for the null address.
    fn toString(&self) -> String {
        self.inner.to_qt_string()
    }

    /// The IPv4 address as a number (0 when there is none, as Qt); a
    /// v4-mapped IPv6 address converts.
    fn toIPv4Address(&self) -> u32 {
        self.inner.v4_u32().unwrap_or(0)
    }

    /// The 16 octets of the IPv6 form (v4-mapped for an IPv4 address).
    fn toIPv6Address<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.v6_octets())
    }

    /// QHostAddress::scopeId(): an IPv6 address's scope (interface name or
    /// number), "" otherwise.
    fn scopeId(&self) -> String {
        match self.inner.ip {
            Ip::V6(_) => self.inner.scope.clone(),
            _ => String::new(),
        }
    }

    /// Qt ignores a scope on anything but IPv6.
    fn setScopeId(&mut self, id: &Bound<'_, PyAny>) -> PyResult<()> {
        let id = crate::error::str_arg(id, "id")?;
        if matches!(self.inner.ip, Ip::V6(_)) {
            self.inner.scope = id;
        }
        Ok(())
    }

    /// QHostAddress::isLoopback(): 127.0.0.0/8, ::1, or a v4-mapped loopback.
    fn isLoopback(&self) -> bool {
        self.inner.is_loopback()
    }
    /// QHostAddress::isMulticast(): 224.0.0.0/4 or ff00::/8.
    fn isMulticast(&self) -> bool {
        self.inner.is_multicast()
    }
    /// QHostAddress::isBroadcast(): 255.255.255.255 only (Qt cannot know a
    /// subnet's broadcast address).
    fn isBroadcast(&self) -> bool {
        self.inner.is_broadcast()
    }
    /// QHostAddress::isLinkLocal(): 169.254.0.0/16 or fe80::/10.
    fn isLinkLocal(&self) -> bool {
        self.inner.is_link_local()
    }
    /// QHostAddress::isSiteLocal(): the deprecated IPv6 fec0::/10.
    fn isSiteLocal(&self) -> bool {
        self.inner.is_site_local()
    }
    /// QHostAddress::isUniqueLocalUnicast(): IPv6 fc00::/7.
    fn isUniqueLocalUnicast(&self) -> bool {
        self.inner.is_unique_local()
    }
    /// QHostAddress::isPrivateUse(): RFC 1918 IPv4 ranges or IPv6 fc00::/7.
    fn isPrivateUse(&self) -> bool {
        self.inner.is_private_use()
    }
    /// QHostAddress::isGlobal(): a global unicast address (private-use
    /// addresses count as global, as in Qt).
    fn isGlobal(&self) -> bool {
        self.inner.is_global()
    }

    /// `isInSubnet(subnet, netmask)` or `isInSubnet((subnet, netmask))`.
    #[pyo3(signature = (subnet, netmask=None))]
    fn isInSubnet(&self, subnet: &Bound<'_, PyAny>, netmask: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        let (addr, prefix) = match netmask {
            Some(n) => (
                extract_addr(subnet, "subnet")?,
                i64::from(crate::error::i32_arg(n, "netmask")?),
            ),
            None => {
                let t = subnet.cast::<PyTuple>().map_err(|_| {
                    PyTypeError::new_err("isInSubnet() takes (subnet, netmask) or a (subnet, netmask) tuple")
                })?;
                if t.len() != 2 {
                    return Err(PyTypeError::new_err(format!(
                        "subnet must be a (subnet, netmask) tuple of 2, got {} items",
                        t.len()
                    )));
                }
                (
                    extract_addr(&t.get_item(0)?, "subnet")?,
                    i64::from(crate::error::i32_arg(&t.get_item(1)?, "netmask")?),
                )
            }
        };
        Ok(self.inner.in_subnet(&addr, prefix))
    }

    /// `"192.168.0.0/16"` → `(QHostAddress("192.168.0.0"), 16)`; an
    /// unparsable subnet gives `(QHostAddress(), -1)` as in Qt.
    #[staticmethod]
    fn parseSubnet(subnet: &Bound<'_, PyAny>) -> PyResult<(QHostAddress, i64)> {
        let subnet = crate::error::str_arg(subnet, "subnet")?;
        Ok(parse_subnet(&subnet)
            .map(|(a, p)| (QHostAddress { inner: a }, p))
            .unwrap_or_else(|| (QHostAddress::default(), -1)))
    }

    /// Compare under a ConversionMode (TolerantConversion by default).
    #[pyo3(signature = (other, mode=None))]
    fn isEqual(&self, other: &Bound<'_, PyAny>, mode: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        let m = match mode {
            // StrictConversion 0 .. TolerantConversion 0xff: no other bits.
            Some(m) => crate::enums::flags_arg(m, "mode", "ConversionModeFlag", 0xff)?,
            None => 0xff,
        };
        Ok(self.inner.equal(&extract_addr(other, "other")?, m))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let o = if let Ok(a) = other.cast::<QHostAddress>() {
            a.borrow().inner.clone()
        } else if enums::is_member(other, "SpecialAddress")? {
            special(other.getattr("value")?.extract()?).unwrap_or_default()
        } else {
            return Ok(false);
        };
        Ok(self.inner.equal(&o, 0))
    }

    fn __ne__(&self, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(!self.__eq__(other)?)
    }

    fn __hash__(&self) -> u64 {
        // Qt's qHash: the 16 IPv6-form bytes only, so addresses that are
        // equal under any conversion mode hash alike.
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.v6_octets().hash(&mut h);
        h.finish()
    }

    fn __bool__(&self) -> bool {
        !self.inner.is_null()
    }

    fn __repr__(&self) -> String {
        if self.inner.is_null() {
            "QHostAddress()".to_owned()
        } else if self.inner.ip == Ip::Any {
            "QHostAddress(QHostAddress.SpecialAddress.Any)".to_owned()
        } else {
            format!("QHostAddress({:?})", self.inner.to_qt_string())
        }
    }

    fn __str__(&self) -> String {
        self.inner.to_qt_string()
    }

    fn __copy__(&self) -> Self {
        self.clone()
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> Self {
        self.clone()
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let me = slf.borrow();
        let arg: Bound<'py, PyAny> = match me.inner.ip {
            Ip::Null => py.None().into_bound(py),
            Ip::Any => enums::member(py, "SpecialAddress", 4)?,
            _ => me.inner.to_qt_string().into_pyobject(py)?.into_any(),
        };
        Ok((slf.get_type().into_any(), PyTuple::new(py, [arg])?))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<QHostAddress>()
}
