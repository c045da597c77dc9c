//! Generic implicit ODE integration over MPFR.
//!
//! A problem implements [`Ode`]; [`radau`] integrates it with an s-stage Radau IIA
//! collocation method (order 2s-1, L-stable) whose coefficients are computed at
//! working precision. Test problems shared by the solver tests live in [`problems`].

pub mod problems;
pub mod radau;
pub mod tableau;

use crate::num::dot::{dot, dot_with, R64};
use crate::num::expmemo::ExpMemo;
use crate::num::lean;
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
        ErrorScale::new(
            y.iter()
                .map(|yi| {
                    let sc = Float::with_val(prec, yi.abs_ref()) + 1u32;
                    Float::with_val(prec, sc * tol).recip()
                })
                .collect(),
            None,
        )
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
/// is computed at [`NORM_PREC`] bits, the weights, L and c rounded to it once, as the
/// measure is built ([`ErrorScale::new`]).
#[derive(Clone, Debug)]
pub struct ErrorScale {
    inv_weights: Vec<Float>,
    linear: Option<(Vec<Float>, usize, Float)>,
    /// the same weights, L and c as plain one-limb integers ([`R64`]), for the norms
    /// taken without MPFR; None when one is not finite
    lean: Option<LeanScale>,
}

/// An [`ErrorScale`]'s weights, and its L and c if it has a linear part, as [`R64`]s.
type LeanScale = (Vec<R64>, Option<(Vec<R64>, R64)>);

impl ErrorScale {
    /// The measure with these weights and, when given, the linear part (L, rows, c), at
    /// any precision: rounded to [`NORM_PREC`] here, so that every norm multiplies
    /// one-limb numbers (numeric version 19; before, the weights and c kept the working
    /// precision and each product of a norm rounded a one-by-three-limb product).
    pub fn new(inv_weights: Vec<Float>, linear: Option<(Vec<Float>, usize, Float)>) -> ErrorScale {
        let round = |x: Float| {
            if x.prec() == NORM_PREC {
                x
            } else {
                Float::with_val(NORM_PREC, &x)
            }
        };
        let inv_weights: Vec<Float> = inv_weights.into_iter().map(round).collect();
        let linear: Option<(Vec<Float>, usize, Float)> =
            linear.map(|(l, rows, c)| (l.into_iter().map(round).collect(), rows, round(c)));
        let lean = (|| {
            let w = lean::from_floats(&inv_weights)?;
            let l = match &linear {
                Some((l, _, c)) => Some((lean::from_floats(l)?, R64::from_float(c)?)),
                None => None,
            };
            Some((w, l))
        })();
        ErrorScale {
            inv_weights,
            linear,
            lean,
        }
    }

    /// The size of `err` (at [`NORM_PREC`] bits): every product and dot product rounded
    /// as MPFR rounds it at one limb, on plain integers where every value is in MPFR's
    /// exponent range (the MPFR path's value bit for bit: a unit test compares the two),
    /// with MPFR otherwise.
    pub fn norm(&self, err: &[Float]) -> Float {
        let mut out = Float::new(NORM_PREC);
        match self.norm_lean(err) {
            Some(v) if v.write(&mut out) => out,
            _ => self.norm_mpfr(err),
        }
    }

    /// [`ErrorScale::norm`] on one-limb integers; None where a component is not finite
    /// or a dot product leaves MPFR's exponent range (the MPFR path then decides). The
    /// products' exponents are not checked: one that MPFR would overflow is the
    /// maximum, and one that it would flush to zero is the maximum only if every other
    /// is smaller still; either way the result is out of range, which [`R64::write`]
    /// refuses, and the MPFR path decides.
    fn norm_lean(&self, err: &[Float]) -> Option<R64> {
        let (w, lin) = self.lean.as_ref()?;
        let e: Vec<R64> = err.iter().map(R64::round_from).collect::<Option<_>>()?;
        let mut m = R64::ZERO;
        for (x, w) in e.iter().zip(w) {
            let t = R64::abs_mul(*x, *w);
            if t.abs_gt(m) {
                m = t;
            }
        }
        if let (Some((l, c)), Some((_, rows, _))) = (lin, &self.linear) {
            let n = e.len();
            for r in 0..*rows {
                let row = &l[r * n..(r + 1) * n];
                let acc = dot_with(None, n, |j| [(row[j], e[j], false)])?;
                let t = R64::abs_mul(acc, *c);
                if t.abs_gt(m) {
                    m = t;
                }
            }
        }
        Some(m)
    }

    /// [`ErrorScale::norm`] in MPFR: each component of `err` rounded to [`NORM_PREC`]
    /// bits, then the products and the linear part's dot products rounded once each.
    fn norm_mpfr(&self, err: &[Float]) -> Float {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::testing::xorshift as next;

    /// A random number of `prec` bits with an exponent in [-espan, espan]; one in
    /// `zeros` is zero.
    fn rnd(st: &mut u64, prec: u32, espan: i64, zeros: u64) -> Float {
        if zeros > 0 && next(st).is_multiple_of(zeros) {
            return Float::new(prec);
        }
        let mut f = Float::new(prec);
        for _ in 0..prec.div_ceil(64) {
            f <<= 64;
            f += next(st);
        }
        let e = (next(st) % (2 * espan as u64 + 1)) as i64 - espan;
        f >>= prec.div_ceil(64) as i32 * 64 - e as i32;
        if next(st).is_multiple_of(2) {
            -f
        } else {
            f
        }
    }

    /// The norm on one-limb integers is the MPFR path's bit for bit: random measures
    /// (weights, and a linear part or none, built at 192 bits and rounded) on random
    /// errors at 64 to 320 bits with zeros and exponent spreads; a NaN or infinite
    /// component, and errors whose products overflow MPFR's exponent range, go to the
    /// MPFR path and give its value.
    #[test]
    fn the_integer_norm_is_the_mpfr_norm() {
        let mut st = 0x6a09e667f3bcc909u64;
        let mut lean_taken = 0;
        for round in 0..4000u32 {
            let n = 1 + (round as usize % 12);
            let espan = [0i64, 5, 60, 300][round as usize % 4];
            let w: Vec<Float> = (0..n).map(|_| rnd(&mut st, 192, espan, 0).abs()).collect();
            let linear = (round % 3 != 0).then(|| {
                let rows = 1 + round as usize % 4;
                let l = (0..rows * n).map(|_| rnd(&mut st, 64, espan, 6)).collect();
                (l, rows, rnd(&mut st, 192, espan, 0).abs())
            });
            let sc = ErrorScale::new(w, linear);
            let prec = [64u32, 128, 192, 320][round as usize % 4];
            let mut err: Vec<Float> = (0..n).map(|_| rnd(&mut st, prec, espan, 5)).collect();
            if round % 17 == 0 {
                err[0] = Float::with_val(prec, rug::float::Special::Nan);
            } else if round % 19 == 0 {
                err[n - 1] = Float::with_val(prec, rug::float::Special::Infinity);
            } else if round % 23 == 0 {
                err[0] = Float::with_val(prec, Float::i_exp(1, rug::float::exp_max() - 1));
            }
            let got = sc.norm(&err);
            let want = sc.norm_mpfr(&err);
            lean_taken += usize::from(sc.norm_lean(&err).is_some());
            assert!(
                (got.is_nan() && want.is_nan()) || (got.is_zero() && want.is_zero()) || got == want,
                "round {round}: {got} against {want}"
            );
        }
        assert!(lean_taken > 3000, "{lean_taken} norms on integers");
    }
}
