//! `ibcert table`: the training accuracy a regime requires.

use super::sweep_run::{write_partial, Started, SweepRun};
use super::write_output;
use crate::case::Case;
use crate::options::{
    arg_rational, depth_list, load_any_case_source, load_case, load_case_source,
    optional_positive_list, positive, positive_list, CliError,
};
use crate::report::run::CaseInfo;
use crate::sweep::{CaseSource, JobRecord, Sweep};
use crate::table::RowJob;
use clap::Args;
use rug::Rational;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct TableArgs {
    /// Case file (TOML, format version 1).
    pub case: PathBuf,
    #[command(flatten)]
    pub opts: TableOptions,
    /// Output format (with --shard the output is always the partial report, JSON).
    #[arg(long, value_enum)]
    pub format: Option<crate::report::table::TableFormat>,
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
    #[command(flatten)]
    pub sweep: super::SweepArgs,
}

/// The options of `ibcert table` that shape its rows and fits (kept in the partial
/// reports of a sharded table, so that a merge rebuilds the same table).
#[derive(Args, Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TableOptions {
    /// Losses the flows are trained with: exp, logistic (comma-separated, each once);
    /// default: the case's `loss`. Rows and fits per loss.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub losses: Vec<String>,
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
    /// Regression cases: the eps of the statements ||w_alpha||_1 <= (1 + eps) ||w_l1||_1
    /// and ||w_alpha||_2^2 <= (1 + eps) ||w_l2||_2^2 (exact, > 0, comma-separated, each
    /// once); default 1/10, 1/100, 1/1000.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub eps: Vec<String>,
    /// Regression cases: the alphas searched, as log10 alpha in MIN,MAX (integers,
    /// MIN < 0 < MAX, |MIN|, MAX <= 100000); default -300,300.
    #[arg(long, value_name = "MIN,MAX", allow_hyphen_values = true)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log10_alpha_range: Option<String>,
    /// Regression cases: grid points per decade of alpha (1 to 100000); default 100.
    #[arg(long)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_decade: Option<u32>,
    /// Regression cases: also integrate the flow at each located alpha and report the
    /// time it needs to come within eps of its limit (the optimisation cost of the
    /// regime; verified, each run capped at 5000 steps).
    #[arg(long)]
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub flow_time: bool,
    #[command(flatten)]
    pub numerics_opts: crate::options::NumericsArgs,
    /// Verified digits wanted (K): ibcert chooses precision, tolerance and stages for
    /// tolerance 10^-K, as `digits = K` in the case's [numerics] (no rerun: each cell
    /// shows its own verified digits). Replaces the case's numerics. `--digits` is the
    /// digits printed.
    #[arg(long, value_name = "K", conflicts_with_all = ["precision", "tol", "stages"])]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_digits: Option<u32>,
    /// Skip the verification computation (values then shown to 6 digits, marked unverified).
    #[arg(long)]
    pub no_verify: bool,
}

/// Validated settings of `ibcert table`.
pub fn table_spec(
    a: &TableArgs,
) -> Result<(Case, Vec<Vec<Rational>>, crate::table::TableSpec), CliError> {
    let (case, z) = load_case(&a.case)?;
    let spec = table_spec_of(&a.case, &case, &a.opts, a.digits)?;
    Ok((case, z, spec))
}

