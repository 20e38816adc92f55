//! A deep partition heals: two in-process authorities start apart (no bootnodes) with fast
//! slots, each builds its own branch of 100+ blocks from genesis, then one restarts with the
//! other as its bootnode; the locator catch-up finds the common ancestor (genesis, far deeper
//! than the old 64-block walk) and both end on one chain. A second test cuts two connected
//! nodes apart through the `fault_*` RPC (what `rumor-testnet --partition` does) and heals
//! them by restoring, without a restart. Every wait is bounded.

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
        genesis_time_ms: rumor_chain::clock::Clock::system().now_ms(),
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
        one_chain_above(a.rpc, b.rpc, BRANCH).await
    })
    .await;
    b.stop().await;
    a.stop().await;
}

/// Both nodes agree a few blocks below their tips (which move every slot), that block is above
/// `floor`, and they share block 1.
async fn one_chain_above(a: std::net::SocketAddr, b: std::net::SocketAddr, floor: u64) -> bool {
    let h = height(a).await.min(height(b).await);
    let at = h.saturating_sub(3);
    at > floor && {
        let (x, y) = (hash_at(a, at).await, hash_at(b, at).await);
        !x.is_null() && x == y && hash_at(a, 1).await == hash_at(b, 1).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_cut_through_the_fault_rpc_splits_the_chain_and_restoring_heals_it() {
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path();
    fast_network(net);
    let on = |c: &mut rumor_api::NodeConfig| c.fault_control = true;
    let a = InProcess::start_with(net, "a", Some("authority-0.key"), true, vec![], on).await;
    let b = InProcess::start_with(
        net,
        "b",
        Some("authority-1.key"),
        true,
        vec![a.p2p.clone()],
        on,
    )
    .await;
    let t = Duration::from_secs(40);
    let peers = |rpc| async move {
        call(rpc, "net_peers", json!([])).await["result"]
            .as_array()
            .map_or(0, |p| p.len())
    };
    wait_for("a and b connected", t, || async { peers(a.rpc).await == 1 }).await;

    // Bad input: not a peer id.
    let bad = call(a.rpc, "fault_cutPeers", json!([["nope"]])).await;
    assert_eq!(bad["error"]["code"], -32602, "{bad}");

    let cut = call(a.rpc, "fault_cutPeers", json!([[b.peer_id]])).await;
    assert_eq!(cut["result"], 1, "{cut}");
    let cut = call(b.rpc, "fault_cutPeers", json!([[a.peer_id]])).await;
    assert_eq!(cut["result"], 1, "{cut}");
    wait_for("the connection is gone on both sides", t, || async {
        peers(a.rpc).await == 0 && peers(b.rpc).await == 0
    })
    .await;
    let start = height(a.rpc).await.max(height(b.rpc).await);
    // Each side builds its own branch over the cut (every other slot is its own).
    wait_for("two branches, each 40 blocks past the cut", t, || async {
        height(a.rpc).await >= start + 40 && height(b.rpc).await >= start + 40
    })
    .await;
    assert_ne!(
        hash_at(a.rpc, start + 20).await,
        hash_at(b.rpc, start + 20).await,
        "the cut really split the chain"
    );
    assert_eq!(
        peers(a.rpc).await,
        0,
        "no connection came back during the cut"
    );

    for (x, y) in [(&a, &b), (&b, &a)] {
        let r = call(x.rpc, "fault_restorePeers", json!([[y.peer_id]])).await;
        assert_eq!(r["result"], 1, "{r}");
    }
    wait_for("one chain after the restore", t, || async {
        one_chain_above(a.rpc, b.rpc, start + 40).await
    })
    .await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fault_methods_do_not_exist_unless_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path();
    fast_network(net);
    let a = InProcess::start(net, "a", Some("authority-0.key"), false, vec![]).await;
    let r = call(a.rpc, "fault_cutPeers", json!([[a.peer_id]])).await;
    assert_eq!(r["error"]["code"], -32601, "{r}");
    a.stop().await;
}
