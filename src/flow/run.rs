//! Running the flow to a stopping rule, sampling its path, and verifying the digits
//! of the result with a second, more accurate run.

use super::DiagFlow;
use crate::num::exact::Decimal;
use crate::num::{decimal_digits_of_bits, digits_from_rel_error, from_rational, norm1, norm2};
use crate::ode::radau::{Control, OdeError, Radau, RadauOptions, Segment, Stats};
use crate::ode::tableau::RadauTableau;
use rug::ops::Pow;
use rug::{Float, Rational};
use std::time::{Duration, Instant};

/// When to stop, kept exact so that it can be evaluated at any precision.
#[derive(Clone, Debug)]
pub enum StopRule {
    /// gt = value
    Gt(Rational),
    /// loss = value (a positive decimal, e.g. 1e-8700): gt = -ln(value)
    Loss(Decimal),
    /// gt = alpha^D / mu
    Mu(Rational),
    /// gt = a stopping-rule expression in alpha, D and mu (the checks of a case file)
    Expr(crate::checks::expr::Expr, Option<Rational>),
}

impl StopRule {
    /// The target gt exactly, when it is rational (`--gt`, `--mu`).
    pub fn gt_exact(&self, alpha: &Rational, depth: u32) -> Option<Rational> {
        match self {
            StopRule::Gt(g) => Some(g.clone()),
            StopRule::Mu(mu) => Some(alpha.clone().pow(depth as i32) / mu),
            StopRule::Loss(_) | StopRule::Expr(..) => None,
        }
    }

    /// The target gt at precision `prec`.
    pub fn gt(&self, alpha: &Rational, depth: u32, prec: u32) -> Float {
        match (self, self.gt_exact(alpha, depth)) {
            (StopRule::Loss(l), _) => -l.ln(prec),
            (StopRule::Expr(e, mu), _) => e
                .eval(alpha, depth, mu.as_ref(), prec)
                .unwrap_or_else(|_| Float::with_val(prec, rug::float::Special::Nan)),
            (_, Some(q)) => from_rational(prec, &q),
            (_, None) => unreachable!("only loss and expression targets are irrational"),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            StopRule::Gt(g) => format!("gt = {g}"),
            StopRule::Loss(l) => format!("loss = {}e{}", l.coeff, l.exp10),
            StopRule::Mu(mu) => format!("gt = alpha^D / mu, mu = {mu}"),
            StopRule::Expr(e, Some(mu)) => format!("gt = {e}, mu = {mu}"),
            StopRule::Expr(e, None) => format!("gt = {e}"),
        }
    }
}

/// Numerical settings of one integration.
#[derive(Clone, Debug)]
pub struct Numerics {
    pub prec: u32,
    /// local error tolerance (exact)
    pub tol: Rational,
    pub stages: usize,
}

/// Radau IIA stages for a tolerance: three stages per 5 requested digits
/// (order 2s-1 grows with the digits, MATH.md), between 3 and 24: measured on the
/// flow at 1e-40, 24 stages take 106 steps and 4.6 s where 16 take 380 steps and 9 s.
pub fn default_stages(tol: &Rational) -> usize {
    let digits = tol_digits(tol);
    (digits * 3).div_ceil(5).clamp(3, 24) as usize
}

/// floor(-log10 tol) for 0 < tol < 1.
pub fn tol_digits(tol: &Rational) -> u32 {
    let f = from_rational(64, tol);
    digits_from_rel_error(&f, 100_000)
}

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error("integration failed: {0}")]
    Ode(#[from] OdeError),
    #[error("precision too low: reaching gt = {gt} with {digits} digits needs at least {needed} bits, but the precision is {prec} bits")]
    PrecisionTooLow {
        gt: String,
        digits: u32,
        needed: u32,
        prec: u32,
    },
    #[error("the target gt = {0} is not a positive finite number")]
    NonPositiveTarget(String),
}

/// The end state of a run, its samples and its cost.
#[derive(Clone, Debug)]
pub struct Solution {
    pub numerics: Numerics,
    pub gt: Float,
    /// state (nu_1..nu_N, v)
    pub y: Vec<Float>,
    pub samples: Vec<(Float, Vec<Float>)>,
    pub stats: Stats,
    pub wall: Duration,
}

