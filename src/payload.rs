//! The one door for payloads: every datagram or QIODevice read that qudp
//! hands to Python is made here, so the object type is decided in one place.
//!
//! The type is `qudp.QByteArray`, an immutable `bytes` subclass defined in
//! Python (`qudp/_bytearray.py`, rebuilt without GC by `bytearray.rs`) and
//! handed over once at import. Making an instance the documented way,
//! `bytes.__new__(QByteArray, b)`, costs a second allocation, a copy and an
//! argument tuple more than plain `bytes`: ~100 ns, measurable on the
//! readyRead path. So the door makes it the way `PyBytes_FromStringAndSize`
//! makes bytes: `PyObject_Malloc(sval + len + 1)`, `PyObject_InitVar` (which
//! takes the reference a heap type's instance holds), one copy, the NUL, and
//! the cached hash set to -1 ("not computed": any other value would be taken
//! as the hash). `PyBytesObject` is not part of the limited API, so the two
//! offsets (`ob_shash`, `ob_sval`) are measured on a fresh bytes object at
//! registration and checked (basicsize, itemsize, the hash word turning from
//! -1 into the hash), the type must have no GC and free with PyObject_Free,
//! and a probe instance must come out equal, of the type and with the right
//! hash. Failing that, the door uses the type's tp_alloc + copy (what
//! CPython's `bytes_subtype_new` does), and failing the layout check,
//! `bytes.__new__` (correct on any interpreter, just slower).

use std::sync::atomic::{AtomicPtr, AtomicU8, AtomicUsize, Ordering};

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyTuple, PyType};

/// What `new` makes (see `_set_payload_kind`).
const PLAIN: u8 = 0;
/// QByteArray as `PyBytes_FromStringAndSize` makes bytes: PyObject_Malloc,
/// PyObject_InitVar, one copy (layout checked, type without GC).
const MALLOC: u8 = 1;
/// QByteArray through `bytes.__new__(QByteArray, b)`.
const NEW: u8 = 2;
/// QByteArray through the type's tp_alloc + copy (layout checked).
const ALLOC: u8 = 3;

static KIND: AtomicU8 = AtomicU8::new(PLAIN);
static CLASS: PyOnceLock<Class> = PyOnceLock::new();
/// The MALLOC path's type and `ob_sval` offset, readable without the
/// once-lock (set before KIND becomes MALLOC; the type lives in CLASS).
static FAST_TYPE: AtomicPtr<ffi::PyTypeObject> = AtomicPtr::new(std::ptr::null_mut());
static FAST_SVAL: AtomicUsize = AtomicUsize::new(0);

/// Byte offsets inside a `PyBytesObject`, as measured on this interpreter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Layout {
    /// `ob_shash`, the cached hash (-1 = not computed).
    hash: usize,
    /// `ob_sval`, the bytes (followed by a NUL).
    sval: usize,
}

struct Class {
    ty: Py<PyType>,
    /// The class's tp_alloc; only used when `check` accepted it.
    alloc: ffi::allocfunc,
    /// `bytes`' tp_new, for the fallback.
    bytes_new: ffi::newfunc,
    /// None when the layout check failed: only the fallback is safe.
    layout: Option<Layout>,
    /// Why the check failed (for `_payload_layout`).
    why: String,
    /// The null QByteArray (`QByteArray()`), shared: it is immutable.
    null: Py<PyBytes>,
    /// The MALLOC path is available (FAST_TYPE / FAST_SVAL are set).
    malloc: bool,
}

/// The payload object for a bytes-like argument (QNetworkDatagram's data):
/// the object itself when it already is a payload (immutable, so sharing is
/// safe), else a copy made by `new`, so `data()` answers a QByteArray as Qt's.
pub fn from_arg<'py>(obj: &Bound<'py, PyAny>, arg: &str) -> PyResult<Bound<'py, PyBytes>> {
    let py = obj.py();
    if let Some(c) = CLASS.get(py) {
        if obj.get_type().is(c.ty.bind(py)) {
            return Ok(obj.cast::<PyBytes>()?.clone());
        }
    } else if let Ok(b) = obj.cast_exact::<PyBytes>() {
        return Ok(b.clone());
    }
    crate::buffer::with_bytes(obj, arg, |b| new(py, b))
}

