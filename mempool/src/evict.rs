//! Which txs go when the pool is full.
//!
//! Only a sender's *tail* (its highest nonce) is ever evicted, so eviction never opens a nonce
//! gap. The index holds one entry per sender, its tail, ordered cheapest first; as in reth's
//! pending-pool truncation, a tail is ranked by its own fee. A second index holds just the
//! senders whose tail is queued, for the cap on queued txs.

use std::cmp::Reverse;
use std::collections::BTreeSet;

use rumor_chain::Address;

use crate::pooled::PooledTx;

/// Eviction order, ascending: lowest fee first; at equal fee external before local; then the
/// most recent arrival first, so under spam the txs that were there first keep their place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TailKey {
    pub fee: u64,
    pub origin_rank: u8,
    pub newest_first: Reverse<u64>,
    /// Never compared in practice (the sequence number is unique); carried for the lookup.
    pub sender: Address,
}

impl TailKey {
    pub fn of(sender: Address, tx: &PooledTx) -> Self {
        Self {
            fee: tx.fee(),
            origin_rank: tx.origin.rank(),
            newest_first: Reverse(tx.seq),
            sender,
        }
    }
}

/// How much room an insert needs beyond what is free.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Shortfall {
    pub txs: usize,
    pub bytes: usize,
    pub queued: usize,
}

impl Shortfall {
    pub fn is_empty(&self) -> bool {
        self.txs == 0 && self.bytes == 0 && self.queued == 0
    }
}

/// The new tx asking for room, as the victim search sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Newcomer {
    pub sender: Address,
    pub nonce: u64,
    pub fee: u64,
    /// The nonce of the newcomer's sender's tail, if it has txs: that tail may only go if it
    /// sits above the newcomer, or the newcomer would be left behind a gap of its own making.
    pub own_tail: Option<u64>,
}

/// A tail chosen for eviction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Victim {
    pub sender: Address,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct EvictionIndex {
    tails: BTreeSet<TailKey>,
    queued_tails: BTreeSet<TailKey>,
}

impl EvictionIndex {
    /// Moves a sender's entry from `old` to `new` (each: key and whether the tail is queued).
    pub fn update(&mut self, old: Option<(TailKey, bool)>, new: Option<(TailKey, bool)>) {
        if old == new {
            return;
        }
        if let Some((key, queued)) = old {
            self.tails.remove(&key);
            if queued {
                self.queued_tails.remove(&key);
            }
        }
        if let Some((key, queued)) = new {
            self.tails.insert(key);
            if queued {
                self.queued_tails.insert(key);
            }
        }
    }

    pub fn cheapest_queued(&self) -> Option<&TailKey> {
        self.queued_tails.first()
    }

    pub fn len(&self) -> usize {
        self.tails.len()
    }

    pub fn queued_len(&self) -> usize {
        self.queued_tails.len()
    }

    pub fn contains(&self, key: &TailKey, queued: bool) -> bool {
        self.tails.contains(key) && (!queued || self.queued_tails.contains(key))
    }

