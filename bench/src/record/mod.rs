//! What an invocation leaves behind: the JSON result ([`result`]), its rows in the columns
//! every scenario section shares ([`rows`]), and `BENCHMARKS.md` appended with them
//! ([`document`]). Figures, goals, numbers and Markdown rows are rendered by `rumor_report`.

pub mod document;
pub mod result;
pub mod rows;
