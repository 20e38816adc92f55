//! The region latency matrix: which regions exist, how many nodes of a network live in each
//! (relative weights), and the one-way latency between any two of them.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::LinkError;
use super::rng::SplitMix64;

/// Bundled copy of `shared/data/regions.json`: users of the binary don't have that folder.
const BUILTIN: &str = include_str!("regions.json");

/// Latencies above this are certainly a unit mistake (seconds typed as ms, say); refusing them
/// also keeps every `Instant + latency` far from overflow.
const MAX_LATENCY_MS: f64 = 60_000.0;

/// One region and its relative share of the network's nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub name: String,
    pub weight: u64,
}

/// Validated region matrix: every pair of regions has a one-way latency (looked up in either
/// order), and the weights add up to something positive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawMatrix", into = "RawMatrix")]
pub struct RegionMatrix {
    /// File order is kept because `assign` walks it, and its output must not depend on hashing.
    regions: Vec<Region>,
    latency_ms: BTreeMap<String, BTreeMap<String, f64>>,
}

/// The on-disk shape (`regions.json`); extra keys such as `about` and `node_kinds` are ignored.
#[derive(Serialize, Deserialize)]
struct RawMatrix {
    regions: Vec<Region>,
    latency_ms: BTreeMap<String, BTreeMap<String, f64>>,
}

impl RegionMatrix {
    /// The matrix bundled into the crate.
    pub fn builtin() -> Self {
        // The bundled file is checked by a unit test, so failing here means a broken build.
        Self::from_json(BUILTIN).expect("bundled regions.json is valid")
    }

    /// Parses and validates a matrix in the `regions.json` format.
    pub fn from_json(json: &str) -> Result<Self, LinkError> {
        let raw: RawMatrix = serde_json::from_str(json)?;
        Self::try_from(raw)
    }

    /// Region names, in file order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.regions.iter().map(|r| r.name.as_str())
    }

    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    pub fn contains(&self, name: &str) -> bool {
        self.regions.iter().any(|r| r.name == name)
    }

    /// One-way latency from `a` to `b`; `None` if either region is unknown. A matrix may give
    /// only one direction of a pair, so the reverse entry is used when the direct one is absent.
    pub fn latency(&self, a: &str, b: &str) -> Option<Duration> {
        let ms = self
            .latency_ms
            .get(a)
            .and_then(|row| row.get(b))
            .or_else(|| self.latency_ms.get(b).and_then(|row| row.get(a)))?;
        // Whole nanoseconds, rounded: `from_secs_f64(0.07)` could land a nanosecond short of
        // 70 ms, and tests (and users) compare against the figure in the file.
        Some(Duration::from_nanos((ms * 1e6).round() as u64))
    }

    /// Assigns `n` nodes to regions in proportion to the weights, by the largest-remainder
    /// method: every region gets the floor of its quota, and the leftover nodes go to the
    /// largest fractional parts, so even a handful of nodes lands in the big regions first.
    /// `seed` only shuffles which node index gets which region; the counts depend on `n` alone.
    pub fn assign(&self, n: usize, seed: u64) -> Vec<String> {
        let total: u128 = self.regions.iter().map(|r| u128::from(r.weight)).sum();
        let n_wide = n as u128;
        let mut counts: Vec<usize> = Vec::with_capacity(self.regions.len());
        let mut remainders: Vec<(u128, u64, usize)> = Vec::with_capacity(self.regions.len());
        for (i, region) in self.regions.iter().enumerate() {
            let share = n_wide * u128::from(region.weight);
            // Quotas are at most n, so they fit back into usize.
            counts.push((share / total) as usize);
            remainders.push((share % total, region.weight, i));
        }
        let leftover = n - counts.iter().sum::<usize>();
        // Ties on the remainder go to the heavier region, then to file order: deterministic
        // without involving the seed.
        remainders.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        for &(_, _, i) in remainders.iter().take(leftover) {
            counts[i] += 1;
        }

        let mut out: Vec<String> = Vec::with_capacity(n);
        for (region, &count) in self.regions.iter().zip(&counts) {
            out.extend(std::iter::repeat_n(region.name.clone(), count));
        }
        let mut rng = SplitMix64::new(seed);
        for i in (1..out.len()).rev() {
            let j = rng.up_to(i as u64) as usize;
            out.swap(i, j);
        }
        out
    }
}

impl TryFrom<RawMatrix> for RegionMatrix {
    type Error = LinkError;

