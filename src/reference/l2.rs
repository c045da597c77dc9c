//! The l2 max-margin predictor `w_l2 = argmin ||w||_2 s.t. z_n^T w >= 1`,
//! computed exactly over the rationals with its KKT certificate.
//!
//! For rational data `w_l2` is rational: it is the minimum-norm point of the
//! affine set `{w : z_n^T w = 1, n in S}` for its support set `S`, which is
//! the solution of a rational linear system.
//!
//! # Method
//! A Goldfarb–Idnani dual active-set method for the strictly convex QP
//! `min (1/2)||w||^2 s.t. z_n^T w >= 1` (Hessian = identity), written without
//! square roots: the projections onto the active constraints are computed
//! from the Gram matrix `G = Z^T Z` by exact Gaussian elimination.
//!
//! Starting from the unconstrained minimum `w = 0`, it repeatedly picks the
//! most violated constraint `p` and moves `w` along the projection of `z_p`
//! onto the orthogonal complement of the active normals, while the active
//! multipliers change linearly; a multiplier that would turn negative drops
//! its constraint (partial step), otherwise `p` becomes active (full step).
//! Invariants (exact):
//! * the active normals `z_n, n in A`, are linearly independent (a constraint
//!   only becomes active through a full step, which needs `z_p` outside their
//!   span), so every linear system solved is non-singular even when `G` is
//!   singular (duplicate, proportional or dependent points);
//! * `w = sum_{n in A + p} u_n z_n` with `u >= 0` and `z_n^T w = 1` on `A`.
//!
//! Termination: after every full step `w` is the minimum-norm point of
//! `{z_n^T w = 1, n in A}`, so `||w||^2` is a function of `A`, and it strictly
//! increases at every full step; between two full steps at most `d` partial
//! steps drop constraints. Hence no active set repeats and the method stops
//! after finitely many steps whatever the degeneracy (ties are broken by the
//! smallest index). As an explicit anti-cycling safeguard the active sets
//! reached by full steps are recorded, and a repetition (impossible in exact
//! arithmetic) panics instead of looping.
//!
//! Infeasibility shows up as a violated constraint whose normal is a
//! non-positive combination of the active normals; the certificate is then
//! taken from [`crate::lp::separability`].
//!
//! Fast path (`l2guess.rs`): the support set is first guessed from a float solution
//! of the dual and certified exactly; the method above runs only when that
//! certificate fails or the solution is degenerate, and where the certificate holds
//! both give the same `(w, lambda)`.

use crate::num::rational::{dot, mat_t_vec, solve_square};
use rug::Rational;
use std::collections::HashSet;

/// The l2 max-margin predictor with its dual certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L2Solution {
    /// `w_l2` (length `d`).
    pub w: Vec<Rational>,
    /// Multipliers `lambda >= 0` (length `N`) with `w = Z lambda` and
    /// `lambda_n (z_n^T w - 1) = 0`. Unique only when the support vectors are
    /// linearly independent; the method returns one with linearly independent
    /// support.
    pub lambda: Vec<Rational>,
    /// `||w||^2 = 1^T lambda` (strong duality).
    pub norm2_sq: Rational,
    /// Indices `n` with `lambda_n > 0`, increasing.
    pub support: Vec<usize>,
    /// Indices `n` with `z_n^T w = 1`, increasing.
    pub active: Vec<usize>,
}

/// Failure of a reference computation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// No `w` has `z_n^T w > 0` for every `n`. `lambda` is a Gordan
    /// certificate (`lambda >= 0`, `sum lambda = 1`, `sum_n lambda_n z_n = 0`),
    /// checkable with [`crate::lp::verify_separability`].
    #[error(
        "not linearly separable: lambda = {lambda:?} satisfies lambda >= 0, \
         sum lambda = 1 and sum_n lambda_n z_n = 0"
    )]
    NotSeparable { lambda: Vec<Rational> },
}

