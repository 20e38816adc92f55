//! Gossipsub construction (config + scoring) and decoding of gossip payloads at the edge.
//! The rest of the gossip path sits beside it: [`handler`] (inbound gossip, verdicts,
//! publishes), [`publish_queue`] (publishes waiting for a subscriber), [`seen`] (the
//! seen-cache) and [`duplicates`] (the duplicate-delivery watch).

pub mod duplicates;
pub(crate) mod handler;
pub(crate) mod publish_queue;
pub(crate) mod seen;

use crate::peering::inbound::SourceLimits;
use gossipsub::{
    self, ConfigBuilder, MessageAuthenticity, MessageId, PeerScoreParams, PeerScoreThresholds,
    TopicScoreParams,
};
use rumor_chain::{Block, CompactBlock, DecodeError, Limits, SignedTransaction};
use sha2::{Digest, Sha256};
use std::time::Duration;

use crate::config::GossipConfig;
use crate::gossip::duplicates::WatchTransform;
use crate::topic::{Topic, Topics};

/// Content addressing: the message id is the SHA-256 of the payload, so one tx published by two
/// nodes is one message, and for txs the id equals the tx hash.
pub fn message_id(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// The node's gossipsub: its data transform is the identity that lets the duplicate watch
/// tell received copies from publishes ([`crate::gossip::duplicates`]).
pub type Gossipsub = gossipsub::Behaviour<WatchTransform>;

/// A gossip payload that decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Tx(SignedTransaction),
    Block(Box<Block>),
    /// A block as header, short ids and prefilled txs ([`rumor_chain::compact`]).
    CompactBlock(Box<CompactBlock>),
}

/// First byte of a block-topic message: the whole block follows.
const FULL_BLOCK: u8 = 0;
/// First byte of a block-topic message: a compact block follows.
const COMPACT_BLOCK: u8 = 1;

/// A block-topic message carrying the whole block.
pub fn encode_block(block: &Block) -> Vec<u8> {
    tagged(FULL_BLOCK, block.encode())
}

/// A block-topic message carrying a compact block.
pub fn encode_compact(block: &CompactBlock) -> Vec<u8> {
    tagged(COMPACT_BLOCK, block.encode())
}

fn tagged(tag: u8, body: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 1);
    out.push(tag);
    out.extend_from_slice(&body);
    out
}

/// Decodes bytes received on `topic`. Failures are `Reject`ed by the event loop and never reach
/// the node. A block-topic message is a kind byte ([`encode_block`], [`encode_compact`]) and
/// the canonical encoding of that kind.
pub fn decode(topic: Topic, data: &[u8], limits: &Limits) -> Result<Payload, DecodeError> {
    match topic {
        Topic::Tx => SignedTransaction::decode(data, limits).map(Payload::Tx),
        Topic::Block => match data.split_first() {
            Some((&FULL_BLOCK, body)) => {
                Block::decode(body, limits).map(|b| Payload::Block(Box::new(b)))
            }
            Some((&COMPACT_BLOCK, body)) => {
                CompactBlock::decode(body, limits).map(|b| Payload::CompactBlock(Box::new(b)))
            }
            Some((kind, _)) => Err(DecodeError::Malformed(format!(
                "unknown block message kind {kind}"
            ))),
            None => Err(DecodeError::Truncated),
        },
    }
}

/// Score thresholds (see `config.rs` for the reasoning).
pub fn thresholds() -> PeerScoreThresholds {
    PeerScoreThresholds {
        gossip_threshold: -10.0,
        publish_threshold: -50.0,
        graylist_threshold: -80.0,
        accept_px_threshold: 10.0,
        opportunistic_graft_threshold: 5.0,
    }
}

fn topic_params() -> TopicScoreParams {
    TopicScoreParams {
        topic_weight: 1.0,
        time_in_mesh_weight: 0.01,
        time_in_mesh_quantum: Duration::from_secs(1),
        time_in_mesh_cap: 1000.0,
        first_message_deliveries_weight: 0.5,
        first_message_deliveries_decay: gossipsub::score_parameter_decay(Duration::from_secs(600)),
        first_message_deliveries_cap: 100.0,
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        invalid_message_deliveries_weight: -10.0,
        invalid_message_deliveries_decay: gossipsub::score_parameter_decay(Duration::from_secs(
            600,
        )),
        ..TopicScoreParams::default()
    }
}

