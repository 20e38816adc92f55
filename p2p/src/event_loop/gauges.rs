//! Gauge refresh: on every maintenance tick the event loop takes a [`Snapshot`] of the sizes
//! of everything it owns (peers, meshes, queues, caches, channels) and [`refresh`] copies it
//! into the metrics.
//!
//! Invariant: counters stay monotonic and equal to the totals their structures keep. The
//! publish queue, the address book and the seen-cache count drops, forgets and hits
//! themselves; the metric is advanced by the difference, never set, and never moves back.

use crate::gossip::seen::SeenStats;
use crate::metrics::P2pMetrics;
use crate::topic::Topic;

/// The sizes the gauges show, read once per tick.
#[derive(Debug, Clone, Default)]
pub(crate) struct Snapshot {
    pub outbound_peers: usize,
    pub inbound_peers: usize,
    /// Mesh peers per topic.
    pub mesh: Vec<(Topic, usize)>,
    pub publish_queue_len: usize,
    /// Total dropped by the publish queue since start.
    pub publish_queue_dropped: u64,
    pub address_book_len: usize,
    pub cut_peers: usize,
    /// Total forgotten by the address book since start.
    pub address_book_forgotten: u64,
    pub seen: SeenStats,
    /// Items waiting in the command channel, the event channel, and inbound sync requests
    /// being served.
    pub commands: usize,
    pub events: usize,
    pub inbound_sync: usize,
    /// Gossipsub RPCs written and parts carried since start (the engine's totals).
    pub frames: gossipsub::FrameCounts,
    /// Lazy-push totals and ids waiting now (`None`: lazy push off).
    pub lazy: Option<(gossipsub::ChokeCounts, usize)>,
}

/// Copies `s` into the metrics.
pub(crate) fn refresh(m: &P2pMetrics, s: &Snapshot) {
    m.peers
        .get_or_create(&vec![("direction", "outbound")])
        .set(s.outbound_peers as i64);
    m.peers
        .get_or_create(&vec![("direction", "inbound")])
        .set(s.inbound_peers as i64);
    for (t, n) in &s.mesh {
        m.mesh_peers
            .get_or_create(&vec![("topic", t.label())])
            .set(*n as i64);
    }
    m.publish_queue_len.set(s.publish_queue_len as i64);
    m.publish_queue_dropped.inc_by(
        s.publish_queue_dropped
            .saturating_sub(m.publish_queue_dropped.get()),
    );
    m.address_book_len.set(s.address_book_len as i64);
    m.cut_peers.set(s.cut_peers as i64);
    m.address_book_forgotten.inc_by(
        s.address_book_forgotten
            .saturating_sub(m.address_book_forgotten.get()),
    );
    m.update_seen(s.seen);
    m.gossip_rpcs_sent
        .inc_by(s.frames.rpcs.saturating_sub(m.gossip_rpcs_sent.get()));
    m.gossip_rpc_parts_sent
        .inc_by(s.frames.parts.saturating_sub(m.gossip_rpc_parts_sent.get()));
    if let Some((c, pending)) = s.lazy {
        for (event, total) in [
            ("choke_sent", c.chokes_sent),
            ("unchoke_sent", c.unchokes_sent),
            ("id_sent", c.lazy_ids_sent),
            ("late_fetch", c.late_iwants),
            ("pending_overflow", c.pending_overflow),
        ] {
            let counter = m.gossip_lazy.get_or_create(&vec![("event", event)]);
            counter.inc_by(total.saturating_sub(counter.get()));
        }
        m.gossip_lazy_pending.set(pending as i64);
    }
    m.queue_len
        .get_or_create(&vec![("queue", "commands")])
        .set(s.commands as i64);
    m.queue_len
        .get_or_create(&vec![("queue", "events")])
        .set(s.events as i64);
    m.queue_len
        .get_or_create(&vec![("queue", "inbound_sync")])
        .set(s.inbound_sync as i64);
}

#[cfg(test)]
mod tests {
    use prometheus_client::encoding::text::encode;
    use prometheus_client::registry::Registry;

    use super::*;

    fn text(registry: &Registry) -> String {
        let mut out = String::new();
        encode(&mut out, registry).unwrap();
        out
    }

    #[test]
    fn gauges_follow_the_snapshot_under_their_names() {
        let mut registry = Registry::default();
        let m = P2pMetrics::register(&mut registry);
        let snapshot = Snapshot {
            outbound_peers: 3,
            inbound_peers: 5,
            mesh: vec![(Topic::Tx, 6), (Topic::Block, 4)],
            publish_queue_len: 2,
            address_book_len: 40,
            commands: 7,
            events: 9,
            inbound_sync: 1,
            ..Snapshot::default()
        };
        refresh(&m, &snapshot);
        let t = text(&registry);
        for line in [
            "rumor_p2p_peers{direction=\"outbound\"} 3",
            "rumor_p2p_peers{direction=\"inbound\"} 5",
            "rumor_p2p_mesh_peers{topic=\"tx\"} 6",
            "rumor_p2p_mesh_peers{topic=\"block\"} 4",
            "rumor_p2p_publish_queue_len 2",
            "rumor_p2p_address_book_len 40",
            "rumor_p2p_queue_len{queue=\"commands\"} 7",
            "rumor_p2p_queue_len{queue=\"events\"} 9",
            "rumor_p2p_queue_len{queue=\"inbound_sync\"} 1",
        ] {
            assert!(t.contains(line), "missing {line:?} in\n{t}");
        }
        // Gauges go down as well as up.
        refresh(&m, &Snapshot::default());
        assert!(text(&registry).contains("rumor_p2p_peers{direction=\"outbound\"} 0"));
    }

    #[test]
    fn counters_track_the_structures_totals() {
        let mut registry = Registry::default();
        let m = P2pMetrics::register(&mut registry);
        let at = |dropped, forgotten, hits| Snapshot {
            publish_queue_dropped: dropped,
            address_book_forgotten: forgotten,
            seen: SeenStats {
                hits,
                len: 3,
                ..SeenStats::default()
            },
            ..Snapshot::default()
        };
        refresh(&m, &at(2, 1, 10));
        refresh(&m, &at(5, 1, 12));
        let frames = |rpcs, parts| Snapshot {
            frames: gossipsub::FrameCounts { rpcs, parts },
            ..at(5, 1, 12)
        };
        refresh(&m, &frames(3, 10));
        refresh(&m, &frames(4, 25));
        assert_eq!(m.gossip_rpcs_sent.get(), 4);
        assert_eq!(m.gossip_rpc_parts_sent.get(), 25);
        // Totals, not sums of the snapshots.
        assert_eq!(m.publish_queue_dropped.get(), 5);
        assert_eq!(m.address_book_forgotten.get(), 1);
        assert_eq!(m.seen_hits.get(), 12);
        assert_eq!(m.seen_len.get(), 3);
        // Never backwards.
        refresh(&m, &at(0, 0, 0));
        assert_eq!(m.publish_queue_dropped.get(), 5);
    }
}
