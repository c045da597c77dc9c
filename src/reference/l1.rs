//! The l1 max-margin predictor `w_l1 = argmin ||w||_1 s.t. z_n^T w >= 1`,
//! computed exactly with the simplex of [`crate::lp`], together with its
//! optimal face.
//!
//! # The LP and its face
//! Variables `x = [w+ (d), w- (d), s (N)] >= 0`, `w = w+ - w-`:
//!
//! ```text
//!     minimize 1^T w+ + 1^T w-   s.t.   Z^T (w+ - w-) - s = 1.
//! ```
//!
//! Its dual is `max 1^T lambda s.t. ||Z lambda||_inf <= 1, lambda >= 0`; the
//! simplex returns an optimal vertex `x*` and dual `lambda`, with reduced costs
//! `rc = c - A^T lambda >= 0`. For feasible `x`, `c^T x - OPT = rc^T x`, so
//! the optimal face is
//!
//! ```text
//!     P_F = {x >= 0 : A x = 1, x_j = 0 for every j with rc_j > 0}.
//! ```
//!
//! On `P_F` at most one of `w+_i, w-_i` is positive (otherwise lowering both
//! gives a cheaper point), and, because the average of two optimal points is
//! optimal, the sign of each `w_i` is the same at every point of the face.
//! The map `x -> w` is therefore injective on `P_F` and maps it affinely onto
//! `F = {w : Z^T w >= 1, ||w||_1 = OPT}`, so both have the same dimension and
//! vertices correspond.
//!
//! Implicit equalities: `x_j >= 0` is an implicit equality of `P_F` when
//! `max_{P_F} x_j = 0`. Columns with `rc_j > 0` are zero by the formula
//! above; for the others one LP per column decides it, skipped when a vertex
//! already found has `x_j > 0`. With the sign `sigma_i` of `w_i` on `F`
//! (`0` when both `w+_i` and `w-_i` vanish on `F`), the affine hull is
//!
//! ```text
//!     aff(F) = {w : z_n^T w = 1 (s_n implicit), w_i = 0 (sigma_i = 0), sigma^T w = OPT}
//! ```
//!
//! so `dim F = d - rank` of those rows, and the direction space is their null
//! space. Vertices: `w*`, the vertices met by the implicit-equality LPs, and
//! (when `F` is not a point) the maximizers and minimizers of each `w_i` over
//! `F`; if these do not yet span `aff(F)`, a linear function constant on the
//! vertices found but not on `F` is maximized and minimized until they do.
//! So the returned vertices always affinely span the face.

pub use super::face::OptimalFace;
use super::face::{norm1, optimal_face, verify_face};
use super::l2::{data_dim, not_separable, ReferenceError};
use crate::lp::{margin_lp, solve, split_w, LpOutcome};
use crate::num::rational::dot;
use crate::num::rational::mat_t_vec;
use rug::Rational;

/// The l1 max-margin predictor with its certificate and optimal face.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L1Solution {
    /// An optimal `w` (a vertex of the optimal face).
    pub w: Vec<Rational>,
    /// Dual multipliers `lambda >= 0` with `||Z lambda||_inf <= 1` and
    /// `sum lambda = ||w||_1`.
    pub lambda: Vec<Rational>,
    /// `OPT = ||w||_1`.
    pub norm1: Rational,
    /// Coordinates `i` with `w_i != 0`, increasing.
    pub support: Vec<usize>,
    /// Points `n` with `z_n^T w = 1`, increasing.
    pub active: Vec<usize>,
    /// The set of all optimal `w`.
    pub face: OptimalFace,
}

