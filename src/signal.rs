//! Qt-style signals: `connect(slot)`, `disconnect(slot=None)`, `emit(*args)`.
//!
//! Slots run in connection order; a slot may accept fewer arguments than
//! the signal carries (PySide drops the extra ones); a bound method does not
//! keep its object alive through the connection (PySide holds the receiver
//! weakly). An exception in a slot goes to sys.excepthook (the traceback is
//! printed) and the remaining slots still run; only KeyboardInterrupt and
//! SystemExit propagate.
//!
//! No Python code (a slot, `__eq__`, `__del__`, `repr`) ever runs while the
//! slot list is locked: slots are cloned out to call or compare them, and
//! removed slots are moved out and dropped after the lock is released.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use pyo3::exceptions::{PyException, PyRuntimeWarning, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyTuple, PyWeakrefReference};
use pyo3::{PyTraverseError, PyVisit};

pub use crate::sync::lock;

enum Target {
    Callable(Py<PyAny>),
    /// A bound method, held as (weak receiver, function).
    Method {
        receiver: Py<PyWeakrefReference>,
        func: Py<PyAny>,
    },
}

impl Target {
    fn clone_ref(&self, py: Python<'_>) -> Target {
        match self {
            Target::Callable(c) => Target::Callable(c.clone_ref(py)),
            Target::Method { receiver, func } => Target::Method {
                receiver: receiver.clone_ref(py),
                func: func.clone_ref(py),
            },
        }
    }
}

struct Slot {
    id: u64,
    target: Target,
    /// Most positional arguments the slot takes (usize::MAX: any number).
    arity: usize,
}

/// One slot as seen at emission time: id, callable, weak receiver, arity.
type Snapshot = (u64, Py<PyAny>, Option<Py<PyAny>>, usize);

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A Qt signal bound to one object: `connect(slot)` (slots run in
/// connection order and may take fewer arguments than the signal carries;
/// bound methods are held weakly), `disconnect(slot=None)`, `emit(*args)`.
/// An exception in a slot is reported on stderr and the other slots run.
#[pyclass(module = "qudp", frozen, weakref)]
pub struct Signal {
    name: &'static str,
    nargs: usize,
    slots: Mutex<Vec<Slot>>,
}

/// What `connect` returns; `disconnect` accepts it.
#[pyclass(module = "qudp", frozen, name = "Connection")]
pub struct Connection {
    id: u64,
    signal: &'static str,
}

#[pymethods]
impl Connection {
    fn __repr__(&self) -> String {
        format!("<Connection {} #{}>", self.signal, self.id)
    }
}

fn positional_capacity(slot: &Bound<'_, PyAny>) -> usize {
    let py = slot.py();
    fn code_of<'py>(f: &Bound<'py, PyAny>) -> Option<Bound<'py, PyAny>> {
        f.getattr("__code__").ok()
    }
    let (code, bound) = match (slot.getattr("__func__"), slot.getattr("__self__")) {
        (Ok(f), Ok(_)) => (code_of(&f), 1usize),
        _ => (code_of(slot), 0usize),
    };
    if let Some(code) = code {
        const CO_VARARGS: i64 = 0x04;
        let flags: i64 = code.getattr("co_flags").and_then(|v| v.extract()).unwrap_or(0);
        if flags & CO_VARARGS != 0 {
            return usize::MAX;
        }
        let n: usize = code
            .getattr("co_argcount")
            .and_then(|v| v.extract())
            .unwrap_or(usize::MAX);
        return n.saturating_sub(bound);
    }
    // Other callables (partials, callable objects, builtins): ask inspect.
    let count = || -> PyResult<usize> {
        let sig = py.import("inspect")?.call_method1("signature", (slot,))?;
        let mut n = 0usize;
        for p in sig.getattr("parameters")?.call_method0("values")?.try_iter()? {
            let kind: i64 = p?.getattr("kind")?.extract()?;
            match kind {
                0 | 1 => n += 1,            // POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD
                2 => return Ok(usize::MAX), // VAR_POSITIONAL
                _ => {}
            }
        }
        Ok(n)
    };
    count().unwrap_or(usize::MAX)
}

