//! `ibcert run` and `ibcert trace`: a flow job, its validation, limits, checkpoints.

use super::write_output;
use crate::case::Case;
use crate::flow::checkpoint;
use crate::flow::{
    log_spaced, run_job, Every, FlowError, Halted, Job, JobOutcome, Limits, Numerics,
    PrecisionPolicy, RunControl, Snapshot, StopRule, Verified,
};
use crate::num::exact::{parse_decimal, rational_to_decimal_string};
use crate::options::{
    arg_rational, load_case, load_run_case, optional_positive_list, positive, CliError, RunCase,
};
use crate::output::GtProgress;
use crate::report::run::{CaseInfo, RunReport};
use crate::report::trace::TraceReport;
use crate::report::{RunFormat, TraceFormat};
use clap::Args;
use rug::Rational;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

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
    /// The loss the network is trained with (default: the case's `loss`, else exp).
    #[arg(long, value_enum)]
    pub loss_fn: Option<crate::options::LossFn>,
    #[command(flatten)]
    pub numerics_opts: crate::options::NumericsArgs,
    #[command(flatten)]
    pub digits_opt: crate::options::DigitsArg,
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
    #[command(flatten)]
    pub regression: super::run_regression::RegressionStopArgs,
}

#[derive(Args, Debug)]
pub struct TraceArgs {
    #[command(flatten)]
    pub flow: FlowArgs,
    /// Sample at these gt values (comma-separated, exact, each once).
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

/// A fully validated flow job.
pub struct FlowJob {
    pub case: Case,
    pub z: Vec<Vec<Rational>>,
    pub alpha: Rational,
    pub rule: StopRule,
    pub numerics: Numerics,
    /// `--digits K` or the case's `numerics.digits`: rerun with tightened numerics when
    /// the verification shows fewer
    pub digits: Option<u32>,
    pub verify: bool,
    /// the loss (--loss-fn, else the case's)
    pub loss: crate::flow::Loss,
    pub progress: bool,
    /// raise the precision when needed, or refuse
    pub policy: PrecisionPolicy,
    /// where the precision came from, for messages: `--precision`, or the case file's
    /// `numerics.precision`
    pub precision_from: String,
    /// SHA-256 of the case file's bytes (identifies the case in checkpoints, with the
    /// data files' hash when it names data files)
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
        self.validate_with(case, z)
    }

