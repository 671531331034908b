//! The reactor: one `mio::Poll` per thread that owns sockets and timers.
//!
//! `QEventLoop.exec()` / `processEvents()` and host loops (asyncio via the
//! poll descriptor) all drive it through `pass`: wait (GIL released), then
//! dispatch readable sockets, sockets whose readyRead must be re-checked
//! after a read, and due timers. Sockets and timers are held weakly, so a
//! collected object is never called back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::PyWeakrefReference;

use crate::deadlines::Deadlines;
use crate::sync::lock;

const WAKER: mio::Token = mio::Token(0);

/// What the reactor calls back: a socket or a timer, held weakly; or a
/// single-shot callable, held until it has run.
enum Target {
    /// A socket, its "queued for a re-check" flag (shared with Handle) and
    /// what to call when it is readable.
    Socket(Py<PyWeakrefReference>, Arc<AtomicBool>, OnReadable),
    /// A timer, held weakly, and what to call when it is due.
    Timer(Py<PyWeakrefReference>, OnDue),
    Call(Py<PyAny>),
}

/// Called with the live socket object on a readiness edge (`true`) or a
/// re-check after a read (`false`); returns how many callbacks ran. The
/// binding supplies it, so the reactor knows nothing of socket classes.
pub type OnReadable = fn(&Bound<'_, PyAny>, bool) -> PyResult<usize>;

/// Called with the live timer object, its id and the deadline that came due;
/// returns how many callbacks ran. Supplied by the binding.
pub type OnDue = fn(&Bound<'_, PyAny>, u64, Instant) -> PyResult<usize>;

/// Work handed to the loop thread from elsewhere (a finished host lookup).
pub type Posted = Box<dyn FnOnce(Python<'_>) -> PyResult<()> + Send>;

pub struct Shared {
    poll: Mutex<mio::Poll>,
    /// The poll descriptor, kept outside the lock: a thread holding the GIL
    /// may ask for it while another thread waits in `poll` (GIL released).
    raw_fd: i64,
    /// The thread that created this reactor: the only one that may run it.
    owner: std::thread::ThreadId,
    posted: Mutex<Vec<Posted>>,
    registry: mio::Registry,
    waker: mio::Waker,
    targets: Mutex<HashMap<u64, Target>>,
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

/// A socket's registration: removing it (close, drop) deregisters.
pub struct Handle {
    shared: Arc<Shared>,
    token: u64,
    queued: Arc<AtomicBool>,
    raw: crate::sys::Raw,
}

thread_local! {
    static CURRENT: std::cell::RefCell<Option<Arc<Shared>>> = const { std::cell::RefCell::new(None) };
}

/// This thread's reactor, made on first use.
pub fn current() -> std::io::Result<Arc<Shared>> {
    CURRENT.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(s) = c.as_ref() {
            return Ok(s.clone());
        }
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKER)?;
        let s = Arc::new(Shared {
            raw_fd: crate::sys::poll_raw(&poll),
            owner: std::thread::current().id(),
            poll: Mutex::new(poll),
            posted: Mutex::new(Vec::new()),
            registry,
            waker,
            targets: Mutex::new(HashMap::new()),
            recheck: Mutex::new(Vec::new()),
            edges: Mutex::new(Vec::new()),
            timers: Mutex::new(Deadlines::default()),
            hosted: AtomicBool::new(false),
            next_id: AtomicU64::new(1),
        });
        *c = Some(s.clone());
        Ok(s)
    })
}

fn io_err(e: std::io::Error) -> PyErr {
    pyo3::exceptions::PyOSError::new_err(e.to_string())
}

pub fn current_py() -> PyResult<Arc<Shared>> {
    current().map_err(io_err)
}

impl Handle {
    /// A read cleared the readyRead flag: look again on the next pass, in
    /// case datagrams are still pending (Qt's rule, without stalls).
    pub fn rearm(&self) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            lock(&self.shared.recheck).push(self.token);
            self.shared.nudge();
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = crate::sys::deregister(&self.shared.registry, self.raw);
        if self.queued.load(Ordering::Acquire) {
            // Without a running loop the queue is never drained: a closed
            // socket must not leave its entry behind.
            lock(&self.shared.recheck).retain(|t| *t != self.token);
        }
        let t = lock(&self.shared.targets).remove(&self.token);
        // Dropping a Py without the GIL is deferred by PyO3; fine here.
        drop(t);
    }
}

