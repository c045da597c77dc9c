//! The stage equations of one step, solved by simplified Newton: the Newton matrices
//! I - hA⊗J block-diagonalized with A^{-1} = TΛT^{-1} (Hairer & Wanner, IV.8), one real
//! n x n system per real eigenvalue and one complex n x n system per complex pair, each
//! factored once per step size; and the starting guesses from a collocation polynomial.
//! From [`HESSENBERG_MIN_DIM`] components on, the Jacobian is first reduced to
//! Hessenberg form J = Q H Q^T once, and every block factors d I - H in O(n^2).
//!
//! The Newton matrices are factored and applied at the linear-algebra precision
//! ([`RadauOptions::linear_precision`](super::RadauOptions::linear_precision), 64 bits
//! by default): simplified Newton only needs an approximate inverse of I - hA⊗J (its
//! contraction rate is set by how far J is from the Jacobian along the step, about
//! 10^-3 to 10^-2, far above a 64-bit factorization's error), while the residual, the
//! stage values and the corrections' accumulation stay at the working precision, so
//! the solution the iteration converges to is the same (docs/math.md §9.7).

use super::dense::Predictor;
use super::options::{
    stage_roundoff_bits, ErrorEstimate, CONTROL_PREC, HESSENBERG_MIN_DIM, NEWTON_ETA_EXPONENT,
    NEWTON_ROUNDOFF_BITS,
};
use super::transform::transform;
use super::variation::{Variation, INNER_PREC};
use super::Radau;
use crate::num::dot::R64;
use crate::num::expmemo::ExpMemo;
use crate::num::hessenberg::{HessLu, Hessenberg};
use crate::num::lean::{from_floats, LeanLu, LeanMatrix, C64};
use crate::num::linalg::{Lu, LuScalar};
use crate::num::mul::mul;
use crate::ode::tableau::EigBlock;
use crate::ode::tableau::LOW_PREC;
use crate::ode::{ErrorScale, Ode};
use rayon::prelude::*;
use rug::ops::Pow;
use rug::{Assign, Complex, Float};
use std::sync::{Arc, OnceLock};

/// One factored block d I - J: dense, or d I - H in the Hessenberg basis.
enum BlockLu<T> {
    Dense(Lu<T>),
    Hess(HessLu<T>),
}

impl<T: LuScalar> BlockLu<T> {
    fn solve(&self, b: &mut [T]) {
        match self {
            BlockLu::Dense(lu) => lu.solve(b),
            BlockLu::Hess(lu) => lu.solve(b),
        }
    }
}

/// The factored Newton matrices of one step size, one per eigenvalue block of the
/// tableau; with `q`, the blocks are factored in the Hessenberg basis of J = Q H Q^T.
pub(super) struct Factors {
    /// the precision of the factorizations: right-hand sides are rounded to it
    prec: u32,
    /// the Hessenberg form of the Jacobian the blocks were factored with, if any
    pub(super) q: Option<Arc<Hessenberg>>,
    real: Vec<Option<BlockLu<Float>>>,
    /// the complex blocks' MPC factorizations: factored by MPC, or (empty) made from the
    /// one-limb factorization the first time a solve needs them
    pairs: Vec<OnceLock<BlockLu<Complex>>>,
    /// the complex blocks with one-limb entries (factorizations at 64 bits), solved
    /// without MPC and with its results bit for bit ([`LeanLu`])
    lean: Vec<Option<LeanLu>>,
    /// λ0/h I - J of the embedded error estimate when the tableau has no real block for
    /// it (even s) and the estimate is embedded
    emb: Option<BlockLu<Float>>,
    /// the same blocks at [`INNER_PREC`] for the inner iterations, when these are at a
    /// higher precision
    pub(super) inner: Option<Box<Factors>>,
}

impl Factors {
    /// The MPC factorization of the complex block `bi`: factored by MPC, or made from
    /// its one-limb factorization (the same values) the first time it is needed.
    fn pair_lu(&self, bi: usize) -> &BlockLu<Complex> {
        self.pairs[bi].get_or_init(|| {
            let l = self.lean[bi].as_ref().expect("pair block factored");
            match Lu::from_lean(l) {
                Some(lu) => BlockLu::Dense(lu),
                None => BlockLu::Hess(HessLu::from_lean(l).expect("a Hessenberg LU")),
            }
        })
    }

