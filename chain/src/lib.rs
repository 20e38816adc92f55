//! Rumor's chain core: typed ids, canonical encoding, signing, genesis, the state transition,
//! block validation, fork choice and the redb chain store.
//!
//! This crate knows nothing of the network or the mempool (data flows p2p → node → chain).

pub mod address;
pub mod block;
pub mod clock;
pub mod codec;
pub mod compact;
pub mod crypto;
pub mod evidence;
pub mod genesis;
pub mod hash;
pub mod keys;
pub mod merkle;
pub mod state;
pub mod store;
pub mod tx;
pub mod validate;

pub use address::Address;
pub use block::{Block, BlockHeader, SIGNED_HEADER_LEN, SignedHeader, tx_root};
pub use codec::{DecodeError, Limits};
pub use compact::{CompactBlock, CompactError, PartialBlock, ShortId, ShortIdKey};
pub use crypto::{Signature, SignatureError};
pub use evidence::{Equivocation, EvidenceError, VerifiedEquivocation};
pub use genesis::{Allocation, Genesis, GenesisError};
pub use hash::{BlockHash, Hash256, HexError, TxHash};
pub use keys::{KeyError, Keypair};
pub use state::{Account, AccountReader, Executor, State, StateDiff, TxError};
pub use store::{
    ChainStore, Commit, ImportError, ImportKind, ImportOutcome, IoFailure, MAX_EVIDENCE,
    MAX_HEADERS_PER_REQUEST, MAX_LOCATOR_LEN, StoreError, TxLocation, beats, find_ancestor,
    locator_heights,
};
pub use tx::{SignedTransaction, Transaction, VerifiedTx};
pub use validate::{
    BlockError, ChainConfig, CheckedBlock, Produced, check_against_parent, check_block,
    check_block_skipping, check_header, check_signed_header, execute_block, produce_block,
};

/// Entry points for the fuzz targets in `fuzz/` (crate `rumor-fuzz`): the crate-private
/// codecs, unchanged. Not an API; nothing else uses them.
#[doc(hidden)]
pub mod fuzzing {
    use crate::codec::DecodeError;
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
