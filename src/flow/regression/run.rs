//! The regression flow's driver (docs/math.md §12.4): the stop rules, one integration
//! at a working precision that carries the bits the mirror map consumes, and the
//! verification by a second run with [`VERIFICATION`]'s numerics.
//!
//! The classification driver (`flow::drive`) is built around [`super::super::DiagFlow`]
//! (its precision guard, checkpoints and limits); this driver calls the same integrator
//! ([`Radau`]) with the same [`Numerics`], tableau cache and verification policy, and
//! compares the two runs with the same [`agreeing_digits`].

use super::tail::{tail_bound, TailBound};
use super::{Clock, RegFlow, DRIVER_CLOCK};
use crate::flow::guard::carried_digits;
use crate::flow::numerics::flow_options;
use crate::flow::tol_digits;
use crate::flow::{Numerics, VERIFICATION};
use crate::model::{MAX_DEPTH, MIN_DEPTH};
use crate::num::linalg::RealLu;
use crate::num::rational::rank;
use crate::num::{agreeing_digits, from_rational};
use crate::ode::radau::{Control, OdeError, Radau, Segment, Stats};
use crate::ode::tableau::RadauTableau;
use crate::ode::Ode;
use rug::{Float, Rational};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where a stop rule held: the clock value, the state nu and (limit rule) the tail bound.
type Hit = (Float, Vec<Float>, Option<TailBound>);

/// A regression problem: points x_n (rows), targets y_n, depth D and scale alpha, exact.
#[derive(Clone, Copy, Debug)]
pub struct RegProblem<'a> {
    pub points: &'a [Vec<Rational>],
    pub y: &'a [Rational],
    pub depth: u32,
    pub alpha: &'a Rational,
    /// exact interpolators (X^T u = y) the limit rule's tail bound also measures against
    /// (the Bregman bound of tail.rs): the min-l1 interpolator makes it at small alpha,
    /// where the ball bound certifies nothing (docs/math.md §12.3). May be empty.
    pub anchors: &'a [Vec<Rational>],
}

/// When a regression run stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegStop {
    /// at time t = T (T > 0, exact)
    Time(Rational),
    /// the first time ||X^T w - y||_2 <= r (r > 0), located on the dense output
    Residual(Rational),
    /// the limit: once the tail bound certifies that w is within 10^-k of the flow's
    /// limit, relative to ||w||_inf (tail.rs)
    Limit(u32),
    /// the first time w is within `eps` of `target` (the flow's limit, computed
    /// independently): max_i |w_i - target_i| <= eps ||target||_inf, first seen at the end
    /// of an accepted step and located inside that step by bisection on its dense output
    Near {
        target: Vec<Rational>,
        eps: Rational,
    },
}

impl RegStop {
    pub fn describe(&self) -> String {
        match self {
            RegStop::Time(t) => format!("t = {t}"),
            RegStop::Residual(r) => format!("||X^T w - y||_2 <= {r}"),
            RegStop::Limit(k) => format!("the limit to {k} digits (tail bound)"),
            RegStop::Near { eps, .. } => {
                format!("within {eps} of the limit (relative, max norm)")
            }
        }
    }
}

/// One regression run.
#[derive(Clone, Debug)]
pub struct RegRun {
    /// the numerics asked for (the precision of the reported digits)
    pub numerics: Numerics,
    /// the working precision: `numerics.prec` plus the bits the mirror map consumes
    pub work_prec: u32,
    pub clock: Clock,
    /// the clock value reached
    pub clock_end: Float,
    /// the time reached (None for the residual clock)
    pub t: Option<Float>,
    pub nu: Vec<Float>,
    pub w: Vec<Float>,
    /// ||X^T w - y||_2 at the end
    pub residual: Float,
    /// the tail bound at the end state (None for dependent points)
    pub tail: Option<TailBound>,
    pub stats: Stats,
    pub wall: Duration,
}

