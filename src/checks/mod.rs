//! Theorem checks declared in case files.

pub mod run;
