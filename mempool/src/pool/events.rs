//! Chain events: a new head (blocks in, reorged blocks out) and the expiry tick.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use rumor_chain::{AccountReader, Address, TxHash, VerifiedTx};

use super::{BlockUpdate, Pool, Run};
use crate::pooled::Origin;

impl Pool {
    /// Brings the pool to a new head. `included` are the txs that became canonical,
    /// `left_canonical` those that stopped being canonical in a reorg, and `state` the new
    /// head's accounts. Drops included and stale txs, re-checks every sender's nonce and
    /// balance (promoting or demoting), then takes back the reorged-out txs that are still
    /// valid, as external txs under the normal admission rules.
    pub fn on_block_imported<S: AccountReader + ?Sized>(
        &mut self,
        included: &[VerifiedTx],
        left_canonical: Vec<VerifiedTx>,
        state: &S,
        now: Instant,
    ) -> BlockUpdate {
        let start = self.counters;
        let mut mined: HashMap<Address, Vec<u64>> = HashMap::new();
        for tx in included {
            if let Some(&(sender, nonce)) = self.by_hash.get(&tx.hash()) {
                mined.entry(sender).or_default().push(nonce);
            }
        }
        let senders: Vec<Address> = self.senders.keys().copied().collect();
        for sender in senders {
            let account = state.account(&sender);
            let nonces = mined.get(&sender);
            if nonces.is_none() && self.senders[&sender].account == account {
                continue;
            }
            let mut s = self.detach(&sender).expect("listed sender");
            let before = Run::of(&s);
            for n in nonces.into_iter().flatten() {
                if let Some(t) = s.txs.remove(n) {
                    self.forget(&t);
                    self.counters.included += 1;
                }
            }
            let stale = s.set_account(account);
            self.counters.stale += stale.len() as u64;
            stale.iter().for_each(|t| self.forget(t));
            self.attach(sender, s, before, None);
        }
        self.enforce_queued_total();
        self.reinject(included, left_canonical, state, now);
        let end = self.counters;
        BlockUpdate {
            included: end.included - start.included,
            stale: end.stale - start.stale,
            promoted: end.promoted - start.promoted,
            evicted: end.evicted - start.evicted,
            reinjected: end.reinjected - start.reinjected,
        }
    }

    fn reinject<S: AccountReader + ?Sized>(
        &mut self,
        included: &[VerifiedTx],
        mut left: Vec<VerifiedTx>,
        state: &S,
        now: Instant,
    ) {
        if left.is_empty() {
            return;
        }
        let canonical: HashSet<TxHash> = included.iter().map(VerifiedTx::hash).collect();
        // Nonce order per sender, so each lands pending rather than queued behind a gap.
        left.sort_by_key(|t| (t.sender(), t.nonce()));
        for tx in left {
            if canonical.contains(&tx.hash()) {
                continue;
            }
            // A reinjected tx that no longer fits is simply gone, as in any node that never
            // saw it: not a rejection worth counting.
            if self.try_insert(tx, Origin::External, state, now).is_ok() {
                self.counters.reinjected += 1;
            }
        }
    }

    /// Drops txs older than the configured lifetime; returns how many. Call on a timer (it
    /// scans the whole pool, ~10 µs per 1 000 txs, which a tick can afford and an insert
    /// could not). A sender's txs above an expired one wait as queued until the gap refills.
    pub fn maintain(&mut self, now: Instant) -> usize {
        let lifetime = self.config.lifetime;
        let mut expired: Vec<(Address, u64)> = Vec::new();
        for (sender, s) in &self.senders {
            for (&nonce, t) in &s.txs {
                if now.saturating_duration_since(t.added) > lifetime {
                    expired.push((*sender, nonce));
                }
            }
        }
        for group in expired.chunk_by(|a, b| a.0 == b.0) {
            let sender = group[0].0;
            let Some(mut s) = self.detach(&sender) else {
                continue;
            };
            let before = Run::of(&s);
            for (_, nonce) in group {
                if let Some(t) = s.txs.remove(nonce) {
                    self.forget(&t);
                    self.counters.expired += 1;
                }
            }
            self.attach(sender, s, before, None);
        }
        self.enforce_queued_total();
        expired.len()
    }
}
