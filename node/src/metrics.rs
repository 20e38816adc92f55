//! Node metrics (served by [`crate::metrics_endpoint`]).
//!
//! The registry holds the p2p metrics of `rumor-p2p` (including libp2p's bandwidth and
//! gossipsub's own), the mempool gauges and counters (refreshed from the pool's status on every
//! scrape), and this module's chain, validation and RPC metrics.
//!
//! Invariant: every family here is registered once, under the `rumor_` prefix, with the name
//! and help of its [`rumor_api::metrics::node`] constant (names are public interface; readers
//! use the same constants).

use std::collections::HashMap;
use std::time::Instant;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use rumor_api::metrics::node as families;
use rumor_mempool::{MetricKind, PoolStatus};

type Labels = Vec<(&'static str, &'static str)>;

/// Mirrors a monotonic total kept elsewhere (the pool's counters, the trace writer's atomics)
/// into a Prometheus counter: advances it by the difference, never backwards.
pub fn advance_to(counter: &Counter, total: u64) {
    counter.inc_by(total.saturating_sub(counter.get()));
}

/// [`advance_to`] for a seconds counter.
pub fn advance_seconds_to(counter: &Counter<f64, std::sync::atomic::AtomicU64>, total: f64) {
    let by = total - counter.get();
    if by > 0.0 {
        counter.inc_by(by);
    }
}

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
    /// The deepest reorg since start (blocks replaced), for the testnet's convergence report.
    pub deepest_reorg: Gauge,
    pub equivocations: Counter,
    /// Gossiped blocks rejected as replays (slot too far behind the clock).
    pub replayed_blocks: Counter,
    /// Gossiped blocks whose header was valid but whose body failed full validation.
    pub bad_bodies: Counter,
    /// Gossip messages this node dropped unjudged for its own reasons (kind, reason); their ids
    /// are forgotten by the seen-cache so a later copy is judged.
    pub shed: Family<Labels, Counter>,
    /// Catch-ups by outcome.
    pub catch_ups: Family<Labels, Counter>,
    /// Peers backed off from starting a catch-up.
    pub sync_backoff_peers: Gauge,
    /// Receipt-to-verdict time of gossip messages, by kind.
    pub validation_seconds: Family<Labels, Histogram>,
    /// Gossiped txs judged by the pre-signature checks, by reason (none of them verified).
    pub prechecked: Family<Labels, Counter>,
    /// Verdicts by kind and result (accept/reject/ignore).
    pub validation: Family<Labels, Counter>,
    /// Per-tx signature check time on the verification pool.
    pub verify_seconds: Histogram,
    pub verify_queue: Gauge,
    pub rpc_requests: Family<Labels, Counter>,
    pub rpc_seconds: Family<Labels, Histogram>,
    /// Open RPC connections (HTTP keep-alive and WebSocket).
    pub rpc_connections: Gauge,
    /// RPC connections closed at accept, by the limit they hit (`max_connections`,
    /// `max_connections_per_ip`).
    pub rpc_connections_refused: Family<Labels, Counter>,
    /// RPC calls refused because their client was over its call rate.
    pub rpc_rate_limited: Counter,
    /// Clients whose rate bucket the node remembers, and those forgotten to make room.
    pub rpc_rate_clients: Gauge,
    pub rpc_rate_clients_evicted: Counter,
    pub trace_written: Counter,
    pub trace_dropped: Counter,
    /// Time this node's tasks spent in `poll` plus its jobs on shared threads, when it runs
    /// inside a process with other nodes ([`rumor_p2p::meter`]); stays 0 otherwise.
    pub busy_seconds: Counter<f64, std::sync::atomic::AtomicU64>,
    /// Tasks spawned through the node's task set and not yet finished (refreshed on scrape):
    /// a count that grows without levelling off under steady load is a task leak.
    pub tasks: Gauge,
    /// Tasks alive on the runtime the node runs on (its tracked tasks plus those its libraries
    /// spawn: RPC connections, libp2p's); in-process testnets share one runtime, so there it
    /// counts every node's.
    pub runtime_tasks: Gauge,
    /// Mempool anti-entropy: txs fetched from peers by result (`accepted`, `ignored`,
    /// `rejected`), and txs re-announced after a reorg put them back in the pool.
    pub txsync_txs: Family<Labels, Counter>,
    pub txs_reannounced: Counter,
    /// Compact blocks received, by how they became blocks (`rebuilt`: from the pool alone,
    /// `fetched`: after one blocktxn round trip, `full_fetch`: from the whole block fetched by
    /// hash, `failed`, `bad`).
    pub compact_blocks: Family<Labels, Counter>,
    /// Txs of compact blocks that this node's pool lacked (fetched by blocktxn).
    pub compact_missing_txs: Counter,
    /// Bytes of block messages this node published, by form (`full`, `compact`).
    pub block_bytes_published: Family<Labels, Counter>,
    /// This node's clock minus the other producers', estimated from their blocks (seconds),
    /// the samples it rests on (0: no estimate yet), and 1 while it is beyond the tolerance.
    pub clock_offset_estimate: Gauge<f64, std::sync::atomic::AtomicU64>,
    pub clock_samples: Gauge,
    pub clock_out_of_tolerance: Gauge,
    /// Gossiped blocks whose slot was ahead of our clock beyond the tolerance, by outcome
    /// (`held`, `released`, `refused`, `rejected`, `dropped`), and those held now.
    pub future_blocks: Family<Labels, Counter>,
    pub held_blocks: Gauge,
    pub limit: Family<Labels, Gauge>,
    /// 1 while a store is degraded (its writes fail), by store (`crate::storage::Store`).
    pub store_degraded: Family<Labels, Gauge>,
    /// Store operations that failed with an I/O error, by store.
    pub store_failures: Family<Labels, Counter>,
    /// Attempts to bring a degraded store back, by store and result (`ok`, `failed`).
    pub store_recovery_attempts: Family<Labels, Counter>,
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
            deepest_reorg: Gauge::default(),
            equivocations: Counter::default(),
            replayed_blocks: Counter::default(),
            bad_bodies: Counter::default(),
            shed: Family::default(),
            catch_ups: Family::default(),
            sync_backoff_peers: Gauge::default(),
            validation_seconds: Family::new_with_constructor(histogram),
            prechecked: Family::default(),
            validation: Family::default(),
            verify_seconds: histogram(),
            verify_queue: Gauge::default(),
            rpc_requests: Family::default(),
            rpc_seconds: Family::new_with_constructor(histogram),
            rpc_connections: Gauge::default(),
            rpc_connections_refused: Family::default(),
            rpc_rate_limited: Counter::default(),
            rpc_rate_clients: Gauge::default(),
            rpc_rate_clients_evicted: Counter::default(),
            trace_written: Counter::default(),
            trace_dropped: Counter::default(),
            busy_seconds: Counter::default(),
            tasks: Gauge::default(),
            runtime_tasks: Gauge::default(),
            txsync_txs: Family::default(),
            txs_reannounced: Counter::default(),
            compact_blocks: Family::default(),
            compact_missing_txs: Counter::default(),
            block_bytes_published: Family::default(),
            clock_offset_estimate: Gauge::default(),
            clock_samples: Gauge::default(),
            clock_out_of_tolerance: Gauge::default(),
            future_blocks: Family::default(),
            held_blocks: Gauge::default(),
            limit: Family::default(),
            store_degraded: Family::default(),
            store_failures: Family::default(),
            store_recovery_attempts: Family::default(),
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
        rumor_p2p::register_metrics!(registry, "rumor", m;
            head_height => families::HEAD_HEIGHT;
            blocks_imported => families::BLOCKS_IMPORTED;
            blocks_produced => families::BLOCKS_PRODUCED;
            blocks_orphaned => families::BLOCKS_ORPHANED;
            orphan_buffer => families::ORPHAN_BUFFER;
            reorgs => families::REORGS;
            reorged_blocks => families::REORGED_BLOCKS;
            deepest_reorg => families::DEEPEST_REORG;
            equivocations => families::EQUIVOCATIONS;
            prechecked => families::PRECHECKED;
            replayed_blocks => families::REPLAYED_BLOCKS;
            bad_bodies => families::BAD_BODIES;
            shed => families::SHED;
            catch_ups => families::CATCH_UPS;
            sync_backoff_peers => families::SYNC_BACKOFF_PEERS;
            validation_seconds => families::VALIDATION_SECONDS;
            validation => families::VALIDATION;
            verify_seconds => families::VERIFY_SECONDS;
            verify_queue => families::VERIFY_QUEUE;
            rpc_requests => families::RPC_REQUESTS;
            rpc_seconds => families::RPC_SECONDS;
            rpc_connections => families::RPC_CONNECTIONS;
            rpc_connections_refused => families::RPC_CONNECTIONS_REFUSED;
            rpc_rate_limited => families::RPC_RATE_LIMITED;
            rpc_rate_clients => families::RPC_RATE_CLIENTS;
            rpc_rate_clients_evicted => families::RPC_RATE_CLIENTS_EVICTED;
            trace_written => families::TRACE_WRITTEN;
            trace_dropped => families::TRACE_DROPPED;
            busy_seconds => families::BUSY_SECONDS;
            tasks => families::TASKS;
            runtime_tasks => families::RUNTIME_TASKS;
            txsync_txs => families::TXSYNC_TXS;
            txs_reannounced => families::TXS_REANNOUNCED;
            compact_blocks => families::COMPACT_BLOCKS;
            compact_missing_txs => families::COMPACT_MISSING_TXS;
            block_bytes_published => families::BLOCK_BYTES_PUBLISHED;
            clock_offset_estimate => families::CLOCK_OFFSET_ESTIMATE;
            clock_samples => families::CLOCK_OFFSET_SAMPLES;
            clock_out_of_tolerance => families::CLOCK_OUT_OF_TOLERANCE;
            future_blocks => families::FUTURE_BLOCKS;
            held_blocks => families::HELD_BLOCKS;
            limit => families::LIMIT;
            store_degraded => families::STORE_DEGRADED;
            store_failures => families::STORE_FAILURES;
            store_recovery_attempts => families::STORE_RECOVERY_ATTEMPTS;
        );
        m
    }

    pub fn set_limit(&self, name: &'static str, value: u64) {
        self.limit
            .get_or_create(&vec![("name", name)])
            .set(value as i64);
    }

    /// The degraded gauge of `store`.
    pub fn degraded_gauge(&self, store: crate::storage::Store) -> Gauge {
        self.store_degraded
            .get_or_create(&vec![("store", store.label())])
            .clone()
    }

    /// The I/O failure counter of `store`.
    pub fn failure_counter(&self, store: crate::storage::Store) -> Counter {
        self.store_failures
            .get_or_create(&vec![("store", store.label())])
            .clone()
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
                        advance_to(&f.get_or_create(&labels), s.value);
                    }
                }
            }
        }
    }

    /// Counts `n` gossip messages of `kind` shed for `reason`.
    pub fn count_shed(&self, kind: &'static str, reason: &'static str, n: usize) {
        self.shed
            .get_or_create(&vec![("kind", kind), ("reason", reason)])
            .inc_by(n as u64);
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

#[cfg(test)]
mod tests {
    use prometheus_client::encoding::text::encode;
    use rumor_mempool::{Pool, PoolConfig};

    use super::*;

    /// Metric names are public interface: registering through the table keeps every one.
    #[test]
    fn every_family_is_exported_under_its_name() {
        let mut registry = Registry::default();
        let pool = Pool::new(1, PoolConfig::default());
        let m = NodeMetrics::register(&mut registry, &pool.status());
        let p2p = rumor_p2p::P2pMetrics::register(&mut registry);
        m.blocks_imported.inc();
        m.catch_ups
            .get_or_create(&vec![("outcome", "progressed")])
            .inc();
        m.set_limit("verify_queue", 256);
        m.future_blocks
            .get_or_create(&vec![("outcome", "held")])
            .inc();
        p2p.set_limit("seen_cache", 65_536);
        m.rpc("tx_submit");
        m.validation_seconds
            .get_or_create(&vec![("kind", "tx")])
            .observe(0.001);
        m.refresh_pool(&pool.status());
        m.degraded_gauge(crate::storage::Store::Chain).set(1);
        m.failure_counter(crate::storage::Store::Journal).inc();
        let mut text = String::new();
        encode(&mut text, &registry).unwrap();
        for name in [
            "# TYPE rumor_head_height gauge",
            "rumor_blocks_imported_total 1",
            "# HELP rumor_blocks_produced Blocks produced by this node.",
            "rumor_reorged_blocks_total",
            "rumor_equivocations_total",
            "rumor_catch_ups_total{outcome=\"progressed\"} 1",
            "# TYPE rumor_sync_backoff_peers gauge",
            "# TYPE rumor_validation_seconds histogram",
            "# TYPE rumor_verify_queue gauge",
            "rumor_rpc_requests_total{method=\"tx_submit\"} 1",
            "rumor_rpc_seconds_count{method=\"tx_submit\"} 1",
            "# TYPE rumor_rpc_connections gauge",
            "rumor_rpc_rate_limited_total 0",
            "# TYPE rumor_rpc_rate_clients gauge",
            "rumor_rpc_rate_clients_evicted_total 0",
            "rumor_trace_dropped_total",
            "rumor_limit{name=\"verify_queue\"} 256",
            "# TYPE rumor_p2p_address_book_len gauge",
            "# TYPE rumor_p2p_seen_cache_hits counter",
            "rumor_p2p_limit{name=\"seen_cache\"} 65536",
            "# TYPE rumor_p2p_peer_bans counter",
            "rumor_store_degraded{store=\"chain\"} 1",
            "rumor_store_failures_total{store=\"journal\"} 1",
            "# TYPE rumor_clock_offset_estimate_seconds gauge",
            "# TYPE rumor_clock_offset_samples gauge",
            "# TYPE rumor_clock_out_of_tolerance gauge",
            "rumor_future_blocks_total{outcome=\"held\"} 1",
            "# TYPE rumor_held_blocks gauge",
            "# TYPE rumor_tasks gauge",
            "# TYPE rumor_runtime_tasks gauge",
        ] {
            assert!(text.contains(name), "missing {name:?} in\n{text}");
        }
        assert!(text.contains("mempool_"), "pool families registered");
    }

    /// The registry exports exactly the families `rumor_api::metrics` declares, with their
    /// types and help: the readers' constants cannot drift from what the node serves.
    #[test]
    fn families_are_the_api_constants() {
        let mut registry = Registry::default();
        let pool = Pool::new(1, PoolConfig::default());
        let m = NodeMetrics::register(&mut registry, &pool.status());
        let p2p = rumor_p2p::P2pMetrics::register(&mut registry);
        m.refresh_pool(&pool.status());
        // A labelled family is exported once it has a series: give each one.
        fn labels(f: &rumor_api::metrics::Family) -> Labels {
            f.labels.iter().map(|l| (*l, "x")).collect()
        }
        macro_rules! touch {
            ($($field:expr => $family:expr;)*) => {
                $( let _ = $field.get_or_create(&labels(&$family)); )*
            };
        }
        use rumor_api::metrics::{node as n, p2p as p};
        touch! {
            m.shed => n::SHED; m.catch_ups => n::CATCH_UPS;
            m.validation_seconds => n::VALIDATION_SECONDS; m.prechecked => n::PRECHECKED;
            m.validation => n::VALIDATION; m.rpc_requests => n::RPC_REQUESTS;
            m.rpc_seconds => n::RPC_SECONDS;
            m.rpc_connections_refused => n::RPC_CONNECTIONS_REFUSED;
            m.txsync_txs => n::TXSYNC_TXS; m.compact_blocks => n::COMPACT_BLOCKS;
            m.block_bytes_published => n::BLOCK_BYTES_PUBLISHED;
            m.future_blocks => n::FUTURE_BLOCKS; m.limit => n::LIMIT;
            m.store_degraded => n::STORE_DEGRADED; m.store_failures => n::STORE_FAILURES;
            m.store_recovery_attempts => n::STORE_RECOVERY_ATTEMPTS;
            p2p.peers => p::PEERS; p2p.mesh_peers => p::MESH_PEERS;
            p2p.gossip_received => p::GOSSIP_RECEIVED; p2p.validation => p::VALIDATION;
            p2p.publish => p::PUBLISH; p2p.px => p::PX_REQUESTS; p2p.sync => p::SYNC_REQUESTS;
            p2p.txsync => p::TXSYNC_REQUESTS; p2p.blocktxn => p::BLOCKTXN_REQUESTS;
            p2p.rate_limited => p::RATE_LIMITED; p2p.inbound_refused => p::INBOUND_REFUSED;
            p2p.liveness => p::LIVENESS_PINGS; p2p.queue_len => p::QUEUE_LEN;
            p2p.gossip_lazy => p::GOSSIP_LAZY;
            p2p.limit => p::LIMIT;
        }
        let mut text = String::new();
        encode(&mut text, &registry).unwrap();
        let exported: std::collections::BTreeMap<String, (String, Option<String>)> =
            rumor_api::prom_text::families(&text)
                .into_iter()
                .filter(|f| f.kind != "untyped")
                .map(|f| (f.name, (f.kind, f.help)))
                .collect();
        let declared = rumor_api::metrics::all()
            .map(|f| {
                let help = Some(format!("{}.", f.help));
                (f.name.to_owned(), (f.kind.as_str().to_owned(), help))
            })
            .collect();
        assert_eq!(exported, declared);
    }
}
