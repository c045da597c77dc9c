//! Radau IIA coefficients computed at working precision.
//!
//! Nodes: the roots of P*_s(x) - P*_{s-1}(x) (shifted Legendre polynomials, exact
//! integer coefficients), so c_s = 1. Matrix: a_ij = ∫_0^{c_i} l_j, with l_j the
//! Lagrange basis on the nodes. The eigenvalues of A^{-1} are the roots of the
//! (s-1, s) Padé denominator of exp, Q(z) = det(I - zA); A^{-1} = T Λ T^{-1} with Λ
//! real block-diagonal (1x1 for the real eigenvalue when s is odd, 2x2 blocks
//! [[α, β], [-β, α]] for each pair α ± iβ). All of it is computed at `prec + 64`
//! bits and rounded to `prec`.

mod interp;
mod roots;

use crate::num::aligned::AlignedMatrix;
use crate::num::lean::LeanMatrix;
use crate::num::linalg::RealLu;
use crate::num::poly;
pub use interp::NodeWeights;
use interp::{chebyshev_matrix, lagrange_weights};
use rayon::prelude::*;
use roots::{eigenvalues, nodes};
use rug::{Complex, Float};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A block of the real block-diagonal form of A^{-1}.
#[derive(Clone, Debug)]
pub enum EigBlock {
    /// A real eigenvalue λ at row/column `k`.
    Real { k: usize, lambda: Float },
    /// A pair α ± iβ (β > 0) at rows/columns `k`, `k+1`.
    Pair { k: usize, alpha: Float, beta: Float },
}

/// The precision of [`RadauTableau::t_low`] and [`RadauTableau::tinv_low`]: one limb.
pub const LOW_PREC: u32 = 64;

#[derive(Clone, Debug)]
pub struct RadauTableau {
    pub s: usize,
    pub prec: u32,
    /// nodes c_1..c_s in (0, 1], c_s = 1
    pub c: Vec<Float>,
    /// A, row-major s x s
    pub a: Vec<Float>,
    /// T and T^{-1} with A^{-1} = T Λ T^{-1}, row-major
    pub t: Vec<Float>,
    pub tinv: Vec<Float>,
    /// T's and T^{-1}'s rows brought to their largest exponents, for their products with
    /// the stage vectors ([`AlignedMatrix::mul`]; None where the kernel does not take
    /// this precision)
    pub t_aligned: Option<AlignedMatrix>,
    pub tinv_aligned: Option<AlignedMatrix>,
    /// T and T^{-1} rounded to [`LOW_PREC`] bits, for corrections that need no more
    /// (the inner iterations of the Radau integrator's Newton corrections)
    pub t_low: Vec<Float>,
    pub tinv_low: Vec<Float>,
    /// the same as plain integers, for one-pass products with one-limb vectors
    /// ([`LeanMatrix::mul`])
    pub t_lean: Option<LeanMatrix>,
    pub tinv_lean: Option<LeanMatrix>,
    pub blocks: Vec<EigBlock>,
    /// barycentric weights ω_i = 1 / (c_i Π_{j≠i} (c_i - c_j)) of the dense output
    pub bary: Vec<Float>,
    /// The collocation polynomial's Chebyshev series on its step, (s+1) x s row-major:
    /// u(θ) = y0 + Σ_{j=0..s} a_j T_j(2θ - 1) with a_j = Σ_i cheb[j s + i] Z_i (the
    /// extrapolation that predicts the next step's stages truncates it)
    pub cheb: Vec<Float>,
    /// The embedded error estimate (Hairer & Wanner II, IV.8, RADAU5's), see
    /// [`Embedded`].
    pub emb: Embedded,
}

