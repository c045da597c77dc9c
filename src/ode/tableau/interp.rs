//! Interpolation on the collocation nodes {0, c_1, ..., c_s}: the Lagrange weights of
//! the dense output, and the matrix taking a step's stage increments to the Chebyshev
//! series of its collocation polynomial (the next step's predictor cuts that series).

use crate::num::dot::{dot_into, Term};
use rug::Float;

/// Lagrange weights L_i(θ), i = 1..s, on the nodes {0, c_1, ..., c_s} at `prec` bits,
/// in barycentric form L_i(θ) = ω_i ℓ(θ) / (θ - c_i), ℓ(θ) = θ Π_j (θ - c_j).
pub(super) fn lagrange_weights(
    c: &[Float],
    bary: &[Float],
    theta: &Float,
    prec: u32,
) -> Vec<Float> {
    let s = c.len();
    let diffs: Vec<Float> = c.iter().map(|c| Float::with_val(prec, theta - c)).collect();
    if let Some(i) = diffs.iter().position(|d| d.is_zero()) {
        return (0..s)
            .map(|j| Float::with_val(prec, u32::from(i == j)))
            .collect();
    }
    let mut ell = Float::with_val(prec, theta);
    for d in &diffs {
        ell *= d;
    }
    diffs
        .iter()
        .zip(bary)
        .map(|(d, w)| Float::with_val(prec, &ell * w) / d)
        .collect()
}

/// The (s+1) x s matrix (row-major) taking the stage increments Z_1..Z_s of the
/// collocation polynomial on {0, c_1..c_s} (Z = 0 at θ = 0) to its Chebyshev
/// coefficients on θ in [0, 1]: the polynomial sampled at the s+1 Chebyshev points
/// θ_k = (1 + cos(πk/s))/2 and transformed exactly (a degree-s polynomial is its own
/// interpolant there): a_j = (2/s) Σ''_k cos(πjk/s) u(θ_k), halved for j = 0 and s
/// (Σ'' halves the terms k = 0 and s).
pub(super) fn chebyshev_matrix(c: &[Float], bary: &[Float], wp: u32) -> Vec<Float> {
    let s = c.len();
    let pi = Float::with_val(wp, rug::float::Constant::Pi);
    // cos(πm/s), m = 0..2s-1: computed for m <= s/2, the rest by cos(π - x) = -cos x
    // and cos(2π - x) = cos x
    let half: Vec<Float> = (0..=s / 2)
        .map(|m| (Float::with_val(wp, &pi * m as u32) / s as u32).cos())
        .collect();
    let cosm: Vec<Float> = (0..2 * s)
        .map(|m| {
            let m = if m > s { 2 * s - m } else { m };
            if m <= s / 2 {
                half[m].clone()
            } else {
                -half[s - m].clone()
            }
        })
        .collect();
    // the weights at the Chebyshev points, those at k = 0 and s halved (exactly)
    let weights: Vec<Vec<Float>> = (0..=s)
        .map(|k| {
            let theta = (Float::with_val(wp, 1) + &cosm[k]) / 2u32;
            let mut w = lagrange_weights(c, bary, &theta, wp);
            if k == 0 || k == s {
                for x in w.iter_mut() {
                    *x >>= 1;
                }
            }
            w
        })
        .collect();
    let mut m = vec![Float::new(wp); (s + 1) * s];
    for j in 0..=s {
        for i in 0..s {
            let acc = &mut m[j * s + i];
            dot_into(
                acc,
                weights
                    .iter()
                    .enumerate()
                    .map(|(k, w)| Term::prod(&cosm[(j * k) % (2 * s)], &w[i])),
            );
            *acc <<= 1;
            *acc /= s as u32;
            if j == 0 || j == s {
                *acc >>= 1;
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::super::RadauTableau;
    use rug::ops::Pow;
    use rug::{Float, Rational};

    /// The Chebyshev matrix against a closed form: θ^3 on [0, 1] is
    /// 5/16 T_0 + 15/32 T_1 + 3/16 T_2 + 1/32 T_3 in u = 2θ - 1 (θ = (u + 1)/2,
    /// u^3 = (T_3 + 3 T_1)/4, u^2 = (T_2 + 1)/2).
    #[test]
    fn chebyshev_matrix_matches_closed_form() {
        let p = 256;
        for s in [4, 5, 20] {
            let t = RadauTableau::new(s, p);
            let z: Vec<Float> =
                t.c.iter()
                    .map(|c| Float::with_val(p, c.pow(3u32)))
                    .collect();
            let exact = [(5, 16), (15, 32), (3, 16), (1, 32)];
            for j in 0..=s {
                let mut a = Float::new(p);
                for (m, zi) in t.cheb[j * s..(j + 1) * s].iter().zip(&z) {
                    a += Float::with_val(p, m * zi);
                }
                let e = exact.get(j).map_or(Rational::new(), |&q| Rational::from(q));
                let d = Float::with_val(p, &a - &e).abs();
                assert!(
                    d < Float::with_val(p, Float::i_exp(1, -(p as i32 - 8))),
                    "s={s}, a_{j} = {a}, exact {e}"
                );
            }
        }
    }
}
