//! The node's port to the network: the few things the pipelines ask of it, as a trait.
//! [`rumor_p2p::NetworkHandle`] implements it for real; tests implement it with a fake, so the
//! tx and block pipelines, import, orphans and catch-up run without sockets.
//!
//! Invariants: node code outside `run.rs` reaches the network only through [`NetPort`]; no
//! method blocks (the async ones wait on bounded channels, the sync ones on a lock held for
//! one copy or one hash-map operation); the status advertised to peers follows the ledger's
//! head snapshot ([`advertise_head`]), never a chain-lock read.

use futures::future::BoxFuture;
use rumor_p2p::{
    BlockTxnRequest, BlockTxnResponse, MessageId, NetInfo, NetworkError, NetworkHandle, Offence,
    PeerId, PeerInfo, PublishOutcome, SeenCache, Status, SyncRequest, SyncResponse, Topic,
    TxSyncRequest, TxSyncResponse, Validation,
};
use tokio::sync::watch;

use crate::services::ledger::HeadSnapshot;

/// What the node needs from the network.
pub trait NetPort: Send + Sync + 'static {
    /// The seen-cache shared with the network (RPC-submitted txs are marked seen here).
    fn seen(&self) -> &SeenCache;

    /// Sets the chain status advertised to peers.
    fn set_status(&self, status: Status);

    /// Reports the verdict on a gossip message (gossipsub forwards only accepted ones and
    /// penalises the sender of rejected ones).
    fn report(
        &self,
        id: MessageId,
        from: PeerId,
        topic: Topic,
        verdict: Validation,
    ) -> BoxFuture<'_, Result<(), NetworkError>>;

    /// Publishes a message this node originated.
    fn publish(
        &self,
        topic: Topic,
        data: Vec<u8>,
    ) -> BoxFuture<'_, Result<PublishOutcome, NetworkError>>;

    /// Sends a sync request to `peer` and waits for its answer.
    fn sync(
        &self,
        peer: PeerId,
        request: SyncRequest,
    ) -> BoxFuture<'_, Result<SyncResponse, NetworkError>>;

    /// Sends a mempool anti-entropy request (`/rumor/txsync/1`) to `peer` and waits for its
    /// answer (decoded and checked against the protocol's bounds by the network).
    fn txsync(
        &self,
        peer: PeerId,
        request: TxSyncRequest,
    ) -> BoxFuture<'_, Result<TxSyncResponse, NetworkError>>;

    /// Asks `peer` for txs of a block by index (`/rumor/blocktxn/1`) and waits for its answer
    /// (decoded and checked against the protocol's bounds by the network).
    fn block_txn(
        &self,
        peer: PeerId,
        request: BlockTxnRequest,
    ) -> BoxFuture<'_, Result<BlockTxnResponse, NetworkError>>;

    /// Penalises a peer for misbehaviour detected outside gossip.
    fn penalise(&self, peer: PeerId, offence: Offence) -> BoxFuture<'_, Result<(), NetworkError>>;

    /// This node's network identity (`net_info`).
    fn info(&self) -> BoxFuture<'_, Result<NetInfo, NetworkError>>;

    /// Connected peers (`net_peers`).
    fn peers(&self) -> BoxFuture<'_, Result<Vec<PeerInfo>, NetworkError>>;

    /// Cuts `peers` off or restores them (`fault_cutPeers` / `fault_restorePeers`); answers
    /// how many changed state.
    fn set_cut(&self, peers: Vec<PeerId>, cut: bool) -> BoxFuture<'_, Result<usize, NetworkError>>;

    /// The registry of this node's link faults (`fault_setLinkFault`), when fault control is
    /// on; setting a fault takes one short lock per peer, never the network loop.
    fn link_faults(&self) -> Option<&rumor_p2p::LinkFaults> {
        None
    }
}

impl NetPort for NetworkHandle {
    fn seen(&self) -> &SeenCache {
        NetworkHandle::seen(self)
    }

