//! The report's clock section: for nodes whose clocks are not this machine's (containers
//! stand in for hosts; nodes the tool did not start), each node's estimated offset to the
//! tool's clock and its error bound ([`crate::records::clock`]). Trace times were corrected by the
//! offsets; a latency smaller than the largest bound cannot be told from clock error and is
//! printed as not measurable ([`NOT_MEASURABLE`]).

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::records::clock::Clocks;

/// How a latency under the error bound is printed.
pub const NOT_MEASURABLE: &str = "n/m";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockReport {
    pub method: String,
    pub nodes: Vec<NodeClock>,
    /// The largest error bound, ms: latencies below it are not measurable.
    pub max_error_ms: f64,
    /// Nodes whose clock could not be sampled (their trace times are used as they are).
    pub unsampled: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeClock {
    pub index: usize,
    /// Node clock − tool clock.
    pub offset_ms: f64,
    /// ± this much.
    pub error_ms: f64,
}

pub const METHOD: &str = "NTP-style over JSON-RPC (trace_clock): of 8 round trips per node the shortest is kept; offset = node time − midpoint of the round trip, error bound = half of it; every trace time of the node is shifted by −offset onto the tool's clock";

pub fn build(clocks: &Clocks, nodes: &[usize]) -> ClockReport {
    let list: Vec<NodeClock> = clocks
        .iter()
        .filter(|(i, _)| nodes.contains(i))
        .map(|(&index, o)| NodeClock {
            index,
            offset_ms: o.offset_us as f64 / 1000.0,
            error_ms: o.error_us as f64 / 1000.0,
        })
        .collect();
    ClockReport {
        method: METHOD.into(),
        max_error_ms: list.iter().map(|c| c.error_ms).fold(0.0, f64::max),
        unsampled: nodes
            .iter()
            .copied()
            .filter(|i| !clocks.contains_key(i))
            .collect(),
        nodes: list,
    }
}

/// A latency for a table: `n/m` when the clocks' error bound exceeds it.
pub fn ms(v: Option<f64>, clocks: Option<&ClockReport>) -> String {
    match (v, clocks) {
        (Some(v), Some(c)) if v < c.max_error_ms => NOT_MEASURABLE.into(),
        _ => crate::render::text::ms(v),
    }
}

/// One line for the summary.
pub fn line(c: &ClockReport) -> String {
    let (lo, hi) = c.nodes.iter().fold((f64::MAX, f64::MIN), |(lo, hi), n| {
        (lo.min(n.offset_ms), hi.max(n.offset_ms))
    });
    let range = if c.nodes.is_empty() {
        "none sampled".to_string()
    } else {
        format!("{lo:+.3}..{hi:+.3} ms")
    };
    format!(
        "Clocks: offsets to this tool {range} over {} nodes (estimated over RPC, traces corrected), error bound ≤ {:.3} ms; latencies below it print as {NOT_MEASURABLE}{}",
        c.nodes.len(),
        c.max_error_ms,
        if c.unsampled.is_empty() {
            String::new()
        } else {
            format!("; not sampled: nodes {:?}", c.unsampled)
        }
    )
}

/// The markdown section.
pub fn section(c: Option<&ClockReport>) -> String {
    let Some(c) = c else {
        return String::new();
    };
    let mut s = String::from("\n## Clocks\n\n");
    let _ = writeln!(s, "{}.\n", c.method);
    let _ = writeln!(
        s,
        "Largest error bound: **{:.3} ms**. A latency below it cannot be told apart from clock error and is shown as `{NOT_MEASURABLE}` (not measurable).\n",
        c.max_error_ms
    );
    s.push_str("| node | offset ms | ± ms |\n|---|---|---|\n");
    for n in &c.nodes {
        let _ = writeln!(
            s,
            "| {} | {:+.3} | {:.3} |",
            n.index, n.offset_ms, n.error_ms
        );
    }
    if !c.unsampled.is_empty() {
        let _ = writeln!(
            s,
            "\nNot sampled (no answer): nodes {:?}; their trace times are uncorrected.",
            c.unsampled
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::clock::ClockOffset;

    #[test]
    fn offsets_bound_what_is_measurable() {
        let clocks: Clocks = [
            (
                0,
                ClockOffset {
                    offset_us: 2_000_300,
                    error_us: 400,
                    samples: 8,
                },
            ),
            (
                1,
                ClockOffset {
                    offset_us: -20,
                    error_us: 90,
                    samples: 8,
                },
            ),
        ]
        .into();
        let r = build(&clocks, &[0, 1, 2]);
        assert_eq!(r.max_error_ms, 0.4);
        assert_eq!(r.unsampled, vec![2]);
        assert_eq!(ms(Some(0.3), Some(&r)), NOT_MEASURABLE);
        assert_eq!(ms(Some(1.25), Some(&r)), "1.2");
        assert_eq!(ms(Some(0.3), None), "0.3");
        assert!(line(&r).contains("-0.020..+2000.300 ms"));
        assert!(section(Some(&r)).contains("| 0 | +2000.300 | 0.400 |"));
    }
}
