//! Command-line interface. Options are validated once here, into exact types; the
//! numeric modules never see strings. Exit codes: 0 success, 1 a computation failed,
//! 2 bad input (arguments or case file).

use crate::case::{Case, MAX_STAGES};
use crate::flow::run::{default_stages, log_spaced, run_verified, Numerics, StopRule, Verified};
use crate::lp::{separability, Separability};
use crate::num::exact::{parse_decimal, parse_rational, rational_to_decimal_string};
use crate::output::GtProgress;
use crate::report::run::{CaseInfo, RunReport};
use crate::report::trace::TraceReport;
use crate::report::{RunFormat, TraceFormat};
use clap::{Args, Parser, Subcommand};
use rug::Rational;
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "ibcert",
    version = crate::VERSION_LONG,
    about = "Certify implicit-bias claims for depth-D diagonal linear networks by integrating the exp-loss gradient flow in arbitrary precision"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Integrate the flow of a case to a stopping rule and report the predictor.
    Run(RunArgs),
    /// Sample the path of the flow (dense output) at given or log-spaced gt values.
    Trace(TraceArgs),
    /// Run the theorem checks declared in case files (files or directories of *.toml).
    Check(CheckArgs),
    /// Compute the reference predictors (l2, l1 exactly; Q_mu in MPFR) with certificates.
    Solve(SolveArgs),
    /// Tabulate the training accuracy a regime requires (paper Fig. 5b) and the closest
    /// approach to the kernel solution, per depth and alpha, with fits.
    Table(TableArgs),
    /// Run fixed workloads and print wall time, steps, RHS evaluations and digits.
    Bench(BenchArgs),
    /// Draw a figure of the paper (SVG): sphere, excess-l1, excess-plane, kernel-distance.
    Plot(crate::plot::PlotArgs),
}

#[derive(Args, Debug, Clone)]
pub struct FlowArgs {
    /// Case file (TOML, format version 1).
    pub case: PathBuf,
    /// Initialization scale alpha > 0 (exact: "100", "0.5", "1/3"); default: the case's numerics.alpha.
    #[arg(long, allow_hyphen_values = true)]
    pub alpha: Option<String>,
    /// Stop at this training accuracy gt = -log(loss) (exact decimal or fraction).
    #[arg(long, group = "stop", allow_hyphen_values = true)]
    pub gt: Option<String>,
    /// Stop at this loss, e.g. 1e-8700 (parsed exactly; gt = -ln(loss)).
    #[arg(long, group = "stop", allow_hyphen_values = true)]
    pub loss: Option<String>,
    /// Stop at gt = alpha^D / mu (the transition-regime scaling).
    #[arg(long, group = "stop", allow_hyphen_values = true)]
    pub mu: Option<String>,
    /// MPFR precision in bits (>= 64); default: the case's numerics.precision.
    #[arg(long)]
    pub precision: Option<u32>,
    /// Local error tolerance in (0, 1); default: the case's numerics.tolerance.
    #[arg(long, allow_hyphen_values = true)]
    pub tol: Option<String>,
    /// Radau IIA stages (1..=24); default: the case's, else chosen from the tolerance.
    #[arg(long)]
    pub stages: Option<usize>,
    /// Skip the verification run (values are then shown to 6 digits, marked unverified).
    #[arg(long)]
    pub no_verify: bool,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub flow: FlowArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RunFormat::Text)]
    pub format: RunFormat,
}

#[derive(Args, Debug)]
pub struct TraceArgs {
    #[command(flatten)]
    pub flow: FlowArgs,
    /// Sample at these gt values (comma-separated, exact).
    #[arg(long, value_delimiter = ',')]
    pub at: Vec<String>,
    /// Number of log-spaced samples from --from to the stopping gt (default 20 when --at is absent).
    #[arg(long)]
    pub points: Option<usize>,
    /// First log-spaced sample (default 1/100).
    #[arg(long)]
    pub from: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TraceFormat::Csv)]
    pub format: TraceFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Case files and directories (every *.toml inside, sorted by name).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::report::check::CheckFormat::Text)]
    pub format: crate::report::check::CheckFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Leave the timing fields out (byte-identical reports for the same inputs).
    #[arg(long)]
    pub no_timing: bool,
    /// Skip the verification runs (digits are then not reported).
    #[arg(long)]
    pub no_verify: bool,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Args, Debug)]
