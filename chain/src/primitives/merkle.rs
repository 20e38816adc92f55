//! Binary SHA-256 Merkle roots with domain-separated leaves and nodes.
//!
//! Leaves are `H(0x00 || data)` and inner nodes `H(0x01 || left || right)`, so a leaf can never be
//! confused with a node (the second-preimage weakness of Bitcoin's tree). An odd node at the end
//! of a level is promoted unchanged rather than duplicated, so no two different lists share a
//! root (Bitcoin's CVE-2012-2459). The empty list's root is `H("")`, as in RFC 6962.

use crate::primitives::hash::{Hash256, sha256};
use sha2::{Digest, Sha256};

/// `H(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Root over already-hashed leaves; reuses `level` as scratch space. `n - 1` node hashes.
pub fn root_of_leaves(mut level: Vec<[u8; 32]>) -> Hash256 {
    if level.is_empty() {
        return Hash256(sha256(b""));
    }
    while level.len() > 1 {
        let mut next = 0;
        let mut i = 0;
        while i < level.len() {
            level[next] = if i + 1 < level.len() {
                node_hash(&level[i], &level[i + 1])
            } else {
                level[i]
            };
            next += 1;
            i += 2;
        }
        level.truncate(next);
    }
    Hash256(level[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_differ_for_different_lists() {
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        let c = leaf_hash(b"c");
        let r3 = root_of_leaves(vec![a, b, c]);
        // Duplicating the odd leaf must not give the same root (CVE-2012-2459 shape).
        assert_ne!(r3, root_of_leaves(vec![a, b, c, c]));
        assert_ne!(root_of_leaves(vec![a, b]), root_of_leaves(vec![b, a]));
        assert_eq!(root_of_leaves(vec![a]), Hash256(a));
        assert_eq!(root_of_leaves(vec![]), Hash256(sha256(b"")));
        // Two leaves' root is not a leaf of their concatenation.
        let mut cat = a.to_vec();
        cat.extend_from_slice(&b);
        assert_ne!(root_of_leaves(vec![a, b]).0, leaf_hash(&cat));
    }
}
