//! Shutdown of an in-process node: it stops within 5 s with its work drained — the trace is
//! flushed with its stats, nothing holds the store — and a node started again on the same data
//! directory opens the store at the chain the first one committed.

mod common;

use common::*;
use serde_json::json;

async fn height(node: &InProcess) -> u64 {
    call(node.rpc, "chain_head", json!([])).await["result"]["height"]
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_node_has_drained_and_restarts_on_its_committed_chain() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(dir.path(), 1, 1);
    let node = InProcess::start(&net, "n0", Some("authority-0.key"), true, vec![]).await;
    wait_for("two produced blocks", T, || async {
        height(&node).await >= 2
    })
    .await;
    // `stop` fails the test unless `run` returns Ok within 5 s.
    node.stop().await;

    // The trace writer finished: it writes its stats only after its last flush.
    let stats = std::fs::read_to_string(rumor_api::DataDir::new(net.join("n0")).trace_stats())
        .expect("trace stats written at shutdown");
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert!(stats["written"].as_u64().unwrap() >= 2, "{stats}");
    let trace = std::fs::read_to_string(rumor_api::DataDir::new(net.join("n0")).trace()).unwrap();
    assert_eq!(
        trace.lines().count() as u64,
        stats["written"].as_u64().unwrap()
    );

    // The store was released (redb would refuse a second open) and holds every block the
    // first node reported producing.
    let produced: Vec<String> = trace
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["kind"] == "block")
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();
    let again = InProcess::start(&net, "n0", Some("authority-0.key"), false, vec![]).await;
    for id in &produced {
        let block = call(again.rpc, "chain_getBlockByHash", json!([id])).await;
        assert_eq!(block["result"]["hash"], json!(id), "{block}");
    }
    assert!(height(&again).await >= produced.len() as u64, "{trace}");
    again.stop().await;
}
