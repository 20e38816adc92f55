//! An RPC reachable by others: a client flooding a node from one address gets rate-limit
//! errors (−32040, per call, in a batch too, with HTTP 200 and the connection left open; the
//! node then reads nothing more from that connection until the client may call again) and is
//! held to its share of connections, while a client at another address keeps getting
//! answers and the gossip path keeps delivering (a second node receives the tx that client
//! submitted during the flood).
//!
//! Loopback addresses stand in for hosts, with the per-client limits turned on for loopback:
//! 127.0.0.2 floods, 127.0.0.3 is the other client, 127.0.0.4 tries one connection too many.
//! Every assertion is on answers and counters, none on time; every wait is bounded and on a
//! condition.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use common::*;
use jsonrpsee::core::client::{Error as ClientError, SubscriptionClientT};
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::ws_client::WsClientBuilder;
use rumor_api::errors::RATE_LIMITED;
use rumor_api::types::TxStatus;
use rumor_api::{ChainApiClient, MempoolApiClient, TxApiClient};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const FLOODER: [u8; 4] = [127, 0, 0, 2];
const OTHER: [u8; 4] = [127, 0, 0, 3];
const GREEDY: [u8; 4] = [127, 0, 0, 4];
/// One call a second after a burst of 10: a flood of thousands of calls is refused mostly,
/// however fast or slow this machine is.
const RATE: u32 = 1;
const BURST: u32 = 10;
const PER_IP: u32 = 6;
/// The flood's bound: rounds of `CONCURRENT` calls per connection, unless told to stop first.
const ROUNDS: usize = 20_000;
const CONCURRENT: usize = 32;
const FLOOD_CONNECTIONS: usize = 4;

async fn connect_from(src: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpSocket::new_v4()?;
    s.bind(SocketAddr::from((src, 0)))?;
    s.connect(to).await
}

/// A typed WebSocket client whose connection comes from `src`.
async fn ws_from(
    src: [u8; 4],
    rpc: SocketAddr,
) -> Result<impl SubscriptionClientT + Send + Sync + 'static, ClientError> {
    let stream = connect_from(src, rpc)
        .await
        .map_err(|e| ClientError::Transport(e.into()))?;
    WsClientBuilder::default()
        .build_with_stream(format!("ws://{rpc}"), stream)
        .await
}

/// One HTTP POST from `src` (connection closed after it); the status and the JSON body.
async fn post_from(src: [u8; 4], rpc: SocketAddr, body: &Value) -> (u16, Value) {
    let body = body.to_string();
    let mut s = connect_from(src, rpc).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {rpc}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(T, s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&out);
    let (head, rest) = text.split_once("\r\n\r\n").expect("an HTTP response");
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(
        !head.to_ascii_lowercase().contains("chunked"),
        "a whole body: {head}"
    );
    (status, serde_json::from_str(rest).unwrap())
}

fn is_rate_limited(e: &ClientError) -> bool {
    match e {
        ClientError::Call(o) if o.code() == RATE_LIMITED => {
            let data: Value = o
                .data()
                .map(|d| serde_json::from_str(d.get()).unwrap())
                .unwrap_or_default();
            assert!(
                data["retry_after_ms"].as_u64().is_some_and(|ms| ms >= 1),
                "{o:?}"
            );
            true
        }
        _ => false,
    }
}

/// One sample of node `metrics`' page, by its exact series name (labels included).
async fn sample(metrics: SocketAddr, series: &str) -> Option<f64> {
    let mut s = TcpStream::connect(metrics).await.unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut page = String::new();
    tokio::time::timeout(T, s.read_to_string(&mut page))
        .await
        .unwrap()
        .unwrap();
    page.lines().find_map(|l| {
        let (name, v) = l.rsplit_once(' ')?;
        (name == series).then(|| v.parse().unwrap())
    })
}

#[derive(Default)]
struct Flood {
    served: AtomicU64,
    refused: AtomicU64,
    stop: AtomicBool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_client_is_rate_limited_while_others_are_served_and_gossip_delivers() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(dir.path(), 1, 3);
    let a = InProcess::start_with(&net, "a", None, false, vec![], |c| {
        c.rpc.limit_loopback = true;
        c.rpc.rate_per_ip = RATE;
        c.rpc.rate_burst_per_ip = BURST;
        c.rpc.max_connections_per_ip = PER_IP;
    })
    .await;
    // b's RPC keeps the defaults: loopback clients are not limited there.
    let b = InProcess::start(&net, "b", None, false, vec![a.p2p.clone()]).await;

