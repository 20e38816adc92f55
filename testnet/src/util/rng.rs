//! The testnet's seeded randomness: the workspace's one PRNG (`rumor_link::SplitMix64`, over
//! `rand_xoshiro`) split into independent streams. Every random choice the tool makes (topology,
//! load order) goes through it, so `--seed` alone fixes them; no OS randomness is ever used.

use rumor_link::SplitMix64;

#[derive(Debug, Clone)]
pub struct Rng(SplitMix64);

impl Rng {
    /// `stream` separates independent uses of one seed (topology vs. load order), so changing
    /// how many numbers one use draws never shifts the other's choices.
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut r = Self(SplitMix64::new(
            seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F),
        ));
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (`n > 0`); the modulo bias is irrelevant at the sizes used here.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Fisher–Yates.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }

    /// `k` distinct values from `0..n`, in draw order.
    pub fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n).collect();
        self.shuffle(&mut all);
        all.truncate(k.min(n));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Printed by the hand-written generator before the switch (same seeds as below).
    const PINNED_NEXT: [u64; 3] = [0x5f23c636d928e9ee, 0x547e9ffecd7862e9, 0x5092108dce7c238b];
    const PINNED_SHUFFLE: [usize; 10] = [5, 7, 4, 1, 2, 3, 9, 8, 0, 6];
    const PINNED_SAMPLE: [usize; 5] = [17, 11, 9, 8, 2];

    #[test]
    fn same_seed_same_stream_same_numbers() {
        let a: Vec<u64> = (0..5).map(|_| Rng::new(7, 1).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::new(7, 1).next_u64(), Rng::new(7, 2).next_u64());
        assert_ne!(Rng::new(7, 1).next_u64(), Rng::new(8, 1).next_u64());
    }

    /// The numbers, shuffles and samples of the hand-written SplitMix64 this wraps now, pinned so
    /// that the same `--seed` keeps choosing the same topology and load order.
    #[test]
    fn same_outputs_as_before_the_crate() {
        let mut r = Rng::new(42, 1);
        assert_eq!(
            [r.next_u64(), r.next_u64(), r.next_u64()],
            PINNED_NEXT,
            "next_u64 for seed 42, stream 1"
        );
        let mut items: Vec<usize> = (0..10).collect();
        Rng::new(42, 2).shuffle(&mut items);
        assert_eq!(items, PINNED_SHUFFLE);
        assert_eq!(Rng::new(7, 0).sample(20, 5), PINNED_SAMPLE);
    }

    #[test]
    fn sample_is_distinct_and_in_range() {
        let mut r = Rng::new(1, 0);
        for n in 1..20 {
            let s = r.sample(n, 3);
            assert_eq!(s.len(), 3.min(n));
            assert!(s.iter().all(|&x| x < n));
            let mut d = s.clone();
            d.sort();
            d.dedup();
            assert_eq!(d.len(), s.len());
        }
    }
}
