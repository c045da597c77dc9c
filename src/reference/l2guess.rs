//! Guess then certify for the l2 max-margin QP `min (1/2)||w||^2 s.t. z_n^T w >= 1`.
//!
//! The guess: the support set `S` of a float solution of the dual
//! `max 1^T lambda - (1/2)||Z^T lambda||^2, lambda >= 0` by coordinate ascent in
//! MPFR at 64 bits (each step maximizes over one `lambda_n`, keeping `w = Z^T lambda`),
//! and when its support does not certify, primal-dual active-set (Newton) steps from it
//! at 192 bits: coordinate ascent alone crawls on ill-conditioned data (at N = d = 150
//! it had not found the support after 4 rounds, and the exact active-set method then
//! took minutes).
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

use crate::num::linalg::RealLu;
use crate::num::rational::{dot, solve_square_bareiss};
use rug::{Assign, Float, Rational};
use std::collections::HashSet;

/// Precision of the guess (MPFR; the guess is only a guess: its support is certified
/// exactly).
const PREC: u32 = 64;

/// `init + a . b` at `prec` bits (each product rounded, then summed).
fn fdot(prec: u32, init: i32, a: &[Float], b: &[Float]) -> Float {
    let mut acc = Float::with_val(prec, init);
    let mut t = Float::new(prec);
    for (x, y) in a.iter().zip(b) {
        t.assign(x * y);
        acc += &t;
    }
    acc
}

/// The supports already certified (a support is certified at most once: pdas often
/// returns the support coordinate ascent gave, and rounds repeat supports).
#[derive(Default)]
struct Tried(HashSet<Vec<usize>>);

impl Tried {
    /// [`certify`] on `s`, or `None` when `s` is empty or was tried before.
    fn certify(
        &mut self,
        z: &[Vec<Rational>],
        s: &[usize],
    ) -> Option<(Vec<Rational>, Vec<Rational>)> {
        if s.is_empty() || !self.0.insert(s.to_vec()) {
            return None;
        }
        certify(z, s)
    }
}

