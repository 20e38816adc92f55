//! Signatures and their verification.
//!
//! Every check in Rumor goes through [`verify`], which uses `verify_strict`: it rejects
//! small-order public keys, small-order `R`, and non-canonical `s`. Plain `verify` (and batch
//! verification) accept some of those, and nodes that disagree on edge cases split the chain.

use ed25519_dalek::VerifyingKey;

use crate::primitives::address::Address;

/// Domain tag for transaction signatures.
pub const TX_DOMAIN: &[u8; 16] = b"RUMOR/tx/v1\0\0\0\0\0";
/// Domain tag for block signatures.
pub const BLOCK_DOMAIN: &[u8; 16] = b"RUMOR/block/v1\0\0";

/// A 64-byte ed25519 signature (`R || s`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, bincode::Encode, bincode::Decode)]
pub struct Signature(pub [u8; 64]);

impl Signature {
    /// The all-zero signature (used by the genesis block, which nobody signs).
    pub const ZERO: Self = Self([0u8; 64]);
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signature({})", hex::encode(&self.0[..4]))
    }
}

impl std::fmt::Display for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl serde::Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Signature {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        crate::primitives::hash::parse_hex_array::<64>(&s)
            .map(Signature)
            .map_err(serde::de::Error::custom)
    }
}

/// Why a signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("public key is not a valid ed25519 point")]
    InvalidPublicKey,
    #[error("signature does not verify (strict)")]
    Invalid,
}

/// Builds the exact bytes that are signed: `domain || chain_id (u64 LE) || body`.
pub fn signing_bytes(domain: &[u8; 16], chain_id: u64, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + body.len());
    out.extend_from_slice(domain);
    out.extend_from_slice(&chain_id.to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// Verifies `sig` over `msg` by `signer` with `verify_strict`.
pub fn verify(signer: &Address, msg: &[u8], sig: &Signature) -> Result<(), SignatureError> {
    let key = VerifyingKey::from_bytes(&signer.0).map_err(|_| SignatureError::InvalidPublicKey)?;
    let sig = ed25519_dalek::Signature::from_bytes(&sig.0);
    key.verify_strict(msg, &sig)
        .map_err(|_| SignatureError::Invalid)
}
