//! Open-file budget of an in-process testnet: every node's sockets live in this one process.
//!
//! A node holds at most `max_established` (32) connections plus `max_pending` (16) dials and
//! 16 accepts in flight, its listeners (p2p, JSON-RPC, metrics) and its trace file; with both
//! ends of every connection in this process that is at most [`PER_NODE`] descriptors per node
//! (in practice about 20: a node keeps 8–16 peers). Debian's default soft limit (1 024) stops
//! about fifty nodes with "Too many open files" halfway through the mesh, so `up --in-process`
//! raises the soft limit as far as the hard one allows (and the hard one too where the process
//! may), and says so when even that is below the worst case.

use crate::error::{Error, Result};

/// Descriptors one in-process node may hold at most (see the module note): 32 + 16 + 16
/// connections, 3 listeners, a trace file, and slack for the RPC clients of the load.
pub const PER_NODE: u64 = 80;

/// Descriptors this tool keeps for itself beyond its nodes (logs, RPC clients, /proc reads).
const OWN: u64 = 1024;

/// The kernel's ceiling for a process's open files (`/proc/sys/fs/nr_open`).
fn kernel_ceiling() -> u64 {
    std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1 << 20)
}

/// Descriptors `nodes` in-process nodes may need at most.
pub fn needed(nodes: usize) -> u64 {
    nodes as u64 * PER_NODE + OWN
}

/// The open-file limit after [`raise_for`]: what is in force and what the nodes may need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub limit: u64,
    pub needed: u64,
}

impl Budget {
    /// The warning to print when the limit is below the worst case, `None` when it is not.
    pub fn shortfall(&self, nodes: usize) -> Option<String> {
        (self.limit < self.needed).then(|| {
            format!(
                "{nodes} in-process nodes may need up to {} open files ({PER_NODE} per node at \
                 their connection caps; about 20 in practice) and this process may open {}: \
                 a node that hits it logs \"Too many open files\" and loses peers (raise the \
                 hard limit: `ulimit -Hn {}` with CAP_SYS_RESOURCE, or LimitNOFILE=)",
                self.needed, self.limit, self.needed
            )
        })
    }
}

/// Raises this process's open-file limit towards what `nodes` in-process nodes may need: the
/// soft limit up to the hard one, and the hard one too where allowed. Never lowers either.
pub fn raise_for(nodes: usize) -> Result<Budget> {
    let needed = needed(nodes);
    let read = |e: std::io::Error| Error::Invalid(format!("the open-file limit: {e}"));
    let (soft, hard) = rlimit::Resource::NOFILE.get().map_err(read)?;
    if soft >= needed {
        return Ok(Budget {
            limit: soft,
            needed,
        });
    }
    let target = needed.min(kernel_ceiling());
    // Raising the hard limit needs CAP_SYS_RESOURCE; without it, go as far as the hard one.
    let limit = if hard < target && rlimit::Resource::NOFILE.set(target, target).is_ok() {
        target
    } else {
        let soft = target.min(hard).max(soft);
        rlimit::Resource::NOFILE.set(soft, hard).map_err(read)?;
        soft
    };
    Ok(Budget { limit, needed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_network_fits_and_the_limit_never_drops() {
        let before = rlimit::Resource::NOFILE.get().unwrap();
        let b = raise_for(4).unwrap();
        assert_eq!(b.needed, needed(4));
        assert!(b.limit >= b.needed, "{b:?}");
        assert_eq!(b.shortfall(4), None);
        let after = rlimit::Resource::NOFILE.get().unwrap();
        assert!(after.0 >= before.0 && after.1 >= before.1);
    }

    #[test]
    fn a_limit_below_the_worst_case_is_reported_with_the_numbers() {
        let b = Budget {
            limit: 20_000,
            needed: needed(1000),
        };
        let w = b.shortfall(1000).unwrap();
        assert!(w.contains("81024") && w.contains("20000"), "{w}");
    }
}
