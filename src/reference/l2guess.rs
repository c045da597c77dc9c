//! Guess then certify for the l2 max-margin QP `min (1/2)||w||^2 s.t. z_n^T w >= 1`.
//!
//! The guess: the support set `S` of a float solution of the dual
//! `max 1^T lambda - (1/2)||Z^T lambda||^2, lambda >= 0` by coordinate ascent in
//! `f64` (each step maximizes over one `lambda_n` exactly, keeping `w = Z^T lambda`).
//!
//! The certificate, exact: solve `G_SS lambda_S = 1` (`G` the Gram matrix) by Bareiss
//! elimination, set `w = sum_S lambda_n z_n`, and require `lambda_S > 0` and
//! `z_n^T w > 1` for every `n` outside `S`. Then `(w, lambda)` satisfies the KKT
//! conditions (`w = Z^T lambda`, `lambda >= 0`, `z^T w >= 1`, complementary
//! slackness), so `w` is the (unique) optimum; its active set is exactly `S`, whose
//! normals are linearly independent (`G_SS` is nonsingular), so `lambda` is the
//! unique multiplier vector too, and the active-set method of `l2.rs` would return
//! the same pair. Anything else (a singular `G_SS`, a zero multiplier, another point
//! at margin exactly 1) is left to the active-set method.

use crate::num::rational::{dot, solve_square_bareiss};
use rug::Rational;

/// Dual coordinate ascent in `f64`, continued from `lambda` (with `w = Z^T lambda`)
/// for at most `sweeps` sweeps; `true` when converged.
fn float_dual(z: &[Vec<f64>], lambda: &mut [f64], w: &mut [f64], sweeps: usize) -> bool {
    let q: Vec<f64> = z.iter().map(|zn| zn.iter().map(|v| v * v).sum()).collect();
    for _ in 0..sweeps {
        let mut worst = 0.0f64;
        for (n, zn) in z.iter().enumerate() {
            if q[n] == 0.0 {
                continue;
            }
            let g = 1.0 - zn.iter().zip(w.iter()).map(|(a, b)| a * b).sum::<f64>();
            let new = (lambda[n] + g / q[n]).max(0.0);
            let delta = new - lambda[n];
            if delta != 0.0 {
                for (wj, zj) in w.iter_mut().zip(zn) {
                    *wj += delta * zj;
                }
                lambda[n] = new;
            }
            let viol = if lambda[n] > 0.0 { g.abs() } else { g.max(0.0) };
            worst = worst.max(viol);
        }
        if worst < 1e-13 {
            return true;
        }
    }
    false
}

/// The certified `(w, lambda)` for the support `s`, if it certifies.
fn certify(z: &[Vec<Rational>], s: &[usize]) -> Option<(Vec<Rational>, Vec<Rational>)> {
    let d = z.first().map_or(0, Vec::len);
    let gram: Vec<Vec<Rational>> = s
        .iter()
        .map(|&i| s.iter().map(|&j| dot(&z[i], &z[j])).collect())
        .collect();
    let ls = solve_square_bareiss(&gram, &vec![Rational::from(1); s.len()])?;
    if ls.iter().any(|l| *l <= 0) {
        return None;
    }
    let mut w = vec![Rational::new(); d];
    for (l, &i) in ls.iter().zip(s) {
        for (wj, zj) in w.iter_mut().zip(&z[i]) {
            if *zj != 0 {
                *wj += Rational::from(l * zj);
            }
        }
    }
    let mut lambda = vec![Rational::new(); z.len()];
    for (l, &i) in ls.into_iter().zip(s) {
        lambda[i] = l;
    }
    let mut in_s = vec![false; z.len()];
    for &i in s {
        in_s[i] = true;
    }
    for (n, zn) in z.iter().enumerate() {
        let m = dot(zn, &w);
        if in_s[n] {
            debug_assert!(m == 1);
        } else if m <= 1 {
            return None;
        }
    }
    Some((w, lambda))
}

/// `(w_l2, lambda)` by guess then certify, or `None` (then the active-set method
/// decides).
pub(super) fn certified(z: &[Vec<Rational>]) -> Option<(Vec<Rational>, Vec<Rational>)> {
    if z.is_empty() {
        return None;
    }
    let zf: Vec<Vec<f64>> = z
        .iter()
        .map(|zn| zn.iter().map(Rational::to_f64).collect())
        .collect();
    if zf.iter().flatten().any(|v| !v.is_finite()) {
        return None;
    }
    let (nn, d) = (z.len(), zf[0].len());
    let mut lambda = vec![0.0; nn];
    let mut w = vec![0.0; d];
    // Rounds of about 10^8 multiply-adds each, a certification attempt after each.
    let sweeps = (100_000_000 / (nn * d.max(1))).clamp(20, 100_000);
    for _ in 0..4 {
        let converged = float_dual(&zf, &mut lambda, &mut w, sweeps);
        if let Some(sol) = guesses(z, &zf, &lambda, &w) {
            return Some(sol);
        }
        if converged {
            break;
        }
    }
    None
}

/// Certifies the two guesses of the support: the multipliers above a relative
/// threshold, then the points at float margin 1.
fn guesses(
    z: &[Vec<Rational>],
    zf: &[Vec<f64>],
    lambda: &[f64],
    w: &[f64],
) -> Option<(Vec<Rational>, Vec<Rational>)> {
    let top = lambda.iter().cloned().fold(0.0, f64::max);
    if top <= 0.0 {
        return None;
    }
    let by_lambda: Vec<usize> = (0..z.len()).filter(|&n| lambda[n] > 1e-9 * top).collect();
    let by_margin: Vec<usize> = (0..z.len())
        .filter(|&n| {
            let m: f64 = zf[n].iter().zip(w).map(|(a, b)| a * b).sum();
            (m - 1.0).abs() < 1e-7
        })
        .collect();
    if let Some(sol) = certify(z, &by_lambda) {
        return Some(sol);
    }
    if by_margin != by_lambda && !by_margin.is_empty() {
        return certify(z, &by_margin);
    }
    None
}
