//! `up --prometheus` with a real Prometheus server: through its HTTP API every node is a
//! target and `up`, a PromQL query over a Rumor counter returns one series per node, `measure`
//! draws the series over the run, and `down` stops the server by pid. Without the binary
//! (Debian's `prometheus`; `.ci/run` installs it) that part is skipped with a notice; the
//! config-only path (`--prometheus-bin` naming no file) always runs.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(180);

fn manifest(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("testnet.json")).unwrap()).unwrap()
}

/// GET `path?query` from the Prometheus API (over the tool's HTTP client, which reads
/// chunked answers); the JSON answer's `data` (its status must be success).
fn api(addr: SocketAddr, path: &str, query: &[(&str, &str)]) -> Value {
    let qs = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = rt
        .block_on(rumor_testnet::observe::metrics::http::get(
            addr,
            &format!("{path}?{qs}"),
            Duration::from_secs(30),
        ))
        .unwrap();
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "success", "{v}");
    v["data"].clone()
}

fn prometheus_bin() -> Option<String> {
    if let Ok(p) = std::env::var("RUMOR_PROMETHEUS") {
        return Some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("prometheus"))
        .find(|p| p.is_file())
        .map(|p| p.display().to_string())
}

fn alive(pid: u64) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| !c.is_empty())
}

#[test]
fn a_testnet_watched_by_a_real_prometheus() {
    let _serial = common::serial();
    let rumor = common::rumor_bin();
    let tmp = tempfile::tempdir().unwrap();

    // Without a server binary: the config and targets are written, `up` goes on.
    let bare = tmp.path().join("bare");
    let out = common::run_testnet(
        &[
            "--quiet",
            "up",
            "--nodes",
            "2",
            "--prometheus",
            "--prometheus-bin",
            "/nonexistent/prometheus",
            "--dir",
            bare.to_str().unwrap(),
            "--rumor",
            rumor.to_str().unwrap(),
        ],
        LIMIT,
    );
    common::assert_success(&out, "up --prometheus without a binary");
    let m = manifest(&bare);
    assert!(m["prometheus"]["pid"].is_null(), "{}", m["prometheus"]);
    assert!(m["prometheus"]["not_started"].is_string());
    let targets: Value = serde_json::from_str(
        &std::fs::read_to_string(bare.join("prometheus/targets.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(targets.as_array().unwrap().len(), 2, "{targets}");
    assert!(bare.join("prometheus/prometheus.yml").is_file());
    common::assert_success(
        &common::run_testnet(&["down", "--dir", bare.to_str().unwrap()], LIMIT),
        "down",
    );

    let Some(bin) = prometheus_bin() else {
        eprintln!(
            "NOTICE: no prometheus binary (apt-get install prometheus, or RUMOR_PROMETHEUS): the real-server part of this test is skipped"
        );
        return;
    };
    let dir = tmp.path().join("net");
    let d = dir.to_str().unwrap();
    let out = common::run_testnet(
        &[
            "--quiet",
            "up",
            "--nodes",
            "3",
            "--prometheus",
            "--prometheus-bin",
            &bin,
            "--scrape-interval",
            "500ms",
            "--dir",
            d,
            "--rumor",
            rumor.to_str().unwrap(),
        ],
        LIMIT,
    );
    common::assert_success(&out, "up --prometheus");
    let m = manifest(&dir);
    let addr: SocketAddr = m["prometheus"]["addr"].as_str().unwrap().parse().unwrap();
    let pid = m["prometheus"]["pid"].as_u64().unwrap();
    assert!(alive(pid), "the server runs after up");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("Prometheus: http://{addr}")),
        "up prints where the UI is"
    );

    // Every node is a target, and up (`up` waited for that).
    let targets = api(addr, "/api/v1/targets", &[("state", "active")]);
    let active = targets["activeTargets"].as_array().unwrap();
    assert_eq!(active.len(), 3, "{targets}");
    for t in active {
        assert_eq!(t["health"], "up", "{t}");
    }
    let mut nodes: Vec<&str> = active
        .iter()
        .map(|t| t["labels"]["node"].as_str().unwrap())
        .collect();
    nodes.sort();
    assert_eq!(nodes, ["0", "1", "2"]);

    let status = common::run_testnet(&["status", "--dir", d], LIMIT);
    common::assert_success(&status, "status");
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("3 of 3 targets up"), "{status}");

    // PromQL over a Rumor counter: one series per node.
    let r = api(
        addr,
        "/api/v1/query",
        &[("query", "sum by (node) (rumor_rpc_requests_total)")],
    );
    assert_eq!(r["resultType"], "vector", "{r}");
    assert_eq!(r["result"].as_array().unwrap().len(), 3, "{r}");

    // A short load and `measure`: the report plots the series over the run.
    common::assert_success(
        &common::run_testnet(
            &[
                "--quiet",
                "load",
                "--dir",
                d,
                "--tps",
                "20",
                "--duration",
                "3s",
            ],
            LIMIT,
        ),
        "load",
    );
    common::assert_success(
        &common::run_testnet(&["--quiet", "measure", "--dir", d], LIMIT),
        "measure",
    );
    let report: rumor_report::Report =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report/report.json")).unwrap())
            .unwrap();
    let over_time = report.over_time.as_ref().expect("over_time");
    assert_eq!(over_time.drawn.len(), 4, "every plot drawn: {over_time:?}");
    for d in &over_time.drawn {
        assert_eq!(d.nodes, 3, "{d:?}");
        assert!(dir.join("report").join(&d.file).is_file());
    }

    common::assert_success(&common::run_testnet(&["down", "--dir", d], LIMIT), "down");
    assert!(!alive(pid), "down stopped the server");
    assert!(manifest(&dir)["prometheus"]["pid"].is_null());
    assert!(common::nodes_running_under(&dir).is_empty());
}
