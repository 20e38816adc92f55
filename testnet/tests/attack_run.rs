//! The CI-sized attack run: 5 real `rumor` nodes under light load, a clean run, then the
//! flood, the false-sync-claim, the eclipse and the equivocation attackers, then a clean run
//! again. The flood and sync attackers must be penalised (graylisted or dropped by every node
//! they reached); the eclipse host must hold no more of a node's peers than the per-address
//! limits allow; after the equivocation every node must export a proof that verifies, and after
//! any other run none. Honest delivery must stay complete and the network must end on one
//! head. Timing goals are the benchmark's (`BENCHMARKS.md`, "attacks"), not asserted here.

mod common;

use std::time::Duration;

use rumor_testnet::commands::attack::AttackTable;

#[test]
fn hostile_peers_are_penalised_or_contained_and_honest_delivery_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("attack");
    let rumor = common::rumor_bin();
    let out = common::run_testnet(
        &[
            "--quiet",
            "attack",
            "--scenario",
            "invalid-sig-flood,bad-sync-answers,eclipse,equivocation",
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
    let table: AttackTable = serde_json::from_str(&text).unwrap();
    let rows = &table.rows;
    let names: Vec<&str> = rows.iter().map(|r| r.scenario.as_str()).collect();
    assert_eq!(
        names,
        [
            "clean",
            "invalid-sig-flood",
            "bad-sync-answers",
            "eclipse",
            "equivocation",
            "clean-again"
        ]
    );
    for r in rows {
        let name = r.scenario.as_str();
        assert_eq!(r.delivery, Some(1.0), "{name}: delivery");
        assert!(r.converged, "{name}: one head");
        assert_eq!(r.lost, 0, "{name}: lost txs");
        let evidence = r.evidence.expect("evidence");
        assert_eq!(evidence.invalid, 0, "{name}: {r:?}");
        let with_proof = evidence.nodes_with_proof;
        if name == "equivocation" {
            assert_eq!(with_proof, evidence.nodes, "{name}: {r:?}");
            assert!(with_proof > 0, "{name}: {r:?}");
        } else {
            assert_eq!(with_proof, 0, "{name}: a proof of nothing: {r:?}");
        }
        if name == "clean" || name == "clean-again" {
            continue;
        }
        assert!(r.moves > 0, "{name}: the attacker acted");
        if name == "eclipse" {
            let held = r.max_held.unwrap();
            assert!(held > 0, "{name}: the host got in somewhere: {r:?}");
            assert!(held <= 6, "{name}: one host held {held} peers: {r:?}");
        } else {
            assert!(
                r.penalised_after_s.is_some(),
                "{name}: attacker never penalised: {r:?}"
            );
        }
    }
    assert!(dir.join("attack.md").is_file());
}
