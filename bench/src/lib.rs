//! `rumor-bench`: the benchmark suite (issue #7), built on the `rumor-testnet` library. Each scenario runs `--runs` times;
//! its figures are medians with min–max and a noise flag, compared with their goals, written
//! as JSON to `bench/results/` and appended as rows to `BENCHMARKS.md`.
//!
//! Layout: [`scenario`] names the scenarios and their figures and goals; [`scenarios`] runs
//! one repetition of each, reusing the testnet machinery ([`net`] starts testnets with the
//! scenario's overrides); [`runner`] repeats, pools ([`spread`], [`figure`], [`goal`]) and
//! writes ([`result`], [`rows`], [`document`]); [`ramp`] holds the stop rules of the ramps;
//! [`machine`] says where and from what commit a result came.

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
