//! The ledger's side of store failures (policy and bounds: [`crate::storage`]). The chain store
//! only reports: an I/O error is a typed [`rumor_chain::StoreError::Io`] and the store keeps its
//! first cause; here, under the chain lock, such an error degrades the chain store in the
//! [`StorageMonitor`], a durable write confirms a recovery, and [`Ledger::recover_chain`]
//! reopens the store for the recovery task.

use std::path::Path;
use std::time::Instant;

use rumor_chain::{ChainStore, ImportError, ImportOutcome, IoFailure};

use super::{HeadSnapshot, Ledger, relock};
use crate::storage::{Attempt, Policy, StorageMonitor, Store, probe_space};

impl Ledger {
    /// Store health: what `tx_submit`, `node_health` and the recovery task read.
    pub fn storage(&self) -> &StorageMonitor {
        &self.storage
    }

    /// Sets the retry and give-up bounds (the node's config).
    pub fn storage_policy(self, policy: Policy) -> Self {
        self.storage.set_policy(policy);
        self
    }

    /// The chain store failed with `failure`: the cause the store kept is the reason.
    pub(super) fn chain_failed(&self, chain: &ChainStore, failure: &IoFailure) {
        let cause = chain.io_failure().unwrap_or_else(|| failure.clone());
        self.storage.failed(Store::Chain, &cause);
    }

    /// After an import under the chain lock: a failure degrades the store, a durable commit
    /// confirms that it recovered.
    pub(super) fn note_import(
        &self,
        chain: &ChainStore,
        result: &Result<ImportOutcome, ImportError>,
        durable: bool,
    ) {
        match result {
            Ok(_) if durable => self.storage.wrote(Store::Chain),
            Ok(_) => {}
            Err(e) => {
                if let Some(f) = e.io() {
                    self.chain_failed(chain, f);
                }
            }
        }
    }

    /// Whether the store's handle works; one that failed under any call (a read whose error
    /// its caller dropped included) degrades the store here if nothing noted it yet.
    pub(super) fn chain_usable(&self, chain: &ChainStore) -> bool {
        match chain.io_failure() {
            None => true,
            Some(f) => {
                if self.storage.chain_usable() {
                    self.storage.failed(Store::Chain, &f);
                }
                false
            }
        }
    }

    /// One recovery attempt for the chain store: `probe` (a path in the data dir) must take a
    /// write first, when given; then the store is closed and opened again from its file. A
    /// durable head other than the one in memory (a commit that had not reached the disk was
    /// lost, or a failed one had) becomes the head, and the pool is brought to its state.
    pub fn recover_chain(&self, probe: Option<&Path>) -> Result<(), Attempt> {
        if let Some(p) = probe {
            probe_space(p).map_err(|e| Attempt::Retry(IoFailure::from(&e)))?;
        }
        let mut chain = relock(&self.chain);
        let before = HeadSnapshot::of(&chain);
        if let Err(e) = chain.reopen() {
            return Err(match e.io() {
                Some(f) => Attempt::Retry(f.clone()),
                None => Attempt::Fatal(format!("chain store refused its file at reopen: {e}")),
            });
        }
        let after = HeadSnapshot::of(&chain);
        if after != before {
            tracing::warn!(
                before = before.height,
                after = after.height,
                head = %after.hash.short(),
                "the chain store reopened at another head than the one in memory"
            );
            let mut pool = relock(&self.pool);
            pool.on_block_imported(&[], Vec::new(), chain.state(), Instant::now());
            drop(pool);
            self.metrics.head_height.set(after.height as i64);
            self.head.send_replace(after);
        }
        Ok(())
    }
}
