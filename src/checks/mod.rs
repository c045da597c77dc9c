//! Theorem checks declared in case files: one flow integration (with verification) per
//! (check, alpha), in parallel; each check's verdict from the whole alpha list.
//!
//! Every kind lives in a file of its own behind the small trait [`Kind`]: its reference
//! (computed when the kind is built, at a given precision), what it measures at the end
//! of a run (a [`Metric`]), and its verdict over the alphas. [`prepare`] is the one place
//! that maps a declared kind ([`KindSpec`]) to its implementation. Metrics (all relative,
//! at the stopping gt(alpha)):
//! * [`kernel`]: ||w_hat - w_l2||_2 / ||w_l2||_2;
//! * [`transition`]: ||w_hat - w_mu||_2 / ||w_mu||_2, plus the stationarity residual of
//!   w_hat for Q^D_mu (best non-negative multipliers on the constraints with margin within
//!   the check's tolerance of 1);
//! * [`rich`]: ||w_hat - w_l1||_2 / ||w_l1||_2 when the l1 optimum is unique, else the
//!   excess l1 norm ||w_hat||_1 / ||w_l1||_1 - 1 (w_hat has margin 1 by construction);
//! * [`bounds`]: the largest relative violation of the path bounds (every alpha within
//!   tolerance);
//! * [`condition5`]: the observed rho_0 over the window, for the non-support points of
//!   w_mu or, with `support_of = "flow"`, of the flow's own w_hat at gt(alpha) (every alpha);
//! * [`limit`]: ||w_hat - p||_2 / ||p||_2 for the declared point p, which is first verified
//!   to be a KKT point of the l_{2/D} max-margin problem (and its global or a strict local
//!   minimum when the check says so; `reference::l2d`); every alpha within tolerance;
//! * [`regression`] (regression cases, no flow): the limit w_alpha = argmin Q^D_alpha s.t.
//!   X^T w = y against the min-l2 interpolator (regression-kernel) or its excess l1 norm
//!   (regression-rich), with Theorem 2's statements when the check gives `eps`;
//! * [`reglimit`] (regression cases, with the flow): the square-loss flow integrated to
//!   its limit (tail bound, verified) against w_alpha = argmin Q^D_alpha s.t. X^T w = y:
//!   ||w_flow - w_alpha||_2 / ||w_alpha||_2, within tolerance at every alpha.
//!
//! Kernel, transition and rich checks pass when the metric at the largest alpha is within
//! the tolerance (and, for transition checks with `kkt_tolerance`, the residual too) and
//! the metric does not increase along the alpha list by more than round-off (see
//! [`noise_floor`], [`falling`]). A check meets its expectation when it passes and
//! `expect = "pass"`, or fails and `expect = "fail"`.
//!
//! Results keep their numbers (MPFR values, exact alphas); the report formats them.

pub mod bounds;
mod condition5;
mod falling;
mod kernel;
mod limit;
mod reglimit;
mod regression;
mod result;
mod rich;
mod transition;

pub use result::{AlphaResult, Excess, LimitDetail, Metric};

use crate::case::spec::{CheckSpec, Expect, KindSpec};
use crate::case::Case;
use crate::flow::DiagFlow;
use crate::flow::{
    checkpoint, run_job, Every, Job, JobOutcome, Limits, RunControl, StopRule, Summary,
};
use crate::num::{from_rational, norm2};
use rayon::prelude::*;
use rug::{Float, Rational};
use std::time::Instant;

/// The verdict of one check.
#[derive(Clone, Debug)]
pub struct CheckResult {
    pub case: String,
    pub file: Option<String>,
    /// the check as declared
    pub spec: CheckSpec,
    /// whether the theorem's prediction held on these alphas
    pub passed: bool,
    /// passed == (expect == pass)
    pub meets_expectation: bool,
    /// in words: why it passed or failed
    pub reason: String,
    pub alphas: Vec<AlphaResult>,
}

/// Settings shared by all jobs.
#[derive(Clone, Debug)]
pub struct RunSettings {
    pub verify: bool,
}

/// One check in its setting: the case, its data and the declaration.
pub struct Ctx<'a> {
    pub case: &'a Case,
    pub z: &'a [Vec<Rational>],
    pub spec: &'a CheckSpec,
}

