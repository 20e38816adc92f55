//! The ledger: the one owner of the chain store, the mempool and the orphan buffer.
//!
//! Invariants (this file is the only place they live):
//! - **Lock order is chain → pool.** A method that needs both takes the chain lock first; the
//!   orphan lock is a leaf, never held together with either. No guard leaves this type: callers
//!   get methods (import a checked block, admit verified txs, read the store, …).
//! - **The pool always reflects the head it was last told about**: every import that changes
//!   the canonical chain updates the pool under the same chain lock, so a concurrent admission
//!   never checks a tx against a state the pool has not seen.
//! - **Store failures are noted under the chain lock** ([`recovery`]): an I/O error degrades the
//!   chain store in the [`StorageMonitor`] (a leaf lock) and a durable write confirms that it
//!   recovered; a store whose handle failed produces nothing until it is reopened.
//! - **Every method may block** (redb reads and durable commits under the chain lock). Async
//!   code reaches the ledger only through [`Ledger::blocking`], which runs the call on the
//!   blocking pool. The exceptions take none of these locks: [`Ledger::head`] (a snapshot
//!   published under the chain lock after each import) and the head subscriptions.

mod recovery;

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use rumor_chain::{
    Account, Address, Block, BlockHash, ChainStore, CheckedBlock, Commit, Equivocation, Genesis,
    Hash256, ImportError, ImportKind, ImportOutcome, Keypair, Limits, SignedTransaction,
    Transaction, TxHash, VerifiedTx, codec::BLOCK_OVERHEAD_LEN, produce_block,
};
use rumor_mempool::{InsertError, InsertOutcome, Origin, Pool, PoolStatus, SenderContent, SubPool};
use tokio::sync::{broadcast, watch};

use crate::metrics::NodeMetrics;
use crate::services::orphans::OrphanBuffer;
use crate::storage::{Policy, StorageMonitor, Store};

pub use rumor_api::HeadEvent;

/// Capacity of the new-heads broadcast; slow subscribers skip ahead.
pub const HEADS_CAPACITY: usize = 256;

/// The canonical head as of the last import: what async code reads instead of taking the
/// chain lock (the producer's slot check, the status advertised to peers, `chain_head`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadSnapshot {
    pub genesis: Hash256,
    pub hash: BlockHash,
    pub height: u64,
    pub slot: u64,
}

impl HeadSnapshot {
    fn of(chain: &ChainStore) -> Self {
        let (hash, head) = chain.head();
        Self {
            genesis: chain.genesis_hash(),
            hash,
            height: head.height,
            slot: head.slot,
        }
    }
}

/// A block imported by [`Ledger::import`], with the orphans that were waiting for it (taken
/// out of the buffer: the caller checks and imports them next).
#[derive(Debug)]
pub struct Imported {
    pub outcome: ImportOutcome,
    pub children: Vec<Block>,
}

/// The ledger could not be reached from async code: the blocking call panicked or the runtime
/// is shutting down.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ledger call did not complete: {0}")]
pub struct Interrupted(pub String);

/// Txs a reorg returned to the pool, waiting to be re-announced. Bounded because a deep reorg
/// can return many; past the bound the oldest are dropped (anti-entropy still serves them).
pub const REANNOUNCE_CAPACITY: usize = 4096;

/// The chain store, the mempool and the orphan buffer, each behind its own lock, taken only
/// in the order above. The re-announce queue is a leaf lock like the orphans'.
pub struct Ledger {
    chain: Mutex<ChainStore>,
    pool: Mutex<Pool>,
    orphans: Mutex<OrphanBuffer>,
    reannounce: Mutex<VecDeque<TxHash>>,
    head: watch::Sender<HeadSnapshot>,
    heads: broadcast::Sender<HeadEvent>,
    metrics: Arc<NodeMetrics>,
    /// Whether the chain store (and the tx journal) can be written.
    storage: StorageMonitor,
    /// Where [`Self::blocking`] calls are accounted (in-process testnets).
    meter: Option<rumor_p2p::Meter>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("head", &self.head())
            .finish()
    }
}

