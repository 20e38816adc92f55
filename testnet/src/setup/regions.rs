//! WAN emulation set-up: which region each node is in, and the per-node link file the node
//! reads with `--link` (the `rumor_link::LinkConfig` format).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use rumor_link::{LinkConfig, RegionMatrix};

use crate::error::{Result, io};

/// `--regions`: none (no emulation), the bundled matrix, or a matrix file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RegionsOpt {
    #[default]
    None,
    Builtin,
    File(PathBuf),
}

impl FromStr for RegionsOpt {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "" | "none" | "off" => Self::None,
            "builtin" => Self::Builtin,
            path => Self::File(PathBuf::from(path)),
        })
    }
}

impl RegionsOpt {
    /// The matrix, plus whether it must be shipped inside each link file (a custom file is;
    /// the builtin one is bundled in the node too).
    pub fn matrix(&self) -> Result<Option<(RegionMatrix, String, bool)>> {
        match self {
            Self::None => Ok(None),
            Self::Builtin => Ok(Some((RegionMatrix::builtin(), "builtin".into(), false))),
            Self::File(path) => {
                let text = std::fs::read_to_string(path).map_err(io(path))?;
                let matrix = RegionMatrix::from_json(&text)?;
                Ok(Some((matrix, path.display().to_string(), true)))
            }
        }
    }
}

/// The link file of node `me`: its own region and every other node's.
pub fn link_config(
    me: usize,
    peer_ids: &[String],
    regions: &[String],
    jitter_ms: u64,
    bandwidth_bytes_per_sec: Option<u64>,
    ship_matrix: Option<&RegionMatrix>,
) -> LinkConfig {
    let peer_regions: BTreeMap<String, String> = peer_ids
        .iter()
        .zip(regions)
        .enumerate()
        .filter(|(i, _)| *i != me)
        .map(|(_, (p, r))| (p.clone(), r.clone()))
        .collect();
    LinkConfig {
        my_region: regions[me].clone(),
        peer_regions,
        jitter_ms,
        bandwidth_bytes_per_sec,
        matrix: ship_matrix.cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse() {
        assert_eq!(
            "builtin".parse::<RegionsOpt>().unwrap(),
            RegionsOpt::Builtin
        );
        assert_eq!("none".parse::<RegionsOpt>().unwrap(), RegionsOpt::None);
        assert_eq!(
            "x.json".parse::<RegionsOpt>().unwrap(),
            RegionsOpt::File("x.json".into())
        );
    }

    #[test]
    fn link_file_lists_everyone_else_and_loads_in_the_node_format() {
        let peers = vec!["a".to_string(), "b".into(), "c".into()];
        let regions = vec!["europe".to_string(), "na_east".into(), "europe".into()];
        let cfg = link_config(1, &peers, &regions, 0, None, None);
        assert_eq!(cfg.my_region, "na_east");
        assert_eq!(cfg.peer_regions.len(), 2);
        assert_eq!(cfg.peer_regions["a"], "europe");
        let json = serde_json::to_string(&cfg).unwrap();
        let emu = rumor_link::LinkEmulation::from_json(&json).unwrap();
        assert_eq!(
            emu.params_for("a").latency,
            std::time::Duration::from_millis(70)
        );
    }
}
