//! The event loop's task: the `select!` over the swarm, the node's commands, the inbound
//! requests the node answered and the maintenance tick, and the dispatch of each to its
//! handler.
//!
//! Invariant: it only selects and dispatches; every decision is made by the handler it calls.

use std::time::Instant;

use futures::StreamExt;
use libp2p::identify;
use libp2p::swarm::SwarmEvent;
use libp2p::swarm::dial_opts::DialOpts;

use super::EventLoop;
use crate::handle::{Command, NetInfo, NetworkError, NetworkEvent, PeerInfo};
use crate::peering::peers::{Admit, BootDial};
use crate::protocol::sync::SyncRequest;
use crate::requests::pull::{BlockTxn, TxSync};
use crate::swarm::behaviour::BehaviourEvent;
use crate::topic::Topic;

impl EventLoop {
    /// Runs until every [`crate::NetworkHandle`] is dropped.
    pub async fn run(mut self) {
        for dial in self.peers.bootstrap(Instant::now()) {
            match dial {
                BootDial::Peer { peer, addr } => {
                    let opts = DialOpts::peer_id(peer).addresses(vec![addr]).build();
                    if self.swarm.dial(opts).is_ok() {
                        self.peers.dial_started(peer);
                    }
                }
                BootDial::Addr(addr) => {
                    if let Err(e) = self.swarm.dial(addr.clone()) {
                        tracing::warn!(%addr, error = %e, "bootnode dial failed");
                    }
                }
            }
        }
        self.maintain();
        let mut tick = tokio::time::interval(self.config.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = self.commands.recv() => match command {
                    Some(c) => self.on_command(c),
                    None => break,
                },
                Some((channel, response)) = self.sync.next_inbound(), if self.sync.inbound_len() != 0 => {
                    let _ = self.swarm.behaviour_mut().sync.send_response(channel, response.to_wire());
                }
                Some((channel, response)) = self.txsync.next_inbound(), if self.txsync.inbound_len() != 0 => {
                    self.send_pull_response::<TxSync>(channel, response);
                }
                Some((channel, response)) = self.blocktxn.next_inbound(), if self.blocktxn.inbound_len() != 0 => {
                    self.send_pull_response::<BlockTxn>(channel, response);
                }
                _ = tick.tick() => self.maintain(),
            }
        }
        tracing::debug!("network event loop stopped");
    }

    pub(super) fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(e)) => {
                let events = &self.events;
                self.gossip
                    .on_event(&mut self.swarm.behaviour_mut().gossipsub, e, |ev| {
                        events.try_send(ev).is_ok()
                    });
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                self.peers
                    .on_identify(peer_id, info.listen_addrs, Instant::now());
            }
            SwarmEvent::Behaviour(BehaviourEvent::Px(e)) => self.on_px(e),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(e)) => self.on_sync(e),
            SwarmEvent::Behaviour(BehaviourEvent::Txsync(e)) => self.on_pull::<TxSync>(e),
            SwarmEvent::Behaviour(BehaviourEvent::Blocktxn(e)) => self.on_pull::<BlockTxn>(e),
            SwarmEvent::Behaviour(BehaviourEvent::Ping(e)) => self.on_ping(e),
            SwarmEvent::ConnectionEstablished {
                peer_id,
                endpoint,
                num_established,
                ..
            } => {
                let outbound = endpoint.is_dialer();
                let addr = endpoint.get_remote_address().clone();
                let admit = self.peers.on_connected(
                    peer_id,
                    outbound,
                    addr,
                    num_established.get() as usize,
                    Instant::now(),
                );
                match admit {
                    Admit::Refused => {
                        let _ = self.swarm.disconnect_peer_id(peer_id);
                        return;
                    }
                    Admit::Again => return,
                    Admit::New => {}
                }
                if self.config.gossip.flood_all {
                    self.swarm
                        .behaviour_mut()
                        .gossipsub
                        .add_explicit_peer(&peer_id);
                }
                // A peer penalised before keeps its (decayed) score across the reconnect.
                if let Some(score) = self.peers.app_score(&peer_id, Instant::now()) {
                    self.swarm
                        .behaviour_mut()
                        .gossipsub
                        .set_application_score(&peer_id, score);
                }
                let status = self.local_status();
                let id = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_request(&peer_id, SyncRequest::Status(status));
                self.sync.status_sent(id);
                self.emit(NetworkEvent::PeerConnected {
                    peer: peer_id,
                    outbound,
                });
                tracing::debug!(peer = %peer_id, outbound, "connected");
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.peers.on_disconnected(&peer_id, Instant::now());
                self.txsync.forget(&peer_id);
                self.blocktxn.forget(&peer_id);
                self.quotas.forget(&peer_id);
                if self.config.gossip.flood_all {
                    self.swarm
                        .behaviour_mut()
                        .gossipsub
                        .remove_explicit_peer(&peer_id);
                }
                self.emit(NetworkEvent::PeerDisconnected { peer: peer_id });
                tracing::debug!(peer = %peer_id, "disconnected");
            }
            SwarmEvent::OutgoingConnectionError {
                peer_id: Some(p),
                error,
                ..
            } => {
                self.peers.dial_failed(&p, Instant::now());
                tracing::debug!(peer = %p, error = %error, "dial failed");
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(%address, "listening");
            }
            _ => {}
        }
    }

    pub(super) fn on_command(&mut self, command: Command) {
        match command {
            Command::Publish { topic, data, reply } => {
                let gs = &mut self.swarm.behaviour_mut().gossipsub;
                let _ = reply.send(self.gossip.publish(gs, topic, data));
            }
            Command::Report {
                id,
                from,
                topic,
                result,
            } => {
                // A report for an id gossipsub no longer holds is harmless (it answers false).
                let gs = &mut self.swarm.behaviour_mut().gossipsub;
                self.gossip.report(gs, &id, &from, topic, result);
            }
            Command::Dial { addr, reply } => {
                let r = self
                    .swarm
                    .dial(addr)
                    .map_err(|e| NetworkError::Dial(e.to_string()));
                let _ = reply.send(r);
            }
            Command::Disconnect { peer, reply } => {
                let _ = reply.send(self.swarm.disconnect_peer_id(peer).is_ok());
            }
            Command::Peers { reply } => {
                let _ = reply.send(self.peer_infos());
            }
            Command::AddressBook { reply } => {
                let _ = reply.send(self.peers.book_entries());
            }
            Command::Info { reply } => {
                let topics = self.gossip.topics();
                let _ = reply.send(NetInfo {
                    peer_id: *self.swarm.local_peer_id(),
                    listen_addrs: self.swarm.listeners().cloned().collect(),
                    topics: Topic::ALL
                        .iter()
                        .map(|t| t.name(topics.network()))
                        .collect(),
                    network: topics.network().to_owned(),
                });
            }
            Command::Sync {
                peer,
                request,
                reply,
            } => self.send_sync(peer, request, reply),
            Command::Penalise { peer, offence } => self.penalise(peer, offence),
            Command::Cut { peers, cut, reply } => {
                let _ = reply.send(self.set_cut(&peers, cut));
            }
            Command::TxSync {
                peer,
                request,
                reply,
            } => self.send_pull::<TxSync>(peer, request, reply),
            Command::BlockTxn {
                peer,
                request,
                reply,
            } => self.send_pull::<BlockTxn>(peer, request, reply),
        }
    }

    pub(super) fn peer_infos(&self) -> Vec<PeerInfo> {
        let gs = &self.swarm.behaviour().gossipsub;
        let topics = self.gossip.topics();
        self.peers
            .connections()
            .map(|(peer, c)| PeerInfo {
                peer: *peer,
                addr: c.addr.clone(),
                outbound: c.outbound,
                score: gs.peer_score(peer).unwrap_or(0.0),
                mesh_topics: Topic::ALL
                    .into_iter()
                    .filter(|t| gs.mesh_peers(&topics.hash(*t)).any(|p| p == peer))
                    .collect(),
            })
            .collect()
    }
}
