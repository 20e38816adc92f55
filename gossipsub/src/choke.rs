// Rumor addition to libp2p-gossipsub 0.50.1 (see CHANGES.md, "Lazy push"); MIT like the rest.

//! Lazy push for small messages: the choke extension's state and policy, without a swarm.
//!
//! A receiver *chokes* a mesh peer on a topic when that peer keeps delivering copies it
//! already has. A choke makes the mesh link lazy both ways (Plumtree's PRUNE): each side then
//! sends the other the ids of new messages (one IHAVE per [`ChokeConfig::announce_interval`])
//! instead of the messages. Symmetric links keep the eager links of the whole network one
//! undirected graph in which each node holds a few, so a message from any origin finds eager
//! paths to every node. One-way chokes (the receiver alone stops the pushes it gets) left
//! groups of nodes whose every eager in-link came from inside the group, reached only through
//! the ids: measured on the floor scenario (16 nodes × 100 tx/s, 2 eager peers, 3 runs), tx
//! p99 time to all 30.8 ms one-way, 23.3 ms symmetric with `choke_margin` 1. The receiver keeps
//! [`ChokeConfig::eager_target`] mesh peers unchoked, so each message still reaches it
//! eagerly along a few links and about once; the ids from the choked peers are the safety net.
//! An id announced by a choked peer that has not arrived [`ChokeConfig::iwant_delay`] later
//! is asked for (IWANT, with gossipsub's promise tracking) and its announcer unchoked: it was
//! the faster path (Plumtree's tree repair).
//!
//! Invariants:
//! - Only peers that advertised the extension (`ControlExtensions.choke`) are ever choked or
//!   obeyed; stock peers get stock gossipsub.
//! - A receiver never chokes below `eager_target` unchoked mesh peers on a topic, and unchokes
//!   one as soon as it falls below (mesh churn); a choked link is never its only path.
//! - Choke state lives on a mesh link: it is dropped when either side leaves the mesh and
//!   starts unchoked when the link is grafted again.
//!
//! Bounds: ids waiting for their eager copy are at most [`ChokeConfig::max_pending`] (default
//! 8 192; normally `iwant_delay`'s worth waits, 3 ids at 100 msg/s, and the cap bites only
//! when eager copies stop coming: it then holds 80 s of ids at 100 msg/s); an id beyond it is
//! asked for at once, as stock gossipsub would. Ids owed to one peer are at most
//! [`ChokeConfig::max_announce_batch`] (512); a full batch leaves at once.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::time::Duration;

use libp2p_identity::PeerId;
use web_time::Instant;

use crate::{MessageId, TopicHash};

/// How the extension behaves; `None` in [`crate::Config`] turns it off (stock behaviour).
#[derive(Clone, Debug)]
pub struct ChokeConfig {
    /// Topics whose small messages may be pushed lazily.
    pub topics: HashSet<TopicHash>,
    /// Mesh peers a receiver keeps unchoked on each topic.
    pub eager_target: usize,
    /// Chokes start only above `eager_target + choke_margin` eager links (1): a node holds
    /// between `eager_target` and that, so the chokes of its peers (which also take links
    /// from it) rarely leave it below the target until its next heartbeat.
    pub choke_margin: usize,
    /// Messages larger than this are always pushed in full.
    pub max_lazy_bytes: usize,
    /// How long an announced id may wait for its eager copy before it is asked for.
    pub iwant_delay: Duration,
    /// How long a sender gathers the ids it owes a peer that choked it before sending them in
    /// one IHAVE (10 ms). The ids are a fallback that usually arrives after the eager copy;
    /// sent one by one they would cost a frame (and a write, a wake-up) per message per choked
    /// peer, which is what lazy push is meant to save.
    pub announce_interval: Duration,
    /// Ids gathered for one peer, at most (512); a full buffer is sent at once.
    pub max_announce_batch: usize,
    /// Lazy links a message's id is sent over, at most (3, chosen at random per message): the
    /// ids are the fallback, and every lazy link costs 34 bytes per message each way — more
    /// than the eager copies when a 160-byte message has six lazy links.
    pub max_announce_peers: usize,
    /// Ids waiting for their eager copy, at most.
    pub max_pending: usize,
    /// Chokes sent per topic per heartbeat, at most (changes the eager set gradually).
    pub max_chokes_per_heartbeat: usize,
    /// Receipts (first + duplicate, decayed) a peer needs before it can be judged.
    pub min_samples: f64,
    /// Each heartbeat multiplies the receipt counts by this (0.8: half-life ≈ 3 heartbeats).
    pub decay: f64,
}

