//! Orthogonal reduction to upper Hessenberg form, `A = Q H Q^T`, and LU of (shifted)
//! Hessenberg matrices, over MPFR.
//!
//! An implicit Runge-Kutta method needs `(d_k I - J)^{-1}` for several shifts `d_k`
//! (one per eigenvalue block of its tableau) and the same Jacobian `J`. Reducing `J`
//! once to `H = Q^T J Q` (Householder, (10/3) n^3 flops) turns every shifted system
//! into `Q (d_k I - H)^{-1} Q^T`, and a Hessenberg matrix factors in O(n^2)
//! (Enright, ACM TOMS 4 (1978)): for the 6 to 12 complex shifts of a 12- to
//! 24-stage Radau IIA method this replaces 6 to 12 complex LUs of (8/3) n^3 flops each.
//! Deterministic: the same inputs and precision give bit-identical outputs, whatever
//! the thread count (rows are updated in parallel, each exactly as serially).

use super::dot::{dot, dot_into, Term};
use super::lean::{LeanLu, LeanMatrix};
use super::linalg::{back_substitute, min_pivot, LuScalar};
use rayon::prelude::*;
use rug::{Assign, Float};
use std::cmp::Ordering;

/// Matrices at least this large have their Householder updates spread over threads.
const PARALLEL_ROWS: usize = 24;

/// `A = Q H Q^T` with `H` upper Hessenberg and `Q = P_0 P_1 ... P_{n-3}` a product of
/// Householder reflections `P_k = I - tau_k v_k v_k^T` acting on rows k+1..n, formed
/// explicitly once ((4/3) n^3 flops more than the reduction).
#[derive(Clone, Debug)]
pub struct Hessenberg {
    n: usize,
    h: Vec<Float>,
    /// Q, row-major: applied as a dense product, each entry one dot product in one
    /// rounding ([`super::dot`]), which costs less than the n - 2 reflections in turn
    q: Vec<Float>,
    /// Q^T, row-major (its rows contiguous for the dot products of Q^T x)
    qt: Vec<Float>,
    /// Q and Q^T with one-limb entries, when they have at most 64 bits
    /// ([`crate::num::lean`])
    lean: Option<(LeanMatrix, LeanMatrix)>,
}

/// dst[j] = sum_i v_i a[(off + i) * n + j] for the columns j in `cols`.
fn column_dots(
    a: &[Float],
    n: usize,
    off: usize,
    v: &[Float],
    cols: usize,
    prec: u32,
) -> Vec<Float> {
    let dot = |j: usize| {
        let mut s = Float::new(prec);
        dot_into(
            &mut s,
            v.iter()
                .enumerate()
                .map(|(i, vi)| Term::prod(vi, &a[(off + i) * n + j])),
        );
        s
    };
    if n >= PARALLEL_ROWS {
        (cols..n).into_par_iter().map(dot).collect()
    } else {
        (cols..n).map(dot).collect()
    }
}

