//! Creating a testnet on disk: deterministic keys, genesis, ports, topology, regions and link
//! files. [`plan`] is pure apart from port allocation, so `--seed` reproduces everything but
//! the port numbers.

pub mod endpoints;
pub mod keys;
pub mod manifest;
pub mod plan;
pub mod ports;
pub mod regions;
pub mod skew;
pub mod topology;
pub mod write;

pub use plan::{NodeOverrides, UpOptions, plan};
pub use regions::RegionsOpt;
pub use write::write_files;
