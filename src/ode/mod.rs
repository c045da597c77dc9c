//! Generic implicit ODE integration over MPFR.
//!
//! A problem implements [`Ode`]; [`radau`] integrates it with an s-stage Radau IIA
//! collocation method (order 2s-1, L-stable) whose coefficients are computed at
//! working precision. Test problems shared by the solver tests live in [`problems`].

pub mod problems;
pub mod radau;
pub mod tableau;

use crate::num::dot::dot;
use crate::num::expmemo::ExpMemo;
use rug::{Assign, Float};

/// An autonomous or non-autonomous system y' = f(x, y) in MPFR arithmetic. `Sync`,
/// because the integrator evaluates the stages of a step in parallel.
pub trait Ode: Sync {
    /// Number of components of y.
    fn dim(&self) -> usize;
    /// Working precision in bits.
    fn prec(&self) -> u32;
    /// out = f(x, y).
    fn rhs(&self, x: &Float, y: &[Float], out: &mut [Float]);
    /// out = f(x, y) for a point near the last ones evaluated with the same `memo`
    /// (one stage of a Newton iteration after another): a problem may keep there what
    /// it can update more cheaply than recompute ([`ExpMemo`]: exponentials). The
    /// values may differ from [`Ode::rhs`]'s in the last few bits (deterministically:
    /// the same calls give the same bits). Default: `rhs`.
    fn rhs_memo(&self, x: &Float, y: &[Float], out: &mut [Float], memo: &mut ExpMemo) {
        let _ = memo;
        self.rhs(x, y, out)
    }
    /// jac = df/dy at (x, y), row-major dim x dim (analytic).
    fn jacobian(&self, x: &Float, y: &[Float], jac: &mut [Float]);
    /// An upper bound for the first step from (x, y): the scale of x on which the
    /// solution changes there, when the problem knows one far shorter than the
    /// integrator's default first step (which halving could not reach). Default: none.
    fn first_step_bound(&self, _x: &Float, _y: &[Float]) -> Option<Float> {
        None
    }
    /// Whether [`Ode::step_bound`] gives bounds: the integrator then evaluates f at the
    /// start of every step for it (counted as an RHS evaluation). Default: false.
    fn bounds_steps(&self) -> bool {
        false
    }
    /// A bound on the next step from (x, y), f = f(x, y), at the tolerance `tol`: where
    /// the problem knows that the solution stops being smooth on the step's scale (a
    /// pole of a map it evaluates) or that a new feature of it begins. The integrator
    /// never attempts a step beyond it and, when its error estimate asked for at least
    /// its growth limit, grows the step to it at once. Default: none.
    fn step_bound(&self, _x: &Float, _y: &[Float], _f: &[Float], _tol: &Float) -> Option<Float> {
        None
    }
    /// How errors are measured near the state `y` for the tolerance `tol`.
    /// The default is mixed absolute/relative per component: |err_i| / (tol (1 + |y_i|)).
    fn error_scale(&self, y: &[Float], tol: &Float) -> ErrorScale {
        let prec = self.prec();
        ErrorScale {
            inv_weights: y
                .iter()
                .map(|yi| {
                    let sc = Float::with_val(prec, yi.abs_ref()) + 1u32;
                    Float::with_val(prec, sc * tol).recip()
                })
                .collect(),
            linear: None,
        }
    }
}

/// The precision of error norms (the step's error estimate, the Newton corrections'
/// sizes): they only steer the step size and the Newton stopping test, which compare
/// them with 1 and with the Newton goal, so 64 bits (one limb) are plenty; each error
/// vector is rounded to it once and the linear part's dot products run on one-limb
/// operands. Rounding e first costs an absolute error of about 2^-64 Σ_i |L_ri e_i| c
/// in a row of the linear part, far below 1 unless the row cancels by some 2^50, which
/// the flows' measures rule out (docs/math.md §9.7).
pub const NORM_PREC: u32 = 64;

/// An error measure: the size of an error vector e is the maximum of
/// |e_i| * inv_weights[i] over components and, when `linear` = (L, rows, c) is set,
/// of |(L e)_r| * c over the rows of the row-major matrix L. A size of at most 1 is
/// acceptable. Built once per state and reused for every norm taken near it. The norm
/// is computed at [`NORM_PREC`] bits: build L at that precision (a wider L works, at
/// the cost of a slower, mixed-width dot product).
#[derive(Clone, Debug)]
pub struct ErrorScale {
    pub inv_weights: Vec<Float>,
    pub linear: Option<(Vec<Float>, usize, Float)>,
}

impl ErrorScale {
    /// The size of `err` (at [`NORM_PREC`] bits).
    pub fn norm(&self, err: &[Float]) -> Float {
        let prec = NORM_PREC;
        let err: Vec<Float> = err.iter().map(|e| Float::with_val(prec, e)).collect();
        let mut m = Float::new(prec);
        let mut t = Float::new(prec);
        for (e, w) in err.iter().zip(&self.inv_weights) {
            t.assign(e * w);
            t.abs_mut();
            if t > m {
                m.assign(&t);
            }
        }
        if let Some((l, rows, c)) = &self.linear {
            let n = err.len();
            for r in 0..*rows {
                let mut acc = Float::new(prec);
                dot(&mut acc, &l[r * n..(r + 1) * n], &err);
                acc *= c;
                acc.abs_mut();
                if acc > m {
                    m.assign(&acc);
                }
            }
        }
        m
    }
}
