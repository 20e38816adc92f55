//! Network configuration: every bound, target and gossip parameter, with its default and why.
//!
//! # Peer scoring
//!
//! Scoring is on. Only what a peer provably did wrong costs it score. Rumor's traffic is bursty
//! and low-rate (txs arrive when users send them), and the "too few deliveries" penalties
//! (P3/P3b) would punish honest mesh peers whenever the network is quiet, so they are off.
//!
//! * **P4, invalid deliveries** (the penalty that matters): the weight is −10 per topic
//!   (topic weight 1) and the counter is squared. One invalid message costs −10, which only
//!   reaches the gossip threshold; three cost −90, below the graylist threshold of −80. After that
//!   every RPC from the peer is ignored. The counter decays to 1% over ~10 minutes, so an honest
//!   peer that relayed one bad message after a fork (rare: invalid means invalid for everyone)
//!   recovers, and a spammer does not.
//! * **P2, first deliveries** (+0.5 each, capped at 50): peers that bring us new messages first
//!   build a small positive margin. That margin cannot outweigh more than a couple of invalid
//!   messages.
//! * **P1, time in mesh**: a small bonus (up to +10) for mesh stability.
//! * **P5, application score** (weight 1): the node's verdict on non-gossip misbehaviour, such as
//!   garbage or wrong blocks in sync answers (−30 each). Three such answers graylist the peer.
//! * **P6, IP colocation** is off (weight 0). Testnets put every node on 127.0.0.1, and with the
//!   default weight a 30-node local net would graylist everyone (−5·(n−10)² per peer).
//! * **P7, behaviour penalty**: the library default (broken promises, backoff violations).
//!
//! Thresholds: gossip −10, publish −50, graylist −80, accept-PX 10, opportunistic graft 5.

use std::time::Duration;

use libp2p::Multiaddr;
use rumor_chain::Limits;

use crate::peering::addrbook::BookConfig;
use crate::peering::liveness::LivenessConfig;
use rumor_link::{LinkEmulation, LinkFaults};

/// Gossipsub parameters.
#[derive(Debug, Clone)]
pub struct GossipConfig {
    /// Mesh degree D (8), D_lo (6), D_hi (12), and outbound quota (2; ≤ D_lo and ≤ D/2).
    pub mesh_n: usize,
    pub mesh_n_low: usize,
    pub mesh_n_high: usize,
    pub mesh_outbound_min: usize,
    /// Heartbeat interval (700 ms): how quickly the mesh repairs itself and gossip (IHAVE) flows.
    pub heartbeat: Duration,
    /// Send our own messages to every subscribed peer, not just the mesh (default off). Flooding
    /// the first hop shaves a hop for some nodes but feeds every non-mesh peer a copy that then
    /// spreads through the mesh again. Measured on the 32-node loopback benchmark (200 tx/s):
    /// off cut duplicates per tx per node from 2.86 to 2.39 and bytes out by 10%, and because the
    /// two cores are saturated there, p50 time-to-all fell from 241 to 148 ms.
    pub flood_publish: bool,
    /// Forward *everything* to every peer (explicit peers): the flooding baseline for benchmarks.
    pub flood_all: bool,
    /// IDONTWANT is sent only for messages larger than this (default 1 000 bytes, gossipsub's
    /// own: blocks qualify, a 160-byte tx does not). An IDONTWANT is a frame of its own to every
    /// mesh peer, and a frame costs about the same CPU (yamux, Noise, a `sendto`) whether it
    /// carries 40 bytes or 160: for a tx it costs D frames sent and D received per node to save
    /// one or two duplicate frames. Measured (`rumor-bench --scenario floor`, 16 nodes × 100 tx/s
    /// on loopback, one run each): at 100 bytes (on for txs) 1.09 CPU ms per tx per node,
    /// machine 79% busy, 2.6 duplicates per tx per node, 1 617 bytes sent per tx per node; at
    /// 1 000 bytes 0.84 CPU ms (−23%), machine 60% busy, 4.4 duplicates, 1 688 bytes (+4%), and
    /// p50/p99 time to all 7.1/54 → 4.7/42 ms. CPU is what limits a testnet on one machine.
    pub idontwant_threshold: usize,
    /// How long gossipsub remembers message ids to drop duplicates (60 s).
    pub duplicate_cache_time: Duration,
    /// How long a queued forward may wait before gossipsub drops it (1 s; raised automatically
    /// under link emulation, where queues legitimately hold bytes for a WAN round trip).
    pub forward_queue_duration: Duration,
    /// Lazy push for txs (the engine's choke extension, `rumor_gossipsub::ChokeConfig`): a
    /// node keeps `eager_peers` (to one more) tx-mesh links pushing whole txs and chokes the
    /// rest, which become lazy both ways and carry ids; an id whose tx has not come
    /// `lazy_wait` later is fetched and its link made eager again. Negotiated per peer (stock
    /// peers push as ever). `None`: off.
    pub lazy_push: Option<LazyPush>,
    /// Heartbeats whose message ids each heartbeat's gossip (IHAVE to non-mesh peers)
    /// repeats (1; gossipsub's default is 3). Each id then goes to each gossip peer once, not
    /// three times: at 34 bytes an id against a 160-byte tx, three rounds to six gossip peers
    /// cost more bytes than the tx itself. Ids still reach them in time for recovery: messages
    /// stay served for `history_length` (5) heartbeats, and mempool anti-entropy covers the rest.
    pub history_gossip: usize,
}

