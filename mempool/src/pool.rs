//! The pool itself: admission, eviction, block events, expiry and queries.

use std::collections::HashMap;
use std::time::Instant;

use rumor_chain::{Account, AccountReader, Address, Transaction, TxHash, VerifiedTx};
use tokio::sync::broadcast;

use crate::config::PoolConfig;
use crate::error::InsertError;
use crate::evict::{EvictionIndex, Newcomer, Shortfall, TailKey, Victim};
use crate::pooled::{Origin, PooledTx, SubPool};
use crate::sender::SenderTxs;
use crate::status::PoolCounters;

/// What an accepted insert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Added and executable now.
    Pending,
    /// Added, waiting for a nonce gap to close, for balance, or for a pending slot.
    Queued,
    /// Took the place of the sender's tx with the same nonce.
    Replaced { replaced: TxHash, subpool: SubPool },
}

impl InsertOutcome {
    /// Where the new tx now sits.
    pub fn subpool(&self) -> SubPool {
        match self {
            InsertOutcome::Pending => SubPool::Pending,
            InsertOutcome::Queued => SubPool::Queued,
            InsertOutcome::Replaced { subpool, .. } => *subpool,
        }
    }
}

/// What [`Pool::on_block_imported`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockUpdate {
    /// Pooled txs the new canonical blocks contain.
    pub included: u64,
    /// Txs whose nonce the chain has passed (a different tx with that nonce landed).
    pub stale: u64,
    /// Queued txs that became pending.
    pub promoted: u64,
    /// Txs dropped to respect a cap after demotions.
    pub evicted: u64,
    /// Txs of blocks that left the canonical chain, taken back.
    pub reinjected: u64,
}

/// One sender's pooled txs, in nonce order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderContent {
    pub pending: Vec<VerifiedTx>,
    pub queued: Vec<VerifiedTx>,
}

/// The transaction pool. A plain synchronous structure: the node owns it behind a short-held
/// lock, and passes in the chain state and the time, so tests never sleep.
pub struct Pool {
    chain_id: u64,
    config: PoolConfig,
    senders: HashMap<Address, SenderTxs>,
    by_hash: HashMap<TxHash, (Address, u64)>,
    index: EvictionIndex,
    pending: usize,
    queued: usize,
    bytes: usize,
    next_seq: u64,
    counters: PoolCounters,
    new_pending: broadcast::Sender<TxHash>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("chain_id", &self.chain_id)
            .field("pending", &self.pending)
            .field("queued", &self.queued)
            .field("bytes", &self.bytes)
            .field("senders", &self.senders.len())
            .finish_non_exhaustive()
    }
}

/// A sender's pending run before a change: where it started and how long it was. Txs in it
/// were already announced, so only the others are announced afterwards.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: u64,
    len: usize,
}

impl Run {
    fn of(s: &SenderTxs) -> Self {
        Self {
            start: s.account.nonce,
            len: s.pending,
        }
    }

    fn contains(&self, nonce: u64) -> bool {
        nonce
            .checked_sub(self.start)
            .is_some_and(|d| d < self.len as u64)
    }
}

impl Pool {
    /// An empty pool for txs of `chain_id`.
    pub fn new(chain_id: u64, config: PoolConfig) -> Self {
        let (new_pending, _) = broadcast::channel(config.pending_broadcast_capacity.max(1));
        Self {
            chain_id,
            config,
            senders: HashMap::new(),
            by_hash: HashMap::new(),
            index: EvictionIndex::default(),
            pending: 0,
            queued: 0,
            bytes: 0,
            next_seq: 0,
            counters: PoolCounters::default(),
            new_pending,
        }
    }

    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// Txs held, pending and queued.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Hashes of txs as they become pending (admitted, promoted or reinjected), for the RPC
    /// subscription and for gossip. Bounded by `pending_broadcast_capacity`: a receiver that
    /// lags further loses the oldest hashes and gets `RecvError::Lagged`.
    pub fn subscribe_pending(&self) -> broadcast::Receiver<TxHash> {
        self.new_pending.subscribe()
    }

    /// The checks [`Self::insert`] makes that need no signature, run on a tx not yet verified
    /// so that a tx which cannot be admitted costs no `verify_strict`: chain id, cost overflow,
    /// fee floor, duplicate, nonce too low, nonce beyond the sender's window (pending plus
    /// queued slots ahead of the account's nonce), and balance (this tx plus the sender's
    /// pooled txs below it). Reads only; counts nothing (the caller counts what it drops).
    pub fn precheck<S: AccountReader + ?Sized>(
        &self,
        tx: &Transaction,
        hash: &TxHash,
        state: &S,
    ) -> Result<(), InsertError> {
        let (cost, account) = self.entry_checks(tx, hash, state)?;
        let need = self
            .senders
            .get(&tx.from)
            .map_or(0, |s| s.cost_between(account.nonce, tx.nonce))
            .saturating_add(cost);
        if need > account.balance {
            return Err(InsertError::InsufficientBalance {
                need,
                have: account.balance,
            });
        }
        Ok(())
    }

