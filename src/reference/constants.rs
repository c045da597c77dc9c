//! Data constants entering the bounds of docs/math.md §7 (Lemmas 3, 11 and 13), exact.
//!
//! `gamma_2 = 1 / ||w_l2||_2` is irrational in general (a square root of a
//! rational), so only its square `gamma_2^2 = 1 / ||w_l2||^2` is kept, exactly;
//! every bound uses `gamma_2^2` anyway. `xbar` and the l1 margin are rational.

use super::l1::{l1_max_margin, L1Solution};
use super::l2::{data_dim, l2_max_margin, L2Solution, ReferenceError};
use rug::Rational;

/// Exact data constants of a separable dataset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataConstants {
    /// `gamma_2^2 = 1 / ||w_l2||_2^2` (the square of the l2 max margin;
    /// `gamma_2` itself is generally irrational).
    pub gamma2_sq: Rational,
    /// `xbar = max_i sum_n |x_{n,i}| = max_i sum_n |z_{n,i}|` (labels are
    /// `+-1`).
    pub xbar: Rational,
    /// The l1 max margin `gamma_1 = 1 / ||w_l1||_1`.
    pub l1_margin: Rational,
}

/// Computes [`DataConstants`] from the rows `z_n = y_n x_n`.
///
/// # Errors
/// [`ReferenceError::NotSeparable`] when the data are not strictly linearly
/// separable.
///
/// # Panics
/// If `z` is empty (the margins would be infinite) or its rows have
/// different lengths.
pub fn data_constants(z: &[Vec<Rational>]) -> Result<DataConstants, ReferenceError> {
    assert!(!z.is_empty(), "data_constants: no data points");
    let l2 = l2_max_margin(z)?;
    let l1 = l1_max_margin(z)?;
    Ok(from_solutions(z, &l2, &l1))
}

/// [`DataConstants`] from already computed l2 and l1 max-margin solutions of `z`.
pub fn from_solutions(z: &[Vec<Rational>], l2: &L2Solution, l1: &L1Solution) -> DataConstants {
    let d = data_dim(z);
    let xbar = (0..d)
        .map(|i| {
            z.iter()
                .map(|zn| Rational::from(zn[i].abs_ref()))
                .sum::<Rational>()
        })
        .max()
        .unwrap_or_default();
    DataConstants {
        gamma2_sq: l2.norm2_sq.clone().recip(),
        xbar,
        l1_margin: l1.norm1.clone().recip(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::testing::q;

    #[test]
    fn orthogonal_data() {
        // z1 = (2, 0, 0), z2 = (0, -3, 0): w_l2 = w_l1 = (1/2, -1/3, 0),
        // ||w||^2 = 13/36, ||w||_1 = 5/6, xbar = max(2, 3, 0) = 3.
        let z = vec![
            vec![q(2, 1), q(0, 1), q(0, 1)],
            vec![q(0, 1), q(-3, 1), q(0, 1)],
        ];
        let c = data_constants(&z).unwrap();
        assert_eq!(c.gamma2_sq, q(36, 13));
        assert_eq!(c.l1_margin, q(6, 5));
        assert_eq!(c.xbar, q(3, 1));
    }
}
