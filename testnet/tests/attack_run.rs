//! The CI-sized attack run: 5 real `rumor` nodes under light load, a clean run, then the
//! flood and the false-sync-claim attackers, then a clean run again. Both attackers must be
//! penalised (graylisted or dropped by every node they reached), honest delivery must stay
//! complete and the network must end on one head. Timing goals are the benchmark's
//! (`BENCHMARKS.md`, "attacks"), not asserted here.

mod common;

use std::time::Duration;

use serde_json::Value;

#[test]
fn flood_and_false_sync_attackers_are_penalised_and_honest_delivery_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("attack");
    let rumor = common::rumor_bin();
    let out = common::run_testnet(
        &[
            "--quiet",
            "attack",
            "--scenario",
            "invalid-sig-flood,bad-sync-answers",
            "--nodes",
            "5",
            "--tps",
            "20",
            "--duration",
            "8s",
            "--seed",
            "7",
            "--dir",
            dir.to_str().unwrap(),
            "--rumor",
            rumor.to_str().unwrap(),
        ],
        Duration::from_secs(480),
    );
    common::assert_success(&out, "rumor-testnet attack");
    assert!(
        common::nodes_running_under(&dir).is_empty(),
        "nodes still running after `attack`"
    );
    let text = std::fs::read_to_string(dir.join("attack.json")).unwrap();
    let table: Value = serde_json::from_str(&text).unwrap();
    let rows = table["rows"].as_array().unwrap();
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["scenario"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "clean",
            "invalid-sig-flood",
            "bad-sync-answers",
            "clean-again"
        ]
    );
    for r in rows {
        let name = r["scenario"].as_str().unwrap();
        assert_eq!(r["delivery"].as_f64(), Some(1.0), "{name}: delivery");
        assert_eq!(r["converged"], Value::Bool(true), "{name}: one head");
        assert_eq!(r["lost"].as_u64(), Some(0), "{name}: lost txs");
        if name != "clean" && name != "clean-again" {
            assert!(
                r["moves"].as_u64().unwrap() > 0,
                "{name}: the attacker acted"
            );
            assert!(
                r["penalised_after_s"].as_f64().is_some(),
                "{name}: attacker never penalised: {r}"
            );
        }
    }
    assert!(dir.join("attack.md").is_file());
}
