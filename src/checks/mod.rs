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
//!   minimum when the check says so; `reference::l2d`); every alpha within tolerance.
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
mod rich;
mod transition;

use crate::case::spec::{CheckSpec, Expect, KindSpec};
use crate::case::Case;
use crate::flow::DiagFlow;
use crate::flow::{run_verified, StopRule, Summary};
use crate::num::{fmt_sig, from_rational, norm2};
use rayon::prelude::*;
use rug::{Float, Rational};
use std::time::Instant;

/// What a check measures at one alpha, with how it is shown.
#[derive(Clone, Debug)]
pub struct Metric {
    /// what it measures: "distance to w_l2", "distance to w_mu", ...
    pub name: String,
    pub value: Float,
    /// significant digits worth showing (no more than the run verified)
    pub shown: usize,
    /// shown instead of the value when the number alone says too little
    /// (an infinite rho_0: no point was watched)
    pub text: Option<String>,
}

impl Metric {
    fn new(name: impl Into<String>, value: Float, shown: usize) -> Metric {
        Metric {
            name: name.into(),
            value,
            shown,
            text: None,
        }
    }

    /// The metric as reports show it.
    pub fn display(&self) -> String {
        self.text
            .clone()
            .unwrap_or_else(|| fmt_sig(&self.value, self.shown))
    }
}

/// The outcome at one alpha.
#[derive(Clone, Debug)]
pub struct AlphaResult {
    pub alpha: Rational,
    /// the stopping gt(alpha), at the case's precision
    pub gt: Float,
    /// None when the run failed or the reference is not available
    pub metric: Option<Metric>,
    /// transition checks: stationarity residual of w_hat for Q_mu
    pub kkt_stationarity: Option<Float>,
    /// verified digits of w_hat (None without verification)
    pub digits: Option<u32>,
    /// invariant drift relative to gt (None when the run failed)
    pub drift_rel: Option<Float>,
    /// set when the integration failed
    pub error: Option<String>,
    /// timing field
    pub wall_seconds: f64,
}

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
}

impl From<Metric> for Measured {
    fn from(metric: Metric) -> Measured {
        Measured { metric, kkt: None }
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

/// Run one (check, alpha) job.
fn run_alpha(
    ctx: &Ctx,
    alpha: &Rational,
    kind: &Result<Box<dyn Kind>, String>,
    settings: &RunSettings,
) -> AlphaResult {
    let start = Instant::now();
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
        wall_seconds: 0.0,
    };
    let samples = match (kind, gt.to_rational()) {
        (Ok(k), Some(g)) if g > 0 => k.samples(ctx, alpha, &g, prec),
        _ => Vec::new(),
    };
    let v = match run_verified(
        ctx.z,
        case.depth,
        alpha,
        &rule,
        &numerics,
        &samples,
        settings.verify,
        |_, _| {},
    ) {
        Ok(v) => v,
        Err(e) => {
            out.error = Some(e.to_string());
            out.wall_seconds = start.elapsed().as_secs_f64();
            return out;
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
    }
    out.wall_seconds = start.elapsed().as_secs_f64();
    out
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

/// Run every check of every case; jobs (check, alpha) run in parallel, results come
/// back in file order. `progress` is told each finished job.
pub fn run_cases(
    cases: &[(Case, Vec<Vec<Rational>>)],
    settings: &RunSettings,
    progress: impl Fn() + Sync,
) -> Vec<CheckResult> {
    // kinds with their references first (one per check), then all flow jobs in one
    // parallel pass
    let kinds: Vec<Vec<Result<Box<dyn Kind>, String>>> = cases
        .par_iter()
        .map(|(case, z)| {
            case.checks
                .iter()
                .map(|spec| prepare(&Ctx { case, z, spec }, case.numerics.precision))
                .collect()
        })
        .collect();
    let jobs: Vec<(usize, usize, usize)> = cases
        .iter()
        .enumerate()
        .flat_map(|(ci, (case, _))| {
            case.checks
                .iter()
                .enumerate()
                .flat_map(move |(ki, c)| (0..c.alphas.len()).map(move |ai| (ci, ki, ai)))
        })
        .collect();
    let done: Vec<AlphaResult> = jobs
        .par_iter()
        .map(|&(ci, ki, ai)| {
            let (case, z) = &cases[ci];
            let spec = &case.checks[ki];
            let ctx = Ctx { case, z, spec };
            let r = run_alpha(&ctx, &spec.alphas[ai], &kinds[ci][ki], settings);
            progress();
            r
        })
        .collect();
    let mut it = done.into_iter();
    let mut results = Vec::new();
    for (ci, (case, z)) in cases.iter().enumerate() {
        for (ki, spec) in case.checks.iter().enumerate() {
            let alphas: Vec<AlphaResult> = it.by_ref().take(spec.alphas.len()).collect();
            let ctx = Ctx { case, z, spec };
            let (passed, reason) = verdict(&ctx, &kinds[ci][ki], &alphas);
            let meets = passed == (spec.expect == Expect::Pass);
            let reason = match (passed, spec.expect) {
                (true, Expect::Fail) => format!("expected to fail, but passed: {reason}"),
                (false, Expect::Fail) => format!("fails as expected: {reason}"),
                _ => reason,
            };
            results.push(CheckResult {
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
    results
}

/// Number of (check, alpha) jobs, for progress bars.
pub fn job_count(cases: &[(Case, Vec<Vec<Rational>>)]) -> usize {
    cases
        .iter()
        .map(|(c, _)| c.checks.iter().map(|k| k.alphas.len()).sum::<usize>())
        .sum()
}
