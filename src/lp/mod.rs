//! Exact linear programming over the rationals.
//!
//! * [`solve`]: a dense two-phase primal simplex method on [`rug::Rational`]
//!   with Bland's smallest-index rule, so it terminates on degenerate problems.
//!   Every outcome carries a certificate that can be checked independently of
//!   the solver: [`verify_optimal`], [`verify_infeasible`], [`verify_unbounded`].
//! * [`separability`]: strict linear separability of a dataset
//!   (`exists w: z_n^T w > 0 for all n`), with a Gordan certificate when the
//!   answer is no; checked by [`verify_separability`].
//! * [`l1_max_margin`]: the l1 max-margin LP `min ||w||_1 s.t. z_n^T w >= 1`
//!   together with its dual multipliers; checked by [`verify_l1_max_margin`].
//!
//! No floating point is used anywhere in this module.
//!
//! The files: `mod.rs` the LP and its outcomes; `simplex.rs` the solver;
//! `certificate.rs` the checks of its certificates; `margin.rs` the margin LPs of a
//! dataset (separability, l1 max-margin) and their checks.

mod certificate;
mod margin;
mod simplex;

pub use certificate::{
    verify_dual_feasible, verify_feasible, verify_infeasible, verify_optimal, verify_outcome,
    verify_unbounded,
};
pub use margin::{
    l1_max_margin, separability, verify_l1_max_margin, verify_separability, Separability,
};
pub(crate) use margin::{margin_lp, split_w};
pub use simplex::solve;

use rug::Rational;

/// `minimize c^T x  subject to  A x = b, x >= 0`.
///
/// `a` is `m x n` (row-major, every row of length `n`), `b` has length `m`
/// and `c` length `n`. Rows may be linearly dependent and `b` may have any
/// sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandardLp {
    pub a: Vec<Vec<Rational>>,
    pub b: Vec<Rational>,
    pub c: Vec<Rational>,
}

impl StandardLp {
    /// Number of equality rows `m`.
    pub fn rows(&self) -> usize {
        self.b.len()
    }

    /// Number of variables `n`.
    pub fn cols(&self) -> usize {
        self.c.len()
    }

    /// Checks that the dimensions of `a`, `b` and `c` agree.
    pub fn check_dims(&self) -> Result<(), String> {
        if self.a.len() != self.b.len() {
            return Err(format!(
                "A has {} rows but b has length {}",
                self.a.len(),
                self.b.len()
            ));
        }
        for (i, row) in self.a.iter().enumerate() {
            if row.len() != self.c.len() {
                return Err(format!(
                    "row {i} of A has length {} but c has length {}",
                    row.len(),
                    self.c.len()
                ));
            }
        }
        Ok(())
    }
}

/// An optimal solution with its optimality certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LpSolution {
    /// Optimal primal vertex (length `n`).
    pub x: Vec<Rational>,
    /// Dual solution of the original rows (length `m`): `A^T y <= c` and
    /// `b^T y = c^T x`.
    pub y: Vec<Rational>,
    /// `c^T x`.
    pub objective: Rational,
    /// Basic columns of `x` (in tableau row order). Their columns of `A` are
    /// linearly independent and `x` vanishes outside them. Redundant rows have
    /// no basic column, so `basis.len() == rank(A) <= m`.
    pub basis: Vec<usize>,
}

/// Result of [`solve`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LpOutcome {
    Optimal(LpSolution),
    /// `y` with `A^T y <= 0` and `b^T y > 0`: no `x >= 0` has `A x = b`.
    Infeasible {
        farkas_y: Vec<Rational>,
    },
    /// Feasible `x` and a ray `d >= 0` with `A d = 0`, `c^T d < 0`.
    Unbounded {
        x: Vec<Rational>,
        ray: Vec<Rational>,
    },
}
