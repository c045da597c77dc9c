//! Running the checks of a case: one flow integration (with verification) per
//! (check, alpha), in parallel; each check's verdict from the whole alpha list.
//!
//! Metrics (all relative, at the stopping gt(alpha)):
//! * kernel: ||w_hat - w_l2||_2 / ||w_l2||_2;
//! * transition: ||w_hat - w_mu||_2 / ||w_mu||_2, plus the stationarity residual of w_hat
//!   for Q^D_mu (best non-negative multipliers on the constraints with margin within the
//!   check's tolerance of 1);
//! * rich: ||w_hat - w_l1||_2 / ||w_l1||_2 when the l1 optimum is unique, else the
//!   excess l1 norm ||w_hat||_1 / ||w_l1||_1 - 1 (w_hat has margin 1 by construction);
//! * bounds: the largest relative violation of the path bounds (every alpha within tolerance);
//! * condition5: the observed rho_0 over the window, for the non-support points of w_mu or,
//!   with `support_of = "flow"`, of the flow's own w_hat at gt(alpha) (every alpha);
//! * limit: ||w_hat - p||_2 / ||p||_2 for the declared point p, which is first verified to
//!   be a KKT point of the l_{2/D} max-margin problem (and its global or a strict local
//!   minimum when the check says so; `reference::l2d`); every alpha within tolerance.
//!
//! A check passes when the metric at the largest alpha is within the tolerance (and, for
//! transition checks with `kkt_tolerance`, the residual too) and the metric does not
//! increase along the alpha list by more than round-off (see `noise_floor`). A check meets its expectation when it passes and
//! `expect = "pass"`, or fails and `expect = "fail"`.

use crate::case::spec::{CheckKind, CheckSpec, Expect, Optimum, SupportOf};
use crate::case::Case;
use crate::flow::run::{default_stages, run_verified, Numerics, StopRule, Summary};
use crate::flow::DiagFlow;
use crate::num::{fmt_sig, from_rational, norm1, norm2};
use crate::reference::kkt::{kkt_residuals, Problem};
use crate::reference::{l1, l2, l2d, qmu};
use rayon::prelude::*;
use rug::ops::Pow;
use rug::{Assign, Float, Rational};
use serde::Serialize;
use std::time::Instant;

/// The outcome at one alpha.
#[derive(Clone, Debug, Serialize)]
pub struct AlphaResult {
    pub alpha: String,
    pub gt: String,
    pub loss_exp10: String,
    /// what `metric` measures: "distance to w_l2", "distance to w_mu", ...
    pub metric_name: String,
    pub metric: String,
    /// transition checks: stationarity residual of w_hat for Q_mu
    pub kkt_stationarity: Option<String>,
    /// verified digits of w_hat (None without verification)
    pub digits: Option<u32>,
    /// invariant drift relative to gt
    pub drift_rel: String,
    /// set when the integration failed
    pub error: Option<String>,
    #[serde(skip)]
    pub metric_value: Option<Float>,
    #[serde(skip)]
    pub kkt_value: Option<Float>,
    /// timing field
    pub wall_seconds: f64,
}

/// The verdict of one check.
#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    pub case: String,
    pub file: Option<String>,
    pub name: String,
    pub kind: CheckKind,
    pub expect: Expect,
    pub stop: String,
    pub tolerance: String,
    pub kkt_tolerance: Option<String>,
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

