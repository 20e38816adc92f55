//! SVG plots (plotters, SVG backend only: no fonts or bitmap code to build).
//!
//! Every plot carries the run's machine line at its foot (saturated or not, from the
//! performance issue's check), so a plot copied out of the report still says whether its
//! delays are propagation or CPU queueing.

mod arrivals;
mod bytes;
mod canvas;
mod cdf;
mod over_time;
mod regions;

pub use arrivals::arrivals;
pub use bytes::bytes;
pub use canvas::Footer;
pub use cdf::{CdfMarks, cdf, cdf_points};
pub use over_time::{MAX_NODE_LINES, over_time};
pub use regions::regions;