    /// Chooses tails to evict so that `need` is met, each paying strictly less than the
    /// newcomer; `size_of` gives a sender's tail size. Takes at most one tail per sender per
    /// insert, which keeps the search a plain ordered walk; with fixed-size txs one victim
    /// always suffices anyway. Fails without side effects if the room cannot be bought.
    pub fn select(
        &self,
        newcomer: &Newcomer,
        need: Shortfall,
        size_of: impl Fn(&Address) -> usize,
    ) -> Result<Vec<Victim>, Option<u64>> {
        let mut victims: Vec<Victim> = Vec::new();
        let (mut txs, mut bytes, mut queued) = (0, 0, 0);
        let eligible = |k: &&TailKey, victims: &[Victim]| {
            let own_ok = k.sender != newcomer.sender
                || newcomer.own_tail.is_some_and(|t| t > newcomer.nonce);
            own_ok && !victims.iter().any(|v| v.sender == k.sender)
        };
        let take = |k: &TailKey, victims: &mut Vec<Victim>| -> Result<usize, Option<u64>> {
            if k.fee >= newcomer.fee {
                return Err(Some(k.fee));
            }
            let size = size_of(&k.sender);
            victims.push(Victim { sender: k.sender });
            Ok(size)
        };
        for k in self.queued_tails.iter() {
            if queued >= need.queued {
                break;
            }
            if !eligible(&k, &victims) {
                continue;
            }
            bytes += take(k, &mut victims)?;
            txs += 1;
            queued += 1;
        }
        if queued < need.queued {
            return Err(None);
        }
        for k in self.tails.iter() {
            if txs >= need.txs && bytes >= need.bytes {
                break;
            }
            if !eligible(&k, &victims) {
                continue;
            }
            bytes += take(k, &mut victims)?;
            txs += 1;
        }
        if txs < need.txs || bytes < need.bytes {
            return Err(None);
        }
        Ok(victims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(fee: u64, origin_rank: u8, seq: u64, sender: u8) -> TailKey {
        TailKey {
            fee,
            origin_rank,
            newest_first: Reverse(seq),
            sender: Address([sender; 32]),
        }
    }

    fn newcomer(fee: u64) -> Newcomer {
        Newcomer {
            sender: Address([99; 32]),
            nonce: 0,
            fee,
            own_tail: None,
        }
    }

    const ONE: Shortfall = Shortfall {
        txs: 1,
        bytes: 0,
        queued: 0,
    };

    #[test]
    fn order_is_fee_then_external_then_newest() {
        let mut ix = EvictionIndex::default();
        ix.update(None, Some((key(5, 1, 1, 1), false)));
        ix.update(None, Some((key(5, 0, 2, 2), false)));
        ix.update(None, Some((key(5, 0, 3, 3), false)));
        ix.update(None, Some((key(4, 1, 4, 4), false)));
        let first = |ix: &EvictionIndex| ix.select(&newcomer(99), ONE, |_| 160).unwrap()[0].sender;
        assert_eq!(first(&ix), Address([4; 32]));
        ix.update(Some((key(4, 1, 4, 4), false)), None);
        assert_eq!(first(&ix), Address([3; 32]), "newest external");
    }

    #[test]
    fn select_needs_a_strictly_higher_fee() {
        let mut ix = EvictionIndex::default();
        ix.update(None, Some((key(5, 0, 1, 1), false)));
        assert_eq!(ix.select(&newcomer(5), ONE, |_| 160).unwrap_err(), Some(5));
        let v = ix.select(&newcomer(6), ONE, |_| 160).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].sender, Address([1; 32]));
    }

    #[test]
    fn select_spares_the_newcomers_lower_tail() {
        let mut ix = EvictionIndex::default();
        ix.update(None, Some((key(1, 0, 1, 99), false)));
        ix.update(None, Some((key(2, 0, 2, 2), false)));
        let mut n = newcomer(9);
        n.nonce = 5;
        n.own_tail = Some(4);
        assert_eq!(
            ix.select(&n, ONE, |_| 160).unwrap()[0].sender,
            Address([2; 32])
        );
        n.own_tail = Some(6);
        assert_eq!(
            ix.select(&n, ONE, |_| 160).unwrap()[0].sender,
            Address([99; 32])
        );
    }

    #[test]
    fn select_queued_room_comes_from_queued_tails() {
        let mut ix = EvictionIndex::default();
        ix.update(None, Some((key(1, 0, 1, 1), false)));
        ix.update(None, Some((key(3, 0, 2, 2), true)));
        let need = Shortfall {
            txs: 1,
            bytes: 0,
            queued: 1,
        };
        let v = ix.select(&newcomer(4), need, |_| 160).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].sender, Address([2; 32]));
        assert_eq!(ix.select(&newcomer(3), need, |_| 160).unwrap_err(), Some(3));
        let none = EvictionIndex::default();
        assert_eq!(none.select(&newcomer(3), need, |_| 160).unwrap_err(), None);
    }

    #[test]
    fn select_takes_several_tails_for_bytes() {
        let mut ix = EvictionIndex::default();
        for s in 1..=3 {
            ix.update(None, Some((key(u64::from(s), 0, u64::from(s), s), false)));
        }
        let need = Shortfall {
            txs: 0,
            bytes: 300,
            queued: 0,
        };
        let v = ix.select(&newcomer(10), need, |_| 160).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(ix.select(&newcomer(2), need, |_| 160).unwrap_err(), Some(2));
    }
}
