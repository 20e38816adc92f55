//! This node's clock offset, estimated from the blocks other producers send.
//!
//! A producer builds its block at the start of its slot by its own clock, so a block that
//! reaches us at our time `r` for a slot starting at `s` gives the sample
//! `r − s = (our offset − its offset) + build time + network delay`. The estimate is, per
//! producer, the smallest sample in the window (build time and delay only add, so the minimum
//! is the one closest to the clock difference), then the median over producers (one producer
//! with a wrong clock, or one that stamps its blocks oddly, cannot move it) — ourselves
//! included at 0 when we produce: our clock is one of the network's. With authorities split
//! evenly the median falls between them, and both sides see a difference.
//!
//! Positive: our clock is ahead of the network's.
//!
//! Bounds: the window holds the last `capacity` samples (`[chain] clock_samples`, 32), one per
//! slot; the estimate sorts at most that many values.

use std::collections::{BTreeMap, VecDeque};

use rumor_chain::Address;

/// Samples needed before the node states an estimate: one block could have been delayed by
/// anything, three from the window give its per-producer minimum something to choose from.
pub const MIN_SAMPLES: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sample {
    slot: u64,
    producer: Address,
    offset_ms: i64,
}

/// The estimate and what it rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// Our clock minus the network's, ms.
    pub offset_ms: i64,
    /// Samples in the window.
    pub samples: usize,
    /// Other producers they came from.
    pub producers: usize,
}

/// The sample window (see the module note).
#[derive(Debug)]
pub struct OffsetEstimator {
    window: VecDeque<Sample>,
    capacity: usize,
    me: Option<Address>,
}

impl OffsetEstimator {
    /// A window of `capacity` samples (at least 1). `me`: our address if we produce blocks
    /// (our clock then counts as one of the producers', at offset 0).
    pub fn new(capacity: usize, me: Option<Address>) -> Self {
        let capacity = capacity.max(1);
        Self {
            window: VecDeque::with_capacity(capacity),
            capacity,
            me,
        }
    }

    /// Records block `slot` by `producer`, received at `received_at_ms` (our clock) for a slot
    /// starting at `slot_start_ms`. Ignored (false): our own block, or a slot already sampled
    /// (another copy of the block, or a second block for the slot).
    pub fn record(
        &mut self,
        producer: Address,
        slot: u64,
        received_at_ms: u64,
        slot_start_ms: u64,
    ) -> bool {
        if Some(producer) == self.me || self.window.iter().any(|s| s.slot == slot) {
            return false;
        }
        if self.window.len() == self.capacity {
            self.window.pop_front();
        }
        let offset_ms = (i128::from(received_at_ms) - i128::from(slot_start_ms))
            .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        self.window.push_back(Sample {
            slot,
            producer,
            offset_ms,
        });
        true
    }

    /// Samples in the window.
    pub fn len(&self) -> usize {
        self.window.len()
    }

    pub fn is_empty(&self) -> bool {
        self.window.is_empty()
    }

