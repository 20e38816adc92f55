//! One floor node: builds the swarm, joins the graph, reports ready, publishes its share of
//! the schedule, records first sights, answers snapshots, and returns its trace when the
//! command channel closes.
//!
//! Bounds: the trace is one small record per message, at most the plan's message count (each
//! message is new once: gossipsub drops duplicates, and floor peers publish nothing else); the
//! command and reply channels are the caller's (bounded) channels.

use std::time::Duration;

use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAuthenticity};
use libp2p::multiaddr::Protocol;
use libp2p::swarm::SwarmEvent;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::{Multiaddr, PeerId};
use prometheus_client::registry::Registry;
use rumor_api::floor::{Command, FloorPlan, Reply, payload};
use rumor_api::trace::{Kind, Origin, TraceLine};
use rumor_chain::clock::now_us;
use rumor_chain::{Genesis, Keypair};
use rumor_p2p::stack;
use rumor_p2p::{Topic, message_id};
use tokio::sync::mpsc;

/// Why a floor node could not run.
#[derive(Debug, thiserror::Error)]
pub enum FloorError {
    #[error("node config: {0}")]
    Config(String),
    #[error("key: {0}")]
    Key(String),
    #[error("swarm: {0}")]
    Swarm(String),
}

/// How often readiness is re-checked, and unanswered neighbours re-dialled, before the start
/// (meshes form on heartbeats).
const READY_POLL: Duration = Duration::from_millis(200);

/// First sight of a message: kept as compact values, formatted only at the end.
struct Sight {
    id: [u8; 32],
    t_us: u64,
    from: Option<PeerId>,
}

