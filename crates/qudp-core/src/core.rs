//! The socket's state machine in plain Rust: creation, bind, send, receive
//! from the prefetch ring, options, close. No Python here: every operation
//! returns what happened as `Event`s, which the binding emits as signals
//! after releasing its lock (slots may re-enter the socket).

use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::address::{HostAddr, Ip, PROTO_ANY, PROTO_IPV4, PROTO_IPV6, PROTO_UNKNOWN};
use crate::batch::{Meta, Ring};
use crate::error::{self, from_io, Op, QtError, SocketError};

/// Qt's `SocketState` numbers.
pub mod state {
    pub const UNCONNECTED: i64 = 0;
    pub const HOST_LOOKUP: i64 = 1;
    pub const CONNECTING: i64 = 2;
    pub const CONNECTED: i64 = 3;
    pub const BOUND: i64 = 4;
    pub const LISTENING: i64 = 5;
    pub const CLOSING: i64 = 6;

    pub fn name(s: i64) -> &'static str {
        match s {
            UNCONNECTED => "UnconnectedState",
            HOST_LOOKUP => "HostLookupState",
            CONNECTING => "ConnectingState",
            CONNECTED => "ConnectedState",
            BOUND => "BoundState",
            LISTENING => "ListeningState",
            CLOSING => "ClosingState",
            _ => "UnknownState",
        }
    }
}

/// What a call did that Qt reports through a signal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    State(i64),
    Error(SocketError),
    BytesWritten(i64),
    ReadyRead,
    HostFound,
    Connected,
    AboutToClose,
    ReadChannelFinished,
    Disconnected,
}

/// Events of one call; almost always 0-3, so they live on the stack (no
/// allocation on the per-datagram path).
pub type Events = smallvec::SmallVec<[Event; 4]>;

/// Per-datagram send options (QNetworkDatagram's hop limit, interface index
/// and sender address): the plain record `sys` sends them from.
pub use crate::sys::SendMeta as Ancillary;

/// Qt's readyRead rule over edge-triggered readiness, kept in one place.
///
/// epoll (edge-triggered) reports an arrival once, so readiness is kept as
/// state (as tokio's ScheduledIo does): every edge sets `may_have_data`,
/// also while readyRead is suppressed, and only a receive that drained the
/// kernel queue clears it. Qt's rule is then (QAbstractSocketPrivate::
/// canReadNotification / emitReadyRead, QUdpSocket::readDatagram):
/// - emit when data is there and no emission is pending unread
///   (`pending`, Qt's hasPendingData);
/// - never from inside the socket's own readyRead emission (`emitting`,
///   Qt's emittedReadyRead); a check that finds data then still marks it
///   pending, as Qt does, so the socket stays silent until the next read;
/// - any read clears `pending` and, if the ring or the kernel may still
///   hold datagrams, asks the loop to look again (Qt re-enables its
///   level-triggered notifier).
#[derive(Default, Debug)]
struct ReadNotify {
    may_have_data: bool,
    pending: bool,
    emitting: bool,
    /// The ring is out of the lock for a refill with the GIL released
    /// (`begin_fill`); nobody else refills meanwhile, so datagrams keep the
    /// kernel's order.
    filling: bool,
}

pub struct Core {
    /// Shared with threads blocked in waitForReadyRead, so the descriptor
    /// stays theirs until they wake (close() wakes them with shutdown).
    sock: Option<Arc<Socket>>,
    /// The socket's family is AF_INET6 (IPv6 or dual-stack).
    pub v6: bool,
    /// Qt's protocol of the socket: IPv4, IPv6 or AnyIP (dual-stack).
    proto: i64,
    state: i64,
    err: QtError,
    local: HostAddr,
    local_port: u16,
    peer: HostAddr,
    peer_port: u16,
    peer_name: String,
    ring: Ring,
    /// Qt's readyRead rule and the readiness it is applied to.
    notify: ReadNotify,
    /// QIODevice open mode (NotOpen = 0, ReadWrite = 3).
    open_mode: i64,
    timestamps: bool,
    drops: Option<u32>,
    /// Qt's abortCalled: set by abort(), cleared only by connectToHost; while
    /// set, close() skips ClosingState and disconnected().
    abort_called: bool,
    /// Registration with the thread's reactor (readyRead delivery).
    reg: Option<crate::reactor::Handle>,
    /// Bumped by every connectToHost/close: a host lookup that finishes for
    /// an older generation is ignored.
    lookup_gen: u64,
    /// The port connectToHost was given, while the name is looked up.
    pending_port: u16,
    /// What this socket learned about GSO sends (reset with the socket).
    gso: crate::sys::GsoState,
}

/// Read access for the binding; every change goes through a method below.
impl Core {
    /// The OS socket, while there is one.
    pub fn sock(&self) -> Option<&Socket> {
        self.sock.as_deref()
    }

    /// The OS socket as a handle that keeps the descriptor open without the
    /// lock (a wait, a batch system call with the GIL released).
    pub fn shared_sock(&self) -> Option<Arc<Socket>> {
        self.sock.clone()
    }

