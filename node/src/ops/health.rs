//! `rumor health`: whether a node's JSON-RPC answers `chain_head` — the container health check
//! (Kubernetes exec readiness and liveness probes, a Compose `healthcheck`).
//!
//! Invariant: one `chain_head` call through the generated client, bounded by `timeout` as a
//! whole (connect included), so a hung node fails the probe instead of hanging it; the probe's
//! own `timeoutSeconds` is the outer bound.

use std::time::Duration;

use jsonrpsee::http_client::HttpClientBuilder;
use rumor_api::Head;

use crate::rpc::ChainApiClient;

#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error("--rpc {url}: {message}")]
    Rpc { url: String, message: String },
    #[error("--rpc {url}: no answer to chain_head within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
}

/// `127.0.0.1:8545` or a full `http://…` URL.
pub fn rpc_url(addr: &str) -> String {
    if addr.contains("://") {
        addr.to_owned()
    } else {
        format!("http://{addr}")
    }
}

/// The node's head, if its JSON-RPC at `addr` answers within `timeout`.
pub async fn check(addr: &str, timeout: Duration) -> Result<Head, HealthError> {
    let url = rpc_url(addr);
    let rpc_err = |e: &dyn std::fmt::Display| HealthError::Rpc {
        url: url.clone(),
        message: e.to_string(),
    };
    let client = HttpClientBuilder::default()
        .request_timeout(timeout)
        .build(&url)
        .map_err(|e| rpc_err(&e))?;
    match tokio::time::timeout(timeout, ChainApiClient::head(&client)).await {
        Ok(Ok(head)) => Ok(head),
        Ok(Err(e)) => Err(rpc_err(&e)),
        Err(_) => Err(HealthError::Timeout {
            url: url.clone(),
            timeout,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_addresses_become_http_urls() {
        assert_eq!(rpc_url("127.0.0.1:8545"), "http://127.0.0.1:8545");
        assert_eq!(rpc_url("http://node:1"), "http://node:1");
    }

    #[tokio::test]
    async fn nothing_listening_is_unhealthy() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = check(&format!("127.0.0.1:{port}"), Duration::from_secs(2))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--rpc http://127.0.0.1:"), "{e}");
    }
}
