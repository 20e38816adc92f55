//! The event loop's part of `/rumor/sync/1` (status exchange and block sync): it answers
//! status requests itself, hands block and header requests to the node through
//! [`SyncRequests`](crate::requests::sync::SyncRequests) (bounded in flight), answers refusals
//! at once, sends the node's requests and penalises peers whose answers are garbage.
//!
//! Invariant: nothing here blocks: the node gets requests by `try_send` (a full event channel
//! answers "busy"), answers come back through futures polled by the loop.

use libp2p::PeerId;
use libp2p::request_response::{self, ResponseChannel};
use tokio::sync::oneshot;

use super::EventLoop;
use crate::handle::{NetworkError, NetworkEvent, Offence};
use crate::protocol::sync::{Status, SyncRequest, SyncResponse, WireResponse};
use crate::requests::quota;
use crate::requests::sync::Answer;

impl EventLoop {
    pub(super) fn on_sync(&mut self, event: request_response::Event<SyncRequest, WireResponse>) {
        match event {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => self.on_sync_request(peer, request, channel),
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => match self
                .sync
                .on_response(request_id, response, &self.config.limits)
            {
                Answer::Status(status) => self.on_peer_status(peer, status),
                Answer::Garbage => self.penalise(peer, Offence::InvalidSyncData),
                Answer::Delivered | Answer::Unknown => {}
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                self.sync.on_failure(request_id, error.to_string());
                tracing::debug!(%peer, %error, "sync request failed");
            }
            _ => {}
        }
    }

    pub(super) fn on_sync_request(
        &mut self,
        peer: PeerId,
        request: SyncRequest,
        channel: ResponseChannel<WireResponse>,
    ) {
        self.count_sync("inbound", &request);
        let kind = match request {
            SyncRequest::Status(_) => quota::Kind::Status,
            _ => quota::Kind::Sync,
        };
        if !self.within_quota(kind, peer) {
            let _ = self
                .swarm
                .behaviour_mut()
                .sync
                .send_response(channel, WireResponse::Error("rate_limited".to_owned()));
            return;
        }
        if let SyncRequest::Status(theirs) = request {
            let local = self.local_status();
            let _ = self
                .swarm
                .behaviour_mut()
                .sync
                .send_response(channel, WireResponse::Status(local));
            self.on_peer_status(peer, theirs);
            return;
        }
        let events = &self.events;
        let served = self.sync.serve(channel, |responder| {
            events
                .try_send(NetworkEvent::SyncRequest {
                    peer,
                    request,
                    responder,
                })
                .is_ok()
        });
        if let Err(channel) = served {
            let _ = self
                .swarm
                .behaviour_mut()
                .sync
                .send_response(channel, WireResponse::Error("busy".to_owned()));
        }
    }

    pub(super) fn send_sync(
        &mut self,
        peer: PeerId,
        request: SyncRequest,
        reply: oneshot::Sender<Result<SyncResponse, NetworkError>>,
    ) {
        if self.sync.outbound_full() {
            let _ = reply.send(Err(NetworkError::Busy));
            return;
        }
        self.count_sync("outbound", &request);
        let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
        self.sync.outbound_sent(id, reply);
    }

    pub(super) fn count_sync(&self, direction: &'static str, request: &SyncRequest) {
        self.metrics
            .sync
            .get_or_create(&vec![("direction", direction), ("kind", request.kind())])
            .inc();
    }

    pub(super) fn on_peer_status(&mut self, peer: PeerId, status: Status) {
        if status.genesis != self.local_status().genesis {
            // Another network: nothing to exchange.
            tracing::debug!(%peer, "peer is on another genesis; disconnecting");
            let _ = self.swarm.disconnect_peer_id(peer);
            return;
        }
        self.emit(NetworkEvent::PeerStatus { peer, status });
    }
}
