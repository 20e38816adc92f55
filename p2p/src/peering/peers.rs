//! Peer policy: which peers to dial, which peer to ask for addresses, which peers to prune, and
//! who is banned. A plain synchronous structure, like [`crate::peering::addrbook`]: no swarm, no async,
//! no clock of its own. The event loop tells it what happened (connections, dial failures,
//! identify and peer-exchange records, offences), passing the time, and carries out what it
//! decides ([`BootDial`]s, a [`Tick`]'s dials, PX request and prunes, a [`Penalty`]'s ban).
//!
//! # Invariants
//!
//! - `connected` holds exactly the peers with at least one established connection that were
//!   not banned when their first connection came up; `dialing` the peers whose dial started
//!   and has neither connected nor failed yet.
//! - A banned peer is never dialed, never learned from peer exchange, and is disconnected as
//!   soon as it connects, until its ban expires ([`BAN_TIME`]).
//! - A cut-off peer (fault injection, [`PeerPolicy::cut`]) is never dialed and is refused if it
//!   connects, until it is restored; unlike a ban it does not expire and is not an offence.
//! - Peers are pruned only above the high target: inbound peers first (outside every mesh
//!   before mesh peers), outbound ones never below `outbound_reserved`, so the peers we chose
//!   outlast the ones that chose us (an eclipse cannot push them out by connecting to us);
//!   never within [`PRUNE_GRACE`] of connecting, so a newcomer can learn other addresses first.
//! - Dials go to at most `outbound_per_subnet` peers per subnet at once.
//!
//! # Bounds
//!
//! - `banned`: at most [`MAX_BANNED`] peers, least recently banned dropped first. A peer id
//!   costs nothing to mint, so an unbounded ban list would be memory an attacker controls.
//! - `cut`: at most [`MAX_CUT`] peers; a request beyond that is refused (the caller is the
//!   operator's control endpoint, which sends one testnet's peer list, far below it).
//! - `connected`: bounded by the connection limits (`max_established`); cleared when a peer's
//!   last connection closes.
//! - `app_scores`: at most [`MAX_SCORED`] peers, least recently penalised dropped first. They
//!   outlive the connection on purpose (a penalised peer must not come back with a clean
//!   slate by reconnecting) and decay with a [`SCORE_HALF_LIFE`], so an old offence fades.
//! - `dialing`: each tick starts at most `low - connected` dials, capped by `max_pending` and
//!   minus the dials already in progress, so it stays within `max_pending` plus the bootnodes.
//! - At most [`MAX_PX_IN_FLIGHT`] peer-exchange requests are outstanding, so a slow or silent
//!   peer cannot make us pile requests up.
//! - The address book has its own bounds (see [`crate::peering::addrbook`]).

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use libp2p::{Multiaddr, PeerId, multiaddr::Protocol};
use lru::LruCache;

use crate::config::{NetworkConfig, PeerTargets};
use crate::gossip;
use crate::handle::BookEntry;
use crate::peering::addrbook::{AddressBook, PeerRecord};
use crate::peering::inbound::{Subnet, ip_of, subnet};
use crate::protocol::px;

/// How long a banned peer stays banned.
pub(crate) const BAN_TIME: Duration = Duration::from_secs(600);
/// Banned peers remembered at once.
pub(crate) const MAX_BANNED: usize = 1024;
/// Penalised peers whose application score is remembered (across reconnects).
pub(crate) const MAX_SCORED: usize = 4096;
/// An application score halves every this long: a peer penalised once is forgiven over an
/// hour or so, a banned one is no longer graylisted on sight when its ban ends.
pub(crate) const SCORE_HALF_LIFE: Duration = Duration::from_secs(600);
/// Cut-off peers at once (fault injection): four times the largest testnet this machine runs.
pub(crate) const MAX_CUT: usize = 4096;
/// How often to ask a peer for more addresses while at or above the low target.
pub(crate) const PX_REFRESH: Duration = Duration::from_secs(30);
/// Peer-exchange requests awaiting an answer at once.
pub(crate) const MAX_PX_IN_FLIGHT: usize = 4;
/// A new connection is not pruned before this age: long enough for the peer's first peer
/// exchange to be answered. Without it, a bootnode above its high target pruned each newcomer
/// before the newcomer learned any other address, and the newcomer redialed it forever (the
/// 30-node PX test stalled that way about one run in five). The hard connection cap still holds.
pub(crate) const PRUNE_GRACE: Duration = Duration::from_secs(5);

/// One established peer, as the policy sees it.
#[derive(Debug, Clone)]
pub(crate) struct Conn {
    pub outbound: bool,
    pub addr: Multiaddr,
    /// When the first connection came up.
    pub since: Instant,
}

