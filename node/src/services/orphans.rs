//! Blocks whose parent we do not have yet, keyed by that parent. Bounded: when full, the oldest
//! orphan is dropped (it can be fetched again if it matters).
//!
//! Invariants: never more than `capacity` blocks, each held once; a plain structure, owned by
//! the ledger behind its own (leaf) lock.

use std::collections::{HashMap, VecDeque};

use rumor_chain::{Block, BlockHash};

#[derive(Debug)]
pub struct OrphanBuffer {
    by_parent: HashMap<BlockHash, Vec<Block>>,
    order: VecDeque<(BlockHash, BlockHash)>,
    capacity: usize,
}

impl OrphanBuffer {
    pub fn new(capacity: usize) -> Self {
        Self {
            by_parent: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Holds `block` until its parent arrives. Returns false if it was already held.
    pub fn insert(&mut self, block: Block) -> bool {
        let hash = block.hash();
        let parent = block.header.parent;
        let siblings = self.by_parent.entry(parent).or_default();
        if siblings.iter().any(|b| b.hash() == hash) {
            return false;
        }
        siblings.push(block);
        self.order.push_back((parent, hash));
        while self.order.len() > self.capacity {
            if let Some((p, h)) = self.order.pop_front()
                && let Some(v) = self.by_parent.get_mut(&p)
            {
                v.retain(|b| b.hash() != h);
                if v.is_empty() {
                    self.by_parent.remove(&p);
                }
            }
        }
        true
    }

    /// Takes the blocks waiting for `parent`.
    pub fn take_children(&mut self, parent: &BlockHash) -> Vec<Block> {
        let children = self.by_parent.remove(parent).unwrap_or_default();
        if !children.is_empty() {
            self.order.retain(|(p, _)| p != parent);
        }
        children
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumor_chain::{BlockHeader, Hash256, Signature};

    fn block(parent: u8, slot: u64) -> Block {
        Block {
            header: BlockHeader {
                chain_id: 1,
                height: 1,
                slot,
                parent: BlockHash([parent; 32]),
                timestamp: 0,
                tx_root: Hash256::ZERO,
                state_root: Hash256::ZERO,
                producer: rumor_chain::Address::ZERO,
            },
            signature: Signature::ZERO,
            txs: vec![],
        }
    }

    #[test]
    fn bounded_and_keyed_by_parent() {
        let mut o = OrphanBuffer::new(2);
        assert!(o.insert(block(1, 1)));
        assert!(!o.insert(block(1, 1)));
        assert!(o.insert(block(1, 2)));
        assert!(o.insert(block(2, 3)));
        assert_eq!(o.len(), 2, "oldest dropped");
        assert_eq!(o.take_children(&BlockHash([1; 32])).len(), 1);
        assert_eq!(o.take_children(&BlockHash([2; 32])).len(), 1);
        assert!(o.is_empty());
    }
}