/// A payload object holding a copy of `data`: a `qudp.QByteArray` once the
/// class is registered, plain `bytes` before (or when switched off for a
/// benchmark). Typed as `PyBytes` because it is one (a subclass).
#[inline]
pub fn new<'py>(py: Python<'py>, data: &[u8]) -> Bound<'py, PyBytes> {
    match KIND.load(Ordering::Relaxed) {
        PLAIN => PyBytes::new(py, data),
        MALLOC => {
            let (tp, sval) = (
                FAST_TYPE.load(Ordering::Relaxed),
                FAST_SVAL.load(Ordering::Relaxed),
            );
            // SAFETY: FAST_TYPE/FAST_SVAL were set from a checked layout of a
            // live, non-GC type before KIND became MALLOC (see `malloc_ok`).
            match unsafe { malloc_copy(py, tp, sval, data) } {
                Some(obj) => obj,
                None => slow(py, data, NEW),
            }
        }
        kind => slow(py, data, kind),
    }
}

#[inline(never)]
fn slow<'py>(py: Python<'py>, data: &[u8], kind: u8) -> Bound<'py, PyBytes> {
    match CLASS.get(py) {
        Some(c) => c.make(py, data, kind == ALLOC),
        None => PyBytes::new(py, data),
    }
}

/// The object `PyBytes_FromStringAndSize` would make, of type `tp`: one
/// PyObject_Malloc of `sval + len + 1` bytes (header, hash, data, NUL),
/// PyObject_InitVar (refcount, type reference, size), the hash cache -1.
/// None if the allocation failed.
///
/// # Safety
/// `tp` must be a live bytes subclass without Py_TPFLAGS_HAVE_GC whose
/// tp_free is PyObject_Free, and `sval` the offset of `ob_sval` (the hash
/// cache being the word before it), as `malloc_ok` checks.
unsafe fn malloc_copy<'py>(
    py: Python<'py>,
    tp: *mut ffi::PyTypeObject,
    sval: usize,
    data: &[u8],
) -> Option<Bound<'py, PyBytes>> {
    let len = ffi::Py_ssize_t::try_from(data.len()).ok()?;
    let size = sval.checked_add(data.len())?.checked_add(1)?;
    // SAFETY: the allocation holds size = sval + len + 1 bytes, so the copy
    // to [sval, sval + len), the NUL at sval + len and the hash word at
    // sval - 8 are inside it; PyObject_InitVar initialises the header
    // (sizeof(PyVarObject) <= sval - 8, checked by `check`). The memory is
    // freed by the type's tp_free, PyObject_Free, the matching deallocator.
    unsafe {
        let obj = ffi::PyObject_Malloc(size).cast::<ffi::PyObject>();
        if obj.is_null() {
            return None;
        }
        ffi::PyObject_InitVar(obj.cast::<ffi::PyVarObject>(), tp, len);
        let base = obj.cast::<u8>();
        std::ptr::copy_nonoverlapping(data.as_ptr(), base.add(sval), data.len());
        base.add(sval + data.len()).write(0);
        base.add(sval - std::mem::size_of::<ffi::Py_hash_t>())
            .cast::<ffi::Py_hash_t>()
            .write_unaligned(-1);
        Some(Bound::from_owned_ptr(py, obj).cast_into_unchecked())
    }
}

/// Whether `ty` qualifies for `malloc_copy`: no GC (so no GC header before
/// the object and no tracking) and freed with PyObject_Free.
fn malloc_ok(ty: &Bound<'_, PyType>) -> bool {
    let tp = ty.as_ptr().cast::<ffi::PyTypeObject>();
    // SAFETY: PyType_GetFlags / PyType_GetSlot on a live heap type.
    let (flags, free) = unsafe { (ffi::PyType_GetFlags(tp), ffi::PyType_GetSlot(tp, ffi::Py_tp_free)) };
    flags & ffi::Py_TPFLAGS_HAVE_GC == 0 && free as *const () == ffi::PyObject_Free as *const ()
}