/// Gossipsub's IP-colocation factor (P6): every peer of an address with more than
/// [`IP_COLOCATION_THRESHOLD`] peers on it loses 10 × the square of the surplus. With the
/// connection caps (4 inbound per IP, 2 outbound dials per subnet) one host holds at most 6
/// peers: at 4 each scores −10 and leaves the meshes (gossipsub prunes negative scores), at 6
/// each scores −90 and is graylisted, then banned. Measured (eclipse scenario, 32 sinks on one
/// host): with the threshold at the per-IP cap (4) up to 4 sinks stayed in each mesh and
/// honest p99 rose to 1.2–1.5× the clean run's. Three is Lighthouse's threshold too: a few
/// honest nodes behind one NAT stay in.
const IP_COLOCATION_WEIGHT: f64 = -10.0;
const IP_COLOCATION_THRESHOLD: f64 = 3.0;

/// Scoring parameters for both topics. Loopback addresses are whitelisted from the IP
/// colocation factor unless `sources.on_loopback` (as for the connection caps,
/// [`crate::peering::inbound`]).
pub fn score_params(topics: &Topics, sources: &SourceLimits) -> PeerScoreParams {
    let mut p = PeerScoreParams {
        app_specific_weight: 1.0,
        ip_colocation_factor_weight: IP_COLOCATION_WEIGHT,
        ip_colocation_factor_threshold: IP_COLOCATION_THRESHOLD,
        ..PeerScoreParams::default()
    };
    if !sources.on_loopback {
        p.ip_colocation_factor_whitelist = [
            std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ]
        .into_iter()
        .collect();
    }
    for t in Topic::ALL {
        p.topics.insert(topics.hash(t), topic_params());
    }
    p
}

/// What a node and the benchmark's bare-gossipsub floor (`rumor-floor`) share: the mesh
/// degrees and heartbeat, anonymous content-addressed messages (a signed message would cost
/// the floor a signature per message that Rumor does not pay), and the overall size cap.
/// Everything else stays the library's default for the floor; [`behaviour`] adds Rumor's own
/// choices on top, so what they gain is measured against the library's default path.
///
/// A macro over the gossipsub crate's path, because the node runs the workspace's engine
/// (`rumor-gossipsub`) and the floor stock libp2p-gossipsub: two crates, one definition.
/// `gossip_base_config!(libp2p::gossipsub; &net.gossip, &limits)` gives that crate's
/// `ConfigBuilder`.
#[macro_export]
macro_rules! gossip_base_config {
    ($($gs:ident)::+; $cfg:expr, $limits:expr) => {{
        let cfg: &$crate::GossipConfig = $cfg;
        let mut b = $($gs)::+::ConfigBuilder::default();
        b.mesh_n(cfg.mesh_n)
            .mesh_n_low(cfg.mesh_n_low)
            .mesh_n_high(cfg.mesh_n_high)
            .mesh_outbound_min(cfg.mesh_outbound_min)
            .heartbeat_interval(cfg.heartbeat)
            .heartbeat_initial_delay(::std::time::Duration::from_millis(100))
            .validation_mode($($gs)::+::ValidationMode::Anonymous)
            .message_id_fn(|m: &$($gs)::+::Message| {
                $($gs)::+::MessageId::new(&$crate::message_id(&m.data))
            })
            .max_transmit_size($crate::max_transmit_bytes($limits));
        b
    }};
}

/// The largest RPC a node sends or accepts: a whole block plus RPC framing.
pub fn max_transmit_bytes(limits: &Limits) -> usize {
    limits.max_block_bytes + 64 * 1024
}

/// The node's base config ([`gossip_base_config!`] over the workspace's engine).
pub fn base_config(cfg: &GossipConfig, limits: &Limits) -> ConfigBuilder {
    gossip_base_config!(gossipsub; cfg, limits)
}

