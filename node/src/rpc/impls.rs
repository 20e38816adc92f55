//! The RPC methods, implemented over the shared node context.
//!
//! Invariant: no method takes a ledger lock or reads the store on a runtime thread — those
//! calls go through `RpcImpl::ledger` (the blocking pool); `chain_head` reads the head
//! snapshot and `node_health` the store monitor (a leaf lock never held across I/O), so both
//! answer while the store is in trouble.

use std::sync::Arc;

use jsonrpsee::core::{RpcResult, SubscriptionResult, async_trait};
use jsonrpsee::{PendingSubscriptionSink, SubscriptionMessage};
use rumor_chain::{Account, Address, BlockHash, ChainStore, StoreError, TxHash};
use rumor_mempool::SubPool;
use serde::Serialize;
use tokio::sync::broadcast;

use crate::blocks::Blocks;
use crate::context::Ctx;
use crate::services::ledger::Ledger;
use crate::txs::ingest;
use crate::txs::journal::Journal;
use rumor_api::errors::{internal, invalid_params};
use rumor_api::rpc::{MAX_EQUIVOCATIONS, MAX_FAULT_PEERS};
use rumor_api::types::*;
use rumor_api::{
    ChainApiServer, FaultApiServer, MempoolApiServer, NetApiServer, NodeApiServer, StateApiServer,
    TxApiServer,
};

#[derive(Clone)]
pub struct RpcImpl {
    pub ctx: Arc<Ctx>,
    /// The block pipeline, for its state (the clock estimate, held blocks, catch-up flag).
    pub blocks: Arc<Blocks>,
    /// Where accepted RPC txs are made durable.
    pub journal: Journal,
}

/// Forwards a broadcast to a subscription until either side goes away; lagging subscribers
/// skip what they missed rather than buffering without bound.
async fn forward<T: Serialize + Clone>(
    pending: PendingSubscriptionSink,
    mut rx: broadcast::Receiver<T>,
) -> SubscriptionResult {
    let sink = pending.accept().await?;
    loop {
        tokio::select! {
            _ = sink.closed() => return Ok(()),
            item = rx.recv() => match item {
                Ok(v) => {
                    let msg: SubscriptionMessage = serde_json::value::to_raw_value(&v)?.into();
                    if sink.send(msg).await.is_err() {
                        return Ok(());
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            }
        }
    }
}

impl RpcImpl {
    /// Runs a ledger call on the blocking pool: its locks may be held through a durable
    /// commit, and redb reads may touch disk; neither may hold a runtime thread.
    async fn ledger<T: Send + 'static>(
        &self,
        call: impl FnOnce(&Ledger) -> T + Send + 'static,
    ) -> RpcResult<T> {
        self.ctx.ledger.blocking(call).await.map_err(internal)
    }

    /// A chain-store read on the blocking pool.
    async fn read_store<T: Send + 'static>(
        &self,
        read: impl FnOnce(&ChainStore) -> Result<T, StoreError> + Send + 'static,
    ) -> RpcResult<T> {
        self.ledger(move |l| l.read_chain(read))
            .await?
            .map_err(internal)
    }
}

#[async_trait]
impl TxApiServer for RpcImpl {
    async fn submit(&self, raw_hex: String) -> RpcResult<TxHash> {
        let _t = self.ctx.metrics.rpc("tx_submit");
        let hex_str = raw_hex.strip_prefix("0x").unwrap_or(&raw_hex);
        let bytes =
            hex::decode(hex_str).map_err(|e| invalid_params(format!("raw_hex is not hex: {e}")))?;
        Ok(ingest::submit_local(&self.ctx, &self.journal, &bytes).await?)
    }

