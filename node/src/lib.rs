//! The Rumor node: wiring of p2p → node → {mempool, chain}, the validation pipeline, block
//! production, JSON-RPC, metrics, the propagation trace, and the key/genesis/wallet commands.
//!
//! `main.rs` only parses arguments; [`run::run`] is the node, callable from tests.
//!
//! Invariants: data flows p2p → node → {mempool, chain}; node code reaches the chain store,
//! the mempool and the orphan buffer only through [`ledger::Ledger`] (the one place their lock
//! order lives), and the network only through [`port::NetPort`]; no ledger lock or store work
//! runs on an async runtime thread; every task spawned once running is tracked
//! ([`tasks::Tasks`]) and drained on shutdown.

pub mod blocks;
pub mod clock;
pub mod config;
pub mod context;
pub mod events;
#[cfg(any(test, feature = "test-utils"))]
pub mod fake_net;
pub mod health;
pub mod ingest;
pub mod journal;
pub mod ledger;
pub mod logging;
pub mod metrics;
pub mod metrics_endpoint;
pub mod metrics_text;
pub mod orphans;
pub mod port;
pub mod precheck;
mod producer;
pub mod rpc;
pub mod run;
pub mod setup;
pub mod storage;
pub mod tasks;
#[cfg(test)]
mod testing;
pub mod trace;
pub mod txsync;
pub mod verify;
pub mod wallet;

pub use config::NodeConfig;
pub use run::{Embedding, NodeError, Started, run, run_embedded};
