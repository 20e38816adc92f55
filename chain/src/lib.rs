//! Rumor's chain core: typed ids, canonical encoding, signing, genesis, the state transition,
//! block validation, fork choice and the redb chain store.
//!
//! This crate knows nothing of the network or the mempool (data flows p2p → node → chain).

pub mod block;
pub mod clock;
pub mod genesis;
pub mod primitives;
pub mod state;
pub mod store;
#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;
pub mod tx;
pub mod validate;

/// The module paths other crates name (`rumor_chain::codec::TX_ENCODED_LEN`, ...), kept where
/// they were before the primitives moved into one directory.
pub use primitives::{codec, crypto, hash};

pub use block::compact::{CompactBlock, CompactError, PartialBlock, ShortId, ShortIdKey};
pub use block::evidence::{Equivocation, EvidenceError, VerifiedEquivocation};
pub use block::{Block, BlockHeader, SIGNED_HEADER_LEN, SignedHeader, tx_root};
pub use genesis::{Allocation, Genesis, GenesisError};
pub use primitives::address::Address;
pub use primitives::codec::{DecodeError, Limits};
pub use primitives::crypto::{Signature, SignatureError};
pub use primitives::hash::{BlockHash, Hash256, HexError, TxHash};
pub use primitives::keys::{KeyError, Keypair};
pub use state::{Account, AccountReader, Executor, State, StateDiff};
pub use store::{
    ChainStore, Commit, ImportError, ImportKind, ImportOutcome, IoFailure, MAX_EVIDENCE,
    MAX_HEADERS_PER_REQUEST, MAX_LOCATOR_LEN, StoreError, TxLocation, beats, find_ancestor,
    locator_heights,
};
pub use tx::{SignedTransaction, Transaction, TxError, VerifiedTx};
pub use validate::{
    BlockError, ChainConfig, CheckedBlock, Produced, check_against_parent, check_block,
    check_block_skipping, check_header, check_signed_header, execute_block, produce_block,
};

/// Entry points for the fuzz targets in `fuzz/` (crate `rumor-fuzz`): the crate-private
/// codecs, unchanged. Not an API; nothing else uses them.
#[doc(hidden)]
pub mod fuzzing {
    use crate::primitives::codec::DecodeError;
    use crate::state::StateDiff;

    /// Decodes a state diff exactly as the store reads one (`StateDiff::decode`).
    pub fn decode_state_diff(bytes: &[u8]) -> Result<StateDiff, DecodeError> {
        StateDiff::decode(bytes)
    }

    /// Encodes a state diff exactly as the store writes one (`StateDiff::encode`).
    pub fn encode_state_diff(diff: &StateDiff) -> Vec<u8> {
        diff.encode()
    }
}