pub struct SolveArgs {
    /// Case file (TOML, format version 1).
    pub case: PathBuf,
    /// Also solve the Q^D_mu max-margin problem for these mu > 0 (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub mu: Vec<String>,
    /// Depth D for Q^D_mu (default: the case's depth).
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

#[derive(Args, Debug)]
pub struct TableArgs {
    /// Case file (TOML, format version 1).
    pub case: PathBuf,
    /// Depths D >= 2 (comma-separated); default: the case's depth.
    #[arg(long, value_delimiter = ',')]
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
    /// MPFR precision in bits (>= 64); default: the case's numerics.precision.
    #[arg(long)]
    pub precision: Option<u32>,
    /// Local error tolerance in (0, 1); default: the case's numerics.tolerance.
    #[arg(long, allow_hyphen_values = true)]
    pub tol: Option<String>,
    /// Radau IIA stages (1..=24); default: the case's, else chosen from the tolerance.
    #[arg(long)]
    pub stages: Option<usize>,
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
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Run only the workloads whose name contains this string.
    #[arg(long)]
    pub filter: Option<String>,
}

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

/// A fully validated flow job.
pub struct FlowJob {
    pub case: Case,
    pub z: Vec<Vec<Rational>>,
    pub alpha: Rational,
    pub rule: StopRule,
    pub numerics: Numerics,
    pub verify: bool,
    pub progress: bool,
}

pub(crate) fn arg_rational(name: &str, s: &str) -> Result<Rational, CliError> {
    parse_rational(s).map_err(|e| CliError::input(format!("{name}: {e}")))
}

pub(crate) fn positive(name: &str, q: Rational) -> Result<Rational, CliError> {
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

/// The numerics of a job: the options given, else the case's, else the defaults.
fn numerics_of(
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

impl FlowArgs {
    pub fn validate(&self) -> Result<FlowJob, CliError> {
        let (case, z) = load_case(&self.case)?;
        let alpha = match &self.alpha {
            Some(a) => positive("--alpha", arg_rational("--alpha", a)?)?,
            None => case.numerics.alpha.clone().ok_or_else(|| {
                CliError::input(format!(
                    "--alpha: not given, and {} sets no numerics.alpha",
                    self.case.display()
                ))
            })?,
        };
        let rule = match (&self.gt, &self.loss, &self.mu) {
            (Some(g), None, None) => StopRule::Gt(positive("--gt", arg_rational("--gt", g)?)?),
            (None, Some(l), None) => {
                let d = parse_decimal(l).map_err(|e| CliError::input(format!("--loss: {e}")))?;
                if !d.is_positive() {
                    return Err(CliError::input(format!(
                        "--loss: must be in (0, 1), got {l}"
                    )));
                }
                // d < 1  <=>  coeff < 10^(-exp10)
                let below_one = if d.exp10 >= 0 {
                    false
                } else if d.exp10 < -100_000 {
                    true
                } else {
                    d.to_rational().is_some_and(|q| q < 1)
                };
                if !below_one {
                    return Err(CliError::input(format!(
                        "--loss: must be below 1 (the loss starts at 1 at initialization), got {l}"
                    )));
                }
                StopRule::Loss(d)
            }
            (None, None, Some(m)) => StopRule::Mu(positive("--mu", arg_rational("--mu", m)?)?),
            _ => {
                return Err(CliError::input(
                    "missing stopping rule: give exactly one of --gt, --loss or --mu",
                ))
            }
        };
        let numerics = numerics_of(&case, self.precision, self.tol.as_deref(), self.stages)?;
        Ok(FlowJob {
            case,
            z,
            alpha,
            rule,
            numerics,
            verify: !self.no_verify,
            progress: !self.no_progress,
        })
    }
}

impl FlowJob {
    pub fn case_info(&self) -> CaseInfo {
        CaseInfo {
            name: self.case.name.clone(),
            path: self.case.path.as_ref().map(|p| p.display().to_string()),
            points: self.case.n_points(),
            dim: self.case.dim(),
            depth: self.case.depth,
        }
    }

    pub fn execute(&self, samples: &[Rational]) -> Result<Verified, CliError> {
        let gt = self.rule.gt(&self.alpha, self.case.depth, 64);
        let mut bar = GtProgress::new(&gt, if self.verify { 2 } else { 1 }, self.progress);
        let out = run_verified(
            &self.z,
            self.case.depth,
            &self.alpha,
            &self.rule,
            &self.numerics,
            samples,
            self.verify,
            |phase, x| bar.update(phase, x),
        );
        bar.finish();
        out.map_err(|e| match e {
            crate::flow::run::FlowError::PrecisionTooLow { .. } => {
                CliError::input(format!("--precision: {e}"))
            }
            crate::flow::run::FlowError::NonPositiveTarget(_) => CliError::input(e.to_string()),
            _ => CliError::failed(e.to_string()),
        })
    }
}

fn write_output(path: Option<&Path>, text: &str) -> Result<(), CliError> {
    match path {
        None => {
            print!("{text}");
            Ok(())
        }
        Some(p) => {
            // write to a temporary file beside the target, then rename: no partial file
            let tmp = p.with_extension("ibcert-partial");
            std::fs::write(&tmp, text)
                .and_then(|_| std::fs::rename(&tmp, p))
                .map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    CliError::input(format!("--output: cannot write {}: {e}", p.display()))
                })
        }
    }
}

fn cmd_run(a: &RunArgs) -> Result<(), CliError> {
    let job = a.flow.validate()?;
    let v = job.execute(&[])?;
    let report = RunReport::build(job.case_info(), &job.z, &job.alpha, &job.rule, &v);
    match a.format {
        RunFormat::Text => print!("{}", report.to_text()),
        RunFormat::Json => println!("{}", report.to_json()),
    }
    Ok(())
}

fn cmd_trace(a: &TraceArgs) -> Result<(), CliError> {
    let job = a.flow.validate()?;
    let gt_end = job.rule.gt(&job.alpha, job.case.depth, job.numerics.prec);
    let gt_end_q = gt_end
        .to_rational()
        .ok_or_else(|| CliError::input("the stopping gt is not finite"))?;
    let mut samples: Vec<Rational> = Vec::new();
    for s in &a.at {
        let q = positive("--at", arg_rational("--at", s.trim())?)?;
        if q > gt_end_q {
            return Err(CliError::input(format!(
                "--at: {s} lies beyond the stopping gt ({})",
                rational_to_decimal_string(&gt_end_q, 12)
            )));
        }
        samples.push(q);
    }
    if samples.is_empty() || a.points.is_some() {
        let count = a.points.unwrap_or(20);
        if count == 0 {
            return Err(CliError::input("--points: must be at least 1"));
        }
        let from = match &a.from {
            Some(f) => positive("--from", arg_rational("--from", f)?)?,
            None => Rational::from((1, 100)),
        };
        if from >= gt_end_q {
            return Err(CliError::input("--from: must lie below the stopping gt"));
        }
        samples.extend(log_spaced(&from, &gt_end_q, count, job.numerics.prec));
    }
    samples.sort();
    samples.dedup();
    let v = job.execute(&samples)?;
    let report = TraceReport::build(job.case_info(), &job.z, &job.alpha, &job.rule, &v);
    let text = match a.format {
        TraceFormat::Csv => report.to_csv(),
        TraceFormat::Json => report.to_json() + "\n",
    };
    write_output(a.output.as_deref(), &text)
}

/// Expand files and directories into a sorted list of case files.
fn case_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| {
                    CliError::input(format!("{}: cannot read directory: {e}", p.display()))
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "toml"))
                .collect();
            v.sort();
            out.extend(v);
        } else {
            out.push(p.clone());
        }
    }
    if out.is_empty() {
        return Err(CliError::input("no case files found in the given paths"));
    }
    Ok(out)
}

