//! Platform code, picked in one place. Each platform module offers the same
//! functions; the rest of the crate calls them through `crate::sys`.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;