    fn set_status(&self, status: Status) {
        NetworkHandle::set_status(self, status)
    }

    fn report(
        &self,
        id: MessageId,
        from: PeerId,
        topic: Topic,
        verdict: Validation,
    ) -> BoxFuture<'_, Result<(), NetworkError>> {
        Box::pin(NetworkHandle::report(self, id, from, topic, verdict))
    }

    fn publish(
        &self,
        topic: Topic,
        data: Vec<u8>,
    ) -> BoxFuture<'_, Result<PublishOutcome, NetworkError>> {
        Box::pin(NetworkHandle::publish(self, topic, data))
    }

    fn sync(
        &self,
        peer: PeerId,
        request: SyncRequest,
    ) -> BoxFuture<'_, Result<SyncResponse, NetworkError>> {
        Box::pin(NetworkHandle::sync(self, peer, request))
    }

    fn txsync(
        &self,
        peer: PeerId,
        request: TxSyncRequest,
    ) -> BoxFuture<'_, Result<TxSyncResponse, NetworkError>> {
        Box::pin(NetworkHandle::txsync(self, peer, request))
    }

    fn block_txn(
        &self,
        peer: PeerId,
        request: BlockTxnRequest,
    ) -> BoxFuture<'_, Result<BlockTxnResponse, NetworkError>> {
        Box::pin(NetworkHandle::block_txn(self, peer, request))
    }

    fn penalise(&self, peer: PeerId, offence: Offence) -> BoxFuture<'_, Result<(), NetworkError>> {
        Box::pin(NetworkHandle::penalise(self, peer, offence))
    }

    fn info(&self) -> BoxFuture<'_, Result<NetInfo, NetworkError>> {
        Box::pin(NetworkHandle::info(self))
    }

    fn peers(&self) -> BoxFuture<'_, Result<Vec<PeerInfo>, NetworkError>> {
        Box::pin(NetworkHandle::peers(self))
    }

    fn set_cut(&self, peers: Vec<PeerId>, cut: bool) -> BoxFuture<'_, Result<usize, NetworkError>> {
        Box::pin(NetworkHandle::set_cut(self, peers, cut))
    }

    fn link_faults(&self) -> Option<&rumor_p2p::LinkFaults> {
        NetworkHandle::link_faults(self)
    }
}

/// The status advertised to peers for a head.
pub fn status_of(head: &HeadSnapshot) -> Status {
    Status {
        genesis: head.genesis,
        head_height: head.height,
        head_hash: head.hash,
    }
}

/// Keeps the status advertised to peers equal to the head snapshot.
pub async fn advertise_head(net: &dyn NetPort, mut head: watch::Receiver<HeadSnapshot>) {
    loop {
        let snapshot = *head.borrow_and_update();
        net.set_status(status_of(&snapshot));
        if head.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::testing::{TestNet, WAIT, within};

    #[tokio::test]
    async fn the_advertised_status_follows_the_head() {
        let net = TestNet::new(2, 1);
        let node = net.node("a");
        let (port, head) = (node.net.clone(), node.ledger().watch_head());
        let tasks = node.ctx.tasks.clone();
        node.ctx.tasks.spawn(async move {
            tasks
                .unless_cancelled(advertise_head(port.as_ref(), head))
                .await
        });
        node.net
            .wait_until("the genesis status", |c| c.statuses.len() == 1)
            .await;
        let mut remote = net.store("remote");
        let block = net.extend_with(&mut remote, 0, vec![]);
        let ledger = Arc::clone(node.ledger());
        let checked = net.check(block.clone());
        ledger
            .blocking(move |l| l.import(checked))
            .await
            .unwrap()
            .unwrap();
        node.net
            .wait_until("the new head's status", |c| {
                c.statuses.last().map(|s| (s.head_height, s.head_hash)) == Some((1, block.hash()))
            })
            .await;
        within("the forwarder to stop", node.ctx.tasks.shutdown(WAIT))
            .await
            .unwrap();
    }
}