    /// The socket's family is AF_INET6 (IPv6 or dual-stack).
    pub fn v6(&self) -> bool {
        self.v6
    }

    /// Qt's network-layer protocol of the socket.
    pub fn proto(&self) -> i64 {
        self.proto
    }

    /// Qt's SocketState.
    pub fn state(&self) -> i64 {
        self.state
    }

    /// True in BoundState or ConnectedState, where datagrams are received.
    pub fn is_receiving(&self) -> bool {
        matches!(self.state, state::BOUND | state::CONNECTED)
    }

    /// error() and errorString().
    pub fn error(&self) -> &QtError {
        &self.err
    }

    /// Qt's setError: record without emitting errorOccurred.
    pub fn set_error(&mut self, e: QtError) {
        self.err = e;
    }

    pub fn local(&self) -> &HostAddr {
        &self.local
    }

    pub fn local_port(&self) -> u16 {
        self.local_port
    }

    pub fn peer(&self) -> &HostAddr {
        &self.peer
    }

    pub fn peer_port(&self) -> u16 {
        self.peer_port
    }

    pub fn peer_name(&self) -> &str {
        &self.peer_name
    }

    /// What has been received and not read yet.
    pub fn ring(&self) -> &Ring {
        &self.ring
    }

    /// setReadBatchSize: only while nothing is held (nothing fetched is lost).
    pub fn resize_ring(&mut self, slots: usize) -> bool {
        !self.notify.filling && self.ring.resize(slots)
    }

    /// QIODevice open mode.
    pub fn open_mode(&self) -> i64 {
        self.open_mode
    }

    /// Remember that receive timestamps are on (the option itself is set by
    /// the caller on `sock()`).
    pub fn set_timestamps_on(&mut self, on: bool) {
        self.timestamps = on;
    }

    /// The kernel drop counter as of the last datagram read.
    pub fn drops(&self) -> Option<u32> {
        self.drops
    }

    /// The descriptor to register with the reactor, if the socket receives
    /// and is not registered yet.
    pub fn registration_wanted(&self) -> Option<crate::sys::Raw> {
        match (&self.sock, &self.reg) {
            (Some(s), None) if self.is_receiving() => Some(crate::sys::raw(s)),
            _ => None,
        }
    }

    /// Keep the reactor registration made for descriptor `raw`, unless the
    /// socket changed or got one meanwhile (then `h` is dropped: deregistered).
    pub fn attach_registration(&mut self, raw: crate::sys::Raw, h: crate::reactor::Handle) {
        if self.reg.is_none() && self.sock.as_deref().map(crate::sys::raw) == Some(raw) {
            self.reg = Some(h);
        }
    }

    /// setSocketDescriptor with the socket's own descriptor: hand the socket
    /// over (deregistered) to be adopted again, never closed in between.
    pub fn release_if_own(&mut self, fd: i64) -> Option<Arc<Socket>> {
        if self.sock().map(|s| crate::sys::raw(s) as i64) != Some(fd) {
            return None;
        }
        self.reg = None;
        self.sock.take()
    }

    /// connectToHost's lookup generation and port (see `begin_connect`).
    pub fn lookup_gen(&self) -> u64 {
        self.lookup_gen
    }

    pub fn pending_port(&self) -> u16 {
        self.pending_port
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        // Deregister while the descriptor is still ours.
        self.reg = None;
    }
}

impl Default for Core {
    fn default() -> Self {
        Core {
            sock: None,
            v6: false,
            proto: PROTO_UNKNOWN,
            state: state::UNCONNECTED,
            err: QtError::unknown(),
            local: HostAddr::default(),
            local_port: 0,
            peer: HostAddr::default(),
            peer_port: 0,
            peer_name: String::new(),
            ring: Ring::default(),
            notify: ReadNotify::default(),
            open_mode: 0,
            timestamps: false,
            drops: None,
            abort_called: false,
            reg: None,
            lookup_gen: 0,
            pending_port: 0,
            gso: crate::sys::GsoState::default(),
        }
    }
}

/// A new non-blocking UDP socket for Qt's `protocol`, set up as
/// QNativeSocketEngine::initialize does: dual-stack for AnyIP (falling back
/// to IPv4 where the host has no IPv6), SO_BROADCAST on, packet information
/// and hop limit reported with each datagram.
pub fn create(protocol: i64) -> io::Result<(Socket, bool, i64)> {
    let (domain, proto) = match protocol {
        PROTO_IPV6 => (Domain::IPV6, PROTO_IPV6),
        PROTO_ANY => (Domain::IPV6, PROTO_ANY),
        _ => (Domain::IPV4, PROTO_IPV4),
    };
    let made = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP));
    let (sock, proto) = match made {
        Ok(s) => (s, proto),
        Err(e) if protocol == PROTO_ANY && is_no_family(&e) => (
            Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?,
            PROTO_IPV4,
        ),
        Err(e) => return Err(e),
    };
    let v6 = proto != PROTO_IPV4;
    sock.set_nonblocking(true)?;
    if proto == PROTO_ANY {
        sock.set_only_v6(false)?;
    }
    let _ = sock.set_broadcast(true);
    crate::sys::enable_recv_info(&sock, v6);
    Ok((sock, v6, proto))
}

