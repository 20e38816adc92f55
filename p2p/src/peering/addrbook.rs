//! The address book: peers we could dial, where, and how reliable they have been.
//!
//! Bounded in peers and in addresses per peer. It learns first-hand from identify (a peer's
//! own listen addresses) and from connections, and second-hand from peer-exchange answers.
//! Dial failures back off exponentially; a peer that fails `max_failures` times in a row is
//! forgotten. When full, the least useful entry (not connected, most failures, least recently
//! seen) makes room.
//!
//! # Poisoning (PX records are unauthenticated)
//!
//! - A third party never replaces or adds to the addresses of a peer already in the book:
//!   only the peer itself (identify) or a connection can.
//! - Second-hand entries live in buckets by the peer that sent them: one source adds at most
//!   `max_per_source` untried entries, and second-hand entries together take at most half the
//!   book, evicting only each other. A flood of fresh records cannot push out the peers we
//!   have connected to or heard from directly.
//! - Loopback, private and link-local addresses are neither learned second-hand nor shared,
//!   unless `allow_private` (testnets on one machine or one LAN).
//! - DNS names (`/dns4`, `/dns6`, `/dns`) are kept only first-hand (a bootnode given by
//!   name, e.g. a Kubernetes pod's, is redialed with the usual backoff, resolved afresh each
//!   time): a name cannot be checked against the private-address rule until it is resolved,
//!   so names are neither learned second-hand nor shared.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::{Multiaddr, PeerId, multiaddr::Protocol};
use rumor_link::SplitMix64;

/// Address book bounds and backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookConfig {
    pub capacity: usize,
    pub max_addrs_per_peer: usize,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    pub max_failures: u32,
    /// Untried second-hand entries one PX source may add (16: half a PX answer).
    pub max_per_source: usize,
    /// Learn second-hand and share loopback/private/link-local addresses (testnets only).
    pub allow_private: bool,
}

impl Default for BookConfig {
    fn default() -> Self {
        Self {
            capacity: 1024,
            max_addrs_per_peer: 4,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            max_failures: 6,
            max_per_source: 16,
            allow_private: false,
        }
    }
}

/// Whether another host on the internet could reach `addr` (not loopback, private,
/// link-local, unique-local, documentation or broadcast).
pub fn is_public(addr: &Multiaddr) -> bool {
    addr.iter().all(|p| match p {
        Protocol::Ip4(ip) => {
            !(ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_unspecified()
                || ip.is_broadcast()
                || ip.is_documentation())
        }
        Protocol::Ip6(ip) => {
            let seg = ip.segments()[0];
            !(ip.is_loopback()
                || ip.is_unspecified()
                || (seg & 0xfe00) == 0xfc00
                || (seg & 0xffc0) == 0xfe80)
        }
        _ => true,
    })
}

#[derive(Debug, Clone)]
struct Entry {
    addrs: Vec<Multiaddr>,
    failures: u32,
    /// Connections closed for failing the liveness check (never reset: the backoff it sets
    /// is capped).
    unresponsive: u32,
    next_dial: Instant,
    last_seen: Instant,
    connected: bool,
    /// The PX source that introduced this entry, while it is second-hand (never connected,
    /// never announced by the peer itself); `None` once first-hand.
    source: Option<PeerId>,
}

/// A dialable peer record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRecord {
    pub peer: PeerId,
    pub addrs: Vec<Multiaddr>,
}

#[derive(Debug)]
pub struct AddressBook {
    entries: HashMap<PeerId, Entry>,
    config: BookConfig,
    rng: SplitMix64,
    /// Entries forgotten after repeated failures (metric).
    pub forgotten: u64,
}

/// Keeps only addresses another host could dial: IP or DNS name + TCP, not unspecified,
/// `/p2p` stripped.
pub fn dialable(addr: &Multiaddr) -> Option<Multiaddr> {
    let mut out = Multiaddr::empty();
    let mut has_ip = false;
    let mut has_tcp = false;
    for p in addr.iter() {
        match p {
            Protocol::Ip4(ip) if !ip.is_unspecified() => {
                has_ip = true;
                out.push(p)
            }
            Protocol::Ip6(ip) if !ip.is_unspecified() => {
                has_ip = true;
                out.push(p)
            }
            Protocol::Dns(_) | Protocol::Dns4(_) | Protocol::Dns6(_) if !has_ip => {
                has_ip = true;
                out.push(p)
            }
            Protocol::Tcp(port) if port != 0 => {
                has_tcp = true;
                out.push(p)
            }
            Protocol::P2p(_) => {}
            _ => return None,
        }
    }
    (has_ip && has_tcp).then_some(out)
}

