//! Why a tx was not admitted.

/// A rejected insert. The tx was not admitted and nothing was evicted for it (the pool may
/// still have re-synced the sender's cached account to the state passed in).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsertError {
    #[error("wrong chain id: expected {expected}, got {got}")]
    WrongChainId { expected: u64, got: u64 },
    #[error("amount + fee overflows")]
    CostOverflow,
    #[error("fee {fee} is below the pool minimum {min}")]
    FeeTooLow { fee: u64, min: u64 },
    #[error("tx already in the pool")]
    AlreadyKnown,
    #[error("nonce too low: account nonce is {account}, tx has {got}")]
    NonceTooLow { account: u64, got: u64 },
    #[error("insufficient balance: need {need} with the sender's earlier pooled txs, have {have}")]
    InsufficientBalance { need: u64, have: u64 },
    #[error("replacement fee {fee} too low: must be at least {required}")]
    ReplacementUnderpriced { fee: u64, required: u64 },
    #[error("sender already has {limit} queued txs")]
    SenderSlotsFull { limit: usize },
    #[error("pool is full and fee {fee} does not exceed the cheapest evictable tx's")]
    PoolFull {
        fee: u64,
        /// Fee of the cheapest tx that could have been evicted, if any could.
        cheapest: Option<u64>,
    },
}

impl InsertError {
    /// Whether the tx is invalid everywhere and forever, so the peer that relayed it deserves a
    /// penalty. State-dependent failures (nonce, balance) can be an honest race or reorg, and
    /// policy rejections depend on this node's load and config, so neither penalises.
    pub fn is_bad_transaction(&self) -> bool {
        match self {
            InsertError::WrongChainId { .. } | InsertError::CostOverflow => true,
            InsertError::FeeTooLow { .. }
            | InsertError::AlreadyKnown
            | InsertError::NonceTooLow { .. }
            | InsertError::InsufficientBalance { .. }
            | InsertError::ReplacementUnderpriced { .. }
            | InsertError::SenderSlotsFull { .. }
            | InsertError::PoolFull { .. } => false,
        }
    }

    /// The metric label this rejection is counted under.
    pub fn reason(&self) -> RejectReason {
        match self {
            InsertError::WrongChainId { .. } => RejectReason::WrongChainId,
            InsertError::CostOverflow => RejectReason::CostOverflow,
            InsertError::FeeTooLow { .. } => RejectReason::FeeTooLow,
            InsertError::AlreadyKnown => RejectReason::AlreadyKnown,
            InsertError::NonceTooLow { .. } => RejectReason::NonceTooLow,
            InsertError::InsufficientBalance { .. } => RejectReason::InsufficientBalance,
            InsertError::ReplacementUnderpriced { .. } => RejectReason::ReplacementUnderpriced,
            InsertError::SenderSlotsFull { .. } => RejectReason::SenderSlotsFull,
            InsertError::PoolFull { .. } => RejectReason::PoolFull,
        }
    }
}

/// The kinds of [`InsertError`], as counted in [`crate::PoolCounters::rejections`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    WrongChainId,
    CostOverflow,
    FeeTooLow,
    AlreadyKnown,
    NonceTooLow,
    InsufficientBalance,
    ReplacementUnderpriced,
    SenderSlotsFull,
    PoolFull,
}

impl RejectReason {
    /// Every reason, in counter order.
    pub const ALL: [RejectReason; 9] = [
        RejectReason::WrongChainId,
        RejectReason::CostOverflow,
        RejectReason::FeeTooLow,
        RejectReason::AlreadyKnown,
        RejectReason::NonceTooLow,
        RejectReason::InsufficientBalance,
        RejectReason::ReplacementUnderpriced,
        RejectReason::SenderSlotsFull,
        RejectReason::PoolFull,
    ];

    /// A stable snake_case label for metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::WrongChainId => "wrong_chain_id",
            RejectReason::CostOverflow => "cost_overflow",
            RejectReason::FeeTooLow => "fee_too_low",
            RejectReason::AlreadyKnown => "already_known",
            RejectReason::NonceTooLow => "nonce_too_low",
            RejectReason::InsufficientBalance => "insufficient_balance",
            RejectReason::ReplacementUnderpriced => "replacement_underpriced",
            RejectReason::SenderSlotsFull => "sender_slots_full",
            RejectReason::PoolFull => "pool_full",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_intrinsically_invalid_txs_penalise() {
        let bad = [
            InsertError::WrongChainId {
                expected: 1,
                got: 2,
            },
            InsertError::CostOverflow,
        ];
        let not_bad = [
            InsertError::FeeTooLow { fee: 0, min: 1 },
            InsertError::AlreadyKnown,
            InsertError::NonceTooLow { account: 2, got: 1 },
            InsertError::InsufficientBalance { need: 2, have: 1 },
            InsertError::ReplacementUnderpriced {
                fee: 1,
                required: 2,
            },
            InsertError::SenderSlotsFull { limit: 64 },
            InsertError::PoolFull {
                fee: 1,
                cheapest: Some(1),
            },
        ];
        assert!(bad.iter().all(InsertError::is_bad_transaction));
        assert!(!not_bad.iter().any(InsertError::is_bad_transaction));
        let mut reasons: Vec<_> = bad.iter().chain(&not_bad).map(|e| e.reason()).collect();
        reasons.sort();
        assert_eq!(reasons, RejectReason::ALL);
    }

    #[test]
    fn reason_indices_follow_all() {
        for (i, r) in RejectReason::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
            assert!(!r.as_str().is_empty());
        }
    }
}
