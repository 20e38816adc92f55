//! Peer exchange: 30 nodes each given only node 0 as bootnode all reach the low peer target.

mod common;

use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_nodes_with_one_bootnode_reach_the_low_target() {
    let mut nodes: Vec<TestNode> = Vec::new();
    for i in 0..30 {
        let mut c = config(8, 16);
        c.peers.max_established = 32;
        c.peers.outbound_reserved = 8;
        if i > 0 {
            c.bootnodes = vec![nodes[0].addr.clone()];
        }
        nodes.push(start_node(&format!("px-{i}"), c).await);
    }
    let started = std::time::Instant::now();
    for (i, n) in nodes.iter().enumerate() {
        wait_for(
            &format!("node {i} has 8 peers"),
            Duration::from_secs(60),
            || async { n.handle.peers().await.unwrap().len() >= 8 },
        )
        .await;
    }
    let mut degrees = Vec::new();
    for n in &nodes {
        degrees.push(n.handle.peers().await.unwrap().len());
    }
    eprintln!(
        "all 30 nodes reached 8 peers within {:?}; degrees {:?}",
        started.elapsed(),
        degrees
    );
    for d in degrees {
        assert!(d <= 32, "never above the hard connection cap");
    }
}