impl Shared {
    fn new_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Wake a host loop that waits on the poll descriptor.
    fn nudge(&self) {
        if self.hosted.load(Ordering::Acquire) {
            let _ = self.waker.wake();
        }
    }

    /// Run `f` on the loop thread at its next pass (from any thread).
    pub fn post(&self, f: Posted) {
        lock(&self.posted).push(f);
        let _ = self.waker.wake();
    }

    /// Wake whoever polls (quit from another thread or a signal handler).
    pub fn wake(&self) {
        let _ = self.waker.wake();
    }

    pub fn set_hosted(&self, on: bool) {
        self.hosted.store(on, Ordering::Release);
    }

    pub fn raw_fd(&self) -> i64 {
        self.raw_fd
    }

    /// Is the caller on the thread this reactor belongs to? Qt's objects
    /// have thread affinity; running or arming a reactor from elsewhere
    /// would race its owner.
    pub fn on_owner_thread(&self) -> bool {
        std::thread::current().id() == self.owner
    }

    /// Register a socket for readable events. The socket is held weakly.
    pub fn register_socket(
        self: &Arc<Self>,
        raw: crate::sys::Raw,
        weak: Py<PyWeakrefReference>,
        on_readable: OnReadable,
    ) -> std::io::Result<Handle> {
        let token = self.new_id();
        crate::sys::register(&self.registry, raw, mio::Token(token as usize))?;
        let queued = Arc::new(AtomicBool::new(false));
        lock(&self.targets).insert(token, Target::Socket(weak, queued.clone(), on_readable));
        let h = Handle {
            shared: self.clone(),
            token,
            queued,
            raw,
        };
        // Datagrams may already be queued (bound before, or adopted).
        h.rearm();
        Ok(h)
    }

    /// Schedule timer `id` (a QTimer, held weakly) at `deadline`.
    pub fn schedule_timer(&self, id: u64, weak: Py<PyWeakrefReference>, deadline: Instant, on_due: OnDue) {
        lock(&self.targets).insert(id, Target::Timer(weak, on_due));
        self.push_deadline(id, deadline);
    }

