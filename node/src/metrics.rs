//! Node metrics and the `/metrics` endpoint (Prometheus text, its own port).
//!
//! The registry holds the p2p metrics of `rumor-p2p` (including libp2p's bandwidth and
//! gossipsub's own), the mempool gauges and counters (refreshed from the pool's status on every
//! scrape), and this module's chain, validation and RPC metrics.
//!
//! Invariants: every family here is registered once, under the `rumor_` prefix (names are
//! public interface); a scrape's pool refresh and encoding run on the blocking pool; the
//! endpoint serves a bounded number of scrapes with bounded request heads, as tracked tasks
//! that end at shutdown.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use rumor_mempool::{MetricKind, PoolStatus};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::tasks::Tasks;

type Labels = Vec<(&'static str, &'static str)>;

fn histogram() -> Histogram {
    // 10 µs .. ~20 s
    Histogram::new(exponential_buckets(1e-5, 2.5, 16))
}

#[derive(Debug)]
pub struct NodeMetrics {
    pub head_height: Gauge,
    pub blocks_imported: Counter,
    pub blocks_produced: Counter,
    pub blocks_orphaned: Counter,
    pub orphan_buffer: Gauge,
    pub reorgs: Counter,
    pub reorged_blocks: Counter,
    pub equivocations: Counter,
    /// Receipt-to-verdict time of gossip messages, by kind.
    pub validation_seconds: Family<Labels, Histogram>,
    /// Verdicts by kind and result (accept/reject/ignore).
    pub validation: Family<Labels, Counter>,
    /// Per-tx signature check time on the verification pool.
    pub verify_seconds: Histogram,
    pub verify_queue: Gauge,
    pub rpc_requests: Family<Labels, Counter>,
    pub rpc_seconds: Family<Labels, Histogram>,
    pub trace_written: Counter,
    pub trace_dropped: Counter,
    pub limit: Family<Labels, Gauge>,
    pool_gauges: HashMap<&'static str, Family<Labels, Gauge>>,
    pool_counters: HashMap<&'static str, Family<Labels, Counter>>,
}

impl NodeMetrics {
    /// Registers everything; `pool` gives the set of mempool metric names to register.
    pub fn register(registry: &mut Registry, pool: &PoolStatus) -> Self {
        let mut m = Self {
            head_height: Gauge::default(),
            blocks_imported: Counter::default(),
            blocks_produced: Counter::default(),
            blocks_orphaned: Counter::default(),
            orphan_buffer: Gauge::default(),
            reorgs: Counter::default(),
            reorged_blocks: Counter::default(),
            equivocations: Counter::default(),
            validation_seconds: Family::new_with_constructor(histogram),
            validation: Family::default(),
            verify_seconds: histogram(),
            verify_queue: Gauge::default(),
            rpc_requests: Family::default(),
            rpc_seconds: Family::new_with_constructor(histogram),
            trace_written: Counter::default(),
            trace_dropped: Counter::default(),
            limit: Family::default(),
            pool_gauges: HashMap::new(),
            pool_counters: HashMap::new(),
        };
        for sample in pool.metrics() {
            match sample.kind {
                MetricKind::Gauge => {
                    if !m.pool_gauges.contains_key(sample.name) {
                        let f = Family::<Labels, Gauge>::default();
                        registry.register(sample.name, sample.help, f.clone());
                        m.pool_gauges.insert(sample.name, f);
                    }
                }
                MetricKind::Counter => {
                    if !m.pool_counters.contains_key(sample.name) {
                        let f = Family::<Labels, Counter>::default();
                        registry.register(sample.name, sample.help, f.clone());
                        m.pool_counters.insert(sample.name, f);
                    }
                }
            }
        }
        let r = registry.sub_registry_with_prefix("rumor");
        r.register(
            "head_height",
            "Canonical head height",
            m.head_height.clone(),
        );
        r.register(
            "blocks_imported",
            "Blocks imported (any branch)",
            m.blocks_imported.clone(),
        );
        r.register(
            "blocks_produced",
            "Blocks produced by this node",
            m.blocks_produced.clone(),
        );
        r.register(
            "blocks_orphaned",
            "Blocks buffered for an unknown parent",
            m.blocks_orphaned.clone(),
        );
        r.register(
            "orphan_buffer",
            "Blocks waiting for their parent",
            m.orphan_buffer.clone(),
        );
        r.register("reorgs", "Canonical chain switches", m.reorgs.clone());
        r.register(
            "reorged_blocks",
            "Canonical blocks replaced by reorgs",
            m.reorged_blocks.clone(),
        );
        r.register(
            "equivocations",
            "Second blocks by one producer for one slot",
            m.equivocations.clone(),
        );
        r.register(
            "validation_seconds",
            "Gossip receipt to validation verdict",
            m.validation_seconds.clone(),
        );
        r.register("validation", "Validation verdicts", m.validation.clone());
        r.register(
            "verify_seconds",
            "Signature check time per tx",
            m.verify_seconds.clone(),
        );
        r.register(
            "verify_queue",
            "Batches waiting for the verification pool",
            m.verify_queue.clone(),
        );
        r.register(
            "rpc_requests",
            "JSON-RPC calls by method",
            m.rpc_requests.clone(),
        );
        r.register(
            "rpc_seconds",
            "JSON-RPC call latency by method",
            m.rpc_seconds.clone(),
        );
        r.register(
            "trace_written",
            "Trace lines written",
            m.trace_written.clone(),
        );
        r.register(
            "trace_dropped",
            "Trace lines dropped (queue full)",
            m.trace_dropped.clone(),
        );
        r.register("limit", "Configured node bounds", m.limit.clone());
        m
    }

