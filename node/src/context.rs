//! What every node task shares. Locks are `std` mutexes held for short, synchronous sections;
//! the order is always chain → pool, and no lock is held across an `.await`.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use rumor_chain::{ChainStore, Genesis, ImportKind, ImportOutcome, Keypair};
use rumor_mempool::Pool;
use rumor_p2p::{NetworkHandle, Status};
use tokio::sync::broadcast;

use crate::config::NodeConfig;
use crate::metrics::NodeMetrics;
use crate::orphans::OrphanBuffer;
use crate::trace::Tracer;
use crate::verify::VerifyPool;

pub use rumor_api::HeadEvent;

/// Capacity of the new-heads broadcast; slow subscribers skip ahead.
pub const HEADS_CAPACITY: usize = 256;

pub struct Ctx {
    pub config: NodeConfig,
    pub genesis: Arc<Genesis>,
    pub key: Keypair,
    pub chain: Mutex<ChainStore>,
    pub pool: Mutex<Pool>,
    pub net: NetworkHandle,
    pub verify: VerifyPool,
    pub metrics: Arc<NodeMetrics>,
    pub tracer: Tracer,
    pub heads: broadcast::Sender<HeadEvent>,
    pub orphans: Mutex<OrphanBuffer>,
    /// A catch-up is running (the producer waits and new catch-ups are not started).
    pub syncing: AtomicBool,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").field("key", &self.key).finish()
    }
}

fn relock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock would already have aborted the operation it guarded; the
    // structures themselves stay consistent (redb rolls back uncommitted writes).
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Ctx {
    pub fn chain(&self) -> MutexGuard<'_, ChainStore> {
        relock(&self.chain)
    }

    pub fn pool(&self) -> MutexGuard<'_, Pool> {
        relock(&self.pool)
    }

    pub fn orphans(&self) -> MutexGuard<'_, OrphanBuffer> {
        relock(&self.orphans)
    }

    pub fn status_of(chain: &ChainStore) -> Status {
        let (hash, head) = chain.head();
        Status {
            genesis: chain.genesis_hash(),
            head_height: head.height,
            head_hash: hash,
        }
    }

    /// Everything that follows a successful import, with the chain lock held: the pool learns
    /// which txs entered and left, the network advertises the new head, subscribers hear of it.
    pub fn after_import(&self, chain: &ChainStore, outcome: &ImportOutcome) {
        self.metrics.blocks_imported.inc();
        let reorg_depth = match &outcome.kind {
            ImportKind::SideChain => return,
            ImportKind::Extended => 0,
            ImportKind::Reorg { depth, .. } => {
                self.metrics.reorgs.inc();
                self.metrics.reorged_blocks.inc_by(*depth);
                *depth
            }
        };
        let update = self.pool().on_block_imported(
            &outcome.entered,
            outcome.left.clone(),
            chain.state(),
            std::time::Instant::now(),
        );
        tracing::debug!(
            height = outcome.height,
            hash = %outcome.hash.short(),
            included = update.included,
            reinjected = update.reinjected,
            "new head"
        );
        let (_, head) = chain.head();
        self.metrics.head_height.set(head.height as i64);
        self.net.set_status(Self::status_of(chain));
        let _ = self.heads.send(HeadEvent {
            height: head.height,
            hash: outcome.hash,
            slot: head.slot,
            txs: outcome.entered.len(),
            reorg_depth,
        });
    }
}
