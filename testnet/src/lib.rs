//! The testnet tool. Not built yet: issue #6 delivers it. This crate exists so the workspace
//! layout is final; it exports nothing that could be mistaken for a working tool.
