//! A real Prometheus server watching a testnet (`up|run --prometheus`): every node's
//! `/metrics` is a target through file-based service discovery (`config.rs`), the server runs
//! on loopback with its data inside the testnet directory (`server.rs`), and the report reads
//! bytes/s, pool sizes, peers and heads over the run from its HTTP API (`api.rs`, `series.rs`).
//!
//! Invariants: everything lives in `DIR/prometheus/` (config, targets, TSDB, log); the server
//! listens on 127.0.0.1 only; it is recorded in `testnet.json` (pid, address) before anything
//! else waits on it, so `down` or a Ctrl-C can stop it; without the `prometheus` binary the
//! config and targets are still written and the report says which plots it could not draw.
//!
//! Bounds: one scrape of each node per interval (1 s by default: ~20 points in a 20 s run at
//! the cost of one ~40 KiB page per node per second), the TSDB kept for a day at most
//! (`--storage.tsdb.retention.time`), API answers read up to 16 MiB each, and every query has
//! a timeout.

//!
//! The pub API is what this file re-exports; the modules behind it are private.

mod api;
mod config;
mod options;
mod series;
mod server;
mod watch;

pub use api::{query, targets};
pub use options::{DEFAULT_INTERVAL, Entry, Keeper, PrometheusOptions};
pub use series::{OverTimeExt, collect as collect_series};
pub use server::{clear_pid, is_ours, stop as stop_server};
pub use watch::{describe, start, stop_recorded, wait_targets_up};
