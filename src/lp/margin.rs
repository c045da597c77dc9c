//! The margin LPs of a dataset z_1..z_N: strict linear separability with its Gordan
//! certificate, and the l1 max-margin problem with its dual multipliers.

use super::certificate::{check_len, check_nonnegative};
use super::{float_guess, simplex, solve, FloatOutcome, LpOutcome, StandardLp, GUESS_PRECISIONS};
use crate::num::rational::dot;
use crate::num::rational::mat_t_vec;
use rug::Rational;

/// Strict linear separability of a dataset through the origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Separability {
    /// `w` with `z_n^T w >= 1` for every `n` (exact).
    Separable { w: Vec<Rational> },
    /// `lambda >= 0` with `sum lambda = 1` and `sum_n lambda_n z_n = 0`
    /// (Gordan certificate: no `w` has all `z_n^T w > 0`).
    NotSeparable { lambda: Vec<Rational> },
}

/// The dimension `d` of a dataset (the length of row 0, 0 for no rows) and the first
/// row of another length, if any.
fn ragged_row(z: &[Vec<Rational>]) -> (usize, Option<usize>) {
    let d = z.first().map_or(0, Vec::len);
    (d, z.iter().position(|zn| zn.len() != d))
}

/// Dimension `d` of a dataset; panics if the rows disagree.
fn data_dim(z: &[Vec<Rational>]) -> usize {
    let (d, ragged) = ragged_row(z);
    if let Some(n) = ragged {
        panic!(
            "lp: data row {n} has length {} but row 0 has length {d}",
            z[n].len()
        );
    }
    d
}

/// The margin LP `Z (w+ - w-) - s = 1`, `w+, w-, s >= 0` in standard form, variables
/// ordered `[w+ (d), w- (d), s (N)]`, cost `w_cost` on every `w+`, `w-` column and 0 on
/// the slacks (`w_cost = 1`: the l1 max-margin LP; `w_cost = 0`: feasibility).
pub(crate) fn margin_lp(z: &[Vec<Rational>], d: usize, w_cost: u32) -> StandardLp {
    let nn = z.len();
    let a = z
        .iter()
        .enumerate()
        .map(|(k, zk)| {
            let mut row = Vec::with_capacity(2 * d + nn);
            row.extend(zk.iter().cloned());
            row.extend(zk.iter().map(|v| Rational::from(-v)));
            row.extend((0..nn).map(|l| Rational::from(-i32::from(l == k))));
            row
        })
        .collect();
    let mut c = vec![Rational::from(w_cost); 2 * d];
    c.extend((0..nn).map(|_| Rational::new()));
    StandardLp {
        a,
        b: vec![Rational::from(1); nn],
        c,
    }
}

/// `w = w+ - w-` from the variables `[w+, w-, s]` of a solution of [`margin_lp`].
pub(crate) fn split_w(x: &[Rational], d: usize) -> Vec<Rational> {
    (0..d).map(|j| Rational::from(&x[j] - &x[d + j])).collect()
}

/// `w / min_n z_n^T w` when every margin `z_n^T w` is positive (exactly).
fn rescaled(z: &[Vec<Rational>], w: Vec<Rational>) -> Option<Vec<Rational>> {
    let min = z.iter().map(|zn| dot(zn, &w)).min()?;
    if min <= 0 {
        return None;
    }
    Some(w.into_iter().map(|v| v / &min).collect())
}

/// A separating `w` with `min_n z_n^T w = 1` from a float solution of the
/// feasibility LP, checked exactly; `None` when no guess separates.
fn separating_guess(z: &[Vec<Rational>], lp: &StandardLp, d: usize) -> Option<Vec<Rational>> {
    for prec in GUESS_PRECISIONS {
        if let FloatOutcome::Optimal(g) = float_guess(lp, prec) {
            if let Some(w) = rescaled(z, split_w(&g.x, d)) {
                return Some(w);
            }
        }
    }
    None
}

