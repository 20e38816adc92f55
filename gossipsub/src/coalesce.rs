// Rumor's addition to libp2p-gossipsub (see CHANGES.md); MIT like the rest of this crate.

//! Coalesced frames: everything queued for one peer when its connection is polled leaves as
//! one RPC, in one length-prefixed frame, instead of one RPC per message.
//!
//! Upstream's handler pops one `RpcOut`, encodes it as its own RPC, writes and flushes it; at
//! Rumor's message sizes (160-byte txs) the per-frame work (protobuf framing, a yamux frame,
//! a Noise seal, a write syscall, wake-ups) costs more than the message. A gossipsub RPC
//! already carries repeated subscriptions, messages and control entries, so a batch is
//! ordinary protocol: a stock peer decodes it as any RPC (go-libp2p batches the same way).
//!
//! Invariants:
//! - No hold: a batch is whatever is already queued when the connection is polled; a lone
//!   message leaves at once, as upstream.
//! - A batch never breaks a receiver's limits, taken from this node's own protocol config,
//!   which must match the network's (stock defaults: 64 KiB per RPC, 500 messages per RPC,
//!   16 KiB of subscriptions + control per RPC, counted as `validate_rpc_limits` counts them;
//!   a stock peer that sees more resets the stream).
//! - Parts carrying a singleton field (the extensions control, a partial message, a choke) or nothing
//!   at all (the test extension) are never merged: they leave alone, in queue order.

use std::sync::atomic::{AtomicU64, Ordering};

use prost::Message as _;

use crate::rpc_proto::proto;

/// The receiver's limits a batch must stay within.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Bytes of one encoded RPC (without its length prefix).
    pub(crate) max_rpc_bytes: usize,
    /// Messages (`publish` entries) in one RPC.
    pub(crate) max_messages: usize,
    /// Encoded bytes of the `subscriptions` and `control` fields together.
    pub(crate) max_control_bytes: usize,
}

impl Limits {
    /// Stock gossipsub's receive limits as this node is configured: the whole frame, length
    /// prefix included, within the transmit size; the publish and control caps as they are.
    pub(crate) fn from_config(c: &crate::protocol::ProtocolConfig) -> Self {
        let max = c.default_max_transmit_size;
        Self {
            max_rpc_bytes: max.saturating_sub(prost::length_delimiter_len(max)),
            max_messages: c.max_publish_messages,
            max_control_bytes: c.max_control_message_size,
        }
    }
}

/// RPCs sent and parts carried, shared by a behaviour and its connections' handlers.
#[derive(Debug, Default)]
pub(crate) struct FrameStats {
    rpcs: AtomicU64,
    parts: AtomicU64,
}

impl FrameStats {
    pub(crate) fn sent(&self, parts: usize) {
        self.rpcs.fetch_add(1, Ordering::Relaxed);
        self.parts.fetch_add(parts as u64, Ordering::Relaxed);
    }

    pub(crate) fn counts(&self) -> FrameCounts {
        FrameCounts {
            rpcs: self.rpcs.load(Ordering::Relaxed),
            parts: self.parts.load(Ordering::Relaxed),
        }
    }
}

/// Totals since the behaviour was built: `parts / rpcs` is the mean coalescing factor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameCounts {
    /// RPCs handed to an outbound stream, each one length-prefixed frame (counted at the
    /// hand-over: a write that then fails still counts).
    pub rpcs: u64,
    /// Queued parts (messages, control entries, subscriptions) those RPCs carried.
    pub parts: u64,
}

/// An RPC being built from queued parts.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    rpc: proto::Rpc,
    /// Parts merged so far.
    parts: usize,
    /// Upper bound of the merged RPC's encoded size (sum of the parts' sizes).
    bytes: usize,
    /// Upper bound of the subscriptions + control bytes, as the receiver counts them.
    control_bytes: usize,
}

/// What [`Batch::offer`] did with a part.
#[derive(Debug)]
pub(crate) enum Offer {
    /// Merged; offer the next part.
    Taken,
    /// Does not fit (or must go alone): send the batch, then this part starts the next one.
    Full(Box<proto::Rpc>),
}

impl Batch {
    pub(crate) fn is_empty(&self) -> bool {
        self.parts == 0
    }

    /// Number of parts merged.
    pub(crate) fn parts(&self) -> usize {
        self.parts
    }

    /// Adds `part` if the merged RPC stays within `limits`. An empty batch takes any part
    /// (a part over the limits is the sender's affair, as upstream).
    pub(crate) fn offer(&mut self, part: proto::Rpc, limits: &Limits) -> Offer {
        let bytes = part.encoded_len();
        let control_bytes = control_len(&part);
        if self.parts == 0 {
            self.rpc = part;
            self.parts = 1;
            self.bytes = bytes;
            self.control_bytes = control_bytes;
            return Offer::Taken;
        }
        let fits = mergeable(&self.rpc)
            && mergeable(&part)
            && self.bytes + bytes <= limits.max_rpc_bytes
            && self.rpc.publish.len() + part.publish.len() <= limits.max_messages
            && self.control_bytes + control_bytes <= limits.max_control_bytes;
        if !fits {
            return Offer::Full(Box::new(part));
        }
        merge(&mut self.rpc, part);
        self.parts += 1;
        self.bytes += bytes;
        self.control_bytes += control_bytes;
        Offer::Taken
    }

