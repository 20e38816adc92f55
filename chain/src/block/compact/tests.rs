use proptest::prelude::*;

use super::*;
use crate::primitives::address::Address;
use crate::primitives::hash::Hash256;
use crate::primitives::keys::Keypair;
use crate::test_utils::TxBuilder;

fn tx(i: u64) -> SignedTransaction {
    TxBuilder::from_label(&format!("compact-{}", i % 7))
        .chain_id(7)
        .to(Address([9; 32]))
        .amount(1 + i)
        .nonce(i)
        .sign()
}

fn block(n: u64) -> Block {
    let txs: Vec<SignedTransaction> = (0..n).map(tx).collect();
    let header = BlockHeader {
        chain_id: 7,
        height: 1,
        slot: 1,
        parent: BlockHash([1; 32]),
        timestamp: 0,
        tx_root: tx_root(&txs),
        state_root: Hash256([2; 32]),
        producer: Keypair::from_label("producer").address(),
    };
    Block::seal(header, txs, &Keypair::from_label("producer"))
}

fn pool(txs: &[SignedTransaction]) -> Vec<(TxHash, &SignedTransaction)> {
    txs.iter().map(|t| (t.hash(), t)).collect()
}

#[test]
fn a_block_rebuilds_from_a_pool_holding_all_its_txs_without_a_request() {
    let b = block(50);
    let c = CompactBlock::new(&b, 42, |_| false);
    let bytes = c.encode();
    assert_eq!(bytes.len(), c.encoded_len());
    assert!(bytes.len() * 10 < b.encode().len(), "{} bytes", bytes.len());
    let c = CompactBlock::decode(&bytes, &Limits::default()).unwrap();
    let mut p = c.partial().unwrap();
    // The pool holds more than the block, in another order.
    let mut held: Vec<SignedTransaction> = (0..80).rev().map(tx).collect();
    held.push(tx(3));
    p.offer(pool(&held));
    assert!(p.missing().is_empty());
    assert_eq!(p.finish().unwrap(), b);
}

#[test]
fn missing_txs_are_listed_by_index_and_filled_from_an_answer() {
    let b = block(10);
    let c = CompactBlock::new(&b, 1, |t| t == &b.txs[0]);
    assert_eq!(c.prefilled.len(), 1);
    let mut p = c.partial().unwrap();
    let held: Vec<SignedTransaction> = [1, 2, 4, 5, 6, 8].map(|i| b.txs[i].clone()).to_vec();
    p.offer(pool(&held));
    assert_eq!(p.missing(), vec![3, 7, 9]);
    // A wrong answer fills nothing.
    let wrong = vec![b.txs[3].clone(), b.txs[9].clone(), b.txs[7].clone()];
    assert_eq!(p.fill(wrong), Err(CompactError::WrongTx { index: 7 }));
    assert_eq!(
        p.fill(vec![b.txs[3].clone()]),
        Err(CompactError::WrongCount { wanted: 3, got: 1 })
    );
    assert_eq!(p.missing(), vec![3, 7, 9]);
    p.fill([3, 7, 9].map(|i| b.txs[i].clone()).to_vec())
        .unwrap();
    assert_eq!(p.finish().unwrap(), b);
}

#[test]
fn an_incomplete_block_is_not_finished() {
    let b = block(3);
    let mut p = CompactBlock::new(&b, 1, |_| false).partial().unwrap();
    p.offer(pool(&b.txs[..2]));
    assert_eq!(
        p.finish().unwrap_err(),
        CompactError::Incomplete { missing: 1 }
    );
}

#[test]
fn a_wrong_short_id_list_ends_in_a_root_mismatch_not_in_an_unsigned_block() {
    let b = block(4);
    let mut c = CompactBlock::new(&b, 1, |_| false);
    // A relayer swaps in another tx's short id: the rebuilt txs are not the signed ones.
    let other = tx(100);
    c.short_ids[2] = c.key().short_id(&other.hash());
    let mut p = c.partial().unwrap();
    let mut held = b.txs.clone();
    held.push(other);
    p.offer(pool(&held));
    assert!(p.missing().is_empty());
    assert_eq!(p.finish().unwrap_err(), CompactError::RootMismatch);
}

