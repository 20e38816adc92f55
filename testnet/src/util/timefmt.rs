//! Wall-clock helpers and the human formats the CLI reads and prints. The host's realtime
//! clock is the one the nodes stamp their traces with, so the tool uses the same one. Dates
//! are formatted by the `time` crate (the calendar arithmetic is its, not ours); the duration
//! parser is hand-written because its grammar (`30`, `500ms`, `1.5s`, `2m`) is the CLI's own.

use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// The clock the nodes stamp their traces with (CLOCK_REALTIME), from `rumor-chain`.
pub use rumor_chain::clock::{now_ms, now_us};

/// `YYYYmmdd-HHMMSS` in UTC, for run directory names (sortable, no time zone database needed).
pub fn timestamp(unix_secs: u64) -> String {
    format(
        unix_secs,
        format_description!("[year][month][day]-[hour][minute][second]"),
    )
}

/// `YYYY-mm-dd HH:MM` in UTC, for tables people read.
pub fn utc_minute(unix_secs: u64) -> String {
    format(
        unix_secs,
        format_description!("[year]-[month]-[day] [hour]:[minute]"),
    )
}

/// `unix_secs` in UTC in `description`. Outside the calendar `time` represents (years
/// -9999..=9999) the epoch is printed instead: no wall clock reads that far.
fn format(unix_secs: u64, description: &[BorrowedFormatItem<'_>]) -> String {
    let at = i64::try_from(unix_secs)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    at.format(description).unwrap_or_default()
}

/// Parses `30`, `30s`, `500ms`, `2m`, `1.5s`, `1h`. A bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("invalid duration {s:?} (examples: 30, 30s, 500ms, 2m, 1h)"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("invalid duration {s:?}"));
    }
    Ok(Duration::from_secs_f64(v * scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(0), "19700101-000000");
        // 2024-02-29 12:34:56 UTC
        assert_eq!(timestamp(1_709_210_096), "20240229-123456");
        assert_eq!(utc_minute(1_709_210_096), "2024-02-29 12:34");
        // 2099-12-31 23:59:59 UTC, and the year 10000 (out of range: the epoch).
        assert_eq!(timestamp(4_102_444_799), "20991231-235959");
        assert_eq!(timestamp(253_402_300_800), "19700101-000000");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert!(parse_duration("x").is_err());
        assert!(parse_duration("-1").is_err());
    }
}
