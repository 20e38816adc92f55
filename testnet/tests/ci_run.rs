//! The CI-sized end-to-end run: 5 real `rumor` nodes, 20 tx/s for 5 s, then the report. Every
//! tx and block must reach every node, every node must end on the same head, and the report
//! files must exist with sane values.

mod common;

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

fn run(dir: &Path, extra: &[&str]) -> Value {
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
    serde_json::from_str(&text).expect("report.json parses")
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn check_common(r: &Value) {
    let load = &r["load"];
    assert_eq!(load["planned"], 100, "{load}");
    assert_eq!(load["accepted"], 100, "every tx accepted: {load}");
    assert!(
        f(&load["sent_tps"]) > 15.0 && f(&load["sent_tps"]) < 25.0,
        "{load}"
    );

    let tx = &r["kinds"]["tx"];
    assert_eq!(tx["delivery"]["messages"], 100, "{tx}");
    assert_eq!(f(&tx["delivery"]["ratio"]), 1.0, "tx delivery: {tx}");
    let block = &r["kinds"]["block"];
    assert!(
        block["delivery"]["messages"].as_u64().unwrap() >= 3,
        "{block}"
    );
    assert_eq!(
        f(&block["delivery"]["ratio"]),
        1.0,
        "block delivery: {block}"
    );
    for kind in [tx, block] {
        let all = &kind["reach"][3];
        assert_eq!(f(&all["percent_of_nodes"]), 100.0);
        assert_eq!(all["unreached"], 0);
        let max = f(&all["ms"]["max"]);
        assert!(
            max > 0.0 && max < 5_000.0,
            "time to reach all nodes: {max} ms"
        );
        assert!(f(&all["ms"]["p50"]) <= max);
        let dups = f(&kind["duplicates"]["per_message_per_node"]);
        assert!((0.0..10.0).contains(&dups), "duplicates {dups}");
    }

    assert_eq!(r["heads"]["same_head"], true, "heads: {}", r["heads"]);
    assert_eq!(r["heads"]["distinct_hashes"], 1);
    assert_eq!(r["topology"]["connected"], true);
    assert!(r["topology"]["min_degree"].as_u64().unwrap() >= 1);
    assert_eq!(r["traces"]["malformed"], 0);
    assert_eq!(r["traces"]["dropped_by_stats"], 0);
    assert_eq!(
        r["shutdown"]["killed"].as_array().unwrap().len(),
        0,
        "all nodes stopped on SIGTERM"
    );
    // The machine's CPU over the window, and the saturation verdict that follows from it.
    let machine = &r["machine"];
    let share = f(&machine["cpu_share"]);
    assert!((0.0..=1.0).contains(&share), "{machine}");
    assert_eq!(machine["saturated"], share > 0.70, "{machine}");
    assert!(machine["cores"].as_u64().unwrap() >= 1, "{machine}");
    let nodes = r["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 5);
    for n in nodes {
        assert!(n["rss_max_kib"].as_u64().unwrap() > 1000, "{n}");
        assert!(
            f(&n["bytes_in_per_s"]) > 0.0 && f(&n["bytes_out_per_s"]) > 0.0,
            "{n}"
        );
        // Received bytes by purpose: each part measured, and together all of them.
        let split = &n["bytes_in_split"];
        let parts = ["payload", "duplicates", "control_other"].map(|k| f(&split[k]));
        assert!(parts[0] > 0.0 && parts[2] > 0.0, "{n}");
        let sum: f64 = parts.iter().sum();
        assert!(
            (sum - f(&n["bytes_in_per_s"])).abs() <= 0.01 * sum + 1.0,
            "{n}"
        );
    }
    // Every node traces its first duplicates: in a mesh of five, some tx copies arrive twice.
    let fd = &r["kinds"]["tx"]["first_duplicate"];
    assert!(fd["with_duplicate"].as_u64().unwrap() > 0, "{fd}");
    assert!(
        fd["with_duplicate"].as_u64() <= fd["pairs"].as_u64(),
        "{fd}"
    );
    assert!(f(&fd["since_origin_ms"]["p50"]) >= 0.0, "{fd}");
}

#[test]
fn ci_sized_run() {
    let _serial = common::serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let r = run(&dir, &[]);
    check_common(&r);
    assert!(r["meta"]["emulation"].is_null());
    assert!(r["kinds"]["tx"]["path_ratio"].is_null());
    // Without --prometheus the report says which plots over the run it could not draw.
    let ot = &r["over_time"];
    assert!(ot["drawn"].as_array().unwrap().is_empty(), "{ot}");
    let not_drawn = ot["not_drawn"].as_array().unwrap();
    assert_eq!(not_drawn.len(), 4, "{ot}");
    assert!(
        not_drawn
            .iter()
            .all(|n| n["reason"] == "run without --prometheus"),
        "{ot}"
    );
}

#[test]
fn ci_sized_run_with_wan_emulation() {
    let _serial = common::serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let r = run(&dir, &["--regions", "builtin", "--bandwidth-mbit", "20"]);
    check_common(&r);
    assert_eq!(r["meta"]["emulation"]["regions"], "builtin");
    assert!(dir.join("node-0/link.json").is_file());
    assert!(dir.join("report/regions.svg").is_file());
    for kind in ["tx", "block"] {
        let pr = &r["kinds"][kind]["path_ratio"];
        // Delivery can never beat the shortest path through live links (timer slack aside).
        let p50 = f(&pr["ratio"]["p50"]);
        assert!(p50 >= 0.95, "{kind} path ratio p50 {p50}");
        assert!(!r["kinds"][kind]["regions"].as_array().unwrap().is_empty());
        // With the bandwidth cap, the bound with transmission time is the latency-only one
        // plus at least one hop's transmission.
        let k = &r["kinds"][kind];
        let tb = &k["transmission_bound"];
        assert!(f(&tb["hop_ms"]) > 0.0, "{tb}");
        assert!(
            f(&tb["bound_all_ms"]["p50"]) >= f(&k["bound_all_ms"]["p50"]) + f(&tb["hop_ms"]) - 0.01,
            "{k}"
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
    let c = &r["convergence"];
    assert_eq!(c["converged"], true, "{c}");
    assert_eq!(r["heads"]["same_head"], true, "{}", r["heads"]);
    assert_eq!(r["load"]["accepted"], 100, "{}", r["load"]);
    assert_eq!(c["lost"]["accepted"], 100, "{c}");
    assert_eq!(c["lost"]["lost"], 0, "accepted txs lost: {c}");
    assert_eq!(c["dead_nodes"].as_array().unwrap().len(), 0);
    let p = &c["faults"]["partition"];
    assert_eq!(p["side"].as_array().unwrap().len(), 3, "{p}");
    assert!(p["heal_to_one_head_ms"].is_number(), "healed: {p}");
    let built = p["blocks_built"].as_array().unwrap();
    assert!(
        built.iter().all(|b| b.as_u64().unwrap() >= 1),
        "both sides built: {p}"
    );
    let down = c["faults"]["downtime"].as_object().unwrap();
    assert!(!down.is_empty(), "churn killed a node: {c}");
    for (node, d) in down {
        assert!(d["kills"].as_u64().unwrap() >= 1, "{node}: {d}");
        assert_eq!(d["down_at_end"], false, "{node} restarted: {d}");
    }
    let events: Vec<&str> = c["faults"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in ["cut", "heal", "kill", "restart"] {
        assert!(events.contains(&want), "{want} missing from {events:?}");
    }
    // Every tx reached every live node, if late (gossip after heal, anti-entropy, blocks). The
    // trace can miss first sights at a churned node: lines still queued in its trace writer
    // (drained every 100 ms) die with it at SIGKILL, and a block import traces all of the
    // block's unseen txs at once (measured: 31 of one node's 100 in one CI run, 0 in the
    // next). The lost check above reads the nodes' real state and is the exact one; here a
    // node that was never killed must have traced every tx, and the churned ones most.
    let churned: Vec<u64> = down.keys().map(|k| k.parse().unwrap()).collect();
    for inc in r["kinds"]["tx"]["incomplete"].as_array().unwrap() {
        for m in inc["missing"].as_array().unwrap() {
            let node = m.as_u64().unwrap();
            assert!(
                churned.contains(&node),
                "node {node}, never killed, missed {inc}"
            );
        }
    }
    let delivery = f(&r["kinds"]["tx"]["delivery"]["ratio"]);
    assert!(delivery >= 0.9, "{}", r["kinds"]["tx"]);
    let md = std::fs::read_to_string(dir.join("report/report.md")).unwrap();
    assert!(md.contains("## Convergence"), "{md}");
    let ot = &r["over_time"];
    if common::has_prometheus() {
        let drawn = ot["drawn"].as_array().unwrap();
        assert_eq!(drawn.len(), 4, "{ot}");
        assert!(
            drawn.iter().all(|d| d["nodes"] == 5),
            "every node, churned ones too: {ot}"
        );
    } else {
        eprintln!("NOTICE: no prometheus binary: checking only that the report says why");
        let why = ot["not_drawn"][0]["reason"].as_str().unwrap();
        assert!(why.contains("apt-get install prometheus"), "{ot}");
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
    let c = &r["convergence"];
    assert_eq!(r["load"]["accepted"], 100, "{}", r["load"]);
    assert_eq!(
        f(&r["kinds"]["tx"]["delivery"]["ratio"]),
        1.0,
        "every accepted tx reached every node: {}",
        r["kinds"]["tx"]
    );
    assert_eq!(c["converged"], true, "{c}");
    assert_eq!(r["heads"]["same_head"], true, "{}", r["heads"]);
    assert_eq!(c["lost"]["accepted"], 100, "{c}");
    assert_eq!(c["lost"]["lost"], 0, "accepted txs lost: {c}");
    assert_eq!(c["dead_nodes"].as_array().unwrap().len(), 0);
    let links = c["faults"]["links"].as_array().unwrap();
    let kinds: Vec<&str> = links.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["link-loss", "cut-oneway", "flap"], "{c}");
    for l in links {
        let total = l["links_total"].as_u64().unwrap();
        let taken = l["links"].as_array().unwrap().len() as u64;
        assert!(total >= 4, "a 5-node testnet has links: {l}");
        assert!(taken >= 1 && taken < total, "a share of them: {l}");
        assert!(l["errors"].as_array().unwrap().is_empty(), "{l}");
        assert!(l["still_connected_at_end"].is_u64(), "ended: {l}");
    }
    let events: Vec<&str> = c["faults"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
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
