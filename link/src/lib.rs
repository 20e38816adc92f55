//! Link emulation for testnets: makes connections between nodes on one machine behave like a
//! WAN. Off by default; meant for testnets only.
//!
//! # Model
//!
//! Each node is placed in a region, and each connection gets the one-way latency between the
//! two nodes' regions from a [`RegionMatrix`] (bundled: the figures of the libp2p test-plans
//! network model). The kernel here has no `netem`, so this lives in user space: [`Delayed`]
//! wraps the TCP stream below the libp2p security upgrade and holds every chunk of bytes back
//! until its release instant, computed by a [`DelaySchedule`]:
//!
//! - **latency**: every chunk is delayed by the one-way latency;
//! - **jitter** (optional): plus a delay uniform in `[0, jitter]`, drawn from a PRNG seeded per
//!   link and direction;
//! - **bandwidth** (optional): the link is a serialising queue; a chunk starts once the link
//!   has finished the previous one and occupies it for `len / bandwidth`.
//!
//! Release times never decrease, so bytes keep their order.
//!
//! Emulation runs on the **dialer side only**, on both directions: only the dialer knows the
//! remote's peer id before the handshake, and this way every connection is delayed exactly
//! once. The dialer holds its writes back by the A→B latency and its reads by the B→A one; the
//! listener's stream is a pass-through. Seen from either end, the round trip is the sum of the
//! two one-way delays, as on a real path.
//!
//! # Limits
//!
//! - No loss, no corruption: TCP semantics are kept: ordered and reliable delivery, EOF and
//!   errors (both delayed like data), and back-pressure (at most [`MAX_IN_FLIGHT`] bytes per
//!   direction are held by the emulation; beyond that writes return `Pending` and the reader
//!   stops reading the socket).
//! - Kernel-level TCP behaviour is not modelled: no slow start, congestion control or
//!   retransmission timing. The cap on bytes in flight limits one connection's throughput to
//!   about `MAX_IN_FLIGHT / latency`, much like a fixed TCP window.
//! - The bandwidth cap is per connection and per direction, not per node: a node with many
//!   connections can send more in total than one link's cap.
//! - Timing comes from Tokio timers (about 1 ms resolution, never early) and real loopback
//!   I/O; CPU contention on the host adds to the delays, never subtracts from them.
//! - A connection whose remote peer is not in the config is not delayed at all.
//!
//! # Link faults
//!
//! On top of the delay model, a node's links can be made to fail while it runs ([`fault`]:
//! the pure rules; [`LinkFaults`]: the registry a controller sets them in, which the node's
//! `fault_setLinkFault` / `fault_clearLinkFaults` RPC drives). Faults act on each node's own
//! side of a link, per direction (**out**: bytes it sends; **in**: bytes it receives), on
//! every connection to the peer, existing or future; with fault control on, every connection
//! is wrapped (dialed or accepted, with or without a region matrix), and one with no fault
//! set pays two atomic loads per read or write.
//!
//! What a TCP byte stream can and cannot model, and so what each fault means here:
//!
//! - **Stall** (one-way cut): a direction that carries nothing. Bytes cannot be dropped from
//!   the middle of a stream without corrupting the Noise and Yamux framing above it, and a
//!   real TCP connection does not drop them either: across a dead path it retransmits, and
//!   delivers everything, in order, once the path heals (or resets after minutes). So a
//!   stalled direction *holds* its bytes: writes stop entering the socket (or, emulated, the
//!   queue stops draining into it), reads stop taking bytes from it, and back-pressure fills
//!   the sender's buffers exactly as unacknowledged data does. When the stall ends, the held
//!   bytes flow in order. The connection and its mesh slot survive unless a liveness check
//!   above gives up on it (the node's ping does) — which is the point of modelling it.
//! - **Flap**: a stall that recurs: down for `down` at the start of every `period`.
//! - **Loss**: packet loss is invisible above TCP except as delay: a lost segment is
//!   retransmitted after a timeout, and every byte behind it waits (head-of-line blocking).
//!   So a lost chunk (a write, or a read's worth of arriving bytes) is held for one
//!   retransmission timeout (200 ms, plus two one-way latencies on an emulated link), doubled
//!   on each further loss of the same chunk ([`fault::loss_penalty`]). Which exact bytes a
//!   real network would lose, and TCP's congestion response to loss (a smaller window, so
//!   less throughput), are not modelled.
//! - **Reset**: a path that breaks hard (middlebox state lost, a host rebooted): the
//!   connections fail with `ConnectionReset` at once, and, while the fault lasts, so do new
//!   ones as soon as they are known to be to that peer.
//! - Not modelled: corruption (TCP's checksum and Noise's MAC make it a reset at most), a
//!   half-open connection whose far end has gone (that is a stall with no end), and faults
//!   during a listening side's handshake (the peer is unknown until it ends; the dialing
//!   side's faults hold a handshake from its first byte).

mod control;
mod error;
pub mod fault;
mod pipe;
mod regions;
mod rng;
mod schedule;
mod stream;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use control::{ConnGate, LinkFaults, MAX_FAULTED_PEERS, MAX_PENDING, RTO_MIN};
pub use error::LinkError;
pub use fault::{Direction, FaultError, FaultKind, LinkFault};
pub use regions::{Region, RegionMatrix};
pub use rng::SplitMix64;
pub use schedule::{DelaySchedule, LinkParams};
pub use stream::{Delayed, MAX_IN_FLIGHT};

