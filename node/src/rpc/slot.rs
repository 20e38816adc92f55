//! One admitted RPC connection ([`Slot`]): made by the accept loop, carried in every request's
//! extensions, read by the rate limit (to pause reading from the connection).
//!
//! Invariant: a connection's place in the table is released exactly once, when the last copy
//! of its slot drops (the connection, and a WebSocket's subscriptions, have ended).

use std::sync::{Arc, Mutex};

use super::clients::{Client, ConnectionTable};
use super::slow::ReadPause;
use crate::metrics::NodeMetrics;

/// One admitted connection; releases its place in the table when the last copy drops.
#[derive(Debug)]
pub struct Slot {
    pub(super) table: Arc<Mutex<ConnectionTable>>,
    pub(super) client: Client,
    pub(super) metrics: Arc<NodeMetrics>,
    /// Set by the rate limit to stop reading from this connection for a while.
    pub pause: Arc<ReadPause>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut t = self.table.lock().unwrap_or_else(|p| p.into_inner());
        t.release(self.client);
        self.metrics.rpc_connections.set(i64::from(t.open()));
    }
}
