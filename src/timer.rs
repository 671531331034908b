//! `QTimer`: single-shot and repeating timers on the thread's reactor, with
//! a `timeout` signal; `QTimer.singleShot(msec, callable)`.
//!
//! A timer belongs to the thread that created it, as a QObject does: from
//! any other thread, starting or stopping it is refused with Qt's warnings
//! and leaves it inactive (Qt's QTimer drops its id when QObject::startTimer
//! or killTimer refuses), so a foreign thread never arms a reactor whose
//! owner is asleep in poll with an older deadline.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::{PyTuple, PyWeakrefReference};
use pyo3::{PyTraverseError, PyVisit};

use crate::reactor::{current_py, Shared};
use crate::signal::{lock, Signal};

struct State {
    interval_ms: i64,
    single_shot: bool,
    /// Id of the live schedule; None while inactive.
    id: Option<u64>,
    deadline: Option<Instant>,
}

/// Qt's `QTimer`: emits `timeout()` after `interval()` ms, once
/// (`setSingleShot(True)`) or repeatedly, from the loop of the thread that
/// started it (a heap of deadlines in the reactor; the poll waits until the
/// earliest). `QTimer.singleShot(ms, callable)` runs a callable once.
///
/// ```python
/// t = QTimer(); t.timeout.connect(tick); t.start(100)
/// ```
#[pyclass(name = "QTimer", module = "qudp", subclass, frozen, weakref, dict)]
pub struct QTimer {
    state: Mutex<State>,
    reactor: Arc<Shared>,
    timeout: OnceLock<Py<Signal>>,
    /// True once the fields are written. The collector can traverse the
    /// object while `object_new` allocates its `__dict__`, before PyO3 has
    /// written the fields: the memory is still zeroed then, and a zeroed
    /// OnceLock reads as initialised (holding a null pointer).
    built: AtomicBool,
}

/// QObject::startTimer's and killTimer's refusals (qobject.cpp).
const START_REFUSED: &str = "QObject::startTimer: Timers cannot be started from another thread";
const KILL_REFUSED: &str = "QObject::killTimer: Timers cannot be stopped from another thread";

fn ms(v: i64) -> Duration {
    Duration::from_millis(v.max(0) as u64)
}

impl QTimer {
    /// Off the owning thread: drop the live schedule as Qt's QTimer does
    /// after a refused killTimer (warning once if it was active) and, when
    /// `starting`, warn that the start is refused. True if refused.
    fn refuse_foreign(&self, py: Python<'_>, starting: bool) -> bool {
        if self.reactor.on_owner_thread() {
            return false;
        }
        let was = {
            let mut st = lock(&self.state);
            st.deadline = None;
            st.id.take()
        };
        if let Some(id) = was {
            // Qt leaves the dispatcher's entry orphaned; cancelling it is
            // the same to the program and frees it (a Mutex, any thread).
            self.reactor.cancel(id);
            crate::warning::qt_warning(py, KILL_REFUSED);
        }
        if starting {
            crate::warning::qt_warning(py, START_REFUSED);
        }
        true
    }

    fn schedule(slf: &Bound<'_, Self>, deadline: Instant) -> PyResult<()> {
        let me = slf.get();
        if me.refuse_foreign(slf.py(), true) {
            return Ok(());
        }
        let id = me.reactor.timer_id();
        {
            let mut st = lock(&me.state);
            if let Some(old) = st.id.take() {
                me.reactor.cancel(old);
            }
            st.id = Some(id);
            st.deadline = Some(deadline);
        }
        let weak = PyWeakrefReference::new(slf.as_any())?.unbind();
        me.reactor.schedule_timer(
            id,
            crate::reactor::Target::Timer(weak, Self::due_callback),
            deadline,
        );
        Ok(())
    }

    /// Called by the reactor when schedule `id` is due.
    /// The reactor's callback (it holds timers weakly, as plain objects).
    fn due_callback(obj: &Bound<'_, PyAny>, id: u64, deadline: Instant) -> PyResult<usize> {
        Self::fire(obj.cast::<QTimer>()?, id, deadline)
    }

    fn fire(slf: &Bound<'_, Self>, id: u64, deadline: Instant) -> PyResult<usize> {
        let me = slf.get();
        let repeat = {
            let mut st = lock(&me.state);
            if st.id != Some(id) {
                return Ok(0); // stopped or restarted since
            }
            if st.single_shot {
                st.id = None;
                st.deadline = None;
                me.reactor.cancel(id);
                None
            } else {
                // Keep the cadence; after a long stall, do not burst.
                let next = deadline + ms(st.interval_ms);
                let now = Instant::now();
                Some(if next < now {
                    now + ms(st.interval_ms)
                } else {
                    next
                })
            }
        };
        if let Some(next) = repeat {
            let mut st = lock(&me.state);
            st.deadline = Some(next);
            drop(st);
            // Same id, new deadline: the reactor keeps its weak target.
            me.reactor.push_deadline(id, next);
        }
        if let Some(sig) = me.timeout.get() {
            sig.get().fire(slf.py(), &[])?;
        }
        Ok(1)
    }
}

#[pymethods]
impl QTimer {
    #[new]
    #[pyo3(signature = (parent=None))]
    fn py_new(parent: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let _ = parent;
        Ok(QTimer {
            state: Mutex::new(State {
                interval_ms: 0,
                single_shot: false,
                id: None,
                deadline: None,
            }),
            reactor: current_py()?,
            timeout: OnceLock::new(),
            built: AtomicBool::new(true),
        })
    }

