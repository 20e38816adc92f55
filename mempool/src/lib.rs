//! The transaction pool. Not built yet: issue #3 delivers it. This crate exists so the workspace
//! layout is final; it exports nothing that could be mistaken for a working pool.
