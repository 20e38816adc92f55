//! Helpers for tests of networked code (feature `test-utils`, on in this crate's own tests):
//! one bounded wait on a condition, instead of a copy per test suite.
//!
//! Invariant: a wait never outlasts its timeout by more than one poll plus one evaluation of
//! the condition; when it runs out it panics naming what it waited for.

use std::future::Future;
use std::time::Duration;

/// How often [`wait_for`] re-evaluates its condition.
pub const POLL: Duration = Duration::from_millis(20);

/// Polls `cond` every [`POLL`] until it holds or `timeout` passes (then panics with `what`).
pub async fn wait_for<F, Fut>(what: &str, timeout: Duration, cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    wait_for_every(POLL, what, timeout, cond).await
}

/// [`wait_for`] with its own poll interval, for conditions that are costly to evaluate (an RPC
/// round trip, a metrics scrape).
pub async fn wait_for_every<F, Fut>(poll: Duration, what: &str, timeout: Duration, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if cond().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for: {what}"
        );
        tokio::time::sleep(poll).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn returns_once_the_condition_holds() {
        let mut calls = 0;
        wait_for("third call", Duration::from_secs(1), || {
            calls += 1;
            let done = calls >= 3;
            async move { done }
        })
        .await;
        assert_eq!(calls, 3);
    }

    #[tokio::test(start_paused = true)]
    #[should_panic(expected = "waiting for: never")]
    async fn panics_after_the_timeout() {
        wait_for("never", Duration::from_millis(100), || async { false }).await;
    }
}
