//! What a flooding RPC client costs everyone else, measured (not a test: a figure for
//! BENCHMARKS.md).
//!
//! Three in-process nodes (A, B, C; B and C dial A, C dials B too). A steady client at
//! 127.0.0.3 submits one tx every `--interval-ms` to A over WebSocket for `--secs`, each from
//! its own account, and we record (1) its `tx_submit` latency and (2) each tx's time from A's
//! first sight to the last of B and C (the nodes' traces, one clock). Each phase starts a fresh
//! network:
//!
//! - `quiet`: the steady client alone;
//! - `flood`: plus a flooder at 127.0.0.2 — `--flood-connections` WebSockets each keeping
//!   `--flood-concurrency` `mempool_status` calls in flight, unpaced, from a thread and runtime
//!   of its own (another host, sharing only the cores) — against A's default
//!   limits (`mempool_status` takes the pool's lock on the blocking pool, as `tx_submit` does:
//!   a flood of it served in full competes with the steady client's submissions);
//! - `flood-unlimited` (with `--unlimited`): the same flood with `rate_per_ip = 0`, to show
//!   what the limit buys.
//!
//! A's per-client limits are turned on for loopback (`limit_loopback`), so the loopback
//! addresses stand in for hosts. The tx journal is off (`tx_journal = false`): on a machine
//! shared with other builds, fsync times would swamp what is measured here.
//!
//! Run: `cargo run --release -p rumor-node --example rpc_flood [-- --secs 10 --unlimited]`.
//! Prints one line per phase and the flood ÷ quiet ratios of the two p99s (goal: ≤ 1.5).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jsonrpsee::core::client::{Error as ClientError, SubscriptionClientT};
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::ws_client::WsClientBuilder;
use rumor_api::errors::RATE_LIMITED;
use rumor_api::trace::{Kind, Origin, TraceLine};
use rumor_api::types::TxStatus;
use rumor_api::{MempoolApiClient, NetApiClient, NodeConfig, TxApiClient};
use rumor_chain::{Keypair, TxHash};
use rumor_node::setup::{NewGenesis, new_genesis};
use tokio::net::TcpSocket;

const FLOODER: [u8; 4] = [127, 0, 0, 2];
const STEADY: [u8; 4] = [127, 0, 0, 3];
const WAIT: Duration = Duration::from_secs(60);
const WARMUP_TXS: usize = 5;

#[derive(Debug, Clone)]
struct Opts {
    secs: u64,
    interval_ms: u64,
    flood_connections: usize,
    flood_concurrency: usize,
    unlimited: bool,
}

fn parse() -> Opts {
    let mut o = Opts {
        secs: 10,
        interval_ms: 25,
        flood_connections: 4,
        flood_concurrency: 64,
        unlimited: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = || -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{a} takes a number"))
        };
        match a.as_str() {
            "--secs" => o.secs = num(),
            "--interval-ms" => o.interval_ms = num().max(1),
            "--flood-connections" => o.flood_connections = num() as usize,
            "--flood-concurrency" => o.flood_concurrency = num() as usize,
            "--unlimited" => o.unlimited = true,
            other => panic!("unknown argument {other}"),
        }
    }
    o
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Quiet,
    Flood,
    FloodUnlimited,
}

struct Node {
    rpc: SocketAddr,
    p2p: String,
    dir: PathBuf,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), rumor_node::NodeError>>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn start(net: &Path, name: &str, boot: Vec<String>, phase: Phase) -> Node {
    let port = free_port();
    let mut config = NodeConfig {
        data_dir: net.join(name),
        genesis: net.join("genesis.json"),
        listen: vec![format!("/ip4/127.0.0.1/tcp/{port}")],
        bootnodes: boot,
        rpc_addr: "127.0.0.1:0".parse().unwrap(),
        metrics_addr: "127.0.0.1:0".parse().unwrap(),
        trace: true,
        tx_journal: false,
        verify_threads: 1,
        ..NodeConfig::default()
    };
    config.net.allow_private_addrs = true;
    config.rpc.limit_loopback = true;
    if phase == Phase::FloodUnlimited {
        config.rpc.rate_per_ip = 0;
    }
    let dir = config.data_dir.clone();
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(rumor_node::run(
        config,
        async move {
            let _ = stop_rx.await;
        },
        move |s| {
            let _ = started_tx.send(s);
        },
    ));
    let s = tokio::time::timeout(WAIT, started_rx)
        .await
        .expect("node starts")
        .expect("node starts");
    Node {
        rpc: s.rpc,
        p2p: format!("/ip4/127.0.0.1/tcp/{port}/p2p/{}", s.peer_id),
        dir,
        stop,
        task,
    }
}

