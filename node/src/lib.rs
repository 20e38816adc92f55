//! The Rumor node. So far: key and genesis setup (the starting point of every testnet). The
//! node itself (`rumor node`: validation pipeline, block production, JSON-RPC, metrics) is
//! issue #5 and is not built yet.

pub mod setup;
