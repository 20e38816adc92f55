//! The event loop's part in link health: ping outcomes become verdicts ([`crate::liveness`])
//! and a dead connection is closed, and the link-fault gauges are refreshed with the others.

use std::time::Instant;

use libp2p::ping;

use super::EventLoop;
use crate::liveness::{Verdict, judge};

impl EventLoop {
    pub(super) fn on_ping(&mut self, event: ping::Event) {
        let (verdict, label) = judge(&event.result);
        self.metrics
            .liveness
            .get_or_create(&vec![("result", label)])
            .inc();
        if verdict != Verdict::Dead {
            return;
        }
        let peer = event.peer;
        // Closing one connection leaves another to the same peer (if any) to its own pings.
        if self.swarm.close_connection(event.connection) {
            self.metrics.liveness_closed.inc();
            self.peers.unresponsive(&peer, Instant::now());
            if let Err(e) = &event.result {
                tracing::info!(%peer, error = %e, "closing a connection that carries nothing back");
            }
        }
    }

    pub(super) fn refresh_link_gauges(&self) {
        if let Some(f) = &self.config.link_faults {
            self.metrics.link_fault_peers.set(f.faulted_peers() as i64);
            self.metrics
                .link_fault_unattached
                .set(f.unattached() as i64);
        }
    }
}
