//! Validated check declarations (the `[[check]]` tables of a case file) and the results
//! of running them. The schema is documented in docs/case-format.md.

use crate::rule::Expr;
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
    /// The fixed-alpha limit (Theorem 2): w_hat at gt(alpha) is near a declared point,
    /// which the check verifies to be a KKT point of the l_{2/D} max-margin problem
    /// (and, if declared, its global minimum or a strict local minimum that is not global).
    Limit,
    /// Regression (square loss), no flow: the limit w_alpha = argmin Q^D_alpha s.t.
    /// X^T w = y tends to the min-l2 interpolator as alpha grows; with `eps`, Theorem 2's
    /// l2 statement (Woodworth et al. 2020, D = 2).
    #[serde(rename = "regression-kernel")]
    RegressionKernel,
    /// Regression, no flow: the excess l1 norm of w_alpha falls as alpha -> 0; with `eps`,
    /// Theorem 2's l1 statement (D = 2).
    #[serde(rename = "regression-rich")]
    RegressionRich,
    /// Regression, with the flow: the square-loss flow integrated to its limit (tail
    /// bound, verified) equals argmin Q^D_alpha s.t. X^T w = y (Woodworth et al. 2020,
    /// Theorems 1 and 3) to within the tolerance at every alpha.
    #[serde(rename = "regression-limit")]
    RegressionLimit,
}

impl CheckKind {
    pub fn parse(s: &str) -> Option<CheckKind> {
        match s {
            "kernel" => Some(CheckKind::Kernel),
            "transition" => Some(CheckKind::Transition),
            "rich" => Some(CheckKind::Rich),
            "bounds" => Some(CheckKind::Bounds),
            "condition5" => Some(CheckKind::Condition5),
            "limit" => Some(CheckKind::Limit),
            "regression-kernel" => Some(CheckKind::RegressionKernel),
            "regression-rich" => Some(CheckKind::RegressionRich),
            "regression-limit" => Some(CheckKind::RegressionLimit),
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
            CheckKind::Limit => "limit",
            CheckKind::RegressionKernel => "regression-kernel",
            CheckKind::RegressionRich => "regression-rich",
            CheckKind::RegressionLimit => "regression-limit",
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
            // not used: a limit check must give its stopping rule
            CheckKind::Limit => "alpha^(2*D)",
            // not used: a regression check evaluates the limit t -> infinity
            CheckKind::RegressionKernel
            | CheckKind::RegressionRich
            | CheckKind::RegressionLimit => "alpha",
        }
    }

    /// Whether the kind needs `mu` (transition always; rich only through its rule).
    pub fn needs_mu(self) -> bool {
        matches!(self, CheckKind::Transition | CheckKind::Condition5)
    }

    /// Whether the kind is a regression check (a regression case's kinds: the limit
    /// t -> infinity, not a classification stopping rule).
    pub fn is_regression(self) -> bool {
        matches!(
            self,
            CheckKind::RegressionKernel | CheckKind::RegressionRich | CheckKind::RegressionLimit
        )
    }
}

/// What the case expects of a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    Pass,
    Fail,
}

/// What a limit check declares about its point, beyond being a KKT point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Optimum {
    /// the global minimum of the l_{2/D} max-margin problem
    Global,
    /// a strict local minimum whose value is above the global minimum
    Local,
}

/// Whose non-support points a condition5 check watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SupportOf {
    /// those of the predicted limit w_mu (the default)
    WMu,
    /// those of the flow's own w_hat at gt(alpha) (the paper's w-hat: the actual limit)
    Flow,
}

