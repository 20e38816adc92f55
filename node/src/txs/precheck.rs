//! Cheap stateful checks on gossiped txs before any signature work: the pool's
//! [`rumor_mempool::Pool::precheck`] (chain id, fee floor, duplicate, nonce window, balance)
//! against the head state. A tx that fails is judged at once, so a flood of validly signed txs
//! from keys that hold nothing costs a map lookup each, not a `verify_strict`.
//!
//! # Blame
//!
//! Chain id and cost overflow are invalid everywhere: `Reject` (gossipsub penalises the
//! sender). Balance and nonce-window refusals depend on state, so they are `Ignore`d: an honest
//! relayer may have seen a funding tx we have not. But an honest relayer forwards only txs
//! that passed the same checks against nearly the same state, so while our head is current
//! (within [`IN_SYNC_SLOTS`] of the clock) a peer that keeps sending unpayable txs is an
//! offender: every [`UNPAYABLE_PER_OFFENCE`] such txs within [`UNPAYABLE_WINDOW`] cost it one
//! offence ([`Offence::UnpayableTxs`]); three ban it.
//!
//! # Bounds
//!
//! The tally remembers at most [`MAX_TALLIED`] peers, least recently seen dropped first (peer
//! ids cost nothing to mint).

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lru::LruCache;
use rumor_chain::SignedTransaction;
use rumor_mempool::InsertError;
use rumor_p2p::{MessageId, Offence, PeerId, Validation};

use crate::context::Ctx;

/// Our head counts as current within this many slots of the clock.
pub const IN_SYNC_SLOTS: u64 = 4;
/// Unpayable txs from one peer within [`UNPAYABLE_WINDOW`] that make one offence. Measured
/// reason: the honest loopback and WAN runs (0 lost, 100% delivery) Ignore no payable tx, so
/// any count is from state lag; 64 within 10 s is far above what a lag of a block or two
/// produces, and an unfunded-key flood at 200 tx/s reaches it in a third of a second.
pub const UNPAYABLE_PER_OFFENCE: u32 = 64;
pub const UNPAYABLE_WINDOW: Duration = Duration::from_secs(10);
/// Peers tallied at once.
pub const MAX_TALLIED: usize = 1024;

/// A gossiped tx waiting for its verdict.
#[derive(Debug)]
pub struct GossipTx {
    pub id: MessageId,
    pub from: PeerId,
    pub tx: SignedTransaction,
    pub received_at_us: u64,
    pub received: Instant,
}

/// Unpayable txs per peer in the current window (owned by the gossip-tx path, `events.rs`).
#[derive(Debug)]
pub struct Tally(Mutex<LruCache<PeerId, (u32, Instant)>>);

impl Default for Tally {
    fn default() -> Self {
        Self(Mutex::new(LruCache::new(
            NonZeroUsize::new(MAX_TALLIED).expect("non-zero"),
        )))
    }
}

impl Tally {
    /// Counts `n` unpayable txs from `peer`; the number of offences they complete.
    pub fn record(&self, peer: PeerId, n: u32, now: Instant) -> u32 {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.get_or_insert_mut(peer, || (0, now));
        if now.saturating_duration_since(entry.1) > UNPAYABLE_WINDOW {
            *entry = (0, now);
        }
        let before = entry.0 / UNPAYABLE_PER_OFFENCE;
        entry.0 = entry.0.saturating_add(n);
        entry.0 / UNPAYABLE_PER_OFFENCE - before
    }
}

/// Whether a refusal is one a sender in sync with us could have seen coming.
fn unpayable(e: &InsertError) -> bool {
    matches!(
        e,
        InsertError::InsufficientBalance { .. } | InsertError::SenderSlotsFull { .. }
    )
}

