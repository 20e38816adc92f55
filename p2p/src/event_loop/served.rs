//! The event loop's part of the node-served pull protocols, `/rumor/txsync/1` (mempool
//! anti-entropy) and `/rumor/blocktxn/1` (a compact block's missing txs), written once: it
//! sends the node's requests, hands inbound requests to the node through the protocol's
//! [`Requests`] (per-peer quota, in-flight caps), answers refusals at once, and penalises peers
//! whose answers or requests are garbage (undecodable, over the codec's caps or the protocol's
//! bounds). [`Pull`] names what differs between the two protocols: the behaviour, the
//! bookkeeping, the metric and its labels, the node event and the offences.
//!
//! Invariant: nothing here blocks: the node gets requests by `try_send` (a full event channel
//! answers "busy"), answers come back through futures polled by the loop.

use std::time::Instant;

use libp2p::PeerId;
use libp2p::request_response::{self, OutboundRequestId, ResponseChannel};

use super::EventLoop;
use crate::handle::NetworkError;
use crate::handle::{NetworkEvent, Offence, Responder};
use crate::metrics::P2pMetrics;
use crate::protocol::blocktxn::{BlockTxnCodec, BlockTxnRequest, BlockTxnResponse, WireBlockTxn};
use crate::protocol::codec::Inbound;
use crate::protocol::txsync::{TxSyncCodec, TxSyncRequest, TxSyncResponse, WireTxResponse};
use crate::requests::pending::Reply;
use crate::requests::pull::{Answer, BlockTxn, Refusal, Requests, Served, TxSync};
use crate::swarm::behaviour::Behaviour;

/// A served protocol's bookkeeping as the event loop holds it.
type Held<P> = Requests<OutboundRequestId, ResponseChannel<<P as Served>::Wire>, P>;

/// A node-served pull protocol as the event loop sees it.
pub(super) trait Pull: Served<Request: Clone, Wire: Send + 'static> + Sized {
    /// In logs.
    const NAME: &'static str;
    const BAD_REQUEST: Offence;
    const BAD_RESPONSE: Offence;
    type Codec: request_response::Codec<Request = Inbound<Self::Request>, Response = Self::Wire>
        + Clone
        + Send
        + 'static;
    fn behaviour(b: &mut Behaviour) -> &mut request_response::Behaviour<Self::Codec>;
    fn requests(l: &mut EventLoop) -> &mut Held<Self>;
    /// The metric's `kind` label for a request.
    fn kind(request: &Self::Request) -> &'static str;
    /// Counts one outcome in the protocol's metric; `kind` is dropped where the metric has no
    /// such label.
    fn count(m: &P2pMetrics, direction: &'static str, kind: &'static str, result: &'static str);
    fn event(
        peer: PeerId,
        request: Self::Request,
        responder: Responder<Self::Response>,
    ) -> NetworkEvent;
    fn error(reason: &str) -> Self::Response;
    fn to_wire(response: Self::Response) -> Self::Wire;
}

impl Pull for TxSync {
    const NAME: &'static str = "txsync";
    const BAD_REQUEST: Offence = Offence::BadTxSyncRequest;
    const BAD_RESPONSE: Offence = Offence::BadTxSyncResponse;
    type Codec = TxSyncCodec;
    fn behaviour(b: &mut Behaviour) -> &mut request_response::Behaviour<TxSyncCodec> {
        &mut b.txsync
    }
    fn requests(l: &mut EventLoop) -> &mut Held<Self> {
        &mut l.txsync
    }
    fn kind(request: &TxSyncRequest) -> &'static str {
        request.kind()
    }
    fn count(m: &P2pMetrics, direction: &'static str, kind: &'static str, result: &'static str) {
        m.txsync
            .get_or_create(&vec![
                ("direction", direction),
                ("kind", kind),
                ("result", result),
            ])
            .inc();
    }
    fn event(
        peer: PeerId,
        request: TxSyncRequest,
        responder: Responder<TxSyncResponse>,
    ) -> NetworkEvent {
        NetworkEvent::TxSyncRequest {
            peer,
            request,
            responder,
        }
    }
    fn error(reason: &str) -> TxSyncResponse {
        TxSyncResponse::Error(reason.to_owned())
    }
    fn to_wire(response: TxSyncResponse) -> WireTxResponse {
        response.to_wire()
    }
}

