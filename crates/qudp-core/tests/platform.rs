//! The core on a real OS, the same tests on every platform: bind modes,
//! datagrams with their destination and hop limit, readiness through the
//! reactor and timers. CI runs them on Linux and, cross-built for
//! x86_64-pc-windows-gnu, on Windows under Wine (docs/platforms.md).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use qudp_core::address::HostAddr;
use qudp_core::core::{Ancillary, Core, Event, Events};
use qudp_core::error::SocketError;
use qudp_core::reactor::{Driver, Shared};

const SHARE: i64 = 0x1;
const DONT_SHARE: i64 = 0x2;
const REUSE_HINT: i64 = 0x4;

fn addr(s: &str) -> HostAddr {
    HostAddr::parse(s).unwrap()
}

fn bound(host: &str, port: u16, mode: i64) -> Core {
    let mut c = Core::default();
    let mut ev = Events::new();
    assert!(
        c.bind(&addr(host), port, mode, &mut ev),
        "bind {host}:{port} mode {mode:#x}: {:?}",
        c.error()
    );
    c
}

/// The hop limit a receiver sees for a datagram sent with `hop`. Wine's
/// WSASendMsg drops the control data (it sends the bytes only), so under
/// Wine (CI sets QUDP_UNDER_WINE) the default TTL arrives instead; real
/// Windows applies it (docs/platforms.md).
fn sent_hop(hop: i32) -> i32 {
    if std::env::var_os("QUDP_UNDER_WINE").is_some() {
        64
    } else {
        hop
    }
}