    /// The precision of the factorizations.
    pub(super) fn prec(&self) -> u32 {
        self.prec
    }

    /// r := (λ0/h I - J)^{-1} r, the embedded estimate's filter (see
    /// [`Embedded`](crate::ode::tableau::Embedded)); `block` the tableau's real block for
    /// λ0 if it has one.
    pub(super) fn solve_embedded(&self, block: Option<usize>, r: &mut [Float]) {
        for v in r.iter_mut() {
            v.set_prec(self.prec);
        }
        let lu = match block {
            Some(bi) => self.real[bi].as_ref(),
            None => self.emb.as_ref(),
        };
        self.apply_qt(r);
        lu.expect("embedded block factored").solve(r);
        self.apply_q(r);
    }
    /// The complex block `lu`'s solve of (re, im) at 64 bits on one-limb values
    /// (Q^T and Q by one-pass products, the LU solve the MPC solve's bit for bit), or None
    /// when a value is not one-limb or leaves MPFR's exponent range (the caller then
    /// takes the MPFR/MPC path).
    fn lean_solve(
        &self,
        lu: &LeanLu,
        re: &[Float],
        im: &[Float],
    ) -> Option<(Vec<Float>, Vec<Float>)> {
        let n = re.len();
        let mut xr = from_floats(re)?;
        let mut xi = from_floats(im)?;
        let mut t = vec![R64::ZERO; n];
        // v <- M v in one pass (the blocks have one-limb copies only when Q has one too)
        let mut apply =
            |m: &LeanMatrix, v: &mut Vec<R64>| m.mul(v, &mut t).map(|()| std::mem::swap(v, &mut t));
        let q = self.q.as_ref().map(|q| q.lean().expect("a lean Q"));
        if let Some((_, qt)) = q {
            apply(qt, &mut xr)?;
            apply(qt, &mut xi)?;
        }
        let mut b: Vec<C64> = xr
            .iter()
            .zip(&xi)
            .map(|(&re, &im)| C64 { re, im })
            .collect();
        lu.solve(&mut b)?;
        for ((r, i), c) in xr.iter_mut().zip(xi.iter_mut()).zip(&b) {
            *r = c.re;
            *i = c.im;
        }
        if let Some((q, _)) = q {
            apply(q, &mut xr)?;
            apply(q, &mut xi)?;
        }
        let floats = |v: &[R64]| -> Option<Vec<Float>> {
            v.iter()
                .map(|x| {
                    let mut f = Float::new(LOW_PREC);
                    x.write(&mut f).then_some(f)
                })
                .collect()
        };
        Some((floats(&xr)?, floats(&xi)?))
    }

    fn apply_qt(&self, x: &mut [Float]) {
        if let Some(q) = &self.q {
            q.apply_qt(x);
        }
    }
    fn apply_q(&self, x: &mut [Float]) {
        if let Some(q) = &self.q {
            q.apply_q(x);
        }
    }
}

/// The size of a correction: its norm in the start's error measure, or the larger of
/// that and its norm in the end's once the end is known.
fn measure(start: &ErrorScale, end: Option<&ErrorScale>, dz: &[Float]) -> Float {
    let e = start.norm(dz);
    match end {
        Some(sc) => e.max(&sc.norm(dz)),
        None => e,
    }
}

pub(super) fn all_finite(v: &[Float]) -> bool {
    v.iter().all(|x| x.is_finite())
}

