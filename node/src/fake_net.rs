//! [`FakeNet`]: a [`NetPort`] without sockets, for the node's unit tests and the fuzz harness
//! (compiled for tests, and for other crates with the `test-utils` feature). It records every
//! call ([`Calls`]), answers sync, txsync and blocktxn requests with scripted answers first,
//! then sync requests from a remote ledger (as a peer holding that chain would), else fails
//! them; gates hold reports or sync requests in flight while a test looks.
//!
//! Invariants: no method blocks (the lock is held for one push or one read); waits are bounded
//! by [`WAIT`] ([`within`], [`FakeNet::wait_until`]), never a fixed sleep.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use rumor_p2p::{
    BlockTxnRequest, BlockTxnResponse, MessageId, NetInfo, NetworkError, Offence, PeerId, PeerInfo,
    PublishOutcome, SeenCache, Status, SyncRequest, SyncResponse, Topic, TxSyncRequest,
    TxSyncResponse, Validation,
};
use tokio::sync::watch;

use crate::services::ledger::Ledger;
use crate::services::port::NetPort;

/// How long a test waits for a condition before failing.
pub const WAIT: Duration = Duration::from_secs(20);

/// Awaits `fut`, failing the test if it takes longer than [`WAIT`].
pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, fut)
        .await
        .unwrap_or_else(|_| panic!("timed out after {WAIT:?} waiting for: {what}"))
}

/// Everything a [`FakeNet`] was asked to do, in order.
#[derive(Debug, Default)]
pub struct Calls {
    pub reports: Vec<(MessageId, PeerId, Topic, Validation)>,
    pub published: Vec<(Topic, Vec<u8>)>,
    pub penalties: Vec<(PeerId, Offence)>,
    /// Peers currently cut off through `set_cut`.
    pub cut: std::collections::HashSet<PeerId>,
    pub statuses: Vec<Status>,
    pub sync_requests: Vec<(PeerId, SyncRequest)>,
    pub txsync_requests: Vec<(PeerId, TxSyncRequest)>,
    pub block_txn_requests: Vec<(PeerId, BlockTxnRequest)>,
    /// Reports and sync requests waiting at a closed gate.
    pub held: usize,
}

impl Calls {
    /// The verdict reported for message `id`, if any.
    pub fn verdict(&self, id: &MessageId) -> Option<Validation> {
        self.reports
            .iter()
            .find(|(i, ..)| i == id)
            .map(|(.., v)| *v)
    }
}

/// A [`NetPort`] without sockets: records calls, answers sync requests with scripted answers
/// first, then from a remote ledger (as a peer holding that chain would), else fails them.
pub struct FakeNet {
    seen: SeenCache,
    calls: Mutex<Calls>,
    version: watch::Sender<u64>,
    remote: Mutex<Option<Arc<Ledger>>>,
    scripted: Mutex<VecDeque<Result<SyncResponse, NetworkError>>>,
    scripted_txsync: Mutex<VecDeque<Result<TxSyncResponse, NetworkError>>>,
    scripted_block_txn: Mutex<VecDeque<Result<BlockTxnResponse, NetworkError>>>,
    /// While closed, `report` waits (holds a pipeline task in flight).
    reports_open: watch::Sender<bool>,
    /// While closed, `sync` waits (a peer that does not answer).
    sync_open: watch::Sender<bool>,
}

impl std::fmt::Debug for FakeNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeNet").finish_non_exhaustive()
    }
}

impl Default for FakeNet {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeNet {
    pub fn new() -> Self {
        Self {
            seen: SeenCache::new(1024),
            calls: Mutex::default(),
            version: watch::channel(0).0,
            remote: Mutex::default(),
            scripted: Mutex::default(),
            scripted_txsync: Mutex::default(),
            scripted_block_txn: Mutex::default(),
            reports_open: watch::channel(true).0,
            sync_open: watch::channel(true).0,
        }
    }

    /// Answers sync requests from `ledger`'s chain.
    pub fn serve_from(&self, ledger: Arc<Ledger>) {
        *self.remote.lock().unwrap() = Some(ledger);
    }

    /// Queues one answer for the next sync request.
    pub fn script(&self, answer: Result<SyncResponse, NetworkError>) {
        self.scripted.lock().unwrap().push_back(answer);
    }

    /// Queues one answer for the next txsync request.
    pub fn script_txsync(&self, answer: Result<TxSyncResponse, NetworkError>) {
        self.scripted_txsync.lock().unwrap().push_back(answer);
    }

    /// Queues one answer for the next blocktxn request.
    pub fn script_block_txn(&self, answer: Result<BlockTxnResponse, NetworkError>) {
        self.scripted_block_txn.lock().unwrap().push_back(answer);
    }

    pub fn hold_reports(&self) {
        self.reports_open.send_replace(false);
    }

    pub fn release_reports(&self) {
        self.reports_open.send_replace(true);
    }

    pub fn hold_sync(&self) {
        self.sync_open.send_replace(false);
    }

