//! One step attempt (the full step and the two half steps of step doubling) and the
//! step-size update that follows it.

use super::dense::{step_end, Extrapolant, Segment};
use super::newton::{all_finite, Factors};
use super::options::{Ratio, CONTROL_PREC};
use super::state::StepRecord;
use super::variation::{sample_tau, Variation};
use super::Radau;
use crate::num::dot::{dot_into, Term};
use crate::num::max_abs;
use crate::ode::Ode;
use rayon::prelude::*;
use rug::ops::Pow;
use rug::{Assign, Float};

/// The stage solutions of a step attempt from (x, y) with step h.
pub(super) struct Attempt {
    /// h/2
    pub h2: Float,
    /// x + h/2, the start of the second half step
    pub xm: Float,
    /// the state at xm, the end of the first half step
    pub ym: Vec<Float>,
    /// the stage increments of the full step
    pub zf: Vec<Vec<Float>>,
    /// the stage increments of the first half step
    pub za: Vec<Vec<Float>>,
    /// the stage increments of the second half step
    pub zb: Vec<Vec<Float>>,
}

/// A step attempt with the embedded error estimate: the full step's stage increments
/// and its estimate's size in the error norm.
pub(super) struct EmbeddedAttempt {
    pub zf: Vec<Vec<Float>>,
    /// the state at the step's end
    pub y1: Vec<Float>,
    pub err: Float,
    /// the precision of the Newton matrices, and the Hessenberg form of the Jacobian
    /// they were factored with (`Radau::jac`, which the attempt leaves in place)
    pub lin_prec: u32,
    pub q: Option<std::sync::Arc<crate::num::hessenberg::Hessenberg>>,
}

/// Passes of [`Radau::filter_refined`] per limb of the working precision, at most.
const FILTER_REFINEMENTS_PER_LIMB: usize = 2;

/// `fac` limited to [lo, hi] (compared with the upper bound first; a NaN stays NaN).
fn clamp(mut fac: Float, lo: Ratio, hi: Ratio) -> Float {
    let hi = hi.control();
    if fac > hi {
        fac = hi;
    }
    let lo = lo.control();
    if fac < lo {
        fac = lo;
    }
    fac
}

