//! The attack loop: one task owns the hostile swarm, fires the scenario's next move on a
//! fixed cadence and answers the honest nodes' requests the way the scenario wants.
//!
//! Bounds: the replay queue holds at most one fetched range ([`REPLAY_BATCH`] blocks); sync
//! and PX requests in flight are bounded by libp2p's stream limit; nothing else accumulates.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::gossipsub::{self, TopicHash};
use libp2p::request_response::{self, ResponseChannel};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm};
use rumor_chain::{BlockHash, BlockHeader, Genesis, Keypair};
use rumor_link::SplitMix64;
use rumor_p2p::wire::{MAX_RECORDS, PxResponse, WireResponse};
use rumor_p2p::{Status, SyncRequest, Topic};
use serde::{Deserialize, Serialize};

use crate::craft;
use crate::error::AttackError;
use crate::peer::{self, Hostile, HostileEvent};
use crate::scenario::Scenario;
use crate::sybil;

/// Old blocks fetched per range request (old-block-replay).
pub const REPLAY_BATCH: u64 = 16;
/// How often the replay asks for more old blocks while it has none to publish.
const REPLAY_FETCH_EVERY: Duration = Duration::from_secs(2);
/// How old a block must be before the replay publishes it: the nodes' gossipsub duplicate
/// cache (60 s) drops a copy of anything newer unseen and for free, so only an older block
/// reaches their validation (and costs them, or the attacker, anything).
pub const GOSSIP_MEMORY_MS: u64 = 65_000;
/// A chain height no honest node can have (bad-sync-answers claims it).
const FAKE_HEIGHT: u64 = 1_000_000;

/// What the attack needs to know about the network it attacks.
#[derive(Debug, Clone)]
pub struct AttackConfig {
    pub scenario: Scenario,
    pub genesis: Genesis,
    /// Honest nodes to connect to (`…/p2p/<peer id>`).
    pub targets: Vec<Multiaddr>,
    /// Moves per second (payloads published, or requests sent to each peer).
    pub rate: f64,
    pub seed: u64,
    /// The attacker's libp2p key (ed25519 secret), so the harness knows its peer id before
    /// it connects ([`peer_id`]).
    pub key: [u8; 32],
    /// The nodes' `[chain] replay_window_slots`: the replay publishes only blocks older.
    pub replay_window_slots: u64,
    /// A genesis authority's secret key, stolen (equivocation signs with it).
    pub authority_key: Option<[u8; 32]>,
}

/// What the attacker did, as it saw it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AttackStats {
    pub scenario: String,
    pub peer_id: String,
    /// Gossip messages published, and publishes gossipsub refused (no peer would take them:
    /// every honest peer has graylisted us or dropped us).
    pub published: u64,
    pub publish_refused: u64,
    /// Requests sent, refused by the honest side ("rate_limited"), or failed (stream closed).
    pub requests: u64,
    pub requests_refused: u64,
    pub requests_failed: u64,
    /// Honest requests answered the scenario's way (sync and PX).
    pub answered: u64,
    pub connections: u64,
    pub disconnections: u64,
    /// Connected honest peers when the attack stopped.
    pub connected_at_end: usize,
    /// When the first hostile move went out (ms after the attack started): the replay first
    /// waits for blocks old enough, the sync and PX attacks for a request to answer.
    pub first_move_ms: Option<u64>,
    /// When the last honest peer dropped the attacker (ms after the start), if none took it
    /// back afterwards. The attacker never disconnects on its own, so this is the honest
    /// side's doing; it catches bans too quick for the harness's polling to see.
    pub all_dropped_at_ms: Option<u64>,
    /// Eclipse: identities the host minted (besides the main one).
    pub sybils: usize,
}

/// The peer id of the attacker whose key is `key`.
pub fn peer_id(key: [u8; 32]) -> Result<PeerId, AttackError> {
    Ok(keypair(key)?.public().to_peer_id())
}

fn keypair(key: [u8; 32]) -> Result<libp2p::identity::Keypair, AttackError> {
    libp2p::identity::Keypair::ed25519_from_bytes(key)
        .map_err(|e| AttackError::Setup(format!("attacker key: {e}")))
}

