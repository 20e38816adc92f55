//! The soak (issue 29, part 5): an hour of load with repeated partitions and churn, sampling
//! each node's memory, file descriptors, threads, tasks and store files, and judging whether
//! each levels off or grows. [`sample`] reads the nodes, [`judge`] decides (pure), and this
//! module turns samples into verdicts, files and plots.
//!
//! Bounds: one sample per node per period (10 s for the hour: 16 × 360 rows), kept in memory
//! until the run ends (a few hundred KiB).

pub mod judge;
pub mod sample;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use judge::{MetricVerdict, Rule};
use rumor_report::fsutil;
use rumor_report::plots::{Footer, over_time};
use rumor_report::records::series::PlotSeries;
use sample::{Metric, Sample};

/// The judged metrics (a leak in any is a finding) and their noise floors, in their units.
pub const LEAK_METRICS: [(Metric, f64); 6] = [
    (Metric::RssMib, 2.0),
    (Metric::Fds, 2.0),
    (Metric::Threads, 1.0),
    (Metric::Tasks, 2.0),
    (Metric::RuntimeTasks, 4.0),
    (Metric::JournalMib, 0.5),
];

/// Store files that grow by design (the chain and the first-sight trace are append-only):
/// their rate is reported, not judged as a leak.
pub const GROWING_METRICS: [Metric; 3] = [Metric::ChainMib, Metric::TraceMib, Metric::StoreMib];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Judgement {
    /// The window judged, seconds since the load started.
    pub from_s: f64,
    pub to_s: f64,
    /// Nodes whose process lived through the whole run (the judged ones).
    pub judged_nodes: Vec<usize>,
    /// Distinct processes per node over the run (1: never restarted).
    pub lifetimes: BTreeMap<usize, usize>,
    pub leaks: Vec<MetricVerdict>,
    pub growth: Vec<MetricVerdict>,
}

impl Judgement {
    pub fn growing(&self) -> usize {
        self.leaks
            .iter()
            .filter(|v| v.nodes > 0 && !v.levels_off())
            .count()
    }

    pub fn verdict(&self, metric: Metric) -> Option<&MetricVerdict> {
        self.leaks
            .iter()
            .chain(&self.growth)
            .find(|v| v.metric == metric.name())
    }
}

/// Judges every metric over `[from_s, to_s]` on the nodes never restarted.
pub fn judge_all(samples: &[Sample], from_s: f64, to_s: f64) -> Judgement {
    let nodes = sample::never_restarted(samples);
    let verdict = |m: Metric, rule: Rule| {
        let series = sample::series(samples, m, &nodes);
        judge::judge_metric(m.name(), m.unit(), &series, from_s, to_s, rule)
    };
    Judgement {
        from_s,
        to_s,
        lifetimes: sample::lifetimes(samples),
        leaks: LEAK_METRICS
            .iter()
            .map(|&(m, floor)| verdict(m, Rule::new(floor)))
            .collect(),
        growth: GROWING_METRICS
            .iter()
            .map(|&m| verdict(m, Rule::new(0.5)))
            .collect(),
        judged_nodes: nodes,
    }
}

/// One metric of every node over time (restarted nodes included, their lines broken where
/// they were down), with the mean over the nodes read at each sample.
pub fn plot_series(samples: &[Sample], m: Metric) -> PlotSeries {
    let mut per_node: BTreeMap<usize, Vec<(f64, f64)>> = BTreeMap::new();
    let mut at: BTreeMap<u64, (f64, usize)> = BTreeMap::new();
    for s in samples {
        let v = m.of(s).filter(|_| s.rss_kib.is_some() || !is_process(m));
        let points = per_node.entry(s.node).or_default();
        match v {
            Some(v) => {
                points.push((s.t_s, v));
                let e = at.entry((s.t_s * 10.0).round() as u64).or_default();
                e.0 += v;
                e.1 += 1;
            }
            None => points.push((s.t_s, f64::NAN)),
        }
    }
    let unit = m.unit().to_string();
    PlotSeries {
        name: format!("soak-{}", m.name()),
        title: format!("soak: {}", m.name()),
        unit,
        query: "sampled from /proc, /metrics and the data directory".into(),
        per_node,
        mean: at
            .into_iter()
            .map(|(t, (sum, n))| (t as f64 / 10.0, sum / n as f64))
            .collect(),
    }
}

fn is_process(m: Metric) -> bool {
    matches!(
        m,
        Metric::RssMib | Metric::Fds | Metric::Threads | Metric::Tasks | Metric::RuntimeTasks
    )
}

/// Writes `samples.csv`, `judgement.json` and one SVG per metric into `dir`; the files.
pub fn write_files(
    dir: &Path,
    samples: &[Sample],
    judgement: &Judgement,
    footer: &Footer,
) -> Result<Vec<String>> {
    fsutil::create_dir_all(dir)?;
    let mut files = Vec::new();
    fsutil::write_atomic(&dir.join("samples.csv"), sample::to_csv(samples).as_bytes())?;
    files.push("samples.csv".to_string());
    fsutil::write_json_atomic(&dir.join("judgement.json"), judgement)?;
    files.push("judgement.json".to_string());
    for m in Metric::ALL {
        let name = format!("soak-{}.svg", m.name());
        // A plot that fails to draw costs the plot, not the run's figures.
        if over_time(&dir.join(&name), &plot_series(samples, m), footer).is_ok() {
            files.push(name);
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node_samples(
        node: usize,
        pid: impl Fn(u32) -> Option<u32>,
        rss: impl Fn(f64) -> u64,
    ) -> Vec<Sample> {
        (0..=60u32)
            .map(|i| {
                let t = f64::from(i) * 60.0;
                let pid = pid(i);
                Sample {
                    t_s: t,
                    node,
                    pid,
                    rss_kib: pid.map(|_| rss(t)),
                    fds: pid.map(|_| 40),
                    threads: pid.map(|_| 20),
                    tasks: pid.map(|_| 30),
                    runtime_tasks: pid.map(|_| 90),
                    chain_bytes: Some(1_000_000 + (t as u64) * 1000),
                    journal_bytes: Some(4096),
                    trace_bytes: Some((t as u64) * 5000),
                    ..Sample::default()
                }
            })
            .collect()
    }

    #[test]
    fn judges_the_never_restarted_nodes_and_reports_store_growth() {
        let mut samples = node_samples(0, |_| Some(10), |_| 60 * 1024);
        // Restarted every 5 samples, leaking within each life: not judged (a restart resets it).
        samples.extend(node_samples(
            1,
            |i| Some(100 + i / 5),
            |t| 50 * 1024 + t as u64,
        ));
        let j = judge_all(&samples, 1800.0, 3600.0);
        assert_eq!(j.judged_nodes, vec![0]);
        assert_eq!(j.lifetimes[&1], 13);
        assert_eq!(j.growing(), 0, "{:#?}", j.leaks);
        let chain = j.verdict(Metric::ChainMib).unwrap();
        let per_h = chain.mean_slope_per_h.unwrap();
        assert!((per_h - 3_600_000.0 / 1_048_576.0).abs() < 0.01, "{per_h}");
        let plot = plot_series(&samples, Metric::RssMib);
        assert_eq!(plot.per_node.len(), 2);
        assert_eq!(plot.mean.len(), 61);

        let leaky = node_samples(2, |_| Some(7), |t| 60 * 1024 + (t as u64) * 3);
        let j = judge_all(&leaky, 1800.0, 3600.0);
        assert_eq!(j.growing(), 1);
        assert!(!j.verdict(Metric::RssMib).unwrap().levels_off());
    }
}
