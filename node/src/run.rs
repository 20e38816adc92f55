//! `run(config, shutdown)`: builds every part of the node, runs until `shutdown` resolves, then
//! stops in order — RPC first (no new work), then production and gossip intake (the tracked
//! tasks are cancelled), then waits for the work in flight to finish (an import commits, tx
//! batches get their verdicts), ends the network loop, flushes the trace and returns.
//!
//! A store the node cannot recover ([`crate::storage`]) stops it the same way, and `run` then
//! returns [`NodeError::StoreFailed`] (exit status 74, [`NodeError::exit_code`]).
//!
//! Invariants: every flag is validated before anything is written to the data directory; every
//! task spawned once running is tracked in `Ctx::tasks`; each shutdown step has a budget, and
//! together they stay well inside the 5 s from SIGTERM to exit; nothing the node spawned is
//! aborted unless its budget ran out (then it is logged).

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumor_chain::{ChainStore, Genesis, GenesisError, KeyError, Keypair, StoreError};
use rumor_mempool::Pool;

use crate::blocks::Blocks;
use crate::blocks::producer;
use crate::config::{ConfigError, NodeConfig};
use crate::context::{Ctx, Parts};
use crate::metrics::NodeMetrics;
use crate::services::ledger::{HEADS_CAPACITY, Ledger};
use crate::services::port::{advertise_head, status_of};
use crate::services::trace::Tracer;
use crate::services::verify::VerifyPool;
use crate::txs::journal;
use crate::{events, metrics, metrics_endpoint, rpc};

/// Why the node could not start. Each message names the file or flag at fault.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("--data-dir {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("--genesis: {0}")]
    Genesis(#[from] GenesisError),
    #[error("--key: {0}")]
    Key(#[from] KeyError),
    #[error(
        "--key: {path} is readable or writable by other users (mode {mode:o}); run `chmod 600` on it"
    )]
    KeyPermissions { path: std::path::PathBuf, mode: u32 },
    #[error("--producer: key {0} is not a genesis authority")]
    NotAuthority(String),
    #[error("chain store in --data-dir: {0}")]
    Store(#[from] StoreError),
    #[error("network: {0}")]
    Network(#[from] rumor_p2p::NetworkError),
    #[error("--rpc {addr}: {source}")]
    Rpc {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("--metrics {addr}: {source}")]
    Metrics {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("--trace: {0}")]
    Trace(std::io::Error),
    #[error("tx journal in --data-dir: {0}")]
    Journal(journal::JournalError),
    /// A store failed with an I/O error and could not be recovered; the node stopped.
    #[error("stopped: store in --data-dir could not be recovered: {0}")]
    StoreFailed(String),
}

impl NodeError {
    /// The process exit status for this error ([`rumor_api::exit`]): 74 when the data dir's
    /// storage failed (I/O error, a store refused), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        use rumor_api::exit::{FAILURE, STORE_FAILED};
        match self {
            NodeError::StoreFailed(_) => STORE_FAILED,
            NodeError::Store(StoreError::Io(_) | StoreError::Db(_) | StoreError::Corrupt(_)) => {
                STORE_FAILED
            }
            NodeError::Journal(journal::JournalError::Io { .. }) => STORE_FAILED,
            _ => FAILURE,
        }
    }
}

/// Addresses the node actually bound (ports may have been 0).
#[derive(Debug, Clone)]
pub struct Started {
    pub rpc: SocketAddr,
    pub metrics: SocketAddr,
    pub peer_id: rumor_p2p::PeerId,
}

fn load_key(config: &NodeConfig) -> Result<Keypair, NodeError> {
    let path = config.key_path();
    if config.key.is_none() && !path.exists() {
        let key = Keypair::generate()?;
        key.save(&path)?;
        tracing::info!(path = %path.display(), address = %key.address(), "generated node key");
        return Ok(key);
    }
    // Refused before it is read: a key others can read is a key others may hold.
    if let Some(mode) = Keypair::loose_permissions(&path) {
        return Err(NodeError::KeyPermissions { path, mode });
    }
    Ok(Keypair::load(&path)?)
}

