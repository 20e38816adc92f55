use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::TryRecvError;

use super::*;
use crate::error::TxReject;
use crate::test_util::{CHAIN_ID, TestState, addr, tx, tx_on};

fn pool_with(config: PoolConfig) -> Pool {
    Pool::new(CHAIN_ID, config)
}

fn pool() -> Pool {
    pool_with(PoolConfig::default())
}

fn rich(labels: &[&str]) -> TestState {
    let accounts: Vec<_> = labels.iter().map(|&l| (l, 1_000_000, 0)).collect();
    TestState::with(&accounts)
}

fn ins(p: &mut Pool, t: &VerifiedTx, s: &TestState) -> Result<InsertOutcome, InsertError> {
    let r = p.insert(t.clone(), Origin::External, s, Instant::now());
    p.check_invariants().unwrap();
    r
}

fn drain(rx: &mut broadcast::Receiver<TxHash>) -> Vec<TxHash> {
    let mut out = Vec::new();
    while let Ok(h) = rx.try_recv() {
        out.push(h);
    }
    out
}

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

#[test]
fn full_pool_evicts_the_cheapest_tail_only_for_a_higher_fee() {
    let mut p = pool_with(PoolConfig {
        max_txs: 3,
        ..PoolConfig::default()
    });
    let s = rich(&["a", "b", "c"]);
    // a's cheapest tx is not its tail: evicting it would strand a1.
    let a0 = tx("a", 0, 1, 1);
    let a1 = tx("a", 1, 50, 1);
    let b0 = tx("b", 0, 10, 1);
    for t in [&a0, &a1, &b0] {
        ins(&mut p, t, &s).unwrap();
    }
    let err = ins(&mut p, &tx("c", 0, 10, 1), &s).unwrap_err();
    assert_eq!(
        err,
        InsertError::PoolFull {
            fee: 10,
            cheapest: Some(10)
        }
    );
    assert!(!err.is_bad_transaction());
    assert_eq!(
        ins(&mut p, &tx("c", 0, 11, 1), &s),
        Ok(InsertOutcome::Pending)
    );
    assert!(
        !p.contains(&b0.hash()),
        "b's tail (fee 10) was the cheapest tail"
    );
    assert!(p.contains(&a0.hash()) && p.contains(&a1.hash()));
    assert_eq!(p.status().counters.evicted, 1);
    // Now the cheapest tail is c0 (11): a 12 evicts it, but a1 (50) stays.
    ins(&mut p, &tx("b", 0, 12, 1), &s).unwrap();
    assert_eq!(p.len(), 3);
    assert!(p.contains(&a1.hash()));
}

#[test]
fn eviction_takes_a_senders_tail_one_at_a_time() {
    let mut p = pool_with(PoolConfig {
        max_txs: 3,
        ..PoolConfig::default()
    });
    let s = rich(&["a", "b"]);
    let a: Vec<_> = (0..3).map(|n| tx("a", n, 9 - n, 1)).collect();
    for t in &a {
        ins(&mut p, t, &s).unwrap();
    }
    ins(&mut p, &tx("b", 0, 20, 1), &s).unwrap();
    ins(&mut p, &tx("b", 1, 20, 1), &s).unwrap();
    assert!(p.contains(&a[0].hash()) && !p.contains(&a[1].hash()));
    assert_eq!(p.content_of(&addr("a")).pending, vec![a[0].clone()]);
}

#[test]
fn newcomer_never_evicts_its_own_lower_nonce() {
    let mut p = pool_with(PoolConfig {
        max_txs: 2,
        ..PoolConfig::default()
    });
    let s = rich(&["a", "b"]);
    ins(&mut p, &tx("a", 0, 1, 1), &s).unwrap();
    ins(&mut p, &tx("b", 0, 5, 1), &s).unwrap();
    // a1 outbids a0, but evicting a0 would leave a1 behind a gap: b0 goes instead.
    assert_eq!(
        ins(&mut p, &tx("a", 1, 9, 1), &s),
        Ok(InsertOutcome::Pending)
    );
    assert_eq!(p.content_of(&addr("a")).pending.len(), 2);
    assert!(p.content_of(&addr("b")).pending.is_empty());
}

#[test]
fn local_survives_external_of_equal_fee() {
    let mut p = pool_with(PoolConfig {
        max_txs: 2,
        ..PoolConfig::default()
    });
    let s = rich(&["l", "e", "n", "m"]);
    let now = Instant::now();
    let local = tx("l", 0, 5, 1);
    let external = tx("e", 0, 5, 1);
    p.insert(local.clone(), Origin::Local, &s, now).unwrap();
    p.insert(external.clone(), Origin::External, &s, now)
        .unwrap();
    let err = p
        .insert(tx("n", 0, 5, 1), Origin::External, &s, now)
        .unwrap_err();
    assert!(matches!(err, InsertError::PoolFull { .. }));
    p.insert(tx("n", 0, 6, 1), Origin::External, &s, now)
        .unwrap();
    assert!(p.contains(&local.hash()) && !p.contains(&external.hash()));
    // Equal fee never displaces, even a local newcomer.
    let err = p
        .insert(tx("m", 0, 5, 1), Origin::Local, &s, now)
        .unwrap_err();
    assert!(matches!(err, InsertError::PoolFull { .. }));
    p.check_invariants().unwrap();
}