/// The next datagram, waiting up to two seconds for it.
fn take(c: &mut Core) -> Option<(Vec<u8>, qudp_core::batch::Meta)> {
    let until = Instant::now() + Duration::from_secs(2);
    loop {
        let mut ev = Events::new();
        if let Some(r) = c.take(None, &mut ev, |b, m| (b.to_vec(), m.clone())) {
            return Some(r);
        }
        if Instant::now() > until {
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn bind_modes_as_qt_maps_them() {
    for mode in [0, SHARE, DONT_SHARE, REUSE_HINT, SHARE | REUSE_HINT] {
        let c = bound("127.0.0.1", 0, mode);
        assert_ne!(c.local_port(), 0, "mode {mode:#x}");
    }
    // Two sockets that both ask to share get the same port (Qt sets
    // SO_REUSEADDR for ShareAddress on Unix, for ReuseAddressHint on Windows).
    let a = bound("127.0.0.1", 0, SHARE | REUSE_HINT);
    let b = bound("127.0.0.1", a.local_port(), SHARE | REUSE_HINT);
    assert_eq!(a.local_port(), b.local_port());
    // ShareAddress alone: shared on Unix; on Windows it is the default
    // (not shared).
    let c = bound("127.0.0.1", 0, SHARE);
    let mut d = Core::default();
    let mut ev = Events::new();
    assert_eq!(
        d.bind(&addr("127.0.0.1"), c.local_port(), SHARE, &mut ev),
        cfg!(unix)
    );
    // A port held by a DontShareAddress socket is refused to anyone else:
    // SO_EXCLUSIVEADDRUSE on Windows, where a socket asking for
    // SO_REUSEADDR is refused with WSAEACCES (Qt: SocketAccessError); on
    // Unix nobody may share it.
    let x = bound("127.0.0.1", 0, DONT_SHARE);
    for mode in [0, SHARE, REUSE_HINT, SHARE | REUSE_HINT] {
        let mut y = Core::default();
        let mut ev = Events::new();
        assert!(
            !y.bind(&addr("127.0.0.1"), x.local_port(), mode, &mut ev),
            "mode {mode:#x}"
        );
        let want = if cfg!(windows) && mode & REUSE_HINT != 0 {
            SocketError::SocketAccess
        } else {
            SocketError::AddressInUse
        };
        assert_eq!(y.error().code, want, "mode {mode:#x}");
        assert!(ev.contains(&Event::Error(want)));
    }
}

#[test]
fn destination_and_hop_limit_v4() {
    let mut rx = bound("127.0.0.1", 0, 0);
    let mut tx = bound("127.0.0.1", 0, 0);
    let mut ev = Events::new();
    let anc = Ancillary {
        hop_limit: Some(7),
        ..Ancillary::default()
    };
    assert_eq!(
        tx.send_datagram(b"hop", rx.local(), rx.local_port(), &anc, &mut ev),
        3
    );
    assert_eq!(tx.send_to(b"plain", rx.local(), rx.local_port(), &mut ev), 5);
    let (data, meta) = take(&mut rx).expect("first datagram");
    assert_eq!(data, b"hop");
    assert_eq!(meta.src.map(|s| s.port()), Some(tx.local_port()));
    assert_eq!(meta.info.dst, Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    assert_eq!(meta.info.hop, sent_hop(7));
    assert_ne!(meta.info.ifindex, 0);
    let (data, meta) = take(&mut rx).expect("second datagram");
    assert_eq!(data, b"plain");
    assert!(meta.info.hop > 0, "default TTL reported: {}", meta.info.hop);
}

#[test]
fn destination_and_hop_limit_v6_and_dual_stack() {
    let mut probe = Core::default();
    let mut ev = Events::new();
    if !probe.bind(&addr("::1"), 0, 0, &mut ev) {
        eprintln!("no IPv6 loopback here: {:?}", probe.error());
        return;
    }
    let mut rx = probe;
    let mut tx = bound("::1", 0, 0);
    let anc = Ancillary {
        hop_limit: Some(9),
        ..Ancillary::default()
    };
    assert_eq!(
        tx.send_datagram(b"six", rx.local(), rx.local_port(), &anc, &mut ev),
        3
    );
    let (data, meta) = take(&mut rx).expect("v6 datagram");
    assert_eq!(data, b"six");
    assert_eq!(meta.info.dst, Some(IpAddr::V6(Ipv6Addr::LOCALHOST)));
    assert_eq!(meta.info.hop, sent_hop(9));
    // A dual-stack socket (Any) reports an IPv4 sender's destination too
    // (its hop limit depends on the platform, as in Qt).
    let mut any = bound("0.0.0.0", 0, 0);
    let mut dual = Core::default();
    if dual.bind(&qudp_core::address::special(4).unwrap(), 0, 0, &mut ev) {
        assert_eq!(
            any.send_datagram(b"d", &addr("127.0.0.1"), dual.local_port(), &anc, &mut ev),
            1
        );
        let (data, meta) = take(&mut dual).expect("dual-stack datagram");
        assert_eq!(data, b"d");
        let dst = meta.info.dst.expect("destination reported");
        assert!(
            dst == IpAddr::V4(Ipv4Addr::LOCALHOST) || dst == IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped()),
            "{dst}"
        );
    }
    let _ = any.take(None, &mut ev, |_, _| ());
}

/// A driver that records what the reactor delivers.
#[derive(Default)]
struct Log(Mutex<Vec<String>>);

impl Driver for Log {
    type Target = String;
    type Posted = String;
    type Error = io::Error;

    fn detach<R: Send>(&self, wait: impl FnOnce() -> R + Send) -> R {
        wait()
    }
    fn interrupted(&self) -> io::Result<()> {
        Ok(())
    }
    fn io_error(&self, e: io::Error) -> io::Error {
        e
    }
    fn share(&self, t: &String) -> String {
        t.clone()
    }
    fn readable(&self, t: String, edge: bool) -> io::Result<Option<usize>> {
        self.0
            .lock()
            .unwrap()
            .push(format!("{t} {}", if edge { "edge" } else { "recheck" }));
        Ok(Some(1))
    }
    fn due(&self, t: String, _id: u64, _deadline: Instant) -> io::Result<Option<usize>> {
        self.0.lock().unwrap().push(t);
        Ok(Some(1))
    }
    fn call(&self, t: String) -> io::Result<usize> {
        self.0.lock().unwrap().push(t);
        Ok(1)
    }
    fn run(&self, p: String) -> io::Result<()> {
        self.0.lock().unwrap().push(p);
        Ok(())
    }
}

impl Log {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    /// Run passes until `want` shows up (at most two seconds).
    fn until(&self, r: &Shared<String, String>, want: &str) -> Vec<String> {
        let until = Instant::now() + Duration::from_secs(2);
        let mut seen = Vec::new();
        while Instant::now() < until {
            r.pass(self, Some(Duration::from_millis(100))).unwrap();
            seen.extend(self.take());
            if seen.iter().any(|s| s == want) {
                return seen;
            }
        }
        panic!("no {want:?} in {seen:?}");
    }
}

#[test]
fn readiness_through_the_reactor() {
    let r = Shared::<String, String>::new().unwrap();
    let d = Log::default();
    let mut rx = bound("127.0.0.1", 0, 0);
    let tx = Arc::new(Mutex::new(bound("127.0.0.1", 0, 0)));
    let raw = rx
        .registration_wanted()
        .expect("a bound socket wants a registration");
    let h = r.register_socket(raw, "rx".into()).unwrap();
    // A new registration is re-checked once (datagrams may be queued).
    assert_eq!(d.until(&r, "rx recheck"), ["rx recheck"]);
    let (to, port) = (rx.local().clone(), rx.local_port());
    let send = |what: &[u8]| {
        let mut ev = Events::new();
        assert_eq!(
            tx.lock().unwrap().send_to(what, &to, port, &mut ev),
            what.len() as i64
        );
    };
    // Each arrival after a drain is a new edge: on Windows the reactor must
    // re-arm mio's AFD poll after every dispatch for this to hold.
    for round in 0..3 {
        send(format!("d{round}").as_bytes());
        d.until(&r, "rx edge");
        let (data, _) = take(&mut rx).expect("datagram");
        assert_eq!(data, format!("d{round}").as_bytes());
    }
    // Data left unread is reported again after the next arrival too.
    send(b"a");
    d.until(&r, "rx edge");
    send(b"b");
    d.until(&r, "rx edge");
    assert_eq!(take(&mut rx).unwrap().0, b"a");
    assert_eq!(take(&mut rx).unwrap().0, b"b");
    // A read asks for a re-check (Qt's rule); the handle queues it.
    h.rearm();
    d.until(&r, "rx recheck");
    // Deregistered: no more events for it.
    drop(h);
    send(b"after");
    r.pass(&d, Some(Duration::from_millis(200))).unwrap();
    assert_eq!(d.take(), Vec::<String>::new());
}

#[test]
fn timers_calls_and_posted_work() {
    let r = Shared::<String, String>::new().unwrap();
    let d = Log::default();
    let t0 = Instant::now();
    let id = r.timer_id();
    r.schedule_timer(id, "timer".into(), t0 + Duration::from_millis(60));
    r.call_at("call".into(), t0 + Duration::from_millis(20));
    let gone = r.timer_id();
    r.schedule_timer(gone, "cancelled".into(), t0 + Duration::from_millis(30));
    r.cancel(gone);
    let seen = d.until(&r, "timer");
    assert_eq!(seen, ["call", "timer"]);
    assert!(t0.elapsed() >= Duration::from_millis(60));
    // Posted from another thread: wakes a pass that would wait forever.
    let r2 = r.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        r2.post("posted".into());
    });
    // (On Windows a wait without limit is cut into slices, between which
    // the driver looks at signals: the pass may return empty-handed first.)
    let t0 = Instant::now();
    let mut seen = Vec::new();
    while seen.is_empty() && t0.elapsed() < Duration::from_secs(2) {
        r.pass(&d, None).unwrap();
        seen = d.take();
    }
    t.join().unwrap();
    assert_eq!(seen, ["posted"]);
    // Nothing scheduled: the next wait has no limit.
    assert_eq!(r.next_timeout(), None);
}

#[test]
fn a_waiter_thread_hands_events_to_the_owners_pass() {
    // How a host loop without a pollable descriptor (asyncio or Qt on
    // Windows) learns that the reactor needs a pass.
    let r = Shared::<String, String>::new().unwrap();
    let d = Log::default();
    let mut rx = bound("127.0.0.1", 0, 0);
    let mut tx = bound("127.0.0.1", 0, 0);
    let raw = rx.registration_wanted().unwrap();
    let _h = r.register_socket(raw, "rx".into()).unwrap();
    d.until(&r, "rx recheck");
    let r2 = r.clone();
    let waiter = std::thread::spawn(move || r2.wait_events(Some(Duration::from_secs(5))).unwrap());
    std::thread::sleep(Duration::from_millis(50));
    // A pass that may not wait goes on while the waiter holds the poll.
    let t = Instant::now();
    r.pass(&d, Some(Duration::ZERO)).unwrap();
    assert!(t.elapsed() < Duration::from_millis(500));
    let mut ev = Events::new();
    tx.send_to(b"w", rx.local(), rx.local_port(), &mut ev);
    assert!(waiter.join().unwrap(), "the waiter saw the arrival");
    // The waiter polled the edge; the owner's next pass delivers it.
    r.pass(&d, Some(Duration::ZERO)).unwrap();
    assert_eq!(d.take(), ["rx edge"]);
    assert_eq!(take(&mut rx).unwrap().0, b"w");
    // A pass that may wait takes the poll over: it wakes the waiter (which
    // may also have returned early with nothing: mio on Windows returns when
    // a re-armed AFD poll replaces the old one; the waiter just waits again).
    let r3 = r.clone();
    let waiter = std::thread::spawn(move || r3.wait_events(Some(Duration::from_secs(10))).unwrap());
    std::thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    r.pass(&d, Some(Duration::from_millis(100))).unwrap();
    waiter.join().unwrap();
    assert!(t.elapsed() < Duration::from_secs(5), "woken, not timed out");
}
