//! What `rumor-bench` was asked to do: scenarios, repetitions, where results and testnets go.

use std::path::PathBuf;

use crate::scenario::Scenario;
use crate::scenarios::scale;

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub scenarios: Vec<Scenario>,
    pub runs: usize,
    /// Where JSON results go (`bench/results`).
    pub out: PathBuf,
    /// The `BENCHMARKS.md` to append to.
    pub document: PathBuf,
    /// Root for the testnets the runs start (`testnet-runs/bench`).
    pub work: PathBuf,
    pub rumor: PathBuf,
    pub keep: bool,
    pub quiet: bool,
    pub seed: u64,
    /// The scale ramp (its sizes can be narrowed from the command line).
    pub scale: scale::Params,
    /// How long `soak` loads the network (1 h by default).
    pub soak_duration: std::time::Duration,
}