/// The end of one (check, alpha) run, at the precision the run finished at (the
/// guard may have raised it above the case's).
pub struct End<'a> {
    pub alpha: &'a Rational,
    pub flow: &'a DiagFlow,
    pub summary: &'a Summary,
    /// the path samples the kind asked for, (gt, state) in increasing gt
    pub samples: &'a [(Float, Vec<Float>)],
    /// significant digits worth showing: the verified digits (6 without verification),
    /// between 1 and 12
    pub shown: usize,
}

/// What a kind measured at one alpha.
pub struct Measured {
    pub metric: Metric,
    /// transition checks: the Q_mu stationarity residual of w_hat
    pub kkt: Option<Float>,
    /// regression checks: the excess Theorem 2 bounds
    pub theorem2: Option<Excess>,
    /// regression-limit checks: the flow's run
    pub limit: Option<LimitDetail>,
}

impl From<Metric> for Measured {
    fn from(metric: Metric) -> Measured {
        Measured {
            metric,
            kkt: None,
            theorem2: None,
            limit: None,
        }
    }
}

/// One alpha of a check that ran: its result and its metric.
pub struct Measurement<'a> {
    pub result: &'a AlphaResult,
    pub metric: &'a Metric,
}

/// What a verdict is drawn from: every alpha (each with a metric), the tolerance and the
/// noise floor at the case's precision.
pub struct Evidence<'a> {
    pub ctx: &'a Ctx<'a>,
    pub alphas: &'a [Measurement<'a>],
    pub tol: Float,
    pub noise: Float,
}

/// One kind of check. Built by [`prepare`] with its reference at a given precision.
pub trait Kind: Send + Sync {
    /// The path samples (gt values, in (0, gt]) the metric needs at `alpha`; none by default.
    fn samples(&self, _ctx: &Ctx, _alpha: &Rational, _gt: &Rational, _prec: u32) -> Vec<Rational> {
        Vec::new()
    }

    /// The metric at the end of a run.
    fn measure(&self, ctx: &Ctx, end: &End) -> Measured;

    /// A kind that needs no classification flow (the regression checks: they evaluate the
    /// flow's limit, a reference, or run the square-loss flow themselves, verified when
    /// `verify`) measures at `alpha` directly, at precision `prec`: the measurement and
    /// its verified digits, or why it could not. None (the default): run the
    /// classification flow.
    fn without_flow(
        &self,
        _ctx: &Ctx,
        _alpha: &Rational,
        _prec: u32,
        _verify: bool,
    ) -> Option<Result<(Measured, u32), String>> {
        None
    }

    /// The verdict: (passed, why). By default the metric must fall along the alphas to
    /// within the tolerance ([`falling`]).
    fn verdict(&self, e: &Evidence) -> (bool, String) {
        falling::verdict(e)
    }
}

/// The implementation of a declared kind, its reference computed at `prec` (an error
/// when the reference cannot be computed, e.g. data that are not separable).
pub fn prepare(ctx: &Ctx, prec: u32) -> Result<Box<dyn Kind>, String> {
    Ok(match &ctx.spec.kind {
        KindSpec::Kernel => Box::new(kernel::Kernel::new(ctx, prec)?),
        KindSpec::Transition { mu, kkt_tolerance } => Box::new(transition::Transition::new(
            ctx,
            mu,
            kkt_tolerance.as_ref(),
            prec,
        )?),
        KindSpec::Rich => Box::new(rich::Rich::new(ctx, prec)?),
        KindSpec::Bounds => Box::new(bounds::Bounds::new(ctx)?),
        KindSpec::Condition5 {
            mu,
            window,
            support_of,
        } => Box::new(condition5::Condition5::new(
            ctx,
            mu,
            window,
            *support_of,
            prec,
        )?),
        KindSpec::Limit { point, optimum } => {
            Box::new(limit::Limit::new(ctx, point, *optimum, prec))
        }
        KindSpec::RegressionKernel { theorem2 } => Box::new(regression::Regression::new(
            ctx,
            false,
            theorem2.as_ref(),
            prec,
        )?),
        KindSpec::RegressionRich { theorem2 } => Box::new(regression::Regression::new(
            ctx,
            true,
            theorem2.as_ref(),
            prec,
        )?),
        KindSpec::RegressionLimit => Box::new(reglimit::RegLimit::new(ctx)?),
    })
}

/// ||a - b||_2 / ||b||_2.
fn rel_dist(prec: u32, a: &[Float], b: &[Float]) -> Float {
    let d: Vec<Float> = a
        .iter()
        .zip(b)
        .map(|(x, y)| Float::with_val(prec, x - y))
        .collect();
    norm2(prec, &d) / norm2(prec, b)
}