/// Integrate the flow from gt = 0, nu = 0, v = 0 to `gt_end`, sampling the dense
/// output at the sorted points `sample_at` (those in (0, gt_end]). `progress` is
/// called after each accepted half step with the gt reached.
pub fn integrate(
    flow: &DiagFlow,
    numerics: &Numerics,
    gt_end: &Float,
    sample_at: &[Float],
    mut progress: impl FnMut(&Float) + Send,
) -> Result<Solution, FlowError> {
    let p = flow.prec;
    if !gt_end.is_finite() || !gt_end.is_sign_positive() || gt_end.is_zero() {
        return Err(FlowError::NonPositiveTarget(crate::num::fmt_sig(
            gt_end, 10,
        )));
    }
    let digits = tol_digits(&numerics.tol);
    let needed = super::bits_needed(gt_end, digits);
    if needed > p {
        return Err(FlowError::PrecisionTooLow {
            gt: crate::num::fmt_sig(gt_end, 6),
            digits,
            needed,
            prec: p,
        });
    }
    let start = Instant::now();
    let tab = RadauTableau::cached(numerics.stages, p);
    let opts = RadauOptions::new(from_rational(p, &numerics.tol));
    let solver = Radau::new(flow, &tab, opts);
    let y0 = vec![Float::new(p); flow.dim_state()];
    let x0 = Float::new(p);
    let mut samples = Vec::new();
    let mut next = sample_at
        .iter()
        .filter(|s| s.is_sign_positive() && !s.is_zero())
        .peekable();
    let out = solver.integrate(&x0, &y0, gt_end, |seg: &Segment| {
        let x1 = seg.x1();
        while let Some(s) = next.peek() {
            if **s <= x1 && *s <= gt_end {
                samples.push(((*s).clone(), seg.eval(s)));
                next.next();
            } else {
                break;
            }
        }
        progress(&x1);
        Control::Continue
    })?;
    Ok(Solution {
        numerics: numerics.clone(),
        gt: out.x,
        y: out.y,
        samples,
        stats: out.stats,
        wall: start.elapsed(),
    })
}

impl DiagFlow {
    /// Length of the state vector (nu, v).
    pub fn dim_state(&self) -> usize {
        self.n + 1
    }
}

/// What a user sees about one point of the path.
#[derive(Clone, Debug)]
pub struct Summary {
    pub gt: Float,
    /// loss = 10^(-loss_exp10), loss_exp10 = gt / ln 10
    pub loss_exp10: Float,
    pub gamma: Float,
    pub ln_t: Float,
    pub w: Vec<Float>,
    pub w_hat: Vec<Float>,
    pub direction: Vec<Float>,
    pub w_hat_l1: Float,
    pub w_hat_l2: Float,
    pub nu: Vec<Float>,
    pub margins: Vec<Float>,
    /// |(-log L(w)) - gt|
    pub drift: Float,
    /// drift / gt
    pub drift_rel: Float,
}

impl Summary {
    pub fn at(flow: &DiagFlow, gt: &Float, y: &[Float]) -> Summary {
        let p = flow.prec;
        let n = flow.n;
        let der = flow.derive(&y[..n]);
        let nll = flow.neg_log_loss(&der);
        let drift = Float::with_val(p, &nll - gt).abs();
        let drift_rel = Float::with_val(p, &drift / gt);
        let ln10 = Float::with_val(p, 10).ln();
        let loss_exp10 = Float::with_val(p, gt / &ln10);
        let ln_t = if y[n].is_zero() {
            Float::with_val(p, rug::float::Special::NegInfinity)
        } else {
            Float::with_val(p, gt + Float::with_val(p, y[n].ln_ref()))
        };
        let w_hat: Vec<Float> = der
            .w
            .iter()
            .map(|x| Float::with_val(p, x / &der.gamma))
            .collect();
        let n2 = norm2(p, &der.w);
        let direction = der.w.iter().map(|x| Float::with_val(p, x / &n2)).collect();
        Summary {
            gt: Float::with_val(p, gt),
            loss_exp10,
            gamma: der.gamma.clone(),
            ln_t,
            w_hat_l1: norm1(p, &w_hat),
            w_hat_l2: norm2(p, &w_hat),
            w_hat,
            direction,
            w: der.w,
            nu: y[..n].to_vec(),
            margins: der.margins,
            drift,
            drift_rel,
        }
    }
}

