//! The report's "Over the run" part: which Prometheus plots were drawn (with their PromQL and
//! the mean's range) and which were not, and why — a run without `--prometheus`, a missing
//! binary, or a query that returned nothing. The series themselves stay in
//! `prometheus/series.json`.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::records::series::{NotDrawn, OverTime, PlotSeries};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct OverTimeReport {
    /// The Prometheus server the series came from.
    pub source: Option<String>,
    pub step_s: f64,
    pub drawn: Vec<Drawn>,
    pub not_drawn: Vec<NotDrawn>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Drawn {
    pub name: String,
    pub title: String,
    pub unit: String,
    pub query: String,
    /// The plot's file in the report directory.
    pub file: String,
    pub nodes: usize,
    /// Lowest, highest and last value of the mean over nodes.
    pub mean_min: Option<f64>,
    pub mean_max: Option<f64>,
    pub mean_last: Option<f64>,
}

/// The plot file of a series.
pub fn file_name(plot: &PlotSeries) -> String {
    format!("over-time-{}.svg", plot.name)
}

pub fn summarize(o: &OverTime) -> OverTimeReport {
    let values = |p: &PlotSeries| p.mean.iter().map(|&(_, v)| v).collect::<Vec<_>>();
    OverTimeReport {
        source: o.source.clone(),
        step_s: o.step_s,
        drawn: o
            .plots
            .iter()
            .map(|p| {
                let v = values(p);
                Drawn {
                    name: p.name.clone(),
                    title: p.title.clone(),
                    unit: p.unit.clone(),
                    query: p.query.clone(),
                    file: file_name(p),
                    nodes: p.per_node.len(),
                    mean_min: v.iter().copied().reduce(f64::min),
                    mean_max: v.iter().copied().reduce(f64::max),
                    mean_last: v.last().copied(),
                }
            })
            .collect(),
        not_drawn: o.not_drawn.clone(),
    }
}

fn num(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| {
        if v.abs() >= 100.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    })
}

/// The markdown section (empty only when there is nothing to say at all).
pub fn section(o: Option<&OverTimeReport>) -> String {
    let mut s = String::new();
    let Some(o) = o else {
        return s;
    };
    let _ = writeln!(s, "\n## Over the run (Prometheus)\n");
    if let Some(src) = &o.source {
        let _ = writeln!(
            s,
            "Range queries to the Prometheus server that scraped every node every {:.1} s ({src}); time 0 is the load's start. Per-node series and the mean over nodes are in `prometheus/series.json`.\n",
            o.step_s
        );
    }
    if !o.drawn.is_empty() {
        let _ = writeln!(
            s,
            "| plot | unit | nodes | mean: min | max | last | PromQL |"
        );
        let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---|");
        for d in &o.drawn {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | `{}` |",
                d.title,
                d.unit,
                d.nodes,
                num(d.mean_min),
                num(d.mean_max),
                num(d.mean_last),
                d.query.replace('|', "\\|")
            );
        }
        for d in &o.drawn {
            let _ = writeln!(s, "\n![{}]({})", d.title, d.file);
        }
    }
    if !o.not_drawn.is_empty() {
        let _ = writeln!(s, "\nNot drawn:\n");
        for n in &o.not_drawn {
            let _ = writeln!(s, "- {}: {}", n.title, n.reason);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn lists_drawn_plots_and_says_why_others_are_not() {
        let per_node = BTreeMap::from([(0, vec![(0.0, 2.0), (1.0, 6.0)])]);
        let o = OverTime {
            source: Some("http://127.0.0.1:9090".into()),
            step_s: 1.0,
            plots: vec![PlotSeries {
                name: "peers".into(),
                title: "Connected peers".into(),
                unit: "peers".into(),
                query: "sum by (node) (rumor_p2p_peers)".into(),
                mean: crate::records::series::mean(&per_node),
                per_node,
            }],
            not_drawn: vec![NotDrawn {
                name: "heads".into(),
                title: "Canonical head height".into(),
                reason: "`q` returned no series".into(),
            }],
            ..OverTime::default()
        };
        let r = summarize(&o);
        assert_eq!(r.drawn[0].mean_max, Some(6.0));
        assert_eq!(r.drawn[0].file, "over-time-peers.svg");
        let md = section(Some(&r));
        assert!(
            md.contains("![Connected peers](over-time-peers.svg)"),
            "{md}"
        );
        assert!(
            md.contains("- Canonical head height: `q` returned no series"),
            "{md}"
        );
        let none = section(Some(&summarize(&OverTime {
            not_drawn: vec![NotDrawn {
                name: "bytes".into(),
                title: "Bytes received per second (all protocols)".into(),
                reason: "run without --prometheus".into(),
            }],
            ..OverTime::default()
        })));
        assert!(
            none.contains("Bytes received per second (all protocols): run without --prometheus"),
            "{none}"
        );
    }
}
