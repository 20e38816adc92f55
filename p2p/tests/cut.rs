//! Operator cuts (fault injection): a cut closes the real connections and refuses new ones in
//! both directions, whoever dials; restoring lets the peer policy dial again from its book.

mod common;

use std::time::Duration;

use common::*;

async fn connected(a: &TestNode, b: &TestNode) -> bool {
    a.handle
        .peers()
        .await
        .unwrap()
        .iter()
        .any(|p| p.peer == b.peer_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_drops_the_connection_refuses_redials_and_heals_on_restore() {
    let a = start_node("cut-a", config(2, 4)).await;
    let mut cb = config(2, 4);
    cb.bootnodes = vec![a.addr.clone()];
    let b = start_node("cut-b", cb).await;
    let t = Duration::from_secs(20);
    wait_for("b connects to a", t, || connected(&b, &a)).await;

    // A partition: each side cuts the other. The connection goes at once.
    assert_eq!(a.handle.set_cut(vec![b.peer_id], true).await.unwrap(), 1);
    assert_eq!(a.handle.set_cut(vec![b.peer_id], true).await.unwrap(), 0);
    assert_eq!(b.handle.set_cut(vec![a.peer_id], true).await.unwrap(), 1);
    wait_for("both sides see the disconnect", t, || async {
        !connected(&a, &b).await && !connected(&b, &a).await
    })
    .await;
    // Dials either way are refused before they start (the peer policy does not even try:
    // `b` is below its low target with `a` in its book, yet records no failure for it).
    assert!(a.handle.dial(b.addr.clone()).await.is_err());
    assert!(b.handle.dial(a.addr.clone()).await.is_err());
    assert!(!connected(&a, &b).await && !connected(&b, &a).await);
    let book = b.handle.address_book().await.unwrap();
    let entry = book
        .iter()
        .find(|e| e.record.peer == a.peer_id)
        .expect("a stays in b's book");
    assert_eq!(entry.failures, 0);

    // Healed: the policy dials from the book again.
    assert_eq!(a.handle.set_cut(vec![b.peer_id], false).await.unwrap(), 1);
    assert_eq!(b.handle.set_cut(vec![a.peer_id], false).await.unwrap(), 1);
    wait_for("the peers reconnect after the restore", t, || async {
        connected(&a, &b).await && connected(&b, &a).await
    })
    .await;
}
