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

use std::collections::HashSet;

use crate::collect::Live;
use crate::manifest::Manifest;
use crate::metrics::clock::ClockCounts;
use crate::trace::{Kind, NodeTrace, Origin};

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
    fn add(&mut self, c: &ClockCounts) {
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

/// The section, when any node was skewed. `traces` in manifest order; `canonical`: block
/// hashes of the final chain, if read.
pub fn build(
    m: &Manifest,
    live: &Live,
    traces: &[NodeTrace],
    canonical: Option<&HashSet<String>>,
) -> Option<SkewReport> {
    if m.nodes.iter().all(|n| n.clock_offset_ms == 0) {
        return None;
    }
    let clock_of = |index: usize| -> Option<ClockCounts> {
        live.nodes
            .iter()
            .find(|n| n.index == index)?
            .counters
            .as_ref()?
            .clock
    };
    let mut early_at_unskewed = EarlyBlocks::default();
    let mut tolerance_ms = None;
    let mut nodes = Vec::new();
    for (k, n) in m.nodes.iter().enumerate() {
        let c = clock_of(n.index);
        if let Some(t) = c.and_then(|c| c.tolerance_ms) {
            tolerance_ms = Some(t);
        }
        if n.clock_offset_ms == 0 {
            if let Some(c) = &c {
                early_at_unskewed.add(c);
            }
            continue;
        }
        let mut early = EarlyBlocks::default();
        if let Some(c) = &c {
            early.add(c);
        }
        nodes.push(SkewedNode {
            index: n.index,
            producer: n.producer,
            skew_ms: n.clock_offset_ms,
            estimate_ms: c.and_then(|c| c.estimate_ms()),
            samples: c.map_or(0.0, |c| c.samples),
            beyond_tolerance: c.is_some_and(|c| c.out_of_tolerance),
            produced: c.and_then(|c| c.produced),
            canonical: canonical.zip(traces.get(k)).map(|(chain, t)| {
                let own: Vec<&str> = t
                    .lines
                    .iter()
                    .filter(|l| l.kind == Kind::Block && l.origin == Origin::Producer)
                    .map(|l| l.id.as_str())
                    .collect();
                (
                    own.iter().filter(|id| chain.contains(**id)).count(),
                    own.len(),
                )
            }),
            early,
        });
    }
    Some(SkewReport {
        tolerance_ms,
        nodes,
        early_at_unskewed,
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::NodeLive;
    use crate::metrics::NodeCounters;

    fn live(clocks: Vec<Option<ClockCounts>>) -> Live {
        Live {
            nodes: clocks
                .into_iter()
                .enumerate()
                .map(|(index, clock)| NodeLive {
                    index,
                    alive: true,
                    peers: None,
                    head: None,
                    mempool: None,
                    counters: Some(NodeCounters {
                        clock,
                        ..Default::default()
                    }),
                    mem: None,
                    error: None,
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn shows_each_skewed_node_and_what_the_others_did_with_its_blocks() {
        let opts = crate::setup::plan::tests::opts(3, crate::setup::RegionsOpt::None);
        let (mut m, _) = crate::setup::plan(&opts, std::path::Path::new("/tmp/x")).unwrap();
        assert!(
            build(&m, &live(vec![None; 3]), &[], None).is_none(),
            "no skew, no section"
        );
        m.nodes[2].clock_offset_ms = 2000;
        m.nodes[2].producer = true;
        let unskewed = ClockCounts {
            held: 4.0,
            released: 4.0,
            tolerance_ms: Some(500.0),
            ..Default::default()
        };
        let skewed = ClockCounts {
            offset_estimate_ms: Some(2012.4),
            samples: 9.0,
            out_of_tolerance: true,
            produced: Some(4.0),
            ..Default::default()
        };
        // Node 2 produced blocks 7 and 8; only 8 is in the final chain.
        use crate::analysis::messages::tests::{line as l, traces};
        let t = traces(vec![
            vec![],
            vec![l(Kind::Block, 7, 10, Origin::Gossip)],
            vec![
                l(Kind::Block, 7, 5, Origin::Producer),
                l(Kind::Block, 8, 9, Origin::Producer),
                l(Kind::Tx, 9, 9, Origin::Rpc),
            ],
        ]);
        let chain: HashSet<String> = [hex::encode([8u8; 32])].into();
        let counts = live(vec![Some(unskewed), Some(unskewed), Some(skewed)]);
        let r = build(&m, &counts, &t, Some(&chain)).unwrap();
        assert_eq!(r.nodes[0].canonical, Some((1, 2)));
        assert_eq!(
            build(&m, &counts, &t, None).unwrap().nodes[0].canonical,
            None
        );
        assert_eq!(r.nodes.len(), 1);
        let n = &r.nodes[0];
        assert_eq!((n.index, n.skew_ms, n.estimate_ms), (2, 2000, Some(2012.4)));
        assert!(n.beyond_tolerance);
        assert_eq!(r.early_at_unskewed.held, 8.0);
        assert_eq!(r.tolerance_ms, Some(500.0));
        let md = section(Some(&r));
        assert!(
            md.contains(
                "| 2 | yes | +2000 | +2012 ms | 9 | **yes** | 2 (1 in the final chain) | 0 / 0 |"
            ),
            "{md}"
        );
        assert!(md.contains("held 8 (released 8)"), "{md}");
        assert!(!md.contains("trails"), "not behind: {md}");
        assert!(line(&r).contains(
            "node 2 +2000 ms (own estimate +2012 ms, beyond tolerance; 1 of its 2 blocks in the final chain)"
        ));
    }
}
