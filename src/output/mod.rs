//! Output that is not a report: files written whole ([`write_atomic`]) and the progress
//! bar on the terminal ([`GtProgress`]; f64 there is for drawing the bar, never for
//! results).

mod file;
mod progress;

pub use file::{check_target, partial_path, write_atomic, WriteError};
pub use progress::GtProgress;