/// Builds the gossipsub behaviour: anonymous, content-addressed, app-validated, scored.
pub fn behaviour(
    cfg: &GossipConfig,
    topics: &Topics,
    limits: &Limits,
    sources: &SourceLimits,
    duplicates: Option<&crate::gossip::duplicates::DuplicateWatch>,
    registry: &mut prometheus_client::registry::Registry,
) -> Result<Gossipsub, String> {
    let mut b = base_config(cfg, limits);
    let transform = WatchTransform(duplicates.cloned());
    if let Some(watch) = duplicates.cloned() {
        // Gossipsub computes every copy's id before its duplicate filter: the one place a
        // duplicate can be timed (see `crate::gossip::duplicates`).
        b.message_id_fn(move |m: &gossipsub::Message| {
            let id = message_id(&m.data);
            watch.observe(&m.topic, &id, &m.data);
            MessageId::new(&id)
        });
    }
    b.validate_messages()
        .flood_publish(cfg.flood_publish)
        .idontwant_message_size_threshold(cfg.idontwant_threshold)
        .idontwant_on_publish(true)
        .duplicate_cache_time(cfg.duplicate_cache_time)
        .history_gossip(cfg.history_gossip.clamp(1, 5))
        .forward_queue_duration(cfg.forward_queue_duration);
    // Per-topic caps on each message (gossipsub rejects a bigger one from its sender before we
    // see it, and refuses to publish one): a tx is exactly `TX_ENCODED_LEN` bytes, so the tx
    // topic takes that plus protobuf framing, not a whole block. Registering both topics also
    // makes `build` validate their mesh parameters.
    for t in Topic::ALL {
        b.max_transmit_size_for_topic(topic_max_bytes(t, limits), topics.hash(t));
    }
    // Flooding everything (the benchmark baseline) is the opposite of lazy push.
    if let Some(lazy) = cfg.lazy_push.filter(|_| !cfg.flood_all) {
        b.choke(gossipsub::ChokeConfig {
            topics: [topics.hash(Topic::Tx)].into_iter().collect(),
            eager_target: lazy.eager_peers.max(1),
            iwant_delay: lazy.lazy_wait,
            max_pending: lazy.max_pending,
            max_announce_batch: lazy.max_announce_batch.max(1),
            announce_interval: lazy.announce_interval.max(Duration::from_millis(1)),
            ..gossipsub::ChokeConfig::default()
        });
    }
    let config = b.build().map_err(|e| format!("gossipsub config: {e}"))?;
    let mut gs = Gossipsub::new_with_transform(MessageAuthenticity::Anonymous, config, transform)
        .map_err(|e| format!("gossipsub: {e}"))?;
    gs = gs.with_metrics(
        registry.sub_registry_with_prefix("gossipsub"),
        gossipsub::MetricsConfig::default(),
    );
    gs.with_peer_score(score_params(topics, sources), thresholds())
        .map_err(|e| format!("gossipsub scoring: {e}"))?;
    Ok(gs)
}

/// The largest message accepted on `topic`: its payload's bound plus room for gossipsub's own
/// framing (topic name, field tags; no source, sequence number or signature in anonymous mode).
pub fn topic_max_bytes(topic: Topic, limits: &Limits) -> usize {
    match topic {
        Topic::Tx => rumor_chain::codec::TX_ENCODED_LEN + 1024,
        Topic::Block => limits.max_block_bytes + 64 * 1024,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_rejects_garbage_and_accepts_canonical() {
        let limits = Limits::default();
        assert!(decode(Topic::Tx, b"garbage", &limits).is_err());
        assert!(decode(Topic::Block, b"garbage", &limits).is_err());
        let key = rumor_chain::Keypair::from_label("k");
        let tx = rumor_chain::test_utils::TxBuilder::new(&key).sign();
        let bytes = tx.encode();
        assert_eq!(
            decode(Topic::Tx, &bytes, &limits),
            Ok(Payload::Tx(tx.clone()))
        );
        // A tx on the block topic is garbage there.
        assert!(decode(Topic::Block, &bytes, &limits).is_err());
        assert_eq!(message_id(&bytes), tx.hash().0);
    }

    #[test]
    fn config_builds_and_scoring_is_valid() {
        let topics = Topics::new("abcdef01");
        let mut reg = prometheus_client::registry::Registry::default();
        behaviour(
            &GossipConfig::default(),
            &topics,
            &Limits::default(),
            &Default::default(),
            None,
            &mut reg,
        )
        .unwrap();
        // Three invalid messages graylist; one does not.
        let w = topic_params().invalid_message_deliveries_weight;
        assert!(w * 1.0 > thresholds().graylist_threshold);
        assert!(w * 9.0 < thresholds().graylist_threshold);
        let bad = GossipConfig {
            mesh_n_low: 10,
            ..GossipConfig::default()
        };
        assert!(
            behaviour(
                &bad,
                &topics,
                &Limits::default(),
                &Default::default(),
                None,
                &mut reg
            )
            .is_err()
        );
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn the_tx_topic_takes_a_tx_not_a_block() {
        let topics = Topics::new("abcdef01");
        let mut reg = prometheus_client::registry::Registry::default();
        let limits = Limits::default();
        let mut gs = behaviour(
            &GossipConfig::default(),
            &topics,
            &limits,
            &Default::default(),
            None,
            &mut reg,
        )
        .unwrap();
        let too_big = vec![0u8; topic_max_bytes(Topic::Tx, &limits) + 1];
        assert!(matches!(
            gs.publish(topics.hash(Topic::Tx), too_big.clone()),
            Err(gossipsub::PublishError::MessageTooLarge)
        ));
        // The same bytes fit the block topic (they fail later only for want of peers).
        assert!(!matches!(
            gs.publish(topics.hash(Topic::Block), too_big),
            Err(gossipsub::PublishError::MessageTooLarge)
        ));
        assert!(topic_max_bytes(Topic::Tx, &limits) < 2048);
    }
}
