//! Import loops: the strongly connected components (Tarjan) of a file-level use graph that
//! hold more than one file. A crate without loops can be read bottom-up, one file at a time.

use std::collections::{BTreeMap, BTreeSet};

/// Every component of two or more nodes, each sorted, in order of their smallest node.
pub fn loops(nodes: usize, edges: &BTreeMap<usize, BTreeSet<usize>>) -> Vec<Vec<usize>> {
    let mut t = Tarjan {
        edges,
        index: vec![None; nodes],
        low: vec![0; nodes],
        on_stack: vec![false; nodes],
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in 0..nodes {
        if t.index[v].is_none() {
            t.visit(v);
        }
    }
    for c in &mut t.out {
        c.sort_unstable();
    }
    t.out.sort();
    t.out
}

struct Tarjan<'a> {
    edges: &'a BTreeMap<usize, BTreeSet<usize>>,
    index: Vec<Option<usize>>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    next: usize,
    out: Vec<Vec<usize>>,
}

impl Tarjan<'_> {
    // Recursion depth is bounded by the number of files in one crate (a few hundred).
    fn visit(&mut self, v: usize) {
        self.index[v] = Some(self.next);
        self.low[v] = self.next;
        self.next += 1;
        self.stack.push(v);
        self.on_stack[v] = true;
        for &w in self.edges.get(&v).into_iter().flatten() {
            match self.index[w] {
                None => {
                    self.visit(w);
                    self.low[v] = self.low[v].min(self.low[w]);
                }
                Some(iw) if self.on_stack[w] => self.low[v] = self.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(self.low[v]) == self.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = self.stack.pop() {
                self.on_stack[w] = false;
                comp.push(w);
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                self.out.push(comp);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(pairs: &[(usize, usize)]) -> BTreeMap<usize, BTreeSet<usize>> {
        let mut g: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        for &(a, b) in pairs {
            g.entry(a).or_default().insert(b);
        }
        g
    }

    #[test]
    fn a_chain_has_no_loop() {
        assert!(loops(4, &graph(&[(0, 1), (1, 2), (2, 3), (0, 3)])).is_empty());
    }

    #[test]
    fn finds_each_loop_once() {
        let g = graph(&[(0, 1), (1, 0), (2, 3), (3, 4), (4, 2), (4, 5)]);
        assert_eq!(loops(6, &g), vec![vec![0, 1], vec![2, 3, 4]]);
    }
}
