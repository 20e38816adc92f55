//! Rumor's transaction pool: bounded, nonce-aware and fee-ordered.
//!
//! Every tx from RPC ([`Origin::Local`]) and gossip ([`Origin::External`]) lands here after
//! its signature was checked (a [`rumor_chain::VerifiedTx`]); the pool decides what the next
//! block contains. Modelled on reth's transaction pool and geth's legacypool: a plain
//! synchronous [`Pool`] (no async, no locks; the node wraps it in a short-held lock), with the
//! chain state ([`rumor_chain::AccountReader`]) and the time passed in.
//!
//! # Model
//!
//! Each sender's txs are kept by nonce. The *pending* ones form a run: consecutive nonces from
//! the account's nonce, whose cumulative cost the balance covers, at most
//! `max_pending_per_sender` long. Everything above the run is *queued* (a nonce gap, not
//! affordable yet, or past the pending slots) and is promoted when a block or an insert closes
//! the gap. Only pending txs are offered to block building ([`Pool::best_transactions`]): a
//! heap over each sender's next nonce, so a sender's `n + 1` never precedes its `n`.
//!
//! When the pool is full, the cheapest sender *tail* (highest nonce) goes first, so eviction
//! never opens a gap; at equal fee external txs go before local ones, then the most recent.
//! A newcomer is admitted only if its fee is strictly above every tx it displaces. Ranking
//! tails by their own fee (as reth does) lets a high-fee tail shelter its cheaper ancestors;
//! the pending slots per sender bound how much that can hold.
//!
//! Admission order of checks and the resulting [`InsertError`]s are documented on
//! [`Pool::insert`]; [`InsertError::is_bad_transaction`] tells the network layer whether the
//! relaying peer deserves a penalty (only for txs that are invalid everywhere: a wrong chain
//! id or an overflowing cost; never for state or policy rejections).
//!
//! # Limits ([`PoolConfig`] defaults)
//!
//! | field | default | bounds |
//! | --- | --- | --- |
//! | `max_txs` | 10 000 | pending + queued txs |
//! | `max_bytes` | 2 MiB | encoded bytes (txs are 160 B today, so `max_txs` binds first) |
//! | `max_pending_per_sender` | 16 | executable txs per sender |
//! | `max_queued_per_sender` | 64 | waiting txs per sender |
//! | `max_queued_total` | 2 500 | waiting txs over all senders |
//! | `price_bump_percent` | 10 | fee increase a same-nonce replacement must pay |
//! | `lifetime` | 3 h | age after which [`Pool::maintain`] drops a tx |
//! | `min_fee` | 1 | fee floor |
//! | `pending_broadcast_capacity` | 4 096 | buffered hashes per [`Pool::subscribe_pending`] receiver |
//!
//! # Metrics
//!
//! The crate has no metrics dependency. [`Pool::status`] returns a [`PoolStatus`] snapshot
//! with the gauges (pending, queued, bytes, senders), the monotonic [`PoolCounters`]
//! (admitted, replaced, promoted, evicted, expired, included, stale, reinjected, and
//! rejections per [`TxReject`]) and the configured limits; [`PoolStatus::metrics`]
//! flattens it into Prometheus-named [`Metric`] samples (`mempool_*`) for the node to export.
//!
//! # Events
//!
//! [`Pool::on_block_imported`] takes the txs that became canonical, those that left the
//! canonical chain in a reorg, and the new head's state. [`Pool::maintain`] expires old txs.
//! [`Pool::subscribe_pending`] is a bounded `tokio::sync::broadcast` of newly pending hashes
//! (admitted, promoted or reinjected); lagging receivers lose the oldest.

mod best;
mod config;
mod error;
mod evict;
mod pool;
mod pooled;
mod sender;
mod status;

#[cfg(test)]
mod test_util;

pub use config::PoolConfig;
pub use error::{InsertError, TxReject};
pub use pool::{BlockUpdate, InsertOutcome, Pool, SenderContent};
pub use pooled::{Origin, SubPool};
pub use status::{Metric, MetricKind, PoolCounters, PoolStatus};
/// Re-exported so subscribers need not pin tokio themselves.
pub use tokio::sync::broadcast;
