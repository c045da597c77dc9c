//! Command-line interface. Options are validated once here, into exact types; the
//! numeric modules never see strings. Exit codes: 0 success, 1 a computation failed,
//! 2 bad input (arguments or case file).

use crate::case::Case;
use crate::flow::checkpoint;
use crate::flow::run::{
    log_spaced, run_job, Every, FlowError, Halted, Job, JobOutcome, Limits, Numerics,
    PrecisionPolicy, RunControl, Snapshot, StopRule, Verified,
};
use crate::num::exact::{parse_decimal, rational_to_decimal_string};
pub use crate::options::{arg_rational, load_case, numerics_of, positive, positive_list, CliError};
use crate::output::GtProgress;
use crate::report::run::{CaseInfo, RunReport};
use crate::report::trace::TraceReport;
use crate::report::{RunFormat, TraceFormat};
use clap::{Args, Parser, Subcommand};
use rug::Rational;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Parser, Debug)]
#[command(
    name = "ibcert",
    version = crate::VERSION_LONG,
    about = "Certify implicit-bias claims for depth-D diagonal linear networks by integrating the exp-loss gradient flow in arbitrary precision"
)]
pub struct Cli {
    /// Worker threads for the parallel parts of the computation (default: every core;
    /// the environment variable RAYON_NUM_THREADS sets the same). Results are identical
    /// bit for bit whatever the count.
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,
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
    /// Draw a figure of the paper (SVG): sphere, excess-l1, excess-plane, kernel-distance,
    /// required-accuracy.
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
    /// Refuse (exit 2, naming the bits needed) instead of raising the case's precision
    /// when the target needs more; an explicit --precision is always kept as given.
    #[arg(long)]
    pub no_auto_precision: bool,
    /// Save the exact state of the job to FILE periodically, and when Ctrl-C or a limit stops it.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// How often to save the checkpoint: seconds (60, 90s, 5m, 1h) or accepted steps (200steps); default 60s.
    #[arg(
        long,
        value_name = "INTERVAL",
        requires = "checkpoint",
        allow_hyphen_values = true
    )]
    pub checkpoint_every: Option<String>,
    /// Continue the job saved in a checkpoint (same case file and options): the result is identical bit for bit.
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
    /// Stop after N accepted steps of this invocation (main and verification runs together); exit 1.
    #[arg(long, value_name = "N")]
    pub max_steps: Option<u64>,
    /// Stop after this much wall time (seconds, or 90s, 5m, 1h); exit 1.
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub max_time: Option<String>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub flow: FlowArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RunFormat::Text)]
    pub format: RunFormat,
    /// Leave the timing fields out (byte-identical reports for the same job).
    #[arg(long)]
    pub no_timing: bool,
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
    /// MPFR precision in bits (>= 64) for every case, in place of each case's
    /// numerics.precision (the precision guard may still raise it where a target needs more).
    #[arg(long)]
    pub precision: Option<u32>,
    /// Local error tolerance in (0, 1) for every case, in place of each case's numerics.tolerance.
    #[arg(long, allow_hyphen_values = true)]
    pub tol: Option<String>,
    /// Radau IIA stages for every case; default: the case's, else chosen from the tolerance.
    #[arg(long)]
    pub stages: Option<usize>,
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

/// A fully validated flow job.
pub struct FlowJob {
    pub case: Case,
    pub z: Vec<Vec<Rational>>,
    pub alpha: Rational,
    pub rule: StopRule,
    pub numerics: Numerics,
    pub verify: bool,
    pub progress: bool,
    /// raise the precision when needed, or refuse
    pub policy: PrecisionPolicy,
    /// where the precision came from, for messages: `--precision`, or the case file's
    /// `numerics.precision`
    pub precision_from: String,
    /// SHA-256 of the case file's bytes (identifies the case in checkpoints)
    pub case_sha256: String,
    pub max_steps: Option<u64>,
    pub max_time: Option<std::time::Duration>,
    pub checkpoint: Option<(PathBuf, Every)>,
    /// the checkpoint to continue: its path, its job description and its snapshot
    pub resume: Option<(PathBuf, serde_json::Value, Snapshot)>,
}