    async fn get(&self, hash: TxHash) -> RpcResult<TxInfo> {
        let _t = self.ctx.metrics.rpc("tx_get");
        if let Some((tx, subpool)) = self.ledger(move |l| l.pool_get(&hash)).await? {
            let status = match subpool {
                SubPool::Queued => TxStatus::Queued,
                _ => TxStatus::Pending,
            };
            return Ok(TxInfo {
                tx: Some(tx),
                status,
            });
        }
        self.read_store(move |chain| {
            let Some(loc) = chain.tx_location(&hash)? else {
                return Ok(TxInfo {
                    tx: None,
                    status: TxStatus::Unknown,
                });
            };
            let tx = chain
                .block(&loc.block)?
                .and_then(|b| b.txs.get(loc.index as usize).cloned());
            Ok(TxInfo {
                tx,
                status: TxStatus::Included {
                    height: loc.height,
                    block: loc.block,
                },
            })
        })
        .await
    }
}

#[async_trait]
impl ChainApiServer for RpcImpl {
    async fn head(&self) -> RpcResult<Head> {
        let _t = self.ctx.metrics.rpc("chain_head");
        let h = self.ctx.ledger.head();
        Ok(Head {
            height: h.height,
            hash: h.hash,
            slot: h.slot,
        })
    }

    async fn block_by_height(
        &self,
        height: u64,
        full_txs: Option<bool>,
    ) -> RpcResult<Option<BlockInfo>> {
        let _t = self.ctx.metrics.rpc("chain_getBlockByHeight");
        let block = self.read_store(move |c| c.block_by_height(height)).await?;
        Ok(block.map(|b| BlockInfo::new(b, full_txs.unwrap_or(false))))
    }

    async fn block_by_hash(
        &self,
        hash: BlockHash,
        full_txs: Option<bool>,
    ) -> RpcResult<Option<BlockInfo>> {
        let _t = self.ctx.metrics.rpc("chain_getBlockByHash");
        let block = self.read_store(move |c| c.block(&hash)).await?;
        Ok(block.map(|b| BlockInfo::new(b, full_txs.unwrap_or(false))))
    }

    async fn equivocations(&self, max: Option<u64>) -> RpcResult<Vec<EquivocationInfo>> {
        let _t = self.ctx.metrics.rpc("chain_getEquivocations");
        let max = max.unwrap_or(MAX_EQUIVOCATIONS).min(MAX_EQUIVOCATIONS) as usize;
        let found = self.read_store(move |c| c.equivocations(max)).await?;
        Ok(found.into_iter().map(EquivocationInfo::from).collect())
    }

    async fn clock(&self) -> RpcResult<ClockStatus> {
        let _t = self.ctx.metrics.rpc("chain_clock");
        let s = self.blocks.clock_watch.standing();
        Ok(ClockStatus {
            offset_estimate_ms: s.estimate.map(|e| e.offset_ms),
            tolerance_ms: self.blocks.clock_watch.tolerance().max_future_ms,
            samples: s.samples as u64,
            producers: s.estimate.map_or(0, |e| e.producers as u64),
            within_tolerance: s.within,
            held_blocks: self.blocks.held.len() as u64,
        })
    }

    async fn subscribe_new_heads(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
        let _t = self.ctx.metrics.rpc("chain_subscribeNewHeads");
        forward(pending, self.ctx.ledger.subscribe_heads()).await
    }
}

#[async_trait]
impl StateApiServer for RpcImpl {
    async fn account(&self, address: Address) -> RpcResult<Account> {
        let _t = self.ctx.metrics.rpc("state_getAccount");
        self.ledger(move |l| l.account(&address)).await
    }
}

#[async_trait]
impl MempoolApiServer for RpcImpl {
    async fn status(&self) -> RpcResult<MempoolStatus> {
        let _t = self.ctx.metrics.rpc("mempool_status");
        let s = self.ledger(|l| l.pool_status()).await?;
        Ok(MempoolStatus {
            pending: s.pending,
            queued: s.queued,
            bytes: s.bytes,
            senders: s.senders,
            max_txs: s.limits.max_txs,
            max_bytes: s.limits.max_bytes,
            rejections: s
                .counters
                .rejections()
                .map(|(r, n)| (r.as_str().to_owned(), n))
                .collect(),
        })
    }

