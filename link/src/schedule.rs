//! When each chunk of a link's byte stream may be delivered: a pure function of the link's
//! parameters, the time the chunk was handed over, and its size.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::rng::SplitMix64;

/// Clamp for latency, jitter and one chunk's transmission time: keeps `Instant` arithmetic far
/// from overflow whatever a config file says.
const MAX_DELAY: Duration = Duration::from_secs(3600);

/// Emulated properties of one direction of a link. `Default` is the zero link (no emulation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkParams {
    /// One-way propagation delay added to every byte.
    pub latency: Duration,
    /// Each chunk gets an extra delay uniform in `[0, jitter]` (clamped so bytes stay in order).
    pub jitter: Duration,
    /// Serialisation rate of the link; `None` or `Some(0)` means no cap.
    pub bandwidth_bytes_per_sec: Option<u64>,
}

impl LinkParams {
    /// A link with nothing to emulate, which `Delayed` turns into a plain pass-through.
    pub fn is_zero(&self) -> bool {
        self.latency.is_zero() && self.jitter.is_zero() && self.bandwidth().is_none()
    }

    fn bandwidth(&self) -> Option<u64> {
        self.bandwidth_bytes_per_sec.filter(|&b| b > 0)
    }
}

/// Release-time calculator for one direction of one link.
///
/// The link is a serialising queue followed by a pipe: a chunk starts transmitting once the
/// link is free (`max(link_free_at, now)`), takes `len / bandwidth` to transmit, then arrives
/// `latency + jitter` later. Release times never decrease, because TCP never reorders bytes:
/// a chunk with a small jitter sample waits for the one before it.
#[derive(Debug, Clone)]
pub struct DelaySchedule {
    params: LinkParams,
    rng: SplitMix64,
    link_free_at: Option<Instant>,
    last_release: Option<Instant>,
}

impl DelaySchedule {
    /// `seed` drives the jitter: the same seed and inputs give the same release times.
    pub fn new(params: LinkParams, seed: u64) -> Self {
        let params = LinkParams {
            latency: params.latency.min(MAX_DELAY),
            jitter: params.jitter.min(MAX_DELAY),
            bandwidth_bytes_per_sec: params.bandwidth_bytes_per_sec,
        };
        Self {
            params,
            rng: SplitMix64::new(seed),
            link_free_at: None,
            last_release: None,
        }
    }

    pub fn params(&self) -> LinkParams {
        self.params
    }

    /// The instant at which a chunk of `len` bytes handed to the link at `now` may be
    /// delivered. `len == 0` models a FIN: it takes no link time but still crosses the pipe.
    /// Calls must come in stream order, with non-decreasing `now`.
    pub fn release_at(&mut self, now: Instant, len: usize) -> Instant {
        self.release_after(now, len, Duration::ZERO)
    }

    /// As [`DelaySchedule::release_at`], with `extra` on top of this chunk's propagation (a
    /// lost chunk's retransmission wait); later chunks queue behind it, as TCP's in-order
    /// delivery makes them.
    pub fn release_after(&mut self, now: Instant, len: usize, extra: Duration) -> Instant {
        let sent = match self.params.bandwidth() {
            Some(bw) => {
                let start = self.link_free_at.map_or(now, |free| free.max(now));
                let done = start + transmit_time(len, bw);
                self.link_free_at = Some(done);
                done
            }
            None => now,
        };
        let jitter = if self.params.jitter.is_zero() {
            Duration::ZERO
        } else {
            // Clamped to an hour, so the nanosecond count fits in u64.
            let max = self.params.jitter.as_nanos() as u64;
            Duration::from_nanos(self.rng.up_to(max))
        };
        let mut release = sent + self.params.latency + jitter + extra.min(MAX_DELAY);
        if let Some(last) = self.last_release {
            release = release.max(last);
        }
        self.last_release = Some(release);
        release
    }
}

