//! The minimum-l2-norm interpolator `w = argmin ||w||_2 s.t. X^T w = y`, exactly
//! (docs/math.md §13.1).
//!
//! `w` is the unique interpolator in the column space of `X`: any interpolator is
//! `w + u` with `X^T u = 0`, i.e. `u` orthogonal to the columns of `X`, so
//! `||w + u||^2 = ||w||^2 + ||u||^2`. With a basis `B` of the points
//! ([`super::point_basis`]), `w = X_B c_B` where `(X_B^T X_B) c_B = y_B` (a nonsingular
//! Gram matrix, solved by fraction-free elimination); the other constraints hold because
//! their points are combinations of the basis points with consistent targets. `c` is not
//! unique when the points are dependent; `w` is.

use super::{check_dims, first_misfit, point_basis, RegressionError};
use crate::num::rational::mat_t_vec;
use crate::num::rational::{dot, solve_square_bareiss};
use rug::Rational;

/// The minimum-l2-norm interpolator with its certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L2Interpolator {
    /// `w` (length `d`).
    pub w: Vec<Rational>,
    /// Coefficients with `w = X c` (length `N`; zero outside `basis`).
    pub c: Vec<Rational>,
    /// The points whose coefficients may be nonzero: a maximal linearly independent
    /// subset, increasing.
    pub basis: Vec<usize>,
    /// `||w||_2^2 = c^T y`.
    pub norm2_sq: Rational,
}

/// The minimum-l2-norm interpolator `argmin ||w||_2 s.t. x_n^T w = y_n`, exactly.
/// No points give `w = 0` (of length 0).
///
/// # Errors
/// [`RegressionError::NotInterpolable`] with its certificate when no `w` interpolates.
///
/// # Panics
/// If the points have different lengths or `y` has the wrong length.
pub fn min_l2_interpolator(
    points: &[Vec<Rational>],
    y: &[Rational],
) -> Result<L2Interpolator, RegressionError> {
    let d = check_dims(points, y);
    let basis = point_basis(points, y)?;
    let gram: Vec<Vec<Rational>> = basis
        .iter()
        .map(|&a| basis.iter().map(|&b| dot(&points[a], &points[b])).collect())
        .collect();
    let rhs: Vec<Rational> = basis.iter().map(|&a| y[a].clone()).collect();
    let cb = solve_square_bareiss(&gram, &rhs).expect("the Gram matrix of a basis is nonsingular");
    let mut c = vec![Rational::new(); points.len()];
    for (&a, v) in basis.iter().zip(cb) {
        c[a] = v;
    }
    let w = mat_t_vec(points, &c, d);
    let norm2_sq = dot(&c, y);
    Ok(L2Interpolator {
        w,
        c,
        basis,
        norm2_sq,
    })
}

/// Checks an [`L2Interpolator`] exactly and independently of the solver: `X^T w = y`
/// (an interpolator), `w = X c` (in the column space of `X`, which makes it the minimum-norm
/// one), `c` vanishes outside `basis`, and `norm2_sq = ||w||^2 = c^T y`.
pub fn verify_min_l2(
    points: &[Vec<Rational>],
    y: &[Rational],
    sol: &L2Interpolator,
) -> Result<(), String> {
    let d = check_dims(points, y);
    if sol.w.len() != d || sol.c.len() != points.len() {
        return Err(format!(
            "w has length {} (d = {d}), c has length {} (N = {})",
            sol.w.len(),
            sol.c.len(),
            points.len()
        ));
    }
    if let Some((n, v)) = first_misfit(points, y, &sol.w) {
        return Err(format!("x_{n}^T w = {v} != y_{n} = {}", y[n]));
    }
    if mat_t_vec(points, &sol.c, d) != sol.w {
        return Err("w != X c: w is not in the column space of X".to_string());
    }
    if let Some(n) = (0..points.len()).find(|n| sol.c[*n] != 0 && !sol.basis.contains(n)) {
        return Err(format!("c_{n} != 0 but {n} is not in the basis"));
    }
    let ww = dot(&sol.w, &sol.w);
    if ww != sol.norm2_sq || dot(&sol.c, y) != ww {
        return Err(format!(
            "||w||^2 = {ww}, c^T y = {}, norm2_sq = {}",
            dot(&sol.c, y),
            sol.norm2_sq
        ));
    }
    Ok(())
}
