//! Node processes: starting them, recognising them in `/proc`, and stopping them. Only
//! processes proven to be this testnet's nodes (a `rumor` binary whose `--data-dir` is one of
//! this testnet's node directories) are ever signalled.

pub mod inproc;
pub mod machine;
pub mod procfs;
pub mod signal;
pub mod spawn;
pub mod started;
pub mod stop;

pub use spawn::{locate_rumor, node_args, spawn_node};
pub use started::Started;
pub use stop::{Running, StopReport, stop_all};
