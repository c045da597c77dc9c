//! Validated check declarations (the `[[check]]` tables of a case file) and the results
//! of running them. The schema is documented in docs/case-format.md.

use super::expr::Expr;
use rug::Rational;
use serde::Serialize;

/// Which theorem a check exercises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckKind {
    /// Theorem 4: gt(alpha) = o(alpha^D) gives w_hat -> w_l2.
    Kernel,
    /// Theorem 6: gt(alpha) = alpha^D / mu gives w_hat -> w_mu (under Condition 5).
    Transition,
    /// Theorem 7: gt(alpha) = omega(alpha^D) gives w_hat -> w_l1 (under Condition 5).
    Rich,
    /// Bounds that hold along every path: Lemma 3 (loss vs time), Lemma 11 (D = 2) or 13
    /// (D >= 3) on ||w||_inf, and the non-decreasing normalized smoothed margin.
    Bounds,
    /// Condition 5 (support-vector stability): for every point k that is not a support
    /// vector of w_mu, z_k^T w(t) / gamma(t) >= rho_0 > 1 on the window of the path
    /// between gt*(alpha) (the `window` rule) and gt(alpha).
    Condition5,
}

impl CheckKind {
    pub fn parse(s: &str) -> Option<CheckKind> {
        match s {
            "kernel" => Some(CheckKind::Kernel),
            "transition" => Some(CheckKind::Transition),
            "rich" => Some(CheckKind::Rich),
            "bounds" => Some(CheckKind::Bounds),
            "condition5" => Some(CheckKind::Condition5),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        self.name_str()
    }

    pub fn name_str(self) -> &'static str {
        match self {
            CheckKind::Kernel => "kernel",
            CheckKind::Transition => "transition",
            CheckKind::Rich => "rich",
            CheckKind::Bounds => "bounds",
            CheckKind::Condition5 => "condition5",
        }
    }

    /// The stopping rule used when a check gives none.
    pub fn default_stop(self) -> &'static str {
        match self {
            CheckKind::Kernel => "alpha^D / log(alpha)",
            CheckKind::Transition => "alpha^D / mu",
            CheckKind::Rich => "alpha^D * log(alpha) / mu",
            CheckKind::Bounds => "alpha^(2*D)",
            CheckKind::Condition5 => "alpha^D / mu",
        }
    }

    /// Whether the kind needs `mu` (transition always; rich only through its rule).
    pub fn needs_mu(self) -> bool {
        matches!(self, CheckKind::Transition | CheckKind::Condition5)
    }
}

/// What the case expects of a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    Pass,
    Fail,
}

/// One validated `[[check]]` table.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckSpec {
    /// position in the file (0-based), for messages: `check[2]`
    pub index: usize,
    pub name: String,
    pub kind: CheckKind,
    /// strictly increasing, positive
    pub alphas: Vec<Rational>,
    pub mu: Option<Rational>,
    /// the stopping rule gt(alpha, D, mu), strictly increasing on `alphas`
    pub stop: Expr,
    /// relative distance (or excess l1 norm) allowed at the largest alpha, > 0
    pub tolerance: Rational,
    /// allowed KKT residual for transition checks at the largest alpha, > 0
    pub kkt_tolerance: Option<Rational>,
    /// condition5: the start gt*(alpha) of the window (default alpha^D / log(alpha))
    pub window: Option<Expr>,
    pub expect: Expect,
}