    // One client's connections are capped; the one over the cap is closed unanswered.
    let mut greedy = Vec::new();
    for _ in 0..PER_IP {
        let c = ws_from(GREEDY, a.rpc).await.expect("within the cap");
        ChainApiClient::head(&c).await.expect("served");
        greedy.push(c);
    }
    assert!(
        ws_from(GREEDY, a.rpc).await.is_err(),
        "one connection over max_connections_per_ip is closed"
    );
    drop(greedy);

    // The flood: concurrent calls on several connections from one address.
    let flood = Arc::new(Flood::default());
    let mut flooders = Vec::new();
    for _ in 0..FLOOD_CONNECTIONS {
        let c = ws_from(FLOODER, a.rpc).await.unwrap();
        let f = flood.clone();
        flooders.push(tokio::spawn(async move {
            for _ in 0..ROUNDS {
                if f.stop.load(Ordering::Relaxed) {
                    break;
                }
                let calls = (0..CONCURRENT).map(|_| ChainApiClient::head(&c));
                for r in futures::future::join_all(calls).await {
                    match r {
                        Ok(_) => f.served.fetch_add(1, Ordering::Relaxed),
                        Err(e) if is_rate_limited(&e) => f.refused.fetch_add(1, Ordering::Relaxed),
                        Err(e) => {
                            panic!("the flooder got something else than an answer or -32040: {e}")
                        }
                    };
                }
            }
        }));
    }
    wait_for("the flooder is refused", T, || async {
        flood.refused.load(Ordering::Relaxed) > 0
    })
    .await;

    // A batch from the flooder: one answer per call, the calls over the rate refused in place.
    let batch: Vec<Value> = (0..20)
        .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "chain_head", "params": []}))
        .collect();
    let (status, body) = post_from(FLOODER, a.rpc, &Value::Array(batch)).await;
    assert_eq!(status, 200, "JSON-RPC errors, not an HTTP error: {body}");
    let answers = body.as_array().expect("a batch answer");
    assert_eq!(answers.len(), 20);
    let mut batch_refused = 0u64;
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer["id"], json!(i), "in order, one per call");
        if answer.get("result").is_none() {
            assert_eq!(answer["error"]["code"], json!(RATE_LIMITED), "{answer}");
            batch_refused += 1;
        }
    }
    assert!(
        batch_refused >= u64::from(20 - BURST),
        "at most a bucket's worth served: {body}"
    );

    // Meanwhile another client is served in full, and what it submits reaches the other node.
    let other = ws_from(OTHER, a.rpc)
        .await
        .expect("another address connects");
    ChainApiClient::head(&other).await.expect("head");
    MempoolApiClient::status(&other).await.expect("status");
    let from = rumor_chain::Keypair::load(&net.join("account-0.key")).unwrap();
    let to = rumor_chain::Keypair::load(&net.join("account-1.key")).unwrap();
    let tx = transfer(&from, &to, 0, 5);
    let hash = TxApiClient::submit(&other, hex::encode(tx.encode()))
        .await
        .expect("the other client's tx is accepted");
    let (status, answer) = post_from(
        OTHER,
        a.rpc,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "chain_head", "params": []}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(answer["result"].is_object(), "over HTTP too: {answer}");
    let at_b = HttpClientBuilder::default().build(b.url()).unwrap();
    wait_for("b receives the tx over gossip", T, || async {
        TxApiClient::get(&at_b, hash)
            .await
            .is_ok_and(|i| i.status != TxStatus::Unknown)
    })
    .await;
    assert!(
        flooders.iter().all(|f| !f.is_finished()),
        "the flood went on meanwhile"
    );

    flood.stop.store(true, Ordering::Relaxed);
    for f in flooders {
        tokio::time::timeout(T, f).await.unwrap().unwrap();
    }
    let (served, refused) = (
        flood.served.load(Ordering::Relaxed),
        flood.refused.load(Ordering::Relaxed),
    );
    assert!(served >= 1, "the flooder's burst was served");
    assert!(refused > served, "mostly refused: {refused} vs {served}");

    // The node counted exactly those refusals, and the one connection over the cap.
    assert_eq!(
        sample(a.metrics, "rumor_rpc_rate_limited_total").await,
        Some((refused + batch_refused) as f64)
    );
    assert_eq!(
        sample(
            a.metrics,
            "rumor_rpc_connections_refused_total{reason=\"max_connections_per_ip\"}"
        )
        .await,
        Some(1.0)
    );
    assert!(
        sample(a.metrics, "rumor_rpc_rate_clients")
            .await
            .is_some_and(|n| n >= 3.0),
        "the flooder, the other client and the greedy one have buckets"
    );
    a.stop().await;
    b.stop().await;
}
