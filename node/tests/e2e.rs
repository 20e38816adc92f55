//! Four real `rumor` processes on loopback: a tx sent with `rumor tx send` to node A is pending
//! everywhere, gets included, and every node agrees on its block and on the head. Then a node
//! is stopped with SIGTERM (exit 0 within 5 s), restarted, and catches up.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

struct Proc {
    child: Child,
    rpc: std::net::SocketAddr,
    p2p: String,
    args: Vec<String>,
}

fn spawn(args: &[String], log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(rumor_bin())
        .args(args)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

async fn start(net: &Path, i: usize, producer: bool, bootnodes: &[String]) -> Proc {
    let (p2p_port, rpc_port, metrics_port) = (free_port(), free_port(), free_port());
    let mut args: Vec<String> = vec![
        "node".into(),
        "--data-dir".into(),
        net.join(format!("node-{i}")).display().to_string(),
        "--genesis".into(),
        net.join("genesis.json").display().to_string(),
        "--listen".into(),
        format!("/ip4/127.0.0.1/tcp/{p2p_port}"),
        "--rpc".into(),
        format!("127.0.0.1:{rpc_port}"),
        "--metrics".into(),
        format!("127.0.0.1:{metrics_port}"),
        "--trace".into(),
        "--verify-threads".into(),
        "1".into(),
    ];
    if producer {
        args.extend([
            "--producer".into(),
            "--key".into(),
            net.join(format!("authority-{i}.key")).display().to_string(),
        ]);
    }
    for b in bootnodes {
        args.extend(["--bootnode".into(), b.clone()]);
    }
    let child = spawn(&args, &net.join(format!("node-{i}.log")));
    let rpc: std::net::SocketAddr = format!("127.0.0.1:{rpc_port}").parse().unwrap();
    wait_for("rpc up", T, || async {
        tokio::net::TcpStream::connect(rpc).await.is_ok()
    })
    .await;
    let info = call(rpc, "net_info", json!([])).await;
    let peer = info["result"]["peer_id"].as_str().unwrap().to_owned();
    Proc {
        child,
        rpc,
        p2p: format!("/ip4/127.0.0.1/tcp/{p2p_port}/p2p/{peer}"),
        args,
    }
}

async fn head(rpc: std::net::SocketAddr) -> Value {
    call(rpc, "chain_head", json!([])).await["result"].clone()
}

fn sigterm(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_agree_on_a_sent_tx_and_a_restarted_node_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let net: PathBuf = network(dir.path(), 2, 2);
    let a = start(&net, 0, true, &[]).await;
    let b = start(&net, 1, true, std::slice::from_ref(&a.p2p)).await;
    let c = start(&net, 2, false, &[a.p2p.clone(), b.p2p.clone()]).await;
    let d = start(&net, 3, false, std::slice::from_ref(&c.p2p)).await;
    let nodes = [&a, &b, &c, &d];
    for n in nodes {
        wait_for("peers", T, || async {
            call(n.rpc, "net_peers", json!([])).await["result"]
                .as_array()
                .is_some_and(|p| !p.is_empty())
        })
        .await;
    }

    let to = rumor_chain::Keypair::load(&net.join("account-1.key"))
        .unwrap()
        .address();
    let out = Command::new(rumor_bin())
        .args(["tx", "send", "--key"])
        .arg(net.join("account-0.key"))
        .args([
            "--to",
            &to.to_string(),
            "--amount",
            "25",
            "--fee",
            "3",
            "--rpc",
        ])
        .arg(format!("http://{}", a.rpc))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hash = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(hash.len(), 64);

    // Included, and every node agrees on the block that holds it.
    wait_for("tx included at D", T, || async {
        call(d.rpc, "tx_get", json!([hash])).await["result"]["status"]
            .get("included")
            .is_some()
    })
    .await;
    let mut blocks = Vec::new();
    for n in nodes {
        wait_for("tx included everywhere", T, || async {
            call(n.rpc, "tx_get", json!([hash])).await["result"]["status"]
                .get("included")
                .is_some()
        })
        .await;
        blocks.push(
            call(n.rpc, "tx_get", json!([hash])).await["result"]["status"]["included"]["block"]
                .clone(),
        );
    }
    assert!(blocks.windows(2).all(|w| w[0] == w[1]), "{blocks:?}");
    let acct = call(d.rpc, "state_getAccount", json!([to.to_string()])).await;
    assert_eq!(acct["result"]["balance"], 1_000_025);

    // Heads agree (give the newest block a moment to spread: compare at a common height).
    wait_for("heads agree", T, || async {
        let hs = futures_heads(&nodes).await;
        hs.windows(2).all(|w| w[0] == w[1])
    })
    .await;

    // Restart: SIGTERM C, it exits 0 within 5 s; start it again on the same data dir.
    let mut c = c;
    let stop = Instant::now();
    sigterm(&c.child);
    let status = loop {
        if let Some(s) = c.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            stop.elapsed() < Duration::from_secs(5),
            "node did not exit within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "exit status {status}");
    assert!(
        tokio::net::TcpStream::connect(c.rpc).await.is_err(),
        "RPC stopped with the node"
    );
    // Let the others move ahead, then restart C.
    let h_before = head(a.rpc).await["height"].as_u64().unwrap();
    wait_for("chain advances", T, || async {
        head(a.rpc).await["height"].as_u64().unwrap() >= h_before + 3
    })
    .await;
    c.child = spawn(&c.args, &net.join("node-2-restart.log"));
    wait_for("restarted rpc", T, || async {
        tokio::net::TcpStream::connect(c.rpc).await.is_ok()
    })
    .await;
    wait_for(
        "restarted node catches up and serves the same head",
        T,
        || async {
            let (ha, hc) = (head(a.rpc).await, head(c.rpc).await);
            !hc.is_null() && ha["hash"] == hc["hash"]
        },
    )
    .await;
    let tx_at_c = call(c.rpc, "tx_get", json!([hash])).await;
    assert_eq!(tx_at_c["result"]["status"]["included"]["block"], blocks[0]);
    for n in [&a, &b, &c, &d] {
        sigterm(&n.child);
    }
}

async fn futures_heads(nodes: &[&Proc]) -> Vec<Value> {
    let mut out = Vec::new();
    for n in nodes {
        out.push(head(n.rpc).await["hash"].clone());
    }
    out
}