/// A bootnode dial, started once at start-up whatever the peer targets: bootnodes are how we
/// join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BootDial {
    /// The address names its peer (`/p2p/<id>`): dial that peer there.
    Peer { peer: PeerId, addr: Multiaddr },
    /// No peer id: dial the bare address.
    Addr(Multiaddr),
}

/// What to do on a maintenance tick.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Tick {
    /// Book records to dial (only if not connected and not already dialing).
    pub dial: Vec<PeerRecord>,
    /// A connected peer to ask for more addresses.
    pub ask_px: Option<PeerId>,
    /// Peers to disconnect because we are above the high target.
    pub prune: Vec<PeerId>,
}

/// What to do with a new connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admit {
    /// The peer is banned or cut off: disconnect it.
    Refused,
    /// Another connection to a peer already connected: nothing to do.
    Again,
    /// A newly connected peer: greet it.
    New,
}

/// What an offence did to a peer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Penalty {
    /// The peer's application score now (for gossipsub's P5).
    pub score: f64,
    /// The score reached the graylist threshold: the peer is banned; disconnect it.
    pub banned: bool,
}

/// Peer targets, dialing, peer exchange scheduling, penalties and bans.
#[derive(Debug)]
pub(crate) struct PeerPolicy {
    me: PeerId,
    targets: PeerTargets,
    tick: Duration,
    px_records: u32,
    graylist_threshold: f64,
    book: AddressBook,
    connected: HashMap<PeerId, Conn>,
    dialing: HashSet<PeerId>,
    /// The subnet of each dial a tick chose, while it is in flight (for the per-subnet cap);
    /// entries whose peer is no longer dialing go at the next tick.
    dial_subnet: HashMap<PeerId, Subnet>,
    /// Application score and when it was last brought up to date.
    app_scores: LruCache<PeerId, (f64, Instant)>,
    banned: LruCache<PeerId, Instant>,
    cut: HashSet<PeerId>,
    bootnodes: Vec<(Option<PeerId>, Multiaddr)>,
    last_px: Option<Instant>,
    px_rotation: usize,
    px_in_flight: usize,
}

