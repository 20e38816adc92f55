//! The counters the report uses, picked out of a scrape. Names are matched loosely (suffixes
//! and label spellings vary between prometheus-client versions), and anything missing stays
//! `None` so the report can say "not available" instead of inventing a zero.

use serde::{Deserialize, Serialize};

use rumor_api::metrics::external::libp2p;
use rumor_api::metrics::{labels, node, p2p};
use rumor_p2p::{Topic, TopicName};

use super::prom::Sample;

/// Per-topic gossipsub receive counts for one kind of message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RecvCounts {
    /// Every copy received, duplicates included.
    pub unfiltered: f64,
    /// Copies that passed gossipsub's duplicate filter (first receipts).
    pub filtered: f64,
    /// Bytes of every copy received (`gossipsub_topic_msg_recv_bytes_unfiltered`).
    #[serde(default)]
    pub bytes_unfiltered: f64,
    /// Bytes of first receipts (`gossipsub_topic_msg_recv_bytes`).
    #[serde(default)]
    pub bytes_filtered: f64,
}

impl RecvCounts {
    /// Mean size of a first receipt, bytes.
    pub fn mean_bytes(&self) -> Option<f64> {
        (self.filtered > 0.0).then(|| self.bytes_filtered / self.filtered)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeCounters {
    pub bytes_in: Option<f64>,
    pub bytes_out: Option<f64>,
    pub tx: Option<RecvCounts>,
    pub block: Option<RecvCounts>,
    pub trace_dropped: Option<f64>,
    /// Process CPU time (user + system, seconds) from `/proc/<pid>/stat`, not the metrics
    /// page: filled in by [`crate::collect`] so it is differenced like the other counters.
    /// For an in-process node, its meter's busy time ([`Self::busy_s`]) instead.
    #[serde(default)]
    pub cpu_s: Option<f64>,
    /// `rumor_busy_seconds_total`: the node's own CPU accounting, measured only when it shares
    /// a process with other nodes (`--in-process`).
    #[serde(default)]
    pub busy_s: Option<f64>,
    /// The deepest reorg since the node started (`rumor_deepest_reorg_blocks`, a gauge: not
    /// differenced).
    #[serde(default)]
    pub deepest_reorg: Option<f64>,
    /// Bytes of block-topic messages sent (`gossipsub_topic_msg_sent_bytes`); received ones
    /// are [`Self::block_bytes_in`].
    #[serde(default)]
    pub block_bytes_out: Option<f64>,
    /// Compact blocks received, by outcome (`rumor_compact_blocks_total`), and the txs the
    /// pool lacked (`rumor_compact_missing_txs_total`).
    #[serde(default)]
    pub compact: Option<CompactCounts>,
    /// The node's clock estimate and the early blocks it saw ([`super::clock`]).
    #[serde(default)]
    pub clock: Option<super::clock::ClockCounts>,
    /// Read/write-family system calls (`syscr` + `syscw` of `/proc/<pid>/io`, every thread:
    /// files, pipes, eventfds; the kernel does not count socket send/recv there):
    /// filled in by the collector like [`Self::cpu_s`]; `None` for in-process nodes.
    #[serde(default)]
    pub syscalls: Option<f64>,
    /// Gossipsub RPCs (frames) written to peers (`rumor_p2p_gossip_rpcs_sent`).
    #[serde(default)]
    pub frames_out: Option<f64>,
}

/// A node's compact-block outcomes (see the node's `rumor_compact_blocks_total`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CompactCounts {
    /// Rebuilt from the pool alone.
    pub rebuilt: f64,
    /// Rebuilt after one blocktxn round trip.
    pub fetched: f64,
    /// Rebuilt from the whole block fetched by hash (a collision, or no answer).
    pub full_fetch: f64,
    /// Not rebuilt (nobody answered) or wrong.
    pub failed: f64,
    pub bad: f64,
    pub missing_txs: f64,
}

impl CompactCounts {
    fn since(&self, b: &CompactCounts) -> CompactCounts {
        let d = |a: f64, b: f64| if a >= b { a - b } else { a };
        CompactCounts {
            rebuilt: d(self.rebuilt, b.rebuilt),
            fetched: d(self.fetched, b.fetched),
            full_fetch: d(self.full_fetch, b.full_fetch),
            failed: d(self.failed, b.failed),
            bad: d(self.bad, b.bad),
            missing_txs: d(self.missing_txs, b.missing_txs),
        }
    }
}

impl NodeCounters {
    /// Bytes of block-topic messages received, every copy
    /// (`gossipsub_topic_msg_recv_bytes_unfiltered`).
    pub fn block_bytes_in(&self) -> Option<f64> {
        self.block.map(|b| b.bytes_unfiltered)
    }

