//! Qt's warnings (qWarning) for Python programs.

use pyo3::prelude::*;

/// Qt's warnings (qWarning) go to stderr as bare lines, as under PySide.
pub fn qt_warning(py: Python<'_>, text: &str) {
    let line = format!("{text}\n");
    let written = py
        .import("sys")
        .and_then(|sys| sys.getattr("stderr"))
        .and_then(|err| err.call_method1("write", (line,)));
    if written.is_err() {
        eprintln!("{text}");
    }
}
