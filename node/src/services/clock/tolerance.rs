//! The clock tolerance: what happens to a block whose slot starts ahead of our clock.
//!
//! | ahead of our clock by | the block is | blame |
//! |---|---|---|
//! | ≤ `max_future_ms` (500) | taken at once | — |
//! | ≤ `hold_future_ms` (10 000) | checked, forwarded, held until it is within the tolerance, then imported | none |
//! | more | refused (`Ignore`) | none: its producer's clock may be right and ours wrong |
//! | > `reject_future_ms` (60 000), while our own clock agrees with the network's | rejected | its sender |
//!
//! A block *behind* our clock is late, not invalid: it is taken as any other up to the replay
//! window (`[chain] replay_window_slots`, at least 10 s), beyond which it is a replay.
//!
//! Invariant: `Timing::Now` exactly when the chain's own check ([`rumor_chain::check_header`]
//! with `max_future_ms`) would pass the slot, so a held block is importable when released.

use rumor_chain::ChainConfig;

/// What to do with a block, by its slot's start against our clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// Within the tolerance: judge and import it now.
    Now,
    /// Early: hold it until `due_ms` (our clock), when its slot is within the tolerance.
    Hold { due_ms: u64 },
    /// Too far ahead to hold: ignore it (no penalty).
    Refuse,
    /// So far ahead that no honest relayer would forward it: reject it (its sender penalised).
    Reject,
}

impl Timing {
    /// The metric label.
    pub fn as_str(&self) -> &'static str {
        match self {
            Timing::Now => "now",
            Timing::Hold { .. } => "held",
            Timing::Refuse => "refused",
            Timing::Reject => "rejected",
        }
    }
}

/// The `[chain]` settings that decide a block's [`Timing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tolerance {
    pub max_future_ms: u64,
    pub hold_future_ms: u64,
    pub reject_future_ms: u64,
}

/// Why a tolerance cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "[chain] needs max_future_ms ({max}) ≤ hold_future_ms ({hold}) ≤ reject_future_ms ({reject})"
)]
pub struct ToleranceError {
    max: u64,
    hold: u64,
    reject: u64,
}

impl Tolerance {
    pub fn new(c: &ChainConfig) -> Result<Self, ToleranceError> {
        if c.max_future_ms > c.hold_future_ms || c.hold_future_ms > c.reject_future_ms {
            return Err(ToleranceError {
                max: c.max_future_ms,
                hold: c.hold_future_ms,
                reject: c.reject_future_ms,
            });
        }
        Ok(Self {
            max_future_ms: c.max_future_ms,
            hold_future_ms: c.hold_future_ms,
            reject_future_ms: c.reject_future_ms,
        })
    }

    /// [`Tolerance::new`], with bounds out of order raised to the one before them (the node
    /// refuses such a config at start; this is for parts built without that check).
    pub fn clamped(c: &ChainConfig) -> Self {
        let hold_future_ms = c.hold_future_ms.max(c.max_future_ms);
        Self {
            max_future_ms: c.max_future_ms,
            hold_future_ms,
            reject_future_ms: c.reject_future_ms.max(hold_future_ms),
        }
    }

    /// The timing of a block whose slot starts at `start_ms`, at `now_ms` (both our clock).
    /// `trusted`: our own clock agrees with the network's (see the module note).
    pub fn timing(&self, start_ms: u64, now_ms: u64, trusted: bool) -> Timing {
        let ahead = start_ms.saturating_sub(now_ms);
        if ahead <= self.max_future_ms {
            Timing::Now
        } else if ahead <= self.hold_future_ms {
            Timing::Hold {
                due_ms: start_ms - self.max_future_ms,
            }
        } else if ahead > self.reject_future_ms && trusted {
            Timing::Reject
        } else {
            Timing::Refuse
        }
    }

    /// Whether a clock offset (ours against the network's, either sign) is within tolerance:
    /// our blocks are then taken at once by peers whose clocks are right, and theirs by us.
    pub fn within(&self, offset_ms: i64) -> bool {
        offset_ms.unsigned_abs() <= self.max_future_ms
    }
}

#[cfg(test)]
mod tests {
    use rumor_chain::{Genesis, Keypair, check_header};

    use super::*;

    fn tolerance() -> Tolerance {
        Tolerance::new(&ChainConfig::default()).unwrap()
    }

    #[test]
    fn the_defaults_take_hold_refuse_and_reject_by_distance() {
        let t = tolerance();
        let now = 1_000_000;
        assert_eq!(t.timing(now - 5_000, now, true), Timing::Now, "late");
        assert_eq!(t.timing(now + 500, now, true), Timing::Now);
        assert_eq!(
            t.timing(now + 501, now, true),
            Timing::Hold { due_ms: now + 1 }
        );
        assert_eq!(
            t.timing(now + 10_000, now, true),
            Timing::Hold {
                due_ms: now + 9_500
            }
        );
        assert_eq!(t.timing(now + 10_001, now, true), Timing::Refuse);
        assert_eq!(t.timing(now + 60_000, now, true), Timing::Refuse);
        assert_eq!(t.timing(now + 60_001, now, true), Timing::Reject);
        assert_eq!(
            t.timing(now + 60_001, now, false),
            Timing::Refuse,
            "no blame while our own clock may be the wrong one"
        );
        assert_eq!(t.timing(u64::MAX, 0, true), Timing::Reject);
    }

    #[test]
    fn a_held_block_passes_the_chains_own_check_when_due_and_not_before() {
        let t = tolerance();
        let config = ChainConfig::default();
        let key = Keypair::from_label("p");
        let genesis = Genesis::new(1, 1_000, 100, vec![key.address()], &[], 0);
        let block = rumor_chain::produce_block(
            &genesis.block().header,
            &genesis.initial_state(),
            &genesis,
            &genesis.limits,
            200,
            &key,
            [],
        )
        .block;
        let start = genesis.slot_start_ms(200);
        let Timing::Hold { due_ms } = t.timing(start, start - 3_000, true) else {
            panic!("held");
        };
        assert_eq!(t.timing(start, due_ms, true), Timing::Now);
        assert!(check_header(&block, &genesis, &config, due_ms).is_ok());
        assert_ne!(t.timing(start, due_ms - 1, true), Timing::Now);
        assert!(matches!(
            check_header(&block, &genesis, &config, due_ms - 1),
            Err(rumor_chain::BlockError::FutureSlot { .. })
        ));
    }

    #[test]
    fn within_is_symmetric() {
        let t = tolerance();
        assert!(t.within(500) && t.within(-500) && t.within(0));
        assert!(!t.within(501) && !t.within(-501) && !t.within(i64::MIN));
    }

    #[test]
    fn bounds_out_of_order_are_refused() {
        let bad = ChainConfig {
            hold_future_ms: 100,
            ..ChainConfig::default()
        };
        let e = Tolerance::new(&bad).unwrap_err().to_string();
        assert!(e.contains("max_future_ms (500)"), "{e}");
        let bad = ChainConfig {
            reject_future_ms: 9_000,
            ..ChainConfig::default()
        };
        assert!(Tolerance::new(&bad).is_err());
        let clamped = Tolerance::clamped(&bad);
        assert_eq!(clamped.reject_future_ms, clamped.hold_future_ms);
    }
}
