//! One conversion point for OS errors: `io::Error` -> Qt's `SocketError` and
//! the English `errorString()` Qt would show, plus the Python exceptions that
//! report misuse of the Python API itself (never socket failures).

use std::io;

use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};
use pyo3::PyErr;

/// `QAbstractSocket::SocketError`, with Qt's numeric values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum SocketError {
    ConnectionRefused = 0,
    RemoteHostClosed = 1,
    HostNotFound = 2,
    SocketAccess = 3,
    SocketResource = 4,
    SocketTimeout = 5,
    DatagramTooLarge = 6,
    Network = 7,
    AddressInUse = 8,
    SocketAddressNotAvailable = 9,
    UnsupportedSocketOperation = 10,
    UnfinishedSocketOperation = 11,
    Operation = 19,
    Temporary = 22,
    UnknownSocket = -1,
}

/// An error as Qt stores it: the enum and the human text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QtError {
    pub code: SocketError,
    pub text: String,
}

impl QtError {
    pub fn new(code: SocketError, text: impl Into<String>) -> Self {
        QtError {
            code,
            text: text.into(),
        }
    }

    pub fn unknown() -> Self {
        QtError::new(SocketError::UnknownSocket, "Unknown error")
    }
}

/// What the failing call was doing; Qt picks different texts for the same
/// errno depending on the operation (see QNativeSocketEnginePrivate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Create,
    Bind,
    Send,
    Receive,
    Connect,
}

// Qt's own strings (QNativeSocketEnginePrivate::setError), so errorString()
// reads the same as under PySide6.
pub const ADDRESS_IN_USE: &str = "The bound address is already in use";
pub const ADDRESS_NOT_AVAILABLE: &str = "The address is not available";
pub const ADDRESS_PROTECTED: &str = "The address is protected";
pub const OPERATION_UNSUPPORTED: &str = "Unsupported socket operation";
pub const REMOTE_HOST_CLOSED: &str = "The remote host closed the connection";
pub const CONNECTION_TIMED_OUT: &str = "Connection timed out";
pub const HOST_NOT_FOUND: &str = "Host not found";
pub const CONNECTING: &str = "Trying to connect while connection is in progress";
pub const SOCKET_TIMEOUT: &str = "Socket operation timed out";
pub const NO_DATAGRAM: &str = "No datagram available for reading";
pub const UNABLE_TO_SEND: &str = "Unable to send a datagram";
pub const DATAGRAM_TOO_LARGE: &str = "Datagram was too large to send";
pub const SEND_DATAGRAM: &str = "Unable to send a message";
pub const RECEIVE_DATAGRAM: &str = "Unable to receive a message";
pub const CONNECTION_REFUSED: &str = "Connection refused";
pub const HOST_UNREACHABLE: &str = "Host unreachable";
pub const NETWORK_UNREACHABLE: &str = "Network unreachable";
pub const ACCESS: &str = "Permission denied";
pub const TIMEOUT: &str = "Network operation timed out";
pub const RESOURCE: &str = "Out of resources";
pub const INVALID_SOCKET: &str = "Invalid socket descriptor";
pub const PROTOCOL_UNSUPPORTED: &str = "Protocol type not supported";

