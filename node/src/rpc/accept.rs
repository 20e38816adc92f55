//! The RPC server's own accept loop, in place of jsonrpsee's: it knows each connection's
//! source address, which jsonrpsee keeps to itself.
//!
//! Per connection it (1) admits or closes it against the total and per-client connection
//! limits ([`super::clients::ConnectionTable`]), (2) puts the [`Client`] in every request's
//! extensions, where the rate limit ([`super::ratelimit`]) reads it, and (3) serves HTTP/1.1,
//! HTTP/2 and the WebSocket upgrade with jsonrpsee's service.
//!
//! # Invariants
//!
//! - A connection's slot is held until the connection ends, a WebSocket's too: the slot rides
//!   in the request extensions, which jsonrpsee keeps for the WebSocket's whole life (the
//!   HTTP connection future itself ends at the upgrade).
//! - A connection over a limit is closed right after accept, without reading from it, and
//!   counted (`rumor_rpc_connections_refused_total{reason}`): jsonrpsee would answer such a
//!   client an HTTP 429 only once it sent a request, holding the socket meanwhile.
//! - A connection that sends no complete request head for `idle_timeout` — a new one, a
//!   slow-header (slowloris) one, or an idle keep-alive one — is closed, so idle sockets do not
//!   pin slots forever.
//! - While the node cannot write to a connection it reads nothing from it, and a connection
//!   that takes no byte for `send_timeout` is closed ([`super::slow`]).
//! - Stopping the server stops accepting and shuts every connection down gracefully; the
//!   server handle reports stopped once the last connection (WebSocket included) is gone.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use jsonrpsee::server::StopHandle;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use super::clients::{Client, ConnectionTable};
use super::slot::Slot;
use super::slow::{Backpressure, ReadPause};
use crate::metrics::NodeMetrics;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the accept loop needs besides the listener and the service.
#[derive(Debug, Clone)]
pub struct AcceptConfig {
    pub table: Arc<Mutex<ConnectionTable>>,
    pub limit_loopback: bool,
    pub idle_timeout: Duration,
    pub send_timeout: Duration,
    pub metrics: Arc<NodeMetrics>,
}

fn admit(cfg: &AcceptConfig, remote: SocketAddr) -> Option<Arc<Slot>> {
    let client = Client::new(remote.ip(), cfg.limit_loopback);
    let mut t = cfg.table.lock().unwrap_or_else(|p| p.into_inner());
    match t.admit(client) {
        Ok(()) => {
            cfg.metrics.rpc_connections.set(i64::from(t.open()));
            Some(Arc::new(Slot {
                table: cfg.table.clone(),
                client,
                metrics: cfg.metrics.clone(),
                pause: Arc::default(),
            }))
        }
        Err(why) => {
            drop(t);
            tracing::debug!(%remote, limit = why.as_str(), "RPC connection refused");
            cfg.metrics
                .rpc_connections_refused
                .get_or_create(&vec![("reason", why.as_str())])
                .inc();
            None
        }
    }
}

/// Accepts until `stop` fires. `service` makes the jsonrpsee service of one connection.
pub async fn run<S, B>(
    listener: TcpListener,
    cfg: AcceptConfig,
    stop: StopHandle,
    service: impl Fn(StopHandle) -> S + Send + 'static,
) where
    S: tower::Service<http::Request<Incoming>, Response = http::Response<B>, Error = BoxError>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let stopped = stop.clone().shutdown();
    tokio::pin!(stopped);
    loop {
        let (socket, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors and the like: back off a little rather than spin.
                    tracing::debug!(error = %e, "RPC accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = &mut stopped => return,
        };
        let Some(slot) = admit(&cfg, remote) else {
            drop(socket);
            continue;
        };
        let client = slot.client;
        let pause = slot.pause.clone();
        let svc = service(stop.clone());
        let svc = tower::util::MapRequest::new(svc, move |mut req: http::Request<Incoming>| {
            req.extensions_mut().insert(client);
            req.extensions_mut().insert(slot.clone());
            req
        });
        tokio::spawn(serve(
            socket,
            svc,
            (cfg.idle_timeout, cfg.send_timeout),
            pause,
            stop.clone().shutdown(),
        ));
    }
}

/// Serves one connection until it ends, idles out, or the server stops (then gracefully).
async fn serve<S, B>(
    socket: TcpStream,
    svc: S,
    (idle_timeout, send_timeout): (Duration, Duration),
    pause: Arc<ReadPause>,
    stopped: impl Future<Output = ()>,
) where
    S: tower::Service<http::Request<Incoming>, Response = http::Response<B>, Error = BoxError>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    if let Err(e) = socket.set_nodelay(true) {
        tracing::debug!(error = %e, "RPC connection: TCP_NODELAY");
    }
    let first = Arc::new(Notify::new());
    let seen = first.clone();
    let svc = tower::util::MapRequest::new(svc, move |req| {
        seen.notify_one();
        req
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(idle_timeout);
    let conn = builder.serve_connection_with_upgrades(
        TokioIo::new(Backpressure::new(socket, send_timeout, pause)),
        TowerToHyperService::new(svc),
    );
    tokio::pin!(conn, stopped);
    // The header timeout covers HTTP/1.1; this covers a connection that never sends a request
    // at all (HTTP/2 included).
    let no_request = async {
        if tokio::time::timeout(idle_timeout, first.notified())
            .await
            .is_err()
        {
            return;
        }
        std::future::pending::<()>().await
    };
    let result = tokio::select! {
        r = &mut conn => r,
        _ = &mut stopped => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
        _ = no_request => Ok(()),
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "RPC connection ended");
    }
}
