//! Request bookkeeping for the node-served pull protocols, `/rumor/txsync/1` (mempool
//! anti-entropy) and `/rumor/blocktxn/1` (a compact block's missing txs): the node's outbound
//! requests awaiting an answer, the inbound requests the node is serving, and a per-peer quota
//! on inbound requests. One instance per protocol ([`Served`] names its types). No swarm: the event loop sends requests and responses; this remembers
//! who waits for what, decodes answers and decides what to refuse.
//!
//! # Invariants
//!
//! - Every outbound request the node made gets exactly one answer on its reply channel: the
//!   decoded answer, or an error. Garbage (undecodable, over the protocol's bounds) is reported
//!   so the event loop can penalise the sender.
//! - Every inbound request gets exactly one response: the node's, "unavailable" when the node
//!   drops the responder or takes longer than the request timeout, or an immediate refusal
//!   ("rate limited", "busy", "bad request") handed back to the loop.
//!
//! # Bounds
//!
//! - Outbound: at most `max_outbound` requests in flight; beyond that the node gets
//!   [`NetworkError::Busy`] at once instead of growing the map.
//! - Inbound: at most `max_inbound` being served at once (each holds a channel, a timer and
//!   costs the node a pool read), and per peer a token bucket of `peer_burst` requests refilled
//!   at `peer_per_sec`, so one peer cannot take the whole inbound budget. The bucket map holds
//!   connected peers only (forgotten on disconnect), so the connection limits bound it.

use std::future::Future;
use std::hash::Hash;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use libp2p::PeerId;
use rumor_chain::Limits;
use tokio::sync::oneshot;

use crate::config::TxSyncConfig;
use crate::handle::Responder;
use crate::protocol::blocktxn::{
    BlockTxnDecodeError, BlockTxnRequest, BlockTxnResponse, WireBlockTxn,
};
use crate::protocol::txsync::{TxSyncDecodeError, TxSyncRequest, TxSyncResponse, WireTxResponse};
use crate::requests::pending::PendingReplies;
use crate::requests::quota::{PeerQuota, Quota};

/// A protocol served this way: its request, wire answer and decoded answer.
pub(crate) trait Served {
    type Request;
    type Wire;
    type Response: Send + 'static;
    type DecodeError: std::fmt::Display;
    /// Within the protocol's bounds (checked before the quota: a bad request is refused).
    fn is_bounded(request: &Self::Request) -> bool;
    fn decode(wire: Self::Wire, limits: &Limits) -> Result<Self::Response, Self::DecodeError>;
    /// The answer when the node does not answer in time (or drops the responder).
    fn unavailable() -> Self::Response;
}

/// `/rumor/txsync/1`.
#[derive(Debug)]
pub(crate) struct TxSync;

impl Served for TxSync {
    type Request = TxSyncRequest;
    type Wire = WireTxResponse;
    type Response = TxSyncResponse;
    type DecodeError = TxSyncDecodeError;
    fn is_bounded(request: &TxSyncRequest) -> bool {
        request.is_bounded()
    }
    fn decode(wire: WireTxResponse, limits: &Limits) -> Result<TxSyncResponse, TxSyncDecodeError> {
        wire.decode(limits)
    }
    fn unavailable() -> TxSyncResponse {
        TxSyncResponse::Error("unavailable".into())
    }
}

/// `/rumor/blocktxn/1`.
#[derive(Debug)]
pub(crate) struct BlockTxn;

impl Served for BlockTxn {
    type Request = BlockTxnRequest;
    type Wire = WireBlockTxn;
    type Response = BlockTxnResponse;
    type DecodeError = BlockTxnDecodeError;
    fn is_bounded(request: &BlockTxnRequest) -> bool {
        request.is_bounded()
    }
    fn decode(
        wire: WireBlockTxn,
        limits: &Limits,
    ) -> Result<BlockTxnResponse, BlockTxnDecodeError> {
        wire.decode(limits)
    }
    fn unavailable() -> BlockTxnResponse {
        BlockTxnResponse::Error("unavailable".into())
    }
}

/// What an answer to one of our requests turned out to be.
pub(crate) use crate::requests::pending::Delivery as Answer;

/// Why an inbound request was refused at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Over the peer's quota; `offence` when the peer has kept on after refusals.
    RateLimited {
        offence: bool,
    },
    Busy,
    BadRequest,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::RateLimited { .. } => "rate_limited",
            Refusal::Busy => "busy",
            Refusal::BadRequest => "bad_request",
        }
    }
}

