//! The block pipeline, one file per job:
//! - [`future`]: blocks from the future held for their slot, and the clock-offset samples;
//! - [`compact`]: compact blocks: our blocks published compact, gossiped ones rebuilt from
//!   the pool (missing txs by `/rumor/blocktxn/1`), blocktxn answered;
//! - [`gossip`]: a gossiped block → header checks → verdict (forward early) → import;
//!   equivocation detection;
//! - [`import`](mod@import): stage-1 checks on the verification pool, the ledger import on the
//!   blocking pool, orphans (unknown parent → buffer + fetch ancestors by hash);
//! - [`catchup`]: the sync client: verifies a peer's claimed head, then headers by locator
//!   (checked in [`headers`]) and bodies by range ([`bodies`]); per-peer [`backoff`];
//! - [`serve`]: the sync server, answers from the head snapshot and the store;
//! - [`producer`]: our own blocks, in our slots (paused by a catch-up of a verified claim).
//!
//! - [`state`]: [`Blocks`], the pipeline itself: the shared services it borrows (`Ctx`) and the
//!   state it owns (clock estimate, held blocks, recent blocks, the catch-up's flag, backoff
//!   and production pause).
//!
//! Invariants: every block, whatever its source, enters the chain through [`import::import`]
//! (the producer's own, built under the ledger's lock, excepted); the pipeline's state lives
//! in [`Blocks`], not in the shared `Ctx`; no two files here import each other, directly or
//! around a loop (`state`, `request`, `import`, `headers` and `backoff` are the leaves).

pub mod backoff;
pub mod bodies;
pub mod catchup;
pub mod compact;
pub mod future;
pub mod gossip;
pub mod headers;
pub mod import;
pub mod orphan;
pub mod producer;
pub mod request;
pub mod serve;
pub mod state;

pub use backoff::Backoff;
pub use catchup::{Outcome, catch_up, claims_better};
pub use compact::{on_gossip_compact, serve_block_txn};
pub use gossip::{SLOT_CACHE, SlotCache, on_block_seen_again, on_gossip_block, slot_cache};
pub use import::import;
pub use orphan::resolve_orphan;
pub use serve::{answer, serve_sync};
pub use state::{Blocks, CatchUpState};
