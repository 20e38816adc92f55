//! The pool's bounds: who is evicted when count, bytes or the queued cap are reached.

use super::*;

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
