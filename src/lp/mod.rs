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
//! Every answer is exact. MPFR at modest precision (64 bits, then 256) is used only to guess:
//! [`solve`] first runs a float simplex and certifies its final basis exactly
//! (`basis.rs`); only when the certificate fails, or the certified optimum is
//! degenerate (possibly not unique), does it run the exact simplex, so wherever the
//! optimal pair `(x, y)` is unique the answer is the exact simplex's. [`separability`]
//! checks a float point exactly before it runs the exact LP.
//!
//! The files: `mod.rs` the LP and its outcomes; `simplex.rs` the exact solver;
//! `float.rs` the float simplex; `basis.rs` the exact certification of a basis;
//! `certificate.rs` the checks of the certificates; `margin.rs` the margin LPs of a
//! dataset (separability, l1 max-margin) and their checks.

mod basis;
mod certificate;
mod float;
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

use float::{float_solve, FloatOutcome};
use rug::Rational;

/// Precisions of the MPFR guesses: modest, then more.
const GUESS_PRECISIONS: [u32; 2] = [64, 256];

/// The MPFR simplex at precision `prec` (a guess only: its basis is certified exactly).
fn float_guess(lp: &StandardLp, prec: u32) -> FloatOutcome {
    float_solve(lp, prec)
}

/// Solves `min c^T x s.t. A x = b, x >= 0` exactly.
///
/// Guess then certify: the optimal basis of an MPFR simplex (64-bit, then 256-bit
/// MPFR) is certified exactly; when it certifies with `x_B > 0` and positive
/// nonbasic reduced costs, `(x, y)` is the unique optimal pair and is returned.
/// Otherwise (a wrong guess, a degenerate optimum, infeasible or unbounded) the exact
/// simplex with Bland's rule decides, as before.
///
/// # Panics
/// If the dimensions of `lp` are inconsistent (see [`StandardLp::check_dims`]).
pub fn solve(lp: &StandardLp) -> LpOutcome {
    if let Err(e) = lp.check_dims() {
        panic!("lp::solve: malformed LP: {e}");
    }
    if lp.rows() > 0 {
        for prec in GUESS_PRECISIONS {
            if let FloatOutcome::Optimal(g) = float_guess(lp, prec) {
                match basis::certify(lp, &g.basis) {
                    Some(c) if c.strict => return LpOutcome::Optimal(c.sol),
                    // Optimal but degenerate: the exact simplex picks the vertex.
                    Some(_) => break,
                    None => {}
                }
            }
        }
    }
    simplex::solve(lp)
}

/// The exact simplex alone, without the float guess (for tests and comparisons).
pub fn solve_exact(lp: &StandardLp) -> LpOutcome {
    simplex::solve(lp)
}

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
