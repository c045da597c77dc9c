//! Newton with the Jacobian's variation along the step (RadauOptions::stage_jacobians):
//! the Jacobian sampled at equally spaced points of the predicted step, interpolated to
//! every stage, and each simplified Newton correction refined towards Newton's with the
//! stages' Jacobians by inner iterations that evaluate no right-hand side, at one limb
//! (docs/math.md §9.10).

use super::newton::{block_solve, Factors};
use super::transform::transform;
use super::Radau;
use crate::num::dot::{dot_into, Term, R64};
use crate::num::lean::LeanMatrix;
use crate::ode::Ode;
use rayon::prelude::*;
use rug::{Assign, Float};

/// The Jacobian's variation along a step attempt: samples J_j = J(t_j) at the
/// equally spaced t_j = xm + τ_j half, τ_j in [-1, 1] (their number odd, the middle
/// one τ = 0: the predicted midpoint, whose Jacobian J0 the Newton matrices are
/// factored with), stored as J_j - J0 at [`INNER_PREC`] bits. The stages' Jacobians
/// are their Lagrange interpolant in τ.
pub(super) struct Variation {
    taus: Vec<Float>,
    /// J_j - J0, row-major, at [`INNER_PREC`] bits (the middle one zero)
    diffs: Vec<Vec<Float>>,
    xm: Float,
    half: Float,
}

/// τ_j = (2j - (m - 1)) / (m - 1), the j-th of m equally spaced sample points in
/// [-1, 1], at `prec` bits.
pub(super) fn sample_tau(j: usize, m: usize, prec: u32) -> Float {
    Float::with_val(prec, 2 * j as i32 - (m as i32 - 1)) / (m as u32 - 1)
}

impl Variation {
    /// The variation from the samples `jacs` (at the working precision), the middle
    /// one J0, over [xm - half, xm + half]; None when they are all equal at
    /// [`INNER_PREC`] bits (a linear problem: nothing to refine).
    pub(super) fn new(jacs: &[Vec<Float>], xm: &Float, half: &Float) -> Option<Variation> {
        let m = jacs.len();
        let mid = m / 2;
        let taus = (0..m).map(|j| sample_tau(j, m, INNER_PREC)).collect();
        let diffs = jacs
            .iter()
            .map(|jj| {
                jj.iter()
                    .zip(&jacs[mid])
                    .map(|(a, b)| Float::with_val(INNER_PREC, a - b))
                    .collect()
            })
            .collect::<Vec<Vec<Float>>>();
        if diffs.iter().flatten().all(Float::is_zero) {
            return None;
        }
        Some(Variation {
            taus,
            diffs,
            xm: xm.clone(),
            half: half.clone(),
        })
    }

    /// E_i = J̃(τ_i) - J0 at the stage times of the step (x0, h), at [`INNER_PREC`] bits.
    pub(super) fn stage_differences(&self, c: &[Float], x0: &Float, h: &Float) -> Vec<Vec<Float>> {
        let m = self.taus.len();
        let p = self.xm.prec();
        c.par_iter()
            .map(|ci| {
                let tau = Float::with_val(
                    INNER_PREC,
                    (Float::with_val(p, ci * h) + x0 - &self.xm) / &self.half,
                );
                let l: Vec<Float> = (0..m)
                    .map(|j| {
                        let mut v = Float::with_val(INNER_PREC, 1);
                        for k in (0..m).filter(|&k| k != j) {
                            v *= Float::with_val(INNER_PREC, &tau - &self.taus[k]);
                            v /= Float::with_val(INNER_PREC, &self.taus[j] - &self.taus[k]);
                        }
                        v
                    })
                    .collect();
                (0..self.diffs[0].len())
                    .map(|e| {
                        let mut acc = Float::new(INNER_PREC);
                        dot_into(
                            &mut acc,
                            l.iter()
                                .zip(&self.diffs)
                                .map(|(lj, dj)| Term::prod(lj, &dj[e])),
                        );
                        acc
                    })
                    .collect()
            })
            .collect()
    }
}

/// The precision of the inner iterations of [`Radau::refine`].
pub(super) const INNER_PREC: u32 = crate::ode::tableau::LOW_PREC;

/// The inner iterations of [`Radau::refine`] per Newton iteration: each multiplies the
/// refined correction's distance from Newton's by simplified Newton's contraction rate
/// (about 10^-3 on the flows), so two leave it about as far as the interpolated
/// Jacobians are from the true ones (docs/benchmarks.md).
const INNER_ITERATIONS: usize = 2;

