//! Start-up order: which node may start next.
//!
//! Invariant: a node starts only once every one of its bootnodes answers RPC (so its first
//! dials find them listening), nodes start in index order, and at most `limit` started nodes
//! are still coming up at once.
//!
//! Why not one at a time: each node waiting for the previous one made start-up a sum of
//! per-node start times — 17–20 min for 1 000 in-process nodes on 2 cores (session 8), the
//! last hundred ~5 s each. Bootnodes are 1–3 random earlier nodes, so most nodes can start
//! side by side. Why a limit ([`START_LIMIT`]): start-up work (key load, listeners, the first
//! dials and identify exchanges) then queues on the same 2 cores instead of all at once, and a
//! node that fails is reported before hundreds more are started behind it.

/// Nodes coming up at once (started, not yet answering RPC).
pub const START_LIMIT: usize = 32;

/// Start-up bookkeeping for one testnet. Pure: the caller starts the nodes and reports them
/// ready.
#[derive(Debug)]
pub struct StartOrder {
    bootnodes: Vec<Vec<usize>>,
    ready: Vec<bool>,
    next: usize,
    coming_up: usize,
    limit: usize,
}

impl StartOrder {
    /// `bootnodes[i]`: the nodes node `i` dials first. A bootnode that is not an earlier
    /// node is ignored for ordering (it could never be waited for without a deadlock).
    pub fn new(bootnodes: Vec<Vec<usize>>, limit: usize) -> Self {
        let ready = vec![false; bootnodes.len()];
        Self {
            bootnodes,
            ready,
            next: 0,
            coming_up: 0,
            limit: limit.max(1),
        }
    }

    /// The node to start now, if any may start; the caller must start it.
    pub fn start_next(&mut self) -> Option<usize> {
        let i = self.next;
        if i >= self.bootnodes.len() || self.coming_up >= self.limit {
            return None;
        }
        let waits = self.bootnodes[i].iter().any(|&b| b < i && !self.ready[b]);
        if waits {
            return None;
        }
        self.next += 1;
        self.coming_up += 1;
        Some(i)
    }

    /// Node `i` (started by [`Self::start_next`]) answers RPC.
    pub fn ready(&mut self, i: usize) {
        if i < self.ready.len() && i < self.next && !self.ready[i] {
            self.ready[i] = true;
            self.coming_up -= 1;
        }
    }

    /// Every node started and ready.
    pub fn done(&self) -> bool {
        self.next == self.bootnodes.len() && self.coming_up == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(o: &mut StartOrder) -> Vec<usize> {
        std::iter::from_fn(|| o.start_next()).collect()
    }

    #[test]
    fn nodes_without_unready_bootnodes_start_together_up_to_the_limit() {
        let mut o = StartOrder::new(vec![vec![]; 5], 3);
        assert_eq!(drain(&mut o), vec![0, 1, 2]);
        o.ready(1);
        assert_eq!(drain(&mut o), vec![3]);
        o.ready(0);
        o.ready(2);
        o.ready(3);
        assert_eq!(drain(&mut o), vec![4]);
        assert!(!o.done());
        o.ready(4);
        assert!(o.done());
    }

    #[test]
    fn a_node_waits_for_its_bootnodes_and_later_nodes_wait_behind_it() {
        let mut o = StartOrder::new(vec![vec![], vec![0], vec![], vec![1]], 8);
        assert_eq!(drain(&mut o), vec![0]);
        o.ready(0);
        assert_eq!(drain(&mut o), vec![1, 2]);
        o.ready(2);
        assert_eq!(drain(&mut o), Vec::<usize>::new());
        o.ready(1);
        assert_eq!(drain(&mut o), vec![3]);
        o.ready(3);
        assert!(o.done());
    }

    #[test]
    fn a_chain_of_bootnodes_starts_one_at_a_time() {
        let boots = (0..4)
            .map(|i| (i > 0).then(|| i - 1).into_iter().collect())
            .collect();
        let mut o = StartOrder::new(boots, 8);
        for i in 0..4 {
            assert_eq!(drain(&mut o), vec![i]);
            o.ready(i);
        }
        assert!(o.done());
    }

    #[test]
    fn reports_out_of_range_or_twice_change_nothing() {
        let mut o = StartOrder::new(vec![vec![], vec![5], vec![]], 1);
        assert_eq!(drain(&mut o), vec![0]);
        o.ready(2); // not started yet
        o.ready(9);
        assert_eq!(drain(&mut o), Vec::<usize>::new());
        o.ready(0);
        o.ready(0);
        assert_eq!(drain(&mut o), vec![1]); // bootnode 5 is not earlier: ignored
        o.ready(1);
        assert_eq!(drain(&mut o), vec![2]);
        o.ready(2);
        assert!(o.done());
    }
}
