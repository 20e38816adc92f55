//! Clock skew: how far ahead a block may be ([`tolerance`]), where early blocks wait
//! ([`held`]), and what this node knows of its own clock ([`estimate`], watched here).
//!
//! A node reads wall time only through its [`rumor_chain::clock::Clock`] (`Ctx::clock`);
//! `clippy.toml` forbids the system clock's free functions in this crate.
//!
//! [`ClockWatch`] keeps the offset estimate and whether it is beyond the tolerance, and says
//! when that changes, so the node warns once when its clock drifts out of tolerance and once
//! when it is back (not per block). It also rate-limits the note about another producer's
//! early blocks: once per producer per [`FUTURE_NOTE_EVERY`]; the map holds at most one entry
//! per genesis authority (only blocks whose producer signature was checked get here).

pub mod estimate;
pub mod held;
pub mod tolerance;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rumor_chain::Address;

pub use estimate::{Estimate, OffsetEstimator};
pub use held::{HeldBlocks, Inserted};
pub use tolerance::{Timing, Tolerance, ToleranceError};

/// How often the node notes that one producer's blocks arrive early (or far early).
pub const FUTURE_NOTE_EVERY: Duration = Duration::from_secs(60);

/// A change of the estimate's standing against the tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The estimate went beyond the tolerance.
    Left(Estimate),
    /// It came back within.
    Returned(Estimate),
}

/// What the node knows of its clock (the `chain_clock` answer and the metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub estimate: Option<Estimate>,
    pub samples: usize,
    /// `None` until there is an estimate.
    pub within: Option<bool>,
}

#[derive(Debug)]
struct Watch {
    estimator: OffsetEstimator,
    outside: bool,
    noted: HashMap<Address, Instant>,
}

/// The estimate and its standing (see the module note).
#[derive(Debug)]
pub struct ClockWatch {
    tolerance: Tolerance,
    watch: Mutex<Watch>,
}

impl ClockWatch {
    /// `me`: our address if we produce blocks.
    pub fn new(tolerance: Tolerance, samples: usize, me: Option<Address>) -> Self {
        Self {
            tolerance,
            watch: Mutex::new(Watch {
                estimator: OffsetEstimator::new(samples, me),
                outside: false,
                noted: HashMap::new(),
            }),
        }
    }

    pub fn tolerance(&self) -> &Tolerance {
        &self.tolerance
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Watch> {
        self.watch.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a block's arrival (see [`OffsetEstimator::record`]); the change of standing
    /// it caused, if any.
    pub fn observe(
        &self,
        producer: Address,
        slot: u64,
        received_at_ms: u64,
        slot_start_ms: u64,
    ) -> Option<Change> {
        let mut w = self.lock();
        if !w
            .estimator
            .record(producer, slot, received_at_ms, slot_start_ms)
        {
            return None;
        }
        let estimate = w.estimator.estimate()?;
        let outside = !self.tolerance.within(estimate.offset_ms);
        if outside == w.outside {
            return None;
        }
        w.outside = outside;
        Some(if outside {
            Change::Left(estimate)
        } else {
            Change::Returned(estimate)
        })
    }

    pub fn standing(&self) -> Standing {
        let w = self.lock();
        let estimate = w.estimator.estimate();
        Standing {
            estimate,
            samples: w.estimator.len(),
            within: estimate.map(|e| self.tolerance.within(e.offset_ms)),
        }
    }

    /// Whether our clock is known to agree with the network's (an estimate within the
    /// tolerance): only then is a block from far in the future its sender's fault.
    pub fn trusted(&self) -> bool {
        self.standing().within == Some(true)
    }

    /// Whether to note now that `producer`'s blocks arrive early (at most once per
    /// [`FUTURE_NOTE_EVERY`] per producer).
    pub fn note_future(&self, producer: Address, now: Instant) -> bool {
        let mut w = self.lock();
        match w.noted.get(&producer) {
            Some(at) if now.saturating_duration_since(*at) < FUTURE_NOTE_EVERY => false,
            _ => {
                w.noted.insert(producer, now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rumor_chain::ChainConfig;

    use super::*;

    fn watch() -> ClockWatch {
        ClockWatch::new(Tolerance::new(&ChainConfig::default()).unwrap(), 8, None)
    }

    fn a(n: u8) -> Address {
        Address([n; 32])
    }

    #[test]
    fn the_standing_changes_once_when_leaving_and_once_when_back() {
        let w = watch();
        assert_eq!(w.standing().within, None);
        assert!(!w.trusted(), "unknown is not trusted");
        // 2 s ahead: one change at the third sample, none after.
        assert_eq!(w.observe(a(1), 1, 12_000, 10_000), None);
        assert_eq!(w.observe(a(2), 2, 13_000, 11_000), None);
        let Some(Change::Left(e)) = w.observe(a(1), 3, 14_000, 12_000) else {
            panic!("left the tolerance");
        };
        assert_eq!(e.offset_ms, 2_000);
        assert_eq!(w.observe(a(2), 4, 15_000, 13_000), None, "said once");
        assert_eq!(w.standing().within, Some(false));
        // The clock is fixed: back once the window forgets the old samples.
        let mut changes = Vec::new();
        for slot in 5..20 {
            let start = 10_000 + slot * 1000;
            changes.extend(w.observe(a(1 + (slot % 2) as u8), slot, start + 20, start));
        }
        assert!(
            matches!(changes[..], [Change::Returned(e)] if e.offset_ms == 20),
            "{changes:?}"
        );
        assert!(w.trusted());
    }

    #[test]
    fn early_blocks_are_noted_once_a_minute_per_producer() {
        let w = watch();
        let t = Instant::now();
        assert!(w.note_future(a(1), t));
        assert!(!w.note_future(a(1), t + Duration::from_secs(59)));
        assert!(w.note_future(a(2), t));
        assert!(w.note_future(a(1), t + FUTURE_NOTE_EVERY));
    }
}
