//! `ibcert table` on a regression case: the options a regression table takes (and the
//! classification ones it refuses), then `table::regression` and its report.

use super::check::SweepPlan;
use super::table::{info_of, TableArgs, TableOptions};
use super::write_output;
use crate::case::Case;
use crate::options::{arg_rational, depth_list, CliError};
use crate::report::regression_table::{RegTableReport, TableFormat};
use crate::table::regression::RegTableSpec;
use rug::Rational;

/// The default eps of a regression table.
const DEFAULT_EPS: [&str; 3] = ["1/10", "1/100", "1/1000"];
/// The default search range, log10 alpha.
const DEFAULT_RANGE: (i32, i32) = (-300, 300);
/// The default grid points per decade.
const DEFAULT_PER_DECADE: u32 = 100;

/// A classification table given a regression-only option: refuse it.
pub(super) fn refuse_regression_options(o: &TableOptions) -> Result<(), CliError> {
    let given = [
        ("--eps", !o.eps.is_empty()),
        ("--log10-alpha-range", o.log10_alpha_range.is_some()),
        ("--per-decade", o.per_decade.is_some()),
        ("--flow-time", o.flow_time),
    ];
    if let Some((name, _)) = given.iter().find(|(_, g)| *g) {
        return Err(CliError::input(format!(
            "{name}: only for regression cases (task = \"regression\"); a classification table takes --delta, --alphas and --mu"
        )));
    }
    Ok(())
}

/// A regression table given a classification-only option: refuse it.
fn refuse_classification_options(a: &TableArgs, plan: &SweepPlan) -> Result<(), CliError> {
    let o = &a.opts;
    let defaults = TableOptions {
        losses: Vec::new(),
        depths: Vec::new(),
        alphas: None,
        alpha_d: None,
        delta: "0.05".into(),
        mu: Vec::new(),
        after: "10".into(),
        gt_max: None,
        fit_from: "auto".into(),
        eps: Vec::new(),
        log10_alpha_range: None,
        per_decade: None,
        flow_time: false,
        numerics_opts: crate::options::NumericsArgs::default(),
        verified_digits: None,
        no_verify: false,
    };
    let given = [
        ("--losses", !o.losses.is_empty()),
        ("--alphas", o.alphas.is_some()),
        ("--alpha-d", o.alpha_d.is_some()),
        ("--delta", o.delta != defaults.delta),
        ("--mu", !o.mu.is_empty()),
        ("--after", o.after != defaults.after),
        ("--gt-max", o.gt_max.is_some()),
        ("--fit-from", o.fit_from != defaults.fit_from),
        ("--tol", o.numerics_opts.tol.is_some()),
        ("--stages", o.numerics_opts.stages.is_some()),
        ("--verified-digits", o.verified_digits.is_some()),
        ("--no-verify", o.no_verify),
        ("--list-jobs", a.list_jobs),
        ("--shard", plan.shard.is_some()),
        ("--results-dir", plan.results_dir.is_some()),
        ("--max-time", plan.deadline.is_some()),
    ];
    if let Some((name, _)) = given.iter().find(|(_, g)| *g) {
        return Err(CliError::input(format!(
            "{name}: not used by a regression table (task = \"regression\"): it takes --depths, --eps, --log10-alpha-range, --per-decade, --flow-time and --precision (its jobs are not sharded)"
        )));
    }
    Ok(())
}

/// The validated spec of a regression table.
fn spec_of(case: &Case, o: &TableOptions) -> Result<RegTableSpec, CliError> {
    let depths = if o.depths.is_empty() {
        vec![case.depth]
    } else {
        depth_list("--depths", &o.depths)?
    };
    let eps_text: Vec<String> = if o.eps.is_empty() {
        DEFAULT_EPS.iter().map(|s| s.to_string()).collect()
    } else {
        o.eps.clone()
    };
    let mut eps: Vec<Rational> = Vec::new();
    for e in &eps_text {
        let q = arg_rational("--eps", e.trim())?;
        if q <= 0 {
            return Err(CliError::input(format!(
                "--eps: must be > 0, got {}",
                e.trim()
            )));
        }
        if eps.contains(&q) {
            return Err(CliError::input(format!(
                "--eps: {} given twice (each eps once)",
                e.trim()
            )));
        }
        eps.push(q);
    }
    let (min_log10, max_log10) = match &o.log10_alpha_range {
        None => DEFAULT_RANGE,
        Some(r) => crate::options::log10_range("--log10-alpha-range", r)?,
    };
    let per_decade = o.per_decade.unwrap_or(DEFAULT_PER_DECADE);
    if !(1..=100_000).contains(&per_decade) {
        return Err(CliError::input(format!(
            "--per-decade: must be between 1 and 100000, got {per_decade}"
        )));
    }
    // --precision validated as for every command (--tol and --stages are refused above)
    let prec = o.numerics_opts.of(case)?.prec;
    Ok(RegTableSpec {
        depths,
        eps,
        prec,
        min_log10,
        max_log10,
        per_decade,
        flow_time: o.flow_time,
    })
}

/// `ibcert table` on a regression case.
pub(super) fn cmd_table_regression(
    a: &TableArgs,
    plan: &SweepPlan,
    case: &Case,
) -> Result<i32, CliError> {
    refuse_classification_options(a, plan)?;
    let spec = spec_of(case, &a.opts)?;
    super::check_output(a.output.as_deref())?;
    let start = std::time::Instant::now();
    let table = crate::table::regression::compute(&case.points, &case.targets, &spec)
        .map_err(|e| CliError::input(format!("{}: {e}", a.case.display())))?;
    let wall = (!a.no_timing).then(|| start.elapsed().as_secs_f64());
    let report = RegTableReport::new(info_of(case), &spec, &table, wall);
    let format = a.format.unwrap_or(TableFormat::Markdown);
    let text = RegTableReport::exporter(format).export(&report);
    write_output(a.output.as_deref(), &text)?;
    // a search that failed or could not decide is an incomplete table
    let incomplete = table.rows.iter().any(|r| {
        [&r.l1, &r.l2].iter().any(|t| {
            matches!(
                t,
                crate::table::regression::Threshold::Failed { .. }
                    | crate::table::regression::Threshold::Undecided { .. }
            )
        })
    });
    Ok(if incomplete { 1 } else { 0 })
}
