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
mod family;
pub mod labels;
pub mod node;
pub mod p2p;

pub use family::{Family, Kind};

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
