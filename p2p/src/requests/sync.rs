//! Sync request bookkeeping for `/rumor/sync/1`: our outbound requests awaiting an answer
//! (the status greeting sent on connect, and the node's requests), and the inbound requests the
//! node is serving. No swarm: the event loop sends requests and responses; this remembers who
//! waits for what, decodes answers, and enforces the quotas.
//!
//! # Invariants
//!
//! - Every outbound request the node made gets exactly one answer on its reply channel: the
//!   decoded response, or an error (garbage answer, request failure). Garbage is reported so
//!   the event loop can penalise the sender.
//! - Every inbound request accepted here gets exactly one response: the node's, or
//!   "unavailable" when the node drops the responder or takes longer than the request timeout.
//!   A request refused here (over quota, or the node's event queue full) is handed back for the
//!   loop to answer "busy" at once.
//!
//! # Bounds
//!
//! - Outbound: at most [`MAX_PENDING_SYNC`] node requests in flight; beyond that the node gets
//!   [`NetworkError::Busy`] at once instead of growing the map. Status greetings are one per
//!   new connection, so bounded by the connection limits.
//! - Inbound: at most `max_inbound_sync` being served at once. Each holds a response channel
//!   and a timer, and serving costs the node store reads, so a peer flooding us with requests
//!   is answered "busy" rather than queued.

use std::collections::HashSet;
use std::future::Future;
use std::hash::Hash;
use std::time::Duration;

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use rumor_chain::Limits;
use tokio::sync::oneshot;

use crate::handle::SyncResponder;
use crate::protocol::sync::{Status, SyncResponse, WireResponse};
use crate::requests::pending::{Delivery, PendingReplies};

/// Outbound sync requests awaiting an answer.
pub(crate) const MAX_PENDING_SYNC: usize = 256;

type Reply = crate::requests::pending::Reply<SyncResponse>;

/// What an answer to one of our requests turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The peer's status, answering our greeting.
    Status(Status),
    /// Handed to the node.
    Delivered,
    /// Not the kind of answer asked for, or undecodable: the sender misbehaved.
    Garbage,
    /// Not a request we are waiting for.
    Unknown,
}

/// In-flight sync requests, generic over the swarm's request id (`Id`) and response channel
/// (`C`) types so it can be tested without a swarm.
pub(crate) struct SyncRequests<Id, C> {
    status: HashSet<Id>,
    outbound: PendingReplies<Id, SyncResponse>,
    inbound: FuturesUnordered<BoxFuture<'static, (C, SyncResponse)>>,
    max_inbound: usize,
    timeout: Duration,
}

impl<Id, C> std::fmt::Debug for SyncRequests<Id, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncRequests")
            .field("status", &self.status.len())
            .field("outbound", &self.outbound.len())
            .field("inbound", &self.inbound.len())
            .finish()
    }
}

