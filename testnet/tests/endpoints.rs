//! `--endpoints FILE`: the tool attaches to nodes it did not start and measures them as any
//! testnet, reading traces and clocks over RPC. The nodes here are a process-mode testnet
//! started by `up` in another directory; the attached directory knows only the endpoints file.

mod common;

use std::time::Duration;

use rumor_testnet::Manifest;
use rumor_testnet::endpoints::{Endpoint, Endpoints};
use rumor_testnet::report::model::Report;
use rumor_testnet::trace::Kind;

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
    let file = tmp.path().join("endpoints.json");
    let endpoints = Endpoints {
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
    common::assert_success(&load, "load --endpoints");
    common::assert_success(&measure, "measure --endpoints");
    common::assert_success(&down, "down");
    assert!(
        !refused.status.success(),
        "down of an attached testnet must refuse"
    );
    assert!(common::nodes_running_under(&own).is_empty());

    let a = Manifest::load(&attached).unwrap();
    assert!(a.attached && a.nodes.len() == 3);
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
    // Traces came over RPC into the attached directory; the clocks are this host's.
    assert!(attached.join("node-2/trace.ndjson").is_file());
    let clocks = r.clocks.as_ref().expect("clock offsets");
    assert_eq!(clocks.nodes.len(), 3);
    assert!(
        clocks
            .nodes
            .iter()
            .all(|c| c.offset_ms.abs() <= c.error_ms + 0.001),
        "{clocks:?}"
    );
}
