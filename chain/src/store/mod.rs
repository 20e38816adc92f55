//! The chain store: blocks, canonical index, tx index and head state in redb.
//!
//! Each import is one redb write transaction with two-phase commit and immediate durability, so
//! after a crash the store opens at either the old head or the new one — never a mix of the two.
//! Sync may defer durability ([`Commit::Deferred`]) for all but the last block of a range: a
//! crash then reopens at the last durable head, still consistent, and sync fetches the rest again.
//! Blocks are stored with their state diff, so switching branches reverts and re-applies diffs
//! instead of re-executing.
//!
//! Fork choice ([`beats`]): the highest block wins; at equal height the head we hold stays
//! (first seen), and a switch needing a reorg deeper than `ChainConfig::finality_depth` (if
//! set) is refused and logged. Ties used to go to the lower hash, which an authority can grind
//! (re-sign with another timestamp or tx order until its hash is low) and which rewards
//! withholding a block until a rival appears; first-seen costs nothing to check and cannot be
//! ground, and the next block on either branch breaks the tie for every node (Bitcoin Core
//! and Substrate's longest-chain rule do the same).
//!
//! The full head state lives in memory (see [`State`] for its cost); `ACCOUNTS` mirrors it on
//! disk and is reloaded at open.

mod backend;
mod branch;
mod chain_store;
mod error;
mod evidence;
mod import;
mod locator;
mod reopen;
mod tables;

pub use chain_store::{ChainStore, Commit, ImportKind, ImportOutcome, TxLocation, beats};
pub use error::{ImportError, IoFailure, StoreError};
pub use evidence::MAX_EVIDENCE;
pub use locator::{
    LOCATOR_DENSE, MAX_HEADERS_PER_REQUEST, MAX_LOCATOR_LEN, find_ancestor, locator_heights,
};
