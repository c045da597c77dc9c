//! The certified tail of the regression flow (docs/math.md §12.3): how far the flow's
//! limit nu* (the minimizer of the convex dual Phi) can be from a state nu, and so how
//! much w can still change.
//!
//! With g = grad Phi(nu) = r / N and a lower bound mu on the Hessian
//! (1/N) X^T diag(W'(X nu')) X over the ball |nu' - nu| <= rho: if ||g|| / mu <= rho then
//! the minimizer lies in the ball and |nu - nu*|_2 <= R = ||g|| / mu. W' is even and
//! increasing in |beta|, so on the ball W'_i >= W'(max(0, |beta_i| - ||x^(i)|| rho)) (x^(i)
//! the i-th coordinates of the points) and |w_i - w*_i| <= W'(|beta_i| + ||x^(i)|| R)
//! ||x^(i)|| R. The smallest eigenvalue of the N x N matrix is bounded below by
//! 1 / ||H^{-1}||_F, halved (the inverse is computed in floating point: the halving covers
//! a relative error of up to 1/2 in its Frobenius norm). When no ball closes, the global
//! bound W' >= W'(0) = 2 D^2 alpha^(2D-2) is used (rho = infinity).

use super::RegFlow;
use crate::num::linalg::RealLu;
use crate::num::{digits_from_rel_error, max_abs};
use rug::{Assign, Float};

/// The certified distance from a state to the flow's limit.
#[derive(Clone, Debug)]
pub struct TailBound {
    /// a bound on ||nu - nu*||_2
    pub nu_dist: Float,
    /// a bound on max_i |w_i - w*_i|
    pub w_dist: Float,
    /// w_dist / ||w||_inf
    pub rel: Float,
    /// floor(-log10 rel), at most the cap given
    pub digits: u32,
    /// the lower bound on the Hessian of Phi used
    pub mu: Float,
    /// ||grad Phi||_2 including the rounding allowance
    pub grad: Float,
    /// the ball bound closed (false: the global bound W' >= W'(0) was used)
    pub local: bool,
}

/// Attempts at closing a ball before the global bound is used.
const BALL_TRIES: usize = 8;