    /// [`FlowArgs::validate`] for a classification case loaded already.
    pub fn validate_with(&self, case: Case, z: Vec<Vec<Rational>>) -> Result<FlowJob, CliError> {
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
        let opts = self.digits_opt.with(&self.numerics_opts);
        let numerics = opts.of(&case)?;
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
                crate::output::check_target(path)
                    .map_err(|e| CliError::input(format!("--checkpoint: {e}")))?;
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
        let policy = if self.numerics_opts.precision.is_some() || self.no_auto_precision {
            PrecisionPolicy::Fixed
        } else {
            PrecisionPolicy::Auto
        };
        let loss = self.loss_fn.map_or(case.loss, |l| l.loss());
        let digits = opts.digits_asked(&case);
        Ok(FlowJob {
            case,
            z,
            alpha,
            rule,
            numerics,
            digits,
            verify: !self.no_verify,
            loss,
            progress: !self.no_progress,
            policy,
            precision_from: if self.numerics_opts.precision.is_some() {
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
        CaseInfo::of(&self.case)
    }

    /// What identifies this job in a checkpoint: a resumed job must match it.
    pub fn identity(&self, samples: &[Rational]) -> serde_json::Value {
        let sample_list: Vec<String> = samples.iter().map(|q| q.to_string()).collect();
        let mut id = serde_json::json!({
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
            // a checkpoint of another integrator version cannot be continued bit for bit
            "numeric_version": crate::num::NUMERIC_VERSION,
        });
        if let Some(d) = &self.case.data_source {
            // (absent for data in the case file: checkpoints of such cases stay valid)
            id["data_sha256"] = serde_json::json!(d.sha256());
        }
        if self.loss != crate::flow::Loss::Exp {
            // (absent for exp: checkpoints of earlier versions stay valid)
            id["loss"] = serde_json::json!(self.loss.name());
        }
        id
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
                .map_err(|e| e.to_string())
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
            digits: self.digits,
        };
        let job = Job {
            z: &self.z,
            depth: self.case.depth,
            alpha: &self.alpha,
            rule: &self.rule,
            numerics: &self.numerics,
            sample_at: samples,
            verify: self.verify,
            loss: self.loss,
        };
        let out = run_job(&job, ctl, |phase, x| bar.update(phase, x));
        bar.finish();
        out.map_err(|e| self.flow_error(e))
    }

    fn flow_error(&self, e: FlowError) -> CliError {
        match &e {
            FlowError::PrecisionTooLow { needed, .. } => {
                let hint = if self.numerics.prec < *needed && *needed <= crate::flow::MAX_PREC {
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
            FlowError::NonPositiveTarget(_) | FlowError::BeforeStart { .. } => {
                CliError::input(e.to_string())
            }
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
            self.loss,
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
            crate::flow::MAIN_RUN,
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
    // every key of either side (a key only one side has differs too); the loss is
    // written only when not exp, so a missing one reads as exp
    let with_loss = |v: &serde_json::Value| {
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            o.entry("loss").or_insert_with(|| serde_json::json!("exp"));
        }
        v
    };
    let (theirs, ours) = (&with_loss(theirs), &with_loss(ours));
    let mut diffs = Vec::new();
    let mut keys: Vec<&String> = ours
        .as_object()
        .into_iter()
        .chain(theirs.as_object())
        .flat_map(|o| o.keys())
        .collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let (t, v) = (theirs.get(k), ours.get(k));
        {
            if t != v {
                let shown = |x: Option<&serde_json::Value>| match x {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(x) => x.to_string(),
                    None => "missing".to_string(),
                };
                diffs.push(format!("{k} is {} there, {} here", shown(t), shown(v)));
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

/// Whether a result falls short of the digits asked (`--digits K`), said on stderr.
fn digits_short(v: &Verified) -> bool {
    match &v.asked {
        Some(a) if !a.met(v) => {
            eprintln!(
                "digits asked: {} verified digits of w_hat after {} attempts, {} asked",
                v.digits.unwrap_or(0),
                a.earlier.len() + 1,
                a.k
            );
            true
        }
        _ => false,
    }
}

pub(super) fn cmd_run(a: &RunArgs) -> Result<i32, CliError> {
    let (case, z) = match load_run_case(&a.flow.case)? {
        RunCase::Regression(case) => return super::run_regression::cmd_run_regression(a, case),
        RunCase::Classification(case, z) => (case, z),
    };
    a.regression.refuse_for_classification(&a.flow.case)?;
    let job = a.flow.validate_with(case, z)?;
    let (mut report, code) = match job.execute_outcome(&[])? {
        JobOutcome::Done(v) => {
            let short = digits_short(&v);
            (
                RunReport::build(job.case_info(), &job.alpha, &job.rule, &v),
                i32::from(short),
            )
        }
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

pub(super) fn cmd_trace(a: &TraceArgs) -> Result<(), CliError> {
    let job = a.flow.validate()?;
    super::check_output(a.output.as_deref())?;
    let gt_end = job.rule.gt(&job.alpha, job.case.depth, job.numerics.prec);
    let gt_end_q = gt_end
        .to_rational()
        .ok_or_else(|| CliError::input("the stopping gt is not finite"))?;
    let mut samples: Vec<Rational> = Vec::new();
    for (q, s) in optional_positive_list("--at", &a.at)?
        .into_iter()
        .zip(&a.at)
    {
        if q > gt_end_q {
            return Err(CliError::input(format!(
                "--at: {} lies beyond the stopping gt ({})",
                s.trim(),
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
    digits_short(&v);
    let report = TraceReport::build(job.case_info(), &job.alpha, &job.rule, &v);
    let text = match a.format {
        TraceFormat::Csv => report.to_csv(),
        TraceFormat::Json => report.to_json() + "\n",
    };
    write_output(a.output.as_deref(), &text)
}
