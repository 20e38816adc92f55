//! The event loop's part of `/rumor/blocktxn/1` (a compact block's missing txs): it sends the
//! node's requests, hands inbound requests to the node through [`BlockTxnRequests`] (per-peer
//! quota, in-flight caps), answers refusals at once, and penalises peers whose answers or
//! requests are garbage. The same shape as `txsync.rs`, one protocol per file.
//!
//! Invariant: nothing here blocks: the node gets requests by `try_send` (a full event channel
//! answers "busy"), answers come back through futures polled by the loop.

use std::time::Instant;

use libp2p::PeerId;
use libp2p::request_response::{self, ResponseChannel};
use tokio::sync::oneshot;

use super::EventLoop;
use crate::handle::{NetworkError, NetworkEvent, Offence};
use crate::protocol::blocktxn::{BlockTxnRequest, BlockTxnResponse, Inbound, WireBlockTxn};
use crate::txsync_requests::{Answer, Refusal};

impl EventLoop {
    fn count_blocktxn(&self, direction: &'static str, result: &'static str) {
        self.metrics
            .blocktxn
            .get_or_create(&vec![("direction", direction), ("result", result)])
            .inc();
    }

    pub(super) fn send_blocktxn_response(
        &mut self,
        channel: ResponseChannel<WireBlockTxn>,
        response: BlockTxnResponse,
    ) {
        let _ = self
            .swarm
            .behaviour_mut()
            .blocktxn
            .send_response(channel, response.to_wire());
    }

    pub(super) fn send_blocktxn(
        &mut self,
        peer: PeerId,
        request: BlockTxnRequest,
        reply: oneshot::Sender<Result<BlockTxnResponse, NetworkError>>,
    ) {
        if self.blocktxn.outbound_full() || !request.is_bounded() {
            self.count_blocktxn("outbound", "busy");
            let _ = reply.send(Err(NetworkError::Busy));
            return;
        }
        self.count_blocktxn("outbound", "sent");
        let id = self
            .swarm
            .behaviour_mut()
            .blocktxn
            .send_request(&peer, Inbound::Request(request));
        self.blocktxn.outbound_sent(id, reply);
    }

    pub(super) fn on_blocktxn(&mut self, event: request_response::Event<Inbound, WireBlockTxn>) {
        match event {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => match request {
                Inbound::Request(request) => self.on_blocktxn_request(peer, request, channel),
                Inbound::Garbage(why) => {
                    tracing::debug!(%peer, %why, "undecodable blocktxn request");
                    self.count_blocktxn("inbound", "garbage");
                    self.penalise(peer, Offence::BadBlockTxnRequest);
                    self.send_blocktxn_response(
                        channel,
                        BlockTxnResponse::Error("bad_request".to_owned()),
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
                .blocktxn
                .on_response(request_id, response, &self.config.limits)
            {
                Answer::Delivered => self.count_blocktxn("outbound", "ok"),
                Answer::Garbage => {
                    self.count_blocktxn("outbound", "garbage");
                    self.penalise(peer, Offence::BadBlockTxnResponse);
                }
                Answer::Unknown => {}
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                self.blocktxn.on_failure(request_id, error.to_string());
                tracing::debug!(%peer, %error, "blocktxn request failed");
                if let request_response::OutboundFailure::Io(e) = &error
                    && e.kind() == std::io::ErrorKind::InvalidData
                {
                    // Over the cap or not a valid answer: refused by the codec.
                    self.count_blocktxn("outbound", "garbage");
                    self.penalise(peer, Offence::BadBlockTxnResponse);
                } else {
                    self.count_blocktxn("outbound", "failed");
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                self.count_blocktxn("inbound", "failed");
                tracing::debug!(%peer, %error, "inbound blocktxn request failed");
            }
            _ => {}
        }
    }

    fn on_blocktxn_request(
        &mut self,
        peer: PeerId,
        request: BlockTxnRequest,
        channel: ResponseChannel<WireBlockTxn>,
    ) {
        let events = &self.events;
        let probe = request.clone();
        let served = self
            .blocktxn
            .serve(peer, &probe, channel, Instant::now(), |responder| {
                events
                    .try_send(NetworkEvent::BlockTxnRequest {
                        peer,
                        request,
                        responder,
                    })
                    .is_ok()
            });
        match served {
            Ok(()) => self.count_blocktxn("inbound", "served"),
            Err((channel, refusal)) => {
                self.count_blocktxn("inbound", refusal.as_str());
                tracing::debug!(%peer, refusal = refusal.as_str(), "blocktxn request refused");
                if let Refusal::RateLimited { offence: true } = refusal {
                    self.penalise(peer, Offence::RequestFlood);
                }
                self.send_blocktxn_response(
                    channel,
                    BlockTxnResponse::Error(refusal.as_str().to_owned()),
                );
            }
        }
    }
}