impl<O: Ode> Radau<'_, O> {
    /// A step attempt (`run`) with the Newton matrices at the linear-algebra precision.
    /// When it fails at a reduced precision, the same attempt is made again at the
    /// working precision, which is kept for the rest of the integration when it succeeds
    /// there ([`LinearPrecision::Reduced`](super::LinearPrecision::Reduced)): at once
    /// when a factorization was refused (a zero pivot, or the pivot test of
    /// [`LinearPrecision::Reduced`](super::LinearPrecision::Reduced)), and for a failed
    /// Newton iteration only when the attempt before failed there too. A single Newton
    /// failure is the ordinary sign of a step too long (its contraction rate is that of
    /// the working precision to many digits wherever the pivot test passes: on random10
    /// all eleven retries of such failures failed again, with the same rate to 14
    /// digits), so the step is shortened first; a precision too low to converge at
    /// all still reaches the working precision one shortened attempt later.
    pub(super) fn with_precision_fallback<T>(
        &mut self,
        mut run: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<T> {
        self.reduced_refused = false;
        let first = run(self);
        if first.is_some() {
            self.reduced_newton_failure = false;
            return first;
        }
        if self.lin_prec() == self.prec {
            return first;
        }
        if !self.reduced_refused && !self.reduced_newton_failure {
            self.reduced_newton_failure = true;
            return None;
        }
        self.reduced_newton_failure = false;
        self.lin_full = true;
        let again = run(self);
        if again.is_none() {
            // the working precision fails too: the step is too long, not the
            // linear algebra too coarse
            self.lin_full = false;
        }
        again
    }

    /// The stage increments of the full step from (x, y) with step h (midpoint `xm`):
    /// Newton from the collocation polynomial `prev` (the last accepted step's second
    /// half, or its full step with the embedded estimate; zero without one),
    /// with the Jacobian at the predicted midpoint and, after the first step, each
    /// Newton correction refined with the Jacobian's variation along the step
    /// ([`RadauOptions::stage_jacobians`](super::RadauOptions::stage_jacobians)); and
    /// the factorizations used. None when the stage solve fails.
    fn full_step(
        &mut self,
        x: &Float,
        y: &[Float],
        h: &Float,
        xm: &Float,
        prev: Option<&StepRecord>,
    ) -> Option<(Vec<Vec<Float>>, Factors)> {
        // the last step's polynomial extrapolated over this one, its series cut for
        // the step's end (docs/math.md §9.12)
        let seg = prev.map(|rec| rec.segment(self.tab));
        let end = Float::with_val(self.prec, x + h);
        let pred = seg.as_ref().map(|seg| Extrapolant::new(seg, &end));
        let (mut zf, ymid_pred) = match &pred {
            Some(pred) => (self.guess_from(pred, x, h, y), pred.eval(xm)),
            None => (
                vec![vec![Float::new(self.prec); self.n]; self.tab.s],
                y.to_vec(),
            ),
        };
        let mut fac = self.factor_at(xm, &ymid_pred, h)?;
        let var = match &pred {
            Some(pred) if self.opts.stage_jacobians >= 2 => self.variation(pred, x, y, xm, h),
            _ => None,
        };
        if var.is_some() {
            self.add_inner_factors(&mut fac, h);
        }
        if !self.newton(x, y, h, &mut zf, &fac, var.as_ref()) {
            return None;
        }
        Some((zf, fac))
    }

    /// The Jacobian's variation along the step from (x, y) with step h (midpoint `xm`):
    /// J at [`RadauOptions::stage_jacobians`](super::RadauOptions::stage_jacobians)
    /// equally spaced points of it, at y for the first, on the predicting polynomial
    /// `pred` for the others (the midpoint's is the one just factored, `self.jac`); None
    /// when J is the same at all of them or not finite at one.
    fn variation(
        &mut self,
        pred: &Extrapolant,
        x: &Float,
        y: &[Float],
        xm: &Float,
        h: &Float,
    ) -> Option<Variation> {
        let p = self.prec;
        // an odd count, so that the midpoint is a sample
        let m = self.opts.stage_jacobians | 1;
        let half = Float::with_val(p, h / 2u32);
        let ode = self.ode;
        let n = self.n;
        let jacs: Vec<Vec<Float>> = (0..m)
            .into_par_iter()
            .map(|j| {
                if j == m / 2 {
                    return self.jac.clone();
                }
                let mut jt = vec![Float::new(p); n * n];
                if j == 0 {
                    ode.jacobian(x, y, &mut jt);
                } else {
                    let tau = sample_tau(j, m, p);
                    let xt = Float::with_val(p, &tau * &half) + xm;
                    ode.jacobian(&xt, &pred.eval(&xt), &mut jt);
                }
                jt
            })
            .collect();
        self.stats.jac_evals += m as u64 - 1;
        // a sample that is not finite (the predicted step reaching past a pole of the
        // problem) gives no model: the step keeps simplified Newton
        if jacs.iter().flatten().any(|v| !v.is_finite()) {
            return None;
        }
        Variation::new(&jacs, xm, &half)
    }

    /// The full step from (x, y) with step h (starting from the polynomial `prev`, the
    /// Jacobian at the predicted midpoint) and the two half steps (starting from the
    /// full step's polynomial, with the full step's Jacobian). None when a stage solve
    /// fails.
    pub(super) fn attempt(
        &mut self,
        x: &Float,
        y: &[Float],
        h: &Float,
        prev: Option<&StepRecord>,
    ) -> Option<Attempt> {
        let p = self.prec;
        let tab = self.tab;
        let h2 = Float::with_val(p, h / 2u32);
        let xm = Float::with_val(p, x + &h2);
        let (zf, fac) = self.full_step(x, y, h, &xm, prev)?;
        let full = Segment {
            tab,
            x0: x,
            h,
            y0: y,
            z: &zf,
            jac: None,
        };
        // two half steps from the full step's polynomial, with the full step's Jacobian
        // (its Hessenberg reduction reused: only the O(n^2) block factorizations are new)
        let half = self.refactor(&fac, &h2)?;
        let mut za = self.guess_from(&full, x, &h2, y);
        if !self.newton(x, y, &h2, &mut za, &half, None) {
            return None;
        }
        let ym = step_end(y, &za, p);
        let mut zb = self.guess_from(&full, &xm, &h2, &ym);
        if !self.newton(&xm, &ym, &h2, &mut zb, &half, None) {
            return None;
        }
        Some(Attempt {
            h2,
            xm,
            ym,
            zf,
            za,
            zb,
        })
    }

    /// The full step from (x, y) with step h, as in [`Radau::attempt`], and the embedded
    /// error estimate (see [`Embedded`](crate::ode::tableau::Embedded)):
    /// err = (λ0/h I - J)^{-1} (f0 + Σ_j ê_j Z_j / h), f0 = f(x, y); when its size
    /// exceeds 1 and `retry_with_err` (the first step, or after a rejection), once more
    /// with f(x, y + err) in place of f0 (RADAU5). The size is measured near the step's
    /// end with the tolerance `tol`. None when a stage solve fails.
    pub(super) fn attempt_embedded(
        &mut self,
        x: &Float,
        y: &[Float],
        h: &Float,
        prev: Option<&StepRecord>,
        f0: &[Float],
        retry_with_err: bool,
        tol: &Float,
    ) -> Option<EmbeddedAttempt> {
        let p = self.prec;
        let n = self.n;
        let tab = self.tab;
        let xm = Float::with_val(p, h / 2u32) + x;
        let (zf, fac) = self.full_step(x, y, h, &xm, prev)?;
        // Σ_j ê_j Z_j / h
        let hinv = Float::with_val(p, h.recip_ref());
        let mut t = Float::new(p);
        let ez: Vec<Float> = (0..n)
            .map(|i| {
                let mut acc = Float::new(p);
                for (e, z) in tab.emb.e.iter().zip(&zf) {
                    t.assign(e * &z[i]);
                    acc += &t;
                }
                acc * &hinv
            })
            .collect();
        // the filter's right-hand side f + Σ_j ê_j Z_j / h, and the filter
        // (λ0/h I - J)^{-1} at the factors' precision
        let filter_rhs = |f: &[Float]| -> Vec<Float> {
            f.iter()
                .zip(&ez)
                .map(|(a, b)| Float::with_val(p, a + b))
                .collect()
        };
        let filter = |r: &[Float]| -> Vec<Float> {
            let mut r = r.to_vec();
            fac.solve_embedded(tab.emb.block, &mut r);
            r
        };
        let y1 = step_end(y, &zf, p);
        if !all_finite(&y1) {
            return Some(EmbeddedAttempt {
                zf,
                y1,
                err: Float::with_val(p, rug::float::Special::Nan),
                lin_prec: fac.prec(),
                q: fac.q.clone(),
            });
        }
        let scale = self.ode.error_scale(&y1, tol);
        let r0 = filter_rhs(f0);
        let e = filter(&r0);
        let mut err = scale.norm(&e);
        if retry_with_err && (err.is_nan() || err > 1u32) {
            // f is evaluated at y + err: err at the working precision there (a stiff
            // component that jumps to its equilibrium has err about its whole increment,
            // and f(y + err) amplifies an error of err by |J|)
            let e = self.filter_refined(&fac, &r0, e, &hinv);
            let ye: Vec<Float> = y
                .iter()
                .zip(&e)
                .map(|(a, b)| Float::with_val(p, a + b))
                .collect();
            let mut f1 = vec![Float::new(p); n];
            self.ode.rhs(x, &ye, &mut f1);
            self.stats.rhs_evals += 1;
            err = scale.norm(&filter(&filter_rhs(&f1)));
        }
        Some(EmbeddedAttempt {
            zf,
            y1,
            err,
            lin_prec: fac.prec(),
            q: fac.q.clone(),
        })
    }

    /// The embedded estimate's filter e = (λ0/h I - J)^{-1} r at the working precision,
    /// from `e0`, the factors' solve at their precision: iterative refinement with the
    /// residual r - (λ0/h) e + J e formed in one rounding at the working precision (J the
    /// Jacobian the factors were built from), each pass gaining about the factors' bits
    /// less log2 of the condition number, until the correction is below 2^-p of e, stops
    /// shrinking, or [`FILTER_REFINEMENTS_PER_LIMB`] passes per limb of the working
    /// precision have been made. `e0` itself when the factors are at the working precision.
    fn filter_refined(
        &self,
        fac: &Factors,
        r: &[Float],
        e0: Vec<Float>,
        hinv: &Float,
    ) -> Vec<Float> {
        let p = self.prec;
        let n = self.n;
        if fac.prec() >= p {
            return e0;
        }
        let d = Float::with_val(p, &self.tab.emb.lambda0 * hinv);
        let mut e: Vec<Float> = e0.iter().map(|v| Float::with_val(p, v)).collect();
        let mut last: Option<Float> = None;
        for _ in 0..FILTER_REFINEMENTS_PER_LIMB * (p as usize).div_ceil(64) {
            let mut c: Vec<Float> = (0..n)
                .map(|i| {
                    let mut x = Float::new(p);
                    let row = &self.jac[i * n..(i + 1) * n];
                    dot_into(
                        &mut x,
                        std::iter::once(Term::single(&r[i], false))
                            .chain(std::iter::once(Term::neg_prod(&d, &e[i])))
                            .chain(row.iter().zip(&e).map(|(a, b)| Term::prod(a, b))),
                    );
                    x
                })
                .collect();
            fac.solve_embedded(self.tab.emb.block, &mut c);
            let size = max_abs(p, &c);
            if !all_finite(&c) || last.as_ref().is_some_and(|l| size >= *l) {
                break;
            }
            for (a, b) in e.iter_mut().zip(&c) {
                *a += b;
            }
            if size.is_zero() || size <= (max_abs(p, &e) >> p as i32) {
                break;
            }
            last = Some(size);
        }
        e
    }

    /// The step-size factor the error estimate `err` asks for: safety · err^expo
    /// (expo = -1/(2s)), or the largest growth when the estimate is exactly 0.
    pub(super) fn step_factor(&self, err: &Float, expo: &Float) -> Float {
        let err64 = Float::with_val(CONTROL_PREC, err);
        if err64.is_zero() {
            self.opts.max_step_growth.control()
        } else {
            Float::with_val(CONTROL_PREC, err64.pow(expo)) * self.opts.safety.control()
        }
    }

    /// The step-size factor after an accepted step of size `h` with the estimate `err`
    /// (expo = -1/(s+1) embedded, -1/(2s) step doubling): the standard factor
    /// safety · err^expo, or, with the last accepted step size and estimate `pred` =
    /// (h_acc, err_acc), Gustafsson's predictive factor
    /// safety · (h/h_acc) · (err_acc/err)^(-expo) · err^expo when smaller (Hairer &
    /// Wanner's RADAU5 with PRED = 1). `pred` then becomes (h, max(err, 1/100)) for the
    /// next step.
    pub(super) fn step_factor_pred(
        &self,
        err: &Float,
        expo: &Float,
        h: &Float,
        pred: &mut Option<(Float, Float)>,
    ) -> Float {
        let fac = self.step_factor(err, expo);
        let err64 = Float::with_val(CONTROL_PREC, err);
        let fac = match pred.as_ref() {
            Some((hacc, erracc)) if !err64.is_zero() => {
                let ratio = Float::with_val(CONTROL_PREC, erracc / &err64);
                let minus = Float::with_val(CONTROL_PREC, -expo);
                let gus = Float::with_val(CONTROL_PREC, h / hacc)
                    * Float::with_val(CONTROL_PREC, ratio.pow(&minus))
                    * Float::with_val(CONTROL_PREC, err64.pow(expo))
                    * self.opts.safety.control();
                if gus < fac {
                    gus
                } else {
                    fac
                }
            }
            _ => fac,
        };
        let floor = Float::with_val(CONTROL_PREC, 1) / 100u32;
        *pred = Some((h.clone(), Float::with_val(CONTROL_PREC, err).max(&floor)));
        fac
    }

    /// The factor applied to the step size after an accepted step (`last_rejected`:
    /// the attempt before it was rejected).
    pub(super) fn after_acceptance(&self, fac: Float, last_rejected: bool) -> Float {
        let max = if last_rejected {
            self.opts.max_step_growth_after_rejection
        } else {
            self.opts.max_step_growth
        };
        clamp(fac, self.opts.min_step_growth, max)
    }

    /// The factor applied to the step size after a rejected step.
    pub(super) fn after_rejection(&self, fac: Float) -> Float {
        clamp(fac, self.opts.min_step_shrink, self.opts.max_step_shrink)
    }
}
