//! The JSON result of one scenario invocation (`<out>/<scenario>-<UTC stamp>.json`): figures
//! with their spread and goals, the parameters, every run's raw values and details, and where
//! and from what source it was measured.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Result, io};
use crate::machine::{GitInfo, Machine};
use rumor_report::figure::Figure;
use rumor_report::fsutil;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchResult {
    pub scenario: String,
    pub tool: String,
    /// Unix seconds (UTC) when the scenario started.
    pub started_at: u64,
    /// Wall time of the whole scenario (every run, set-up and tear-down included).
    pub run_time_s: f64,
    pub runs: usize,
    pub git: GitInfo,
    pub machine: Machine,
    pub parameters: serde_json::Value,
    pub figures: Vec<Figure>,
    pub per_run: Vec<RunRecord>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunRecord {
    /// 1-based.
    pub run: usize,
    pub run_time_s: f64,
    /// The run's error, if it failed (its partial values are then absent).
    pub error: Option<String>,
    /// Figure key → value; the figures' spreads are computed from these.
    pub values: BTreeMap<String, f64>,
    /// Scenario-specific measurements behind the values (ramp steps, load stats, …).
    pub details: serde_json::Value,
    pub notes: Vec<String>,
}

impl BenchResult {
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}.json",
            self.scenario,
            rumor_testnet::util::timefmt::timestamp(self.started_at)
        )
    }

    pub fn figure(&self, key: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.key == key)
    }

    pub fn save(&self, out: &Path) -> Result<PathBuf> {
        fsutil::create_dir_all(out)?;
        let path = out.join(self.file_name());
        fsutil::write_json_atomic(&path, self)?;
        Ok(path)
    }
}

/// True if `file` is a result of `scenario`: `<scenario>-<8 digits>-<6 digits>.json` (so
/// `propagation-wan` never matches a hypothetical `propagation-wan-x`).
pub fn is_result_of(file: &str, scenario: &str) -> bool {
    let Some(stamp) = file
        .strip_prefix(scenario)
        .and_then(|r| r.strip_prefix('-'))
        .and_then(|r| r.strip_suffix(".json"))
    else {
        return false;
    };
    let stamp = stamp.split_once('-').map_or(stamp, |(s, _)| s);
    stamp.len() == 8 && stamp.bytes().all(|b| b.is_ascii_digit())
}

/// The newest result of `scenario` in `out` (names sort by time), with its file name.
pub fn latest(out: &Path, scenario: &str) -> Result<Option<(String, BenchResult)>> {
    let entries = match std::fs::read_dir(out) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(out)(e)),
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| is_result_of(n, scenario))
        .collect();
    names.sort();
    let Some(name) = names.pop() else {
        return Ok(None);
    };
    let r = fsutil::read_json(&out.join(&name))?;
    Ok(Some((name, r)))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rumor_report::figure::{FigureSpec, GoalSpec, resolve};

    pub(crate) fn sample(scenario: &str, started_at: u64) -> BenchResult {
        let specs = [FigureSpec::new("tps", "accepted", "tx/s").goal(GoalSpec::AtLeast(100.0))];
        let runs: Vec<BTreeMap<String, f64>> = [90.0, 110.0, 100.0]
            .iter()
            .map(|v| BTreeMap::from([("tps".to_string(), *v)]))
            .collect();
        BenchResult {
            scenario: scenario.into(),
            tool: "rumor-testnet test".into(),
            started_at,
            run_time_s: 12.4,
            runs: 3,
            git: GitInfo {
                commit: "abc1234".into(),
                dirty: false,
            },
            machine: Machine {
                cores: 2,
                memory_mib: 1024,
                cpu_model: "X".into(),
            },
            parameters: serde_json::json!({"nodes": 1}),
            figures: resolve(&specs, &runs, &|_, _| None),
            per_run: runs
                .into_iter()
                .enumerate()
                .map(|(i, values)| RunRecord {
                    run: i + 1,
                    values,
                    ..Default::default()
                })
                .collect(),
            notes: vec![],
        }
    }

    #[test]
    fn json_shape() {
        let r = sample("ingest", 1_709_210_096);
        assert_eq!(r.file_name(), "ingest-20240229-123456.json");
        let v = serde_json::to_value(&r).unwrap();
        for key in [
            "scenario",
            "started_at",
            "run_time_s",
            "runs",
            "git",
            "machine",
            "parameters",
            "figures",
            "per_run",
        ] {
            assert!(v.get(key).is_some(), "{key} missing: {v}");
        }
        assert_eq!(v["git"]["dirty"], false);
        assert_eq!(v["machine"]["cores"], 2);
        let f = &v["figures"][0];
        assert_eq!(f["measured"]["median"], 100.0);
        assert_eq!(f["measured"]["min"], 90.0);
        assert_eq!(f["measured"]["samples"].as_array().unwrap().len(), 3);
        assert_eq!(f["goal"]["direction"], "at_least");
        assert_eq!(f["ratio"], 1.0);
        assert_eq!(f["met"], true);
        assert_eq!(v["per_run"][1]["values"]["tps"], 110.0);
    }

    #[test]
    fn latest_picks_the_newest_of_that_scenario() {
        assert!(is_result_of(
            "propagation-wan-20240229-123456.json",
            "propagation-wan"
        ));
        assert!(!is_result_of(
            "propagation-wan-x-20240229-123456.json",
            "propagation-wan"
        ));
        assert!(!is_result_of(
            "relay-20240229-123456.json",
            "propagation-wan"
        ));
        let dir = tempfile::tempdir().unwrap();
        assert!(latest(dir.path(), "ingest").unwrap().is_none());
        sample("ingest", 1_000_000).save(dir.path()).unwrap();
        sample("ingest", 2_000_000).save(dir.path()).unwrap();
        sample("relay", 3_000_000).save(dir.path()).unwrap();
        let (name, r) = latest(dir.path(), "ingest").unwrap().unwrap();
        assert_eq!(r.started_at, 2_000_000);
        assert_eq!(name, r.file_name());
        assert!(
            latest(&dir.path().join("none"), "ingest")
                .unwrap()
                .is_none()
        );
    }
}
