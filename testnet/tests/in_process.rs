//! In-process testnets (`--in-process`): many real nodes (the node library, not a mock) in one
//! process. A CI-sized run must deliver every tx and block to every node, end on one head and
//! account CPU per node; stopping an in-process network must leave no task, thread or port
//! behind.

mod common;

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::{Duration, Instant};

use rumor_report::Report;
use rumor_report::trace::Kind;
use rumor_testnet::commands::up;
use rumor_testnet::process::Started;
use rumor_testnet::setup::{RegionsOpt, UpOptions};

#[test]
fn an_in_process_run_delivers_everything_to_every_node_and_meters_each_node() {
    let _serial = common::serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let out = common::run_testnet(
        &[
            "--quiet",
            "run",
            "--in-process",
            "--nodes",
            "20",
            "--tps",
            "10",
            "--duration",
            "5s",
            "--seed",
            "7",
            "--dir",
            dir.to_str().unwrap(),
        ],
        Duration::from_secs(300),
    );
    common::assert_success(&out, "rumor-testnet run --in-process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("In-process: 20 nodes"), "{stdout}");
    let r: Report =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report/report.json")).unwrap())
            .unwrap();
    assert_eq!(r.load.as_ref().unwrap().accepted, 50, "{:?}", r.load);
    for kind in [Kind::Tx, Kind::Block] {
        let k = &r.kinds[&kind];
        assert_eq!(k.stats.delivery.ratio, 1.0, "{kind:?} delivery: {k:?}");
    }
    assert!(r.heads.same_head, "{:?}", r.heads);
    assert_eq!(r.convergence.as_ref().unwrap().lost.lost, 0);
    let shutdown = r.shutdown.as_ref().unwrap();
    assert_eq!(shutdown.killed.len(), 0);
    assert_eq!(shutdown.terminated.len(), 20);
    // Every node's CPU comes from its own meter, and the meters account for most of the
    // process's CPU (the rest: runtime, RPC server, load generator).
    for n in &r.nodes {
        assert!(n.cpu_percent.unwrap() > 0.0, "{n:?}");
        assert!(n.rss_max_kib.is_none(), "no per-node /proc figure: {n:?}");
    }
    let fp = r.in_process.as_ref().expect("in_process");
    assert!(fp.cpu_source.contains("meter"), "{fp:?}");
    let share = fp.attributed_share.unwrap();
    // The meters time each poll by the wall clock: while other processes hold the cores, a
    // preempted poll counts the wait too, and the meters can sum past the process's CPU (2.3×
    // measured with the machine saturated by other builds). The upper bound holds only when
    // the machine had cores to spare: the report's own saturation check decides.
    let saturated = r.machine.as_ref().is_none_or(|m| m.saturated);
    assert!(share > 0.2, "{fp:?}");
    if saturated {
        eprintln!(
            "NOTICE: machine saturated ({:?}): meter share {share:.2} not bounded above",
            r.machine
        );
    } else {
        assert!(share < 1.5, "{fp:?}");
    }
    assert!(fp.rss_per_node_kib.unwrap() > 0.0, "{fp:?}");
    assert!(
        fp.heap_per_node_kib.unwrap() > 100.0,
        "a node holds more than 100 KiB: {fp:?}"
    );
    // No node process was started, and the chain stores stayed in memory.
    assert!(common::nodes_running_under(&dir).is_empty());
    assert!(!dir.join("node-0/chain.redb").exists());
    // The nodes log into the testnet's directory, not the tool's stderr.
    assert!(dir.join("nodes.log").is_file());
}

fn options(dir: &Path, nodes: usize) -> UpOptions {
    UpOptions {
        dir: dir.to_path_buf(),
        rumor: std::env::current_exe().unwrap(),
        nodes,
        producers: 2,
        seed: 11,
        slot_ms: 1000,
        chain_id: 1,
        accounts: 8,
        account_balance: 1_000_000_000,
        regions: RegionsOpt::None,
        jitter_ms: 0,
        bandwidth_bytes_per_sec: None,
        ready_timeout: Duration::from_secs(60),
        overrides: Default::default(),
        in_process: true,
        prometheus: None,
        compose: None,
    }
}

fn verify_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
        .filter(|c| c.starts_with("verify-"))
        .count()
}

fn bindable(addr: SocketAddr) -> bool {
    TcpListener::bind(addr).is_ok()
}

/// Waits up to 10 s for `ok`; the last value.
async fn eventually(mut ok: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ok()
}

#[test]
fn stopping_an_in_process_network_leaves_no_task_thread_or_port_behind() {
    let _serial = common::serial();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(start_and_stop());
}

async fn start_and_stop() {
    let tmp = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Handle::current().metrics();
    let tasks_before = runtime.num_alive_tasks();
    assert_eq!(verify_threads(), 0);

    let opts = options(tmp.path(), 4);
    let started = Started::default();
    let m = up::start(&opts, &started, true).await.unwrap();
    assert!(m.in_process && m.nodes.iter().all(|n| n.pid.is_none()));
    assert!(runtime.num_alive_tasks() > tasks_before + 4);
    assert!(
        verify_threads() >= 1,
        "the nodes share one verification pool"
    );
    let ports: Vec<SocketAddr> = m
        .nodes
        .iter()
        .flat_map(|n| {
            let p2p: SocketAddr = {
                let parts: Vec<&str> = n.p2p.split('/').collect();
                format!("{}:{}", parts[2], parts[4]).parse().unwrap()
            };
            [n.rpc, n.metrics, p2p]
        })
        .collect();
    assert!(ports.iter().all(|a| !bindable(*a)), "the nodes listen");

    let report = started.stop(&opts.dir).await;
    assert_eq!(report.terminated, vec![0, 1, 2, 3], "{report:?}");
    assert!(report.killed.is_empty());
    assert!(
        eventually(|| runtime.num_alive_tasks() <= tasks_before).await,
        "{} tasks alive, {tasks_before} before",
        runtime.num_alive_tasks()
    );
    assert!(
        eventually(|| verify_threads() == 0).await,
        "verification threads left"
    );
    for a in ports {
        assert!(bindable(a), "{a} still held");
    }
}