impl Default for ChokeConfig {
    fn default() -> Self {
        Self {
            topics: HashSet::new(),
            eager_target: 3,
            choke_margin: 1,
            max_lazy_bytes: 1024,
            iwant_delay: Duration::from_millis(30),
            announce_interval: Duration::from_millis(10),
            max_announce_batch: 512,
            max_announce_peers: 3,
            max_pending: 8192,
            max_chokes_per_heartbeat: 1,
            min_samples: 8.0,
            decay: 0.8,
        }
    }
}

/// What one mesh link has delivered lately (decayed each heartbeat), seen by the receiver.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct LinkStats {
    /// Messages this peer delivered before anyone else.
    pub(crate) first: f64,
    /// Copies of messages already received from someone else.
    pub(crate) duplicate: f64,
    /// Ids this (choked) peer announced before any copy had arrived.
    pub(crate) announced_first: f64,
    /// Whether we have choked it.
    pub(crate) choked: bool,
}

impl LinkStats {
    fn samples(&self) -> f64 {
        self.first + self.duplicate
    }
    /// Share of its deliveries that were first (1.0 for a peer that delivered nothing yet).
    fn first_share(&self) -> f64 {
        if self.samples() == 0.0 {
            1.0
        } else {
            self.first / self.samples()
        }
    }
}

/// A decision of the heartbeat policy for one topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    Choke(PeerId),
    Unchoke(PeerId),
}

/// Counters since start (read by the node's metrics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChokeCounts {
    /// CHOKEs this node sent.
    pub chokes_sent: u64,
    /// UNCHOKEs this node sent.
    pub unchokes_sent: u64,
    /// Messages sent as an id instead of in full, because the receiver choked us.
    pub lazy_ids_sent: u64,
    /// Announced ids whose eager copy did not come in time and were asked for.
    pub late_iwants: u64,
    /// Announced ids that went past `max_pending` and were asked for at once.
    pub pending_overflow: u64,
}

/// An id announced by a choked peer, waiting for its eager copy.
#[derive(Clone, Debug)]
struct Pending {
    topic: TopicHash,
    announcer: PeerId,
    deadline: Instant,
}

/// The extension's state: each mesh link's stats and whether it is lazy (both ways, whoever
/// choked it), and the ids waiting for their eager copy.
#[derive(Debug)]
pub(crate) struct Choke {
    pub(crate) config: ChokeConfig,
    /// Per topic, each extension-capable mesh peer's stats and choke state.
    links: HashMap<TopicHash, HashMap<PeerId, LinkStats>>,
    pending: HashMap<MessageId, Pending>,
    /// Deadlines in arrival order; the delay is fixed, so this is also deadline order.
    order: VecDeque<(Instant, MessageId)>,
    pub(crate) counts: ChokeCounts,
}

impl Choke {
    pub(crate) fn new(config: ChokeConfig) -> Self {
        Self {
            config,
            links: HashMap::new(),
            pending: HashMap::new(),
            order: VecDeque::new(),
            counts: ChokeCounts::default(),
        }
    }

    /// Whether `topic`'s messages of `len` bytes may go lazily.
    pub(crate) fn lazy(&self, topic: &TopicHash, len: usize) -> bool {
        len <= self.config.max_lazy_bytes && self.config.topics.contains(topic)
    }

    /// Whether the link to `peer` on `topic` is lazy (either side choked it): we send it ids,
    /// and its IHAVEs are its lazy push.
    pub(crate) fn is_lazy(&self, topic: &TopicHash, peer: &PeerId) -> bool {
        self.links
            .get(topic)
            .and_then(|l| l.get(peer))
            .is_some_and(|s| s.choked)
    }

