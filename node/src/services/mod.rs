//! The shared services every pipeline borrows (through the context's `Ctx`):
//! - [`ledger`]: the one owner of the chain store, the mempool and the orphan buffer
//!   ([`orphans`]), and the only place their lock order lives;
//! - [`port`]: the network, as a trait (the real handle, or a fake in tests);
//! - [`verify`]: the signature-verification pool (dedicated threads);
//! - [`tasks`]: tracked tasks and cooperative shutdown;
//! - [`trace`]: the propagation trace (bounded, lossy, off the hot path);
//! - [`clock`]: the clock tolerance, the early-block buffer and the offset estimate.
//!
//! Invariant: nothing here knows a pipeline: no file in this directory imports `blocks`, `txs`,
//! `events`, `rpc` or the context, so every pipeline can use every service without a loop.

pub mod clock;
pub mod ledger;
pub mod orphans;
pub mod port;
pub mod tasks;
pub mod trace;
pub mod verify;
