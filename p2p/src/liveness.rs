//! Liveness: a connection that carries nothing back is closed, so a one-way link cannot hold a
//! mesh slot (or a peer slot) forever.
//!
//! TCP alone never notices a path that stopped carrying one direction: the sender's data
//! waits for acknowledgements and is retransmitted for minutes, the receiver just sees
//! silence, and gossipsub keeps both in its mesh (it sends nothing periodic that needs an
//! answer). So each connection runs libp2p's ping (`/ipfs/ping/1.0.0`, 32 bytes echoed):
//! every [`LivenessConfig::interval`] a ping must be answered within
//! [`LivenessConfig::timeout`]. A ping needs both directions, so it fails whichever one is
//! dead. libp2p's handler forgives the first failure in a row and reports the second, so a
//! dead link is closed after about `2 × (interval + timeout)` (20–30 s at the defaults)
//! and a single slow answer under load never closes anything.
//!
//! What the node does with each outcome is [`judge`], a pure function. Closing is the whole
//! remedy: gossipsub drops the peer from its meshes and grafts another, the peer policy
//! backs off redialing it ([`crate::addrbook::AddressBook::on_unresponsive`]) and dials
//! others, and what was sent into the dead direction is recovered by anti-entropy (the
//! mempool digest exchange on every new connection, block sync from peers' status).

use std::time::Duration;

use libp2p::ping;

/// Ping cadence and patience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LivenessConfig {
    /// Between pings on a healthy connection (5 s; libp2p's default is 15 s). Each costs a
    /// Yamux frame and 32 bytes each way (under 100 bytes/s for 16 peers); shorter finds a dead
    /// link sooner.
    pub interval: Duration,
    /// How long an answer may take (10 s; libp2p's is 20 s). Well above any round trip the
    /// testnets see (under 1 s even behind a full emulated WAN queue), so only a link that
    /// carries nothing fails it, and twice in a row.
    pub timeout: Duration,
}

impl Default for LivenessConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(5),
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

/// The verdict on a ping outcome, and its metric label.
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn the_defaults_close_a_dead_link_within_half_a_minute() {
        let c = LivenessConfig::default();
        // Two failures in a row, each up to an interval's wait and a timeout.
        assert!(2 * (c.interval + c.timeout) <= Duration::from_secs(30));
        assert!(c.timeout >= Duration::from_secs(5), "patient under load");
    }
}
