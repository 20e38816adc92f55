//! Stable JSON-RPC error codes for tx rejections and node conditions, in the server range
//! (−32000 … −32099) but clear of the codes jsonrpsee itself uses (−32000 … −32011), so a client
//! can tell "your tx was refused" from "the server refused your request".
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
//!
//! Every error carries `data` = the reason string in the middle column.

use jsonrpsee::types::ErrorObjectOwned;
use rumor_chain::TxError;
use rumor_mempool::InsertError;

use crate::ingest::SubmitError;

pub const DECODE: i32 = -32020;
pub const WRONG_CHAIN: i32 = -32021;
pub const INVALID_SIGNATURE: i32 = -32022;
pub const NONCE_TOO_LOW: i32 = -32023;
pub const ALREADY_KNOWN: i32 = -32024;
pub const INSUFFICIENT_BALANCE: i32 = -32025;
pub const FEE_TOO_LOW: i32 = -32026;
pub const REPLACEMENT_UNDERPRICED: i32 = -32027;
pub const POOL_FULL: i32 = -32028;
pub const SENDER_FULL: i32 = -32029;
pub const COST_OVERFLOW: i32 = -32030;
pub const BUSY: i32 = -32031;
/// JSON-RPC 2.0's own "invalid params".
pub const INVALID_PARAMS: i32 = -32602;
/// JSON-RPC 2.0's own "internal error".
pub const INTERNAL: i32 = -32603;

fn err(code: i32, reason: &str, message: String) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message, Some(reason))
}

pub fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(INVALID_PARAMS, message.into(), None::<()>)
}

pub fn internal(message: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(INTERNAL, format!("internal error: {message}"), None::<()>)
}

/// The code and reason for a refused submission.
pub fn code_of(e: &SubmitError) -> (i32, &'static str) {
    match e {
        SubmitError::Decode(_) => (DECODE, "decode"),
        SubmitError::AlreadyKnown => (ALREADY_KNOWN, "already_known"),
        SubmitError::Busy(_) => (BUSY, "busy"),
        SubmitError::Invalid(t) => match t {
            TxError::WrongChainId { .. } => (WRONG_CHAIN, "wrong_chain"),
            TxError::BadSignature(_) => (INVALID_SIGNATURE, "invalid_signature"),
            TxError::CostOverflow => (COST_OVERFLOW, "cost_overflow"),
            TxError::NonceMismatch { .. } => (NONCE_TOO_LOW, "nonce_too_low"),
            TxError::InsufficientBalance { .. } | TxError::BalanceOverflow => {
                (INSUFFICIENT_BALANCE, "insufficient_balance")
            }
        },
        SubmitError::Pool(p) => match p {
            InsertError::WrongChainId { .. } => (WRONG_CHAIN, "wrong_chain"),
            InsertError::CostOverflow => (COST_OVERFLOW, "cost_overflow"),
            InsertError::FeeTooLow { .. } => (FEE_TOO_LOW, "fee_too_low"),
            InsertError::AlreadyKnown => (ALREADY_KNOWN, "already_known"),
            InsertError::NonceTooLow { .. } => (NONCE_TOO_LOW, "nonce_too_low"),
            InsertError::InsufficientBalance { .. } => {
                (INSUFFICIENT_BALANCE, "insufficient_balance")
            }
            InsertError::ReplacementUnderpriced { .. } => {
                (REPLACEMENT_UNDERPRICED, "replacement_underpriced")
            }
            InsertError::SenderSlotsFull { .. } => (SENDER_FULL, "sender_full"),
            InsertError::PoolFull { .. } => (POOL_FULL, "pool_full"),
        },
    }
}

impl From<SubmitError> for ErrorObjectOwned {
    fn from(e: SubmitError) -> Self {
        let (code, reason) = code_of(&e);
        err(code, reason, e.to_string())
    }
}
