//! The local-tx journal: txs `tx_submit` accepted survive a restart of the node that took them
//! (the pool itself is not persisted), and are published again.

mod common;

use common::*;
use rumor_chain::{Keypair, Transaction};
use serde_json::json;

async fn pending(node: &InProcess) -> u64 {
    call(node.rpc, "mempool_status", json!([])).await["result"]["pending"]
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submitted_txs_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    // No producer: the txs stay pending.
    let net = network(dir.path(), 1, 2);
    let n0 = InProcess::start(&net, "n0", None, false, vec![]).await;
    let from = Keypair::load(&net.join("account-0.key")).unwrap();
    let to = Keypair::load(&net.join("account-1.key")).unwrap();
    for nonce in 0..3 {
        let tx = Transaction {
            chain_id: 1,
            from: from.address(),
            to: to.address(),
            amount: 1,
            fee: 5,
            nonce,
        }
        .sign(&from);
        let r = call(n0.rpc, "tx_submit", json!([hex::encode(tx.encode())])).await;
        assert!(r["result"].is_string(), "{r}");
    }
    n0.stop().await;
    let again = InProcess::start(&net, "n0", None, false, vec![]).await;
    wait_for("the journaled txs back in the pool", T, || async {
        pending(&again).await == 3
    })
    .await;
    again.stop().await;
}
