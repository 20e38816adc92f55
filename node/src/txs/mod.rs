//! The tx pipeline, shared by RPC, gossip and anti-entropy:
//! - [`ingest`]: local submissions (RPC; journaled, then published) and gossiped batches
//!   (pre-checks, verification, admission, one verdict each); the journal's restore at start;
//! - [`precheck`]: the pool's cheap stateful checks before any signature work, and the
//!   per-peer tally of unpayable txs (owned by the event loop, passed in);
//! - [`journal`]: the local-tx journal (group commit, compaction), a file format only;
//! - [`txsync`]: mempool anti-entropy (`/rumor/txsync/1`), client and server.
//!
//! Invariant: every tx, whatever its source, is verified on the verification pool and admitted
//! through the ledger; this pipeline's state (the tally, the journal) is owned by whoever runs
//! it and passed in, never kept in the shared `Ctx`; `journal` and `precheck` are leaves.

pub mod ingest;
pub mod journal;
pub mod precheck;
pub mod txsync;