async fn ws_from(
    src: [u8; 4],
    rpc: SocketAddr,
) -> impl SubscriptionClientT + Send + Sync + 'static {
    let s = TcpSocket::new_v4().unwrap();
    s.bind(SocketAddr::from((src, 0))).unwrap();
    let stream = s.connect(rpc).await.unwrap();
    WsClientBuilder::default()
        .build_with_stream(format!("ws://{rpc}"), stream)
        .await
        .unwrap()
}

/// Polls `cond` every 50 ms until it holds; panics after [`WAIT`].
async fn wait_for<F: std::future::Future<Output = bool>>(what: &str, cond: impl FnMut() -> F) {
    rumor_p2p::test_utils::wait_for_every(Duration::from_millis(50), what, WAIT, cond).await
}

fn transfer(net: &Path, account: usize) -> rumor_chain::SignedTransaction {
    let from = Keypair::load(&net.join(format!("account-{account}.key"))).unwrap();
    rumor_chain::test_utils::TxBuilder::new(&from).fee(5).sign()
}

/// First sight (µs) of each tx in a node's trace.
fn first_sights(dir: &Path) -> HashMap<String, u64> {
    let text = std::fs::read_to_string(rumor_api::DataDir::new(dir).trace()).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<TraceLine>(l).ok())
        .filter(|l| l.kind == Kind::Tx && l.origin != Origin::Duplicate)
        .map(|l| (l.id, l.t_us))
        .collect()
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[derive(Debug)]
struct Outcome {
    rpc_ms: Vec<f64>,
    tx_ms: Vec<f64>,
    submitted: usize,
    flood_served: u64,
    flood_refused: u64,
}

