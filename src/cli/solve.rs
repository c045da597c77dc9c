//! `ibcert solve`: the reference predictors with certificates.

use crate::options::{depth, load_case, optional_positive_list, CliError};
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
    /// Depth D (2 to 1000) for Q^D_mu (default: the case's depth).
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
    let (case, z) = load_case(&a.case)?;
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
    let vprec = prec + crate::flow::VerificationPolicy::REFERENCE.extra_bits(prec);
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