    async fn content(&self) -> RpcResult<MempoolContent> {
        let _t = self.ctx.metrics.rpc("mempool_content");
        Ok(self
            .ledger(|l| l.pool_content())
            .await?
            .into_iter()
            .map(|(a, c)| {
                (
                    a,
                    SenderTxs {
                        pending: c.pending.into_iter().map(|t| t.into_signed()).collect(),
                        queued: c.queued.into_iter().map(|t| t.into_signed()).collect(),
                    },
                )
            })
            .collect())
    }

    async fn subscribe_pending(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
        let _t = self.ctx.metrics.rpc("mempool_subscribePending");
        let rx = self.ledger(|l| l.subscribe_pending()).await?;
        forward(pending, rx).await
    }
}

#[async_trait]
impl NetApiServer for RpcImpl {
    async fn info(&self) -> RpcResult<NetInfo> {
        let _t = self.ctx.metrics.rpc("net_info");
        let i = self.ctx.net.info().await.map_err(internal)?;
        Ok(NetInfo {
            peer_id: i.peer_id.to_string(),
            listen_addrs: i.listen_addrs.iter().map(|a| a.to_string()).collect(),
            topics: i.topics,
            network: i.network,
        })
    }

    async fn peers(&self) -> RpcResult<Vec<Peer>> {
        let _t = self.ctx.metrics.rpc("net_peers");
        let peers = self.ctx.net.peers().await.map_err(internal)?;
        Ok(peers
            .into_iter()
            .map(|p| Peer {
                peer_id: p.peer.to_string(),
                addr: p.addr.to_string(),
                outbound: p.outbound,
                score: p.score,
                mesh_topics: p.mesh_topics.iter().map(|t| t.label().to_owned()).collect(),
            })
            .collect())
    }
}

#[async_trait]
impl NodeApiServer for RpcImpl {
    async fn health(&self) -> RpcResult<NodeHealth> {
        let _t = self.ctx.metrics.rpc("node_health");
        let storage = self.ctx.ledger.storage();
        let store = storage.health(crate::storage::Store::Chain);
        let journal = storage.health(crate::storage::Store::Journal);
        let h = self.ctx.ledger.head();
        Ok(NodeHealth {
            ok: store.is_ok() && journal.is_ok(),
            store,
            journal,
            head: Head {
                height: h.height,
                hash: h.hash,
                slot: h.slot,
            },
            syncing: self
                .blocks
                .sync
                .syncing
                .load(std::sync::atomic::Ordering::Relaxed),
        })
    }
}

impl RpcImpl {
    async fn set_cut(&self, peer_ids: Vec<String>, cut: bool) -> RpcResult<usize> {
        if peer_ids.len() > MAX_FAULT_PEERS {
            return Err(invalid_params(format!(
                "at most {MAX_FAULT_PEERS} peer ids per call, got {}",
                peer_ids.len()
            )));
        }
        let peers = peer_ids
            .iter()
            .map(|s| {
                s.parse::<rumor_p2p::PeerId>()
                    .map_err(|e| invalid_params(format!("peer id {s:?}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.ctx.net.set_cut(peers, cut).await.map_err(internal)
    }
}

#[async_trait]
impl FaultApiServer for RpcImpl {
    async fn cut_peers(&self, peer_ids: Vec<String>) -> RpcResult<usize> {
        let _t = self.ctx.metrics.rpc("fault_cutPeers");
        self.set_cut(peer_ids, true).await
    }

    async fn restore_peers(&self, peer_ids: Vec<String>) -> RpcResult<usize> {
        let _t = self.ctx.metrics.rpc("fault_restorePeers");
        self.set_cut(peer_ids, false).await
    }

    async fn set_link_fault(
        &self,
        peer_ids: Vec<String>,
        fault: LinkFaultSpec,
    ) -> RpcResult<usize> {
        let _t = self.ctx.metrics.rpc("fault_setLinkFault");
        self.set_link_fault_impl(peer_ids, fault)
    }

    async fn clear_link_faults(&self, peer_ids: Option<Vec<String>>) -> RpcResult<usize> {
        let _t = self.ctx.metrics.rpc("fault_clearLinkFaults");
        self.clear_link_faults_impl(peer_ids)
    }
}
