//! The reactor: one `mio::Poll` per thread that owns sockets and timers.
//!
//! `pass` waits (through the driver, which releases the GIL), then
//! dispatches readable sockets, sockets whose readyRead must be re-checked
//! after a read, and due timers. What a socket or timer *is* belongs to the
//! layer above: the reactor keeps an opaque target `T` per token and hands it
//! back to the `Driver` that runs the pass, so it knows nothing of Python.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::deadlines::Deadlines;
use crate::sync::lock;
use crate::sys;

const WAKER: mio::Token = mio::Token(0);

/// Longest single wait on Windows, where signals are checked between waits.
#[cfg(windows)]
const SIGNAL_SLICE: Duration = Duration::from_millis(100);

/// What a pass calls: supplied by the layer above for each pass.
pub trait Driver {
    /// A socket, timer or single-shot call, as the layer above holds it.
    type Target: Send;
    /// Work handed to the loop thread from elsewhere.
    type Posted: Send;
    type Error;
    /// Run the blocking wait (the binding releases the GIL around it).
    fn detach<R: Send>(&self, wait: impl FnOnce() -> R + Send) -> R;
    /// The wait was interrupted by a signal (on Windows: after every wait):
    /// Err ends the pass.
    fn interrupted(&self) -> Result<(), Self::Error>;
    fn io_error(&self, e: io::Error) -> Self::Error;
    /// A copy of a target, taken so that no lock is held while it runs.
    fn share(&self, t: &Self::Target) -> Self::Target;
    /// Socket `t` had a readiness edge (`edge`) or must be re-checked after
    /// a read. `Ok(None)`: the socket is gone; its entry is dropped.
    fn readable(&self, t: Self::Target, edge: bool) -> Result<Option<usize>, Self::Error>;
    /// Timer `t` (id `id`) came due at `deadline`. `Ok(None)`: it is gone.
    fn due(&self, t: Self::Target, id: u64, deadline: Instant) -> Result<Option<usize>, Self::Error>;
    /// A single-shot call came due (it has been removed).
    fn call(&self, t: Self::Target) -> Result<usize, Self::Error>;
    fn run(&self, p: Self::Posted) -> Result<(), Self::Error>;
}

enum Entry<T> {
    /// A socket, and its "queued for a re-check" flag (shared with Handle).
    Socket(T, Arc<AtomicBool>),
    Timer(T),
    Call(T),
}

pub struct Shared<T, P> {
    poll: Mutex<mio::Poll>,
    /// The poll descriptor, kept outside the lock: a thread holding the GIL
    /// may ask for it while another thread waits in `poll` (GIL released).
    raw_fd: i64,
    /// The thread that created this reactor: the only one that may run it.
    owner: std::thread::ThreadId,
    posted: Mutex<Vec<P>>,
    registry: mio::Registry,
    waker: mio::Waker,
    targets: Mutex<HashMap<u64, Entry<T>>>,
    /// What each registered socket needs to be re-armed and deregistered.
    sources: Mutex<HashMap<u64, sys::Source>>,
    /// Sockets whose readyRead must be re-evaluated (a read happened).
    recheck: Mutex<Vec<u64>>,
    /// Readiness edges a pass could not deliver (a slot raised
    /// KeyboardInterrupt): epoll will not report them again.
    edges: Mutex<Vec<u64>>,
    /// When each timer and single-shot call is due.
    timers: Mutex<Deadlines>,
    /// Set while a host loop (asyncio) drives this reactor: then anything
    /// that needs attention wakes the poll descriptor.
    hosted: AtomicBool,
    next_id: AtomicU64,
}

/// The part of a reactor a socket's registration needs, whatever its
/// target type: a `Handle` holds it as a trait object.
trait Links: Send + Sync {
    fn rearm(&self, token: u64);
    fn release(&self, token: u64, queued: bool);
}

/// A socket's registration: dropping it (close, drop) deregisters.
pub struct Handle {
    links: Arc<dyn Links>,
    token: u64,
    queued: Arc<AtomicBool>,
}

impl Handle {
    /// A read cleared the readyRead flag: look again on the next pass, in
    /// case datagrams are still pending (Qt's rule, without stalls).
    pub fn rearm(&self) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.links.rearm(self.token);
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.links
            .release(self.token, self.queued.load(Ordering::Acquire));
    }
}

