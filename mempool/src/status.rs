//! The pool's gauges and counters, as one snapshot the node exports (this crate has no metrics
//! dependency of its own).

use crate::config::PoolConfig;
use crate::error::TxReject;
use rumor_api::metrics::{Family, Kind};

/// Monotonic counters since the pool was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolCounters {
    /// Txs admitted (as pending, queued or a replacement), reinjected ones included.
    pub admitted: u64,
    /// Txs dropped because a higher-fee tx replaced them.
    pub replaced: u64,
    /// Queued txs that became pending.
    pub promoted: u64,
    /// Txs dropped to make room or to respect a cap.
    pub evicted: u64,
    /// Txs dropped by [`crate::Pool::maintain`] for age.
    pub expired: u64,
    /// Txs dropped because a block included them.
    pub included: u64,
    /// Txs dropped because the account nonce passed them (another tx with that nonce landed).
    pub stale: u64,
    /// Txs of reorged-out blocks taken back.
    pub reinjected: u64,
    rejections: [u64; TxReject::ALL.len()],
}

impl PoolCounters {
    /// Rejected inserts with this reason.
    pub fn rejected(&self, reason: TxReject) -> u64 {
        self.rejections[reason.index()]
    }

    /// Every reason the pool returns with its count, in [`TxReject::POOL`] order.
    pub fn rejections(&self) -> impl Iterator<Item = (TxReject, u64)> + '_ {
        TxReject::POOL.iter().map(|&r| (r, self.rejected(r)))
    }

    pub(crate) fn reject(&mut self, reason: TxReject) {
        self.rejections[reason.index()] += 1;
    }
}

/// A snapshot of the pool: what it holds, what happened to it, and its configured limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolStatus {
    pub pending: usize,
    pub queued: usize,
    /// Encoded bytes of all pooled txs.
    pub bytes: usize,
    /// Senders with at least one pooled tx.
    pub senders: usize,
    pub counters: PoolCounters,
    pub limits: PoolConfig,
}

/// Whether a [`Metric`] only goes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Gauge,
    Counter,
}

/// One exportable sample, named for Prometheus: a counter's name is its family name, without
/// the `_total` its samples get from the exporter (OpenMetrics); units are base units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: MetricKind,
    /// A `(label, value)` pair; samples sharing a name differ only in it.
    pub label: Option<(&'static str, &'static str)>,
    pub value: u64,
}

impl PoolStatus {
    /// Every gauge, counter and configured limit as flat samples, ready for an exporter.
    pub fn metrics(&self) -> Vec<Metric> {
        use rumor_api::metrics::external as f;
        // Name, help and type from the one definition in `rumor-api`.
        let m = |family: Family, value: u64| Metric {
            name: family.name,
            help: family.help,
            kind: match family.kind {
                Kind::Counter => MetricKind::Counter,
                _ => MetricKind::Gauge,
            },
            label: None,
            value,
        };
        let c = &self.counters;
        let l = &self.limits;
        let mut out = vec![
            m(f::MEMPOOL_PENDING, self.pending as u64),
            m(f::MEMPOOL_QUEUED, self.queued as u64),
            m(f::MEMPOOL_BYTES, self.bytes as u64),
            m(f::MEMPOOL_SENDERS, self.senders as u64),
            m(f::MEMPOOL_ADMITTED, c.admitted),
            m(f::MEMPOOL_REPLACED, c.replaced),
            m(f::MEMPOOL_PROMOTED, c.promoted),
            m(f::MEMPOOL_EVICTED, c.evicted),
            m(f::MEMPOOL_EXPIRED, c.expired),
            m(f::MEMPOOL_INCLUDED, c.included),
            m(f::MEMPOOL_STALE, c.stale),
            m(f::MEMPOOL_REINJECTED, c.reinjected),
            m(f::MEMPOOL_LIMIT_MAX_TXS, l.max_txs as u64),
            m(f::MEMPOOL_LIMIT_MAX_BYTES, l.max_bytes as u64),
            m(
                f::MEMPOOL_LIMIT_PENDING_PER_SENDER,
                l.max_pending_per_sender as u64,
            ),
            m(
                f::MEMPOOL_LIMIT_QUEUED_PER_SENDER,
                l.max_queued_per_sender as u64,
            ),
            m(f::MEMPOOL_LIMIT_MAX_QUEUED, l.max_queued_total as u64),
            m(f::MEMPOOL_LIMIT_PRICE_BUMP_PERCENT, l.price_bump_percent),
            m(f::MEMPOOL_LIMIT_LIFETIME_SECONDS, l.lifetime.as_secs()),
            m(f::MEMPOOL_LIMIT_MIN_FEE, l.min_fee),
            m(
                f::MEMPOOL_LIMIT_BROADCAST_CAPACITY,
                l.pending_broadcast_capacity as u64,
            ),
        ];
        out.extend(c.rejections().map(|(reason, value)| Metric {
            label: Some(("reason", reason.as_str())),
            ..m(f::MEMPOOL_REJECTED, value)
        }));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_cover_gauges_counters_limits_and_every_reason() {
        let mut counters = PoolCounters::default();
        counters.reject(TxReject::PoolFull);
        counters.reject(TxReject::PoolFull);
        let status = PoolStatus {
            pending: 3,
            queued: 1,
            bytes: 640,
            senders: 2,
            counters,
            limits: PoolConfig::default(),
        };
        let ms = status.metrics();
        let get = |name: &str| ms.iter().find(|m| m.name == name).unwrap().value;
        assert_eq!(get("mempool_pending"), 3);
        assert_eq!(get("mempool_limit_max_txs"), 10_000);
        assert_eq!(get("mempool_limit_lifetime_seconds"), 10_800);
        let rejected: Vec<_> = ms.iter().filter(|m| m.name == "mempool_rejected").collect();
        assert_eq!(rejected.len(), TxReject::POOL.len());
        let full = rejected
            .iter()
            .find(|m| m.label == Some(("reason", "pool_full")))
            .unwrap();
        assert_eq!(full.value, 2);
        assert_eq!(full.kind, MetricKind::Counter);
    }
}
