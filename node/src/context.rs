//! What every node task shares: configuration, the clock, the [`Ledger`] (the one owner of
//! chain, pool and orphans), the network port, the verification pool, metrics, the tracer,
//! the task set and the store-failure flags. A pipeline's private state is not here: each
//! pipeline owns its own (the block pipeline's in `blocks::Blocks`, the gossip-tx tally in the
//! event loop, the local-tx journal beside RPC and the store doctor) and borrows this.
//!
//! Invariants: this type holds no lock of its own and hands out no guard; chain, pool and
//! orphans are reached through [`Ledger`]'s methods, the network through its port; this file
//! imports only leaf files (none of them imports it back).

use std::sync::Arc;

use rumor_chain::clock::Clock;
use rumor_chain::{Genesis, Keypair};

use crate::config::NodeConfig;
use crate::metrics::NodeMetrics;
use crate::services::ledger::Ledger;
use crate::services::port::NetPort;
use crate::services::tasks::Tasks;
use crate::services::trace::Tracer;
use crate::services::verify::VerifyPool;
use crate::storage::flags::{Fatal, Missed};

pub struct Ctx {
    pub config: NodeConfig,
    /// The node's wall clock: the only one it reads (slots, the clock checks, trace stamps).
    /// The system clock, shifted by `clock_offset_ms` (testing only).
    pub clock: Clock,
    pub genesis: Arc<Genesis>,
    pub key: Keypair,
    /// Chain, pool and orphans, and the only place their lock order lives.
    pub ledger: Arc<Ledger>,
    /// The network, through its port (the real handle, or a fake in tests).
    pub net: Arc<dyn NetPort>,
    pub verify: VerifyPool,
    pub metrics: Arc<NodeMetrics>,
    pub tracer: Tracer,
    /// Every task spawned after start-up, and the shutdown signal.
    pub tasks: Tasks,
    /// Raised when a store cannot be recovered: the node stops (see `storage`).
    pub fatal: Fatal,
    /// The best head that failed to import while the chain store was degraded (noted by the
    /// block pipeline, taken by the store doctor once the store is back).
    pub missed: Missed,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").field("key", &self.key).finish()
    }
}

/// What a node is built from. [`Ctx::new`] adds the clock, the task set and the store flags,
/// so the node, its tests and the fuzz harness build a `Ctx` the same way.
pub struct Parts {
    pub config: NodeConfig,
    pub genesis: Arc<Genesis>,
    pub key: Keypair,
    pub ledger: Arc<Ledger>,
    pub net: Arc<dyn NetPort>,
    pub verify: VerifyPool,
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
        Arc::new(Self {
            clock: Clock::with_offset_ms(p.config.clock_offset_ms),
            config: p.config,
            genesis: p.genesis,
            key: p.key,
            ledger: p.ledger,
            net: p.net,
            verify: p.verify,
            metrics: p.metrics,
            tracer: p.tracer,
            tasks: Tasks::metered(p.meter),
            fatal: Default::default(),
            missed: Default::default(),
        })
    }
}