fn make_target(slot: &Bound<'_, PyAny>) -> Target {
    let py = slot.py();
    let is_method = py
        .import("types")
        .and_then(|t| t.getattr("MethodType"))
        .and_then(|mt| slot.is_instance(&mt))
        .unwrap_or(false);
    if is_method {
        if let (Ok(recv), Ok(func)) = (slot.getattr("__self__"), slot.getattr("__func__")) {
            if let Ok(w) = PyWeakrefReference::new(&recv) {
                return Target::Method {
                    receiver: w.unbind(),
                    func: func.unbind(),
                };
            }
        }
    }
    Target::Callable(slot.clone().unbind())
}

/// Does a stored target match `slot` (as given to disconnect)?
fn matches(t: &Target, slot: &Bound<'_, PyAny>) -> bool {
    let py = slot.py();
    match t {
        Target::Callable(c) => c.bind(py).eq(slot).unwrap_or(false),
        Target::Method { receiver, func } => {
            let (Ok(s), Ok(f)) = (slot.getattr("__self__"), slot.getattr("__func__")) else {
                return false;
            };
            let alive = receiver.bind(py).upgrade();
            alive.is_some_and(|r| r.is(&s)) && func.bind(py).is(&f)
        }
    }
}

impl Signal {
    pub fn new(name: &'static str, nargs: usize) -> Self {
        Signal {
            name,
            nargs,
            slots: Mutex::new(Vec::new()),
        }
    }

    pub fn is_connected(&self) -> bool {
        !lock(&self.slots).is_empty()
    }

    /// Emit from Rust. Cheap when nothing is connected.
    pub fn fire(&self, py: Python<'_>, args: &[Bound<'_, PyAny>]) -> PyResult<()> {
        let snapshot: Vec<Snapshot> = {
            let slots = lock(&self.slots);
            if slots.is_empty() {
                return Ok(());
            }
            slots
                .iter()
                .map(|s| match &s.target {
                    Target::Callable(c) => (s.id, c.clone_ref(py), None, s.arity),
                    Target::Method { receiver, func } => (
                        s.id,
                        func.clone_ref(py),
                        Some(receiver.clone_ref(py).into_any()),
                        s.arity,
                    ),
                })
                .collect()
        };
        let mut dead = Vec::new();
        for (id, callable, receiver, arity) in snapshot {
            // A slot that disconnected a later one during this emission
            // stops it from running, as in Qt.
            if !lock(&self.slots).iter().any(|s| s.id == id) {
                continue;
            }
            let take = arity.min(args.len());
            let result = match receiver {
                None => callable.bind(py).call1(PyTuple::new(py, &args[..take])?),
                Some(w) => {
                    let Some(obj) = w.bind(py).cast::<PyWeakrefReference>()?.upgrade() else {
                        dead.push(id);
                        continue;
                    };
                    let mut full = Vec::with_capacity(take + 1);
                    full.push(obj);
                    full.extend(args[..take].iter().cloned());
                    callable.bind(py).call1(PyTuple::new(py, full)?)
                }
            };
            if let Err(e) = result {
                // Ctrl+C and sys.exit() end the loop; anything else goes to
                // sys.excepthook (PySide's behaviour) and the next slot runs.
                if !e.is_instance_of::<PyException>(py) {
                    return Err(e);
                }
                e.print(py);
            }
        }
        if !dead.is_empty() {
            // Dropped after the lock is released: a slot's destructor may
            // run Python code that connects or disconnects.
            let gone = self.take_where(|s| dead.contains(&s.id));
            drop(gone);
        }
        Ok(())
    }

    /// Remove the slots `pred` selects and hand them back, so the caller
    /// drops them (and runs their destructors) outside the lock.
    fn take_where(&self, pred: impl Fn(&Slot) -> bool) -> Vec<Slot> {
        let mut slots = lock(&self.slots);
        let (gone, kept): (Vec<Slot>, Vec<Slot>) =
            std::mem::take(&mut *slots).into_iter().partition(|s| pred(s));
        *slots = kept;
        gone
    }

    /// The connection `disconnect(slot)` removes: the most recent one whose
    /// target equals `slot` (PySide's choice). Comparing runs Python
    /// (`__eq__`), so it works on a snapshot taken under the lock and
    /// removes by id afterwards; a candidate that vanished meanwhile is
    /// skipped.
    fn take_matching(&self, py: Python<'_>, slot: &Bound<'_, PyAny>) -> Option<Slot> {
        let candidates: Vec<(u64, Target)> = lock(&self.slots)
            .iter()
            .map(|s| (s.id, s.target.clone_ref(py)))
            .collect();
        for (id, target) in candidates.iter().rev() {
            if matches(target, slot) {
                let mut gone = self.take_where(|s| s.id == *id);
                if let Some(s) = gone.pop() {
                    return Some(s);
                }
            }
        }
        None
    }
}