/// The table of `case` (read from `path`) that the options ask for.
fn table_spec_of(
    path: &Path,
    case: &Case,
    a: &TableOptions,
    digits: u32,
) -> Result<crate::table::TableSpec, CliError> {
    use crate::flow::{Loss, Scale};
    let losses = if a.losses.is_empty() {
        vec![case.loss]
    } else {
        let mut out: Vec<Loss> = Vec::new();
        for l in &a.losses {
            let l = l.trim();
            let loss = Loss::parse(l).ok_or_else(|| {
                CliError::input(format!(
                    "--losses: unknown loss {l:?}; give exp, logistic or both (comma-separated)"
                ))
            })?;
            if out.contains(&loss) {
                return Err(CliError::input(format!(
                    "--losses: {l} given twice (each loss once)"
                )));
            }
            out.push(loss);
        }
        out
    };
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
                    path.display()
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
    if digits == 0 || digits > 10_000 {
        return Err(CliError::input("--digits: must be between 1 and 10000"));
    }
    let fit_from = crate::options::fit_from("--fit-from", &a.fit_from)?;
    crate::options::fit_range_check("--fit-from", &fit_from, &depths, &scales)?;
    let numerics = a
        .numerics_opts
        .of_verified_digits(case, a.verified_digits)?;
    // a mu point of the logistic flow must lie beyond its start gt_0 = -ln(ln 2)
    for &loss in &losses {
        let start = loss.gt_start(64);
        for mu in &mus {
            for s in &scales {
                for &d in &depths {
                    let g = crate::num::from_rational(64, &(s.alpha_pow_d(d) / mu.clone()));
                    if g <= start {
                        return Err(CliError::input(format!(
                            "--mu: gt = alpha^D / mu = {} ({}, D = {d}, mu = {mu}) is not beyond the start of the {} flow, gt = {}",
                            crate::num::fmt_sig(&g, 6),
                            s.describe(),
                            loss.name(),
                            loss.describe_start()
                        )));
                    }
                }
            }
        }
    }
    if let Some(g) = &gt_max {
        for &loss in &losses {
            if crate::num::from_rational(64, g) <= loss.gt_start(64) {
                return Err(CliError::input(format!(
                    "--gt-max: {g} is not beyond the start of the {} flow, gt = {}",
                    loss.name(),
                    loss.describe_start()
                )));
            }
        }
    }
    let spec = crate::table::TableSpec {
        losses,
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
    // the precision must carry the tolerance through the stage solves
    let digits = crate::flow::tol_digits(&spec.numerics.tol);
    let solve = spec.numerics.solve_need();
    if solve > spec.numerics.prec {
        return Err(CliError::input(format!(
            "--precision: a tolerance of {digits} digits needs at least {solve} bits ({}), but the precision is {} bits (raise --precision or loosen --tol)",
            crate::flow::solve_why(&spec.numerics),
            spec.numerics.prec
        )));
    }
    // the precision must carry the largest gt of the range (margins ~ gt)
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
    Ok(spec)
}

/// A row's result as a sweep keeps it: the row exactly, and its wall time.
#[derive(serde::Serialize, serde::Deserialize)]
struct RowResult {
    row: crate::table::Row,
    #[serde(default)]
    wall_seconds: f64,
}

fn describe(spec: &crate::table::TableSpec, j: &RowJob) -> String {
    format!(
        "row {}D = {}, {}",
        match j.loss {
            crate::flow::Loss::Exp => String::new(),
            l => format!("{} loss, ", l.name()),
        },
        spec.depths[j.depth_index],
        spec.scales[j.scale_index].describe()
    )
}

pub(super) fn info_of(case: &Case) -> CaseInfo {
    CaseInfo {
        name: case.name.clone(),
        path: case.path.as_ref().map(|p| p.display().to_string()),
        points: case.n_points(),
        dim: case.dim(),
        depth: case.depth,
        data: case.data_source.as_ref().map(|d| d.description.clone()),
    }
}

/// The report of a table from its rows (report order), timing optional.
fn report_of(
    case: &Case,
    spec: &crate::table::TableSpec,
    rows: Vec<crate::table::Row>,
    wall_seconds: Option<f64>,
    missing: Vec<String>,
) -> crate::report::table::TableReport {
    use crate::report::table::TableReport;
    let table = crate::table::assemble(spec, rows);
    let vn = crate::flow::VERIFICATION.numerics(&spec.numerics);
    let mut report = TableReport::build(
        info_of(case),
        &table,
        &spec.losses,
        &spec.delta,
        &spec.after,
        &spec.mus,
        &spec.numerics,
        spec.verify.then_some(&vn),
        wall_seconds,
    );
    report.missing_rows = missing;
    report
}

pub(super) fn cmd_table(a: &TableArgs) -> Result<i32, CliError> {
    use crate::report::table::{TableFormat, TableReport};
    let plan = a.sweep.validate()?;
    let source = CaseSource::read(&a.case).map_err(CliError::input)?;
    let (case, z) = load_any_case_source(&source)?;
    if case.task == crate::case::Task::Regression {
        return super::table_regression::cmd_table_regression(a, &plan, &case);
    }
    super::table_regression::refuse_regression_options(&a.opts)?;
    let spec = table_spec_of(&a.case, &case, &a.opts, a.digits)?;
    super::check_output(a.output.as_deref())?;
    if plan.shard.is_some() && a.format.is_some_and(|f| f != TableFormat::Json) {
        return Err(CliError::input(
            "--format: with --shard the output is the partial report (JSON); `ibcert merge` writes the other formats",
        ));
    }
    let all = crate::table::row_jobs(&case, &spec);
    if a.list_jobs {
        let lines: Vec<super::JobLine> = all
            .iter()
            .map(|j| super::JobLine {
                id: j.id.clone(),
                case: case.name.clone(),
                file: Some(source.file.clone()),
                job: describe(&spec, j),
            })
            .collect();
        let json = a.format == Some(TableFormat::Json);
        write_output(a.output.as_deref(), &super::list_jobs(&lines, json))?;
        return Ok(0);
    }
    let start = std::time::Instant::now();
    let sweep = Sweep::new(
        "table",
        vec![source],
        serde_json::json!({ "table": &a.opts }),
    );
    let Started { run, picked, todo } = SweepRun::<RowResult>::start(
        &plan,
        &sweep,
        &all,
        |j| &j.id,
        |j| describe(&spec, j),
        "rows",
    )?;
    if !todo.is_empty() {
        let refs = crate::table::references(&z, &spec)
            .map_err(|e| CliError::input(format!("{}: {e}", a.case.display())))?;
        let bar = crate::output::JobProgress::new(todo.len(), !a.no_progress, None);
        crate::table::compute_rows(&z, &spec, &refs, &todo, plan.deadline, |j, r, t| {
            let res = RowResult {
                row: r.clone(),
                wall_seconds: t,
            };
            run.finished(&j.id, &describe(&spec, j), res);
            bar.inc();
        })
        .map_err(|e| CliError::failed(format!("integration failed: {e}")))?;
        bar.finish();
    }
    let (mut results, not_run) = run.close(&picked)?;
    let timing = !a.no_timing;
    if let Some(shard) = plan.shard {
        return write_partial(
            shard,
            sweep,
            &picked,
            &results,
            not_run,
            timing,
            a.output.as_deref(),
        );
    }
    let rows: Vec<crate::table::Row> = all
        .iter()
        .filter_map(|j| results.remove(&j.id).map(|r| r.row))
        .collect();
    let report = report_of(
        &case,
        &spec,
        rows,
        timing.then(|| start.elapsed().as_secs_f64()),
        not_run.clone(),
    );
    let format = a.format.unwrap_or(TableFormat::Markdown);
    let text = TableReport::exporter(format, a.digits).export(&report);
    write_output(a.output.as_deref(), &text)?;
    Ok(if not_run.is_empty() { 0 } else { 1 })
}

/// `ibcert merge` of a table sweep.
pub(super) fn merge_table(
    a: &super::MergeArgs,
    sweep: &Sweep,
    records: &BTreeMap<String, JobRecord>,
) -> Result<i32, CliError> {
    use super::MergeFormat;
    use crate::report::table::{TableFormat, TableReport};
    let format = match a.format {
        None | Some(MergeFormat::Markdown) => TableFormat::Markdown,
        Some(MergeFormat::Csv) => TableFormat::Csv,
        Some(MergeFormat::Json) => TableFormat::Json,
        Some(f) => {
            return Err(CliError::input(format!(
                "--format: {f:?} is a check format; a table sweep merges to markdown, csv or json"
            )))
        }
    };
    #[derive(serde::Deserialize)]
    struct Opts {
        table: TableOptions,
    }
    let bad = |e: String| CliError::input(format!("the sweep's options are unreadable: {e}"));
    let opts: Opts =
        serde_json::from_value(sweep.options.clone()).map_err(|e| bad(e.to_string()))?;
    let [source] = sweep.cases.as_slice() else {
        return Err(bad("a table sweep has exactly one case file".into()));
    };
    let path = Path::new(&source.file);
    let (case, _) = load_case_source(source)?;
    let spec = table_spec_of(path, &case, &opts.table, a.digits)?;
    let all = crate::table::row_jobs(&case, &spec);
    let mut rows = Vec::new();
    let mut missing = Vec::new();
    let mut wall = 0.0;
    for j in &all {
        match records.get(&j.id) {
            Some(r) => {
                let res: RowResult = serde_json::from_value(r.result.clone()).map_err(|e| {
                    CliError::input(format!(
                        "job {} ({}): the result is unreadable: {e}",
                        j.id,
                        describe(&spec, j)
                    ))
                })?;
                wall += res.wall_seconds;
                rows.push(res.row);
            }
            None => missing.push(j.id.clone()),
        }
    }
    super::merge::refuse_missing(&missing, all.len(), a.allow_partial)?;
    let complete = missing.is_empty();
    let report = report_of(&case, &spec, rows, (!a.no_timing).then_some(wall), missing);
    let text = TableReport::exporter(format, a.digits).export(&report);
    write_output(a.output.as_deref(), &text)?;
    Ok(if complete { 0 } else { 1 })
}
