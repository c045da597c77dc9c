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

use crate::num::fmt_sig;
use crate::num::from_rational;
use crate::num::linalg::RealLu;
use rug::ops::{NegAssign, Pow};
use rug::{Assign, Float, Rational};
use std::cmp::Ordering;

/// The smallest output precision accepted (the certificate keeps `prec - 32` bits).
pub const MIN_PREC: u32 = 64;

/// Iteration cap of the Newton solver.
const MAX_ITER: usize = 400;

/// `e = D/(D-2)` at precision `p` (D >= 3).
fn exponent_e(depth: u32, p: u32) -> Float {
    from_rational(p, &Rational::from((depth, depth - 2)))
}

/// For `x > 0` (D >= 3) returns `(x^(-e), x^(-2/(D-2)))` at precision `p`, from one
/// correctly rounded root `r = x^(1/(D-2))`: `(r^-D, r^-2)`.
fn neg_powers(depth: u32, x: &Float, p: u32) -> (Float, Float) {
    let r = if depth == 3 {
        Float::with_val(p, x)
    } else {
        Float::with_val(p, x.root_ref(depth - 2))
    };
    let rd = Float::with_val(p, (&r).pow(depth)).recip();
    let r2 = Float::with_val(p, r.square_ref()).recip();
    (rd, r2)
}

fn nan(p: u32) -> Float {
    Float::with_val(p, rug::float::Special::Nan)
}

/// Binary exponent of a finite non-zero float (`x = m 2^exp`, `m` in [1/2, 1)).
fn exp_of(x: &Float) -> i64 {
    x.get_exp().map_or(0, i64::from)
}

/// `h_D(s)`: D = 2: `2 sinh(s)`; D >= 3: `(1-s)^(-e) - (1+s)^(-e)` for `|s| < 1`
/// (NaN outside). Result at the precision of `s`, accurate to a few ulp (guard bits
/// grow with `log2(1/|s|)` to absorb the cancellation near 0).
pub fn h_d(depth: u32, s: &Float) -> Float {
    assert!(depth >= 2, "depth must be >= 2");
    let p = s.prec();
    if depth == 2 {
        // s * 2 is exact; sinh is correctly rounded
        return Float::with_val(p, s.sinh_ref()) * 2u32;
    }
    if s.is_zero() {
        return s.clone();
    }
    if !s.is_finite() || s.cmp_abs(&Float::with_val(8, 1)) != Some(Ordering::Less) {
        return nan(p);
    }
    let ex = exp_of(s);
    if ex < -(i64::from(p) / 2 + 4) {
        // h(s) = 2 e s (1 + O(s^2)), s^2 < 2^-(p+8)
        let e = exponent_e(depth, p + 16);
        return Float::with_val(p, Float::with_val(p + 16, s * e) * 2u32);
    }
    let q = p + 16 + (-ex).max(0) as u32;
    // 1 -+ s are exact at q bits (s has p bits and exponent ex >= -(q - p - 16))
    let om = Float::with_val(q, 1) - s;
    let op = Float::with_val(q, 1) + s;
    let (u, _) = neg_powers(depth, &om, q);
    let (v, _) = neg_powers(depth, &op, q);
    Float::with_val(p, u - v)
}

/// `h_D'(s)`: D = 2: `2 cosh(s)`; D >= 3: `e [(1-s)^(-e-1) + (1+s)^(-e-1)]` (no cancellation).
pub fn h_d_prime(depth: u32, s: &Float) -> Float {
    assert!(depth >= 2, "depth must be >= 2");
    let p = s.prec();
    if depth == 2 {
        return Float::with_val(p, s.cosh_ref()) * 2u32;
    }
    if !s.is_finite() || s.cmp_abs(&Float::with_val(8, 1)) != Some(Ordering::Less) {
        return nan(p);
    }
    let q = p + 16;
    let om = Float::with_val(q, 1) - s;
    let op = Float::with_val(q, 1) + s;
    let (u, _) = neg_powers(depth, &om, q);
    let (v, _) = neg_powers(depth, &op, q);
    let sum = Float::with_val(q, &u / &om) + Float::with_val(q, &v / &op);
    Float::with_val(p, sum * exponent_e(depth, q))
}

