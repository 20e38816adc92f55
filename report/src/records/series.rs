//! What the report plots over the run, as read from Prometheus (the harness's
//! `rumor_testnet::prometheus::series` queries it): per node and the mean over nodes.
//!
//! Invariant: a plot that could not be read is listed in `not_drawn` with the reason, never
//! left out silently.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Every plot's data, or why it has none.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct OverTime {
    /// The server the series came from.
    pub source: Option<String>,
    pub step_s: f64,
    /// Unix seconds of the plots' time zero (the load's start when there was one).
    pub start_unix_s: f64,
    pub end_unix_s: f64,
    pub plots: Vec<PlotSeries>,
    pub not_drawn: Vec<NotDrawn>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlotSeries {
    pub name: String,
    pub title: String,
    pub unit: String,
    pub query: String,
    /// Node index → `(seconds since start, value)`.
    pub per_node: BTreeMap<usize, Vec<(f64, f64)>>,
    /// The mean over the nodes that have a value at each step.
    pub mean: Vec<(f64, f64)>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NotDrawn {
    pub name: String,
    pub title: String,
    pub reason: String,
}

/// The mean over nodes at each timestamp present in any node's series.
pub fn mean(per_node: &BTreeMap<usize, Vec<(f64, f64)>>) -> Vec<(f64, f64)> {
    let mut at: BTreeMap<i64, (f64, f64, usize)> = BTreeMap::new();
    for points in per_node.values() {
        for &(t, v) in points.iter().filter(|(_, v)| v.is_finite()) {
            let e = at.entry((t * 1000.0).round() as i64).or_insert((t, 0.0, 0));
            e.1 += v;
            e.2 += 1;
        }
    }
    at.into_values()
        .map(|(t, sum, n)| (t, sum / n as f64))
        .collect()
}
