//! Fault injection for `run`: the flags' grammar ([`spec`]), what they mean for one testnet
//! ([`schedule`]), carrying them out on the live nodes ([`exec`]: real SIGKILLs and restarts,
//! real connection cuts through each node's `fault_*` RPC), and the checks that prove the
//! network converged anyway ([`converge`]). Link faults (one-way cuts, flapping, loss) have
//! their own grammar ([`link_spec`]) and link choice ([`links`]), carried out through the
//! nodes' `fault_setLinkFault` RPC.

pub mod converge;
pub mod exec;
pub mod link_spec;
pub mod links;
mod parse;
pub mod schedule;
pub mod spec;
pub mod step;

pub use exec::{FaultLog, inject};
pub use schedule::{Action, Step, plan};
pub use spec::{Churn, Faults, Flap, Kill, LinkLoss, OneWay, Partition};