/// What a process running many nodes shares among them (an in-process testnet). The
/// default, nothing shared and nothing measured, is what `rumor node` runs.
#[derive(Debug, Clone, Default)]
pub struct Embedding {
    /// One set of verification threads for every node, sized to the machine's cores (else
    /// the node starts `verify_threads` threads of its own).
    pub verify: Option<crate::services::verify::Workers>,
    /// Where this node's CPU time is accounted: its tasks' polls, its connections, its
    /// verification and blocking-pool jobs (exported as `rumor_busy_seconds_total`).
    pub meter: Option<rumor_p2p::Meter>,
}

/// Runs a node until `shutdown` completes. `on_start` receives the bound addresses (tests use
/// port 0 and need to learn them).
pub async fn run(
    config: NodeConfig,
    shutdown: impl Future<Output = ()>,
    on_start: impl FnOnce(Started),
) -> Result<(), NodeError> {
    run_embedded(config, Embedding::default(), shutdown, on_start).await
}

/// [`run`] for a node that shares its process with others (see [`Embedding`]).
pub async fn run_embedded(
    config: NodeConfig,
    embedding: Embedding,
    shutdown: impl Future<Output = ()>,
    on_start: impl FnOnce(Started),
) -> Result<(), NodeError> {
    let embedded = embedding.verify.is_some() || embedding.meter.is_some();
    let meter = embedding.meter;
    crate::config::check_chain(&config)?;
    std::fs::create_dir_all(&config.data_dir).map_err(|source| NodeError::DataDir {
        path: config.data_dir.clone(),
        source,
    })?;
    let genesis = Arc::new(Genesis::load(&config.genesis)?);
    // Validate every flag before anything is written to the data directory.
    let mut net_config = crate::config::network_config(&config, genesis.limits)?;
    net_config.meter = meter.clone();
    let key = load_key(&config)?;
    if config.producer && !genesis.authorities.contains(&key.address()) {
        return Err(NodeError::NotAuthority(key.address().to_string()));
    }
    let chain = if config.in_memory_store {
        ChainStore::open_in_memory((*genesis).clone(), config.chain)?
    } else {
        ChainStore::open(&config.dir().chain_db(), (*genesis).clone(), config.chain)?
    };
    let pool = Pool::new(
        genesis.chain_id,
        rumor_mempool::PoolConfig::from(&config.pool),
    );

    let mut registry = prometheus_client::registry::Registry::default();
    let metrics = Arc::new(NodeMetrics::register(&mut registry, &pool.status()));
    for (name, v) in [
        ("rpc_max_request_bytes", config.rpc.max_request_bytes as u64),
        (
            "rpc_max_response_bytes",
            config.rpc.max_response_bytes as u64,
        ),
        ("rpc_max_connections", config.rpc.max_connections as u64),
        (
            "rpc_max_connections_per_ip",
            config.rpc.max_connections_per_ip as u64,
        ),
        ("rpc_rate_per_ip", config.rpc.rate_per_ip as u64),
        ("rpc_rate_burst_per_ip", config.rpc.rate_burst_per_ip as u64),
        ("rpc_max_rate_clients", config.rpc.max_rate_clients as u64),
        ("rpc_ws_send_buffer", config.rpc.ws_send_buffer as u64),
        ("rpc_idle_timeout_secs", config.rpc.idle_timeout_secs as u64),
        ("rpc_send_timeout_secs", config.rpc.send_timeout_secs as u64),
        ("rpc_max_batch", config.rpc.max_batch as u64),
        (
            "rpc_max_subscriptions_per_connection",
            config.rpc.max_subscriptions_per_connection as u64,
        ),
        ("trace_queue", config.trace_queue as u64),
        ("orphan_buffer", config.orphan_buffer as u64),
        ("heads_broadcast", HEADS_CAPACITY as u64),
        ("equivocation_proofs", rumor_chain::MAX_EVIDENCE),
        ("equivocation_slot_cache", crate::blocks::SLOT_CACHE as u64),
        ("max_future_ms", config.chain.max_future_ms),
        ("hold_future_ms", config.chain.hold_future_ms),
        ("reject_future_ms", config.chain.reject_future_ms),
        ("held_blocks", config.chain.held_blocks as u64),
        ("clock_samples", config.chain.clock_samples as u64),
        ("store_cache_bytes", config.chain.store_cache_bytes() as u64),
        ("blocking_threads", config.blocking_threads as u64),
    ] {
        metrics.set_limit(name, v);
    }
    let store_policy = crate::storage::Policy {
        retry_max: Duration::from_millis(config.store_retry_max_ms)
            .max(crate::storage::policy::RETRY_MIN),
        give_up: Duration::from_millis(config.store_give_up_ms),
    };
    metrics.set_limit(
        "store_retry_max_ms",
        store_policy.retry_max.as_millis() as u64,
    );
    metrics.set_limit("store_give_up_ms", config.store_give_up_ms);
    let ledger = Arc::new(
        Ledger::new(chain, pool, config.orphan_buffer, metrics.clone())
            .metered(meter.clone())
            .storage_policy(store_policy),
    );
    let clock = rumor_chain::clock::Clock::with_offset_ms(config.clock_offset_ms);
    ledger.storage().set_clock(clock);
    let (tracer, trace_task) = if config.trace {
        let (t, task) = Tracer::start(config.dir().trace(), config.trace_queue)
            .await
            .map_err(NodeError::Trace)?;
        (t.with_clock(clock), Some(task))
    } else {
        (Tracer::disabled(), None)
    };
    let mut net_config = net_config;
    net_config.duplicates =
        tracer.duplicate_watch(&genesis.network_id(), config.trace_duplicate_ids);
    if let Some(w) = &net_config.duplicates {
        metrics.set_limit("trace_duplicate_ids", w.capacity() as u64);
    }
    let status = status_of(&ledger.head());
    let network = rumor_p2p::start(
        rumor_p2p::identity_from_key(&key),
        &genesis.network_id(),
        status,
        net_config,
        &mut registry,
    )?;
    let peer_id = network.handle.local_peer_id();
    // Not a tracked task: it must outlive the drain, and ends once every handle is dropped.
    let mut net_task = match &meter {
        Some(m) => tokio::spawn(m.wrap(network.event_loop.run())),
        None => tokio::spawn(network.event_loop.run()),
    };

    let verify = match embedding.verify {
        Some(w) => w.handle(
            genesis.clone(),
            config.chain,
            metrics.clone(),
            meter.clone(),
        ),
        None => VerifyPool::start(
            config.verify_threads,
            config.verify_queue,
            genesis.clone(),
            config.chain,
            metrics.clone(),
        ),
    };
    // The pool's bound: the node's own, or the shared pool's when embedded.
    metrics.set_limit("verify_queue", verify.capacity() as u64);
    metrics.set_limit("recent_blocks", crate::blocks::state::RECENT_BLOCKS as u64);
    let (journal, journaled) = if config.tx_journal {
        // Weak: the writer thread must not keep the store open after the node stops.
        let l = Arc::downgrade(&ledger);
        let keep: journal::Keep =
            Box::new(move |t| l.upgrade().is_none_or(|l| l.pool_contains(&t.hash())));
        let path = rumor_api::DataDir::new(&config.data_dir).tx_journal();
        journal::Journal::open(&path, genesis.limits, keep).map_err(NodeError::Journal)?
    } else {
        (journal::Journal::disabled(), Vec::new())
    };
    let ctx = Ctx::new(Parts {
        config: config.clone(),
        genesis: genesis.clone(),
        key,
        ledger,
        net: Arc::new(network.handle.clone()),
        verify,
        metrics: metrics.clone(),
        tracer,
        meter,
    });
    // The block pipeline: its own state (held and recent blocks, the clock estimate, the
    // catch-up's), over the shared services.
    let blocks = Blocks::new(ctx.clone());
    // If this future is dropped before the end (an embedded node whose host gave up on it),
    // its tasks and network loop go with it, as they would with its process.
    let _halt = ctx.tasks.halt_on_drop();
    let _net = AbortOnDrop(net_task.abort_handle());

    let metrics_listener = metrics_endpoint::bind(config.metrics_addr)
        .await
        .map_err(|source| NodeError::Metrics {
            addr: config.metrics_addr,
            source,
        })?;
    let metrics_addr = metrics_listener
        .local_addr()
        .map_err(|source| NodeError::Metrics {
            addr: config.metrics_addr,
            source,
        })?;
    let registry = Arc::new(Mutex::new(registry));
    let refresh_ctx = ctx.clone();
    // Runs on the blocking pool (see `metrics::serve`).
    let refresh: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
        let status = refresh_ctx.ledger.pool_status();
        refresh_ctx.metrics.refresh_pool(&status);
        let t = &refresh_ctx.tracer;
        let m = &refresh_ctx.metrics;
        let w = t.written.load(std::sync::atomic::Ordering::Relaxed);
        let d = t.dropped.load(std::sync::atomic::Ordering::Relaxed);
        metrics::advance_to(&m.trace_written, w);
        metrics::advance_to(&m.trace_dropped, d);
        if let Some(meter) = refresh_ctx.tasks.meter() {
            metrics::advance_seconds_to(&m.busy_seconds, meter.busy().as_secs_f64());
        }
        m.tasks.set(refresh_ctx.tasks.len() as i64);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            m.runtime_tasks.set(rt.metrics().num_alive_tasks() as i64);
        }
    });
    let (rpc_handle, rpc_addr) = rpc::start(
        config.rpc_addr,
        &config.rpc,
        blocks.clone(),
        journal.clone(),
    )
    .await
    .map_err(|source| NodeError::Rpc {
        addr: config.rpc_addr,
        source,
    })?;
    rpc::exposure::warn_if_unprotected(rpc_addr, &config.rpc, config.fault_control);

    let tasks = &ctx.tasks;
    tasks.spawn(metrics_endpoint::serve(
        metrics_listener,
        metrics_endpoint::Exporter { registry, refresh },
        tasks.clone(),
    ));
    tasks.spawn(events::run(blocks.clone(), network.events));
    if config.producer {
        tasks.spawn(producer::run(blocks.clone()));
    }
    tasks.spawn(crate::blocks::future::release(blocks.clone()));
    tasks.spawn(maintain(ctx.clone()));
    let b = blocks.clone();
    let catch_up_missed = move |peer, claim| {
        let c = b.clone();
        b.ctx.tasks.spawn(crate::blocks::catch_up(c, peer, claim));
    };
    tasks.spawn(crate::storage::doctor::run(
        ctx.clone(),
        journal.clone(),
        catch_up_missed,
    ));
    tasks.spawn(crate::txs::txsync::run(ctx.clone()));
    let (c, j) = (ctx.clone(), journal.clone());
    tasks.spawn(async move {
        // Shutdown cuts a long restore short; what is left stays in the journal.
        c.tasks
            .unless_cancelled(crate::txs::ingest::restore(&c, &j, journaled))
            .await;
    });
    let c = ctx.clone();
    tasks.spawn(async move {
        let advertise = advertise_head(c.net.as_ref(), c.ledger.watch_head());
        c.tasks.unless_cancelled(advertise).await;
    });
    tracing::info!(
        %peer_id,
        network = %genesis.network_id(),
        rpc = %rpc_addr,
        metrics = %metrics_addr,
        producer = config.producer,
        height = status.head_height,
        "node started"
    );
    if config.clock_offset_ms != 0 {
        tracing::warn!(
            offset_ms = config.clock_offset_ms,
            "clock_offset_ms is set: this node's clock is shifted from the system clock (testing only)"
        );
    }
    on_start(Started {
        rpc: rpc_addr,
        metrics: metrics_addr,
        peer_id,
    });

    let failed = tokio::select! {
        () = shutdown => None,
        reason = ctx.fatal.wait() => Some(reason),
    };
    tracing::info!("shutting down");
    // 1. RPC first: no new work from clients.
    let _ = rpc_handle.stop();
    if tokio::time::timeout(RPC_STOP, rpc_handle.stopped())
        .await
        .is_err()
    {
        tracing::warn!(budget = ?RPC_STOP, "RPC server still stopping");
    }
    // 2. Production, gossip intake, catch-ups, maintenance and metrics stop; work in flight
    //    (imports and their commits, tx verdicts, sync answers) finishes.
    match ctx.tasks.shutdown(DRAIN).await {
        Ok(()) => tracing::debug!("tasks drained"),
        Err(e) => {
            tracing::warn!(remaining = e.remaining, budget = ?e.waited, "tasks still running");
            // An import still running holds the chain lock until its commit: wait for that.
            let commit = ctx.ledger.blocking(|l| l.read_chain(|_| ()));
            let _ = tokio::time::timeout(IMPORT_COMMIT, commit).await;
            // A process exit would end what is left; a node sharing its process ends it here.
            if embedded {
                ctx.tasks.halt();
            }
        }
    }
    // 3. Dropping the last handles ends the network loop; dropping the tracer's senders ends
    //    the trace writer, which flushes and writes its stats.
    drop((ctx, blocks, journal));
    drop(network.handle);
    if tokio::time::timeout(NET_STOP, &mut net_task).await.is_err() {
        tracing::warn!(budget = ?NET_STOP, "network loop still running (a handle leaked); aborting it");
        net_task.abort();
    }
    if let Some(t) = trace_task
        && tokio::time::timeout(TRACE_FLUSH, t).await.is_err()
    {
        tracing::warn!(budget = ?TRACE_FLUSH, "trace writer did not finish");
    }
    tracing::info!("stopped");
    match failed {
        Some(reason) => Err(NodeError::StoreFailed(reason)),
        None => Ok(()),
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Shutdown budgets. Together (at most 4 s) they leave `main` time to stop the runtime within
/// the 5 s allowed from SIGTERM to exit.
const RPC_STOP: Duration = Duration::from_millis(1000);
const DRAIN: Duration = Duration::from_millis(1500);
const IMPORT_COMMIT: Duration = Duration::from_millis(500);
const NET_STOP: Duration = Duration::from_millis(500);
const TRACE_FLUSH: Duration = Duration::from_millis(500);

/// Periodic work: mempool expiry, until shutdown.
async fn maintain(ctx: Arc<Ctx>) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    loop {
        if ctx.tasks.unless_cancelled(tick.tick()).await.is_none() {
            return;
        }
        let now = std::time::Instant::now();
        let Ok(expired) = ctx.ledger.blocking(move |l| l.expire_pool(now)).await else {
            continue;
        };
        if expired > 0 {
            tracing::info!(expired, "expired pooled txs");
        }
    }
}

#[cfg(test)]
mod key_tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_key_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.key");
        Keypair::from_label("k").save(&path).unwrap();
        let config = NodeConfig {
            key: Some(path.clone()),
            ..NodeConfig::default()
        };
        assert!(load_key(&config).is_ok(), "0600 as saved");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        match load_key(&config) {
            Err(e @ NodeError::KeyPermissions { mode: 0o644, .. }) => {
                assert!(e.to_string().contains("chmod 600"), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
}
