//! Network metrics, registered under `rumor_p2p_` in the node's registry. Byte counters come
//! from libp2p's bandwidth metrics (`libp2p_bandwidth`), and per-topic unfiltered/filtered
//! receive counts and duplicates come from gossipsub's own metrics (`gossipsub_*`); this module
//! adds what those cannot see. Names, types, labels and help are
//! [`rumor_api::metrics::p2p`]'s.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use rumor_api::metrics::p2p as families;

use crate::gossip::seen::SeenStats;

type Labels = Vec<(&'static str, &'static str)>;

#[derive(Debug, Default)]
pub struct P2pMetrics {
    /// Connected peers by direction (`inbound`/`outbound`).
    pub peers: Family<Labels, Gauge>,
    /// Mesh peers per topic.
    pub mesh_peers: Family<Labels, Gauge>,
    /// Gossip messages gossipsub handed us, by topic and what became of them:
    /// `first_seen`, `seen_cache_hit`, `undecodable`, `dropped_event_queue_full`.
    pub gossip_received: Family<Labels, Counter>,
    /// Validation verdicts reported to gossipsub, by topic and result.
    pub validation: Family<Labels, Counter>,
    /// Publishes by topic and result (`published`, `queued`, `duplicate`, `failed`).
    pub publish: Family<Labels, Counter>,
    /// Messages waiting for a first subscriber, and how many expired or overflowed.
    pub publish_queue_len: Gauge,
    pub publish_queue_dropped: Counter,
    /// Peer-exchange requests by direction (`inbound`/`outbound`) and result.
    pub px: Family<Labels, Counter>,
    /// Sync requests by direction and kind.
    pub sync: Family<Labels, Counter>,
    /// Txsync (mempool anti-entropy) requests by direction, kind and result (`sent`, `ok`,
    /// `garbage`, `failed`, `busy` outbound; `served`, `rate_limited`, `busy`, `bad_request`
    /// inbound).
    pub txsync: Family<Labels, Counter>,
    /// Blocktxn (compact blocks' missing txs) requests, labelled as txsync's.
    pub blocktxn: Family<Labels, Counter>,
    /// Inbound requests refused for being over the sender's quota, by protocol
    /// (`status`, `sync`, `px`; txsync counts its own under `txsync_requests`).
    pub rate_limited: Family<Labels, Counter>,
    /// Inbound connections refused for their source's share, by reason (`ip`, `subnet`).
    pub inbound_refused: Family<Labels, Counter>,
    pub seen_hits: Counter,
    pub seen_misses: Counter,
    pub seen_evictions: Counter,
    pub seen_len: Gauge,
    pub address_book_len: Gauge,
    /// Peers cut off by the operator (fault injection), bounded by `MAX_CUT`.
    pub cut_peers: Gauge,
    /// Peers whose links carry a link fault now (fault injection), bounded by
    /// `rumor_link::MAX_FAULTED_PEERS`; connections that never learned their peer.
    pub link_fault_peers: Gauge,
    pub link_fault_unattached: Gauge,
    /// Ping outcomes by result (`ok`, `timeout`, `error`, `unsupported`), and connections
    /// closed for failing the liveness check.
    pub liveness: Family<Labels, Counter>,
    pub liveness_closed: Counter,
    pub address_book_forgotten: Counter,
    /// Penalties applied to peers for non-gossip misbehaviour, and bans.
    pub peer_penalties: Counter,
    pub peer_bans: Counter,
    /// Gossipsub RPCs (frames) written and the queued parts they carried: parts ÷ RPCs is
    /// how much the engine coalesces.
    pub gossip_rpcs_sent: Counter,
    pub gossip_rpc_parts_sent: Counter,
    /// Lazy-push events by kind, and ids waiting for their eager copy.
    pub gossip_lazy: Family<Labels, Counter>,
    pub gossip_lazy_pending: Gauge,
    /// Items waiting in the handle→loop command channel and the loop→node event channel.
    pub queue_len: Family<Labels, Gauge>,
    /// Every configured bound, by name (so dashboards can show usage against its limit).
    pub limit: Family<Labels, Gauge>,
    last_seen: std::sync::Mutex<SeenStats>,
}

/// Registers a metrics struct's fields under one prefix, from a table of `field => FAMILY;`
/// rows naming [`rumor_api::metrics`] families (name and help): the workspace's one
/// registration helper (p2p and node), so every metric is declared once, in `rumor-api`.
#[macro_export]
macro_rules! register_metrics {
    ($registry:expr, $prefix:literal, $m:expr; $($field:ident => $family:expr;)*) => {{
        let r = $registry.sub_registry_with_prefix($prefix);
        $( r.register($family.short($prefix), $family.help, $m.$field.clone()); )*
    }};
}

impl P2pMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        // By its textual name, not `crate::`: a `#[macro_export]` path would tie this file to
        // the crate root (and its import loop).
        register_metrics!(registry, "rumor_p2p", m;
            peers => families::PEERS;
            mesh_peers => families::MESH_PEERS;
            gossip_received => families::GOSSIP_RECEIVED;
            validation => families::VALIDATION;
            publish => families::PUBLISH;
            publish_queue_len => families::PUBLISH_QUEUE_LEN;
            publish_queue_dropped => families::PUBLISH_QUEUE_DROPPED;
            px => families::PX_REQUESTS;
            sync => families::SYNC_REQUESTS;
            txsync => families::TXSYNC_REQUESTS;
            blocktxn => families::BLOCKTXN_REQUESTS;
            rate_limited => families::RATE_LIMITED;
            inbound_refused => families::INBOUND_REFUSED;
            seen_hits => families::SEEN_CACHE_HITS;
            cut_peers => families::CUT_PEERS;
            link_fault_peers => families::LINK_FAULT_PEERS;
            link_fault_unattached => families::LINK_FAULT_UNATTACHED;
            liveness => families::LIVENESS_PINGS;
            liveness_closed => families::LIVENESS_CLOSED;
            seen_misses => families::SEEN_CACHE_MISSES;
            seen_evictions => families::SEEN_CACHE_EVICTIONS;
            seen_len => families::SEEN_CACHE_LEN;
            address_book_len => families::ADDRESS_BOOK_LEN;
            address_book_forgotten => families::ADDRESS_BOOK_FORGOTTEN;
            peer_penalties => families::PEER_PENALTIES;
            peer_bans => families::PEER_BANS;
            queue_len => families::QUEUE_LEN;
            limit => families::LIMIT;
            gossip_rpcs_sent => families::GOSSIP_RPCS_SENT;
            gossip_rpc_parts_sent => families::GOSSIP_RPC_PARTS_SENT;
            gossip_lazy => families::GOSSIP_LAZY;
            gossip_lazy_pending => families::GOSSIP_LAZY_PENDING;
        );
        m
    }

    pub fn set_limit(&self, name: &'static str, value: usize) {
        self.limit
            .get_or_create(&vec![("name", name)])
            .set(value as i64);
    }

    /// Brings the seen-cache counters up to date (they are kept inside the cache).
    pub fn update_seen(&self, now: SeenStats) {
        let mut last = self.last_seen.lock().unwrap_or_else(|e| e.into_inner());
        self.seen_hits.inc_by(now.hits.saturating_sub(last.hits));
        self.seen_misses
            .inc_by(now.misses.saturating_sub(last.misses));
        self.seen_evictions
            .inc_by(now.evictions.saturating_sub(last.evictions));
        self.seen_len.set(now.len as i64);
        *last = now;
    }
}
