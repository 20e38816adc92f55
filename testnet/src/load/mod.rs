//! Load generation: pre-signed transfers from genesis-funded accounts, sent at a steady rate
//! round-robin over the nodes' RPC endpoints.

pub mod bucket;
pub mod driver;
pub mod plan;
pub use rumor_report::records::load as stats;

pub use driver::drive;
pub use plan::{LoadOptions, PlannedTx, plan_txs};
pub use stats::LoadStats;
