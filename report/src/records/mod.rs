//! Records the harness fills in while it runs a testnet and the report embeds as they are:
//! load statistics, how processes stopped, the machine's CPU, fault and attack logs, clock
//! offsets and the Prometheus series. Data and pure functions of it only; reading `/proc`,
//! RPC and Prometheus stay in `rumor-testnet`.

pub mod attack;
pub mod clock;
pub mod faults;
pub mod load;
pub mod machine;
pub mod process;
pub mod series;
