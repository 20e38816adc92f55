//! The bandwidth-aware shortest-path bound: with links capped at B bytes/s, a message of S
//! bytes costs every hop its latency plus S / B (a node forwards only a message it has
//! received whole, and each connection is capped on its own). The latency-only bound ignores
//! that second term, which dominates for big blocks on slow links (a 75 KB block at 5 Mbit/s
//! is ~120 ms a hop).
//!
//! S is the mean size of the kind's gossip messages over the run (gossipsub's own byte and
//! message counters, first copies), so for blocks it is the form actually sent (compact or
//! whole).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analysis::percentile::Summary;
use crate::trace::Kind;

/// What the bound needs beyond the latency graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transmission {
    /// The cap on each link, bytes per second per direction.
    pub bytes_per_sec: f64,
    /// Mean gossip message size per kind, bytes.
    pub mean_bytes: BTreeMap<Kind, f64>,
}

impl Transmission {
    /// Transmission time of one `kind` message on one link, µs (`None` without a size).
    pub fn hop_us(&self, kind: Kind) -> Option<u64> {
        let bytes = *self.mean_bytes.get(&kind)?;
        (self.bytes_per_sec > 0.0 && bytes.is_finite() && bytes >= 0.0)
            .then(|| (bytes / self.bytes_per_sec * 1e6).round() as u64)
    }
}

/// The kind's bound with transmission time, in the report beside the latency-only one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransmissionBound {
    pub message_bytes: f64,
    /// Transmission time per hop, ms.
    pub hop_ms: f64,
    /// Over messages: the bound (ms) on reaching every node from the message's origin.
    pub bound_all_ms: Option<Summary>,
    /// Delivery time ÷ this bound over (message, non-origin node) pairs.
    pub path_ratio: Option<PathRatio>,
}

/// Delivery time ÷ shortest-path latency through live connections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathRatio {
    pub ratio: Option<Summary>,
    /// Pairs whose node was not reachable from the origin in the final graph (excluded).
    pub unreachable: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_time_is_size_over_rate() {
        let t = Transmission {
            bytes_per_sec: 625_000.0, // 5 Mbit/s
            mean_bytes: BTreeMap::from([(Kind::Block, 75_000.0)]),
        };
        assert_eq!(t.hop_us(Kind::Block), Some(120_000));
        assert_eq!(t.hop_us(Kind::Tx), None);
        let none = Transmission {
            bytes_per_sec: 0.0,
            ..t
        };
        assert_eq!(none.hop_us(Kind::Block), None);
    }
}
