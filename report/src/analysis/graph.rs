//! The connection graph as it actually was (from `net_peers`), weighted by the emulated
//! one-way link latency, and the shortest-path lower bound on delivery time. A message cannot
//! reach a node faster than the cheapest path through live connections, so the ratio
//! delivery / bound says how much the overlay (mesh choice, validation, queueing) added.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rumor_link::RegionMatrix;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyGraph {
    /// `adj[a]` = (neighbour, one-way latency µs). Undirected.
    adj: Vec<Vec<(usize, u64)>>,
}

impl LatencyGraph {
    pub fn new(n: usize) -> Self {
        Self {
            adj: vec![Vec::new(); n],
        }
    }

    pub fn len(&self) -> usize {
        self.adj.len()
    }

    pub fn is_empty(&self) -> bool {
        self.adj.is_empty()
    }

    /// Adds the connection a–b once, however many times (and from whichever side) it is
    /// reported.
    pub fn connect(&mut self, a: usize, b: usize, latency_us: u64) {
        if a == b || a >= self.adj.len() || b >= self.adj.len() {
            return;
        }
        if self.adj[a].iter().any(|&(x, _)| x == b) {
            return;
        }
        self.adj[a].push((b, latency_us));
        self.adj[b].push((a, latency_us));
    }

    pub fn degree(&self, a: usize) -> usize {
        self.adj[a].len()
    }

    /// Builds the graph from each node's peer list (by index) and the region latencies.
    pub fn from_peers(peers: &[Vec<usize>], regions: &[String], matrix: &RegionMatrix) -> Self {
        let mut g = Self::new(peers.len());
        for (a, list) in peers.iter().enumerate() {
            for &b in list {
                let lat = regions
                    .get(a)
                    .zip(regions.get(b))
                    .and_then(|(ra, rb)| matrix.latency(ra, rb))
                    .map_or(0, |d| d.as_micros() as u64);
                g.connect(a, b, lat);
            }
        }
        g
    }

    /// Dijkstra from `src`: shortest one-way latency (µs) to every node, `None` if unreachable.
    pub fn shortest_from(&self, src: usize) -> Vec<Option<u64>> {
        self.shortest_with_hop(src, 0)
    }

    /// Dijkstra from `src` where every hop also costs `hop_us` (a message's transmission time
    /// on a bandwidth-capped link: a node forwards only what it has received whole).
    pub fn shortest_with_hop(&self, src: usize, hop_us: u64) -> Vec<Option<u64>> {
        let mut dist: Vec<Option<u64>> = vec![None; self.adj.len()];
        let mut heap = BinaryHeap::new();
        if src >= self.adj.len() {
            return dist;
        }
        dist[src] = Some(0);
        heap.push(Reverse((0u64, src)));
        while let Some(Reverse((d, u))) = heap.pop() {
            if dist[u].is_some_and(|best| d > best) {
                continue;
            }
            for &(v, w) in &self.adj[u] {
                let nd = d + w + hop_us;
                if dist[v].is_none_or(|best| nd < best) {
                    dist[v] = Some(nd);
                    heap.push(Reverse((nd, v)));
                }
            }
        }
        dist
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dijkstra_known_answers() {
        // 0 -10- 1 -10- 2, and a slow direct 0 -50- 2; 3 isolated.
        let mut g = LatencyGraph::new(4);
        g.connect(0, 1, 10);
        g.connect(1, 2, 10);
        g.connect(0, 2, 50);
        g.connect(2, 0, 50); // reported from the other side too: ignored
        assert_eq!(g.degree(0), 2);
        assert_eq!(g.shortest_from(0), vec![Some(0), Some(10), Some(20), None]);
        assert_eq!(g.shortest_from(2), vec![Some(20), Some(10), Some(0), None]);
        // A hop cost of 40 makes the direct link (50 + 40) the shorter way to node 2
        // (two hops: 10 + 40 + 10 + 40).
        assert_eq!(
            g.shortest_with_hop(0, 40),
            vec![Some(0), Some(50), Some(90), None]
        );
    }

    #[test]
    fn weights_come_from_the_region_matrix() {
        let m = RegionMatrix::builtin();
        let regions = vec!["europe".to_string(), "na_east".into(), "europe".into()];
        let peers = vec![vec![1], vec![0, 2], vec![1]];
        let g = LatencyGraph::from_peers(&peers, &regions, &m);
        // europe -> na_east -> europe: 70 + 70 ms.
        assert_eq!(g.shortest_from(0)[2], Some(140_000));
    }
}
