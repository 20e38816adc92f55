//! The store's errors. redb's errors are sorted on the way in: an I/O error on the file (or
//! redb's refusal after one) becomes [`StoreError::Io`], which tells the owner that this handle
//! is unusable until [`super::ChainStore::reopen`]; everything else stays [`StoreError::Db`].

use std::io;

use crate::genesis::GenesisError;
use crate::primitives::hash::{BlockHash, Hash256};
use crate::validate::BlockError;

/// An I/O error on the store's file. After one, redb refuses every later read and write on
/// the same handle ("Previous I/O error occurred. Please close and re-open the database"), so
/// the store must be reopened; the error kind says whether waiting can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct IoFailure {
    pub kind: io::ErrorKind,
    pub message: String,
}

impl IoFailure {
    /// The file system is out of room for us (full, quota, file size limit): the operator can
    /// free space and the same file works again.
    pub fn out_of_space(&self) -> bool {
        matches!(
            self.kind,
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge
        )
    }

    /// redb refused an operation because an earlier one failed (the cause is in
    /// [`super::ChainStore::io_failure`]).
    pub(super) fn previous() -> Self {
        Self {
            kind: io::ErrorKind::Other,
            message: "an earlier I/O error left the database handle unusable".into(),
        }
    }

    /// The handle was closed for a reopen that has not succeeded yet.
    pub(super) fn closed() -> Self {
        Self {
            kind: io::ErrorKind::Other,
            message: "the database is closed until it can be reopened".into(),
        }
    }
}

impl From<&io::Error> for IoFailure {
    fn from(e: &io::Error) -> Self {
        Self {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

/// Storage failures. These are the node's fault, never a peer's.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(redb::Error),
    /// The file failed under us: reopen the store ([`super::ChainStore::reopen`]).
    #[error("I/O error, reopen required: {0}")]
    Io(IoFailure),
    #[error("store was created for genesis {stored}, not {expected}")]
    GenesisMismatch { stored: Hash256, expected: Hash256 },
    #[error(transparent)]
    Genesis(#[from] GenesisError),
    #[error("store is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// The I/O failure, if this is one (the handle needs a reopen).
    pub fn io(&self) -> Option<&IoFailure> {
        match self {
            StoreError::Io(f) => Some(f),
            _ => None,
        }
    }
}

impl From<redb::Error> for StoreError {
    fn from(e: redb::Error) -> Self {
        match e {
            redb::Error::Io(io) => StoreError::Io(IoFailure::from(&io)),
            redb::Error::PreviousIo => StoreError::Io(IoFailure::previous()),
            redb::Error::DatabaseClosed => StoreError::Io(IoFailure::closed()),
            e => StoreError::Db(e),
        }
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::from(redb::Error::from(e))
            }
        }
        impl From<$t> for ImportError {
            fn from(e: $t) -> Self {
                ImportError::Store(StoreError::from(e))
            }
        }
    )*};
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Why a block was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("block {0} is already stored")]
    AlreadyKnown(BlockHash),
    #[error("parent {0} is unknown")]
    UnknownParent(BlockHash),
    #[error("invalid block: {0}")]
    Invalid(#[from] BlockError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportError {
    /// Whether the block's sender deserves a penalty (see [`BlockError::is_bad_block`]).
    pub fn is_bad_block(&self) -> bool {
        match self {
            ImportError::Invalid(e) => e.is_bad_block(),
            ImportError::AlreadyKnown(_)
            | ImportError::UnknownParent(_)
            | ImportError::Store(_) => false,
        }
    }

    /// The store's I/O failure, if that is why the import failed.
    pub fn io(&self) -> Option<&IoFailure> {
        match self {
            ImportError::Store(e) => e.io(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redb_io_errors_say_reopen_and_keep_their_kind() {
        let full = io::Error::from(io::ErrorKind::StorageFull);
        let e = StoreError::from(redb::CommitError::Storage(redb::StorageError::Io(full)));
        let f = e.io().expect("an I/O failure");
        assert_eq!(f.kind, io::ErrorKind::StorageFull);
        assert!(f.out_of_space());
        assert!(e.to_string().starts_with("I/O error, reopen required"));

        let e = StoreError::from(redb::TransactionError::Storage(
            redb::StorageError::PreviousIo,
        ));
        assert!(e.io().is_some_and(|f| !f.out_of_space()));
        let e = ImportError::from(redb::StorageError::Corrupted("x".into()));
        assert!(e.io().is_none(), "corruption is not an I/O failure");
        let eio = io::Error::from_raw_os_error(5);
        assert!(!IoFailure::from(&eio).out_of_space());
    }
}
