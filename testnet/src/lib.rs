//! `rumor-testnet`: starts a local Rumor testnet (N `rumor node` processes on this machine),
//! loads it with signed transfers over JSON-RPC, collects the nodes' propagation traces and
//! writes a report of how fast transactions and blocks reached every node.
//!
//! Layout: [`setup`] creates keys, genesis and the topology; [`process`] starts, recognises
//! and stops node processes; [`load`] paces pre-signed txs; [`collect`], [`metrics`] and
//! [`trace`] read what the nodes report; [`analysis`] turns traces into figures; [`report`]
//! writes them; [`faults`] and [`attack`] inject partitions, kills and a hostile peer; [`k8s`]
//! renders Kubernetes manifests for a network;
//! [`commands`] strings these together for the CLI. The benchmark suite
//! (`rumor-bench`) is built from the same pieces.

pub mod attack;
pub mod clock;
pub mod collect;
pub mod commands;
pub mod container;
pub mod dirs;
pub mod endpoints;
pub mod error;
pub mod faults;
pub mod fdlimit;
pub mod heap;
pub mod inproc;
pub mod k8s;
pub mod load;
pub mod machine;
pub mod manifest;
pub mod metrics;
pub mod process;
pub mod progress;
pub mod prometheus;
pub mod ready;
pub mod remote;
pub mod report;
pub mod rng;
pub mod rpc;
pub mod setup;
pub mod shutdown;
pub mod skew;
pub mod start_order;
pub mod timefmt;

pub use error::{Error, Result};
pub use manifest::Manifest;
