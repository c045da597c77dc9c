//! Theorem checks declared in case files.

pub mod expr;
pub mod run;
pub mod spec;
