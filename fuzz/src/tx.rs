//! `tx`: `SignedTransaction::decode` (the gossip payload and `tx_submit` input) and the
//! stateless checks behind it (`verify`: chain id, cost, `verify_strict`).

use rumor_chain::codec::TX_ENCODED_LEN;
use rumor_chain::{Limits, SignedTransaction};

use crate::fixture::CHAIN_ID;

pub fn tx(data: &[u8]) {
    let limits = Limits::default();
    let decoded = SignedTransaction::decode(data, &limits);
    // Below the fixed encoded size, every input is refused.
    let tight = Limits {
        max_tx_bytes: TX_ENCODED_LEN - 1,
        ..limits
    };
    assert!(SignedTransaction::decode(data, &tight).is_err());
    let Ok(tx) = decoded else { return };

    // Canonical: the one encoding of the value is the input, of the fixed size.
    let bytes = tx.encode();
    assert_eq!(bytes, data, "a decoded tx re-encodes to other bytes");
    assert_eq!(bytes.len(), TX_ENCODED_LEN);
    assert_eq!(SignedTransaction::decode(&bytes, &limits).as_ref(), Ok(&tx));
    // The gossip message id of the bytes is the tx hash.
    assert_eq!(rumor_p2p::message_id(data), tx.hash().0);

    // Stateless validation: whatever passes has a verifying signature and a cost that fits.
    match tx.clone().verify(CHAIN_ID) {
        Ok(verified) => {
            assert_eq!(tx.tx.chain_id, CHAIN_ID);
            assert!(tx.verify_signature().is_ok());
            assert_eq!(verified.hash(), tx.hash());
            assert_eq!(Some(verified.cost()), tx.tx.cost());
            assert_eq!(verified.into_signed(), tx);
        }
        Err(e) => assert!(
            e.is_bad_transaction(),
            "a stateless check failed statefully: {e}"
        ),
    }
}
