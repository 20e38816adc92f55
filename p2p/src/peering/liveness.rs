//! Liveness: a connection that carries nothing back is closed, so a one-way link cannot hold a
//! mesh slot (or a peer slot) forever.
//!
//! TCP alone never notices a path that stopped carrying one direction: the sender's data
//! waits for acknowledgements and is retransmitted for minutes, the receiver just sees
//! silence, and gossipsub keeps both in its mesh (it sends nothing periodic that needs an
//! answer). So each connection runs libp2p's ping (`/ipfs/ping/1.0.0`, 32 bytes echoed):
//! every [`LivenessConfig::interval`] a ping must be answered within
//! [`LivenessConfig::timeout`]. A ping needs both directions, so it fails whichever one is
//! dead. Two rules close a connection, whichever comes first:
//!
//! - [`Watch`]: a connection that has answered pings before and then answers none for
//!   [`LivenessConfig::stale_after`] (2 × interval + timeout: 16 s at the defaults, enough
//!   for one slow or lost answer and the next good one) is dead. Checked every maintenance
//!   tick, so a one-way link is closed 16–19 s after it died.
//! - [`judge`]: libp2p's handler reports a failure once two pings in a row have failed (it
//!   forgives the first; the second may wait out a 10 s stream negotiation): about 25 s, and
//!   the only rule for a connection that never answered at all.
//!
//! Closing is the whole remedy: gossipsub drops the peer from its meshes and grafts another,
//! the peer policy backs off redialing it ([`crate::peering::addrbook::AddressBook::on_unresponsive`])
//! and dials others, and what was sent into the dead direction is recovered by anti-entropy
//! (the mempool digest exchange on every new connection, block sync from peers' status).

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

use libp2p::ping;

/// Ping cadence and patience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LivenessConfig {
    /// Between pings on a healthy connection (3 s; libp2p's default is 15 s). Each costs a
    /// Yamux frame with 32 bytes each way, about 100 bytes on the wire: some 30 bytes/s per
    /// peer and direction. Shorter finds a dead link sooner.
    pub interval: Duration,
    /// How long an answer may take (10 s; libp2p's is 20 s). Far above any round trip the
    /// testnets see (under 1 s even behind a full emulated WAN queue), with room for a
    /// saturated machine's scheduling delays (an in-process testnet of hundreds of nodes on 2
    /// cores), so only a link that carries nothing fails it.
    pub timeout: Duration,
}

impl Default for LivenessConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(3),
            timeout: Duration::from_secs(10),
        }
    }
}

impl LivenessConfig {
    pub(crate) fn ping(&self) -> ping::Config {
        ping::Config::new()
            .with_interval(self.interval)
            .with_timeout(self.timeout)
    }

    /// How long a connection that answered before may go without an answer: the next ping's
    /// wait, one that times out, and the wait for the one after.
    pub fn stale_after(&self) -> Duration {
        2 * self.interval + self.timeout
    }
}

/// What to do about one ping outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The link answers.
    Alive,
    /// Nothing came back: close the connection.
    Dead,
    /// No judgement possible (the peer speaks no ping): leave it.
    Unknown,
}

/// The verdict on a ping outcome as libp2p reports it, and its metric label.
pub fn judge(result: &Result<Duration, ping::Failure>) -> (Verdict, &'static str) {
    match result {
        Ok(_) => (Verdict::Alive, "ok"),
        Err(ping::Failure::Timeout) => (Verdict::Dead, "timeout"),
        // A stream error or a negotiation that timed out: the connection cannot carry a
        // 32-byte exchange, which is what dead means here.
        Err(ping::Failure::Other { .. }) => (Verdict::Dead, "error"),
        Err(ping::Failure::Unsupported) => (Verdict::Unknown, "unsupported"),
    }
}

/// Connections watched at most. A node has at most a few dozen; a closed connection's entry
/// leaves once it goes stale (within [`LivenessConfig::stale_after`]). Past the bound, new
/// connections are left to [`judge`] alone.
pub const MAX_WATCHED: usize = 4096;

