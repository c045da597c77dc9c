//! Reports a user sees. Numbers are rendered only to the digits that verification
//! vouches for: each field is compared between the main run and the verification
//! run, and printed with the digits on which the two agree (normwise for vectors:
//! a component of a vector with k verified digits carries an absolute error of
//! about ||v||_inf 10^-k, so small components get fewer significant digits).
//! Without verification, values are shown to [`UNVERIFIED_DIGITS`] digits and
//! marked as unverified.

pub mod check;
pub mod compare;
pub mod regression_solve;
pub mod regression_table;
pub mod run;
pub mod run_regression;
pub mod solve;
pub mod table;
pub mod trace;

use crate::num::{fmt_sig, max_abs};
use rug::Float;

/// One output format of a report, as hyperfine has one exporter per format: a new
/// format is one file with an `Exporter` and one arm of its command's format enum.
pub trait Exporter<R> {
    /// The whole output for `report`.
    fn export(&self, report: &R) -> String;
}

/// Significant digits shown for values that were not verified.
pub const UNVERIFIED_DIGITS: u32 = 6;

/// Output format of `run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RunFormat {
    Text,
    Json,
}

/// Output format of `trace`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceFormat {
    Csv,
    Json,
}

pub use crate::num::scalar_digits;

/// Digits on which two vectors agree (normwise relative, infinity norm), capped.
pub fn vector_digits(a: &[Float], b: &[Float], cap: u32) -> u32 {
    crate::num::agreeing_digits(a, b, cap)
}

/// A scalar with `digits` significant digits (at least 1).
pub fn fmt_scalar(x: &Float, digits: u32) -> String {
    fmt_sig(x, digits.max(1) as usize)
}

/// Components of a vector known to `digits` digits normwise: each component gets
/// digits + floor(log10 |x_i|) - floor(log10 ||x||_inf) significant digits; a
/// component below the error level prints as `0` with the level, e.g. `0(±1e-40)`.
pub fn fmt_vector(v: &[Float], digits: u32) -> Vec<String> {
    let p = v.first().map_or(64, |x| x.prec());
    let m = max_abs(p, v);
    if m.is_zero() {
        return v.iter().map(|_| "0".to_string()).collect();
    }
    let lm = floor_log10(&m);
    v.iter()
        .map(|x| {
            if x.is_zero() {
                return "0".to_string();
            }
            let lx = floor_log10(x);
            let sig = digits as i64 + lx - lm;
            if sig < 1 {
                format!("0(±1e{})", lm + 1 - digits as i64)
            } else {
                fmt_sig(x, sig as usize)
            }
        })
        .collect()
}

fn floor_log10(x: &Float) -> i64 {
    let l = Float::with_val(64, x.abs_ref()).log10().floor();
    l.to_integer().and_then(|z| z.to_i64()).unwrap_or(0)
}
