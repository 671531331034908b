//! Locking that survives a panic in a previous holder.

use std::sync::{Mutex, MutexGuard};

/// Lock a mutex whose guarded data stays consistent even if a panic
/// unwound through a previous holder (we never leave it half-updated).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
