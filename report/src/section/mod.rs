//! The report's sections beyond the per-kind tables: each file holds one section's part of
//! `report.json` (its model and how it is derived from records) and its Markdown.

pub mod blocks;
pub mod bytes;
pub mod clocks;
pub mod convergence;
pub mod cost;
pub mod footprint;
pub mod over_time;
pub mod skew;