impl Pull for BlockTxn {
    const NAME: &'static str = "blocktxn";
    const BAD_REQUEST: Offence = Offence::BadBlockTxnRequest;
    const BAD_RESPONSE: Offence = Offence::BadBlockTxnResponse;
    type Codec = BlockTxnCodec;
    fn behaviour(b: &mut Behaviour) -> &mut request_response::Behaviour<BlockTxnCodec> {
        &mut b.blocktxn
    }
    fn requests(l: &mut EventLoop) -> &mut Held<Self> {
        &mut l.blocktxn
    }
    /// One kind of request: the metric has no `kind` label.
    fn kind(_: &BlockTxnRequest) -> &'static str {
        "blocktxn"
    }
    fn count(m: &P2pMetrics, direction: &'static str, _kind: &'static str, result: &'static str) {
        m.blocktxn
            .get_or_create(&vec![("direction", direction), ("result", result)])
            .inc();
    }
    fn event(
        peer: PeerId,
        request: BlockTxnRequest,
        responder: Responder<BlockTxnResponse>,
    ) -> NetworkEvent {
        NetworkEvent::BlockTxnRequest {
            peer,
            request,
            responder,
        }
    }
    fn error(reason: &str) -> BlockTxnResponse {
        BlockTxnResponse::Error(reason.to_owned())
    }
    fn to_wire(response: BlockTxnResponse) -> WireBlockTxn {
        response.to_wire()
    }
}

/// The codec refused the bytes (over the cap, undecodable, trailing bytes): the sender's
/// fault, unlike a closed or reset stream.
fn undecodable(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::InvalidData
}

impl EventLoop {
    pub(super) fn send_pull_response<P: Pull>(
        &mut self,
        channel: ResponseChannel<P::Wire>,
        response: P::Response,
    ) {
        let _ =
            P::behaviour(self.swarm.behaviour_mut()).send_response(channel, P::to_wire(response));
    }

    /// Sends the node's request, or answers it "busy" at once (too many in flight, or over the
    /// protocol's bounds).
    pub(super) fn send_pull<P: Pull>(
        &mut self,
        peer: PeerId,
        request: P::Request,
        reply: Reply<P::Response>,
    ) {
        let kind = P::kind(&request);
        if P::requests(self).outbound_full() || !P::is_bounded(&request) {
            P::count(&self.metrics, "outbound", kind, "busy");
            let _ = reply.send(Err(NetworkError::Busy));
            return;
        }
        P::count(&self.metrics, "outbound", kind, "sent");
        let id =
            P::behaviour(self.swarm.behaviour_mut()).send_request(&peer, Inbound::Request(request));
        P::requests(self).outbound_sent(id, reply);
    }

    pub(super) fn on_pull<P: Pull>(
        &mut self,
        event: request_response::Event<Inbound<P::Request>, P::Wire>,
    ) {
        match event {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => match request {
                Inbound::Request(request) => self.on_pull_request::<P>(peer, request, channel),
                Inbound::Garbage(why) => {
                    tracing::debug!(%peer, %why, "undecodable {} request", P::NAME);
                    P::count(&self.metrics, "inbound", "request", "garbage");
                    self.penalise(peer, P::BAD_REQUEST);
                    self.send_pull_response::<P>(channel, P::error("bad_request"));
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
            } => {
                let limits = self.config.limits;
                match P::requests(self).on_response(request_id, response, &limits) {
                    Answer::Delivered => P::count(&self.metrics, "outbound", "answer", "ok"),
                    Answer::Garbage => {
                        P::count(&self.metrics, "outbound", "answer", "garbage");
                        self.penalise(peer, P::BAD_RESPONSE);
                    }
                    Answer::Unknown => {}
                }
            }
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                P::requests(self).on_failure(request_id, error.to_string());
                tracing::debug!(%peer, %error, "{} request failed", P::NAME);
                if let request_response::OutboundFailure::Io(e) = &error
                    && undecodable(e)
                {
                    // Over the cap or not a valid answer: refused by the codec.
                    P::count(&self.metrics, "outbound", "answer", "garbage");
                    self.penalise(peer, P::BAD_RESPONSE);
                } else {
                    P::count(&self.metrics, "outbound", "answer", "failed");
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                // Closed streams, timeouts, failed writes; undecodable requests arrive as
                // `Inbound::Garbage` instead.
                P::count(&self.metrics, "inbound", "request", "failed");
                tracing::debug!(%peer, %error, "inbound {} request failed", P::NAME);
            }
            _ => {}
        }
    }

    fn on_pull_request<P: Pull>(
        &mut self,
        peer: PeerId,
        request: P::Request,
        channel: ResponseChannel<P::Wire>,
    ) {
        let kind = P::kind(&request);
        let events = self.events.clone();
        let probe = request.clone();
        let served = P::requests(self).serve(peer, &probe, channel, Instant::now(), |responder| {
            events.try_send(P::event(peer, request, responder)).is_ok()
        });
        match served {
            Ok(()) => P::count(&self.metrics, "inbound", kind, "served"),
            Err((channel, refusal)) => {
                P::count(&self.metrics, "inbound", kind, refusal.as_str());
                tracing::debug!(%peer, kind, refusal = refusal.as_str(), "{} request refused", P::NAME);
                if let Refusal::RateLimited { offence: true } = refusal {
                    self.penalise(peer, Offence::RequestFlood);
                }
                self.send_pull_response::<P>(channel, P::error(refusal.as_str()));
            }
        }
    }
}
