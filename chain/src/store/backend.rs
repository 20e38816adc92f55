//! The chain store's file backend: redb's own [`FileBackend`], watched. redb reports the first
//! I/O error of a handle with its cause and every later operation only as "Previous I/O error",
//! so the store keeps the first one here: the owner learns that the handle needs a reopen (even
//! when the failing call was a read whose error it did not look at) and why (disk full or
//! something worse).
//!
//! Invariant: [`IoState`] holds the first failure since the file was last (re)opened and is
//! cleared only by a reopen. Unit tests can make writes fail ([`IoState::inject`]); nothing
//! else in the crate can.

use std::io;
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use redb::backends::FileBackend;
use redb::{BackendError, StorageBackend};

use super::IoFailure;

/// The first I/O failure of the store's current handle.
#[derive(Debug, Default)]
pub(crate) struct IoState {
    failed: AtomicBool,
    first: Mutex<Option<IoFailure>>,
    /// Writes, resizes and syncs fail with this kind while set (unit tests only).
    #[cfg(test)]
    inject: Mutex<Option<io::ErrorKind>>,
}

impl IoState {
    /// The first failure since the last reset (a lock-free check first: the common answer is
    /// "none").
    pub(crate) fn failure(&self) -> Option<IoFailure> {
        if !self.failed.load(Ordering::Acquire) {
            return None;
        }
        self.first.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn record(&self, e: &io::Error) {
        let mut first = self.first.lock().unwrap_or_else(|e| e.into_inner());
        if first.is_none() {
            *first = Some(IoFailure::from(e));
            self.failed.store(true, Ordering::Release);
        }
    }

    /// Forgets the failure (a new handle is about to open).
    pub(crate) fn reset(&self) {
        *self.first.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.failed.store(false, Ordering::Release);
    }

    #[cfg(test)]
    pub(crate) fn inject(&self, kind: Option<io::ErrorKind>) {
        *self.inject.lock().unwrap() = kind;
    }

    fn injected(&self) -> io::Result<()> {
        #[cfg(test)]
        if let Some(kind) = *self.inject.lock().unwrap() {
            return Err(io::Error::from(kind));
        }
        Ok(())
    }
}

/// redb's file backend, with every I/O error recorded in the shared [`IoState`].
#[derive(Debug)]
pub(crate) struct Watched {
    pub(crate) file: FileBackend,
    pub(crate) io: Arc<IoState>,
}

impl Watched {
    fn note<T>(&self, r: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &r {
            self.io.record(e);
        }
        r
    }
}

impl StorageBackend for Watched {
    fn len(&self) -> io::Result<u64> {
        self.note(self.file.len())
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        self.note(self.file.read(offset, out))
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.note(self.io.injected().and_then(|()| self.file.set_len(len)))
    }

    fn sync_data(&self) -> io::Result<()> {
        self.note(self.io.injected().and_then(|()| self.file.sync_data()))
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.note(
            self.io
                .injected()
                .and_then(|()| self.file.write(offset, data)),
        )
    }

    fn close(&self) -> io::Result<()> {
        self.file.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.file.try_lock_range(start, end)
    }

    fn try_lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, BackendError> {
        self.file.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.file.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.file.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.file.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.file.query_lock_range(start, end)
    }
}
