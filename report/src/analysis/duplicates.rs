//! Duplicate receptions, from gossipsub's own counters: every copy received (unfiltered)
//! minus the copies that passed its duplicate filter (first receipts), summed over nodes and
//! spread over messages × nodes — the contract's "(unfiltered − filtered) / messages" per node.

use serde::{Deserialize, Serialize};

use crate::metrics::counters::RecvCounts;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Duplicates {
    /// Nodes whose counters were available.
    pub nodes_counted: usize,
    pub duplicates: f64,
    pub first_receipts: f64,
    /// duplicates / (messages × nodes_counted).
    pub per_message_per_node: Option<f64>,
}

/// `deltas`: each node's counter change over the measurement window (`None` if unavailable).
pub fn duplicates(deltas: &[Option<RecvCounts>], messages: usize) -> Duplicates {
    let counted: Vec<&RecvCounts> = deltas.iter().flatten().collect();
    let duplicates: f64 = counted
        .iter()
        .map(|c| (c.unfiltered - c.filtered).max(0.0))
        .sum();
    let first_receipts = counted.iter().map(|c| c.filtered).sum();
    let denom = messages * counted.len();
    Duplicates {
        nodes_counted: counted.len(),
        duplicates,
        first_receipts,
        per_message_per_node: (denom > 0).then(|| duplicates / denom as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer() {
        let c = |u: f64, f: f64| {
            Some(RecvCounts {
                unfiltered: u,
                filtered: f,
                ..Default::default()
            })
        };
        // 4 messages, 3 nodes counted (one missing): (8-4)+(6-4)+(4-4) = 6 duplicates.
        let d = duplicates(&[c(8.0, 4.0), c(6.0, 4.0), c(4.0, 4.0), None], 4);
        assert_eq!(d.nodes_counted, 3);
        assert_eq!(d.duplicates, 6.0);
        assert_eq!(d.first_receipts, 12.0);
        assert_eq!(d.per_message_per_node, Some(0.5));
        assert_eq!(duplicates(&[None], 4).per_message_per_node, None);
        assert_eq!(duplicates(&[c(1.0, 1.0)], 0).per_message_per_node, None);
    }
}
