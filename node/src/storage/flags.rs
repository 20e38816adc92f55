//! The store-failure flags every pipeline shares: [`Fatal`] (the node must stop) and
//! [`Missed`] (the best head not imported while the chain store was degraded).
//!
//! Invariant: a leaf file: the flags know nothing of the node that raises or reads them.

use std::sync::Mutex;

use rumor_p2p::{PeerId, Status};
use tokio::sync::watch;

/// Set once when the node must stop (a store it cannot recover); `run` waits for it next to
/// its shutdown signal, stops in order, and returns [`crate::NodeError::StoreFailed`].
#[derive(Debug)]
pub struct Fatal(watch::Sender<Option<String>>);

impl Default for Fatal {
    fn default() -> Self {
        Self(watch::channel(None).0)
    }
}

impl Fatal {
    /// Asks the node to stop for `reason` (the first reason wins).
    pub fn raise(&self, reason: String) {
        self.0.send_if_modified(|r| {
            if r.is_some() {
                return false;
            }
            *r = Some(reason);
            true
        });
    }

    /// The reason, once raised.
    pub fn get(&self) -> Option<String> {
        self.0.borrow().clone()
    }

    /// Waits until raised; returns the reason.
    pub async fn wait(&self) -> String {
        let mut rx = self.0.subscribe();
        let raised = rx
            .wait_for(Option::is_some)
            .await
            .map(|r| r.clone().unwrap_or_default());
        match raised {
            Ok(reason) => reason,
            // The sender lives in `Ctx`, as long as any waiter.
            Err(_) => std::future::pending().await,
        }
    }
}

/// The best head this node failed to import while its chain store was degraded, and who sent
/// it: caught up from right after the store reopens.
#[derive(Debug, Default)]
pub struct Missed(Mutex<Option<(PeerId, Status)>>);

impl Missed {
    /// Remembers `claim` from `peer` if it is higher than the one held.
    pub fn note(&self, peer: PeerId, claim: Status) {
        let mut held = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if held
            .as_ref()
            .is_none_or(|(_, c)| claim.head_height > c.head_height)
        {
            *held = Some((peer, claim));
        }
    }

    pub fn take(&self) -> Option<(PeerId, Status)> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::peer;

    #[tokio::test]
    async fn fatal_is_raised_once_and_waiters_see_the_first_reason() {
        let fatal = Fatal::default();
        assert_eq!(fatal.get(), None);
        let wait = fatal.wait();
        fatal.raise("first".into());
        fatal.raise("second".into());
        assert_eq!(wait.await, "first");
        assert_eq!(fatal.get().as_deref(), Some("first"));
    }

    #[test]
    fn the_highest_missed_head_is_kept() {
        let missed = Missed::default();
        let status = |h| Status {
            genesis: rumor_chain::Hash256([0; 32]),
            head_height: h,
            head_hash: rumor_chain::BlockHash([h as u8; 32]),
        };
        missed.note(peer(1), status(5));
        missed.note(peer(2), status(4));
        missed.note(peer(3), status(7));
        assert_eq!(missed.take(), Some((peer(3), status(7))));
        assert_eq!(missed.take(), None);
    }
}