/// The embedded formula of order s of an s-stage Radau IIA tableau: an extra explicit
/// stage at c_0 = 0 with weight γ0,
///   ŷ1 - y1 = γ0 h f(x0, y0) + Σ_j e_j Z_j,   e = A^{-T} (b̂ - b),
/// b̂_1..b̂_s fixed by Σ_{i=0..s} b̂_i c_i^{k-1} = 1/k, k = 1..s (c_0 = 0, b̂_0 = γ0).
/// Since b = (last row of A) satisfies those conditions with b_0 = 0, b̂ - b = -γ0 ℓ(0),
/// ℓ_j(0) the Lagrange basis on c_1..c_s at 0 (Σ_j ℓ_j(0) p(c_j) = p(0) for every p of
/// degree < s), so e = γ0 ê with ê = -A^{-T} ℓ(0) not depending on γ0. The estimate,
/// filtered for stiffness, is
///   err = (I - h γ0 J)^{-1} (γ0 h f0 + γ0 Σ_j ê_j Z_j) = (λ0/h I - J)^{-1} (f0 + Σ_j ê_j Z_j / h),
/// λ0 = 1/γ0: a real block of the Newton matrices' form.
#[derive(Clone, Debug)]
pub struct Embedded {
    /// λ0 = 1/γ0: for odd s the real eigenvalue of A^{-1} (its block is already
    /// factored for the stage solve); for even s, which has none, the largest real part
    /// of an eigenvalue of A^{-1} (the real part of the pair nearest the real axis: for
    /// odd s the real eigenvalue is the one of largest real part, so this continues the
    /// choice across s), which needs one extra real n x n block.
    pub lambda0: Float,
    /// the index in `blocks` of the real block with eigenvalue λ0 (odd s), else None
    pub block: Option<usize>,
    /// ê = e / γ0, the coefficients of the stage increments
    pub e: Vec<Float>,
}

/// The bits per stage the construction of A carries above the working precision.
const A_EXTRA_BITS_PER_STAGE: u32 = 3;

/// The coefficients (ascending) of M(x) = Π_i (x - c_i) at `prec` bits: one factor
/// x - c_i at a time.
fn node_polynomial(c: &[Float], prec: u32) -> Vec<Float> {
    let mut m = vec![Float::with_val(prec, 1)];
    for ci in c {
        let mut out = vec![Float::new(prec); m.len() + 1];
        for (i, a) in m.iter().enumerate() {
            out[i + 1] += a;
            out[i] -= Float::with_val(prec, a * ci);
        }
        m = out;
    }
    m
}

/// The most Radau IIA stages a user sets (order 2 MAX_STAGES - 1 = 95): the one limit
/// for case files, options and checkpoints. Measured on the flows (docs/benchmarks.md,
/// "Stages beyond 24"): at 100 digits 40 to 48 stages take 5 to 21 times fewer steps
/// than 24; beyond 48, many more attempts are rejected (200 digits: 56 stages 12
/// rejected attempts, 64 stages 134; with the predictor's cut series of numeric
/// version 13, 10 and 109), so more stages do not pay.
pub const MAX_STAGES: usize = 48;

/// The stage count up to which 64 guard bits build a tableau to its precision and
/// the eigenvector basis T loses at most about 40 bits in A^{-1} = TΛT^{-1}; beyond it
/// both grow with s (docs/math.md §9.1).
pub const WELL_CONDITIONED_STAGES: usize = 24;

/// The bits T Λ T^{-1} loses against A^{-1} beyond those of a tableau of
/// [`WELL_CONDITIONED_STAGES`], rounded up: 2 per stage (measured 38, 44, 53, 67, 83, 97
/// and 113 bits at 24, 28, 32, 40, 48, 56 and 64 stages, at 512 bits). A computation at
/// s stages carries these bits on top of those its digits need.
pub fn extra_conditioning_bits(s: usize) -> u32 {
    2 * s.saturating_sub(WELL_CONDITIONED_STAGES) as u32
}

/// The most stages of any tableau: [`MAX_STAGES`] for a computation a user sets, and
/// up to four more for a verification that follows a main run's steps
/// (`VerificationPolicy::extra_stages` in the flow). The order conditions and the
/// precision-doubling test cover it.
pub const MAX_TABLEAU_STAGES: usize = MAX_STAGES + 4;

type Cache = HashMap<(usize, u32), Arc<RadauTableau>>;