/// The link emulation file, as written by the testnet harness for each node.
///
/// ```json
/// { "my_region": "europe",
///   "peer_regions": { "12D3KooW...": "na_east" },
///   "jitter_ms": 0,
///   "bandwidth_bytes_per_sec": null }
/// ```
///
/// An optional `"matrix"` (in the `regions.json` format) replaces the bundled matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    pub my_region: String,
    /// Remote peer id (as `PeerId::to_string()` prints it) to its region.
    #[serde(default)]
    pub peer_regions: BTreeMap<String, String>,
    #[serde(default)]
    pub jitter_ms: u64,
    #[serde(default)]
    pub bandwidth_bytes_per_sec: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix: Option<RegionMatrix>,
}

/// What the transport consults when dialing: this node's region and everyone else's.
#[derive(Debug, Clone)]
pub struct LinkEmulation {
    pub matrix: RegionMatrix,
    pub my_region: String,
    /// Remote peer id string to region.
    pub peer_regions: HashMap<String, String>,
    pub jitter: Duration,
    pub bandwidth: Option<u64>,
}

impl LinkEmulation {
    /// Reads a [`LinkConfig`] file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, LinkError> {
        let path = path.as_ref();
        let json = std::fs::read_to_string(path).map_err(|source| LinkError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&json)
    }

    pub fn from_json(json: &str) -> Result<Self, LinkError> {
        Self::from_config(serde_json::from_str(json)?)
    }

    /// Checks that every region named exists, so a typo fails at start-up rather than
    /// silently leaving some links undelayed.
    pub fn from_config(config: LinkConfig) -> Result<Self, LinkError> {
        let matrix = config.matrix.unwrap_or_else(RegionMatrix::builtin);
        let mut regions = std::iter::once(&config.my_region).chain(config.peer_regions.values());
        if let Some(unknown) = regions.find(|r| !matrix.contains(r)) {
            return Err(LinkError::UnknownRegion(unknown.clone()));
        }
        Ok(Self {
            matrix,
            my_region: config.my_region,
            peer_regions: config.peer_regions.into_iter().collect(),
            jitter: Duration::from_millis(config.jitter_ms),
            bandwidth: config.bandwidth_bytes_per_sec,
        })
    }

    /// Parameters for a link to `remote_peer`. An unknown peer (or region) gets zero
    /// parameters, i.e. no emulation at all, jitter and bandwidth included: a testnet's config
    /// lists all its nodes, so an unknown peer is not part of the emulated network.
    pub fn params_for(&self, remote_peer: &str) -> LinkParams {
        let latency = self
            .peer_regions
            .get(remote_peer)
            .and_then(|theirs| self.matrix.latency(&self.my_region, theirs));
        match latency {
            Some(latency) => LinkParams {
                latency,
                jitter: self.jitter,
                bandwidth_bytes_per_sec: self.bandwidth,
            },
            None => LinkParams::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"{
        "my_region": "europe",
        "peer_regions": { "peer-a": "na_east", "peer-b": "europe" },
        "jitter_ms": 3,
        "bandwidth_bytes_per_sec": 6250000
    }"#;

    #[test]
    fn params_follow_the_matrix() {
        let emu = LinkEmulation::from_json(CONFIG).unwrap();
        let a = emu.params_for("peer-a");
        assert_eq!(a.latency, Duration::from_millis(70));
        assert_eq!(a.jitter, Duration::from_millis(3));
        assert_eq!(a.bandwidth_bytes_per_sec, Some(6_250_000));
        assert_eq!(emu.params_for("peer-b").latency, Duration::from_millis(2));
        assert!(emu.params_for("stranger").is_zero());
    }

    #[test]
    fn config_errors_are_reported() {
        let typo = CONFIG.replace("na_east", "na-east");
        assert!(matches!(
            LinkEmulation::from_json(&typo),
            Err(LinkError::UnknownRegion(r)) if r == "na-east"
        ));
        let extra = CONFIG.replace("\"jitter_ms\"", "\"jiter_ms\"");
        assert!(matches!(
            LinkEmulation::from_json(&extra),
            Err(LinkError::Json(_))
        ));
        assert!(matches!(
            LinkEmulation::load("/nonexistent/link.json"),
            Err(LinkError::Io { .. })
        ));
    }

    #[test]
    fn matrix_override_and_file_round_trip() {
        let config = LinkConfig {
            my_region: "x".into(),
            peer_regions: [("p".to_string(), "y".to_string())].into(),
            jitter_ms: 0,
            bandwidth_bytes_per_sec: None,
            matrix: Some(
                RegionMatrix::from_json(
                    r#"{"regions":[{"name":"x","weight":1},{"name":"y","weight":1}],
                        "latency_ms":{"x":{"x":1,"y":33}, "y":{"y":1}}}"#,
                )
                .unwrap(),
            ),
        };
        let path = std::env::temp_dir().join(format!("link-emu-{}.json", std::process::id()));
        std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
        let loaded = LinkEmulation::load(&path);
        let _ = std::fs::remove_file(&path);
        let emu = loaded.unwrap();
        assert_eq!(emu.params_for("p").latency, Duration::from_millis(33));
    }
}