/// Map an OS error from `op` to what Qt reports for it, following the
/// per-call tables of QNativeSocketEnginePrivate (nativeBind,
/// nativeSendDatagram, nativeReceiveDatagram, ...). Where Qt sets nothing it
/// reports its initial "Unknown error".
pub fn from_io(op: Op, err: &io::Error) -> QtError {
    use SocketError as E;
    let Some(code) = err.raw_os_error() else {
        return QtError::unknown();
    };
    let (kind, _) = crate::sys::classify(code);
    match (op, kind) {
        (Op::Create, Class::AfNoSupport | Class::Invalid) => {
            QtError::new(E::UnsupportedSocketOperation, PROTOCOL_UNSUPPORTED)
        }
        (Op::Create, Class::NoBufs) => QtError::new(E::SocketResource, RESOURCE),
        (Op::Create, Class::Access) => QtError::new(E::SocketAccess, ACCESS),
        (Op::Bind, Class::AddrInUse) => QtError::new(E::AddressInUse, ADDRESS_IN_USE),
        (Op::Bind, Class::Access) => QtError::new(E::SocketAccess, ADDRESS_PROTECTED),
        (Op::Bind, Class::Invalid) => QtError::new(E::UnsupportedSocketOperation, OPERATION_UNSUPPORTED),
        (Op::Bind, Class::AddrNotAvail) => QtError::new(E::SocketAddressNotAvailable, ADDRESS_NOT_AVAILABLE),
        (Op::Send, Class::MsgSize | Class::NoBufs) => QtError::new(E::DatagramTooLarge, DATAGRAM_TOO_LARGE),
        (Op::Send, Class::ConnReset) => QtError::new(E::RemoteHostClosed, REMOTE_HOST_CLOSED),
        // Qt reports ECONNREFUSED on send as a plain NetworkError; qudp says
        // what it is, whichever call meets the pending ICMP error first.
        (Op::Send | Op::Receive | Op::Connect, Class::ConnRefused) => {
            QtError::new(E::ConnectionRefused, CONNECTION_REFUSED)
        }
        (Op::Send, _) => QtError::new(E::Network, SEND_DATAGRAM),
        (Op::Receive, _) => QtError::new(E::Network, RECEIVE_DATAGRAM),
        (Op::Connect, Class::HostUnreach) => QtError::new(E::Network, HOST_UNREACHABLE),
        (Op::Connect, Class::NetUnreach) => QtError::new(E::Network, NETWORK_UNREACHABLE),
        (Op::Connect, Class::TimedOut) => QtError::new(E::Network, CONNECTION_TIMED_OUT),
        (Op::Connect, Class::AddrInUse) => QtError::new(E::Network, ADDRESS_IN_USE),
        (Op::Connect, Class::Access) => QtError::new(E::SocketAccess, ACCESS),
        _ => QtError::unknown(),
    }
}

/// The portable classes of OS errors; each platform's table is
/// `sys::classify`, so the Qt mapping above is written once.
pub use crate::sys::ErrClass as Class;

/// `ValueError`-style complaint about a Python argument, naming it.
pub fn arg_error(name: &str, msg: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("{name}: {msg}"))
}

pub fn type_error(name: &str, expected: &str, got: &str) -> PyErr {
    PyTypeError::new_err(format!("{name} must be {expected}, not {got}"))
}

/// Check a port the way Python users expect: an `OverflowError` that names
/// the argument (PySide6 raises an empty one for port 70000).
pub fn check_port(name: &str, port: i64) -> Result<u16, PyErr> {
    u16::try_from(port)
        .map_err(|_| PyOverflowError::new_err(format!("{name} must be in 0..=65535, got {port}")))
}

/// The name of `obj`'s type, for messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()
}

/// An int argument in `lo..=hi`: `TypeError` naming `name` for anything that
/// is not an int (None, float, str), `OverflowError` naming it outside the
/// range. PyO3's own conversion errors name the argument only in a note,
/// which `str(exc)` does not show. Inlined: the success path is on the
/// per-datagram path (readDatagram's maxlen) and costs what PyO3's own
/// conversion costs; the messages are built out of line.
#[inline(always)]
pub fn int_in(obj: &Bound<'_, PyAny>, name: &str, lo: i64, hi: i64) -> PyResult<i64> {
    match obj.extract::<i64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(int_error(obj, name, lo, hi)),
    }
}

#[cold]
#[inline(never)]
fn int_error(obj: &Bound<'_, PyAny>, name: &str, lo: i64, hi: i64) -> PyErr {
    match obj.extract::<i64>() {
        Ok(v) => PyOverflowError::new_err(format!("{name} must be in {lo}..={hi}, got {v}")),
        Err(_) if obj.is_instance_of::<PyInt>() => PyOverflowError::new_err(format!(
            "{name} must be in {lo}..={hi}, got {}",
            obj.repr().map(|r| r.to_string()).unwrap_or_default()
        )),
        Err(_) => type_error(name, "int", &type_name(obj)),
    }
}

