//! What the report plots over the run, read from Prometheus with range queries while it is
//! still up and saved as `DIR/prometheus/series.json` (so the report can be rebuilt after the
//! server stopped): bytes received per second, pool size, peers and head height, per node (the
//! `node` target label) and as the mean over nodes.
//!
//! Invariant: a plot that could not be read is listed in `not_drawn` with the reason, never
//! left out silently.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

pub use rumor_report::records::series::{NotDrawn, OverTime, PlotSeries, mean};

use super::api;
use super::options::{Entry, SERIES_FILE};
use crate::error::Result;
use rumor_api::metrics::external::{self, libp2p};
use rumor_api::metrics::{labels, node, p2p};
use rumor_report::fsutil;

/// One plot: what it shows and the PromQL (one series per node) that reads it.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub name: &'static str,
    pub title: &'static str,
    pub unit: &'static str,
    /// The query, given the rate window (a PromQL duration).
    query: fn(&str) -> String,
}

impl Spec {
    pub fn query(&self, interval: Duration) -> String {
        // `rate` needs two samples in its window; four intervals tolerate a missed scrape.
        (self.query)(&super::config::duration(interval * 4))
    }
}

pub const SPECS: [Spec; 4] = [
    Spec {
        name: "bytes_in",
        title: "Bytes received per second (all protocols)",
        unit: "bytes/s",
        query: |w| {
            format!(
                "sum by (node) (rate({}{{direction=\"{}\"}}[{w}]))",
                libp2p::BANDWIDTH_BYTES.sample,
                labels::BANDWIDTH_INBOUND
            )
        },
    },
    Spec {
        name: "mempool",
        title: "Txs in the pool (pending + queued)",
        unit: "txs",
        query: |_| {
            format!(
                "sum by (node) ({}) + sum by (node) ({})",
                external::MEMPOOL_PENDING.sample,
                external::MEMPOOL_QUEUED.sample
            )
        },
    },
    Spec {
        name: "peers",
        title: "Connected peers",
        unit: "peers",
        query: |_| format!("sum by (node) ({})", p2p::PEERS.sample),
    },
    Spec {
        name: "heads",
        title: "Canonical head height",
        unit: "blocks",
        query: |_| format!("max by (node) ({})", node::HEAD_HEIGHT.sample),
    },
];

/// What [`OverTime`] (report data, [`rumor_report::records::series`]) needs of this module: the
/// plots' specs and the file it is saved in.
pub trait OverTimeExt: Sized {
    /// No server: every plot not drawn, for `reason`.
    fn none(reason: &str) -> Self;
    fn save(&self, testnet: &Path) -> Result<()>;
    /// The saved series, if any.
    fn load(testnet: &Path) -> Option<Self>;
}

impl OverTimeExt for OverTime {
    fn none(reason: &str) -> Self {
        Self {
            not_drawn: SPECS
                .iter()
                .map(|s| NotDrawn {
                    name: s.name.into(),
                    title: s.title.into(),
                    reason: reason.into(),
                })
                .collect(),
            ..Self::default()
        }
    }

    fn save(&self, testnet: &Path) -> Result<()> {
        Ok(fsutil::write_json_atomic(
            &super::options::dir(testnet).join(SERIES_FILE),
            self,
        )?)
    }

    fn load(testnet: &Path) -> Option<Self> {
        fsutil::read_json(&super::options::dir(testnet).join(SERIES_FILE)).ok()
    }
}

/// Reads every plot over `[start_us, end_us]` from the server `entry` describes.
pub async fn collect(entry: &Entry, start_us: u64, end_us: u64) -> OverTime {
    let interval = Duration::from_millis(entry.scrape_interval_ms.max(1));
    let Some(addr) = entry.addr else {
        return OverTime::none(
            entry
                .not_started
                .as_deref()
                .unwrap_or("Prometheus did not run"),
        );
    };
    let (start, end) = (start_us as f64 / 1e6, end_us as f64 / 1e6);
    let step = interval.as_secs_f64();
    let mut out = OverTime {
        source: entry.url(),
        step_s: step,
        start_unix_s: start,
        end_unix_s: end,
        ..OverTime::default()
    };
    for spec in SPECS {
        let query = spec.query(interval);
        let read = api::query_range(addr, &query, start, end, step).await;
        let mut per_node = BTreeMap::new();
        let reason = match read {
            Err(e) => Some(e.to_string()),
            Ok(series) => {
                for s in series {
                    let Some(node) = s.labels.get("node").and_then(|n| n.parse().ok()) else {
                        continue;
                    };
                    let points = s.points.iter().map(|&(t, v)| (t - start, v)).collect();
                    per_node.insert(node, points);
                }
                per_node
                    .is_empty()
                    .then(|| format!("`{query}` returned no series"))
            }
        };
        match reason {
            Some(reason) => out.not_drawn.push(NotDrawn {
                name: spec.name.into(),
                title: spec.title.into(),
                reason,
            }),
            None => out.plots.push(PlotSeries {
                name: spec.name.into(),
                title: spec.title.into(),
                unit: spec.unit.into(),
                query,
                mean: mean(&per_node),
                per_node,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_over_the_nodes_present_at_each_step() {
        let per_node = BTreeMap::from([
            (0, vec![(0.0, 2.0), (1.0, 4.0)]),
            (1, vec![(0.0, 4.0), (2.0, 8.0), (3.0, f64::NAN)]),
        ]);
        assert_eq!(mean(&per_node), vec![(0.0, 3.0), (1.0, 4.0), (2.0, 8.0)]);
    }

    #[test]
    fn without_a_server_every_plot_says_why() {
        let o = OverTime::none("run without --prometheus");
        assert!(o.plots.is_empty());
        assert_eq!(o.not_drawn.len(), SPECS.len());
        assert!(
            o.not_drawn
                .iter()
                .all(|n| n.reason == "run without --prometheus")
        );
        let q = SPECS[0].query(Duration::from_secs(1));
        assert!(q.contains("[4s]"), "{q}");
    }
}
