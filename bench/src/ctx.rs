//! What a scenario run gets (where to work, which binary, the registry of nodes it starts) and
//! what it hands back (figure values and the details behind them).

use std::collections::BTreeMap;
use std::path::PathBuf;

use rumor_testnet::process::Started;

#[derive(Debug)]
pub struct Ctx {
    /// The `rumor` node binary.
    pub rumor: PathBuf,
    /// This run's own directory (absolute, exists); testnets go in subdirectories.
    pub work: PathBuf,
    pub quiet: bool,
    /// Keep testnet directories of steps that passed (scale deletes them as it goes).
    pub keep: bool,
    /// Every node started during the run is registered here, so the runner can stop them
    /// whatever happens to the scenario (error, Ctrl-C).
    pub started: Started,
    /// Logical CPUs (verify-ceiling threads).
    pub cores: usize,
    pub seed: u64,
}

#[derive(Debug, Clone, Default)]
pub struct RunOutcome {
    /// Figure key → value.
    pub values: BTreeMap<String, f64>,
    pub details: serde_json::Value,
    pub notes: Vec<String>,
}

impl RunOutcome {
    /// Records a figure if the run produced it.
    pub fn set(&mut self, key: &str, value: Option<f64>) {
        if let Some(v) = value.filter(|v| v.is_finite()) {
            self.values.insert(key.to_string(), v);
        }
    }
}