/// One entry per tx of `batch`: its verdict when the checks decided it, `None` when it goes
/// on to verification. Counts and penalises as described in the module header. A tx already
/// in our pool is `Accept`ed (it was verified when it came in; forwarding it is harmless).
/// When the ledger's locks are busy nothing is decided here (the pool checks again on insert).
pub async fn precheck(ctx: &Ctx, tally: &Tally, batch: &[GossipTx]) -> Vec<Option<Validation>> {
    let txs: Vec<_> = batch
        .iter()
        .map(|g| (g.tx.tx.clone(), g.tx.hash()))
        .collect();
    let Some(results) = ctx.ledger.try_precheck(&txs) else {
        return vec![None; batch.len()];
    };
    let in_sync = ctx.ledger.head().slot + IN_SYNC_SLOTS >= ctx.genesis.slot_at(ctx.clock.now_ms());
    let mut per_peer: Vec<(PeerId, u32)> = Vec::new();
    let verdicts = batch
        .iter()
        .zip(results)
        .map(|(g, r)| {
            let e = match r {
                Ok(()) => return None,
                Err(InsertError::AlreadyKnown) => return Some(Validation::Accept),
                Err(e) => e,
            };
            ctx.metrics
                .prechecked
                .get_or_create(&vec![("reason", e.reason().as_str())])
                .inc();
            if unpayable(&e) && in_sync {
                match per_peer.iter_mut().find(|(p, _)| *p == g.from) {
                    Some((_, n)) => *n += 1,
                    None => per_peer.push((g.from, 1)),
                }
            }
            Some(if e.is_bad_transaction() {
                Validation::Reject
            } else {
                Validation::Ignore
            })
        })
        .collect();
    let now = Instant::now();
    for (peer, n) in per_peer {
        for _ in 0..tally.record(peer, n, now) {
            tracing::info!(%peer, "peer keeps relaying txs that cannot pay");
            let _ = ctx.net.penalise(peer, Offence::UnpayableTxs).await;
        }
    }
    verdicts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tally_counts_offences_per_window() {
        let t = Tally::default();
        let (p, now) = (PeerId::random(), Instant::now());
        assert_eq!(t.record(p, UNPAYABLE_PER_OFFENCE - 1, now), 0);
        assert_eq!(t.record(p, 1, now), 1);
        assert_eq!(t.record(p, 2 * UNPAYABLE_PER_OFFENCE, now), 2);
        // A new window starts from zero.
        let later = now + UNPAYABLE_WINDOW + Duration::from_millis(1);
        assert_eq!(t.record(p, UNPAYABLE_PER_OFFENCE - 1, later), 0);
        assert_eq!(t.record(PeerId::random(), 1, now), 0);
    }
}

#[cfg(test)]
mod node_tests {
    use rumor_chain::{Keypair, Transaction};

    use std::sync::Arc;

    use super::*;
    use crate::testing::now_us;
    use crate::testing::{TestNet, peer};
    use crate::txs::ingest::validate_gossip_batch;

    #[tokio::test]
    async fn unfunded_txs_cost_no_signature_check_and_a_flooder_is_penalised() {
        // A genesis one slot ago: the node's head is current, so refusals are blamed.
        let net = TestNet::with_slot_ms(1, 2, 1000, 1);
        // No verification threads: a tx that reached verification would be shed and counted.
        let node = net.node_with("a", Keypair::from_label("test/node-a"), |c| {
            c.verify_threads = 0
        });
        let batch: Vec<GossipTx> = (0..UNPAYABLE_PER_OFFENCE as u64)
            .map(|i| {
                let key = Keypair::from_label(&format!("nobody-{i}"));
                let tx = Transaction {
                    chain_id: net.genesis.chain_id,
                    from: key.address(),
                    to: key.address(),
                    amount: 1,
                    fee: 1,
                    nonce: 0,
                }
                .sign(&key);
                GossipTx {
                    id: tx.hash().0,
                    from: peer(5),
                    tx,
                    received_at_us: now_us(),
                    received: Instant::now(),
                }
            })
            .collect();
        validate_gossip_batch(node.ctx.clone(), Arc::default(), batch).await;
        let verdicts: Vec<Validation> = node
            .net
            .calls(|c| c.reports.iter().map(|(.., v)| *v).collect());
        assert_eq!(verdicts.len(), UNPAYABLE_PER_OFFENCE as usize);
        assert!(verdicts.iter().all(|v| *v == Validation::Ignore));
        let prechecked = node
            .ctx
            .metrics
            .prechecked
            .get_or_create(&vec![("reason", "insufficient_balance")])
            .get();
        assert_eq!(
            prechecked, UNPAYABLE_PER_OFFENCE as u64,
            "judged before verification"
        );
        assert_eq!(
            node.net.calls(|c| c.penalties.clone()),
            vec![(peer(5), Offence::UnpayableTxs)]
        );
    }
}
