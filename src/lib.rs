//! qudp: Qt's QUdpSocket for Python on a Rust core. This file only
//! registers each concept's module.

// The Python API keeps Qt's camelCase names.
#![allow(non_snake_case)]

mod address;
mod batch;
mod buffer;
mod bulk;
mod bytearray;
mod connection;
mod core;
mod datagram;
mod deadlines;
mod enums;
mod error;
mod eventloop;
mod interface;
mod iodevice;
mod iostate;
mod multicast;
mod options;
mod payload;
mod reactor;
mod signal;
mod socket;
mod sync;
mod sys;
mod timer;
mod warning;

use pyo3::prelude::*;

/// The pure-Rust core, for the criterion benchmarks in benches/ (not an
/// API: the Python module is the product).
#[doc(hidden)]
pub mod bench_api {
    pub use crate::address::HostAddr;
    pub use crate::batch::{Meta, Ring};
    pub use crate::core::{Core, Events};
    pub use crate::sys::RecvInfo;
}

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
