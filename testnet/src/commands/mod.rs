//! The subcommands. Each is an async function taking plain options; `main.rs` only parses
//! arguments and prints.

pub mod attack;
pub mod down;
pub mod load;
pub mod measure;
pub mod run;
pub mod status;
pub mod up;