/// For `z > 0` finite, `D >= 3`, at working precision `q`: `(a, t)` with `a = h_D^{-1}(z)`
/// and `t = 1 - a`, both accurate relative to themselves.
///
/// Safeguarded Newton in `v = -ln(1 - a)` (so `a = -expm1(-v)`, `1 - a = e^-v`) on
/// `L(v) = ln h_D(a(v)) - ln z`, which is increasing and concave, bracketed in
/// `(0, ln(1 + z)/e + 1)`, with bisection whenever Newton leaves the bracket.
fn h_inv_pos(depth: u32, z: &Float, q: u32) -> (Float, Float) {
    let e = exponent_e(depth, q);
    let zq = Float::with_val(q, z);
    let lnz = Float::with_val(q, zq.ln_ref());
    let one = Float::with_val(q, 1);
    // L(hi) > 0: (1-a)^-e = exp(e v) > e^e (1 + z) and (1+a)^-e < 1
    let mut lo = Float::new(q);
    let mut hi = Float::with_val(q, &zq + 1u32).ln() / &e + 1u32;
    let mut v = if zq <= one {
        let a0 = Float::with_val(q, &zq / &e) / 2u32;
        -Float::with_val(q, -a0).ln_1p()
    } else {
        Float::with_val(q, &zq + 1u32).ln() / &e
    };
    if !(v > lo && v < hi) {
        v = Float::with_val(q, &lo + &hi) / 2u32;
    }
    let tol_bits = q as i32 - 12;
    for _ in 0..(4 * q as usize + 100) {
        // L(v) and L'(v)
        let t = Float::with_val(q, -&v).exp(); // 1 - a
        let op = Float::with_val(q, 2u32) - &t; // 1 + a
        let u = Float::with_val(q, &e * &v).exp(); // (1-a)^-e
        let (vv, _) = neg_powers(depth, &op, q); // (1+a)^-e
        let h = Float::with_val(q, &u - &vv);
        let (l, dl) = if h.is_sign_positive() && !h.is_zero() {
            let l = Float::with_val(q, h.ln_ref()) - &lnz;
            let mut dl = Float::with_val(q, &vv * &t) / &op;
            dl += &u;
            dl *= &e;
            dl /= &h;
            (l, Some(dl))
        } else {
            (Float::with_val(q, rug::float::Special::NegInfinity), None)
        };
        if l.is_zero() {
            break;
        }
        if l.is_sign_negative() {
            lo.assign(&v);
        } else {
            hi.assign(&v);
        }
        let mut vn = match dl {
            Some(dl) if dl.is_finite() && !dl.is_zero() => Float::with_val(q, &v - l / dl),
            _ => nan(q),
        };
        if !(vn > lo && vn < hi) {
            vn = Float::with_val(q, &lo + &hi) / 2u32;
        }
        let step = Float::with_val(q, &vn - &v).abs();
        v = vn;
        let width = Float::with_val(q, &hi - &lo);
        let scale = Float::with_val(q, Float::i_exp(1, -tol_bits)) * &v;
        if step <= scale || width <= scale {
            break;
        }
    }
    let t = Float::with_val(q, -&v).exp();
    let a = -Float::with_val(q, -&v).exp_m1();
    (a, t)
}

/// `h_D^{-1}(z)`: D = 2: `asinh(z/2)`; D >= 3: the unique `a` in (-1, 1) with `h_D(a) = z`
/// (odd; `±1` for `z = ±inf`). Result at the precision of `z`, computed with guard bits by
/// the safeguarded Newton iteration of `h_inv_pos`, so the result is the inverse to the
/// last bits for any finite `z` (tested up to `|z| = 10^30` and down to `10^-300`).
pub fn h_d_inv(depth: u32, z: &Float) -> Float {
    assert!(depth >= 2, "depth must be >= 2");
    let p = z.prec();
    if depth == 2 {
        return Float::with_val(p, z / 2u32).asinh();
    }
    if z.is_nan() || z.is_zero() {
        return z.clone();
    }
    let neg = z.is_sign_negative();
    let za = Float::with_val(p, z.abs_ref());
    let a = if za.is_infinite() {
        Float::with_val(p, 1)
    } else {
        let ex = exp_of(&za);
        if ex < -(i64::from(p) / 2 + 4) {
            // h^{-1}(z) = z / (2e) (1 + O(z^2)), z^2 < 2^-(p+8)
            let e = exponent_e(depth, p + 16);
            Float::with_val(p, Float::with_val(p + 16, &za / e) / 2u32)
        } else {
            // small z: h(a) = U - V cancels to 2 e a, so add log2(1/z) guard bits
            let q = p + 32 + (-ex).max(0) as u32;
            let (a, _) = h_inv_pos(depth, &za, q);
            Float::with_val(p, a)
        }
    };
    if neg {
        -a
    } else {
        a
    }
}

/// `q^D(z)`: D = 2: `2 - sqrt(4 + z^2) + z asinh(z/2)`; D >= 3: `∫_0^z h_D^{-1}(s) ds`
/// `= z a - [(1-a)^(1-e) + (1+a)^(1-e) - 2] / (e - 1)`, `a = h_D^{-1}(z)` (even in z).
/// Result at the precision of `z`.
pub fn q_d(depth: u32, z: &Float) -> Float {
    assert!(depth >= 2, "depth must be >= 2");
    let p = z.prec();
    if z.is_nan() {
        return z.clone();
    }
    if z.is_zero() {
        return Float::new(p);
    }
    if depth == 2 {
        // 2 - sqrt(4 + z^2) = -z^2 / (2 + sqrt(4 + z^2)): at most one bit cancels
        let q = p + 16;
        let z2 = Float::with_val(q, z.square_ref());
        let den = Float::with_val(q, &z2 + 4u32).sqrt() + 2u32;
        let t = Float::with_val(q, &z2 / &den);
        let asz = Float::with_val(q, z / 2u32).asinh() * z;
        return Float::with_val(p, asz - t);
    }
    let za = Float::with_val(p, z.abs_ref());
    if za.is_infinite() {
        return za;
    }
    let ex = exp_of(&za);
    if ex < -(i64::from(p) / 2 + 4) {
        // q(z) = z^2 / (4 e) (1 + O(z^2))
        let e = exponent_e(depth, p + 16);
        let z2 = Float::with_val(p + 16, za.square_ref());
        return Float::with_val(p, z2 / e / 4u32);
    }
    // the bracket cancels to O(a^2): 2 log2(1/z) guard bits
    let q = p + 32 + 2 * (-ex).max(0) as u32;
    let (a, t) = h_inv_pos(depth, &Float::with_val(q, &za), q);
    let op = Float::with_val(q, 2u32) - &t; // 1 + a
    let (_, ro2) = neg_powers(depth, &t, q); // (1-a)^(1-e)
    let (_, rp2) = neg_powers(depth, &op, q); // (1+a)^(1-e)
                                              // 1/(e-1) = (D-2)/2
    let mut psi = Float::with_val(q, &ro2 + &rp2) - 2u32;
    psi *= depth - 2;
    psi /= 2u32;
    let za_a = Float::with_val(q, &za * &a);
    Float::with_val(p, za_a - psi)
}

