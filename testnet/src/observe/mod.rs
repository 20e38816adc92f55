//! How the tool talks to running nodes and what it reads from them: JSON-RPC ([`rpc`]),
//! readiness ([`ready`]), metrics pages ([`metrics`]), clock offsets ([`clock`]), traces and
//! clocks of nodes whose files are elsewhere ([`remote`]), and the live snapshot the report
//! needs before nodes stop ([`collect`]).

pub mod clock;
pub mod collect;
pub mod metrics;
pub mod ready;
pub mod remote;
pub mod rpc;
