//! One keep-alive HTTP JSON-RPC connection pool per node, calling the node through
//! `rumor-api`'s generated typed client (the same traits the node's server implements).
//! Batches (jsonrpsee's typed client has none) name their methods by `rumor_api::rpc::method`.

use std::time::Duration;

use jsonrpsee::core::ClientError;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::core::params::BatchRequestBuilder;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use rumor_api::rpc::method;
pub use rumor_api::{Account, EquivocationInfo, Head, MempoolStatus, NetInfo, Peer};
use rumor_api::{
    BlockTxs, ChainApiClient, ClockReading, FaultApiClient, MempoolApiClient, NetApiClient,
    StateApiClient, TraceApiClient, TracePage, TraceStats, TxApiClient,
};
use rumor_chain::Address;

use crate::error::{Error, Result};

/// The node's server refuses batch requests of more calls than this (its default limit).
pub const MAX_BATCH: usize = rumor_api::config::DEFAULT_MAX_BATCH as usize;

#[derive(Debug, Clone)]
pub struct Rpc {
    endpoint: String,
    timeout: Duration,
    client: HttpClient,
}

/// What became of one submitted transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    Accepted(String),
    /// A JSON-RPC error answer: the node looked at the tx and refused it.
    Rejected {
        code: i32,
        message: String,
    },
    /// No answer (connection, timeout, malformed response).
    Failed(String),
}

impl Rpc {
    pub fn new(url: &str, timeout: Duration) -> Result<Self> {
        let client = HttpClientBuilder::default()
            .request_timeout(timeout)
            // Batches of pre-signed txs are large; leave the size caps to the server.
            .max_request_size(64 * 1024 * 1024)
            .max_response_size(64 * 1024 * 1024)
            .build(url)
            .map_err(|e| Error::Rpc {
                endpoint: url.into(),
                method: "connect".into(),
                message: e.to_string(),
            })?;
        Ok(Self {
            endpoint: url.into(),
            timeout,
            client,
        })
    }

