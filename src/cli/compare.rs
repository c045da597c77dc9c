//! `ibcert compare-losses`: the exp-loss and logistic-loss flows of one case compared
//! at listed gt (crate::compare), reported as text or JSON (crate::report::compare).

use super::{check_output, write_output};
use crate::compare::{compare, first_before_start, CompareJob};
use crate::options::{arg_rational, load_case, positive, positive_list, CliError};
use crate::output::GtProgress;
use crate::report::compare::{CompareFormat, CompareReport, Json, Text};
use crate::report::run::CaseInfo;
use crate::report::Exporter;
use clap::Args;
use rug::Float;
use std::path::PathBuf;
use std::sync::Mutex;

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Case file (TOML, format version 1).
    pub case: PathBuf,
    /// Initialization scale alpha > 0 (exact); default: the case's numerics.alpha.
    #[arg(long, allow_hyphen_values = true)]
    pub alpha: Option<String>,
    /// The gt = -log(loss) to compare at (comma-separated, exact, each beyond the
    /// logistic start -ln(ln 2) = 0.3665...); both runs go to the largest.
    #[arg(
        long,
        value_delimiter = ',',
        required = true,
        allow_hyphen_values = true
    )]
    pub gt: Vec<String>,
    /// K: the two agree to K digits where d <= 10^-K.
    #[arg(long, default_value_t = 3)]
    pub digits: u32,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CompareFormat::Text)]
    pub format: CompareFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Leave the timing fields out (byte-identical reports for the same inputs).
    #[arg(long)]
    pub no_timing: bool,
    /// Skip the verification runs (values are then shown to 6 digits, marked unverified).
    #[arg(long)]
    pub no_verify: bool,
    #[command(flatten)]
    pub numerics_opts: crate::options::NumericsArgs,
    /// Verified digits wanted (K): ibcert chooses precision, tolerance and stages for
    /// tolerance 10^-K, as `digits = K` in the case's [numerics] (no rerun). Replaces the
    /// case's numerics. `--digits` is the agreement asked of the two flows.
    #[arg(long, value_name = "K", conflicts_with_all = ["precision", "tol", "stages"])]
    pub verified_digits: Option<u32>,
}

pub(super) fn cmd_compare(a: &CompareArgs) -> Result<i32, CliError> {
    check_output(a.output.as_deref())?;
    if a.digits == 0 {
        return Err(CliError::input("--digits: must be at least 1"));
    }
    let (case, z) = load_case(&a.case)?;
    let alpha = match &a.alpha {
        Some(s) => positive("--alpha", arg_rational("--alpha", s)?)?,
        None => case.numerics.alpha.clone().ok_or_else(|| {
            CliError::input(format!(
                "--alpha: not given, and {} sets no numerics.alpha",
                a.case.display()
            ))
        })?,
    };
    let mut gts = positive_list("--gt", &a.gt)?;
    if let Some(q) = first_before_start(&gts) {
        let i = gts.iter().position(|g| g == q).expect("listed");
        return Err(CliError::input(format!(
            "--gt: {} is not beyond the logistic flow's start gt_0 = {}; give values above it",
            a.gt[i].trim(),
            crate::flow::Loss::Logistic.describe_start()
        )));
    }
    gts.sort();
    let numerics = a
        .numerics_opts
        .of_verified_digits(&case, a.verified_digits)?;
    let job = CompareJob {
        z: &z,
        depth: case.depth,
        alpha: &alpha,
        numerics: &numerics,
        gts: &gts,
        verify: !a.no_verify,
        digits: a.digits,
    };
    let end = crate::num::from_rational(64, gts.last().expect("a gt"));
    let phases = if a.no_verify { 1 } else { 2 };
    // one bar for both runs, showing the one behind: (run, phase, gt) of each
    let bar = Mutex::new((
        GtProgress::new(&end, phases, !a.no_progress),
        [(0usize, Float::new(64)), (0usize, Float::new(64))],
    ));
    let progress = |run: usize, phase: usize, gt: &Float| {
        if let Ok(mut g) = bar.lock() {
            let (b, at) = &mut *g;
            at[run] = (phase, Float::with_val(64, gt));
            let behind = if (at[0].0, &at[0].1) <= (at[1].0, &at[1].1) {
                at[0].clone()
            } else {
                at[1].clone()
            };
            b.update(behind.0, &behind.1);
        }
    };
    let result = compare(&job, &progress);
    if let Ok(g) = bar.lock() {
        g.0.finish();
    }
    let c = result.map_err(|e| match e {
        crate::flow::FlowError::PrecisionTooLow { .. }
        | crate::flow::FlowError::NonPositiveTarget(_)
        | crate::flow::FlowError::BeforeStart { .. } => CliError::input(e.to_string()),
        _ => CliError::failed(e.to_string()),
    })?;
    let info = CaseInfo {
        name: case.name.clone(),
        path: case.path.as_ref().map(|p| p.display().to_string()),
        points: case.n_points(),
        dim: case.dim(),
        depth: case.depth,
        data: case.data_source.as_ref().map(|d| d.description.clone()),
    };
    let report = CompareReport::build(info, &alpha, &c, !a.no_timing);
    let text = match a.format {
        CompareFormat::Text => Text.export(&report),
        CompareFormat::Json => Json.export(&report),
    };
    write_output(a.output.as_deref(), &text)?;
    Ok(0)
}
