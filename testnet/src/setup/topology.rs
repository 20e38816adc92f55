//! Bootnode choice: each node after the first gets 1–3 random *earlier* nodes. Earlier nodes
//! are already up when a node starts (they start in order), and the graph is connected by
//! construction; peer exchange grows it from there.

use crate::rng::Rng;

/// `MAX_BOOTNODES` is small on purpose: the point is to measure what peer exchange builds,
/// not a topology we hand-wired.
pub const MAX_BOOTNODES: usize = 3;

/// Stream id for [`Rng::new`], so topology choices don't depend on other uses of the seed.
const STREAM: u64 = 1;

pub fn bootnodes(n: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut rng = Rng::new(seed, STREAM);
    (0..n)
        .map(|i| {
            if i == 0 {
                return Vec::new();
            }
            let max = MAX_BOOTNODES.min(i);
            let k = 1 + rng.below(max);
            let mut chosen = rng.sample(i, k);
            chosen.sort_unstable();
            chosen
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_node_dials_one_to_three_earlier_nodes() {
        let b = bootnodes(50, 9);
        assert!(b[0].is_empty());
        for (i, list) in b.iter().enumerate().skip(1) {
            assert!(
                (1..=MAX_BOOTNODES.min(i)).contains(&list.len()),
                "{i}: {list:?}"
            );
            assert!(list.iter().all(|&j| j < i));
            assert!(list.windows(2).all(|w| w[0] < w[1]));
        }
        assert_eq!(b, bootnodes(50, 9));
        assert_ne!(b, bootnodes(50, 10));
    }
}