/// Set by the Ctrl-C handler; the integrator stops after its current step.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Install the Ctrl-C handler once: the first Ctrl-C asks the job to stop after the
/// current step (it then prints what it reached and exits with 130), a second one
/// exits at once.
fn install_interrupt_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\ninterrupt: stopping after the current step (Ctrl-C again quits at once)");
        });
    });
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
        let case_bytes = std::fs::read(&self.case)
            .map_err(|e| CliError::input(format!("{}: cannot read: {e}", self.case.display())))?;
        let max_time = match &self.max_time {
            Some(t) => Some(
                checkpoint::parse_duration(t)
                    .map_err(|e| CliError::input(format!("--max-time: {e}")))?,
            ),
            None => None,
        };
        if self.max_steps == Some(0) {
            return Err(CliError::input("--max-steps: must be at least 1"));
        }
        let checkpoint = match &self.checkpoint {
            Some(path) => {
                let every = match &self.checkpoint_every {
                    Some(e) => checkpoint::parse_every(e)
                        .map_err(|e| CliError::input(format!("--checkpoint-every: {e}")))?,
                    None => Every::Seconds(60),
                };
                // fail now, not after an hour of integration, when it cannot be written
                let tmp = checkpoint::partial_path(path);
                std::fs::write(&tmp, b"")
                    .and_then(|_| std::fs::remove_file(&tmp))
                    .map_err(|e| {
                        CliError::input(format!(
                            "--checkpoint: cannot write beside {}: {e}",
                            path.display()
                        ))
                    })?;
                Some((path.clone(), every))
            }
            None => None,
        };
        let resume = match &self.resume {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    CliError::input(format!("--resume: cannot read {}: {e}", path.display()))
                })?;
                let (job, snap) = checkpoint::from_json(&text)
                    .map_err(|e| CliError::input(format!("--resume: {}: {e}", path.display())))?;
                Some((path.clone(), job, snap))
            }
            None => None,
        };
        let policy = if self.precision.is_some() || self.no_auto_precision {
            PrecisionPolicy::Fixed
        } else {
            PrecisionPolicy::Auto
        };
        Ok(FlowJob {
            case,
            z,
            alpha,
            rule,
            numerics,
            verify: !self.no_verify,
            progress: !self.no_progress,
            policy,
            precision_from: if self.precision.is_some() {
                "--precision".to_string()
            } else {
                format!("{}: numerics.precision", self.case.display())
            },
            case_sha256: checkpoint::sha256_hex(&case_bytes),
            max_steps: self.max_steps,
            max_time,
            checkpoint,
            resume,
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

    /// What identifies this job in a checkpoint: a resumed job must match it.
    pub fn identity(&self, samples: &[Rational]) -> serde_json::Value {
        let sample_list: Vec<String> = samples.iter().map(|q| q.to_string()).collect();
        serde_json::json!({
            "case_sha256": self.case_sha256,
            "case_name": self.case.name,
            "depth": self.case.depth,
            "alpha": self.alpha.to_string(),
            "stop": self.rule.describe(),
            "precision": self.numerics.prec,
            "precision_policy": match self.policy {
                PrecisionPolicy::Auto => "auto",
                PrecisionPolicy::Fixed => "fixed",
            },
            "tolerance": self.numerics.tol.to_string(),
            "stages": self.numerics.stages,
            "verify": self.verify,
            "samples_sha256": checkpoint::sha256_hex(sample_list.join(",").as_bytes()),
        })
    }

    /// Run the job; a job stopped by Ctrl-C or a limit prints the state it reached
    /// (as text, on stderr) and gives an error carrying exit code 130 or 1.
    pub fn execute(&self, samples: &[Rational]) -> Result<Verified, CliError> {
        match self.execute_outcome(samples)? {
            JobOutcome::Done(v) => Ok(v),
            JobOutcome::Halted(h) => {
                let report = self.halted_report(&h);
                eprint!("{}", report.to_text());
                Err(CliError {
                    code: h.halt.exit_code(),
                    message: self.halted_message(&h),
                })
            }
        }
    }

    /// Run the job under its precision policy, limits, checkpoint and resumption.
    pub fn execute_outcome(&self, samples: &[Rational]) -> Result<JobOutcome, CliError> {
        let identity = self.identity(samples);
        let resume = match &self.resume {
            Some((path, job, snap)) => {
                check_identity(path, job, &identity)?;
                Some(snap.clone())
            }
            None => None,
        };
        install_interrupt_handler();
        let gt = self.rule.gt(&self.alpha, self.case.depth, 64);
        let mut bar = GtProgress::new(&gt, if self.verify { 2 } else { 1 }, self.progress);
        let mut write = |snap: &Snapshot| -> Result<(), String> {
            let Some((path, _)) = &self.checkpoint else {
                return Ok(());
            };
            checkpoint::write_atomic(path, &checkpoint::to_json(&identity, snap))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))
        };
        let ctl = RunControl {
            policy: self.policy,
            limits: Limits {
                max_steps: self.max_steps,
                max_time: self.max_time,
                interrupt: Some(&INTERRUPTED),
            },
            every: self.checkpoint.as_ref().map(|(_, e)| *e),
            checkpoint: if self.checkpoint.is_some() {
                Some(&mut write)
            } else {
                None
            },
            resume,
        };
        let job = Job {
            z: &self.z,
            depth: self.case.depth,
            alpha: &self.alpha,
            rule: &self.rule,
            numerics: &self.numerics,
            sample_at: samples,
            verify: self.verify,
        };
        let out = run_job(&job, ctl, |phase, x| bar.update(phase, x));
        bar.finish();
        out.map_err(|e| self.flow_error(e))
    }

    fn flow_error(&self, e: FlowError) -> CliError {
        match &e {
            FlowError::PrecisionTooLow { needed, .. } => {
                let hint = if self.numerics.prec < *needed && *needed <= crate::flow::run::MAX_PREC
                {
                    let more = needed.div_ceil(64) * 64;
                    if self.policy == PrecisionPolicy::Fixed {
                        let leave_out = if self.precision_from == "--precision" {
                            "--precision and --no-auto-precision"
                        } else {
                            "--no-auto-precision"
                        };
                        format!(
                            "; give --precision {more} or more, or leave out {leave_out} to let ibcert raise it"
                        )
                    } else {
                        String::new()
                    }
                } else {
                    String::new()
                };
                CliError::input(format!("{}: {e}{hint}", self.precision_from))
            }
            FlowError::NonPositiveTarget(_) => CliError::input(e.to_string()),
            FlowError::Checkpoint(m) => CliError::input(format!("--checkpoint: {m}")),
            FlowError::Resume(m) => CliError::input(format!("--resume: {m}")),
            _ => CliError::failed(e.to_string()),
        }
    }

    /// The report of a halted job: the state reached, unverified.
    pub fn halted_report(&self, h: &Halted) -> RunReport {
        let target = self.target_string();
        RunReport::halted(
            self.case_info(),
            &self.z,
            &self.alpha,
            &self.rule,
            h,
            target,
            self.checkpoint
                .as_ref()
                .map(|(p, _)| p.display().to_string()),
        )
    }

    /// The stopping rule's gt: exact when rational, else to 12 digits.
    fn target_string(&self) -> String {
        match self.rule.gt_exact(&self.alpha, self.case.depth) {
            Some(q) => q.to_string(),
            None => crate::num::fmt_sig(&self.rule.gt(&self.alpha, self.case.depth, 128), 12),
        }
    }

    /// One line on what stopped the job and how to continue it.
    pub fn halted_message(&self, h: &Halted) -> String {
        let snap = &h.snapshot;
        let gt = crate::num::fmt_sig(&snap.current.state.x, 8);
        let target = self.target_string();
        let mut m = format!(
            "{} during the {} run at gt = {gt} (target {target}), after {} steps of that run",
            h.halt.describe(),
            snap.phase.name(),
            snap.current.state.stats.accepted
        );
        match &self.checkpoint {
            Some((p, _)) => {
                m += &format!(
                    "; checkpoint written to {}: continue with --resume {}",
                    p.display(),
                    p.display()
                )
            }
            None => m += "; nothing saved (give --checkpoint FILE to be able to continue)",
        }
        m
    }
}