/// Runs `config`'s attack until `stop` resolves.
pub async fn run(
    config: AttackConfig,
    stop: impl Future<Output = ()>,
) -> Result<AttackStats, AttackError> {
    let key = keypair(config.key)?;
    let started = Instant::now();
    let network = config.genesis.network_id();
    let mut swarm = peer::build(key, &network, false)?;
    swarm
        .listen_on(peer::listen_addr())
        .map_err(|e| AttackError::Setup(e.to_string()))?;
    for t in &config.targets {
        swarm
            .dial(t.clone())
            .map_err(|e| AttackError::Setup(format!("dial {t}: {e}")))?;
    }
    let honest: Vec<PeerId> = config
        .targets
        .iter()
        .filter_map(|a| {
            a.iter().find_map(|p| match p {
                libp2p::multiaddr::Protocol::P2p(id) => Some(id),
                _ => None,
            })
        })
        .collect();
    let period = Duration::from_secs_f64(1.0 / config.rate.max(0.1));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut attack = Attack {
        rng: SplitMix64::new(config.seed),
        stats: AttackStats {
            scenario: config.scenario.name().to_owned(),
            peer_id: swarm.local_peer_id().to_string(),
            ..AttackStats::default()
        },
        topics: [
            gossipsub::IdentTopic::new(Topic::Tx.name(&network)).hash(),
            gossipsub::IdentTopic::new(Topic::Block.name(&network)).hash(),
        ],
        connected: HashSet::new(),
        honest,
        replay: VecDeque::new(),
        replay_next: 1,
        best: None,
        equivocated_slot: 0,
        authority: config.authority_key.map(Keypair::from_secret),
        next_fetch: Instant::now(),
        started,
        config,
    };
    let (stop_sybils, sybils_stop) = tokio::sync::watch::channel(false);
    let sybils = if attack.config.scenario == Scenario::Eclipse {
        let status = attack.status(false);
        let targets = attack.config.targets.clone();
        Some(sybil::start(
            &network,
            status,
            &targets,
            attack.config.seed,
            started,
            sybils_stop,
        )?)
    } else {
        None
    };
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tick.tick() => attack.step(&mut swarm),
            event = swarm.select_next_some() => attack.on_event(&mut swarm, event),
        }
    }
    attack.stats.connected_at_end = attack.connected.len();
    if let Some(sybils) = sybils {
        let _ = stop_sybils.send(true);
        let t = sybils.finish().await;
        attack.stats.sybils = sybil::SYBILS;
        attack.stats.connections += t.connections;
        attack.stats.first_move_ms = t.first_in_ms;
    }
    Ok(attack.stats)
}

struct Attack {
    config: AttackConfig,
    rng: SplitMix64,
    stats: AttackStats,
    /// Tx and block topic hashes.
    topics: [TopicHash; 2],
    connected: HashSet<PeerId>,
    honest: Vec<PeerId>,
    /// Encoded old blocks waiting to be published again.
    replay: VecDeque<Vec<u8>>,
    /// The next height to fetch for the replay.
    replay_next: u64,
    next_fetch: Instant,
    started: Instant,
    /// The highest block header heard on the block topic (equivocation builds on it).
    best: Option<BlockHeader>,
    /// The last slot equivocated in.
    equivocated_slot: u64,
    /// The stolen authority key (`AttackConfig::authority_key`), derived once.
    authority: Option<Keypair>,
}

impl Attack {
    fn moved(&mut self) {
        if self.stats.first_move_ms.is_none() {
            self.stats.first_move_ms = Some(self.started.elapsed().as_millis() as u64);
        }
    }

    fn publish(&mut self, swarm: &mut Swarm<Hostile>, topic: Topic, data: Vec<u8>) {
        let hash = match topic {
            Topic::Tx => self.topics[0].clone(),
            Topic::Block => self.topics[1].clone(),
        };
        self.moved();
        match swarm.behaviour_mut().gossipsub.publish(hash, data) {
            Ok(_) => self.stats.published += 1,
            Err(_) => self.stats.publish_refused += 1,
        }
    }

    fn status(&self, fake: bool) -> Status {
        let genesis = self.config.genesis.hash();
        Status {
            genesis,
            head_height: if fake { FAKE_HEIGHT } else { 0 },
            head_hash: BlockHash(genesis.0),
        }
    }

