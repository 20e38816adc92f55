//! `--backend compose` end to end, where Docker runs: the offline image is built, four nodes
//! run in their own containers on a network of their own, carry a load while one partition
//! (host packet filters between the two sides) comes and heals and one container is killed
//! with SIGKILL, and the usual report is written from traces read over RPC, with every node's
//! clock offset. Afterwards no container, volume or network of the testnet is left.
//!
//! Without a Docker Engine (or without root, which the packet filters and the key files'
//! owner need) the test prints a NOTICE and passes: there is nothing to run the backend on.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use rumor_report::model::Report;
use rumor_report::trace::Kind;

fn docker_ready() -> Result<(), String> {
    let ok = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .map_err(|e| format!("no docker CLI ({e})"))?;
    if !ok.status.success() {
        return Err(format!(
            "no Docker Engine: {}",
            String::from_utf8_lossy(&ok.stderr).trim()
        ));
    }
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| e.to_string())?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Err("not root (packet filters and key ownership need it)".into());
    }
    Ok(())
}

fn leftovers(dir: &Path) -> Vec<String> {
    let label = format!("label=org.rumor.testnet={}", dir.display());
    let mut left = Vec::new();
    for args in [
        vec!["ps", "-aq", "--filter", &label],
        vec!["volume", "ls", "-q", "--filter", &label],
        vec!["network", "ls", "-q", "--filter", &label],
    ] {
        let out = Command::new("docker").args(&args).output().unwrap();
        left.extend(
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(|s| format!("{}: {s}", args[0])),
        );
    }
    left
}

#[test]
fn four_containers_carry_load_through_a_partition_and_a_kill() {
    if let Err(why) = docker_ready() {
        eprintln!("NOTICE: skipping the compose backend test: {why}");
        return;
    }
    let _serial = common::serial();
    let rumor = common::rumor_bin();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let out = common::run_testnet(
        &[
            "--quiet",
            "run",
            "--backend",
            "compose",
            "--nodes",
            "4",
            "--producers",
            "2",
            "--accounts",
            "32",
            "--tps",
            "20",
            "--duration",
            "16s",
            "--slot-ms",
            "500",
            "--partition",
            "50%@2s+5s",
            "--kill",
            "1@10s",
            "--seed",
            "5",
            "--dir",
            dir.to_str().unwrap(),
            "--rumor",
            rumor.to_str().unwrap(),
        ],
        Duration::from_secs(400),
    );
    let left = leftovers(&dir);
    common::assert_success(&out, "rumor-testnet run --backend compose");
    assert!(left.is_empty(), "left behind in Docker: {left:?}");

    let text = std::fs::read_to_string(dir.join("report/report.json")).unwrap();
    let r: Report = serde_json::from_str(&text).expect("report.json has the report's shape");
    for f in ["report.md", "report.html", "cdf-tx.svg", "arrivals.svg"] {
        assert!(dir.join("report").join(f).is_file(), "{f} missing");
    }
    let c = r.convergence.as_ref().expect("convergence section");
    assert!(c.converged, "one head at the end: {c:?}");
    assert_eq!(c.lost.lost, 0, "accepted txs lost: {:?}", c.lost);
    assert_eq!(c.lost.accepted, 320, "{:?}", r.load);
    assert_eq!(c.dead_nodes.len(), 1, "the killed container stays down");
    let faults = c.faults.as_ref().unwrap();
    let p = faults.partition.as_ref().unwrap();
    assert_eq!(p.side.len(), 2, "{p:?}");
    assert!(p.heal_to_one_head_ms.is_some(), "healed to one head: {p:?}");
    let actions: Vec<&str> = faults.events.iter().map(|e| e.action.as_str()).collect();
    for want in ["cut", "heal", "kill"] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    // Traces were read over RPC from every container still running.
    let tx = &r.kinds[&Kind::Tx];
    assert_eq!(tx.stats.delivery.ratio, 1.0, "{:?}", tx.stats.delivery);
    assert!(r.nodes.iter().all(|n| n.trace_lines > 0), "{:?}", r.nodes);
    // Containers share this host's clock: every estimate must contain 0.
    let clocks = r.clocks.as_ref().expect("clock offsets in the report");
    assert_eq!(clocks.nodes.len(), 3, "{clocks:?}");
    for n in &clocks.nodes {
        assert!(
            n.offset_ms.abs() <= n.error_ms + 0.001,
            "node {} offset {} ± {}",
            n.index,
            n.offset_ms,
            n.error_ms
        );
    }
    assert!(r.meta.clock_source.contains("estimated over RPC"));
}