    /// Accepts the constructor's arguments so subclasses can call
    /// `super().__init__(parent)`.
    #[pyo3(signature = (*args, **kwargs))]
    fn __init__(&self, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, pyo3::types::PyDict>>) {
        let _ = (args, kwargs);
    }

    /// Signal `timeout()`.
    #[getter]
    fn timeout(&self, py: Python<'_>) -> Py<Signal> {
        self.timeout
            .get_or_init(|| Py::new(py, Signal::new("timeout()", 0)).expect("allocate Signal"))
            .clone_ref(py)
    }

    /// Start (or restart) the timer, with `msec` as the new interval if given.
    #[pyo3(signature = (msec=None))]
    fn start(
        slf: &Bound<'_, Self>,
        #[pyo3(from_py_with = crate::error::opt_msec_arg)] msec: Option<i64>,
    ) -> PyResult<()> {
        let interval = {
            let mut st = lock(&slf.get().state);
            if let Some(m) = msec {
                if m < 0 {
                    return Err(pyo3::exceptions::PyValueError::new_err(format!(
                        "msec must be >= 0, got {m}"
                    )));
                }
                st.interval_ms = m;
            }
            st.interval_ms
        };
        Self::schedule(slf, Instant::now() + ms(interval))
    }

    /// Stop the timer: no timeout() until it is started again (only from
    /// the thread that started it, as Qt's killTimer).
    fn stop(&self, py: Python<'_>) {
        if self.refuse_foreign(py, false) {
            return;
        }
        let mut st = lock(&self.state);
        if let Some(id) = st.id.take() {
            self.reactor.cancel(id);
        }
        st.deadline = None;
    }

    /// Set the interval; an active timer restarts with it, as in Qt.
    fn setInterval(
        slf: &Bound<'_, Self>,
        #[pyo3(from_py_with = crate::error::msec_arg)] msec: i64,
    ) -> PyResult<()> {
        if msec < 0 {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "msec must be >= 0, got {msec}"
            )));
        }
        let active = {
            let mut st = lock(&slf.get().state);
            st.interval_ms = msec;
            st.id.is_some()
        };
        // Off the owning thread an inactive timer just takes the interval;
        // an active one is refused in schedule (kill, then start), as in Qt.
        if active {
            Self::schedule(slf, Instant::now() + ms(msec))?;
        }
        Ok(())
    }

    /// The timeout interval in milliseconds (0 by default).
    fn interval(&self) -> i64 {
        lock(&self.state).interval_ms
    }

    /// Fire once per start() (True) or repeatedly (False, the default).
    fn setSingleShot(&self, #[pyo3(from_py_with = crate::error::single_shot_arg)] singleShot: bool) {
        lock(&self.state).single_shot = singleShot;
    }

    /// True if the timer fires once per start().
    fn isSingleShot(&self) -> bool {
        lock(&self.state).single_shot
    }

    /// True while the timer is running (started and not stopped or, for a
    /// single-shot timer, not yet fired).
    fn isActive(&self) -> bool {
        lock(&self.state).id.is_some()
    }

    /// Milliseconds until the next timeout, 0 if overdue, -1 if inactive.
    fn remainingTime(&self) -> i64 {
        match lock(&self.state).deadline {
            Some(d) => d.saturating_duration_since(Instant::now()).as_millis() as i64,
            None => -1,
        }
    }

    /// An id while active, -1 otherwise (as Qt's timerId()).
    fn timerId(&self) -> i64 {
        lock(&self.state).id.map_or(-1, |i| i as i64)
    }

    /// `QTimer.singleShot(msec, callable)` or `(msec, context, callable)`:
    /// call once after `msec` on this thread's loop.
    #[staticmethod]
    #[pyo3(signature = (msec, *args))]
    fn singleShot(
        #[pyo3(from_py_with = crate::error::msec_arg)] msec: i64,
        args: &Bound<'_, PyTuple>,
    ) -> PyResult<()> {
        let callable = match args.len() {
            1 => args.get_item(0)?,
            2 => args.get_item(1)?,
            n => {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "singleShot() takes (msec, callable) or (msec, context, callable), got {} arguments",
                    n + 1
                )))
            }
        };
        let callable = match callable.cast::<Signal>() {
            Ok(sig) => sig.getattr("emit")?,
            Err(_) => callable,
        };
        if !callable.is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "callable must be callable, not {}",
                callable.get_type().name()?
            )));
        }
        if msec < 0 {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "msec must be >= 0, got {msec}"
            )));
        }
        current_py()?.call_at(
            crate::reactor::Target::Call(callable.unbind()),
            Instant::now() + ms(msec),
        );
        Ok(())
    }

    fn __repr__(&self) -> String {
        let st = lock(&self.state);
        format!(
            "<QTimer {} interval={}ms{}>",
            if st.id.is_some() { "active" } else { "inactive" },
            st.interval_ms,
            if st.single_shot { " single-shot" } else { "" }
        )
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if !self.built.load(Ordering::Acquire) {
            return Ok(());
        }
        if let Some(s) = self.timeout.get() {
            visit.call(s)?;
        }
        Ok(())
    }
}

impl Drop for QTimer {
    fn drop(&mut self) {
        if let Some(id) = lock(&self.state).id.take() {
            self.reactor.cancel(id);
        }
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<QTimer>()
}
