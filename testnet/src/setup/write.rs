//! Writes a planned testnet to disk: genesis, one directory per node with its key and (with
//! emulation) its link file, and `testnet.json`.

use rumor_chain::Genesis;

use crate::error::{Result, io};
use crate::fsutil;
use crate::manifest::Manifest;
use crate::setup::{keys, regions};

/// `node_toml` is the text of `manifest.node_config`, if the manifest names one.
pub fn write_files(manifest: &Manifest, genesis: &Genesis, node_toml: Option<&str>) -> Result<()> {
    fsutil::create_dir_all(&manifest.dir)?;
    genesis.save(&manifest.genesis)?;
    if let (Some(path), Some(text)) = (&manifest.node_config, node_toml) {
        std::fs::write(path, text).map_err(io(path))?;
    }
    let peer_ids: Vec<String> = manifest.nodes.iter().map(|n| n.peer_id.clone()).collect();
    // The first `authorities` nodes hold the authority keys, whether or not they are
    // started with `--producer` (benchmarks keep the authorities but switch production off).
    let producers = genesis.authorities.len();
    for node in &manifest.nodes {
        fsutil::create_dir_all(&node.data_dir)?;
        keys::node_key(manifest.seed, node.index, producers).save(&node.key_file)?;
        if let (Some(path), Some(emu), Some(all)) =
            (&node.link_file, &manifest.emulation, manifest.regions())
        {
            let ship = (emu.source != "builtin").then_some(&emu.matrix);
            let cfg = regions::link_config(node.index, &peer_ids, &all, emu.jitter_ms, ship);
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
        o.overrides.config_toml = Some("[pool]\nmax_txs = 7\n".into());
        let (m, g) = plan(&o, dir.path()).unwrap();
        write_files(&m, &g, o.overrides.config_toml.as_deref()).unwrap();
        for n in &m.nodes {
            let key = rumor_chain::Keypair::load(&n.key_file).unwrap();
            assert_eq!(keys::peer_id(&key), n.peer_id, "node {}", n.index);
        }
        let toml = std::fs::read_to_string(m.node_config.as_ref().unwrap()).unwrap();
        assert!(toml.contains("max_txs = 7"));
    }
}
