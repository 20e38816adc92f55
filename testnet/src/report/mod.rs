//! The report's data from a running testnet: [`build()`] assembles `report.json`'s model from the
//! analysis and what was read from the live nodes (manifest, snapshot, heads, counters), and
//! [`skew`] the clock-skew section. Everything the report is and how it is written is
//! `rumor_report`.

pub mod build;
#[cfg(test)]
pub(crate) mod fixture;
pub mod skew;
#[cfg(test)]
mod tests;

pub use build::{BuildInput, build, peer_indices};
