//! Bookkeeping for the request-response protocols: replies the node awaits
//! ([`pending`]), block sync ([`sync`]), the node-served pull protocols txsync and blocktxn
//! ([`pull`]) and the per-peer request quotas ([`quota`]). No swarm: the event loop sends and
//! answers; these remember who waits for what and decide what to refuse.

pub(crate) mod pending;
pub(crate) mod pull;
pub(crate) mod quota;
pub(crate) mod sync;
