//! Why a tx was not admitted. Each error maps to one reason of `rumor-api`'s [`TxReject`]
//! vocabulary, the label it is counted under and reported to RPC clients as.

pub use rumor_api::TxReject;

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

    /// The reason this rejection is counted under (and reported to RPC clients as).
    pub fn reason(&self) -> TxReject {
        match self {
            InsertError::WrongChainId { .. } => TxReject::WrongChain,
            InsertError::CostOverflow => TxReject::CostOverflow,
            InsertError::FeeTooLow { .. } => TxReject::FeeTooLow,
            InsertError::AlreadyKnown => TxReject::AlreadyKnown,
            InsertError::NonceTooLow { .. } => TxReject::NonceTooLow,
            InsertError::InsufficientBalance { .. } => TxReject::InsufficientBalance,
            InsertError::ReplacementUnderpriced { .. } => TxReject::ReplacementUnderpriced,
            InsertError::SenderSlotsFull { .. } => TxReject::SenderFull,
            InsertError::PoolFull { .. } => TxReject::PoolFull,
        }
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
        let mut pool = TxReject::POOL.to_vec();
        pool.sort();
        assert_eq!(reasons, pool, "every pool reason, each once");
    }
}
