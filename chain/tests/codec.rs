//! Canonical encoding: exact round trips and every kind of rejection.

mod common;

use common::*;
use proptest::prelude::*;
use rumor_chain::codec::{BLOCK_OVERHEAD_LEN, HEADER_ENCODED_LEN, TX_ENCODED_LEN};
use rumor_chain::*;

fn sample_block(n: usize) -> Block {
    let g = genesis(n.max(1));
    let state = g.initial_state();
    let txs = (0..n)
        .map(|i| transfer(&account(i), account(0).address(), 1, 1, 0))
        .collect();
    block_on(&g, &g.block().header, &state, 1, txs)
}

#[test]
fn sizes_are_fixed() {
    let tx = transfer(&account(0), account(1).address(), 5, 1, 0);
    assert_eq!(tx.encode().len(), TX_ENCODED_LEN);
    let b = sample_block(3);
    assert_eq!(b.header.encode().len(), HEADER_ENCODED_LEN);
    assert_eq!(b.encode().len(), BLOCK_OVERHEAD_LEN + 3 * TX_ENCODED_LEN);
    assert_eq!(b.encode().len(), b.encoded_len());
}

#[test]
fn tx_round_trip_and_rejections() {
    let limits = Limits::default();
    let bytes = transfer(&account(0), account(1).address(), 5, 1, 0).encode();
    let tx = SignedTransaction::decode(&bytes, &limits).unwrap();
    assert_eq!(tx.encode(), bytes);
    assert_eq!(
        SignedTransaction::decode(&bytes[..bytes.len() - 1], &limits),
        Err(DecodeError::Truncated)
    );
    assert_eq!(
        SignedTransaction::decode(&[], &limits),
        Err(DecodeError::Truncated)
    );
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(
        SignedTransaction::decode(&long, &limits),
        Err(DecodeError::TrailingBytes { extra: 1 })
    );
    let small = Limits {
        max_tx_bytes: 100,
        ..limits
    };
    assert_eq!(
        SignedTransaction::decode(&bytes, &small),
        Err(DecodeError::Oversized { len: 160, max: 100 })
    );
    let huge = vec![0u8; 10_000];
    assert!(matches!(
        SignedTransaction::decode(&huge, &limits),
        Err(DecodeError::Oversized { .. })
    ));
}

#[test]
fn header_round_trip_and_rejections() {
    let h = sample_block(0).header;
    let bytes = h.encode();
    assert_eq!(BlockHeader::decode(&bytes).unwrap(), h);
    assert_eq!(
        BlockHeader::decode(&bytes[..10]),
        Err(DecodeError::Truncated)
    );
    let mut long = bytes.clone();
    long.push(1);
    assert!(matches!(
        BlockHeader::decode(&long),
        Err(DecodeError::Oversized { .. })
    ));
}

#[test]
fn block_round_trip_and_rejections() {
    let limits = Limits::default();
    let b = sample_block(4);
    let bytes = b.encode();
    let back = Block::decode(&bytes, &limits).unwrap();
    assert_eq!(back, b);
    assert_eq!(back.encode(), bytes);

    for cut in [
        0,
        10,
        HEADER_ENCODED_LEN + 3,
        BLOCK_OVERHEAD_LEN - 1,
        bytes.len() - 1,
    ] {
        assert!(
            Block::decode(&bytes[..cut], &limits).is_err(),
            "truncated at {cut} must fail"
        );
    }
    let mut long = bytes.clone();
    long.extend_from_slice(&[0; 3]);
    assert_eq!(
        Block::decode(&long, &limits),
        Err(DecodeError::TrailingBytes { extra: 3 })
    );
    let few = Limits {
        max_block_txs: 3,
        ..limits
    };
    assert_eq!(
        Block::decode(&bytes, &few),
        Err(DecodeError::TooManyTxs { count: 4, max: 3 })
    );
    let tight = Limits {
        max_block_bytes: bytes.len() - 1,
        ..limits
    };
    assert!(matches!(
        Block::decode(&bytes, &tight),
        Err(DecodeError::Oversized { .. })
    ));
}

