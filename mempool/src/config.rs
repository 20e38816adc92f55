//! The pool's limits. Every field is also reported by [`crate::PoolStatus`] so the node can
//! export the configured bounds next to the live gauges.

use std::time::Duration;

use rumor_api::PoolLimits;

/// Limits and policy of a [`crate::Pool`]. See the crate docs for the table of defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConfig {
    /// Most txs held, pending and queued together.
    pub max_txs: usize,
    /// Most encoded bytes held. With today's fixed 160-byte txs `max_txs` binds first; this
    /// bound keeps memory capped if tx sizes ever vary.
    pub max_bytes: usize,
    /// Most executable txs per sender; further consecutive nonces wait as queued.
    pub max_pending_per_sender: usize,
    /// Most non-executable txs per sender.
    pub max_queued_per_sender: usize,
    /// Most non-executable txs over all senders, so nonce-gap spam cannot fill the pool with
    /// txs that no block can include.
    pub max_queued_total: usize,
    /// A replacement (same sender and nonce) must raise the fee by at least this percentage.
    pub price_bump_percent: u64,
    /// Txs older than this are dropped by [`crate::Pool::maintain`].
    pub lifetime: Duration,
    /// Txs paying less are rejected outright.
    pub min_fee: u64,
    /// Buffer of the newly-pending broadcast; a receiver that falls further behind loses the
    /// oldest hashes (and learns how many it missed).
    pub pending_broadcast_capacity: usize,
}

impl PoolConfig {
    /// The default buffer of the newly-pending broadcast.
    pub const DEFAULT_PENDING_BROADCAST: usize = 4_096;
}

/// The operator-facing limits (`[pool]` in the node's config, `rumor_api::PoolLimits`, which
/// owns their defaults) as the pool's config.
impl From<&PoolLimits> for PoolConfig {
    fn from(l: &PoolLimits) -> Self {
        Self {
            max_txs: l.max_txs,
            max_bytes: l.max_bytes,
            max_pending_per_sender: l.max_pending_per_sender,
            max_queued_per_sender: l.max_queued_per_sender,
            max_queued_total: l.max_queued_total,
            price_bump_percent: l.price_bump_percent,
            lifetime: Duration::from_secs(l.lifetime_secs),
            min_fee: l.min_fee,
            pending_broadcast_capacity: Self::DEFAULT_PENDING_BROADCAST,
        }
    }
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self::from(&PoolLimits::default())
    }
}

impl PoolConfig {
    /// The lowest fee that may replace a tx paying `old`: at least `price_bump_percent` more,
    /// and always strictly more (so a zero bump cannot churn the pool for free).
    pub fn replacement_fee(&self, old: u64) -> u64 {
        let bumped = u128::from(old) * (100 + u128::from(self.price_bump_percent)) / 100;
        let bumped = u64::try_from(bumped).unwrap_or(u64::MAX);
        bumped.max(old.saturating_add(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_fee_bumps_by_percent_and_at_least_one() {
        let c = PoolConfig::default();
        assert_eq!(c.replacement_fee(100), 110);
        assert_eq!(c.replacement_fee(5), 6);
        assert_eq!(c.replacement_fee(0), 1);
        assert_eq!(c.replacement_fee(u64::MAX), u64::MAX);
        let zero = PoolConfig {
            price_bump_percent: 0,
            ..c
        };
        assert_eq!(zero.replacement_fee(100), 101);
    }

    #[test]
    fn defaults_match_the_documented_table() {
        let c = PoolConfig::default();
        assert_eq!(c.max_txs, 10_000);
        assert_eq!(c.max_pending_per_sender, 16);
        assert_eq!(c.max_queued_per_sender, 64);
        assert_eq!(c.price_bump_percent, 10);
        assert_eq!(c.lifetime, Duration::from_secs(10_800));
    }
}
