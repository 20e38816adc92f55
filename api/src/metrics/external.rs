//! Families the node exports but does not name in its own registration code: the mempool's
//! (`rumor-mempool`'s `PoolStatus::metrics`, registered by the node as it lists them), and
//! those libp2p names itself (gossipsub's, under the `gossipsub` prefix `rumor-p2p` gives it,
//! and the bandwidth sinks'). Readers match these the same way as the node's own.

/// The mempool's families (`mempool_*`); `mempool_rejected` is labelled by `reason`
/// (`crate::TxReject`'s labels).
pub const MEMPOOL: &[super::family::Family] = ALL;

super::family::families! {
    MEMPOOL_PENDING: Gauge "mempool_pending" [] "Executable txs";
    MEMPOOL_QUEUED: Gauge "mempool_queued" [] "Waiting txs";
    MEMPOOL_BYTES: Gauge "mempool_bytes" [] "Encoded bytes held";
    MEMPOOL_SENDERS: Gauge "mempool_senders" [] "Senders with pooled txs";
    MEMPOOL_ADMITTED: Counter "mempool_admitted" [] "Txs admitted";
    MEMPOOL_REPLACED: Counter "mempool_replaced" [] "Txs replaced by a higher fee";
    MEMPOOL_PROMOTED: Counter "mempool_promoted" [] "Queued txs made pending";
    MEMPOOL_EVICTED: Counter "mempool_evicted" [] "Txs evicted for room or caps";
    MEMPOOL_EXPIRED: Counter "mempool_expired" [] "Txs dropped for age";
    MEMPOOL_INCLUDED: Counter "mempool_included" [] "Txs dropped as included";
    MEMPOOL_STALE: Counter "mempool_stale" [] "Txs dropped as stale nonce";
    MEMPOOL_REINJECTED: Counter "mempool_reinjected" [] "Reorged-out txs taken back";
    MEMPOOL_LIMIT_MAX_TXS: Gauge "mempool_limit_max_txs" [] "Configured max txs";
    MEMPOOL_LIMIT_MAX_BYTES: Gauge "mempool_limit_max_bytes" [] "Configured max bytes";
    MEMPOOL_LIMIT_PENDING_PER_SENDER: Gauge "mempool_limit_pending_per_sender" [] "Configured pending slots per sender";
    MEMPOOL_LIMIT_QUEUED_PER_SENDER: Gauge "mempool_limit_queued_per_sender" [] "Configured queued slots per sender";
    MEMPOOL_LIMIT_MAX_QUEUED: Gauge "mempool_limit_max_queued" [] "Configured max queued txs";
    MEMPOOL_LIMIT_PRICE_BUMP_PERCENT: Gauge "mempool_limit_price_bump_percent" [] "Configured replacement fee bump";
    MEMPOOL_LIMIT_LIFETIME_SECONDS: Gauge "mempool_limit_lifetime_seconds" [] "Configured tx lifetime";
    MEMPOOL_LIMIT_MIN_FEE: Gauge "mempool_limit_min_fee" [] "Configured minimum fee";
    MEMPOOL_LIMIT_BROADCAST_CAPACITY: Gauge "mempool_limit_broadcast_capacity" [] "Configured pending-hash broadcast buffer";
    MEMPOOL_REJECTED: Counter "mempool_rejected" ["reason"] "Inserts rejected, by reason";
}

/// libp2p's and gossipsub's families the testnet reads. Their help is theirs; only name,
/// type and labels are a contract here.
pub mod libp2p {
    crate::metrics::family::families! {
        /// Bytes through the transport, label `direction`: [`crate::metrics::labels::BANDWIDTH_INBOUND`]
        /// or [`crate::metrics::labels::BANDWIDTH_OUTBOUND`] (libp2p's capitalisation).
        BANDWIDTH_BYTES: Counter "libp2p_bandwidth_bytes" ["protocols", "direction"] "";
        /// Every copy gossipsub received, duplicates included, label `hash`: the topic string.
        TOPIC_MSG_RECV_COUNTS_UNFILTERED: Counter "gossipsub_topic_msg_recv_counts_unfiltered" ["hash"] "";
        /// First receipts (past gossipsub's duplicate filter), by topic.
        TOPIC_MSG_RECV_COUNTS: Counter "gossipsub_topic_msg_recv_counts" ["hash"] "";
        /// Bytes of every copy received, by topic.
        TOPIC_MSG_RECV_BYTES_UNFILTERED: Counter "gossipsub_topic_msg_recv_bytes_unfiltered" ["hash"] "";
        /// Bytes of first receipts, by topic.
        TOPIC_MSG_RECV_BYTES: Counter "gossipsub_topic_msg_recv_bytes" ["hash"] "";
        /// Bytes of messages sent, by topic.
        TOPIC_MSG_SENT_BYTES: Counter "gossipsub_topic_msg_sent_bytes" ["hash"] "";
    }
}