fn is_no_family(e: &io::Error) -> bool {
    matches!(
        crate::sys::classify(e.raw_os_error().unwrap_or(0)).0,
        error::Class::AfNoSupport
    )
}

impl Core {
    pub fn is_valid(&self) -> bool {
        self.sock.is_some()
    }

    /// Forget the OS socket: deregister first (the descriptor number may be
    /// reused as soon as it is closed), then close, and drop what it held.
    pub fn drop_socket(&mut self) {
        self.reg = None;
        if let Some(s) = self.sock.take() {
            if Arc::strong_count(&s) > 1 {
                // A thread waits in poll() on it: shutdown wakes it (Linux
                // does so even for unconnected UDP), then it lets go.
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
        self.ring.clear();
        self.gso = crate::sys::GsoState::default();
    }

    /// Record an error as Qt's setErrorAndEmit does.
    pub fn fail(&mut self, e: QtError, ev: &mut Events) {
        let code = e.code;
        self.err = e;
        ev.push(Event::Error(code));
    }

    fn set_state(&mut self, s: i64, ev: &mut Events) {
        if self.state != s {
            self.state = s;
            ev.push(Event::State(s));
        }
    }

    /// Replace the OS socket with a fresh one for `protocol`.
    fn init_layer(&mut self, protocol: i64, ev: &mut Events) -> bool {
        self.drop_socket();
        match create(protocol) {
            Ok((s, v6, proto)) => {
                self.sock = Some(Arc::new(s));
                self.v6 = v6;
                self.proto = proto;
                true
            }
            Err(e) => {
                self.fail(from_io(Op::Create, &e), ev);
                false
            }
        }
    }

    /// QAbstractSocket::bind. The caller has checked the state.
    pub fn bind(&mut self, addr: &HostAddr, port: u16, mode: i64, ev: &mut Events) -> bool {
        if addr.is_null() {
            // Qt makes an IPv4 socket and the kernel refuses the bind (EINVAL);
            // the socket stays, as after any failed bind.
            if self.sock.is_none() && !self.init_layer(PROTO_IPV4, ev) {
                return false;
            }
            self.fail(
                QtError::new(
                    SocketError::UnsupportedSocketOperation,
                    error::OPERATION_UNSUPPORTED,
                ),
                ev,
            );
            return false;
        }
        let protocol = addr.protocol();
        let reuse = self.sock.is_some() && self.proto == protocol && self.state == state::UNCONNECTED;
        if !reuse && !self.init_layer(protocol, ev) {
            return false;
        }
        let sock = self.sock.as_ref().expect("socket just created");
        if let Err(e) = crate::sys::apply_bind_mode(sock, mode) {
            self.fail(from_io(Op::Bind, &e), ev);
            return false;
        }
        // Qt binds an explicit IPv6 address v6-only and Any dual-stack
        // (nativeBind sets IPV6_V6ONLY explicitly, since defaults differ).
        if self.v6 {
            let _ = sock.set_only_v6(protocol == PROTO_IPV6);
        }
        let Some(sa) = addr.socket_addr(port, self.v6) else {
            self.fail(
                QtError::new(
                    SocketError::SocketAddressNotAvailable,
                    error::ADDRESS_NOT_AVAILABLE,
                ),
                ev,
            );
            return false;
        };
        if let Err(e) = sock.bind(&SockAddr::from(sa)) {
            self.fail(from_io(Op::Bind, &e), ev);
            return false;
        }
        self.fetch_local();
        // bind() does not open the QIODevice (openMode stays NotOpen).
        self.reset_notify();
        self.set_state(state::BOUND, ev);
        true
    }

    /// QAbstractSocket::setSocketDescriptor: take over `sock` (already
    /// validated) in `new_state`, opened with `open_mode`. Like Qt it sets
    /// non-blocking and SO_BROADCAST (not on IPv6) but no packet options,
    /// and resets the error to "Unknown error".
    /// `sock` may be the socket's own, taken out by the caller: it is kept
    /// as it is (never closed and reopened).
    pub fn adopt(&mut self, sock: Arc<Socket>, new_state: i64, open_mode: i64, ev: &mut Events) {
        let _ = sock.set_nonblocking(true);
        let local = sock.local_addr().ok().and_then(|a| a.as_socket());
        let (v6, proto) = match local {
            Some(SocketAddr::V6(a)) => {
                let dual = a.ip().is_unspecified() && sock.only_v6().map(|o| !o).unwrap_or(false);
                (true, if dual { PROTO_ANY } else { PROTO_IPV6 })
            }
            _ => (false, PROTO_IPV4),
        };
        if proto != PROTO_IPV6 {
            let _ = sock.set_broadcast(true);
        }
        let peer = sock.peer_addr().ok().and_then(|a| a.as_socket());
        self.drop_socket();
        self.sock = Some(sock);
        self.v6 = v6;
        self.proto = proto;
        self.ring.clear();
        self.reset_notify();
        self.err = QtError::unknown();
        self.open_mode = open_mode;
        self.fetch_local();
        match peer {
            Some(p) => {
                self.peer = HostAddr::from_socket_addr(&p);
                self.peer_port = p.port();
            }
            None => {
                self.peer = HostAddr::default();
                self.peer_port = 0;
            }
        }
        self.set_state(new_state, ev);
    }

    /// QAbstractSocket::connectToHost up to HostLookupState: open the
    /// QIODevice (unbuffered, as UDP is), remember the name, forget the peer.
    pub fn begin_connect(&mut self, name: &str, port: u16, open_mode: i64, ev: &mut Events) -> u64 {
        self.pending_port = port;
        const UNBUFFERED: i64 = 0x20;
        self.abort_called = false;
        if self.state != state::BOUND {
            self.local = HostAddr::default();
            self.local_port = 0;
        }
        self.peer = HostAddr::default();
        self.peer_port = 0;
        self.peer_name = name.to_owned();
        self.open_mode = open_mode | UNBUFFERED;
        self.lookup_gen += 1;
        self.set_state(state::HOST_LOOKUP, ev);
        self.lookup_gen
    }

    /// The lookup finished (QAbstractSocketPrivate::_q_startConnecting):
    /// ConnectingState and hostFound, then connect(2) to the first address
    /// that takes it; HostNotFoundError when there is none.
    pub fn finish_connect(&mut self, addrs: &[HostAddr], port: u16, ev: &mut Events) -> bool {
        if addrs.is_empty() {
            self.set_state(state::UNCONNECTED, ev);
            self.fail(QtError::new(SocketError::HostNotFound, error::HOST_NOT_FOUND), ev);
            return false;
        }
        self.set_state(state::CONNECTING, ev);
        ev.push(Event::HostFound);
        let mut last = None;
        for addr in addrs {
            let proto = addr.protocol();
            let keep = self.sock.is_some()
                && (self.proto == proto || (self.proto == PROTO_ANY && proto == PROTO_IPV4));
            if !keep {
                match create(proto) {
                    Ok((s, v6, p)) => {
                        self.drop_socket();
                        self.sock = Some(Arc::new(s));
                        self.v6 = v6;
                        self.proto = p;
                    }
                    Err(e) => {
                        last = Some(from_io(Op::Create, &e));
                        continue;
                    }
                }
            }
            let Some(sa) = addr.socket_addr(port, self.v6) else {
                continue;
            };
            let sock = self.sock.as_ref().expect("socket present");
            match sock.connect(&SockAddr::from(sa)) {
                Ok(()) => {
                    self.fetch_local();
                    self.peer = HostAddr {
                        ip: addr.ip,
                        scope: addr.scope.clone(),
                    };
                    self.peer_port = port;
                    self.reset_notify();
                    self.set_state(state::CONNECTED, ev);
                    ev.push(Event::Connected);
                    return true;
                }
                Err(e) => last = Some(from_io(Op::Connect, &e)),
            }
        }
        self.drop_socket();
        self.set_state(state::UNCONNECTED, ev);
        self.fail(last.unwrap_or_else(QtError::unknown), ev);
        false
    }

    /// Local address and port from getsockname, in Qt's terms: `::` on a
    /// dual-stack socket is `Any`.
    pub fn fetch_local(&mut self) {
        let Some(sock) = &self.sock else { return };
        if let Some(sa) = sock.local_addr().ok().and_then(|a| a.as_socket()) {
            self.local_port = sa.port();
            self.local = match sa.ip() {
                IpAddr::V6(a) if a == Ipv6Addr::UNSPECIFIED && self.proto == PROTO_ANY => Ip::Any.into(),
                _ => HostAddr::from_socket_addr(&sa),
            };
        }
    }

    /// QUdpSocket::writeDatagram: make and bind a dual-stack socket first if
    /// there is none (Qt's doEnsureInitialized + bind()), then sendto.
    pub fn send_to(&mut self, data: &[u8], to: &HostAddr, port: u16, ev: &mut Events) -> i64 {
        self.send_datagram(data, to, port, &Ancillary::default(), ev)
    }

    /// Qt's writeDatagram preamble (doEnsureInitialized + bind()): make a
    /// dual-stack socket if there is none and bind "Any" on an unbound one
    /// (a socket left by a failed IPv4 bind stays IPv4). A bind failure is
    /// reported but the send is still tried. False if no socket exists.
    fn ready_to_send(&mut self, ev: &mut Events) -> bool {
        if self.sock.is_none() && !self.init_layer(PROTO_ANY, ev) {
            return false;
        }
        if self.state == state::UNCONNECTED {
            let any = if self.proto == PROTO_IPV4 {
                Ip::V4(std::net::Ipv4Addr::UNSPECIFIED)
            } else {
                Ip::Any
            };
            self.bind(&any.into(), 0, 0, ev);
        }
        true
    }

    /// writeDatagram(QNetworkDatagram): like `send_to`, plus the datagram's
    /// hop limit, outgoing interface and source address as control messages.
    pub fn send_datagram(
        &mut self,
        data: &[u8],
        to: &HostAddr,
        port: u16,
        anc: &Ancillary,
        ev: &mut Events,
    ) -> i64 {
        if !self.ready_to_send(ev) {
            return -1;
        }
        if port == 0 {
            // Qt leaves msg_name empty for port 0: "the connected peer", which
            // fails with EDESTADDRREQ on an unconnected socket.
            return self.send(data, ev);
        }
        let Some(dest) = self.dest_addr(to, port) else {
            self.fail(QtError::new(SocketError::Network, error::SEND_DATAGRAM), ev);
            return -1;
        };
        let sock = self.sock.as_ref().expect("socket exists after bind");
        if !anc.is_empty() {
            let r = crate::sys::send_ancillary(sock, data, Some(&dest), self.v6, anc);
            return self.sent(r, ev);
        }
        let r = crate::sys::retry(|| sock.send_to(data, &dest));
        self.sent(r, ev)
    }

    /// Send on a connected socket (QIODevice::write on UDP).
    pub fn send(&mut self, data: &[u8], ev: &mut Events) -> i64 {
        let Some(sock) = &self.sock else { return -1 };
        let r = crate::sys::retry(|| sock.send(data));
        self.sent(r, ev)
    }

    pub fn sent(&mut self, r: io::Result<usize>, ev: &mut Events) -> i64 {
        match r {
            Ok(n) => {
                ev.push(Event::BytesWritten(n as i64));
                n as i64
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.fail(QtError::new(SocketError::Temporary, error::UNABLE_TO_SEND), ev);
                -1
            }
            Err(e) => {
                self.fail(from_io(Op::Send, &e), ev);
                -1
            }
        }
    }

    /// Where to send. A null address, or an IPv6 one from an IPv4 socket, is
    /// refused (Qt would silently send to 0.0.0.0, i.e. this host).
    fn dest_addr(&self, to: &HostAddr, port: u16) -> Option<SockAddr> {
        if to.ip == Ip::Any {
            // Sending to "Any" means the unspecified address of the socket's
            // family; the kernel treats it as this host.
            let ip = if self.v6 {
                Ip::V6(Ipv6Addr::UNSPECIFIED)
            } else {
                Ip::V4(std::net::Ipv4Addr::UNSPECIFIED)
            };
            return HostAddr::from(ip).socket_addr(port, self.v6).map(SockAddr::from);
        }
        if !self.v6 && to.protocol() == PROTO_IPV6 {
            // An IPv4 socket cannot reach an IPv6 address; v4-mapped ones
            // are still IPv4 underneath.
            let v4 = to
                .v4_u32()
                .filter(|_| matches!(to.ip, Ip::V6(a) if a.to_ipv4_mapped().is_some()))?;
            return Some(SockAddr::from(SocketAddr::new(IpAddr::V4(v4.into()), port)));
        }
        to.socket_addr(port, self.v6).map(SockAddr::from)
    }

    /// Make sure the ring holds something if the kernel has it. Returns
    /// false if nothing is pending. A pending socket error (e.g. an ICMP
    /// port unreachable on a connected socket) is reported here, by
    /// whichever call meets it first.
    pub fn fill(&mut self, ev: &mut Events) -> bool {
        if !self.ring.is_empty() {
            return true;
        }
        let Some(sock) = &self.sock else { return false };
        if self.notify.filling {
            return false;
        }
        // Only a receive that drained the kernel queue clears the bit; a
        // full batch (or an error) leaves more possible.
        self.notify.may_have_data = false;
        match self.ring.fill(sock) {
            Ok(n) => {
                self.notify.may_have_data = self.ring.more;
                if n > 0 && !self.notify.pending {
                    // The datagrams left the kernel: epoll re-checks the
                    // socket before it reports an edge and would drop this
                    // one, so readyRead is asked for here (a probe such as
                    // hasPendingDatagrams() must not swallow it; Qt peeks).
                    self.request_recheck();
                }
                n > 0
            }
            Err(e) => {
                self.notify.may_have_data = true;
                self.fail(from_io(Op::Receive, &e), ev);
                false
            }
        }
    }

    /// A new socket layer (bind, adopt, connect): nothing is pending and the
    /// kernel may already hold datagrams. `emitting` belongs to a readyRead
    /// emission still on the stack and stays.
    fn reset_notify(&mut self) {
        self.notify.pending = false;
        self.notify.may_have_data = true;
    }

    /// The reactor saw a readiness edge for this socket.
    pub fn readiness_edge(&mut self) {
        self.notify.may_have_data = true;
    }

    /// Qt's canReadNotification: the loop found the socket (maybe) readable.
    /// Returns true when readyRead is to be emitted; the caller emits it
    /// and then calls `ready_read_done`.
    pub fn check_ready_read(&mut self, ev: &mut Events) -> bool {
        if !matches!(self.state, state::BOUND | state::CONNECTED) || self.notify.pending {
            return false;
        }
        if self.ring.is_empty() && !(self.notify.may_have_data && self.fill(ev)) {
            return false;
        }
        self.begin_ready_read(ev)
    }

    /// Data is there: mark it pending and emit unless an emission is running.
    fn begin_ready_read(&mut self, ev: &mut Events) -> bool {
        self.notify.pending = true;
        if self.notify.emitting {
            return false;
        }
        self.notify.emitting = true;
        ev.push(Event::ReadyRead);
        true
    }

    /// The readyRead emission started by `check_ready_read` returned.
    pub fn ready_read_done(&mut self) {
        self.notify.emitting = false;
    }

    /// waitForReadyRead found the socket readable (`try_kernel`), or wants
    /// to know whether the ring holds data: None if nothing is pending,
    /// else Some(emit readyRead), as Qt's canReadNotification answers.
    pub fn ready_for_wait(&mut self, try_kernel: bool, ev: &mut Events) -> Option<bool> {
        if self.ring.is_empty() && !(try_kernel && self.fill(ev)) {
            return None;
        }
        if self.notify.pending {
            return Some(false);
        }
        Some(self.begin_ready_read(ev))
    }

    /// Qt's readDatagram: the next datagram cut to `max`, or None with
    /// TemporaryError, unless the receive itself failed (an ICMP refusal
    /// stays the socket's error, as in Qt).
    pub fn read_datagram<R>(
        &mut self,
        max: usize,
        ev: &mut Events,
        f: impl FnOnce(&[u8], &Meta) -> R,
    ) -> Option<R> {
        let before = ev.len();
        let r = self.take(Some(max), ev, f);
        if r.is_none() && !ev[before..].iter().any(|e| matches!(e, Event::Error(_))) {
            self.fail(QtError::new(SocketError::Temporary, error::NO_DATAGRAM), ev);
        }
        r
    }

    /// Take the next datagram (Qt's readDatagram / receiveDatagram), with
    /// its bytes cut to `max` (`None`: all). Reading re-arms readyRead.
    pub fn take<R>(
        &mut self,
        max: Option<usize>,
        ev: &mut Events,
        f: impl FnOnce(&[u8], &Meta) -> R,
    ) -> Option<R> {
        if !self.fill(ev) {
            return None;
        }
        let bytes = self.ring.front_bytes();
        let n = max.map_or(bytes.len(), |m| m.min(bytes.len()));
        let meta = self.ring.front().expect("ring not empty");
        let drops = meta.info.drops;
        let out = f(&bytes[..n], meta);
        self.ring.advance();
        if let Some(d) = drops {
            self.drops = Some(d);
        }
        self.after_read();
        Some(out)
    }

    /// Take up to `max` datagrams, refilling from the kernel as needed; `f`
    /// sees each one and returns false to stop before consuming it (e.g. a
    /// caller's buffer is full). Returns how many were taken.
    pub fn take_many(
        &mut self,
        max: usize,
        ev: &mut Events,
        mut f: impl FnMut(&[u8], &Meta) -> bool,
    ) -> usize {
        let mut n = 0;
        while n < max && self.fill(ev) {
            while n < max && !self.ring.is_empty() {
                let meta = self.ring.front().expect("ring not empty");
                if !f(self.ring.front_bytes(), meta) {
                    return self.taken(n);
                }
                let m = self.ring.pop();
                if let Some(d) = m.info.drops {
                    self.drops = Some(d);
                }
                n += 1;
            }
        }
        self.taken(n)
    }

    fn taken(&mut self, n: usize) -> usize {
        if n > 0 {
            self.after_read();
        }
        n
    }

    /// A read happened: readyRead may be emitted again (Qt's readDatagram
    /// clears hasPendingData and re-enables the notifier). Have the loop look
    /// again if datagrams may remain in the ring or the kernel; otherwise the
    /// next arrival brings its own edge.
    fn after_read(&mut self) {
        self.notify.pending = false;
        if !self.ring.is_empty() || self.notify.may_have_data {
            self.request_recheck();
        }
    }

    /// Have the loop run `check_ready_read` on its next pass (queued once).
    fn request_recheck(&self) {
        if let Some(r) = &self.reg {
            r.rearm();
        }
    }

    /// Send many datagrams to one destination; returns how many went out.
    /// GSO (one sendmsg with UDP_SEGMENT) when they share one size, else
    /// sendmmsg; stops at the first error, which is recorded.
    pub fn send_many(&mut self, payloads: &[&[u8]], to: &HostAddr, port: u16, ev: &mut Events) -> i64 {
        match self.begin_send(to, port, ev) {
            Some((sock, dest, mut gso)) => {
                let r = crate::sys::send_batch(&sock, payloads, &dest, &mut gso);
                self.end_send_many(payloads, r, gso, true, ev)
            }
            None => -1,
        }
    }

    /// The first half of `send_many`: bind if needed and resolve the
    /// destination; the system call can then run without the lock (the
    /// socket handle keeps the descriptor open), with a copy of what the
    /// socket learned about GSO. None: -1, error recorded.
    pub fn begin_send(
        &mut self,
        to: &HostAddr,
        port: u16,
        ev: &mut Events,
    ) -> Option<(Arc<Socket>, SockAddr, crate::sys::GsoState)> {
        if !self.ready_to_send(ev) {
            return None;
        }
        let Some(dest) = self.dest_addr(to, port) else {
            self.fail(QtError::new(SocketError::Network, error::SEND_DATAGRAM), ev);
            return None;
        };
        Some((
            self.sock.clone().expect("socket exists after bind"),
            dest,
            self.gso,
        ))
    }

    /// The second half of `send_many`: keep what the send learned about GSO,
    /// then bytesWritten per datagram sent (`each`: false when no slot can
    /// be listening), or the error when none was.
    pub fn end_send_many(
        &mut self,
        payloads: &[&[u8]],
        (sent, err): (usize, Option<io::Error>),
        gso: crate::sys::GsoState,
        each: bool,
        ev: &mut Events,
    ) -> i64 {
        self.gso = gso;
        if each {
            for p in &payloads[..sent] {
                ev.push(Event::BytesWritten(p.len() as i64));
            }
        }
        if let Some(e) = err {
            // Recorded (error() and errorOccurred) also after a partial
            // send, whose count is still returned.
            let r = self.sent(Err(e), ev);
            if sent == 0 {
                return r;
            }
        }
        sent as i64
    }

    /// setReadBatchSize: refused while datagrams are held or a refill is
    /// under way (the ring in the lock is then a stand-in).
    pub fn set_batch_size(&mut self, slots: usize) -> bool {
        !self.notify.filling && self.ring.resize(slots)
    }

    /// Hand out what one refill needs, so that the batch calls can run the
    /// receive system call without the lock and with the GIL released
    /// (other threads' sockets and loops run meanwhile). None when the ring
    /// still holds datagrams, there is no socket, or a refill is under way.
    /// The caller must give the ring back with `end_fill`.
    pub fn begin_fill(&mut self) -> Option<(Arc<Socket>, Ring)> {
        if !self.ring.is_empty() || self.notify.filling {
            return None;
        }
        let sock = self.sock.clone()?;
        self.notify.filling = true;
        // As in `fill`: only a receive that drains the queue clears the bit;
        // an edge while the ring is out sets it again.
        self.notify.may_have_data = false;
        let slots = self.ring.slots;
        Some((sock, std::mem::replace(&mut self.ring, Ring::new(slots))))
    }

    /// Put back the ring `begin_fill` handed out, with the result of the
    /// receive. Returns true when datagrams are pending.
    pub fn end_fill(
        &mut self,
        sock: Arc<Socket>,
        mut ring: Ring,
        r: io::Result<usize>,
        ev: &mut Events,
    ) -> bool {
        self.notify.filling = false;
        // Set meanwhile only by a readiness edge or a new socket layer, whose
        // readyRead check found the ring out: have the loop look again.
        let edge = self.notify.may_have_data;
        if self.sock.as_ref().is_some_and(|s| Arc::ptr_eq(s, &sock)) {
            match r {
                Ok(_) => self.notify.may_have_data |= ring.more,
                Err(e) => {
                    self.notify.may_have_data = true;
                    self.fail(from_io(Op::Receive, &e), ev);
                }
            }
        } else {
            // Closed (or replaced) while receiving: a closed socket has no
            // pending datagrams; keep the buffer for the next socket.
            ring.clear();
        }
        self.ring = ring;
        if edge {
            if let Some(reg) = &self.reg {
                reg.rearm();
            }
        }
        !self.ring.is_empty()
    }

    /// QAbstractSocket::close / abort, with Qt's signals: aboutToClose if
    /// the device was open; then, if not unconnected, ClosingState (not after
    /// abort), UnconnectedState, readChannelFinished, and disconnected when
    /// the previous state was Connected or Closing. The error is kept.
    pub fn close(&mut self, abort: bool, ev: &mut Events) {
        if abort {
            self.abort_called = true;
        }
        if self.open_mode != 0 {
            ev.push(Event::AboutToClose);
            self.open_mode = 0;
        }
        self.disconnect(ev);
    }

    /// QAbstractSocket::disconnectFromHost: the state part of close(); the
    /// QIODevice stays open, as in Qt. A pending host lookup is forgotten.
    pub fn disconnect(&mut self, ev: &mut Events) {
        self.lookup_gen += 1;
        if self.state != state::UNCONNECTED {
            if !self.abort_called {
                self.set_state(state::CLOSING, ev);
            }
            let previous = self.state;
            self.drop_socket();
            self.set_state(state::UNCONNECTED, ev);
            ev.push(Event::ReadChannelFinished);
            if previous == state::CONNECTED || previous == state::CLOSING {
                ev.push(Event::Disconnected);
            }
        } else {
            // Qt keeps the descriptor of a failed bind until destruction;
            // qudp releases it here so close() always frees the socket.
            self.drop_socket();
        }
        self.local = HostAddr::default();
        self.local_port = 0;
        self.peer = HostAddr::default();
        self.peer_port = 0;
        self.peer_name.clear();
        self.notify.pending = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(addr: &str) -> Core {
        let mut c = Core::default();
        let mut ev = Events::new();
        assert!(c.bind(&HostAddr::parse(addr).unwrap(), 0, 0, &mut ev));
        assert_eq!(ev.to_vec(), vec![Event::State(state::BOUND)]);
        c
    }

    /// Queue `n` one-byte datagrams 0..n on `rx` and wait until they are there.
    fn queued(rx: &Core, n: u8) -> Core {
        let mut tx = Core::default();
        let mut ev = Events::new();
        for i in 0..n {
            assert_eq!(tx.send_to(&[i], &rx.local, rx.local_port, &mut ev), 1);
        }
        let fd = rx.sock.as_ref().unwrap();
        for _ in 0..1000 {
            if fd.peek_sender().is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        tx
    }

    #[test]
    fn refill_outside_the_lock_keeps_order_and_edges() {
        let mut rx = bound("127.0.0.1");
        let _tx = queued(&rx, 3);
        let mut ev = Events::new();
        let (sock, mut ring) = rx.begin_fill().expect("empty ring and a socket");
        // While the ring is out nobody else refills, so nothing can be taken
        // ahead of the batch in flight.
        assert!(rx.begin_fill().is_none());
        assert!(!rx.fill(&mut ev));
        let r = ring.fill(&sock);
        rx.readiness_edge(); // an arrival while the ring was out
        assert!(rx.end_fill(sock, ring, r, &mut ev));
        assert!(rx.notify.may_have_data, "the edge is kept");
        let mut got = Vec::new();
        rx.take_many(10, &mut ev, |b, _| {
            got.push(b[0]);
            true
        });
        assert_eq!(got, vec![0, 1, 2]);
        assert!(ev.is_empty());
    }

    #[test]
    fn refill_for_a_socket_closed_meanwhile_is_dropped() {
        let mut rx = bound("127.0.0.1");
        let _tx = queued(&rx, 2);
        let mut ev = Events::new();
        let (sock, mut ring) = rx.begin_fill().unwrap();
        let r = ring.fill(&sock);
        assert_eq!(r.as_ref().ok(), Some(&2));
        rx.close(false, &mut ev);
        assert!(!rx.end_fill(sock, ring, r, &mut ev));
        assert!(rx.ring.is_empty());
        assert!(rx.begin_fill().is_none(), "no socket, no refill");
    }

    #[test]
    fn bind_send_take_roundtrip_v4() {
        let mut rx = bound("127.0.0.1");
        let mut tx = Core::default();
        let mut ev = Events::new();
        let to = rx.local.clone();
        assert_eq!(tx.send_to(b"hello", &to, rx.local_port, &mut ev), 5);
        // Auto-bind went through BoundState (Qt's writeDatagram binds Any).
        assert_eq!(
            ev.to_vec(),
            vec![Event::State(state::BOUND), Event::BytesWritten(5)]
        );
        assert_eq!(tx.proto, PROTO_ANY);
        let mut got = None;
        for _ in 0..1000 {
            got = rx.take(Some(3), &mut ev, |b, m| (b.to_vec(), m.src, m.info.dst));
            if got.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let (bytes, src, dst) = got.expect("datagram arrives on loopback");
        assert_eq!(bytes, b"hel");
        assert_eq!(src.unwrap().port(), tx.local_port);
        assert_eq!(dst, Some("127.0.0.1".parse().unwrap()));
        // The rest of a truncated datagram is gone, as in Qt.
        assert!(rx.take(None, &mut ev, |_, _| ()).is_none());
    }

    #[test]
    fn second_bind_to_same_port_fails_with_address_in_use() {
        let a = bound("127.0.0.1");
        let mut b = Core::default();
        let mut ev = Events::new();
        assert!(!b.bind(&a.local, a.local_port, 0, &mut ev));
        assert_eq!(b.err.code, SocketError::AddressInUse);
        assert_eq!(ev.to_vec(), vec![Event::Error(SocketError::AddressInUse)]);
        assert_eq!(b.state, state::UNCONNECTED);
    }

    #[test]
    fn share_address_allows_two_binds() {
        // Qt: ShareAddress is SO_REUSEADDR on Unix; on Windows only
        // ReuseAddressHint sets it (ShareAddress alone is the default there).
        let mode = if cfg!(windows) { 0x4 } else { 0x1 };
        let mut a = Core::default();
        let mut ev = Events::new();
        let lo = HostAddr::parse("127.0.0.1").unwrap();
        assert!(a.bind(&lo, 0, mode, &mut ev));
        let mut b = Core::default();
        assert!(b.bind(&lo, a.local_port, mode, &mut ev));
    }

    #[test]
    fn close_sequence() {
        let mut c = bound("127.0.0.1");
        let mut ev = Events::new();
        c.close(false, &mut ev);
        assert_eq!(
            ev.to_vec(),
            vec![
                Event::State(state::CLOSING),
                Event::State(state::UNCONNECTED),
                Event::ReadChannelFinished,
                Event::Disconnected,
            ]
        );
        assert_eq!(c.local_port, 0);
        assert!(!c.is_valid());
    }

    #[test]
    fn abort_skips_closing_and_disconnected() {
        let mut c = bound("::1");
        let mut ev = Events::new();
        c.close(true, &mut ev);
        assert_eq!(
            ev.to_vec(),
            vec![Event::State(state::UNCONNECTED), Event::ReadChannelFinished]
        );
    }
}