#[test]
fn byte_limit_binds_like_the_count_limit() {
    let mut p = pool_with(PoolConfig {
        max_bytes: 2 * 160 + 100,
        ..PoolConfig::default()
    });
    let s = rich(&["a", "b", "c"]);
    ins(&mut p, &tx("a", 0, 5, 1), &s).unwrap();
    ins(&mut p, &tx("b", 0, 5, 1), &s).unwrap();
    assert!(matches!(
        ins(&mut p, &tx("c", 0, 5, 1), &s),
        Err(InsertError::PoolFull { .. })
    ));
    ins(&mut p, &tx("c", 0, 6, 1), &s).unwrap();
    assert_eq!(p.status().bytes, 320);
}

#[test]
fn queued_total_cap_evicts_cheaper_queued_or_rejects() {
    let mut p = pool_with(PoolConfig {
        max_queued_total: 2,
        ..PoolConfig::default()
    });
    let s = rich(&["a", "b", "c"]);
    ins(&mut p, &tx("a", 0, 1, 1), &s).unwrap(); // pending, cheapest overall: not a victim
    let a5 = tx("a", 5, 3, 1);
    ins(&mut p, &a5, &s).unwrap();
    ins(&mut p, &tx("b", 5, 4, 1), &s).unwrap();
    assert!(matches!(
        ins(&mut p, &tx("c", 5, 3, 1), &s),
        Err(InsertError::PoolFull {
            cheapest: Some(3),
            ..
        })
    ));
    assert_eq!(
        ins(&mut p, &tx("c", 5, 4, 1), &s),
        Ok(InsertOutcome::Queued)
    );
    assert!(!p.contains(&a5.hash()));
    assert_eq!((p.status().pending, p.status().queued), (1, 2));
    // Pending txs are not held back by the queued cap.
    assert_eq!(
        ins(&mut p, &tx("c", 0, 1, 1), &s),
        Ok(InsertOutcome::Pending)
    );
}

#[test]
fn best_transactions_by_fee_in_nonce_order() {
    let mut p = pool();
    let s = rich(&["a", "b", "c"]);
    let a0 = tx("a", 0, 1, 1);
    let a1 = tx("a", 1, 100, 1);
    let b0 = tx("b", 0, 50, 1);
    let c1 = tx("c", 1, 1000, 1); // queued: never offered
    for t in [&a1, &a0, &b0, &c1] {
        ins(&mut p, t, &s).unwrap();
    }
    assert_eq!(
        p.best_transactions(10, usize::MAX),
        vec![b0.clone(), a0.clone(), a1]
    );
    assert_eq!(p.best_transactions(1, usize::MAX), vec![b0.clone()]);
    assert_eq!(p.best_transactions(10, 170), vec![b0]);
    assert!(p.best_transactions(10, 100).is_empty());
}

#[test]
fn best_transactions_prefers_local_then_older_at_equal_fee() {
    let mut p = pool();
    let s = rich(&["a", "b", "c"]);
    let now = Instant::now();
    let (a, b, c) = (tx("a", 0, 5, 1), tx("b", 0, 5, 1), tx("c", 0, 5, 1));
    p.insert(a.clone(), Origin::External, &s, now).unwrap();
    p.insert(b.clone(), Origin::External, &s, now).unwrap();
    p.insert(c.clone(), Origin::Local, &s, now).unwrap();
    assert_eq!(p.best_transactions(3, usize::MAX), vec![c, a, b]);
}

#[test]
fn block_removes_included_and_stale_and_promotes() {
    let mut p = pool();
    let mut s = rich(&["a", "b"]);
    let a: Vec<_> = (0..3).map(|n| tx("a", n, 5, 1)).collect();
    for t in &a {
        ins(&mut p, t, &s).unwrap();
    }
    let b1 = tx("b", 1, 5, 1);
    ins(&mut p, &b1, &s).unwrap();
    ins(&mut p, &tx("b", 0, 5, 1), &s).unwrap();
    // Block: a0 and a1 included; b0 landed as a different tx (same nonce): ours is stale.
    let mut rx = p.subscribe_pending();
    s.set("a", 1_000_000, 2);
    s.set("b", 1_000_000, 1);
    let other_b0 = tx("b", 0, 7, 2);
    let up = p.on_block_imported(
        &[a[0].clone(), a[1].clone(), other_b0],
        Vec::new(),
        &s,
        Instant::now(),
    );
    p.check_invariants().unwrap();
    assert_eq!(
        (up.included, up.stale, up.promoted, up.reinjected),
        (2, 1, 0, 0)
    );
    assert_eq!(p.len(), 2);
    assert_eq!(p.subpool_of(&b1.hash()), Some(SubPool::Pending));
    assert!(
        drain(&mut rx).is_empty(),
        "already-pending txs are not re-announced"
    );
}