/// The process's tableaux, locked only to look up and to store.
fn tableau_cache() -> std::sync::MutexGuard<'static, Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// The inverse (s x s, row-major) of a factored matrix, column by column at `wp` bits.
fn inverse(lu: &RealLu, s: usize, wp: u32) -> Vec<Float> {
    let mut inv = vec![Float::new(wp); s * s];
    for j in 0..s {
        let mut e = vec![Float::new(wp); s];
        e[j] = Float::with_val(wp, 1);
        lu.solve(&mut e);
        for i in 0..s {
            inv[i * s + j] = e[i].clone();
        }
    }
    inv
}

impl RadauTableau {
    /// The s-stage Radau IIA method at precision `prec` (1 <= s <= MAX_TABLEAU_STAGES).
    pub fn new(s: usize, prec: u32) -> RadauTableau {
        assert!(
            (1..=MAX_TABLEAU_STAGES).contains(&s),
            "Radau IIA stages must be in 1..={MAX_TABLEAU_STAGES}"
        );
        // 64 guard bits, and 8 more per stage beyond WELL_CONDITIONED_STAGES (the
        // eigenvector basis T grows worse conditioned with s: at 28 stages 64 guard bits
        // left entries of A^{-1} = TΛT^{-1} 2^-215 off at 256 bits)
        let wp = prec + 64 + 8 * s.saturating_sub(WELL_CONDITIONED_STAGES) as u32;
        let su = s as u32;
        // the nodes and the eigenvalues of A^{-1} are independent root finds: in parallel
        // (each computed exactly as it would be serially)
        let (c, eig) = rayon::join(|| nodes(s, wp), || eigenvalues(s, wp));
        // A: a_ij = ∫_0^{c_i} l_j, l_j = M_j / M_j(c_j) with M_j = M / (x - c_j) and
        // M(x) = Π_m (x - c_m): each a_ij = Σ_k M_j[k] c_i^(k+1) / (k+1) / M_j(c_j), one
        // dot product (exact, rounded once) against the table of c_i^(k+1) / (k+1)
        let ap = wp + A_EXTRA_BITS_PER_STAGE * su;
        let mcoef = node_polynomial(&c, ap);
        let powers: Vec<Vec<Float>> = c
            .par_iter()
            .map(|ci| {
                let mut pw = Float::with_val(ap, ci);
                (0..s)
                    .map(|k| {
                        let v = Float::with_val(ap, &pw / (k + 1) as u32);
                        pw *= ci;
                        v
                    })
                    .collect()
            })
            .collect();
        let cols: Vec<Vec<Float>> = (0..s)
            .into_par_iter()
            .map(|j| {
                // synthetic division: M = (x - c_j) M_j
                let mut q = vec![Float::new(ap); s];
                q[s - 1] = mcoef[s].clone();
                for k in (1..s).rev() {
                    let v = Float::with_val(ap, &c[j] * &q[k]) + &mcoef[k];
                    q[k - 1] = v;
                }
                let mut den = Float::with_val(ap, 1);
                for m in 0..s {
                    if m != j {
                        den *= Float::with_val(ap, &c[j] - &c[m]);
                    }
                }
                powers
                    .iter()
                    .map(|pw| {
                        let mut acc = Float::new(ap);
                        crate::num::dot::dot(&mut acc, &q, pw);
                        Float::with_val(wp, acc / &den)
                    })
                    .collect()
            })
            .collect();
        let mut a = vec![Float::new(wp); s * s];
        for (j, col) in cols.into_iter().enumerate() {
            for (i, x) in col.into_iter().enumerate() {
                a[i * s + j] = x;
            }
        }
        // B = A^{-1}
        let lu = RealLu::factor(a.clone(), s).expect("Radau matrix is invertible");
        let binv = inverse(&lu, s, wp);
        let poly::Roots { reals, pairs } = eig;
        // eigenvectors in closed form (docs/math.md §9.1): for an eigenvalue λ of
        // A^{-1}, with μ = 1/λ and M(x) = Π_i (x - c_i), the polynomial
        // u = Σ_k μ^k M^{(k+1)} (the solution of u - μ u' = M' of degree s - 1) has
        // ∫_0^x u - μ u(x) = M(x) - M(0) - μ u(0), which vanishes at every node exactly
        // when λ is an eigenvalue; so (A v)_i = ∫_0^{c_i} u = μ u(c_i) for v_i = u(c_i).
        // O(s^2) per eigenvalue, at 64 more bits (Horner on M's coefficients cancels)
        let ep = wp + 64;
        let mcoef = node_polynomial(&c, ep);
        let eigvec = |lam: &Complex| -> Vec<Complex> {
            let mu = Complex::with_val(ep, lam.recip_ref());
            // u_{s-1} = s m_s; u_j = (j + 1) (m_{j+1} + μ u_{j+1})
            let mut u = vec![Complex::new(ep); s];
            u[s - 1] = Complex::with_val(ep, (su, 0));
            for j in (0..s - 1).rev() {
                let mut x = Complex::with_val(ep, &mu * &u[j + 1]);
                x += &mcoef[j + 1];
                x *= (j + 1) as u32;
                u[j] = x;
            }
            let mut v: Vec<Complex> = c
                .iter()
                .map(|ci| {
                    let mut acc = Complex::new(ep);
                    for uj in u.iter().rev() {
                        acc *= ci;
                        acc += uj;
                    }
                    acc
                })
                .collect();
            // normalize by the (first) largest component
            let mut best = 0;
            let mut bestabs = Float::new(ep);
            for (i, x) in v.iter().enumerate() {
                let ab = Float::with_val(ep, x.abs_ref());
                if ab > bestabs {
                    bestabs = ab;
                    best = i;
                }
            }
            let piv = v[best].clone();
            for x in v.iter_mut() {
                *x /= &piv;
            }
            v
        };
        let mut t = vec![Float::new(wp); s * s];
        let mut blocks = Vec::new();
        let mut col = 0;
        for lam in &reals {
            let v = eigvec(&Complex::with_val(wp, lam));
            for i in 0..s {
                t[i * s + col] = Float::with_val(wp, v[i].real());
            }
            blocks.push(EigBlock::Real {
                k: col,
                lambda: Float::with_val(prec, lam),
            });
            col += 1;
        }
        for lam in &pairs {
            let v = eigvec(lam);
            for i in 0..s {
                t[i * s + col] = Float::with_val(wp, v[i].real());
                t[i * s + col + 1] = Float::with_val(wp, v[i].imag());
            }
            blocks.push(EigBlock::Pair {
                k: col,
                alpha: Float::with_val(prec, lam.real()),
                beta: Float::with_val(prec, lam.imag()),
            });
            col += 2;
        }
        let tlu = RealLu::factor(t.clone(), s).expect("eigenvector matrix is invertible");
        let tinv = inverse(&tlu, s, wp);
        let bary: Vec<Float> = (0..s)
            .map(|i| {
                let mut d = Float::with_val(wp, &c[i]);
                for j in 0..s {
                    if j != i {
                        d *= Float::with_val(wp, &c[i] - &c[j]);
                    }
                }
                d.recip()
            })
            .collect();
        let cheb = chebyshev_matrix(&c, &bary, wp);
        // the embedded formula: ℓ_j(0) = Π_{m≠j} c_m / (c_m - c_j), ê = -A^{-T} ℓ(0)
        let ell0: Vec<Float> = (0..s)
            .map(|j| {
                let mut v = Float::with_val(wp, 1);
                for m in 0..s {
                    if m != j {
                        v *= Float::with_val(wp, &c[m] / Float::with_val(wp, &c[m] - &c[j]));
                    }
                }
                v
            })
            .collect();
        let emb_e: Vec<Float> = (0..s)
            .map(|j| {
                let mut acc = Float::new(wp);
                for (i, l) in ell0.iter().enumerate() {
                    acc -= Float::with_val(wp, &binv[i * s + j] * l);
                }
                acc
            })
            .collect();
        let (lambda0, emb_block) = match reals.first() {
            Some(l) => (
                Float::with_val(prec, l),
                blocks
                    .iter()
                    .position(|b| matches!(b, EigBlock::Real { .. })),
            ),
            None => {
                let mut best = Float::with_val(wp, pairs[0].real());
                for z in &pairs {
                    if *z.real() > best {
                        best = Float::with_val(wp, z.real());
                    }
                }
                (Float::with_val(prec, best), None)
            }
        };
        let round = |v: Vec<Float>| v.into_iter().map(|x| Float::with_val(prec, x)).collect();
        let low = |v: &[Float]| -> Vec<Float> {
            v.iter().map(|x| Float::with_val(LOW_PREC, x)).collect()
        };
        let (t_low, tinv_low) = (low(&t), low(&tinv));
        let (t, tinv): (Vec<Float>, Vec<Float>) = (round(t), round(tinv));
        RadauTableau {
            t_aligned: AlignedMatrix::new(&t, s),
            tinv_aligned: AlignedMatrix::new(&tinv, s),
            s,
            prec,
            c: round(c),
            a: round(a),
            t_lean: LeanMatrix::new(&t_low, s),
            tinv_lean: LeanMatrix::new(&tinv_low, s),
            t_low,
            tinv_low,
            t,
            tinv,
            blocks,
            bary: round(bary),
            cheb: round(cheb),
            emb: Embedded {
                lambda0,
                block: emb_block,
                e: round(emb_e),
            },
        }
    }

