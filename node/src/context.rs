//! What every node task shares: configuration, the clock, the [`Ledger`] (the one owner of
//! chain, pool and orphans), the network port, the verification pool, metrics, the tracer and
//! the task set.
//!
//! Invariant: this type holds no lock of its own and hands out no guard; chain, pool and
//! orphans are reached through [`Ledger`]'s methods, the network through its port.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64};

use rumor_chain::clock::Clock;
use rumor_chain::{Genesis, Keypair};

use crate::config::NodeConfig;
use crate::journal::Journal;
use crate::ledger::Ledger;
use crate::metrics::NodeMetrics;
use crate::port::NetPort;
use crate::tasks::Tasks;
use crate::trace::Tracer;
use crate::verify::VerifyPool;

pub use rumor_api::HeadEvent;

/// Capacity of the new-heads broadcast; slow subscribers skip ahead.
pub const HEADS_CAPACITY: usize = 256;

pub struct Ctx {
    pub config: NodeConfig,
    /// The node's wall clock: the only one it reads (slots, the clock checks, trace stamps).
    /// The system clock, shifted by `clock_offset_ms` (testing only).
    pub clock: Clock,
    /// The node's estimate of its clock against the other producers', and its tolerance.
    pub clock_watch: crate::clock::ClockWatch,
    /// Gossiped blocks held until their slot (see [`crate::blocks::future`]).
    pub held: crate::blocks::future::Holding,
    pub genesis: Arc<Genesis>,
    pub key: Keypair,
    /// Chain, pool and orphans, and the only place their lock order lives.
    pub ledger: Arc<Ledger>,
    /// The network, through its port (the real handle, or a fake in tests).
    pub net: Arc<dyn NetPort>,
    pub verify: VerifyPool,
    /// Durable log of txs accepted over RPC (disabled by `tx_journal = false`).
    pub journal: Journal,
    pub metrics: Arc<NodeMetrics>,
    pub tracer: Tracer,
    /// A catch-up is running (new catch-ups are not started; production goes on).
    pub syncing: AtomicBool,
    /// Peers whose last catch-up did not move our head, and until when they wait.
    pub sync_backoff: crate::blocks::Backoff,
    /// Per-peer count of gossiped txs that could not pay (see [`crate::precheck`]).
    pub unpayable: crate::precheck::Tally,
    /// Until when (ms since the epoch; 0: not paused) a catch-up of a verified claim holds
    /// the producer back (bounded by `blocks::catchup::MAX_PRODUCTION_PAUSE`).
    pub production_paused_until_ms: AtomicU64,
    /// Whole blocks recently rebuilt or produced, for blocktxn answers before they are stored.
    pub recent_blocks: std::sync::Mutex<crate::blocks::compact::RecentBlocks>,
    /// Every task spawned after start-up, and the shutdown signal.
    pub tasks: Tasks,
    /// Raised when a store cannot be recovered: the node stops ([`crate::storage`]).
    pub fatal: crate::storage::Fatal,
    /// The best head that failed to import while the chain store was degraded.
    pub missed: crate::storage::Missed,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").field("key", &self.key).finish()
    }
}

/// What a node is built from. [`Ctx::new`] adds the runtime state (catch-up flag and backoff,
/// unpayable tally, production pause, task set), which always starts empty, so the node, its
/// tests and the fuzz harness build a `Ctx` the same way.
pub struct Parts {
    pub config: NodeConfig,
    pub genesis: Arc<Genesis>,
    pub key: Keypair,
    pub ledger: Arc<Ledger>,
    pub net: Arc<dyn NetPort>,
    pub verify: VerifyPool,
    pub journal: Journal,
    pub metrics: Arc<NodeMetrics>,
    pub tracer: Tracer,
    /// Where the node's CPU time is accounted (in-process testnets; `None` elsewhere).
    pub meter: Option<rumor_p2p::Meter>,
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts").field("key", &self.key).finish()
    }
}

impl Ctx {
    pub fn new(p: Parts) -> Arc<Self> {
        let chain = &p.config.chain;
        let producer = p.config.producer && p.genesis.authorities.contains(&p.key.address());
        let clock_watch = crate::clock::ClockWatch::new(
            crate::clock::Tolerance::clamped(chain),
            chain.clock_samples,
            producer.then(|| p.key.address()),
        );
        Arc::new(Self {
            clock: Clock::with_offset_ms(p.config.clock_offset_ms),
            clock_watch,
            held: crate::blocks::future::Holding::new(chain.held_blocks),
            config: p.config,
            genesis: p.genesis,
            key: p.key,
            ledger: p.ledger,
            net: p.net,
            verify: p.verify,
            journal: p.journal,
            metrics: p.metrics,
            tracer: p.tracer,
            syncing: AtomicBool::new(false),
            sync_backoff: Default::default(),
            unpayable: Default::default(),
            production_paused_until_ms: Default::default(),
            recent_blocks: Default::default(),
            tasks: Tasks::metered(p.meter),
            fatal: Default::default(),
            missed: Default::default(),
        })
    }
}