    /// The checks both [`Self::precheck`] and [`Self::insert`] make first, in order: chain id,
    /// cost overflow, fee floor, duplicate, nonce too low, nonce beyond the sender's window.
    /// Returns the tx's cost and the sender's account.
    fn entry_checks<S: AccountReader + ?Sized>(
        &self,
        tx: &Transaction,
        hash: &TxHash,
        state: &S,
    ) -> Result<(u64, Account), InsertError> {
        if tx.chain_id != self.chain_id {
            return Err(InsertError::WrongChainId {
                expected: self.chain_id,
                got: tx.chain_id,
            });
        }
        let cost = tx.cost().ok_or(InsertError::CostOverflow)?;
        if tx.fee < self.config.min_fee {
            return Err(InsertError::FeeTooLow {
                fee: tx.fee,
                min: self.config.min_fee,
            });
        }
        if self.by_hash.contains_key(hash) {
            return Err(InsertError::AlreadyKnown);
        }
        let account = state.account(&tx.from);
        if tx.nonce < account.nonce {
            return Err(InsertError::NonceTooLow {
                account: account.nonce,
                got: tx.nonce,
            });
        }
        let window = self.config.max_pending_per_sender + self.config.max_queued_per_sender;
        if tx.nonce - account.nonce >= window as u64 {
            return Err(InsertError::SenderSlotsFull { limit: window });
        }
        Ok((cost, account))
    }

    /// Admits a signature-checked tx against `state` (the current head's accounts).
    ///
    /// Checks, in order: chain id, fee floor, duplicate, nonce, replacement bump, balance
    /// (this tx plus the sender's pooled txs below it), the sender's queued slots, and
    /// finally room, evicting cheaper tails if the tx outbids them. On error the tx is not
    /// admitted and nothing is evicted for it.
    pub fn insert<S: AccountReader + ?Sized>(
        &mut self,
        tx: VerifiedTx,
        origin: Origin,
        state: &S,
        now: Instant,
    ) -> Result<InsertOutcome, InsertError> {
        let result = self.try_insert(tx, origin, state, now);
        if let Err(e) = &result {
            self.counters.reject(e.reason());
        }
        result
    }

    fn try_insert<S: AccountReader + ?Sized>(
        &mut self,
        tx: VerifiedTx,
        origin: Origin,
        state: &S,
        now: Instant,
    ) -> Result<InsertOutcome, InsertError> {
        let (cost, account) = self.entry_checks(tx.tx(), &tx.hash(), state)?;
        let sender = tx.sender();
        self.resync(&sender, account);
        let victims = self.plan(&tx, cost, &account)?;
        for v in &victims {
            self.evict_tail(&v.sender);
        }
        let outcome = self.admit(tx, origin, account, now);
        self.enforce_queued_total();
        Ok(outcome)
    }

    /// The checks that need the sender's pooled txs, and the victims that make room. Pure:
    /// `try_insert` only mutates once this succeeds.
    fn plan(
        &self,
        tx: &VerifiedTx,
        cost: u64,
        account: &Account,
    ) -> Result<Vec<Victim>, InsertError> {
        let (sender, nonce, fee, size) = (tx.sender(), tx.nonce(), tx.fee(), tx.encoded_len());
        let c = &self.config;
        let s = self.senders.get(&sender);
        let existing = s.and_then(|s| s.txs.get(&nonce));
        if let Some(old) = existing {
            let required = c.replacement_fee(old.fee());
            if fee < required {
                return Err(InsertError::ReplacementUnderpriced { fee, required });
            }
        }
        let need = s
            .map_or(0, |s| s.cost_between(account.nonce, nonce))
            .saturating_add(cost);
        if need > account.balance {
            return Err(InsertError::InsufficientBalance {
                need,
                have: account.balance,
            });
        }
        let mut short = Shortfall::default();
        match existing {
            Some(old) => {
                let bytes = self.bytes - old.tx.encoded_len() + size;
                short.bytes = bytes.saturating_sub(c.max_bytes);
            }
            None => {
                // `resync` ran, so the cached run is the one `account` allows.
                let (run, queued) = s.map_or((0, 0), |s| (s.pending, s.queued()));
                let joins_run = run < c.max_pending_per_sender
                    && account.nonce.checked_add(run as u64) == Some(nonce);
                if !joins_run {
                    if queued >= c.max_queued_per_sender {
                        return Err(InsertError::SenderSlotsFull {
                            limit: c.max_queued_per_sender,
                        });
                    }
                    short.queued = (self.queued + 1).saturating_sub(c.max_queued_total);
                }
                short.txs = (self.len() + 1).saturating_sub(c.max_txs);
                short.bytes = (self.bytes + size).saturating_sub(c.max_bytes);
            }
        }
        if short.is_empty() {
            return Ok(Vec::new());
        }
        let newcomer = Newcomer {
            sender,
            nonce,
            fee,
            own_tail: s.and_then(|s| s.txs.last_key_value()).map(|(n, _)| *n),
        };
        self.index
            .select(&newcomer, short, |a| self.tail_size(a))
            .map_err(|cheapest| InsertError::PoolFull { fee, cheapest })
    }

