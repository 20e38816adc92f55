//! In-process nodes (`--in-process`): every node is the real node library
//! ([`rumor_node::run_embedded`]: the same p2p, validation, mempool and chain code as the
//! `rumor` binary), run as a task tree on this tool's async runtime instead of as a process.
//!
//! What the nodes share, and why:
//! - **The runtime**: this tool's tokio runtime (two worker threads, `shutdown::run_command`).
//!   No node starts a thread of its own.
//! - **One verification pool** ([`rumor_node::verify::Workers`]), one thread per core, with a
//!   queue of [`SHARED_VERIFY_QUEUE`] batches (a batch is at most 64 txs, ~13 KB: at most
//!   ~53 MB queued). One node's flood can fill it and make the others shed gossip txs, which
//!   they then recover by pull, as under any local overload.
//! - **Nothing on disk per block**: chain stores use redb's in-memory backend and the local-tx
//!   journal is off (nothing would survive a restart of the process anyway).
//!
//! Logs: the host installs one logger for all of them (`rumor-testnet` writes
//! `<dir>/nodes.log`, [`rumor_api::layout::IN_PROCESS_LOG`]); events inside a node's `run`
//! carry its index.
//!
//! Each node keeps its own listen address on loopback (TCP, Noise, Yamux and link emulation,
//! as in process mode), its JSON-RPC and metrics endpoints, and its trace file. Its CPU time
//! is accounted per node by a [`rumor_p2p::Meter`] (poll time of its tasks and connections,
//! plus its verification and blocking-pool jobs), exported as `rumor_busy_seconds_total`.
//!
//! Invariant: every node started here is in the registry until [`Embedded::stop_all`] has
//! stopped it; stopping cancels each node's shutdown signal and waits for its `run` to return
//! (which drains its tasks and closes its listeners), so nothing is left behind.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rumor_node::Embedding;
use rumor_node::verify::Workers;
use rumor_p2p::Meter;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::setup::manifest::{Manifest, NodeEntry};
use rumor_report::records::process::StopReport;

/// Batches the shared verification queue holds (see the module note for the memory bound).
pub const SHARED_VERIFY_QUEUE: usize = 4096;

/// One embedded node.
struct Node {
    index: usize,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    /// Set when `run` returned: `None` while running.
    ended: Arc<Mutex<Option<String>>>,
}

/// The embedded nodes of one testnet and what they share. Cheap to clone.
#[derive(Clone, Default)]
pub struct Embedded {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    workers: Option<Workers>,
    nodes: Vec<Node>,
}

impl std::fmt::Debug for Embedded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedded")
            .field("nodes", &self.lock().nodes.len())
            .finish()
    }
}

fn verify_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

impl Embedded {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere must not stop us from stopping nodes.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts `node` of `manifest` as a task tree on the current runtime.
    pub fn start(&self, manifest: &Manifest, node: &NodeEntry, template: &rumor_api::NodeConfig) {
        let config = node.config(manifest, template);
        let mut inner = self.lock();
        let workers = inner
            .workers
            .get_or_insert_with(|| Workers::start(verify_threads(), SHARED_VERIFY_QUEUE))
            .clone();
        let embedding = Embedding {
            verify: Some(workers),
            meter: Some(Meter::new()),
        };
        let index = node.index;
        let log = manifest.dir.join(rumor_api::layout::IN_PROCESS_LOG);
        let (stop, stopped) = oneshot::channel::<()>();
        let ended = Arc::new(Mutex::new(None));
        let end = ended.clone();
        let task = tokio::spawn(async move {
            let shutdown = async {
                // A dropped sender stops the node too.
                let _ = stopped.await;
            };
            let span = tracing::warn_span!("node", index);
            let r = rumor_node::run_embedded(config, embedding, shutdown, |_| {})
                .instrument(span)
                .await;
            let status = match r {
                Ok(()) => "stopped".to_string(),
                Err(e) => format!("failed: {e} (log: {})", log.display()),
            };
            *end.lock().unwrap_or_else(|e| e.into_inner()) = Some(status);
        });
        inner.nodes.push(Node {
            index,
            stop: Some(stop),
            task,
            ended,
        });
    }

    /// `Some(how)` once node `index`'s `run` has returned.
    pub fn exited(&self, index: usize) -> Option<String> {
        let inner = self.lock();
        let n = inner.nodes.iter().find(|n| n.index == index)?;
        n.ended.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether any node was started here and not yet stopped.
    pub fn is_empty(&self) -> bool {
        self.lock().nodes.is_empty()
    }

    /// Signals every node to shut down, then waits for each `run` to return (at most `grace`
    /// in all; what is still running then is aborted and reported as killed).
    pub async fn stop_all(&self, grace: Duration) -> StopReport {
        let (nodes, workers) = {
            let mut inner = self.lock();
            (std::mem::take(&mut inner.nodes), inner.workers.take())
        };
        let mut report = StopReport::default();
        let mut pending = Vec::new();
        for mut n in nodes {
            let running = n.ended.lock().unwrap_or_else(|e| e.into_inner()).is_none();
            if let Some(stop) = n.stop.take()
                && running
            {
                let _ = stop.send(());
                pending.push(n);
            } else {
                report.not_running.push(n.index);
            }
        }
        let deadline = Instant::now() + grace;
        for mut n in pending {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, &mut n.task).await {
                Ok(_) => report.terminated.push(n.index),
                Err(_) => {
                    n.task.abort();
                    report.killed.push(n.index);
                }
            }
        }
        // The verification threads end once the last handle (the nodes' and this) is gone.
        drop(workers);
        report
    }
}
