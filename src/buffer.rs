//! Bytes-like arguments without copies: `bytes` directly, anything else with
//! the buffer protocol (bytearray, memoryview, array, numpy) as long as it is
//! C-contiguous. This is why the wheel needs abi3 for 3.11+: the buffer
//! protocol joined the stable ABI in 3.11.

use pyo3::buffer::PyUntypedBuffer;
use pyo3::exceptions::{PyBufferError, PyTypeError, PyValueError};
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

/// Check that `obj` is a writable bytes-like object, before any other work.
pub fn check_writable(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<()> {
    get_buffer(obj, arg, true).map(|_| ())
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

/// Whether a buffer's struct-module format code describes native-order
/// integers of 4 or 8 bytes, the only items `sizes` arrays may hold: a float
/// array would receive lengths as bit patterns.
fn native_int_format(format: &[u8]) -> bool {
    let (order, code) = match format {
        [c] => (b'@', *c),
        [o, c] => (*o, *c),
        _ => return false,
    };
    let native_order = match order {
        b'@' | b'=' => true,
        b'<' => cfg!(target_endian = "little"),
        b'>' | b'!' => cfg!(target_endian = "big"),
        _ => false,
    };
    native_order && matches!(code, b'i' | b'I' | b'l' | b'L' | b'q' | b'Q' | b'n' | b'N')
}

/// Run `f` on two writable buffers at once: the bytes of `data` and the
/// bytes of `ints`, an array of native 4- or 8-byte integers, with the item
/// size. The two must not share memory, since `f` gets a `&mut` slice of
/// each (overlapping `&mut` slices are undefined behaviour).
pub fn with_bytes_and_ints_mut<R>(
    data: &Bound<'_, PyAny>,
    data_arg: &str,
    ints: &Bound<'_, PyAny>,
    ints_arg: &str,
    f: impl FnOnce(&mut [u8], &mut [u8], usize) -> R,
) -> PyResult<R> {
    let mut dbuf = get_buffer(data, data_arg, true)?;
    let mut ibuf = get_buffer(ints, ints_arg, true)?;
    let item = ibuf.item_size();
    let format = ibuf.format().to_bytes();
    if !native_int_format(format) || (item != 4 && item != 8) {
        return Err(PyTypeError::new_err(format!(
            "{ints_arg} must hold 4- or 8-byte integers in native byte order (e.g. numpy int32/int64, array('i'), array('q')), \
             got format {:?} with {item}-byte items",
            String::from_utf8_lossy(format)
        )));
    }
    let (d0, dn) = (dbuf.buf_ptr() as usize, dbuf.len_bytes());
    let (i0, i_n) = (ibuf.buf_ptr() as usize, ibuf.len_bytes());
    if dn > 0 && i_n > 0 && d0 < i0.saturating_add(i_n) && i0 < d0.saturating_add(dn) {
        return Err(PyValueError::new_err(format!(
            "{ints_arg} and {data_arg} must not share memory"
        )));
    }
    let out = writable(&mut dbuf);
    let lens = writable(&mut ibuf);
    Ok(f(out, lens, item))
}

#[cfg(test)]
mod tests {
    use super::native_int_format;

    #[test]
    fn only_native_integer_formats_pass() {
        for ok in ["i", "I", "l", "L", "q", "Q", "n", "N", "@q", "=i"] {
            assert!(native_int_format(ok.as_bytes()), "{ok}");
        }
        for bad in ["f", "d", "e", "B", "h", "?", "2i", "", "iq", "Zd"] {
            assert!(!native_int_format(bad.as_bytes()), "{bad}");
        }
        let (native, foreign) = if cfg!(target_endian = "little") {
            ("<q", ">q")
        } else {
            (">q", "<q")
        };
        assert!(native_int_format(native.as_bytes()));
        assert!(!native_int_format(foreign.as_bytes()));
        assert!(!native_int_format(b"!q") || cfg!(target_endian = "big"));
    }
}