#[test]
fn block_closing_a_gap_promotes_queued() {
    let mut p = pool();
    let mut s = rich(&["a"]);
    let a2 = tx("a", 2, 5, 1);
    ins(&mut p, &a2, &s).unwrap();
    let mut rx = p.subscribe_pending();
    s.set("a", 1_000_000, 2);
    let up = p.on_block_imported(&[], Vec::new(), &s, Instant::now());
    assert_eq!(up.promoted, 1);
    assert_eq!(drain(&mut rx), vec![a2.hash()]);
    assert_eq!(p.subpool_of(&a2.hash()), Some(SubPool::Pending));
}

#[test]
fn balance_drop_demotes_and_trims_over_the_queue_cap() {
    let mut p = pool_with(PoolConfig {
        max_queued_per_sender: 1,
        ..PoolConfig::default()
    });
    let mut s = TestState::with(&[("a", 100, 0)]);
    let a: Vec<_> = (0..3).map(|n| tx("a", n, 10, 20)).collect();
    for t in &a {
        assert_eq!(ins(&mut p, t, &s), Ok(InsertOutcome::Pending));
    }
    s.set("a", 40, 0); // affords only a0
    let up = p.on_block_imported(&[], Vec::new(), &s, Instant::now());
    p.check_invariants().unwrap();
    assert_eq!(up.evicted, 1);
    assert_eq!(p.subpool_of(&a[0].hash()), Some(SubPool::Pending));
    assert_eq!(p.subpool_of(&a[1].hash()), Some(SubPool::Queued));
    assert!(!p.contains(&a[2].hash()));
    assert_eq!(p.best_transactions(10, usize::MAX), vec![a[0].clone()]);
}

#[test]
fn reorg_takes_back_valid_left_txs_only() {
    let mut p = pool();
    let mut s = rich(&["a", "b"]);
    let a0 = tx("a", 0, 5, 1);
    let a1 = tx("a", 1, 5, 1);
    let b0 = tx("b", 0, 5, 1);
    // The new branch includes b0 again and a different a0'.
    let a0_other = tx("a", 0, 6, 1);
    s.set("a", 1_000_000, 1);
    s.set("b", 1_000_000, 1);
    let mut rx = p.subscribe_pending();
    let up = p.on_block_imported(
        &[a0_other, b0.clone()],
        vec![a1.clone(), a0.clone(), b0.clone()],
        &s,
        Instant::now(),
    );
    p.check_invariants().unwrap();
    assert_eq!(up.reinjected, 1, "only a1 is still valid");
    assert!(p.contains(&a1.hash()) && !p.contains(&a0.hash()) && !p.contains(&b0.hash()));
    assert_eq!(drain(&mut rx), vec![a1.hash()]);
    // Rejections of reinjected txs are not counted as peer rejections.
    assert_eq!(p.status().counters.rejected(TxReject::NonceTooLow), 0);
}

#[test]
fn reorg_lowering_the_nonce_queues_until_the_gap_refills() {
    let mut p = pool();
    let mut s = rich(&["a"]);
    s.set("a", 1_000_000, 3);
    let a3 = tx("a", 3, 5, 1);
    ins(&mut p, &a3, &s).unwrap();
    s.set("a", 1_000_000, 2); // the block with a2 was reorged out, a2 not given back
    p.on_block_imported(&[], Vec::new(), &s, Instant::now());
    p.check_invariants().unwrap();
    assert_eq!(p.subpool_of(&a3.hash()), Some(SubPool::Queued));
    assert_eq!(
        ins(&mut p, &tx("a", 2, 5, 1), &s),
        Ok(InsertOutcome::Pending)
    );
    assert_eq!(p.subpool_of(&a3.hash()), Some(SubPool::Pending));
}