    fn request(&mut self, swarm: &mut Swarm<Hostile>, peer: PeerId, request: SyncRequest) {
        swarm.behaviour_mut().sync.send_request(&peer, request);
        self.stats.requests += 1;
    }

    /// The scenario's next move.
    fn step(&mut self, swarm: &mut Swarm<Hostile>) {
        let genesis = &self.config.genesis;
        match self.config.scenario {
            Scenario::InvalidSigFlood => {
                let tx = craft::invalid_sig_tx(&mut self.rng, genesis);
                self.publish(swarm, Topic::Tx, tx.encode());
            }
            Scenario::UnfundedTxFlood => {
                let tx = craft::unfunded_tx(&mut self.rng, genesis);
                self.publish(swarm, Topic::Tx, tx.encode());
            }
            Scenario::GarbageFlood => {
                let topic = if self.rng.up_to(1) == 0 {
                    Topic::Tx
                } else {
                    Topic::Block
                };
                let bytes = craft::garbage(&mut self.rng, 32, 512);
                self.publish(swarm, topic, bytes);
            }
            Scenario::Oversized => {
                let bytes = craft::garbage(&mut self.rng, 64 * 1024, 64 * 1024);
                self.publish(swarm, Topic::Tx, bytes);
            }
            Scenario::StatusSpam => {
                let status = self.status(false);
                let peers: Vec<PeerId> = self.connected.iter().copied().collect();
                if !peers.is_empty() {
                    self.moved();
                }
                for p in peers {
                    self.request(swarm, p, SyncRequest::Status(status));
                }
            }
            Scenario::OldBlockReplay => {
                if let Some(block) = self.replay.pop_front() {
                    self.publish(swarm, Topic::Block, block);
                } else if Instant::now() >= self.next_fetch
                    && let Some(&p) = self.connected.iter().next()
                {
                    self.next_fetch = Instant::now() + REPLAY_FETCH_EVERY;
                    let start = self.replay_next;
                    self.request(
                        swarm,
                        p,
                        SyncRequest::BlocksByRange {
                            start,
                            count: REPLAY_BATCH,
                        },
                    );
                }
            }
            Scenario::Equivocation => self.equivocate(swarm),
            // The identities act on their own tasks (`crate::sybil`).
            Scenario::Eclipse => {}
            // These act only when asked (see `on_sync_request` and `on_px`).
            Scenario::BadSyncAnswers | Scenario::PxPoison => {}
        }
    }

