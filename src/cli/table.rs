//! `ibcert table`: the training accuracy a regime requires.

use super::write_output;
use crate::case::Case;
use crate::options::{
    arg_rational, depth_list, load_case, optional_positive_list, positive, positive_list, CliError,
};
use crate::report::run::CaseInfo;
use clap::Args;
use rug::Rational;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct TableArgs {
    /// Case file (TOML, format version 1).
    pub case: PathBuf,
    /// Depths D from 2 to 1000 (comma-separated, each once); default: the case's depth.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub depths: Vec<String>,
    /// Values of alpha > 0 (exact, comma-separated); default: the case's numerics.alpha.
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        conflicts_with = "alpha_d"
    )]
    pub alphas: Option<Vec<String>>,
    /// Values of alpha^D > 0 instead (exact; alpha = (alpha^D)^(1/D) at working precision).
    #[arg(long = "alpha-d", value_delimiter = ',', allow_hyphen_values = true)]
    pub alpha_d: Option<Vec<String>>,
    /// Threshold delta in (0, 1) for the excess l1 norm and the distance to w_l2.
    #[arg(long, default_value = "0.05", allow_hyphen_values = true)]
    pub delta: String,
    /// Also report gt = alpha^D / mu and the distance to w_mu for these mu > 0.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub mu: Vec<String>,
    /// Integrate on to this many times the gt of the last event (> 1), to see whether
    /// the excess l1 norm stays below delta.
    #[arg(long, default_value = "10", allow_hyphen_values = true)]
    pub after: String,
    /// Integrate at most to this gt (default 10^6 max(1, alpha^D)).
    #[arg(long, allow_hyphen_values = true)]
    pub gt_max: Option<String>,
    /// Which required accuracies the line ln gt = a ln(alpha^D) + b is fitted over: auto
    /// (the largest alpha^D whose local slopes agree within 0.05, at least two points),
    /// all, or the smallest alpha^D to use (exact).
    #[arg(long, default_value = "auto", allow_hyphen_values = true)]
    pub fit_from: String,
    #[command(flatten)]
    pub numerics_opts: crate::options::NumericsArgs,
    /// Skip the verification computation (values then shown to 6 digits, marked unverified).
    #[arg(long)]
    pub no_verify: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::report::table::TableFormat::Markdown)]
    pub format: crate::report::table::TableFormat,
    /// At most this many significant digits in the Markdown tables (CSV and JSON carry
    /// every verified digit).
    #[arg(long, default_value_t = 12)]
    pub digits: u32,
    /// Write to this file instead of standard output (no partial file on failure).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Leave the timing fields out (byte-identical reports for the same inputs).
    #[arg(long)]
    pub no_timing: bool,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Print the jobs (one per depth and alpha) with their stable ids instead of
    /// computing them (text, or JSON with --format json).
    #[arg(long)]
    pub list_jobs: bool,
}