#[test]
fn maintain_expires_old_txs_only() {
    let mut p = pool();
    let s = rich(&["a", "b"]);
    let t0 = Instant::now();
    let old = tx("a", 0, 5, 1);
    let young = tx("b", 0, 5, 1);
    let a1 = tx("a", 1, 5, 1);
    p.insert(old.clone(), Origin::Local, &s, t0).unwrap();
    let later = t0 + Duration::from_secs(3600);
    p.insert(young.clone(), Origin::External, &s, later)
        .unwrap();
    p.insert(a1.clone(), Origin::External, &s, later).unwrap();
    let lifetime = p.config().lifetime;
    assert_eq!(
        p.maintain(t0 + lifetime),
        0,
        "exactly the lifetime is not older"
    );
    assert_eq!(p.maintain(t0 + lifetime + Duration::from_millis(1)), 1);
    p.check_invariants().unwrap();
    assert!(!p.contains(&old.hash()) && p.contains(&young.hash()));
    assert_eq!(p.subpool_of(&a1.hash()), Some(SubPool::Queued), "gap at a0");
    assert_eq!(p.status().counters.expired, 1);
}

#[test]
fn status_and_content_report_the_pool() {
    let mut p = pool();
    let s = rich(&["a"]);
    let a0 = tx("a", 0, 5, 1);
    let a2 = tx("a", 2, 5, 1);
    ins(&mut p, &a0, &s).unwrap();
    ins(&mut p, &a2, &s).unwrap();
    let _ = ins(&mut p, &a2, &s);
    let st = p.status();
    assert_eq!(
        (st.pending, st.queued, st.bytes, st.senders),
        (1, 1, 320, 1)
    );
    assert_eq!(st.counters.admitted, 2);
    assert_eq!(st.counters.rejected(TxReject::AlreadyKnown), 1);
    assert_eq!(st.limits, PoolConfig::default());
    let content = p.content_of(&addr("a"));
    assert_eq!(content.pending, vec![a0]);
    assert_eq!(content.queued, vec![a2]);
    assert_eq!(p.content_of(&addr("nobody")), SenderContent::default());
    assert_eq!(p.pending_nonce(&addr("nobody")), None);
    assert!(p.get(&TxHash::ZERO).is_none());
}

#[test]
fn pending_broadcast_is_bounded_and_lagging_receivers_lose_oldest() {
    let mut p = pool_with(PoolConfig {
        pending_broadcast_capacity: 2,
        ..PoolConfig::default()
    });
    let s = rich(&["a"]);
    let mut rx = p.subscribe_pending();
    let txs: Vec<_> = (0..4).map(|n| tx("a", n, 5, 1)).collect();
    for t in &txs {
        ins(&mut p, t, &s).unwrap();
    }
    assert!(matches!(rx.try_recv(), Err(TryRecvError::Lagged(2))));
    assert_eq!(drain(&mut rx), vec![txs[2].hash(), txs[3].hash()]);
}

#[test]
fn stale_cached_state_is_refreshed_on_insert() {
    let mut p = pool();
    let mut s = rich(&["a"]);
    ins(&mut p, &tx("a", 0, 5, 1), &s).unwrap();
    ins(&mut p, &tx("a", 1, 5, 1), &s).unwrap();
    // The node inserts against a newer head before telling the pool about the block.
    s.set("a", 1_000_000, 2);
    assert_eq!(
        ins(&mut p, &tx("a", 2, 5, 1), &s),
        Ok(InsertOutcome::Pending)
    );
    assert_eq!(p.len(), 1);
    assert_eq!(p.status().counters.stale, 2);
}

#[test]
fn pool_can_sit_behind_a_lock_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Pool>();
}

#[test]
fn precheck_refuses_what_insert_would_without_a_signature() {
    let mut p = pool_with(PoolConfig {
        max_pending_per_sender: 2,
        max_queued_per_sender: 2,
        ..PoolConfig::default()
    });
    let s = rich(&["a"]);
    let check = |p: &Pool, t: &VerifiedTx| p.precheck(&t.signed().tx, &t.hash(), &s);
    let ok = tx("a", 0, 5, 1);
    assert_eq!(check(&p, &ok), Ok(()));
    // Only unsigned data is read: a forged signature passes (verification catches it).
    let mut forged = ok.signed().clone();
    forged.signature.0[0] ^= 1;
    assert_eq!(p.precheck(&forged.tx, &forged.hash(), &s), Ok(()));
    ins(&mut p, &ok, &s).unwrap();
    assert_eq!(check(&p, &ok), Err(InsertError::AlreadyKnown));
    assert!(matches!(
        check(&p, &tx("a", 4, 5, 1)),
        Err(InsertError::SenderSlotsFull { limit: 4 })
    ));
    assert!(matches!(
        check(&p, &tx("nobody", 0, 5, 1)),
        Err(InsertError::InsufficientBalance { have: 0, .. })
    ));
    assert!(matches!(
        check(&p, &tx("a", 1, 0, 5)),
        Err(InsertError::FeeTooLow { .. })
    ));
    // Nothing was counted: the caller counts what it drops.
    assert_eq!(
        p.status().counters.rejected(TxReject::InsufficientBalance),
        0
    );
}