impl Hessenberg {
    /// Reduce the row-major n x n matrix `a`.
    pub fn reduce(mut a: Vec<Float>, n: usize) -> Hessenberg {
        assert_eq!(a.len(), n * n);
        let prec = a.first().map_or(64, |x| x.prec());
        let mut reflectors = Vec::with_capacity(n.saturating_sub(2));
        for k in 0..n.saturating_sub(2) {
            // x = a[k+1.., k]; v = x - alpha e_1 with alpha = -sign(x_0) ||x||
            let x: Vec<Float> = (k + 1..n).map(|i| a[i * n + k].clone()).collect();
            let mut tail = Float::new(prec);
            for xi in &x[1..] {
                tail += Float::with_val(prec, xi.square_ref());
            }
            if tail.is_zero() {
                reflectors.push((x, Float::new(prec)));
                continue;
            }
            let norm = (tail.clone() + Float::with_val(prec, x[0].square_ref())).sqrt();
            let alpha = if x[0].is_sign_negative() { norm } else { -norm };
            let mut v = x;
            v[0] -= &alpha;
            // tau = 2 / (v^T v) = 2 / (v_0^2 + tail)
            let vtv = Float::with_val(prec, v[0].square_ref()) + &tail;
            let tau = Float::with_val(prec, 2u32) / vtv;
            // left: rows k+1..n, columns k+1..n (column k becomes (alpha, 0, ..., 0))
            reflect_left(&mut a, n, k, &v, &tau, prec);
            a[(k + 1) * n + k] = alpha;
            for i in k + 2..n {
                a[i * n + k] = Float::new(prec);
            }
            // right: every row, columns k+1..n
            let right = |row: &mut [Float]| {
                let mut r = Float::new(prec);
                let mut t = Float::new(prec);
                dot(&mut r, &row[k + 1..], &v);
                r *= &tau;
                for (rj, vj) in row[k + 1..].iter_mut().zip(&v) {
                    t.assign(&r * vj);
                    *rj -= &t;
                }
            };
            if n >= PARALLEL_ROWS {
                a.par_chunks_mut(n).for_each(right);
            } else {
                a.chunks_mut(n).for_each(right);
            }
            reflectors.push((v, tau));
        }
        // Q = P_0 P_1 ... P_{n-3}, accumulated from the right: P_k acts on rows k+1..n
        // of P_{k+1} ... P_{n-3}, which is the identity outside rows and columns k+2..n
        let mut q = vec![Float::new(prec); n * n];
        for i in 0..n {
            q[i * n + i] = Float::with_val(prec, 1);
        }
        for (k, (v, tau)) in reflectors.iter().enumerate().rev() {
            if !tau.is_zero() {
                reflect_left(&mut q, n, k, v, tau, prec);
            }
        }
        let qt: Vec<Float> = (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .map(|(i, j)| q[j * n + i].clone())
            .collect();
        let lean = LeanMatrix::new(&q, n).zip(LeanMatrix::new(&qt, n));
        Hessenberg {
            n,
            h: a,
            q,
            qt,
            lean,
        }
    }

    pub fn dim(&self) -> usize {
        self.n
    }

    /// The precision of H and Q (that of the matrix reduced).
    pub fn prec(&self) -> u32 {
        self.h.first().map_or(64, |x| x.prec())
    }

    /// H, row-major (zero below the subdiagonal).
    pub fn h(&self) -> &[Float] {
        &self.h
    }

    /// Q and Q^T with one-limb entries, for one-pass products ([`LeanMatrix::mul`]:
    /// not [`Hessenberg::apply_q`]'s exact ones rounded once, but within their window);
    /// None when H and Q are wider than 64 bits.
    pub fn lean(&self) -> Option<(&LeanMatrix, &LeanMatrix)> {
        self.lean.as_ref().map(|(q, qt)| (q, qt))
    }

    /// x <- Q^T x.
    pub fn apply_qt(&self, x: &mut [Float]) {
        mat_vec(&self.qt, self.n, x);
    }

    /// x <- Q x.
    pub fn apply_q(&self, x: &mut [Float]) {
        mat_vec(&self.q, self.n, x);
    }
}

/// x <- M x for the row-major n x n matrix M, each entry one dot product.
fn mat_vec(m: &[Float], n: usize, x: &mut [Float]) {
    let y: Vec<Float> = m
        .chunks(n)
        .zip(x.iter())
        .map(|(row, xi)| {
            let mut s = Float::new(xi.prec());
            dot(&mut s, row, x);
            s
        })
        .collect();
    for (xi, yi) in x.iter_mut().zip(y) {
        *xi = yi;
    }
}

/// a <- P_k a on rows k+1..n, columns k+1..n, for the reflection P_k = I - tau v v^T
/// acting on rows k+1..n (the columns before k+1 are zero in those rows, or are the
/// column being reduced).
fn reflect_left(a: &mut [Float], n: usize, k: usize, v: &[Float], tau: &Float, prec: u32) {
    let s = column_dots(a, n, k + 1, v, k + 1, prec);
    let update_row = |(i, row): (usize, &mut [Float])| {
        if i <= k {
            return;
        }
        let c = Float::with_val(prec, &v[i - k - 1] * tau);
        let mut t = Float::new(prec);
        for (rj, sj) in row[k + 1..].iter_mut().zip(&s) {
            t.assign(&c * sj);
            *rj -= &t;
        }
    };
    if n >= PARALLEL_ROWS {
        a.par_chunks_mut(n).enumerate().for_each(update_row);
    } else {
        a.chunks_mut(n).enumerate().for_each(update_row);
    }
}

/// LU with partial pivoting of an upper Hessenberg matrix: each elimination step
/// involves two adjacent rows only, so it costs O(n^2) and L is bidiagonal.
#[derive(Clone, Debug)]
pub struct HessLu<T> {
    n: usize,
    /// U above the diagonal and on it; the multiplier of step k at (k+1, k)
    lu: Vec<T>,
    /// rows k and k+1 were exchanged at step k
    swapped: Vec<bool>,
    /// [`LuScalar::pivot_divisor`] of each diagonal entry of U
    pdiv: Vec<T>,
}

impl<T: LuScalar> HessLu<T> {
    /// Factor the upper Hessenberg row-major n x n matrix `a` (entries below the
    /// subdiagonal are ignored). `None` when a zero pivot is met (singular).
    pub fn factor(mut a: Vec<T>, n: usize) -> Option<HessLu<T>> {
        assert_eq!(a.len(), n * n);
        let prec = a.first().map_or(64, |x| x.precision());
        let mut t = T::zero(prec);
        let mut swapped = vec![false; n];
        let mut pdiv = Vec::with_capacity(n);
        for k in 0..n {
            if k + 1 < n && a[(k + 1) * n + k].cmp_magnitude(&a[k * n + k]) == Ordering::Greater {
                for j in k..n {
                    a.swap(k * n + j, (k + 1) * n + j);
                }
                swapped[k] = true;
            }
            if a[k * n + k].is_zero_value() {
                return None;
            }
            let pdk = T::pivot_divisor(&a[k * n + k]);
            if k + 1 < n && !a[(k + 1) * n + k].is_zero_value() {
                let (top, bottom) = a.split_at_mut((k + 1) * n);
                bottom[k].div_pivot(&pdk);
                let l = bottom[k].clone();
                for j in k + 1..n {
                    bottom[j].sub_mul(&l, &top[k * n + j], &mut t);
                }
            }
            pdiv.push(pdk);
        }
        Some(HessLu {
            n,
            lu: a,
            swapped,
            pdiv,
        })
    }

