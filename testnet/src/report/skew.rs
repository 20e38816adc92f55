//! The clock-skew section's data (`--skew`) from the manifest (who was shifted, by how much),
//! the nodes' metrics pages and their traces; the section itself is
//! [`rumor_report::section::skew`].

use std::collections::HashSet;

use rumor_report::metrics::clock::ClockCounts;
use rumor_report::section::skew::{EarlyBlocks, SkewReport, SkewedNode};

use crate::observe::collect::Live;
use crate::setup::manifest::Manifest;
use rumor_report::trace::{Kind, NodeTrace, Origin};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::collect::NodeLive;
    use crate::observe::metrics::NodeCounters;
    use rumor_report::section::skew::{line, section};

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
        use rumor_report::trace::synthetic::{line as l, traces};
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
