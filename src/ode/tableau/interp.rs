//! Interpolation on the collocation nodes {0, c_1, ..., c_s}: the Lagrange weights of
//! the dense output, and the matrix taking a step's stage increments to the Chebyshev
//! series of its collocation polynomial (the next step's predictor cuts that series).

use super::RadauTableau;
use crate::num::dot::{dot_into, Term};
use rug::Float;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A tableau's dense-output weights at another tableau's nodes and at the midpoint
/// ([`RadauTableau::weights_at_nodes`]).
#[derive(Debug)]
pub struct NodeWeights {
    /// row i: the weights L_j(θ) at θ = c_i of the other tableau
    pub nodes: Vec<Vec<Float>>,
    /// the weights at θ = 1/2
    pub half: Vec<Float>,
}

/// (stages, precision) of the tableau and of the other, and the weights' precision.
type WeightKey = (usize, u32, usize, u32, u32);

impl RadauTableau {
    /// The Lagrange weights of this tableau's collocation polynomial
    /// ([`RadauTableau::dense_weights`]) at the nodes of `other` and at θ = 1/2, at
    /// `prec` bits: a follower's starting values on a whole guide segment, the same for
    /// every segment (docs/math.md §9.8). Built once per process for each pair and
    /// shared; deterministic, so a shared copy is the one built again bit for bit.
    pub fn weights_at_nodes(&self, other: &RadauTableau, prec: u32) -> Arc<NodeWeights> {
        static CACHE: OnceLock<Mutex<HashMap<WeightKey, Arc<NodeWeights>>>> = OnceLock::new();
        let cache = || {
            CACHE
                .get_or_init(|| Mutex::new(HashMap::new()))
                .lock()
                .unwrap_or_else(|e| e.into_inner())
        };
        let key = (self.s, self.prec, other.s, other.prec, prec);
        if let Some(w) = cache().get(&key) {
            return w.clone();
        }
        let at = |theta: &Float| lagrange_weights(&self.c, &self.bary, theta, prec);
        let w = Arc::new(NodeWeights {
            nodes: other
                .c
                .iter()
                .map(|c| at(&Float::with_val(prec, c)))
                .collect(),
            half: at(&Float::with_val(prec, Float::i_exp(1, -1))),
        });
        cache().entry(key).or_insert(w).clone()
    }
}

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

    /// The weights at another tableau's nodes and at 1/2 are `dense_weights` there bit
    /// for bit, they interpolate (q(θ) = θ^6 - θ/3 + θ^2, of degree s = 6 and 0 at 0,
    /// sampled at the nodes, is reproduced at the other's nodes and at 1/2 within the
    /// rounding) and they are built once.
    #[test]
    fn weights_at_nodes_interpolate() {
        let p = 192;
        let g = RadauTableau::new(6, p);
        let f = RadauTableau::new(9, 256);
        let w = g.weights_at_nodes(&f, p);
        assert_eq!(w.nodes.len(), 9);
        let half = Float::with_val(p, Float::i_exp(1, -1));
        let q = |t: &Float| {
            let t = Float::with_val(4 * p, t);
            Float::with_val(4 * p, t.clone().pow(6u32)) - Float::with_val(4 * p, &t / 3u32)
                + Float::with_val(4 * p, t.square_ref())
        };
        let qc: Vec<Float> = g.c.iter().map(q).collect();
        let thetas: Vec<Float> = f.c.iter().chain([&half]).cloned().collect();
        for (theta, row) in thetas.iter().zip(w.nodes.iter().chain([&w.half])) {
            let theta_p = Float::with_val(p, theta);
            assert_eq!(row, &g.dense_weights(&theta_p), "θ = {theta}");
            let mut v = Float::new(4 * p);
            for (wj, qj) in row.iter().zip(&qc) {
                v += Float::with_val(4 * p, wj * qj);
            }
            let d = Float::with_val(p, &v - q(&theta_p)).abs();
            assert!(
                d < Float::with_val(p, Float::i_exp(1, -(p as i32 - 8))),
                "θ = {theta}: {v} against {}",
                q(&theta_p)
            );
        }
        assert!(std::sync::Arc::ptr_eq(&w, &g.weights_at_nodes(&f, p)));
    }

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