    pub fn from_samples(samples: &[Sample], network: &str) -> Self {
        let mut c = Self::default();
        for s in samples {
            if super::clock::take(s, &mut c.clock) {
                continue;
            }
            let name = s.name.as_str();
            if libp2p::BANDWIDTH_BYTES.is_sample(name) {
                let direction = s.label("direction");
                let slot = if direction
                    .is_some_and(|d| d.eq_ignore_ascii_case(labels::BANDWIDTH_INBOUND))
                {
                    &mut c.bytes_in
                } else if direction
                    .is_some_and(|d| d.eq_ignore_ascii_case(labels::BANDWIDTH_OUTBOUND))
                {
                    &mut c.bytes_out
                } else {
                    continue;
                };
                *slot = Some(slot.unwrap_or(0.0) + s.value);
            } else if let Some(pick) = recv_field(name) {
                let Some(kind) = topic_kind(s, network) else {
                    continue;
                };
                let slot = match kind {
                    Topic::Tx => &mut c.tx,
                    Topic::Block => &mut c.block,
                };
                *pick(slot.get_or_insert_with(RecvCounts::default)) += s.value;
            } else if libp2p::TOPIC_MSG_SENT_BYTES.is_sample(name)
                && topic_kind(s, network) == Some(Topic::Block)
            {
                c.block_bytes_out = Some(c.block_bytes_out.unwrap_or(0.0) + s.value);
            } else if node::COMPACT_BLOCKS.is_sample(name) {
                let counts = c.compact.get_or_insert_with(CompactCounts::default);
                let slot = match labels::COMPACT_RESULTS
                    .iter()
                    .position(|r| s.label("result") == Some(*r))
                {
                    Some(0) => &mut counts.rebuilt,
                    Some(1) => &mut counts.fetched,
                    Some(2) => &mut counts.full_fetch,
                    Some(3) => &mut counts.failed,
                    Some(4) => &mut counts.bad,
                    _ => continue,
                };
                *slot += s.value;
            } else if node::COMPACT_MISSING_TXS.is_sample(name) {
                c.compact
                    .get_or_insert_with(CompactCounts::default)
                    .missing_txs += s.value;
            } else if p2p::GOSSIP_RPCS_SENT.is_sample(name) {
                c.frames_out = Some(c.frames_out.unwrap_or(0.0) + s.value);
            } else if node::BUSY_SECONDS.is_sample(name) {
                c.busy_s = Some(s.value);
            } else if node::DEEPEST_REORG.is_sample(name) {
                c.deepest_reorg = Some(s.value);
            } else if node::TRACE_DROPPED.is_sample(name) {
                c.trace_dropped = Some(c.trace_dropped.unwrap_or(0.0) + s.value);
            }
        }
        c
    }

    /// `self − earlier`, per counter (a counter that went backwards means a restart; the
    /// later value alone is then the best estimate).
    pub fn since(&self, earlier: &NodeCounters) -> NodeCounters {
        let d = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if a >= b => Some(a - b),
            (a, _) => a,
        };
        let r = |a: Option<RecvCounts>, b: Option<RecvCounts>| {
            a.map(|a| {
                let b = b.unwrap_or_default();
                let f = |x: f64, y: f64| d(Some(x), Some(y)).unwrap_or(0.0);
                RecvCounts {
                    unfiltered: f(a.unfiltered, b.unfiltered),
                    filtered: f(a.filtered, b.filtered),
                    bytes_unfiltered: f(a.bytes_unfiltered, b.bytes_unfiltered),
                    bytes_filtered: f(a.bytes_filtered, b.bytes_filtered),
                }
            })
        };
        NodeCounters {
            bytes_in: d(self.bytes_in, earlier.bytes_in),
            bytes_out: d(self.bytes_out, earlier.bytes_out),
            tx: r(self.tx, earlier.tx),
            block: r(self.block, earlier.block),
            trace_dropped: d(self.trace_dropped, earlier.trace_dropped),
            cpu_s: d(self.cpu_s, earlier.cpu_s),
            busy_s: d(self.busy_s, earlier.busy_s),
            deepest_reorg: self.deepest_reorg,
            block_bytes_out: d(self.block_bytes_out, earlier.block_bytes_out),
            compact: self
                .compact
                .map(|a| a.since(&earlier.compact.unwrap_or_default())),
            clock: self.clock,
            syscalls: d(self.syscalls, earlier.syscalls),
            frames_out: d(self.frames_out, earlier.frames_out),
        }
    }
}

