//! The block pipeline and its own state. [`Blocks`] is what the gossip, compact, held-block,
//! orphan and catch-up code works on: the shared services ([`Ctx`]) it borrows, plus the state
//! no other pipeline touches — the clock estimate, the early-block buffer ([`Holding`]), the
//! recent whole blocks ([`RecentBlocks`]) and the catch-up's flag, backoff and production pause
//! ([`CatchUpState`]). (Lighthouse's `SyncNetworkContext` is the model: a pipeline struct that
//! owns its state and holds the narrow services it uses.)
//!
//! Invariant: this file imports only leaf files (the context, the clock, the backoff), so every
//! block-pipeline file can take a `&Blocks` without an import loop; the state here starts
//! empty, so the node, its tests and the fuzz harness build it the same way ([`Blocks::new`]).

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};

use rumor_chain::{Block, BlockHash};
use rumor_p2p::PeerId;
use tokio::sync::Notify;

use super::backoff::Backoff;
use crate::context::Ctx;
use crate::services::clock::{ClockWatch, HeldBlocks, Tolerance};

/// Whole blocks kept to answer blocktxn requests before they are stored (or while they wait
/// as orphans): the blocks this node rebuilt or produced most recently. 32 blocks of at most
/// 2 MiB: 64 MiB at the cap, ~5 MB at 1 000 txs a block; a peer asks within one request
/// timeout of our forwarding, and 32 covers that at slots down to ~300 ms.
pub const RECENT_BLOCKS: usize = 32;

/// The block pipeline: the services it borrows and the state it owns.
pub struct Blocks {
    /// The shared services (ledger, network port, verification pool, metrics, tracer, tasks).
    pub ctx: Arc<Ctx>,
    /// The node's estimate of its clock against the other producers', and its tolerance.
    pub clock_watch: ClockWatch,
    /// Gossiped blocks held until their slot (released by `future::release`).
    pub held: Holding,
    /// Whole blocks recently rebuilt or produced, for blocktxn answers before they are stored.
    pub recent: Mutex<RecentBlocks>,
    /// The catch-up's own state.
    pub sync: CatchUpState,
}

impl std::fmt::Debug for Blocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blocks")
            .field("held", &self.held.len())
            .field("sync", &self.sync)
            .finish_non_exhaustive()
    }
}

impl Blocks {
    pub fn new(ctx: Arc<Ctx>) -> Arc<Self> {
        let chain = &ctx.config.chain;
        let producer = ctx.config.producer && ctx.genesis.authorities.contains(&ctx.key.address());
        let clock_watch = ClockWatch::new(
            Tolerance::clamped(chain),
            chain.clock_samples,
            producer.then(|| ctx.key.address()),
        );
        Arc::new(Self {
            clock_watch,
            held: Holding::new(chain.held_blocks),
            recent: Default::default(),
            sync: Default::default(),
            ctx,
        })
    }

    /// Remembers a whole block for blocktxn answers.
    pub fn remember(&self, block: &Arc<Block>) {
        self.recent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(block.clone());
    }
}

/// The catch-up's state: whether one runs, which peers wait, and the production pause.
#[derive(Debug, Default)]
pub struct CatchUpState {
    /// A catch-up is running (new catch-ups are not started; production goes on).
    pub syncing: AtomicBool,
    /// Peers whose last catch-up did not move our head, and until when they wait.
    pub backoff: Backoff,
    /// Until when (ms since the epoch; 0: not paused) a catch-up of a verified claim holds
    /// the producer back (bounded by `blocks::catchup::MAX_PRODUCTION_PAUSE`).
    pub production_paused_until_ms: AtomicU64,
}

/// A held block and the peer that sent it (asked for its ancestors if they are missing).
#[derive(Debug)]
pub struct Held {
    pub(super) block: Arc<Block>,
    pub(super) from: PeerId,
}

/// The early-block buffer and the signal that wakes its releaser.
#[derive(Debug)]
pub struct Holding {
    blocks: Mutex<HeldBlocks<Held>>,
    pub(super) changed: Notify,
}

impl Holding {
    pub fn new(capacity: usize) -> Self {
        Self {
            blocks: Mutex::new(HeldBlocks::new(capacity)),
            changed: Notify::new(),
        }
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, HeldBlocks<Held>> {
        self.blocks.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn contains(&self, hash: &BlockHash) -> bool {
        self.lock().contains(hash)
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

/// Recently rebuilt or produced blocks by hash (see [`RECENT_BLOCKS`]).
#[derive(Debug)]
pub struct RecentBlocks(lru::LruCache<BlockHash, Arc<Block>>);

impl Default for RecentBlocks {
    fn default() -> Self {
        Self(lru::LruCache::new(
            NonZeroUsize::new(RECENT_BLOCKS).expect("non-zero"),
        ))
    }
}

impl RecentBlocks {
    pub fn insert(&mut self, block: Arc<Block>) {
        self.0.put(block.hash(), block);
    }

    pub fn get(&mut self, hash: &BlockHash) -> Option<Arc<Block>> {
        self.0.get(hash).cloned()
    }
}