    /// Waits at `gate` while it is closed, counted in [`Calls::held`].
    async fn pass(&self, gate: &watch::Sender<bool>) {
        let mut open = gate.subscribe();
        if !*open.borrow_and_update() {
            self.record(|c| c.held += 1);
            let _ = open.wait_for(|open| *open).await;
            self.record(|c| c.held -= 1);
        }
    }

    /// Takes the calls so far, leaving none (a long-running user, like the fuzz harness,
    /// keeps the record bounded this way).
    pub fn take_calls(&self) -> Calls {
        std::mem::take(&mut self.calls.lock().unwrap())
    }

    /// Reads the calls so far.
    pub fn calls<T>(&self, read: impl FnOnce(&Calls) -> T) -> T {
        read(&self.calls.lock().unwrap())
    }

    fn record(&self, write: impl FnOnce(&mut Calls)) {
        write(&mut self.calls.lock().unwrap());
        self.version.send_modify(|v| *v += 1);
    }

    /// Waits until the recorded calls satisfy `cond`.
    pub async fn wait_until(&self, what: &str, cond: impl Fn(&Calls) -> bool) {
        let mut changes = self.version.subscribe();
        within(what, async {
            loop {
                changes.borrow_and_update();
                if self.calls(&cond) {
                    return;
                }
                changes.changed().await.expect("the fake outlives the test");
            }
        })
        .await
    }
}

impl NetPort for FakeNet {
    fn seen(&self) -> &SeenCache {
        &self.seen
    }

    fn set_status(&self, status: Status) {
        self.record(|c| c.statuses.push(status));
    }

    fn report(
        &self,
        id: MessageId,
        from: PeerId,
        topic: Topic,
        verdict: Validation,
    ) -> BoxFuture<'_, Result<(), NetworkError>> {
        Box::pin(async move {
            self.pass(&self.reports_open).await;
            self.record(|c| c.reports.push((id, from, topic, verdict)));
            Ok(())
        })
    }

    fn publish(
        &self,
        topic: Topic,
        data: Vec<u8>,
    ) -> BoxFuture<'_, Result<PublishOutcome, NetworkError>> {
        Box::pin(async move {
            self.record(|c| c.published.push((topic, data)));
            Ok(PublishOutcome::Published)
        })
    }

    fn sync(
        &self,
        peer: PeerId,
        request: SyncRequest,
    ) -> BoxFuture<'_, Result<SyncResponse, NetworkError>> {
        Box::pin(async move {
            self.record(|c| c.sync_requests.push((peer, request.clone())));
            self.pass(&self.sync_open).await;
            if let Some(answer) = self.scripted.lock().unwrap().pop_front() {
                return answer;
            }
            let remote = self.remote.lock().unwrap().clone();
            match remote {
                Some(l) => l
                    .blocking(move |l| crate::blocks::answer(l, request))
                    .await
                    .map_err(|e| NetworkError::Sync(e.to_string())),
                None => Err(NetworkError::Sync("no peer serves this fake".into())),
            }
        })
    }

    fn txsync(
        &self,
        peer: PeerId,
        request: TxSyncRequest,
    ) -> BoxFuture<'_, Result<TxSyncResponse, NetworkError>> {
        Box::pin(async move {
            self.record(|c| c.txsync_requests.push((peer, request.clone())));
            if let Some(answer) = self.scripted_txsync.lock().unwrap().pop_front() {
                return answer;
            }
            Err(NetworkError::Sync("no peer serves this fake".into()))
        })
    }

    fn block_txn(
        &self,
        peer: PeerId,
        request: BlockTxnRequest,
    ) -> BoxFuture<'_, Result<BlockTxnResponse, NetworkError>> {
        Box::pin(async move {
            self.record(|c| c.block_txn_requests.push((peer, request.clone())));
            if let Some(answer) = self.scripted_block_txn.lock().unwrap().pop_front() {
                return answer;
            }
            Err(NetworkError::Sync("no peer serves this fake".into()))
        })
    }

    fn penalise(&self, peer: PeerId, offence: Offence) -> BoxFuture<'_, Result<(), NetworkError>> {
        Box::pin(async move {
            self.record(|c| c.penalties.push((peer, offence)));
            Ok(())
        })
    }

    fn info(&self) -> BoxFuture<'_, Result<NetInfo, NetworkError>> {
        Box::pin(async { Err(NetworkError::Stopped) })
    }

    fn peers(&self) -> BoxFuture<'_, Result<Vec<PeerInfo>, NetworkError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn set_cut(&self, peers: Vec<PeerId>, cut: bool) -> BoxFuture<'_, Result<usize, NetworkError>> {
        Box::pin(async move {
            let mut changed = 0;
            self.record(|c| {
                for p in peers {
                    changed += usize::from(if cut {
                        c.cut.insert(p)
                    } else {
                        c.cut.remove(&p)
                    });
                }
            });
            Ok(changed)
        })
    }
}
