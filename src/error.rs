//! The Python side of errors: the exceptions that report misuse of the
//! Python API itself (never socket failures), and argument converters. The
//! OS-error-to-Qt mapping is the core's (`qudp_core::error`).

use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};
use pyo3::PyErr;

pub use qudp_core::error::*;

/// `ValueError`-style complaint about a Python argument, naming it.
pub fn arg_error(name: &str, msg: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("{name}: {msg}"))
}

pub fn type_error(name: &str, expected: &str, got: &str) -> PyErr {
    PyTypeError::new_err(format!("{name} must be {expected}, not {got}"))
}

/// Check a port the way Python users expect: an `OverflowError` that names
/// the argument (PySide6 raises an empty one for port 70000).
pub fn check_port(name: &str, port: i64) -> Result<u16, PyErr> {
    u16::try_from(port)
        .map_err(|_| PyOverflowError::new_err(format!("{name} must be in 0..=65535, got {port}")))
}

/// The name of `obj`'s type, for messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()
}

/// An int argument in `lo..=hi`: `TypeError` naming `name` for anything that
/// is not an int (None, float, str), `OverflowError` naming it outside the
/// range. PyO3's own conversion errors name the argument only in a note,
/// which `str(exc)` does not show. Inlined: the success path is on the
/// per-datagram path (readDatagram's maxlen) and costs what PyO3's own
/// conversion costs; the messages are built out of line.
#[inline(always)]
pub fn int_in(obj: &Bound<'_, PyAny>, name: &str, lo: i64, hi: i64) -> PyResult<i64> {
    match obj.extract::<i64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(int_error(obj, name, lo, hi)),
    }
}

#[cold]
#[inline(never)]
fn int_error(obj: &Bound<'_, PyAny>, name: &str, lo: i64, hi: i64) -> PyErr {
    match obj.extract::<i64>() {
        Ok(v) => PyOverflowError::new_err(format!("{name} must be in {lo}..={hi}, got {v}")),
        Err(_) if obj.is_instance_of::<PyInt>() => PyOverflowError::new_err(format!(
            "{name} must be in {lo}..={hi}, got {}",
            obj.repr().map(|r| r.to_string()).unwrap_or_default()
        )),
        Err(_) => type_error(name, "int", &type_name(obj)),
    }
}

/// A 64-bit int argument (Qt's qint64), any sign.
#[inline]
pub fn i64_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<i64> {
    int_in(obj, name, i64::MIN, i64::MAX)
}

/// A C int argument (Qt's int).
#[inline]
pub fn i32_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<i32> {
    int_in(obj, name, i64::from(i32::MIN), i64::from(i32::MAX)).map(|v| v as i32)
}

/// A length or size: an int >= 0; a negative one is a `ValueError`.
#[inline(always)]
pub fn len_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<i64> {
    match obj.extract::<i64>() {
        Ok(v) if v >= 0 => Ok(v),
        _ => Err(len_error(obj, name)),
    }
}

#[cold]
#[inline(never)]
fn len_error(obj: &Bound<'_, PyAny>, name: &str) -> PyErr {
    match obj.extract::<i64>() {
        Ok(v) => PyValueError::new_err(format!("{name} must be >= 0, got {v}")),
        Err(_) => int_error(obj, name, i64::MIN, i64::MAX),
    }
}

/// A bool argument: True/False, or an int as C++ converts it (non-zero is
/// true); anything else is a `TypeError` naming `name`.
pub fn bool_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<bool> {
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(b.is_true());
    }
    if obj.is_instance_of::<PyInt>() {
        return obj.is_truthy();
    }
    Err(type_error(name, "bool", &type_name(obj)))
}

/// A str argument; anything else is a `TypeError` naming `name`.
pub fn str_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    obj.extract::<String>()
        .map_err(|_| type_error(name, "str", &type_name(obj)))
}

// Named converters for `#[pyo3(from_py_with = ...)]` in the loop and timer
// modules, so their messages name the argument too.
pub fn msec_arg(o: &Bound<'_, PyAny>) -> PyResult<i64> {
    i64_arg(o, "msec")
}
pub fn opt_msec_arg(o: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if o.is_none() {
        return Ok(None);
    }
    msec_arg(o).map(Some)
}
pub fn opt_maxtime_arg(o: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if o.is_none() {
        return Ok(None);
    }
    i64_arg(o, "maxtime").map(Some)
}
pub fn return_code_arg(o: &Bound<'_, PyAny>) -> PyResult<i64> {
    i32_arg(o, "returnCode").map(i64::from)
}
pub fn single_shot_arg(o: &Bound<'_, PyAny>) -> PyResult<bool> {
    bool_arg(o, "singleShot")
}