    /// The estimate, once the window holds [`MIN_SAMPLES`].
    pub fn estimate(&self) -> Option<Estimate> {
        if self.window.len() < MIN_SAMPLES {
            return None;
        }
        let mut least: BTreeMap<Address, i64> = BTreeMap::new();
        for s in &self.window {
            least
                .entry(s.producer)
                .and_modify(|v| *v = (*v).min(s.offset_ms))
                .or_insert(s.offset_ms);
        }
        let producers = least.len();
        let mut values: Vec<i64> = least.into_values().collect();
        if self.me.is_some() {
            values.push(0);
        }
        values.sort_unstable();
        let n = values.len();
        let offset_ms = if n % 2 == 1 {
            values[n / 2]
        } else {
            // The mean of the middle two, without overflow.
            let (a, b) = (values[n / 2 - 1], values[n / 2]);
            a / 2 + b / 2 + (a % 2 + b % 2) / 2
        };
        Some(Estimate {
            offset_ms,
            samples: self.window.len(),
            producers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(n: u8) -> Address {
        Address([n; 32])
    }

    /// Slot `slot` of producer `p` (slots start every 1 000 ms), received `offset` ms after
    /// its start.
    fn feed(e: &mut OffsetEstimator, p: u8, slot: u64, offset: i64) -> bool {
        let start = 1_000_000 + slot * 1000;
        e.record(addr(p), slot, start.saturating_add_signed(offset), start)
    }

    #[test]
    fn nothing_is_claimed_before_three_samples() {
        let mut e = OffsetEstimator::new(8, None);
        assert_eq!(e.estimate(), None);
        feed(&mut e, 1, 1, 2000);
        feed(&mut e, 2, 2, 2000);
        assert_eq!(e.estimate(), None);
        feed(&mut e, 1, 4, 2000);
        let est = e.estimate().unwrap();
        assert_eq!((est.offset_ms, est.samples, est.producers), (2000, 3, 2));
    }

    #[test]
    fn network_delay_only_adds_so_the_least_sample_per_producer_counts() {
        // Our clock is 2 s ahead; blocks arrive 5..400 ms after they were built.
        let mut e = OffsetEstimator::new(64, None);
        let delays = [400, 5, 120, 33, 250, 8, 90];
        for (i, d) in delays.iter().enumerate() {
            let slot = i as u64 * 3;
            feed(&mut e, 1, slot + 1, 2000 + d);
            feed(&mut e, 2, slot + 2, 2000 + d + 7);
            feed(&mut e, 3, slot + 3, 2000 + d + 3);
        }
        let est = e.estimate().unwrap();
        assert!((2005..=2015).contains(&est.offset_ms), "{est:?}");
        assert_eq!(est.producers, 3);
    }

    #[test]
    fn one_producer_with_a_wrong_clock_does_not_move_the_median() {
        // We and producers 1 and 2 agree; producer 3 runs 2 s ahead (its blocks look early).
        let mut e = OffsetEstimator::new(64, Some(addr(0)));
        for round in 0..4u64 {
            feed(&mut e, 1, round * 4 + 1, 20);
            feed(&mut e, 2, round * 4 + 2, 30);
            feed(&mut e, 3, round * 4 + 3, -1980);
        }
        // Median of [-1980, 0 (us), 20, 30].
        assert_eq!(e.estimate().unwrap().offset_ms, 10);
    }

    #[test]
    fn with_three_producers_our_own_clock_breaks_the_tie() {
        // Honest us: the other two are one honest, one 2 s ahead.
        let mut honest = OffsetEstimator::new(64, Some(addr(0)));
        // The skewed one: both others are 2 s behind it.
        let mut skewed = OffsetEstimator::new(64, Some(addr(3)));
        for round in 0..3u64 {
            feed(&mut honest, 1, round * 3 + 1, 10);
            feed(&mut honest, 3, round * 3 + 3, -1990);
            feed(&mut skewed, 0, round * 3 + 2, 2010);
            feed(&mut skewed, 1, round * 3 + 1, 2015);
        }
        // Median of [-1990, 0 (us), 10] and of [0 (us), 2010, 2015].
        assert_eq!(honest.estimate().unwrap().offset_ms, 0);
        assert_eq!(skewed.estimate().unwrap().offset_ms, 2010);
    }

    #[test]
    fn an_even_split_lands_between_the_sides() {
        let mut e = OffsetEstimator::new(8, None);
        feed(&mut e, 1, 1, 0);
        feed(&mut e, 2, 2, -2000);
        feed(&mut e, 1, 3, 0);
        assert_eq!(e.estimate().unwrap().offset_ms, -1000);
        // Odd values round half toward zero, without overflow at the extremes.
        let mut e = OffsetEstimator::new(8, None);
        e.record(addr(1), 1, u64::MAX, 0);
        e.record(addr(2), 2, 0, u64::MAX);
        e.record(addr(1), 3, u64::MAX, 0);
        let est = e.estimate().unwrap().offset_ms;
        assert!(est.abs() <= 1, "{est}");
    }

    #[test]
    fn our_own_blocks_and_repeated_slots_are_not_samples() {
        let mut e = OffsetEstimator::new(8, Some(addr(0)));
        assert!(!feed(&mut e, 0, 1, 0), "our own block");
        assert!(feed(&mut e, 1, 2, 10));
        assert!(!feed(&mut e, 1, 2, 5), "the same slot again");
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn the_window_is_bounded_and_forgets_the_oldest_first() {
        let mut e = OffsetEstimator::new(4, None);
        for slot in 1..=4 {
            feed(&mut e, 1, slot, 2000);
        }
        // The clock was fixed: new samples replace the old ones one by one.
        for slot in 5..=8 {
            feed(&mut e, 1, slot, 15);
            assert_eq!(e.len(), 4);
        }
        assert_eq!(e.estimate().unwrap().offset_ms, 15);
        assert_eq!(OffsetEstimator::new(0, None).capacity, 1);
    }
}
