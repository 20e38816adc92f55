//! JSON-RPC client for the node's methods (HTTP, keep-alive, jsonrpsee).

pub mod client;
pub mod types;

pub use client::{Rpc, SubmitOutcome};
pub use types::{AccountInfo, ChainHead, MempoolStatus, NetInfo, PeerEntry};
