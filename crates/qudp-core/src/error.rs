//! One conversion point for OS errors: `io::Error` -> Qt's `SocketError` and
//! the English `errorString()` Qt would show.

use std::io;

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

#[cfg(all(test, unix))]
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
