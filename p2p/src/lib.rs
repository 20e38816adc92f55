//! Networking. Not built yet: issue #4 delivers it. This crate exists so the workspace layout is
//! final; it exports nothing that could be mistaken for a working network.
