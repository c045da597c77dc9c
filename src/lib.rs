//! ibcert: certifies claims about the implicit bias of gradient descent on
//! depth-D diagonal linear networks by integrating the gradient flow in MPFR.
//!
//! Data flow: case file -> [`case::Case`] -> [`model`] (mirror map) ->
//! [`flow`] (the flow as an [`ode::Ode`], integrated by [`ode::radau`]) -> reports.

pub mod bench;
pub mod case;
pub mod checks;
pub mod cli;
pub mod flow;
pub mod lp;
pub mod model;
pub mod num;
pub mod ode;
pub mod output;
pub mod reference;
pub mod report;

/// Version, git commit (from build.rs).
pub const VERSION_LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("IBCERT_GIT_COMMIT"),
    ")"
);