/// Validated settings of `ibcert table`.
pub fn table_spec(
    a: &TableArgs,
) -> Result<(Case, Vec<Vec<Rational>>, crate::table::TableSpec), CliError> {
    use crate::flow::Scale;
    let (case, z) = load_case(&a.case)?;
    let depths = if a.depths.is_empty() {
        vec![case.depth]
    } else {
        depth_list("--depths", &a.depths)?
    };
    let scales: Vec<Scale> = match (&a.alphas, &a.alpha_d) {
        (Some(al), _) => positive_list("--alphas", al)?
            .into_iter()
            .map(Scale::Alpha)
            .collect(),
        (None, Some(ad)) => positive_list("--alpha-d", ad)?
            .into_iter()
            .map(Scale::AlphaPowD)
            .collect(),
        (None, None) => vec![Scale::Alpha(case.numerics.alpha.clone().ok_or_else(
            || {
                CliError::input(format!(
                    "--alphas: not given, and {} sets no numerics.alpha",
                    a.case.display()
                ))
            },
        )?)],
    };
    let delta = arg_rational("--delta", a.delta.trim())?;
    if delta <= 0 || delta >= 1 {
        return Err(CliError::input(format!(
            "--delta: must be in (0, 1), got {}",
            a.delta.trim()
        )));
    }
    let mus = optional_positive_list("--mu", &a.mu)?;
    let after = arg_rational("--after", a.after.trim())?;
    if after <= 1 {
        return Err(CliError::input(format!(
            "--after: must be greater than 1, got {}",
            a.after.trim()
        )));
    }
    let gt_max = match &a.gt_max {
        Some(g) => Some(positive("--gt-max", arg_rational("--gt-max", g.trim())?)?),
        None => None,
    };
    if a.digits == 0 || a.digits > 10_000 {
        return Err(CliError::input("--digits: must be between 1 and 10000"));
    }
    let fit_from = crate::options::fit_from("--fit-from", &a.fit_from)?;
    crate::options::fit_range_check("--fit-from", &fit_from, &depths, &scales)?;
    let numerics = a.numerics_opts.of(&case)?;
    let spec = crate::table::TableSpec {
        depths,
        scales,
        delta,
        mus,
        after,
        gt_max,
        numerics,
        verify: !a.no_verify,
        fit_from,
    };
    // the precision must carry the largest gt of the range (margins ~ gt)
    let digits = crate::flow::tol_digits(&spec.numerics.tol);
    for s in &spec.scales {
        for &d in &spec.depths {
            let g = crate::num::from_rational(64, &spec.gt_max_for(&s.alpha_pow_d(d)));
            let needed = crate::flow::bits_needed(&g, digits);
            if needed > spec.numerics.prec {
                return Err(CliError::input(format!(
                    "--precision: the range up to gt = {} ({}, D = {d}) with {digits} digits needs at least {needed} bits, but the precision is {} bits (lower --gt-max or raise --precision)",
                    crate::num::fmt_sig(&g, 6),
                    s.describe(),
                    spec.numerics.prec
                )));
            }
        }
    }
    Ok((case, z, spec))
}

pub(super) fn cmd_table(a: &TableArgs) -> Result<(), CliError> {
    use crate::report::table::TableReport;
    let (case, z, spec) = table_spec(a)?;
    super::check_output(a.output.as_deref())?;
    if a.list_jobs {
        let mut lines = Vec::new();
        for &depth in &spec.depths {
            for scale in &spec.scales {
                lines.push(super::JobLine {
                    id: spec.row_job_id(&case, depth, scale),
                    case: case.name.clone(),
                    file: case.path.as_ref().map(|p| p.display().to_string()),
                    job: format!("row D = {depth}, {}", scale.describe()),
                });
            }
        }
        let json = a.format == crate::report::table::TableFormat::Json;
        return write_output(a.output.as_deref(), &super::list_jobs(&lines, json));
    }
    let start = std::time::Instant::now();
    let refs = crate::table::references(&z, &spec)
        .map_err(|e| CliError::input(format!("{}: {e}", a.case.display())))?;
    let rows = spec.depths.len() * spec.scales.len();
    let bar = crate::output::JobProgress::new(rows, !a.no_progress, None);
    let table = crate::table::compute(&z, &spec, &refs, || bar.inc())
        .map_err(|e| CliError::failed(format!("integration failed: {e}")))?;
    bar.finish();
    let info = CaseInfo {
        name: case.name.clone(),
        path: case.path.as_ref().map(|p| p.display().to_string()),
        points: case.n_points(),
        dim: case.dim(),
        depth: case.depth,
    };
    let vn = crate::flow::VerificationPolicy::TABLE.numerics(&spec.numerics);
    let report = TableReport::build(
        info,
        &table,
        &spec.delta,
        &spec.after,
        &spec.mus,
        &spec.numerics,
        spec.verify.then_some(&vn),
        (!a.no_timing).then(|| start.elapsed().as_secs_f64()),
    );
    let text = TableReport::exporter(a.format, a.digits).export(&report);
    write_output(a.output.as_deref(), &text)
}
