//! `argmin Q^D_alpha(w) s.t. X^T w = y` in MPFR (docs/math.md §13.3): the `w = W(X nu)`
//! with `X^T W(X nu) = y`, by damped Newton on the convex dual `Phi` (`dual.rs`) over a
//! basis of the points, with continuation in alpha.
//!
//! * Start: the kernel guess `nu_K = (X^T X)^{-1} y / W'(0)` at
//!   `alpha_0 = 2^k`, the smallest power of two with `alpha_0^D >= 4 ||w_K||_inf`
//!   (`w_K = X (X^T X)^{-1} y`, the min-l2 interpolator): there `W` is nearly linear on the
//!   solution (`|4 beta| <= 1/8` for D = 2, `|s| <= 1/4` for D >= 3) and Newton converges
//!   from `nu_K` at once. When `alpha >= alpha_0` that is the whole solve.
//! * Continuation for `alpha < alpha_0`, in `t = ln(alpha_0 / alpha_t)`: from a solution
//!   at `t`, predict at `t + h` and correct by Newton (to `2^-48` at the continuation
//!   precision); `h` doubles after an easy correction (at most 3 iterations) and halves
//!   after a failure. The predictor follows the tangent
//!   `d nu/dt = tau + (D - 2) nu`, `tau = D H^{-1} X^T w` (no cancellation), in the
//!   variable in which the small-alpha path is affine:
//!   D = 2: `nu + h tau` (`nu ~ (t/2) lambda_l1`);
//!   D >= 3: `lambda = c nu -> lambda_l1` with `lambda - lambda_l1 ~ e^{-(D-2) t}`, so
//!   `nu(t+h) = (c_t / c_{t+h}) [nu + tau (1 - e^{-(D-2) h}) / (D - 2)]`.
//! * Polish: Newton at the working precision at alpha itself, until the step changes `w`
//!   by less than `2^-(prec + 16)` relative to `||w||_inf`.
//!
//! Precision: `guard = 64 + ceil log2(N d + 1)`; the working precision adds to
//! `prec + guard` the bits lost in evaluating `w` from `nu`: for D >= 3 and alpha < 1,
//! `1 - |s| ~ alpha^(D-2) |w|^(-(D-2)/D)` on the support, i.e.
//! `(D - 2) log2(1/alpha) + log2(max(1, d ||w_K||_inf))` bits (a bound on `||w||_inf` of
//! the min-l1 solution), and 2 log2(1/alpha) more resolve the off-support terms, of
//! relative size alpha^D, through which the gradient sees the directions only
//! off-support coordinates feel when the support is smaller than N (D log2(1/alpha) in
//! all: docs/math.md §13.3); for D = 2, `log2(4 |beta|) ~ log2 log2(1/alpha)` bits. The
//! Hessian and the Newton step are computed at `max(prec, 128) + guard` bits.

use super::dual::{pow2_root_above, Converged, Dual, Point};
use super::{check_dims, point_basis, RegressionError};
use crate::model::{MAX_DEPTH, MIN_DEPTH};
use crate::num::linalg::RealLu;
use crate::num::{agreeing_digits, decimal_digits_of_bits, from_rational, max_abs};
use rug::float::Round;
use rug::ops::Pow;
use rug::{Assign, Float, Rational};

/// Iteration caps.
const MAX_POLISH_ITER: usize = 100;
const MAX_STEP_ITER: usize = 12;
/// Bits of the continuation's corrector tolerance.
const CONT_TOL_BITS: i32 = 48;

/// One solve (no verification): see [`q_alpha_limit`] for the certified answer.
#[derive(Clone, Debug)]
pub struct QAlphaSolve {
    /// `w = W(X nu)`, rounded to the requested precision.
    pub w: Vec<Float>,
    /// The dual variables (length `N`, zero outside a basis of the points), at the working
    /// precision: for D >= 3 and small alpha `w` depends on the last
    /// `(D-2) log2(1/alpha)` bits of `nu`.
    pub nu: Vec<Float>,
    /// Newton iterations of all stages.
    pub newton_iterations: usize,
    /// Continuation steps in alpha (0 when alpha >= alpha_0).
    pub continuation_steps: usize,
    /// The starting alpha_0 of the continuation (exact power of two).
    pub alpha_start: Rational,
    /// The working precision (bits).
    pub work_prec: u32,
}

