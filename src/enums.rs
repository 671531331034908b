//! Bridge to Qt's enums, which live in Python (`qudp/enums.py`) as real
//! `enum` classes with Qt's values. Python hands the classes over once at
//! import; Rust builds members from numbers and recognises them in arguments.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyInt};

static CLASSES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

/// Called once by `qudp/__init__.py` with `{"SocketState": SocketState, ...}`.
#[pyfunction]
fn _register_enums(py: Python<'_>, classes: Bound<'_, PyDict>) -> PyResult<()> {
    // A second import (e.g. importlib.reload) keeps the first set: members
    // already handed out must stay comparable.
    let _ = CLASSES.get_or_init(py, || classes.unbind());
    Ok(())
}

fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let dict = CLASSES
        .get(py)
        .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("qudp enums not registered"))?
        .bind(py);
    dict.get_item(name)?
        .ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(name.to_owned()))
}

/// `Enum(value)`: the member of Qt enum `name` with number `value`.
pub fn member<'py>(py: Python<'py>, name: &str, value: i64) -> PyResult<Bound<'py, PyAny>> {
    class(py, name)?.call1((value,))
}

/// Whether `obj` is a member of the Qt enum `name`.
pub fn is_member(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<bool> {
    let cls = class(obj.py(), name)?;
    obj.is_instance(&cls)
}

/// The number behind an enum member or a plain int (Qt's enums are ints).
pub fn value_of(obj: &Bound<'_, PyAny>, arg: &str, name: &str) -> PyResult<i64> {
    if let Ok(v) = obj.extract::<i64>() {
        return Ok(v);
    }
    if is_member(obj, name)? {
        return obj.getattr("value")?.extract::<i64>();
    }
    Err(crate::error::type_error(
        arg,
        &format!("{name} or int"),
        &obj.get_type().name()?.to_string(),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_register_enums, m)?)
}

/// A Qt enum argument: a member of the enum class `enum_name` or its number.
/// A number that is not one of the enum's values (`valid`) is a `ValueError`
/// naming `name`, where Qt would carry the stray value on silently.
pub fn enum_arg(
    obj: &Bound<'_, PyAny>,
    name: &str,
    enum_name: &str,
    valid: impl Fn(i64) -> bool,
) -> PyResult<i64> {
    if obj.is_instance_of::<PyInt>() && obj.extract::<i64>().is_err() {
        return Err(PyValueError::new_err(format!(
            "{name} must be a {enum_name}, got {}",
            obj.repr().map(|r| r.to_string()).unwrap_or_default()
        )));
    }
    let v = value_of(obj, name, enum_name)?;
    if !valid(v) {
        return Err(PyValueError::new_err(format!(
            "{name} must be a {enum_name}, got {v}"
        )));
    }
    Ok(v)
}

/// A flag combination: only bits of `mask` may be set.
pub fn flags_arg(obj: &Bound<'_, PyAny>, name: &str, enum_name: &str, mask: i64) -> PyResult<i64> {
    enum_arg(obj, name, enum_name, |v| v >= 0 && v & !mask == 0)
}