impl PeerPolicy {
    pub fn new(me: PeerId, config: &NetworkConfig) -> Self {
        // Each node shuffles its candidates differently, seeded by its own peer id (FNV-1a).
        let seed = me.to_bytes().iter().fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ *b as u64).wrapping_mul(0x100000001b3)
        });
        let bootnodes = config
            .bootnodes
            .iter()
            .map(|a| {
                let peer = a.iter().find_map(|p| match p {
                    Protocol::P2p(id) => Some(id),
                    _ => None,
                });
                (peer, a.clone())
            })
            .collect();
        Self {
            me,
            targets: config.peers,
            tick: config.tick,
            px_records: config.px_records,
            graylist_threshold: gossip::thresholds().graylist_threshold,
            book: AddressBook::new(config.address_book, seed),
            connected: HashMap::new(),
            dialing: HashSet::new(),
            dial_subnet: HashMap::new(),
            app_scores: LruCache::new(NonZeroUsize::new(MAX_SCORED).expect("non-zero")),
            banned: LruCache::new(NonZeroUsize::new(MAX_BANNED).expect("non-zero")),
            bootnodes,
            last_px: None,
            px_rotation: 0,
            px_in_flight: 0,
            cut: HashSet::new(),
        }
    }

    /// Cuts `peer` off until [`Self::restore`]: no dials, connections refused. `false` if it
    /// was already cut or the cut list is full ([`MAX_CUT`]).
    pub fn cut(&mut self, peer: PeerId) -> bool {
        if self.cut.len() >= MAX_CUT || peer == self.me {
            return false;
        }
        self.cut.insert(peer)
    }

    /// Ends a cut; `false` if `peer` was not cut. Its address stays in the book and is dialed
    /// again as the targets require.
    pub fn restore(&mut self, peer: &PeerId) -> bool {
        self.cut.remove(peer)
    }

    pub fn cut_count(&self) -> usize {
        self.cut.len()
    }

    /// The bootnode dials; bootnodes with a peer id go into the address book.
    pub fn bootstrap(&mut self, now: Instant) -> Vec<BootDial> {
        let mut dials = Vec::with_capacity(self.bootnodes.len());
        for (peer, addr) in self.bootnodes.clone() {
            match peer {
                Some(p) => {
                    self.book.add(p, [addr.clone()], now);
                    dials.push(BootDial::Peer { peer: p, addr });
                }
                None => dials.push(BootDial::Addr(addr)),
            }
        }
        dials
    }

    /// A dial to `peer` started.
    pub fn dial_started(&mut self, peer: PeerId) {
        self.dialing.insert(peer);
    }

    /// A dial to `peer` failed, or could not start: back off (unless another connection to
    /// the peer is up).
    pub fn dial_failed(&mut self, peer: &PeerId, now: Instant) {
        self.dialing.remove(peer);
        if !self.connected.contains_key(peer) {
            self.book.on_dial_failure(peer, now);
        }
    }

    /// A peer told us its listen addresses (identify).
    pub fn on_identify(&mut self, peer: PeerId, addrs: Vec<Multiaddr>, now: Instant) {
        self.book.add(peer, addrs, now);
    }

    /// A connection to `peer` is established; `num_established` counts it.
    pub fn on_connected(
        &mut self,
        peer: PeerId,
        outbound: bool,
        addr: Multiaddr,
        num_established: usize,
        now: Instant,
    ) -> Admit {
        self.dialing.remove(&peer);
        if self.is_banned(&peer, now) || self.cut.contains(&peer) {
            return Admit::Refused;
        }
        if num_established > 1 {
            return Admit::Again;
        }
        self.connected.insert(
            peer,
            Conn {
                outbound,
                addr,
                since: now,
            },
        );
        self.book.on_connected(&peer, now);
        Admit::New
    }

    /// A connection to `peer` is being closed because its link carried nothing back (the
    /// liveness check): redial it only after a longer backoff, so other peers fill the slot.
    pub fn unresponsive(&mut self, peer: &PeerId, now: Instant) {
        self.book.on_unresponsive(peer, now);
    }

    /// The last connection to `peer` closed.
    pub fn on_disconnected(&mut self, peer: &PeerId, now: Instant) {
        self.connected.remove(peer);
        self.book.on_disconnected(peer, now);
    }

    pub fn is_banned(&mut self, peer: &PeerId, now: Instant) -> bool {
        match self.banned.get(peer) {
            Some(until) if *until > now => true,
            Some(_) => {
                self.banned.pop(peer);
                false
            }
            None => false,
        }
    }

    /// Charges `peer` one offence of `penalty` (see [`crate::Offence::penalty`]); at the
    /// graylist threshold it is banned for [`BAN_TIME`].
    pub fn penalise(&mut self, peer: PeerId, penalty: f64, now: Instant) -> Penalty {
        let score = self.app_score(&peer, now).unwrap_or(0.0) + penalty;
        self.app_scores.put(peer, (score, now));
        let banned = score <= self.graylist_threshold;
        if banned {
            self.ban(peer, now);
        }
        Penalty { score, banned }
    }

    /// `peer`'s application score now (decayed), if it was ever penalised and is remembered.
    pub fn app_score(&mut self, peer: &PeerId, now: Instant) -> Option<f64> {
        let (score, at) = self.app_scores.peek(peer).copied()?;
        let halves =
            now.saturating_duration_since(at).as_secs_f64() / SCORE_HALF_LIFE.as_secs_f64();
        Some(score * 0.5f64.powf(halves))
    }

    /// Bans `peer` for [`BAN_TIME`] (an offence too many, or a gossip score at the graylist).
    pub fn ban(&mut self, peer: PeerId, now: Instant) {
        self.banned.put(peer, now + BAN_TIME);
    }

    /// Maintenance: dial from the book while below the low target, ask a peer for addresses
    /// (every tick while short of the low target, every [`PX_REFRESH`] otherwise, so the book
    /// stays fresh), and prune above the high target. `mesh` is every peer in a gossip mesh.
    /// The returned PX request counts as in flight until [`Self::px_answered`] or
    /// [`Self::px_failed`].
    pub fn tick(&mut self, now: Instant, mesh: &HashSet<PeerId>) -> Tick {
        let targets = self.targets;
        let n = self.connected.len();
        let mut dial = Vec::new();
        if n < targets.low {
            let room = (targets.low - n)
                .min(targets.max_pending as usize)
                .saturating_sub(self.dialing.len());
            let me = self.me;
            let mut banned: HashSet<PeerId> = HashSet::new();
            for (p, until) in self.banned.iter() {
                if *until > now {
                    banned.insert(*p);
                }
            }
            let connected = &self.connected;
            let dialing = &self.dialing;
            let cut = &self.cut;
            // Four times the room, so the subnet filter below still finds enough.
            let candidates = self.book.dial_candidates(room.saturating_mul(4), now, |p| {
                *p == me
                    || connected.contains_key(p)
                    || dialing.contains(p)
                    || banned.contains(p)
                    || cut.contains(p)
            });
            dial = self.diverse(candidates, room);
        }
        let px_due = match self.last_px {
            None => true,
            Some(t) if n < targets.low => now.duration_since(t) >= self.tick,
            Some(t) => now.duration_since(t) >= PX_REFRESH,
        };
        let mut ask_px = None;
        if px_due && n > 0 && self.px_in_flight < MAX_PX_IN_FLIGHT {
            let mut peers: Vec<PeerId> = self.connected.keys().copied().collect();
            peers.sort();
            ask_px = Some(peers[self.px_rotation % peers.len()]);
            self.px_rotation = self.px_rotation.wrapping_add(1);
            self.px_in_flight += 1;
            self.last_px = Some(now);
        }
        let prune = if n > targets.high {
            self.prune(n - targets.high, mesh, now)
        } else {
            Vec::new()
        };
        Tick {
            dial,
            ask_px,
            prune,
        }
    }

    /// Up to `room` of `candidates` (best first) such that outbound connections and these
    /// dials reach at most `outbound_per_subnet` per subnet: one host's many identities in the
    /// book cannot take every outbound slot.
    fn diverse(&mut self, candidates: Vec<PeerRecord>, room: usize) -> Vec<PeerRecord> {
        let dialing = &self.dialing;
        self.dial_subnet.retain(|p, _| dialing.contains(p));
        // Loopback is exempt as for inbound connections ([`crate::peering::inbound`]), unless asked.
        let on_loopback = self.targets.inbound.on_loopback;
        let counted = |addr: &Multiaddr| {
            ip_of(addr)
                .filter(|ip| on_loopback || !ip.is_loopback())
                .map(subnet)
        };
        let mut per_subnet: HashMap<Subnet, usize> = HashMap::new();
        for c in self.connected.values().filter(|c| c.outbound) {
            if let Some(s) = counted(&c.addr) {
                *per_subnet.entry(s).or_default() += 1;
            }
        }
        for s in self.dial_subnet.values() {
            *per_subnet.entry(*s).or_default() += 1;
        }
        let cap = self.targets.outbound_per_subnet.max(1);
        let mut out = Vec::with_capacity(room);
        for r in candidates {
            if out.len() == room {
                break;
            }
            // A record without an IP address (DNS, memory) is not counted.
            let Some(s) = r.addrs.first().and_then(counted) else {
                out.push(r);
                continue;
            };
            let n = per_subnet.entry(s).or_default();
            if *n < cap {
                *n += 1;
                self.dial_subnet.insert(r.peer, s);
                out.push(r);
            }
        }
        out
    }

    /// `excess` peers to disconnect: inbound peers first (outside every mesh before mesh
    /// peers), then outbound ones, but never outbound below `outbound_reserved`: the peers we
    /// chose outlast the ones that chose us.
    fn prune(&self, excess: usize, mesh: &HashSet<PeerId>, now: Instant) -> Vec<PeerId> {
        let mut victims: Vec<(bool, bool, PeerId)> = self
            .connected
            .iter()
            .filter(|(_, c)| now.saturating_duration_since(c.since) >= PRUNE_GRACE)
            .map(|(p, c)| (c.outbound, mesh.contains(p), *p))
            .collect();
        victims.sort();
        let mut outbound_left = self.outbound_count();
        let reserved = self.targets.outbound_reserved as usize;
        let mut out = Vec::with_capacity(excess);
        for (outbound, _, p) in victims {
            if out.len() == excess {
                break;
            }
            if outbound {
                if outbound_left <= reserved {
                    break;
                }
                outbound_left -= 1;
            }
            out.push(p);
        }
        out
    }

    /// Records to give `requester`, who asked for up to `max`.
    pub fn px_request(&mut self, requester: &PeerId, max: u32) -> Vec<PeerRecord> {
        let n = max.min(self.px_records).min(px::MAX_RECORDS) as usize;
        self.book.share(n, requester)
    }

    /// Our PX request was answered with `records`; returns how many peers the book learned.
    pub fn px_answered(&mut self, source: PeerId, records: Vec<PeerRecord>, now: Instant) -> usize {
        self.px_in_flight = self.px_in_flight.saturating_sub(1);
        let mut learned = 0;
        for r in records {
            if r.peer != self.me
                && !self.is_banned(&r.peer, now)
                && self.book.add_second_hand(source, r.peer, r.addrs, now)
            {
                learned += 1;
            }
        }
        learned
    }

    /// Our PX request failed.
    pub fn px_failed(&mut self) {
        self.px_in_flight = self.px_in_flight.saturating_sub(1);
    }

    /// Connected peers.
    pub fn connections(&self) -> impl Iterator<Item = (&PeerId, &Conn)> {
        self.connected.iter()
    }

    pub fn connected_count(&self) -> usize {
        self.connected.len()
    }

    pub fn outbound_count(&self) -> usize {
        self.connected.values().filter(|c| c.outbound).count()
    }

    pub fn book(&self) -> &AddressBook {
        &self.book
    }

    /// Every address book entry (for the `address book` command).
    pub fn book_entries(&self) -> Vec<BookEntry> {
        self.book
            .all()
            .into_iter()
            .map(|(record, failures, connected)| BookEntry {
                record,
                failures,
                connected,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