/// The certified solution of [`q_alpha_limit`].
#[derive(Clone, Debug)]
pub struct QAlphaSolution {
    /// The solve at the requested precision.
    pub solve: QAlphaSolve,
    /// `max_n |x_n^T w - y_n|` for the returned (rounded) `w`, computed exactly over the
    /// rationals and rounded up.
    pub residual: Float,
    /// `max_i |w_i - W((X nu)_i)| / ||w||_inf`, evaluated 64 bits above the working
    /// precision with the exact data (the rounding of `w`).
    pub stationarity: Float,
    /// Significant decimal digits (normwise, infinity norm) on which `w` agrees with a
    /// second, independent solve at 64 more bits; at most the digits `prec` carries.
    pub verified_digits: u32,
    /// The verification solve's `w`.
    pub w_verify: Vec<Float>,
}

/// Failures of [`q_alpha_limit`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum QAlphaError {
    #[error(transparent)]
    NotInterpolable(#[from] RegressionError),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("Q^D_alpha solve did not converge: {0}")]
    NotConverged(String),
}

fn ceil_log2(v: u64) -> u32 {
    64 - v.saturating_sub(1).leading_zeros()
}

/// `argmin Q^D_alpha(w) s.t. X^T w = y` by one solve at precision `prec` (module docs).
///
/// # Errors
/// [`QAlphaError::NotInterpolable`] (with its certificate), [`QAlphaError::InvalidInput`]
/// for `alpha <= 0`, a depth outside `[MIN_DEPTH, MAX_DEPTH]` or `prec < 64`, and
/// [`QAlphaError::NotConverged`].
///
/// # Panics
/// If the points have different lengths or `y` has the wrong length.
pub fn q_alpha_solve(
    points: &[Vec<Rational>],
    y: &[Rational],
    depth: u32,
    alpha: &Rational,
    prec: u32,
) -> Result<QAlphaSolve, QAlphaError> {
    let d = check_dims(points, y);
    if *alpha <= 0 {
        return Err(QAlphaError::InvalidInput(format!("alpha = {alpha} <= 0")));
    }
    if !(MIN_DEPTH..=MAX_DEPTH).contains(&depth) {
        return Err(QAlphaError::InvalidInput(format!("depth {depth}")));
    }
    if prec < 64 {
        return Err(QAlphaError::InvalidInput(format!("precision {prec} < 64")));
    }
    let nn = points.len();
    let basis = point_basis(points, y)?;
    let pts: Vec<Vec<Rational>> = basis.iter().map(|&n| points[n].clone()).collect();
    let yb: Vec<Rational> = basis.iter().map(|&n| y[n].clone()).collect();
    let guard = 64 + ceil_log2((nn * d) as u64 + 1);
    let pd = prec.max(128) + guard;
    let zero_solve = |work_prec| QAlphaSolve {
        w: vec![Float::new(prec); d],
        nu: vec![Float::new(work_prec); nn],
        newton_iterations: 0,
        continuation_steps: 0,
        alpha_start: alpha.clone(),
        work_prec,
    };
    if yb.iter().all(|v| *v == 0) {
        return Ok(zero_solve(prec));
    }
    // Kernel guess: c = (X^T X)^{-1} y, w_K = X c.
    let xk: Vec<Vec<Float>> = pts
        .iter()
        .map(|r| r.iter().map(|v| from_rational(pd, v)).collect())
        .collect();
    let nb = pts.len();
    let mut gram = vec![Float::new(pd); nb * nb];
    for a in 0..nb {
        for b in 0..nb {
            let mut s = Float::new(pd);
            for (u, v) in xk[a].iter().zip(&xk[b]) {
                s += Float::with_val(pd, u * v);
            }
            gram[a * nb + b] = s;
        }
    }
    let lu = RealLu::factor(gram, nb)
        .ok_or_else(|| QAlphaError::NotConverged("numerically singular Gram matrix".into()))?;
    let mut c: Vec<Float> = yb.iter().map(|v| from_rational(pd, v)).collect();
    lu.solve(&mut c);
    let mut wk = vec![Float::new(pd); d];
    for (row, cn) in xk.iter().zip(&c) {
        for (o, x) in wk.iter_mut().zip(row) {
            *o += Float::with_val(pd, x * cn);
        }
    }
    let m = max_abs(pd, &wk);
    let alpha_start = pow2_root_above(&Float::with_val(pd, &m * 4u32), depth);
    // bits lost in evaluating w from nu at a given alpha (module docs)
    let lm = Float::with_val(pd, &m * d as u32)
        .get_exp()
        .unwrap_or(0)
        .max(0) as u32;
    let extra_at = |a: &Rational| -> u32 {
        let la = (i64::from(a.denom().significant_bits()) - i64::from(a.numer().significant_bits())
            + 1)
        .max(0) as u32;
        if depth == 2 {
            ceil_log2(u64::from(la) + 2) + 2
        } else if la > 0 {
            depth * la + lm
        } else {
            0
        }
    };
    let extra = extra_at(alpha);
    let work = prec + guard + extra;
    // D >= 3: the continuation carries `cont_base` bits of w beyond the `extra` that
    // 1 - |s| consumes; a step h needs 2 (D-2) h / ln 2 of them (module docs)
    let cont_base = if depth == 2 {
        64
    } else {
        (extra / 4).clamp(64, 2048)
    };
    let cont = |a: &Rational| cont_base + guard + extra_at(a);
    let kernel_nu = |dual: &Dual| -> Vec<Float> {
        let w0 = dual.mirror.eval(&Float::new(dual.p)).dw;
        c.iter().map(|v| Float::with_val(dual.p, v / &w0)).collect()
    };
    let nc = |e: String| QAlphaError::NotConverged(e);
    let start = |dual: &Dual, nu: Vec<Float>| -> Result<Point, QAlphaError> {
        dual.eval(nu)
            .ok_or_else(|| nc("starting point outside the domain".into()))
    };
    let mut iters = 0;
    let mut steps = 0;
    let finish = |conv: Converged, iters: usize, steps: usize| -> QAlphaSolve {
        let mut nu = vec![Float::new(work); nn];
        for (&n, v) in basis.iter().zip(conv.pt.nu) {
            nu[n] = v;
        }
        QAlphaSolve {
            w: conv.pt.w.iter().map(|v| Float::with_val(prec, v)).collect(),
            nu,
            newton_iterations: iters + conv.iters,
            continuation_steps: steps,
            alpha_start: alpha_start.clone(),
            work_prec: work,
        }
    };
    let polish_tol = prec as i32 + 16;
    if *alpha >= alpha_start {
        let dual = Dual::new(&pts, &yb, depth, alpha, work, pd);
        let pt = start(&dual, kernel_nu(&dual))?;
        let conv = dual.newton(pt, polish_tol, MAX_POLISH_ITER).map_err(nc)?;
        return Ok(finish(conv, 0, 0));
    }
    let mut a_cur = alpha_start.clone();
    let mut dual = Dual::new(&pts, &yb, depth, &a_cur, cont(&a_cur), pd);
    let pt = start(&dual, kernel_nu(&dual))?;
    let mut conv = dual
        .newton(pt, CONT_TOL_BITS, MAX_POLISH_ITER)
        .map_err(nc)?;
    iters += conv.iters;
    let mut h = Float::with_val(64, Float::i_exp(1, -1));
    let ln2 = Float::with_val(64, rug::float::Constant::Log2);
    let h_max = if depth == 2 {
        Float::with_val(64, rug::float::Special::Infinity)
    } else {
        Float::with_val(64, cont_base - 16) * &ln2 / (2 * (depth - 2))
    };
    let h_min = Float::with_val(64, Float::i_exp(1, -40));
    let dm2 = depth - 2;
    loop {
        // The tangent at a precision that resolves the predicted 1 - |s| (D >= 3): its
        // relative error 2^-q is amplified by e^{2 (D-2) h} (docs/math.md §13.3).
        let amp = (Float::with_val(64, &h * (2 * dm2)) / &ln2).ceil();
        let amp = amp.to_u32_saturating().unwrap_or(u32::MAX);
        let q = (pd + 16).saturating_add(amp).min(dual.p.max(pd));
        if dm2 > 0 && amp > 0 {
            // the same amplification applies to the current point's error: polish it
            let bits = (CONT_TOL_BITS as u32)
                .saturating_add(amp)
                .min(cont_base + 32);
            let polished = dual
                .newton(conv.pt, bits as i32, MAX_POLISH_ITER)
                .map_err(nc)?;
            iters += polished.iters;
            conv = polished;
        }
        let tau: Vec<Float> = dual
            .tangent(&conv.pt, q)
            .ok_or_else(|| nc("singular Hessian".into()))?
            .into_iter()
            .map(|v| v * depth)
            .collect();
        let (next_dual, next, last, a_next) = loop {
            if h < h_min {
                return Err(nc(format!(
                    "continuation step below 2^-40 at alpha = {}",
                    crate::num::fmt_sig(&from_rational(64, &a_cur), 6)
                )));
            }
            let a_f = from_rational(64, &a_cur) / Float::with_val(64, h.exp_ref());
            let last = a_f <= *alpha;
            let a_next = if last {
                alpha.clone()
            } else {
                a_f.to_rational().expect("finite")
            };
            let dt = from_rational(q, &Rational::from(&a_cur / &a_next)).ln();
            let nd = Dual::new(&pts, &yb, depth, &a_next, cont(&a_next), pd);
            let p = nd.p;
            let nu_pred: Vec<Float> = if dm2 == 0 {
                conv.pt
                    .nu
                    .iter()
                    .zip(&tau)
                    .map(|(v, t)| Float::with_val(p, t * &dt) + v)
                    .collect()
            } else {
                let f = -Float::with_val(q, -Float::with_val(q, &dt * dm2)).exp_m1() / dm2;
                let r = from_rational(p, &Rational::from(&a_cur / &a_next).pow(dm2));
                conv.pt
                    .nu
                    .iter()
                    .zip(&tau)
                    .map(|(v, t)| (Float::with_val(p, t * &f) + v) * &r)
                    .collect()
            };
            let tried = nd
                .eval(nu_pred)
                .map(|pt| nd.newton(pt, CONT_TOL_BITS, MAX_STEP_ITER));
            match tried {
                Some(Ok(c)) if c.iters <= 10 => break (nd, c, last, a_next),
                Some(Ok(c)) => iters += c.iters,
                Some(Err(_)) => iters += MAX_STEP_ITER,
                None => {}
            }
            h /= 2u32;
        };
        iters += next.iters;
        steps += 1;
        if next.iters <= 3 {
            h *= 2u32;
            if h > h_max {
                h.assign(&h_max);
            }
        }
        a_cur = a_next;
        dual = next_dual;
        conv = next;
        if last {
            break;
        }
    }
    let fdual = Dual::new(&pts, &yb, depth, alpha, work, pd);
    let nu: Vec<Float> = conv
        .pt
        .nu
        .iter()
        .map(|v| Float::with_val(work, v))
        .collect();
    let pt = start(&fdual, nu)?;
    let fin = fdual.newton(pt, polish_tol, MAX_POLISH_ITER).map_err(nc)?;
    Ok(finish(fin, iters, steps))
}

