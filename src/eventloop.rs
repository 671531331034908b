//! `QEventLoop`: `exec()` runs the thread's reactor until `quit()`/`exit()`;
//! `processEvents()` runs what is ready. Waiting always releases the GIL.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::enums;
use crate::reactor::{current_py, Shared};

/// Qt's QEventLoop::WaitForMoreEvents.
const WAIT_FOR_MORE_EVENTS: i64 = 0x04;

/// A loop runs only on the thread that created it. Qt's QEventLoop does not
/// check (PySide6 6.12 hangs, processing another thread's dispatcher); this
/// refusal follows QCoreApplication::exec's ("Must be called from the main
/// thread": a warning and -1).
const FOREIGN_EXEC: &str = "QEventLoop::exec: Must be called from the thread that created the loop";
const FOREIGN_PROCESS: &str =
    "QEventLoop::processEvents: Must be called from the thread that created the loop";

/// Qt's `QEventLoop`: delivers signals (readyRead, timeouts, ...) on this
/// thread. `exec()` waits with the GIL released (epoll/kqueue through mio)
/// and dispatches until `quit()`/`exit(code)`; `processEvents()` runs one
/// pass. A loop belongs to the thread that created it.
///
/// ```python
/// loop = QEventLoop()
/// QTimer.singleShot(1000, loop.quit)
/// loop.exec()   # 0
/// ```
#[pyclass(name = "QEventLoop", module = "qudp", subclass, frozen, weakref, dict)]
pub struct QEventLoop {
    reactor: Arc<Shared>,
    running: AtomicBool,
    exit_requested: AtomicBool,
    exit_code: AtomicI64,
}

fn flags_of(obj: Option<&Bound<'_, PyAny>>) -> PyResult<i64> {
    match obj {
        None => Ok(0),
        Some(o) if o.is_none() => Ok(0),
        Some(o) => enums::value_of(o, "flags", "ProcessEventsFlag"),
    }
}

#[pymethods]
impl QEventLoop {
    #[new]
    #[pyo3(signature = (parent=None))]
    fn py_new(parent: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let _ = parent;
        Ok(QEventLoop {
            reactor: current_py()?,
            running: AtomicBool::new(false),
            exit_requested: AtomicBool::new(false),
            exit_code: AtomicI64::new(0),
        })
    }

    /// Accepts the constructor's arguments so subclasses can call
    /// `super().__init__(parent)`.
    #[pyo3(signature = (*args, **kwargs))]
    fn __init__(&self, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, pyo3::types::PyDict>>) {
        let _ = (args, kwargs);
    }

    /// Run until `exit()`/`quit()`; returns the exit code. Signals are
    /// delivered from here. Ctrl+C raises KeyboardInterrupt out of it.
    #[pyo3(signature = (flags=None))]
    fn exec(&self, py: Python<'_>, flags: Option<&Bound<'_, PyAny>>) -> PyResult<i64> {
        let _ = flags_of(flags)?;
        if !self.reactor.on_owner_thread() {
            crate::warning::qt_warning(py, FOREIGN_EXEC);
            return Ok(-1);
        }
        if self.running.swap(true, Ordering::AcqRel) {
            crate::warning::qt_warning(py, "QEventLoop::exec: instance has already called exec()");
            return Ok(-1);
        }
        // As in Qt, an exit() before exec() does not count.
        self.exit_requested.store(false, Ordering::Release);
        let result = (|| {
            while !self.exit_requested.load(Ordering::Acquire) {
                self.reactor.pass(&crate::reactor::Pass(py), None)?;
            }
            Ok(self.exit_code.load(Ordering::Acquire))
        })();
        self.running.store(false, Ordering::Release);
        result
    }

    /// `exec` under its Qt 5 name.
    #[pyo3(signature = (flags=None))]
    fn exec_(&self, py: Python<'_>, flags: Option<&Bound<'_, PyAny>>) -> PyResult<i64> {
        self.exec(py, flags)
    }

    /// Process what is ready and return; with `maxtime` (ms), keep going
    /// until nothing is left or the time is up. With WaitForMoreEvents, wait
    /// for at least one event first. Returns True if anything ran.
    #[pyo3(signature = (flags=None, maxtime=None))]
    fn processEvents(
        &self,
        py: Python<'_>,
        flags: Option<&Bound<'_, PyAny>>,
        #[pyo3(from_py_with = crate::error::opt_maxtime_arg)] maxtime: Option<i64>,
    ) -> PyResult<bool> {
        let f = flags_of(flags)?;
        if !self.reactor.on_owner_thread() {
            crate::warning::qt_warning(py, FOREIGN_PROCESS);
            return Ok(false);
        }
        let wait_first = f & WAIT_FOR_MORE_EVENTS != 0;
        let start = Instant::now();
        let limit = maxtime.map(|m| Duration::from_millis(m.max(0) as u64));
        let mut ran = self.reactor.pass(
            &crate::reactor::Pass(py),
            if wait_first { None } else { Some(Duration::ZERO) },
        )?;
        if let Some(limit) = limit {
            let mut last = ran;
            while last > 0 && start.elapsed() < limit {
                last = self
                    .reactor
                    .pass(&crate::reactor::Pass(py), Some(Duration::ZERO))?;
                ran += last;
            }
        }
        Ok(ran > 0)
    }

    /// Tell `exec()` to return `returnCode`. Safe from other threads and
    /// from signal handlers: it wakes the waiting loop.
    #[pyo3(signature = (returnCode=0))]
    fn exit(&self, #[pyo3(from_py_with = crate::error::return_code_arg)] returnCode: i64) {
        self.exit_code.store(returnCode, Ordering::Release);
        self.exit_requested.store(true, Ordering::Release);
        self.reactor.wake();
    }

    /// Make `exec()` return 0 (Qt's quit = exit(0)); callable from any
    /// thread or a signal handler: it wakes the poll.
    fn quit(&self) {
        self.exit(0);
    }

    /// True while `exec()` runs.
    fn isRunning(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    /// Wake the loop if it is waiting.
    fn wakeUp(&self) {
        self.reactor.wake();
    }

    fn __repr__(&self) -> String {
        format!(
            "<QEventLoop {}>",
            if self.isRunning() { "running" } else { "idle" }
        )
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<QEventLoop>()
}