/// Decides whether some `w` has `z_n^T w > 0` for all rows `z_n` of `z`.
///
/// First an MPFR simplex (64, then 256 bits) solves the feasibility LP below and its
/// `w`, rounded exactly to rationals, is checked in `O(N d)`: if every margin is
/// positive, `w / min_n z_n^T w` is returned. Otherwise the exact simplex solves the feasibility LP `Z w - s = 1, s >= 0` (`w = w+ - w-`). If it is
/// infeasible, the Farkas certificate `y` satisfies `Z^T y = 0`, `y >= 0`,
/// `sum y > 0`, and `lambda = y / sum y`. A zero row `z_n` gives
/// `lambda = e_n` directly. An empty dataset is (vacuously) separable.
///
/// # Panics
/// If the rows of `z` have different lengths.
pub fn separability(z: &[Vec<Rational>]) -> Separability {
    let d = data_dim(z);
    if let Some(k) = z.iter().position(|zk| zk.iter().all(|v| *v == 0)) {
        let mut lambda = vec![Rational::new(); z.len()];
        lambda[k] = Rational::from(1);
        return Separability::NotSeparable { lambda };
    }
    if z.is_empty() {
        return Separability::Separable {
            w: vec![Rational::new(); d],
        };
    }
    let lp = margin_lp(z, d, 0);
    if let Some(w) = separating_guess(z, &lp, d) {
        return Separability::Separable { w };
    }
    match simplex::solve(&lp) {
        LpOutcome::Optimal(sol) => Separability::Separable {
            w: split_w(&sol.x, d),
        },
        LpOutcome::Infeasible { farkas_y } => {
            let total: Rational = farkas_y.iter().sum();
            debug_assert!(total > 0);
            let lambda = farkas_y
                .iter()
                .map(|y| Rational::from(y / &total))
                .collect();
            Separability::NotSeparable { lambda }
        }
        LpOutcome::Unbounded { .. } => unreachable!("feasibility LP has zero cost"),
    }
}

/// Checks a [`Separability`] certificate independently of the solver.
pub fn verify_separability(z: &[Vec<Rational>], sep: &Separability) -> Result<(), String> {
    let (d, ragged) = ragged_row(z);
    if let Some(k) = ragged {
        return Err(format!("data row {k} has length {} != {d}", z[k].len()));
    }
    match sep {
        Separability::Separable { w } => {
            check_len("w", w, d)?;
            for (k, zk) in z.iter().enumerate() {
                let m = dot(zk, w);
                if m < 1 {
                    return Err(format!("z_{k}^T w = {m} < 1"));
                }
            }
            Ok(())
        }
        Separability::NotSeparable { lambda } => {
            check_nonnegative("lambda", lambda, z.len())?;
            let total: Rational = lambda.iter().sum();
            if total != 1 {
                return Err(format!("sum lambda = {total} != 1"));
            }
            let zl = mat_t_vec(z, lambda, d);
            if let Some(j) = zl.iter().position(|v| *v != 0) {
                return Err(format!("(sum_n lambda_n z_n)[{j}] = {} != 0", zl[j]));
            }
            Ok(())
        }
    }
}

/// The l1 max-margin problem `min ||w||_1 s.t. z_n^T w >= 1 for all n`.
///
/// Returns `(w, lambda)`: an optimal `w` and dual multipliers `lambda >= 0`
/// (one per data row) with `||sum_n lambda_n z_n||_inf <= 1` and
/// `sum lambda = ||w||_1`, which certifies optimality of `w` by weak duality.
/// Returns `None` if the data is not strictly separable (then the LP is
/// infeasible).
///
/// # Panics
/// If the rows of `z` have different lengths.
pub fn l1_max_margin(z: &[Vec<Rational>]) -> Option<(Vec<Rational>, Vec<Rational>)> {
    let d = data_dim(z);
    let lp = margin_lp(z, d, 1);
    match solve(&lp) {
        // y >= 0 from the s columns; |Z^T y| <= 1 from the w+ / w- columns.
        // At an optimum w+_j w-_j = 0, so c^T x = ||w||_1.
        LpOutcome::Optimal(sol) => Some((split_w(&sol.x, d), sol.y)),
        LpOutcome::Infeasible { .. } => None,
        LpOutcome::Unbounded { .. } => unreachable!("l1 norm is bounded below by 0"),
    }
}

/// Checks an [`l1_max_margin`] result: `z_n^T w >= 1`, `lambda >= 0`,
/// `||sum_n lambda_n z_n||_inf <= 1` and `sum lambda = ||w||_1`.
pub fn verify_l1_max_margin(
    z: &[Vec<Rational>],
    w: &[Rational],
    lambda: &[Rational],
) -> Result<(), String> {
    verify_separability(z, &Separability::Separable { w: w.to_vec() })?;
    check_nonnegative("lambda", lambda, z.len())?;
    let zl = mat_t_vec(z, lambda, w.len());
    if let Some(j) = zl.iter().position(|v| Rational::from(v.abs_ref()) > 1) {
        return Err(format!(
            "|(sum_n lambda_n z_n)[{j}]| = {} > 1",
            Rational::from(zl[j].abs_ref())
        ));
    }
    let norm: Rational = w.iter().map(|v| Rational::from(v.abs_ref())).sum();
    let total: Rational = lambda.iter().sum();
    if norm != total {
        return Err(format!("||w||_1 = {norm} != sum lambda = {total}"));
    }
    Ok(())
}
