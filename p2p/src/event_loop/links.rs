//! The event loop's part in link health and fault injection: ping outcomes become verdicts
//! ([`crate::peering::liveness`]), answers are timed and a connection silent for too long is closed;
//! operator cuts are carried out; the link-fault gauges are refreshed with the others.

use std::time::Instant;

use libp2p::swarm::ConnectionId;
use libp2p::{PeerId, ping};

use super::EventLoop;
use crate::peering::liveness::{Verdict, judge};

impl EventLoop {
    pub(super) fn on_ping(&mut self, event: ping::Event) {
        let (verdict, label) = judge(&event.result);
        self.metrics
            .liveness
            .get_or_create(&vec![("result", label)])
            .inc();
        match verdict {
            Verdict::Alive => {
                self.liveness
                    .answered(event.connection, event.peer, Instant::now());
            }
            Verdict::Dead => {
                self.liveness.forget(&event.connection);
                let why = event
                    .result
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                self.close_dead(event.connection, event.peer, &why);
            }
            Verdict::Unknown => {}
        }
    }

    /// Every tick: close connections that answered pings before and have gone silent; refresh
    /// the link gauges.
    pub(super) fn link_health(&mut self, now: Instant) {
        for (conn, peer) in self.liveness.stale(now) {
            self.close_dead(conn, peer, "no ping answered for too long");
        }
        self.refresh_link_gauges();
    }

    /// Closing one connection leaves another to the same peer (if any) to its own pings.
    fn close_dead(&mut self, conn: ConnectionId, peer: PeerId, why: &str) {
        if self.swarm.close_connection(conn) {
            self.metrics.liveness_closed.inc();
            self.peers.unresponsive(&peer, Instant::now());
            tracing::info!(%peer, why, "closing a connection that carries nothing back");
        }
    }

    /// Cuts `peers` off (closing their connections, refusing new ones both ways) or restores
    /// them; returns how many changed state.
    pub(super) fn set_cut(&mut self, peers: &[PeerId], cut: bool) -> usize {
        let mut changed = 0;
        for p in peers {
            let done = if cut {
                self.peers.cut(*p) && self.swarm.behaviour_mut().cut.block_peer(*p)
            } else {
                self.peers.restore(p) && self.swarm.behaviour_mut().cut.unblock_peer(*p)
            };
            changed += usize::from(done);
        }
        tracing::info!(peers = peers.len(), changed, cut, "operator cut");
        changed
    }

    fn refresh_link_gauges(&self) {
        if let Some(f) = &self.config.link_faults {
            self.metrics.link_fault_peers.set(f.faulted_peers() as i64);
            self.metrics
                .link_fault_unattached
                .set(f.unattached() as i64);
        }
    }
}