    /// A CHOKE (`true`) or UNCHOKE from `peer`, already known to be in our mesh for `topic`.
    /// A CHOKE makes the link lazy both ways, as Plumtree's PRUNE does: `peer` will send us
    /// ids, and we send it ids. An UNCHOKE makes it eager both ways.
    pub(crate) fn set_choked_by(&mut self, topic: &TopicHash, peer: PeerId, choked: bool) {
        let stats = self
            .links
            .entry(topic.clone())
            .or_default()
            .entry(peer)
            .or_default();
        if choked {
            stats.choked = true;
            stats.announced_first = 0.0;
        } else {
            *stats = LinkStats::default();
        }
    }

    /// A message from mesh peer `peer` on `topic`: `first` if no copy had arrived before.
    pub(crate) fn on_receipt(&mut self, topic: &TopicHash, peer: PeerId, first: bool) {
        if !self.config.topics.contains(topic) {
            return;
        }
        let stats = self
            .links
            .entry(topic.clone())
            .or_default()
            .entry(peer)
            .or_default();
        if first {
            stats.first += 1.0;
        } else {
            stats.duplicate += 1.0;
        }
    }

    /// The first copy of `id` arrived: nothing to ask for.
    pub(crate) fn delivered(&mut self, id: &MessageId) {
        self.pending.remove(id);
    }

    /// A choked peer announced `id`, which has not arrived. Returns `false` when the id must
    /// be asked for at once (already pending from another announcer is `true`: one wait per
    /// id; the promise machinery covers an announcer that then fails to deliver).
    pub(crate) fn on_announce(
        &mut self,
        topic: &TopicHash,
        peer: PeerId,
        id: &MessageId,
        now: Instant,
    ) -> bool {
        if let Some(stats) = self.links.get_mut(topic).and_then(|l| l.get_mut(&peer)) {
            stats.announced_first += 1.0;
        }
        if self.pending.contains_key(id) {
            return true;
        }
        if self.pending.len() >= self.config.max_pending {
            self.counts.pending_overflow += 1;
            return false;
        }
        let deadline = now + self.config.iwant_delay;
        self.pending.insert(
            id.clone(),
            Pending {
                topic: topic.clone(),
                announcer: peer,
                deadline,
            },
        );
        self.order.push_back((deadline, id.clone()));
        true
    }

