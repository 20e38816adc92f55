//! Refused submissions as JSON-RPC errors: each [`SubmitError`] maps to one reason of
//! `rumor_api::TxReject` (the code table and its labels live there, once).

use jsonrpsee::types::ErrorObjectOwned;
use rumor_api::TxReject;
pub use rumor_api::errors::{internal, invalid_params};
use rumor_chain::TxError;

use crate::txs::ingest::SubmitError;

/// The reason for a refused submission.
pub fn reason_of(e: &SubmitError) -> TxReject {
    match e {
        SubmitError::Decode(_) => TxReject::Decode,
        SubmitError::AlreadyKnown => TxReject::AlreadyKnown,
        SubmitError::Busy(_) => TxReject::Busy,
        SubmitError::Journal(_) | SubmitError::Storage(_) => TxReject::StorageUnavailable,
        SubmitError::Invalid(t) => match t {
            TxError::WrongChainId { .. } => TxReject::WrongChain,
            TxError::BadSignature(_) => TxReject::InvalidSignature,
            TxError::CostOverflow => TxReject::CostOverflow,
            TxError::NonceMismatch { .. } => TxReject::NonceTooLow,
            TxError::InsufficientBalance { .. } | TxError::BalanceOverflow => {
                TxReject::InsufficientBalance
            }
        },
        SubmitError::Pool(p) => p.reason(),
    }
}

impl From<SubmitError> for ErrorObjectOwned {
    fn from(e: SubmitError) -> Self {
        reason_of(&e).error(e.to_string())
    }
}
