//! `prometheus.yml` and `targets.json`: one scrape job whose targets come from a file
//! (`file_sd_configs`), so a node restarted by churn, or a target list rewritten while the
//! server runs, is picked up without restarting Prometheus (it watches the file and rereads
//! it every 5 s besides).
//!
//! Invariant: every node of the manifest is a target, labelled with its index (`node`), its
//! role (`producer`) and, under emulation, its `region`; the files are written atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::setup::manifest::Manifest;
use rumor_report::fsutil;

pub const CONFIG_FILE: &str = "prometheus.yml";
pub const TARGETS_FILE: &str = "targets.json";
/// The scrape job's name (`job` label of every series).
pub const JOB: &str = "rumor";

/// One group of `file_sd_configs`: here one node.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TargetGroup {
    pub targets: Vec<String>,
    pub labels: BTreeMap<String, String>,
}

pub fn targets(m: &Manifest) -> Vec<TargetGroup> {
    m.nodes
        .iter()
        .map(|n| {
            let mut labels = BTreeMap::from([
                ("node".to_owned(), n.index.to_string()),
                ("producer".to_owned(), n.producer.to_string()),
            ]);
            if let Some(r) = &n.region {
                labels.insert("region".into(), r.clone());
            }
            TargetGroup {
                targets: vec![n.metrics.to_string()],
                labels,
            }
        })
        .collect()
}

/// A Prometheus duration (`1s`, `500ms`).
pub fn duration(d: Duration) -> String {
    let ms = d.as_millis().max(1);
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// The server's config: scrape every `interval` (timeout the same, Prometheus's ceiling),
/// targets from `targets_file`. Paths are written as JSON strings, which YAML reads as-is.
pub fn render(interval: Duration, targets_file: &Path) -> String {
    let i = duration(interval);
    let file = serde_json::to_string(&targets_file.display().to_string()).unwrap_or_default();
    format!(
        "# Written by rumor-testnet: every node's /metrics, from {TARGETS_FILE}.\n\
         global:\n  scrape_interval: {i}\n  scrape_timeout: {i}\n  evaluation_interval: {i}\n\
         scrape_configs:\n  - job_name: {JOB}\n    file_sd_configs:\n      - files: [{file}]\n        refresh_interval: 5s\n"
    )
}

/// Writes both files into `DIR/prometheus/`; returns the config's path.
pub fn write(m: &Manifest, interval: Duration) -> Result<PathBuf> {
    let dir = super::options::dir(&m.dir);
    fsutil::create_dir_all(&dir)?;
    let targets_file = dir.join(TARGETS_FILE);
    fsutil::write_json_atomic(&targets_file, &targets(m))?;
    let config = dir.join(CONFIG_FILE);
    fsutil::write_atomic(&config, render(interval, &targets_file).as_bytes())?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::RegionsOpt;

    #[test]
    fn every_node_is_a_labelled_target() {
        let dir = tempfile::tempdir().unwrap();
        let mut o = crate::setup::plan::tests::opts(3, RegionsOpt::Builtin);
        o.producers = 1;
        let (m, _) = crate::setup::plan(&o, dir.path()).unwrap();
        let t = targets(&m);
        assert_eq!(t.len(), 3);
        for (g, n) in t.iter().zip(&m.nodes) {
            assert_eq!(g.targets, vec![n.metrics.to_string()]);
            assert_eq!(g.labels["node"], n.index.to_string());
            assert_eq!(g.labels["region"], n.region.clone().unwrap());
        }
        assert_eq!(t[0].labels["producer"], "true");
        assert_eq!(t[2].labels["producer"], "false");
        let config = write(&m, Duration::from_millis(500)).unwrap();
        let text = std::fs::read_to_string(&config).unwrap();
        assert!(text.contains("scrape_interval: 500ms"), "{text}");
        let read: Vec<TargetGroup> =
            fsutil::read_json(&config.with_file_name(TARGETS_FILE)).unwrap();
        assert_eq!(read, t);
    }

    #[test]
    fn durations_in_prometheus_form() {
        assert_eq!(duration(Duration::from_secs(2)), "2s");
        assert_eq!(duration(Duration::from_millis(250)), "250ms");
    }
}