/// The tail bound at the state `nu` of `flow`, with at most `cap` digits; None when the
/// Hessian is numerically singular (dependent points, for which this bound does not
/// apply: the driver refuses them beforehand; or a Hessian not resolved at the working
/// precision plus the spread of W').
pub fn tail_bound(flow: &RegFlow, nu: &[Float], cap: u32) -> Option<TailBound> {
    let p = flow.prec;
    let n = flow.n;
    let d = flow.d;
    let der = flow.derive(nu);
    // ||x^(i)||_2 and sum_k |x_ki nu_k| (for the rounding allowance)
    let mut rown = vec![Float::new(p); d];
    let mut babs = vec![Float::new(p); d];
    for (row, v) in flow.x.iter().zip(nu) {
        for i in 0..d {
            rown[i] += Float::with_val(p, row[i].square_ref());
            babs[i] += Float::with_val(p, &row[i] * v).abs();
        }
    }
    for r in rown.iter_mut() {
        r.sqrt_mut();
    }
    // grad Phi = r / N, plus the rounding of r: each w_i from beta_i carries
    // |w_i| 2^-(p-k) + w'_i |delta beta_i|, |delta beta_i| <= 2^-(p-k) sum_k |x_ki nu_k|,
    // k = 8 + log2(N + d) (the accumulated roundings of the sums, with a margin)
    let k = 8 + (64 - ((n + d) as u64).leading_zeros()) as i32;
    let eps = Float::with_val(p, Float::i_exp(1, -(p as i32 - k)));
    let mut allow = Float::new(p);
    for (row, yn) in flow.x.iter().zip(&flow.y) {
        let mut s = Float::with_val(p, yn.abs_ref());
        for i in 0..d {
            let e =
                Float::with_val(p, der.w[i].abs_ref()) + Float::with_val(p, &der.dw[i] * &babs[i]);
            s += e * Float::with_val(p, row[i].abs_ref());
        }
        if s > allow {
            allow = s;
        }
    }
    allow *= &eps;
    allow *= Float::with_val(p, n as u32).sqrt();
    let grad = (flow.norm2(&der.r) + allow) / n as u32;
    let mu_at = |rho: Option<&Float>| -> Option<Float> {
        let weights: Vec<Float> = match rho {
            None => vec![flow.mirror.eval(&Float::new(p)).dw; d],
            Some(rho) => der
                .beta
                .iter()
                .zip(&rown)
                .map(|(b, xn)| {
                    let mut m = Float::with_val(p, b.abs_ref()) - Float::with_val(p, xn * rho);
                    if m.is_sign_negative() {
                        m.assign(0);
                    }
                    flow.mirror.eval(&m).dw
                })
                .collect(),
        };
        // the Hessian's eigenvalues may span the range of W' (alpha^(2D-2) to O(1)
        // when fewer than N coordinates are active): factor it with that many more bits
        let q = p + spread_bits(&weights);
        let h: Vec<Float> = flow
            .gram(&weights)
            .into_iter()
            .map(|v| Float::with_val(q, v) / n as u32)
            .collect();
        let lu = RealLu::factor(h, n)?;
        let mut frob = Float::new(q);
        for j in 0..n {
            let mut e = vec![Float::new(q); n];
            e[j].assign(1);
            lu.solve(&mut e);
            for v in &e {
                if !v.is_finite() {
                    return None;
                }
                frob += Float::with_val(q, v.square_ref());
            }
        }
        let mu = Float::with_val(p, frob.sqrt_ref()).recip() / 2u32;
        (mu.is_finite() && mu.is_sign_positive() && !mu.is_zero()).then_some(mu)
    };
    let mu0 = mu_at(Some(&Float::new(p)))?;
    let mut rho = Float::with_val(p, &grad / &mu0) * 2u32;
    let mut found = None;
    for _ in 0..BALL_TRIES {
        let Some(mu) = mu_at(Some(&rho)) else { break };
        let r = Float::with_val(p, &grad / &mu);
        if r <= rho {
            found = Some((mu, r, true));
            break;
        }
        rho = r * 2u32;
    }
    let (mu, nu_dist, local) = match found {
        Some(f) => f,
        None => {
            let mu = mu_at(None)?;
            let r = Float::with_val(p, &grad / &mu);
            (mu, r, false)
        }
    };
    let mut w_dist = Float::new(p);
    for (b, xn) in der.beta.iter().zip(&rown) {
        let a = Float::with_val(p, xn * &nu_dist);
        let top = Float::with_val(p, b.abs_ref()) + &a;
        let slope = flow.mirror.eval(&top).dw;
        let v = if slope.is_finite() {
            slope * a
        } else {
            Float::with_val(p, rug::float::Special::Infinity)
        };
        if v > w_dist || !v.is_finite() {
            w_dist = v;
        }
    }
    let wmax = max_abs(p, &der.w);
    let rel = if w_dist.is_zero() {
        Float::new(p)
    } else if wmax.is_zero() {
        Float::with_val(p, rug::float::Special::Infinity)
    } else {
        Float::with_val(p, &w_dist / &wmax)
    };
    let digits = digits_from_rel_error(&rel, cap);
    Some(TailBound {
        nu_dist,
        w_dist,
        rel,
        digits,
        mu,
        grad,
        local,
    })
}

/// 64 + the spread of the binary exponents of `v` (the bits an N x N matrix with these
/// weights may need beyond its data's own conditioning).
fn spread_bits(v: &[Float]) -> u32 {
    let e: Vec<i32> = v.iter().filter_map(Float::get_exp).collect();
    match (e.iter().min(), e.iter().max()) {
        (Some(lo), Some(hi)) => 64 + (hi - lo).unsigned_abs(),
        _ => 64,
    }
}
