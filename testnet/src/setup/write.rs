//! Writes a planned testnet to disk: genesis, one directory per node with its key and (with
//! emulation) its link file, and `testnet.json`.

use rumor_chain::Genesis;

use crate::error::{Result, io};
use crate::fsutil;
use crate::manifest::Manifest;
use crate::setup::{keys, regions};

pub fn write_files(manifest: &Manifest, genesis: &Genesis) -> Result<()> {
    fsutil::create_dir_all(&manifest.dir)?;
    genesis.save(&manifest.genesis)?;
    let peer_ids: Vec<String> = manifest.nodes.iter().map(|n| n.peer_id.clone()).collect();
    let producers = manifest.nodes.iter().filter(|n| n.producer).count();
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