#[test]
fn huge_length_prefix_is_rejected_before_allocating() {
    let limits = Limits {
        max_block_txs: usize::MAX,
        ..Limits::default()
    };
    let b = sample_block(1);
    let mut bytes = b.encode();
    let at = HEADER_ENCODED_LEN + 64;
    // Claims 2^60 txs while 160 bytes follow: must fail without trying to allocate.
    bytes[at..at + 8].copy_from_slice(&(1u64 << 60).to_le_bytes());
    assert_eq!(
        Block::decode(&bytes, &limits),
        Err(DecodeError::LengthPrefixTooLarge {
            count: 1 << 60,
            available: TX_ENCODED_LEN
        })
    );
    // Even u64::MAX, where count * size overflows.
    bytes[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        Block::decode(&bytes, &limits),
        Err(DecodeError::LengthPrefixTooLarge { .. })
    ));
    // And the default cap catches it first.
    assert!(matches!(
        Block::decode(&bytes, &Limits::default()),
        Err(DecodeError::TooManyTxs { .. })
    ));
}

#[test]
fn json_uses_hex_strings() {
    let tx = transfer(&account(0), account(1).address(), 5, 1, 0);
    let v = serde_json::to_value(&tx).unwrap();
    assert_eq!(v["tx"]["from"], account(0).address().to_string());
    assert_eq!(v["signature"].as_str().unwrap().len(), 128);
    let back: SignedTransaction = serde_json::from_value(v).unwrap();
    assert_eq!(back, tx);
}

fn arb_tx() -> impl Strategy<Value = SignedTransaction> {
    (
        any::<u64>(),
        any::<[u8; 32]>(),
        any::<[u8; 32]>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        prop::collection::vec(any::<u8>(), 64),
    )
        .prop_map(
            |(chain_id, from, to, amount, fee, nonce, sig)| SignedTransaction {
                tx: Transaction {
                    chain_id,
                    from: Address(from),
                    to: Address(to),
                    amount,
                    fee,
                    nonce,
                },
                signature: Signature(sig.try_into().unwrap()),
            },
        )
}

fn arb_block() -> impl Strategy<Value = Block> {
    (
        any::<[u64; 4]>(),
        any::<[[u8; 32]; 4]>(),
        prop::collection::vec(any::<u8>(), 64),
        prop::collection::vec(arb_tx(), 0..8),
    )
        .prop_map(|(n, h, sig, txs)| Block {
            header: BlockHeader {
                chain_id: n[0],
                height: n[1],
                slot: n[2],
                parent: BlockHash(h[0]),
                timestamp: n[3],
                tx_root: Hash256(h[1]),
                state_root: Hash256(h[2]),
                producer: Address(h[3]),
            },
            signature: Signature(sig.try_into().unwrap()),
            txs,
        })
}

proptest! {
    #[test]
    fn prop_tx_round_trip(tx in arb_tx()) {
        let bytes = tx.encode();
        let back = SignedTransaction::decode(&bytes, &Limits::default()).unwrap();
        prop_assert_eq!(back.encode(), bytes);
        prop_assert_eq!(back, tx);
    }

    #[test]
    fn prop_block_round_trip(b in arb_block()) {
        let bytes = b.encode();
        let back = Block::decode(&bytes, &Limits::default()).unwrap();
        prop_assert_eq!(back.encode(), bytes);
        prop_assert_eq!(back, b);
    }

    /// Any accepted input re-encodes to itself; nothing panics on garbage.
    #[test]
    fn prop_accepted_bytes_are_canonical(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(tx) = SignedTransaction::decode(&bytes, &Limits::default()) {
            prop_assert_eq!(tx.encode(), bytes.clone());
        }
        if let Ok(b) = Block::decode(&bytes, &Limits::default()) {
            prop_assert_eq!(b.encode(), bytes);
        }
    }
}
