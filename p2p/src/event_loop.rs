//! The event loop: the one task that owns the `Swarm`. It only selects and dispatches: peer
//! policy ([`PeerPolicy`]), sync bookkeeping ([`SyncRequests`]) and gossip handling
//! ([`GossipHandler`]) are plain structures it calls, and it carries out what they decide on
//! the swarm. It never blocks: node-bound events use `try_send` on a bounded channel (a full
//! channel drops the message with `Ignore` and counts it), and inbound sync requests wait on
//! the node in a bounded set of futures.
//!
//! One file per concern: [`state`] (what the loop owns, shared helpers), [`run`] (the task and
//! its dispatch), [`sync`] and [`served`] (the request-response protocols; txsync and blocktxn
//! share one generic handler),
//! [`peering`] (peer exchange and the maintenance tick), [`links`] (link health and faults).

mod gauges;
mod links;
mod peering;
mod run;
mod served;
mod state;
mod sync;

pub use state::EventLoop;
