//! Store failures: how the node lives through a full disk or a failing store, and when it stops.
//!
//! The stores are the chain store (redb, `chain.redb`) and the local-tx journal. When a write to
//! one fails with an I/O error the node is **degraded, never a zombie**:
//! - it takes no tx over RPC (`tx_submit` answers −32032 `storage_unavailable` with the reason)
//!   and produces no block while the chain store is unusable, and starts no catch-up (it would
//!   fail and back the peer off);
//! - it keeps relaying what needs no disk: gossiped blocks are forwarded on their checked
//!   header and gossiped txs pooled in memory, as before; reads it can serve are served;
//! - it **says so once**: one warning when a store degrades and one when it recovers (never a
//!   line per slot); meanwhile `rumor_store_degraded{store}` is 1, every failed operation counts
//!   in `rumor_store_failures_total{store}`, every attempt in
//!   `rumor_store_recovery_attempts_total{store,result}`, and `node_health` gives the reason;
//! - it **recovers by itself** ([`doctor`]): when the failure was "out of space" an attempt first
//!   writes and removes a [`doctor::PROBE_BYTES`] probe file in the data dir; then it reopens the
//!   chain store (redb refuses every operation on a handle after its first I/O error, so the
//!   handle is closed and the file opened again, with redb's repair and the integrity check of
//!   a normal start) or truncates the journal to its last durable record. The chain store is
//!   healthy again at its next durable write (its own block, or one from a peer); the journal
//!   right after its attempt. The best block that failed to import while degraded is caught
//!   up from its sender right after the reopen (the normal locator sync), so a node that
//!   missed blocks does not wait for the next gossip to notice.
//!
//! # Bounds, and why
//! - **Attempts back off from 100 ms to `store_retry_max_ms` (2 s).** The node resumes within
//!   one period of space returning; against a disk that stays full an attempt costs one probe
//!   write (1 MiB + fdatasync: 2–16 ms measured here) and no reopen, so waiting longer would buy
//!   nothing. A reopen holds the chain lock while redb repairs and checks the whole file
//!   (`cargo bench -p rumor-chain -- "store reopen"`: 11 ms for an 8 MiB store, 66 ms for
//!   64 MiB, about 1 ms per MiB), so after "out of space" it runs only once the probe passes;
//!   on a file system that refuses writes the open fails before reading anything.
//! - **Out of space is retried for as long as it lasts.** Nothing the node does frees space, a
//!   restart would meet the same full disk at open (and lose its pool and peers), while a
//!   degraded node keeps relaying and tells `/metrics`, `node_health` and its log what is wrong.
//! - **Any other I/O error** (EIO, a file system remounted read-only after an error) is retried
//!   while the store stays unusable for at most `store_give_up_ms` (60 s): long enough to ride
//!   out a transient fault, short enough that a supervisor learns within a minute that the disk
//!   is gone. Then the node shuts down in order and exits with status 74
//!   ([`rumor_api::exit::STORE_FAILED`]). A reopen that finds the file refused (corrupt,
//!   another genesis) stops it at once: no retry can fix that.
//!
//! Lock order: the monitor's lock is a leaf (taken under the ledger's chain lock, never the
//! other way round).

pub mod doctor;
pub mod flags;
pub mod monitor;
pub mod policy;

pub use doctor::probe_space;
pub use monitor::{Attempt, StorageMonitor};
pub use policy::{Policy, Store, Verdict};
