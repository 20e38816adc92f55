//! The CI-sized end-to-end run: 5 real `rumor` nodes, 20 tx/s for 5 s, then the report. Every
//! tx and block must reach every node, every node must end on the same head, and the report
//! files must exist with sane values.

mod common;

use std::path::Path;
use std::time::Duration;

use rumor_report::Report;
use rumor_report::model::KindReport;
use rumor_report::trace::Kind;

fn run(dir: &Path, extra: &[&str]) -> Report {
    let rumor = common::rumor_bin();
    let dir_s = dir.to_str().unwrap();
    let mut args = vec![
        "--quiet",
        "run",
        "--nodes",
        "5",
        "--tps",
        "20",
        "--duration",
        "5s",
        "--seed",
        "7",
        "--dir",
        dir_s,
        "--rumor",
        rumor.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = common::run_testnet(&args, Duration::from_secs(240));
    common::assert_success(&out, "rumor-testnet run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("delivery"),
        "summary table missing:\n{stdout}"
    );
    assert!(
        common::nodes_running_under(dir).is_empty(),
        "nodes still running after `run`"
    );
    for f in [
        "report.json",
        "report.md",
        "report.html",
        "cdf-tx.svg",
        "cdf-block.svg",
        "arrivals.svg",
        "bytes.svg",
    ] {
        let p = dir.join("report").join(f);
        assert!(p.is_file(), "{} missing", p.display());
    }
    let text = std::fs::read_to_string(dir.join("report/report.json")).unwrap();
    serde_json::from_str(&text).expect("report.json parses as the report's model")
}

fn kind(r: &Report, k: Kind) -> &KindReport {
    r.kinds
        .get(&k)
        .unwrap_or_else(|| panic!("no {k:?} in the report"))
}

fn check_common(r: &Report) {
    let load = r.load.as_ref().expect("load");
    assert_eq!(load.planned, 100, "{load:?}");
    assert_eq!(load.accepted, 100, "every tx accepted: {load:?}");
    assert!(load.sent_tps > 15.0 && load.sent_tps < 25.0, "{load:?}");

    let tx = kind(r, Kind::Tx);
    assert_eq!(tx.stats.delivery.messages, 100, "{tx:?}");
    assert_eq!(tx.stats.delivery.ratio, 1.0, "tx delivery: {tx:?}");
    let block = kind(r, Kind::Block);
    assert!(block.stats.delivery.messages >= 3, "{block:?}");
    assert_eq!(block.stats.delivery.ratio, 1.0, "block delivery: {block:?}");
    for k in [tx, block] {
        let all = &k.stats.reach[3];
        assert_eq!(all.percent_of_nodes, 100.0);
        assert_eq!(all.unreached, 0);
        let ms = all.ms.as_ref().expect("time to reach all nodes");
        let max = ms.max;
        assert!(
            max > 0.0 && max < 5_000.0,
            "time to reach all nodes: {max} ms"
        );
        assert!(ms.p50 <= max);
        let dups = k.duplicates.per_message_per_node.expect("duplicates");
        assert!((0.0..10.0).contains(&dups), "duplicates {dups}");
    }

    assert!(r.heads.same_head, "heads: {:?}", r.heads);
    assert_eq!(r.heads.distinct_hashes, 1);
    assert!(r.topology.connected);
    assert!(r.topology.min_degree.unwrap() >= 1);
    assert_eq!(r.traces.malformed, 0);
    assert_eq!(r.traces.dropped_by_stats, Some(0));
    assert_eq!(
        r.shutdown.as_ref().expect("shutdown").killed.len(),
        0,
        "all nodes stopped on SIGTERM"
    );
    // The machine's CPU over the window, and the saturation verdict that follows from it.
    let machine = r.machine.as_ref().expect("machine");
    let share = machine.cpu_share;
    assert!((0.0..=1.0).contains(&share), "{machine:?}");
    assert_eq!(machine.saturated, share > 0.70, "{machine:?}");
    assert!(machine.cores >= 1, "{machine:?}");
    assert_eq!(r.nodes.len(), 5);
    for n in &r.nodes {
        assert!(n.rss_max_kib.unwrap() > 1000, "{n:?}");
        let (bytes_in, bytes_out) = (n.bytes_in_per_s.unwrap(), n.bytes_out_per_s.unwrap());
        assert!(bytes_in > 0.0 && bytes_out > 0.0, "{n:?}");
        // Received bytes by purpose: each part measured, and together all of them.
        let split = n.bytes_in_split.as_ref().expect("bytes_in_split");
        let parts = [split.payload, split.duplicates, split.control_other];
        assert!(parts[0] > 0.0 && parts[2] > 0.0, "{n:?}");
        let sum: f64 = parts.iter().sum();
        assert!((sum - bytes_in).abs() <= 0.01 * sum + 1.0, "{n:?}");
    }
    // Every node traces its first duplicates: in a mesh of five, some tx copies arrive twice.
    let fd = tx.stats.first_duplicate.as_ref().expect("first_duplicate");
    assert!(fd.with_duplicate > 0, "{fd:?}");
    assert!(fd.with_duplicate <= fd.pairs, "{fd:?}");
    assert!(fd.since_origin_ms.as_ref().unwrap().p50 >= 0.0, "{fd:?}");
}

#[test]
fn ci_sized_run() {
    let _serial = common::serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let r = run(&dir, &[]);
    check_common(&r);
    assert!(r.meta.emulation.is_none());
    assert!(kind(&r, Kind::Tx).stats.path_ratio.is_none());
    // Without --prometheus the report says which plots over the run it could not draw.
    let ot = r.over_time.as_ref().expect("over_time");
    assert!(ot.drawn.is_empty(), "{ot:?}");
    assert_eq!(ot.not_drawn.len(), 4, "{ot:?}");
    assert!(
        ot.not_drawn
            .iter()
            .all(|n| n.reason == "run without --prometheus"),
        "{ot:?}"
    );
}

#[test]
fn ci_sized_run_with_wan_emulation() {
    let _serial = common::serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let r = run(&dir, &["--regions", "builtin", "--bandwidth-mbit", "20"]);
    check_common(&r);
    assert_eq!(r.meta.emulation.as_ref().unwrap().regions, "builtin");
    assert!(dir.join("node-0/link.json").is_file());
    assert!(dir.join("report/regions.svg").is_file());
    for k in [Kind::Tx, Kind::Block] {
        let kr = kind(&r, k);
        let pr = kr.stats.path_ratio.as_ref().expect("path_ratio");
        // Delivery can never beat the shortest path through live links (timer slack aside).
        let p50 = pr.ratio.as_ref().unwrap().p50;
        assert!(p50 >= 0.95, "{k:?} path ratio p50 {p50}");
        assert!(!kr.stats.regions.is_empty());
        // With the bandwidth cap, the bound with transmission time is the latency-only one
        // plus at least one hop's transmission.
        let tb = kr
            .stats
            .transmission_bound
            .as_ref()
            .expect("transmission_bound");
        assert!(tb.hop_ms > 0.0, "{tb:?}");
        assert!(
            tb.bound_all_ms.as_ref().unwrap().p50
                >= kr.stats.bound_all_ms.as_ref().unwrap().p50 + tb.hop_ms - 0.01,
            "{kr:?}"
        );
    }
}

/// The convergence case: a real partition (connections cut both ways, then healed) and churn
/// (SIGKILL and restart of the non-producer) during the load. Whatever the timing, the end
/// state must be one head on every node and no accepted tx lost; the heal must reach one head.
#[test]
fn ci_sized_run_with_a_partition_and_churn_converges_and_loses_nothing() {
    let _serial = common::serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let r = run(
        &dir,
        &[
            "--slot-ms",
            "250",
            "--partition",
            "50%@1s+3s",
            "--churn",
            "50%@2s",
            // A node restarted by churn stays a Prometheus target (file-based discovery).
            "--prometheus",
        ],
    );
    let c = r.convergence.as_ref().expect("convergence");
    assert!(c.converged, "{c:?}");
    assert!(r.heads.same_head, "{:?}", r.heads);
    assert_eq!(r.load.as_ref().unwrap().accepted, 100, "{:?}", r.load);
    assert_eq!(c.lost.accepted, 100, "{c:?}");
    assert_eq!(c.lost.lost, 0, "accepted txs lost: {c:?}");
    assert_eq!(c.dead_nodes.len(), 0);
    let faults = c.faults.as_ref().expect("faults");
    let p = faults.partition.as_ref().expect("partition");
    assert_eq!(p.side.len(), 3, "{p:?}");
    assert!(p.heal_to_one_head_ms.is_some(), "healed: {p:?}");
    assert!(
        p.blocks_built.iter().all(|b| *b >= 1),
        "both sides built: {p:?}"
    );
    let down = &faults.downtime;
    assert!(!down.is_empty(), "churn killed a node: {c:?}");
    for (node, d) in down {
        assert!(d.kills >= 1, "{node}: {d:?}");
        assert!(!d.down_at_end, "{node} restarted: {d:?}");
    }
    let events: Vec<&str> = faults.events.iter().map(|e| e.action.as_str()).collect();
    for want in ["cut", "heal", "kill", "restart"] {
        assert!(events.contains(&want), "{want} missing from {events:?}");
    }
    // Every tx reached every live node, if late (gossip after heal, anti-entropy, blocks). The
    // trace can miss first sights at a churned node: lines still queued in its trace writer
    // (drained every 100 ms) die with it at SIGKILL, and a block import traces all of the
    // block's unseen txs at once (measured: 31 of one node's 100 in one CI run, 0 in the
    // next). The lost check above reads the nodes' real state and is the exact one; here a
    // node that was never killed must have traced every tx.
    let tx = kind(&r, Kind::Tx);
    for inc in &tx.stats.incomplete {
        for node in &inc.missing {
            assert!(
                down.contains_key(node),
                "node {node}, never killed, missed {inc:?}"
            );
        }
    }
    // No floor on the churned node's traced share: how much of it a SIGKILL'd node's trace
    // misses depends on when the kills land (one CI run: the churned node traced 45 of 100
    // while the run ended on one head with 0 lost; locally churn killed it twice, the second
    // time 9 ms after its restart). What the nodes hold is checked exactly above.
    assert!(tx.stats.delivery.delivered > 0, "{tx:?}");
    let md = std::fs::read_to_string(dir.join("report/report.md")).unwrap();
    assert!(md.contains("## Convergence"), "{md}");
    let ot = r.over_time.as_ref().expect("over_time");
    if common::has_prometheus() {
        assert_eq!(ot.drawn.len(), 4, "{ot:?}");
        assert!(
            ot.drawn.iter().all(|d| d.nodes == 5),
            "every node, churned ones too: {ot:?}"
        );
    } else {
        eprintln!("NOTICE: no prometheus binary: checking only that the report says why");
        let why = &ot.not_drawn[0].reason;
        assert!(why.contains("apt-get install prometheus"), "{ot:?}");
    }
}

/// Link faults, really applied by every node's link layer: during a 5 s load, 40% of the
/// links carry one direction only for 3 s (bytes held, connections kept until the liveness
/// check), 40% flap (down 400 ms every 1.5 s) and 20% lose 5% of their chunks. Whatever got
/// stuck in a dead direction must come through once it heals or is routed around: every
/// accepted tx on every node, one head, nothing lost; the report logs each link fault.
#[test]
fn ci_sized_run_with_one_way_and_flapping_links_loses_nothing() {
    let _serial = common::serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let r = run(
        &dir,
        &[
            "--slot-ms",
            "250",
            "--cut-oneway",
            "40%@1s+3s",
            "--flap",
            "40%@1500ms/400ms",
            "--link-loss",
            "20%/5%",
        ],
    );
    let c = r.convergence.as_ref().expect("convergence");
    assert_eq!(r.load.as_ref().unwrap().accepted, 100, "{:?}", r.load);
    let tx = kind(&r, Kind::Tx);
    assert_eq!(
        tx.stats.delivery.ratio, 1.0,
        "every accepted tx reached every node: {tx:?}"
    );
    assert!(c.converged, "{c:?}");
    assert!(r.heads.same_head, "{:?}", r.heads);
    assert_eq!(c.lost.accepted, 100, "{c:?}");
    assert_eq!(c.lost.lost, 0, "accepted txs lost: {c:?}");
    assert_eq!(c.dead_nodes.len(), 0);
    let faults = c.faults.as_ref().expect("faults");
    let kinds: Vec<&str> = faults.links.iter().map(|l| l.kind.as_str()).collect();
    assert_eq!(kinds, ["link-loss", "cut-oneway", "flap"], "{c:?}");
    for l in &faults.links {
        let total = l.links_total;
        let taken = l.links.len();
        assert!(total >= 4, "a 5-node testnet has links: {l:?}");
        assert!(taken >= 1 && taken < total, "a share of them: {l:?}");
        assert!(l.errors.is_empty(), "{l:?}");
        assert!(l.still_connected_at_end.is_some(), "ended: {l:?}");
    }
    let events: Vec<&str> = faults.events.iter().map(|e| e.action.as_str()).collect();
    for want in ["cut-oneway", "flap", "link-loss"] {
        assert!(events.contains(&want), "{want} missing from {events:?}");
        assert!(
            events.iter().any(|e| e.starts_with(&format!("{want} end"))),
            "{want} end missing from {events:?}"
        );
    }
    let md = std::fs::read_to_string(dir.join("report/report.md")).unwrap();
    assert!(md.contains("| link fault |"), "{md}");
    assert!(md.contains("cut-oneway"), "{md}");
}
