//! Block locators (Bitcoin `getheaders` style): how two nodes find the common ancestor of
//! their chains in one round trip, whatever the depth of the fork.
//!
//! Invariants:
//! - A locator lists canonical hashes from the head down: the last [`LOCATOR_DENSE`] heights
//!   one by one, then steps that double, and always ends with genesis (height 0). Its length
//!   is O(log height) and never above [`MAX_LOCATOR_LEN`].
//! - [`find_ancestor`] returns the first locator entry that is on the answering node's
//!   canonical chain; genesis is canonical for every node of the network, so two nodes of the
//!   same genesis always find an ancestor. Only the first [`MAX_LOCATOR_LEN`] entries are
//!   looked at (a peer's locator is untrusted input).
//! - Headers are served from the ancestor's child forward, canonical only, at most
//!   [`MAX_HEADERS_PER_REQUEST`].

use redb::ReadableDatabase;

use super::tables::BLOCKS;
use super::{ChainStore, StoreError};
use crate::SIGNED_HEADER_LEN;
use crate::block::SignedHeader;
use crate::primitives::hash::BlockHash;

/// Heights below the head listed one by one before the steps start doubling.
pub const LOCATOR_DENSE: usize = 10;
/// Most entries a locator may have (10 dense + 64 doublings + genesis fit).
pub const MAX_LOCATOR_LEN: usize = 80;
/// Most headers one headers-by-locator answer carries, whatever was asked.
pub const MAX_HEADERS_PER_REQUEST: u64 = 512;

/// The heights a locator for a head at `head` lists, highest first, ending with 0.
pub fn locator_heights(head: u64) -> Vec<u64> {
    let mut out = Vec::new();
    let mut height = head;
    let mut step = 1u64;
    loop {
        out.push(height);
        if height == 0 {
            return out;
        }
        if out.len() >= LOCATOR_DENSE {
            step = step.saturating_mul(2);
        }
        height = height.saturating_sub(step);
    }
}

/// The first entry of `locator` (at most [`MAX_LOCATOR_LEN`] looked at) that is canonical,
/// with its height: `height_of` says at which height a hash sits (any branch), `canonical`
/// which hash is canonical at a height. Pure, so it is tested without a store.
pub fn find_ancestor<E>(
    locator: &[BlockHash],
    mut height_of: impl FnMut(&BlockHash) -> Result<Option<u64>, E>,
    mut canonical: impl FnMut(u64) -> Result<Option<BlockHash>, E>,
) -> Result<Option<(BlockHash, u64)>, E> {
    for hash in locator.iter().take(MAX_LOCATOR_LEN) {
        if let Some(height) = height_of(hash)?
            && canonical(height)? == Some(*hash)
        {
            return Ok(Some((*hash, height)));
        }
    }
    Ok(None)
}

impl ChainStore {
    /// A locator for our canonical head (see the module invariants).
    pub fn locator(&self) -> Result<Vec<BlockHash>, StoreError> {
        locator_heights(self.head.height)
            .into_iter()
            .map(|h| {
                self.canonical_hash(h)?
                    .ok_or_else(|| StoreError::Corrupt(format!("canonical {h} missing")))
            })
            .collect()
    }

    /// The common ancestor of our canonical chain and the chain `locator` describes: its
    /// first entry on our canonical chain, with its height. `None` if none is (another
    /// network, or garbage).
    pub fn common_ancestor(
        &self,
        locator: &[BlockHash],
    ) -> Result<Option<(BlockHash, u64)>, StoreError> {
        find_ancestor(
            locator,
            |h| Ok(self.header(h)?.map(|h| h.height)),
            |height| self.canonical_hash(height),
        )
    }

