//! Bytes a node received, split by what they were for:
//! - **payload**: first copies of gossip messages (`gossipsub_topic_msg_recv_bytes`, both
//!   topics) — what the node needed;
//! - **duplicates**: further copies of the same messages (unfiltered − filtered bytes);
//! - **control and other**: everything else on its connections (`libp2p_bandwidth_bytes_total`
//!   inbound, which counts every substream's bytes, minus all gossip message copies):
//!   gossipsub control (IHAVE, IWANT, GRAFT, PRUNE, IDONTWANT) and framing, identify, status,
//!   block sync, txsync, blocktxn and peer exchange.
//!
//! All three come from the node's own counters over the measurement interval.

use serde::{Deserialize, Serialize};

use crate::metrics::NodeCounters;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ByteSplit {
    pub payload: f64,
    pub duplicates: f64,
    pub control_other: f64,
}

impl ByteSplit {
    /// The split of `c`'s received bytes; `None` without the transport or gossip counters.
    pub fn of(c: &NodeCounters) -> Option<Self> {
        let total = c.bytes_in?;
        let kinds: Vec<_> = [c.tx, c.block].into_iter().flatten().collect();
        if kinds.is_empty() {
            return None;
        }
        let payload: f64 = kinds.iter().map(|k| k.bytes_filtered).sum();
        let every_copy: f64 = kinds.iter().map(|k| k.bytes_unfiltered).sum();
        Some(Self {
            payload,
            duplicates: (every_copy - payload).max(0.0),
            control_other: (total - every_copy).max(0.0),
        })
    }

    pub fn total(&self) -> f64 {
        self.payload + self.duplicates + self.control_other
    }

    pub fn scaled(self, by: f64) -> Self {
        Self {
            payload: self.payload * by,
            duplicates: self.duplicates * by,
            control_other: self.control_other * by,
        }
    }

    /// The mean over the splits given (`None` if there are none).
    pub fn mean<'a>(splits: impl Iterator<Item = &'a ByteSplit>) -> Option<Self> {
        let (mut sum, mut n) = (Self::default(), 0usize);
        for s in splits {
            sum.payload += s.payload;
            sum.duplicates += s.duplicates;
            sum.control_other += s.control_other;
            n += 1;
        }
        (n > 0).then(|| sum.scaled(1.0 / n as f64))
    }

    /// "payload 1.2 KB/s (40%), duplicates …" for the summary.
    pub fn line(&self) -> String {
        let total = self.total();
        let pct = |x: f64| if total > 0.0 { 100.0 * x / total } else { 0.0 };
        format!(
            "payload {} ({:.0}%), duplicates {} ({:.0}%), control and other {} ({:.0}%)",
            rate(self.payload),
            pct(self.payload),
            rate(self.duplicates),
            pct(self.duplicates),
            rate(self.control_other),
            pct(self.control_other),
        )
    }
}

fn rate(b: f64) -> String {
    format!("{}/s", crate::render::text::bytes(Some(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::counters::RecvCounts;

    #[test]
    fn splits_known_counters() {
        let c = NodeCounters {
            bytes_in: Some(10_000.0),
            tx: Some(RecvCounts {
                bytes_unfiltered: 3_000.0,
                bytes_filtered: 1_000.0,
                ..Default::default()
            }),
            block: Some(RecvCounts {
                bytes_unfiltered: 5_000.0,
                bytes_filtered: 4_000.0,
                ..Default::default()
            }),
            ..Default::default()
        };
        let s = ByteSplit::of(&c).unwrap();
        assert_eq!(
            s,
            ByteSplit {
                payload: 5_000.0,
                duplicates: 3_000.0,
                control_other: 2_000.0
            }
        );
        assert_eq!(s.total(), 10_000.0);
        let m = ByteSplit::mean([s, s.scaled(3.0)].iter()).unwrap();
        assert_eq!(m.payload, 10_000.0);
        assert!(ByteSplit::mean(std::iter::empty()).is_none());
        assert!(ByteSplit::of(&NodeCounters::default()).is_none());
        assert!(s.line().starts_with("payload "));
    }
}
