//! The minimum-l1-norm interpolator `argmin ||w||_1 s.t. X^T w = y`, an exact LP with its
//! dual certificate and optimal face (docs/math.md §13.2).
//!
//! Variables `x = [w+ (d), w- (d)] >= 0`, `w = w+ - w-`:
//!
//! ```text
//!     minimize 1^T w+ + 1^T w-   s.t.   X^T (w+ - w-) = y,
//! ```
//!
//! whose dual is `max y^T lambda s.t. ||X lambda||_inf <= 1` (`lambda` free). It is solved
//! by [`crate::lp::solve`] (an MPFR guess certified exactly, else the exact simplex). The
//! optimal face is computed as for the l1 max-margin predictor (`reference/face.rs`,
//! documented in `reference/l1.rs`), with every interpolation constraint an equality on
//! the whole face (there are no slacks). An infeasible LP gives the Farkas vector `v`:
//! `A^T v <= 0` for the columns `x_n` and `-x_n` means `X v = 0`, and `y^T v > 0`.

use super::super::face::{norm1, optimal_face, verify_face, OptimalFace};
use super::{check_dims, first_misfit, RegressionError};
use crate::lp::{solve, split_w, LpOutcome, StandardLp};
use crate::num::rational::dot;
use crate::num::rational::mat_t_vec;
use rug::Rational;

/// The minimum-l1-norm interpolator with its certificate and optimal face.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L1Interpolator {
    /// An optimal `w` (a vertex of the optimal face).
    pub w: Vec<Rational>,
    /// A dual solution: `||X lambda||_inf <= 1` and `y^T lambda = ||w||_1`.
    pub lambda: Vec<Rational>,
    /// `OPT = ||w||_1`.
    pub norm1: Rational,
    /// Coordinates `i` with `w_i != 0`, increasing.
    pub support: Vec<usize>,
    /// The set of all minimum-l1-norm interpolators.
    pub face: OptimalFace,
}

/// The LP `min 1^T (w+ + w-) s.t. X^T (w+ - w-) = y`, `w+, w- >= 0`.
fn interpolation_lp(points: &[Vec<Rational>], y: &[Rational], d: usize) -> StandardLp {
    let a = points
        .iter()
        .map(|x| {
            let mut row = Vec::with_capacity(2 * d);
            row.extend(x.iter().cloned());
            row.extend(x.iter().map(|v| Rational::from(-v)));
            row
        })
        .collect();
    StandardLp {
        a,
        b: y.to_vec(),
        c: vec![Rational::from(1); 2 * d],
    }
}

/// The minimum-l1-norm interpolator `argmin ||w||_1 s.t. x_n^T w = y_n`, exactly, with its
/// optimal face.
///
/// # Errors
/// [`RegressionError::NotInterpolable`] with its certificate when no `w` interpolates.
///
/// # Panics
/// If the points have different lengths or `y` has the wrong length.
pub fn min_l1_interpolator(
    points: &[Vec<Rational>],
    y: &[Rational],
) -> Result<L1Interpolator, RegressionError> {
    let d = check_dims(points, y);
    let lp = interpolation_lp(points, y, d);
    let sol = match solve(&lp) {
        LpOutcome::Optimal(sol) => sol,
        LpOutcome::Infeasible { farkas_y } => {
            let vy = dot(&farkas_y, y);
            return Err(RegressionError::NotInterpolable { v: farkas_y, vy });
        }
        LpOutcome::Unbounded { .. } => unreachable!("the l1 norm is bounded below by 0"),
    };
    let w = split_w(&sol.x, d);
    let lambda = sol.y.clone();
    let xl = mat_t_vec(points, &lambda, d);
    let rc: Vec<Rational> = (0..2 * d)
        .map(|j| {
            if j < d {
                Rational::from(1 - &xl[j])
            } else {
                Rational::from(1 + &xl[j - d])
            }
        })
        .collect();
    let face = optimal_face(&lp, d, &sol.x, &rc, |_| points.to_vec());
    let support = (0..d).filter(|&i| w[i] != 0).collect();
    Ok(L1Interpolator {
        w,
        lambda,
        norm1: sol.objective,
        support,
        face,
    })
}

/// Checks an [`L1Interpolator`] exactly and independently of the solver.
///
/// * Optimality: `X^T w = y` (primal feasible), `||X lambda||_inf <= 1` (dual feasible)
///   and `||w||_1 = y^T lambda = norm1` (equal objectives: weak duality then proves that
///   no interpolator has a smaller l1 norm); `support` is the support of `w`.
/// * Face: as for the l1 max-margin predictor (every vertex an interpolator with
///   `||v||_1 = OPT`, the vertices spanning `w + span(directions)`), and every direction
///   `u` keeps the constraints (`X^T u = 0`) and moves only coordinates with
///   `|(X lambda)_i| = 1` (complementary slackness).
pub fn verify_min_l1(
    points: &[Vec<Rational>],
    y: &[Rational],
    sol: &L1Interpolator,
) -> Result<(), String> {
    let d = check_dims(points, y);
    if sol.w.len() != d || sol.lambda.len() != points.len() {
        return Err(format!(
            "w has length {} (d = {d}), lambda has length {} (N = {})",
            sol.w.len(),
            sol.lambda.len(),
            points.len()
        ));
    }
    let feasible = |w: &[Rational], what: &str| -> Result<(), String> {
        match first_misfit(points, y, w) {
            Some((n, v)) => Err(format!("{what}: x_{n}^T w = {v} != y_{n} = {}", y[n])),
            None => Ok(()),
        }
    };
    feasible(&sol.w, "w")?;
    let xl = mat_t_vec(points, &sol.lambda, d);
    if let Some(i) = (0..d).find(|&i| Rational::from(xl[i].abs_ref()) > 1) {
        return Err(format!(
            "|(X lambda)_{i}| = {} > 1",
            Rational::from(xl[i].abs_ref())
        ));
    }
    let n1 = norm1(&sol.w);
    let dual = dot(y, &sol.lambda);
    if n1 != dual || n1 != sol.norm1 {
        return Err(format!(
            "||w||_1 = {n1}, y^T lambda = {dual}, norm1 = {}",
            sol.norm1
        ));
    }
    let support: Vec<usize> = (0..d).filter(|&i| sol.w[i] != 0).collect();
    if support != sol.support {
        return Err(format!(
            "support = {:?} but w != 0 at {support:?}",
            sol.support
        ));
    }
    let direction_ok = |k: usize, u: &[Rational]| -> Result<(), String> {
        if let Some(n) = points.iter().position(|x| dot(x, u) != 0) {
            return Err(format!("direction {k} changes x_{n}^T w"));
        }
        if let Some(i) = (0..d).find(|&i| u[i] != 0 && Rational::from(xl[i].abs_ref()) < 1) {
            return Err(format!(
                "direction {k} moves coordinate {i} although |(X lambda)_{i}| < 1"
            ));
        }
        Ok(())
    };
    verify_face(&sol.face, &sol.w, &sol.norm1, feasible, direction_ok)
}