fn relock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock would already have aborted the operation it guarded; the
    // structures themselves stay consistent (redb rolls back uncommitted writes).
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Ledger {
    pub fn new(
        chain: ChainStore,
        pool: Pool,
        orphan_capacity: usize,
        metrics: Arc<NodeMetrics>,
    ) -> Self {
        let (head, _) = watch::channel(HeadSnapshot::of(&chain));
        let (heads, _) = broadcast::channel(HEADS_CAPACITY);
        metrics.head_height.set(chain.head().1.height as i64);
        Self {
            chain: Mutex::new(chain),
            pool: Mutex::new(pool),
            orphans: Mutex::new(OrphanBuffer::new(orphan_capacity)),
            reannounce: Mutex::default(),
            head,
            heads,
            storage: StorageMonitor::new(metrics.clone(), Policy::default()),
            metrics,
            meter: None,
        }
    }

    /// Accounts the time of every [`Self::blocking`] call to `meter`.
    pub fn metered(mut self, meter: Option<rumor_p2p::Meter>) -> Self {
        self.meter = meter;
        self
    }

    /// Runs `f` on the blocking pool: how async code calls every other method.
    pub async fn blocking<T, F>(self: &Arc<Self>, f: F) -> Result<T, Interrupted>
    where
        T: Send + 'static,
        F: FnOnce(&Ledger) -> T + Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || match &this.meter {
            Some(m) => m.measure(|| f(&this)),
            None => f(&this),
        })
        .await
        .map_err(|e| Interrupted(e.to_string()))
    }

    // ---- head ------------------------------------------------------------------------------

    /// The head as of the last import. Takes no ledger lock: safe on async threads.
    pub fn head(&self) -> HeadSnapshot {
        *self.head.borrow()
    }

    /// Wakes on every head change (coalescing changes it did not observe).
    pub fn watch_head(&self) -> watch::Receiver<HeadSnapshot> {
        self.head.subscribe()
    }

    /// New canonical heads, for `chain_subscribeNewHeads`; slow receivers skip ahead.
    pub fn subscribe_heads(&self) -> broadcast::Receiver<HeadEvent> {
        self.heads.subscribe()
    }

    // ---- chain (→ pool) -------------------------------------------------------------------

    /// Imports a block that passed stage-1 checks, under the chain lock through its durable
    /// commit; then brings the pool to the new head, publishes the head and hands back the
    /// orphans that were waiting for this block.
    pub fn import(&self, block: CheckedBlock) -> Result<Imported, ImportError> {
        self.import_with(block, Commit::Durable)
    }

    /// [`Self::import`] with a choice of durability (sync defers all but a range's last block).
    pub fn import_with(
        &self,
        block: CheckedBlock,
        commit: Commit,
    ) -> Result<Imported, ImportError> {
        let outcome = {
            let mut chain = relock(&self.chain);
            let outcome = chain.import_with(block, commit);
            self.note_import(&chain, &outcome, commit == Commit::Durable);
            let outcome = outcome?;
            self.after_import(&chain, &outcome);
            outcome
        };
        let children = self.take_orphans(&outcome.hash);
        Ok(Imported { outcome, children })
    }

    /// Checks evidence the gossip path found (the second block is not imported there) and
    /// keeps it; whether it was new. Two signature checks: call it off the async threads.
    pub fn record_equivocation(&self, ev: Equivocation) -> bool {
        let mut chain = relock(&self.chain);
        // An equivocating producer can sign any number of blocks for its slot: once the slot
        // has a proof, the next pair costs no signature check and no durable write.
        if chain.has_equivocation(ev.slot()).unwrap_or(false) {
            return false;
        }
        let verified = match ev.verify(chain.genesis()) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "equivocation evidence does not hold; not kept");
                return false;
            }
        };
        match chain.record_equivocation(&verified) {
            Ok(true) => {
                self.storage.wrote(Store::Chain);
                self.equivocation_kept(verified.evidence(), "gossip");
                true
            }
            Ok(false) => false,
            Err(e) => {
                match e.io() {
                    Some(f) => self.chain_failed(&chain, f),
                    None => tracing::error!(error = %e, "could not store equivocation evidence"),
                }
                false
            }
        }
    }

    fn equivocation_kept(&self, ev: &Equivocation, path: &'static str) {
        self.metrics.equivocations.inc();
        tracing::warn!(
            producer = %ev.producer().short(),
            slot = ev.slot(),
            first = %ev.first.hash().short(),
            second = %ev.second.hash().short(),
            path,
            "equivocation: evidence kept (chain_getEquivocations)"
        );
    }

    /// Everything that follows a successful import, with the chain lock held: the pool learns
    /// which txs entered and left, the head snapshot moves, subscribers hear of it.
    fn after_import(&self, chain: &ChainStore, outcome: &ImportOutcome) {
        self.metrics.blocks_imported.inc();
        if let Some(ev) = &outcome.equivocation {
            self.equivocation_kept(ev, "import");
        }
        let reorg_depth = match &outcome.kind {
            ImportKind::SideChain => return,
            ImportKind::Extended => 0,
            ImportKind::Reorg { depth, .. } => {
                self.metrics.reorgs.inc();
                self.metrics.reorged_blocks.inc_by(*depth);
                let deepest = &self.metrics.deepest_reorg;
                deepest.set(deepest.get().max(*depth as i64));
                *depth
            }
        };
        let mut pool = relock(&self.pool);
        let update = pool.on_block_imported(
            &outcome.entered,
            outcome.left.clone(),
            chain.state(),
            Instant::now(),
        );
        let back: Vec<TxHash> = outcome
            .left
            .iter()
            .map(VerifiedTx::hash)
            .filter(|h| pool.contains(h))
            .collect();
        drop(pool);
        if !back.is_empty() {
            let mut queue = relock(&self.reannounce);
            queue.extend(back);
            let over = queue.len().saturating_sub(REANNOUNCE_CAPACITY);
            queue.drain(..over);
        }
        tracing::debug!(
            height = outcome.height,
            hash = %outcome.hash.short(),
            included = update.included,
            reinjected = update.reinjected,
            "new head"
        );
        let head = HeadSnapshot::of(chain);
        self.metrics.head_height.set(head.height as i64);
        self.head.send_replace(head);
        let _ = self.heads.send(HeadEvent {
            height: head.height,
            hash: outcome.hash,
            slot: head.slot,
            txs: outcome.entered.len(),
            reorg_depth,
        });
    }

    /// Builds our block for `slot` on the current head from the pool's best txs and imports
    /// it. `None` if the head is already at or past `slot`, or the import failed.
    pub fn produce(
        &self,
        slot: u64,
        genesis: &Genesis,
        limits: &Limits,
        key: &Keypair,
    ) -> Option<(Block, ImportOutcome)> {
        let mut chain = relock(&self.chain);
        let head = chain.head().1.clone();
        if head.slot >= slot || !self.chain_usable(&chain) {
            return None;
        }
        let candidates = relock(&self.pool).best_transactions(
            limits.max_block_txs,
            limits.max_block_bytes - BLOCK_OVERHEAD_LEN,
        );
        let produced = produce_block(&head, chain.state(), genesis, limits, slot, key, candidates);
        if !produced.skipped.is_empty() {
            tracing::debug!(
                skipped = produced.skipped.len(),
                "candidates that no longer apply"
            );
        }
        let imported = chain.import(produced.checked());
        self.note_import(&chain, &imported, true);
        match imported {
            Ok(outcome) => {
                self.after_import(&chain, &outcome);
                Some((produced.block, outcome))
            }
            // A store failure was noted (logged once, when the store degraded).
            Err(e) if e.io().is_some() => None,
            Err(e) => {
                tracing::error!(slot, error = %e, "own block failed to import");
                None
            }
        }
    }

    /// Offers verified txs to the pool, checked against the head state; one result per tx,
    /// in order. The chain lock is held (before the pool's) so the head cannot move meanwhile.
    pub fn admit(
        &self,
        txs: Vec<VerifiedTx>,
        origin: Origin,
    ) -> Vec<Result<InsertOutcome, InsertError>> {
        let chain = relock(&self.chain);
        let mut pool = relock(&self.pool);
        let now = Instant::now();
        txs.into_iter()
            .map(|tx| pool.insert(tx, origin, chain.state(), now))
            .collect()
    }

    /// [`Self::admit`] without waiting: when neither lock is held (the common case: imports
    /// hold the chain lock only while they commit) the txs are admitted right here, in
    /// microseconds, so async callers skip the blocking-pool hop; otherwise the txs come back
    /// for [`Self::blocking`]. Never blocks, so it is safe on async threads.
    pub fn try_admit(
        &self,
        txs: Vec<VerifiedTx>,
        origin: Origin,
    ) -> Result<Vec<Result<InsertOutcome, InsertError>>, Vec<VerifiedTx>> {
        let Ok(chain) = self.chain.try_lock() else {
            return Err(txs);
        };
        let Ok(mut pool) = self.pool.try_lock() else {
            return Err(txs);
        };
        let now = Instant::now();
        Ok(txs
            .into_iter()
            .map(|tx| pool.insert(tx, origin, chain.state(), now))
            .collect())
    }

    /// [`rumor_mempool::Pool::precheck`] for each `(tx, hash)` against the head state, without
    /// waiting: `None` when either lock is busy (the caller then verifies everything, and the
    /// pool checks again on insert). Never blocks, so it is safe on async threads.
    pub fn try_precheck(
        &self,
        txs: &[(Transaction, TxHash)],
    ) -> Option<Vec<Result<(), InsertError>>> {
        let chain = self.chain.try_lock().ok()?;
        let pool = self.pool.try_lock().ok()?;
        Some(
            txs.iter()
                .map(|(tx, hash)| pool.precheck(tx, hash, chain.state()))
                .collect(),
        )
    }

    /// A read of the store (redb reads may touch disk).
    pub fn read_chain<T>(&self, read: impl FnOnce(&ChainStore) -> T) -> T {
        let chain = relock(&self.chain);
        let out = read(&chain);
        self.chain_usable(&chain);
        out
    }

    /// An account at the head.
    pub fn account(&self, address: &Address) -> Account {
        relock(&self.chain).account(address)
    }

    // ---- pool -----------------------------------------------------------------------------

    /// Which of `hashes` are pooled (so already verified).
    pub fn pooled(&self, hashes: impl IntoIterator<Item = TxHash>) -> HashSet<TxHash> {
        let pool = relock(&self.pool);
        hashes.into_iter().filter(|h| pool.contains(h)).collect()
    }

    /// Offers every pooled tx to a compact block being rebuilt (one pool lock; a SipHash per
    /// pooled tx).
    pub fn offer_pool(&self, partial: &mut rumor_chain::PartialBlock) {
        let pool = relock(&self.pool);
        partial.offer(pool.transactions().map(|t| (t.hash(), t.signed())));
    }

    /// Txs submitted here that entered the pool at or after `since` (a compact block's
    /// prefill).
    pub fn local_since(&self, since: Instant) -> HashSet<TxHash> {
        relock(&self.pool).local_since(since)
    }

    pub fn pool_contains(&self, hash: &TxHash) -> bool {
        relock(&self.pool).contains(hash)
    }

    /// A pooled tx and the sub-pool it sits in.
    pub fn pool_get(&self, hash: &TxHash) -> Option<(SignedTransaction, SubPool)> {
        let pool = relock(&self.pool);
        let tx = pool.get(hash)?.signed().clone();
        Some((tx, pool.subpool_of(hash).unwrap_or(SubPool::Pending)))
    }

    pub fn pool_status(&self) -> PoolStatus {
        relock(&self.pool).status()
    }

    /// Every sender's pending and queued txs.
    pub fn pool_content(&self) -> Vec<(Address, SenderContent)> {
        let pool = relock(&self.pool);
        pool.senders().map(|a| (*a, pool.content_of(a))).collect()
    }

    /// Up to `max` pending tx hashes: the digest peers pull for anti-entropy.
    pub fn pending_hashes(&self, max: usize) -> Vec<TxHash> {
        relock(&self.pool).pending_hashes(max)
    }

    /// Which of `hashes` this node does not know: neither pooled nor in the canonical chain.
    /// Takes the chain lock, then the pool's (the lock order), so a tx cannot move from the
    /// pool into a block between the two checks.
    pub fn unknown_txs(&self, hashes: Vec<TxHash>) -> Vec<TxHash> {
        let chain = relock(&self.chain);
        let pool = relock(&self.pool);
        let unknown = hashes
            .into_iter()
            .filter(|h| !pool.contains(h) && !matches!(chain.tx_location(h), Ok(Some(_))))
            .collect();
        drop(pool);
        self.chain_usable(&chain);
        unknown
    }

    /// Takes the txs a reorg returned to the pool that are still pooled, to re-announce.
    pub fn take_reannounce(&self) -> Vec<SignedTransaction> {
        let hashes: Vec<TxHash> = relock(&self.reannounce).drain(..).collect();
        let pool = relock(&self.pool);
        hashes
            .iter()
            .filter_map(|h| pool.get(h).map(|t| t.signed().clone()))
            .collect()
    }

    pub fn subscribe_pending(&self) -> broadcast::Receiver<TxHash> {
        relock(&self.pool).subscribe_pending()
    }

    /// Drops expired txs; returns how many.
    pub fn expire_pool(&self, now: Instant) -> usize {
        relock(&self.pool).maintain(now)
    }

    // ---- orphans --------------------------------------------------------------------------

    /// Holds a block until its parent is imported (the oldest orphan goes when the buffer is
    /// full). Returns false if it was already held.
    pub fn buffer_orphan(&self, block: Block) -> bool {
        let mut orphans = relock(&self.orphans);
        let added = orphans.insert(block);
        self.metrics.orphan_buffer.set(orphans.len() as i64);
        added
    }

    pub fn orphan_count(&self) -> usize {
        relock(&self.orphans).len()
    }

    /// Takes the orphans waiting for `parent` (an import does this itself; this is for a
    /// parent found already imported).
    pub fn take_orphans(&self, parent: &BlockHash) -> Vec<Block> {
        let mut orphans = relock(&self.orphans);
        let children = orphans.take_children(parent);
        self.metrics.orphan_buffer.set(orphans.len() as i64);
        children
    }
}

#[cfg(test)]
mod tests;
