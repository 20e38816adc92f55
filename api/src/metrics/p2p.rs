//! The network's families (`rumor_p2p_*`), registered by `rumor-p2p` in this order. Byte
//! counts and gossipsub's per-topic counts are libp2p's own ([`super::external`]).

super::family::families! {
    /// Label `direction`: `inbound`, `outbound`.
    PEERS: Gauge "rumor_p2p_peers" ["direction"] "Connected peers by direction";
    MESH_PEERS: Gauge "rumor_p2p_mesh_peers" ["topic"] "Gossipsub mesh peers per topic";
    /// Label `result`: `first_seen`, `seen_cache_hit`, `undecodable`, `dropped_event_queue_full`.
    GOSSIP_RECEIVED: Counter "rumor_p2p_gossip_received" ["topic", "result"] "Gossip messages received by topic and outcome";
    VALIDATION: Counter "rumor_p2p_validation" ["topic", "result"] "Validation results reported to gossipsub";
    /// Label `result`: `published`, `queued`, `duplicate`, `failed`.
    PUBLISH: Counter "rumor_p2p_publish" ["topic", "result"] "Publishes by topic and result";
    PUBLISH_QUEUE_LEN: Gauge "rumor_p2p_publish_queue_len" [] "Messages waiting for a subscriber";
    PUBLISH_QUEUE_DROPPED: Counter "rumor_p2p_publish_queue_dropped" [] "Queued messages dropped (expired or overflow)";
    PX_REQUESTS: Counter "rumor_p2p_px_requests" ["direction", "result"] "Peer-exchange requests";
    SYNC_REQUESTS: Counter "rumor_p2p_sync_requests" ["direction", "kind"] "Block-sync requests";
    TXSYNC_REQUESTS: Counter "rumor_p2p_txsync_requests" ["direction", "result"] "Mempool anti-entropy requests";
    BLOCKTXN_REQUESTS: Counter "rumor_p2p_blocktxn_requests" ["direction", "result"] "Requests for a compact block's missing txs";
    /// Label `protocol`: `status`, `sync`, `px`.
    RATE_LIMITED: Counter "rumor_p2p_rate_limited" ["protocol"] "Inbound requests refused over the sender's quota, by protocol";
    /// Label `reason`: `ip`, `subnet`.
    INBOUND_REFUSED: Counter "rumor_p2p_inbound_refused" ["reason"] "Inbound connections refused over their source's share (per IP or subnet)";
    SEEN_CACHE_HITS: Counter "rumor_p2p_seen_cache_hits" [] "Seen-cache hits";
    CUT_PEERS: Gauge "rumor_p2p_cut_peers" [] "Peers cut off by the operator (testnet fault injection)";
    LINK_FAULT_PEERS: Gauge "rumor_p2p_link_fault_peers" [] "Peers whose links carry a link fault (testnet fault injection)";
    LINK_FAULT_UNATTACHED: Gauge "rumor_p2p_link_fault_unattached" [] "Connections link faults could not reach (their peer was never learned)";
    /// Label `result`: `ok`, `timeout`, `error`, `unsupported`.
    LIVENESS_PINGS: Counter "rumor_p2p_liveness_pings" ["result"] "Liveness pings by result";
    LIVENESS_CLOSED: Counter "rumor_p2p_liveness_closed" [] "Connections closed for carrying nothing back (liveness check)";
    SEEN_CACHE_MISSES: Counter "rumor_p2p_seen_cache_misses" [] "Seen-cache misses";
    SEEN_CACHE_EVICTIONS: Counter "rumor_p2p_seen_cache_evictions" [] "Seen-cache evictions";
    SEEN_CACHE_LEN: Gauge "rumor_p2p_seen_cache_len" [] "Seen-cache entries";
    ADDRESS_BOOK_LEN: Gauge "rumor_p2p_address_book_len" [] "Address book entries";
    ADDRESS_BOOK_FORGOTTEN: Counter "rumor_p2p_address_book_forgotten" [] "Peers forgotten after repeated dial failures";
    PEER_PENALTIES: Counter "rumor_p2p_peer_penalties" [] "Application penalties applied to peers";
    PEER_BANS: Counter "rumor_p2p_peer_bans" [] "Peers disconnected and banned";
    /// Label `queue`: `commands`, `events`, `inbound_sync`.
    QUEUE_LEN: Gauge "rumor_p2p_queue_len" ["queue"] "Items waiting in internal channels";
    LIMIT: Gauge "rumor_p2p_limit" ["name"] "Configured bounds";
    /// Each gossipsub RPC written to a peer is one length-prefixed frame; the engine
    /// (`rumor-gossipsub`) coalesces what is queued for a peer into one.
    GOSSIP_RPCS_SENT: Counter "rumor_p2p_gossip_rpcs_sent" [] "Gossipsub RPCs (frames) handed to peers' outbound streams";
    GOSSIP_RPC_PARTS_SENT: Counter "rumor_p2p_gossip_rpc_parts_sent" [] "Queued messages, control entries and subscriptions those RPCs carried";
    /// Lazy push (the engine's choke extension). Label `event`: `choke_sent`, `unchoke_sent`
    /// (this node made a link lazy / eager again), `id_sent` (a tx sent as its id over a lazy
    /// link), `late_fetch` (an announced id fetched because its eager copy was
    /// late), `pending_overflow` (an id fetched at once: too many waiting).
    GOSSIP_LAZY: Counter "rumor_p2p_gossip_lazy" ["event"] "Lazy-push events";
    GOSSIP_LAZY_PENDING: Gauge "rumor_p2p_gossip_lazy_pending" [] "Announced ids waiting for their eager copy";
}
