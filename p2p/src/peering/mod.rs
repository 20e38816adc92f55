//! Who we are connected to and why: the address book, the peer policy (targets, dials,
//! prunes, penalties, bans), the per-source caps on inbound connections and the liveness
//! watch. Plain structures the event loop consults; none of them touches the swarm.

pub(crate) mod addrbook;
pub mod inbound;
pub mod liveness;
pub(crate) mod peers;