/// Limits for [`Requests`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub max_outbound: usize,
    pub max_inbound: usize,
    pub peer_burst: u32,
    pub peer_per_sec: u32,
    pub timeout: Duration,
}

impl Bounds {
    /// A served protocol's limits from its configuration and the request timeout.
    pub fn of(config: &TxSyncConfig, timeout: Duration) -> Self {
        Self {
            max_outbound: config.max_outbound,
            max_inbound: config.max_inbound,
            peer_burst: config.peer_burst,
            peer_per_sec: config.peer_per_sec,
            timeout,
        }
    }
}

/// In-flight requests of protocol `P`, generic over the swarm's request id and response
/// channel types (tests use plain values).
pub(crate) struct Requests<Id, C, P: Served> {
    outbound: PendingReplies<Id, P::Response>,
    inbound: FuturesUnordered<BoxFuture<'static, (C, P::Response)>>,
    quota: PeerQuota,
    bounds: Bounds,
}

/// `/rumor/txsync/1`'s bookkeeping.
pub(crate) type TxSyncRequests<Id, C> = Requests<Id, C, TxSync>;
/// `/rumor/blocktxn/1`'s bookkeeping.
pub(crate) type BlockTxnRequests<Id, C> = Requests<Id, C, BlockTxn>;

impl<Id, C, P: Served> std::fmt::Debug for Requests<Id, C, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Requests")
            .field("outbound", &self.outbound.len())
            .field("inbound", &self.inbound.len())
            .finish()
    }
}

