//! Per-source inbound caps on real swarms over loopback: one host (one IP) gets its share of
//! a node's inbound connections and no more, whatever number of peer ids it mints; another
//! host still gets in. Each node listens on its own 127.x address (Linux routes all of
//! 127.0.0.0/8 to loopback) and dials from it (libp2p's TCP port reuse).

mod common;

use std::time::Duration;

use common::*;

fn on(ip: &str, low: usize) -> rumor_p2p::NetworkConfig {
    let mut c = config(low, 16);
    c.listen = vec![format!("/ip4/{ip}/tcp/0").parse().unwrap()];
    c.peers.inbound = rumor_p2p::inbound::SourceLimits {
        per_ip: 2,
        per_subnet: 8,
        on_loopback: true,
    };
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_host_gets_its_share_of_inbound_connections_and_no_more() {
    let target = start_node("inbound-target", on("127.0.10.1", 0)).await;
    // Five identities on one host dial the target (and only it).
    let mut sybils = Vec::new();
    for i in 0..5 {
        let mut c = on("127.0.20.1", 1);
        c.bootnodes = vec![target.addr.clone()];
        sybils.push(start_node(&format!("inbound-sybil-{i}"), c).await);
    }
    wait_for(
        "three sybil connections refused",
        Duration::from_secs(20),
        || async {
            let refused: u64 = target
                .metrics
                .inbound_refused
                .get_or_create(&vec![("reason", "ip")])
                .get();
            refused >= 3
        },
    )
    .await;
    let from_sybil_host = |peers: &[rumor_p2p::PeerInfo]| {
        peers
            .iter()
            .filter(|p| p.addr.to_string().starts_with("/ip4/127.0.20.1/"))
            .count()
    };
    let peers = target.handle.peers().await.unwrap();
    assert_eq!(from_sybil_host(&peers), 2, "{peers:?}");
    // Another host is let in.
    let mut c = on("127.0.30.1", 1);
    c.bootnodes = vec![target.addr.clone()];
    let honest = start_node("inbound-honest", c).await;
    wait_for(
        "the honest host connected",
        Duration::from_secs(20),
        || async {
            target
                .handle
                .peers()
                .await
                .unwrap()
                .iter()
                .any(|p| p.peer == honest.peer_id)
        },
    )
    .await;
    assert!(from_sybil_host(&target.handle.peers().await.unwrap()) <= 2);
}
