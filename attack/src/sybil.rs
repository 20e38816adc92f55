//! The eclipse attack: many identities on one host ([`crate::peer::HOST`]). Each dials every
//! honest node, joins its meshes as a sink (takes every message, forwards none) and answers
//! peer exchange with its siblings' addresses, so honest nodes would also dial them. The
//! defence to beat: per-IP and per-subnet inbound caps, reserved outbound slots and dials
//! spread over subnets, which together leave the host a bounded share of each node's peers.
//!
//! Each identity is its own swarm on its own task; they share one tally of how many of them
//! each honest node holds at once. Bound: [`SYBILS`] identities.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::StreamExt;
use libp2p::request_response;
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId};
use rumor_p2p::wire::{PxResponse, WireRecord, WireResponse};
use rumor_p2p::{Status, SyncRequest};
use tokio::sync::watch;

use crate::error::AttackError;
use crate::peer::{self, HostileEvent};

/// Identities the host mints: four times a node's whole inbound capacity at the per-IP cap.
pub const SYBILS: usize = 32;

/// What the identities managed, together. How many of them a node really held is the node's
/// view (`net_peers`, polled by the harness): a connection the node denies still comes up on
/// the dialer's side for a moment.
#[derive(Debug, Default)]
pub struct Tally {
    pub connections: u64,
    /// When the first identity got in (ms after the start).
    pub first_in_ms: Option<u64>,
    /// Every identity's listen address, for the PX answers.
    siblings: Vec<(PeerId, Multiaddr)>,
}

impl Tally {
    fn opened(&mut self, started: Instant) {
        self.connections += 1;
        self.first_in_ms
            .get_or_insert(started.elapsed().as_millis() as u64);
    }
}

/// The running identities.
pub struct Sybils {
    tally: Arc<Mutex<Tally>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Sybils {
    /// Waits for every identity's task to end (after `stop` turned true); their tally.
    pub async fn finish(self) -> Tally {
        for t in self.tasks {
            let _ = t.await;
        }
        std::mem::take(&mut *lock(&self.tally))
    }
}

/// Starts the identities; they run until `stop` turns true. Keys come from `seed`.
pub fn start(
    network: &str,
    status: Status,
    targets: &[Multiaddr],
    seed: u64,
    started: Instant,
    stop: watch::Receiver<bool>,
) -> Result<Sybils, AttackError> {
    let tally = Arc::new(Mutex::new(Tally::default()));
    let honest: Vec<PeerId> = targets.iter().filter_map(peer_of).collect();
    let mut tasks = Vec::with_capacity(SYBILS);
    for i in 0..SYBILS {
        let mut secret = [0u8; 32];
        secret[..8].copy_from_slice(&seed.to_le_bytes());
        secret[8..16].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        secret[16] = 0xEC;
        let key = libp2p::identity::Keypair::ed25519_from_bytes(secret)
            .map_err(|e| AttackError::Setup(format!("sybil key: {e}")))?;
        let mut swarm = peer::build(key, network, true)?;
        swarm
            .listen_on(peer::listen_addr())
            .map_err(|e| AttackError::Setup(e.to_string()))?;
        for t in targets {
            swarm
                .dial(t.clone())
                .map_err(|e| AttackError::Setup(format!("dial {t}: {e}")))?;
        }
        let (tally, honest, mut stop) = (tally.clone(), honest.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    event = swarm.select_next_some() => {
                        on_event(&mut swarm, event, &tally, &honest, status, started);
                    }
                }
            }
        }));
    }
    Ok(Sybils { tally, tasks })
}

fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter().find_map(|p| match p {
        libp2p::multiaddr::Protocol::P2p(id) => Some(id),
        _ => None,
    })
}

fn lock(t: &Mutex<Tally>) -> std::sync::MutexGuard<'_, Tally> {
    t.lock().unwrap_or_else(|e| e.into_inner())
}

fn on_event(
    swarm: &mut libp2p::Swarm<peer::Hostile>,
    event: SwarmEvent<HostileEvent>,
    tally: &Mutex<Tally>,
    honest: &[PeerId],
    status: Status,
    started: Instant,
) {
    match event {
        SwarmEvent::NewListenAddr { address, .. } => {
            lock(tally).siblings.push((*swarm.local_peer_id(), address));
        }
        SwarmEvent::ConnectionEstablished { peer_id, .. } if honest.contains(&peer_id) => {
            lock(tally).opened(started);
        }
        SwarmEvent::Behaviour(HostileEvent::Px(request_response::Event::Message {
            message: request_response::Message::Request { channel, .. },
            ..
        })) => {
            let records = lock(tally)
                .siblings
                .iter()
                .take(rumor_p2p::wire::MAX_RECORDS as usize)
                .map(|(p, a)| WireRecord {
                    peer: p.to_bytes(),
                    addrs: vec![a.to_vec()],
                })
                .collect();
            let _ = swarm
                .behaviour_mut()
                .px
                .send_response(channel, PxResponse { records });
        }
        // Status greetings get an honest-looking answer (at genesis), so nobody drops the
        // identities for a wrong one; any fetch is declined.
        SwarmEvent::Behaviour(HostileEvent::Sync(request_response::Event::Message {
            message:
                request_response::Message::Request {
                    request, channel, ..
                },
            ..
        })) => {
            let answer = match request {
                SyncRequest::Status(_) => WireResponse::Status(status),
                _ => WireResponse::Error("unavailable".into()),
            };
            let _ = swarm.behaviour_mut().sync.send_response(channel, answer);
        }
        _ => {}
    }
}