fn cmd_check(a: &CheckArgs) -> Result<i32, CliError> {
    use crate::checks::run::{job_count, run_cases, RunSettings};
    use crate::report::check::{CheckFormat, SuiteReport};
    let mut cases = Vec::new();
    for f in case_files(&a.paths)? {
        cases.push(load_case(&f)?);
    }
    let jobs = job_count(&cases);
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(jobs as u64),
        indicatif::ProgressDrawTarget::hidden(),
    );
    if !a.no_progress && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    }
    let results = run_cases(
        &cases,
        &RunSettings {
            verify: !a.no_verify,
        },
        || bar.inc(1),
    );
    bar.finish_and_clear();
    let report = SuiteReport::new(results);
    let timing = !a.no_timing;
    let text = match a.format {
        CheckFormat::Text => report.to_text(timing),
        CheckFormat::Json => report.to_json(timing),
        CheckFormat::Junit => report.to_junit(timing),
    };
    write_output(a.output.as_deref(), &text)?;
    Ok(if report.all_met() { 0 } else { 1 })
}

fn cmd_solve(a: &SolveArgs) -> Result<(), CliError> {
    use crate::reference::{constants, l1, l2, qmu};
    use crate::report::solve::SolveReport;
    let (case, z) = load_case(&a.case)?;
    let depth = a.depth.unwrap_or(case.depth);
    if depth < 2 {
        return Err(CliError::input(format!(
            "--depth: must be at least 2, got {depth}"
        )));
    }
    let prec = a.precision.unwrap_or(case.numerics.precision);
    if !(64..=1_000_000).contains(&prec) {
        return Err(CliError::input(format!(
            "--precision: must be between 64 and 1000000 bits, got {prec}"
        )));
    }
    if a.digits == 0 || a.digits > 10_000 {
        return Err(CliError::input("--digits: must be between 1 and 10000"));
    }
    let mut mus = Vec::new();
    for m in &a.mu {
        mus.push(positive("--mu", arg_rational("--mu", m.trim())?)?);
    }
    let failed = |e: crate::reference::l2::ReferenceError| {
        CliError::input(format!("{}: data: {e}", a.case.display()))
    };
    let s2 = l2::l2_max_margin(&z).map_err(failed)?;
    let s1 = l1::l1_max_margin(&z).map_err(failed)?;
    let k = constants::data_constants(&z).map_err(failed)?;
    let qerr = |e: qmu::QmuError| match e {
        qmu::QmuError::NonPositiveMu => CliError::input(format!("--mu: {e}")),
        qmu::QmuError::PrecisionTooLow { .. } => CliError::input(format!("--precision: {e}")),
        _ => CliError::failed(e.to_string()),
    };
    let path = qmu::qmu_path(&z, depth, &mus, prec).map_err(qerr)?;
    let check = qmu::qmu_path(&z, depth, &mus, prec + 64).map_err(qerr)?;
    let info = CaseInfo {
        name: case.name.clone(),
        path: case.path.as_ref().map(|p| p.display().to_string()),
        points: case.n_points(),
        dim: case.dim(),
        depth,
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

/// A comma-separated list of exact positive values; an empty list or entry is refused.
fn positive_list(name: &str, items: &[String]) -> Result<Vec<Rational>, CliError> {
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

/// Validated settings of `ibcert table`.
pub fn table_spec(
    a: &TableArgs,
) -> Result<(Case, Vec<Vec<Rational>>, crate::table::TableSpec), CliError> {
    use crate::flow::Scale;
    let (case, z) = load_case(&a.case)?;
    let mut depths = Vec::new();
    if a.depths.is_empty() {
        depths.push(case.depth);
    }
    for d in &a.depths {
        let t = d.trim();
        let v: u32 = t
            .parse()
            .map_err(|_| CliError::input(format!("--depths: '{t}' is not a whole number")))?;
        if !(2..=1000).contains(&v) {
            return Err(CliError::input(format!(
                "--depths: the flow needs a depth D between 2 and 1000, got {v}"
            )));
        }
        if depths.contains(&v) {
            return Err(CliError::input(format!("--depths: {v} appears twice")));
        }
        depths.push(v);
    }
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
    let mus = if a.mu.is_empty() {
        Vec::new()
    } else {
        positive_list("--mu", &a.mu)?
    };
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
    let numerics = numerics_of(&case, a.precision, a.tol.as_deref(), a.stages)?;
    let spec = crate::table::TableSpec {
        depths,
        scales,
        delta,
        mus,
        after,
        gt_max,
        numerics,
        verify: !a.no_verify,
    };
    // the precision must carry the largest gt of the range (margins ~ gt)
    let digits = crate::flow::run::tol_digits(&spec.numerics.tol);
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

fn cmd_table(a: &TableArgs) -> Result<(), CliError> {
    use crate::report::table::{TableFormat, TableReport};
    let (case, z, spec) = table_spec(a)?;
    let start = std::time::Instant::now();
    let refs = crate::table::references(&z, &spec)
        .map_err(|e| CliError::input(format!("{}: {e}", a.case.display())))?;
    let rows = spec.depths.len() * spec.scales.len();
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(rows as u64),
        indicatif::ProgressDrawTarget::hidden(),
    );
    if !a.no_progress && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    }
    let table = crate::table::compute(&z, &spec, &refs, || bar.inc(1))
        .map_err(|e| CliError::failed(format!("integration failed: {e}")))?;
    bar.finish_and_clear();
    let info = CaseInfo {
        name: case.name.clone(),
        path: case.path.as_ref().map(|p| p.display().to_string()),
        points: case.n_points(),
        dim: case.dim(),
        depth: case.depth,
    };
    let vn = crate::flow::run::verification_numerics(&spec.numerics);
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
    let text = match a.format {
        TableFormat::Markdown => report.to_markdown(a.digits),
        TableFormat::Csv => report.to_csv(),
        TableFormat::Json => report.to_json(),
    };
    write_output(a.output.as_deref(), &text)
}

/// Entry point: parse, dispatch, print errors, return the exit code.
pub fn main() -> i32 {
    use clap::{CommandFactory, FromArgMatches};
    let version: &'static str = Box::leak(crate::version_line().into_boxed_str());
    let parsed = Cli::command()
        .version(version)
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match &cli.command {
        Command::Check(a) => cmd_check(a),
        Command::Run(a) => cmd_run(a).map(|_| 0),
        Command::Trace(a) => cmd_trace(a).map(|_| 0),
        Command::Solve(a) => cmd_solve(a).map(|_| 0),
        Command::Table(a) => cmd_table(a).map(|_| 0),
        Command::Bench(a) => crate::bench::run(a.filter.as_deref())
            .map(|_| 0)
            .map_err(CliError::failed),
        Command::Plot(a) => crate::plot::cmd_plot(a).map(|_| 0),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", e.message);
            e.code
        }
    }
}
