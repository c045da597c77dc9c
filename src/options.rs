//! Typed options shared by the commands: the one error type (with its exit code), the
//! parsers of exact numbers and lists, case loading with the separability check, and the
//! numerics a job runs with. The commands (`cli`) and the figure layer (`plot`) validate
//! their options through these, once, into exact types; nothing below sees strings.

use crate::case::Case;
use crate::flow::{default_stages, Numerics};
use crate::lp::{separability, Separability};
use crate::num::exact::parse_rational;
use crate::ode::tableau::MAX_STAGES;
use rug::Rational;
use std::path::Path;

/// An error with its exit code.
#[derive(Debug)]
pub struct CliError {
    pub code: i32,
    pub message: String,
}

impl CliError {
    pub fn input(message: impl Into<String>) -> CliError {
        CliError {
            code: 2,
            message: message.into(),
        }
    }
    pub fn failed(message: impl Into<String>) -> CliError {
        CliError {
            code: 1,
            message: message.into(),
        }
    }
}

impl CliError {
    /// The process exit code: 2 bad input, 1 a computation that failed or was stopped.
    pub fn exit_code(&self) -> i32 {
        self.code
    }
}

pub fn arg_rational(name: &str, s: &str) -> Result<Rational, CliError> {
    parse_rational(s).map_err(|e| CliError::input(format!("{name}: {e}")))
}

pub fn positive(name: &str, q: Rational) -> Result<Rational, CliError> {
    if q <= 0 {
        return Err(CliError::input(format!(
            "{name}: must be positive, got {q}"
        )));
    }
    Ok(q)
}

/// Load a case and check that its data are linearly separable (exact LP).
pub fn load_case(path: &Path) -> Result<(Case, Vec<Vec<Rational>>), CliError> {
    let case = Case::load(path).map_err(|e| CliError::input(e.to_string()))?;
    let z = case.z();
    if let Separability::NotSeparable { lambda } = separability(&z) {
        let l: Vec<String> = lambda.iter().map(|q| q.to_string()).collect();
        return Err(CliError::input(format!(
            "{}: data: not linearly separable: no w has y_n x_n^T w > 0 for every n; certificate: \
             lambda = [{}] (lambda >= 0, sum 1) gives sum_n lambda_n y_n x_n = 0",
            path.display(),
            l.join(", ")
        )));
    }
    Ok((case, z))
}

/// The numerics options of every command that integrates (`--precision`, `--tol`,
/// `--stages`), declared once and flattened into each command's arguments.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct NumericsArgs {
    /// MPFR precision in bits (>= 64); default: the case's numerics.precision.
    #[arg(long)]
    pub precision: Option<u32>,
    /// Local error tolerance in (0, 1); default: the case's numerics.tolerance.
    #[arg(long, allow_hyphen_values = true)]
    pub tol: Option<String>,
    /// Radau IIA stages (1..=24); default: the case's, else chosen from the tolerance.
    #[arg(long)]
    pub stages: Option<usize>,
}

impl NumericsArgs {
    /// The numerics of a job on `case`: these options, else the case's, else the defaults.
    pub fn of(&self, case: &Case) -> Result<Numerics, CliError> {
        numerics_of(case, self.precision, self.tol.as_deref(), self.stages)
    }
}

/// The numerics of a job: the options given, else the case's, else the defaults.
pub fn numerics_of(
    case: &Case,
    precision: Option<u32>,
    tol: Option<&str>,
    stages: Option<usize>,
) -> Result<Numerics, CliError> {
    let prec = precision.unwrap_or(case.numerics.precision);
    if !(64..=1_000_000).contains(&prec) {
        return Err(CliError::input(format!(
            "--precision: must be between 64 and 1000000 bits, got {prec}"
        )));
    }
    let tol = match tol {
        Some(t) => {
            let q = arg_rational("--tol", t)?;
            if q <= 0 || q >= 1 {
                return Err(CliError::input(format!(
                    "--tol: must be in (0, 1), got {t}"
                )));
            }
            q
        }
        None => case.numerics.tolerance.clone(),
    };
    let stages = stages
        .or(case.numerics.stages)
        .unwrap_or_else(|| default_stages(&tol));
    if !(1..=MAX_STAGES).contains(&stages) {
        return Err(CliError::input(format!(
            "--stages: must be between 1 and {MAX_STAGES}, got {stages}"
        )));
    }
    Ok(Numerics { prec, tol, stages })
}

/// A comma-separated list of exact positive values; an empty list or entry is refused.
pub fn positive_list(name: &str, items: &[String]) -> Result<Vec<Rational>, CliError> {
    if items.is_empty() || items.iter().all(|s| s.trim().is_empty()) {
        return Err(CliError::input(format!("{name}: the list is empty")));
    }
    items
        .iter()
        .map(|s| {
            let t = s.trim();
            if t.is_empty() {
                return Err(CliError::input(format!("{name}: empty entry in the list")));
            }
            positive(name, arg_rational(name, t)?)
        })
        .collect()
}
