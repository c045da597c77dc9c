//! A basis of the points (a maximal linearly independent subset of the `x_n`, taken in
//! order) by fraction-free elimination, and the exact certificate when the data cannot be
//! interpolated (docs/math.md §13.1).
//!
//! Each row `[x_n | y_n | e_n]` (scaled to integers by the lcm of its denominators) is
//! reduced against the pivot rows found so far with Bareiss's update
//! `r_j <- (p_k r_j - r_{c_k} P_{k,j}) / p_{k-1}` (`p_k` the k-th pivot, `c_k` its column,
//! `p_{-1} = 1`): processing the rows one at a time applies to each exactly the updates
//! Bareiss elimination would, so every entry is a minor of the integer matrix and every
//! division is exact. Pivots are taken in the `x` columns only. A row whose `x` part
//! reduces to zero is a combination of earlier points; its `e` part is then the
//! combination `v` with `X v = 0`, and its `y` part `v^T y`: when that is not zero no `w`
//! interpolates the data.

use super::{check_dims, RegressionError};
use crate::num::rational::dot;
use crate::num::rational::mat_t_vec;
use rug::{Integer, Rational};

/// The indices of a maximal linearly independent subset of the points (each point
/// independent of the earlier ones is taken), when the data can be interpolated.
///
/// # Errors
/// [`RegressionError::NotInterpolable`] with `v` (`X v = 0`, `v^T y != 0`) when
/// `X^T w = y` has no solution.
///
/// # Panics
/// If the points have different lengths or `y` has the wrong length.
pub fn point_basis(
    points: &[Vec<Rational>],
    y: &[Rational],
) -> Result<Vec<usize>, RegressionError> {
    let d = check_dims(points, y);
    let nn = points.len();
    // Reduced pivot rows (length d + 1 + N) with their pivot columns.
    let mut piv_rows: Vec<Vec<Integer>> = Vec::new();
    let mut piv_cols: Vec<usize> = Vec::new();
    let mut basis = Vec::new();
    for (n, (x, yn)) in points.iter().zip(y).enumerate() {
        let mut l = Integer::from(1);
        for v in x.iter().chain(std::iter::once(yn)) {
            if *v.denom() != 1 {
                l.lcm_mut(v.denom());
            }
        }
        let mut row: Vec<Integer> = x
            .iter()
            .chain(std::iter::once(yn))
            .map(|v| v.numer() * Integer::from(&l / v.denom()))
            .collect();
        row.extend((0..nn).map(|m| if m == n { l.clone() } else { Integer::new() }));
        let mut prev = Integer::from(1);
        for (prow, &c) in piv_rows.iter().zip(&piv_cols) {
            let f = std::mem::take(&mut row[c]);
            let pv = &prow[c];
            for j in 0..row.len() {
                if j == c {
                    continue;
                }
                let mut v = Integer::from(&row[j] * pv);
                if f != 0 && prow[j] != 0 {
                    v -= Integer::from(&f * &prow[j]);
                }
                v.div_exact_mut(&prev);
                row[j] = v;
            }
            prev = pv.clone();
        }
        match (0..d).find(|&j| row[j] != 0) {
            Some(c) => {
                piv_rows.push(row);
                piv_cols.push(c);
                basis.push(n);
            }
            None if row[d] != 0 => {
                let v: Vec<Rational> = row[d + 1..].iter().map(Rational::from).collect();
                let vy = dot(&v, y);
                debug_assert!(vy != 0);
                return Err(RegressionError::NotInterpolable { v, vy });
            }
            None => {}
        }
    }
    Ok(basis)
}

/// Checks a certificate of non-interpolability exactly: `v` has one entry per point,
/// `X v = sum_n v_n x_n = 0` and `v^T y != 0`.
pub fn verify_not_interpolable(
    points: &[Vec<Rational>],
    y: &[Rational],
    v: &[Rational],
) -> Result<(), String> {
    let d = check_dims(points, y);
    if v.len() != points.len() {
        return Err(format!(
            "v has length {} but there are {} points",
            v.len(),
            points.len()
        ));
    }
    let xv = mat_t_vec(points, v, d);
    if let Some(i) = xv.iter().position(|t| *t != 0) {
        return Err(format!("(X v)_{i} = {} != 0", xv[i]));
    }
    let vy = dot(v, y);
    if vy == 0 {
        return Err("v^T y = 0".to_string());
    }
    Ok(())
}