    /// The smallest magnitude of a pivot (a diagonal entry of U): a factorization whose
    /// smallest pivot is tiny beside the matrix's entries is of a nearly singular
    /// matrix.
    pub fn min_pivot(&self) -> Float {
        min_pivot(&self.lu, self.n)
    }

    /// Solve `A x = b` in place.
    pub fn solve(&self, b: &mut [T]) {
        let n = self.n;
        let prec = b.first().map_or(64, |x| x.precision());
        let mut t = T::zero(prec);
        for k in 0..n.saturating_sub(1) {
            if self.swapped[k] {
                b.swap(k, k + 1);
            }
            let (head, tail) = b.split_at_mut(k + 1);
            tail[0].sub_mul(&self.lu[(k + 1) * n + k], &head[k], &mut t);
        }
        back_substitute(&self.lu, &self.pdiv, n, b);
    }
}

impl HessLu<rug::Complex> {
    /// A Hessenberg one-limb factorization ([`LeanLu::factor_hessenberg`]) as an MPC
    /// one (its values exactly); None for a dense one.
    pub fn from_lean(l: &LeanLu) -> Option<HessLu<rug::Complex>> {
        let (lu, pdiv, piv) = l.to_mpc();
        let swapped = piv.err()?.to_vec();
        Some(HessLu {
            n: l.n(),
            lu,
            swapped,
            pdiv,
        })
    }

