//! What the pool reports and shares: status, content, the pending broadcast, the cached
//! state, thread-safety and the signature-free precheck.

use super::*;

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
