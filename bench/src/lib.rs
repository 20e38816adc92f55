//! `rumor-bench`: the benchmark suite (issue #7), built on the `rumor-testnet` library. Each
//! scenario runs `--runs` times; its figures are medians with min–max and a noise flag,
//! compared with their goals, written as JSON to `bench/results/` and appended as rows to
//! `BENCHMARKS.md`.
//!
//! Layout: [`scenario`] names the scenarios and the shape of their specs; [`scenarios`] runs
//! one repetition of each and holds each one's `BENCHMARKS.md` text, figures and goals, reusing
//! the testnet machinery ([`net`] starts testnets with the scenario's overrides, [`floor`]
//! drives the bare-gossipsub floor, [`soak`] the hour-long soak); [`runner`] repeats and pools
//! (figures, goals and their formatting are `rumor_report::figure`) and writes [`record`]
//! (the JSON result, the table rows, `BENCHMARKS.md`); [`ramp`] holds the stop rules of the
//! ramps; [`machine`] says where and from what commit a result came; [`options`] and [`ctx`]
//! are what a run is given; [`error`] is the suite's error type.

pub mod ctx;
pub mod error;
pub mod floor;
pub mod machine;
pub mod net;
pub mod options;
pub mod ramp;
pub mod record;
pub mod runner;
pub mod scenario;
pub mod scenarios;
pub mod soak;

pub use runner::{BenchOptions, Env, Finished, run_scenario};
pub use scenario::Scenario;
