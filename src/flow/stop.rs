//! The stopping rule of a run, kept exact so that it can be evaluated at any precision.

use crate::num::exact::Decimal;
use crate::num::from_rational;
use rug::ops::Pow;
use rug::{Float, Rational};

/// When to stop, kept exact so that it can be evaluated at any precision.
#[derive(Clone, Debug)]
pub enum StopRule {
    /// gt = value
    Gt(Rational),
    /// loss = value (a positive decimal, e.g. 1e-8700): gt = -ln(value)
    Loss(Decimal),
    /// gt = alpha^D / mu
    Mu(Rational),
    /// gt = a stopping-rule expression in alpha, D and mu (the checks of a case file)
    Expr(crate::rule::Expr, Option<Rational>),
}

impl StopRule {
    /// The target gt exactly, when it is rational (`--gt`, `--mu`).
    pub fn gt_exact(&self, alpha: &Rational, depth: u32) -> Option<Rational> {
        match self {
            StopRule::Gt(g) => Some(g.clone()),
            StopRule::Mu(mu) => Some(alpha.clone().pow(depth as i32) / mu),
            StopRule::Loss(_) | StopRule::Expr(..) => None,
        }
    }

    /// The target gt at precision `prec`.
    pub fn gt(&self, alpha: &Rational, depth: u32, prec: u32) -> Float {
        match (self, self.gt_exact(alpha, depth)) {
            (StopRule::Loss(l), _) => -l.ln(prec),
            (StopRule::Expr(e, mu), _) => e
                .eval(alpha, depth, mu.as_ref(), prec)
                .unwrap_or_else(|_| Float::with_val(prec, rug::float::Special::Nan)),
            (_, Some(q)) => from_rational(prec, &q),
            (_, None) => unreachable!("only loss and expression targets are irrational"),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            StopRule::Gt(g) => format!("gt = {g}"),
            StopRule::Loss(l) => format!("loss = {}e{}", l.coeff, l.exp10),
            StopRule::Mu(mu) => format!("gt = alpha^D / mu, mu = {mu}"),
            StopRule::Expr(e, Some(mu)) => format!("gt = {e}, mu = {mu}"),
            StopRule::Expr(e, None) => format!("gt = {e}"),
        }
    }
}
