//! qudp: Qt's QUdpSocket for Python on a Rust core. This file only
//! registers each concept's module.

// The Python API keeps Qt's camelCase names.
#![allow(non_snake_case)]

mod address;
mod buffer;
mod bulk;
mod bytearray;
mod connection;
mod datagram;
mod enums;
mod error;
mod eventloop;
mod interface;
mod iodevice;
mod iostate;
mod multicast;
mod payload;
mod reactor;
mod signal;
mod socket;
mod timer;
mod warning;

use pyo3::prelude::*;

// The pure-Rust layers live in the qudp-core crate; named here so that the
// binding's modules reach them as `crate::core`, `crate::sys`, ...
use qudp_core::{batch, core, options, sync, sys};

#[pymodule]
fn _qudp(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // The version lives in Cargo.toml only; pyproject.toml takes it from there.
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    enums::register(m)?;
    address::register(m)?;
    signal::register(m)?;
    datagram::register(m)?;
    socket::register(m)?;
    interface::register(m)?;
    reactor::register(m)?;
    timer::register(m)?;
    eventloop::register(m)?;
    payload::register(m)?;
    bytearray::register(m)?;
    Ok(())
}
