//! Bytes-like arguments without copies: `bytes` directly, anything else with
//! the buffer protocol (bytearray, memoryview, array, numpy) as long as it is
//! C-contiguous. This is why the wheel needs abi3 for 3.11+: the buffer
//! protocol joined the stable ABI in 3.11.

use pyo3::buffer::PyUntypedBuffer;
use pyo3::exceptions::{PyBufferError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()
}

fn get_buffer(obj: &Bound<'_, PyAny>, arg: &str, writable: bool) -> PyResult<PyUntypedBuffer> {
    if obj.extract::<&str>().is_ok() {
        return Err(PyTypeError::new_err(format!(
            "{arg} must be a bytes-like object, not str (encode it first)"
        )));
    }
    let what = if writable {
        "a writable bytes-like object"
    } else {
        "a bytes-like object"
    };
    let buf = PyUntypedBuffer::get(obj)
        .map_err(|_| PyTypeError::new_err(format!("{arg} must be {what}, not {}", type_name(obj))))?;
    if !buf.is_c_contiguous() {
        return Err(PyBufferError::new_err(format!("{arg} must be C-contiguous")));
    }
    if writable && buf.readonly() {
        return Err(PyTypeError::new_err(format!(
            "{arg} must be {what}, not a read-only {}",
            type_name(obj)
        )));
    }
    Ok(buf)
}

/// Run `f` on the bytes of a bytes-like `obj`, without copying them.
pub fn with_bytes<R>(obj: &Bound<'_, PyAny>, arg: &str, f: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(f(b.as_bytes()));
    }
    let buf = get_buffer(obj, arg, false)?;
    let len = buf.len_bytes();
    let slice: &[u8] = if len == 0 {
        &[]
    } else {
        // SAFETY: the buffer is C-contiguous, len_bytes long, and stays
        // exported (so its owner cannot resize it) until `buf` drops after f.
        unsafe { std::slice::from_raw_parts(buf.buf_ptr().cast::<u8>(), len) }
    };
    Ok(f(slice))
}

/// Run `f` on the bytes of a writable bytes-like `obj` (bytearray,
/// memoryview of one, numpy array), without copying.
pub fn with_bytes_mut<R>(obj: &Bound<'_, PyAny>, arg: &str, f: impl FnOnce(&mut [u8]) -> R) -> PyResult<R> {
    let mut buf = get_buffer(obj, arg, true)?;
    Ok(f(writable(&mut buf)))
}

/// The bytes of a writable, C-contiguous buffer.
fn writable(buf: &mut PyUntypedBuffer) -> &mut [u8] {
    let len = buf.len_bytes();
    if len == 0 {
        return &mut [];
    }
    // SAFETY: get_buffer checked it is writable and C-contiguous; it is
    // len_bytes long and stays exported (its owner cannot resize or free it)
    // while `buf` lives, and no other Rust reference to it exists meanwhile.
    unsafe { std::slice::from_raw_parts_mut(buf.buf_ptr().cast::<u8>(), len) }
}

/// A `bytes` object holding the contents of any bytes-like `obj`.
pub fn to_pybytes<'py>(obj: &Bound<'py, PyAny>, arg: &str) -> PyResult<Bound<'py, PyBytes>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.clone());
    }
    let py = obj.py();
    with_bytes(obj, arg, |b| PyBytes::new(py, b))
}

/// Run `f` on a writable buffer of integers (numpy int32/int64, array('i'),
/// ...): its bytes and item size (4 or 8 bytes).
pub fn with_ints_mut<R>(
    obj: &Bound<'_, PyAny>,
    arg: &str,
    f: impl FnOnce(&mut [u8], usize) -> R,
) -> PyResult<R> {
    let mut buf = get_buffer(obj, arg, true)?;
    let item = buf.item_size();
    if item != 4 && item != 8 {
        return Err(PyTypeError::new_err(format!(
            "{arg} must hold 4- or 8-byte integers (e.g. numpy int32/int64, array('q')), got {item}-byte items"
        )));
    }
    Ok(f(writable(&mut buf), item))
}
