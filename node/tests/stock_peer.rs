//! Wire compatibility with stock gossipsub: a rust-libp2p peer built from crates.io's
//! libp2p-gossipsub (not the workspace's engine), on plain TCP + Noise + Yamux with the
//! library's defaults except what the network fixes (anonymous messages, the tx hash as
//! message id, the block-sized transmit limit), exchanges txs with a Rumor node in both
//! directions: a burst the node forwards (so several txs may leave in one RPC) and a burst
//! the stock peer publishes.

mod common;

use std::time::Duration;

use common::*;
use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAuthenticity, MessageId, ValidationMode};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, noise, tcp, yamux};
use rumor_chain::{Genesis, Keypair, SignedTransaction, TxHash};
use tokio::sync::mpsc;

/// What the stock peer's task reports.
#[derive(Debug)]
enum Seen {
    /// The node subscribed to the tx topic on this connection.
    Subscribed,
    /// A message on the tx topic.
    Tx(Vec<u8>),
}

fn stock_swarm(limits: &rumor_chain::Limits) -> libp2p::Swarm<gossipsub::Behaviour> {
    let config = gossipsub::ConfigBuilder::default()
        .validation_mode(ValidationMode::Anonymous)
        .message_id_fn(|m: &gossipsub::Message| MessageId::new(&rumor_p2p::message_id(&m.data)))
        .max_transmit_size(rumor_p2p::max_transmit_bytes(limits))
        .build()
        .unwrap();
    libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|_| {
            gossipsub::Behaviour::new(MessageAuthenticity::Anonymous, config).unwrap()
        })
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
        .build()
}

/// Runs the stock peer: dials `node`, subscribes to `topic`, publishes what arrives on
/// `publish`, reports what it sees.
fn spawn_stock_peer(
    node: Multiaddr,
    topic: IdentTopic,
    limits: &rumor_chain::Limits,
) -> (mpsc::Sender<Vec<u8>>, mpsc::Receiver<Seen>) {
    let (publish_tx, mut publish_rx) = mpsc::channel::<Vec<u8>>(64);
    let (seen_tx, seen_rx) = mpsc::channel(1024);
    let mut swarm = stock_swarm(limits);
    swarm.behaviour_mut().subscribe(&topic).unwrap();
    swarm.dial(node).unwrap();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                ev = swarm.select_next_some() => {
                    let seen = match ev {
                        SwarmEvent::Behaviour(gossipsub::Event::Subscribed { topic: t, .. })
                            if t == topic.hash() => Seen::Subscribed,
                        SwarmEvent::Behaviour(gossipsub::Event::Message { message, .. })
                            if message.topic == topic.hash() => Seen::Tx(message.data),
                        _ => continue,
                    };
                    if seen_tx.send(seen).await.is_err() {
                        return;
                    }
                }
                data = publish_rx.recv() => match data {
                    Some(data) => {
                        swarm.behaviour_mut().publish(topic.clone(), data).unwrap();
                    }
                    None => return,
                },
            }
        }
    });
    (publish_tx, seen_rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stock_gossipsub_peer_and_a_node_exchange_txs_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    // No producer: the txs stay pending, so the pool shows what arrived.
    let net = network(dir.path(), 1, 2);
    let node = InProcess::start(&net, "n0", None, false, vec![]).await;
    let genesis = Genesis::load(&net.join("genesis.json")).unwrap();
    let topic = IdentTopic::new(rumor_p2p::Topic::Tx.name(&genesis.network_id()));
    let (publish, mut seen) = spawn_stock_peer(node.p2p.parse().unwrap(), topic, &genesis.limits);
    let subscribed = tokio::time::timeout(T, async {
        while let Some(s) = seen.recv().await {
            if matches!(s, Seen::Subscribed) {
                return true;
            }
        }
        false
    });
    assert!(
        subscribed.await.unwrap(),
        "the node subscribes to the tx topic"
    );

    // Node → stock peer: a burst submitted over RPC, every tx arriving intact.
    let a = Keypair::load(&net.join("account-0.key")).unwrap();
    let b = Keypair::load(&net.join("account-1.key")).unwrap();
    let burst: Vec<SignedTransaction> = (0..40).map(|n| transfer(&a, &b, n, 5)).collect();
    for tx in &burst {
        let r = call(
            node.rpc,
            "tx_submit",
            serde_json::json!([hex::encode(tx.encode())]),
        )
        .await;
        assert!(r["result"].is_string(), "{r}");
    }
    let mut want: std::collections::BTreeSet<TxHash> = burst.iter().map(|t| t.hash()).collect();
    let limits = genesis.limits;
    let got = tokio::time::timeout(T, async {
        while !want.is_empty() {
            match seen.recv().await {
                Some(Seen::Tx(data)) => {
                    let tx = SignedTransaction::decode(&data, &limits).expect("a canonical tx");
                    want.remove(&tx.hash());
                }
                Some(Seen::Subscribed) => {}
                None => break,
            }
        }
        want.len()
    })
    .await
    .expect("the stock peer gets the node's txs in time");
    assert_eq!(got, 0, "txs the stock peer never got");

    // Stock peer → node: a burst published by the stock peer enters the node's pool.
    for n in 0..20 {
        publish.send(transfer(&b, &a, n, 5).encode()).await.unwrap();
    }
    wait_for("the node holds the stock peer's 20 txs", T, || async {
        let s = call(node.rpc, "mempool_status", serde_json::json!([])).await["result"].clone();
        // Pending or queued behind a sender's pending cap: held either way.
        s["pending"].as_u64().unwrap_or(0) + s["queued"].as_u64().unwrap_or(0) == 60
    })
    .await;
    node.stop().await;
}
