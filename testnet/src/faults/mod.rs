//! Fault injection for `run`: the flags' grammar ([`spec`]), what they mean for one testnet
//! ([`schedule`]), carrying them out on the live nodes ([`exec`]: real SIGKILLs and restarts,
//! real connection cuts through each node's `fault_*` RPC), and the checks that prove the
//! network converged anyway ([`converge`]).

pub mod converge;
pub mod exec;
pub mod schedule;
pub mod spec;

pub use exec::{FaultLog, inject};
pub use schedule::{Action, Step, plan};
pub use spec::{Churn, Faults, Kill, Partition};