    pub fn set_limit(&self, name: &'static str, value: u64) {
        self.limit
            .get_or_create(&vec![("name", name)])
            .set(value as i64);
    }

    /// Copies the pool's status into the registered families.
    pub fn refresh_pool(&self, status: &PoolStatus) {
        for s in status.metrics() {
            let labels: Labels = s.label.into_iter().collect();
            match s.kind {
                MetricKind::Gauge => {
                    if let Some(f) = self.pool_gauges.get(s.name) {
                        f.get_or_create(&labels).set(s.value as i64);
                    }
                }
                MetricKind::Counter => {
                    if let Some(f) = self.pool_counters.get(s.name) {
                        let c = f.get_or_create(&labels);
                        c.inc_by(s.value.saturating_sub(c.get()));
                    }
                }
            }
        }
    }

    /// Times one RPC call; records on drop.
    pub fn rpc(&self, method: &'static str) -> RpcTimer<'_> {
        self.rpc_requests
            .get_or_create(&vec![("method", method)])
            .inc();
        RpcTimer {
            metrics: self,
            method,
            started: Instant::now(),
        }
    }
}

#[derive(Debug)]
pub struct RpcTimer<'a> {
    metrics: &'a NodeMetrics,
    method: &'static str,
    started: Instant,
}

impl Drop for RpcTimer<'_> {
    fn drop(&mut self) {
        self.metrics
            .rpc_seconds
            .get_or_create(&vec![("method", self.method)])
            .observe(self.started.elapsed().as_secs_f64());
    }
}

/// Most scrapes served at once; more wait in the accept queue.
const MAX_SCRAPES: usize = 8;
/// Longest request head accepted.
const MAX_REQUEST: usize = 8 * 1024;

/// Serves `GET /metrics` until shutdown. `refresh` runs (on the blocking pool) before each
/// scrape.
pub async fn serve(
    listener: TcpListener,
    registry: Arc<Mutex<Registry>>,
    refresh: Arc<dyn Fn() + Send + Sync>,
    tasks: Tasks,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_SCRAPES));
    loop {
        let Some(accepted) = tasks.unless_cancelled(listener.accept()).await else {
            return;
        };
        let Ok((mut stream, _)) = accepted else {
            continue;
        };
        let Some(Ok(permit)) = tasks.unless_cancelled(slots.clone().acquire_owned()).await else {
            return;
        };
        let registry = registry.clone();
        let refresh = refresh.clone();
        let t = tasks.clone();
        tasks.spawn(async move {
            let _permit = permit;
            t.unless_cancelled(async move {
            let mut buf = vec![0u8; MAX_REQUEST];
            let mut len = 0;
            let head_done = loop {
                let read = tokio::time::timeout(
                    std::time::Duration::from_secs(5),
                    stream.read(&mut buf[len..]),
                )
                .await;
                match read {
                    Ok(Ok(0)) | Err(_) | Ok(Err(_)) => break false,
                    Ok(Ok(n)) => {
                        len += n;
                        if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                            break true;
                        }
                        if len == buf.len() {
                            break false;
                        }
                    }
                }
            };
            let request = String::from_utf8_lossy(&buf[..len]);
            let first = request.lines().next().unwrap_or("");
            let (status, content_type, body) = if !head_done {
                ("400 Bad Request", "text/plain", "bad request\n".to_owned())
            } else if first.starts_with("GET /metrics ") || first.starts_with("GET /metrics?") {
                // The refresh reads the pool and encoding holds the registry lock: both off
                // the runtime's threads.
                let encoded = tokio::task::spawn_blocking(move || {
                    refresh();
                    let mut body = String::new();
                    let r = registry.lock().unwrap_or_else(|e| e.into_inner());
                    encode(&mut body, &r).map(|()| body)
                })
                .await;
                match encoded {
                    Ok(Ok(body)) => (
                        "200 OK",
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        body,
                    ),
                    _ => (
                        "500 Internal Server Error",
                        "text/plain",
                        "encoding failed\n".to_owned(),
                    ),
                }
            } else {
                ("404 Not Found", "text/plain", "try /metrics\n".to_owned())
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
            })
            .await;
        });
    }
}

/// Binds the metrics listener (so a bad address fails at start-up, naming the flag).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}