/// `q^D'(z) = h_D^{-1}(z)` (D = 2: `asinh(z/2)`).
pub fn q_d_prime(depth: u32, z: &Float) -> Float {
    h_d_inv(depth, z)
}

/// Precision of a slice of floats (the largest; 64 for an empty slice).
fn slice_prec(w: &[Float]) -> u32 {
    w.iter().map(Float::prec).max().unwrap_or(64)
}

/// `Q^D_mu(w) = sum_i q^D(w_i / mu)` at the precision of `w` (the largest of its entries).
pub fn q_mu(depth: u32, mu: &Rational, w: &[Float]) -> Float {
    let p = slice_prec(w);
    let q = p + 32;
    let mut s = Float::new(q);
    for wi in w {
        let x = Float::with_val(q, wi / mu);
        s += q_d(depth, &x);
    }
    Float::with_val(p, s)
}

/// `grad Q^D_mu(w)_i = (1/mu) h_D^{-1}(w_i / mu)` at the precision of `w`.
pub fn grad_q_mu(depth: u32, mu: &Rational, w: &[Float]) -> Vec<Float> {
    let p = slice_prec(w);
    grad_q_mu_at(depth, mu, w, p)
}

fn grad_q_mu_at(depth: u32, mu: &Rational, w: &[Float], p: u32) -> Vec<Float> {
    w.iter()
        .map(|wi| {
            let x = Float::with_val(p, wi / mu);
            Float::with_val(p, h_d_inv(depth, &x) / mu)
        })
        .collect()
}

/// The stationarity map `w_i = mu h_D(mu theta_i)` (the inverse of [`grad_q_mu`]) at the
/// precision of `theta`. For D >= 3 entries with `|mu theta_i| >= 1` are NaN.
pub fn stationary_w(depth: u32, mu: &Rational, theta: &[Float]) -> Vec<Float> {
    theta
        .iter()
        .map(|t| {
            let p = t.prec();
            let s = Float::with_val(p + 16, t * mu);
            let h = h_d(depth, &s);
            Float::with_val(p, h * mu)
        })
        .collect()
}

/// KKT residuals of a candidate `(w, lambda)` (see [`kkt_residuals`]).
#[derive(Clone, Debug)]
pub struct KktResiduals {
    /// `||grad Q_mu(w) - Z lambda||_inf / ||Z lambda||_inf`
    pub stationarity: Float,
    /// `max_n max(0, 1 - z_n^T w)`
    pub primal_infeasibility: Float,
    /// `max_n lambda_n |z_n^T w - 1| / max(1, max_n lambda_n)`
    pub complementarity: Float,
}

impl KktResiduals {
    /// The largest of the three residuals (NaN if any is NaN).
    pub fn max(&self) -> Float {
        let all = [
            &self.stationarity,
            &self.primal_infeasibility,
            &self.complementarity,
        ];
        if let Some(bad) = all.iter().find(|x| x.is_nan()) {
            return (*bad).clone();
        }
        let mut m = self.stationarity.clone();
        if self.primal_infeasibility > m {
            m.assign(&self.primal_infeasibility);
        }
        if self.complementarity > m {
            m.assign(&self.complementarity);
        }
        m
    }

    /// True when every residual is below [`certificate_threshold`]`(prec)` (NaN fails).
    pub fn certified(&self, prec: u32) -> bool {
        let m = self.max();
        !m.is_nan() && m < certificate_threshold(prec)
    }
}

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

