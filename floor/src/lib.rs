//! `rumor-floor`: the bare-gossipsub floor the benchmark measures Rumor against.
//!
//! One floor node is what is left of a Rumor node when everything Rumor adds is taken away:
//! the same libp2p version, transport (TCP from the node's listen address, Noise, Yamux, link
//! emulation), key, mesh degrees and heartbeat ([`rumor_p2p::stack`]), on the same connection
//! graph, carrying messages of a tx's size at the same rate; every other gossipsub option is
//! the library's default (flood publishing on, IDONTWANT only above 1 000 bytes), and there
//! is no validation (gossipsub forwards at once), no scoring, no identify, peer exchange,
//! sync, mempool, chain, RPC or metrics beyond libp2p's bandwidth counters. Its CPU, bytes,
//! memory and time-to-all per message are what the library's default path costs on this graph
//! and machine; Rumor's own gossipsub choices count in Rumor's favour, its validation and the
//! rest against it.
//!
//! The bench drives it through [`rumor_api::floor`]; [`run`] is the whole node, and the binary
//! only wires stdin and stdout to it.

pub mod node;

pub use node::{FloorError, run};
