//! The one wall clock every crate reads: microseconds and milliseconds since the Unix epoch.
//!
//! Slots, block timestamps, trace lines and testnet reports all compare these values across
//! processes on one machine, so they must come from the same function. A clock before 1970
//! reads as 0 rather than panicking.
//!
//! A node reads wall time only through its [`Clock`] (slots, the future/replay checks, trace
//! stamps, `trace_clock`): the system clock shifted by a fixed offset, zero except in tests
//! and testnets that emulate a skewed machine (`rumor-testnet --skew`). The free functions
//! [`now_us`] and [`now_ms`] read the unshifted system clock, for tools (and a node's
//! `clippy.toml` forbids them there, so no path of the node bypasses its clock).

use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch, from the system clock.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch, from the system clock.
pub fn now_ms() -> u64 {
    now_us() / 1000
}

/// A wall clock: the system clock plus a fixed offset (a machine whose clock runs ahead or
/// behind by that much). Cheap to copy; [`Clock::system`] has no offset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    offset_us: i64,
}

impl Clock {
    /// The system clock, unshifted.
    pub const fn system() -> Self {
        Self { offset_us: 0 }
    }

    /// The system clock shifted by `offset_ms` (positive: ahead).
    pub const fn with_offset_ms(offset_ms: i64) -> Self {
        Self {
            offset_us: offset_ms.saturating_mul(1000),
        }
    }

    /// The offset from the system clock, in ms (positive: ahead).
    pub const fn offset_ms(&self) -> i64 {
        self.offset_us / 1000
    }

    /// Microseconds since the Unix epoch by this clock (0 before the epoch).
    pub fn now_us(&self) -> u64 {
        now_us().saturating_add_signed(self.offset_us)
    }

    /// Milliseconds since the Unix epoch by this clock.
    pub fn now_ms(&self) -> u64 {
        self.now_us() / 1000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_follow_microseconds() {
        let us = now_us();
        let ms = now_ms();
        assert!(us > 1_600_000_000_000_000, "clock after 2020");
        assert!(ms >= us / 1000 && ms - us / 1000 < 1000);
    }

    #[test]
    fn a_shifted_clock_reads_the_system_clock_plus_its_offset() {
        let ahead = Clock::with_offset_ms(2_000);
        let behind = Clock::with_offset_ms(-1_500);
        let (before, a, b, after) = (now_ms(), ahead.now_ms(), behind.now_ms(), now_ms());
        assert!(a >= before + 2_000 && a <= after + 2_000);
        assert!(b + 1_500 >= before && b + 1_500 <= after);
        assert_eq!(ahead.offset_ms(), 2_000);
        assert_eq!(Clock::default(), Clock::system());
        // Before the epoch reads as 0, never wraps.
        assert_eq!(Clock::with_offset_ms(i64::MIN).now_us(), 0);
    }
}
