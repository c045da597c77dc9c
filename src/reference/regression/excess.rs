//! The excess norms of an approximate interpolator over the optimal ones, with an error
//! bound from its verified digits (docs/checks.md, "Regression checks"):
//!
//! * l1: `||w||_1 / ||w_l1||_1 - 1`;
//! * l2: `||w||_2^2 / ||w_l2||_2^2 - 1`.
//!
//! With `k` verified digits (normwise, infinity norm) each component of `w` is taken to be
//! within `e = ||w||_inf 10^(1-k)` of the true one (one digit of margin), so the l1 norm is
//! within `d e` and the squared l2 norm within `2 sqrt(d) ||w||_2 e + d e^2`.

use crate::num::{from_rational, max_abs, norm1, norm2, ten_pow_neg};
use rug::{Float, Rational};

/// An excess and a bound on its error.
#[derive(Clone, Debug)]
pub struct NormExcess {
    pub value: Float,
    pub err: Float,
}

impl NormExcess {
    /// Certainly at most `eps` (the excess plus its error bound).
    pub fn certainly_at_most(&self, eps: &Float) -> bool {
        Float::with_val(self.value.prec(), &self.value + &self.err) <= *eps
    }

    /// Certainly above `eps` (the excess minus its error bound).
    pub fn certainly_above(&self, eps: &Float) -> bool {
        Float::with_val(self.value.prec(), &self.value - &self.err) > *eps
    }
}

/// The componentwise error level `||w||_inf 10^(1-digits)`.
fn component_error(w: &[Float], digits: u32, prec: u32) -> Float {
    max_abs(prec, w) * from_rational(prec, &ten_pow_neg(digits)) * 10u32
}

/// `||w||_1 / opt - 1` for `opt = ||w_l1||_1 > 0`, with its error bound.
pub fn l1_excess(w: &[Float], digits: u32, opt: &Rational, prec: u32) -> NormExcess {
    let e = component_error(w, digits, prec);
    let opt = from_rational(prec, opt);
    NormExcess {
        value: norm1(prec, w) / &opt - 1u32,
        err: Float::with_val(prec, &e * w.len() as u32) / &opt,
    }
}

/// `||w||_2^2 / opt - 1` for `opt = ||w_l2||_2^2 > 0`, with its error bound.
pub fn l2_excess(w: &[Float], digits: u32, opt: &Rational, prec: u32) -> NormExcess {
    let e = component_error(w, digits, prec);
    let d = w.len() as u32;
    let opt = from_rational(prec, opt);
    let n2 = norm2(prec, w);
    let sq = Float::with_val(prec, n2.square_ref());
    let sd = Float::with_val(prec, d).sqrt();
    let err =
        Float::with_val(prec, &sd * &n2) * &e * 2u32 + Float::with_val(prec, e.square_ref()) * d;
    NormExcess {
        value: sq / &opt - 1u32,
        err: err / &opt,
    }
}