/// The l1 max-margin predictor `argmin ||w||_1 s.t. z_n^T w >= 1`, exactly,
/// with its optimal face (see the module documentation).
///
/// # Errors
/// [`ReferenceError::NotSeparable`] with a Gordan certificate when the data
/// are not strictly linearly separable.
///
/// # Panics
/// If the rows of `z` have different lengths.
pub fn l1_max_margin(z: &[Vec<Rational>]) -> Result<L1Solution, ReferenceError> {
    let d = data_dim(z);
    let nn = z.len();
    let lp = margin_lp(z, d, 1);
    let sol = match solve(&lp) {
        LpOutcome::Optimal(sol) => sol,
        LpOutcome::Infeasible { .. } => return Err(not_separable(z)),
        LpOutcome::Unbounded { .. } => unreachable!("the l1 norm is bounded below by 0"),
    };
    let ncols = lp.cols();
    let w = split_w(&sol.x, d);
    let lambda = sol.y.clone();
    let opt = sol.objective.clone();

    // Reduced costs; columns with rc > 0 vanish on the face.
    let zl = mat_t_vec(z, &lambda, d);
    let rc: Vec<Rational> = (0..ncols)
        .map(|j| {
            if j < d {
                Rational::from(1 - &zl[j])
            } else if j < 2 * d {
                Rational::from(1 + &zl[j - d])
            } else {
                lambda[j - 2 * d].clone()
            }
        })
        .collect();
    let face = optimal_face(&lp, d, &sol.x, &rc, |positive| {
        (0..nn)
            .filter(|&n| !positive[2 * d + n])
            .map(|n| z[n].clone())
            .collect()
    });

    let support = (0..d).filter(|&i| w[i] != 0).collect();
    let active = (0..nn).filter(|&n| dot(&z[n], &w) == 1).collect();
    Ok(L1Solution {
        w,
        lambda,
        norm1: opt,
        support,
        active,
        face,
    })
}

/// Checks an [`L1Solution`] independently of the solver.
///
/// * Optimality certificate: `Z^T w >= 1`, `lambda >= 0`,
///   `||Z lambda||_inf <= 1`, `sum lambda = ||w||_1 = norm1` (weak duality
///   then proves optimality), and the derived `support` / `active` lists.
/// * Face: `unique` iff `dimension == 0`; `directions` are `dimension`
///   linearly independent vectors; every vertex is feasible with
///   `||v||_1 = OPT` and distinct; `w` is a vertex; the vertices affinely
///   span `w + span(directions)` (so `dim F >= dimension` is proved); and every
///   direction respects complementary slackness with `lambda`
///   (`z_n^T d = 0` where `lambda_n > 0`, `d_i = 0` where `|(Z lambda)_i| < 1`),
///   a necessary condition for staying in `F`.
///
/// That no optimal point lies outside `w + span(directions)` rests on the
/// implicit-equality LPs and is not re-checked here.
pub fn verify_l1(z: &[Vec<Rational>], sol: &L1Solution) -> Result<(), String> {
    let d = sol.w.len();
    if let Some(n) = z.iter().position(|zn| zn.len() != d) {
        return Err(format!(
            "data row {n} has length {} but w has length {d}",
            z[n].len()
        ));
    }
    if sol.lambda.len() != z.len() {
        return Err(format!(
            "lambda has length {} but there are {} points",
            sol.lambda.len(),
            z.len()
        ));
    }
    let feasible = |w: &[Rational], what: &str| -> Result<(), String> {
        for (n, zn) in z.iter().enumerate() {
            let m = dot(zn, w);
            if m < 1 {
                return Err(format!("{what}: margin z_{n}^T w = {m} < 1"));
            }
        }
        Ok(())
    };
    feasible(&sol.w, "w")?;
    if let Some(n) = sol.lambda.iter().position(|l| *l < 0) {
        return Err(format!("lambda[{n}] = {} < 0", sol.lambda[n]));
    }
    let zl = mat_t_vec(z, &sol.lambda, d);
    if let Some(i) = (0..d).find(|&i| Rational::from(zl[i].abs_ref()) > 1) {
        return Err(format!(
            "|(Z lambda)[{i}]| = {} > 1",
            Rational::from(zl[i].abs_ref())
        ));
    }
    let total: Rational = sol.lambda.iter().sum();
    let n1 = norm1(&sol.w);
    if n1 != total {
        return Err(format!("||w||_1 = {n1} != sum lambda = {total}"));
    }
    if n1 != sol.norm1 {
        return Err(format!("norm1 = {} != ||w||_1 = {n1}", sol.norm1));
    }
    let support: Vec<usize> = (0..d).filter(|&i| sol.w[i] != 0).collect();
    if support != sol.support {
        return Err(format!(
            "support = {:?} but w != 0 at {support:?}",
            sol.support
        ));
    }
    let active: Vec<usize> = (0..z.len()).filter(|&n| dot(&z[n], &sol.w) == 1).collect();
    if active != sol.active {
        return Err(format!(
            "active = {:?} but margin 1 at {active:?}",
            sol.active
        ));
    }

    let direction_ok = |k: usize, v: &[Rational]| -> Result<(), String> {
        for (n, zn) in z.iter().enumerate() {
            if sol.lambda[n] > 0 && dot(zn, v) != 0 {
                return Err(format!(
                    "direction {k} changes the margin of support point {n} (lambda_{n} > 0)"
                ));
            }
        }
        for i in 0..d {
            if v[i] != 0 && Rational::from(zl[i].abs_ref()) < 1 {
                return Err(format!(
                    "direction {k} moves coordinate {i} although |(Z lambda)_{i}| < 1"
                ));
            }
        }
        Ok(())
    };
    verify_face(&sol.face, &sol.w, &sol.norm1, feasible, direction_ok)
}