/// The block solves of one Newton iteration in the transformed variables:
/// dw = (Λ/h ⊗ I - I ⊗ J)^{-1} (g - Λ/h w) (without w: of g alone), block by block,
/// in parallel over the eigenvalue blocks; each block's right-hand side is formed at
/// the working precision `p` and rounded to the factorizations' precision once.
pub(super) fn block_solve(
    tab: &crate::ode::tableau::RadauTableau,
    fac: &Factors,
    g: &[Vec<Float>],
    w: Option<&[Vec<Float>]>,
    hinv: &Float,
    p: u32,
    n: usize,
) -> Vec<Vec<Float>> {
    let lp = fac.prec;
    let s = tab.s;
    let solved: Vec<(usize, Vec<Float>, Option<Vec<Float>>)> = tab
        .blocks
        .par_iter()
        .enumerate()
        .map(|(bi, b)| {
            let mut t = Float::new(p);
            match b {
                EigBlock::Real { k, lambda } => {
                    let lh = Float::with_val(p, lambda * hinv);
                    let mut r: Vec<Float> = (0..n)
                        .map(|i| match w {
                            Some(w) => {
                                mul(&mut t, &lh, &w[*k][i]);
                                Float::with_val(lp, &g[*k][i] - &t)
                            }
                            None => Float::with_val(lp, &g[*k][i]),
                        })
                        .collect();
                    fac.apply_qt(&mut r);
                    fac.real[bi]
                        .as_ref()
                        .expect("real block factored")
                        .solve(&mut r);
                    fac.apply_q(&mut r);
                    (*k, r, None)
                }
                EigBlock::Pair { k, alpha, beta } => {
                    let k = *k;
                    // without w, the right-hand side is g itself (at the factorizations'
                    // precision in the inner iterations): straight to the one-limb solve
                    if let (Some(lu), None) = (&fac.lean[bi], w) {
                        if let Some((re, im)) = fac.lean_solve(lu, &g[k], &g[k + 1]) {
                            return (k, re, Some(im));
                        }
                    }
                    let ah = Float::with_val(p, alpha * hinv);
                    let bh = Float::with_val(p, beta * hinv);
                    let (mut re, mut im): (Vec<Float>, Vec<Float>) = (0..n)
                        .map(|i| {
                            // re = g_k - (α w_k + β w_{k+1})/h, im = g_{k+1} - (-β w_k + α w_{k+1})/h
                            let mut re = g[k][i].clone();
                            let mut im = g[k + 1][i].clone();
                            if let Some(w) = w {
                                mul(&mut t, &ah, &w[k][i]);
                                re -= &t;
                                mul(&mut t, &bh, &w[k + 1][i]);
                                re -= &t;
                                mul(&mut t, &bh, &w[k][i]);
                                im += &t;
                                mul(&mut t, &ah, &w[k + 1][i]);
                                im -= &t;
                            }
                            (Float::with_val(lp, re), Float::with_val(lp, im))
                        })
                        .unzip();
                    if let Some(lu) = &fac.lean[bi] {
                        if let Some((re, im)) = fac.lean_solve(lu, &re, &im) {
                            return (k, re, Some(im));
                        }
                    }
                    fac.apply_qt(&mut re);
                    fac.apply_qt(&mut im);
                    let mut r: Vec<Complex> = re
                        .into_iter()
                        .zip(im)
                        .map(|(a, b)| Complex::with_val(lp, (a, b)))
                        .collect();
                    fac.pair_lu(bi).solve(&mut r);
                    let (mut re, mut im): (Vec<Float>, Vec<Float>) =
                        r.into_iter().map(|c| c.into_real_imag()).unzip();
                    fac.apply_q(&mut re);
                    fac.apply_q(&mut im);
                    (k, re, Some(im))
                }
            }
        })
        .collect();
    let mut dw = vec![Vec::new(); s];
    for (k, re, im) in solved {
        dw[k] = re;
        if let Some(im) = im {
            dw[k + 1] = im;
        }
    }
    dw
}