    /// The s-stage tableau at precision `prec`, built once per process and shared
    /// (building one costs about 0.03 s at 24 stages). No lock is held while a tableau
    /// is built (the build runs rayon tasks, and a worker waiting on a lock could be
    /// asked to run the very task that needs it): two threads asking for the same new
    /// tableau at once may each build it, and the first one stored is kept (they are
    /// identical bit for bit).
    pub fn cached(s: usize, prec: u32) -> Arc<RadauTableau> {
        if let Some(t) = tableau_cache().get(&(s, prec)) {
            return t.clone();
        }
        let t = Arc::new(RadauTableau::new(s, prec));
        tableau_cache().entry((s, prec)).or_insert(t).clone()
    }

    /// Start building the s-stage tableau at `prec` in the background (once per
    /// process), so that a later [`RadauTableau::cached`] finds it ready: the
    /// verification run's tableau is built while the main run integrates.
    pub fn prefetch(s: usize, prec: u32) {
        if !(1..=MAX_TABLEAU_STAGES).contains(&s) || tableau_cache().contains_key(&(s, prec)) {
            return;
        }
        static ASKED: Mutex<Vec<(usize, u32)>> = Mutex::new(Vec::new());
        {
            let mut asked = ASKED.lock().unwrap_or_else(|e| e.into_inner());
            if asked.contains(&(s, prec)) {
                return;
            }
            asked.push((s, prec));
        }
        rayon::spawn(move || {
            RadauTableau::cached(s, prec);
        });
    }

