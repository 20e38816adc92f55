//! A compose testnet as `testnet.json` records it (data only: what it does is in
//! [`super`]), so the manifest names it without depending on the container backend.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A compose testnet, as recorded in `testnet.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComposeEntry {
    /// The testnet's directory (labels every Docker object it owns).
    pub dir: PathBuf,
    /// Compose project name (`rumor-<hash of dir>`).
    pub project: String,
    pub file: PathBuf,
    pub image: String,
    /// The bridge network the tool created for the testnet.
    pub network: String,
    /// Its subnet, CIDR.
    pub subnet: String,
    /// How Compose is called here (`docker compose` or `docker-compose`).
    pub compose: Vec<String>,
}
