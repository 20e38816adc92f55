//! One sender's txs, ordered by nonce, and which of them are executable.

use std::collections::BTreeMap;

use rumor_chain::Account;

use crate::evict::TailKey;
use crate::pooled::PooledTx;

/// A sender's pooled txs. Invariant: every nonce is `>= account.nonce`, and the first
/// `pending` of them (from `account.nonce`, with no gap) are the pending run; the rest are
/// queued. So a sender's queued txs always sit above its pending ones, and removing the
/// highest nonce (the tail) never strands another tx.
#[derive(Debug, Clone)]
pub(crate) struct SenderTxs {
    /// The chain state this sender's statuses were computed against.
    pub account: Account,
    pub txs: BTreeMap<u64, PooledTx>,
    pub pending: usize,
    /// The key under which this sender's tail sits in the eviction index, and whether it sits
    /// in the queued index too; kept so the index is only touched when the tail changes.
    pub indexed: Option<(TailKey, bool)>,
}

impl SenderTxs {
    pub fn new(account: Account) -> Self {
        Self {
            account,
            txs: BTreeMap::new(),
            pending: 0,
            indexed: None,
        }
    }

    pub fn queued(&self) -> usize {
        self.txs.len() - self.pending
    }

    pub fn is_pending(&self, nonce: u64) -> bool {
        nonce
            .checked_sub(self.account.nonce)
            .is_some_and(|d| d < self.pending as u64)
    }

    /// The nonce the sender's next tx would need to join the pending run.
    pub fn next_nonce(&self) -> u64 {
        self.account.nonce.saturating_add(self.pending as u64)
    }

    /// Length of the pending run `account` allows: consecutive nonces from its nonce, whose
    /// cumulative cost the balance covers, at most `cap` of them.
    pub fn run_len(&self, account: &Account, cap: usize) -> usize {
        let mut expected = Some(account.nonce);
        let mut spent = 0u64;
        let mut n = 0;
        for (&nonce, t) in self.txs.range(account.nonce..) {
            if Some(nonce) != expected || n == cap {
                break;
            }
            match spent.checked_add(t.tx.cost()) {
                Some(s) if s <= account.balance => spent = s,
                _ => break,
            }
            n += 1;
            expected = nonce.checked_add(1);
        }
        n
    }

    /// Total cost of this sender's txs with nonces in `from..below` (saturating: a sum past
    /// `u64::MAX` is unaffordable anyway).
    pub fn cost_between(&self, from: u64, below: u64) -> u64 {
        if below <= from {
            return 0;
        }
        self.txs
            .range(from..below)
            .fold(0u64, |acc, (_, t)| acc.saturating_add(t.tx.cost()))
    }

    /// Adopts a new chain view, returning the txs it made stale (nonce below the account's).
    pub fn set_account(&mut self, account: Account) -> Vec<PooledTx> {
        self.account = account;
        let keep = self.txs.split_off(&account.nonce);
        let stale = std::mem::replace(&mut self.txs, keep);
        stale.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::pooled::Origin;
    use crate::test_util::tx;

    fn sender(account: Account, nonces: &[(u64, u64)]) -> SenderTxs {
        let mut s = SenderTxs::new(account);
        for (i, &(nonce, amount)) in nonces.iter().enumerate() {
            let t = PooledTx {
                tx: tx("s", nonce, 1, amount),
                origin: Origin::External,
                seq: i as u64,
                added: Instant::now(),
            };
            s.txs.insert(nonce, t);
        }
        s
    }

    #[test]
    fn run_stops_at_gap_cap_and_balance() {
        let acct = |balance| Account { balance, nonce: 3 };
        let s = sender(acct(100), &[(3, 9), (4, 9), (5, 9), (7, 9)]);
        assert_eq!(s.run_len(&acct(100), 16), 3, "gap at 6");
        assert_eq!(s.run_len(&acct(100), 2), 2, "pending cap");
        assert_eq!(s.run_len(&acct(20), 16), 2, "cumulative cost 30 > 20");
        assert_eq!(s.run_len(&acct(9), 16), 0);
        assert_eq!(
            s.run_len(
                &Account {
                    balance: 100,
                    nonce: 4
                },
                16
            ),
            2
        );
        assert_eq!(s.cost_between(3, 5), 20);
        assert_eq!(s.cost_between(5, 3), 0);
    }

    #[test]
    fn set_account_returns_stale_txs() {
        let mut s = sender(Account::default(), &[(0, 1), (1, 1), (2, 1)]);
        let stale = s.set_account(Account {
            balance: 10,
            nonce: 2,
        });
        assert_eq!(stale.len(), 2);
        assert_eq!(s.txs.keys().copied().collect::<Vec<_>>(), vec![2]);
    }

    #[test]
    fn run_handles_the_last_nonce() {
        let a = Account {
            balance: 100,
            nonce: u64::MAX,
        };
        let s = sender(a, &[(u64::MAX, 1)]);
        assert_eq!(s.run_len(&a, 16), 1);
    }
}
