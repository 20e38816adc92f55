//! `--skew node:±ms`: start a node with its clock shifted, as on a machine whose clock runs
//! ahead (`+`) or behind (`-`). The node reads all wall time through one clock (its
//! `clock_offset_ms`, a hidden config field for tests and testnets), so this works alike for
//! processes, in-process nodes and containers, and needs nothing installed (no libfaketime).
//!
//! The tool measures every node's clock over RPC when any node is skewed
//! ([`crate::observe::remote::clocks_differ`]) and corrects trace times by it, as for remote nodes;
//! the report's skew section shows each skewed node's own estimate of its offset.

use std::fmt;
use std::str::FromStr;

/// One node's clock shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skew {
    /// Node index.
    pub node: usize,
    /// Its clock minus the system clock, ms.
    pub offset_ms: i64,
}

/// Largest shift accepted: a day either way (beyond it nothing about a skew is left to learn).
pub const MAX_SKEW_MS: i64 = 86_400_000;

impl FromStr for Skew {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |why: &str| format!("--skew {s:?}: {why} (expected NODE:±MS, e.g. 2:+2000)");
        let (node, ms) = s.split_once(':').ok_or_else(|| err("no `:`"))?;
        let node = node
            .trim()
            .parse::<usize>()
            .map_err(|_| err("node is not an index"))?;
        let ms = ms.trim();
        if !ms.starts_with(['+', '-']) {
            return Err(err("the shift needs a sign"));
        }
        let offset_ms = ms
            .parse::<i64>()
            .map_err(|_| err("shift is not a whole number of ms"))?;
        if offset_ms.abs() > MAX_SKEW_MS {
            return Err(err("shift beyond a day"));
        }
        Ok(Self { node, offset_ms })
    }
}

impl fmt::Display for Skew {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{:+}", self.node, self.offset_ms)
    }
}

/// Checks a list of skews against `nodes`: each names an existing node, once.
pub fn validate(skews: &[Skew], nodes: usize) -> Result<(), String> {
    for (i, s) in skews.iter().enumerate() {
        if s.node >= nodes {
            return Err(format!(
                "--skew {s}: there are {nodes} nodes (0..{})",
                nodes.saturating_sub(1)
            ));
        }
        if skews[..i].iter().any(|o| o.node == s.node) {
            return Err(format!("--skew names node {} twice", s.node));
        }
    }
    Ok(())
}

/// Node `index`'s shift (0 if not skewed).
pub fn offset_of(skews: &[Skew], index: usize) -> i64 {
    skews
        .iter()
        .find(|s| s.node == index)
        .map_or(0, |s| s.offset_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_signed_shifts_and_prints_them_back() {
        let s: Skew = "2:+2000".parse().unwrap();
        assert_eq!(
            s,
            Skew {
                node: 2,
                offset_ms: 2000
            }
        );
        assert_eq!(s.to_string(), "2:+2000");
        let s: Skew = "3:-1500".parse().unwrap();
        assert_eq!(s.offset_ms, -1500);
        assert_eq!(s.to_string(), "3:-1500");
        for bad in ["2", "x:+1", "2:1000", "2:+1.5", "2:+99999999999", "-1:+5"] {
            let e = bad.parse::<Skew>().unwrap_err();
            assert!(e.contains("NODE:±MS"), "{bad}: {e}");
        }
    }

    #[test]
    fn each_skew_names_one_existing_node() {
        let a: Skew = "1:+5".parse().unwrap();
        let b: Skew = "1:-5".parse().unwrap();
        let far: Skew = "4:+5".parse().unwrap();
        assert!(validate(&[a], 4).is_ok());
        assert!(validate(&[a, b], 4).unwrap_err().contains("twice"));
        assert!(validate(&[far], 4).unwrap_err().contains("4 nodes"));
        assert_eq!(offset_of(&[a], 1), 5);
        assert_eq!(offset_of(&[a], 0), 0);
    }
}