/// Runs one floor node until `commands` closes; returns its trace lines.
pub async fn run(
    plan: FloorPlan,
    mut commands: mpsc::Receiver<Command>,
    replies: mpsc::Sender<Reply>,
) -> Result<Vec<TraceLine>, FloorError> {
    let config = rumor_api::NodeConfig::load(&plan.node_config)
        .map_err(|e| FloorError::Config(e.to_string()))?;
    let genesis = Genesis::load(&config.genesis).map_err(|e| FloorError::Config(e.to_string()))?;
    let net = rumor_node::config::network_config(&config, genesis.limits)
        .map_err(|e| FloorError::Config(e.to_string()))?;
    let key = Keypair::load(&config.key_path()).map_err(|e| FloorError::Key(e.to_string()))?;
    let network = genesis.network_id();
    let topic = IdentTopic::new(Topic::Tx.name(&network));

    // Stock libp2p-gossipsub (crates.io), not the node's engine: the floor is what the library
    // does unchanged on the same parameters.
    let mut gs_builder =
        rumor_p2p::gossip_base_config!(libp2p::gossipsub; &net.gossip, &genesis.limits);
    if net.link.is_some() {
        // As the node does under emulation (`rumor_node::config`): a forward may legitimately
        // wait a WAN round trip in the queue; the library's 1 s default would drop it.
        gs_builder.forward_queue_duration(net.gossip.forward_queue_duration);
    }
    let gs_config = gs_builder
        .build()
        .map_err(|e| FloorError::Swarm(e.to_string()))?;
    let mut gs: gossipsub::Behaviour =
        gossipsub::Behaviour::new(MessageAuthenticity::Anonymous, gs_config)
            .map_err(|e| FloorError::Swarm(e.to_string()))?;
    gs.subscribe(&topic)
        .map_err(|e| FloorError::Swarm(e.to_string()))?;
    let mut registry = Registry::default();
    let mut swarm = stack::swarm(rumor_p2p::identity_from_key(&key), &net, &mut registry, gs)
        .map_err(|e| FloorError::Swarm(e.to_string()))?;
    for addr in &net.listen {
        swarm
            .listen_on(addr.clone())
            .map_err(|e| FloorError::Swarm(format!("listen on {addr}: {e}")))?;
    }
    let targets = plan
        .dial
        .iter()
        .map(|a| {
            let addr: Multiaddr = a
                .parse()
                .map_err(|e| FloorError::Config(format!("dial address {a}: {e}")))?;
            match addr.iter().last() {
                Some(Protocol::P2p(peer)) => Ok((peer, addr)),
                _ => Err(FloorError::Config(format!("dial address {a} has no /p2p/"))),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;

    let mesh_needed = net.gossip.mesh_n_low.min(plan.degree);
    let mut sights: Vec<Sight> = Vec::with_capacity(plan.messages);
    let mut ready_sent = false;
    let mut poll = tokio::time::interval(READY_POLL);
    // Message numbers this node publishes, in order, once started.
    let mut next_k = plan.index;
    let mut start_us: Option<u64> = None;
    let due = |start: u64, k: usize| start + (k as f64 * 1e6 / plan.tps.max(1e-9)) as u64;
    let sleep = tokio::time::sleep(Duration::from_secs(3600));
    tokio::pin!(sleep);

    loop {
        tokio::select! {
            ev = swarm.select_next_some() => {
                if let SwarmEvent::Behaviour(gossipsub::Event::Message { propagation_source, message_id: id, .. }) = ev
                    && sights.len() < plan.messages
                    && let Ok(id) = <[u8; 32]>::try_from(id.0.as_slice())
                {
                    // Gossipsub already hashed the payload (`message_id`, the same function).
                    sights.push(Sight {
                        id,
                        t_us: now_us(),
                        from: Some(propagation_source),
                    });
                }
            }
            cmd = commands.recv() => match cmd {
                None => break,
                Some(Command::Start { at_us }) => {
                    start_us = Some(at_us);
                    arm(&mut sleep, due(at_us, next_k));
                }
                Some(Command::Snapshot) => {
                    let mut text = String::new();
                    prometheus_client::encoding::text::encode(&mut text, &registry)
                        .map_err(|e| FloorError::Swarm(e.to_string()))?;
                    let seen = sights.len() as u64;
                    if replies.send(Reply::Metrics { text, seen }).await.is_err() {
                        break;
                    }
                }
            },
            () = &mut sleep, if start_us.is_some() && next_k < plan.messages => {
                let data = payload(next_k as u64, plan.seed, plan.msg_bytes);
                let id = message_id(&data);
                // A publish that fails (no peers yet) is simply not a message: the analysis
                // counts what left an origin, as for Rumor's rejected submissions.
                if swarm.behaviour_mut().publish(topic.clone(), data).is_ok() {
                    sights.push(Sight { id, t_us: now_us(), from: None });
                }
                next_k += plan.nodes.max(1);
                if let Some(s) = start_us {
                    arm(&mut sleep, due(s, next_k));
                }
            }
            _ = poll.tick(), if !ready_sent => {
                // The other floor nodes start one by one: dial until each neighbour answers.
                for (peer, addr) in &targets {
                    let opts = DialOpts::peer_id(*peer)
                        .addresses(vec![addr.clone()])
                        .condition(PeerCondition::DisconnectedAndNotDialing)
                        .build();
                    let _ = swarm.dial(opts);
                }
                let peers = swarm.connected_peers().count();
                let mesh = swarm.behaviour().mesh_peers(&topic.hash()).count();
                if peers >= plan.degree && mesh >= mesh_needed {
                    ready_sent = true;
                    if replies.send(Reply::Ready).await.is_err() {
                        break;
                    }
                }
            }
        }
    }
    Ok(sights
        .into_iter()
        .map(|s| {
            let origin = if s.from.is_some() {
                Origin::Gossip
            } else {
                Origin::Rpc
            };
            TraceLine::new(
                Kind::Tx,
                &s.id,
                s.t_us,
                s.from.map(|p| p.to_string()),
                origin,
            )
        })
        .collect())
}

fn arm(sleep: &mut std::pin::Pin<&mut tokio::time::Sleep>, at_us: u64) {
    let wait = Duration::from_micros(at_us.saturating_sub(now_us()));
    sleep.as_mut().reset(tokio::time::Instant::now() + wait);
}