/// 1-based set notation for 0-based indices: {1, 3}.
fn one_based(v: &[usize]) -> String {
    let items: Vec<String> = v.iter().map(|k| (k + 1).to_string()).collect();
    format!("{{{}}}", items.join(", "))
}

/// How one (check, alpha) job may be stopped and continued (sweeps: `--max-time`,
/// `--results-dir`).
#[derive(Clone, Debug, Default)]
pub struct JobControl {
    /// stop the job (its checkpoint kept, when there is one) at this instant
    pub deadline: Option<Instant>,
    /// save the job's state to this file this often, and continue from it when it
    /// is there and belongs to this job
    pub checkpoint: Option<(std::path::PathBuf, Every)>,
}

/// The checkpoint of one job: its id is its identity.
fn job_identity(id: &str) -> serde_json::Value {
    serde_json::json!({ "job_id": id })
}

/// A job's checkpoint, when there is a readable one of this very job (anything else,
/// e.g. a file cut short by a crash of an older version, is ignored: the job starts
/// afresh and overwrites it).
fn saved_snapshot(path: &std::path::Path, id: &str) -> Option<crate::flow::Snapshot> {
    let text = std::fs::read_to_string(path).ok()?;
    let (job, snap) = checkpoint::from_json(&text).ok()?;
    (job == job_identity(id)).then_some(snap)
}

/// Run one (check, alpha) job; None when `ctl` stopped it before its end.
fn run_alpha(
    ctx: &Ctx,
    job: &CheckJob,
    kind: &Result<Box<dyn Kind>, String>,
    settings: &RunSettings,
    ctl: &JobControl,
) -> Option<AlphaResult> {
    let start = Instant::now();
    let alpha = &ctx.spec.alphas[job.alpha];
    let case = ctx.case;
    let numerics = case.numerics.for_run();
    let prec = numerics.prec;
    let rule = StopRule::Expr(ctx.spec.stop.clone(), ctx.spec.mu.clone());
    let gt = rule.gt(alpha, case.depth, prec);
    let mut out = AlphaResult {
        alpha: alpha.clone(),
        gt: gt.clone(),
        metric: None,
        kkt_stationarity: None,
        digits: None,
        drift_rel: None,
        error: None,
        not_run: false,
        wall_seconds: 0.0,
        theorem2: None,
        limit: None,
    };
    // a kind that needs no flow (regression checks) measures directly
    if let Ok(k) = kind {
        if let Some(r) = k.without_flow(ctx, alpha, prec, settings.verify) {
            match r {
                Ok((m, digits)) => {
                    out.metric = Some(m.metric);
                    out.theorem2 = m.theorem2;
                    out.limit = m.limit;
                    out.digits = Some(digits);
                }
                Err(e) => out.error = Some(e),
            }
            out.wall_seconds = start.elapsed().as_secs_f64();
            return Some(out);
        }
    }
    let samples = match (kind, gt.to_rational()) {
        (Ok(k), Some(g)) if g > 0 => k.samples(ctx, alpha, &g, prec),
        _ => Vec::new(),
    };
    let flow_job = Job {
        z: ctx.z,
        depth: case.depth,
        alpha,
        rule: &rule,
        numerics: &numerics,
        sample_at: &samples,
        verify: settings.verify,
        loss: ctx.spec.loss,
    };
    let identity = job_identity(&job.id);
    let mut write = |snap: &crate::flow::Snapshot| -> Result<(), String> {
        match &ctl.checkpoint {
            Some((path, _)) => {
                checkpoint::write_atomic(path, &checkpoint::to_json(&identity, snap))
                    .map_err(|e| e.to_string())
            }
            None => Ok(()),
        }
    };
    let run = RunControl {
        limits: Limits {
            max_time: ctl
                .deadline
                .map(|d| d.saturating_duration_since(Instant::now())),
            ..Limits::default()
        },
        every: ctl.checkpoint.as_ref().map(|(_, e)| *e),
        resume: ctl
            .checkpoint
            .as_ref()
            .and_then(|(p, _)| saved_snapshot(p, &job.id)),
        checkpoint: if ctl.checkpoint.is_some() {
            Some(&mut write)
        } else {
            None
        },
        digits: case.numerics.digits,
        ..RunControl::default()
    };
    let v = match run_job(&flow_job, run, |_, _| {}) {
        Ok(JobOutcome::Done(v)) => v,
        Ok(JobOutcome::Halted(_)) => return None,
        Err(e) => {
            out.error = Some(e.to_string());
            out.wall_seconds = start.elapsed().as_secs_f64();
            return Some(out);
        }
    };
    // the end state and every metric at the precision the run finished at: the guard
    // may have raised it above the case's, and the state needs those bits (D >= 3 far
    // out: 1 - s; large margins), so the reference is recomputed there too
    let prec = v.main.numerics.prec;
    let raised;
    let kind = if prec > case.numerics.precision {
        raised = prepare(ctx, prec);
        &raised
    } else {
        kind
    };
    let flow = v.flow();
    let summary = Summary::at(flow, &v.main.gt, &v.main.y);
    out.digits = v.digits;
    out.drift_rel = Some(summary.drift_rel.clone());
    if let Ok(k) = kind {
        let end = End {
            alpha,
            flow,
            summary: &summary,
            samples: &v.main.samples,
            shown: v.digits.unwrap_or(6).clamp(1, 12) as usize,
        };
        let m = k.measure(ctx, &end);
        out.metric = Some(m.metric);
        out.kkt_stationarity = m.kkt;
        out.theorem2 = m.theorem2;
    }
    out.wall_seconds = start.elapsed().as_secs_f64();
    if let Some((path, _)) = &ctl.checkpoint {
        // finished: the checkpoint has served (a stale one would only be ignored)
        let _ = std::fs::remove_file(path);
    }
    Some(out)
}