/// Whether `addr` names its host by DNS (resolved only when dialed).
pub fn is_dns(addr: &Multiaddr) -> bool {
    addr.iter().any(|p| {
        matches!(
            p,
            Protocol::Dns(_) | Protocol::Dns4(_) | Protocol::Dns6(_) | Protocol::Dnsaddr(_)
        )
    })
}

impl AddressBook {
    pub fn new(config: BookConfig, seed: u64) -> Self {
        Self {
            entries: HashMap::new(),
            config,
            rng: SplitMix64::new(seed),
            forgotten: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Fisher–Yates over the seeded PRNG: peer choices only need to differ between nodes, not
    /// be unpredictable.
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.rng.up_to(i as u64) as usize;
            v.swap(i, j);
        }
    }

    /// Evicts the least useful unconnected entry (second-hand ones only, if `second_hand`);
    /// false if there is none.
    fn evict(&mut self, second_hand: bool) -> bool {
        let victim = self
            .entries
            .iter()
            .filter(|(_, e)| !e.connected && (!second_hand || e.source.is_some()))
            .max_by_key(|(_, e)| (e.failures, std::cmp::Reverse(e.last_seen)))
            .map(|(p, _)| *p);
        match victim {
            Some(p) => {
                self.entries.remove(&p);
                true
            }
            None => false,
        }
    }

    /// Makes room for one more entry; false if every entry is a connected peer.
    fn make_room(&mut self) -> bool {
        self.entries.len() < self.config.capacity || self.evict(false)
    }

    /// Learns addresses for `peer` (non-dialable ones are ignored). Returns whether the peer is
    /// in the book afterwards.
    pub fn add(
        &mut self,
        peer: PeerId,
        addrs: impl IntoIterator<Item = Multiaddr>,
        now: Instant,
    ) -> bool {
        let addrs: Vec<Multiaddr> = addrs.into_iter().filter_map(|a| dialable(&a)).collect();
        if addrs.is_empty() && !self.entries.contains_key(&peer) {
            return false;
        }
        if !self.entries.contains_key(&peer) && !self.make_room() {
            return false;
        }
        let max = self.config.max_addrs_per_peer;
        let e = self.entries.entry(peer).or_insert_with(|| Entry {
            addrs: Vec::new(),
            failures: 0,
            unresponsive: 0,
            next_dial: now,
            last_seen: now,
            connected: false,
            source: None,
        });
        // Heard from the peer itself: first-hand from now on.
        e.source = None;
        for a in addrs {
            if !e.addrs.contains(&a) {
                // Newest first: a peer's latest announcement is the most likely to work.
                e.addrs.insert(0, a);
                e.addrs.truncate(max);
            }
        }
        true
    }

    /// Learns `peer` from `source`'s peer-exchange answer, under the rules in the module
    /// header. Returns whether it was added.
    pub fn add_second_hand(
        &mut self,
        source: PeerId,
        peer: PeerId,
        addrs: impl IntoIterator<Item = Multiaddr>,
        now: Instant,
    ) -> bool {
        if self.entries.contains_key(&peer) {
            return false;
        }
        let allow_private = self.config.allow_private;
        let addrs: Vec<Multiaddr> = addrs
            .into_iter()
            .filter_map(|a| dialable(&a))
            .filter(|a| !is_dns(a) && (allow_private || is_public(a)))
            .take(self.config.max_addrs_per_peer)
            .collect();
        if addrs.is_empty() {
            return false;
        }
        let from_source = self
            .entries
            .values()
            .filter(|e| e.source == Some(source))
            .count();
        if from_source >= self.config.max_per_source {
            return false;
        }
        let second_hand = self.entries.values().filter(|e| e.source.is_some()).count();
        let full = self.entries.len() >= self.config.capacity;
        if (second_hand >= self.config.capacity / 2 || full) && !self.evict(true) {
            return false;
        }
        self.entries.insert(
            peer,
            Entry {
                addrs,
                failures: 0,
                unresponsive: 0,
                next_dial: now,
                last_seen: now,
                connected: false,
                source: Some(source),
            },
        );
        true
    }

