//! Opening the store's file, and reopening it after an I/O error.
//!
//! redb latches its first I/O error: every later read and write on that handle fails with
//! "Previous I/O error occurred. Please close and re-open the database". So the store reports
//! such errors as [`StoreError::Io`] and keeps the first cause ([`ChainStore::io_failure`]);
//! whoever owns the store decides when to call [`ChainStore::reopen`] (this crate knows no
//! policy). A reopen is exactly a start-up open of the same file: redb repairs what the failed
//! commit left, the integrity check runs (when configured), the genesis is checked and the head
//! and state are reloaded from what was durable. A commit that failed is not in the file; a
//! deferred ([`super::Commit::Deferred`]) one not yet made durable may be gone too, as after a
//! crash.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::Arc;

use redb::Database;
use redb::backends::FileBackend;

use super::backend::{IoState, Watched};
use super::{ChainStore, IoFailure, StoreError};
use crate::genesis::Genesis;
use crate::validate::ChainConfig;

impl ChainStore {
    pub(super) fn open_file(
        path: &Path,
        genesis: Genesis,
        config: ChainConfig,
        io: Arc<IoState>,
    ) -> Result<Self, StoreError> {
        genesis.validate()?;
        io.reset();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| StoreError::Io(IoFailure::from(&e)))?;
        let backend = Watched {
            file: FileBackend::new(file)?,
            io: io.clone(),
        };
        // A file changed behind redb's back (disk fault, a stray write) fails to open with a
        // clear error instead of being trusted; a crash is repaired either way.
        let db = redb::Builder::new()
            .set_cache_size(config.store_cache_bytes())
            .set_check_integrity_on_open(config.check_integrity_on_open)
            .set_repair_callback(|s| {
                // Once per open at warn (a reopen after an I/O error repairs too); progress at
                // info.
                if s.progress() == 0.0 {
                    tracing::warn!("repairing the chain store (it was not closed cleanly)");
                } else {
                    tracing::info!(progress = s.progress(), "repairing the chain store");
                }
            })
            .create_with_backend(backend)?;
        Self::from_db(db, genesis, config, Some(path.to_owned()), io)
    }

    /// The open handle, or the I/O error that closed it.
    pub(super) fn db(&self) -> Result<&Database, StoreError> {
        self.db
            .as_ref()
            .ok_or_else(|| StoreError::Io(IoFailure::closed()))
    }

    /// The first I/O error on the store's file since it was (re)opened, or the handle is closed
    /// after a failed reopen. Either way every read and write fails until [`Self::reopen`]
    /// succeeds. Cheap (an atomic load when there is none).
    pub fn io_failure(&self) -> Option<IoFailure> {
        match (&self.db, self.io.failure()) {
            (_, Some(f)) => Some(f),
            (None, None) => Some(IoFailure::closed()),
            (Some(_), None) => None,
        }
    }

    /// Closes the handle and opens the file again, as at start-up (repair, integrity check,
    /// genesis check, head and state reloaded). On an error the store stays closed (every call
    /// fails with [`StoreError::Io`]) and may be reopened again later; an error other than
    /// [`StoreError::Io`] means the file itself is refused (corrupt, another genesis) and no
    /// retry can help. A store held in memory has no file and nothing to reopen.
    pub fn reopen(&mut self) -> Result<(), StoreError> {
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        // redb holds a lock on the file: the old handle must be gone before the new one opens.
        if let Some(db) = self.db.take()
            && let Err(e) = db.close()
        {
            tracing::debug!(error = %e, "closing the failed chain store handle");
        }
        self.side_tip = None;
        let io = self.io.clone();
        // The cause, when the backend saw it (redb may report it as a "previous error").
        *self =
            Self::open_file(&path, self.genesis.clone(), self.config, io.clone()).map_err(|e| {
                match (e.io(), io.failure()) {
                    (Some(_), Some(first)) => StoreError::Io(first),
                    _ => e,
                }
            })?;
        Ok(())
    }

    /// Makes every later write, resize and sync of the file fail with `kind` (`None`: stop).
    #[cfg(test)]
    pub(crate) fn inject_io_errors(&self, kind: Option<std::io::ErrorKind>) {
        self.io.inject(kind);
    }
}

#[cfg(test)]
mod tests {
    use std::io::ErrorKind;

    use super::*;
    use crate::{Keypair, Produced, produce_block};

    fn next(store: &ChainStore, genesis: &Genesis, key: &Keypair) -> Produced {
        let head = store.head().1.clone();
        let limits = genesis.limits;
        let state = store.state().clone();
        produce_block(
            &head,
            &state,
            genesis,
            &limits,
            head.slot + 1,
            key,
            std::iter::empty(),
        )
    }

    #[test]
    fn after_an_io_error_the_store_reopens_at_its_durable_head_and_writes_again() {
        let key = Keypair::from_label("reopen/authority");
        let genesis = Genesis::new(3, 1_000, 10, vec![key.address()], &[], 1);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chain.redb");
        let mut store = ChainStore::open(&path, genesis.clone(), ChainConfig::default()).unwrap();
        for _ in 0..3 {
            store
                .import(next(&store, &genesis, &key).checked())
                .unwrap();
        }
        let committed: Vec<_> = (0..=3)
            .map(|h| store.canonical_hash(h).unwrap().unwrap())
            .collect();
        assert_eq!(store.io_failure(), None);

        // The disk fills: the commit fails, and redb refuses everything after it.
        store.inject_io_errors(Some(ErrorKind::StorageFull));
        let block = next(&store, &genesis, &key);
        let e = store.import(block.checked()).unwrap_err();
        assert!(e.io().is_some_and(IoFailure::out_of_space), "{e}");
        store.inject_io_errors(None);
        let again = store.import(block.checked()).unwrap_err();
        assert!(
            again.io().is_some(),
            "redb refuses writes until reopened: {again}"
        );
        store.inject_io_errors(Some(ErrorKind::StorageFull));
        let first = store.io_failure().expect("the first failure is kept");
        assert!(
            first.out_of_space(),
            "the cause, not redb's 'previous error'"
        );
        assert_eq!(store.head().1.height, 3, "nothing moved in memory");

        // Reopening while the disk is still full fails and leaves the store closed.
        let e = store.reopen().unwrap_err();
        assert!(e.io().is_some(), "{e}");
        assert!(store.io_failure().is_some());
        assert!(store.canonical_hash(1).unwrap_err().io().is_some());

        // Space returns: the store opens at its durable head, every committed block intact.
        store.inject_io_errors(None);
        store.reopen().unwrap();
        assert_eq!(store.io_failure(), None);
        assert_eq!(store.head().1.height, 3);
        for (h, hash) in committed.iter().enumerate() {
            assert_eq!(store.canonical_hash(h as u64).unwrap(), Some(*hash));
        }
        store.import(block.checked()).unwrap();
        assert_eq!(store.head().1.height, 4);
        drop(store);
        let reopened = ChainStore::open(&path, genesis, ChainConfig::default()).unwrap();
        assert_eq!(
            reopened.head().1.height,
            4,
            "the write after recovery is durable"
        );
    }

    #[test]
    fn an_in_memory_store_has_nothing_to_reopen() {
        let key = Keypair::from_label("reopen/authority");
        let genesis = Genesis::new(3, 1_000, 10, vec![key.address()], &[], 1);
        let mut store = ChainStore::open_in_memory(genesis, ChainConfig::default()).unwrap();
        assert_eq!(store.io_failure(), None);
        store.reopen().unwrap();
        assert_eq!(store.head().1.height, 0);
    }
}