/// Lazy-push settings (see [`GossipConfig::lazy_push`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LazyPush {
    /// Tx-mesh peers kept pushing whole txs to this node (2).
    pub eager_peers: usize,
    /// How long an announced id waits for its eager copy before it is fetched (30 ms).
    pub lazy_wait: Duration,
    /// Ids waiting for their eager copy, at most (8 192); beyond, an id is fetched at once.
    pub max_pending: usize,
    /// Ids gathered for one peer before they leave, at most (512); a full batch leaves at once.
    pub max_announce_batch: usize,
    /// How long ids owed to a lazy peer gather before they leave as one IHAVE (50 ms). Every
    /// batch is a frame of its own (about 40 bytes of protobuf, Yamux and Noise around the
    /// ids); a longer gather packs more ids per frame but delays repair of a broken eager path
    /// by as much. Measured (`rumor-testnet run --nodes 16 --tps 100 --duration 20s`, twice
    /// each way, with `--node-config` setting `lazy_announce_ms`): 10 → 50 ms took gossipsub
    /// frames sent from 3.82/3.64 to 2.63/2.58 per tx per node and CPU per node from
    /// 5.82/5.89 to 5.16/5.18% of a core.
    pub announce_interval: Duration,
}

impl Default for LazyPush {
    fn default() -> Self {
        Self {
            eager_peers: 2,
            lazy_wait: Duration::from_millis(30),
            max_pending: 8192,
            max_announce_batch: 512,
            announce_interval: Duration::from_millis(50),
        }
    }
}

impl Default for GossipConfig {
    fn default() -> Self {
        Self {
            mesh_n: 8,
            mesh_n_low: 6,
            mesh_n_high: 12,
            mesh_outbound_min: 2,
            heartbeat: Duration::from_millis(700),
            flood_publish: false,
            flood_all: false,
            idontwant_threshold: 1000,
            duplicate_cache_time: Duration::from_secs(60),
            forward_queue_duration: Duration::from_secs(1),
            lazy_push: Some(LazyPush::default()),
            history_gossip: 1,
        }
    }
}

