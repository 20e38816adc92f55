//! JSON-RPC 2.0 over HTTP and WebSocket on one port (jsonrpsee), with bounded request and
//! response sizes, connections (in total and per client), batch length, subscriptions per
//! connection, WebSocket send buffers, idle connections, and a call rate per client. The
//! traits, types, error codes and OpenRPC document are `rumor-api`'s; this module implements
//! them.
//!
//! Layers, outside in: the accept loop (`accept`: connection limits, the client's address into
//! the request), the envelope check (HTTP), then per call the rate limit (`ratelimit`), the
//! concurrent batch (`batch`) and jsonrpsee's method dispatch.
//!
//! Invariant: every limit comes from the node's `RpcLimits`; method names and error codes are
//! public interface (`rumor_api::rpc`, `rumor_api::errors`) and `rpc.discover` lists every method.

mod accept;
pub mod batch;
pub mod clients;
pub mod envelope;
pub mod errors;
pub mod exposure;
mod impls;
mod link_faults;
pub mod ratelimit;
mod slot;
pub mod slow;
pub mod trace_api;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonrpsee::RpcModule;
use jsonrpsee::server::{
    BatchRequestConfig, Methods, PingConfig, Server, ServerConfig, ServerHandle, StopHandle,
    stop_channel,
};
pub use rumor_api::{
    ChainApiClient, MempoolApiClient, NetApiClient, NodeApiClient, StateApiClient, TxApiClient,
};
use rumor_api::{
    ChainApiServer, FaultApiServer, MempoolApiServer, NetApiServer, NodeApiServer, StateApiServer,
    TraceApiServer, TxApiServer, openrpc,
};

use crate::blocks::Blocks;
use crate::config::RpcLimits;
use crate::txs::journal::Journal;

/// All methods, including `rpc.discover`; the `fault_*` methods only when the config's
/// `fault_control` is on. The methods read the shared services through the block pipeline's
/// `ctx` (and its state for `node_*` and `chain_clock`), and append RPC txs to `journal`.
pub fn module(blocks: Arc<Blocks>, journal: Journal) -> RpcModule<()> {
    let fault_control = blocks.ctx.config.fault_control;
    let imp = impls::RpcImpl {
        ctx: blocks.ctx.clone(),
        blocks,
        journal,
    };
    let mut m = RpcModule::new(());
    m.merge(TxApiServer::into_rpc(imp.clone()))
        .expect("unique names");
    m.merge(ChainApiServer::into_rpc(imp.clone()))
        .expect("unique names");
    m.merge(StateApiServer::into_rpc(imp.clone()))
        .expect("unique names");
    m.merge(MempoolApiServer::into_rpc(imp.clone()))
        .expect("unique names");
    m.merge(NetApiServer::into_rpc(imp.clone()))
        .expect("unique names");
    m.merge(TraceApiServer::into_rpc(imp.clone()))
        .expect("unique names");
    m.merge(NodeApiServer::into_rpc(imp.clone()))
        .expect("unique names");
    if fault_control {
        m.merge(FaultApiServer::into_rpc(imp))
            .expect("unique names");
    }
    let doc = openrpc::document();
    m.register_method("rpc.discover", move |_, _, _| doc.clone())
        .expect("unique names");
    m
}

/// Binds and starts the server.
pub async fn start(
    addr: SocketAddr,
    limits: &RpcLimits,
    blocks: Arc<Blocks>,
    journal: Journal,
) -> std::io::Result<(ServerHandle, SocketAddr)> {
    let metrics = blocks.ctx.metrics.clone();
    let max_response_bytes = limits.max_response_bytes as usize;
    let mut config = ServerConfig::builder()
        .max_request_body_size(limits.max_request_bytes)
        .max_response_body_size(limits.max_response_bytes)
        // jsonrpsee's own guard counts HTTP requests in flight and WebSockets; the accept loop
        // already keeps connections to this, so HTTP/1.1 clients never meet its 429.
        .max_connections(limits.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(limits.max_batch))
        .max_subscriptions_per_connection(limits.max_subscriptions_per_connection)
        .set_message_buffer_capacity(limits.ws_send_buffer.max(1));
    if limits.ws_ping_interval_secs > 0 {
        let every = Duration::from_secs(limits.ws_ping_interval_secs.into());
        config = config.enable_ws_ping(
            PingConfig::new()
                .ping_interval(every)
                .inactive_limit(every * 3),
        );
    }
    let rate = (limits.rate_per_ip > 0).then(|| {
        clients::RateTable::new(
            limits.rate_per_ip,
            limits.rate_burst_per_ip,
            limits.max_rate_clients,
        )
    });
    let limiter = Arc::new(ratelimit::Limiter::new(rate, metrics.clone()));
    let builder = Server::builder()
        .set_config(config.build())
        .set_http_middleware(tower::ServiceBuilder::new().layer(envelope::EnvelopeLayer {
            max_body: limits.max_request_bytes as usize,
        }))
        .set_rpc_middleware(
            jsonrpsee::server::middleware::rpc::RpcServiceBuilder::new()
                .layer_fn(move |inner| ratelimit::RateLimit {
                    inner,
                    limiter: limiter.clone(),
                })
                .layer_fn(move |inner| batch::ConcurrentBatch {
                    inner,
                    max_response_bytes,
                }),
        )
        .to_service_builder();
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let methods: Methods = module(blocks, journal).into();
    let (stop, handle) = stop_channel();
    let accept_config = accept::AcceptConfig {
        table: Arc::new(Mutex::new(clients::ConnectionTable::new(
            limits.max_connections,
            limits.max_connections_per_ip,
        ))),
        limit_loopback: limits.limit_loopback,
        idle_timeout: Duration::from_secs(limits.idle_timeout_secs.max(1).into()),
        send_timeout: Duration::from_secs(limits.send_timeout_secs.max(1).into()),
        metrics,
    };
    tokio::spawn(accept::run(
        listener,
        accept_config,
        stop,
        move |stop: StopHandle| builder.clone().build(methods.clone(), stop),
    ));
    Ok((handle, bound))
}
