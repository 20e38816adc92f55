//! Read-only views: block building, status, lookups, and the invariant check.

use std::collections::HashSet;
use std::time::Instant;

use rumor_chain::{Address, TxHash, VerifiedTx};

use super::{Pool, SenderContent};
use crate::best;
use crate::evict::TailKey;
use crate::pooled::SubPool;
use crate::sender::SenderTxs;
use crate::status::PoolStatus;

impl Pool {
    /// Pending txs in the order a block should include them: by fee (local first at equal fee,
    /// then oldest), each sender's nonces in sequence. At most `max_count` txs and `max_bytes`
    /// encoded bytes.
    pub fn best_transactions(&self, max_count: usize, max_bytes: usize) -> Vec<VerifiedTx> {
        best::best_transactions(&self.senders, self.pending, max_count, max_bytes)
    }

    /// Gauges, counters and limits, for RPC and metrics.
    pub fn status(&self) -> PoolStatus {
        PoolStatus {
            pending: self.pending,
            queued: self.queued,
            bytes: self.bytes,
            senders: self.senders.len(),
            counters: self.counters,
            limits: self.config,
        }
    }

    /// Up to `max` hashes of pending txs (each sender's pending run in nonce order), for the
    /// anti-entropy digest peers pull. Queued txs are left out: they wait behind a gap, and a
    /// peer that lacks the gap-filler cannot execute them either.
    pub fn pending_hashes(&self, max: usize) -> Vec<TxHash> {
        self.senders
            .values()
            .flat_map(|s| s.txs.values().take(s.pending).map(|t| t.tx.hash()))
            .take(max)
            .collect()
    }

    /// Every pooled tx, pending and queued, in no particular order (a compact block is rebuilt
    /// from them).
    pub fn transactions(&self) -> impl Iterator<Item = &VerifiedTx> + '_ {
        self.senders
            .values()
            .flat_map(|s| s.txs.values().map(|t| &t.tx))
    }

    /// Hashes of txs submitted to this node (origin local) that entered the pool at or after
    /// `since`: the ones its peers are least likely to hold yet, which a compact block sends
    /// whole.
    pub fn local_since(&self, since: Instant) -> HashSet<TxHash> {
        self.senders
            .values()
            .flat_map(|s| s.txs.values())
            .filter(|t| t.origin == crate::pooled::Origin::Local && t.added >= since)
            .map(|t| t.tx.hash())
            .collect()
    }

    pub fn contains(&self, hash: &TxHash) -> bool {
        self.by_hash.contains_key(hash)
    }

    pub fn get(&self, hash: &TxHash) -> Option<&VerifiedTx> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        Some(&self.senders[sender].txs[nonce].tx)
    }

    /// Whether a pooled tx is pending or queued.
    pub fn subpool_of(&self, hash: &TxHash) -> Option<SubPool> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        Some(if self.senders[sender].is_pending(*nonce) {
            SubPool::Pending
        } else {
            SubPool::Queued
        })
    }

    /// Senders with at least one pooled tx.
    pub fn senders(&self) -> impl Iterator<Item = &Address> + '_ {
        self.senders.keys()
    }

    /// A sender's pooled txs, split by sub-pool, in nonce order.
    pub fn content_of(&self, sender: &Address) -> SenderContent {
        let mut out = SenderContent::default();
        if let Some(s) = self.senders.get(sender) {
            for (&nonce, t) in &s.txs {
                let list = if s.is_pending(nonce) {
                    &mut out.pending
                } else {
                    &mut out.queued
                };
                list.push(t.tx.clone());
            }
        }
        out
    }

    /// The nonce a sender's next tx needs to be pending right away (its account nonce plus
    /// its pending txs), or `None` if it has nothing pooled.
    pub fn pending_nonce(&self, sender: &Address) -> Option<u64> {
        self.senders.get(sender).map(SenderTxs::next_nonce)
    }

    /// Checks every internal invariant and bound; for tests and fuzzing (O(n)).
    #[doc(hidden)]
    pub fn check_invariants(&self) -> Result<(), String> {
        let c = &self.config;
        let (mut pending, mut queued, mut bytes, mut txs, mut with_queued) = (0, 0, 0, 0, 0);
        for (addr, s) in &self.senders {
            let who = addr.short();
            if s.txs.is_empty() {
                return Err(format!("{who}: empty sender kept"));
            }
            if s.txs.keys().next() < Some(&s.account.nonce) {
                return Err(format!("{who}: nonce below account nonce"));
            }
            if s.pending != s.run_len(&s.account, c.max_pending_per_sender) {
                return Err(format!("{who}: pending run out of date"));
            }
            if s.queued() > c.max_queued_per_sender {
                return Err(format!("{who}: too many queued"));
            }
            for (&nonce, t) in &s.txs {
                if self.by_hash.get(&t.tx.hash()) != Some(&(*addr, nonce)) {
                    return Err(format!("{who}: hash index wrong at nonce {nonce}"));
                }
                if t.tx.nonce() != nonce || t.tx.sender() != *addr {
                    return Err(format!("{who}: tx filed under the wrong key"));
                }
                bytes += t.tx.encoded_len();
            }
            let (_, tail) = s.txs.last_key_value().expect("non-empty");
            let key = (TailKey::of(*addr, tail), s.queued() > 0);
            if s.indexed != Some(key) || !self.index.contains(&key.0, key.1) {
                return Err(format!("{who}: eviction index out of date"));
            }
            pending += s.pending;
            queued += s.queued();
            txs += s.txs.len();
            with_queued += usize::from(s.queued() > 0);
        }
        let totals = (pending, queued, bytes, txs);
        if totals != (self.pending, self.queued, self.bytes, self.by_hash.len()) {
            return Err(format!("totals {totals:?} disagree with counters"));
        }
        if self.index.len() != self.senders.len() || self.index.queued_len() != with_queued {
            return Err("eviction index has extra entries".into());
        }
        if txs > c.max_txs || bytes > c.max_bytes || queued > c.max_queued_total {
            return Err(format!("bounds exceeded: {totals:?}"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use rumor_chain::{TxHash, VerifiedTx};

    use crate::test_util::{CHAIN_ID, TestState, tx};
    use crate::{InsertOutcome, Origin, Pool, PoolConfig};

    #[test]
    fn pending_hashes_are_bounded_and_leave_queued_txs_out() {
        let mut p = Pool::new(CHAIN_ID, PoolConfig::default());
        let s = TestState::with(&[("a", 1_000_000, 0), ("b", 1_000_000, 0)]);
        let mut ins = |t: &VerifiedTx| p.insert(t.clone(), Origin::External, &s, Instant::now());
        let pending = [tx("a", 0, 5, 1), tx("a", 1, 5, 1), tx("b", 0, 5, 1)];
        for t in &pending {
            assert_eq!(ins(t), Ok(InsertOutcome::Pending));
        }
        assert_eq!(ins(&tx("b", 2, 5, 1)), Ok(InsertOutcome::Queued));
        let mut all = p.pending_hashes(100);
        all.sort();
        let mut want: Vec<TxHash> = pending.iter().map(VerifiedTx::hash).collect();
        want.sort();
        assert_eq!(all, want);
        assert_eq!(p.pending_hashes(2).len(), 2);
        assert!(p.pending_hashes(0).is_empty());
    }
}