/// The size below which a change of the metric is round-off, not a trend: the larger of
/// 1000 times the integrator's tolerance and 10^-(d - 2) for the fewest verified digits d.
fn noise_floor(case: &Case, alphas: &[AlphaResult], prec: u32) -> Float {
    let mut floor = from_rational(prec, &case.numerics.tolerance) * 1000u32;
    if let Some(d) = alphas.iter().filter_map(|a| a.digits).min() {
        let v = from_rational(prec, &crate::num::ten_pow_neg(d.saturating_sub(2)));
        if v > floor {
            floor = v;
        }
    }
    floor
}

/// The verdict of one check: what every kind shares (a reference that could not be
/// computed, a run that failed), then the kind's own.
fn verdict(
    ctx: &Ctx,
    kind: &Result<Box<dyn Kind>, String>,
    alphas: &[AlphaResult],
) -> (bool, String) {
    let kind = match kind {
        Ok(k) => k,
        Err(e) => {
            return (
                false,
                format!("the reference solution could not be computed: {e}"),
            )
        }
    };
    let not_run: Vec<String> = alphas
        .iter()
        .filter(|a| a.not_run)
        .map(|a| a.alpha.to_string())
        .collect();
    if !not_run.is_empty() {
        return (
            false,
            format!("not run at alpha = {}: no verdict", not_run.join(", ")),
        );
    }
    if let Some((a, e)) = alphas.iter().find_map(|a| a.error.as_ref().map(|e| (a, e))) {
        return (
            false,
            format!(
                "the flow could not be integrated at alpha = {}: {e}",
                a.alpha
            ),
        );
    }
    let mut measured = Vec::with_capacity(alphas.len());
    for a in alphas {
        match &a.metric {
            Some(metric) => measured.push(Measurement { result: a, metric }),
            None => {
                return (
                    false,
                    format!(
                        "the reference solution could not be computed at the raised precision of alpha = {}",
                        a.alpha
                    ),
                )
            }
        }
    }
    if measured.is_empty() {
        return (false, "no alpha was run".to_string());
    }
    let prec = ctx.case.numerics.precision;
    kind.verdict(&Evidence {
        ctx,
        alphas: &measured,
        tol: from_rational(prec, &ctx.spec.tolerance),
        noise: noise_floor(ctx.case, alphas, prec),
    })
}

/// One (check, alpha) job of a sweep: indices into the cases, their checks and alphas,
/// and its stable id ([`crate::case::job::check_job_id`]).
#[derive(Clone, Debug)]
pub struct CheckJob {
    pub case: usize,
    pub check: usize,
    pub alpha: usize,
    pub id: String,
}

/// Every job of the cases, in report order (file, check, alpha).
pub fn jobs(cases: &[(Case, Vec<Vec<Rational>>)], settings: &RunSettings) -> Vec<CheckJob> {
    let mut out = Vec::new();
    for (ci, (case, _)) in cases.iter().enumerate() {
        for (ki, spec) in case.checks.iter().enumerate() {
            for (ai, alpha) in spec.alphas.iter().enumerate() {
                out.push(CheckJob {
                    case: ci,
                    check: ki,
                    alpha: ai,
                    id: crate::case::job::check_job_id(case, spec, alpha, settings.verify),
                });
            }
        }
    }
    out
}

