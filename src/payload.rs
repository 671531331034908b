//! The one door for payloads: every datagram or QIODevice read that qudp
//! hands to Python is made here, so the object type (plain `bytes` today,
//! a `bytes` subclass for the Qt drop-in) is decided in one place.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// A payload object holding a copy of `data`.
#[inline]
pub fn new<'py>(py: Python<'py>, data: &[u8]) -> Bound<'py, PyBytes> {
    PyBytes::new(py, data)
}

/// The empty payload (nothing pending, or an empty read).
#[inline]
pub fn empty(py: Python<'_>) -> Bound<'_, PyBytes> {
    new(py, b"")
}