    /// Any stored block's header with its signature (decodes only that prefix).
    pub fn signed_header(&self, hash: &BlockHash) -> Result<Option<SignedHeader>, StoreError> {
        let txn = self.db()?.begin_read()?;
        let table = txn.open_table(BLOCKS)?;
        let Some(bytes) = table.get(hash.0)? else {
            return Ok(None);
        };
        let bytes = bytes.value();
        let prefix = bytes
            .get(..SIGNED_HEADER_LEN)
            .ok_or_else(|| StoreError::Corrupt(format!("block {hash} too short")))?;
        SignedHeader::decode(prefix)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("header {hash}: {e}")))
    }

    /// Canonical headers after the common ancestor with `locator`, lowest first, at most
    /// `max` (capped at [`MAX_HEADERS_PER_REQUEST`]). `None` if no locator entry is ours.
    pub fn headers_after(
        &self,
        locator: &[BlockHash],
        max: u64,
    ) -> Result<Option<Vec<SignedHeader>>, StoreError> {
        let Some((_, ancestor)) = self.common_ancestor(locator)? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        let end = ancestor
            .saturating_add(1)
            .saturating_add(max.min(MAX_HEADERS_PER_REQUEST));
        for height in ancestor + 1..end {
            let Some(hash) = self.canonical_hash(height)? else {
                break;
            };
            let header = self
                .signed_header(&hash)?
                .ok_or_else(|| StoreError::Corrupt(format!("block {hash} missing")))?;
            out.push(header);
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::convert::Infallible;

    use super::*;
    use crate::validate::{ChainConfig, check_signed_header, produce_block};
    use crate::{Genesis, Keypair};

    /// A fake chain: hash = (branch, height) packed into bytes.
    fn hash(branch: u8, height: u64) -> BlockHash {
        let mut b = [0u8; 32];
        b[0] = branch;
        b[1..9].copy_from_slice(&height.to_le_bytes());
        BlockHash(b)
    }

    /// Branch `branch` forks from branch 0 after `fork` and reaches `head`.
    fn chain(branch: u8, fork: u64, head: u64) -> Vec<BlockHash> {
        (0..=head)
            .map(|h| {
                if h <= fork {
                    hash(0, h)
                } else {
                    hash(branch, h)
                }
            })
            .collect()
    }

    fn locator_of(chain: &[BlockHash]) -> Vec<BlockHash> {
        locator_heights(chain.len() as u64 - 1)
            .into_iter()
            .map(|h| chain[h as usize])
            .collect()
    }

    /// The ancestor `ours` (plus side blocks `known`) finds for `theirs`' locator.
    fn ancestor(
        ours: &[BlockHash],
        known: &[BlockHash],
        theirs: &[BlockHash],
    ) -> Option<(BlockHash, u64)> {
        let heights: HashMap<BlockHash, u64> = ours
            .iter()
            .chain(known)
            .map(|h| (*h, u64::from_le_bytes(h.0[1..9].try_into().unwrap())))
            .collect();
        find_ancestor::<Infallible>(
            &locator_of(theirs),
            |h| Ok(heights.get(h).copied()),
            |height| Ok(ours.get(height as usize).copied()),
        )
        .unwrap()
    }

    #[test]
    fn locators_are_dense_then_doubling_and_end_at_genesis() {
        assert_eq!(locator_heights(0), vec![0]);
        assert_eq!(locator_heights(3), vec![3, 2, 1, 0]);
        let l = locator_heights(1000);
        assert_eq!(
            &l[..10],
            &[1000, 999, 998, 997, 996, 995, 994, 993, 992, 991]
        );
        assert_eq!(&l[10..14], &[989, 985, 977, 961]);
        assert_eq!(*l.last().unwrap(), 0);
        assert!(l.windows(2).all(|w| w[0] > w[1]), "strictly descending");
        for head in [0, 1, 9, 10, 11, 64, 65, 1 << 20, u64::MAX / 3, u64::MAX] {
            let l = locator_heights(head);
            assert!(l.len() <= MAX_LOCATOR_LEN, "{head}: {}", l.len());
            assert_eq!((l[0], *l.last().unwrap()), (head, 0));
        }
        assert!(locator_heights(1_000_000).len() <= 10 + 21);
    }

    #[test]
    fn the_ancestor_of_forks_deeper_than_64_is_found() {
        for depth in [200u64, 1000] {
            let fork = 37;
            let ours = chain(1, fork, fork + depth);
            let theirs = chain(2, fork, fork + depth + 5);
            // The locator's step may overshoot the fork point, never pass a lower ancestor.
            let (found, height) = ancestor(&ours, &[], &theirs).unwrap();
            assert!(height <= fork, "{depth}: {height}");
            assert_eq!(found, hash(0, height));
            // One step at most, and a step is never longer than the way down from the head.
            assert!(fork - height <= depth, "{depth}: {height}");
        }
    }

    #[test]
    fn a_fork_at_genesis_meets_at_genesis_and_identical_chains_at_the_head() {
        let ours = chain(1, 0, 300);
        let theirs = chain(2, 0, 250);
        assert_eq!(ancestor(&ours, &[], &theirs), Some((hash(0, 0), 0)));
        let same = chain(0, 0, 120);
        assert_eq!(ancestor(&same, &[], &same), Some((hash(0, 120), 120)));
        // A peer behind us on our own chain: its head.
        assert_eq!(ancestor(&same, &[], &same[..50]), Some((hash(0, 49), 49)));
        // Their blocks we hold on a side branch are not canonical here: skipped.
        // (Heights 20..=11 are dense, then the step of 2 lands on 9.)
        let theirs = chain(2, 10, 20);
        let ours = chain(1, 10, 30);
        assert_eq!(ancestor(&ours, &theirs, &theirs), Some((hash(0, 9), 9)));
        // Another network: nothing in common.
        assert_eq!(ancestor(&ours, &[], &[hash(9, 0)]), None);
    }

    #[test]
    fn only_the_capped_prefix_of_a_locator_is_searched() {
        let ours = chain(0, 0, 10);
        let mut locator = vec![hash(7, 1); MAX_LOCATOR_LEN];
        locator.push(ours[0]);
        let found = find_ancestor::<Infallible>(
            &locator,
            |h| Ok((h == &ours[0]).then_some(0)),
            |height| Ok(ours.get(height as usize).copied()),
        );
        assert_eq!(found, Ok(None));
    }

    fn open(dir: &tempfile::TempDir, name: &str, genesis: &Genesis) -> ChainStore {
        let path = dir.path().join(name);
        ChainStore::open(&path, genesis.clone(), ChainConfig::default()).unwrap()
    }

    fn grow(store: &mut ChainStore, genesis: &Genesis, keys: &[Keypair], n: usize, skip: u64) {
        for _ in 0..n {
            let head = store.head().1.clone();
            let slot = head.slot + 1 + skip;
            let key = &keys[(slot % keys.len() as u64) as usize];
            let state = store.state().clone();
            let limits = store.genesis().limits;
            let p = produce_block(
                &head,
                &state,
                genesis,
                &limits,
                slot,
                key,
                std::iter::empty(),
            );
            store.import(p.checked()).unwrap();
        }
    }

    #[test]
    fn a_store_serves_signed_headers_from_the_common_ancestor_of_a_deep_fork() {
        let keys: Vec<Keypair> = (0..2)
            .map(|i| Keypair::from_label(&format!("locator/authority-{i}")))
            .collect();
        let addresses = keys.iter().map(|k| k.address()).collect();
        let genesis = Genesis::new(3, 1_000, 10, addresses, &[], 1);
        let dir = tempfile::tempdir().unwrap();
        let (mut a, mut b) = (open(&dir, "a", &genesis), open(&dir, "b", &genesis));
        grow(&mut a, &genesis, &keys, 3, 0);
        for block_height in 1..=3 {
            let block = a.block_by_height(block_height).unwrap().unwrap();
            b.import(crate::check_block(block, &genesis, a.config(), u64::MAX / 2).unwrap())
                .unwrap();
        }
        grow(&mut a, &genesis, &keys, 70, 0);
        grow(&mut b, &genesis, &keys, 75, 1);
        // b's locator: 78..=69 dense, then 67, 63, 55, 39, 7 (all b's branch), genesis.
        assert_eq!(
            a.common_ancestor(&b.locator().unwrap()).unwrap().unwrap().1,
            0
        );
        // With an entry at the fork point, the ancestor is exact.
        let mut exact = b.locator().unwrap();
        exact.insert(0, b.canonical_hash(3).unwrap().unwrap());
        assert_eq!(a.common_ancestor(&exact).unwrap().unwrap().1, 3);
        let headers = a.headers_after(&exact, 10_000).unwrap().unwrap();
        assert_eq!(headers.len(), 70);
        assert_eq!(
            headers[0].header.parent,
            b.canonical_hash(3).unwrap().unwrap()
        );
        for (i, h) in headers.iter().enumerate() {
            assert_eq!(Some(h.hash()), a.canonical_hash(4 + i as u64).unwrap());
            check_signed_header(h, &genesis, a.config(), u64::MAX / 2).unwrap();
            assert_eq!(SignedHeader::decode(&h.encode()).unwrap(), *h);
        }
        let capped = a
            .headers_after(&[genesis.block().hash()], u64::MAX)
            .unwrap();
        assert_eq!(
            capped.unwrap().len(),
            73,
            "everything above genesis (under the cap)"
        );
        assert_eq!(a.headers_after(&[BlockHash([5; 32])], 5).unwrap(), None);
        assert_eq!(
            a.headers_after(&a.locator().unwrap(), 5).unwrap(),
            Some(vec![]),
            "level: nothing to send"
        );
    }
}
