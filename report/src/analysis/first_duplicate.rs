//! Time to first duplicate: when each node received its second copy of a message (its
//! `duplicate` trace line, timed at receipt inside gossipsub's id function), measured from the
//! message's origin like every other delay, and from the node's own first sight.
//!
//! What it shows: redundancy that arrives right after the first copy is redundancy IDONTWANT
//! cannot suppress (the sender had already queued it); redundancy that arrives late is a mesh
//! that keeps forwarding after everyone has the message.
//!
//! A node's first sight is written after the message was decoded (and for blocks, checked),
//! its first duplicate at receipt: a duplicate can precede the first-sight line. Those pairs
//! count 0 ms after the first sight and are counted in `before_first_sight`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Message;
use super::percentile::{Summary, summarize};
use super::reach::us_to_ms;
use crate::trace::{Kind, NodeTrace};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirstDuplicate {
    /// (message, node) pairs where the node holds the message (the origin included).
    pub pairs: usize,
    /// Of those, pairs where the node also received a duplicate.
    pub with_duplicate: usize,
    /// Delay (ms) from the message's origin to the node's first duplicate.
    pub since_origin_ms: Option<Summary>,
    /// Delay (ms) from the node's first sight to its first duplicate (clamped at 0).
    pub after_first_ms: Option<Summary>,
    /// Duplicates stamped before the node's first-sight line (see the module note).
    pub before_first_sight: usize,
}

/// Per kind: the figures, and every since-origin delay in ms (ascending) for the CDF.
pub fn first_duplicates(
    msgs: &[&Message],
    traces: &[NodeTrace],
    kind: Kind,
) -> Option<(FirstDuplicate, Vec<f64>)> {
    if traces.iter().all(|t| t.duplicates.is_empty()) {
        // Nodes that do not write duplicates (e.g. the bare-gossipsub floor): no figure.
        return None;
    }
    let by_id: HashMap<&str, &Message> = msgs.iter().map(|m| (m.id.as_str(), *m)).collect();
    let (mut since, mut after, mut before) = (Vec::new(), Vec::new(), 0);
    for (node, t) in traces.iter().enumerate() {
        for d in t.duplicates.iter().filter(|d| d.kind == kind) {
            let Some(m) = by_id.get(d.id.as_str()) else {
                continue; // outside the window, or off the final chain
            };
            let Some(first) = m.delays_us.get(node).copied().flatten() else {
                continue; // a duplicate without a first sight: nothing to measure from
            };
            let delay = d.t_us.saturating_sub(m.origin_t_us);
            since.push(us_to_ms(delay));
            if delay < first {
                before += 1;
            }
            after.push(us_to_ms(delay.saturating_sub(first)));
        }
    }
    let with_duplicate = since.len();
    since.sort_by(f64::total_cmp);
    let fd = FirstDuplicate {
        pairs: msgs.iter().map(|m| m.reached()).sum(),
        with_duplicate,
        since_origin_ms: summarize(since.clone()),
        after_first_ms: summarize(after),
        before_first_sight: before,
    };
    Some((fd, since))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Origin;
    use crate::trace::synthetic::line;

    fn msg(id: u8, origin_t_us: u64, delays_us: Vec<Option<u64>>) -> Message {
        Message {
            kind: Kind::Tx,
            id: hex::encode([id; 32]),
            origin: 0,
            origin_t_us,
            delays_us,
        }
    }

    #[test]
    fn known_answers() {
        let m = msg(1, 1_000_000, vec![Some(0), Some(10_000), None]);
        let dup = |id, t| line(Kind::Tx, id, t, Origin::Duplicate);
        let traces = vec![
            // The origin got a copy back 30 ms after publishing.
            NodeTrace {
                duplicates: vec![dup(1, 1_030_000)],
                ..Default::default()
            },
            // Node 1: first sight at 10 ms, duplicate at 8 ms (before its first-sight line),
            // and a duplicate of a message outside the analysis (ignored).
            NodeTrace {
                duplicates: vec![dup(1, 1_008_000), dup(9, 5)],
                ..Default::default()
            },
            // Node 2 never had the message: its duplicate has nothing to measure from.
            NodeTrace {
                duplicates: vec![dup(1, 1_050_000)],
                ..Default::default()
            },
        ];
        let (fd, cdf) = first_duplicates(&[&m], &traces, Kind::Tx).unwrap();
        assert_eq!(
            (fd.pairs, fd.with_duplicate, fd.before_first_sight),
            (2, 2, 1)
        );
        assert_eq!(cdf, vec![8.0, 30.0]);
        let after = fd.after_first_ms.unwrap();
        assert_eq!((after.p50, after.max), (0.0, 30.0));
        assert!(
            first_duplicates(&[&m], &traces, Kind::Block)
                .unwrap()
                .0
                .since_origin_ms
                .is_none()
        );
        // No duplicate lines anywhere: no figure at all.
        assert!(first_duplicates(&[&m], &[NodeTrace::default()], Kind::Tx).is_none());
    }
}
