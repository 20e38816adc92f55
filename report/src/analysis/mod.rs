//! Propagation analysis: from traces (and, with emulation, the connection graph) to the
//! per-kind figures of the report. Pure functions of their input, so they are tested on
//! synthetic traces with known answers.

pub mod duplicates;
pub mod first_duplicate;
pub mod graph;
pub mod messages;
pub mod percentile;
pub mod reach;
pub mod transmission;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use first_duplicate::FirstDuplicate;
pub use graph::LatencyGraph;
pub use messages::{Anomalies, Message, Window};
pub use percentile::Summary;
pub use reach::{Delivery, ReachLevel};
pub use transmission::{PathRatio, Transmission, TransmissionBound};

use crate::trace::{Kind, NodeTrace};
use percentile::summarize;
use reach::us_to_ms;

#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub traces: &'a [NodeTrace],
    pub window: Window,
    /// Region of each node (with emulation).
    pub regions: Option<&'a [String]>,
    /// The live connection graph weighted by link latency (with emulation).
    pub graph: Option<&'a LatencyGraph>,
    /// Hashes (hex) of the blocks on the final canonical chain, when known: other blocks are
    /// left out of block delivery and counted as `off_chain_blocks`.
    pub canonical_blocks: Option<&'a std::collections::HashSet<String>>,
    /// The links' bandwidth cap and the messages' sizes (with `--bandwidth-mbit`): the bound
    /// with transmission time.
    pub transmission: Option<&'a Transmission>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KindStats {
    pub delivery: Delivery,
    pub reach: Vec<ReachLevel>,
    /// Delivery time ÷ shortest-path latency through live connections, over every
    /// (message, non-origin node) pair with a positive bound. Emulation only.
    pub path_ratio: Option<PathRatio>,
    /// Over messages, the shortest-path bound (ms) on reaching *every* node from the message's
    /// origin (the origin's eccentricity in the latency graph): the floor under "time to
    /// reach 100 %". Emulation only; origins that cannot reach every node are left out.
    #[serde(default)]
    pub bound_all_ms: Option<Summary>,
    /// The same bounds with each hop's transmission time under the links' bandwidth cap
    /// (emulation with `--bandwidth-mbit` only).
    #[serde(default)]
    pub transmission_bound: Option<TransmissionBound>,
    /// When nodes received their second copy (nodes that trace duplicates only).
    #[serde(default)]
    pub first_duplicate: Option<FirstDuplicate>,
    pub regions: Vec<RegionStats>,
    /// A few messages that missed nodes, for debugging (`missing` = node indices).
    pub incomplete: Vec<Incomplete>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionStats {
    pub region: String,
    pub nodes: usize,
    /// Of messages originating elsewhere, the share that reached this region's nodes.
    pub delivery_ratio: f64,
    /// Arrival delay (ms) at this region's nodes, over (message, node) pairs.
    pub ms: Option<Summary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incomplete {
    pub id: String,
    pub origin: usize,
    pub missing: Vec<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeArrival {
    pub index: usize,
    pub region: Option<String>,
    /// Messages this node originated (RPC submissions / blocks produced).
    pub originated: BTreeMap<Kind, usize>,
    /// Arrival delay (ms) of messages originated elsewhere.
    pub ms: BTreeMap<Kind, Option<Summary>>,
    /// Messages originated elsewhere that never arrived here.
    pub missing: BTreeMap<Kind, usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Analysis {
    pub nodes: usize,
    pub window: Window,
    pub kinds: BTreeMap<Kind, KindStats>,
    pub per_node: Vec<NodeArrival>,
    pub anomalies: Anomalies,
    /// For plots: per kind, every delivered (message, node) delay in ms (ascending) and the
    /// number of expected pairs.
    #[serde(skip)]
    pub cdf: BTreeMap<Kind, Cdf>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cdf {
    pub sorted_ms: Vec<f64>,
    pub expected: usize,
    /// Delays (ms since origin, ascending) of the nodes' first duplicates.
    pub duplicate_sorted_ms: Vec<f64>,
    /// The same per region (with emulation).
    pub by_region: BTreeMap<String, (Vec<f64>, usize)>,
}

const INCOMPLETE_SAMPLES: usize = 10;

impl Analysis {
    /// Positions in the analysed traces → the nodes' testnet indices (`index[pos]`), for an
    /// analysis over a subset of the nodes (the live ones).
    pub fn renumber(&mut self, index: &[usize]) {
        let at = |p: usize| index.get(p).copied().unwrap_or(p);
        for n in &mut self.per_node {
            n.index = at(n.index);
        }
        for k in self.kinds.values_mut() {
            for inc in &mut k.incomplete {
                inc.origin = at(inc.origin);
                for m in &mut inc.missing {
                    *m = at(*m);
                }
            }
        }
    }
}

pub fn analyze(input: Input<'_>) -> Analysis {
    let n = input.traces.len();
    let (mut messages, mut anomalies) = messages::collect(input.traces, input.window);
    if let Some(chain) = input.canonical_blocks {
        let before = messages.len();
        messages.retain(|m| m.kind != Kind::Block || chain.contains(&m.id));
        anomalies.off_chain_blocks = before - messages.len();
    }
    // Shortest paths depend only on the origin; compute each origin once.
    let bounds: Vec<Vec<Option<u64>>> = match input.graph {
        Some(g) if g.len() == n => (0..n).map(|s| g.shortest_from(s)).collect(),
        _ => Vec::new(),
    };
    let mut kinds = BTreeMap::new();
    let mut cdf = BTreeMap::new();
    for kind in Kind::ALL {
        let msgs: Vec<&Message> = messages.iter().filter(|m| m.kind == kind).collect();
        let path_ratio = (!bounds.is_empty()).then(|| path_ratio(&msgs, &bounds));
        let bound_all_ms = if bounds.is_empty() {
            None
        } else {
            summarize(
                msgs.iter()
                    .filter_map(|m| bound_all(&bounds[m.origin]))
                    .collect(),
            )
        };
        let transmission_bound = input
            .transmission
            .zip(input.graph)
            .filter(|_| !bounds.is_empty())
            .and_then(|(t, g)| transmission_bound(&msgs, g, t, kind));
        let dup = first_duplicate::first_duplicates(&msgs, input.traces, kind);
        let regions = input
            .regions
            .map(|r| region_stats(&msgs, r))
            .unwrap_or_default();
        let incomplete = msgs
            .iter()
            .filter(|m| m.reached() < n)
            .take(INCOMPLETE_SAMPLES)
            .map(|m| Incomplete {
                id: m.id.clone(),
                origin: m.origin,
                missing: (0..n).filter(|&i| m.delays_us[i].is_none()).collect(),
            })
            .collect();
        kinds.insert(
            kind,
            KindStats {
                delivery: reach::delivery(&msgs, n),
                reach: reach::levels(&msgs, n),
                path_ratio,
                bound_all_ms,
                transmission_bound,
                first_duplicate: dup.as_ref().map(|(f, _)| f.clone()),
                regions,
                incomplete,
            },
        );
        let mut c = build_cdf(&msgs, n, input.regions);
        c.duplicate_sorted_ms = dup.map(|(_, ms)| ms).unwrap_or_default();
        cdf.insert(kind, c);
    }
    let per_node = (0..n)
        .map(|i| node_arrival(i, &messages, input.regions))
        .collect();
    Analysis {
        nodes: n,
        window: input.window,
        kinds,
        per_node,
        anomalies,
        cdf,
    }
}

fn path_ratio(msgs: &[&Message], bounds: &[Vec<Option<u64>>]) -> PathRatio {
    let mut ratios = Vec::new();
    let mut unreachable = 0;
    for m in msgs {
        for (node, delay) in m.delays_us.iter().enumerate() {
            let Some(delay) = delay else { continue };
            if node == m.origin {
                continue;
            }
            match bounds[m.origin][node] {
                Some(b) if b > 0 => ratios.push(*delay as f64 / b as f64),
                Some(_) => {}
                None => unreachable += 1,
            }
        }
    }
    PathRatio {
        ratio: summarize(ratios),
        unreachable,
    }
}

/// The bounds of [`TransmissionBound`]: shortest paths with a per-hop transmission time, from
/// each origin of `msgs` once.
fn transmission_bound(
    msgs: &[&Message],
    g: &LatencyGraph,
    t: &Transmission,
    kind: Kind,
) -> Option<TransmissionBound> {
    let hop_us = t.hop_us(kind)?;
    let mut bounds: Vec<Vec<Option<u64>>> = vec![Vec::new(); g.len()];
    for m in msgs {
        if bounds[m.origin].is_empty() {
            bounds[m.origin] = g.shortest_with_hop(m.origin, hop_us);
        }
    }
    Some(TransmissionBound {
        message_bytes: t.mean_bytes.get(&kind).copied().unwrap_or(0.0),
        hop_ms: us_to_ms(hop_us),
        bound_all_ms: summarize(
            msgs.iter()
                .filter_map(|m| bound_all(&bounds[m.origin]))
                .collect(),
        ),
        path_ratio: Some(path_ratio(msgs, &bounds)),
    })
}

/// The latest shortest-path arrival (ms) over all nodes, if every node is reachable.
fn bound_all(from_origin: &[Option<u64>]) -> Option<f64> {
    let all: Option<Vec<u64>> = from_origin.iter().copied().collect();
    all?.into_iter().max().map(us_to_ms)
}

fn region_stats(msgs: &[&Message], regions: &[String]) -> Vec<RegionStats> {
    let mut names: Vec<&String> = regions.iter().collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|region| {
            let members: Vec<usize> = (0..regions.len())
                .filter(|&i| &regions[i] == region)
                .collect();
            let (mut expected, mut samples) = (0usize, Vec::new());
            for m in msgs {
                for &i in &members {
                    if i == m.origin {
                        continue;
                    }
                    expected += 1;
                    if let Some(d) = m.delays_us[i] {
                        samples.push(us_to_ms(d));
                    }
                }
            }
            RegionStats {
                region: region.clone(),
                nodes: members.len(),
                delivery_ratio: if expected == 0 {
                    1.0
                } else {
                    samples.len() as f64 / expected as f64
                },
                ms: summarize(samples),
            }
        })
        .collect()
}

fn node_arrival(i: usize, messages: &[Message], regions: Option<&[String]>) -> NodeArrival {
    let mut a = NodeArrival {
        index: i,
        region: regions.and_then(|r| r.get(i).cloned()),
        originated: BTreeMap::new(),
        ms: BTreeMap::new(),
        missing: BTreeMap::new(),
    };
    for kind in Kind::ALL {
        let mut samples = Vec::new();
        let (mut originated, mut missing) = (0, 0);
        for m in messages.iter().filter(|m| m.kind == kind) {
            if m.origin == i {
                originated += 1;
                continue;
            }
            match m.delays_us[i] {
                Some(d) => samples.push(us_to_ms(d)),
                None => missing += 1,
            }
        }
        a.originated.insert(kind, originated);
        a.missing.insert(kind, missing);
        a.ms.insert(kind, summarize(samples));
    }
    a
}

fn build_cdf(msgs: &[&Message], n: usize, regions: Option<&[String]>) -> Cdf {
    let mut sorted_ms: Vec<f64> = msgs
        .iter()
        .flat_map(|m| m.delays_us.iter().flatten().map(|&d| us_to_ms(d)))
        .collect();
    sorted_ms.sort_by(f64::total_cmp);
    let mut by_region: BTreeMap<String, (Vec<f64>, usize)> = BTreeMap::new();
    if let Some(regions) = regions {
        for m in msgs {
            for (i, d) in m.delays_us.iter().enumerate() {
                let Some(r) = regions.get(i) else { continue };
                let e = by_region.entry(r.clone()).or_default();
                e.1 += 1;
                if let Some(d) = d {
                    e.0.push(us_to_ms(*d));
                }
            }
        }
        for (v, _) in by_region.values_mut() {
            v.sort_by(f64::total_cmp);
        }
    }
    Cdf {
        sorted_ms,
        expected: msgs.len() * n,
        duplicate_sorted_ms: Vec::new(),
        by_region,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Origin::*;
    use crate::trace::synthetic::{line, traces};

    /// Three nodes in a line 0 – 1 – 2; one tx from node 0 reaching 1 after 10 ms and 2 after
    /// 30 ms; one block from node 2 that never reaches node 0.
    fn sample() -> Vec<NodeTrace> {
        traces(vec![
            vec![line(Kind::Tx, 1, 1_000_000, Rpc)],
            vec![
                line(Kind::Tx, 1, 1_010_000, Gossip),
                line(Kind::Block, 2, 1_205_000, Gossip),
            ],
            vec![
                line(Kind::Tx, 1, 1_030_000, Gossip),
                line(Kind::Block, 2, 1_200_000, Producer),
            ],
        ])
    }

    #[test]
    fn end_to_end_on_a_synthetic_trace() {
        let t = sample();
        let regions = vec!["a".to_string(), "a".into(), "b".into()];
        let mut g = LatencyGraph::new(3);
        g.connect(0, 1, 5_000);
        g.connect(1, 2, 10_000);
        let a = analyze(Input {
            traces: &t,
            window: Window {
                start_us: 0,
                end_us: u64::MAX,
            },
            regions: Some(&regions),
            graph: Some(&g),
            canonical_blocks: None,
            transmission: None,
        });
        let tx = &a.kinds[&Kind::Tx];
        assert_eq!(tx.delivery.ratio, 1.0);
        let full = tx.reach[3].ms.as_ref().unwrap();
        assert_eq!(full.max, 30.0);
        let half = tx.reach[0].ms.as_ref().unwrap();
        assert_eq!(half.max, 10.0); // ⌈0.5·3⌉ = 2 nodes
        // Ratios: node 1: 10 / 5 = 2; node 2: 30 / 15 = 2.
        let pr = tx.path_ratio.as_ref().unwrap();
        assert_eq!(pr.ratio.as_ref().unwrap().max, 2.0);
        assert_eq!(pr.unreachable, 0);
        // From node 0 the farthest node (2) is 5 + 10 ms away.
        assert_eq!(tx.bound_all_ms.as_ref().unwrap().max, 15.0);

        let block = &a.kinds[&Kind::Block];
        assert_eq!(block.delivery.delivered, 2);
        assert_eq!(block.reach[3].unreached, 1);
        assert_eq!(block.incomplete[0].missing, vec![0]);
        // Region "a" (nodes 0, 1): the tx reached node 1 (node 0 is its origin); the block
        // reached node 1 but not node 0.
        let ra = &block.regions[0];
        assert_eq!((ra.region.as_str(), ra.nodes), ("a", 2));
        assert_eq!(ra.delivery_ratio, 0.5);

        assert_eq!(a.per_node[0].originated[&Kind::Tx], 1);
        assert_eq!(a.per_node[0].missing[&Kind::Block], 1);
        assert_eq!(a.per_node[2].ms[&Kind::Tx].as_ref().unwrap().p50, 30.0);
        let cdf = &a.cdf[&Kind::Tx];
        assert_eq!(cdf.sorted_ms, vec![0.0, 10.0, 30.0]);
        assert_eq!(cdf.expected, 3);
    }

    #[test]
    fn disconnected_graph_counts_unreachable() {
        let t = sample();
        let g = LatencyGraph::new(3);
        let a = analyze(Input {
            traces: &t,
            window: Window {
                start_us: 0,
                end_us: u64::MAX,
            },
            regions: None,
            graph: Some(&g),
            canonical_blocks: None,
            transmission: None,
        });
        let pr = a.kinds[&Kind::Tx].path_ratio.as_ref().unwrap();
        assert!(pr.ratio.is_none());
        assert_eq!(pr.unreachable, 2);
        assert!(a.kinds[&Kind::Tx].bound_all_ms.is_none());
        assert!(a.kinds[&Kind::Tx].regions.is_empty());
    }
}