impl<Id: Eq + Hash, C: Send + 'static, P: Served> Requests<Id, C, P> {
    pub fn new(bounds: Bounds) -> Self {
        Self {
            outbound: PendingReplies::new(),
            inbound: FuturesUnordered::new(),
            quota: PeerQuota::new(bounds.peer_burst, f64::from(bounds.peer_per_sec)),
            bounds,
        }
    }

    /// No room for another node request: answer it [`NetworkError::Busy`].
    pub fn outbound_full(&self) -> bool {
        self.outbound.len() >= self.bounds.max_outbound
    }

    pub fn outbound_sent(&mut self, id: Id, reply: crate::requests::pending::Reply<P::Response>) {
        self.outbound.insert(id, reply);
    }

    /// An answer arrived for request `id`.
    pub fn on_response(&mut self, id: Id, response: P::Wire, limits: &Limits) -> Answer {
        self.outbound.deliver(&id, || P::decode(response, limits))
    }

    /// Request `id` failed (timeout, connection closed, …).
    pub fn on_failure(&mut self, id: Id, error: String) {
        self.outbound.fail(&id, error);
    }

    /// Starts serving `peer`'s request answered through `channel`: `emit` hands the node its
    /// [`Responder`] and says whether the node took it. A refused request comes back
    /// with its channel, to be answered at once.
    pub fn serve(
        &mut self,
        peer: PeerId,
        request: &P::Request,
        channel: C,
        now: Instant,
        emit: impl FnOnce(Responder<P::Response>) -> bool,
    ) -> Result<(), (C, Refusal)> {
        if !P::is_bounded(request) {
            return Err((channel, Refusal::BadRequest));
        }
        if let Quota::Refuse { offence } = self.quota.allow(peer, now) {
            return Err((channel, Refusal::RateLimited { offence }));
        }
        if self.inbound.len() >= self.bounds.max_inbound {
            return Err((channel, Refusal::Busy));
        }
        let (tx, rx) = oneshot::channel();
        if !emit(Responder(tx)) {
            return Err((channel, Refusal::Busy));
        }
        let timeout = self.bounds.timeout;
        self.inbound.push(Box::pin(async move {
            let response = match tokio::time::timeout(timeout, rx).await {
                Ok(Ok(r)) => r,
                _ => P::unavailable(),
            };
            (channel, response)
        }));
        Ok(())
    }

    /// The peer disconnected: its quota is forgotten.
    pub fn forget(&mut self, peer: &PeerId) {
        self.quota.forget(peer);
    }

    /// The next inbound request whose response is ready. Only poll it while
    /// [`Self::inbound_len`] is non-zero.
    pub fn next_inbound(&mut self) -> impl Future<Output = Option<(C, P::Response)>> + '_ {
        self.inbound.next()
    }

    pub fn inbound_len(&self) -> usize {
        self.inbound.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handle::NetworkError;
    use crate::protocol::txsync::MAX_GET_HASHES;

    type Book = TxSyncRequests<u64, &'static str>;

    fn bounds() -> Bounds {
        Bounds {
            max_outbound: 2,
            max_inbound: 2,
            peer_burst: 3,
            peer_per_sec: 1,
            timeout: Duration::from_secs(10),
        }
    }

    const DIGEST: TxSyncRequest = TxSyncRequest::Digest { max: 10 };

    #[test]
    fn answers_are_decoded_or_blamed() {
        let mut book = Book::new(bounds());
        let (tx, mut rx) = oneshot::channel();
        book.outbound_sent(1, tx);
        let limits = Limits::default();
        assert_eq!(
            book.on_response(1, WireTxResponse::Digest(vec![[1; 32]]), &limits),
            Answer::Delivered
        );
        assert!(matches!(rx.try_recv().unwrap(), Ok(TxSyncResponse::Digest(h)) if h.len() == 1));
        assert_eq!(
            book.on_response(1, WireTxResponse::Digest(vec![]), &limits),
            Answer::Unknown
        );
        let (tx, mut rx) = oneshot::channel();
        book.outbound_sent(2, tx);
        let junk = WireTxResponse::Txs(vec![b"junk".to_vec()]);
        assert_eq!(book.on_response(2, junk, &limits), Answer::Garbage);
        assert!(matches!(rx.try_recv().unwrap(), Err(NetworkError::Sync(_))));
        let (tx, mut rx) = oneshot::channel();
        book.outbound_sent(3, tx);
        book.on_failure(3, "closed".into());
        assert_eq!(
            rx.try_recv().unwrap(),
            Err(NetworkError::Sync("closed".into()))
        );
    }

    #[test]
    fn outbound_requests_are_capped() {
        let mut book = Book::new(bounds());
        let mut waiting = Vec::new();
        for id in 0..2 {
            assert!(!book.outbound_full());
            let (tx, rx) = oneshot::channel();
            book.outbound_sent(id, tx);
            waiting.push(rx);
        }
        assert!(book.outbound_full());
        book.on_failure(0, "gone".into());
        assert!(!book.outbound_full());
    }

    #[tokio::test]
    async fn inbound_requests_are_rate_limited_per_peer_and_capped() {
        let mut book = Book::new(bounds());
        let (a, b) = (PeerId::random(), PeerId::random());
        let now = Instant::now();
        let mut responders = Vec::new();
        let mut take = |r| {
            responders.push(r);
            true
        };
        book.serve(a, &DIGEST, "a1", now, &mut take).unwrap();
        book.serve(a, &DIGEST, "a2", now, &mut take).unwrap();
        assert_eq!(
            book.serve(b, &DIGEST, "b1", now, |_| true),
            Err(("b1", Refusal::Busy)),
            "two being served already"
        );
        assert_eq!(book.inbound_len(), 2);
        responders.remove(0).respond(TxSyncResponse::Digest(vec![]));
        assert_eq!(
            book.next_inbound().await,
            Some(("a1", TxSyncResponse::Digest(vec![])))
        );
        book.serve(a, &DIGEST, "a3", now, |_| true).unwrap();
        assert_eq!(
            book.serve(a, &DIGEST, "a4", now, |_| true),
            Err(("a4", Refusal::RateLimited { offence: false }))
        );
        let huge = TxSyncRequest::Get(vec![[0; 32]; MAX_GET_HASHES + 1]);
        assert_eq!(
            book.serve(b, &huge, "b2", now, |_| true),
            Err(("b2", Refusal::BadRequest))
        );
        // A responder dropped by the node answers "unavailable".
        drop(responders);
        assert_eq!(
            book.next_inbound().await,
            Some(("a2", TxSyncResponse::Error("unavailable".into())))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_node_answers_unavailable_after_the_timeout() {
        let mut book = Book::new(bounds());
        let mut kept = None;
        book.serve(PeerId::random(), &DIGEST, "slow", Instant::now(), |r| {
            kept = Some(r);
            true
        })
        .unwrap();
        assert_eq!(
            book.next_inbound().await,
            Some(("slow", TxSyncResponse::Error("unavailable".into())))
        );
        drop(kept);
    }
}
