//! `rumor-testnet`: the harness. Starts a local Rumor testnet (N `rumor node` processes on
//! this machine, containers, or nodes in this process), loads it with signed transfers over
//! JSON-RPC, injects faults and a hostile peer, collects what the nodes report and hands it
//! to `rumor-report`, which analyses it and writes the report.
//!
//! Layout: [`setup`] creates keys, genesis, the topology and `testnet.json` ([`setup::manifest`]);
//! [`process`] starts, recognises and stops nodes (processes, or in this process:
//! [`process::inproc`]) and keeps the registry of what it started ([`process::Started`]);
//! [`backend`] runs them under Docker Compose or renders Kubernetes manifests; [`observe`]
//! talks to running nodes (RPC, metrics, clocks, readiness) and takes the live snapshot;
//! [`load`] paces pre-signed txs; [`faults`] and [`attack`] inject partitions, kills, link
//! faults and a hostile peer; [`prometheus`] runs a Prometheus server beside the testnet;
//! [`report`] assembles the report's data from all of that; [`commands`] strings these
//! together for the CLI; [`util`] holds the small helpers. The benchmark suite
//! (`rumor-bench`) is built from the same pieces.

pub mod attack;
pub mod backend;
pub mod commands;
pub mod error;
pub mod faults;
pub mod load;
pub mod observe;
pub mod process;
pub mod prometheus;
pub mod report;
pub mod setup;
pub mod util;

pub use util::rng;

pub use error::{Error, Result};
pub use setup::manifest::Manifest;
