//! Rumor's own request-response protocols and their size-bounded codec.

pub mod blocktxn;
pub mod codec;
pub mod px;
pub mod sync;
pub mod txsync;
