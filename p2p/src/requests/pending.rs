//! Our outbound request-response requests awaiting an answer, shared by `/rumor/sync/1` and
//! `/rumor/txsync/1`: one reply channel per request id.
//!
//! Invariant: every request put here is answered on its reply channel exactly once — with the
//! decoded answer, with "garbage answer" when it does not decode (the sender misbehaved), or with
//! the failure libp2p reported. The caller bounds how many are in flight (`len`).

use std::collections::HashMap;
use std::fmt::Display;
use std::hash::Hash;

use tokio::sync::oneshot;

use crate::handle::NetworkError;

/// Where a request's answer went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Handed to the node.
    Delivered,
    /// Undecodable or over the bounds: the sender misbehaved.
    Garbage,
    /// Not a request we are waiting for.
    Unknown,
}

pub(crate) type Reply<T> = oneshot::Sender<Result<T, NetworkError>>;

pub(crate) struct PendingReplies<Id, T> {
    replies: HashMap<Id, Reply<T>>,
}

impl<Id, T> PendingReplies<Id, T> {
    pub fn new() -> Self {
        Self {
            replies: HashMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.replies.len()
    }
}

impl<Id: Eq + Hash, T> PendingReplies<Id, T> {
    pub fn insert(&mut self, id: Id, reply: Reply<T>) {
        self.replies.insert(id, reply);
    }

    /// Answers request `id` with `decode()` (run only if `id` is ours).
    pub fn deliver<E: Display>(
        &mut self,
        id: &Id,
        decode: impl FnOnce() -> Result<T, E>,
    ) -> Delivery {
        let Some(reply) = self.replies.remove(id) else {
            return Delivery::Unknown;
        };
        match decode() {
            Ok(r) => {
                let _ = reply.send(Ok(r));
                Delivery::Delivered
            }
            Err(e) => {
                let _ = reply.send(Err(NetworkError::Sync(format!("garbage answer: {e}"))));
                Delivery::Garbage
            }
        }
    }

    /// Request `id` failed (timeout, connection closed, …).
    pub fn fail(&mut self, id: &Id, error: String) {
        if let Some(reply) = self.replies.remove(id) {
            let _ = reply.send(Err(NetworkError::Sync(error)));
        }
    }
}
