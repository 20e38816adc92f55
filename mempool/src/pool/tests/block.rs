//! Keeping up with the chain: included txs, gaps closed, balance drops, reorgs, expiry.

use super::*;

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