/// `argmin Q^D_alpha(w) s.t. X^T w = y`, certified: a solve at `prec` and an independent
/// one at `prec + 64` (different working, direction and continuation precisions), the
/// digits on which their `w` agree, the exact residual of the returned `w` and its
/// stationarity `w = W(X nu)`.
///
/// # Errors
/// As [`q_alpha_solve`].
///
/// # Panics
/// If the points have different lengths or `y` has the wrong length.
pub fn q_alpha_limit(
    points: &[Vec<Rational>],
    y: &[Rational],
    depth: u32,
    alpha: &Rational,
    prec: u32,
) -> Result<QAlphaSolution, QAlphaError> {
    let d = check_dims(points, y);
    let main = q_alpha_solve(points, y, depth, alpha, prec)?;
    let ver = q_alpha_solve(points, y, depth, alpha, prec + 64)?;
    let cap = decimal_digits_of_bits(prec);
    let pv = prec + 64;
    let wm: Vec<Float> = main.w.iter().map(|v| Float::with_val(pv, v)).collect();
    let verified_digits = if wm.iter().chain(&ver.w).all(Float::is_zero) {
        cap
    } else {
        agreeing_digits(&wm, &ver.w, cap)
    };
    // exact residual of the rounded w
    let wq: Vec<Rational> = main
        .w
        .iter()
        .map(|v| v.to_rational().expect("finite w"))
        .collect();
    let mut res = Rational::new();
    for (x, yn) in points.iter().zip(y) {
        let r = (crate::num::rational::dot(x, &wq) - yn).abs();
        if r > res {
            res = r;
        }
    }
    let residual = Float::with_val_round(prec, &res, Round::Up).0;
    // stationarity: w against W(X nu) at 64 more bits than the working precision
    let pc = main.work_prec + 64;
    let mirror = crate::model::Mirror::new(depth, alpha, pc);
    let mut beta = vec![Float::new(pc); d];
    for (x, v) in points.iter().zip(&main.nu) {
        if v.is_zero() {
            continue;
        }
        for (b, xi) in beta.iter_mut().zip(x) {
            *b += from_rational(pc, xi) * v;
        }
    }
    let wx: Vec<Float> = beta.iter().map(|b| mirror.w(b)).collect();
    let mut num = Float::new(pc);
    for (a, b) in main.w.iter().zip(&wx) {
        let t = Float::with_val(pc, a - b).abs();
        if t > num {
            num = t;
        }
    }
    let den = max_abs(pc, &wx);
    let stationarity = if num.is_zero() { num } else { num / den };
    Ok(QAlphaSolution {
        solve: main,
        residual,
        stationarity: Float::with_val(64, &stationarity),
        verified_digits,
        w_verify: ver.w,
    })
}
