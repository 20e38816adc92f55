//! A deep partition heals: two in-process authorities start apart (no bootnodes) with fast
//! slots, each builds its own branch of 100+ blocks from genesis, then one restarts with the
//! other as its bootnode; the locator catch-up finds the common ancestor (genesis, far deeper
//! than the old 64-block walk) and both end on one chain. Every wait is bounded.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use rumor_node::setup::{NewGenesis, new_genesis};
use serde_json::{Value, json};

const BRANCH: u64 = 100;

async fn height(rpc: std::net::SocketAddr) -> u64 {
    call(rpc, "chain_head", json!([])).await["result"]["height"]
        .as_u64()
        .unwrap()
}

async fn hash_at(rpc: std::net::SocketAddr, h: u64) -> Value {
    call(rpc, "chain_getBlockByHeight", json!([h])).await["result"]["hash"].clone()
}

fn fast_network(dir: &Path) {
    new_genesis(&NewGenesis {
        authorities: 2,
        accounts: 1,
        out: dir.to_owned(),
        chain_id: 1,
        slot_ms: 40,
        balance: 1_000_000,
        genesis_time_ms: rumor_chain::clock::now_ms(),
        seed: Some("partition".into()),
    })
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_of_100_blocks_heals_onto_one_chain() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path();
    fast_network(net);
    let a = InProcess::start(net, "a", Some("authority-0.key"), true, vec![]).await;
    let b = InProcess::start(net, "b", Some("authority-1.key"), true, vec![]).await;
    let apart = Duration::from_secs(40);
    wait_for("both halves 100 blocks deep", apart, || async {
        height(a.rpc).await >= BRANCH && height(b.rpc).await >= BRANCH
    })
    .await;
    // Two branches from genesis: block 1 differs.
    assert_ne!(hash_at(a.rpc, 1).await, hash_at(b.rpc, 1).await);

    // Heal: b restarts from its data dir with a as its bootnode.
    b.stop().await;
    let b = InProcess::start(net, "b", Some("authority-1.key"), true, vec![a.p2p.clone()]).await;
    wait_for("one chain", Duration::from_secs(40), || async {
        let h = height(a.rpc).await.min(height(b.rpc).await);
        // A few blocks below the tips (which move every slot) and above the old branches.
        let at = h.saturating_sub(3);
        at > BRANCH && {
            let (x, y) = (hash_at(a.rpc, at).await, hash_at(b.rpc, at).await);
            !x.is_null() && x == y && hash_at(a.rpc, 1).await == hash_at(b.rpc, 1).await
        }
    })
    .await;
    b.stop().await;
    a.stop().await;
}
