//! ibcert: certifies claims about the implicit bias of gradient descent on
//! depth-D diagonal linear networks by integrating the gradient flow in MPFR.
//!
//! Data flow: case file -> [`case::Case`] -> [`model`] (mirror map) ->
//! [`flow`] (the flow as an [`ode::Ode`], integrated by [`ode::radau`]) -> reports.

pub mod bench;
pub mod case;
pub mod checks;
pub mod cli;
pub mod compare;
pub mod flow;
pub mod lp;
pub mod model;
pub mod num;
pub mod ode;
pub mod options;
pub mod output;
pub mod plot;
pub mod reference;
pub mod report;
pub mod rule;
pub mod sweep;
pub mod table;

/// Version and git commit (from build.rs).
pub const VERSION_LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("IBCERT_GIT_COMMIT"),
    ")"
);

/// The version line of `ibcert --version`: version, commit, and the MPFR and GMP
/// versions the binary was built with.
pub fn version_line() -> String {
    use gmp_mpfr_sys::{gmp, mpfr};
    format!(
        "{VERSION_LONG}, MPFR {}.{}.{}, GMP {}.{}.{}",
        mpfr::VERSION_MAJOR,
        mpfr::VERSION_MINOR,
        mpfr::VERSION_PATCHLEVEL,
        gmp::VERSION,
        gmp::VERSION_MINOR,
        gmp::VERSION_PATCHLEVEL
    )
}
