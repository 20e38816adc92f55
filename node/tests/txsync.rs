//! Mempool anti-entropy between in-process nodes: txs submitted while a node was away reach it
//! over `/rumor/txsync/1` once it connects, not only through gossip.

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_was_away_gets_the_pending_txs_by_anti_entropy() {
    let dir = tempfile::tempdir().unwrap();
    // No producer runs, so the txs stay pending and only the pools can carry them.
    let net = network(dir.path(), 1, 2);
    // A publish queue of one: txs submitted with no peer are dropped from it but the last,
    // so gossip can bring the late node at most one of them; anti-entropy must bring the rest.
    let tweak = |c: &mut rumor_node::NodeConfig| {
        c.net.publish_queue = 1;
        c.net.txsync_interval_ms = 500;
    };
    let n0 = InProcess::start_with(&net, "n0", None, false, vec![], tweak).await;
    submit_transfers(&net, n0.rpc, 0..5).await;
    assert_eq!(pending(&n0).await, 5);

    let n1 = InProcess::start_with(&net, "n1", None, false, vec![n0.p2p.clone()], tweak).await;
    wait_for("the late node holds all 5 pending txs", T, || async {
        pending(&n1).await == 5
    })
    .await;
    n1.stop().await;
    n0.stop().await;
}