    fn tail_size(&self, sender: &Address) -> usize {
        self.senders
            .get(sender)
            .and_then(|s| s.txs.last_key_value())
            .map_or(0, |(_, t)| t.tx.encoded_len())
    }

    fn admit(
        &mut self,
        tx: VerifiedTx,
        origin: Origin,
        account: Account,
        now: Instant,
    ) -> InsertOutcome {
        let (sender, nonce, hash) = (tx.sender(), tx.nonce(), tx.hash());
        let mut s = self
            .detach(&sender)
            .unwrap_or_else(|| SenderTxs::new(account));
        debug_assert_eq!(s.account, account, "resync ran first");
        let before = Run::of(&s);
        let pooled = PooledTx {
            tx,
            origin,
            seq: self.next_seq,
            added: now,
        };
        self.next_seq += 1;
        self.bytes += pooled.tx.encoded_len();
        self.by_hash.insert(hash, (sender, nonce));
        let replaced = s.txs.insert(nonce, pooled).map(|old| {
            self.forget(&old);
            self.counters.replaced += 1;
            old.tx.hash()
        });
        self.counters.admitted += 1;
        let pending = self.attach(sender, s, before, Some(nonce));
        let subpool = if pending.contains(&nonce) {
            SubPool::Pending
        } else {
            SubPool::Queued
        };
        match (replaced, subpool) {
            (Some(replaced), subpool) => InsertOutcome::Replaced { replaced, subpool },
            (None, SubPool::Pending) => InsertOutcome::Pending,
            (None, SubPool::Queued) => InsertOutcome::Queued,
        }
    }

    /// Brings a sender's cached chain view up to `account`, in case the node inserts against
    /// a head it has not yet reported through `on_block_imported`, so that admission and
    /// eviction below see one consistent view.
    fn resync(&mut self, sender: &Address, account: Account) {
        if self
            .senders
            .get(sender)
            .is_none_or(|s| s.account == account)
        {
            return;
        }
        let mut s = self.detach(sender).expect("checked above");
        let before = Run::of(&s);
        let stale = s.set_account(account);
        self.counters.stale += stale.len() as u64;
        stale.iter().for_each(|t| self.forget(t));
        self.attach(*sender, s, before, None);
        self.enforce_queued_total();
    }

    /// Takes a sender out of the map and the totals, to be changed and then `attach`ed.
    fn detach(&mut self, sender: &Address) -> Option<SenderTxs> {
        let s = self.senders.remove(sender)?;
        self.pending -= s.pending;
        self.queued -= s.queued();
        Some(s)
    }

    /// Puts a changed sender back: recomputes its pending run, trims its queued txs to the
    /// cap (from the top, so no gap opens), announces txs that became pending, and re-indexes
    /// its tail. `fresh` is a nonce just (re)filled by an insert, announced but not counted as
    /// a promotion. Returns the sender's pending range.
    fn attach(
        &mut self,
        sender: Address,
        mut s: SenderTxs,
        before: Run,
        fresh: Option<u64>,
    ) -> std::ops::Range<u64> {
        s.pending = s.run_len(&s.account, self.config.max_pending_per_sender);
        while s.queued() > self.config.max_queued_per_sender {
            let (_, t) = s.txs.pop_last().expect("queued txs exist");
            self.forget(&t);
            self.counters.evicted += 1;
        }
        for (&nonce, t) in s.txs.range(s.account.nonce..).take(s.pending) {
            let is_fresh = fresh == Some(nonce);
            if is_fresh || !before.contains(nonce) {
                // No receivers is not an error: gossip may not have subscribed yet.
                let _ = self.new_pending.send(t.tx.hash());
                if !is_fresh {
                    self.counters.promoted += 1;
                }
            }
        }
        self.pending += s.pending;
        self.queued += s.queued();
        let tail = s
            .txs
            .last_key_value()
            .map(|(_, t)| (TailKey::of(sender, t), s.queued() > 0));
        self.index.update(s.indexed, tail);
        s.indexed = tail;
        let range = s.account.nonce..s.next_nonce();
        if !s.txs.is_empty() {
            self.senders.insert(sender, s);
        }
        range
    }

    fn forget(&mut self, t: &PooledTx) {
        self.by_hash.remove(&t.tx.hash());
        self.bytes -= t.tx.encoded_len();
    }

    fn evict_tail(&mut self, sender: &Address) {
        let Some(mut s) = self.detach(sender) else {
            return;
        };
        let before = Run::of(&s);
        if let Some((_, t)) = s.txs.pop_last() {
            self.forget(&t);
            self.counters.evicted += 1;
        }
        self.attach(*sender, s, before, None);
    }

    /// Demotions (a balance drop, an expired predecessor) can push queued txs past the global
    /// cap; the cheapest queued tails go.
    fn enforce_queued_total(&mut self) {
        while self.queued > self.config.max_queued_total {
            let Some(k) = self.index.cheapest_queued().copied() else {
                break;
            };
            self.evict_tail(&k.sender);
        }
    }
}

mod events;
mod query;
#[cfg(test)]
mod tests;
