//! Equivocation evidence: two signed headers by one producer for one slot.
//!
//! Invariant: an [`Equivocation`] can only be built from two headers for the same slot with
//! different hashes, and the store keeps one only after [`Equivocation::verify`] passed: both
//! signatures valid under `verify_strict`, both by the slot's authority. Anyone holding the
//! genesis can re-check it, so a node exports it (RPC) without being trusted.

use crate::block::{SIGNED_HEADER_LEN, SignedHeader};
use crate::genesis::Genesis;
use crate::primitives::address::Address;
use crate::primitives::codec::DecodeError;
use crate::primitives::crypto::SignatureError;

/// Proof that `producer` signed two different blocks for `slot`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equivocation {
    /// The header this node saw first.
    pub first: SignedHeader,
    pub second: SignedHeader,
}

/// Why evidence does not prove an equivocation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error("the headers are for slots {0} and {1}")]
    DifferentSlots(u64, u64),
    #[error("the headers are the same block")]
    SameBlock,
    #[error("slot {slot} belongs to {expected}, not {got}")]
    WrongProducer {
        slot: u64,
        expected: Address,
        got: Address,
    },
    #[error("signature: {0}")]
    BadSignature(#[from] SignatureError),
}

/// Encoded size: the two signed headers back to back.
pub const EVIDENCE_LEN: usize = 2 * SIGNED_HEADER_LEN;

impl Equivocation {
    /// The pair, if it is one: same slot, different blocks. Signatures are checked by
    /// [`Self::verify`].
    pub fn new(first: SignedHeader, second: SignedHeader) -> Result<Self, EvidenceError> {
        let (a, b) = (&first.header, &second.header);
        if a.slot != b.slot {
            return Err(EvidenceError::DifferentSlots(a.slot, b.slot));
        }
        if first.hash() == second.hash() {
            return Err(EvidenceError::SameBlock);
        }
        Ok(Self { first, second })
    }

    pub fn slot(&self) -> u64 {
        self.first.header.slot
    }

    pub fn producer(&self) -> Address {
        self.first.header.producer
    }

    /// Both headers are by the slot's authority and carry its valid signature.
    pub fn verify(self, genesis: &Genesis) -> Result<VerifiedEquivocation, EvidenceError> {
        self.check(genesis)?;
        Ok(VerifiedEquivocation(self))
    }

    fn check(&self, genesis: &Genesis) -> Result<(), EvidenceError> {
        let expected = genesis.producer_for_slot(self.slot());
        for h in [&self.first, &self.second] {
            if h.header.producer != expected {
                return Err(EvidenceError::WrongProducer {
                    slot: self.slot(),
                    expected,
                    got: h.header.producer,
                });
            }
            h.verify_signature()?;
        }
        Ok(())
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.first.encode();
        out.extend_from_slice(&self.second.encode());
        out
    }

    /// Decodes evidence (untrusted bytes; fixed size). The pair is checked by
    /// [`Self::new`]; signatures are not.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() != EVIDENCE_LEN {
            return Err(DecodeError::Malformed(format!(
                "evidence of {} bytes, expected {EVIDENCE_LEN}",
                bytes.len()
            )));
        }
        let first = SignedHeader::decode(&bytes[..SIGNED_HEADER_LEN])?;
        let second = SignedHeader::decode(&bytes[SIGNED_HEADER_LEN..])?;
        Self::new(first, second).map_err(|e| DecodeError::Malformed(e.to_string()))
    }
}

/// Evidence whose signatures and producer were checked ([`Equivocation::verify`], or two blocks
/// that each passed `check_block`): what the store keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEquivocation(Equivocation);

impl VerifiedEquivocation {
    /// Two headers whose blocks both passed `check_block` (producer and signature checked).
    pub(crate) fn from_checked(first: SignedHeader, second: SignedHeader) -> Option<Self> {
        Equivocation::new(first, second).ok().map(Self)
    }

    pub fn evidence(&self) -> &Equivocation {
        &self.0
    }

    pub fn into_evidence(self) -> Equivocation {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::BlockHeader;
    use crate::primitives::hash::{BlockHash, Hash256};
    use crate::primitives::keys::Keypair;

    fn header(key: &Keypair, slot: u64, timestamp: u64) -> SignedHeader {
        let header = BlockHeader {
            chain_id: 1,
            height: 1,
            slot,
            timestamp,
            parent: BlockHash([0; 32]),
            tx_root: Hash256([0; 32]),
            state_root: Hash256([0; 32]),
            producer: key.address(),
        };
        let signature = key.sign(&header.signing_bytes());
        SignedHeader { header, signature }
    }

    #[test]
    fn evidence_is_two_signed_blocks_by_the_slots_producer() {
        let key = Keypair::from_label("producer");
        let other = Keypair::from_label("other");
        let genesis = Genesis::new(1, 0, 1000, vec![key.address()], &[], 0);
        let (a, b) = (header(&key, 3, 3000), header(&key, 3, 3001));
        let ev = Equivocation::new(a.clone(), b.clone()).unwrap();
        assert_eq!(Equivocation::decode(&ev.encode()).unwrap(), ev);
        assert_eq!(ev.clone().verify(&genesis).unwrap().evidence(), &ev);

        assert_eq!(
            Equivocation::new(a.clone(), a.clone()),
            Err(EvidenceError::SameBlock)
        );
        assert!(matches!(
            Equivocation::new(a.clone(), header(&key, 4, 4000)),
            Err(EvidenceError::DifferentSlots(3, 4))
        ));
        let forged = Equivocation::new(a.clone(), header(&other, 3, 3002)).unwrap();
        assert!(matches!(
            forged.verify(&genesis),
            Err(EvidenceError::WrongProducer { .. })
        ));
        let mut tampered = b;
        tampered.header.timestamp += 1;
        let bad = Equivocation::new(a, tampered).unwrap();
        assert!(matches!(
            bad.verify(&genesis),
            Err(EvidenceError::BadSignature(_))
        ));
        assert!(Equivocation::decode(&[0; 3]).is_err());
    }
}