impl<O: Ode> Radau<'_, O> {
    /// Refine the simplified Newton correction dw1 towards Newton's with the stages'
    /// Jacobians J0 + E_i: [`INNER_ITERATIONS`] times
    /// dw = dw1 + B^{-1} T^{-1} (E_i (T dw)_i)_i, at [`INNER_PREC`] bits
    /// (B = Λ/h ⊗ I - I ⊗ J0, factored). Each multiplies the distance from Newton's
    /// correction by simplified Newton's contraction rate; no right-hand side is
    /// evaluated.
    pub(super) fn refine(
        &mut self,
        e: &[Vec<Float>],
        fac: &Factors,
        hinv: &Float,
        dw1: Vec<Vec<Float>>,
    ) -> Vec<Vec<Float>> {
        let fac = fac.inner.as_deref().unwrap_or(fac);
        let tab = self.tab;
        let n = self.n;
        let mut dw = dw1.clone();
        let mut dz = vec![vec![Float::new(INNER_PREC); n]; tab.s];
        let mut g = dz.clone();
        for _ in 0..INNER_ITERATIONS {
            self.stats.inner_iters += 1;
            low_transform(&tab.t_low, tab.t_lean.as_ref(), &dw, &mut dz);
            // v_i = E_i dz_i
            let v: Vec<Vec<Float>> = dz
                .par_iter()
                .zip(e)
                .map(|(dzi, ei)| {
                    ei.chunks(n)
                        .map(|row| {
                            let mut acc = Float::new(INNER_PREC);
                            dot_into(&mut acc, row.iter().zip(dzi).map(|(a, b)| Term::prod(a, b)));
                            acc
                        })
                        .collect()
                })
                .collect();
            low_transform(&tab.tinv_low, tab.tinv_lean.as_ref(), &v, &mut g);
            let corr = block_solve(tab, fac, &g, None, hinv, INNER_PREC, n);
            for ((d, a), b) in dw.iter_mut().zip(&dw1).zip(&corr) {
                for ((x, y), z) in d.iter_mut().zip(a).zip(b) {
                    x.assign(y + z);
                }
            }
        }
        dw
    }
}

/// out = M v at one limb ([`INNER_PREC`]) for a matrix M of one-limb entries and s
/// vectors v (each of the state's dimension): by [`LeanMatrix::mul`], v's entries
/// rounded to one limb first (the inner iterations' corrections need no more), one state
/// component at a time; where M has no such form or a value is not a one-limb number
/// in MPFR's range, by exact dot products of M's rows and v ([`transform`]).
/// Deterministic: which way is taken depends on the values alone.
fn low_transform(m: &[Float], lean: Option<&LeanMatrix>, v: &[Vec<Float>], out: &mut [Vec<Float>]) {
    if lean.is_none_or(|l| lean_transform(l, v, out).is_none()) {
        transform(m, None, v, out);
    }
}

/// [`low_transform`] by [`LeanMatrix::mul`]; None (out partly written) where a value is
/// not a one-limb number in MPFR's exponent range.
fn lean_transform(m: &LeanMatrix, v: &[Vec<Float>], out: &mut [Vec<Float>]) -> Option<()> {
    let s = v.len();
    let mut x = vec![R64::ZERO; s];
    let mut y = vec![R64::ZERO; s];
    for i in 0..v.first().map_or(0, Vec::len) {
        for (xj, vj) in x.iter_mut().zip(v) {
            *xj = R64::round_from(&vj[i])?;
        }
        m.mul(&x, &mut y)?;
        for (ok, yk) in out.iter_mut().zip(&y) {
            yk.write(&mut ok[i]).then_some(())?;
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// J(t) with entries polynomial in t of degree at most 4.
    fn jac_at(t: &Float) -> Vec<Float> {
        let p = t.prec();
        let t2 = Float::with_val(p, t.square_ref());
        let t3 = Float::with_val(p, &t2 * t);
        let t4 = Float::with_val(p, t2.square_ref());
        vec![
            Float::with_val(p, &t4 + t) + 1u32,
            Float::with_val(p, &t2 * 2u32),
            t3,
            Float::with_val(p, -t),
        ]
    }

    /// Five samples interpolate a Jacobian of degree 4 in t exactly: the stages'
    /// differences from J0 are J(t_i) - J(xm) to the inner precision, for a step inside
    /// the sampled one (a half step) as for the whole.
    #[test]
    fn stage_differences_interpolate_a_quartic_exactly() {
        let p = 192;
        let tab = crate::ode::tableau::RadauTableau::new(6, p);
        let x = Float::with_val(p, 3) / 7u32;
        let h = Float::with_val(p, 5) / 4u32;
        let half = Float::with_val(p, &h / 2u32);
        let xm = Float::with_val(p, &x + &half);
        let jacs: Vec<Vec<Float>> = (0..5)
            .map(|j| {
                let tau = sample_tau(j, 5, p);
                jac_at(&(Float::with_val(p, &tau * &half) + &xm))
            })
            .collect();
        let var = Variation::new(&jacs, &xm, &half).expect("J varies");
        let j0 = jac_at(&xm);
        for (x0, hh) in [(x.clone(), h.clone()), (xm.clone(), half.clone())] {
            let e = var.stage_differences(&tab.c, &x0, &hh);
            for (ci, ei) in tab.c.iter().zip(&e) {
                let t = Float::with_val(p, ci * &hh) + &x0;
                for (got, (jt, j0)) in ei.iter().zip(jac_at(&t).iter().zip(&j0)) {
                    let want = Float::with_val(p, jt - j0);
                    let err = Float::with_val(p, got - &want).abs();
                    assert!(
                        err < Float::with_val(p, Float::i_exp(1, -56)),
                        "{got} vs {want}"
                    );
                }
            }
        }
    }

    /// Samples that are all equal (a linear problem) give no variation to refine with.
    #[test]
    fn a_constant_jacobian_has_no_variation() {
        let p = 128;
        let j = vec![Float::with_val(p, 2), Float::with_val(p, -1)];
        let xm = Float::with_val(p, 1);
        assert!(Variation::new(&vec![j; 5], &xm, &xm).is_none());
    }
}