impl<O: Ode> Radau<'_, O> {
    /// Evaluate the Jacobian at (x, y) and factor the Newton matrices for step h, at the
    /// linear-algebra precision.
    pub(super) fn factor_at(&mut self, x: &Float, y: &[Float], h: &Float) -> Option<Factors> {
        self.ode.jacobian(x, y, &mut self.jac);
        self.stats.jac_evals += 1;
        self.factor_jac(h, None)
    }

    /// Factor the Newton matrices for step h with a Jacobian evaluated elsewhere: the one
    /// a followed step's were factored with (`given`, of the same problem's dimension),
    /// and its Hessenberg form when that is at this integrator's linear-algebra
    /// precision. No Jacobian is evaluated.
    pub(super) fn factor_given(
        &mut self,
        given: &super::dense::StepJacobian,
        h: &Float,
    ) -> Option<Factors> {
        debug_assert_eq!(given.jac.len(), self.jac.len());
        for (d, v) in self.jac.iter_mut().zip(given.jac) {
            rug::Assign::assign(d, v);
        }
        let q = given
            .q
            .filter(|_| given.lin_prec == self.lin_prec())
            .cloned();
        self.factor_jac(h, q)
    }

    /// Factor the Newton matrices for step h with `self.jac`, reduced to Hessenberg form
    /// (unless `q` is that form already) from [`HESSENBERG_MIN_DIM`] components on.
    fn factor_jac(&mut self, h: &Float, q: Option<Arc<Hessenberg>>) -> Option<Factors> {
        let lp = self.lin_prec();
        let q = q.or_else(|| {
            (self.n >= HESSENBERG_MIN_DIM).then(|| {
                let j = self.jac.iter().map(|v| Float::with_val(lp, v)).collect();
                Arc::new(Hessenberg::reduce(j, self.n))
            })
        });
        self.factor(h, q)
    }

    /// Factor the Newton matrices for step h with the Jacobian of `prev` (the last one
    /// evaluated), reusing its Hessenberg reduction.
    pub(super) fn refactor(&mut self, prev: &Factors, h: &Float) -> Option<Factors> {
        self.factor(h, prev.q.clone())
    }

    fn factor(&mut self, h: &Float, q: Option<Arc<Hessenberg>>) -> Option<Factors> {
        self.factor_prec(h, q, None)
    }

    /// Give `fac` (dense blocks at a precision above [`INNER_PREC`]) the same blocks at
    /// [`INNER_PREC`] for the inner iterations of [`Radau::refine`]; when a block is
    /// refused at it (ill-conditioned there), the inner iterations use `fac`'s own.
    pub(super) fn add_inner_factors(&mut self, fac: &mut Factors, h: &Float) {
        if fac.q.is_none() && fac.prec > INNER_PREC {
            let refused = self.reduced_refused;
            fac.inner = self.factor_prec(h, None, Some(INNER_PREC)).map(Box::new);
            self.reduced_refused = refused;
        }
    }

    fn factor_prec(
        &mut self,
        h: &Float,
        q: Option<Arc<Hessenberg>>,
        prec: Option<u32>,
    ) -> Option<Factors> {
        let n = self.n;
        // the linear-algebra precision: H's, or the one J is rounded to as it is copied
        let p = prec.unwrap_or_else(|| q.as_ref().map_or_else(|| self.lin_prec(), |q| q.prec()));
        // the matrix every block shifts: J, or H in the Hessenberg basis
        let m0: &[Float] = q.as_ref().map_or(&self.jac, |q| q.h());
        let hess = q.is_some();
        // at a reduced precision, a block d I - H (dense: d I - J) whose smallest pivot is
        // below 2^-(p/2) of max(|d|, max |H_ij|) is too ill-conditioned for it (the solve's
        // relative error, about cond 2^-p, would no longer be small): it counts as a
        // failed factorization, which the step attempt retries at the working precision
        let reduced = p < self.prec;
        // max |H_ij|, only where the test applies
        let hmax = if reduced {
            let big = m0.iter().fold(&m0[0], |a, b| {
                if b.cmp_abs(a) == Some(std::cmp::Ordering::Greater) {
                    b
                } else {
                    a
                }
            });
            Float::with_val(p, big.abs_ref())
        } else {
            Float::new(p)
        };
        let resolved = |min_pivot: Float, dmag: Float| -> Option<()> {
            (!reduced || min_pivot >= (dmag.max(&hmax) >> (p / 2))).then_some(())
        };
        let real_block = |lambda: &Float| -> Option<BlockLu<Float>> {
            let d = Float::with_val(p, lambda / h);
            let mut m: Vec<Float> = m0.iter().map(|x| Float::with_val(p, -x)).collect();
            for i in 0..n {
                m[i * n + i] += &d;
            }
            Some(if hess {
                let lu = HessLu::factor(m, n)?;
                resolved(lu.min_pivot(), d.abs())?;
                BlockLu::Hess(lu)
            } else {
                let lu = Lu::factor(m, n)?;
                resolved(lu.min_pivot(), d.abs())?;
                BlockLu::Dense(lu)
            })
        };
        // the embedded estimate's extra real block (even s), beside the others
        let extra = (self.opts.estimate == ErrorEstimate::Embedded && self.tab.emb.block.is_none())
            .then_some(&self.tab.emb.lambda0);
        // the complex blocks at one limb, when Q (if any) has one too: factored on plain
        // integers (LeanLu::factor_dense and factor_hessenberg: the MPC factorization's
        // values bit for bit), by MPC where these refuse (a value out of range)
        let lean_q = p == LOW_PREC && q.as_ref().is_none_or(|q| q.lean().is_some());
        // one factorization per eigenvalue block, in parallel
        type Pair = (
            Option<BlockLu<Float>>,
            Option<BlockLu<Complex>>,
            Option<LeanLu>,
        );
        let lus: Vec<Option<Pair>> = self
            .tab
            .blocks
            .par_iter()
            .map(|b| match b {
                EigBlock::Real { lambda, .. } => Some((Some(real_block(lambda)?), None, None)),
                EigBlock::Pair { alpha, beta, .. } => {
                    let dr = Float::with_val(p, alpha / h);
                    let di = Float::with_val(p, -beta) / h;
                    let dmag = Float::with_val(p, dr.abs_ref()) + &*di.as_abs();
                    if lean_q {
                        if let Some((l, mp)) = LeanLu::factor_shifted(m0, n, &dr, &di, hess)
                            .and_then(|l| l.min_pivot().map(|mp| (l, mp)))
                        {
                            resolved(mp, dmag)?;
                            return Some((None, None, Some(l)));
                        }
                    }
                    let mut m: Vec<Complex> = m0.iter().map(|x| Complex::with_val(p, -x)).collect();
                    for i in 0..n {
                        let c = Complex::with_val(p, (&dr, &di));
                        m[i * n + i] += c;
                    }
                    let lu = if hess {
                        let lu = HessLu::factor(m, n)?;
                        resolved(lu.min_pivot(), dmag)?;
                        BlockLu::Hess(lu)
                    } else {
                        let lu = Lu::factor(m, n)?;
                        resolved(lu.min_pivot(), dmag)?;
                        BlockLu::Dense(lu)
                    };
                    let lean = match &lu {
                        BlockLu::Dense(lu) if lean_q => lu.lean(),
                        BlockLu::Hess(lu) if lean_q => lu.lean(),
                        _ => None,
                    };
                    Some((None, Some(lu), lean))
                }
            })
            .collect();
        self.stats.lu_decomps += (lus.len() + usize::from(extra.is_some())) as u64;
        let emb = extra.map(real_block);
        if lus.iter().any(Option::is_none) || matches!(emb, Some(None)) {
            // a zero pivot or, at a reduced precision, the pivot test: a refusal the
            // step attempt repeats at the working precision at once
            self.reduced_refused = reduced;
            return None;
        }
        let emb = emb.flatten();
        let mut real = Vec::new();
        let mut pairs = Vec::new();
        let mut lean = Vec::new();
        for lu in lus {
            let (r, c, l) = lu?;
            real.push(r);
            pairs.push(c.map_or_else(OnceLock::new, OnceLock::from));
            lean.push(l);
        }
        Some(Factors {
            prec: p,
            q,
            real,
            pairs,
            lean,
            emb,
            inner: None,
        })
    }

    /// Solve the stage equations for one step from (x0, y0) with step h; `z` holds the
    /// starting guess and receives the solution. Returns false when Newton fails.
    pub(super) fn newton(
        &mut self,
        x0: &Float,
        y0: &[Float],
        h: &Float,
        z: &mut [Vec<Float>],
        fac: &Factors,
        var: Option<&Variation>,
    ) -> bool {
        let s = self.tab.s;
        let n = self.n;
        let p = self.prec;
        let tab = self.tab;
        let ode = self.ode;
        // the error measure: the larger of the measures at the step's start and at the
        // end of the first iterate, y0 + Z_s, where the accepted value's error (and the
        // estimate) is measured; the first correction, measured at the start alone, is
        // measured again once the end is known, so that the contraction rate compares
        // two sizes in the same measure. Where the measure changes across the step (a
        // flow's first step from w = 0, where the start's does not measure the relative
        // accuracy of w at all), the start's alone would let the accepted value keep
        // Newton errors far above the goal.
        let start_scale = ode.error_scale(y0, &self.opts.tol);
        let mut end_scale = None;
        // the Newton goal, in the error norm
        let kappa = self.opts.newton_goal.at(p);
        // a correction that does not contract and is at most this is round-off, and the
        // iterate meets the goal: NEWTON_ROUNDOFF_BITS below the goal, or up to the
        // round-off floor of the stage solves, 2^(stage_roundoff_bits(s) - p) relative,
        // which is 1/tol times that in the error norm (at most the goal itself: the flows
        // refuse precisions whose floor reaches it, stage_solve_bits)
        let roundoff = {
            let c = CONTROL_PREC;
            let below = Float::with_val(c, &kappa) >> NEWTON_ROUNDOFF_BITS;
            let bits = stage_roundoff_bits(s) as i64 - p as i64;
            let floor = Float::with_val(c, Float::i_exp(1, bits.max(i32::MIN as i64 / 2) as i32))
                / Float::with_val(c, &self.opts.tol);
            below.max(&floor.min(&Float::with_val(c, &kappa)))
        };
        // w = Tinv z
        let mut w = vec![vec![Float::new(p); n]; s];
        transform(&tab.tinv, tab.tinv_aligned.as_ref(), z, &mut w);
        let mut f = vec![vec![Float::new(p); n]; s];
        let mut g = vec![vec![Float::new(p); n]; s];
        let xs: Vec<Float> = tab
            .c
            .iter()
            .map(|c| Float::with_val(p, c * h) + x0)
            .collect();
        let hinv = Float::with_val(p, h.recip_ref());
        let var = var.map(|v| v.stage_differences(&tab.c, x0, h));
        let var = var.as_deref();
        // η for the first stopping test: the last solve's contraction rate (at least the
        // unit round-off 2^-p), moved towards 1
        let mut eta = Float::with_val(CONTROL_PREC, &self.faccon)
            .max(&Float::with_val(CONTROL_PREC, Float::i_exp(1, -(p as i32))));
        eta = eta.pow(NEWTON_ETA_EXPONENT.control());
        let mut prev: Option<Float> = None;
        // one memo per stage: each iteration's stage values are near the last ones, so
        // the problem may update what it computed there (Ode::rhs_memo); new for every
        // solve, so a solve's values depend on its own inputs alone
        let mut memos = vec![ExpMemo::new(); s];
        // the stage values y0 + z_i and the corrections T dw, written in place every
        // iteration
        let mut ys = vec![vec![Float::new(p); n]; s];
        let mut dz = vec![vec![Float::new(p); n]; s];
        for it in 0..self.opts.max_newton {
            self.stats.newton_iters += 1;
            // the s stage derivatives are independent: evaluate them in parallel
            // (each is computed exactly as it would be serially: bit-identical results)
            f.par_iter_mut()
                .zip(memos.par_iter_mut())
                .zip(ys.par_iter_mut())
                .enumerate()
                .for_each(|(i, ((fi, memo), yi))| {
                    for ((v, a), b) in yi.iter_mut().zip(y0).zip(&z[i]) {
                        v.assign(a + b);
                    }
                    ode.rhs_memo(&xs[i], yi, fi, memo);
                });
            self.stats.rhs_evals += s as u64;
            if !f.iter().all(|v| all_finite(v)) {
                return false;
            }
            // g = Tinv f
            transform(&tab.tinv, tab.tinv_aligned.as_ref(), &f, &mut g);
            // block solves, in parallel over the eigenvalue blocks (each block's
            // right-hand side formed at the working precision and rounded once to the
            // factorizations'); in the full step, the correction refined with the
            // Jacobian's variation
            let dw1 = block_solve(tab, fac, &g, Some(&w), &hinv, p, n);
            let dw = match var {
                Some(e) => self.refine(e, fac, &hinv, dw1),
                None => dw1,
            };
            // dz = T dw; z += dz; the Newton correction's size is the largest stage's
            transform(&tab.t, tab.t_aligned.as_ref(), &dw, &mut dz);
            let mut norms: Vec<Float> = z
                .par_iter_mut()
                .zip(&dz)
                .map(|(zi, dz)| {
                    let e = measure(&start_scale, end_scale.as_ref(), dz);
                    for (a, b) in zi.iter_mut().zip(dz) {
                        *a += b;
                    }
                    e
                })
                .collect();
            if it == 0 {
                let end: Vec<Float> = y0
                    .iter()
                    .zip(&z[s - 1])
                    .map(|(a, b)| Float::with_val(p, a + b))
                    .collect();
                if all_finite(&end) {
                    let sc = ode.error_scale(&end, &self.opts.tol);
                    norms = norms
                        .into_iter()
                        .zip(&dz)
                        .map(|(e, d)| e.max(&sc.norm(d)))
                        .collect();
                    end_scale = Some(sc);
                }
            }
            let mut dnorm = Float::new(p);
            for e in norms {
                if e > dnorm {
                    dnorm = e;
                }
            }
            for k in 0..s {
                for m in 0..n {
                    w[k][m] += &dw[k][m];
                }
            }
            if !dnorm.is_finite() {
                return false;
            }
            if let Some(prev) = &prev {
                if prev.is_zero() {
                    return true;
                }
                let theta = Float::with_val(CONTROL_PREC, &dnorm / prev);
                if theta >= self.opts.newton_divergence.control() {
                    // a correction this far below the goal is round-off: the iterate
                    // already meets the goal
                    if dnorm <= roundoff {
                        return true;
                    }
                    self.stats.newton_failures += 1;
                    return false;
                }
                eta = Float::with_val(
                    CONTROL_PREC,
                    &theta / (Float::with_val(CONTROL_PREC, 1) - &theta),
                );
                // predicted to miss the goal within the remaining iterations: give up early
                let remaining = (self.opts.max_newton - 1 - it) as i32;
                let pred =
                    Float::with_val(CONTROL_PREC, theta.clone().pow(remaining)) * &eta * &dnorm;
                if pred > kappa && Float::with_val(CONTROL_PREC, &eta * &dnorm) > kappa {
                    self.stats.newton_failures += 1;
                    return false;
                }
                self.faccon = Float::with_val(p, &theta);
            }
            // at least two iterations, so that the contraction rate is measured, not assumed
            if dnorm.is_zero()
                || (prev.is_some() && Float::with_val(CONTROL_PREC, &eta * &dnorm) <= kappa)
            {
                return true;
            }
            prev = Some(dnorm);
        }
        self.stats.newton_failures += 1;
        false
    }

    /// Starting guess for the stages of a step (x0, h) from a polynomial `prev` (the
    /// previous segment's extrapolated, or the full step's): Z_i = u(x0 + c_i h) - y0.
    pub(super) fn guess_from(
        &self,
        prev: &impl Predictor,
        x0: &Float,
        h: &Float,
        y0: &[Float],
    ) -> Vec<Vec<Float>> {
        let p = self.prec;
        (0..self.tab.s)
            .into_par_iter()
            .map(|i| {
                let x = Float::with_val(p, &self.tab.c[i] * h) + x0;
                let u = prev.predict(&x);
                u.iter()
                    .zip(y0)
                    .map(|(a, b)| Float::with_val(p, a - b))
                    .collect()
            })
            .collect()
    }
}
