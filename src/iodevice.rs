//! The QIODevice side of a UDP socket: read / readAll / readLine / peek /
//! getChar / ungetChar / putChar / skip, transactions, text mode and the
//! bookkeeping calls Qt's QIODevice and QAbstractSocket offer.
//!
//! Qt opens a connected UDP socket Unbuffered: each read takes from the
//! QIODevice buffer first (filled only by ungetChar and rolled-back
//! transactions) and then from one datagram, whose unread rest is lost.
//! readDatagram and hasPendingDatagrams never see that buffer, as in Qt.

use std::time::{Duration, Instant};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt};

use crate::core::{state, Events};
use crate::error;
use crate::signal::lock;
use crate::socket::{qt_warning, QAbstractSocket};

const READ_ONLY: i64 = 0x1;
const WRITE_ONLY: i64 = 0x2;
fn maxlen_arg(o: &Bound<'_, PyAny>) -> PyResult<i64> {
    error::len_arg(o, "maxlen")
}

fn msecs_arg(o: &Bound<'_, PyAny>) -> PyResult<i32> {
    error::i32_arg(o, "msecs")
}

/// The only channel a socket has.
fn channel_arg(o: &Bound<'_, PyAny>) -> PyResult<i32> {
    let ch = error::i32_arg(o, "channel")?;
    if ch != 0 {
        return Err(PyValueError::new_err(format!(
            "channel must be 0 (a UDP socket has one channel), got {ch}"
        )));
    }
    Ok(ch)
}

fn max_size_arg(o: &Bound<'_, PyAny>) -> PyResult<i64> {
    error::len_arg(o, "maxSize")
}

/// One byte for putChar/ungetChar: an int as C's char (-128..=255, so -1
/// is 0xff as in Qt), a bytes of length 1, or a one-character ASCII str.
fn char_arg(o: &Bound<'_, PyAny>) -> PyResult<u8> {
    if o.is_instance_of::<PyInt>() {
        let v = error::int_in(o, "c", -128, 255)?;
        return Ok(v as u8);
    }
    if let Ok(b) = o.cast::<PyBytes>() {
        if let [c] = b.as_bytes() {
            return Ok(*c);
        }
        return Err(PyValueError::new_err(format!(
            "c must be one byte, got {} bytes",
            b.as_bytes().len()
        )));
    }
    if let Ok(s) = o.extract::<String>() {
        let mut chars = s.chars();
        return match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii() => Ok(c as u8),
            _ => Err(PyValueError::new_err(format!(
                "c must be one ASCII character (or an int / a bytes of length 1), got {s:?}"
            ))),
        };
    }
    Err(PyTypeError::new_err(format!(
        "c must be int, bytes or str, not {}",
        error::type_name(o)
    )))
}

fn strip_cr(mut v: Vec<u8>, text: bool) -> Vec<u8> {
    if text {
        v.retain(|&c| c != b'\r');
    }
    v
}

impl QAbstractSocket {
    /// QIODevice's checks before a read: open, and open for reading.
    fn readable(&self, py: Python<'_>, what: &str) -> bool {
        let mode = lock(&self.core).open_mode();
        if mode == 0 {
            qt_warning(py, &format!("QIODevice::{what} (QUdpSocket): device not open"));
            return false;
        }
        if mode & READ_ONLY == 0 {
            qt_warning(py, &format!("QIODevice::{what} (QUdpSocket): WriteOnly device"));
            return false;
        }
        true
    }

    /// Record bytes handed out while a transaction runs.
    fn note_read(&self, bytes: &[u8]) {
        if let Some(t) = lock(&self.io).transaction.as_mut() {
            t.extend_from_slice(bytes);
        }
    }

    /// Up to `max` bytes from the buffer; then, if `max` is not reached,
    /// the next datagram cut to what is left (its rest is lost). Raw bytes,
    /// before text-mode filtering.
    fn take_bytes(&self, py: Python<'_>, max: usize) -> PyResult<Vec<u8>> {
        let mut out: Vec<u8> = {
            let mut io = lock(&self.io);
            let n = max.min(io.buffer.len());
            io.buffer.drain(..n).collect()
        };
        if out.len() < max {
            let left = max - out.len();
            let mut ev = Events::new();
            let got = lock(&self.core).take(Some(left), &mut ev, |b, _| b.to_vec());
            self.emit(py, ev)?;
            if let Some(b) = got {
                out.extend_from_slice(&b);
            }
        }
        self.note_read(&out);
        Ok(out)
    }

