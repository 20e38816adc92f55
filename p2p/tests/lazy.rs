//! Lazy push over real in-process nodes on loopback: nodes choke mesh peers down to their
//! eager target, the choked peers send ids, and every tx still reaches every node once —
//! also after the eager peers of many nodes are cut away.

mod common;

use std::time::Duration;

use common::*;
use rumor_p2p::*;

const T: Duration = Duration::from_secs(30);
const N: usize = 8;

fn lazy_config() -> NetworkConfig {
    let mut c = config(0, 12);
    c.gossip.lazy_push = Some(LazyPush {
        eager_peers: 2,
        ..LazyPush::default()
    });
    c
}

fn lazy_count(n: &TestNode, event: &'static str) -> u64 {
    n.metrics
        .gossip_lazy
        .get_or_create(&vec![("event", event)])
        .get()
}

/// Publishes tx(k) from a rotating origin and waits until every other node in `live` has it.
async fn publish_all(nodes: &[TestNode], live: &[usize], ks: std::ops::Range<u64>) {
    for k in ks {
        let origin = live[k as usize % live.len()];
        let tx = tx(k);
        let out = nodes[origin]
            .handle
            .publish(Topic::Tx, tx.encode())
            .await
            .unwrap();
        assert_eq!(out, PublishOutcome::Published);
        let id = tx.hash().0;
        for &i in live.iter().filter(|i| **i != origin) {
            wait_for("tx reaches every live node", T, || async {
                seen_count(&nodes[i], &id) >= 1
            })
            .await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lazy_push_chokes_to_the_eager_target_and_delivers_everything_once() {
    // Every node dials every earlier one: each tx mesh holds all 7 others.
    let mut nodes: Vec<TestNode> = Vec::new();
    for i in 0..N {
        let mut c = lazy_config();
        c.bootnodes = nodes.iter().map(|n| n.addr.clone()).collect();
        nodes.push(start_node(&format!("lazy-{i}"), c).await);
    }
    wait_for_mesh(&nodes, N - 2, T).await;
    let all: Vec<usize> = (0..N).collect();
    publish_all(&nodes, &all, 0..200).await;

    // Chokes were sent and lazy links carried ids instead of txs. (Not "every node chokes":
    // a choke makes the link lazy both ways, so a node whose peers choked enough of its links
    // is at its target without choking anyone itself.)
    wait_for("nodes choked links down to their target", T, || async {
        nodes
            .iter()
            .map(|n| lazy_count(n, "choke_sent"))
            .sum::<u64>()
            >= (N / 2) as u64
    })
    .await;
    wait_for("ids were sent in place of txs", T, || async {
        nodes.iter().map(|n| lazy_count(n, "id_sent")).sum::<u64>() > 0
    })
    .await;

    // Cut nodes 1 and 2 away from everyone: whoever kept them eager must recover through
    // the ids of its choked peers (fetch + unchoke) and its heartbeat unchokes.
    let gone = [nodes[1].peer_id, nodes[2].peer_id];
    for (i, n) in nodes.iter().enumerate() {
        if i != 1 && i != 2 {
            n.handle.set_cut(gone.to_vec(), true).await.unwrap();
        }
    }
    let live: Vec<usize> = (0..N).filter(|i| *i != 1 && *i != 2).collect();
    publish_all(&nodes, &live, 200..300).await;

    // Each node validated each tx once (lazy copies are fetched, never forwarded twice).
    for n in &nodes {
        for (id, (count, _)) in n.seen.lock().unwrap().deliveries.iter() {
            assert_eq!(*count, 1, "{} validated twice", hex::encode(&id[..4]));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lazy_push_off_sends_no_ids_and_chokes_nobody() {
    let mut nodes: Vec<TestNode> = Vec::new();
    for i in 0..4 {
        let mut c = config(0, 12);
        c.gossip.lazy_push = None;
        c.bootnodes = nodes.iter().map(|n| n.addr.clone()).collect();
        nodes.push(start_node(&format!("eager-{i}"), c).await);
    }
    wait_for_mesh(&nodes, 3, T).await;
    let all: Vec<usize> = (0..4).collect();
    publish_all(&nodes, &all, 0..50).await;
    for n in &nodes {
        assert_eq!(lazy_count(n, "choke_sent"), 0);
        assert_eq!(lazy_count(n, "id_sent"), 0);
    }
}
