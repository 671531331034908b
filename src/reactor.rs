//! The reactor as Python sees it: this thread's `qudp_core::reactor`, whose
//! targets are Python objects. Sockets and timers are held weakly, so a
//! collected object is never called back; the binding supplies what to call
//! (`OnReadable`, `OnDue`), so the reactor knows nothing of socket classes.

use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::PyWeakrefReference;

/// What the reactor calls back: a socket or a timer, held weakly; or a
/// single-shot callable, held until it has run.
pub enum Target {
    Socket(Py<PyWeakrefReference>, OnReadable),
    Timer(Py<PyWeakrefReference>, OnDue),
    Call(Py<PyAny>),
}

/// Called with the live socket object on a readiness edge (`true`) or a
/// re-check after a read (`false`); returns how many callbacks ran.
pub type OnReadable = fn(&Bound<'_, PyAny>, bool) -> PyResult<usize>;

/// Called with the live timer object, its id and the deadline that came due;
/// returns how many callbacks ran.
pub type OnDue = fn(&Bound<'_, PyAny>, u64, Instant) -> PyResult<usize>;

/// Work handed to the loop thread from elsewhere (a finished host lookup).
pub type Posted = Box<dyn FnOnce(Python<'_>) -> PyResult<()> + Send>;

pub type Shared = qudp_core::reactor::Shared<Target, Posted>;

thread_local! {
    static CURRENT: std::cell::RefCell<Option<std::sync::Arc<Shared>>> = const { std::cell::RefCell::new(None) };
}

/// This thread's reactor, made on first use.
pub fn current() -> std::io::Result<std::sync::Arc<Shared>> {
    CURRENT.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(s) = c.as_ref() {
            return Ok(s.clone());
        }
        let s = Shared::new()?;
        *c = Some(s.clone());
        Ok(s)
    })
}

fn io_err(e: std::io::Error) -> PyErr {
    pyo3::exceptions::PyOSError::new_err(e.to_string())
}

pub fn current_py() -> PyResult<std::sync::Arc<Shared>> {
    current().map_err(io_err)
}

/// One pass of the reactor with the GIL held: the wait releases it.
pub struct Pass<'py>(pub Python<'py>);

impl qudp_core::reactor::Driver for Pass<'_> {
    type Target = Target;
    type Posted = Posted;
    type Error = PyErr;

    fn detach<R: Send>(&self, wait: impl FnOnce() -> R + Send) -> R {
        self.0.detach(wait)
    }

    fn interrupted(&self) -> PyResult<()> {
        self.0.check_signals()
    }

    fn io_error(&self, e: std::io::Error) -> PyErr {
        io_err(e)
    }

    fn share(&self, t: &Target) -> Target {
        match t {
            Target::Socket(w, f) => Target::Socket(w.clone_ref(self.0), *f),
            Target::Timer(w, f) => Target::Timer(w.clone_ref(self.0), *f),
            Target::Call(c) => Target::Call(c.clone_ref(self.0)),
        }
    }

    fn readable(&self, t: Target, edge: bool) -> PyResult<Option<usize>> {
        let Target::Socket(w, on_readable) = t else {
            return Ok(Some(0));
        };
        match w.bind(self.0).upgrade() {
            Some(obj) => on_readable(&obj, edge).map(Some),
            None => Ok(None),
        }
    }

    fn due(&self, t: Target, id: u64, deadline: Instant) -> PyResult<Option<usize>> {
        let Target::Timer(w, on_due) = t else {
            return Ok(Some(0));
        };
        match w.bind(self.0).upgrade() {
            Some(obj) => on_due(&obj, id, deadline).map(Some),
            None => Ok(None),
        }
    }

    fn call(&self, t: Target) -> PyResult<usize> {
        let py = self.0;
        if let Target::Call(c) = t {
            if let Err(e) = c.bind(py).call0() {
                if !e.is_instance_of::<pyo3::exceptions::PyException>(py) {
                    return Err(e);
                }
                e.print(py);
            }
            return Ok(1);
        }
        Ok(0)
    }

    fn run(&self, p: Posted) -> PyResult<()> {
        p(self.0)
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
    r.pass(&Pass(py), Some(Duration::ZERO))?;
    Ok(r.next_timeout().map(|d| d.as_secs_f64()))
}

/// `_qudp._reactor_timer_entries()`: entries in this thread's timer heap,
/// live or stale (a test checks that restarts do not make it grow).
#[pyfunction]
fn _reactor_timer_entries() -> PyResult<usize> {
    Ok(current_py()?.timer_entries())
}

/// `_qudp._reactor_hosted(on)`: a host loop starts or stops driving us.
#[pyfunction]
fn _reactor_hosted(on: bool) -> PyResult<()> {
    current_py()?.set_hosted(on);
    Ok(())
}

/// `_qudp._ReactorWaiter()`: this thread's reactor, for a waiter thread
/// of a host loop that has no descriptor to watch (Windows): `wait()`
/// blocks, GIL released, until the reactor has something for a pass;
/// `wake()` (any thread) ends a wait.
#[pyclass(module = "qudp._qudp", frozen)]
struct _ReactorWaiter {
    shared: std::sync::Arc<Shared>,
}

#[pymethods]
impl _ReactorWaiter {
    #[new]
    fn new() -> PyResult<Self> {
        Ok(_ReactorWaiter {
            shared: current_py()?,
        })
    }

    /// Wait up to `timeout` seconds (None: no limit); True if the reactor
    /// reported anything.
    #[pyo3(signature = (timeout=None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        let t = match timeout {
            Some(s) if s.is_finite() && s >= 0.0 => Some(Duration::from_secs_f64(s)),
            Some(s) => {
                return Err(crate::error::arg_error(
                    "timeout",
                    format!("must be >= 0, got {s}"),
                ))
            }
            None => None,
        };
        py.detach(|| self.shared.wait_events(t)).map_err(io_err)
    }

    fn wake(&self) {
        self.shared.wake();
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<_ReactorWaiter>()?;
    m.add_function(wrap_pyfunction!(_reactor_fd, m)?)?;
    m.add_function(wrap_pyfunction!(_reactor_pass, m)?)?;
    m.add_function(wrap_pyfunction!(_reactor_timer_entries, m)?)?;
    m.add_function(wrap_pyfunction!(_reactor_hosted, m)?)
}
