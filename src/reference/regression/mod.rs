//! References for regression with the square loss (docs/math.md §13): for points
//! `x_n in Q^d` (the rows of `points`), targets `y_n in Q` and `X = [x_1 .. x_N]` (d x N),
//! the interpolators `X^T w = y` that the flow's limit is compared with.
//!
//! * [`min_l2_interpolator`]: the minimum-l2-norm interpolator, exact (rational), with
//!   [`verify_min_l2`]; when no interpolator exists, [`RegressionError::NotInterpolable`]
//!   with an exact certificate, checked by [`verify_not_interpolable`].
//! * [`min_l1_interpolator`]: the minimum-l1-norm interpolator, an exact LP with its dual
//!   certificate and optimal face, with [`verify_min_l1`].
//! * [`q_alpha_limit`]: `argmin Q^D_alpha(w) s.t. X^T w = y` (the limit of the depth-D
//!   flow started at scale alpha), in MPFR, by damped Newton on the dual with
//!   continuation in alpha, certified by the exact residual of the returned `w` and by
//!   the digits on which a second solve at 64 more bits agrees.
//!
//! * [`theorem2`]: Theorem 2's bounds on alpha (D = 2), in logarithms.
//! * [`l1_excess`], [`l2_excess`]: the excess norms of a limit over the optimal ones, with
//!   an error bound from its verified digits.
//!
//! Files: `basis.rs` the exact point basis and the certificate of non-interpolability;
//! `l2.rs`, `l1.rs` the exact interpolators; `dual.rs` the dual function and its Newton
//! iteration; `qalpha.rs` the continuation and the certificate.

mod basis;
mod dual;
mod excess;
mod l1;
mod l2;
mod qalpha;
pub mod theorem2;

pub use basis::{point_basis, verify_not_interpolable};
pub use excess::{l1_excess, l2_excess, NormExcess};
pub use l1::{min_l1_interpolator, verify_min_l1, L1Interpolator};
pub use l2::{min_l2_interpolator, verify_min_l2, L2Interpolator};
pub use qalpha::{q_alpha_limit, q_alpha_solve, QAlphaError, QAlphaSolution, QAlphaSolve};

use crate::num::rational::dot;
use rug::Rational;

/// The exact interpolators the flow's limit rule measures itself against (its Bregman
/// tail bound, docs/math.md §12.3): the min-l1 interpolator, which the limit approaches
/// as alpha -> 0 and which makes that bound where the ball bound certifies nothing. Empty
/// when the data admit no interpolator (the flow then refuses them itself).
pub fn limit_anchors(points: &[Vec<Rational>], y: &[Rational]) -> Vec<Vec<Rational>> {
    min_l1_interpolator(points, y).map_or_else(|_| Vec::new(), |l1| vec![l1.w])
}

/// Why there is no interpolator.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegressionError {
    /// `X^T w = y` has no solution: `v` satisfies `X v = sum_n v_n x_n = 0` and
    /// `v^T y != 0` (for any `w`, `v^T (X^T w) = (X v)^T w = 0`), checkable with
    /// [`verify_not_interpolable`].
    #[error(
        "no w interpolates the data (X^T w = y has no solution): v = {v:?} satisfies \
         sum_n v_n x_n = 0 but sum_n v_n y_n = {vy} != 0"
    )]
    NotInterpolable { v: Vec<Rational>, vy: Rational },
}

/// The dimension `d` (the length of row 0, 0 when there are no points); panics when the
/// rows have different lengths or `y` has the wrong length.
pub(crate) fn check_dims(points: &[Vec<Rational>], y: &[Rational]) -> usize {
    let d = points.first().map_or(0, Vec::len);
    if let Some(n) = points.iter().position(|x| x.len() != d) {
        panic!(
            "regression: point {n} has length {} but point 0 has length {d}",
            points[n].len()
        );
    }
    assert_eq!(
        y.len(),
        points.len(),
        "regression: {} targets for {} points",
        y.len(),
        points.len()
    );
    d
}

/// The first `n` with `x_n^T w != y_n`, with the value `x_n^T w`.
pub(crate) fn first_misfit(
    points: &[Vec<Rational>],
    y: &[Rational],
    w: &[Rational],
) -> Option<(usize, Rational)> {
    points
        .iter()
        .zip(y)
        .enumerate()
        .map(|(n, (x, yn))| (n, dot(x, w), yn))
        .find(|(_, v, yn)| v != *yn)
        .map(|(n, v, _)| (n, v))
}

#[cfg(test)]
mod tests;
