//! Admission: pending vs queued, replacement, nonce, balance, fee and per-sender slots.

use super::*;

#[test]
fn executable_tx_is_pending_and_successor_too() {
    let mut p = pool();
    let s = rich(&["a"]);
    assert_eq!(
        ins(&mut p, &tx("a", 0, 5, 1), &s),
        Ok(InsertOutcome::Pending)
    );
    assert_eq!(
        ins(&mut p, &tx("a", 1, 5, 1), &s),
        Ok(InsertOutcome::Pending)
    );
    assert_eq!(p.pending_nonce(&addr("a")), Some(2));
    assert_eq!((p.status().pending, p.status().queued), (2, 0));
}

#[test]
fn gap_is_queued_then_promoted_and_announced() {
    let mut p = pool();
    let s = rich(&["a"]);
    let mut rx = p.subscribe_pending();
    let t2 = tx("a", 2, 5, 1);
    let t1 = tx("a", 1, 5, 1);
    let t0 = tx("a", 0, 5, 1);
    assert_eq!(ins(&mut p, &t2, &s), Ok(InsertOutcome::Queued));
    assert_eq!(ins(&mut p, &t1, &s), Ok(InsertOutcome::Queued));
    assert!(drain(&mut rx).is_empty(), "queued txs are not announced");
    assert_eq!(p.subpool_of(&t2.hash()), Some(SubPool::Queued));
    assert_eq!(ins(&mut p, &t0, &s), Ok(InsertOutcome::Pending));
    assert_eq!(drain(&mut rx), vec![t0.hash(), t1.hash(), t2.hash()]);
    assert_eq!(p.subpool_of(&t2.hash()), Some(SubPool::Pending));
    let st = p.status();
    assert_eq!((st.pending, st.queued, st.counters.promoted), (3, 0, 2));
}

#[test]
fn replacement_needs_the_bump() {
    let mut p = pool();
    let s = rich(&["a"]);
    let old = tx("a", 0, 100, 1);
    ins(&mut p, &old, &s).unwrap();
    let err = ins(&mut p, &tx("a", 0, 109, 1), &s).unwrap_err();
    assert_eq!(
        err,
        InsertError::ReplacementUnderpriced {
            fee: 109,
            required: 110
        }
    );
    assert!(!err.is_bad_transaction());
    let new = tx("a", 0, 110, 1);
    assert_eq!(
        ins(&mut p, &new, &s),
        Ok(InsertOutcome::Replaced {
            replaced: old.hash(),
            subpool: SubPool::Pending
        })
    );
    assert!(!p.contains(&old.hash()));
    assert_eq!(p.get(&new.hash()), Some(&new));
    assert_eq!(p.len(), 1);
    assert_eq!(p.status().counters.replaced, 1);
}

#[test]
fn replacing_a_queued_tx_stays_queued() {
    let mut p = pool();
    let s = rich(&["a"]);
    let old = tx("a", 3, 10, 1);
    ins(&mut p, &old, &s).unwrap();
    let r = ins(&mut p, &tx("a", 3, 20, 1), &s).unwrap();
    assert_eq!(r.subpool(), SubPool::Queued);
}

#[test]
fn nonce_too_low_and_already_known() {
    let mut p = pool();
    let mut s = rich(&["a"]);
    s.set("a", 1_000, 5);
    let err = ins(&mut p, &tx("a", 4, 5, 1), &s).unwrap_err();
    assert_eq!(err, InsertError::NonceTooLow { account: 5, got: 4 });
    assert!(!err.is_bad_transaction());
    let t = tx("a", 5, 5, 1);
    ins(&mut p, &t, &s).unwrap();
    let err = ins(&mut p, &t, &s).unwrap_err();
    assert_eq!(err, InsertError::AlreadyKnown);
    assert!(!err.is_bad_transaction());
}

#[test]
fn balance_counts_the_senders_earlier_txs() {
    let mut p = pool();
    let s = TestState::with(&[("a", 100, 0)]);
    ins(&mut p, &tx("a", 0, 10, 50), &s).unwrap(); // cost 60
    let err = ins(&mut p, &tx("a", 1, 10, 31), &s).unwrap_err(); // 60 + 41 > 100
    assert_eq!(
        err,
        InsertError::InsufficientBalance {
            need: 101,
            have: 100
        }
    );
    assert!(!err.is_bad_transaction());
    assert_eq!(
        ins(&mut p, &tx("a", 1, 10, 30), &s),
        Ok(InsertOutcome::Pending)
    );
    // A queued tx counts what sits below it too.
    assert!(matches!(
        ins(&mut p, &tx("a", 5, 1, 0), &s),
        Err(InsertError::InsufficientBalance { need: 101, .. })
    ));
}

#[test]
fn fee_below_minimum_and_wrong_chain() {
    let mut p = pool_with(PoolConfig {
        min_fee: 3,
        ..PoolConfig::default()
    });
    let s = rich(&["a"]);
    let err = ins(&mut p, &tx("a", 0, 2, 1), &s).unwrap_err();
    assert_eq!(err, InsertError::FeeTooLow { fee: 2, min: 3 });
    assert!(!err.is_bad_transaction());
    let foreign = tx_on(CHAIN_ID + 1, "a", 0, 5, 1);
    let err = ins(&mut p, &foreign, &s).unwrap_err();
    assert_eq!(
        err,
        InsertError::WrongChainId {
            expected: CHAIN_ID,
            got: CHAIN_ID + 1
        }
    );
    assert!(err.is_bad_transaction());
    let st = p.status();
    assert_eq!(st.counters.rejected(TxReject::FeeTooLow), 1);
    assert_eq!(st.counters.rejected(TxReject::WrongChain), 1);
    assert!(p.is_empty());
}

#[test]
fn pending_slots_overflow_into_queue_then_sender_is_capped() {
    let mut p = pool_with(PoolConfig {
        max_pending_per_sender: 2,
        max_queued_per_sender: 2,
        ..PoolConfig::default()
    });
    let s = rich(&["a"]);
    let outcomes: Vec<_> = (0..4)
        .map(|n| ins(&mut p, &tx("a", n, 5, 1), &s).unwrap())
        .collect();
    use InsertOutcome::{Pending, Queued};
    assert_eq!(outcomes, vec![Pending, Pending, Queued, Queued]);
    // Nonce 4 lies past the sender's window (2 pending + 2 queued slots ahead of its nonce).
    let err = ins(&mut p, &tx("a", 4, 5, 1), &s).unwrap_err();
    assert_eq!(err, InsertError::SenderSlotsFull { limit: 4 });
    assert!(!err.is_bad_transaction());
    // A far-future nonce takes a queued slot too.
    assert!(ins(&mut p, &tx("a", 99, 5, 1), &s).is_err());
    assert_eq!(p.status().counters.rejected(TxReject::SenderFull), 2);
}

#[test]
fn default_pending_slots_are_sixteen() {
    let mut p = pool();
    let s = rich(&["a"]);
    for n in 0..16 {
        assert_eq!(
            ins(&mut p, &tx("a", n, 5, 1), &s),
            Ok(InsertOutcome::Pending)
        );
    }
    assert_eq!(
        ins(&mut p, &tx("a", 16, 5, 1), &s),
        Ok(InsertOutcome::Queued)
    );
}
