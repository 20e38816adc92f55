//! Stable JSON-RPC error codes and the one vocabulary of tx rejection reasons.
//!
//! Invariant: every reason has exactly one code and one snake_case label, defined here. The
//! same label is the RPC error's `data`, the key of `mempool_status.rejections` and the
//! `reason` label of the pool's rejection counter, so a client, a dashboard and the pool agree.
//!
//! Codes sit in the server range (−32000 … −32099) but clear of the codes jsonrpsee itself uses
//! (−32000 … −32011), so a client can tell "your tx was refused" from "the server refused your
//! request".
//!
//! | code | reason | meaning |
//! |---|---|---|
//! | −32020 | `decode` | bytes are not a canonical encoded transaction |
//! | −32021 | `wrong_chain` | tx is for another chain id |
//! | −32022 | `invalid_signature` | signature does not verify (strict) |
//! | −32023 | `nonce_too_low` | nonce already used on chain |
//! | −32024 | `already_known` | tx already seen or pooled |
//! | −32025 | `insufficient_balance` | balance below amount + fee (+ earlier pooled txs) |
//! | −32026 | `fee_too_low` | fee below the pool minimum |
//! | −32027 | `replacement_underpriced` | same-nonce replacement without the required fee bump |
//! | −32028 | `pool_full` | pool full and the fee does not beat the cheapest evictable tx |
//! | −32029 | `sender_full` | the sender's queued slots are full |
//! | −32030 | `cost_overflow` | amount + fee overflows |
//! | −32031 | `busy` | verification queue full; retry later |
//! | −32032 | `storage_unavailable` | the node cannot persist right now (disk full, I/O error): it takes no txs until its store recovers (`node_health` says why); retry later or elsewhere |
//!
//! One code is about the client, not a tx: the server refused the call because this client
//! (source address) called faster than `[rpc] rate_per_ip`. jsonrpsee's −32005 ("batches not
//! supported") is taken, so it sits past the tx table, clear of both:
//!
//! | code | meaning |
//! |---|---|
//! | −32040 | `rate_limited`: over the per-client call rate; `data.retry_after_ms` says when one more call will be served |

use serde::{Deserialize, Serialize};

/// JSON-RPC 2.0's own "invalid params".
pub const INVALID_PARAMS: i32 = -32602;
/// JSON-RPC 2.0's own "internal error".
pub const INTERNAL: i32 = -32603;
/// The call was refused because its client is over the per-client call rate.
pub const RATE_LIMITED: i32 = -32040;
/// The message of a [`RATE_LIMITED`] error.
pub const RATE_LIMITED_MSG: &str = "rate limited: too many calls from this address; retry later";

/// Why a transaction was refused (by RPC validation, the verifier or the pool).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxReject {
    Decode,
    WrongChain,
    InvalidSignature,
    NonceTooLow,
    AlreadyKnown,
    InsufficientBalance,
    FeeTooLow,
    ReplacementUnderpriced,
    PoolFull,
    SenderFull,
    CostOverflow,
    Busy,
    StorageUnavailable,
}

impl TxReject {
    /// Every reason, in code order.
    pub const ALL: [TxReject; 13] = [
        TxReject::Decode,
        TxReject::WrongChain,
        TxReject::InvalidSignature,
        TxReject::NonceTooLow,
        TxReject::AlreadyKnown,
        TxReject::InsufficientBalance,
        TxReject::FeeTooLow,
        TxReject::ReplacementUnderpriced,
        TxReject::PoolFull,
        TxReject::SenderFull,
        TxReject::CostOverflow,
        TxReject::Busy,
        TxReject::StorageUnavailable,
    ];

    /// The reasons the pool itself returns (its rejection counters, in this order).
    pub const POOL: [TxReject; 9] = [
        TxReject::WrongChain,
        TxReject::CostOverflow,
        TxReject::FeeTooLow,
        TxReject::AlreadyKnown,
        TxReject::NonceTooLow,
        TxReject::InsufficientBalance,
        TxReject::ReplacementUnderpriced,
        TxReject::SenderFull,
        TxReject::PoolFull,
    ];

    /// The JSON-RPC error code.
    pub const fn code(self) -> i32 {
        -32020 - self as i32
    }

    /// The stable snake_case label (RPC error `data`, metric label, status key).
    pub const fn as_str(self) -> &'static str {
        match self {
            TxReject::Decode => "decode",
            TxReject::WrongChain => "wrong_chain",
            TxReject::InvalidSignature => "invalid_signature",
            TxReject::NonceTooLow => "nonce_too_low",
            TxReject::AlreadyKnown => "already_known",
            TxReject::InsufficientBalance => "insufficient_balance",
            TxReject::FeeTooLow => "fee_too_low",
            TxReject::ReplacementUnderpriced => "replacement_underpriced",
            TxReject::PoolFull => "pool_full",
            TxReject::SenderFull => "sender_full",
            TxReject::CostOverflow => "cost_overflow",
            TxReject::Busy => "busy",
            TxReject::StorageUnavailable => "storage_unavailable",
        }
    }

    /// The reason for an error code, if it is one of ours.
    pub fn from_code(code: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Position in [`Self::ALL`] (for counter arrays).
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for TxReject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "rpc")]
mod rpc_errors {
    use jsonrpsee::types::ErrorObjectOwned;

    use super::*;

    impl TxReject {
        /// The error object for a refused submission: our code, the message, the reason as
        /// `data`.
        pub fn error(self, message: impl Into<String>) -> ErrorObjectOwned {
            ErrorObjectOwned::owned(self.code(), message.into(), Some(self.as_str()))
        }
    }

    pub fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
        ErrorObjectOwned::owned(INVALID_PARAMS, message.into(), None::<()>)
    }

    pub fn internal(message: impl std::fmt::Display) -> ErrorObjectOwned {
        ErrorObjectOwned::owned(INTERNAL, format!("internal error: {message}"), None::<()>)
    }

    /// The answer to a call over its client's rate: [`RATE_LIMITED`], with the wait until the
    /// next call would be served as `data.retry_after_ms`.
    pub fn rate_limited(retry_after_ms: u64) -> ErrorObjectOwned {
        ErrorObjectOwned::owned(
            RATE_LIMITED,
            RATE_LIMITED_MSG,
            Some(serde_json::json!({ "retry_after_ms": retry_after_ms })),
        )
    }
}

#[cfg(feature = "rpc")]
pub use rpc_errors::{internal, invalid_params, rate_limited};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_labels_are_the_documented_table() {
        let table = [
            (-32020, "decode"),
            (-32021, "wrong_chain"),
            (-32022, "invalid_signature"),
            (-32023, "nonce_too_low"),
            (-32024, "already_known"),
            (-32025, "insufficient_balance"),
            (-32026, "fee_too_low"),
            (-32027, "replacement_underpriced"),
            (-32028, "pool_full"),
            (-32029, "sender_full"),
            (-32030, "cost_overflow"),
            (-32031, "busy"),
            (-32032, "storage_unavailable"),
        ];
        for (r, (code, label)) in TxReject::ALL.into_iter().zip(table) {
            assert_eq!((r.code(), r.as_str()), (code, label));
            assert_eq!(TxReject::from_code(code), Some(r));
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{label}\""));
            assert_eq!(TxReject::ALL[r.index()], r);
        }
        assert_eq!(TxReject::from_code(-32000), None);
        assert_eq!(TxReject::from_code(RATE_LIMITED), None, "a code of its own");
    }
}