/// Rounded up, so a capped link is never faster than its cap.
fn transmit_time(len: usize, bytes_per_sec: u64) -> Duration {
    let nanos = (len as u128 * 1_000_000_000).div_ceil(u128::from(bytes_per_sec));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX)).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::advance;

    const MS: Duration = Duration::from_millis(1);

    fn latency(ms: u32) -> LinkParams {
        LinkParams {
            latency: ms * MS,
            ..LinkParams::default()
        }
    }

    #[test]
    fn zero_params() {
        assert!(LinkParams::default().is_zero());
        assert!(
            LinkParams {
                bandwidth_bytes_per_sec: Some(0),
                ..LinkParams::default()
            }
            .is_zero()
        );
        assert!(!latency(1).is_zero());
    }

    #[tokio::test(start_paused = true)]
    async fn latency_is_added_to_every_chunk() {
        let mut s = DelaySchedule::new(latency(70), 1);
        for len in [0, 1, 1500, 1 << 20] {
            let now = Instant::now();
            assert_eq!(s.release_at(now, len), now + 70 * MS);
            advance(3 * MS).await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn jitter_is_bounded_varied_and_fifo() {
        let params = LinkParams {
            latency: 70 * MS,
            jitter: 20 * MS,
            bandwidth_bytes_per_sec: None,
        };
        let mut s = DelaySchedule::new(params, 7);
        let mut last = None;
        let mut extra = Vec::new();
        for _ in 0..500 {
            let now = Instant::now();
            let r = s.release_at(now, 100);
            assert!(r >= now + 70 * MS && r <= now + 90 * MS);
            if let Some(last) = last {
                assert!(r >= last, "release times went backwards");
            }
            last = Some(r);
            extra.push(r - now - 70 * MS);
            advance(MS).await;
        }
        let distinct: std::collections::BTreeSet<_> = extra.iter().collect();
        assert!(
            distinct.len() > 100,
            "jitter barely varies: {}",
            distinct.len()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn jitter_without_clamping_looks_uniform() {
        let params = LinkParams {
            jitter: 10 * MS,
            ..LinkParams::default()
        };
        // Spaced wider than the jitter, so the FIFO clamp never kicks in.
        let mut s = DelaySchedule::new(params, 3);
        let mut sum = Duration::ZERO;
        for _ in 0..2000 {
            let now = Instant::now();
            sum += s.release_at(now, 10) - now;
            advance(20 * MS).await;
        }
        let mean = sum / 2000;
        assert!(mean > 4 * MS && mean < 6 * MS, "mean jitter {mean:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn same_seed_same_schedule() {
        let params = LinkParams {
            latency: 5 * MS,
            jitter: 50 * MS,
            bandwidth_bytes_per_sec: Some(1_000_000),
        };
        let now = Instant::now();
        let run = |seed| {
            let mut s = DelaySchedule::new(params, seed);
            (0..50)
                .map(|i| s.release_at(now + i * MS, 777))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(11), run(11));
        assert_ne!(run(11), run(12));
    }

    #[tokio::test(start_paused = true)]
    async fn bandwidth_cap_serialises_a_burst() {
        let params = LinkParams {
            latency: 70 * MS,
            jitter: Duration::ZERO,
            bandwidth_bytes_per_sec: Some(10_000),
        };
        let mut s = DelaySchedule::new(params, 0);
        let now = Instant::now();
        let releases: Vec<_> = (0..10).map(|_| s.release_at(now, 1000)).collect();
        for (i, r) in releases.iter().enumerate() {
            assert_eq!(*r, now + (i as u32 + 1) * 100 * MS + 70 * MS);
        }
        assert_eq!(releases[9], now + Duration::from_secs(1) + 70 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_link_does_not_accumulate_queueing_delay() {
        let params = LinkParams {
            latency: 10 * MS,
            jitter: Duration::ZERO,
            bandwidth_bytes_per_sec: Some(10_000),
        };
        let mut s = DelaySchedule::new(params, 0);
        for _ in 0..5 {
            let now = Instant::now();
            // 1000 B take 100 ms; sending every 500 ms never queues.
            assert_eq!(s.release_at(now, 1000), now + 110 * MS);
            advance(500 * MS).await;
        }
        // A FIN right after a big chunk waits for the chunk to finish transmitting.
        let now = Instant::now();
        s.release_at(now, 5000);
        assert_eq!(s.release_at(now, 0), now + 510 * MS);
    }

    #[test]
    fn transmit_time_rounds_up_and_saturates() {
        assert_eq!(transmit_time(1, 3), Duration::from_nanos(333_333_334));
        assert_eq!(transmit_time(usize::MAX, 1), MAX_DELAY);
    }
}
