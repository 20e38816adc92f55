//! The node's `/metrics` families, named once: the node and `rumor-p2p` register them from
//! these constants, and every reader (testnet, bench, tests) matches samples with them.
//!
//! Invariant: a [`Family`] here is exactly what the node's registry exports (the node's
//! `every_family_is_exported_under_its_name` test compares both ways), so a reader that
//! matches on [`Family::sample`] or [`Family::is_sample`] never spells a name or hand-appends a
//! suffix. prometheus-client registers a counter as `name` and writes its samples as
//! `name_total`; both are here (`name`, `sample`).
//!
//! | module | families | registered by |
//! |---|---|---|
//! | [`node`] | `rumor_*` | `rumor-node` (`node/src/metrics.rs`) |
//! | [`p2p`] | `rumor_p2p_*` | `rumor-p2p` (`p2p/src/metrics.rs`) |
//! | [`external`] | `mempool_*`, `gossipsub_*`, `libp2p_bandwidth_*` | the mempool's status, gossipsub's and libp2p's own metrics |
//! | [`labels`] | label names and values readers depend on | the code that counts |

pub mod external;
pub mod labels;
pub mod node;
pub mod p2p;

/// A family's Prometheus type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    /// The `# TYPE` word.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// One metric family: its name, type, label names and help text (its meaning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    /// The name as registered, and in OpenMetrics' `# TYPE` line (no `_total`).
    pub name: &'static str,
    /// The name of its samples: `name` + `_total` for a counter, `name` otherwise (a
    /// histogram's samples add `_bucket`, `_sum` and `_count`: see [`Family::is_sample`]).
    pub sample: &'static str,
    pub kind: Kind,
    /// Label names its series carry (none: one unlabelled series).
    pub labels: &'static [&'static str],
    /// The help text the node registers (prometheus-client adds the final `.`).
    pub help: &'static str,
}

impl Family {
    /// Whether a sample named `name` belongs to this family: `sample` exactly, or a
    /// histogram's `_bucket`/`_sum`/`_count`. Never the `_created` samples OpenMetrics adds.
    pub fn is_sample(&self, name: &str) -> bool {
        if name == self.sample {
            return true;
        }
        self.kind == Kind::Histogram
            && name
                .strip_prefix(self.name)
                .is_some_and(|s| matches!(s, "_bucket" | "_sum" | "_count"))
    }

    /// The name without `prefix` and its `_`, as registered in a prefixed sub-registry.
    ///
    /// # Panics
    /// If the family is not under `prefix` (a wrong table: the tests catch it).
    pub fn short(&self, prefix: &str) -> &'static str {
        self.name
            .strip_prefix(prefix)
            .and_then(|s| s.strip_prefix('_'))
            .unwrap_or_else(|| panic!("{} is not under {prefix}_", self.name))
    }
}

/// Declares families as constants plus `ALL`, from rows of
/// `NAME: Kind "name" [labels] "help";`; a counter's sample name gets `_total` here, once.
macro_rules! families {
    ($( $(#[$doc:meta])* $id:ident: $kind:ident $name:literal [$($label:literal),*] $help:literal; )*) => {
        $(
            $(#[$doc])*
            pub const $id: $crate::metrics::Family = $crate::metrics::Family {
                name: $name,
                sample: $crate::metrics::families!(@sample $kind $name),
                kind: $crate::metrics::Kind::$kind,
                labels: &[$($label),*],
                help: $help,
            };
        )*
        /// Every family of this module, in registration order.
        pub const ALL: &[$crate::metrics::Family] = &[$($id),*];
    };
    (@sample Counter $name:literal) => { concat!($name, "_total") };
    (@sample $kind:ident $name:literal) => { $name };
}
pub(crate) use families;

/// Every family the node exports under its own name (node, p2p and mempool; not gossipsub's
/// or libp2p's, whose names their crates choose).
pub fn all() -> impl Iterator<Item = &'static Family> {
    node::ALL.iter().chain(p2p::ALL).chain(external::MEMPOOL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_samples_derived() {
        let mut names: Vec<&str> = all().map(|f| f.name).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "a family is declared twice");
        assert_eq!(node::BLOCKS_IMPORTED.sample, "rumor_blocks_imported_total");
        assert_eq!(node::HEAD_HEIGHT.sample, "rumor_head_height");
        assert_eq!(p2p::PEER_BANS.sample, "rumor_p2p_peer_bans_total");
        assert!(node::RPC_SECONDS.is_sample("rumor_rpc_seconds_count"));
        assert!(!node::RPC_SECONDS.is_sample("rumor_rpc_seconds_created"));
        assert!(!node::TASKS.is_sample("rumor_tasks_other"));
        assert_eq!(node::HEAD_HEIGHT.short("rumor"), "head_height");
        assert_eq!(p2p::PEERS.short("rumor_p2p"), "peers");
        for f in node::ALL {
            assert!(f.name.starts_with("rumor_") && !f.name.starts_with("rumor_p2p_"));
        }
        for f in p2p::ALL {
            assert!(f.name.starts_with("rumor_p2p_"));
        }
    }
}
