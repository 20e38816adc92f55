//! Joins the per-node traces into one record per message: its origin node and time, and when
//! every other node first saw it.
//!
//! The origin is the node whose line says `rpc` (tx) or `producer` (block). Time to reach node X
//! is `X.t_us − origin.t_us`; all nodes stamp with the same host clock, so no offset is needed.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::trace::{Kind, NodeTrace};

/// Messages count if their origin time falls inside `[start_us, end_us]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start_us: u64,
    pub end_us: u64,
}

impl Window {
    pub fn contains(&self, t_us: u64) -> bool {
        (self.start_us..=self.end_us).contains(&t_us)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub kind: Kind,
    pub id: String,
    pub origin: usize,
    pub origin_t_us: u64,
    /// Delay (µs after origin) at which each node first saw it; the origin's is 0.
    pub delays_us: Vec<Option<u64>>,
}

impl Message {
    pub fn reached(&self) -> usize {
        self.delays_us.iter().filter(|d| d.is_some()).count()
    }

    /// Delays of the nodes reached, ascending.
    pub fn sorted_delays(&self) -> Vec<u64> {
        let mut d: Vec<u64> = self.delays_us.iter().flatten().copied().collect();
        d.sort_unstable();
        d
    }
}

/// Things in the traces that don't fit the model; reported, never fatal.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Anomalies {
    /// Ids seen (first sight inside the window) with no origin line at any node: the origin's
    /// line was dropped, or the message was not ours. Excluded from latency figures.
    pub no_origin: BTreeMap<Kind, usize>,
    /// Ids with an origin line at more than one node (the earliest is used).
    pub multiple_origins: usize,
    /// Arrivals stamped before their origin (clamped to 0; should never happen on one clock).
    pub before_origin: usize,
    /// Messages whose origin time fell outside the window (excluded).
    pub outside_window: BTreeMap<Kind, usize>,
    /// Blocks (in the window) that are not on the final canonical chain, e.g. the losing
    /// branch of a partition: excluded from block delivery, since the winning side is never
    /// meant to fetch them. Counted only when the final chain was read (`run`).
    #[serde(default)]
    pub off_chain_blocks: usize,
}

pub fn collect(traces: &[NodeTrace], window: Window) -> (Vec<Message>, Anomalies) {
    let n = traces.len();
    // id -> (kind, per-node first sight, origin candidates)
    struct Acc {
        kind: Kind,
        seen: Vec<Option<u64>>,
        origins: Vec<(u64, usize)>,
    }
    let mut by_id: HashMap<&str, Acc> = HashMap::new();
    for (node, trace) in traces.iter().enumerate() {
        for line in &trace.lines {
            let acc = by_id.entry(line.id.as_str()).or_insert_with(|| Acc {
                kind: line.kind,
                seen: vec![None; n],
                origins: Vec::new(),
            });
            let slot = &mut acc.seen[node];
            // "First sight" per node: if a node logged an id twice, keep the earlier line.
            *slot = Some(slot.map_or(line.t_us, |t| t.min(line.t_us)));
            if line.is_origin() {
                acc.origins.push((line.t_us, node));
            }
        }
    }
    let mut anomalies = Anomalies::default();
    let mut messages = Vec::new();
    for (id, acc) in by_id {
        let Some(&(origin_t, origin)) = acc.origins.iter().min() else {
            let first = acc.seen.iter().flatten().min().copied().unwrap_or(0);
            if window.contains(first) {
                *anomalies.no_origin.entry(acc.kind).or_default() += 1;
            }
            continue;
        };
        if acc.origins.len() > 1 {
            anomalies.multiple_origins += 1;
        }
        if !window.contains(origin_t) {
            *anomalies.outside_window.entry(acc.kind).or_default() += 1;
            continue;
        }
        let delays_us = acc
            .seen
            .iter()
            .enumerate()
            .map(|(node, t)| {
                let t = (*t)?;
                if node == origin {
                    return Some(0);
                }
                if t < origin_t {
                    anomalies.before_origin += 1;
                }
                Some(t.saturating_sub(origin_t))
            })
            .collect();
        messages.push(Message {
            kind: acc.kind,
            id: id.to_string(),
            origin,
            origin_t_us: origin_t,
            delays_us,
        });
    }
    // Deterministic order for the report and tests.
    messages.sort_by(|a, b| (a.origin_t_us, &a.id).cmp(&(b.origin_t_us, &b.id)));
    (messages, anomalies)
}

/// Distinct messages of `kind` whose origin line falls inside `window` (used to spread
/// counter deltas, which cover a slightly different interval than the latency window).
pub fn count_origins(traces: &[NodeTrace], kind: Kind, window: Window) -> usize {
    let mut ids: Vec<&str> = traces
        .iter()
        .flat_map(|t| &t.lines)
        .filter(|l| l.kind == kind && l.is_origin() && window.contains(l.t_us))
        .map(|l| l.id.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Origin;
    use crate::trace::synthetic::{line, traces};

    #[test]
    fn joins_traces_and_applies_the_window() {
        use Origin::*;
        let t = traces(vec![
            vec![
                line(Kind::Tx, 1, 1_000, Rpc),
                line(Kind::Block, 2, 50, Gossip),
            ],
            vec![
                line(Kind::Tx, 1, 1_700, Gossip),
                line(Kind::Block, 2, 10, Producer),
            ],
            vec![
                line(Kind::Tx, 1, 900, Gossip),
                line(Kind::Tx, 3, 1_500, Gossip),
            ],
        ]);
        let (msgs, an) = collect(
            &t,
            Window {
                start_us: 100,
                end_us: 10_000,
            },
        );
        assert_eq!(msgs.len(), 1);
        let m = &msgs[0];
        assert_eq!((m.kind, m.origin, m.origin_t_us), (Kind::Tx, 0, 1_000));
        assert_eq!(m.delays_us, vec![Some(0), Some(700), Some(0)]);
        assert_eq!(an.before_origin, 1);
        assert_eq!(an.no_origin.get(&Kind::Tx), Some(&1));
        assert_eq!(an.outside_window.get(&Kind::Block), Some(&1));
    }
}