    fn on_event(&mut self, swarm: &mut Swarm<Hostile>, event: SwarmEvent<HostileEvent>) {
        match event {
            SwarmEvent::ConnectionEstablished {
                peer_id,
                num_established,
                ..
            } => {
                self.stats.connections += 1;
                self.stats.all_dropped_at_ms = None;
                if num_established.get() == 1 {
                    self.connected.insert(peer_id);
                    // Greet as a node does; bad-sync-answers claims a chain far ahead.
                    let fake = self.config.scenario == Scenario::BadSyncAnswers;
                    let status = self.status(fake);
                    self.request(swarm, peer_id, SyncRequest::Status(status));
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.stats.disconnections += 1;
                self.connected.remove(&peer_id);
                if self.connected.is_empty() {
                    self.stats.all_dropped_at_ms = Some(self.started.elapsed().as_millis() as u64);
                }
            }
            SwarmEvent::Behaviour(HostileEvent::Sync(e)) => self.on_sync(swarm, e),
            SwarmEvent::Behaviour(HostileEvent::Gossipsub(libp2p::gossipsub::Event::Message {
                message,
                ..
            })) if message.topic == self.topics[1] => self.on_block(&message.data),
            SwarmEvent::Behaviour(HostileEvent::Px(request_response::Event::Message {
                message: request_response::Message::Request { channel, .. },
                ..
            })) => self.on_px(swarm, channel),
            _ => {}
        }
    }

    /// Tracks the highest block heard (no checks: the nodes check what is built on it).
    fn on_block(&mut self, bytes: &[u8]) {
        let limits = &self.config.genesis.limits;
        let header = match rumor_p2p::decode_payload(Topic::Block, bytes, limits) {
            Ok(rumor_p2p::Payload::Block(b)) => b.header,
            Ok(rumor_p2p::Payload::CompactBlock(c)) => c.header,
            _ => return,
        };
        if self.best.as_ref().is_none_or(|b| header.height > b.height) {
            self.best = Some(header);
        }
    }

    /// In each slot of the stolen authority, once: two blocks on the best head heard.
    fn equivocate(&mut self, swarm: &mut Swarm<Hostile>) {
        let Some(key) = &self.authority else {
            return;
        };
        let genesis = &self.config.genesis;
        let slot = genesis.slot_at(now_ms());
        if slot <= self.equivocated_slot || genesis.producer_for_slot(slot) != key.address() {
            return;
        }
        let Some(parent) = self.best.clone().filter(|p| p.slot < slot) else {
            return;
        };
        self.equivocated_slot = slot;
        for block in craft::equivocating_pair(genesis, &parent, slot, key) {
            self.publish(swarm, Topic::Block, rumor_p2p::encode_block(&block));
        }
    }

    fn on_px(&mut self, swarm: &mut Swarm<Hostile>, channel: ResponseChannel<PxResponse>) {
        let records = if self.config.scenario == Scenario::PxPoison {
            self.stats.answered += 1;
            self.moved();
            craft::poisoned_records(&mut self.rng, &self.honest, MAX_RECORDS as usize)
        } else {
            Vec::new()
        };
        let _ = swarm
            .behaviour_mut()
            .px
            .send_response(channel, PxResponse { records });
    }

    fn on_sync(
        &mut self,
        swarm: &mut Swarm<Hostile>,
        event: request_response::Event<SyncRequest, WireResponse>,
    ) {
        match event {
            request_response::Event::Message {
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                let answer = self.answer(request);
                let _ = swarm.behaviour_mut().sync.send_response(channel, answer);
            }
            request_response::Event::Message {
                message: request_response::Message::Response { response, .. },
                ..
            } => match response {
                WireResponse::Error(e) if e == "rate_limited" => self.stats.requests_refused += 1,
                WireResponse::Blocks(raw) if self.config.scenario == Scenario::OldBlockReplay => {
                    self.take_old_blocks(raw)
                }
                _ => {}
            },
            request_response::Event::OutboundFailure { .. } => self.stats.requests_failed += 1,
            _ => {}
        }
    }

    /// Keeps the fetched blocks that are old enough to be replays; asks again later for the
    /// same heights when none is yet.
    fn take_old_blocks(&mut self, raw: Vec<Vec<u8>>) {
        let now_ms = now_ms();
        let current = self.config.genesis.slot_at(now_ms);
        for bytes in raw {
            let Ok(block) = rumor_chain::Block::decode(&bytes, &self.config.genesis.limits) else {
                continue;
            };
            // Two slots past the window, so clock skew cannot make it look fresh, and older than
            // the nodes' duplicate cache.
            if block.header.slot + self.config.replay_window_slots + 2 >= current
                || block.header.timestamp + GOSSIP_MEMORY_MS >= now_ms
            {
                break;
            }
            self.replay_next = self.replay_next.max(block.header.height + 1);
            // As a block-topic message (a kind byte, then the block).
            self.replay.push_back(rumor_p2p::encode_block(&block));
        }
        if !self.replay.is_empty() {
            self.next_fetch = Instant::now();
        }
    }

    /// The scenario's answer to an honest node's sync request.
    fn answer(&mut self, request: SyncRequest) -> WireResponse {
        let bad = self.config.scenario == Scenario::BadSyncAnswers;
        if let SyncRequest::Status(_) = request {
            return WireResponse::Status(self.status(bad));
        }
        if !bad {
            return WireResponse::Error("unavailable".into());
        }
        self.stats.answered += 1;
        self.moved();
        match self.stats.answered % 3 {
            // Not a block at all.
            0 => WireResponse::Blocks(vec![craft::garbage(&mut self.rng, 100, 400)]),
            // Headers that do not decode.
            1 => WireResponse::Headers(vec![craft::garbage(&mut self.rng, 10, 50)]),
            // Blocks that decode but were signed by nobody with the right to.
            _ => {
                let h = 1 + self.rng.up_to(1000);
                WireResponse::Blocks(vec![
                    craft::bogus_block(&mut self.rng, &self.config.genesis, h).encode(),
                ])
            }
        }
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