/// Which [`RecvCounts`] field a gossipsub per-topic receive sample adds to, if it is one.
fn recv_field(name: &str) -> Option<fn(&mut RecvCounts) -> &mut f64> {
    if libp2p::TOPIC_MSG_RECV_COUNTS_UNFILTERED.is_sample(name) {
        Some(|c| &mut c.unfiltered)
    } else if libp2p::TOPIC_MSG_RECV_COUNTS.is_sample(name) {
        Some(|c| &mut c.filtered)
    } else if libp2p::TOPIC_MSG_RECV_BYTES_UNFILTERED.is_sample(name) {
        Some(|c| &mut c.bytes_unfiltered)
    } else if libp2p::TOPIC_MSG_RECV_BYTES.is_sample(name) {
        Some(|c| &mut c.bytes_filtered)
    } else {
        None
    }
}

/// The topic of a gossipsub per-topic sample of this network: its topic label is the topic
/// string itself, parsed by the code that builds it ([`TopicName`]).
fn topic_kind(s: &Sample, network: &str) -> Option<Topic> {
    s.label(labels::GOSSIPSUB_TOPIC)
        .and_then(|v| v.parse::<TopicName>().ok())
        .filter(|t| t.network == network)
        .map(|t| t.topic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::prom::parse;

    const TEXT: &str = r#"
libp2p_bandwidth_bytes_total{protocols="/ip4/tcp",direction="Inbound"} 1000
libp2p_bandwidth_bytes_total{protocols="/ip4/tcp",direction="Outbound"} 400
libp2p_bandwidth_bytes_total{protocols="/ip6/tcp",direction="Inbound"} 24
gossipsub_topic_msg_recv_counts_unfiltered_total{hash="/rumor/abcd0123/tx/1"} 30
gossipsub_topic_msg_recv_counts_total{hash="/rumor/abcd0123/tx/1"} 10
gossipsub_topic_msg_recv_counts_unfiltered_total{hash="/rumor/abcd0123/block/2"} 9
gossipsub_topic_msg_recv_counts_total{hash="/rumor/abcd0123/block/2"} 3
gossipsub_topic_msg_recv_counts_total{hash="/rumor/ffff0000/block/1"} 99
rumor_trace_dropped_total 2
rumor_busy_seconds_total 1.5
gossipsub_topic_msg_recv_bytes_unfiltered_total{hash="/rumor/abcd0123/block/2"} 5000
gossipsub_topic_msg_recv_bytes_total{hash="/rumor/abcd0123/block/2"} 2000
gossipsub_topic_msg_sent_bytes_total{hash="/rumor/abcd0123/block/2"} 7000
gossipsub_topic_msg_sent_bytes_total{hash="/rumor/abcd0123/tx/1"} 100
rumor_compact_blocks_total{result="rebuilt"} 8
rumor_compact_blocks_total{result="fetched"} 1
rumor_compact_missing_txs_total 3
"#;

    #[test]
    fn extracts_and_diffs() {
        let c = NodeCounters::from_samples(&parse(TEXT), "abcd0123");
        assert_eq!(c.bytes_in, Some(1024.0));
        assert_eq!(c.bytes_out, Some(400.0));
        assert_eq!(
            c.tx,
            Some(RecvCounts {
                unfiltered: 30.0,
                filtered: 10.0,
                ..Default::default()
            })
        );
        assert_eq!(
            c.block,
            Some(RecvCounts {
                unfiltered: 9.0,
                filtered: 3.0,
                bytes_unfiltered: 5000.0,
                bytes_filtered: 2000.0,
            })
        );
        assert_eq!(c.block.unwrap().mean_bytes(), Some(2000.0 / 3.0));
        assert_eq!(c.trace_dropped, Some(2.0));
        assert_eq!(c.busy_s, Some(1.5));
        assert_eq!(
            (c.block_bytes_in(), c.block_bytes_out),
            (Some(5000.0), Some(7000.0))
        );
        assert_eq!(
            c.compact,
            Some(CompactCounts {
                rebuilt: 8.0,
                fetched: 1.0,
                missing_txs: 3.0,
                ..Default::default()
            })
        );
        let earlier = NodeCounters {
            bytes_in: Some(24.0),
            tx: Some(RecvCounts {
                unfiltered: 10.0,
                filtered: 5.0,
                ..Default::default()
            }),
            ..Default::default()
        };
        let d = c.since(&earlier);
        assert_eq!(d.bytes_in, Some(1000.0));
        assert_eq!(
            d.tx,
            Some(RecvCounts {
                unfiltered: 20.0,
                filtered: 5.0,
                ..Default::default()
            })
        );
        assert_eq!(d.block, c.block);
        let none = NodeCounters::from_samples(&parse("up 1\n"), "abcd0123");
        assert_eq!(none, NodeCounters::default());
    }
}