/// The solution is certified when every residual is below `2^-(prec - 32)`.
pub fn certificate_threshold(prec: u32) -> Float {
    Float::with_val(prec.max(8), Float::i_exp(1, -(prec as i32 - 32)))
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

/// KKT residuals of `(w, lambda)` for `w_mu`, in `prec`-bit arithmetic with the exact
/// rational data (each product `z_ni w_i` correctly rounded): see [`KktResiduals`].
/// `w` has length d, `lambda` length N. Independent of the solver; usable for any
/// candidate pair (e.g. the flow's normalized predictor with multipliers kappa nu).
pub fn kkt_residuals(
    z: &[Vec<Rational>],
    depth: u32,
    mu: &Rational,
    prec: u32,
    w: &[Float],
    lambda: &[Float],
) -> KktResiduals {
    let d = w.len();
    assert_eq!(lambda.len(), z.len(), "one multiplier per data row");
    let grad = grad_q_mu_at(depth, mu, w, prec);
    let mut theta = vec![Float::new(prec); d];
    for (zn, ln) in z.iter().zip(lambda) {
        assert_eq!(zn.len(), d, "data rows must have length d = w.len()");
        for i in 0..d {
            theta[i] += Float::with_val(prec, ln * &zn[i]);
        }
    }
    let mut num = Float::new(prec);
    let mut den = Float::new(prec);
    for i in 0..d {
        let r = Float::with_val(prec, &grad[i] - &theta[i]).abs();
        if r > num || r.is_nan() {
            num = r;
        }
        if theta[i].cmp_abs(&den) == Some(Ordering::Greater) {
            den.assign(theta[i].abs_ref());
        }
    }
    let stationarity = if den.is_zero() { num } else { num / den };
    let mut infeas = Float::new(prec);
    let mut comp = Float::new(prec);
    for (zn, ln) in z.iter().zip(lambda) {
        let mut m = Float::new(prec);
        for i in 0..d {
            m += Float::with_val(prec, &w[i] * &zn[i]);
        }
        m -= 1u32; // z_n^T w - 1
        if m.is_nan() {
            infeas = m.clone();
        } else if m.is_sign_negative() {
            let v = Float::with_val(prec, -&m);
            if v > infeas {
                infeas = v;
            }
        }
        let c = Float::with_val(prec, m.abs_ref()) * ln;
        if c > comp || c.is_nan() {
            comp = c;
        }
    }
    let mut lmax = Float::with_val(prec, 1);
    for l in lambda {
        if *l > lmax {
            lmax.assign(l);
        }
    }
    KktResiduals {
        stationarity,
        primal_infeasibility: infeas,
        complementarity: comp / lmax,
    }
}

/// The dual problem at working precision.
struct Problem {
    depth: u32,
    p: u32,
    mu: Float,
    /// mu^2
    mu2: Float,
    /// e = D/(D-2) (D >= 3)
    e: Float,
    /// rows z_n (N x d)
    z: Vec<Vec<Float>>,
    d: usize,
}

/// One dual iterate with everything derived from it.
struct Point {
    lambda: Vec<Float>,
    w: Vec<Float>,
    /// dw_i / dtheta_i
    a: Vec<Float>,
    f: Float,
    /// z_n^T w - 1
    g: Vec<Float>,
}

impl Problem {
    fn new(z: &[Vec<Rational>], depth: u32, mu: &Rational, p: u32) -> Problem {
        let d = z.first().map_or(0, Vec::len);
        let muf = from_rational(p, mu);
        let mu2 = Float::with_val(p, muf.square_ref());
        let e = if depth > 2 {
            exponent_e(depth, p)
        } else {
            Float::new(p)
        };
        Problem {
            depth,
            p,
            mu: muf,
            mu2,
            e,
            z: z.iter()
                .map(|r| r.iter().map(|v| from_rational(p, v)).collect())
                .collect(),
            d,
        }
    }

    fn n(&self) -> usize {
        self.z.len()
    }

    /// (w, dw/dtheta, phi) for one coordinate at s = mu theta; None outside the domain.
    fn coord(&self, s: &Float) -> Option<(Float, Float, Float)> {
        let p = self.p;
        if !s.is_finite() {
            return None;
        }
        if self.depth == 2 {
            // m = expm1(|s|): sinh|s| = m (m+2) / (2 (m+1)), cosh s = ((m+1) + 1/(m+1)) / 2,
            // phi = 2 (cosh s - 1) = m^2 / (m+1): no cancellation anywhere
            let m = Float::with_val(p, s.abs_ref()).exp_m1();
            if !m.is_finite() {
                return None;
            }
            let m1 = Float::with_val(p, &m + 1u32);
            let mut sh = Float::with_val(p, &m + 2u32) * &m;
            sh /= &m1; // 2 sinh|s|
            if s.is_sign_negative() {
                sh = -sh;
            }
            let ch2 = Float::with_val(p, m1.recip_ref()) + &m1; // 2 cosh s
            let phi = Float::with_val(p, m.square_ref()) / &m1;
            let w = sh * &self.mu;
            let a = ch2 * &self.mu2;
            Some((w, a, phi))
        } else {
            // With b = atanh(s)/(D-2) and c = log1p(-s^2)/(D-2) (so (1 -+ s)^(-x) =
            // exp(-x (D-2) c / 2 +- x (D-2) b)):
            //   h(s)   = 2 sinh(D b) exp(-D c / 2)
            //   h'(s)  = 2 e cosh((2D-2) b) exp(-(D-1) c)
            //   phi(s) = [(1-s)^(1-e) + (1+s)^(1-e) - 2] / (e-1)
            //          = (D-2) [expm1(-c) + 2 exp(-c) sinh(b)^2]
            // free of cancellation for small |s| (large mu) and accurate up to |s| -> 1
            if s.cmp_abs(&Float::with_val(8, 1)) != Some(Ordering::Less) {
                return None;
            }
            if s.cmp_abs(&Float::with_val(8, Float::i_exp(1, -16))) != Some(Ordering::Less) {
                // |s| >= 2^-16: the cheap form (one root per side, exact 1 -+ s) loses at
                // most 16 bits of w to cancellation, well inside the 64 guard bits
                return self.coord_roots(s);
            }
            let dm2 = self.depth - 2;
            let dd = self.depth;
            let b = Float::with_val(p, s.atanh_ref()) / dm2;
            let s2 = -Float::with_val(p, s.square_ref());
            let c = s2.ln_1p() / dm2;
            let mut w = Float::with_val(p, &b * dd).sinh();
            w *= Float::with_val(p, -Float::with_val(p, &c * dd) / 2u32).exp();
            w *= 2u32;
            w *= &self.mu;
            let mut a = Float::with_val(p, &b * (2 * dd - 2)).cosh();
            a *= Float::with_val(p, -Float::with_val(p, &c * (dd - 1))).exp();
            a *= 2u32;
            a *= &self.e;
            a *= &self.mu2;
            let x = Float::with_val(p, -&c).exp();
            let sh = Float::with_val(p, b.sinh_ref());
            let mut phi = Float::with_val(p, sh.square_ref()) * x * 2u32;
            phi += Float::with_val(p, -&c).exp_m1();
            phi *= dm2;
            if !(w.is_finite() && a.is_finite() && phi.is_finite()) {
                return None;
            }
            Some((w, a, phi))
        }
    }

    /// D >= 3 coordinate functions from `(1 -+ s)^(1/(D-2))` (see `neg_powers`).
    fn coord_roots(&self, s: &Float) -> Option<(Float, Float, Float)> {
        let p = self.p;
        let om = Float::with_val(p, 1) - s;
        let op = Float::with_val(p, 1) + s;
        let (u, ro2) = neg_powers(self.depth, &om, p);
        let (v, rp2) = neg_powers(self.depth, &op, p);
        let w = Float::with_val(p, &u - &v) * &self.mu;
        let mut a = Float::with_val(p, &u / &om) + Float::with_val(p, &v / &op);
        a *= &self.e;
        a *= &self.mu2;
        // phi = (ro2 + rp2 - 2) / (e - 1), 1/(e-1) = (D-2)/2
        let mut phi = Float::with_val(p, &ro2 + &rp2) - 2u32;
        phi *= self.depth - 2;
        phi /= 2u32;
        if !(w.is_finite() && a.is_finite() && phi.is_finite()) {
            return None;
        }
        Some((w, a, phi))
    }

    /// Evaluate the dual at lambda; None outside the domain of f.
    fn eval(&self, lambda: Vec<Float>) -> Option<Point> {
        let p = self.p;
        let n = self.n();
        let d = self.d;
        let mut t = Float::new(p);
        let mut w = Vec::with_capacity(d);
        let mut a = Vec::with_capacity(d);
        let mut f = Float::new(p);
        for i in 0..d {
            let mut th = Float::new(p);
            for k in 0..n {
                if lambda[k].is_zero() {
                    continue;
                }
                t.assign(&self.z[k][i] * &lambda[k]);
                th += &t;
            }
            th *= &self.mu;
            let (wi, ai, phi) = self.coord(&th)?;
            f += &phi;
            w.push(wi);
            a.push(ai);
        }
        for l in &lambda {
            f -= l;
        }
        let mut g = Vec::with_capacity(n);
        for k in 0..n {
            let mut m = Float::new(p);
            for i in 0..d {
                t.assign(&self.z[k][i] * &w[i]);
                m += &t;
            }
            m -= 1u32;
            g.push(m);
        }
        Some(Point { lambda, w, a, f, g })
    }

    /// Natural residual `max_n |min(lambda_n / max lambda, g_n)|`.
    fn residual(&self, pt: &Point) -> Float {
        let p = self.p;
        let mut big = Float::new(p);
        for l in &pt.lambda {
            if *l > big {
                big.assign(l);
            }
        }
        if big.is_zero() {
            big.assign(1);
        }
        let mut r = Float::new(p);
        for (l, g) in pt.lambda.iter().zip(&pt.g) {
            let ls = Float::with_val(p, l / &big);
            let m = if ls < *g { ls } else { g.clone() };
            if m.cmp_abs(&r) == Some(Ordering::Greater) {
                r.assign(m.abs_ref());
            }
        }
        r
    }

    /// The minimizer of `f(t dir)` over `t >= 0` (inside the domain), `dir >= 0`, as an
    /// evaluated point; None for a zero direction. `f` is convex along the ray, with
    /// `d/dt f(t dir) = u^T w(t u) - sum(dir)` and second derivative `sum_i u_i^2 w'_i`,
    /// `u = Z dir`; safeguarded Newton on the derivative to a relative `2^-40` in `t` (a
    /// starting point only).
    fn ray_min(&self, dir: Vec<Float>) -> Option<Point> {
        let p = self.p;
        let n = self.n();
        let d = self.d;
        let mut sum = Float::new(p);
        for x in &dir {
            sum += x;
        }
        if sum.is_zero() {
            return None;
        }
        let mut u = vec![Float::new(p); d];
        let mut t = Float::new(p);
        for i in 0..d {
            for k in 0..n {
                t.assign(&self.z[k][i] * &dir[k]);
                u[i] += &t;
            }
        }
        let umax = crate::num::max_abs(p, &u);
        if umax.is_zero() {
            return None;
        }
        // derivative and second derivative at t; None outside the domain
        let deriv = |tt: &Float| -> Option<(Float, Float)> {
            let mut g = Float::with_val(p, -&sum);
            let mut h = Float::new(p);
            for ui in &u {
                let sarg = Float::with_val(p, ui * tt) * &self.mu;
                let (w, a, _) = self.coord(&sarg)?;
                g += Float::with_val(p, ui * &w);
                h += Float::with_val(p, ui.square_ref()) * &a;
            }
            Some((g, h))
        };
        // bracket [lo, hi]: derivative < 0 at lo, > 0 (or outside the domain) at hi
        let mut lo = Float::new(p);
        let mut hi = Float::with_val(p, &umax * &self.mu).recip(); // |s| = 1 on some i
        if self.depth == 2 {
            for _ in 0..4000 {
                match deriv(&hi) {
                    Some((g, _)) if g.is_sign_negative() => {
                        lo.assign(&hi);
                        hi *= 2u32;
                    }
                    _ => break,
                }
            }
        }
        let mut tt = Float::with_val(p, &lo + &hi) / 2u32;
        let rel = Float::with_val(p, Float::i_exp(1, -40));
        for _ in 0..400 {
            let next = match deriv(&tt) {
                Some((g, h)) => {
                    if g.is_zero() {
                        break;
                    }
                    if g.is_sign_negative() {
                        lo.assign(&tt);
                    } else {
                        hi.assign(&tt);
                    }
                    Float::with_val(p, &tt - Float::with_val(p, &g / &h))
                }
                None => {
                    hi.assign(&tt);
                    nan(p)
                }
            };
            let next = if next > lo && next < hi {
                next
            } else {
                Float::with_val(p, &lo + &hi) / 2u32
            };
            let step = Float::with_val(p, &next - &tt).abs();
            tt = next;
            let width = Float::with_val(p, &hi - &lo);
            let scale = Float::with_val(p, &tt * &rel);
            if step <= scale || width <= scale {
                break;
            }
        }
        let lam: Vec<Float> = dir.iter().map(|x| Float::with_val(p, x * &tt)).collect();
        self.eval(lam).or_else(|| {
            let lam: Vec<Float> = dir.iter().map(|x| Float::with_val(p, x * &lo)).collect();
            self.eval(lam)
        })
    }

    /// A vector `v != 0` with `sum_j v_j z_{cols[j]} = 0` (to a relative tolerance of
    /// `2^-(p/2)`), or None when those rows are linearly independent. Gaussian elimination
    /// with partial pivoting over the columns in order; the first column without a pivot
    /// gives `v` by back substitution.
    fn null_vector(&self, cols: &[usize]) -> Option<Vec<Float>> {
        let p = self.p;
        let d = self.d;
        let m = cols.len();
        let tol = Float::with_val(p, Float::i_exp(1, -(p as i32 / 2)));
        let mut a: Vec<Vec<Float>> = (0..d)
            .map(|i| cols.iter().map(|&k| self.z[k][i].clone()).collect())
            .collect();
        let colmax: Vec<Float> = (0..m)
            .map(|j| {
                let mut c = Float::new(p);
                for row in &a {
                    if row[j].cmp_abs(&c) == Some(Ordering::Greater) {
                        c.assign(row[j].abs_ref());
                    }
                }
                c
            })
            .collect();
        let mut t = Float::new(p);
        let mut rank = 0;
        for j in 0..m {
            // pivot search in rows rank..d of column j
            let mut best = rank;
            for i in rank..d {
                if a[i][j].cmp_abs(&a[best][j]) == Some(Ordering::Greater) {
                    best = i;
                }
            }
            let dependent = rank == d || {
                let lim = Float::with_val(p, &colmax[j] * &tol);
                a[best][j].cmp_abs(&lim) != Some(Ordering::Greater)
            };
            if dependent {
                // columns 0..j are pivot columns in rows 0..j: solve for v with v_j = 1
                let mut v = vec![Float::new(p); m];
                v[j].assign(1);
                for k in (0..j).rev() {
                    let mut s = Float::with_val(p, &a[k][j]);
                    for l in k + 1..j {
                        t.assign(&a[k][l] * &v[l]);
                        s += &t;
                    }
                    v[k] = -(s / &a[k][k]);
                }
                return Some(v);
            }
            a.swap(rank, best);
            let (top, bottom) = a.split_at_mut(rank + 1);
            let prow = &top[rank];
            for row in bottom.iter_mut() {
                if row[j].is_zero() {
                    continue;
                }
                let f = Float::with_val(p, &row[j] / &prow[j]);
                for l in j..m {
                    t.assign(&f * &prow[l]);
                    row[l] -= &t;
                }
            }
            rank += 1;
        }
        None
    }

    /// Make the positive multipliers independent: while the rows `z_n` with `lambda_n > 0`
    /// are dependent, move along a null direction `v` (`Z v = 0`, so `w` is unchanged and
    /// `f` changes by `-t sum(v)`, chosen `<= 0`) until a multiplier reaches zero.
    /// Each move drops one multiplier; a move that raises `f` beyond rounding is refused.
    fn reduce_dependent(&self, mut pt: Point) -> Point {
        let p = self.p;
        for _ in 0..self.n() {
            let pos: Vec<usize> = (0..self.n()).filter(|&k| !pt.lambda[k].is_zero()).collect();
            let Some(mut v) = self.null_vector(&pos) else {
                break;
            };
            let mut sum = Float::new(p);
            for x in &v {
                sum += x;
            }
            if sum.is_sign_negative() {
                for x in v.iter_mut() {
                    x.neg_assign();
                }
            }
            // ratio test over the entries that decrease
            let mut best: Option<(usize, Float)> = None;
            for (j, &k) in pos.iter().enumerate() {
                if v[j].is_sign_negative() && !v[j].is_zero() {
                    let r = Float::with_val(p, &pt.lambda[k] / &v[j]).abs();
                    if best.as_ref().is_none_or(|(_, b)| r < *b) {
                        best = Some((j, r));
                    }
                }
            }
            let Some((jmin, tstep)) = best else {
                break; // no entry decreases: cannot happen for separable data
            };
            let mut lam = pt.lambda.clone();
            for (j, &k) in pos.iter().enumerate() {
                let mut x = Float::with_val(p, &v[j] * &tstep);
                x += &lam[k];
                if x.is_sign_negative() || j == jmin {
                    x.assign(0);
                }
                lam[k] = x;
            }
            let Some(np) = self.eval(lam) else {
                break;
            };
            // accept unless f rose beyond rounding (scale: sum of lambda)
            let mut scale = Float::with_val(p, 1);
            for l in &pt.lambda {
                scale += l;
            }
            scale *= Float::with_val(p, Float::i_exp(1, -(p as i32 / 2)));
            if Float::with_val(p, &np.f - &pt.f) > scale {
                break;
            }
            pt = np;
        }
        pt
    }

    /// Projected Newton from `lambda0` (which must lie in the domain) until the natural
    /// residual is below `tol`. Returns the final point, iterations, and whether it
    /// converged (false: stalled or iteration cap; the caller's certificate decides).
    fn newton(&self, lambda0: Vec<Float>, tol: &Float) -> Option<(Point, usize, bool)> {
        let p = self.p;
        let n = self.n();
        let d = self.d;
        let mut pt = self.eval(lambda0)?;
        let mut r;
        let mut r_best = self.residual(&pt);
        let cap = Float::with_val(p, Float::i_exp(1, -10));
        let sigma = Float::with_val(p, Float::i_exp(1, -13));
        let mut t = Float::new(p);
        let mut damped = false;
        for it in 0..MAX_ITER {
            pt = self.reduce_dependent(pt);
            r = self.residual(&pt);
            if r <= *tol {
                return Some((pt, it, true));
            }
            let rc = if r < cap { r.clone() } else { cap.clone() };
            // epsilon-active set
            let mut big = Float::new(p);
            for l in &pt.lambda {
                if *l > big {
                    big.assign(l);
                }
            }
            let eps = Float::with_val(p, &big * &rc);
            let mut free = Vec::new();
            let mut held = Vec::new();
            for k in 0..n {
                if pt.lambda[k] <= eps && pt.g[k].is_sign_positive() && !pt.g[k].is_zero() {
                    held.push(k);
                } else {
                    free.push(k);
                }
            }
            // direction
            let mut dir = vec![Float::new(p); n];
            // z_k * a for the rows involved
            let za: Vec<Vec<Float>> = (0..n)
                .map(|k| {
                    (0..d)
                        .map(|i| Float::with_val(p, &self.z[k][i] * &pt.a[i]))
                        .collect()
                })
                .collect();
            let dot = |x: &[Float], y: &[Float]| -> Float {
                let mut s = Float::new(p);
                let mut tt = Float::new(p);
                for i in 0..d {
                    tt.assign(&x[i] * &y[i]);
                    s += &tt;
                }
                s
            };
            // held rows: the scaled gradient step -g_k / H_kk, but at least far enough to
            // reach the bound at a unit step (a pure gradient step crawls when H_kk is large)
            for &k in &held {
                let hkk = dot(&za[k], &self.z[k]);
                let mut step = if hkk.is_zero() {
                    pt.lambda[k].clone()
                } else {
                    Float::with_val(p, &pt.g[k] / &hkk)
                };
                if step < pt.lambda[k] {
                    step.assign(&pt.lambda[k]);
                }
                dir[k] = -step;
            }
            let m = free.len();
            let mut pred = Float::new(p); // g_F^T (-d_F) > 0
            if m > 0 {
                let mut hm = vec![Float::new(p); m * m];
                let mut hmax = Float::new(p);
                for r1 in 0..m {
                    for r2 in r1..m {
                        let v = dot(&za[free[r1]], &self.z[free[r2]]);
                        if r1 == r2 && v > hmax {
                            hmax.assign(&v);
                        }
                        hm[r2 * m + r1].assign(&v);
                        hm[r1 * m + r2] = v;
                    }
                }
                // Levenberg-Marquardt shift only where it is needed: more free rows than
                // dimensions (H_FF singular), or after a strongly damped step. Otherwise
                // rho = 0: a shift of r * max diag would cap the rate at rho / lambda_min(H_FF)
                // until r < 1 / cond(H_FF).
                let mut rho = if m > d || damped {
                    Float::with_val(p, &hmax * &rc)
                } else {
                    Float::new(p)
                };
                let tiny = Float::with_val(p, Float::i_exp(1, -60));
                for _attempt in 0..64 {
                    let mut hr = hm.clone();
                    for j in 0..m {
                        hr[j * m + j] += &rho;
                    }
                    let mut ok = false;
                    if let Some(lu) = RealLu::factor(hr, m) {
                        let mut rhs: Vec<Float> = free.iter().map(|&k| -pt.g[k].clone()).collect();
                        lu.solve(&mut rhs);
                        pred.assign(0);
                        for (j, &k) in free.iter().enumerate() {
                            t.assign(&pt.g[k] * &rhs[j]);
                            pred -= &t;
                        }
                        // a numerically singular H_FF shows as a non-finite or non-descent step
                        ok = pred.is_finite()
                            && (pred.is_sign_positive() || pred.is_zero())
                            && rhs.iter().all(Float::is_finite);
                        if ok {
                            for (j, &k) in free.iter().enumerate() {
                                dir[k].assign(&rhs[j]);
                            }
                        }
                    }
                    if ok {
                        break;
                    }
                    if rho.is_zero() {
                        rho = Float::with_val(p, &hmax * &rc);
                        if rho.is_zero() {
                            rho = Float::with_val(p, &hmax * &tiny);
                        }
                        if rho.is_zero() {
                            rho.assign(&tiny);
                        }
                    } else {
                        rho *= 16u32;
                    }
                }
            }
            if !dir.iter().all(Float::is_finite) {
                return Some((pt, it, false));
            }
            // line search along the projection arc
            let mut alpha = Float::with_val(p, 1);
            let mut accepted = None;
            for ls in 0..200 {
                let lam: Vec<Float> = (0..n)
                    .map(|k| {
                        let mut v = Float::with_val(p, &dir[k] * &alpha);
                        v += &pt.lambda[k];
                        if v.is_sign_negative() {
                            v.assign(0);
                        }
                        v
                    })
                    .collect();
                if let Some(np) = self.eval(lam) {
                    // required decrease: sigma (alpha pred + sum_W g_k (lambda_k - lambda_k(alpha)))
                    let mut req = Float::with_val(p, &pred * &alpha);
                    for &k in &held {
                        let dl = Float::with_val(p, &pt.lambda[k] - &np.lambda[k]);
                        t.assign(&pt.g[k] * &dl);
                        req += &t;
                    }
                    req *= &sigma;
                    let dec = Float::with_val(p, &pt.f - &np.f);
                    let nr = self.residual(&np);
                    let half_best = Float::with_val(p, &r_best / 2u32);
                    if dec >= req || (ls == 0 && nr <= half_best) {
                        accepted = Some((np, nr));
                        break;
                    }
                }
                alpha /= 2u32;
            }
            damped = alpha < Float::with_val(p, Float::i_exp(1, -6));
            match accepted {
                Some((np, nr)) => {
                    if nr < r_best {
                        r_best.assign(&nr);
                    }
                    pt = np;
                }
                None => return Some((pt, it + 1, false)),
            }
        }
        let ok = self.residual(&pt) <= *tol;
        Some((pt, MAX_ITER, ok))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: &Float, b: &Float) -> Float {
        let p = a.prec();
        let d = Float::with_val(p, a - b).abs();
        let u = Float::with_val(p, Float::i_exp(1, exp_of(b) as i32 - p as i32));
        d / u
    }

    #[test]
    fn h_inverse_round_trip_and_last_bits() {
        let p = 256;
        for depth in [3u32, 4, 5, 10] {
            for zs in [
                "1e-300", "1e-40", "3e-20", "1e-3", "0.37", "1", "2.5", "17", "1e6", "1e15", "1e30",
            ] {
                for sign in [1i32, -1] {
                    let z = Float::with_val(p, Float::parse(zs).unwrap()) * sign;
                    let a = h_d_inv(depth, &z);
                    assert!(a.cmp_abs(&Float::with_val(p, 1)) == Some(Ordering::Less));
                    // the same inverse at 128 more bits, rounded: within 1 ulp
                    let zh = Float::with_val(p + 128, &z);
                    let ah = Float::with_val(p, h_d_inv(depth, &zh));
                    assert!(ulps(&a, &ah) <= 1, "D={depth} z={zs}: {a} vs {ah}");
                    // h(a) = z up to the conditioning h'(a) ulp(a) / z
                    let back = h_d(depth, &Float::with_val(p + 64, &a));
                    let rel = Float::with_val(p, &back - &zh).abs() / z.clone().abs();
                    let hp = h_d_prime(depth, &Float::with_val(p + 64, &a));
                    let cond = Float::with_val(p, &hp * &a).abs() / z.clone().abs();
                    let bound = (cond + 1u32) * Float::with_val(p, Float::i_exp(1, 2 - p as i32));
                    assert!(
                        rel <= bound,
                        "D={depth} z={zs}: h(h^-1(z)) rel err {rel} bound {bound} hp {hp}"
                    );
                    // odd
                    assert_eq!(h_d_inv(depth, &Float::with_val(p, -&z)), -a.clone());
                }
            }
        }
    }

    #[test]
    fn h_d_2_is_two_sinh() {
        let p = 128;
        let s = Float::with_val(p, 0.75);
        let h = h_d(2, &s);
        assert_eq!(h, Float::with_val(p, s.sinh_ref()) * 2u32);
        assert_eq!(h_d_inv(2, &h), s);
    }

    #[test]
    fn q_small_and_zero() {
        let p = 200;
        for depth in [2u32, 3, 6] {
            assert!(q_d(depth, &Float::new(p)).is_zero());
            // q(z) = z^2 / (4e) + O(z^4) (D = 2: e = 1)
            let z = Float::with_val(p, Float::i_exp(1, -40));
            let e = if depth == 2 {
                Float::with_val(p, 1)
            } else {
                exponent_e(depth, p)
            };
            let approx = Float::with_val(p, z.square_ref()) / e / 4u32;
            let rel = (q_d(depth, &z) - &approx).abs() / &approx;
            assert!(
                rel < Float::with_val(p, Float::i_exp(1, -75)),
                "D={depth}: {rel}"
            );
        }
    }
}
