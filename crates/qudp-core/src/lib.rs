//! qudp's core in plain Rust: everything below the Python binding.
//!
//! Layers, each importing only from below: `sys` (plain records over the
//! OS: control messages, socket options, interfaces); `batch` (receive
//! memory) and `reactor` (+ `deadlines`: readiness and timers); `core` (the
//! socket state machine and Qt's readyRead rule), `options`, `error`,
//! `address`. The binding crate (`qudp`, the Python module) sits on top.
//! It has no Python in it, so its tests run on every platform, Windows
//! under Wine included.

pub mod address;
pub mod batch;
pub mod core;
pub mod deadlines;
pub mod error;
pub mod options;
pub mod reactor;
pub mod sync;
pub mod sys;