impl<T: Send + 'static, P: Send + 'static> Links for Shared<T, P> {
    fn rearm(&self, token: u64) {
        lock(&self.recheck).push(token);
        self.nudge();
    }

    fn release(&self, token: u64, queued: bool) {
        if let Some(src) = lock(&self.sources).remove(&token) {
            let _ = sys::deregister(&self.registry, src);
        }
        if queued {
            // Without a running loop the queue is never drained: a closed
            // socket must not leave its entry behind.
            lock(&self.recheck).retain(|t| *t != token);
        }
        let t = lock(&self.targets).remove(&token);
        // Dropped outside the lock (a Python object may run code).
        drop(t);
    }
}

impl<T: Send + 'static, P: Send + 'static> Shared<T, P> {
    pub fn new() -> io::Result<Arc<Self>> {
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKER)?;
        Ok(Arc::new(Shared {
            raw_fd: sys::poll_raw(&poll),
            owner: std::thread::current().id(),
            poll: Mutex::new(poll),
            posted: Mutex::new(Vec::new()),
            registry,
            waker,
            targets: Mutex::new(HashMap::new()),
            sources: Mutex::new(HashMap::new()),
            recheck: Mutex::new(Vec::new()),
            edges: Mutex::new(Vec::new()),
            timers: Mutex::new(Deadlines::default()),
            hosted: AtomicBool::new(false),
            next_id: AtomicU64::new(1),
        }))
    }

    fn new_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Wake a host loop that waits on the poll descriptor.
    fn nudge(&self) {
        if self.hosted.load(Ordering::Acquire) {
            let _ = self.waker.wake();
        }
    }

    /// Run `p` on the loop thread at its next pass (from any thread).
    pub fn post(&self, p: P) {
        lock(&self.posted).push(p);
        let _ = self.waker.wake();
    }

    /// Wake whoever polls (quit from another thread or a signal handler).
    pub fn wake(&self) {
        let _ = self.waker.wake();
    }

    pub fn set_hosted(&self, on: bool) {
        self.hosted.store(on, Ordering::Release);
    }

    /// The poll descriptor (epoll/kqueue) a host loop can watch; -1 on
    /// Windows, where mio polls an I/O completion port.
    pub fn raw_fd(&self) -> i64 {
        self.raw_fd
    }

    /// Is the caller on the thread this reactor belongs to? Qt's objects
    /// have thread affinity; running or arming a reactor from elsewhere
    /// would race its owner.
    pub fn on_owner_thread(&self) -> bool {
        std::thread::current().id() == self.owner
    }

    /// Register socket `raw` for readable events, with its target.
    pub fn register_socket(self: &Arc<Self>, raw: sys::Raw, target: T) -> io::Result<Handle> {
        let token = self.new_id();
        let src = sys::register(&self.registry, raw, mio::Token(token as usize))?;
        lock(&self.sources).insert(token, src);
        let queued = Arc::new(AtomicBool::new(false));
        lock(&self.targets).insert(token, Entry::Socket(target, queued.clone()));
        let h = Handle {
            links: self.clone(),
            token,
            queued,
        };
        // Datagrams may already be queued (bound before, or adopted).
        h.rearm();
        Ok(h)
    }

    /// Schedule timer `id` at `deadline`.
    pub fn schedule_timer(&self, id: u64, target: T, deadline: Instant) {
        lock(&self.targets).insert(id, Entry::Timer(target));
        self.push_deadline(id, deadline);
    }

    /// Run `target` once at `deadline` (QTimer.singleShot).
    pub fn call_at(&self, target: T, deadline: Instant) {
        let id = self.new_id();
        lock(&self.targets).insert(id, Entry::Call(target));
        self.push_deadline(id, deadline);
    }

    /// (Re)schedule the timer or call `id`, whose target is registered.
    pub fn push_deadline(&self, id: u64, deadline: Instant) {
        lock(&self.timers).schedule(id, deadline);
        self.nudge();
    }

    pub fn cancel(&self, id: u64) {
        lock(&self.timers).cancel(id);
        let t = lock(&self.targets).remove(&id);
        drop(t);
    }

    pub fn timer_id(&self) -> u64 {
        self.new_id()
    }

    /// Entries in the timer heap, live or stale.
    pub fn timer_entries(&self) -> usize {
        lock(&self.timers).entries()
    }

    /// How long the next wait may last: zero when work is queued, else
    /// until the earliest live timer, else `None` (no limit).
    pub fn next_timeout(&self) -> Option<Duration> {
        if !lock(&self.recheck).is_empty() || !lock(&self.posted).is_empty() || !lock(&self.edges).is_empty()
        {
            return Some(Duration::ZERO);
        }
        let next = lock(&self.timers).earliest();
        next.map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// For a host loop that cannot watch the poll descriptor (Windows has
    /// none): block until the poll reports something, `wake`/`nudge` is
    /// called or `timeout` passes, and leave what it reported for the next
    /// pass. Returns whether anything was reported. Called on a waiter
    /// thread; the owner's passes go on meanwhile (see `pass`).
    pub fn wait_events(&self, timeout: Option<Duration>) -> io::Result<bool> {
        let mut poll = lock(&self.poll);
        let mut events = mio::Events::with_capacity(256);
        match poll.poll(&mut events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(true),
            Err(e) => return Err(e),
        }
        drop(poll);
        let any = !events.is_empty();
        let got = events
            .iter()
            .map(|e| e.token().0 as u64)
            .filter(|t| *t != WAKER.0 as u64);
        lock(&self.edges).extend(got);
        Ok(any)
    }

    /// One pass: wait up to `timeout` (None: until something happens), then
    /// dispatch. Returns how many callbacks ran.
    pub fn pass<D>(&self, d: &D, timeout: Option<Duration>) -> Result<usize, D::Error>
    where
        D: Driver<Target = T, Posted = P>,
    {
        let wait = match (timeout, self.next_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // Windows: a console Ctrl+C does not interrupt the wait for I/O
        // completions the way a signal interrupts epoll_wait, so the wait is
        // cut into slices and signals are looked at after each one.
        #[cfg(windows)]
        let wait = Some(wait.map_or(SIGNAL_SLICE, |w| w.min(SIGNAL_SLICE)));
        let polled = d.detach(|| {
            let mut poll = match self.poll.try_lock() {
                Ok(p) => p,
                Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
                // A waiter thread (`wait_events`, hosts without a pollable
                // descriptor) is in the poll and hands its events over
                // through `edges`: a pass that may not wait goes on without
                // polling; one that may, wakes the waiter and takes over.
                Err(std::sync::TryLockError::WouldBlock) if wait == Some(Duration::ZERO) => {
                    return Ok(Vec::new());
                }
                Err(std::sync::TryLockError::WouldBlock) => {
                    let _ = self.waker.wake();
                    lock(&self.poll)
                }
            };
            let mut events = mio::Events::with_capacity(256);
            poll.poll(&mut events, wait).map(|_| {
                events
                    .iter()
                    .map(|e| e.token().0 as u64)
                    .filter(|t| *t != WAKER.0 as u64)
                    .collect::<Vec<u64>>()
            })
        });
        let mut ready = std::mem::take(&mut *lock(&self.edges));
        #[cfg(windows)]
        if polled.is_ok() {
            if let Err(err) = d.interrupted() {
                lock(&self.edges).extend(ready.iter().copied().chain(polled.iter().flatten().copied()));
                return Err(err);
            }
        }
        match polled {
            Ok(r) => ready.extend(r),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                if let Err(err) = d.interrupted() {
                    lock(&self.edges).extend(ready);
                    return Err(err);
                }
            }
            Err(e) => {
                lock(&self.edges).extend(ready);
                return Err(d.io_error(e));
            }
        }
        // A slot may raise KeyboardInterrupt or SystemExit, which ends the
        // pass: each step below hands back what it had not handled yet, so
        // the next pass does it (nothing is lost, nothing is done twice).
        let mut ran = 0;
        let mut posted = std::mem::take(&mut *lock(&self.posted)).into_iter();
        while let Some(p) = posted.next() {
            ran += 1;
            if let Err(e) = d.run(p) {
                let mut queue = lock(&self.posted);
                let newer = std::mem::take(&mut *queue);
                queue.extend(posted);
                queue.extend(newer);
                return Err(e);
            }
        }
        ran += self.dispatch_all(d, ready, true)?;
        let again = std::mem::take(&mut *lock(&self.recheck));
        ran += self.dispatch_all(d, again, false)?;
        ran += self.fire_timers(d)?;
        Ok(ran)
    }

    /// Dispatch socket `tokens` (readiness edges, or re-checks after a read)
    /// in order; if one fails, the rest are handed back before the error
    /// propagates, so the next pass still delivers them.
    fn dispatch_all<D>(&self, d: &D, tokens: Vec<u64>, edge: bool) -> Result<usize, D::Error>
    where
        D: Driver<Target = T, Posted = P>,
    {
        let mut ran = 0;
        let mut rest = tokens.into_iter();
        while let Some(token) = rest.next() {
            match self.dispatch(d, token, edge) {
                Ok(n) => ran += n,
                Err(e) => {
                    self.requeue_sockets(rest, edge);
                    return Err(e);
                }
            }
        }
        Ok(ran)
    }

    /// Hand sockets back to the next pass: edges keep being edges (epoll
    /// will not report them again), re-checks go back to the re-check
    /// queue. Tokens of closed sockets are ignored.
    pub fn requeue_sockets(&self, tokens: impl IntoIterator<Item = u64>, edge: bool) {
        let targets = lock(&self.targets);
        if edge {
            let mut edges = lock(&self.edges);
            edges.extend(tokens.into_iter().filter(|t| targets.contains_key(t)));
        } else {
            let mut recheck = lock(&self.recheck);
            for token in tokens {
                if let Some(Entry::Socket(_, queued)) = targets.get(&token) {
                    if !queued.swap(true, Ordering::AcqRel) {
                        recheck.push(token);
                    }
                }
            }
        }
        drop(targets);
        self.nudge();
    }

    /// Deliver an edge (`edge`) or a re-check to socket `token`.
    fn dispatch<D>(&self, d: &D, token: u64, edge: bool) -> Result<usize, D::Error>
    where
        D: Driver<Target = T, Posted = P>,
    {
        let target = match lock(&self.targets).get(&token) {
            Some(Entry::Socket(t, queued)) => {
                // From here on a new read must queue a new re-check.
                queued.store(false, Ordering::Release);
                d.share(t)
            }
            _ => return Ok(0),
        };
        let r = d.readable(target, edge);
        if edge {
            // Arm the next edge (Windows); whatever is still queued is
            // reported again at once.
            if let Some(src) = lock(&self.sources).get_mut(&token) {
                let _ = sys::rearm(&self.registry, src, mio::Token(token as usize));
            }
        }
        match r? {
            Some(n) => Ok(n),
            None => {
                self.cancel(token);
                Ok(0)
            }
        }
    }

    /// Fire the timers due now, one at a time: each stays in the queue until
    /// its turn, so a nested loop started by an earlier one (a modal dialog)
    /// still fires it, as Qt does, and a slot that raises leaves the rest
    /// for the next pass. A timer re-armed by its own slot waits a pass.
    fn fire_timers<D>(&self, d: &D) -> Result<usize, D::Error>
    where
        D: Driver<Target = T, Posted = P>,
    {
        let now = Instant::now();
        let mark = lock(&self.timers).mark();
        let mut ran = 0;
        loop {
            let next = lock(&self.timers).take_one_due(now, mark);
            let Some((deadline, id)) = next else {
                return Ok(ran);
            };
            ran += self.fire_one(d, id, deadline)?;
        }
    }

    fn fire_one<D>(&self, d: &D, id: u64, deadline: Instant) -> Result<usize, D::Error>
    where
        D: Driver<Target = T, Posted = P>,
    {
        enum Due<T> {
            Timer(T),
            Call(T),
        }
        let due = {
            let mut targets = lock(&self.targets);
            match targets.get(&id) {
                Some(Entry::Timer(t)) => Some(Due::Timer(d.share(t))),
                Some(Entry::Call(_)) => match targets.remove(&id) {
                    Some(Entry::Call(t)) => Some(Due::Call(t)),
                    _ => None,
                },
                _ => None,
            }
        };
        match due {
            Some(Due::Timer(t)) => match d.due(t, id, deadline)? {
                Some(n) => Ok(n),
                None => {
                    self.cancel(id);
                    Ok(0)
                }
            },
            Some(Due::Call(t)) => d.call(t),
            None => Ok(0),
        }
    }
}