/// A 64-bit int argument (Qt's qint64), any sign.
#[inline]
pub fn i64_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<i64> {
    int_in(obj, name, i64::MIN, i64::MAX)
}

/// A C int argument (Qt's int).
#[inline]
pub fn i32_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<i32> {
    int_in(obj, name, i64::from(i32::MIN), i64::from(i32::MAX)).map(|v| v as i32)
}

/// A length or size: an int >= 0; a negative one is a `ValueError`.
#[inline(always)]
pub fn len_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<i64> {
    match obj.extract::<i64>() {
        Ok(v) if v >= 0 => Ok(v),
        _ => Err(len_error(obj, name)),
    }
}

#[cold]
#[inline(never)]
fn len_error(obj: &Bound<'_, PyAny>, name: &str) -> PyErr {
    match obj.extract::<i64>() {
        Ok(v) => PyValueError::new_err(format!("{name} must be >= 0, got {v}")),
        Err(_) => int_error(obj, name, i64::MIN, i64::MAX),
    }
}

/// A bool argument: True/False, or an int as C++ converts it (non-zero is
/// true); anything else is a `TypeError` naming `name`.
pub fn bool_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<bool> {
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(b.is_true());
    }
    if obj.is_instance_of::<PyInt>() {
        return obj.is_truthy();
    }
    Err(type_error(name, "bool", &type_name(obj)))
}

/// A str argument; anything else is a `TypeError` naming `name`.
pub fn str_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    obj.extract::<String>()
        .map_err(|_| type_error(name, "str", &type_name(obj)))
}

// Named converters for `#[pyo3(from_py_with = ...)]` in the loop and timer
// modules, so their messages name the argument too.
pub fn msec_arg(o: &Bound<'_, PyAny>) -> PyResult<i64> {
    i64_arg(o, "msec")
}
pub fn opt_msec_arg(o: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if o.is_none() {
        return Ok(None);
    }
    msec_arg(o).map(Some)
}
pub fn opt_maxtime_arg(o: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if o.is_none() {
        return Ok(None);
    }
    i64_arg(o, "maxtime").map(Some)
}
pub fn return_code_arg(o: &Bound<'_, PyAny>) -> PyResult<i64> {
    i32_arg(o, "returnCode").map(i64::from)
}
pub fn single_shot_arg(o: &Bound<'_, PyAny>) -> PyResult<bool> {
    bool_arg(o, "singleShot")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eaddrinuse_maps_to_address_in_use() {
        let e = io::Error::from_raw_os_error(libc::EADDRINUSE);
        assert_eq!(from_io(Op::Bind, &e).code, SocketError::AddressInUse);
        assert_eq!(from_io(Op::Bind, &e).text, ADDRESS_IN_USE);
    }

    #[test]
    fn emsgsize_is_datagram_too_large() {
        let e = io::Error::from_raw_os_error(libc::EMSGSIZE);
        assert_eq!(from_io(Op::Send, &e).code, SocketError::DatagramTooLarge);
    }

    #[test]
    fn eacces_text_depends_on_operation() {
        let e = io::Error::from_raw_os_error(libc::EACCES);
        assert_eq!(from_io(Op::Bind, &e).text, ADDRESS_PROTECTED);
        assert_eq!(from_io(Op::Create, &e).text, ACCESS);
    }

    #[test]
    fn unknown_send_error_is_network_error() {
        let e = io::Error::from_raw_os_error(libc::EACCES);
        assert_eq!(from_io(Op::Send, &e).code, SocketError::Network);
        let e = io::Error::from_raw_os_error(libc::EIO);
        let q = from_io(Op::Send, &e);
        assert_eq!((q.code, q.text.as_str()), (SocketError::Network, SEND_DATAGRAM));
    }
}