/// How many peers to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerTargets {
    /// Below this, dial from the address book and ask peers for more (8).
    pub low: usize,
    /// Above this, prune (16).
    pub high: usize,
    /// Hard cap on established connections, enforced before a handler is built (high + 8 +
    /// `outbound_reserved` = 32): inbound connections may reach high + 8, so newcomers can
    /// still connect to a full node and learn addresses before being pruned (a bootnode with
    /// no outbound peers capped at the high target would never prune, and let nobody new in);
    /// the reserved slots stay for our own dials.
    pub max_established: u32,
    /// Cap on connections still negotiating, each direction (16).
    pub max_pending: u32,
    /// Connection slots inbound peers cannot take (8, the low target): incoming connections
    /// are capped at `max_established - outbound_reserved`, and pruning never takes outbound
    /// peers below it, so the peers we chose always have room (an eclipse must get past our
    /// own choice of peers, not just fill our slots).
    pub outbound_reserved: u32,
    /// Outbound dials to one subnet (/24 IPv4, /64 IPv6) at once (2): an address book filled
    /// with one host's identities still yields outbound peers elsewhere.
    pub outbound_per_subnet: usize,
    /// Per-source caps on inbound connections ([`crate::peering::inbound`]).
    pub inbound: crate::peering::inbound::SourceLimits,
}

impl Default for PeerTargets {
    fn default() -> Self {
        Self {
            low: 8,
            high: 16,
            max_established: 32,
            max_pending: 16,
            outbound_reserved: 8,
            outbound_per_subnet: 2,
            inbound: crate::peering::inbound::SourceLimits::default(),
        }
    }
}

/// Bounds for `/rumor/txsync/1` (mempool anti-entropy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxSyncConfig {
    /// Inbound requests being served by the node at once (16); more are answered "busy".
    /// Each costs a short pool read on the blocking pool.
    pub max_inbound: usize,
    /// Our requests in flight (64); more fail at once with `Busy`. A pull is one digest and at
    /// most 16 gets, run one after another, so this leaves room for several peers at once.
    pub max_outbound: usize,
    /// Per-peer inbound quota: a burst of 32 requests (a digest and the 16 gets that fetch a
    /// whole pool, twice), refilled at 4 per second (an honest peer pulls every few seconds).
    pub peer_burst: u32,
    pub peer_per_sec: u32,
}

impl Default for TxSyncConfig {
    fn default() -> Self {
        Self {
            max_inbound: 16,
            max_outbound: 64,
            peer_burst: 32,
            peer_per_sec: 4,
        }
    }
}

impl TxSyncConfig {
    /// The bounds of `/rumor/blocktxn/1` (same shape as txsync's): 32 served at once (a block
    /// relayed to all of a node's peers can draw one request from each), 64 of ours in flight
    /// (one per compact block being rebuilt), and per peer a burst of 16 refilled at 4 a
    /// second (an honest peer asks at most once per block it gets from us, blocks come once a
    /// slot, and a catch-up fetches whole blocks by sync instead).
    pub fn blocktxn() -> Self {
        Self {
            max_inbound: 32,
            max_outbound: 64,
            peer_burst: 16,
            peer_per_sec: 4,
        }
    }
}

/// Per-peer quotas on inbound requests (see [`crate::requests::quota`]): a burst, refilled per second.
/// Over quota a request is answered "rate limited" at once; every 16th refusal in a row is an
/// offence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequestQuotas {
    /// Status greetings: an honest peer sends one per connection (burst 8, 0.5/s). Each one
    /// hands the node a peer status, which can start a catch-up.
    pub status_burst: u32,
    pub status_per_sec: f64,
    /// Block and header fetches (burst 128, 32/s): a peer catching up 10 000 blocks asks 157
    /// ranges of 64 one after another; each answer is up to 8 MiB of store reads.
    pub sync_burst: u32,
    pub sync_per_sec: f64,
    /// Peer exchange (burst 16, 2/s): a node short of peers asks one peer per 500 ms tick.
    pub px_burst: u32,
    pub px_per_sec: f64,
}