async fn phase(o: &Opts, phase: Phase) -> Outcome {
    let txs = (o.secs * 1000 / o.interval_ms) as usize;
    let tmp = tempfile::tempdir().unwrap();
    let net = tmp.path().to_owned();
    new_genesis(&NewGenesis {
        authorities: 1,
        accounts: txs + WARMUP_TXS,
        out: net.clone(),
        chain_id: 1,
        slot_ms: 500,
        balance: 1_000_000,
        genesis_time_ms: rumor_chain::clock::Clock::system().now_ms(),
        seed: Some("rpc-flood".into()),
    })
    .unwrap();
    let signing = net.clone();
    let all: Vec<_> = tokio::task::spawn_blocking(move || {
        (0..txs + WARMUP_TXS)
            .map(|i| transfer(&signing, i))
            .collect()
    })
    .await
    .unwrap();
    let a = start(&net, "a", vec![], phase).await;
    let b = start(&net, "b", vec![a.p2p.clone()], phase).await;
    let c = start(&net, "c", vec![a.p2p.clone(), b.p2p.clone()], phase).await;
    let (at_b, at_c) = (
        HttpClientBuilder::default()
            .build(format!("http://{}", b.rpc))
            .unwrap(),
        HttpClientBuilder::default()
            .build(format!("http://{}", c.rpc))
            .unwrap(),
    );
    wait_for("B and C connected to two peers each", || async {
        let n = |r: Result<Vec<_>, _>| r.map(|p| p.len()).unwrap_or(0);
        n(NetApiClient::peers(&at_b).await) >= 2 && n(NetApiClient::peers(&at_c).await) >= 2
    })
    .await;
    // Warm-up: the gossip mesh formed once these reach C.
    let steady = ws_from(STEADY, a.rpc).await;
    let mut warm = Vec::new();
    for tx in &all[txs..] {
        warm.push(
            TxApiClient::submit(&steady, hex::encode(tx.encode()))
                .await
                .unwrap(),
        );
    }
    for h in warm {
        wait_for("warm-up txs at C", || async {
            TxApiClient::get(&at_c, h)
                .await
                .is_ok_and(|i| i.status != TxStatus::Unknown)
        })
        .await;
    }

    let stop = Arc::new(AtomicBool::new(false));
    let (served, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut flooder = None;
    if phase != Phase::Quiet {
        let counts = (stop.clone(), served.clone(), refused.clone());
        let (rpc, conns, n) = (a.rpc, o.flood_connections, o.flood_concurrency);
        // The flooder is another host: its own thread and runtime, so its client-side work
        // competes with the nodes for the cores (as on one machine it must) but not for the
        // nodes' runtime workers.
        flooder = Some(std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the flooder's runtime");
            let (stop, served, refused) = counts;
            rt.block_on(async move {
                let mut tasks = Vec::new();
                for _ in 0..conns {
                    let c = ws_from(FLOODER, rpc).await;
                    let (stop, served, refused) = (stop.clone(), served.clone(), refused.clone());
                    tasks.push(tokio::spawn(async move {
                        while !stop.load(Ordering::Relaxed) {
                            let calls = (0..n).map(|_| MempoolApiClient::status(&c));
                            for r in futures::future::join_all(calls).await {
                                match r {
                                    Ok(_) => served.fetch_add(1, Ordering::Relaxed),
                                    Err(ClientError::Call(e)) if e.code() == RATE_LIMITED => {
                                        refused.fetch_add(1, Ordering::Relaxed)
                                    }
                                    Err(e) => panic!("flooder: {e}"),
                                };
                            }
                        }
                    }));
                }
                for t in tasks {
                    t.await.expect("a flooding connection");
                }
            })
        }));
        // The flood is under way before the steady client starts.
        wait_for("the flood under way", || async {
            served.load(Ordering::Relaxed) + refused.load(Ordering::Relaxed) > 1000
        })
        .await;
    }

    let mut rpc_ms = Vec::with_capacity(txs);
    let mut hashes: Vec<TxHash> = Vec::with_capacity(txs);
    let mut tick = tokio::time::interval(Duration::from_millis(o.interval_ms));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for tx in &all[..txs] {
        tick.tick().await;
        let t0 = Instant::now();
        let h = TxApiClient::submit(&steady, hex::encode(tx.encode()))
            .await
            .expect("the steady client is served");
        rpc_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        hashes.push(h);
    }
    let last = *hashes.last().unwrap();
    wait_for("the last tx at B and C", || async {
        let there =
            |r: Result<rumor_api::types::TxInfo, _>| r.is_ok_and(|i| i.status != TxStatus::Unknown);
        there(TxApiClient::get(&at_b, last).await) && there(TxApiClient::get(&at_c, last).await)
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    if let Some(f) = flooder {
        tokio::task::spawn_blocking(move || f.join())
            .await
            .unwrap()
            .expect("the flooder thread");
    }
    let dirs = [a.dir.clone(), b.dir.clone(), c.dir.clone()];
    for n in [a, b, c] {
        let _ = n.stop.send(());
        let _ = tokio::time::timeout(WAIT, n.task).await;
    }
    let [sa, sb, sc] = dirs.map(|d| first_sights(&d));
    let mut tx_ms = Vec::new();
    for h in &hashes {
        let id = h.to_string();
        if let (Some(t0), Some(tb), Some(tc)) = (sa.get(&id), sb.get(&id), sc.get(&id)) {
            tx_ms.push((*tb.max(tc)).saturating_sub(*t0) as f64 / 1e3);
        }
    }
    rpc_ms.sort_by(f64::total_cmp);
    tx_ms.sort_by(f64::total_cmp);
    Outcome {
        rpc_ms,
        tx_ms,
        submitted: txs,
        flood_served: served.load(Ordering::Relaxed),
        flood_refused: refused.load(Ordering::Relaxed),
    }
}

fn report(name: &str, o: &Outcome) {
    println!(
        "{name:>16}: rpc tx_submit p50 {:.2} ms p99 {:.2} ms | tx to all p50 {:.1} ms p99 {:.1} ms ({}/{} delivered) | flooder served {} refused {}",
        pct(&o.rpc_ms, 50.0),
        pct(&o.rpc_ms, 99.0),
        pct(&o.tx_ms, 50.0),
        pct(&o.tx_ms, 99.0),
        o.tx_ms.len(),
        o.submitted,
        o.flood_served,
        o.flood_refused,
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let o = parse();
    let quiet = phase(&o, Phase::Quiet).await;
    report("quiet", &quiet);
    let flood = phase(&o, Phase::Flood).await;
    report("flood", &flood);
    let ratio =
        |f: &Outcome, key: fn(&Outcome) -> &Vec<f64>| pct(key(f), 99.0) / pct(key(&quiet), 99.0);
    println!(
        "flood ÷ quiet p99: rpc {:.2}×, tx to all {:.2}× (goal ≤ 1.5×)",
        ratio(&flood, |o| &o.rpc_ms),
        ratio(&flood, |o| &o.tx_ms)
    );
    if o.unlimited {
        let open = phase(&o, Phase::FloodUnlimited).await;
        report("flood-unlimited", &open);
        println!(
            "unlimited flood ÷ quiet p99: rpc {:.2}×, tx to all {:.2}×",
            ratio(&open, |o| &o.rpc_ms),
            ratio(&open, |o| &o.tx_ms)
        );
    }
}
