//! The Rumor node: wiring of p2p → node → {mempool, chain}, the validation pipelines, block
//! production, JSON-RPC, metrics, the propagation trace, and the key/genesis/wallet commands.
//!
//! `main.rs` only parses arguments; [`run()`] is the node, callable from tests. The map:
//! - [`context`]: `Ctx`, the shared services a pipeline borrows (config, clock, ledger, network
//!   port, verification pool, metrics, tracer, tasks, store flags), and nothing else;
//! - [`services`]: those services (ledger, port, verify, tasks, trace, clock);
//! - pipelines, each owning its state: [`blocks`] (gossip, compact, held, orphans, catch-up,
//!   production; `blocks::Blocks`), [`txs`] (ingest, pre-checks, journal, anti-entropy), and
//!   `events` (the dispatcher that owns the per-slot cache and the unpayable tally);
//! - [`rpc`]: the JSON-RPC server; [`metrics`] and its endpoint; `storage`: store health and
//!   recovery; [`ops`]: the CLI's other commands; [`config`]; `run`: start and ordered stop.
//!
//! Invariants: data flows p2p → node → {mempool, chain}; node code reaches the chain store,
//! the mempool and the orphan buffer only through [`services::ledger::Ledger`] (the one place
//! their lock order lives), and the network only through [`services::port::NetPort`]; no ledger
//! lock or store work runs on an async runtime thread; every task spawned once running is
//! tracked ([`services::tasks::Tasks`]) and drained on shutdown; no two files import each
//! other, directly or around a loop.

pub mod blocks;
pub mod config;
pub mod context;
mod events;
#[cfg(any(test, feature = "test-utils"))]
pub mod fake_net;
pub mod metrics;
mod metrics_endpoint;
mod metrics_text;
pub mod ops;
pub mod rpc;
mod run;
pub mod services;
mod storage;
#[cfg(test)]
mod testing;
pub mod txs;

pub use config::NodeConfig;
pub use run::{Embedding, NodeError, Started, run, run_embedded};
// Paths other crates use (the testnet, the floor): kept at the root.
pub use ops::{logging, setup};
pub use services::verify;