impl<Id: Eq + Hash, C: Send + 'static> SyncRequests<Id, C> {
    /// `max_inbound` requests served at once, each given `timeout` to be answered by the node.
    pub fn new(max_inbound: usize, timeout: Duration) -> Self {
        Self {
            status: HashSet::new(),
            outbound: PendingReplies::new(),
            inbound: FuturesUnordered::new(),
            max_inbound,
            timeout,
        }
    }

    /// We greeted a new peer with our status.
    pub fn status_sent(&mut self, id: Id) {
        self.status.insert(id);
    }

    /// No room for another node request: answer it [`NetworkError::Busy`].
    pub fn outbound_full(&self) -> bool {
        self.outbound.len() >= MAX_PENDING_SYNC
    }

    /// A node request went out; `reply` waits for its answer.
    pub fn outbound_sent(&mut self, id: Id, reply: Reply) {
        self.outbound.insert(id, reply);
    }

    /// An answer arrived for request `id`.
    pub fn on_response(&mut self, id: Id, response: WireResponse, limits: &Limits) -> Answer {
        if self.status.remove(&id) {
            return match response {
                WireResponse::Status(s) => Answer::Status(s),
                _ => Answer::Garbage,
            };
        }
        match self.outbound.deliver(&id, || response.decode(limits)) {
            Delivery::Delivered => Answer::Delivered,
            Delivery::Garbage => Answer::Garbage,
            Delivery::Unknown => Answer::Unknown,
        }
    }

    /// Request `id` failed (timeout, connection closed, …).
    pub fn on_failure(&mut self, id: Id, error: String) {
        self.status.remove(&id);
        self.outbound.fail(&id, error);
    }

    /// Starts serving an inbound request answered through `channel`: `emit` hands the node its
    /// [`SyncResponder`] and says whether the node took it. Over quota, or if the node did not
    /// take it, the channel comes back to be answered "busy".
    pub fn serve(&mut self, channel: C, emit: impl FnOnce(SyncResponder) -> bool) -> Result<(), C> {
        if self.inbound.len() >= self.max_inbound {
            return Err(channel);
        }
        let (tx, rx) = oneshot::channel();
        if !emit(SyncResponder(tx)) {
            return Err(channel);
        }
        let timeout = self.timeout;
        self.inbound.push(Box::pin(async move {
            let response = match tokio::time::timeout(timeout, rx).await {
                Ok(Ok(r)) => r,
                _ => SyncResponse::Error("unavailable".into()),
            };
            (channel, response)
        }));
        Ok(())
    }

    /// The next inbound request whose response is ready. Only poll it while
    /// [`Self::inbound_len`] is non-zero (it is ready with `None` otherwise).
    pub fn next_inbound(&mut self) -> impl Future<Output = Option<(C, SyncResponse)>> + '_ {
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
    use rumor_chain::{BlockHash, Hash256};

    type Book = SyncRequests<u64, &'static str>;

    const TIMEOUT: Duration = Duration::from_secs(10);

    fn status(h: u64) -> Status {
        Status {
            genesis: Hash256([1; 32]),
            head_height: h,
            head_hash: BlockHash([2; 32]),
        }
    }

    fn ask(book: &mut Book, id: u64) -> oneshot::Receiver<Result<SyncResponse, NetworkError>> {
        let (tx, rx) = oneshot::channel();
        book.outbound_sent(id, tx);
        rx
    }

    #[test]
    fn answers_reach_the_caller_decoded() {
        let mut book = Book::new(4, TIMEOUT);
        let mut rx = ask(&mut book, 1);
        let answer = book.on_response(1, WireResponse::Blocks(Vec::new()), &Limits::default());
        assert_eq!(answer, Answer::Delivered);
        assert_eq!(rx.try_recv().unwrap(), Ok(SyncResponse::Blocks(Vec::new())));
        // Answered once: a second answer with the same id is not ours.
        let again = book.on_response(1, WireResponse::Blocks(Vec::new()), &Limits::default());
        assert_eq!(again, Answer::Unknown);
    }

    #[test]
    fn garbage_answers_fail_the_caller_and_blame_the_sender() {
        let mut book = Book::new(4, TIMEOUT);
        let mut rx = ask(&mut book, 1);
        let garbage = WireResponse::Blocks(vec![b"not a block".to_vec()]);
        assert_eq!(
            book.on_response(1, garbage, &Limits::default()),
            Answer::Garbage
        );
        match rx.try_recv().unwrap() {
            Err(NetworkError::Sync(why)) => assert!(why.starts_with("garbage answer"), "{why}"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn status_greetings_expect_a_status() {
        let mut book = Book::new(4, TIMEOUT);
        book.status_sent(1);
        book.status_sent(2);
        let limits = Limits::default();
        assert_eq!(
            book.on_response(1, WireResponse::Status(status(5)), &limits),
            Answer::Status(status(5))
        );
        assert_eq!(
            book.on_response(2, WireResponse::Blocks(Vec::new()), &limits),
            Answer::Garbage
        );
        book.status_sent(3);
        book.on_failure(3, "timeout".into());
        assert_eq!(
            book.on_response(3, WireResponse::Status(status(5)), &limits),
            Answer::Unknown,
            "a failed greeting is forgotten"
        );
    }

    #[test]
    fn failures_reach_the_caller() {
        let mut book = Book::new(4, TIMEOUT);
        let mut rx = ask(&mut book, 7);
        book.on_failure(7, "connection closed".into());
        assert_eq!(
            rx.try_recv().unwrap(),
            Err(NetworkError::Sync("connection closed".into()))
        );
        book.on_failure(8, "unknown ids are ignored".into());
    }

    #[test]
    fn outbound_requests_are_capped() {
        let mut book = Book::new(4, TIMEOUT);
        let mut waiting = Vec::new();
        for id in 0..MAX_PENDING_SYNC as u64 {
            assert!(!book.outbound_full());
            waiting.push(ask(&mut book, id));
        }
        assert!(book.outbound_full());
        book.on_failure(0, "gone".into());
        assert!(!book.outbound_full());
    }

    #[tokio::test]
    async fn inbound_requests_have_a_quota_and_get_the_nodes_answer() {
        let mut book = Book::new(2, TIMEOUT);
        let mut responders = Vec::new();
        for channel in ["a", "b"] {
            book.serve(channel, |r| {
                responders.push(r);
                true
            })
            .unwrap();
        }
        assert_eq!(book.serve("c", |_| true), Err("c"), "over quota");
        assert_eq!(book.inbound_len(), 2);
        responders
            .remove(1)
            .respond(SyncResponse::Status(status(9)));
        assert_eq!(
            book.next_inbound().await,
            Some(("b", SyncResponse::Status(status(9))))
        );
        // Room again; but a node that does not take the request gets it answered "busy".
        assert_eq!(book.serve("d", |_| false), Err("d"));
        assert_eq!(book.inbound_len(), 1);
        // A dropped responder answers "unavailable".
        drop(responders);
        assert_eq!(
            book.next_inbound().await,
            Some(("a", SyncResponse::Error("unavailable".into())))
        );
        assert_eq!(book.inbound_len(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_node_answers_unavailable_after_the_timeout() {
        let mut book = Book::new(2, TIMEOUT);
        let mut kept = None;
        book.serve("slow", |r| {
            kept = Some(r);
            true
        })
        .unwrap();
        let started = tokio::time::Instant::now();
        assert_eq!(
            book.next_inbound().await,
            Some(("slow", SyncResponse::Error("unavailable".into())))
        );
        assert!(started.elapsed() >= TIMEOUT);
        drop(kept);
    }
}