/// Dual coordinate ascent, continued from `lambda` (with `w = Z^T lambda`) for at most
/// `sweeps` sweeps; `true` when converged.
fn float_dual(z: &[Vec<Float>], lambda: &mut [Float], w: &mut [Float], sweeps: usize) -> bool {
    let q: Vec<Float> = z
        .iter()
        .map(|zn| {
            let mut acc = Float::new(PREC);
            for v in zn {
                acc += Float::with_val(PREC, v.square_ref());
            }
            acc
        })
        .collect();
    let tol = Float::with_val(PREC, Float::i_exp(1, -43));
    let mut t = Float::new(PREC);
    for _ in 0..sweeps {
        let mut worst = Float::new(PREC);
        for (n, zn) in z.iter().enumerate() {
            if q[n].is_zero() {
                continue;
            }
            // 1 - z_n . w, rounded as the products are subtracted one by one
            let g = -fdot(PREC, -1, zn, w);
            let mut new = Float::with_val(PREC, &g / &q[n]);
            new += &lambda[n];
            if new.is_sign_negative() {
                new.assign(0);
            }
            let delta = Float::with_val(PREC, &new - &lambda[n]);
            if !delta.is_zero() {
                for (wj, zj) in w.iter_mut().zip(zn) {
                    t.assign(&delta * zj);
                    *wj += &t;
                }
                lambda[n] = new;
            }
            let viol = if lambda[n].is_sign_positive() && !lambda[n].is_zero() {
                g.abs()
            } else if g.is_sign_positive() {
                g
            } else {
                Float::new(PREC)
            };
            if viol > worst {
                worst = viol;
            }
        }
        if worst < tol {
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
    let zf: Vec<Vec<Float>> = z
        .iter()
        .map(|zn| zn.iter().map(|q| Float::with_val(PREC, q)).collect())
        .collect();
    if zf.iter().flatten().any(|v| !v.is_finite()) {
        return None;
    }
    let (nn, d) = (z.len(), zf[0].len());
    let mut lambda = vec![Float::new(PREC); nn];
    let mut w = vec![Float::new(PREC); d];
    // Rounds of at most 10^7 multiply-adds and 1000 sweeps each, a certification
    // attempt after each. Small problems that coordinate ascent does not settle
    // (degenerate ones: dependent active constraints) are left to the active-set Newton
    // steps and the exact method rather than to 10^5 sweeps per round.
    let sweeps = (10_000_000 / (nn * d.max(1))).clamp(20, 1000);
    let mut gram = None;
    let mut tried = Tried::default();
    for _ in 0..4 {
        let converged = float_dual(&zf, &mut lambda, &mut w, sweeps);
        if let Some(sol) = guesses(&mut tried, z, &zf, &lambda, &w) {
            return Some(sol);
        }
        // Coordinate ascent crawls on ill-conditioned data (N = d in the hundreds):
        // active-set Newton steps from its support find the support in a few solves.
        let g = gram.get_or_insert_with(|| float_gram(z));
        if let Some(support) = pdas(g, &lambda) {
            if let Some(sol) = tried.certify(z, &support) {
                return Some(sol);
            }
        }
        if converged {
            break;
        }
    }
    None
}

/// Precision of the active-set Newton steps. Generous: the steps only guess a support
/// (certified exactly afterwards), and round-off in `G_SS lambda_S = 1` must not decide
/// which multipliers are positive on ill-conditioned Gram matrices (3-decimal data at
/// N = d = 150); the cost is in the O(k^3) solves, at 3x the 64-bit time.
const PDAS_PREC: u32 = 192;

/// At most this many active-set Newton steps per attempt.
const PDAS_MAX: usize = 60;

/// The Gram matrix `G = Z Z^T` at [`PDAS_PREC`] bits.
fn float_gram(z: &[Vec<Rational>]) -> Vec<Vec<Float>> {
    let zf: Vec<Vec<Float>> = z
        .iter()
        .map(|zn| zn.iter().map(|q| Float::with_val(PDAS_PREC, q)).collect())
        .collect();
    let nn = zf.len();
    let mut g = vec![vec![Float::new(PDAS_PREC); nn]; nn];
    for i in 0..nn {
        for j in 0..=i {
            let acc = fdot(PDAS_PREC, 0, &zf[i], &zf[j]);
            g[j][i].assign(&acc);
            g[i][j] = acc;
        }
    }
    g
}

/// Primal-dual active-set iterations (Hintermüller, Ito & Kunisch, SIAM J. Optim. 13,
/// 2002) on the dual `min (1/2) lambda^T G lambda - 1^T lambda, lambda >= 0`, started
/// from the support of `lambda0`: solve `G_SS lambda_S = 1` (LU with partial pivoting),
/// then keep the points of `S` with `lambda_n > 0` and add those outside with
/// `(G lambda)_n < 1`. The support when it repeats; `None` on a singular system or
/// after [`PDAS_MAX`] steps (a guess only: the caller certifies it exactly).
fn pdas(g: &[Vec<Float>], lambda0: &[Float]) -> Option<Vec<usize>> {
    let nn = g.len();
    let mut s: Vec<usize> = (0..nn)
        .filter(|&n| lambda0[n].is_sign_positive() && !lambda0[n].is_zero())
        .collect();
    let mut t = Float::new(PDAS_PREC);
    for _ in 0..PDAS_MAX {
        if s.is_empty() {
            return None;
        }
        let k = s.len();
        let a: Vec<Float> = s
            .iter()
            .flat_map(|&i| s.iter().map(move |&j| g[i][j].clone()))
            .collect();
        let lu = RealLu::factor(a, k)?;
        let mut ls = vec![Float::with_val(PDAS_PREC, 1); k];
        lu.solve(&mut ls);
        let mut lambda = vec![Float::new(PDAS_PREC); nn];
        for (l, &i) in ls.into_iter().zip(&s) {
            lambda[i] = l;
        }
        let mut in_s = vec![false; nn];
        for &i in &s {
            in_s[i] = true;
        }
        let next: Vec<usize> = (0..nn)
            .filter(|&n| {
                if in_s[n] {
                    lambda[n].is_sign_positive() && !lambda[n].is_zero()
                } else {
                    let mut m = Float::new(PDAS_PREC);
                    for &i in &s {
                        t.assign(&g[n][i] * &lambda[i]);
                        m += &t;
                    }
                    m < 1
                }
            })
            .collect();
        if next == s {
            return Some(s);
        }
        s = next;
    }
    None
}

/// Certifies the two guesses of the support: the multipliers above a relative
/// threshold, then the points at float margin 1.
fn guesses(
    tried: &mut Tried,
    z: &[Vec<Rational>],
    zf: &[Vec<Float>],
    lambda: &[Float],
    w: &[Float],
) -> Option<(Vec<Rational>, Vec<Rational>)> {
    let mut top = Float::new(PREC);
    for l in lambda {
        if *l > top {
            top.assign(l);
        }
    }
    if !top.is_sign_positive() || top.is_zero() {
        return None;
    }
    // thresholds 1e-9 (relative, multipliers) and 1e-7 (margins), as exact powers of two
    let small = Float::with_val(PREC, &top * Float::with_val(PREC, Float::i_exp(1, -30)));
    let near = Float::with_val(PREC, Float::i_exp(1, -23));
    let by_lambda: Vec<usize> = (0..z.len()).filter(|&n| lambda[n] > small).collect();
    let by_margin: Vec<usize> = (0..z.len())
        .filter(|&n| fdot(PREC, -1, &zf[n], w).abs() < near)
        .collect();
    tried
        .certify(z, &by_lambda)
        .or_else(|| tried.certify(z, &by_margin))
}
