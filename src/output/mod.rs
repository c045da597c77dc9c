//! Output that is not a report: files written whole ([`write_atomic`]) and progress bars
//! on the terminal ([`GtProgress`] for one integration, [`JobProgress`] for a count of
//! jobs). f64 here is for drawing bars, never for results; `indicatif` is used nowhere
//! else.

mod file;
mod progress;

pub use file::{check_target, partial_path, write_atomic, WriteError};
pub use progress::{GtProgress, JobProgress};