    /// Run `callable` once at `deadline` (QTimer.singleShot).
    pub fn call_at(&self, callable: Py<PyAny>, deadline: Instant) {
        let id = self.new_id();
        lock(&self.targets).insert(id, Target::Call(callable));
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

    /// How long the next wait may last: zero when work is queued, else
    /// until the earliest live timer, else `None` (no limit).
    pub fn next_timeout(&self) -> Option<Duration> {
        if !lock(&self.recheck).is_empty() || !lock(&self.posted).is_empty() || !lock(&self.edges).is_empty()
        {
            return Some(Duration::ZERO);
        }
        let next = lock(&self.timers).next();
        next.map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// One pass: wait up to `timeout` (None: until something happens), then
    /// dispatch. Returns how many callbacks ran.
    pub fn pass(&self, py: Python<'_>, timeout: Option<Duration>) -> PyResult<usize> {
        let wait = match (timeout, self.next_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let polled = py.detach(|| {
            let mut poll = lock(&self.poll);
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
        match polled {
            Ok(r) => ready.extend(r),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                if let Err(err) = py.check_signals() {
                    lock(&self.edges).extend(ready);
                    return Err(err);
                }
            }
            Err(e) => {
                lock(&self.edges).extend(ready);
                return Err(io_err(e));
            }
        }
        // A slot may raise KeyboardInterrupt or SystemExit, which ends the
        // pass: each step below hands back what it had not handled yet, so
        // the next pass does it (nothing is lost, nothing is done twice).
        let mut ran = 0;
        let mut posted = std::mem::take(&mut *lock(&self.posted)).into_iter();
        while let Some(f) = posted.next() {
            ran += 1;
            if let Err(e) = f(py) {
                let mut queue = lock(&self.posted);
                let newer = std::mem::take(&mut *queue);
                queue.extend(posted);
                queue.extend(newer);
                return Err(e);
            }
        }
        ran += self.dispatch_all(py, ready, true)?;
        let again = std::mem::take(&mut *lock(&self.recheck));
        ran += self.dispatch_all(py, again, false)?;
        ran += self.fire_timers(py)?;
        Ok(ran)
    }

    /// Dispatch socket `tokens` (readiness edges, or re-checks after a read)
    /// in order; if one fails, the rest are handed back before the error
    /// propagates, so the next pass still delivers them.
    fn dispatch_all(&self, py: Python<'_>, tokens: Vec<u64>, edge: bool) -> PyResult<usize> {
        let mut ran = 0;
        let mut rest = tokens.into_iter();
        while let Some(token) = rest.next() {
            match self.dispatch(py, token, edge) {
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
                if let Some(Target::Socket(_, queued, _)) = targets.get(&token) {
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
    fn dispatch(&self, py: Python<'_>, token: u64, edge: bool) -> PyResult<usize> {
        let (weak, on_readable) = match lock(&self.targets).get(&token) {
            Some(Target::Socket(w, queued, f)) => {
                // From here on a new read must queue a new re-check.
                queued.store(false, Ordering::Release);
                (w.clone_ref(py), *f)
            }
            _ => return Ok(0),
        };
        let Some(obj) = weak.bind(py).upgrade() else {
            self.cancel(token);
            return Ok(0);
        };
        on_readable(&obj, edge)
    }

    /// Fire the timers due now, one at a time: each stays in the queue until
    /// its turn, so a nested loop started by an earlier one (a modal dialog)
    /// still fires it, as Qt does, and a slot that raises leaves the rest
    /// for the next pass. A timer re-armed by its own slot waits a pass.
    fn fire_timers(&self, py: Python<'_>) -> PyResult<usize> {
        let now = Instant::now();
        let mark = lock(&self.timers).mark();
        let mut ran = 0;
        loop {
            let next = lock(&self.timers).take_one_due(now, mark);
            let Some((deadline, id)) = next else {
                return Ok(ran);
            };
            ran += self.fire_one(py, id, deadline)?;
        }
    }

    fn fire_one(&self, py: Python<'_>, id: u64, deadline: Instant) -> PyResult<usize> {
        let target = {
            let mut targets = lock(&self.targets);
            match targets.get(&id) {
                Some(Target::Timer(w, f)) => Some(Target::Timer(w.clone_ref(py), *f)),
                Some(Target::Call(_)) => targets.remove(&id),
                _ => None,
            }
        };
        match target {
            Some(Target::Timer(w, on_due)) => {
                if let Some(obj) = w.bind(py).upgrade() {
                    return on_due(&obj, id, deadline);
                }
                self.cancel(id);
            }
            Some(Target::Call(c)) => {
                if let Err(e) = c.bind(py).call0() {
                    if !e.is_instance_of::<pyo3::exceptions::PyException>(py) {
                        return Err(e);
                    }
                    e.print(py);
                }
                return Ok(1);
            }
            _ => {}
        }
        Ok(0)
    }
}

/// `_qudp._reactor_fd()`: the poll descriptor of this thread's reactor, for
/// host loops (asyncio's add_reader).
#[pyfunction]
fn _reactor_fd() -> PyResult<i64> {
    Ok(current_py()?.raw_fd())
}

/// `_qudp._reactor_pass()`: dispatch what is ready without waiting; returns
/// the seconds until the reactor needs a pass again (None: only when the
/// poll descriptor becomes readable).
#[pyfunction]
fn _reactor_pass(py: Python<'_>) -> PyResult<Option<f64>> {
    let r = current_py()?;
    r.pass(py, Some(Duration::ZERO))?;
    Ok(r.next_timeout().map(|d| d.as_secs_f64()))
}

/// `_qudp._reactor_timer_entries()`: entries in this thread's timer heap,
/// live or stale (a test checks that restarts do not make it grow).
#[pyfunction]
fn _reactor_timer_entries() -> PyResult<usize> {
    Ok(lock(&current_py()?.timers).entries())
}

/// `_qudp._reactor_hosted(on)`: a host loop starts or stops driving us.
#[pyfunction]
fn _reactor_hosted(on: bool) -> PyResult<()> {
    current_py()?.set_hosted(on);
    Ok(())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_reactor_fd, m)?)?;
    m.add_function(wrap_pyfunction!(_reactor_pass, m)?)?;
    m.add_function(wrap_pyfunction!(_reactor_timer_entries, m)?)?;
    m.add_function(wrap_pyfunction!(_reactor_hosted, m)?)
}
