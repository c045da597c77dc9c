//! The transition-regime reference `w_mu = argmin Q^D_mu(w) s.t. z_n^T w >= 1`
//! (docs/math.md §6), for any `mu > 0` and depth `D >= 2`, in MPFR.
//!
//! # Scaling convention (docs/math.md §6.2, from eq. 6 of the paper)
//!
//! ```text
//! Q^D_mu(w)        = sum_i q^D(w_i / mu)
//! d Q^D_mu / d w_i = (1/mu) q^D'(w_i / mu) = (1/mu) h_D^{-1}(w_i / mu)
//! ```
//!
//! with `h_2(s) = 2 sinh(s)` (so `q^2'(z) = asinh(z/2) = h_2^{-1}(z)`) and, for `D >= 3`,
//! `h_D(s) = (1-s)^(-e) - (1+s)^(-e)`, `e = D/(D-2)`. Stationarity
//! `grad Q_mu(w) = Z lambda` therefore inverts to the single formula
//!
//! ```text
//! w_i = mu h_D(mu theta_i),   theta = Z lambda
//! ```
//!
//! i.e. `w_i = 2 mu sinh(mu theta_i)` (D = 2) and `w_i = mu h_D(mu theta_i)` with
//! `|mu theta_i| < 1` (D >= 3), exactly the explicit form of docs/math.md §6.2. The
//! multipliers are those of this normalization of `Q` (a constant factor in `Q` would
//! rescale `lambda`). It is the same normalization as the flow's dual certificate: for
//! D = 2, `w = 2 alpha^2 sinh(4 beta)`, `w_hat = w / gamma`, `mu' = alpha^2 / gamma` give
//! `grad Q_mu'(w_hat) = (4 gamma / alpha^2) Z nu` (docs/math.md §4, kappa).
//!
//! # The dual
//!
//! With `theta = Z lambda` and the convex conjugate of one coordinate of `Q_mu`,
//!
//! ```text
//! phi(theta) = 2 (cosh(mu theta) - 1)                                     (D = 2)
//! phi(theta) = [(1-s)^(1-e) + (1+s)^(1-e) - 2] / (e - 1),  s = mu theta     (D >= 3)
//! ```
//!
//! (`phi' = w(theta)`, `phi'' = dw/dtheta = 2 mu^2 cosh(mu theta)` resp. `mu^2 h_D'(s)`), the
//! problem is `min_{lambda >= 0} f(lambda) = sum_i phi((Z lambda)_i) - sum_n lambda_n`,
//! i.e. minus the concave dual `g(lambda)`. `grad f = Z^T w - 1`, `hess f = Z^T diag(dw/dtheta) Z`.
//! For D >= 3, `f = +inf` outside `|mu theta_i| < 1`, which keeps every iterate in the domain.
//!
//! # The solver
//!
//! Projected Newton (Bertsekas 1982) on `min_{lambda >= 0} f`, iterated at working precision
//! until the natural residual `r = max_n |min(lambda_n / max(lambda), g_n)|` (`g = Z^T w - 1`)
//! is below `2^-(prec + 20)`. Each iteration:
//!
//! 1. Basic multipliers: while the rows with `lambda_n > 0` are linearly dependent, move
//!    along a null direction `v` (`Z v = 0`: `w` is unchanged and `f` changes by
//!    `-t sum(v) <= 0`) until one multiplier reaches zero (a simplex-like ratio test).
//!    Without this, a free set larger than the rank crawls along the flat null directions.
//! 2. Epsilon-active set `W = {n : lambda_n <= eps, g_n > 0}`, `eps = max(lambda) min(2^-10, r)`:
//!    step `-max(g_n / H_nn, lambda_n)` (reaches the bound at a unit step).
//! 3. Free set `F`: Newton step `-(H_FF + rho I)^{-1} g_F`, `H = Z^T diag(dw/dtheta) Z`, with
//!    `rho = 0` unless `|F| > d`, the previous step was strongly damped, or the solve is
//!    numerically singular (non-finite or non-descent); then the Levenberg-Marquardt shift
//!    `rho = max diag(H_FF) min(2^-10, r)` (increased until the step is a descent step).
//! 4. Armijo backtracking along the projection arc `max(0, lambda + t d)` with Bertsekas's
//!    sufficient-decrease test; a unit step is also accepted (watchdog) when it halves the
//!    best natural residual so far, which keeps the quadratic convergence once the change
//!    in `f` is below its rounding. For D >= 3, points outside `|mu theta_i| < 1` have
//!    `f = +inf` and are rejected by the line search.
//!
//! Starting point: the lowest-`f` of the minimizers of `f` along two rays (a 1-D convex
//! problem, safeguarded Newton): through the exact multipliers of the l1 max-margin LP
//! (`crate::lp::l1_max_margin`, computed once; for small mu `lambda_mu` points that way,
//! with `|mu (Z lambda)_i| -> 1` on the l1 support) and through the warm start if one is
//! given ([`qmu_path`] passes the previous mu's multipliers). The ray through the LP
//! multipliers contains `lambda = 0`.
//!
//! Once the support is identified the iteration is Newton's method on the support's KKT
//! system and converges quadratically (visible in the iteration counts: 2-9 per point
//! along a warm-started path at 64-1024 bits, 5-20 from a cold start).
//! For D >= 3 and `|s| < 2^-16` the coordinate functions are evaluated as
//! `h(s) = 2 sinh(D b) exp(-D c/2)`, `b = atanh(s)/(D-2)`, `c = log1p(-s^2)/(D-2)` (and
//! likewise `h'` and the conjugate), free of cancellation for small `|s|` (large mu);
//! for larger `|s|` from `(1 -+ s)^(1/(D-2))` (cheaper; `1 - s` is exact).
//!
//! # Precision
//!
//! Work is done at [`internal_precision`]:
//! `prec + 64 + max(0, ceil log2(1/mu)) + ceil log2(N d + 1)` bits. The `1/mu` term covers
//! the growth of the multipliers (`lambda ~ log(1/mu) / mu` for D = 2, `~ 1/mu` for D >= 3,
//! and the cancellation in `Z lambda`) and, for D >= 3, the loss of
//! `log2(1/(1 - |s|)) <= log2(1/mu) / e` bits in `1 - s` near the boundary; the `N d` term
//! the rounding accumulated in `Z lambda` and `Z^T w`. Outputs are rounded to `prec` and the
//! KKT residuals are evaluated from the rounded outputs, in `prec`-bit arithmetic with the
//! exact rational data ([`kkt_residuals`]). A solution is returned only when every residual
//! is below [`certificate_threshold`]`(prec) = 2^-(prec - 32)`; otherwise the result is
//! [`QmuError::NotConverged`] (with the three residuals in the message).
//!
//! The complementarity residual is scaled: `max_n lambda_n |z_n^T w - 1| / max(1,
//! max_n lambda_n)`. (An absolute `lambda_n |z_n^T w - 1|` has a rounding floor of about
//! `max(lambda) 2^-prec`, since rounding `w` moves a margin by about `2^-prec`; as the
//! multipliers grow like 1/mu, small mu such as 1e-12 could then never be certified,
//! whatever the precision. Scaling by the largest multiplier, as interior-point codes do,
//! removes that floor and leaves the residual a relative measure like the other two.)
//!
//! Scalar functions (`h_d`, `h_d_inv`, `q_d`, `q_d_prime`) return results at the precision
//! of their argument and use guard bits internally (adaptive where there is cancellation).
//!
//! # Layout
//!
//! `coords.rs`: the coordinate functions (`h_d`, `h_d_prime`, `h_d_inv`, `q_d`) and the
//! coordinate-wise maps [`q_mu`], [`grad_q_mu`], [`stationary_w`]; `kkt.rs`: the residuals
//! and the certificate threshold; `dual.rs`: the dual problem (evaluation, natural residual,
//! the ray minimization of the starting point); `newton.rs`: the projected Newton
//! iteration; this file: the entry points [`solve_qmu`] and [`qmu_path`] and their types.