    /// The merged RPC; the batch is empty afterwards.
    pub(crate) fn take(&mut self) -> proto::Rpc {
        std::mem::take(self).rpc
    }
}

/// Whether a part may share an RPC with others: no singleton field, and not empty.
fn mergeable(rpc: &proto::Rpc) -> bool {
    rpc.partial.is_none()
        && rpc.choke.is_none()
        && rpc.control.as_ref().is_none_or(|c| c.extensions.is_none())
        && (!rpc.publish.is_empty() || !rpc.subscriptions.is_empty() || rpc.control.is_some())
}

fn merge(into: &mut proto::Rpc, part: proto::Rpc) {
    into.subscriptions.extend(part.subscriptions);
    into.publish.extend(part.publish);
    if let Some(c) = part.control {
        let to = into.control.get_or_insert_with(Default::default);
        to.ihave.extend(c.ihave);
        to.iwant.extend(c.iwant);
        to.graft.extend(c.graft);
        to.prune.extend(c.prune);
        to.idontwant.extend(c.idontwant);
    }
}

/// Encoded bytes of the fields the receiver counts against its control limit: each
/// subscription (field 1) and the control message (field 3), with their keys and lengths.
fn control_len(rpc: &proto::Rpc) -> usize {
    let subs: usize = rpc
        .subscriptions
        .iter()
        .map(|s| field_len(s.encoded_len()))
        .sum();
    subs + rpc
        .control
        .as_ref()
        .map_or(0, |c| field_len(c.encoded_len()))
}

/// A length-delimited field's size: one key byte (field numbers < 16), the length, the body.
fn field_len(body: usize) -> usize {
    1 + prost::length_delimiter_len(body) + body
}

#[cfg(test)]
mod tests {
    use super::*;

    const STOCK: Limits = Limits {
        max_rpc_bytes: 65536,
        max_messages: 500,
        max_control_bytes: 16384,
    };

    fn publish(n: u8) -> proto::Rpc {
        proto::Rpc {
            publish: vec![proto::Message {
                data: Some(vec![n; 160]),
                topic: "t".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn ihave(ids: usize) -> proto::Rpc {
        proto::Rpc {
            control: Some(proto::ControlMessage {
                ihave: vec![proto::ControlIHave {
                    topic_id: Some("t".into()),
                    message_ids: vec![vec![7; 32]; ids],
                }],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn messages_and_control_share_one_rpc() {
        let mut b = Batch::default();
        for i in 0..10 {
            assert!(matches!(b.offer(publish(i), &STOCK), Offer::Taken));
        }
        assert!(matches!(b.offer(ihave(3), &STOCK), Offer::Taken));
        assert!(matches!(b.offer(ihave(2), &STOCK), Offer::Taken));
        assert_eq!(b.parts(), 12);
        let rpc = b.take();
        assert_eq!(rpc.publish.len(), 10);
        assert_eq!(rpc.control.unwrap().ihave.len(), 2);
        assert!(b.is_empty());
    }

    #[test]
    fn the_merged_rpc_is_no_larger_than_the_parts() {
        let mut b = Batch::default();
        let parts: Vec<_> = (0..5).map(publish).chain([ihave(4), ihave(1)]).collect();
        let sum: usize = parts.iter().map(|p| p.encoded_len()).sum();
        let control: usize = parts.iter().map(control_len).sum();
        for p in parts {
            b.offer(p, &STOCK);
        }
        let rpc = b.take();
        assert!(rpc.encoded_len() <= sum);
        assert!(control_len(&rpc) <= control);
    }

    #[test]
    fn stops_at_each_receiver_limit() {
        let tight = Limits {
            max_messages: 3,
            ..STOCK
        };
        let mut b = Batch::default();
        for i in 0..3 {
            assert!(matches!(b.offer(publish(i), &tight), Offer::Taken));
        }
        assert!(matches!(b.offer(publish(3), &tight), Offer::Full(_)));

        let one_rpc = publish(0).encoded_len();
        let bytes = Limits {
            max_rpc_bytes: 2 * one_rpc,
            ..STOCK
        };
        let mut b = Batch::default();
        b.offer(publish(0), &bytes);
        assert!(matches!(b.offer(publish(1), &bytes), Offer::Taken));
        assert!(matches!(b.offer(publish(2), &bytes), Offer::Full(_)));

        // 16 KiB of control: 32-byte ids, about 34 bytes each.
        let mut b = Batch::default();
        b.offer(ihave(400), &STOCK);
        assert!(matches!(b.offer(ihave(100), &STOCK), Offer::Full(_)));
        assert!(matches!(b.offer(publish(0), &STOCK), Offer::Taken));
    }

    #[test]
    fn singletons_and_empty_parts_go_alone() {
        let ext = proto::Rpc {
            control: Some(proto::ControlMessage {
                extensions: Some(Default::default()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut b = Batch::default();
        b.offer(publish(0), &STOCK);
        assert!(matches!(b.offer(ext.clone(), &STOCK), Offer::Full(_)));
        assert!(matches!(
            b.offer(proto::Rpc::default(), &STOCK),
            Offer::Full(_)
        ));
        let mut alone = Batch::default();
        alone.offer(ext, &STOCK);
        assert!(matches!(alone.offer(publish(1), &STOCK), Offer::Full(_)));
    }
}
