//! JSON-RPC 2.0 over HTTP and WebSocket on one port (jsonrpsee), with bounded request and
//! response sizes, connections, batch length and subscriptions per connection. The traits,
//! types, error codes and OpenRPC document are `rumor-api`'s; this module implements them.
//!
//! Invariant: every limit comes from the node's `RpcLimits`; method names and error codes are
//! public interface (`rumor_api::rpc`, `rumor_api::errors`) and `rpc.discover` lists every method.

pub mod batch;
pub mod envelope;
pub mod errors;
mod impls;
pub mod trace_api;

use std::net::SocketAddr;
use std::sync::Arc;

use jsonrpsee::RpcModule;
use jsonrpsee::server::{BatchRequestConfig, Server, ServerConfig, ServerHandle};
pub use rumor_api::{ChainApiClient, MempoolApiClient, NetApiClient, StateApiClient, TxApiClient};
use rumor_api::{
    ChainApiServer, FaultApiServer, MempoolApiServer, NetApiServer, StateApiServer, TraceApiServer,
    TxApiServer, openrpc,
};

use crate::config::RpcLimits;
use crate::context::Ctx;

/// All methods, including `rpc.discover`; the `fault_*` methods only when the config's
/// `fault_control` is on.
pub fn module(ctx: Arc<Ctx>) -> RpcModule<()> {
    let fault_control = ctx.config.fault_control;
    let imp = impls::RpcImpl { ctx };
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
    ctx: Arc<Ctx>,
) -> std::io::Result<(ServerHandle, SocketAddr)> {
    let max_response_bytes = limits.max_response_bytes as usize;
    let config = ServerConfig::builder()
        .max_request_body_size(limits.max_request_bytes)
        .max_response_body_size(limits.max_response_bytes)
        .max_connections(limits.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(limits.max_batch))
        .max_subscriptions_per_connection(limits.max_subscriptions_per_connection)
        .build();
    let server = Server::builder()
        .set_config(config)
        .set_http_middleware(tower::ServiceBuilder::new().layer(envelope::EnvelopeLayer {
            max_body: limits.max_request_bytes as usize,
        }))
        .set_rpc_middleware(
            jsonrpsee::server::middleware::rpc::RpcServiceBuilder::new().layer_fn(move |inner| {
                batch::ConcurrentBatch {
                    inner,
                    max_response_bytes,
                }
            }),
        )
        .build(addr)
        .await?;
    let bound = server.local_addr()?;
    Ok((server.start(module(ctx)), bound))
}
