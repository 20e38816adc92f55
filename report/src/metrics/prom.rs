//! A scrape's samples: the workspace's one reader of the Prometheus / OpenMetrics text
//! format, [`rumor_api::prom_text`] (tolerant: comments, unknown lines and unparsable values
//! are skipped rather than failing the whole scrape), re-exported where the testnet's
//! metrics code has always found it.

pub use rumor_api::prom_text::{Sample, parse};
