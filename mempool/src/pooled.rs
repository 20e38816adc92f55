//! A pooled tx and the facts the pool keeps beside it.

use std::time::Instant;

use rumor_chain::VerifiedTx;

/// Where a tx entered this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Submitted over RPC to this node.
    Local,
    /// Received from a peer (gossip, or taken back from a reorged-out block).
    External,
}

impl Origin {
    /// Breaks fee ties: a higher rank is evicted later and built into blocks earlier.
    pub(crate) fn rank(self) -> u8 {
        match self {
            Origin::External => 0,
            Origin::Local => 1,
        }
    }
}

/// Which part of the pool a tx sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubPool {
    /// Executable on the current head: its nonce follows the account's or a pending
    /// predecessor's, and the sender can pay for it and every pending predecessor.
    Pending,
    /// Waiting: a nonce gap, unaffordable for now, or beyond the sender's pending slots.
    Queued,
}

#[derive(Debug, Clone)]
pub(crate) struct PooledTx {
    pub tx: VerifiedTx,
    pub origin: Origin,
    /// Arrival order, unique per pool: the last tie-break everywhere.
    pub seq: u64,
    pub added: Instant,
}

impl PooledTx {
    pub fn fee(&self) -> u64 {
        self.tx.fee()
    }
}
