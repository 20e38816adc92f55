//! A one-way link between two in-process nodes, through the `fault_*` RPC as
//! `rumor-testnet --cut-oneway` drives it: the connection stays up while one direction
//! carries nothing, the liveness check drops it, and after the heal everything sent into the
//! dead direction reaches the far node (there is no other path: only anti-entropy can bring
//! it). Bad fault parameters get JSON-RPC errors. Every wait is bounded and on a condition.

mod common;

use common::*;
use serde_json::{Value, json};

async fn peers(rpc: std::net::SocketAddr) -> usize {
    call(rpc, "net_peers", json!([])).await["result"]
        .as_array()
        .map_or(0, |p| p.len())
}

fn result(r: &Value) -> u64 {
    r["result"]
        .as_u64()
        .unwrap_or_else(|| panic!("not a count: {r}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_dead_direction_swallowed_arrives_after_the_drop_and_the_heal() {
    let dir = tempfile::tempdir().unwrap();
    // No producer: the txs stay pending, so only the pools can carry them.
    let net = network(dir.path(), 1, 2);
    let tweak = |c: &mut rumor_node::NodeConfig| {
        c.fault_control = true;
        c.net.ping_interval_ms = 300;
        c.net.ping_timeout_ms = 1000;
        c.net.txsync_interval_ms = 500;
    };
    let a = InProcess::start_with(&net, "a", None, false, vec![], tweak).await;
    let b = InProcess::start_with(&net, "b", None, false, vec![a.p2p.clone()], tweak).await;
    wait_for("a and b connected", T, || async {
        peers(a.rpc).await == 1 && peers(b.rpc).await == 1
    })
    .await;

    // Bad input: each a -32602 that names the problem, and nothing set.
    for (params, why) in [
        (
            json!([["nope"], {"direction": "out", "mode": "stall"}]),
            "peer id",
        ),
        (
            json!([[b.peer_id], {"direction": "out", "mode": "flap"}]),
            "period_ms",
        ),
        (
            json!([[b.peer_id], {"direction": "up", "mode": "stall"}]),
            "`up`",
        ),
        (
            json!([[b.peer_id], {"direction": "out", "mode": "stall", "duraton_ms": 5}]),
            "duraton_ms",
        ),
        (
            json!([[b.peer_id], {"direction": "out", "mode": "loss", "loss": 1.5}]),
            "loss",
        ),
    ] {
        let r = call(a.rpc, "fault_setLinkFault", params).await;
        assert_eq!(r["error"]["code"], -32602, "{r}");
        let msg = r["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
            + &r["error"]["data"].to_string();
        assert!(msg.contains(why), "{why}: {r}");
    }
    assert_eq!(
        result(&call(a.rpc, "fault_clearLinkFaults", json!([])).await),
        0
    );

    // a→b is dead, b→a carries: both ends are told (a holds what it sends, b what it gets).
    let stall = |direction| json!({"direction": direction, "mode": "stall"});
    let r = call(
        a.rpc,
        "fault_setLinkFault",
        json!([[b.peer_id], stall("out")]),
    )
    .await;
    assert_eq!(result(&r), 1);
    let r = call(
        b.rpc,
        "fault_setLinkFault",
        json!([[a.peer_id], stall("in")]),
    )
    .await;
    assert_eq!(result(&r), 1);
    submit_transfers(&net, a.rpc, 0..5).await;
    assert_eq!(pending(&a).await, 5);

    // The connection stayed up while carrying nothing back; the liveness check drops it.
    wait_for(
        "the one-way connection is dropped on both ends",
        T,
        || async { peers(a.rpc).await == 0 && peers(b.rpc).await == 0 },
    )
    .await;
    assert_eq!(
        pending(&b).await,
        0,
        "nothing came through the dead direction"
    );

    // Heal: the peers reconnect and anti-entropy brings b every tx sent into the dead link.
    let all = json!([null]);
    assert_eq!(
        result(&call(a.rpc, "fault_clearLinkFaults", all.clone()).await),
        1
    );
    assert_eq!(result(&call(b.rpc, "fault_clearLinkFaults", all).await), 1);
    wait_for("b holds all 5 txs after the heal", T, || async {
        pending(&b).await == 5
    })
    .await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_fault_methods_do_not_exist_unless_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(dir.path(), 1, 1);
    let a = InProcess::start(&net, "a", None, false, vec![]).await;
    for (method, params) in [
        (
            "fault_setLinkFault",
            json!([[a.peer_id], {"direction": "out", "mode": "stall"}]),
        ),
        ("fault_clearLinkFaults", json!([])),
    ] {
        let r = call(a.rpc, method, params).await;
        assert_eq!(r["error"]["code"], -32601, "{r}");
    }
    a.stop().await;
}