/// Refuse a checkpoint of another job, naming what differs.
fn check_identity(
    path: &Path,
    theirs: &serde_json::Value,
    ours: &serde_json::Value,
) -> Result<(), CliError> {
    let mut diffs = Vec::new();
    if let Some(o) = ours.as_object() {
        for (k, v) in o {
            let t = theirs.get(k);
            if t != Some(v) {
                let shown = |x: Option<&serde_json::Value>| match x {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(x) => x.to_string(),
                    None => "missing".to_string(),
                };
                diffs.push(format!(
                    "{k} is {} there, {} here",
                    shown(t),
                    shown(Some(v))
                ));
            }
        }
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(CliError::input(format!(
            "--resume: {} belongs to another job: {}",
            path.display(),
            diffs.join("; ")
        )))
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

fn cmd_run(a: &RunArgs) -> Result<i32, CliError> {
    let job = a.flow.validate()?;
    let (mut report, code) = match job.execute_outcome(&[])? {
        JobOutcome::Done(v) => (
            RunReport::build(job.case_info(), &job.z, &job.alpha, &job.rule, &v),
            0,
        ),
        JobOutcome::Halted(h) => {
            eprintln!("stopped: {}", job.halted_message(&h));
            (job.halted_report(&h), h.halt.exit_code())
        }
    };
    if a.no_timing {
        report.drop_timing();
    }
    match a.format {
        RunFormat::Text => print!("{}", report.to_text()),
        RunFormat::Json => println!("{}", report.to_json()),
    }
    Ok(code)
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
        let (mut case, z) = load_case(&f)?;
        if a.precision.is_some() || a.tol.is_some() || a.stages.is_some() {
            // the overrides replace the case's numerics; the stages follow the new
            // tolerance unless given (a case's own stages were chosen for its tolerance)
            if a.tol.is_some() {
                case.numerics.stages = None;
            }
            let n = numerics_of(&case, a.precision, a.tol.as_deref(), a.stages)?;
            case.numerics.precision = n.prec;
            case.numerics.tolerance = n.tol;
            case.numerics.stages = Some(n.stages);
        }
        cases.push((case, z));
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
    let vn = crate::table::table_verification_numerics(&spec.numerics);
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
    if let Some(n) = cli.threads {
        if n == 0 {
            eprintln!("error: --threads: must be at least 1, got 0");
            return 2;
        }
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
        {
            eprintln!("error: --threads: {e}");
            return 1;
        }
    }
    let result = match &cli.command {
        Command::Check(a) => cmd_check(a),
        Command::Run(a) => cmd_run(a),
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