/// A run and its verification.
#[derive(Clone, Debug)]
pub struct RegVerified {
    pub main: RegRun,
    pub check: Option<RegRun>,
    /// the wall time of the main run and its verification together: with two or more
    /// worker threads the two run at once, so it is less than the sum of the two
    pub elapsed: Duration,
    /// digits of w (normwise, infinity norm) on which the two runs agree, at most `carried`
    pub digits: Option<u32>,
    /// the digits the main run's arithmetic carries
    pub carried: u32,
}

impl RegVerified {
    /// The digits of the flow's limit that the main run certifies by its tail bound
    /// (None without one), at most `carried`.
    pub fn tail_digits(&self) -> Option<u32> {
        self.main.tail.as_ref().map(|t| t.digits.min(self.carried))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegFlowError {
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("integration failed: {0}")]
    Ode(#[from] OdeError),
    #[error("{what} not reached by {clock} = {end} (the integration's horizon)")]
    NotReached {
        what: String,
        clock: &'static str,
        end: String,
    },
    #[error("the limit stop needs linearly independent points (for dependent points the dual has no unique minimizer and the tail bound does not apply)")]
    Dependent,
}

/// The horizon of the open-ended stop rules: t <= e^100000 (about 10^43429) in either
/// time clock (s = ln(1 + t) <= 10^5), sigma <= 10^5. It is far: D >= 3 escapes the
/// saddle at t ~ alpha^(2-D), 10^1000 for D = 3 at alpha = 10^-1000.
fn horizon(clock: Clock, p: u32) -> Float {
    let reach = Float::with_val(p, 100_000u32);
    match clock {
        Clock::LogTime | Clock::Residual => reach,
        Clock::Time => reach.exp(),
    }
}

fn ceil_log2(v: u64) -> u32 {
    64 - v.saturating_sub(1).leading_zeros()
}

/// Bits the mirror map consumes beyond the digits asked for (docs/math.md §12.4, as
/// for the references, §13.3): D >= 3 and alpha < 1: w depends on 1 - |s| ~
/// alpha^(D-2) |w|^(-(D-2)/D), i.e. (D-2) log2(1/alpha) + log2 max(2, sqrt(d) ||w_K||_2)
/// bits (w_K the min-l2 interpolator bounds ||w_l1||_1); D = 2: log2 of 4|beta| ~
/// log2 log2(1/alpha); plus 32 + log2(N d) guard bits.
pub fn extra_bits(problem: &RegProblem) -> u32 {
    let n = problem.points.len();
    let d = problem.points.first().map_or(0, Vec::len);
    let a = problem.alpha;
    let la = (i64::from(a.denom().significant_bits()) - i64::from(a.numer().significant_bits()) + 1)
        .max(0) as u32;
    let guard = 32 + ceil_log2((n * d) as u64 + 1);
    let lw = w_kernel_log2(problem);
    let extra = if problem.depth == 2 {
        ceil_log2(u64::from(la) + 2) + 2 + lw.max(1)
    } else if la > 0 {
        (problem.depth - 2) * la + lw.max(1)
    } else {
        0
    };
    guard + extra
}

/// ceil log2 max(2, sqrt(d) ||w_K||_2), w_K = X (X^T X)^{-1} y (0 when the Gram matrix is
/// singular at 128 bits: dependent points).
fn w_kernel_log2(problem: &RegProblem) -> u32 {
    let p = 128;
    let n = problem.points.len();
    let d = problem.points.first().map_or(0, Vec::len);
    let x: Vec<Vec<Float>> = problem
        .points
        .iter()
        .map(|r| r.iter().map(|q| from_rational(p, q)).collect())
        .collect();
    let mut g = vec![Float::new(p); n * n];
    for a in 0..n {
        for b in 0..n {
            let mut s = Float::new(p);
            for (u, v) in x[a].iter().zip(&x[b]) {
                s += Float::with_val(p, u * v);
            }
            g[a * n + b] = s;
        }
    }
    let Some(lu) = RealLu::factor(g, n) else {
        return 0;
    };
    let mut c: Vec<Float> = problem.y.iter().map(|q| from_rational(p, q)).collect();
    lu.solve(&mut c);
    // ||w_K||_2^2 = c^T y
    let mut s = Float::new(p);
    for (cn, yn) in c.iter().zip(problem.y) {
        s += Float::with_val(p, cn * &from_rational(p, yn));
    }
    let v = Float::with_val(p, s.abs_ref()).sqrt() * Float::with_val(p, d as u32).sqrt();
    if !v.is_finite() || v <= 2u32 {
        return 1;
    }
    v.get_exp().map_or(1, |e| e.max(1) as u32)
}

/// The end t0 of the plateau that the flow covers in closed form: the largest t (to
/// 2^-24 relative, found by bisection) with max_i |W(|a_i| t)| <= 2^-p ||y||_inf / C,
/// a = X y / N, C = max_n ||x_n||_1. On [0, t0], nu(t) = t y / N - (1/N) int_0^t X^T w,
/// and the integral is at most t0 C max_i |W(|a_i| t0)| (W odd and increasing):
/// nu(t0) = t0 y / N to 2^-p ||nu(t0)||_inf, the rounding of the state (docs/math.md
/// §12.2). None when y = 0 or the plateau is shorter than 2^-64.
pub fn plateau_end(flow: &RegFlow) -> Option<Float> {
    let p = flow.prec;
    let ymax = crate::num::max_abs(p, &flow.y);
    if ymax.is_zero() {
        return None;
    }
    let a: Vec<Float> = flow
        .beta(&flow.y)
        .into_iter()
        .map(|v| v.abs() / flow.n as u32)
        .collect();
    let c = flow
        .x
        .iter()
        .map(|r| r.iter().fold(Float::new(p), |s, v| s + v.clone().abs()))
        .fold(Float::new(p), |m, v| if v > m { v } else { m });
    let bound = ymax / c * Float::with_val(p, Float::i_exp(1, -(p as i32)));
    let ok = |t: &Float| -> bool {
        a.iter().all(|ai| {
            let w = flow.mirror.w(&Float::with_val(p, ai * t));
            w.is_finite() && w <= bound
        })
    };
    let pw = |e: i32| Float::with_val(p, Float::i_exp(1, e));
    let (mut lo, mut hi) = (-64, -64);
    if !ok(&pw(lo)) {
        return None;
    }
    while ok(&pw(hi)) {
        lo = hi;
        hi = if hi < 0 { 0 } else { 2 * hi.max(1) };
        if hi > 1 << 24 {
            return None;
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(&pw(mid)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let (mut l, mut h) = (pw(lo), pw(hi));
    for _ in 0..24 {
        let mid = Float::with_val(p, &l + &h) / 2u32;
        if ok(&mid) {
            l = mid;
        } else {
            h = mid;
        }
    }
    Some(l)
}

/// Validate a problem: D in range, alpha > 0, N >= 1, rows of one length, targets for
/// every point.
fn validate(problem: &RegProblem, stop: &RegStop) -> Result<(), RegFlowError> {
    let bad = |s: String| Err(RegFlowError::Invalid(s));
    if !(MIN_DEPTH..=MAX_DEPTH).contains(&problem.depth) {
        return bad(format!("depth {}", problem.depth));
    }
    if *problem.alpha <= 0 {
        return bad(format!("alpha = {} <= 0", problem.alpha));
    }
    let d = problem.points.first().map_or(0, Vec::len);
    if problem.points.is_empty() || d == 0 {
        return bad("no points".into());
    }
    if problem.points.iter().any(|r| r.len() != d) {
        return bad("points of different lengths".into());
    }
    if problem.y.len() != problem.points.len() {
        return bad(format!(
            "{} targets for {} points",
            problem.y.len(),
            problem.points.len()
        ));
    }
    for (j, u) in problem.anchors.iter().enumerate() {
        if u.len() != d {
            return bad(format!("anchor {j}: {} components for d = {d}", u.len()));
        }
        if let Some(n) = problem
            .points
            .iter()
            .zip(problem.y)
            .position(|(x, yn)| crate::num::rational::dot(x, u) != *yn)
        {
            return bad(format!("anchor {j} does not interpolate point {n}"));
        }
    }
    match stop {
        RegStop::Time(t) if *t <= 0 => bad(format!("time {t} <= 0")),
        RegStop::Residual(r) if *r <= 0 => bad(format!("residual {r} <= 0")),
        RegStop::Limit(0) => bad("the limit to 0 digits".into()),
        RegStop::Near { eps, .. } if *eps <= 0 => bad(format!("eps {eps} <= 0")),
        RegStop::Near { target, .. } if target.len() != d => bad(format!(
            "a target of {} components for d = {d}",
            target.len()
        )),
        RegStop::Near { target, .. } if target.iter().all(|v| *v == 0) => {
            bad("a zero target".into())
        }
        _ => Ok(()),
    }
}

/// The working precision of a run with `numerics`: its precision raised by
/// [`extra_bits`], and at least what its stage solves need for its tolerance
/// ([`Numerics::solve_need`]: below it their corrections stall at round-off above Newton's
/// goal and the step size collapses).
pub fn work_precision(problem: &RegProblem, numerics: &Numerics) -> u32 {
    (numerics.prec + extra_bits(problem)).max(numerics.solve_need())
}

/// One run of the regression flow from nu = 0 (u = alpha 1) with `numerics` (precision
/// raised by [`extra_bits`] for the working precision, [`work_precision`]) and the clock `clock`, to `stop`.
///
/// # Errors
/// Invalid input, integrator failures, a residual or limit not reached within the
/// horizon, and the limit rule on dependent points.
pub fn regression_run(
    problem: &RegProblem,
    numerics: &Numerics,
    stop: &RegStop,
    clock: Clock,
) -> Result<RegRun, RegFlowError> {
    regression_run_capped(problem, numerics, stop, clock, None)
}

/// [`regression_run`] with a cap on the integrator's step attempts (None: the
/// integrator's default, 10^7); the clock measurements use it.
///
/// # Errors
/// As [`regression_run`], and [`OdeError::MaxSteps`] at the cap.
pub fn regression_run_capped(
    problem: &RegProblem,
    numerics: &Numerics,
    stop: &RegStop,
    clock: Clock,
    max_steps: Option<u64>,
) -> Result<RegRun, RegFlowError> {
    run_cancellable(problem, numerics, stop, clock, max_steps, None)
}

/// [`regression_run_capped`], stopped at the next step with an error once `cancel` is
/// set (the verification beside a main run that failed).
pub(super) fn run_cancellable(
    problem: &RegProblem,
    numerics: &Numerics,
    stop: &RegStop,
    clock: Clock,
    max_steps: Option<u64>,
    cancel: Option<&AtomicBool>,
) -> Result<RegRun, RegFlowError> {
    validate(problem, stop)?;
    if matches!(stop, RegStop::Limit(_))
        && rank(problem.points.to_vec(), problem.points[0].len()) < problem.points.len()
    {
        return Err(RegFlowError::Dependent);
    }
    let start = Instant::now();
    let work_prec = work_precision(problem, numerics);
    let p = work_prec;
    let flow = RegFlow::new(
        problem.points,
        problem.y,
        problem.depth,
        problem.alpha,
        p,
        clock,
    );
    let x_end = match stop {
        RegStop::Time(t) => flow
            .clock_at_time(&from_rational(p, t))
            .ok_or_else(|| RegFlowError::Invalid("the residual clock has no time".into()))?,
        _ => horizon(clock, p),
    };
    let cap = carried_digits(numerics.prec, 0);
    let tab = RadauTableau::cached(numerics.stages, p);
    let mut opts = flow_options(p, &numerics.tol);
    if let Some(m) = max_steps {
        opts.max_steps = m;
    }
    // the embedded estimate's controller is Gustafsson's predictive one at every depth:
    // at D >= 3 steps that shrink geometrically towards a pole of the mirror map keep
    // shrinking instead of being rejected every other attempt (docs/math.md §12.2)
    let solver = Radau::new(&flow, &tab, opts);
    // the plateau in closed form (docs/math.md §12.2): nu = t y / N while w is below the
    // rounding level of the residual
    let (x0, y0) = match plateau_end(&flow) {
        Some(t0) => {
            let nu0: Vec<Float> = flow
                .y
                .iter()
                .map(|v| Float::with_val(p, v * &t0) / flow.n as u32)
                .collect();
            let x0 = match flow.clock_at_time(&t0) {
                Some(x) => x,
                None => {
                    // sigma = ln(L0 / L) = 2 ln(||y|| / ||r||)
                    let r = flow.norm2(&flow.derive(&nu0).r);
                    Float::with_val(p, flow.norm2(&flow.y) / r).ln() * 2u32
                }
            };
            (x0, nu0)
        }
        None => (Float::new(p), vec![Float::new(p); flow.dim()]),
    };
    if x0 >= x_end {
        return Err(RegFlowError::Invalid(format!(
            "the stop {} lies on the plateau the flow covers in closed form (t <= {})",
            stop.describe(),
            flow.time_at(&x0)
                .map_or("-".into(), |t| crate::num::fmt_sig(&t, 6))
        )));
    }
    // the state where the stop rule held: (clock, nu, tail)
    let hit: Mutex<Option<Hit>> = Mutex::new(None);
    let target_r = match stop {
        RegStop::Residual(r) => Some(from_rational(p, r)),
        _ => None,
    };
    // Near: the target at the working precision and eps ||target||_inf
    let near = match stop {
        RegStop::Near { target, eps } => {
            let t: Vec<Float> = target.iter().map(|v| from_rational(p, v)).collect();
            let radius = crate::num::max_abs(p, &t) * from_rational(p, eps);
            Some((t, radius))
        }
        _ => None,
    };
    let within = |y: &[Float]| -> bool {
        let (t, radius) = near.as_ref().expect("near");
        let w = flow.derive(y).w;
        w.iter()
            .zip(t)
            .all(|(a, b)| Float::with_val(p, a - b).abs() <= *radius)
    };
    // bisect theta in [0, 1] for the first point of the segment where `holds` (which
    // holds at theta = 1)
    let locate = |seg: &Segment, holds: &dyn Fn(&[Float]) -> bool| -> Float {
        let (mut lo, mut hi) = (Float::new(p), Float::with_val(p, 1));
        let iters = tol_digits(&numerics.tol) * 7 / 2 + 16;
        for _ in 0..iters {
            let mid = Float::with_val(p, &lo + &hi) / 2u32;
            if holds(&seg.eval_theta(&mid)) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    };
    let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    let observer = |seg: &Segment| -> Control {
        if cancelled() {
            return Control::Stop;
        }
        match stop {
            RegStop::Time(_) => Control::Continue,
            RegStop::Residual(_) => {
                let r = target_r.as_ref().expect("target");
                let y1 = seg.y1();
                let res = |y: &[Float]| flow.norm2(&flow.derive(y).r);
                if res(&y1) > *r {
                    return Control::Continue;
                }
                // ||r|| is non-increasing along the flow: bisect theta in [0, 1]
                let hi = locate(seg, &|y| res(y) <= *r);
                let x = Float::with_val(p, seg.h * &hi) + seg.x0;
                *hit.lock().expect("hit") = Some((x, seg.eval_theta(&hi), None));
                Control::Stop
            }
            RegStop::Near { .. } => {
                if !within(&seg.y1()) {
                    return Control::Continue;
                }
                let hi = locate(seg, &within);
                let x = Float::with_val(p, seg.h * &hi) + seg.x0;
                *hit.lock().expect("hit") = Some((x, seg.eval_theta(&hi), None));
                Control::Stop
            }
            RegStop::Limit(k) => {
                let y1 = seg.y1();
                match tail_bound(&flow, &y1, cap, problem.anchors) {
                    Some(tb) if tb.digits >= *k => {
                        *hit.lock().expect("hit") = Some((seg.x1(), y1, Some(tb)));
                        Control::Stop
                    }
                    _ => Control::Continue,
                }
            }
        }
    };
    let out = solver.integrate(&x0, &y0, &x_end, observer)?;
    if cancelled() {
        return Err(RegFlowError::Invalid(
            "cancelled: the main run failed".into(),
        ));
    }
    let (x, nu, tail) = match (stop, hit.into_inner().expect("hit")) {
        (RegStop::Time(_), _) => (out.x, out.y, None),
        (_, Some(h)) => h,
        (_, None) => {
            return Err(RegFlowError::NotReached {
                what: stop.describe(),
                clock: clock.name(),
                end: crate::num::fmt_sig(&out.x, 8),
            })
        }
    };
    let tail = match tail {
        Some(t) => Some(t),
        None => tail_bound(&flow, &nu, cap, problem.anchors),
    };
    let der = flow.derive(&nu);
    Ok(RegRun {
        numerics: numerics.clone(),
        work_prec,
        clock,
        t: flow.time_at(&x),
        clock_end: x,
        residual: flow.norm2(&der.r),
        w: der.w,
        nu,
        tail,
        stats: out.stats,
        wall: start.elapsed(),
    })
}

/// A run with the driver's clock ([`DRIVER_CLOCK`]) and, unless `verify` is false, a
/// second run with [`VERIFICATION`]'s numerics (more bits, a tolerance 10^-6
/// tighter; for the limit rule 6 more digits of the tail, at most those the second run's
/// arithmetic carries less 4), compared on w.
///
/// # Errors
/// As [`regression_run`].
pub fn regression_verified(
    problem: &RegProblem,
    numerics: &Numerics,
    stop: &RegStop,
    verify: bool,
) -> Result<RegVerified, RegFlowError> {
    regression_verified_capped(problem, numerics, stop, verify, None)
}

/// [`regression_verified`] with a cap on each run's step attempts (None: the
/// integrator's default): the check jobs use it, so that a flow too costly for its
/// alpha ends as an error at that alpha instead of running for hours.
///
/// # Errors
/// As [`regression_run`], and [`OdeError::MaxSteps`] at the cap.
pub fn regression_verified_capped(
    problem: &RegProblem,
    numerics: &Numerics,
    stop: &RegStop,
    verify: bool,
    max_steps: Option<u64>,
) -> Result<RegVerified, RegFlowError> {
    let start = Instant::now();
    let carried = carried_digits(numerics.prec, 0);
    if !verify {
        let main = regression_run_capped(problem, numerics, stop, DRIVER_CLOCK, max_steps)?;
        return Ok(RegVerified {
            carried,
            main,
            check: None,
            digits: None,
            elapsed: start.elapsed(),
        });
    }
    let policy = VERIFICATION;
    let vn = policy.numerics(numerics);
    let vstop = match stop {
        RegStop::Limit(k) => RegStop::Limit(
            (k + policy.tighter_tol_exp10)
                .min(carried_digits(vn.prec, 0).saturating_sub(4))
                .max(*k),
        ),
        s => s.clone(),
    };
    // the verification does not depend on the main run: the two run at once, each on
    // the workers the other leaves free (one after the other on a single thread; each
    // the same bit for bit either way). The main run's error comes first, and stops
    // the verification at its next step.
    let failed = AtomicBool::new(false);
    let (main, check) = rayon::join(
        || {
            let r = regression_run_capped(problem, numerics, stop, DRIVER_CLOCK, max_steps);
            if r.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            r
        },
        || run_cancellable(problem, &vn, &vstop, DRIVER_CLOCK, max_steps, Some(&failed)),
    );
    let (main, check) = (main?, check?);
    let elapsed = start.elapsed();
    let pv = check.work_prec;
    let wm: Vec<Float> = main.w.iter().map(|v| Float::with_val(pv, v)).collect();
    let digits = if wm.iter().chain(&check.w).all(Float::is_zero) {
        carried
    } else {
        agreeing_digits(&wm, &check.w, carried)
    };
    Ok(RegVerified {
        main,
        check: Some(check),
        digits: Some(digits),
        carried,
        elapsed,
    })
}
