//! The report's clock-skew section (`--skew`): which nodes ran with a shifted clock and by how
//! much, each one's own estimate of its offset against the other producers' (its
//! `rumor_clock_offset_estimate_seconds` when the run ended) and whether it saw itself beyond
//! the tolerance, how many blocks it produced and how many of those the final chain holds, and
//! what the nodes did with blocks that came early (held, released, refused, rejected, dropped:
//! `rumor_future_blocks_total`). From the nodes' metrics pages read before they were stopped
//! (totals since each node started), its trace (blocks it produced) and, after `run`, the
//! first live node's canonical chain.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::metrics::clock::ClockCounts;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkewReport {
    /// `[chain] max_future_ms` as the nodes report it.
    pub tolerance_ms: Option<f64>,
    pub nodes: Vec<SkewedNode>,
    /// Early blocks at the nodes that were not skewed, summed.
    pub early_at_unskewed: EarlyBlocks,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkewedNode {
    pub index: usize,
    pub producer: bool,
    /// The shift it was started with (`--skew`), ms.
    pub skew_ms: i64,
    /// Its own estimate of its clock against the other producers', ms (`None`: none yet, or
    /// its metrics were not read).
    pub estimate_ms: Option<f64>,
    pub samples: f64,
    /// It reported its estimate beyond the tolerance.
    pub beyond_tolerance: bool,
    /// Blocks it had produced when its metrics were read (`rumor_blocks_produced_total`).
    pub produced: Option<f64>,
    /// Of the blocks it produced (its trace), how many are in the final canonical chain, of
    /// how many (`None`: the chain was not read, as by `measure`).
    #[serde(default)]
    pub canonical: Option<(usize, usize)>,
    /// Early blocks from others at this node.
    pub early: EarlyBlocks,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct EarlyBlocks {
    pub held: f64,
    pub released: f64,
    pub refused: f64,
    pub rejected: f64,
    pub dropped: f64,
}

impl EarlyBlocks {
    pub fn add(&mut self, c: &ClockCounts) {
        self.held += c.held;
        self.released += c.released;
        self.refused += c.refused;
        self.rejected += c.rejected;
        self.dropped += c.dropped;
    }

    fn describe(&self) -> String {
        format!(
            "held {} (released {}), refused {}, rejected {}, dropped {}",
            self.held, self.released, self.refused, self.rejected, self.dropped
        )
    }
}

fn estimate(n: &SkewedNode) -> String {
    n.estimate_ms
        .map_or("none".into(), |e| format!("{e:+.0} ms"))
}

/// One line for the summary.
pub fn line(r: &SkewReport) -> String {
    let nodes: Vec<String> = r
        .nodes
        .iter()
        .map(|n| {
            format!(
                "node {} {:+} ms (own estimate {}{}{})",
                n.index,
                n.skew_ms,
                estimate(n),
                if n.beyond_tolerance {
                    ", beyond tolerance"
                } else {
                    ""
                },
                n.canonical.map_or(String::new(), |(c, of)| format!(
                    "; {c} of its {of} blocks in the final chain"
                ))
            )
        })
        .collect();
    format!(
        "Skew: {}; early blocks at the other nodes: {}",
        nodes.join(", "),
        r.early_at_unskewed.describe()
    )
}

/// The markdown section.
pub fn section(r: Option<&SkewReport>) -> String {
    let Some(r) = r else {
        return String::new();
    };
    let mut s = String::from("\n## Clock skew\n\n");
    let _ = writeln!(
        s,
        "Nodes started with a shifted clock (`--skew`), and each one's own estimate of its clock against the other producers' (median over producers of the least receive time − slot start) when the run ended. Tolerance ([chain] max_future_ms): {}. Trace times of every node were corrected by its offset measured over RPC (see Clocks).\n",
        r.tolerance_ms
            .map_or("unknown".into(), |t| format!("{t:.0} ms"))
    );
    s.push_str("| node | producer | skew ms | own estimate | samples | beyond tolerance | blocks produced | early blocks it held / refused |\n|---|---|---|---|---|---|---|---|\n");
    for n in &r.nodes {
        let _ = writeln!(
            s,
            "| {} | {} | {:+} | {} | {} | {} | {} | {} / {} |",
            n.index,
            if n.producer { "yes" } else { "no" },
            n.skew_ms,
            estimate(n),
            n.samples,
            if n.beyond_tolerance { "**yes**" } else { "no" },
            match (n.canonical, n.produced) {
                (Some((c, of)), _) => format!("{of} ({c} in the final chain)"),
                (None, Some(p)) => p.to_string(),
                (None, None) => "-".into(),
            },
            n.early.held,
            n.early.refused,
        );
    }
    let _ = writeln!(
        s,
        "\nEarly blocks at the nodes that were not skewed: {}.",
        r.early_at_unskewed.describe()
    );
    let tolerance = r.tolerance_ms.unwrap_or(0.0);
    if r.nodes.iter().any(|n| (n.skew_ms as f64) < -tolerance) {
        let _ = writeln!(
            s,
            "\nA node whose clock is behind by more than the tolerance holds every block until its own clock reaches the block's slot, so its head trails the others' by about the difference: the heads check can find it behind."
        );
    }
    s
}