/// The empty payload (nothing pending, or an empty read): the null
/// QByteArray, as Qt returns from `read()`, `readAll()`, `peek()`,
/// `readLine()` with nothing to read and from `QNetworkDatagram().data()`.
/// (An empty *datagram* is `new(py, b"")`: empty, not null, as in Qt.)
#[inline]
pub fn empty(py: Python<'_>) -> Bound<'_, PyBytes> {
    match (KIND.load(Ordering::Relaxed), CLASS.get(py)) {
        (PLAIN, _) | (_, None) => PyBytes::new(py, b""),
        (_, Some(c)) => c.null.bind(py).clone(),
    }
}

/// A `QByteArray` whatever the payload kind (results of QByteArray's own
/// methods and slices); plain bytes only before registration.
fn qbytearray<'py>(py: Python<'py>, data: &[u8]) -> Bound<'py, PyBytes> {
    match CLASS.get(py) {
        Some(c) => c.make(py, data, true),
        None => PyBytes::new(py, data),
    }
}

impl Class {
    /// The fastest correct way to make an instance.
    fn best(&self) -> u8 {
        match (self.malloc, self.layout) {
            (true, _) => MALLOC,
            (false, Some(_)) => ALLOC,
            (false, None) => NEW,
        }
    }

    fn make<'py>(&self, py: Python<'py>, data: &[u8], fast: bool) -> Bound<'py, PyBytes> {
        if fast {
            if let Some(layout) = self.layout {
                if let Some(obj) = self.alloc_copy(py, layout, data) {
                    return obj;
                }
            }
        }
        self.via_new(py, data).unwrap_or_else(|_| PyBytes::new(py, data))
    }

    /// tp_alloc + copy. None if the allocation failed.
    fn alloc_copy<'py>(&self, py: Python<'py>, l: Layout, data: &[u8]) -> Option<Bound<'py, PyBytes>> {
        let len = ffi::Py_ssize_t::try_from(data.len()).ok()?;
        let tp = self.ty.as_ptr().cast::<ffi::PyTypeObject>();
        // SAFETY: `alloc` is bytes' tp_alloc or PyType_GenericAlloc (checked
        // in `check`): a zeroed object of basicsize + (len + 1) * itemsize
        // bytes with type and size set; `check` proved itemsize == 1 and
        // basicsize == sval + 1, so [sval, sval + len] (data and the NUL) and
        // the hash word at `hash` < sval lie inside the allocation.
        unsafe {
            let obj = (self.alloc)(tp, len);
            if obj.is_null() {
                // MemoryError: cleared, the fallback path tries (and reports) again.
                drop(PyErr::take(py));
                return None;
            }
            let base = obj.cast::<u8>();
            std::ptr::copy_nonoverlapping(data.as_ptr(), base.add(l.sval), data.len());
            base.add(l.hash).cast::<ffi::Py_hash_t>().write_unaligned(-1);
            Some(Bound::from_owned_ptr(py, obj).cast_into_unchecked())
        }
    }

    /// `bytes.__new__(QByteArray, bytes(data))`: CPython builds the object.
    fn via_new<'py>(&self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let args = PyTuple::new(py, [PyBytes::new(py, data)])?;
        let tp = self.ty.as_ptr().cast::<ffi::PyTypeObject>();
        // SAFETY: bytes' tp_new called with a subtype of bytes and an args
        // tuple, exactly as `bytes.__new__(QByteArray, b)` does; it returns a
        // new reference or NULL with an exception set.
        let obj = unsafe {
            Bound::from_owned_ptr_or_err(py, (self.bytes_new)(tp, args.as_ptr(), std::ptr::null_mut()))?
        };
        Ok(obj.cast_into::<PyBytes>()?)
    }
}

/// Reads the word at `off` bytes into `obj`.
///
/// # Safety
/// `obj` must be a live object with at least `off + 8` bytes.
unsafe fn word_at(obj: &Bound<'_, PyAny>, off: usize) -> ffi::Py_hash_t {
    // SAFETY: the caller guarantees the range is inside the object.
    unsafe {
        obj.as_ptr()
            .cast::<u8>()
            .add(off)
            .cast::<ffi::Py_hash_t>()
            .read_unaligned()
    }
}

