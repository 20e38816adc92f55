//! The node's Prometheus endpoint: fetching it and pulling out the counters the report needs.

pub mod http;

pub use rumor_report::metrics::{NodeCounters, clock, counters, prom};

use std::net::SocketAddr;
use std::time::Duration;

use crate::error::Result;

pub async fn scrape(addr: SocketAddr, network: &str) -> Result<NodeCounters> {
    let text = http::get(addr, "/metrics", Duration::from_secs(5)).await?;
    Ok(NodeCounters::from_samples(&prom::parse(&text), network))
}
