//! A hostile peer built on Rumor's own stack (the same transport, gossipsub wiring and request
//! codecs as a node), for `rumor-testnet attack`. Each [`Scenario`] is one way a single bad
//! peer tries to stall, split or exhaust honest nodes; [`run`] carries one out against a live
//! testnet until told to stop and reports what it managed to send.
//!
//! The attacker only ever dials the addresses it is given (a testnet's loopback nodes) and
//! listens on, and dials from, one loopback address of its own (`127.254.0.1`).

mod craft;
mod drive;
mod error;
mod peer;
mod scenario;
mod sybil;

pub use drive::{AttackConfig, AttackStats, REPLAY_BATCH, peer_id, run};
pub use error::AttackError;
pub use peer::HOST;
pub use rumor_p2p::wire::thresholds;
pub use scenario::Scenario;
pub use sybil::SYBILS;