/// Measure `PyBytesObject`'s layout on a fresh bytes object and check that
/// `ty` can be allocated with it; Err says what did not match.
fn check(py: Python<'_>, ty: &Bound<'_, PyType>, alloc: ffi::allocfunc) -> Result<Layout, String> {
    let bytes_ty = py.get_type::<PyBytes>();
    let attr = |t: &Bound<'_, PyType>, name: &str| -> Result<usize, String> {
        t.getattr(name)
            .and_then(|v| v.extract::<usize>())
            .map_err(|e| format!("{name}: {e}"))
    };
    let basic = attr(&bytes_ty, "__basicsize__")?;
    if attr(ty, "__basicsize__")? != basic || attr(ty, "__itemsize__")? != 1 {
        return Err("the class adds instance storage (no __slots__ = ()?)".into());
    }
    // Either allocator zeroes basicsize + (n + 1) * itemsize bytes: bytes'
    // own (CPython 3.11+ `bytes_alloc`, "for subclasses that don't want to
    // use __new__": PyType_GenericAlloc, then the hash cache set to -1),
    // inherited by a type built from a spec, or PyType_GenericAlloc itself,
    // which a class statement installs.
    // SAFETY: PyType_GetSlot on the static bytes type (allowed since 3.10).
    let bytes_alloc = unsafe { ffi::PyType_GetSlot(bytes_ty.as_ptr().cast(), ffi::Py_tp_alloc) };
    let a = alloc as *const ();
    if a != ffi::PyType_GenericAlloc as *const () && a != bytes_alloc as *const () {
        return Err("tp_alloc is neither bytes' nor PyType_GenericAlloc".into());
    }
    // Long enough not to be a cached one-byte singleton: a fresh object.
    let text: &[u8] = b"qudp payload layout probe";
    let probe = PyBytes::new(py, text);
    // SAFETY: PyBytes_AsString on a bytes object returns its ob_sval, a
    // pointer into the object.
    let sval = unsafe { ffi::PyBytes_AsString(probe.as_ptr()) } as usize - probe.as_ptr() as usize;
    let head = std::mem::size_of::<ffi::PyVarObject>();
    let hash_size = std::mem::size_of::<ffi::Py_hash_t>();
    if sval + 1 != basic || sval < head + hash_size {
        return Err(format!("ob_sval at {sval}, basicsize {basic}"));
    }
    let layout = Layout {
        hash: sval - hash_size,
        sval,
    };
    // SAFETY: layout.hash + 8 == sval <= the object's size.
    let before = unsafe { word_at(probe.as_any(), layout.hash) };
    let h = probe.hash().map_err(|e| e.to_string())?;
    // SAFETY: as above.
    let after = unsafe { word_at(probe.as_any(), layout.hash) };
    if before != -1 || after != h {
        return Err(format!(
            "no hash cache before ob_sval ({before} -> {after}, hash {h})"
        ));
    }
    Ok(layout)
}

/// Called once by `qudp/__init__.py` with the QByteArray class and its null
/// instance; payloads are QByteArray from then on.
#[pyfunction]
fn _register_payload_class(py: Python<'_>, cls: Bound<'_, PyType>, null: Bound<'_, PyBytes>) -> PyResult<()> {
    if !cls.is_subclass_of::<PyBytes>()? || !null.is_exact_instance(&cls) || !null.as_bytes().is_empty() {
        return Err(PyTypeError::new_err(
            "cls must be a subclass of bytes and null an empty instance of it",
        ));
    }
    let c = CLASS.get_or_try_init(py, || -> PyResult<Class> {
        let tp = cls.as_ptr().cast::<ffi::PyTypeObject>();
        let bytes_tp = py.get_type::<PyBytes>();
        // SAFETY: PyType_GetSlot on live type objects (heap or, since 3.10,
        // static); tp_alloc and tp_new are always filled in after
        // PyType_Ready, and the pointers are those slots' function types.
        let (alloc, bytes_new) = unsafe {
            let a = ffi::PyType_GetSlot(tp, ffi::Py_tp_alloc);
            let n = ffi::PyType_GetSlot(bytes_tp.as_ptr().cast(), ffi::Py_tp_new);
            if a.is_null() || n.is_null() {
                return Err(PyTypeError::new_err("cls has no tp_alloc"));
            }
            (
                std::mem::transmute::<*mut std::ffi::c_void, ffi::allocfunc>(a),
                std::mem::transmute::<*mut std::ffi::c_void, ffi::newfunc>(n),
            )
        };
        let mut c = Class {
            ty: cls.clone().unbind(),
            alloc,
            bytes_new,
            layout: None,
            why: String::new(),
            null: null.clone().unbind(),
            malloc: false,
        };
        match check(py, &cls, alloc) {
            Err(why) => c.why = why,
            Ok(layout) => {
                // The measured layout must also give a correct object of `cls`.
                let text: &[u8] = b"qudp payload layout probe";
                let ok = c.alloc_copy(py, layout, text).is_some_and(|q| {
                    q.as_bytes() == text
                        && q.is_exact_instance(&cls)
                        && q.hash().ok() == PyBytes::new(py, text).hash().ok()
                });
                // And the malloc path, when the type qualifies.
                let tp_ptr = cls.as_ptr().cast::<ffi::PyTypeObject>();
                let fast = malloc_ok(&cls)
                    // SAFETY: malloc_ok checked the type, `check` the layout.
                    && unsafe { malloc_copy(py, tp_ptr, layout.sval, text) }.is_some_and(|q| {
                        q.as_bytes() == text
                            && q.is_exact_instance(&cls)
                            && q.hash().ok() == PyBytes::new(py, text).hash().ok()
                    });
                if ok {
                    c.layout = Some(layout);
                    if fast {
                        FAST_SVAL.store(layout.sval, Ordering::Relaxed);
                        FAST_TYPE.store(tp_ptr, Ordering::Relaxed);
                        c.malloc = true;
                    }
                } else {
                    c.why = "a probe object made with the measured layout was wrong".into();
                }
            }
        }
        Ok(c)
    })?;
    KIND.store(c.best(), Ordering::Relaxed);
    Ok(())
}

