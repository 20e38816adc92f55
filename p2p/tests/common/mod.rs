//! In-process test nodes on loopback. Each node runs the real event loop; a small "app" task
//! stands in for the node's validation pipeline (tx signature check → Accept/Reject) and
//! records what the application saw.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumor_chain::test_utils::TxBuilder;
use rumor_chain::{Hash256, Keypair, SignedTransaction};
pub use rumor_p2p::test_utils::wait_for;
use rumor_p2p::*;

pub const NETWORK: &str = "7e57ab1e";
pub const CHAIN_ID: u64 = 9;

pub fn genesis_status() -> Status {
    Status {
        genesis: Hash256([7; 32]),
        head_height: 0,
        head_hash: rumor_chain::BlockHash([0; 32]),
    }
}

/// A config for small loopback tests: quick ticks, explicit peer targets.
pub fn config(low: usize, high: usize) -> NetworkConfig {
    let mut c = NetworkConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
        ..NetworkConfig::default()
    };
    c.peers.low = low;
    c.peers.high = high;
    c.peers.outbound_reserved = c.peers.outbound_reserved.min(low as u32);
    c.peers.max_established = (high + 8) as u32 + c.peers.outbound_reserved;
    c.tick = Duration::from_millis(200);
    c.gossip.heartbeat = Duration::from_millis(200);
    // Every node is on 127.0.0.1.
    c.address_book.allow_private = true;
    c
}

/// What one node's application saw: per message id, how many deliveries and the first time.
#[derive(Debug, Default)]
pub struct Seen {
    pub deliveries: HashMap<MessageId, (u32, u64)>,
    pub rejected: u32,
}

pub struct TestNode {
    pub handle: NetworkHandle,
    pub peer_id: PeerId,
    /// Dialable address including `/p2p/<id>`.
    pub addr: Multiaddr,
    pub seen: Arc<Mutex<Seen>>,
    pub metrics: Arc<P2pMetrics>,
    pub registry: Arc<Mutex<prometheus_client::registry::Registry>>,
}

/// Starts a node; returns it with its raw event receiver (the caller runs the app).
pub async fn start_raw(
    label: &str,
    config: NetworkConfig,
) -> (TestNode, tokio::sync::mpsc::Receiver<NetworkEvent>) {
    let key = identity_from_key(&Keypair::from_label(label));
    let mut registry = prometheus_client::registry::Registry::default();
    let net = start(key, NETWORK, genesis_status(), config, &mut registry).unwrap();
    tokio::spawn(net.event_loop.run());
    let handle = net.handle;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let addr = loop {
        if let Some(a) = handle.info().await.unwrap().listen_addrs.first() {
            break Some(a.clone());
        }
        assert!(tokio::time::Instant::now() < deadline, "no listen address");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let peer_id = handle.local_peer_id();
    let addr = addr
        .unwrap()
        .with(libp2p::multiaddr::Protocol::P2p(peer_id));
    (
        TestNode {
            handle,
            peer_id,
            addr,
            seen: Arc::default(),
            metrics: net.metrics,
            registry: Arc::new(Mutex::new(registry)),
        },
        net.events,
    )
}

/// Starts a node whose app verifies tx signatures and accepts or rejects accordingly.
pub async fn start_node(label: &str, config: NetworkConfig) -> TestNode {
    let (node, mut events) = start_raw(label, config).await;
    let handle = node.handle.clone();
    let seen = node.seen.clone();
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            if let NetworkEvent::Gossip {
                id,
                from,
                payload,
                received_at_us,
            } = ev
            {
                let topic = match payload {
                    Payload::Tx(_) => Topic::Tx,
                    Payload::Block(_) | Payload::CompactBlock(_) => Topic::Block,
                };
                let verdict = match payload {
                    Payload::Tx(tx) if tx.clone().verify(CHAIN_ID).is_ok() => Validation::Accept,
                    Payload::Tx(_) => Validation::Reject,
                    Payload::Block(_) | Payload::CompactBlock(_) => Validation::Accept,
                };
                {
                    let mut s = seen.lock().unwrap();
                    if verdict == Validation::Reject {
                        s.rejected += 1;
                    }
                    let e = s.deliveries.entry(id).or_insert((0, received_at_us));
                    e.0 += 1;
                }
                let _ = handle.report(id, from, topic, verdict).await;
            }
        }
    });
    node
}

pub fn tx(i: u64) -> SignedTransaction {
    TxBuilder::from_label("sender")
        .chain_id(CHAIN_ID)
        .amount(i)
        .nonce(i)
        .sign()
}

pub fn seen_count(node: &TestNode, id: &MessageId) -> u32 {
    node.seen
        .lock()
        .unwrap()
        .deliveries
        .get(id)
        .map(|e| e.0)
        .unwrap_or(0)
}

/// Waits until every node has at least `min` mesh peers on the tx topic.
pub async fn wait_for_mesh(nodes: &[TestNode], min: usize, timeout: Duration) {
    for n in nodes {
        wait_for("tx mesh", timeout, || {
            let h = n.handle.clone();
            async move {
                let peers = h.peers().await.unwrap();
                peers
                    .iter()
                    .filter(|p| p.mesh_topics.contains(&Topic::Tx))
                    .count()
                    >= min
            }
        })
        .await;
    }
}