    pub fn on_connected(&mut self, peer: &PeerId, now: Instant) {
        if let Some(e) = self.entries.get_mut(peer) {
            e.source = None;
            e.connected = true;
            e.failures = 0;
            e.last_seen = now;
        }
    }

    pub fn on_disconnected(&mut self, peer: &PeerId, now: Instant) {
        if let Some(e) = self.entries.get_mut(peer) {
            e.connected = false;
            e.last_seen = now;
            // Don't redial at once: the disconnect may have been the other side pruning us.
            // A longer backoff set while the connection closed (unresponsive) stands.
            e.next_dial = e.next_dial.max(now + self.config.base_backoff);
        }
    }

    /// The peer's connection was closed for failing the liveness check: its link carried
    /// nothing back. Back off 8× a dial failure's base, doubling with each such close and
    /// capped like dial backoff, so the peer policy fills the slot from other peers first;
    /// unlike a failed dial it never counts towards forgetting the peer (the path may heal).
    pub fn on_unresponsive(&mut self, peer: &PeerId, now: Instant) {
        let Some(e) = self.entries.get_mut(peer) else {
            return;
        };
        e.unresponsive = e.unresponsive.saturating_add(1);
        let backoff = self
            .config
            .base_backoff
            .saturating_mul(8u32 << (e.unresponsive - 1).min(16))
            .min(self.config.max_backoff);
        e.next_dial = e.next_dial.max(now + backoff);
    }

    /// A dial failed: back off exponentially; forget the peer after too many failures.
    pub fn on_dial_failure(&mut self, peer: &PeerId, now: Instant) {
        let Some(e) = self.entries.get_mut(peer) else {
            return;
        };
        e.failures += 1;
        if e.failures >= self.config.max_failures {
            self.entries.remove(peer);
            self.forgotten += 1;
            return;
        }
        let backoff = self
            .config
            .base_backoff
            .saturating_mul(1u32 << e.failures.min(16))
            .min(self.config.max_backoff);
        e.next_dial = now + backoff;
    }

    /// Up to `n` peers worth dialing now (not connected, not backing off, not excluded),
    /// fewest failures first, ties in random order.
    pub fn dial_candidates(
        &mut self,
        n: usize,
        now: Instant,
        exclude: impl Fn(&PeerId) -> bool,
    ) -> Vec<PeerRecord> {
        let mut c: Vec<(u32, PeerRecord)> = self
            .entries
            .iter()
            .filter(|(p, e)| {
                !e.connected && e.next_dial <= now && !e.addrs.is_empty() && !exclude(p)
            })
            .map(|(p, e)| {
                (
                    e.failures,
                    PeerRecord {
                        peer: *p,
                        addrs: e.addrs.clone(),
                    },
                )
            })
            .collect();
        self.shuffle(&mut c);
        c.sort_by_key(|(f, _)| *f);
        c.into_iter().take(n).map(|(_, r)| r).collect()
    }

    /// Up to `n` records to share with `requester` (peer exchange): connected peers first
    /// (known to be live), then peers with no recent failures, in random order.
    pub fn share(&mut self, n: usize, requester: &PeerId) -> Vec<PeerRecord> {
        let allow_private = self.config.allow_private;
        let mut c: Vec<(bool, PeerRecord)> = self
            .entries
            .iter()
            .filter(|(p, e)| *p != requester && (e.connected || e.failures == 0))
            .filter_map(|(p, e)| {
                let addrs: Vec<Multiaddr> = e
                    .addrs
                    .iter()
                    .filter(|a| !is_dns(a) && (allow_private || is_public(a)))
                    .cloned()
                    .collect();
                (!addrs.is_empty()).then(|| (!e.connected, PeerRecord { peer: *p, addrs }))
            })
            .collect();
        self.shuffle(&mut c);
        c.sort_by_key(|(not_connected, _)| *not_connected);
        c.into_iter().take(n).map(|(_, r)| r).collect()
    }

    /// Addresses known for `peer`.
    #[cfg(test)]
    pub fn addrs(&self, peer: &PeerId) -> Vec<Multiaddr> {
        self.entries
            .get(peer)
            .map(|e| e.addrs.clone())
            .unwrap_or_default()
    }

    /// Every record (for the `address book` command).
    pub fn all(&self) -> Vec<(PeerRecord, u32, bool)> {
        self.entries
            .iter()
            .map(|(p, e)| {
                (
                    PeerRecord {
                        peer: *p,
                        addrs: e.addrs.clone(),
                    },
                    e.failures,
                    e.connected,
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
