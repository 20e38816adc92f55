//! Transactions: the unsigned body, the signed wire form, and the verified form.

use serde::{Deserialize, Serialize};

use crate::primitives::address::Address;
use crate::primitives::codec::{self, DecodeError, Limits};
use crate::primitives::crypto::{self, Signature, SignatureError, TX_DOMAIN};
use crate::primitives::hash::{TxHash, sha256};
use crate::primitives::keys::Keypair;

/// A transfer of `amount` from `from` to `to`, paying `fee` to the block producer.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, bincode::Encode, bincode::Decode, Serialize, Deserialize,
)]
#[serde(deny_unknown_fields)]
pub struct Transaction {
    /// The chain this tx is valid on (also bound into the signature's domain).
    pub chain_id: u64,
    pub from: Address,
    pub to: Address,
    pub amount: u64,
    pub fee: u64,
    /// Must equal the sender's account nonce when the tx is applied.
    pub nonce: u64,
}

impl Transaction {
    /// Canonical encoding of the unsigned body.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(96);
        codec::encode_value(self, &mut out);
        out
    }

    /// The bytes the sender signs: domain tag, chain id, encoded body.
    pub fn signing_bytes(&self) -> Vec<u8> {
        crypto::signing_bytes(TX_DOMAIN, self.chain_id, &self.encode())
    }

    /// `amount + fee`, or `None` when it overflows (such a tx is invalid everywhere).
    pub fn cost(&self) -> Option<u64> {
        self.amount.checked_add(self.fee)
    }

    /// Signs the body with `key`. The result only verifies if `key` is `from`'s key.
    pub fn sign(self, key: &Keypair) -> SignedTransaction {
        let signature = key.sign(&self.signing_bytes());
        SignedTransaction {
            tx: self,
            signature,
        }
    }
}

/// A transaction with its sender's signature: the gossip payload and the `tx_submit` input.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, bincode::Encode, bincode::Decode, Serialize, Deserialize,
)]
#[serde(deny_unknown_fields)]
pub struct SignedTransaction {
    pub tx: Transaction,
    pub signature: Signature,
}

impl SignedTransaction {
    /// Canonical encoding ([`codec::TX_ENCODED_LEN`] bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(codec::TX_ENCODED_LEN);
        codec::encode_value(self, &mut out);
        out
    }

    /// Decodes untrusted bytes: rejects oversized input, truncation and trailing bytes.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Self, DecodeError> {
        codec::decode_exact(bytes, limits.max_tx_bytes)
    }

    /// SHA-256 of the canonical encoding.
    pub fn hash(&self) -> TxHash {
        TxHash(sha256(&self.encode()))
    }

    /// Checks the signature with `verify_strict`.
    pub fn verify_signature(&self) -> Result<(), SignatureError> {
        crypto::verify(&self.tx.from, &self.tx.signing_bytes(), &self.signature)
    }

    /// Stateless validation for `chain_id`: the chain id, the cost, then the signature (the
    /// expensive check last). On success the tx carries proof of it as a [`VerifiedTx`].
    pub fn verify(self, chain_id: u64) -> Result<VerifiedTx, TxError> {
        if self.tx.chain_id != chain_id {
            return Err(TxError::WrongChainId {
                expected: chain_id,
                got: self.tx.chain_id,
            });
        }
        if self.tx.cost().is_none() {
            return Err(TxError::CostOverflow);
        }
        self.verify_signature().map_err(TxError::BadSignature)?;
        Ok(VerifiedTx::new_unchecked(self))
    }
}

/// A transaction whose chain id, cost and signature have been checked. Only
/// [`SignedTransaction::verify`] and the chain store (for txs of blocks it validated) make one,
/// so holding one is proof that no signature work is left to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedTx {
    tx: SignedTransaction,
    hash: TxHash,
}

impl VerifiedTx {
    pub(crate) fn new_unchecked(tx: SignedTransaction) -> Self {
        let hash = tx.hash();
        Self { tx, hash }
    }

    pub fn hash(&self) -> TxHash {
        self.hash
    }

    pub fn signed(&self) -> &SignedTransaction {
        &self.tx
    }

    pub fn tx(&self) -> &Transaction {
        &self.tx.tx
    }

    pub fn sender(&self) -> Address {
        self.tx.tx.from
    }

    pub fn nonce(&self) -> u64 {
        self.tx.tx.nonce
    }

    pub fn fee(&self) -> u64 {
        self.tx.tx.fee
    }

    /// `amount + fee` (cannot overflow: checked at verification).
    pub fn cost(&self) -> u64 {
        self.tx.tx.amount + self.tx.tx.fee
    }

    /// Encoded size in bytes.
    pub fn encoded_len(&self) -> usize {
        codec::TX_ENCODED_LEN
    }

    pub fn into_signed(self) -> SignedTransaction {
        self.tx
    }
}

/// Why a transaction cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("wrong chain id: expected {expected}, got {got}")]
    WrongChainId { expected: u64, got: u64 },
    #[error("bad signature: {0}")]
    BadSignature(SignatureError),
    #[error("amount + fee overflows")]
    CostOverflow,
    #[error("nonce mismatch: account nonce is {expected}, tx has {got}")]
    NonceMismatch { expected: u64, got: u64 },
    #[error("insufficient balance: need {need}, have {have}")]
    InsufficientBalance { need: u64, have: u64 },
    #[error("a balance would overflow")]
    BalanceOverflow,
}

impl TxError {
    /// Whether the tx is invalid on its own, everywhere and forever — so a peer that relayed it
    /// deserves a penalty. Nonce and balance failures depend on the state a node happens to have
    /// (a race, a reorg) and are not the relayer's fault.
    pub fn is_bad_transaction(&self) -> bool {
        match self {
            TxError::WrongChainId { .. } | TxError::BadSignature(_) | TxError::CostOverflow => true,
            TxError::NonceMismatch { .. }
            | TxError::InsufficientBalance { .. }
            | TxError::BalanceOverflow => false,
        }
    }
}