    /// A client with its own connection pool to the same node (a clone shares the pool), so
    /// concurrent load clients each hold their own keep-alive connection.
    pub fn separate(&self) -> Result<Self> {
        Self::new(&self.endpoint, self.timeout)
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn wrap<T>(&self, method: &str, r: std::result::Result<T, ClientError>) -> Result<T> {
        r.map_err(|e| self.err(method, e.to_string()))
    }

    pub async fn net_info(&self) -> Result<NetInfo> {
        self.wrap("net_info", NetApiClient::info(&self.client).await)
    }

    pub async fn net_peers(&self) -> Result<Vec<Peer>> {
        self.wrap("net_peers", NetApiClient::peers(&self.client).await)
    }

    pub async fn chain_head(&self) -> Result<Head> {
        self.wrap("chain_head", ChainApiClient::head(&self.client).await)
    }

    pub async fn chain_equivocations(&self) -> Result<Vec<EquivocationInfo>> {
        self.wrap(
            "chain_getEquivocations",
            ChainApiClient::equivocations(&self.client, None).await,
        )
    }

    pub async fn mempool_status(&self) -> Result<MempoolStatus> {
        self.wrap(
            "mempool_status",
            MempoolApiClient::status(&self.client).await,
        )
    }

    /// Hashes (lowercase hex) of every tx in the node's pool, pending and queued.
    pub async fn pooled_hashes(&self) -> Result<Vec<String>> {
        let content = self.wrap(
            "mempool_content",
            MempoolApiClient::content(&self.client).await,
        )?;
        Ok(content
            .values()
            .flat_map(|s| s.pending.iter().chain(&s.queued))
            .map(|t| hex::encode(t.hash().0))
            .collect())
    }

    /// The canonical block at `height`: its hash and its txs' hashes (lowercase hex; `None`:
    /// no such block, e.g. the head moved back in a reorg).
    pub async fn canonical_block(&self, height: u64) -> Result<Option<(String, Vec<String>)>> {
        let block = self.wrap(
            "chain_getBlockByHeight",
            ChainApiClient::block_by_height(&self.client, height, Some(false)).await,
        )?;
        Ok(block.map(|b| {
            let txs = match b.txs {
                BlockTxs::Hashes(h) => h.iter().map(|h| hex::encode(h.0)).collect(),
                BlockTxs::Full(t) => t.iter().map(|t| hex::encode(t.hash().0)).collect(),
            };
            (hex::encode(b.hash.0), txs)
        }))
    }

    /// `fault_cutPeers` (`cut`) or `fault_restorePeers`: how many peers changed state.
    /// The canonical block header at `height`.
    pub async fn header(&self, height: u64) -> Result<rumor_chain::BlockHeader> {
        let block = self.wrap(
            "chain_getBlockByHeight",
            ChainApiClient::block_by_height(&self.client, height, Some(false)).await,
        )?;
        block
            .map(|b| b.header)
            .ok_or_else(|| self.err("chain_getBlockByHeight", format!("no block at {height}")))
    }

    /// `chain_clock`: the node's own estimate of its clock against the other producers'.
    pub async fn chain_clock(&self) -> Result<rumor_api::ClockStatus> {
        self.wrap("chain_clock", ChainApiClient::clock(&self.client).await)
    }

    pub async fn trace_clock(&self) -> Result<ClockReading> {
        self.wrap("trace_clock", TraceApiClient::clock(&self.client).await)
    }

    pub async fn trace_read(&self, offset: u64) -> Result<TracePage> {
        self.wrap(
            "trace_read",
            TraceApiClient::read(&self.client, offset, None).await,
        )
    }

    pub async fn trace_stats(&self) -> Result<TraceStats> {
        self.wrap("trace_stats", TraceApiClient::stats(&self.client).await)
    }

    pub async fn set_cut(&self, peer_ids: Vec<String>, cut: bool) -> Result<usize> {
        if cut {
            self.wrap(
                "fault_cutPeers",
                FaultApiClient::cut_peers(&self.client, peer_ids).await,
            )
        } else {
            self.wrap(
                "fault_restorePeers",
                FaultApiClient::restore_peers(&self.client, peer_ids).await,
            )
        }
    }

    /// `fault_setLinkFault`: how many peers the fault was set for.
    pub async fn set_link_fault(
        &self,
        peer_ids: Vec<String>,
        fault: rumor_api::LinkFaultSpec,
    ) -> Result<usize> {
        self.wrap(
            "fault_setLinkFault",
            FaultApiClient::set_link_fault(&self.client, peer_ids, fault).await,
        )
    }

    /// `fault_clearLinkFaults` (every peer when `None`): how many peers had any.
    pub async fn clear_link_faults(&self, peer_ids: Option<Vec<String>>) -> Result<usize> {
        self.wrap(
            "fault_clearLinkFaults",
            FaultApiClient::clear_link_faults(&self.client, peer_ids).await,
        )
    }

    pub async fn account(&self, address: Address) -> Result<Account> {
        self.wrap(
            method::STATE_GET_ACCOUNT,
            StateApiClient::account(&self.client, address).await,
        )
    }

    /// Several accounts in one batch request.
    pub async fn accounts(&self, addresses: &[Address]) -> Result<Vec<Account>> {
        let mut out = Vec::with_capacity(addresses.len());
        for chunk in addresses.chunks(MAX_BATCH) {
            let mut batch = BatchRequestBuilder::new();
            for a in chunk {
                batch
                    .insert(method::STATE_GET_ACCOUNT, rpc_params![a])
                    .map_err(|e| self.err(method::STATE_GET_ACCOUNT, e.to_string()))?;
            }
            let resp = self
                .client
                .batch_request::<Account>(batch)
                .await
                .map_err(|e| self.err(method::STATE_GET_ACCOUNT, e.to_string()))?;
            for entry in resp {
                out.push(entry.map_err(|e| self.err(method::STATE_GET_ACCOUNT, e.to_string()))?);
            }
        }
        Ok(out)
    }

    pub async fn submit(&self, raw_hex: &str) -> SubmitOutcome {
        match TxApiClient::submit(&self.client, raw_hex.to_owned()).await {
            Ok(hash) => SubmitOutcome::Accepted(hash.to_string()),
            Err(ClientError::Call(e)) => SubmitOutcome::Rejected {
                code: e.code(),
                message: e.message().to_string(),
            },
            Err(e) => SubmitOutcome::Failed(e.to_string()),
        }
    }

    /// One JSON-RPC batch of `tx_submit` calls; outcomes in input order.
    pub async fn submit_batch(&self, raw_hex: &[String]) -> Vec<SubmitOutcome> {
        let mut batch = BatchRequestBuilder::new();
        for tx in raw_hex {
            if let Err(e) = batch.insert(method::TX_SUBMIT, rpc_params![tx]) {
                return vec![SubmitOutcome::Failed(e.to_string()); raw_hex.len()];
            }
        }
        match self.client.batch_request::<String>(batch).await {
            Ok(resp) => resp
                .into_iter()
                .map(|r| match r {
                    Ok(hash) => SubmitOutcome::Accepted(hash),
                    Err(e) => SubmitOutcome::Rejected {
                        code: e.code(),
                        message: e.message().to_string(),
                    },
                })
                .collect(),
            Err(e) => vec![SubmitOutcome::Failed(e.to_string()); raw_hex.len()],
        }
    }

    fn err(&self, method: &str, message: String) -> Error {
        Error::Rpc {
            endpoint: self.endpoint.clone(),
            method: method.into(),
            message,
        }
    }
}
