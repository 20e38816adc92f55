//! The attacks, by name: what the hostile peer does in each and which defence should stop it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Well-formed txs whose signature does not match their sender.
    InvalidSigFlood,
    /// Random bytes on both gossip topics.
    GarbageFlood,
    /// Tx-topic messages far over the tx size cap (but under gossipsub's frame limit).
    Oversized,
    /// Real, validly signed blocks from long ago, fetched by sync and published again.
    OldBlockReplay,
    /// Status requests as fast as the stream limits allow.
    StatusSpam,
    /// Claims a chain far ahead, then answers every sync request with garbage or bad blocks.
    BadSyncAnswers,
    /// Answers peer exchange with records that re-point honest peers' ids at dead addresses,
    /// plus a flood of made-up peers.
    PxPoison,
    /// Validly signed txs from keys that hold nothing.
    UnfundedTxFlood,
    /// Many identities from one host ([`crate::SYBILS`]), each dialing every node, joining
    /// its meshes as a sink and answering peer exchange with its siblings.
    Eclipse,
    /// With a stolen authority key (its honest node still produces), two different blocks
    /// for each of that authority's slots, published the moment the slot starts.
    Equivocation,
}

impl Scenario {
    pub const ALL: [Scenario; 10] = [
        Scenario::InvalidSigFlood,
        Scenario::GarbageFlood,
        Scenario::Oversized,
        Scenario::OldBlockReplay,
        Scenario::StatusSpam,
        Scenario::BadSyncAnswers,
        Scenario::PxPoison,
        Scenario::UnfundedTxFlood,
        Scenario::Eclipse,
        Scenario::Equivocation,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::InvalidSigFlood => "invalid-sig-flood",
            Scenario::GarbageFlood => "garbage-flood",
            Scenario::Oversized => "oversized",
            Scenario::OldBlockReplay => "old-block-replay",
            Scenario::StatusSpam => "status-spam",
            Scenario::BadSyncAnswers => "bad-sync-answers",
            Scenario::PxPoison => "px-poison",
            Scenario::UnfundedTxFlood => "unfunded-tx-flood",
            Scenario::Eclipse => "eclipse",
            Scenario::Equivocation => "equivocation",
        }
    }

    /// The defence expected to stop it (for the report).
    pub fn defence(self) -> &'static str {
        match self {
            Scenario::InvalidSigFlood => {
                "signature check rejects; gossipsub P4 graylists the sender"
            }
            Scenario::GarbageFlood => "decode failure rejected at the edge; P4 graylists",
            Scenario::Oversized => "gossipsub's per-topic size cap rejects before decoding; P4",
            Scenario::OldBlockReplay => {
                "slot older than the replay window rejected before any lookup; P4"
            }
            Scenario::StatusSpam => {
                "per-peer Status quota; refusals past it are offences, then a ban"
            }
            Scenario::BadSyncAnswers => {
                "sync answers checked; each bad one is an offence, three ban the peer"
            }
            Scenario::PxPoison => {
                "the address book never takes a known peer's address from a third party, \
                 and keeps third-party records in bounded buckets"
            }
            Scenario::UnfundedTxFlood => {
                "balance and nonce pre-checked before the signature; repeat senders penalised"
            }
            Scenario::Eclipse => {
                "per-IP and per-subnet inbound caps, reserved outbound slots never pruned, \
                 dials spread over subnets, IP-colocation scoring"
            }
            Scenario::Equivocation => {
                "the second block for a slot is not forwarded; every node keeps the proof \
                 (chain_getEquivocations); a peer that delivers both is penalised"
            }
        }
    }

    /// The shortest run that lets the attack happen at all: a replay needs blocks older than
    /// the nodes' duplicate cache (60 s) to exist.
    pub fn min_duration(self) -> Option<std::time::Duration> {
        match self {
            Scenario::OldBlockReplay => Some(std::time::Duration::from_secs(90)),
            _ => None,
        }
    }

    /// Whether the attacker can be told from an honest peer by what it sends, so a penalty
    /// (graylist or ban) is expected. PX records cannot be proven false by their receiver;
    /// the defence there is what the book does with them. Eclipse identities send nothing
    /// wrong; the defence is how few of them get in (`AttackStats::max_held_at_one_node`).
    pub fn expects_penalty(self) -> bool {
        !matches!(self, Scenario::PxPoison | Scenario::Eclipse)
    }

    /// Every scenario (`all`) or one by name.
    pub fn parse_list(s: &str) -> Result<Vec<Scenario>, String> {
        if s == "all" {
            return Ok(Self::ALL.to_vec());
        }
        s.split(',').map(|p| p.trim().parse()).collect()
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|k| k.name()).collect();
                format!("unknown scenario {s:?}; one of: all, {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_all_expands() {
        for s in Scenario::ALL {
            assert_eq!(s.name().parse::<Scenario>(), Ok(s));
        }
        assert_eq!(
            Scenario::parse_list("all").unwrap().len(),
            Scenario::ALL.len()
        );
        assert_eq!(
            Scenario::parse_list("status-spam,oversized").unwrap(),
            vec![Scenario::StatusSpam, Scenario::Oversized]
        );
        assert!(Scenario::parse_list("nope").unwrap_err().contains("one of"));
    }
}
