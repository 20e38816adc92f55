//! Label names and values that readers match on, spelled once. The node and p2p count with
//! these spellings; the testnet picks series out of a scrape by them.

/// `rumor_limit{name}` of the clock tolerance (`[chain] max_future_ms`).
pub const LIMIT_MAX_FUTURE_MS: &str = "max_future_ms";

/// `rumor_catch_ups{outcome}`.
pub const CATCH_UP_OUTCOMES: [&str; 3] = ["progressed", "no_progress", "unbacked"];

/// `rumor_compact_blocks{result}`: rebuilt from the pool alone, after one blocktxn round trip,
/// from the whole block fetched by hash, not rebuilt, wrong.
pub const COMPACT_RESULTS: [&str; 5] = ["rebuilt", "fetched", "full_fetch", "failed", "bad"];

/// `rumor_future_blocks{outcome}`.
pub const FUTURE_BLOCK_OUTCOMES: [&str; 5] = ["held", "released", "refused", "rejected", "dropped"];

/// `rumor_store_*{store}`.
pub const STORES: [&str; 2] = ["chain", "journal"];

/// `libp2p_bandwidth_bytes_total{direction}` as libp2p spells it.
pub const BANDWIDTH_INBOUND: &str = "Inbound";
pub const BANDWIDTH_OUTBOUND: &str = "Outbound";

/// The label a gossipsub per-topic family carries the topic string in (parse it with
/// `rumor_p2p::TopicName`).
pub const GOSSIPSUB_TOPIC: &str = "hash";