impl Default for RequestQuotas {
    fn default() -> Self {
        Self {
            status_burst: 8,
            status_per_sec: 0.5,
            sync_burst: 128,
            sync_per_sec: 32.0,
            px_burst: 16,
            px_per_sec: 2.0,
        }
    }
}

/// Everything the network needs.
#[derive(Debug, Clone)]
pub struct NetworkConfig {
    pub listen: Vec<Multiaddr>,
    /// Peers to dial at start (`/ip4/…/tcp/…/p2p/<peer id>`).
    pub bootnodes: Vec<Multiaddr>,
    pub gossip: GossipConfig,
    pub peers: PeerTargets,
    pub address_book: BookConfig,
    /// Seen-cache capacity in message ids (65 536; see the sizing note in `seen.rs`).
    pub seen_cache: usize,
    /// Records asked for (and at most given) per peer-exchange request (32).
    pub px_records: u32,
    /// Messages waiting for a first subscriber (1 024) and how long they may wait (60 s).
    pub publish_queue: usize,
    pub publish_ttl: Duration,
    /// Command channel (handle → loop, 1 024) and event channel (loop → node, 8 192).
    pub command_channel: usize,
    pub event_channel: usize,
    /// Inbound sync requests being served by the node at once (32); more are answered "busy".
    pub max_inbound_sync: usize,
    /// Mempool anti-entropy (`/rumor/txsync/1`) bounds.
    pub txsync: TxSyncConfig,
    /// Compact blocks' missing txs (`/rumor/blocktxn/1`) bounds ([`TxSyncConfig::blocktxn`]).
    pub blocktxn: TxSyncConfig,
    /// Per-peer quotas on status, sync and peer-exchange requests.
    pub quotas: RequestQuotas,
    /// Timeout for request-response protocols (10 s).
    pub request_timeout: Duration,
    /// Maintenance tick: peer targets, PX, publish-queue retries, gauges (500 ms).
    pub tick: Duration,
    /// Chain decode caps for gossip payloads and sync answers.
    pub limits: Limits,
    /// Ping cadence for the liveness check ([`crate::peering::liveness`]).
    pub liveness: LivenessConfig,
    /// Link emulation (testnets only; off when `None`).
    pub link: Option<LinkEmulation>,
    /// Link faults a controller may set on this node's links (testnets with fault control;
    /// off when `None`). When set, every connection is wrapped so faults can reach it.
    pub link_faults: Option<LinkFaults>,
    /// Where the network loop's and the connections' CPU time is accounted when many nodes
    /// share a process (in-process testnets; off when `None`).
    pub meter: Option<crate::Meter>,
    /// Reports each message's second copy (the trace's first duplicates; off when `None`).
    pub duplicates: Option<crate::gossip::duplicates::DuplicateWatch>,
    /// The node's wall clock, which stamps each gossip message's arrival (the system clock;
    /// shifted only to emulate a skewed machine, see `rumor_chain::clock::Clock`).
    pub clock: rumor_chain::clock::Clock,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        Self {
            listen: vec!["/ip4/0.0.0.0/tcp/0".parse().expect("valid multiaddr")],
            bootnodes: Vec::new(),
            gossip: GossipConfig::default(),
            peers: PeerTargets::default(),
            address_book: BookConfig::default(),
            seen_cache: 65_536,
            px_records: 32,
            publish_queue: 1024,
            publish_ttl: Duration::from_secs(60),
            command_channel: 1024,
            event_channel: 8192,
            max_inbound_sync: 32,
            txsync: TxSyncConfig::default(),
            blocktxn: TxSyncConfig::blocktxn(),
            quotas: RequestQuotas::default(),
            request_timeout: Duration::from_secs(10),
            tick: Duration::from_millis(500),
            limits: Limits::default(),
            liveness: LivenessConfig::default(),
            link: None,
            link_faults: None,
            meter: None,
            duplicates: None,
            clock: rumor_chain::clock::Clock::system(),
        }
    }
}
