//! `rumor-api`: every contract that crosses a process boundary, defined once and compiled by
//! both sides.
//!
//! | module | contract | written by | read by |
//! |---|---|---|---|
//! | [`rpc`] | JSON-RPC traits (`#[rpc(server, client)]`) | node (server impl) | testnet, bench, wallet (typed client) |
//! | [`types`] | JSON shapes of RPC results | node | clients |
//! | [`errors`] | error codes and the tx rejection vocabulary | node, mempool (metric labels) | clients |
//! | [`exit`] | `rumor node`'s exit statuses | node | supervisors, testnet |
//! | [`openrpc`] | the `rpc.discover` document, built from the method table and the types' derived schemas ([`schema`]: the chain types') | node | clients |
//! | [`trace`] | trace line and stats formats (files, and `trace_*` over RPC) | node | testnet |
//! | [`config`] | `NodeConfig` (TOML) | testnet | node |
//! | [`layout`] | data-dir file names | node | testnet |
//! | [`metrics`] | `/metrics` family names, types, labels, help | node, p2p (registration) | testnet, bench, tests |
//! | [`prom_text`] | reading the `/metrics` page (text format and OpenMetrics) | node (prometheus-client) | testnet, bench, node tests |
//! | [`floor`] | the bare-gossipsub floor's plan and stdio protocol | bench | `rumor-floor` |
//!
//! Without the default `rpc` feature the crate has no jsonrpsee in it (and no `openrpc`/`rpc`):
//! the mempool and p2p use only the vocabulary (rejection reasons, metric families). The types'
//! `JsonSchema` derives stay in either case.

pub mod config;
pub mod errors;
pub mod exit;
pub mod floor;
pub mod layout;
pub mod metrics;
#[cfg(feature = "rpc")]
pub mod openrpc;
pub mod prom_text;
#[cfg(feature = "rpc")]
pub mod rpc;
pub mod schema;
pub mod trace;
pub mod types;

pub use config::{ConfigFileError, LogFormat, NetLimits, NodeConfig, PoolLimits, RpcLimits};
pub use errors::TxReject;
pub use layout::DataDir;
#[cfg(feature = "rpc")]
pub use rpc::{
    ChainApiClient, ChainApiServer, FaultApiClient, FaultApiServer, MempoolApiClient,
    MempoolApiServer, NetApiClient, NetApiServer, NodeApiClient, NodeApiServer, StateApiClient,
    StateApiServer, TraceApiClient, TraceApiServer, TxApiClient, TxApiServer,
};
pub use trace::{TraceLine, TraceStats};
pub use types::*;
