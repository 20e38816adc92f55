//! Token bucket pacing. Tokens are transactions; a batch waits for as many tokens as it has
//! txs. The bucket holds a little more than one batch so timer overshoot (Tokio sleeps wake
//! up to ~1 ms late) is made up on the next send instead of lowering the achieved rate, while
//! a long stall still cannot turn into an unbounded burst.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// `rate` tokens per second; starts full so the first batch goes out at once.
    pub fn new(rate: f64, batch: usize, now: Instant) -> Self {
        let capacity = (batch as f64).max((rate / 10.0).ceil()).max(1.0);
        Self {
            rate,
            capacity,
            tokens: batch as f64,
            last: now,
        }
    }

    pub fn capacity(&self) -> f64 {
        self.capacity
    }

    /// Takes `n` tokens if available (returns zero), else returns how long until they are.
    pub fn take(&mut self, n: f64, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity.max(n));
        self.last = now;
        if self.tokens >= n {
            self.tokens -= n;
            Duration::ZERO
        } else {
            Duration::from_secs_f64((n - self.tokens) / self.rate)
        }
    }

    /// Waits for and takes `n` tokens.
    pub async fn acquire(&mut self, n: f64) {
        loop {
            let wait = self.take(n, Instant::now());
            if wait.is_zero() {
                return;
            }
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_rate_on_a_synthetic_clock() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(100.0, 1, t0);
        assert_eq!(b.capacity(), 10.0);
        assert!(b.take(1.0, t0).is_zero());
        // Empty now: the next token is 10 ms away.
        let w = b.take(1.0, t0);
        assert!((w.as_secs_f64() - 0.01).abs() < 1e-9, "{w:?}");
        // Simulate a sender that always wakes 1 ms late: it still averages 100/s.
        let mut now = t0;
        let mut sent = 1;
        while now < t0 + Duration::from_secs(10) {
            let w = b.take(1.0, now);
            if w.is_zero() {
                sent += 1;
            } else {
                now += w + Duration::from_millis(1);
            }
        }
        assert!((999..=1001).contains(&sent), "{sent}");
    }

    #[test]
    fn a_long_stall_is_not_a_burst() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(100.0, 1, t0);
        let later = t0 + Duration::from_secs(60);
        let burst = (0..1000)
            .take_while(|_| b.take(1.0, later).is_zero())
            .count();
        assert_eq!(burst, 10);
    }

    #[test]
    fn batches_wait_for_all_their_tokens() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10.0, 20, t0);
        assert!(b.take(20.0, t0).is_zero());
        let w = b.take(20.0, t0);
        assert!((w.as_secs_f64() - 2.0).abs() < 1e-9);
        assert!(b.take(20.0, t0 + Duration::from_secs(2)).is_zero());
    }
}
