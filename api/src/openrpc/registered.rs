//! The document lists exactly the methods the traits register: a server built from every
//! `*Server` trait (over an implementation that answers nothing) names each method, and the
//! document names the same set plus `rpc.discover`.

use std::collections::BTreeSet;

use jsonrpsee::core::{RpcResult, SubscriptionResult, async_trait};
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::{PendingSubscriptionSink, RpcModule};
use rumor_chain::{Account, Address, BlockHash, TxHash};

use crate::rpc::*;
use crate::trace::TraceStats;
use crate::types::*;

/// Answers every call with an error: only the registered names matter here.
#[derive(Clone, Copy)]
struct Nothing;

fn none<T>() -> RpcResult<T> {
    Err(ErrorObjectOwned::owned(-32000, "test server", None::<()>))
}

#[async_trait]
impl TxApiServer for Nothing {
    async fn submit(&self, _: String) -> RpcResult<TxHash> {
        none()
    }
    async fn get(&self, _: TxHash) -> RpcResult<TxInfo> {
        none()
    }
}

#[async_trait]
impl ChainApiServer for Nothing {
    async fn head(&self) -> RpcResult<Head> {
        none()
    }
    async fn block_by_height(&self, _: u64, _: Option<bool>) -> RpcResult<Option<BlockInfo>> {
        none()
    }
    async fn block_by_hash(&self, _: BlockHash, _: Option<bool>) -> RpcResult<Option<BlockInfo>> {
        none()
    }
    async fn equivocations(&self, _: Option<u64>) -> RpcResult<Vec<EquivocationInfo>> {
        none()
    }
    async fn clock(&self) -> RpcResult<ClockStatus> {
        none()
    }
    async fn subscribe_new_heads(&self, _: PendingSubscriptionSink) -> SubscriptionResult {
        Ok(())
    }
}

#[async_trait]
impl StateApiServer for Nothing {
    async fn account(&self, _: Address) -> RpcResult<Account> {
        none()
    }
}

#[async_trait]
impl MempoolApiServer for Nothing {
    async fn status(&self) -> RpcResult<MempoolStatus> {
        none()
    }
    async fn content(&self) -> RpcResult<MempoolContent> {
        none()
    }
    async fn subscribe_pending(&self, _: PendingSubscriptionSink) -> SubscriptionResult {
        Ok(())
    }
}

#[async_trait]
impl NetApiServer for Nothing {
    async fn info(&self) -> RpcResult<NetInfo> {
        none()
    }
    async fn peers(&self) -> RpcResult<Vec<Peer>> {
        none()
    }
}

#[async_trait]
impl NodeApiServer for Nothing {
    async fn health(&self) -> RpcResult<NodeHealth> {
        none()
    }
}

#[async_trait]
impl FaultApiServer for Nothing {
    async fn cut_peers(&self, _: Vec<String>) -> RpcResult<usize> {
        none()
    }
    async fn restore_peers(&self, _: Vec<String>) -> RpcResult<usize> {
        none()
    }
    async fn set_link_fault(&self, _: Vec<String>, _: LinkFaultSpec) -> RpcResult<usize> {
        none()
    }
    async fn clear_link_faults(&self, _: Option<Vec<String>>) -> RpcResult<usize> {
        none()
    }
}

#[async_trait]
impl TraceApiServer for Nothing {
    async fn clock(&self) -> RpcResult<ClockReading> {
        none()
    }
    async fn read(&self, _: u64, _: Option<u64>) -> RpcResult<TracePage> {
        none()
    }
    async fn stats(&self) -> RpcResult<TraceStats> {
        none()
    }
}

#[test]
fn the_document_lists_exactly_the_registered_methods() {
    let mut m = RpcModule::new(());
    m.merge(TxApiServer::into_rpc(Nothing)).unwrap();
    m.merge(ChainApiServer::into_rpc(Nothing)).unwrap();
    m.merge(StateApiServer::into_rpc(Nothing)).unwrap();
    m.merge(MempoolApiServer::into_rpc(Nothing)).unwrap();
    m.merge(NetApiServer::into_rpc(Nothing)).unwrap();
    m.merge(NodeApiServer::into_rpc(Nothing)).unwrap();
    m.merge(FaultApiServer::into_rpc(Nothing)).unwrap();
    m.merge(TraceApiServer::into_rpc(Nothing)).unwrap();
    let mut registered: BTreeSet<&str> = m.method_names().collect();
    registered.insert("rpc.discover");
    let doc = super::document();
    let listed: BTreeSet<&str> = doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, registered);
    for name in [method::TX_SUBMIT, method::STATE_GET_ACCOUNT] {
        assert!(registered.contains(name), "{name}");
    }
}
