//! `rumor-report`: what a Rumor testnet run or benchmark reports, and how it is written.
//! Pure data in, files out: nothing here starts, asks or stops a node (that is the harness,
//! `rumor-testnet`), so every figure is a function of its input and tested on synthetic
//! traces with known answers.
//!
//! Layout: inputs are [`trace`] (the nodes' propagation traces), [`metrics`] (what is read
//! off their Prometheus pages) and [`records`] (what the harness logged: load, faults,
//! attack, machine, clocks, series); [`analysis`] turns traces into figures; [`model`] is the
//! shape of `report.json` and [`section`] its optional sections; [`render`] writes Markdown,
//! HTML, the summary table and plain-text tables (and formats every number), [`plots`] the
//! SVG plots; [`figure`] is a figure measured over repeated runs against its goal (the
//! benchmark suite's tables); [`fsutil`] writes files atomically; [`error`] is the crate's
//! error type.

pub mod analysis;
#[cfg(any(test, feature = "test-utils"))]
pub mod browser;
pub mod error;
pub mod figure;
pub mod fsutil;
pub mod metrics;
pub mod model;
pub mod plots;
pub mod records;
pub mod render;
pub mod section;
pub mod trace;

pub use error::{Error, Result};
pub use model::Report;
pub use render::write;