/// A run with its verification.
pub struct Verified {
    pub main: Solution,
    pub check: Option<Solution>,
    /// correct digits of w_hat (normwise relative, infinity norm) from the comparison,
    /// None without verification
    pub digits: Option<u32>,
    /// per-sample digits (same comparison at each sample)
    pub sample_digits: Vec<u32>,
}

/// Settings of the verification run for a main run: 64 more bits (or half as many
/// again, whichever is more) and a tolerance 10^-15 tighter, with stages chosen for it.
pub fn verification_numerics(main: &Numerics) -> Numerics {
    let prec = main.prec + (main.prec / 2).max(64);
    let tol = &main.tol * crate::num::ten_pow_neg(15);
    let stages = default_stages(&tol).max(main.stages);
    Numerics { prec, tol, stages }
}

/// The digits of w_hat that agree between two states (`a` at lower precision).
pub fn agreeing_digits(fa: &DiagFlow, a: &[Float], fb: &DiagFlow, b: &[Float], cap: u32) -> u32 {
    let p = fb.prec;
    let wa = fa.derive(&a[..fa.n]);
    let wb = fb.derive(&b[..fb.n]);
    let ha: Vec<Float> =
        wa.w.iter()
            .map(|x| Float::with_val(p, x / &wa.gamma))
            .collect();
    let hb: Vec<Float> =
        wb.w.iter()
            .map(|x| Float::with_val(p, x / &wb.gamma))
            .collect();
    crate::num::agreeing_digits(&ha, &hb, cap)
}

/// Run the flow for a dataset, and unless `verify` is false, run it again with
/// [`verification_numerics`] and count the digits of w_hat that agree (capped by what
/// the main run's precision carries).
#[allow(clippy::too_many_arguments)]
pub fn run_verified(
    z: &[Vec<Rational>],
    depth: u32,
    alpha: &Rational,
    rule: &StopRule,
    numerics: &Numerics,
    sample_at: &[Rational],
    verify: bool,
    mut progress: impl FnMut(usize, &Float) + Send,
) -> Result<Verified, FlowError> {
    let flow = DiagFlow::new(z, depth, alpha, numerics.prec);
    let gt = rule.gt(alpha, depth, numerics.prec);
    let samples: Vec<Float> = sample_at
        .iter()
        .map(|q| from_rational(numerics.prec, q))
        .collect();
    let main = integrate(&flow, numerics, &gt, &samples, |x| progress(0, x))?;
    if !verify {
        return Ok(Verified {
            main,
            check: None,
            digits: None,
            sample_digits: Vec::new(),
        });
    }
    let vn = verification_numerics(numerics);
    let vflow = DiagFlow::new(z, depth, alpha, vn.prec);
    let vgt = rule.gt(alpha, depth, vn.prec);
    let vsamples: Vec<Float> = sample_at
        .iter()
        .map(|q| from_rational(vn.prec, q))
        .collect();
    let check = integrate(&vflow, &vn, &vgt, &vsamples, |x| progress(1, x))?;
    let cap = decimal_digits_of_bits(numerics.prec).saturating_sub(super::bits_needed(&gt, 0) / 3);
    let digits = agreeing_digits(&flow, &main.y, &vflow, &check.y, cap);
    let sample_digits = main
        .samples
        .iter()
        .zip(&check.samples)
        .map(|((_, a), (_, b))| agreeing_digits(&flow, a, &vflow, b, cap))
        .collect();
    Ok(Verified {
        main,
        check: Some(check),
        digits: Some(digits),
        sample_digits,
    })
}

/// Log-spaced sample points: `count` points from `lo` to `hi` (exact endpoints),
/// computed in MPFR at precision `prec` and rounded to rationals with `prec` bits.
pub fn log_spaced(lo: &Rational, hi: &Rational, count: usize, prec: u32) -> Vec<Rational> {
    if count == 0 {
        return Vec::new();
    }
    if count == 1 {
        return vec![hi.clone()];
    }
    let l = from_rational(prec, lo).ln();
    let h = from_rational(prec, hi).ln();
    let step = Float::with_val(prec, &h - &l) / ((count - 1) as u32);
    (0..count)
        .map(|k| {
            if k == 0 {
                return lo.clone();
            }
            if k == count - 1 {
                return hi.clone();
            }
            let mut x = Float::with_val(prec, &step * (k as u32));
            x += &l;
            let e = x.exp();
            e.to_rational().unwrap_or_default()
        })
        .collect()
}
