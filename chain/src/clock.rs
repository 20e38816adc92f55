//! The one wall clock every crate reads: microseconds and milliseconds since the Unix epoch.
//!
//! Slots, block timestamps, trace lines and testnet reports all compare these values across
//! processes on one machine, so they must come from the same function. A clock before 1970
//! reads as 0 rather than panicking.

use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    now_us() / 1000
}

#[cfg(test)]
mod tests {
    #[test]
    fn milliseconds_follow_microseconds() {
        let us = super::now_us();
        let ms = super::now_ms();
        assert!(us > 1_600_000_000_000_000, "clock after 2020");
        assert!(ms >= us / 1000 && ms - us / 1000 < 1000);
    }
}
