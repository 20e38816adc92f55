//! The per-client call rate, as the outermost JSON-RPC middleware: every call, every call of a
//! batch and every notification takes a token from its client's bucket
//! ([`super::clients::RateTable`]) before any other work is done.
//!
//! Invariants: a call over the rate is answered at once with error −32040
//! ([`rumor_api::errors::RATE_LIMITED`], `data.retry_after_ms`) — in a batch, only the calls
//! over the rate, in their place, so a client always gets one answer per call with an id, as
//! JSON-RPC 2.0 requires; the HTTP status stays 200 and the connection stays open (a 429 would
//! hide which calls of a batch were served). A notification over the rate is dropped (it gets
//! no answer either way). Clients the accept loop marked exempt ([`super::clients::Client`])
//! and requests without a client (none reach this server) are not counted. After a refusal the
//! connection is not read from until the client's bucket holds a token again
//! ([`super::slow::ReadPause`]): what the client sends meanwhile waits in its socket.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::Either;
use jsonrpsee::core::middleware::RpcServiceT;
use jsonrpsee::core::middleware::{Batch, BatchEntry, BatchEntryErr, Notification, Request};
use jsonrpsee::core::server::MethodResponse;
use rumor_api::errors::rate_limited;

use super::clients::{Client, Rate, RateTable};
use super::slot::Slot;
use crate::metrics::NodeMetrics;

/// The shared state of every connection's [`RateLimit`].
#[derive(Debug)]
pub struct Limiter {
    /// `None`: no rate limit (`rate_per_ip = 0`); every call goes on.
    table: Option<Mutex<RateTable>>,
    metrics: Arc<NodeMetrics>,
}

impl Limiter {
    pub fn new(table: Option<RateTable>, metrics: Arc<NodeMetrics>) -> Self {
        Self {
            table: table.map(Mutex::new),
            metrics,
        }
    }

    /// Takes a token for each call of `clients` (one entry per call); `None` where it may go
    /// on, the wait where it is refused. One lock for a whole batch.
    fn take(&self, clients: impl IntoIterator<Item = Option<Client>>) -> Vec<Option<Duration>> {
        let Some(table) = &self.table else {
            return clients.into_iter().map(|_| None).collect();
        };
        let now = Instant::now();
        let mut table = table.lock().unwrap_or_else(|p| p.into_inner());
        let out: Vec<_> = clients
            .into_iter()
            .map(
                |c| match c.filter(|c| c.limited).map(|c| table.take(c.key, now)) {
                    Some(Rate::Refuse { retry_after }) => Some(retry_after),
                    Some(Rate::Allow) | None => None,
                },
            )
            .collect();
        self.metrics.rpc_rate_clients.set(table.len() as i64);
        crate::metrics::advance_to(&self.metrics.rpc_rate_clients_evicted, table.evicted());
        drop(table);
        let refused = out.iter().flatten().count() as u64;
        if refused > 0 {
            self.metrics.rpc_rate_limited.inc_by(refused);
        }
        out
    }

    fn take_one(&self, client: Option<Client>) -> Option<Duration> {
        self.take([client]).pop().flatten()
    }
}

/// Stops reading from the refused call's connection until its client has a token again.
fn pause(extensions: &jsonrpsee::core::middleware::Extensions, wait: Duration) {
    if let Some(slot) = extensions.get::<Arc<Slot>>() {
        slot.pause.pause_for(wait);
    }
}

fn retry_ms(d: Duration) -> u64 {
    d.as_millis().max(1) as u64
}

/// The middleware (installed with `RpcServiceBuilder::layer_fn`, outermost).
#[derive(Debug, Clone)]
pub struct RateLimit<S> {
    pub inner: S,
    pub limiter: Arc<Limiter>,
}

impl<S> RpcServiceT for RateLimit<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Send
        + Sync
        + Clone
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(&self, request: Request<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        match self
            .limiter
            .take_one(request.extensions().get::<Client>().copied())
        {
            Some(wait) => {
                pause(request.extensions(), wait);
                Either::Left(std::future::ready(MethodResponse::error(
                    request.id().into_owned(),
                    rate_limited(retry_ms(wait)),
                )))
            }
            None => Either::Right(self.inner.call(request)),
        }
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let entries: Vec<_> = batch.into_iter().collect();
        let had_entries = !entries.is_empty();
        let clients = entries.iter().map(|e| match e {
            Ok(e) => e.extensions().get::<Client>().copied(),
            // Already an error: it costs nothing more to answer.
            Err(_) => None,
        });
        let verdicts = self.limiter.take(clients);
        if let Some(wait) = verdicts.iter().flatten().max()
            && let Some(first) = entries.iter().find_map(|e| e.as_ref().ok())
        {
            pause(first.extensions(), *wait);
        }
        let mut kept = Vec::with_capacity(entries.len());
        for (entry, verdict) in entries.into_iter().zip(verdicts) {
            match (entry, verdict) {
                (entry, None) => kept.push(entry),
                (Ok(BatchEntry::Call(req)), Some(wait)) => kept.push(Err(BatchEntryErr::new(
                    req.id().into_owned(),
                    rate_limited(retry_ms(wait)),
                ))),
                // A notification over the rate is dropped; it would get no answer anyway.
                (Ok(BatchEntry::Notification(_)), Some(_)) => {}
                (Err(e), Some(_)) => kept.push(Err(e)),
            }
        }
        if kept.is_empty() && had_entries {
            // Only notifications, all dropped: the empty answer, as for any such batch.
            return Either::Left(std::future::ready(MethodResponse::notification()));
        }
        Either::Right(self.inner.batch(Batch::from(kept)))
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        match self
            .limiter
            .take_one(n.extensions().get::<Client>().copied())
        {
            Some(wait) => {
                pause(n.extensions(), wait);
                Either::Left(std::future::ready(MethodResponse::notification()))
            }
            None => Either::Right(self.inner.notification(n)),
        }
    }
}