mod coords;
mod dual;
mod kkt;
mod newton;
#[cfg(test)]
mod tests;

pub use coords::{grad_q_mu, h_d, h_d_inv, h_d_prime, q_d, q_d_prime, q_mu, stationary_w};
pub use kkt::{certificate_threshold, kkt_residuals, KktResiduals};

use crate::num::fmt_sig;
use crate::num::from_rational;
use dual::{Point, Problem};
use rug::{Assign, Float, Rational};

/// The smallest output precision accepted (the certificate keeps `prec - 32` bits).
pub const MIN_PREC: u32 = 64;

/// A certified solution `w_mu` with its multipliers.
#[derive(Clone, Debug)]
pub struct QmuSolution {
    pub mu: Rational,
    pub depth: u32,
    /// Output precision of `w`, `lambda` and the residuals.
    pub prec: u32,
    pub w: Vec<Float>,
    pub lambda: Vec<Float>,
    /// Indices `n` with `lambda_n > 0` (the support vectors), increasing; the rows are
    /// linearly independent (a basic multiplier set when lambda is not unique).
    pub support: Vec<usize>,
    /// Evaluated from the rounded `w`, `lambda` at `prec` bits; all below the threshold.
    pub residuals: KktResiduals,
    /// Newton iterations used.
    pub iterations: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum QmuError {
    #[error("mu must be positive")]
    NonPositiveMu,
    #[error("precision {prec} bits is too low for the certificate threshold 2^-(prec-32); at least {needed} bits are needed")]
    PrecisionTooLow { prec: u32, needed: u32 },
    #[error("the Q_mu solver did not reach the certificate threshold after {iterations} iterations (largest KKT residual {residual})")]
    NotConverged { iterations: usize, residual: String },
    #[error("the data are not linearly separable: no w has z_n^T w >= 1 for all n")]
    NotSeparable,
}

/// The working precision for output precision `prec` (module docs):
/// `prec + 64 + max(0, ceil log2(1/mu)) + ceil log2(N d + 1)`.
pub fn internal_precision(prec: u32, mu: &Rational, n: usize, d: usize) -> u32 {
    // ceil log2(1/mu) <= bits(den) - bits(num) + 1, from the exact integers (no floats)
    let inv_bits =
        (i64::from(mu.denom().significant_bits()) - i64::from(mu.numer().significant_bits()) + 1)
            .max(0) as u32;
    let nd = (n * d + 1) as u64;
    let nd_bits = 64 - nd.leading_zeros();
    prec + 64 + inv_bits + nd_bits
}

fn check_inputs(depth: u32, mu: &Rational, prec: u32) -> Result<(), QmuError> {
    assert!(depth >= 2, "depth must be >= 2");
    if *mu <= 0 {
        return Err(QmuError::NonPositiveMu);
    }
    if prec < MIN_PREC {
        return Err(QmuError::PrecisionTooLow {
            prec,
            needed: MIN_PREC,
        });
    }
    Ok(())
}

/// Checks the data and returns the multipliers of the l1 max-margin LP (exact), which
/// double as the separability test (`None` iff not separable) and as the direction of the
/// small-mu starting point.
fn check_data(z: &[Vec<Rational>]) -> Result<Vec<Rational>, QmuError> {
    let d = z.first().map_or(0, Vec::len);
    assert!(
        z.iter().all(|r| r.len() == d),
        "all data rows must have the same length"
    );
    if z.is_empty() {
        return Ok(Vec::new()); // no constraints: w = 0
    }
    match crate::lp::l1_max_margin(z) {
        Some((_, lambda)) => Ok(lambda),
        None => Err(QmuError::NotSeparable),
    }
}

/// `w_mu` for the data rows `z` (N rows `z_n = y_n x_n` of length d), depth `D >= 2`
/// (panics otherwise, and on rows of unequal length), output precision `prec >= 64`.
/// `warm`: multipliers to start from (length N; e.g. the `lambda` of a nearby mu), clipped
/// to `lambda >= 0` and rescaled along their ray; used when better (lower dual objective)
/// than the start from the l1-LP multipliers.
///
/// Errors: `mu <= 0`, `prec < 64`, data not separable (exact LP), or a result that does not
/// meet the certificate threshold (never returned as a solution).
pub fn solve_qmu(
    z: &[Vec<Rational>],
    depth: u32,
    mu: &Rational,
    prec: u32,
    warm: Option<&[Float]>,
) -> Result<QmuSolution, QmuError> {
    check_inputs(depth, mu, prec)?;
    let lp_dual = check_data(z)?;
    solve_checked(z, depth, mu, prec, warm, &lp_dual)
}

fn solve_checked(
    z: &[Vec<Rational>],
    depth: u32,
    mu: &Rational,
    prec: u32,
    warm: Option<&[Float]>,
    lp_dual: &[Rational],
) -> Result<QmuSolution, QmuError> {
    let n = z.len();
    let d = z.first().map_or(0, Vec::len);
    let p = internal_precision(prec, mu, n, d);
    let prob = Problem::new(z, depth, mu, p);
    // starting point: the best (lowest f) of the minimizers of f along the rays through the
    // l1-LP multipliers and through the warm start (the ray through lambda = 0 is included)
    let mut start: Option<Point> = None;
    let mut consider = |dir: Vec<Float>| {
        if let Some(pt) = prob.ray_min(dir) {
            if start.as_ref().is_none_or(|s| pt.f < s.f) {
                start = Some(pt);
            }
        }
    };
    consider(lp_dual.iter().map(|l| from_rational(p, l)).collect());
    if let Some(wl) = warm {
        assert_eq!(
            wl.len(),
            n,
            "warm start must have one multiplier per data row"
        );
        consider(
            wl.iter()
                .map(|l| {
                    let mut v = Float::with_val(p, l);
                    if v.is_sign_negative() || !v.is_finite() {
                        v.assign(0);
                    }
                    v
                })
                .collect(),
        );
    }
    let start = match start {
        Some(pt) => pt.lambda,
        None => vec![Float::new(p); n],
    };
    let tol = Float::with_val(p, Float::i_exp(1, -(prec as i32 + 20)));
    let (mut pt, iterations, _) = match prob.newton(start, &tol) {
        Some(x) => x,
        None => {
            return Err(QmuError::NotConverged {
                iterations: 0,
                residual: "start point outside the domain".into(),
            })
        }
    };
    // a basic multiplier set (drops multipliers of dependent rows: w is unchanged)
    pt = prob.reduce_dependent(pt);
    // clean-up: multipliers that are zero to the tolerance
    let mut big = Float::new(p);
    for l in &pt.lambda {
        if *l > big {
            big.assign(l);
        }
    }
    // (below max(lambda) 2^-(prec+20) a multiplier moves Z lambda by less than the
    // rounding of the output, active row or not)
    let small = Float::with_val(p, &big * &tol);
    if pt.lambda.iter().any(|l| !l.is_zero() && *l <= small) {
        let lam: Vec<Float> = pt
            .lambda
            .iter()
            .map(|l| {
                if *l <= small {
                    Float::new(p)
                } else {
                    l.clone()
                }
            })
            .collect();
        if let Some(np) = prob.eval(lam) {
            pt = np;
        }
    }
    let w: Vec<Float> = pt.w.iter().map(|x| Float::with_val(prec, x)).collect();
    let lambda: Vec<Float> = pt.lambda.iter().map(|x| Float::with_val(prec, x)).collect();
    let residuals = kkt_residuals(z, depth, mu, prec, &w, &lambda);
    if !residuals.certified(prec) {
        let lmax = crate::num::max_abs(prec, &lambda);
        let msg = format!(
            "{} (stationarity {}, primal infeasibility {}, complementarity {}; largest multiplier {}; threshold {})",
            fmt_sig(&residuals.max(), 6),
            fmt_sig(&residuals.stationarity, 3),
            fmt_sig(&residuals.primal_infeasibility, 3),
            fmt_sig(&residuals.complementarity, 3),
            fmt_sig(&lmax, 3),
            fmt_sig(&certificate_threshold(prec), 3),
        );
        return Err(QmuError::NotConverged {
            iterations,
            residual: msg,
        });
    }
    let support = (0..n).filter(|&k| !lambda[k].is_zero()).collect();
    Ok(QmuSolution {
        mu: mu.clone(),
        depth,
        prec,
        w,
        lambda,
        support,
        residuals,
        iterations,
    })
}

/// `w_mu` for every mu of `mus` (any order): solved from the largest mu to the smallest,
/// each warm-started from the previous multipliers; results in the input order.
/// The first error ends the path.
pub fn qmu_path(
    z: &[Vec<Rational>],
    depth: u32,
    mus: &[Rational],
    prec: u32,
) -> Result<Vec<QmuSolution>, QmuError> {
    for mu in mus {
        check_inputs(depth, mu, prec)?;
    }
    if mus.is_empty() {
        return Ok(Vec::new());
    }
    let lp_dual = check_data(z)?;
    let mut order: Vec<usize> = (0..mus.len()).collect();
    order.sort_by(|&a, &b| mus[b].cmp(&mus[a]));
    let mut out: Vec<Option<QmuSolution>> = vec![None; mus.len()];
    // warm start: the previous multipliers (solve_checked rescales them optimally)
    let mut prev: Option<Vec<Float>> = None;
    for &j in &order {
        let sol = solve_checked(z, depth, &mus[j], prec, prev.as_deref(), &lp_dual)?;
        prev = Some(sol.lambda.clone());
        out[j] = Some(sol);
    }
    Ok(out
        .into_iter()
        .map(|s| s.expect("every mu solved"))
        .collect())
}