    fn text_mode(&self) -> bool {
        lock(&self.io).text
    }

    /// The next datagram's size, fetching from the kernel if needed.
    fn next_datagram_len(&self, py: Python<'_>) -> PyResult<Option<usize>> {
        let mut ev = Events::new();
        let r = {
            let mut c = lock(&self.core);
            if c.is_valid() && c.fill(&mut ev) {
                c.ring().front().map(|m| m.len)
            } else {
                None
            }
        };
        self.emit(py, ev)?;
        Ok(r)
    }
}

/// What a QIODevice read returns: the bytes, or Qt's null array when there
/// was nothing to read.
fn bytes_or_null(py: Python<'_>, data: Vec<u8>) -> Bound<'_, PyBytes> {
    if data.is_empty() {
        crate::payload::empty(py)
    } else {
        crate::payload::new(py, &data)
    }
}

#[pymethods]
impl QAbstractSocket {
    /// Read at most `maxlen` bytes: first what ungetChar put back, then the
    /// next datagram (the rest of a longer datagram is discarded, as Qt's
    /// read on a UDP socket); b"" if none. `read(0)` consumes nothing.
    fn read<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = maxlen_arg)] maxlen: i64,
    ) -> PyResult<Bound<'py, PyBytes>> {
        if maxlen == 0 || !self.readable(py, "read") {
            return Ok(crate::payload::empty(py));
        }
        let got = self.take_bytes(py, usize::try_from(maxlen).unwrap_or(usize::MAX))?;
        Ok(bytes_or_null(py, strip_cr(got, self.text_mode())))
    }

    /// Everything pending: the put-back bytes, then the pending datagrams,
    /// concatenated (Qt's readAll on UDP). Bounded, unlike Qt's loop until
    /// the kernel queue is empty: at most what the ring holds, or one batch
    /// from the kernel, so a fast sender cannot make it grow without end.
    fn readAll<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        if !self.readable(py, "read") {
            return Ok(crate::payload::empty(py));
        }
        let mut out: Vec<u8> = lock(&self.io).buffer.drain(..).collect();
        let mut ev = Events::new();
        {
            let mut c = lock(&self.core);
            if c.take(None, &mut ev, |b, _| out.extend_from_slice(b)).is_some() {
                // The rest of what that fill brought, without another refill.
                while !c.ring().is_empty() {
                    c.take(None, &mut ev, |b, _| out.extend_from_slice(b));
                }
            }
        }
        self.emit(py, ev)?;
        self.note_read(&out);
        Ok(bytes_or_null(py, strip_cr(out, self.text_mode())))
    }

    /// A line: put-back bytes up to and including a '\n', else on into the
    /// next datagram up to its first '\n' (the rest of that datagram is
    /// discarded). At most `maxlen` bytes when maxlen > 0; maxlen 1 leaves
    /// no room for a line, as in Qt (b"" and a warning). (Qt reads one byte
    /// per datagram here; see docs/semantics.md.)
    #[pyo3(signature = (maxlen=0))]
    fn readLine<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = maxlen_arg)] maxlen: i64,
    ) -> PyResult<Bound<'py, PyBytes>> {
        if maxlen == 1 {
            qt_warning(
                py,
                "QIODevice::readLineInto (QUdpSocket): Called with maxSize < 2",
            );
            return Ok(crate::payload::empty(py));
        }
        if !self.readable(py, "readLine") {
            return Ok(crate::payload::empty(py));
        }
        let limit = if maxlen > 0 {
            usize::try_from(maxlen).unwrap_or(usize::MAX)
        } else {
            usize::MAX
        };
        let mut out = Vec::new();
        {
            let mut io = lock(&self.io);
            while out.len() < limit {
                let Some(c) = io.buffer.pop_front() else { break };
                out.push(c);
                if c == b'\n' {
                    break;
                }
            }
        }
        if out.len() < limit && out.last() != Some(&b'\n') {
            let left = limit - out.len();
            let mut ev = Events::new();
            lock(&self.core).take(None, &mut ev, |b, _| {
                let end = b.iter().position(|&c| c == b'\n').map_or(b.len(), |i| i + 1);
                out.extend_from_slice(&b[..end.min(left)]);
            });
            self.emit(py, ev)?;
        }
        self.note_read(&out);
        Ok(bytes_or_null(py, strip_cr(out, self.text_mode())))
    }

    /// Whether a complete line can be read: in the put-back bytes or in the
    /// next datagram.
    fn canReadLine(&self, py: Python<'_>) -> PyResult<bool> {
        if lock(&self.io).buffer.contains(&b'\n') {
            return Ok(true);
        }
        let mut ev = Events::new();
        let r = {
            let mut c = lock(&self.core);
            c.open_mode() & READ_ONLY != 0 && c.fill(&mut ev) && c.ring().front_bytes().contains(&b'\n')
        };
        self.emit(py, ev)?;
        Ok(r)
    }

    /// The first `maxlen` bytes that read() would return (put-back bytes,
    /// then the next datagram), without consuming them.
    fn peek<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = maxlen_arg)] maxlen: i64,
    ) -> PyResult<Bound<'py, PyBytes>> {
        if !self.readable(py, "peek") {
            return Ok(crate::payload::empty(py));
        }
        let max = usize::try_from(maxlen).unwrap_or(usize::MAX);
        let mut out: Vec<u8> = lock(&self.io).buffer.iter().take(max).copied().collect();
        if out.len() < max {
            let left = max - out.len();
            let mut ev = Events::new();
            {
                let mut c = lock(&self.core);
                if c.fill(&mut ev) {
                    let b = c.ring().front_bytes();
                    out.extend_from_slice(&b[..b.len().min(left)]);
                }
            }
            self.emit(py, ev)?;
        }
        Ok(bytes_or_null(py, strip_cr(out, self.text_mode())))
    }

    /// Read one byte: `(True, char)` or `(False, "\x00")` when nothing is
    /// pending, as PySide6 returns it. The byte comes from the put-back
    /// bytes or is the first of the next datagram (whose rest is lost, as
    /// in Qt). The char is `chr(byte)`: bytes above 0x7f come back as
    /// Latin-1 characters (PySide6 raises UnicodeDecodeError for them). In
    /// text mode a '\r' is skipped.
    fn getChar(&self, py: Python<'_>) -> PyResult<(bool, String)> {
        let none = (false, "\0".to_owned());
        if !self.readable(py, "read") {
            return Ok(none);
        }
        let text = self.text_mode();
        loop {
            let got = self.take_bytes(py, 1)?;
            match got.first() {
                None => return Ok(none),
                Some(b'\r') if text => continue,
                Some(&c) => return Ok((true, char::from(c).to_string())),
            }
        }
    }

    /// Put `c` back: the next QIODevice read (read, getChar, readLine,
    /// peek, readAll) returns it first. readDatagram does not see it. `c`
    /// is an int (-128..=255), a bytes of length 1 or an ASCII character.
    fn ungetChar(&self, py: Python<'_>, c: &Bound<'_, PyAny>) -> PyResult<()> {
        let c = char_arg(c)?;
        if !self.readable(py, "read") {
            return Ok(());
        }
        let mut io = lock(&self.io);
        // Qt steps the transaction back over the byte being returned.
        if let Some(t) = io.transaction.as_mut() {
            t.pop();
        }
        io.buffer.push_front(c);
        Ok(())
    }

    /// Send one byte as a one-byte datagram to the connected peer: True
    /// when it was sent (Qt's write of one char). False with Qt's warning
    /// when the device is not open, and False in HostLookupState.
    fn putChar(&self, py: Python<'_>, c: &Bound<'_, PyAny>) -> PyResult<bool> {
        let c = char_arg(c)?;
        let data = PyBytes::new(py, &[c]);
        Ok(self.write(py, data.as_any())? == 1)
    }

    /// Discard up to `maxSize` bytes as read() would return them (put-back
    /// bytes, then at most one datagram); returns how many, -1 with Qt's
    /// warning when the device is not open.
    fn skip(&self, py: Python<'_>, #[pyo3(from_py_with = max_size_arg)] maxSize: i64) -> PyResult<i64> {
        if !self.readable(py, "skip") {
            return Ok(-1);
        }
        if maxSize == 0 {
            return Ok(0);
        }
        let got = self.take_bytes(py, usize::try_from(maxSize).unwrap_or(usize::MAX))?;
        Ok(got.len() as i64)
    }

    /// Bytes a read could return now: the put-back bytes plus the size of
    /// the next pending datagram, as Qt reports it.
    fn bytesAvailable(&self, py: Python<'_>) -> PyResult<i64> {
        let buffered = lock(&self.io).buffer.len();
        let next = self.next_datagram_len(py)?.unwrap_or(0);
        Ok((buffered + next) as i64)
    }

    /// A sequential device's size is bytesAvailable(), as in Qt.
    fn size(&self, py: Python<'_>) -> PyResult<i64> {
        self.bytesAvailable(py)
    }

    /// Always 0: a socket is sequential and has no position.
    fn pos(&self) -> i64 {
        0
    }

    /// False with Qt's warning: a socket is sequential.
    fn seek(&self, py: Python<'_>, pos: &Bound<'_, PyAny>) -> PyResult<bool> {
        error::i64_arg(pos, "pos")?;
        qt_warning(
            py,
            "QIODevice::seek (QUdpSocket): Cannot call seek on a sequential device",
        );
        Ok(false)
    }

    /// seek(0): False with Qt's warning.
    fn reset(&self, py: Python<'_>) -> bool {
        qt_warning(
            py,
            "QIODevice::seek (QUdpSocket): Cannot call seek on a sequential device",
        );
        false
    }

    /// Always 0: UDP writes are not buffered.
    fn bytesToWrite(&self) -> i64 {
        0
    }

    /// True when nothing is left to read (no put-back bytes, no datagram).
    fn atEnd(&self, py: Python<'_>) -> PyResult<bool> {
        if !lock(&self.io).buffer.is_empty() {
            return Ok(false);
        }
        Ok(self.next_datagram_len(py)?.is_none())
    }

    /// Open for reading (ReadOnly bit of openMode()).
    fn isReadable(&self) -> bool {
        lock(&self.core).open_mode() & READ_ONLY != 0
    }

    /// Open for writing (WriteOnly bit of openMode()).
    fn isWritable(&self) -> bool {
        lock(&self.core).open_mode() & WRITE_ONLY != 0
    }

    /// A socket is a sequential device.
    fn isSequential(&self) -> bool {
        true
    }

    /// Nothing is buffered for writing, so there is nothing to flush: False,
    /// as Qt's flush() on a UDP socket.
    fn flush(&self) -> bool {
        false
    }

    /// Text mode (QIODevice::Text): reads drop '\r'. Only on an open
    /// device (Qt warns otherwise); close() turns it off.
    fn setTextModeEnabled(&self, py: Python<'_>, enabled: &Bound<'_, PyAny>) -> PyResult<()> {
        let on = error::bool_arg(enabled, "enabled")?;
        if lock(&self.core).open_mode() == 0 {
            qt_warning(
                py,
                "QIODevice::setTextModeEnabled (QUdpSocket): The device is not open",
            );
            return Ok(());
        }
        lock(&self.io).text = on;
        Ok(())
    }

    /// Whether the Text flag is set (see setTextModeEnabled).
    fn isTextModeEnabled(&self) -> bool {
        self.text_mode()
    }

    /// Start a read transaction: what QIODevice reads return from now on is
    /// kept, and rollbackTransaction() puts it back in front of the next
    /// read (datagrams read are not re-queued as datagrams).
    fn startTransaction(&self, py: Python<'_>) {
        let mut io = lock(&self.io);
        if io.transaction.is_some() {
            drop(io);
            qt_warning(
                py,
                "QIODevice::startTransaction (QUdpSocket): Called while transaction already in progress",
            );
            return;
        }
        io.transaction = Some(Vec::new());
    }

    /// Keep what the transaction read.
    fn commitTransaction(&self, py: Python<'_>) {
        if lock(&self.io).transaction.take().is_none() {
            qt_warning(
                py,
                "QIODevice::commitTransaction (QUdpSocket): Called while no transaction in progress",
            );
        }
    }

    /// Put back everything read since startTransaction().
    fn rollbackTransaction(&self, py: Python<'_>) {
        let mut io = lock(&self.io);
        match io.transaction.take() {
            Some(read) => {
                for &c in read.iter().rev() {
                    io.buffer.push_front(c);
                }
            }
            None => {
                drop(io);
                qt_warning(
                    py,
                    "QIODevice::rollbackTransaction (QUdpSocket): Called while no transaction in progress",
                );
            }
        }
    }

    /// Whether a read transaction is running.
    fn isTransactionStarted(&self) -> bool {
        lock(&self.io).transaction.is_some()
    }

    /// Stored for Qt compatibility; a UDP socket is unbuffered, so it
    /// changes nothing (0 means unlimited).
    fn setReadBufferSize(&self, size: &Bound<'_, PyAny>) -> PyResult<()> {
        lock(&self.io).read_buffer_size = error::i64_arg(size, "size")?;
        Ok(())
    }

    /// What setReadBufferSize stored (0 by default: unlimited).
    fn readBufferSize(&self) -> i64 {
        lock(&self.io).read_buffer_size
    }

    /// Stored for Qt compatibility (PauseOnSslErrors concerns TLS only).
    fn setPauseMode(&self, pauseMode: &Bound<'_, PyAny>) -> PyResult<()> {
        lock(&self.io).pause_mode = crate::enums::flags_arg(pauseMode, "pauseMode", "PauseMode", 0x1)?;
        Ok(())
    }

    /// What setPauseMode stored (PauseNever by default).
    fn pauseMode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let m = lock(&self.io).pause_mode;
        crate::enums::member(py, "PauseMode", m)
    }

    /// Nothing to resume without TLS, as in Qt.
    fn resume(&self) {}

    /// A free-form tag (Qt uses it to pick a proxy); stored only.
    fn setProtocolTag(&self, tag: &Bound<'_, PyAny>) -> PyResult<()> {
        lock(&self.io).protocol_tag = error::str_arg(tag, "tag")?;
        Ok(())
    }

    /// What setProtocolTag stored ("" by default).
    fn protocolTag(&self) -> String {
        lock(&self.io).protocol_tag.clone()
    }

    /// 1 while the device is open (a socket has one channel), else 0.
    fn readChannelCount(&self) -> i32 {
        i32::from(lock(&self.core).open_mode() != 0)
    }

    /// 1 while the device is open, else 0, like readChannelCount.
    fn writeChannelCount(&self) -> i32 {
        self.readChannelCount()
    }

    /// Always 0: a socket's only channel.
    fn currentReadChannel(&self) -> i32 {
        lock(&self.io).read_channel
    }

    /// A socket has one channel, 0. Qt stores any number and crashes on
    /// the next read of a channel that does not exist; qudp raises
    /// ValueError. Refused with Qt's warning during a read transaction.
    fn setCurrentReadChannel(&self, py: Python<'_>, channel: &Bound<'_, PyAny>) -> PyResult<()> {
        let ch = channel_arg(channel)?;
        let mut io = lock(&self.io);
        if io.transaction.is_some() {
            drop(io);
            qt_warning(
                py,
                "QIODevice::setReadChannel (QUdpSocket): Failed due to read transaction being in progress",
            );
            return Ok(());
        }
        io.read_channel = ch;
        Ok(())
    }

    /// Always 0: a socket's only channel.
    fn currentWriteChannel(&self) -> i32 {
        lock(&self.io).write_channel
    }

    /// A socket has one channel, 0 (see setCurrentReadChannel).
    fn setCurrentWriteChannel(&self, channel: &Bound<'_, PyAny>) -> PyResult<()> {
        lock(&self.io).write_channel = channel_arg(channel)?;
        Ok(())
    }

    /// A UDP socket has no disconnection to wait for: Qt waits `msecs`
    /// (-1: for ever) and returns False; in UnconnectedState it warns and
    /// returns False at once. The wait releases the GIL and honours Ctrl+C.
    #[pyo3(signature = (msecs=30000))]
    fn waitForDisconnected(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = msecs_arg)] msecs: i32,
    ) -> PyResult<bool> {
        if lock(&self.core).state() == state::UNCONNECTED {
            qt_warning(
                py,
                "QAbstractSocket::waitForDisconnected() is not allowed in UnconnectedState",
            );
            return Ok(false);
        }
        let deadline = u64::try_from(msecs)
            .ok()
            .map(|ms| Instant::now() + Duration::from_millis(ms));
        loop {
            let step = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => Duration::from_millis(100),
            };
            if step.is_zero() {
                return Ok(false);
            }
            py.detach(|| std::thread::sleep(step.min(Duration::from_millis(100))));
            py.check_signals()?;
        }
    }
}
