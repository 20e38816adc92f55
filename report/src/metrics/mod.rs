//! What the report reads from a node's Prometheus page: the text format's samples ([`prom`])
//! and the counters pulled out of them ([`counters`], [`clock`]). Fetching the page is the
//! harness's (`rumor_testnet::metrics`).

pub mod clock;
pub mod counters;
pub mod prom;

pub use counters::NodeCounters;
