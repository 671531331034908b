//! The type object of `qudp.QByteArray`.
//!
//! QByteArray's methods are written in Python (`qudp/_bytearray.py`), but a
//! class statement always makes a garbage-collected type: every instance
//! would get a GC header, be linked into generation 0 (so a collection runs
//! every ~700 payloads), and be freed through `subtype_dealloc` and the
//! trashcan. On the readyRead path that was +120 instructions per datagram
//! (callgrind). A payload holds no references, so it needs none of that:
//! this module builds a twin of the Python class with `PyType_FromSpecWithBases`
//! and no `Py_TPFLAGS_HAVE_GC`, copies the class's attributes into it, and
//! gives it a `tp_dealloc` that frees like `bytes` does and then drops the
//! instance's reference to its (heap) type.
//!
//! The price: a cycle through the type (type -> method -> module globals ->
//! an instance -> type) is never collected. Only module-level constants do
//! that (the null QByteArray), and a type that lives as long as the
//! interpreter is what extension types do anyway.

use std::ffi::{c_void, CString};
use std::sync::OnceLock;

use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple, PyType};

/// bytes' own tp_dealloc (it calls the instance type's tp_free).
static BYTES_DEALLOC: OnceLock<usize> = OnceLock::new();

/// tp_dealloc of the twin type and of its subclasses' instances.
unsafe extern "C" fn dealloc(obj: *mut ffi::PyObject) {
    // SAFETY: CPython calls tp_dealloc with a valid object whose refcount
    // reached zero; BYTES_DEALLOC is set before the type exists (so before
    // any instance), and is bytes' tp_dealloc, which frees the object
    // through its type's tp_free and nothing else. Instances of heap types
    // own a reference to their type (PyType_GenericAlloc took it), dropped
    // after the object is gone, as the heap-type dealloc protocol requires.
    unsafe {
        let tp = ffi::Py_TYPE(obj);
        let base: ffi::destructor = std::mem::transmute::<usize, ffi::destructor>(
            *BYTES_DEALLOC.get().unwrap_or_else(|| std::process::abort()),
        );
        base(obj);
        ffi::Py_DECREF(tp.cast());
    }
}

/// Names a class statement adds that the twin must not copy: the type
/// machinery makes its own.
const SKIP: &[&str] = &[
    "__dict__",
    "__weakref__",
    "__slots__",
    "__module__",
    "__qualname__",
];

/// `_lean_bytes_subclass(cls)`: a non-GC type with `cls`'s name, bases
/// `(bytes,)` and `cls`'s attributes. `cls` must be a direct bytes subclass
/// with `__slots__ = ()`.
#[pyfunction]
fn _lean_bytes_subclass<'py>(cls: &Bound<'py, PyType>) -> PyResult<Bound<'py, PyType>> {
    let py = cls.py();
    let bytes_ty = py.get_type::<PyBytes>();
    let direct = cls.getattr("__bases__")?.cast_into::<PyTuple>()?;
    if direct.len() != 1 || !direct.get_item(0)?.is(&bytes_ty) {
        return Err(PyTypeError::new_err("cls must derive from bytes only"));
    }
    if cls.getattr("__basicsize__")?.extract::<usize>()?
        != bytes_ty.getattr("__basicsize__")?.extract::<usize>()?
    {
        return Err(PyTypeError::new_err("cls must have __slots__ = ()"));
    }
    // SAFETY: PyType_GetSlot on the static bytes type (allowed since 3.10);
    // tp_dealloc is always set after PyType_Ready.
    let bytes_dealloc = unsafe { ffi::PyType_GetSlot(bytes_ty.as_ptr().cast(), ffi::Py_tp_dealloc) };
    if bytes_dealloc.is_null() {
        return Err(PyTypeError::new_err("bytes has no tp_dealloc"));
    }
    let _ = BYTES_DEALLOC.set(bytes_dealloc as usize);
    let module: String = cls.getattr("__module__")?.extract()?;
    let qualname: String = cls.getattr("__qualname__")?.extract()?;
    // The spec's name must outlive the type: a one-time leak per call.
    let name = CString::new(format!("{module}.{qualname}"))
        .map_err(|_| PyTypeError::new_err("cls name contains NUL"))?
        .into_raw();
    let mut slots = [
        ffi::PyType_Slot {
            slot: ffi::Py_tp_dealloc,
            pfunc: dealloc as *mut c_void,
        },
        ffi::PyType_Slot::default(),
    ];
    let mut spec = ffi::PyType_Spec {
        name,
        basicsize: 0, // inherited from bytes, like itemsize
        itemsize: 0,
        flags: (ffi::Py_TPFLAGS_DEFAULT | ffi::Py_TPFLAGS_BASETYPE) as _,
        slots: slots.as_mut_ptr(),
    };
    let bases = PyTuple::new(py, [bytes_ty])?;
    // SAFETY: spec and slots are valid for the call (CPython copies what it
    // keeps, except the name, which is leaked above); bases is a tuple.
    let twin = unsafe {
        Bound::from_owned_ptr_or_err(py, ffi::PyType_FromSpecWithBases(&mut spec, bases.as_ptr()))?
    }
    .cast_into::<PyType>()?;
    let dict = cls.getattr("__dict__")?;
    let items = PyDict::new(py);
    items.call_method1("update", (dict,))?;
    for (k, v) in items.iter() {
        let key: String = k.extract()?;
        if !SKIP.contains(&key.as_str()) {
            twin.setattr(key.as_str(), v)?;
        }
    }
    twin.setattr("__module__", module)?;
    twin.setattr("__qualname__", qualname)?;
    Ok(twin)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_lean_bytes_subclass, m)?)
}
