//! The local-tx journal: txs `tx_submit` accepted survive a restart of the node that took them
//! (the pool itself is not persisted), and are published again.

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submitted_txs_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    // No producer: the txs stay pending.
    let net = network(dir.path(), 1, 2);
    let n0 = InProcess::start(&net, "n0", None, false, vec![]).await;
    submit_transfers(&net, n0.rpc, 0..3).await;
    n0.stop().await;
    let again = InProcess::start(&net, "n0", None, false, vec![]).await;
    wait_for("the journaled txs back in the pool", T, || async {
        pending(&again).await == 3
    })
    .await;
    again.stop().await;
}