/// Benchmarks and tests: "bytes" (plain bytes), "qbytearray" (the fastest
/// correct path), or one path by name: "qbytearray-malloc",
/// "qbytearray-alloc" (tp_alloc + copy), "qbytearray-new" (`bytes.__new__`).
/// A path the layout check ruled out is refused with ValueError.
#[pyfunction]
fn _set_payload_kind(py: Python<'_>, kind: &str) -> PyResult<()> {
    let k = if kind == "bytes" {
        PLAIN
    } else {
        let c = CLASS
            .get(py)
            .ok_or_else(|| PyValueError::new_err("kind: QByteArray is not registered"))?;
        match kind {
            "qbytearray" => c.best(),
            "qbytearray-malloc" if c.malloc => MALLOC,
            "qbytearray-alloc" if c.layout.is_some() => ALLOC,
            "qbytearray-new" => NEW,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "kind must be 'bytes' or 'qbytearray[-malloc|-alloc|-new]' (one this \
                     interpreter allows), got {kind:?}"
                )))
            }
        }
    };
    KIND.store(k, Ordering::Relaxed);
    Ok(())
}

/// The current payload kind (see `_set_payload_kind`).
#[pyfunction]
fn _payload_kind() -> &'static str {
    match KIND.load(Ordering::Relaxed) {
        PLAIN => "bytes",
        MALLOC => "qbytearray-malloc",
        ALLOC => "qbytearray-alloc",
        _ => "qbytearray-new",
    }
}

/// The measured (hash, bytes) offsets, or why the fast path is off.
#[pyfunction]
fn _payload_layout(py: Python<'_>) -> PyResult<(usize, usize)> {
    match CLASS.get(py) {
        None => Err(PyRuntimeError::new_err("QByteArray is not registered")),
        Some(Class { layout: Some(l), .. }) => Ok((l.hash, l.sval)),
        Some(c) => Err(PyRuntimeError::new_err(c.why.clone())),
    }
}

/// A payload made by the door from a bytes-like object (tests, benchmarks).
#[pyfunction]
fn _payload<'py>(data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    crate::buffer::with_bytes(data, "data", |b| new(data.py(), b))
}

/// A QByteArray copy of a bytes-like object, for QByteArray's own methods.
#[pyfunction]
fn _qbytearray<'py>(data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    crate::buffer::with_bytes(data, "data", |b| qbytearray(data.py(), b))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_register_payload_class, m)?)?;
    m.add_function(wrap_pyfunction!(_set_payload_kind, m)?)?;
    m.add_function(wrap_pyfunction!(_payload_kind, m)?)?;
    m.add_function(wrap_pyfunction!(_payload_layout, m)?)?;
    m.add_function(wrap_pyfunction!(_payload, m)?)?;
    m.add_function(wrap_pyfunction!(_qbytearray, m)?)
}
