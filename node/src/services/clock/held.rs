//! Blocks held until their slot: early blocks (see [`super::tolerance`]) wait here, ordered by
//! the time (our clock) they become importable.
//!
//! Bound: `capacity` blocks (`[chain] held_blocks`, 64). An honest network sends at most one
//! block per slot, so 64 covers the 10 s hold window at slots down to ~160 ms; equivocating
//! second blocks never get here (the gossip path ignores them before). When full, the block
//! due last goes (its slot is the furthest away, so it is the least likely to be needed soon),
//! or the newcomer if it is due later still.

use std::collections::{BTreeMap, HashMap};

use rumor_chain::BlockHash;

/// What became of an insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    Held,
    /// Already held (another copy of the same block).
    AlreadyHeld,
    /// Held; the block due last was dropped for room.
    HeldDropping(BlockHash),
    /// Not held: the buffer is full of blocks due sooner.
    Full,
}

/// The buffer (see the module note). `T` is what is kept per block.
#[derive(Debug)]
pub struct HeldBlocks<T> {
    by_due: BTreeMap<(u64, BlockHash), T>,
    due_of: HashMap<BlockHash, u64>,
    capacity: usize,
}

impl<T> HeldBlocks<T> {
    pub fn new(capacity: usize) -> Self {
        Self {
            by_due: BTreeMap::new(),
            due_of: HashMap::new(),
            capacity,
        }
    }

    /// Holds `item` (block `hash`) until `due_ms`.
    pub fn insert(&mut self, due_ms: u64, hash: BlockHash, item: T) -> Inserted {
        if self.due_of.contains_key(&hash) {
            return Inserted::AlreadyHeld;
        }
        let mut dropped = None;
        if self.by_due.len() >= self.capacity {
            match self.by_due.last_key_value() {
                Some((&(last_due, last), _)) if last_due > due_ms => {
                    self.by_due.pop_last();
                    self.due_of.remove(&last);
                    dropped = Some(last);
                }
                _ => return Inserted::Full,
            }
        }
        self.by_due.insert((due_ms, hash), item);
        self.due_of.insert(hash, due_ms);
        match dropped {
            Some(d) => Inserted::HeldDropping(d),
            None => Inserted::Held,
        }
    }

    pub fn contains(&self, hash: &BlockHash) -> bool {
        self.due_of.contains_key(hash)
    }

    /// When the next block is due (our clock, ms).
    pub fn next_due(&self) -> Option<u64> {
        self.by_due.keys().next().map(|(due, _)| *due)
    }

    /// Removes and returns the blocks due at `now_ms`, soonest first.
    pub fn take_due(&mut self, now_ms: u64) -> Vec<T> {
        let later = self
            .by_due
            .split_off(&(now_ms.saturating_add(1), BlockHash::default()));
        let due = std::mem::replace(&mut self.by_due, later);
        due.into_iter()
            .map(|((_, hash), item)| {
                self.due_of.remove(&hash);
                item
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.by_due.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_due.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: u8) -> BlockHash {
        BlockHash([n; 32])
    }

    #[test]
    fn blocks_come_out_when_due_soonest_first() {
        let mut held = HeldBlocks::new(8);
        assert_eq!(held.insert(300, h(3), "c"), Inserted::Held);
        assert_eq!(held.insert(100, h(1), "a"), Inserted::Held);
        assert_eq!(held.insert(200, h(2), "b"), Inserted::Held);
        assert_eq!(held.insert(200, h(2), "b again"), Inserted::AlreadyHeld);
        assert_eq!(held.next_due(), Some(100));
        assert!(held.take_due(99).is_empty());
        assert_eq!(held.take_due(200), vec!["a", "b"]);
        assert!(!held.contains(&h(1)) && held.contains(&h(3)));
        assert_eq!(held.next_due(), Some(300));
        assert_eq!(held.take_due(u64::MAX), vec!["c"]);
        assert!(held.is_empty() && held.next_due().is_none());
        // Taken out, it may be held again.
        assert_eq!(held.insert(5, h(1), "a"), Inserted::Held);
    }

    #[test]
    fn when_full_the_block_due_last_goes() {
        let mut held = HeldBlocks::new(2);
        held.insert(100, h(1), 1);
        held.insert(500, h(5), 5);
        assert_eq!(held.insert(300, h(3), 3), Inserted::HeldDropping(h(5)));
        assert!(!held.contains(&h(5)));
        assert_eq!(held.insert(900, h(9), 9), Inserted::Full);
        assert_eq!(held.len(), 2);
        assert_eq!(held.take_due(u64::MAX), vec![1, 3]);
        let mut none = HeldBlocks::new(0);
        assert_eq!(none.insert(1, h(1), ()), Inserted::Full);
    }
}