/// The kinds of every check with their references (one per check, in parallel); a
/// check for which `need` is false gets none (its verdict cannot be drawn).
pub fn prepare_all(
    cases: &[(Case, Vec<Vec<Rational>>)],
    need: impl Fn(usize, usize) -> bool + Sync,
) -> Vec<Vec<Result<Box<dyn Kind>, String>>> {
    cases
        .par_iter()
        .enumerate()
        .map(|(ci, (case, z))| {
            case.checks
                .iter()
                .enumerate()
                .map(|(ki, spec)| {
                    if need(ci, ki) {
                        prepare(&Ctx { case, z, spec }, case.numerics.precision)
                    } else {
                        Err("not prepared".to_string())
                    }
                })
                .collect()
        })
        .collect()
}

/// Run `todo` in parallel; `done` is told each finished job (in any order). A job
/// not started before `ctl.deadline`, or stopped by it, gives None. `checkpoint_of`
/// names the checkpoint file of a job (with `ctl.checkpoint`'s interval).
pub fn run_jobs(
    cases: &[(Case, Vec<Vec<Rational>>)],
    kinds: &[Vec<Result<Box<dyn Kind>, String>>],
    todo: &[&CheckJob],
    settings: &RunSettings,
    ctl: &JobControl,
    checkpoint_of: impl Fn(&CheckJob) -> Option<std::path::PathBuf> + Sync,
    done: impl Fn(&CheckJob, &AlphaResult) + Sync,
) -> Vec<Option<AlphaResult>> {
    todo.par_iter()
        .map(|job| {
            if ctl.deadline.is_some_and(|d| Instant::now() >= d) {
                return None;
            }
            let (case, z) = &cases[job.case];
            let spec = &case.checks[job.check];
            let ctx = Ctx { case, z, spec };
            let ctl = JobControl {
                deadline: ctl.deadline,
                checkpoint: ctl
                    .checkpoint
                    .as_ref()
                    .and_then(|(_, every)| checkpoint_of(job).map(|p| (p, *every))),
            };
            let r = run_alpha(&ctx, job, &kinds[job.case][job.check], settings, &ctl);
            if let Some(r) = &r {
                done(job, r);
            }
            r
        })
        .collect()
}

/// The verdicts of every check from the results of its jobs (`results`, in the order
/// of [`jobs`]; None: not run).
pub fn assemble(
    cases: &[(Case, Vec<Vec<Rational>>)],
    kinds: &[Vec<Result<Box<dyn Kind>, String>>],
    results: Vec<Option<AlphaResult>>,
) -> Vec<CheckResult> {
    let mut it = results.into_iter();
    let mut out = Vec::new();
    for (ci, (case, z)) in cases.iter().enumerate() {
        for (ki, spec) in case.checks.iter().enumerate() {
            let alphas: Vec<AlphaResult> = spec
                .alphas
                .iter()
                .map(|alpha| {
                    it.next()
                        .flatten()
                        .unwrap_or_else(|| AlphaResult::not_run(case, spec, alpha))
                })
                .collect();
            let ctx = Ctx { case, z, spec };
            let (passed, reason) = verdict(&ctx, &kinds[ci][ki], &alphas);
            let meets = passed == (spec.expect == Expect::Pass);
            let reason = match (passed, spec.expect) {
                (true, Expect::Fail) => format!("expected to fail, but passed: {reason}"),
                (false, Expect::Fail) => format!("fails as expected: {reason}"),
                _ => reason,
            };
            out.push(CheckResult {
                case: case.name.clone(),
                file: case.path.as_ref().map(|p| p.display().to_string()),
                spec: spec.clone(),
                passed,
                meets_expectation: meets,
                reason,
                alphas,
            });
        }
    }
    out
}

/// Run every check of every case; jobs (check, alpha) run in parallel, results come
/// back in file order. `progress` is told each finished job.
pub fn run_cases(
    cases: &[(Case, Vec<Vec<Rational>>)],
    settings: &RunSettings,
    progress: impl Fn() + Sync,
) -> Vec<CheckResult> {
    let kinds = prepare_all(cases, |_, _| true);
    let all = jobs(cases, settings);
    let todo: Vec<&CheckJob> = all.iter().collect();
    let results = run_jobs(
        cases,
        &kinds,
        &todo,
        settings,
        &JobControl::default(),
        |_| None,
        |_, _| progress(),
    );
    assemble(cases, &kinds, results)
}
