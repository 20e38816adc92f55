//! What the `rumor` binary does besides running a node: key and genesis set-up ([`setup`]),
//! the wallet commands ([`wallet`]), the container health probe ([`health`]) and the log
//! set-up ([`logging`]).
//!
//! Invariant: none of these touches a running node's state: they read and write files, or talk
//! to a node through its JSON-RPC like any client.

pub mod health;
pub mod logging;
pub mod setup;
pub mod wallet;
