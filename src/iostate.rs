//! The QIODevice state of a socket beyond its open mode: put-back bytes,
//! text mode, transactions and the settings Qt keeps per device. Plain
//! Rust; the QIODevice methods that use it are in `iodevice.rs`.

use std::collections::VecDeque;

/// QIODeviceBase::Text: '\r' is dropped from what is read.
pub const TEXT: i64 = 0x10;

/// Per-socket QIODevice state beyond the open mode.
#[derive(Debug, Default)]
pub struct IoState {
    /// Qt's QIODevice buffer: bytes put back by ungetChar or a rolled-back
    /// transaction, read before the next datagram.
    pub(crate) buffer: VecDeque<u8>,
    pub(crate) text: bool,
    /// Bytes read since startTransaction, to put back on rollback.
    pub(crate) transaction: Option<Vec<u8>>,
    pub(crate) read_buffer_size: i64,
    pub(crate) pause_mode: i64,
    pub(crate) protocol_tag: String,
    pub(crate) read_channel: i32,
    pub(crate) write_channel: i32,
}

impl IoState {
    /// What QIODevice::close() resets; the socket-level settings stay.
    pub fn close(&mut self) {
        self.buffer.clear();
        self.text = false;
        self.transaction = None;
    }

    /// The open-mode bits this state adds (Text).
    pub fn mode_bits(&self) -> i64 {
        if self.text {
            TEXT
        } else {
            0
        }
    }
}
