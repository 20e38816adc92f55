//! Block relay in the report: what blocks cost on the wire per node and, with compact blocks,
//! how each node turned them back into blocks (from its pool alone, after one blocktxn round
//! trip, from the whole block fetched by hash, or not at all). From each node's counters over
//! the measurement window: gossipsub's per-topic byte counters and the node's
//! `rumor_compact_blocks_total` / `rumor_compact_missing_txs_total`.

use serde::{Deserialize, Serialize};

use crate::metrics::NodeCounters;
use crate::metrics::counters::CompactCounts;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BlockRelay {
    /// Blocks produced in the window (from the traces).
    pub blocks: usize,
    /// Block-topic bytes received per node per block, every copy (mean over nodes).
    pub bytes_in_per_node_per_block: Option<f64>,
    /// Block-topic bytes sent per node per block (mean over nodes).
    pub bytes_out_per_node_per_block: Option<f64>,
    /// Compact-block outcomes summed over nodes (`None`: no node received a compact block).
    pub compact: Option<CompactCounts>,
    /// Of the compact blocks received, the share rebuilt without any round trip.
    pub no_round_trip_share: Option<f64>,
    /// Extra round trips per compact block received (a blocktxn request or a whole-block
    /// fetch each).
    pub round_trips_per_block: Option<f64>,
}

/// The section's figures from the nodes' counter deltas and the window's block count.
pub fn relay(deltas: &[Option<NodeCounters>], blocks: usize) -> BlockRelay {
    let mean = |f: fn(&NodeCounters) -> Option<f64>| {
        let v: Vec<f64> = deltas.iter().flatten().filter_map(f).collect();
        (!v.is_empty() && blocks > 0)
            .then(|| v.iter().sum::<f64>() / v.len() as f64 / blocks as f64)
    };
    let compact = deltas
        .iter()
        .flatten()
        .filter_map(|d| d.compact)
        .reduce(|a, b| CompactCounts {
            rebuilt: a.rebuilt + b.rebuilt,
            fetched: a.fetched + b.fetched,
            full_fetch: a.full_fetch + b.full_fetch,
            failed: a.failed + b.failed,
            bad: a.bad + b.bad,
            missing_txs: a.missing_txs + b.missing_txs,
        })
        // The counters exist on every node; only one that received a compact block counts.
        .filter(|c| c.rebuilt + c.fetched + c.full_fetch + c.failed + c.bad > 0.0);
    let received = compact.map(|c| c.rebuilt + c.fetched + c.full_fetch + c.failed + c.bad);
    let share = |x: f64| received.filter(|r| *r > 0.0).map(|r| x / r);
    BlockRelay {
        blocks,
        bytes_in_per_node_per_block: mean(|d| d.block_bytes_in()),
        bytes_out_per_node_per_block: mean(|d| d.block_bytes_out),
        compact,
        no_round_trip_share: compact.and_then(|c| share(c.rebuilt)),
        round_trips_per_block: compact.and_then(|c| share(c.fetched + c.full_fetch)),
    }
}

impl BlockRelay {
    /// The summary's line.
    pub fn line(&self) -> String {
        let kb = |b: Option<f64>| b.map_or("-".into(), |b| format!("{:.1} KB", b / 1000.0));
        let mut s = format!(
            "Blocks: {} in the window; block-topic bytes per node per block {} in, {} out",
            self.blocks,
            kb(self.bytes_in_per_node_per_block),
            kb(self.bytes_out_per_node_per_block),
        );
        match &self.compact {
            Some(c) => s.push_str(&format!(
                "; compact: {:.0} rebuilt from the pool, {:.0} after one round trip, {:.0} from \
                 the whole block, {:.0} failed, {:.0} wrong ({} without a round trip, {} txs \
                 fetched)",
                c.rebuilt,
                c.fetched,
                c.full_fetch,
                c.failed,
                c.bad,
                self.no_round_trip_share
                    .map_or("-".into(), |x| format!("{:.1}%", x * 100.0)),
                c.missing_txs,
            )),
            None => s.push_str("; whole blocks (no compact block received)"),
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(bytes_in: f64, compact: Option<CompactCounts>) -> Option<NodeCounters> {
        Some(NodeCounters {
            block: Some(crate::metrics::counters::RecvCounts {
                bytes_unfiltered: bytes_in,
                ..Default::default()
            }),
            block_bytes_out: Some(bytes_in / 2.0),
            compact,
            ..Default::default()
        })
    }

    #[test]
    fn per_block_bytes_and_round_trip_shares() {
        let c = |rebuilt, fetched| CompactCounts {
            rebuilt,
            fetched,
            missing_txs: fetched * 3.0,
            ..Default::default()
        };
        let r = relay(
            &[
                node(10_000.0, Some(c(9.0, 1.0))),
                node(30_000.0, Some(c(10.0, 0.0))),
                None,
            ],
            10,
        );
        assert_eq!(r.bytes_in_per_node_per_block, Some(2_000.0));
        assert_eq!(r.bytes_out_per_node_per_block, Some(1_000.0));
        assert_eq!(r.compact.unwrap().rebuilt, 19.0);
        assert_eq!(r.no_round_trip_share, Some(0.95));
        assert_eq!(r.round_trips_per_block, Some(0.05));
        assert!(
            r.line().contains("95.0% without a round trip"),
            "{}",
            r.line()
        );
        let full = relay(&[node(10_000.0, None), node(1.0, Some(c(0.0, 0.0)))], 5);
        assert!(full.compact.is_none() && full.line().contains("whole blocks"));
        assert_eq!(
            relay(&[node(1.0, None)], 0).bytes_in_per_node_per_block,
            None
        );
    }
}