/// The l2 max-margin predictor `argmin ||w||_2 s.t. z_n^T w >= 1`, exactly.
///
/// `z` holds the rows `z_n = y_n x_n`. An empty dataset gives `w = 0`.
///
/// # Errors
/// [`ReferenceError::NotSeparable`] with a Gordan certificate when the data
/// are not strictly linearly separable.
///
/// # Panics
/// If the rows of `z` have different lengths.
pub fn l2_max_margin(z: &[Vec<Rational>]) -> Result<L2Solution, ReferenceError> {
    data_dim(z);
    if let Some((w, lambda)) = super::l2guess::certified(z) {
        return Ok(finish(z, w, lambda));
    }
    l2_active_set(z)
}

/// [`l2_max_margin`] by the exact active-set method alone, without the float guess
/// (for comparisons).
///
/// # Errors
/// As [`l2_max_margin`].
///
/// # Panics
/// If the rows of `z` have different lengths.
pub fn l2_active_set(z: &[Vec<Rational>]) -> Result<L2Solution, ReferenceError> {
    let d = data_dim(z);
    let nn = z.len();
    let gram: Vec<Vec<Rational>> = (0..nn)
        .map(|i| (0..nn).map(|j| dot(&z[i], &z[j])).collect())
        .collect();

    let mut w = vec![Rational::new(); d];
    // Active constraints (linearly independent normals) and their multipliers.
    let mut act: Vec<usize> = Vec::new();
    let mut u: Vec<Rational> = Vec::new();
    let mut seen: HashSet<Vec<usize>> = HashSet::new();
    let mut last_norm = Rational::new();

    loop {
        // Most violated constraint; ties go to the smallest index.
        let mut pick: Option<(usize, Rational)> = None;
        for (n, zn) in z.iter().enumerate() {
            let s = dot(zn, &w) - 1u32;
            if s < 0 && pick.as_ref().is_none_or(|(_, best)| s < *best) {
                pick = Some((n, s));
            }
        }
        let Some((p, _)) = pick else {
            break;
        };
        let mut up = Rational::new();
        loop {
            // r = (N^T N)^{-1} N^T z_p, dir = z_p - N r (projection of z_p
            // onto the orthogonal complement of the active normals).
            let gaa: Vec<Vec<Rational>> = act
                .iter()
                .map(|&i| act.iter().map(|&j| gram[i][j].clone()).collect())
                .collect();
            let gap: Vec<Rational> = act.iter().map(|&i| gram[i][p].clone()).collect();
            let r = solve_square(gaa, gap)
                .expect("l2: active normals are linearly independent by construction");
            let mut dir = z[p].clone();
            for (k, &i) in act.iter().enumerate() {
                if r[k] != 0 {
                    for (dj, zij) in dir.iter_mut().zip(&z[i]) {
                        *dj -= Rational::from(&r[k] * zij);
                    }
                }
            }
            let dd = dot(&dir, &dir);
            // Partial step: largest t keeping u - t r >= 0.
            let mut t1: Option<(usize, Rational)> = None;
            for k in 0..act.len() {
                if r[k] > 0 {
                    let ratio = Rational::from(&u[k] / &r[k]);
                    let better = match &t1 {
                        None => true,
                        Some((kb, tb)) => ratio < *tb || (ratio == *tb && act[k] < act[*kb]),
                    };
                    if better {
                        t1 = Some((k, ratio));
                    }
                }
            }
            // Full step: t making constraint p tight.
            let t2 = if dd == 0 {
                None
            } else {
                let sp = dot(&z[p], &w) - 1u32;
                Some(-sp / &dd)
            };
            let (t, full) = match (&t1, &t2) {
                (None, None) => return Err(not_separable(z)),
                (Some((_, a)), None) => (a.clone(), false),
                (None, Some(b)) => (b.clone(), true),
                (Some((_, a)), Some(b)) => {
                    if b <= a {
                        (b.clone(), true)
                    } else {
                        (a.clone(), false)
                    }
                }
            };
            if dd != 0 {
                for (wj, dj) in w.iter_mut().zip(&dir) {
                    *wj += Rational::from(&t * dj);
                }
            }
            for k in 0..act.len() {
                if r[k] != 0 {
                    u[k] -= Rational::from(&t * &r[k]);
                }
            }
            up += &t;
            if full {
                act.push(p);
                u.push(up);
                let norm = dot(&w, &w);
                assert!(
                    norm > last_norm,
                    "l2: ||w||^2 did not increase at a full step (internal error)"
                );
                last_norm = norm;
                let mut key = act.clone();
                key.sort_unstable();
                assert!(
                    seen.insert(key),
                    "l2: active set repeated (cycling; internal error)"
                );
                break;
            }
            let (k, _) = t1.expect("partial step has a blocking constraint");
            debug_assert!(u[k] == 0);
            act.remove(k);
            u.remove(k);
        }
    }

    let mut lambda = vec![Rational::new(); nn];
    for (&i, ui) in act.iter().zip(&u) {
        lambda[i] = ui.clone();
    }
    Ok(finish(z, w, lambda))
}

