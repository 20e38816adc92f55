//! Small helpers with no testnet knowledge of their own: where testnets live ([`dirs`]),
//! wall-clock formats ([`timefmt`]), Ctrl-C ([`shutdown`]), progress bars ([`progress`]), the
//! start-up order of nodes ([`start_order`]), seeded randomness ([`rng`]), and the in-process host's open-file budget
//! ([`fdlimit`]) and live heap ([`heap`]).

pub mod dirs;
pub mod fdlimit;
pub mod heap;
pub mod progress;
pub mod rng;
pub mod shutdown;
pub mod start_order;
pub mod timefmt;
