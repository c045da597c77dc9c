//! `ibcert solve`: the reference predictors with certificates.

use crate::options::{depth, load_any_case, optional_positive_list, CliError};
use crate::report::run::CaseInfo;
use crate::report::RunFormat;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct SolveArgs {
    /// Case file (TOML, format version 1).
    pub case: PathBuf,
    /// Also solve the Q^D_mu max-margin problem for these mu > 0 (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub mu: Vec<String>,
    /// Regression cases: the limits argmin Q^D_alpha s.t. X^T w = y at these alpha > 0
    /// (comma-separated or repeated; default: the case's numerics.alpha and the alphas of
    /// its checks).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub alpha: Vec<String>,
    /// Depth D (2 to 1000) for Q^D_mu or Q^D_alpha (default: the case's depth).
    #[arg(long)]
    pub depth: Option<u32>,
    /// MPFR precision of the Q_mu solutions in bits (default: the case's numerics.precision).
    #[arg(long)]
    pub precision: Option<u32>,
    /// Decimal digits shown for exact solutions.
    #[arg(long, default_value_t = 30)]
    pub digits: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RunFormat::Text)]
    pub format: RunFormat,
}

pub(super) fn cmd_solve(a: &SolveArgs) -> Result<(), CliError> {
    use crate::num::{MAX_PRECISION, MIN_PRECISION};
    use crate::reference::{constants, l1, l2, qmu};
    use crate::report::solve::SolveReport;
    let (case, z) = load_any_case(&a.case)?;
    if case.task == crate::case::Task::Regression {
        return solve_regression(a, &case);
    }
    if !a.alpha.is_empty() {
        return Err(CliError::input(
            "--alpha: the Q^D_alpha limits are for regression cases (task = \"regression\"); a classification case takes --mu",
        ));
    }
    let depth = match a.depth {
        Some(d) => depth("--depth", d)?,
        None => case.depth,
    };
    let prec = a.precision.unwrap_or(case.numerics.precision);
    if !(MIN_PRECISION..=MAX_PRECISION).contains(&prec) {
        return Err(CliError::input(format!(
            "--precision: must be between {MIN_PRECISION} and {MAX_PRECISION} bits, got {prec}"
        )));
    }
    if a.digits == 0 || a.digits > 10_000 {
        return Err(CliError::input("--digits: must be between 1 and 10000"));
    }
    let mus = optional_positive_list("--mu", &a.mu)?;
    let failed = |e: crate::reference::l2::ReferenceError| {
        CliError::input(format!("{}: data: {e}", a.case.display()))
    };
    let s2 = l2::l2_max_margin(&z).map_err(failed)?;
    let s1 = l1::l1_max_margin(&z).map_err(failed)?;
    let k = constants::from_solutions(&z, &s2, &s1);
    let qerr = |e: qmu::QmuError| match e {
        qmu::QmuError::NonPositiveMu => CliError::input(format!("--mu: {e}")),
        qmu::QmuError::PrecisionTooLow { .. } => CliError::input(format!("--precision: {e}")),
        _ => CliError::failed(e.to_string()),
    };
    let path = qmu::qmu_path(&z, depth, &mus, prec).map_err(qerr)?;
    let vprec = crate::flow::VERIFICATION.prec(prec);
    let check = qmu::qmu_path(&z, depth, &mus, vprec).map_err(qerr)?;
    let info = CaseInfo {
        name: case.name.clone(),
        path: case.path.as_ref().map(|p| p.display().to_string()),
        points: case.n_points(),
        dim: case.dim(),
        depth,
        data: case.data_source.as_ref().map(|d| d.description.clone()),
    };
    let report = SolveReport {
        schema: crate::report::solve::SOLVE_SCHEMA,
        case: info,
        constants: SolveReport::constants(&k, a.digits),
        l2: SolveReport::l2(&s2, l2::verify_l2(&z, &s2), a.digits),
        l1: SolveReport::l1(&s1, l1::verify_l1(&z, &s1), a.digits),
        qmu: path
            .iter()
            .zip(&check)
            .map(|(s, c)| SolveReport::qmu(s, c, &s1.norm1, a.digits))
            .collect(),
    };
    match a.format {
        RunFormat::Text => print!("{}", report.to_text()),
        RunFormat::Json => println!("{}", report.to_json()),
    }
    Ok(())
}

/// `ibcert solve` on a regression case: the exact interpolators and the Q^D_alpha limits.
fn solve_regression(a: &SolveArgs, case: &crate::case::Case) -> Result<(), CliError> {
    use crate::num::{MAX_PRECISION, MIN_PRECISION};
    use crate::reference::regression as reg;
    use crate::report::regression_solve::{
        CaseLine, RegressionSolveReport, SOLVE_REGRESSION_SCHEMA,
    };
    if !a.mu.is_empty() {
        return Err(CliError::input(
            "--mu: Q^D_mu max-margin predictors are for classification cases; a regression case takes --alpha",
        ));
    }
    let depth = match a.depth {
        Some(d) => depth("--depth", d)?,
        None => case.depth,
    };
    let prec = a.precision.unwrap_or(case.numerics.precision);
    if !(MIN_PRECISION..=MAX_PRECISION).contains(&prec) {
        return Err(CliError::input(format!(
            "--precision: must be between {MIN_PRECISION} and {MAX_PRECISION} bits, got {prec}"
        )));
    }
    if a.digits == 0 || a.digits > 10_000 {
        return Err(CliError::input("--digits: must be between 1 and 10000"));
    }
    let mut alphas = optional_positive_list("--alpha", &a.alpha)?;
    if a.alpha.is_empty() {
        alphas.extend(case.numerics.alpha.iter().cloned());
        for c in &case.checks {
            alphas.extend(c.alphas.iter().cloned());
        }
        alphas.sort();
        alphas.dedup();
    }
    let (x, y) = (&case.points, &case.targets);
    // interpolable: checked when the case was read
    let failed =
        |e: reg::RegressionError| CliError::input(format!("{}: data: {e}", a.case.display()));
    let s2 = reg::min_l2_interpolator(x, y).map_err(failed)?;
    let s1 = reg::min_l1_interpolator(x, y).map_err(failed)?;
    let mut q_alpha = Vec::new();
    let mut not_solved = Vec::new();
    for alpha in &alphas {
        match reg::q_alpha_limit(x, y, depth, alpha, prec) {
            Ok(sol) => q_alpha.push(RegressionSolveReport::q(alpha, depth, &sol, &s2, &s1)),
            Err(e) => not_solved.push((
                crate::report::regression_solve::shown_alpha(alpha),
                e.to_string(),
            )),
        }
    }
    let report = RegressionSolveReport {
        schema: SOLVE_REGRESSION_SCHEMA,
        case: CaseLine {
            name: case.name.clone(),
            path: case.path.as_ref().map(|p| p.display().to_string()),
            points: case.n_points(),
            dim: case.dim(),
            depth,
            data: case.data_source.as_ref().map(|d| d.description.clone()),
        },
        task: "regression",
        l2: RegressionSolveReport::l2(&s2, reg::verify_min_l2(x, y, &s2), a.digits),
        l1: RegressionSolveReport::l1(&s1, reg::verify_min_l1(x, y, &s1), a.digits),
        q_alpha,
        failed: not_solved,
    };
    match a.format {
        RunFormat::Text => print!("{}", report.to_text()),
        RunFormat::Json => println!("{}", report.to_json()),
    }
    if !report.failed.is_empty() {
        return Err(CliError::failed(format!(
            "{} of the Q^D_alpha limits could not be computed",
            report.failed.len()
        )));
    }
    Ok(())
}
