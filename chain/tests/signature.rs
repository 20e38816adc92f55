//! Signature checks: `verify_strict` everywhere, and the edge cases it exists for.

mod common;

use common::*;
use ed25519_dalek::Verifier;
use rumor_chain::*;

#[test]
fn valid_tx_verifies() {
    let tx = transfer(&account(0), account(1).address(), 5, 1, 0);
    assert!(tx.verify_signature().is_ok());
    assert!(tx.verify(CHAIN_ID).is_ok());
}

#[test]
fn wrong_key_is_rejected() {
    let mut tx = transfer(&account(0), account(1).address(), 5, 1, 0);
    tx.tx.from = account(2).address();
    assert_eq!(tx.verify_signature(), Err(SignatureError::Invalid));
    // Signed by someone else entirely.
    let forged = Transaction {
        from: account(0).address(),
        ..tx.tx.clone()
    }
    .sign(&account(3));
    assert_eq!(forged.verify_signature(), Err(SignatureError::Invalid));
}

#[test]
fn flipped_bits_are_rejected() {
    let tx = transfer(&account(0), account(1).address(), 5, 1, 0);
    for bit in [0, 7, 100, 255, 256 + 3, 511] {
        let mut bad = tx.clone();
        bad.signature.0[bit / 8] ^= 1 << (bit % 8);
        assert!(bad.verify_signature().is_err(), "signature bit {bit}");
    }
    let mut bad = tx.clone();
    bad.tx.amount ^= 1;
    assert!(bad.verify_signature().is_err(), "body bit");
}

#[test]
fn wrong_chain_id_is_rejected() {
    let tx = Transaction {
        chain_id: CHAIN_ID + 1,
        from: account(0).address(),
        to: account(1).address(),
        amount: 1,
        fee: 1,
        nonce: 0,
    }
    .sign(&account(0));
    // The signature is fine for its own chain but the tx is not valid on ours.
    assert!(tx.verify_signature().is_ok());
    assert!(matches!(
        tx.clone().verify(CHAIN_ID),
        Err(TxError::WrongChainId { .. })
    ));
    // Moving it to our chain breaks the signature (chain id is in the signed bytes twice).
    let mut moved = tx;
    moved.tx.chain_id = CHAIN_ID;
    assert!(matches!(
        moved.verify(CHAIN_ID),
        Err(TxError::BadSignature(_))
    ));
}

#[test]
fn domain_separation_blocks_cross_type_replay() {
    let key = account(0);
    let tx = Transaction {
        chain_id: CHAIN_ID,
        from: key.address(),
        to: key.address(),
        amount: 0,
        fee: 0,
        nonce: 0,
    };
    let raw = key.sign(&tx.encode());
    let stx = SignedTransaction { tx, signature: raw };
    assert!(
        stx.verify_signature().is_err(),
        "a signature without the domain tag"
    );
}

/// The identity point (y = 1) has order 1. With R = identity and s = 0, the cofactorless
/// equation [s]B = R + [k]A holds for every message: plain `verify` accepts this "signature";
/// Rumor must not.
#[test]
fn small_order_public_key_is_rejected() {
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut sig = [0u8; 64];
    sig[0] = 1; // R = identity, s = 0
    let msg = b"anything";
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&identity).unwrap();
    assert!(
        vk.verify(msg, &ed25519_dalek::Signature::from_bytes(&sig))
            .is_ok(),
        "premise: the non-strict check accepts it"
    );
    assert!(rumor_chain::crypto::verify(&Address(identity), msg, &Signature(sig)).is_err());

    let tx = SignedTransaction {
        tx: Transaction {
            chain_id: CHAIN_ID,
            from: Address(identity),
            to: account(1).address(),
            amount: 1,
            fee: 1,
            nonce: 0,
        },
        signature: Signature(sig),
    };
    assert!(matches!(tx.verify(CHAIN_ID), Err(TxError::BadSignature(_))));
}

/// Adds the group order ℓ to `s`: the same scalar mod ℓ, but not in canonical form.
#[test]
fn non_canonical_s_is_rejected() {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let tx = transfer(&account(0), account(1).address(), 5, 1, 0);
    let mut bad = tx.clone();
    let mut carry = 0u16;
    for (i, l) in L.iter().enumerate() {
        let sum = bad.signature.0[32 + i] as u16 + *l as u16 + carry;
        bad.signature.0[32 + i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "s + ℓ fits in 256 bits");
    assert_ne!(bad.signature, tx.signature);
    assert_eq!(bad.verify_signature(), Err(SignatureError::Invalid));
}

#[test]
fn invalid_point_address_is_rejected() {
    // Find a 32-byte string that does not decompress to a curve point.
    let not_a_point = (0u8..=255)
        .map(|b| [b; 32])
        .find(|bytes| ed25519_dalek::VerifyingKey::from_bytes(bytes).is_err())
        .expect("some constant string is off the curve");
    let sig = Signature([0; 64]);
    assert_eq!(
        rumor_chain::crypto::verify(&Address(not_a_point), b"m", &sig),
        Err(SignatureError::InvalidPublicKey)
    );
}

#[test]
fn block_signature_checks() {
    let g = genesis(1);
    let b = block_on(&g, &g.block().header, &g.initial_state(), 1, vec![]);
    assert!(b.verify_signature().is_ok());
    let mut wrong = b.clone();
    wrong.signature = authority(0).sign(&b.header.signing_bytes()); // slot 1 is authority 1's
    assert!(wrong.verify_signature().is_err());
    let mut flipped = b;
    flipped.signature.0[40] ^= 0x20;
    assert!(flipped.verify_signature().is_err());
}