#[pymethods]
impl Signal {
    /// Connect `slot` (any callable, or another signal) and return a
    /// Connection that `disconnect` accepts. Connecting twice calls twice.
    #[pyo3(signature = (slot, r#type=None))]
    fn connect(&self, slot: &Bound<'_, PyAny>, r#type: Option<&Bound<'_, PyAny>>) -> PyResult<Connection> {
        let _ = r#type;
        let slot = if let Ok(sig) = slot.cast::<Signal>() {
            sig.getattr("emit")?
        } else {
            slot.clone()
        };
        if !slot.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "slot must be callable, not {}",
                slot.get_type().name()?
            )));
        }
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let arity = positional_capacity(&slot);
        let target = make_target(&slot);
        lock(&self.slots).push(Slot { id, target, arity });
        Ok(Connection {
            id,
            signal: self.name,
        })
    }

    /// Disconnect `slot` (a callable, a signal or a Connection), or every
    /// slot when called without one. Returns True if a connection was
    /// removed. As in PySide, a callable connected several times loses one
    /// connection per call, and disconnecting something that is not
    /// connected returns False with a RuntimeWarning.
    #[pyo3(signature = (slot=None))]
    fn disconnect(&self, py: Python<'_>, slot: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        // Removed slots are moved out of the lock and dropped here, after
        // it is released: their destructors may run Python code that uses
        // this signal.
        let gone: Vec<Slot> = match slot {
            None => std::mem::take(&mut *lock(&self.slots)),
            Some(s) => {
                if let Ok(c) = s.cast::<Connection>() {
                    let id = c.get().id;
                    self.take_where(|x| x.id == id)
                } else {
                    let target = s
                        .cast::<Signal>()
                        .ok()
                        .and_then(|sig| sig.getattr("emit").ok())
                        .unwrap_or_else(|| s.clone());
                    self.take_matching(py, &target).into_iter().collect()
                }
            }
        };
        let removed = !gone.is_empty();
        drop(gone);
        if !removed {
            let what = match slot {
                Some(s) => s.repr()?.to_string(),
                None => "None".to_owned(),
            };
            let msg = format!(
                "libpyside: Failed to disconnect ({what}) from signal \"{}\".",
                self.name
            );
            let cat = py.get_type::<PyRuntimeWarning>();
            PyErr::warn(py, &cat, &std::ffi::CString::new(msg)?, 1)?;
        }
        Ok(removed)
    }

    /// Call every connected slot with `args`; returns True as PySide does.
    #[pyo3(signature = (*args))]
    fn emit(&self, py: Python<'_>, args: &Bound<'_, PyTuple>) -> PyResult<bool> {
        if args.len() < self.nargs {
            return Err(PyTypeError::new_err(format!(
                "{} needs {} argument(s), {} given!",
                self.name,
                self.nargs,
                args.len()
            )));
        }
        if args.len() > self.nargs {
            return Err(PyTypeError::new_err(format!(
                "{} only accepts {} argument(s), {} given!",
                self.name,
                self.nargs,
                args.len()
            )));
        }
        let v: Vec<Bound<'_, PyAny>> = args.iter().collect();
        self.fire(py, &v)?;
        Ok(true)
    }

    fn __repr__(&self) -> String {
        format!("<Signal {} with {} slot(s)>", self.name, lock(&self.slots).len())
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        // A held lock means we are mid-update; skipping makes the collector
        // conservative (it cannot free what it did not see), never unsafe.
        if let Ok(slots) = self.slots.try_lock() {
            for s in slots.iter() {
                match &s.target {
                    Target::Callable(c) => visit.call(c)?,
                    Target::Method { receiver, func } => {
                        visit.call(receiver)?;
                        visit.call(func)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn __clear__(&self) {
        // Take the slots out first so their destructors (which may run
        // Python code) do not run under our lock.
        let taken = std::mem::take(&mut *lock(&self.slots));
        drop(taken);
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Signal>()?;
    m.add_class::<Connection>()
}
