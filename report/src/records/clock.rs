//! Each node's clock offset to the tool's, estimated NTP-style from `(t0, node, t3)` round
//! trips (the harness samples them over RPC: `rumor_testnet::clock`), and the correction of
//! trace times by it. Of the samples, the one with the shortest round trip is kept (its bound
//! is the tightest; queueing only ever lengthens a round trip).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One node's clock against the tool's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClockOffset {
    /// Node clock − tool clock, µs (positive: the node is ahead).
    pub offset_us: i64,
    /// The true offset is within `offset_us ± error_us` (half the best round trip).
    pub error_us: u64,
    /// Round trips that answered.
    pub samples: usize,
}

/// The estimate from `(t0, node, t3)` samples (tool µs before, node µs, tool µs after).
pub fn estimate(samples: &[(u64, u64, u64)]) -> Option<ClockOffset> {
    let &(t0, t, t3) = samples
        .iter()
        .min_by_key(|(t0, _, t3)| t3.saturating_sub(*t0))?;
    let mid = (t0 as i128 + t3 as i128) / 2;
    Some(ClockOffset {
        offset_us: (t as i128 - mid) as i64,
        error_us: t3.saturating_sub(t0).div_ceil(2),
        samples: samples.len(),
    })
}

/// Shifts trace times onto the tool's clock.
pub fn correct(t_us: u64, offset: Option<&ClockOffset>) -> u64 {
    match offset {
        Some(o) => (t_us as i64 - o.offset_us).max(0) as u64,
        None => t_us,
    }
}

/// Every node's clock offset, keyed by node index.
pub type Clocks = BTreeMap<usize, ClockOffset>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shortest_round_trip_bounds_the_offset() {
        // The node runs 2 s ahead; round trips of 900, 100 and 3 000 µs.
        let ahead = 2_000_000;
        let samples = [
            (1_000, 1_000 + 700 + ahead, 1_900),
            (5_000, 5_040 + ahead, 5_100),
            (9_000, 9_100 + ahead, 12_000),
        ];
        let o = estimate(&samples).unwrap();
        assert_eq!(o.error_us, 50);
        assert!((o.offset_us - ahead as i64).unsigned_abs() <= o.error_us);
        assert_eq!(o.samples, 3);
        assert_eq!(correct(7_000_000, Some(&o)), 7_000_000 - o.offset_us as u64);
        assert!(estimate(&[]).is_none());
    }
}