/// Theorem 2 of Woodworth et al. 2020 (D = 2) as a regression check applies it: for
/// 0 < eps < d, alpha <= min{(2(1+eps)||w_l1||_1)^(-(2+eps)/(2 eps)), exp(-d/(eps ||w_l1||_1))}
/// implies ||w_alpha||_1 <= (1+eps)||w_l1||_1, and
/// alpha >= sqrt(2(1+eps)(1+2/eps)||w_l2||_2) implies ||w_alpha||_2^2 <= (1+eps)||w_l2||_2^2.
#[derive(Clone, Debug, PartialEq)]
pub struct Theorem2 {
    /// epsilon, 0 < eps < d
    pub eps: Rational,
    /// the theorem's bound on alpha, exact: for the l1 statement (regression-rich) its
    /// value rounded down to 12 significant digits (every alpha <= it is covered), for
    /// the l2 statement (regression-kernel) rounded up
    pub bound: Rational,
    /// log10 of the bound as computed (for reports), 12 significant digits
    pub log10_bound: String,
}

impl Theorem2 {
    /// Whether the theorem covers `alpha` (l1: alpha <= bound; l2: alpha >= bound).
    pub fn covers(&self, alpha: &Rational, rich: bool) -> bool {
        if rich {
            *alpha <= self.bound
        } else {
            *alpha >= self.bound
        }
    }
}

/// What one kind of check declares beyond the fields every check has: one arm per
/// kind, each with exactly the fields it needs (validated when the case is read).
#[derive(Clone, Debug, PartialEq)]
pub enum KindSpec {
    Kernel,
    Transition {
        mu: Rational,
        /// allowed Q_mu stationarity residual of w_hat at the largest alpha, > 0
        kkt_tolerance: Option<Rational>,
    },
    Rich,
    Bounds,
    Condition5 {
        mu: Rational,
        /// the start gt*(alpha) of the window (default alpha^D / log(alpha))
        window: Expr,
        /// whose non-support points are watched (default: w_mu's)
        support_of: SupportOf,
    },
    Limit {
        /// the declared limit point (exact, length d)
        point: Vec<Rational>,
        /// what the point is claimed to be beyond a KKT point
        optimum: Option<Optimum>,
    },
    /// regression: distance of w_alpha to the min-l2 interpolator (and Theorem 2's l2
    /// statement when `eps` is given)
    RegressionKernel {
        theorem2: Option<Theorem2>,
    },
    /// regression: excess l1 norm of w_alpha (and Theorem 2's l1 statement with `eps`)
    RegressionRich {
        theorem2: Option<Theorem2>,
    },
    /// regression: the flow integrated to its limit against argmin Q^D_alpha
    RegressionLimit,
}

impl KindSpec {
    /// The kind's tag (its name in case files and reports).
    pub fn tag(&self) -> CheckKind {
        match self {
            KindSpec::Kernel => CheckKind::Kernel,
            KindSpec::Transition { .. } => CheckKind::Transition,
            KindSpec::Rich => CheckKind::Rich,
            KindSpec::Bounds => CheckKind::Bounds,
            KindSpec::Condition5 { .. } => CheckKind::Condition5,
            KindSpec::Limit { .. } => CheckKind::Limit,
            KindSpec::RegressionKernel { .. } => CheckKind::RegressionKernel,
            KindSpec::RegressionRich { .. } => CheckKind::RegressionRich,
            KindSpec::RegressionLimit => CheckKind::RegressionLimit,
        }
    }
}

/// One validated `[[check]]` table.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckSpec {
    /// position in the file (0-based), for messages: `check[2]`
    pub index: usize,
    pub name: String,
    /// the kind with its own fields
    pub kind: KindSpec,
    /// strictly increasing, positive
    pub alphas: Vec<Rational>,
    /// mu of the stopping rule (every check may use it; transition and condition5
    /// checks must give it, and carry it in their [`KindSpec`] too)
    pub mu: Option<Rational>,
    /// the stopping rule gt(alpha, D, mu), strictly increasing on `alphas`
    pub stop: Expr,
    /// relative distance (or excess l1 norm) allowed at the largest alpha, > 0
    pub tolerance: Rational,
    pub expect: Expect,
    /// the loss the check's flows are trained with (the case's `loss` unless the
    /// check gives its own)
    pub loss: crate::flow::Loss,
}
