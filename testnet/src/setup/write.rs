//! Writes a planned testnet to disk: genesis, one directory per node with its key, its
//! `node.toml` (a `rumor_api::NodeConfig`) and (with emulation) its link file, and
//! `testnet.json`.

use rumor_api::NodeConfig;
use rumor_chain::Genesis;

use crate::error::{Result, io};
use crate::setup::manifest::Manifest;
use crate::setup::{keys, regions};
use rumor_report::fsutil;

/// `template` is the config every node starts from ([`crate::setup::NodeOverrides::config`]).
pub fn write_files(manifest: &Manifest, genesis: &Genesis, template: &NodeConfig) -> Result<()> {
    fsutil::create_dir_all(&manifest.dir)?;
    genesis.save(&manifest.genesis)?;
    let peer_ids: Vec<String> = manifest.nodes.iter().map(|n| n.peer_id.clone()).collect();
    // The first `authorities` nodes hold the authority keys, whether or not they are
    // started with `--producer` (benchmarks keep the authorities but switch production off).
    let producers = genesis.authorities.len();
    for node in &manifest.nodes {
        fsutil::create_dir_all(&node.data_dir)?;
        keys::node_key(manifest.seed, node.index, producers).save(&node.key_file)?;
        node.config(manifest, template).save(&node.config_file())?;
        if let (Some(path), Some(emu), Some(all)) =
            (&node.link_file, &manifest.emulation, manifest.regions())
        {
            let ship = (emu.source != "builtin").then_some(&emu.matrix);
            let cfg = regions::link_config(
                node.index,
                &peer_ids,
                &all,
                emu.jitter_ms,
                emu.bandwidth_bytes_per_sec,
                ship,
            );
            let text = serde_json::to_string_pretty(&cfg).map_err(crate::error::json(path))?;
            std::fs::write(path, text).map_err(io(path))?;
        }
    }
    manifest.save()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::{RegionsOpt, plan};

    #[test]
    fn key_files_match_the_planned_peer_ids_even_without_producers() {
        let dir = tempfile::tempdir().unwrap();
        let mut o = crate::setup::plan::tests::opts(3, RegionsOpt::None);
        o.overrides.no_producers = true;
        o.overrides.config.pool.max_txs = 7;
        let (m, g) = plan(&o, dir.path()).unwrap();
        write_files(&m, &g, &o.overrides.config).unwrap();
        for n in &m.nodes {
            let key = rumor_chain::Keypair::load(&n.key_file).unwrap();
            assert_eq!(keys::peer_id(&key), n.peer_id, "node {}", n.index);
            let config = NodeConfig::load(&n.config_file()).unwrap();
            assert_eq!(config.pool.max_txs, 7);
            assert_eq!(config, n.config(&m, &o.overrides.config));
            assert!(!config.producer && config.trace);
            assert_eq!(config.bootnodes.len(), n.bootnodes.len());
        }
    }
}