    /// This factorization with one-limb entries, for solves that give
    /// [`HessLu::solve`]'s results bit for bit without MPC ([`LeanLu`]); None when it is
    /// wider than 64 bits.
    pub fn lean(&self) -> Option<LeanLu> {
        LeanLu::hessenberg(self.n, &self.lu, &self.pdiv, &self.swapped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::linalg::RealLu;
    use rug::Complex;

    /// A deterministic dense test matrix with entries in (-1, 1).
    fn matrix(n: usize, prec: u32, seed: u64) -> Vec<Float> {
        let mut s = seed;
        (0..n * n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let v = ((s >> 33) % 2001) as i32 - 1000;
                Float::with_val(prec, v) / 1000u32
            })
            .collect()
    }

    fn max_abs_diff(a: &[Float], b: &[Float]) -> Float {
        let prec = a[0].prec();
        a.iter()
            .zip(b)
            .map(|(x, y)| Float::with_val(prec, x - y).abs())
            .fold(Float::new(prec), |m, v| if v > m { v } else { m })
    }

    #[test]
    fn reduction_is_similarity_and_hessenberg() {
        // Q H Q^T e_j = A e_j for every j, H zero below the subdiagonal, Q orthogonal
        let p = 256;
        for n in [1usize, 2, 3, 7, 30] {
            let a = matrix(n, p, n as u64);
            let hs = Hessenberg::reduce(a.clone(), n);
            let h = hs.h();
            for i in 0..n {
                for j in 0..i.saturating_sub(1) {
                    assert!(
                        h[i * n + j].is_zero(),
                        "n={n}: H[{i}][{j}] = {}",
                        h[i * n + j]
                    );
                }
            }
            let tol = Float::with_val(p, Float::i_exp(1, -240));
            for j in 0..n {
                // column j of A: Q H Q^T e_j
                let mut e = vec![Float::new(p); n];
                e[j] = Float::with_val(p, 1);
                hs.apply_qt(&mut e);
                let mut col: Vec<Float> = (0..n)
                    .map(|i| {
                        let mut s = Float::new(p);
                        for (k, ek) in e.iter().enumerate() {
                            s += Float::with_val(p, &h[i * n + k] * ek);
                        }
                        s
                    })
                    .collect();
                hs.apply_q(&mut col);
                let want: Vec<Float> = (0..n).map(|i| a[i * n + j].clone()).collect();
                assert!(max_abs_diff(&col, &want) < tol, "n={n}, column {j}");
                // Q^T then Q is the identity
                let mut x = want.clone();
                hs.apply_qt(&mut x);
                hs.apply_q(&mut x);
                assert!(max_abs_diff(&x, &want) < tol);
            }
        }
    }

    #[test]
    fn shifted_solves_agree_with_dense_lu() {
        // (d I - A) x = b through Q (d I - H)^{-1} Q^T against the dense LU, for a real
        // and a complex shift
        let p = 256;
        let n = 25;
        let a = matrix(n, p, 11);
        let b = matrix(1, p, 5)
            .into_iter()
            .chain(matrix(n, p, 6).into_iter().take(n - 1))
            .collect::<Vec<_>>();
        let hs = Hessenberg::reduce(a.clone(), n);
        let tol = Float::with_val(p, Float::i_exp(1, -230));
        // real shift 0.3 (the matrix needs row exchanges)
        let d = Float::with_val(p, 3) / 10u32;
        let shifted = |m: &[Float]| -> Vec<Float> {
            let mut s: Vec<Float> = m.iter().map(|x| Float::with_val(p, -x)).collect();
            for i in 0..n {
                s[i * n + i] += &d;
            }
            s
        };
        let mut want = b.clone();
        RealLu::factor(shifted(&a), n).unwrap().solve(&mut want);
        let mut got = b.clone();
        hs.apply_qt(&mut got);
        HessLu::factor(shifted(hs.h()), n).unwrap().solve(&mut got);
        hs.apply_q(&mut got);
        assert!(max_abs_diff(&got, &want) < tol);
        // complex shift 0.5 + 2i: solve, then check the residual (d I - A) x - b
        let c = Complex::with_val(p, (Float::with_val(p, 1) / 2u32, 2));
        let mut m: Vec<Complex> = hs.h().iter().map(|x| Complex::with_val(p, -x)).collect();
        for i in 0..n {
            m[i * n + i] += &c;
        }
        let lu = HessLu::factor(m, n).unwrap();
        let mut re = b.clone();
        let mut im = vec![Float::new(p); n];
        hs.apply_qt(&mut re);
        hs.apply_qt(&mut im);
        let mut x: Vec<Complex> = re
            .into_iter()
            .zip(im)
            .map(|(r, i)| Complex::with_val(p, (r, i)))
            .collect();
        lu.solve(&mut x);
        let (mut xr, mut xi): (Vec<Float>, Vec<Float>) =
            x.into_iter().map(|z| z.into_real_imag()).unzip();
        hs.apply_q(&mut xr);
        hs.apply_q(&mut xi);
        for i in 0..n {
            // real part: 0.5 xr_i - 2 xi_i - (A xr)_i = b_i; imaginary: 0.5 xi_i + 2 xr_i - (A xi)_i = 0
            let mut r =
                Float::with_val(p, &xr[i] / 2u32) - Float::with_val(p, &xi[i] * 2u32) - &b[i];
            let mut q = Float::with_val(p, &xi[i] / 2u32) + Float::with_val(p, &xr[i] * 2u32);
            for j in 0..n {
                r -= Float::with_val(p, &a[i * n + j] * &xr[j]);
                q -= Float::with_val(p, &a[i * n + j] * &xi[j]);
            }
            assert!(r.abs() < tol && q.abs() < tol);
        }
    }

    #[test]
    fn singular_hessenberg_detected() {
        let p = 100;
        // [[1, 2], [1, 2]] is Hessenberg and singular
        let a: Vec<Float> = [1, 2, 1, 2]
            .iter()
            .map(|&v| Float::with_val(p, v))
            .collect();
        assert!(HessLu::factor(a, 2).is_none());
    }
}