enum Reference {
    Point(Vec<Float>, &'static str),
    ExcessL1(Rational),
    Qmu(Vec<Float>, u32, Rational),
    Bounds(crate::reference::constants::DataConstants),
    /// the points that are not support vectors of w_mu (margin above 1)
    Condition5(Vec<usize>),
    /// condition5 with `support_of = "flow"`: the non-support points are read off the
    /// flow's own w_hat at gt(alpha), per alpha
    Condition5Flow,
    Limit(Box<LimitRef>),
    Unavailable(String),
}

/// What a limit check knows about its declared point, computed once per check.
struct LimitRef {
    depth: u32,
    point: Vec<Float>,
    analysis: l2d::PointAnalysis,
    global: Result<l2d::GlobalMin, String>,
    /// w_l1 (unique or not: the LP's optimal vertex) and its analysis
    l1: Option<(Vec<Rational>, l2d::PointAnalysis)>,
}

/// "l1" for D = 2, "l_{2/D}" otherwise.
fn l2d_name(depth: u32) -> String {
    if depth == 2 {
        "l1".to_string()
    } else {
        format!("l_{{2/{depth}}}")
    }
}

/// 1-based set notation for 0-based indices: {1, 3}.
fn one_based(v: &[usize]) -> String {
    let items: Vec<String> = v.iter().map(|k| (k + 1).to_string()).collect();
    format!("{{{}}}", items.join(", "))
}

fn exact_vector(v: &[Rational]) -> String {
    let items: Vec<String> = v.iter().map(|q| q.to_string()).collect();
    format!("({})", items.join(", "))
}

fn reference(case: &Case, z: &[Vec<Rational>], check: &CheckSpec, prec: u32) -> Reference {
    match check.kind {
        CheckKind::Kernel => match l2::l2_max_margin(z) {
            Ok(s) => Reference::Point(
                s.w.iter().map(|q| from_rational(prec, q)).collect(),
                "distance to w_l2",
            ),
            Err(e) => Reference::Unavailable(e.to_string()),
        },
        CheckKind::Rich => match l1::l1_max_margin(z) {
            Ok(s) if s.face.unique => Reference::Point(
                s.w.iter().map(|q| from_rational(prec, q)).collect(),
                "distance to w_l1",
            ),
            Ok(s) => Reference::ExcessL1(s.norm1),
            Err(e) => Reference::Unavailable(e.to_string()),
        },
        CheckKind::Bounds => match crate::reference::constants::data_constants(z) {
            Ok(k) => Reference::Bounds(k),
            Err(e) => Reference::Unavailable(e.to_string()),
        },
        CheckKind::Condition5 if check.support_of == SupportOf::Flow => Reference::Condition5Flow,
        CheckKind::Limit => {
            let w = check
                .point
                .clone()
                .expect("validated: limit checks have a point");
            let analysis = l2d::analyze_point(z, &w, case.depth, prec);
            let global = l2d::global_min(z, case.depth, prec);
            let l1 = l1::l1_max_margin(z)
                .ok()
                .map(|s| (s.w.clone(), l2d::analyze_point(z, &s.w, case.depth, prec)));
            Reference::Limit(Box::new(LimitRef {
                depth: case.depth,
                point: w.iter().map(|q| from_rational(prec, q)).collect(),
                analysis,
                global,
                l1,
            }))
        }
        CheckKind::Condition5 => {
            let mu = check
                .mu
                .clone()
                .expect("validated: condition5 checks have mu");
            match qmu::solve_qmu(z, case.depth, &mu, prec, None) {
                Ok(s) => {
                    // non-support: margin above 1 by more than the solution's accuracy
                    let gap = Float::with_val(prec, Float::i_exp(1, -(prec as i32) / 2));
                    let k = z
                        .iter()
                        .enumerate()
                        .filter(|(_, zn)| {
                            let mut m = Float::new(prec);
                            for (a, b) in zn.iter().zip(&s.w) {
                                m += from_rational(prec, a) * b;
                            }
                            m - 1u32 > gap
                        })
                        .map(|(k, _)| k)
                        .collect();
                    Reference::Condition5(k)
                }
                Err(e) => Reference::Unavailable(e.to_string()),
            }
        }
        CheckKind::Transition => {
            let mu = check
                .mu
                .clone()
                .expect("validated: transition checks have mu");
            match qmu::solve_qmu(z, case.depth, &mu, prec, None) {
                Ok(s) => Reference::Qmu(s.w, case.depth, mu),
                Err(e) => Reference::Unavailable(e.to_string()),
            }
        }
    }
}

fn rel_dist(prec: u32, a: &[Float], b: &[Float]) -> Float {
    let d: Vec<Float> = a
        .iter()
        .zip(b)
        .map(|(x, y)| Float::with_val(prec, x - y))
        .collect();
    norm2(prec, &d) / norm2(prec, b)
}

/// Run one (check, alpha) job.
fn run_alpha(
    case: &Case,
    z: &[Vec<Rational>],
    check: &CheckSpec,
    alpha: &Rational,
    r: &Reference,
    settings: &RunSettings,
) -> AlphaResult {
    let start = Instant::now();
    let prec = case.numerics.precision;
    let tol = case.numerics.tolerance.clone();
    let numerics = Numerics {
        prec,
        stages: case.numerics.stages.unwrap_or_else(|| default_stages(&tol)),
        tol,
    };
    let rule = StopRule::Expr(check.stop.clone(), check.mu.clone());
    let gt = rule.gt(alpha, case.depth, prec);
    let ln10 = Float::with_val(prec, 10).ln();
    let mut out = AlphaResult {
        alpha: alpha.to_string(),
        gt: fmt_sig(&gt, 12),
        loss_exp10: fmt_sig(&Float::with_val(prec, &gt / &ln10), 12),
        metric_name: String::new(),
        metric: "-".to_string(),
        kkt_stationarity: None,
        digits: None,
        drift_rel: "-".to_string(),
        error: None,
        metric_value: None,
        kkt_value: None,
        wall_seconds: 0.0,
    };
    // bounds checks look at the whole path: 40 log-spaced samples of the dense output,
    // from min(1/100, gt/1000) to gt
    let samples = match (r, gt.to_rational()) {
        (Reference::Bounds(_), Some(g)) if g > 0 => {
            let from = Rational::from((1, 100)).min(Rational::from(&g / 1000u32));
            crate::flow::run::log_spaced(&from, &g, 40, prec)
        }
        // Condition 5 looks at the window [gt*(alpha), gt(alpha)]
        (Reference::Condition5(_) | Reference::Condition5Flow, Some(g)) if g > 0 => {
            let start = check
                .window
                .as_ref()
                .and_then(|w| w.eval(alpha, case.depth, check.mu.as_ref(), prec).ok())
                .and_then(|v| v.to_rational())
                .filter(|v| *v > 0 && *v < g)
                .unwrap_or_else(|| Rational::from(&g / 10u32));
            crate::flow::run::log_spaced(&start, &g, 40, prec)
        }
        _ => Vec::new(),
    };
    let v = match run_verified(
        z,
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
    let r = if prec > case.numerics.precision {
        raised = reference(case, z, check, prec);
        &raised
    } else {
        r
    };
    let flow = DiagFlow::new(z, case.depth, alpha, prec);
    let s = Summary::at(&flow, &v.main.gt, &v.main.y);
    out.digits = v.digits;
    out.drift_rel = fmt_sig(&s.drift_rel, 3);
    let shown = v.digits.unwrap_or(6).clamp(1, 12) as usize;
    match r {
        Reference::Point(w, name) => {
            let m = rel_dist(prec, &s.w_hat, w);
            out.metric_name = (*name).to_string();
            out.metric = fmt_sig(&m, shown);
            out.metric_value = Some(m);
        }
        Reference::ExcessL1(opt) => {
            let m = norm1(prec, &s.w_hat) / from_rational(prec, opt) - 1u32;
            out.metric_name = "excess l1 norm (the l1 optimum is not unique)".to_string();
            out.metric = fmt_sig(&m, shown);
            out.metric_value = Some(m);
        }
        Reference::Qmu(w, depth, mu) => {
            let m = rel_dist(prec, &s.w_hat, w);
            out.metric_name = "distance to w_mu".to_string();
            out.metric = fmt_sig(&m, shown);
            out.metric_value = Some(m);
            // near-active: margins within the check's tolerance of 1 (at finite alpha the
            // support vectors of w_mu have margins 1 + O(distance) along the flow)
            let act = from_rational(prec, &check.tolerance);
            let zero = Float::with_val(prec, Float::i_exp(1, -(prec as i32) / 2));
            let res = kkt_residuals(
                z,
                &s.w_hat,
                &Problem::Qmu {
                    depth: *depth,
                    mu: mu.clone(),
                },
                None,
                &act,
                &zero,
                prec,
            );
            out.kkt_stationarity = Some(fmt_sig(&res.stationarity, 3));
            out.kkt_value = Some(res.stationarity);
        }
        Reference::Bounds(k) => {
            let m = worst_bound_violation(&flow, alpha, k, &v.main.samples, case.depth);
            out.metric_name = "worst relative violation of Lemma 3, Lemma 11/13 and the smoothed-margin monotonicity".to_string();
            out.metric = fmt_sig(&m, 3);
            out.metric_value = Some(m);
        }
        Reference::Condition5(k) => {
            // observed rho_0: min over the window and the non-support points of z_k^T w / gamma
            let mut rho: Option<Float> = None;
            for (_, y) in &v.main.samples {
                let der = flow.derive(&y[..flow.n]);
                for &kk in k {
                    let r = Float::with_val(prec, &der.margins[kk] / &der.gamma);
                    if rho.as_ref().is_none_or(|m| r < *m) {
                        rho = Some(r);
                    }
                }
            }
            out.metric_name = "observed rho_0 (min of z_k^T w / gamma over the window, k not a support vector of w_mu)".to_string();
            match rho {
                Some(r) => {
                    out.metric = fmt_sig(&r, shown.min(8));
                    out.metric_value = Some(r);
                }
                None => {
                    out.metric = "inf (every point is a support vector of w_mu)".to_string();
                    out.metric_value = Some(Float::with_val(prec, rug::float::Special::Infinity));
                }
            }
        }
        Reference::Condition5Flow => {
            // the flow's own non-support points: ratio z_k^T w / gamma >= 1 + tolerance at
            // gt(alpha); each must have stayed there over the whole window
            let need = Float::with_val(prec, from_rational(prec, &check.tolerance) + 1u32);
            let end = flow.derive(&v.main.y[..flow.n]);
            let k: Vec<usize> = (0..z.len())
                .filter(|&kk| Float::with_val(prec, &end.margins[kk] / &end.gamma) >= need)
                .collect();
            let mut rho: Option<Float> = None;
            for (_, y) in &v.main.samples {
                let der = flow.derive(&y[..flow.n]);
                for &kk in &k {
                    let r = Float::with_val(prec, &der.margins[kk] / &der.gamma);
                    if rho.as_ref().is_none_or(|m| r < *m) {
                        rho = Some(r);
                    }
                }
            }
            out.metric_name = format!(
                "observed rho_0 (min over the window of z_k^T w / gamma for k in {}, the points that are not support vectors of the flow's own w_hat at gt: ratio >= 1 + tolerance there)",
                one_based(&k)
            );
            match rho {
                Some(r) => {
                    out.metric = fmt_sig(&r, shown.min(8));
                    out.metric_value = Some(r);
                }
                None => {
                    out.metric =
                        "inf (every point is a support vector of the flow's w_hat)".to_string();
                    out.metric_value = Some(Float::with_val(prec, rug::float::Special::Infinity));
                }
            }
        }
        Reference::Limit(l) => {
            let m = rel_dist(prec, &s.w_hat, &l.point);
            out.metric_name = "distance to the declared limit point".to_string();
            out.metric = fmt_sig(&m, shown);
            out.metric_value = Some(m);
        }
        Reference::Unavailable(_) => {}
    }
    out.wall_seconds = start.elapsed().as_secs_f64();
    out
}

/// The largest relative violation, over the path samples, of the bounds that hold along
/// every path (docs/math.md §7; 0 when all hold):
/// * Lemma 3: eps(t) <= 1 / (1 + 2 D^2 alpha^(2D-2) gamma_2^2 t), i.e.
///   gt >= ln(1 + c t) = softplus(ln c + ln t);
/// * Lemma 11 (D = 2): ||w||_inf <= 2 alpha^2 sinh(xbar gt / (2 gamma_2^2 alpha^2));
///   Lemma 13 (D >= 3): ||w||_inf <= alpha^D h_D((D-2) xbar gt / (2 D gamma_2^2 alpha^D))
///   while that argument is below 1;
/// * the normalized smoothed margin (gt - ln N) / ||u||_2^D is non-decreasing once gt > ln N.
fn worst_bound_violation(
    flow: &DiagFlow,
    alpha: &Rational,
    k: &crate::reference::constants::DataConstants,
    samples: &[(Float, Vec<Float>)],
    depth: u32,
) -> Float {
    bound_violations(flow, alpha, k, samples, depth).worst()
}

/// The largest relative violation of each path bound over the samples (0 where it holds).
#[derive(Clone, Debug)]
pub struct BoundViolations {
    /// Lemma 3: (softplus(ln c + ln t) - gt) / gt
    pub lemma3: Float,
    /// Lemma 11 (D = 2) or 13 (D >= 3): (||w||_inf - bound) / bound
    pub lemma11_13: Float,
    /// smoothed margin: (m_prev - m) / m_prev between consecutive samples past gt = ln N
    pub smoothed_margin: Float,
}

impl BoundViolations {
    /// The largest of the three.
    pub fn worst(&self) -> Float {
        let mut w = self.lemma3.clone();
        for v in [&self.lemma11_13, &self.smoothed_margin] {
            if *v > w {
                w.assign(v);
            }
        }
        w
    }
}

/// The violations behind [`worst_bound_violation`], bound by bound, for the path
/// `samples` (gt, state) in increasing gt of the flow `flow` on data with constants `k`.
pub fn bound_violations(
    flow: &DiagFlow,
    alpha: &Rational,
    k: &crate::reference::constants::DataConstants,
    samples: &[(Float, Vec<Float>)],
    depth: u32,
) -> BoundViolations {
    let p = flow.prec;
    let n = flow.n;
    let a = from_rational(p, alpha);
    let g2 = from_rational(p, &k.gamma2_sq);
    let xbar = from_rational(p, &k.xbar);
    let dd = Float::with_val(p, depth);
    let ad = Float::with_val(p, a.clone().pow(depth));
    // c = 2 D^2 alpha^(2D-2) gamma_2^2
    let c = Float::with_val(p, a.clone().pow(2 * depth - 2))
        * Float::with_val(p, dd.square_ref())
        * 2u32
        * &g2;
    let ln_c = c.ln();
    let ln_n = Float::with_val(p, n as u32).ln();
    let mut worst = [Float::new(p), Float::new(p), Float::new(p)];
    let mut bump = |which: usize, v: Float| {
        if v > worst[which] {
            worst[which] = v;
        }
    };
    let mut prev_margin: Option<Float> = None;
    for (gt, y) in samples {
        let der = flow.derive(&y[..n]);
        // Lemma 3
        if !y[n].is_zero() {
            let ln_t = Float::with_val(p, gt + Float::with_val(p, y[n].ln_ref()));
            let x = Float::with_val(p, &ln_c + &ln_t);
            // softplus(x) = max(x, 0) + ln(1 + e^-|x|)
            let sp = Float::with_val(p, x.clone().max(&Float::new(p)))
                + Float::with_val(p, Float::with_val(p, -x.abs()).exp()).ln_1p();
            bump(0, Float::with_val(p, &sp - gt) / gt);
        }
        // Lemma 11 / 13
        let winf = crate::num::max_abs(p, &der.w);
        let bound = if depth == 2 {
            let arg = Float::with_val(p, &xbar * gt)
                / (Float::with_val(p, &g2 * a.clone().square()) * 2u32);
            Some(Float::with_val(p, a.clone().square()) * 2u32 * arg.sinh())
        } else {
            let arg = Float::with_val(p, &xbar * gt) * (depth - 2)
                / (Float::with_val(p, &g2 * &ad) * (2 * depth));
            if arg < 1u32 {
                Some(Float::with_val(
                    p,
                    &ad * crate::reference::qmu::h_d(depth, &arg),
                ))
            } else {
                None
            }
        };
        if let Some(b) = bound {
            if !b.is_zero() {
                bump(1, Float::with_val(p, &winf - &b) / b);
            }
        }
        // smoothed margin
        if *gt > ln_n {
            let mut u2 = Float::new(p);
            for beta in &der.beta {
                let (up, um) = flow.mirror.u_pair(beta);
                u2 += Float::with_val(p, up.square_ref()) + Float::with_val(p, um.square_ref());
            }
            let norm_d = Float::with_val(p, u2.sqrt_ref()).pow(depth);
            let m = Float::with_val(p, gt - &ln_n) / norm_d;
            if let Some(pm) = &prev_margin {
                if !pm.is_zero() {
                    bump(2, Float::with_val(p, pm - &m) / pm);
                }
            }
            prev_margin = Some(m);
        }
    }
    let [lemma3, lemma11_13, smoothed_margin] = worst;
    BoundViolations {
        lemma3,
        lemma11_13,
        smoothed_margin,
    }
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

fn verdict(
    check: &CheckSpec,
    alphas: &[AlphaResult],
    r: &Reference,
    prec: u32,
    noise: &Float,
) -> (bool, String) {
    if let Reference::Unavailable(e) = r {
        return (
            false,
            format!("the reference solution could not be computed: {e}"),
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
    let tol = from_rational(prec, &check.tolerance);
    if let Reference::Limit(l) = r {
        return limit_verdict(check, alphas, l, &tol, prec);
    }
    if check.kind == CheckKind::Condition5 {
        // holds when rho_0 >= 1 + tolerance at every alpha
        let need = Float::with_val(prec, &tol + 1u32);
        for a in alphas {
            if a.metric_value.as_ref().is_some_and(|m| *m < need) {
                return (
                    false,
                    format!(
                        "Condition 5 fails at alpha = {}: a point that is not a support vector of {} comes within rho_0 = {} of the minimum margin (need >= {})",
                        a.alpha,
                        match check.support_of {
                            SupportOf::WMu => "w_mu",
                            SupportOf::Flow => "the flow's own w_hat at gt (it was near the support earlier in the window)",
                        },
                        a.metric,
                        fmt_sig(&need, 6)
                    ),
                );
            }
        }
        let last = alphas.last().expect("validated: at least one alpha");
        return (
            true,
            format!(
                "Condition 5 holds on the windows: observed rho_0 = {} at alpha = {}",
                last.metric, last.alpha
            ),
        );
    }
    if check.kind == CheckKind::Bounds {
        for a in alphas {
            if a.metric_value.as_ref().is_some_and(|m| *m > tol) {
                return (
                    false,
                    format!("a bound is violated at alpha = {} by {} (relative), beyond the allowance {}", a.alpha, a.metric, fmt_sig(&tol, 3)),
                );
            }
        }
        return (
            true,
            format!(
                "every bound holds at every sample of every path (allowance {})",
                fmt_sig(&tol, 3)
            ),
        );
    }
    let last = alphas.last().expect("validated: at least one alpha");
    let m_last = last.metric_value.clone().expect("metric computed");
    let name = &last.metric_name;
    for w in alphas.windows(2) {
        let (a, b) = (
            w[0].metric_value.as_ref().unwrap(),
            w[1].metric_value.as_ref().unwrap(),
        );
        if Float::with_val(prec, b - a) > *noise {
            return (
                false,
                format!(
                    "{name} increases from {} at alpha = {} to {} at alpha = {}",
                    w[0].metric, w[0].alpha, w[1].metric, w[1].alpha
                ),
            );
        }
    }
    if m_last > tol {
        return (
            false,
            format!(
                "{name} at the largest alpha = {} is {}, above the tolerance {}",
                last.alpha,
                last.metric,
                fmt_sig(&tol, 3)
            ),
        );
    }
    if let (Some(kt), Some(k)) = (&check.kkt_tolerance, &last.kkt_value) {
        let kt = from_rational(prec, kt);
        if *k > kt {
            return (
                false,
                format!(
                    "the Q_mu stationarity residual at alpha = {} is {}, above the tolerance {}",
                    last.alpha,
                    last.kkt_stationarity.clone().unwrap_or_default(),
                    fmt_sig(&kt, 3)
                ),
            );
        }
    }
    (
        true,
        format!(
            "{name} falls along the alphas to {} at alpha = {} (tolerance {})",
            last.metric,
            last.alpha,
            fmt_sig(&tol, 3)
        ),
    )
}

/// The verdict of a limit check: first what the declared point is (a KKT point of the
/// l_{2/D} problem; the global minimum or a strict local minimum that is not global, when
/// the check says so), then the distance of w_hat to it at every alpha.
fn limit_verdict(
    check: &CheckSpec,
    alphas: &[AlphaResult],
    l: &LimitRef,
    tol: &Float,
    prec: u32,
) -> (bool, String) {
    let a = &l.analysis;
    let name = l2d_name(l.depth);
    let f = if l.depth == 2 {
        "||w||_1".to_string()
    } else {
        format!("sum |w_i|^(2/{})", l.depth)
    };
    if a.min_margin != 1 {
        return (
            false,
            format!(
                "the declared point is not a KKT point of the {name} max-margin problem: its smallest margin is {} (a KKT point has margin 1)",
                a.min_margin
            ),
        );
    }
    if !a.kkt {
        return (
            false,
            format!(
                "the declared point is not a KKT point of the {name} max-margin problem: the stationarity residual with the best non-negative multipliers on its active points {} is {}",
                one_based(&a.active),
                fmt_sig(&a.stationarity, 3)
            ),
        );
    }
    // what the point is among the l_{2/D} minima
    let mut what = format!(
        "the point is a KKT point of the {name} max-margin problem (support {}, active points {}, residual {})",
        one_based(&a.support),
        one_based(&a.active),
        fmt_sig(&a.stationarity, 3)
    );
    if a.strict_local_min {
        what += ", a strict local minimum";
    }
    let value = fmt_sig(&a.value, 8);
    match &l.global {
        Ok(g) => {
            let top = Float::with_val(
                prec,
                &g.value
                    * (Float::with_val(prec, 1u32) + crate::num::pow2(prec, -(prec as i32) / 2)),
            );
            let is_global = a.value <= top;
            what += &format!(
                ", with {f} = {value}; the global minimum over the {} feasible vertices is {} at {}",
                g.vertices,
                fmt_sig(&g.value, 8),
                exact_vector(&g.w)
            );
            if g.minimizers > 1 {
                what += &format!(" ({} minimizers)", g.minimizers);
            }
            match check.optimum {
                Some(Optimum::Global) if !is_global => {
                    return (
                        false,
                        format!("the declared point is not the global minimum: {what}"),
                    )
                }
                Some(Optimum::Local) if is_global => {
                    return (
                        false,
                        format!("the declared point is not a local-but-not-global minimum: it is a global one: {what}"),
                    )
                }
                Some(Optimum::Local) if !a.strict_local_min => {
                    return (
                        false,
                        format!("the declared point is not certified as a strict local minimum (that needs D >= 3, as many active points as support coordinates, full rank and positive multipliers): {what}"),
                    )
                }
                _ => {}
            }
        }
        Err(e) => {
            what += &format!(", with {f} = {value}; the global minimum is not known: {e}");
            if check.optimum.is_some() {
                return (
                    false,
                    format!("the declared optimum cannot be verified: {what}"),
                );
            }
        }
    }
    if let Some((w1, a1)) = &l.l1 {
        what += &format!(
            "; w_l1 = {} has {f} = {} and is {}a KKT point of the {name} problem (residual {})",
            exact_vector(w1),
            fmt_sig(&a1.value, 8),
            if a1.kkt { "" } else { "not " },
            fmt_sig(&a1.stationarity, 3)
        );
    }
    let mut worst: Option<&AlphaResult> = None;
    for r in alphas {
        let m = r.metric_value.as_ref().expect("metric computed");
        if *m > *tol {
            return (
                false,
                format!(
                    "w_hat at alpha = {} (gt = {}) is at distance {} from the declared point, above the tolerance {}; {what}",
                    r.alpha,
                    r.gt,
                    r.metric,
                    fmt_sig(tol, 3)
                ),
            );
        }
        if worst.is_none_or(|w| *m > *w.metric_value.as_ref().unwrap()) {
            worst = Some(r);
        }
    }
    let w = worst.expect("validated: at least one alpha");
    (
        true,
        format!(
            "w_hat is within {} of the declared point at every alpha (largest at alpha = {}; tolerance {}); {what}",
            w.metric,
            w.alpha,
            fmt_sig(tol, 3)
        ),
    )
}

/// Run every check of every case; jobs (check, alpha) run in parallel, results come
/// back in file order. `progress` is told each finished job.
pub fn run_cases(
    cases: &[(Case, Vec<Vec<Rational>>)],
    settings: &RunSettings,
    progress: impl Fn() + Sync,
) -> Vec<CheckResult> {
    // references first (one per check), then all flow jobs in one parallel pass
    let refs: Vec<Vec<Reference>> = cases
        .par_iter()
        .map(|(case, z)| {
            case.checks
                .iter()
                .map(|c| reference(case, z, c, case.numerics.precision))
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
            let check = &case.checks[ki];
            let r = run_alpha(case, z, check, &check.alphas[ai], &refs[ci][ki], settings);
            progress();
            r
        })
        .collect();
    let mut it = done.into_iter();
    let mut results = Vec::new();
    for (ci, (case, _)) in cases.iter().enumerate() {
        for (ki, check) in case.checks.iter().enumerate() {
            let alphas: Vec<AlphaResult> = (0..check.alphas.len())
                .map(|_| it.next().expect("one result per job"))
                .collect();
            let prec = case.numerics.precision;
            let noise = noise_floor(case, &alphas, prec);
            let (passed, reason) = verdict(check, &alphas, &refs[ci][ki], prec, &noise);
            let meets = passed == (check.expect == Expect::Pass);
            let reason = match (passed, check.expect) {
                (true, Expect::Fail) => format!("expected to fail, but passed: {reason}"),
                (false, Expect::Fail) => format!("fails as expected: {reason}"),
                _ => reason,
            };
            results.push(CheckResult {
                case: case.name.clone(),
                file: case.path.as_ref().map(|p| p.display().to_string()),
                name: check.name.clone(),
                kind: check.kind,
                expect: check.expect,
                stop: check.stop.to_string(),
                tolerance: crate::num::exact::rational_to_decimal_string(&check.tolerance, 3),
                kkt_tolerance: check
                    .kkt_tolerance
                    .as_ref()
                    .map(|t| crate::num::exact::rational_to_decimal_string(t, 3)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::run::integrate;

    /// The bounds hold along a real path with the data's constants, and a wrong constant
    /// (gamma_2^2 four times too large makes Lemma 3's bound too strong) is caught.
    #[test]
    fn bounds_hold_and_a_wrong_constant_is_caught() {
        let case = Case::from_toml_str(include_str!("../../cases/three_point.toml"), "three_point")
            .unwrap();
        let z = case.z();
        let p = 256;
        let alpha = Rational::from(1);
        let flow = DiagFlow::new(&z, 2, &alpha, p);
        let numerics = Numerics {
            prec: p,
            tol: crate::num::ten_pow_neg(30),
            stages: 18,
        };
        let samples: Vec<Float> =
            crate::flow::run::log_spaced(&Rational::from((1, 100)), &Rational::from(10_000), 40, p)
                .iter()
                .map(|q| from_rational(p, q))
                .collect();
        let sol = integrate(
            &flow,
            &numerics,
            &Float::with_val(p, 10_000),
            &samples,
            |_| {},
        )
        .unwrap();
        assert_eq!(sol.samples.len(), 40);
        let k = crate::reference::constants::data_constants(&z).unwrap();
        let ok = worst_bound_violation(&flow, &alpha, &k, &sol.samples, 2);
        assert!(ok.is_zero(), "violation {ok}");
        let mut wrong = k.clone();
        wrong.gamma2_sq *= 4u32;
        let bad = worst_bound_violation(&flow, &alpha, &wrong, &sol.samples, 2);
        assert!(
            bad > Float::with_val(p, Float::i_exp(1, -20)),
            "violation {bad}"
        );
    }
}
