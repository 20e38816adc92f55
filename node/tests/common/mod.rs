//! Test helpers: a fresh network directory, in-process and child-process nodes, and a raw
//! HTTP JSON-RPC client (for malformed requests no typed client can send).
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rumor_node::NodeConfig;
use rumor_node::setup::{NewGenesis, new_genesis};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const T: Duration = Duration::from_secs(60);

/// A network with `authorities` producers and `accounts` funded accounts, 500 ms slots.
pub fn network(dir: &Path, authorities: usize, accounts: usize) -> PathBuf {
    let now = rumor_chain::clock::Clock::system().now_ms();
    new_genesis(&NewGenesis {
        authorities,
        accounts,
        out: dir.to_owned(),
        chain_id: 1,
        slot_ms: 500,
        balance: 1_000_000,
        genesis_time_ms: now,
        seed: Some("test".into()),
    })
    .unwrap();
    dir.to_owned()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `cond` every 50 ms until it holds or `timeout` passes (the shared
/// [`rumor_p2p::test_utils::wait_for_every`]).
pub async fn wait_for<F, Fut>(what: &str, timeout: Duration, cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    rumor_p2p::test_utils::wait_for_every(Duration::from_millis(50), what, timeout, cond).await
}

/// A node running `rumor_node::run` in this process.
pub struct InProcess {
    pub rpc: SocketAddr,
    pub metrics: SocketAddr,
    pub peer_id: String,
    pub p2p: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), rumor_node::NodeError>>>,
}

impl InProcess {
    pub async fn start(
        net: &Path,
        name: &str,
        key: Option<&str>,
        producer: bool,
        bootnodes: Vec<String>,
    ) -> Self {
        Self::start_with(net, name, key, producer, bootnodes, |_| {}).await
    }

    /// [`InProcess::start`] with config changes.
    pub async fn start_with(
        net: &Path,
        name: &str,
        key: Option<&str>,
        producer: bool,
        bootnodes: Vec<String>,
        tweak: impl FnOnce(&mut NodeConfig),
    ) -> Self {
        let port = free_port();
        let mut config = NodeConfig {
            data_dir: net.join(name),
            key: key.map(|k| net.join(k)),
            genesis: net.join("genesis.json"),
            listen: vec![format!("/ip4/127.0.0.1/tcp/{port}")],
            bootnodes,
            rpc_addr: "127.0.0.1:0".parse().unwrap(),
            metrics_addr: "127.0.0.1:0".parse().unwrap(),
            producer,
            trace: true,
            verify_threads: 1,
            ..NodeConfig::default()
        };
        config.net.allow_private_addrs = true;
        tweak(&mut config);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
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
        let s = tokio::time::timeout(T, started_rx).await.unwrap().unwrap();
        Self {
            rpc: s.rpc,
            metrics: s.metrics,
            peer_id: s.peer_id.to_string(),
            p2p: format!("/ip4/127.0.0.1/tcp/{port}/p2p/{}", s.peer_id),
            stop: Some(stop_tx),
            task: Some(task),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.rpc)
    }

    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(5), self.task.take().unwrap())
            .await
            .expect("node stops within 5 s")
            .unwrap()
            .unwrap();
    }
}

/// Sends `body` as an HTTP POST; returns the status code and the JSON body.
pub async fn post(addr: SocketAddr, body: &[u8]) -> (u16, Value) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // An oversized body may be refused before it is all read; that is the point.
    let _ = s.write_all(body).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(T, s.read_to_end(&mut out))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out);
    let (head, rest) = text.split_once("\r\n\r\n").expect("an HTTP response");
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let json = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    (status, serde_json::from_str(&json).unwrap_or(Value::Null))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

/// A JSON-RPC call with positional params; returns the whole response object.
pub async fn call(addr: SocketAddr, method: &str, params: Value) -> Value {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    post(addr, body.to_string().as_bytes()).await.1
}

pub fn rumor_bin() -> &'static str {
    env!("CARGO_BIN_EXE_rumor")
}

/// A signed transfer of 1 from `from` to `to` (chain 1), through the shared builder.
pub fn transfer(
    from: &rumor_chain::Keypair,
    to: &rumor_chain::Keypair,
    nonce: u64,
    fee: u64,
) -> rumor_chain::SignedTransaction {
    rumor_chain::test_utils::TxBuilder::new(from)
        .to(to.address())
        .fee(fee)
        .nonce(nonce)
        .sign()
}

/// Pending txs in `node`'s pool (`mempool_status`).
pub async fn pending(node: &InProcess) -> u64 {
    call(node.rpc, "mempool_status", serde_json::json!([])).await["result"]["pending"]
        .as_u64()
        .unwrap_or(0)
}

/// Submits transfers `account-0 → account-1` with these nonces (fee 5) over `rpc`, asserting
/// that each is accepted.
pub async fn submit_transfers(net: &Path, rpc: SocketAddr, nonces: std::ops::Range<u64>) {
    let from = rumor_chain::Keypair::load(&net.join("account-0.key")).unwrap();
    let to = rumor_chain::Keypair::load(&net.join("account-1.key")).unwrap();
    for nonce in nonces {
        let tx = transfer(&from, &to, nonce, 5);
        let r = call(
            rpc,
            "tx_submit",
            serde_json::json!([hex::encode(tx.encode())]),
        )
        .await;
        assert!(r["result"].is_string(), "{r}");
    }
}
