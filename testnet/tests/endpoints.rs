//! `--endpoints FILE`: the tool attaches to nodes it did not start and measures them as any
//! testnet, reading traces and clocks over RPC. The nodes here are a process-mode testnet
//! started by `up` in another directory; the attached directory knows only the endpoints file.
//! Where Debian's libfaketime is installed (`.ci/run` installs `faketime`), one more node joins
//! with its clock set 2 s ahead, and the report's estimate of its offset must hold 2 000 ms
//! within its stated error bound (else a NOTICE, and the three on this host's clock only).

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rumor_report::model::Report;
use rumor_report::trace::Kind;
use rumor_testnet::Manifest;
use rumor_testnet::setup::endpoints::{Endpoint, Endpoints};

const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
/// The skewed node's clock: this far ahead of the host's.
const AHEAD_MS: f64 = 2000.0;

/// A non-producing node under libfaketime, its clock [`AHEAD_MS`] ahead, bootstrapping from
/// `boot`; returns it with its RPC and metrics addresses.
fn skewed_node(rumor: &Path, dir: &Path, genesis: &Path, boot: &str) -> (Child, String, String) {
    // Three distinct free ports at once (asked one by one, the same one could come back).
    let ports = rumor_testnet::setup::ports::free_ports(3).unwrap();
    let (rpc, metrics) = (
        format!("127.0.0.1:{}", ports[0]),
        format!("127.0.0.1:{}", ports[1]),
    );
    let log = std::fs::File::create(dir.join("skewed.log")).unwrap();
    let child = Command::new(rumor)
        .args(["node", "--data-dir"])
        .arg(dir.join("skewed"))
        .arg("--genesis")
        .arg(genesis)
        .args(["--listen", &format!("/ip4/127.0.9.1/tcp/{}", ports[2])])
        .args([
            "--bootnode",
            boot,
            "--rpc",
            &rpc,
            "--metrics",
            &metrics,
            "--trace",
        ])
        .env("LD_PRELOAD", LIBFAKETIME)
        .env("FAKETIME", format!("+{}", AHEAD_MS / 1000.0))
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start the skewed node");
    (child, rpc, metrics)
}

/// Waits (bounded) until the node at `rpc` has a gossip mesh for both topics with some peer.
fn wait_meshed(rpc: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let rpc =
            rumor_testnet::observe::rpc::Rpc::new(&format!("http://{rpc}"), Duration::from_secs(2))
                .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(peers) = rpc.net_peers().await
                && peers.iter().any(|p| p.mesh_topics.len() == 2)
            {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the skewed node never joined the mesh"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
}

#[test]
fn load_and_measure_nodes_the_tool_did_not_start() {
    let _serial = common::serial();
    let rumor = common::rumor_bin();
    let tmp = tempfile::tempdir().unwrap();
    let (own, attached) = (tmp.path().join("own"), tmp.path().join("attached"));
    let up = common::run_testnet(
        &[
            "--quiet",
            "up",
            "--nodes",
            "3",
            "--funded-accounts",
            "16",
            "--slot-ms",
            "500",
            "--seed",
            "9",
            "--dir",
            own.to_str().unwrap(),
            "--rumor",
            rumor.to_str().unwrap(),
        ],
        Duration::from_secs(120),
    );
    common::assert_success(&up, "up");
    let m = Manifest::load(&own).unwrap();
    let mut skewed = Path::new(LIBFAKETIME)
        .is_file()
        .then(|| skewed_node(&rumor, tmp.path(), &m.genesis, &m.nodes[0].dial_addr()));
    if let Some((_, rpc, _)) = &skewed {
        wait_meshed(rpc);
    } else {
        eprintln!(
            "NOTICE: no {LIBFAKETIME} (apt-get install faketime): no node with a skewed clock"
        );
    }
    let file = tmp.path().join("endpoints.json");
    let mut endpoints = Endpoints {
        seed: 9,
        accounts: 16,
        slot_ms: 500,
        nodes: m
            .nodes
            .iter()
            .map(|n| Endpoint {
                rpc: n.rpc.to_string(),
                metrics: n.metrics.to_string(),
                producer: n.producer,
                region: None,
            })
            .collect(),
    };
    if let Some((_, rpc, metrics)) = &skewed {
        endpoints.nodes.push(Endpoint {
            rpc: rpc.clone(),
            metrics: metrics.clone(),
            producer: false,
            region: None,
        });
    }
    let nodes = endpoints.nodes.len();
    std::fs::write(&file, serde_json::to_string(&endpoints).unwrap()).unwrap();
    let (file_s, dir_s) = (file.to_str().unwrap(), attached.to_str().unwrap());

    let load = common::run_testnet(
        &[
            "--quiet",
            "load",
            "--endpoints",
            file_s,
            "--dir",
            dir_s,
            "--tps",
            "20",
            "--duration",
            "3s",
        ],
        Duration::from_secs(120),
    );
    let measure = common::run_testnet(
        &["--quiet", "measure", "--endpoints", file_s, "--dir", dir_s],
        Duration::from_secs(120),
    );
    // `down` refuses an attached testnet: it stops nothing it did not start.
    let refused = common::run_testnet(&["down", "--dir", dir_s], Duration::from_secs(60));
    let down = common::run_testnet(
        &["down", "--dir", own.to_str().unwrap()],
        Duration::from_secs(60),
    );
    if let Some((child, ..)) = skewed.as_mut() {
        let _ = child.kill();
        let _ = child.wait();
    }
    common::assert_success(&load, "load --endpoints");
    common::assert_success(&measure, "measure --endpoints");
    common::assert_success(&down, "down");
    assert!(
        !refused.status.success(),
        "down of an attached testnet must refuse"
    );
    assert!(common::nodes_running_under(&own).is_empty());

    let a = Manifest::load(&attached).unwrap();
    assert!(a.attached && a.nodes.len() == nodes);
    assert_eq!(a.network, m.network);
    assert_eq!(a.nodes[1].peer_id, m.nodes[1].peer_id);
    let text = std::fs::read_to_string(attached.join("report/report.json")).unwrap();
    let r: Report = serde_json::from_str(&text).unwrap();
    let load = r
        .load
        .as_ref()
        .expect("load.json of the attached directory");
    assert_eq!(load.accepted, 60, "{load:?}");
    let tx = &r.kinds[&Kind::Tx];
    assert_eq!(tx.stats.delivery.messages, 60, "{:?}", tx.stats.delivery);
    assert_eq!(tx.stats.delivery.ratio, 1.0, "{:?}", tx.stats.delivery);
    // Corrected onto the tool's clock, no tx took anything like the skew to arrive.
    let p99 = tx.stats.reach.last().unwrap().ms.as_ref().unwrap().p99;
    assert!(
        p99 < AHEAD_MS / 2.0,
        "tx p99 {p99} ms: trace times not corrected?"
    );
    // Traces came over RPC into the attached directory; the clocks are this host's.
    assert!(attached.join("node-2/trace.ndjson").is_file());
    let clocks = r.clocks.as_ref().expect("clock offsets");
    assert_eq!(clocks.nodes.len(), nodes);
    for c in &clocks.nodes {
        // The true offset: 0 on this host's clock, AHEAD_MS for the skewed node; the estimate
        // must hold it within its own bound (plus 0.01 ms for rounding).
        let truth = if c.index == 3 { AHEAD_MS } else { 0.0 };
        assert!(
            (c.offset_ms - truth).abs() <= c.error_ms + 0.01,
            "node {}: estimated {} ± {} ms, true {truth}",
            c.index,
            c.offset_ms,
            c.error_ms
        );
    }
}