/// When each connection last answered a ping. `C` is the connection's id, `P` its peer's.
#[derive(Debug)]
pub struct Watch<C, P> {
    stale_after: Duration,
    last_answer: HashMap<C, (P, Instant)>,
}

impl<C: Copy + Eq + Hash, P: Copy> Watch<C, P> {
    pub fn new(config: &LivenessConfig) -> Self {
        Self {
            stale_after: config.stale_after(),
            last_answer: HashMap::new(),
        }
    }

    /// `conn` (to `peer`) answered a ping at `now`.
    pub fn answered(&mut self, conn: C, peer: P, now: Instant) {
        if self.last_answer.len() < MAX_WATCHED || self.last_answer.contains_key(&conn) {
            self.last_answer.insert(conn, (peer, now));
        }
    }

    /// Stops watching `conn` (closed for another reason).
    pub fn forget(&mut self, conn: &C) {
        self.last_answer.remove(conn);
    }

    /// The connections that have answered nothing for too long; they are forgotten (a closed
    /// connection's entry thus leaves too).
    pub fn stale(&mut self, now: Instant) -> Vec<(C, P)> {
        let limit = self.stale_after;
        let mut out = Vec::new();
        self.last_answer.retain(|c, (p, at)| {
            let stale = now.saturating_duration_since(*at) > limit;
            if stale {
                out.push((*c, *p));
            }
            !stale
        });
        out
    }

    pub fn len(&self) -> usize {
        self.last_answer.len()
    }

    pub fn is_empty(&self) -> bool {
        self.last_answer.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn only_a_link_that_cannot_answer_is_dead() {
        assert_eq!(judge(&Ok(Duration::from_millis(3))), (Verdict::Alive, "ok"));
        assert_eq!(
            judge(&Err(ping::Failure::Timeout)),
            (Verdict::Dead, "timeout")
        );
        let other = ping::Failure::Other {
            error: Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionReset)),
        };
        assert_eq!(judge(&Err(other)).0, Verdict::Dead);
        assert_eq!(
            judge(&Err(ping::Failure::Unsupported)),
            (Verdict::Unknown, "unsupported")
        );
    }

    #[test]
    fn a_connection_that_stops_answering_goes_stale_once_and_only_after_its_slack() {
        let c = LivenessConfig::default();
        assert_eq!(c.stale_after(), 16 * S);
        let ms = Duration::from_millis(1);
        let mut w: Watch<u32, char> = Watch::new(&c);
        let t0 = Instant::now();
        w.answered(1, 'a', t0);
        w.answered(2, 'b', t0);
        // 1 answers again 15 s later (a lost answer and a slow one): within the slack.
        w.answered(1, 'a', t0 + 15 * S);
        assert!(w.stale(t0 + 16 * S).is_empty(), "at the limit, not past it");
        assert_eq!(w.stale(t0 + 16 * S + ms), vec![(2, 'b')]);
        assert!(w.stale(t0 + 17 * S).is_empty(), "reported once");
        assert_eq!(w.stale(t0 + 31 * S + ms), vec![(1, 'a')]);
        assert!(w.is_empty());
        w.answered(3, 'c', t0);
        w.forget(&3);
        assert!(w.is_empty());
    }

    #[test]
    fn the_watch_is_bounded() {
        let mut w: Watch<usize, ()> = Watch::new(&LivenessConfig::default());
        let now = Instant::now();
        for c in 0..MAX_WATCHED + 10 {
            w.answered(c, (), now);
        }
        assert_eq!(w.len(), MAX_WATCHED);
        w.answered(0, (), now);
        assert_eq!(w.len(), MAX_WATCHED, "a watched one still updates");
    }

    #[test]
    fn the_defaults_close_a_dead_link_within_20_s() {
        let c = LivenessConfig::default();
        assert!(c.stale_after() <= Duration::from_secs(20));
        assert!(c.timeout >= Duration::from_secs(5), "patient under load");
    }
}
