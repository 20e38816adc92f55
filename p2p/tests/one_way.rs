//! Link faults on real connections between three nodes (a, b, c, all connected): a link that
//! carries a→b but not b→a keeps its TCP connection, yet gossip reaches b around it (via c),
//! the liveness check closes it on both ends, and once healed the peers connect again. A reset
//! drops a link at once. Every wait is bounded and on a condition.

mod common;

use std::time::Duration;

use common::*;
use rumor_p2p::{
    LinkDirection, LinkFault, LinkFaultKind, LinkFaults, NetworkConfig, PublishOutcome, Topic,
};

const T: Duration = Duration::from_secs(30);

/// A node whose links can be faulted, pinging fast so a dead link is found within seconds.
fn faultable() -> NetworkConfig {
    let mut c = config(2, 4);
    c.link_faults = Some(LinkFaults::new());
    c.liveness.interval = Duration::from_millis(300);
    c.liveness.timeout = Duration::from_millis(1000);
    c
}

async fn connected(a: &TestNode, b: &TestNode) -> bool {
    a.handle
        .peers()
        .await
        .unwrap()
        .iter()
        .any(|p| p.peer == b.peer_id)
}

fn set(node: &TestNode, peer: &TestNode, direction: LinkDirection, kind: LinkFaultKind) {
    let fault = LinkFault {
        direction,
        kind,
        start: tokio::time::Instant::now(),
        end: None,
    };
    let n = node
        .handle
        .link_faults()
        .expect("fault control on")
        .set(&[peer.peer_id.to_string()], fault)
        .unwrap();
    assert_eq!(n, 1);
}

fn closed_by_liveness(n: &TestNode) -> u64 {
    n.metrics.liveness_closed.get()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_way_link_is_routed_around_closed_and_healed() {
    let a = start_node("oneway-a", faultable()).await;
    let mut cb = faultable();
    cb.bootnodes = vec![a.addr.clone()];
    let b = start_node("oneway-b", cb).await;
    let mut cc = faultable();
    cc.bootnodes = vec![a.addr.clone(), b.addr.clone()];
    let c = start_node("oneway-c", cc).await;
    let nodes = [a, b, c];
    let [a, b, c] = &nodes;
    for (x, y) in [(a, b), (a, c), (b, c)] {
        wait_for("a full triangle", T, || async {
            connected(x, y).await && connected(y, x).await
        })
        .await;
    }
    wait_for_mesh(&nodes, 2, T).await;

    // a→b carries, b→a does not: a holds b's bytes back, as a dead path would. Both ends are
    // told, as the testnet does (a: its in direction from b; b: its out direction to a).
    set(a, b, LinkDirection::In, LinkFaultKind::Stall);
    set(b, a, LinkDirection::Out, LinkFaultKind::Stall);

    // What b publishes meanwhile still reaches a, around the dead direction (through c).
    let t = tx(1);
    let out = b.handle.publish(Topic::Tx, t.encode()).await.unwrap();
    assert_eq!(out, PublishOutcome::Published);
    wait_for("b's tx reaches a through c", T, || async {
        seen_count(a, &t.hash().0) >= 1
    })
    .await;

    // The link keeps its TCP connection, but the liveness check closes it on both ends.
    wait_for("the one-way link is closed on both ends", T, || async {
        !connected(a, b).await && !connected(b, a).await
    })
    .await;
    assert!(
        closed_by_liveness(a) + closed_by_liveness(b) >= 1,
        "closed by the liveness check"
    );
    assert!(
        connected(a, c).await && connected(b, c).await,
        "the healthy links stay"
    );

    // Healed: the peers connect again (after the unresponsive backoff).
    a.handle.link_faults().unwrap().clear(None);
    b.handle.link_faults().unwrap().clear(None);
    wait_for("a and b connect again after the heal", T, || async {
        connected(a, b).await && connected(b, a).await
    })
    .await;
    let t = tx(2);
    b.handle.publish(Topic::Tx, t.encode()).await.unwrap();
    wait_for("gossip flows again", T, || async {
        seen_count(a, &t.hash().0) >= 1 && seen_count(c, &t.hash().0) >= 1
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_drops_the_link_at_once_and_a_new_connection_lives() {
    let a = start_node("reset-a", faultable()).await;
    let mut cb = faultable();
    cb.bootnodes = vec![a.addr.clone()];
    let b = start_node("reset-b", cb).await;
    wait_for("b connects to a", T, || async {
        connected(&a, &b).await && connected(&b, &a).await
    })
    .await;
    // Set on the listening side: its gate learned the peer after the handshake.
    set(&a, &b, LinkDirection::Both, LinkFaultKind::Reset);
    wait_for("the reset connection is gone on both ends", T, || async {
        !connected(&a, &b).await && !connected(&b, &a).await
    })
    .await;
    wait_for("a new connection comes up and stays", T, || async {
        connected(&a, &b).await && connected(&b, &a).await
    })
    .await;
}