    /// The earliest deadline still waiting, if any.
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        while let Some((deadline, id)) = self.order.front() {
            if self
                .pending
                .get(id)
                .is_some_and(|p| p.deadline == *deadline)
            {
                return Some(*deadline);
            }
            self.order.pop_front();
        }
        None
    }

    /// Ids whose deadline passed without their eager copy: (id, topic, announcer). Each
    /// announcer is unchoked by the caller (it was the faster path).
    pub(crate) fn expired(&mut self, now: Instant) -> Vec<(MessageId, TopicHash, PeerId)> {
        let mut out = Vec::new();
        while let Some((deadline, _)) = self.order.front() {
            if *deadline > now {
                break;
            }
            let (deadline, id) = self.order.pop_front().expect("front exists");
            if let Some(p) = self.pending.get(&id)
                && p.deadline == deadline
            {
                let p = self.pending.remove(&id).expect("present");
                out.push((id, p.topic, p.announcer));
            }
        }
        self.counts.late_iwants += out.len() as u64;
        out
    }

    /// Marks `peer` unchoked on `topic` (the caller sends the UNCHOKE); `false` if it was not
    /// choked.
    pub(crate) fn unchoke(&mut self, topic: &TopicHash, peer: &PeerId) -> bool {
        match self.links.get_mut(topic).and_then(|l| l.get_mut(peer)) {
            Some(stats) if stats.choked => {
                // Judged afresh from its next deliveries.
                *stats = LinkStats::default();
                self.counts.unchokes_sent += 1;
                true
            }
            _ => false,
        }
    }

    /// Drops every link of `peer` (disconnected).
    pub(crate) fn peer_gone(&mut self, peer: &PeerId) {
        for links in self.links.values_mut() {
            links.remove(peer);
        }
    }

    /// Drops the link (both directions) of `peer` on `topic`: it left or (re)joined the mesh.
    pub(crate) fn link_reset(&mut self, topic: &TopicHash, peer: &PeerId) {
        if let Some(links) = self.links.get_mut(topic) {
            links.remove(peer);
        }
    }

    /// Drops everything about `topic` (unsubscribed).
    pub(crate) fn topic_gone(&mut self, topic: &TopicHash) {
        self.links.remove(topic);
    }

    /// The heartbeat policy for one topic. `mesh` is the topic's mesh; `capable` tells which of
    /// its peers speak the extension. Forgets links no longer in the mesh, decays the counts,
    /// and returns the chokes and unchokes to send (already applied to the state).
    pub(crate) fn heartbeat(
        &mut self,
        topic: &TopicHash,
        mesh: &BTreeSet<PeerId>,
        capable: impl Fn(&PeerId) -> bool,
    ) -> Vec<Decision> {
        let Self {
            config: cfg,
            links,
            counts,
            ..
        } = self;
        if !cfg.topics.contains(topic) {
            return Vec::new();
        }
        let links = links.entry(topic.clone()).or_default();
        links.retain(|p, _| mesh.contains(p) && capable(p));
        for p in mesh {
            if capable(p) {
                links.entry(*p).or_default();
            }
        }
        // Peers that cannot be choked (stock peers) are eager by nature.
        let stock_eager = mesh.iter().filter(|p| !capable(p)).count();
        let mut eager: Vec<(PeerId, LinkStats)> = links
            .iter()
            .filter(|(_, s)| !s.choked)
            .map(|(p, s)| (*p, *s))
            .collect();
        let mut choked: Vec<(PeerId, LinkStats)> = links
            .iter()
            .filter(|(_, s)| s.choked)
            .map(|(p, s)| (*p, *s))
            .collect();
        let mut out = Vec::new();
        let eager_now = stock_eager + eager.len();
        if eager_now < cfg.eager_target {
            // Below the target (mesh churn): unchoke the best announcers first.
            choked.sort_by(|a, b| b.1.announced_first.total_cmp(&a.1.announced_first));
            for (p, _) in choked.iter().take(cfg.eager_target - eager_now) {
                out.push(Decision::Unchoke(*p));
            }
        } else {
            // A choked peer that announced more firsts than an eager one delivered is swapped in.
            choked.sort_by(|a, b| b.1.announced_first.total_cmp(&a.1.announced_first));
            eager.sort_by(|a, b| a.1.first.total_cmp(&b.1.first));
            let mut surplus = eager_now.saturating_sub(cfg.eager_target + cfg.choke_margin);
            if let (Some(best), Some(worst)) = (choked.first(), eager.first())
                && best.1.announced_first >= cfg.min_samples
                && best.1.announced_first > worst.1.first
            {
                out.push(Decision::Unchoke(best.0));
                surplus += 1;
            }
            // Choke the peers whose deliveries are most often late, among those judged.
            let mut judged: Vec<&(PeerId, LinkStats)> = eager
                .iter()
                .filter(|(_, s)| s.samples() >= cfg.min_samples && s.duplicate > 0.0)
                .collect();
            judged.sort_by(|a, b| a.1.first_share().total_cmp(&b.1.first_share()));
            for (p, _) in judged
                .into_iter()
                .take(surplus.min(cfg.max_chokes_per_heartbeat))
            {
                out.push(Decision::Choke(*p));
            }
        }
        for d in &out {
            match d {
                Decision::Choke(p) => {
                    if let Some(s) = links.get_mut(p) {
                        s.choked = true;
                        s.announced_first = 0.0;
                    }
                    counts.chokes_sent += 1;
                }
                Decision::Unchoke(p) => {
                    if let Some(s) = links.get_mut(p) {
                        *s = LinkStats::default();
                    }
                    counts.unchokes_sent += 1;
                }
            }
        }
        for s in links.values_mut() {
            s.first *= cfg.decay;
            s.duplicate *= cfg.decay;
            s.announced_first *= cfg.decay;
        }
        out
    }

    /// Ids waiting for their eager copy.
    pub(crate) fn pending_len(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic() -> TopicHash {
        TopicHash::from_raw("t")
    }

    fn choke(eager_target: usize) -> Choke {
        Choke::new(ChokeConfig {
            topics: [topic()].into_iter().collect(),
            eager_target,
            choke_margin: 0,
            max_chokes_per_heartbeat: 8,
            ..ChokeConfig::default()
        })
    }

    fn peers(n: usize) -> Vec<PeerId> {
        (0..n).map(|_| PeerId::random()).collect()
    }

    /// Peer `i` of `ps` delivers `firsts[i]` first copies and `dups[i]` duplicates.
    fn deliver(c: &mut Choke, ps: &[PeerId], firsts: &[u32], dups: &[u32]) {
        for (i, p) in ps.iter().enumerate() {
            for _ in 0..firsts[i] {
                c.on_receipt(&topic(), *p, true);
            }
            for _ in 0..dups[i] {
                c.on_receipt(&topic(), *p, false);
            }
        }
    }

    #[test]
    fn chokes_the_latest_peers_down_to_the_target_and_never_below() {
        let mut c = choke(2);
        let ps = peers(5);
        let mesh: BTreeSet<PeerId> = ps.iter().copied().collect();
        deliver(&mut c, &ps, &[30, 20, 5, 1, 0], &[0, 10, 25, 29, 30]);
        let d = c.heartbeat(&topic(), &mesh, |_| true);
        let choked: HashSet<PeerId> = d
            .iter()
            .map(|d| match d {
                Decision::Choke(p) => *p,
                Decision::Unchoke(_) => panic!("{d:?}"),
            })
            .collect();
        assert_eq!(choked, [ps[2], ps[3], ps[4]].into_iter().collect());
        // Nothing more to choke, however late the rest are.
        deliver(&mut c, &ps, &[0, 0, 0, 0, 0], &[50, 50, 0, 0, 0]);
        assert!(c.heartbeat(&topic(), &mesh, |_| true).is_empty());
        assert!(c.is_lazy(&topic(), &ps[4]) && !c.is_lazy(&topic(), &ps[0]));
    }

    #[test]
    fn the_margin_keeps_a_spare_eager_link() {
        let mut c = Choke::new(ChokeConfig {
            topics: [topic()].into_iter().collect(),
            eager_target: 2,
            choke_margin: 1,
            max_chokes_per_heartbeat: 8,
            ..ChokeConfig::default()
        });
        let ps = peers(5);
        let mesh: BTreeSet<PeerId> = ps.iter().copied().collect();
        deliver(&mut c, &ps, &[30, 20, 5, 1, 0], &[0, 10, 25, 29, 30]);
        let d = c.heartbeat(&topic(), &mesh, |_| true);
        assert_eq!(d, vec![Decision::Choke(ps[4]), Decision::Choke(ps[3])]);
    }

    #[test]
    fn stock_peers_count_as_eager_and_are_never_choked() {
        let mut c = choke(2);
        let ps = peers(3);
        let mesh: BTreeSet<PeerId> = ps.iter().copied().collect();
        deliver(&mut c, &ps, &[0, 0, 30], &[30, 30, 0]);
        let stock = ps[0];
        let d = c.heartbeat(&topic(), &mesh, |p| *p != stock);
        assert_eq!(d, vec![Decision::Choke(ps[1])]);
    }

    #[test]
    fn unchokes_when_the_mesh_shrinks_below_the_target() {
        let mut c = choke(2);
        let ps = peers(4);
        let mut mesh: BTreeSet<PeerId> = ps.iter().copied().collect();
        deliver(&mut c, &ps, &[30, 30, 0, 0], &[0, 0, 30, 30]);
        c.heartbeat(&topic(), &mesh, |_| true);
        assert!(c.is_lazy(&topic(), &ps[2]) && c.is_lazy(&topic(), &ps[3]));
        mesh.remove(&ps[0]);
        let d = c.heartbeat(&topic(), &mesh, |_| true);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(matches!(d[0], Decision::Unchoke(p) if p == ps[2] || p == ps[3]));
    }

    #[test]
    fn a_choked_peer_that_announces_first_is_swapped_in() {
        let mut c = choke(1);
        let ps = peers(2);
        let mesh: BTreeSet<PeerId> = ps.iter().copied().collect();
        deliver(&mut c, &ps, &[30, 0], &[0, 30]);
        assert_eq!(
            c.heartbeat(&topic(), &mesh, |_| true),
            vec![Decision::Choke(ps[1])]
        );
        // ps[0] stops being first; ps[1] announces ids before they arrive.
        let now = Instant::now();
        for i in 0..30u8 {
            c.on_announce(&topic(), ps[1], &MessageId::new(&[i]), now);
        }
        deliver(&mut c, &ps, &[0, 0], &[20, 0]);
        let d = c.heartbeat(&topic(), &mesh, |_| true);
        assert_eq!(d, vec![Decision::Unchoke(ps[1]), Decision::Choke(ps[0])]);
    }

    #[test]
    fn announced_ids_wait_then_expire_unless_delivered() {
        let mut c = choke(1);
        let p = PeerId::random();
        let now = Instant::now();
        let (a, b) = (MessageId::new(b"a"), MessageId::new(b"b"));
        assert!(c.on_announce(&topic(), p, &a, now));
        assert!(c.on_announce(&topic(), p, &b, now));
        assert!(
            c.on_announce(&topic(), PeerId::random(), &a, now),
            "one wait per id"
        );
        assert_eq!(c.pending_len(), 2);
        c.delivered(&a);
        assert_eq!(c.next_deadline(), Some(now + c.config.iwant_delay));
        assert!(c.expired(now).is_empty());
        let late = c.expired(now + c.config.iwant_delay);
        assert_eq!(late, vec![(b, topic(), p)]);
        assert_eq!(c.next_deadline(), None);
        assert_eq!(c.counts.late_iwants, 1);
    }

    #[test]
    fn pending_is_bounded() {
        let mut c = Choke::new(ChokeConfig {
            topics: [topic()].into_iter().collect(),
            max_pending: 2,
            ..ChokeConfig::default()
        });
        let p = PeerId::random();
        let now = Instant::now();
        assert!(c.on_announce(&topic(), p, &MessageId::new(b"1"), now));
        assert!(c.on_announce(&topic(), p, &MessageId::new(b"2"), now));
        assert!(!c.on_announce(&topic(), p, &MessageId::new(b"3"), now));
        assert_eq!(c.counts.pending_overflow, 1);
    }

    #[test]
    fn links_leave_with_the_mesh_and_restart_unchoked() {
        let mut c = choke(1);
        let ps = peers(2);
        let mesh: BTreeSet<PeerId> = ps.iter().copied().collect();
        c.set_choked_by(&topic(), ps[1], true);
        deliver(&mut c, &ps, &[30, 0], &[0, 30]);
        c.heartbeat(&topic(), &mesh, |_| true);
        assert!(c.is_lazy(&topic(), &ps[1]));
        c.link_reset(&topic(), &ps[1]);
        assert!(!c.is_lazy(&topic(), &ps[1]));
        c.set_choked_by(&topic(), ps[0], true);
        let smaller: BTreeSet<PeerId> = [ps[1]].into_iter().collect();
        c.heartbeat(&topic(), &smaller, |_| true);
        assert!(!c.is_lazy(&topic(), &ps[0]), "left the mesh: forgotten");
    }

    #[test]
    fn a_choke_makes_the_link_lazy_both_ways() {
        let mut c = choke(1);
        let ps = peers(3);
        let mesh: BTreeSet<PeerId> = ps.iter().copied().collect();
        // Theirs: ps[0] chokes us; we send it ids and take its ids as its lazy push.
        c.set_choked_by(&topic(), ps[0], true);
        assert!(c.is_lazy(&topic(), &ps[0]));
        c.set_choked_by(&topic(), ps[0], false);
        assert!(!c.is_lazy(&topic(), &ps[0]));
        // Ours: a choke we decide also stops our pushes to that peer.
        deliver(&mut c, &ps, &[30, 0, 0], &[0, 30, 30]);
        c.heartbeat(&topic(), &mesh, |_| true);
        for p in &ps[1..] {
            assert!(c.is_lazy(&topic(), p));
        }
        // A late id unchokes its announcer both ways.
        assert!(c.unchoke(&topic(), &ps[1]));
        assert!(!c.is_lazy(&topic(), &ps[1]));
    }

    #[test]
    fn other_topics_and_big_messages_stay_eager() {
        let c = choke(1);
        assert!(c.lazy(&topic(), 200));
        assert!(!c.lazy(&topic(), 2000));
        assert!(!c.lazy(&TopicHash::from_raw("other"), 200));
    }
}