#[test]
fn two_candidates_for_one_slot_leave_it_to_be_requested() {
    let b = block(2);
    let c = CompactBlock::new(&b, 1, |_| false);
    let mut p = c.partial().unwrap();
    // Forge a colliding candidate by offering a different tx under the slot's hash.
    let impostor = tx(55);
    p.offer([(b.txs[0].hash(), &impostor)]);
    p.offer([(b.txs[0].hash(), &b.txs[0])]);
    p.offer(pool(&b.txs[1..]));
    assert_eq!(p.missing(), vec![0], "ambiguous: fetched, not guessed");
    p.fill(vec![b.txs[0].clone()]).unwrap();
    assert_eq!(p.finish().unwrap(), b);
}

#[test]
fn a_compact_block_matches_its_own_block_and_no_other_list() {
    let b = block(6);
    let c = CompactBlock::new(&b, 9, |t| t == &b.txs[2]);
    assert!(c.matches(&b));
    let mut wrong = c.clone();
    wrong.short_ids.swap(0, 1);
    assert!(!wrong.matches(&b));
    let mut other = b.clone();
    other.txs.pop();
    assert!(!c.matches(&other));
}

#[test]
fn duplicate_short_ids_refuse_to_rebuild() {
    let b = block(3);
    let mut c = CompactBlock::new(&b, 1, |_| false);
    c.short_ids[2] = c.short_ids[0];
    assert!(matches!(
        c.partial(),
        Err(CompactError::DuplicateShortId(_))
    ));
}

#[test]
fn the_key_depends_on_block_and_nonce() {
    let h = BlockHash([3; 32]);
    let t = tx(1).hash();
    let a = ShortIdKey::new(&h, 1).short_id(&t);
    assert_eq!(a, ShortIdKey::new(&h, 1).short_id(&t));
    assert_ne!(a, ShortIdKey::new(&h, 2).short_id(&t));
    assert_ne!(a, ShortIdKey::new(&BlockHash([4; 32]), 1).short_id(&t));
}

#[test]
fn decode_refuses_counts_beyond_the_cap_or_the_bytes_and_bad_prefilled_indexes() {
    let limits = Limits {
        max_block_txs: 8,
        ..Limits::default()
    };
    let b = block(9);
    let over = CompactBlock::new(&b, 1, |_| false).encode();
    assert!(matches!(
        CompactBlock::decode(&over, &limits),
        Err(DecodeError::TooManyTxs { .. })
    ));
    // Split over the two lists, still 9 in all.
    let split = CompactBlock::new(&b, 1, |t| t == &b.txs[8]).encode();
    assert!(matches!(
        CompactBlock::decode(&split, &limits),
        Err(DecodeError::TooManyTxs { count: 9, .. })
    ));
    // A short-id count larger than the bytes present.
    let small = CompactBlock::new(&block(2), 1, |_| false);
    let mut lying = small.encode();
    let at = codec::HEADER_ENCODED_LEN + 64 + 8;
    lying[at..at + 8].copy_from_slice(&7u64.to_le_bytes());
    assert!(matches!(
        CompactBlock::decode(&lying, &Limits::default()),
        Err(DecodeError::LengthPrefixTooLarge { .. })
    ));
    // Prefilled out of order.
    let b = block(3);
    let mut c = CompactBlock::new(&b, 1, |t| t != &b.txs[1]);
    c.prefilled.swap(0, 1);
    assert!(matches!(
        CompactBlock::decode(&c.encode(), &Limits::default()),
        Err(DecodeError::Malformed(_))
    ));
    // Trailing bytes.
    let mut extra = small.encode();
    extra.push(0);
    assert!(matches!(
        CompactBlock::decode(&extra, &Limits::default()),
        Err(DecodeError::TrailingBytes { extra: 1 })
    ));
}

proptest! {
    #[test]
    fn encoding_round_trips_and_rebuilds_whatever_is_prefilled(
        n in 0u64..40,
        nonce in any::<u64>(),
        mask in any::<u64>(),
    ) {
        let b = block(n);
        let pick = |t: &SignedTransaction| mask >> (t.tx.nonce % 64) & 1 == 1;
        let c = CompactBlock::new(&b, nonce, pick);
        let d = CompactBlock::decode(&c.encode(), &Limits::default()).unwrap();
        prop_assert_eq!(&d, &c);
        let mut p = d.partial().unwrap();
        p.offer(pool(&b.txs));
        prop_assert_eq!(p.finish().unwrap(), b);
    }

    #[test]
    fn decode_never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = CompactBlock::decode(&bytes, &Limits::default());
    }
}
