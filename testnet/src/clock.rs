//! Each node's clock offset to this tool's, estimated over RPC the way NTP does: the tool
//! notes its clock before (`t0`) and after (`t3`) a `trace_clock` call whose answer is the
//! node's clock `t`; if the node read its clock anywhere within the round trip, its offset is
//! `t − (t0 + t3)/2` within ± (t3 − t0)/2. Of [`SAMPLES`] calls the one with the shortest round
//! trip is kept (its bound is the tightest; queueing only ever lengthens a round trip).
//!
//! Trace times are corrected by subtracting the offset; the report prints each offset with
//! its bound, and any latency smaller than the largest bound is not measurable.

use std::time::Duration;

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::rpc::Rpc;
use crate::timefmt::now_us;

/// Round trips per node (a few ms in all on a LAN).
pub const SAMPLES: usize = 8;
/// Nodes sampled at once (each node's samples run one after another, never overlapping).
pub const CONCURRENT: usize = 16;
/// The file in the testnet directory.
pub const FILE: &str = "clocks.json";

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

/// Samples one node.
pub async fn measure(rpc: &Rpc) -> Result<ClockOffset> {
    let mut samples = Vec::with_capacity(SAMPLES);
    let mut last_err = None;
    for _ in 0..SAMPLES {
        let t0 = now_us();
        match rpc.trace_clock().await {
            Ok(r) => samples.push((t0, r.t_us, now_us())),
            Err(e) => last_err = Some(e),
        }
    }
    match (estimate(&samples), last_err) {
        (Some(o), _) => Ok(o),
        (None, Some(e)) => Err(e),
        (None, None) => unreachable!("SAMPLES > 0"),
    }
}

/// Every node's offset (`None` where the node did not answer).
pub async fn measure_all(rpcs: &[Rpc]) -> Vec<Option<ClockOffset>> {
    futures::stream::iter(rpcs)
        .map(|rpc| async move {
            // One warm-up call opens the connection, so no sample pays for the handshake.
            let _ = tokio::time::timeout(Duration::from_secs(5), rpc.trace_clock()).await;
            measure(rpc).await.ok()
        })
        .buffered(CONCURRENT)
        .collect()
        .await
}

/// Shifts trace times onto the tool's clock.
pub fn correct(t_us: u64, offset: Option<&ClockOffset>) -> u64 {
    match offset {
        Some(o) => (t_us as i64 - o.offset_us).max(0) as u64,
        None => t_us,
    }
}

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
