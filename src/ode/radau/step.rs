//! One step attempt (the full step and the two half steps of step doubling) and the
//! step-size update that follows it.

use super::dense::{step_end, Segment};
use super::options::{Ratio, CONTROL_PREC};
use super::state::StepRecord;
use super::Radau;
use crate::ode::Ode;
use rug::ops::Pow;
use rug::Float;

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
    /// The full step from (x, y) with step h (starting from the previous step's
    /// polynomial `prev`, the Jacobian at the predicted midpoint) and the two half
    /// steps (starting from the full step's polynomial, each with the Jacobian at its
    /// own midpoint). None when a stage solve fails.
    pub(super) fn attempt(
        &mut self,
        x: &Float,
        y: &[Float],
        h: &Float,
        prev: Option<&StepRecord>,
    ) -> Option<Attempt> {
        let p = self.prec;
        let s = self.tab.s;
        let n = self.n;
        let tab = self.tab;
        let h2 = Float::with_val(p, h / 2u32);
        let xm = Float::with_val(p, x + &h2);
        // full step: predictor from the previous step's collocation polynomial,
        // Jacobian at the predicted midpoint of the step
        let (mut zf, ymid_pred) = match prev {
            Some(rec) => {
                let seg = Segment {
                    tab,
                    x0: &rec.x0,
                    h: &rec.h,
                    y0: &rec.y0,
                    z: &rec.z,
                };
                (self.guess_from(&seg, x, h, y), seg.eval(&xm))
            }
            None => (vec![vec![Float::new(p); n]; s], y.to_vec()),
        };
        let fac = self.factor_at(&xm, &ymid_pred, h)?;
        if !self.newton(x, y, h, &mut zf, &fac) {
            return None;
        }
        let full = Segment {
            tab,
            x0: x,
            h,
            y0: y,
            z: &zf,
        };
        // two half steps from the full step's polynomial, with the full step's Jacobian
        // (its Hessenberg reduction reused: only the O(n^2) block factorizations are new)
        let half = self.refactor(&fac, &h2)?;
        let mut za = self.guess_from(&full, x, &h2, y);
        if !self.newton(x, y, &h2, &mut za, &half) {
            return None;
        }
        let ym = step_end(y, &za, p);
        let mut zb = self.guess_from(&full, &xm, &h2, &ym);
        if !self.newton(&xm, &ym, &h2, &mut zb, &half) {
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
