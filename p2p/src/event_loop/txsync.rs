//! The event loop's part of `/rumor/txsync/1` (mempool anti-entropy): it sends the node's
//! requests, hands inbound requests to the node through [`TxSyncRequests`] (which enforces the
//! per-peer quota and the in-flight caps), answers refusals at once, and penalises peers whose
//! answers or requests are garbage (undecodable, over the codec's caps or the protocol's
//! bounds). Kept apart from `event_loop.rs` so each file keeps one concern.
//!
//! Invariant: as in the rest of the loop, nothing here blocks: the node gets requests by
//! `try_send` (a full event channel answers "busy"), answers come back through futures polled
//! by the loop.

use std::time::Instant;

use libp2p::PeerId;
use libp2p::request_response::{self, ResponseChannel};
use tokio::sync::oneshot;

use super::EventLoop;
use crate::handle::{NetworkError, NetworkEvent, Offence};
use crate::protocol::txsync::{Inbound, TxSyncRequest, TxSyncResponse, WireTxResponse};
use crate::txsync_requests::{Answer, Refusal};

/// The codec refused the bytes (over the cap, undecodable, trailing bytes): the sender's
/// fault, unlike a closed or reset stream.
fn undecodable(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::InvalidData
}

impl EventLoop {
    fn count_txsync(&self, direction: &'static str, kind: &'static str, result: &'static str) {
        self.metrics
            .txsync
            .get_or_create(&vec![
                ("direction", direction),
                ("kind", kind),
                ("result", result),
            ])
            .inc();
    }

    pub(super) fn send_txsync_response(
        &mut self,
        channel: ResponseChannel<WireTxResponse>,
        response: TxSyncResponse,
    ) {
        let _ = self
            .swarm
            .behaviour_mut()
            .txsync
            .send_response(channel, response.to_wire());
    }

    pub(super) fn send_txsync(
        &mut self,
        peer: PeerId,
        request: TxSyncRequest,
        reply: oneshot::Sender<Result<TxSyncResponse, NetworkError>>,
    ) {
        let kind = request.kind();
        if self.txsync.outbound_full() || !request.is_bounded() {
            self.count_txsync("outbound", kind, "busy");
            let _ = reply.send(Err(NetworkError::Busy));
            return;
        }
        self.count_txsync("outbound", kind, "sent");
        let id = self
            .swarm
            .behaviour_mut()
            .txsync
            .send_request(&peer, Inbound::Request(request));
        self.txsync.outbound_sent(id, reply);
    }

    pub(super) fn on_txsync(&mut self, event: request_response::Event<Inbound, WireTxResponse>) {
        match event {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => match request {
                Inbound::Request(request) => self.on_txsync_request(peer, request, channel),
                Inbound::Garbage(why) => {
                    tracing::debug!(%peer, %why, "undecodable txsync request");
                    self.count_txsync("inbound", "request", "garbage");
                    self.penalise(peer, Offence::BadTxSyncRequest);
                    self.send_txsync_response(
                        channel,
                        TxSyncResponse::Error("bad_request".to_owned()),
                    );
                }
            },
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => match self
                .txsync
                .on_response(request_id, response, &self.config.limits)
            {
                Answer::Delivered => self.count_txsync("outbound", "answer", "ok"),
                Answer::Garbage => {
                    self.count_txsync("outbound", "answer", "garbage");
                    self.penalise(peer, Offence::BadTxSyncResponse);
                }
                Answer::Unknown => {}
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                self.txsync.on_failure(request_id, error.to_string());
                tracing::debug!(%peer, %error, "txsync request failed");
                if let request_response::OutboundFailure::Io(e) = &error
                    && undecodable(e)
                {
                    // Over the cap or not a valid answer: refused by the codec.
                    self.count_txsync("outbound", "answer", "garbage");
                    self.penalise(peer, Offence::BadTxSyncResponse);
                } else {
                    self.count_txsync("outbound", "answer", "failed");
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                // Closed streams, timeouts, failed writes; undecodable requests arrive as
                // `Inbound::Garbage` instead.
                self.count_txsync("inbound", "request", "failed");
                tracing::debug!(%peer, %error, "inbound txsync request failed");
            }
            _ => {}
        }
    }

    fn on_txsync_request(
        &mut self,
        peer: PeerId,
        request: TxSyncRequest,
        channel: ResponseChannel<WireTxResponse>,
    ) {
        let kind = request.kind();
        let events = &self.events;
        let probe = request.clone();
        let served = self
            .txsync
            .serve(peer, &probe, channel, Instant::now(), |responder| {
                events
                    .try_send(NetworkEvent::TxSyncRequest {
                        peer,
                        request,
                        responder,
                    })
                    .is_ok()
            });
        match served {
            Ok(()) => self.count_txsync("inbound", kind, "served"),
            Err((channel, refusal)) => {
                self.count_txsync("inbound", kind, refusal.as_str());
                tracing::debug!(%peer, kind, refusal = refusal.as_str(), "txsync request refused");
                if let Refusal::RateLimited { offence: true } = refusal {
                    self.penalise(peer, Offence::RequestFlood);
                }
                self.send_txsync_response(
                    channel,
                    TxSyncResponse::Error(refusal.as_str().to_owned()),
                );
            }
        }
    }
}