    /// Every coefficient: the nodes, A, T, T^{-1}, the barycentric weights, the
    /// Chebyshev matrix and the embedded weights, in that order (to compare two builds).
    pub fn coefficients(&self) -> impl Iterator<Item = &Float> {
        self.c
            .iter()
            .chain(&self.a)
            .chain(&self.t)
            .chain(&self.tinv)
            .chain(&self.bary)
            .chain(&self.cheb)
            .chain(&self.emb.e)
    }

    /// Classical order of the method, 2s - 1.
    pub fn order(&self) -> usize {
        2 * self.s - 1
    }

    /// Lagrange weights L_i(θ), i = 1..s, of the collocation polynomial on the nodes
    /// {0, c_1, ..., c_s}: u(θ) = y0 + Σ_i L_i(θ) Z_i, where Z_i = Y_i - y0.
    pub fn dense_weights(&self, theta: &Float) -> Vec<Float> {
        lagrange_weights(&self.c, &self.bary, theta, theta.prec().max(self.prec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rug::ops::Pow;
    use rug::Rational;

    fn tiny(prec: u32, bits_below: u32) -> Float {
        Float::with_val(prec, Float::i_exp(1, -((prec - bits_below) as i32)))
    }

    #[test]
    fn two_stage_matches_closed_form() {
        // Radau IIA s=2: c = (1/3, 1), A = [[5/12, -1/12], [3/4, 1/4]]
        let p = 256;
        let t = RadauTableau::new(2, p);
        let exact = [
            Rational::from((5, 12)),
            Rational::from((-1, 12)),
            Rational::from((3, 4)),
            Rational::from((1, 4)),
        ];
        for (x, e) in t.a.iter().zip(exact.iter()) {
            let d = Float::with_val(p, x - e).abs();
            assert!(d < tiny(p, 4), "{x} vs {e}");
        }
        let d = Float::with_val(p, &t.c[0] - Rational::from((1, 3))).abs();
        assert!(d < tiny(p, 4));
    }

    #[test]
    fn three_stage_nodes_closed_form() {
        // c = (4 - sqrt6)/10, (4 + sqrt6)/10, 1
        let p = 300;
        let t = RadauTableau::new(3, p);
        let s6 = Float::with_val(p, 6).sqrt();
        let c1 = Float::with_val(p, 4 - s6.clone()) / 10u32;
        let c2 = Float::with_val(p, 4 + s6) / 10u32;
        assert!(Float::with_val(p, &t.c[0] - &c1).abs() < tiny(p, 4));
        assert!(Float::with_val(p, &t.c[1] - &c2).abs() < tiny(p, 4));
    }

    /// Simplifying assumptions B(2s-1)... : sum_j a_ij c_j^{k-1} = c_i^k / k (C(s)) and
    /// sum_j b_j c_j^{k-1} = 1/k for k <= 2s-1 (B(2s-1)), with b = last row of A;
    /// and T Λ T^{-1} = A^{-1}.
    #[test]
    fn order_conditions_and_diagonalization() {
        let p = 256;
        for s in (1..=12).chain([16, 20, 24, 28, 36, MAX_STAGES, MAX_TABLEAU_STAGES]) {
            let t = RadauTableau::new(s, p);
            let tol = tiny(p, 24);
            for i in 0..s {
                for k in 1..=s {
                    let mut lhs = Float::new(p);
                    for j in 0..s {
                        lhs += Float::with_val(
                            p,
                            &t.a[i * s + j] * t.c[j].clone().pow((k - 1) as u32),
                        );
                    }
                    let rhs = Float::with_val(p, t.c[i].clone().pow(k as u32)) / (k as u32);
                    assert!(Float::with_val(p, lhs - rhs).abs() < tol, "C({s}) fails");
                }
            }
            for k in 1..=(2 * s - 1) {
                let mut lhs = Float::new(p);
                for j in 0..s {
                    lhs += Float::with_val(
                        p,
                        &t.a[(s - 1) * s + j] * t.c[j].clone().pow((k - 1) as u32),
                    );
                }
                let rhs = Float::with_val(p, 1) / (k as u32);
                assert!(
                    Float::with_val(p, lhs - rhs).abs() < tol,
                    "B({}) fails at s={s}",
                    2 * s - 1
                );
            }
            // A * (T Λ T^{-1}) = I
            let mut lam = vec![Float::new(p); s * s];
            for b in &t.blocks {
                match b {
                    EigBlock::Real { k, lambda } => lam[k * s + k] = lambda.clone(),
                    EigBlock::Pair { k, alpha, beta } => {
                        lam[k * s + k] = alpha.clone();
                        lam[k * s + k + 1] = beta.clone();
                        lam[(k + 1) * s + k] = Float::with_val(p, -beta);
                        lam[(k + 1) * s + k + 1] = alpha.clone();
                    }
                }
            }
            // products at twice the precision: the check measures the entries' error,
            // not its own rounding (T's condition number grows with s)
            let mul = |x: &[Float], y: &[Float]| {
                let mut out = vec![Float::new(2 * p); s * s];
                for i in 0..s {
                    for j in 0..s {
                        for m in 0..s {
                            out[i * s + j] += Float::with_val(2 * p, &x[i * s + m] * &y[m * s + j]);
                        }
                    }
                }
                out
            };
            let binv = mul(&mul(&t.t, &lam), &t.tinv);
            let id = mul(&t.a, &binv);
            for i in 0..s {
                for j in 0..s {
                    let e = if i == j { 1 } else { 0 };
                    let d = Float::with_val(p, &id[i * s + j] - e).abs();
                    // 40 bits of T's conditioning up to WELL_CONDITIONED_STAGES, 2 more
                    // per stage beyond (the entries themselves are correctly rounded,
                    // coefficients_are_a_build_at_four_times_the_precision_rounded)
                    let lost = 40 + extra_conditioning_bits(s);
                    assert!(d < tiny(p, lost), "diagonalization fails at s={s}: {d}");
                }
            }
        }
    }

    /// The embedded formula (see [`Embedded`]): with b̂_0 = γ0 = 1/λ0 and
    /// b̂_j = b_j + γ0 (A^T ê)_j, Σ_{i=0..s} b̂_i c_i^{k-1} = 1/k for k = 1..s to the
    /// working precision, and not for k = s + 1 (the order is s, not more); λ0 is the
    /// real eigenvalue's block for odd s, positive and no block for even s.
    #[test]
    fn embedded_weights_meet_order_s() {
        let p = 256;
        for s in (1..=12).chain([15, 16, 20, 23, 24, 28, 47, MAX_TABLEAU_STAGES]) {
            let t = RadauTableau::new(s, p);
            let g0 = Float::with_val(p, t.emb.lambda0.recip_ref());
            assert!(g0 > 0u32, "s={s}: gamma0 = {g0}");
            match t.emb.block {
                Some(bi) => match &t.blocks[bi] {
                    EigBlock::Real { lambda, .. } => assert_eq!(lambda, &t.emb.lambda0),
                    _ => panic!("s={s}: not a real block"),
                },
                None => assert!(s % 2 == 0, "s={s}: odd s without its real block"),
            }
            assert_eq!(t.emb.block.is_some(), s % 2 == 1);
            let bhat: Vec<Float> = (0..s)
                .map(|j| {
                    let mut v = Float::new(p);
                    for i in 0..s {
                        v += Float::with_val(p, &t.a[i * s + j] * &t.emb.e[i]);
                    }
                    v * &g0 + &t.a[(s - 1) * s + j]
                })
                .collect();
            let tol = tiny(p, 40);
            for k in 1..=(s + 1) {
                let mut lhs = if k == 1 { g0.clone() } else { Float::new(p) };
                for j in 0..s {
                    lhs += Float::with_val(p, &bhat[j] * t.c[j].clone().pow((k - 1) as u32));
                }
                let d = Float::with_val(p, lhs - Float::with_val(p, 1) / (k as u32)).abs();
                if k <= s {
                    assert!(d < tol, "s={s}, k={k}: order condition misses by {d}");
                } else {
                    assert!(d > Float::with_val(p, 1e-60), "s={s}: order above s");
                }
            }
        }
    }

    /// Precision doubling: every coefficient (nodes, A, T, T^{-1}, the barycentric
    /// weights, the Chebyshev matrix and the embedded weights) at 256 bits is the
    /// 1024-bit build's rounded to 256 bits, up to the largest stage count: each is
    /// correctly rounded (with the nodes polished in coefficient form at the working
    /// precision, up to numeric version 15, T^{-1} missed it in up to a quarter of its
    /// entries at 22 to 25 stages).
    #[test]
    fn coefficients_are_a_build_at_four_times_the_precision_rounded() {
        let p = 256;
        for s in [5, 18, 22, 23, 24, 25, 28, 40, MAX_TABLEAU_STAGES] {
            let lo = RadauTableau::new(s, p);
            let hi = RadauTableau::new(s, 4 * p);
            let (a, b): (Vec<&Float>, Vec<&Float>) =
                (lo.coefficients().collect(), hi.coefficients().collect());
            assert_eq!(a.len(), b.len());
            for (k, (&x, &y)) in a.iter().zip(&b).enumerate() {
                assert_eq!(*x, Float::with_val(p, y), "s={s}, entry {k}");
            }
        }
    }

    #[test]
    fn dense_weights_interpolate_nodes() {
        let p = 200;
        let t = RadauTableau::new(4, p);
        for i in 0..4 {
            let w = t.dense_weights(&t.c[i]);
            for (j, wj) in w.iter().enumerate() {
                let e = if i == j { 1 } else { 0 };
                assert!(Float::with_val(p, wj - e).abs() < tiny(p, 8));
            }
        }
    }
}