/// Fills in the derived fields of an [`L2Solution`].
fn finish(z: &[Vec<Rational>], w: Vec<Rational>, lambda: Vec<Rational>) -> L2Solution {
    let norm2_sq = dot(&w, &w);
    let support = (0..z.len()).filter(|&n| lambda[n] > 0).collect();
    let active = (0..z.len()).filter(|&n| dot(&z[n], &w) == 1).collect();
    L2Solution {
        w,
        lambda,
        norm2_sq,
        support,
        active,
    }
}

/// The [`ReferenceError::NotSeparable`] certificate from the LP module.
///
/// # Panics
/// If the LP module finds the data separable (internal inconsistency).
pub(super) fn not_separable(z: &[Vec<Rational>]) -> ReferenceError {
    match crate::lp::separability(z) {
        crate::lp::Separability::NotSeparable { lambda } => ReferenceError::NotSeparable { lambda },
        crate::lp::Separability::Separable { w } => panic!(
            "reference: infeasibility detected but the LP finds the separator {w:?} \
             (internal error)"
        ),
    }
}

/// Checks an [`L2Solution`] independently of the solver: `lambda >= 0`,
/// `w = Z lambda`, `Z^T w >= 1`, `lambda_n (z_n^T w - 1) = 0`, and the derived
/// fields (`norm2_sq`, `support`, `active`). These are the KKT conditions of
/// the convex problem, so they prove that `w` is the (unique) optimum.
pub fn verify_l2(z: &[Vec<Rational>], sol: &L2Solution) -> Result<(), String> {
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
    if let Some(n) = sol.lambda.iter().position(|l| *l < 0) {
        return Err(format!("lambda[{n}] = {} < 0", sol.lambda[n]));
    }
    let zl = mat_t_vec(z, &sol.lambda, d);
    if let Some(i) = (0..d).find(|&i| zl[i] != sol.w[i]) {
        return Err(format!(
            "(Z lambda)[{i}] = {} != w[{i}] = {}",
            zl[i], sol.w[i]
        ));
    }
    for (n, zn) in z.iter().enumerate() {
        let m = dot(zn, &sol.w);
        if m < 1 {
            return Err(format!("margin z_{n}^T w = {m} < 1"));
        }
        if m != 1 && sol.lambda[n] != 0 {
            return Err(format!(
                "complementary slackness: lambda[{n}] = {} > 0 but z_{n}^T w = {m} != 1",
                sol.lambda[n]
            ));
        }
    }
    let norm = dot(&sol.w, &sol.w);
    if norm != sol.norm2_sq {
        return Err(format!("norm2_sq = {} != ||w||^2 = {norm}", sol.norm2_sq));
    }
    let support: Vec<usize> = (0..z.len()).filter(|&n| sol.lambda[n] > 0).collect();
    if support != sol.support {
        return Err(format!(
            "support = {:?} but lambda > 0 at {support:?}",
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
    Ok(())
}

// ------------------------------------------------ dataset helpers

/// Dimension `d` of a dataset.
///
/// # Panics
/// If the rows have different lengths.
pub(super) fn data_dim(z: &[Vec<Rational>]) -> usize {
    let d = z.first().map_or(0, Vec::len);
    if let Some(n) = z.iter().position(|zn| zn.len() != d) {
        panic!(
            "reference: data row {n} has length {} but row 0 has length {d}",
            z[n].len()
        );
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::rational::{null_space, primitive, rank};
    use crate::num::testing::{q, qv};

    #[test]
    fn single_point_closed_form() {
        // w = z / ||z||^2 = (3, 4) / 25, lambda = 1 / 25.
        let z = vec![qv(&[3, 4])];
        let s = l2_max_margin(&z).unwrap();
        verify_l2(&z, &s).unwrap();
        assert_eq!(s.w, vec![q(3, 25), q(4, 25)]);
        assert_eq!(s.lambda, vec![q(1, 25)]);
        assert_eq!(s.norm2_sq, q(1, 25));
    }

    #[test]
    fn partial_steps_drop_constraints() {
        // z1 = (1, 1), z2 = (0, 1/2). Both start at margin 0; z1 (smallest
        // index) enters: w = (1/2, 1/2), where z2 has margin 1/4. Moving
        // towards z2 along dir = z2 - z1/4 = (-1/4, 1/4), the multiplier of z1
        // (1/2 - t/4) hits 0 at t = 2 before z2 is tight (t = 6): partial step
        // to w = (0, 1), z1 dropped; then z2 alone gives w = (0, 2) =
        // 4 z2. The optimum w2 >= 2 forces w = (0, 2): lambda = (0, 4).
        let z = vec![qv(&[1, 1]), vec![q(0, 1), q(1, 2)]];
        let s = l2_max_margin(&z).unwrap();
        verify_l2(&z, &s).unwrap();
        assert_eq!(s.w, qv(&[0, 2]));
        assert_eq!(s.lambda, qv(&[0, 4]));
        assert_eq!(s.active, vec![1]);

        // Proportional points z1 = (2, 2), z2 = (1, 1): z1 enters first
        // (w = (1/4, 1/4)); z2 (margin 1/2) lies in its span, so the step is
        // purely dual: z1 is dropped (t = 1/4) and z2 enters, w = (1/2, 1/2).
        let z = vec![qv(&[2, 2]), qv(&[1, 1])];
        let s = l2_max_margin(&z).unwrap();
        verify_l2(&z, &s).unwrap();
        assert_eq!(s.w, vec![q(1, 2), q(1, 2)]);
        assert_eq!(s.lambda, vec![q(0, 1), q(1, 2)]);
    }

    #[test]
    fn linear_algebra_helpers() {
        let m = vec![qv(&[1, 2, 3]), qv(&[2, 4, 6]), qv(&[1, 0, 1])];
        assert_eq!(rank(m.clone(), 3), 2);
        let ns = null_space(m.clone(), 3);
        assert_eq!(ns, vec![qv(&[-1, -1, 1])]);
        for row in &m {
            assert_eq!(dot(row, &ns[0]), 0);
        }
        let x = solve_square(vec![qv(&[2, 1]), qv(&[1, 3])], qv(&[3, 5])).unwrap();
        assert_eq!(x, vec![q(4, 5), q(7, 5)]);
        assert!(solve_square(vec![qv(&[1, 2]), qv(&[2, 4])], qv(&[1, 1])).is_none());
        assert_eq!(primitive(vec![q(1, 2), q(-1, 3)]), qv(&[-3, 2]));
    }

    #[test]
    fn zero_point_is_not_separable() {
        let z = vec![qv(&[1, 1]), qv(&[0, 0])];
        match l2_max_margin(&z) {
            Err(ReferenceError::NotSeparable { lambda }) => {
                assert_eq!(lambda, vec![q(0, 1), q(1, 1)])
            }
            Ok(s) => panic!("unexpected solution {s:?}"),
        }
    }
}