    fn try_from(raw: RawMatrix) -> Result<Self, LinkError> {
        let bad = |msg: String| Err(LinkError::Matrix(msg));
        if raw.regions.is_empty() {
            return bad("no regions".into());
        }
        for (i, region) in raw.regions.iter().enumerate() {
            if region.name.is_empty() {
                return bad("empty region name".into());
            }
            if raw.regions[..i].iter().any(|r| r.name == region.name) {
                return bad(format!("region {:?} listed twice", region.name));
            }
        }
        if raw.regions.iter().all(|r| r.weight == 0) {
            return bad("all region weights are zero".into());
        }
        let known = |name: &str| raw.regions.iter().any(|r| r.name == name);
        for (from, row) in &raw.latency_ms {
            for (to, &ms) in row {
                if !known(from) || !known(to) {
                    return bad(format!(
                        "latency {from:?} -> {to:?} names an unknown region"
                    ));
                }
                if !(0.0..=MAX_LATENCY_MS).contains(&ms) {
                    return bad(format!("latency {from:?} -> {to:?} is {ms} ms"));
                }
            }
        }
        let matrix = RegionMatrix {
            regions: raw.regions,
            latency_ms: raw.latency_ms,
        };
        // Completeness makes `latency` total over `names()`, so callers only ever get `None`
        // for a region that isn't in the matrix at all.
        for a in matrix.names() {
            for b in matrix.names() {
                if matrix.latency(a, b).is_none() {
                    return bad(format!("no latency between {a:?} and {b:?}"));
                }
            }
        }
        Ok(matrix)
    }
}

impl From<RegionMatrix> for RawMatrix {
    fn from(m: RegionMatrix) -> Self {
        RawMatrix {
            regions: m.regions,
            latency_ms: m.latency_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(list: &[String], name: &str) -> usize {
        list.iter().filter(|r| *r == name).count()
    }

    #[test]
    fn builtin_matrix_parses() {
        let m = RegionMatrix::builtin();
        assert_eq!(m.names().count(), 8);
        assert_eq!(
            m.latency("europe", "na_east"),
            Some(Duration::from_millis(70))
        );
        assert_eq!(
            m.latency("na_east", "europe"),
            Some(Duration::from_millis(70))
        );
        assert_eq!(
            m.latency("europe", "europe"),
            Some(Duration::from_millis(2))
        );
        assert_eq!(m.latency("europe", "mars"), None);
        for a in m.names() {
            for b in m.names() {
                assert_eq!(m.latency(a, b), m.latency(b, a), "{a} / {b}");
            }
        }
    }

    #[test]
    fn reverse_entry_is_used_when_one_direction_is_missing() {
        let m = RegionMatrix::from_json(
            r#"{"regions":[{"name":"a","weight":1},{"name":"b","weight":1}],
                "latency_ms":{"a":{"a":1,"b":42.5},"b":{"b":1}}}"#,
        )
        .unwrap();
        assert_eq!(m.latency("b", "a"), Some(Duration::from_micros(42_500)));
    }

    #[test]
    fn invalid_matrices_are_rejected() {
        let cases = [
            r#"{"regions":[],"latency_ms":{}}"#,
            r#"{"regions":[{"name":"a","weight":0}],"latency_ms":{"a":{"a":1}}}"#,
            r#"{"regions":[{"name":"a","weight":1},{"name":"a","weight":1}],"latency_ms":{"a":{"a":1}}}"#,
            r#"{"regions":[{"name":"a","weight":1}],"latency_ms":{"a":{"a":1,"z":3}}}"#,
            r#"{"regions":[{"name":"a","weight":1}],"latency_ms":{"a":{"a":-1}}}"#,
            r#"{"regions":[{"name":"a","weight":1},{"name":"b","weight":1}],"latency_ms":{"a":{"a":1,"b":2}}}"#,
        ];
        for json in cases {
            assert!(
                matches!(RegionMatrix::from_json(json), Err(LinkError::Matrix(_))),
                "{json}"
            );
        }
        assert!(matches!(
            RegionMatrix::from_json("{"),
            Err(LinkError::Json(_))
        ));
    }

    #[test]
    fn serde_round_trip() {
        let m = RegionMatrix::builtin();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<RegionMatrix>(&json).unwrap(), m);
    }

    #[test]
    fn small_networks_get_the_big_regions() {
        let m = RegionMatrix::builtin();
        assert_eq!(m.assign(0, 1), Vec::<String>::new());
        assert_eq!(m.assign(1, 1), vec!["europe".to_string()]);
        let two = m.assign(2, 9);
        assert_eq!(count(&two, "europe"), 1);
        assert_eq!(count(&two, "na_east"), 1);
    }

    #[test]
    fn assignment_is_proportional() {
        let m = RegionMatrix::builtin();
        let total: u64 = m.regions().iter().map(|r| r.weight).sum();
        for n in [3usize, 7, 10, 50, 100, 1000] {
            let list = m.assign(n, 42);
            assert_eq!(list.len(), n);
            for region in m.regions() {
                let quota = n as f64 * region.weight as f64 / total as f64;
                let got = count(&list, &region.name) as f64;
                assert!(
                    got >= quota.floor() && got <= quota.ceil(),
                    "n={n} {}: {got} vs quota {quota}",
                    region.name
                );
            }
        }
    }

    #[test]
    fn seed_only_changes_the_order() {
        let m = RegionMatrix::builtin();
        let a = m.assign(100, 1);
        assert_eq!(a, m.assign(100, 1));
        let b = m.assign(100, 2);
        assert_ne!(a, b);
        let (mut sa, mut sb) = (a.clone(), b.clone());
        sa.sort();
        sb.sort();
        assert_eq!(sa, sb);
    }
}