/// Excess l1 norm of a predictor direction `w`: with `w` rescaled to margin 1
/// (`min_n z_n^T w = 1`), `||w||_1 / OPT - 1`. Zero exactly for the positive
/// multiples of points of the optimal face; positive otherwise.
///
/// # Panics
/// If `min_n z_n^T w <= 0` (no rescaling has margin 1), if there are no
/// points, or if `w` has the wrong length.
pub fn excess_l1(z: &[Vec<Rational>], sol: &L1Solution, w: &[Rational]) -> Rational {
    try_excess_l1(z, sol, w).unwrap_or_else(|| {
        panic!("excess_l1: w does not separate the data (min_n z_n^T w <= 0) or there is no data")
    })
}

/// [`excess_l1`] returning `None` instead of panicking when
/// `min_n z_n^T w <= 0` or there are no points.
///
/// # Panics
/// If `w` has the wrong length.
pub fn try_excess_l1(z: &[Vec<Rational>], sol: &L1Solution, w: &[Rational]) -> Option<Rational> {
    assert_eq!(w.len(), sol.w.len(), "excess_l1: w has the wrong length");
    let margin = z.iter().map(|zn| dot(zn, w)).min()?;
    if margin <= 0 {
        return None;
    }
    Some(norm1(w) / margin / &sol.norm1 - 1u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::testing::{q, qv};

    #[test]
    fn single_point_unique() {
        // z = (3, -4): argmax |z_i| is i = 1, w = -e_1 / 4, OPT = 1/4,
        // lambda = 1/4 (Z lambda = (3/4, -1)).
        let z = vec![qv(&[3, -4])];
        let s = l1_max_margin(&z).unwrap();
        verify_l1(&z, &s).unwrap();
        assert_eq!(s.w, vec![q(0, 1), q(-1, 4)]);
        assert_eq!(s.lambda, vec![q(1, 4)]);
        assert!(s.face.unique);
        assert_eq!(s.face.vertices, vec![s.w.clone()]);
    }

    #[test]
    fn empty_data() {
        // No constraints: w = 0 (here d = 0), OPT = 0, a unique optimum.
        let s = l1_max_margin(&[]).unwrap();
        verify_l1(&[], &s).unwrap();
        assert_eq!(s.norm1, 0);
        assert!(s.face.unique);
        let s2 = crate::reference::l2::l2_max_margin(&[]).unwrap();
        assert_eq!(s2.norm2_sq, 0);
    }

    #[test]
    fn simplex_face_of_dimension_two() {
        // z = (1, 1, 1): F = {w >= 0, w1 + w2 + w3 = 1}, the standard
        // triangle with vertices e1, e2, e3.
        let z = vec![qv(&[1, 1, 1])];
        let s = l1_max_margin(&z).unwrap();
        verify_l1(&z, &s).unwrap();
        assert!(!s.face.unique);
        assert_eq!(s.face.dimension, 2);
        let mut v = s.face.vertices.clone();
        v.sort();
        assert_eq!(v, vec![qv(&[0, 0, 1]), qv(&[0, 1, 0]), qv(&[1, 0, 0])]);
    }

    #[test]
    fn excess_of_a_non_optimal_direction() {
        // z = (2, 1): OPT = 1/2 at (1/2, 0). w = (1, 1) has margin 3, so the
        // rescaled (1/3, 1/3) has l1 norm 2/3: excess (2/3) / (1/2) - 1 = 1/3.
        let z = vec![qv(&[2, 1])];
        let s = l1_max_margin(&z).unwrap();
        assert_eq!(excess_l1(&z, &s, &qv(&[1, 1])), q(1, 3));
        assert_eq!(excess_l1(&z, &s, &qv(&[7, 0])), 0);
        assert_eq!(try_excess_l1(&z, &s, &qv(&[-1, 0])), None);
    }
}
