//! Regression checks (square loss; docs/checks.md): no flow is integrated. Each alpha's
//! job computes the flow's limit `w_alpha = argmin Q^D_alpha s.t. X^T w = y` with
//! [`q_alpha_limit`] (two independent solves; their agreeing digits are the job's verified
//! digits) and measures it against the exact interpolators:
//!
//! * `regression-kernel`: ||w_alpha - w_l2||_2 / ||w_l2||_2, which must fall along the
//!   increasing alphas to the tolerance at the largest; with `eps`, Theorem 2's l2
//!   statement at every alpha >= its bound: ||w_alpha||_2^2 / ||w_l2||_2^2 - 1 <= eps;
//! * `regression-rich`: the excess l1 norm ||w_alpha||_1 / ||w_l1||_1 - 1, which must fall
//!   along the decreasing alphas to the tolerance at the smallest; with `eps`, Theorem 2's
//!   l1 statement at every alpha <= its bound: the excess <= eps.
//!
//! A Theorem 2 statement is decided only as far as the verified digits allow (the error
//! bound of `reference::regression::l1_excess`/`l2_excess`); the statement holds when
//! excess + error <= eps, is violated when excess - error > eps, and is undecided (the
//! check fails, saying so) otherwise.

use super::{falling, rel_dist, Ctx, Evidence, Excess, Kind, Measured, Measurement, Metric};
use crate::case::spec::Theorem2;
use crate::num::{fmt_sig, from_rational};
use crate::reference::regression::{
    l1_excess, l2_excess, min_l1_interpolator, min_l2_interpolator, q_alpha_limit,
};
use rug::{Float, Rational};

pub(super) struct Regression {
    /// regression-rich (else regression-kernel)
    rich: bool,
    /// the exact min-l2 interpolator, rounded (kernel)
    w_l2: Vec<Float>,
    /// ||w_l2||_2^2 (kernel) or ||w_l1||_1 (rich), exact
    opt: Rational,
    theorem2: Option<Theorem2>,
    /// Test hook: the optimal norm the Theorem 2 statement is compared with, when it
    /// must differ from the exact one (mutation tests).
    opt_override: Option<Rational>,
}

impl Regression {
    pub(super) fn new(
        ctx: &Ctx,
        rich: bool,
        theorem2: Option<&Theorem2>,
        prec: u32,
    ) -> Result<Regression, String> {
        let (points, y) = (&ctx.case.points, &ctx.case.targets);
        let (w_l2, opt) = if rich {
            let s = min_l1_interpolator(points, y).map_err(|e| e.to_string())?;
            (Vec::new(), s.norm1)
        } else {
            let s = min_l2_interpolator(points, y).map_err(|e| e.to_string())?;
            (
                s.w.iter().map(|q| from_rational(prec, q)).collect(),
                s.norm2_sq,
            )
        };
        if opt == 0 {
            return Err("the targets are all zero: w = 0 is the only limit".to_string());
        }
        Ok(Regression {
            rich,
            w_l2,
            opt,
            theorem2: theorem2.cloned(),
            opt_override: None,
        })
    }

    /// The same check with Theorem 2's statement compared against `opt` instead of the
    /// exact optimal norm (||w_l1||_1 for rich, ||w_l2||_2^2 for kernel): a deliberately
    /// wrong reference, for mutation tests.
    #[cfg(test)]
    pub fn with_wrong_optimum(mut self, opt: Rational) -> Regression {
        self.opt_override = Some(opt);
        self
    }

    fn opt_for_theorem(&self) -> &Rational {
        self.opt_override.as_ref().unwrap_or(&self.opt)
    }

    /// The excess the theorem bounds and its error bound from `digits` verified digits
    /// ([`l1_excess`], [`l2_excess`]).
    fn excess(&self, w: &[Float], digits: u32, prec: u32) -> Excess {
        let x = if self.rich {
            l1_excess(w, digits, self.opt_for_theorem(), prec)
        } else {
            l2_excess(w, digits, self.opt_for_theorem(), prec)
        };
        Excess {
            value: x.value,
            err: x.err,
        }
    }

    fn name(&self) -> &'static str {
        if self.rich {
            "excess l1 norm ||w||_1/||w_l1||_1 - 1"
        } else {
            "distance to w_l2"
        }
    }

    /// The Theorem 2 statement's verdict over the alphas it covers, None when no eps.
    fn theorem2_verdict(&self, e: &Evidence) -> Option<(bool, String)> {
        let t = self.theorem2.as_ref()?;
        let prec = e.tol.prec();
        let eps = from_rational(prec, &t.eps);
        let (side, what) = if self.rich {
            ("<=", "||w_alpha||_1 <= (1+eps) ||w_l1||_1")
        } else {
            (">=", "||w_alpha||_2^2 <= (1+eps) ||w_l2||_2^2")
        };
        let head = format!(
            "Theorem 2 (eps = {}, alpha {side} {} = 10^{}: {what})",
            t.eps,
            fmt_sig(&from_rational(64, &t.bound), 12),
            t.log10_bound
        );
        let covered: Vec<&Measurement> = e
            .alphas
            .iter()
            .filter(|m| t.covers(&m.result.alpha, self.rich))
            .collect();
        if covered.is_empty() {
            return Some((
                false,
                format!(
                    "{head}: no listed alpha is covered by the bound (add \"theorem2\" to alphas)"
                ),
            ));
        }
        let mut held = Vec::new();
        for m in covered {
            let Some(x) = &m.result.theorem2 else {
                return Some((
                    false,
                    format!("{head}: no value at alpha = {}", m.result.alpha),
                ));
            };
            let hi = Float::with_val(prec, &x.value + &x.err);
            let lo = Float::with_val(prec, &x.value - &x.err);
            let shown = format!("excess {} (± {})", fmt_sig(&x.value, 6), fmt_sig(&x.err, 2));
            if lo > eps {
                return Some((
                    false,
                    format!(
                        "{head} is violated at alpha = {}: {shown} > eps",
                        m.result.alpha
                    ),
                ));
            }
            if hi > eps {
                return Some((
                    false,
                    format!(
                        "{head} undecided at alpha = {}: {shown}: the verified digits cannot tell it from eps",
                        m.result.alpha
                    ),
                ));
            }
            held.push(format!("alpha = {}: {shown}", short_alpha(&m.result.alpha)));
        }
        Some((true, format!("{head} holds: {}", held.join("; "))))
    }
}

/// An alpha for reasons: exact when short, else 12 digits.
pub(super) fn short_alpha(a: &Rational) -> String {
    let s = a.to_string();
    if s.len() <= 24 {
        s
    } else {
        fmt_sig(&from_rational(64, a), 12)
    }
}

impl Kind for Regression {
    fn measure(&self, _ctx: &Ctx, end: &super::End) -> Measured {
        // not called: without_flow always measures (no flow is run for these kinds)
        let mut m = Metric::new(
            self.name(),
            Float::with_val(end.flow.prec, rug::float::Special::Nan),
            1,
        );
        m.text = Some("no flow".to_string());
        m.into()
    }

    fn without_flow(
        &self,
        ctx: &Ctx,
        alpha: &Rational,
        prec: u32,
        _verify: bool,
    ) -> Option<Result<(Measured, u32), String>> {
        let case = ctx.case;
        let sol = match q_alpha_limit(&case.points, &case.targets, case.depth, alpha, prec) {
            Ok(s) => s,
            Err(e) => return Some(Err(e.to_string())),
        };
        let w = &sol.solve.w;
        let k = sol.verified_digits;
        let shown = (k as usize).clamp(1, 12);
        let excess = self.excess(w, k, prec);
        let metric = if self.rich {
            Metric::new(self.name(), excess.value.clone(), shown)
        } else {
            Metric::new(self.name(), rel_dist(prec, w, &self.w_l2), shown)
        };
        Some(Ok((
            Measured {
                metric,
                kkt: None,
                theorem2: Some(excess),
                limit: None,
            },
            k,
        )))
    }

    fn verdict(&self, e: &Evidence) -> (bool, String) {
        // the metric: kernel falls along increasing alphas, rich along decreasing ones
        let trend = if self.rich {
            let reversed: Vec<Measurement> = e
                .alphas
                .iter()
                .rev()
                .map(|m| Measurement {
                    result: m.result,
                    metric: m.metric,
                })
                .collect();
            let ev = Evidence {
                ctx: e.ctx,
                alphas: &reversed,
                tol: e.tol.clone(),
                noise: e.noise.clone(),
            };
            match falling::failure(&ev) {
                Some(why) => (
                    false,
                    why.replace("the largest alpha", "the smallest alpha")
                        .replace("increases from", "increases (as alpha decreases) from"),
                ),
                None => (
                    true,
                    falling::success(&ev)
                        .replace("falls along the alphas", "falls as alpha decreases"),
                ),
            }
        } else {
            falling::verdict(e)
        };
        // long alphas (Theorem 2's, 10^-1303) as 12 digits
        let mut trend = trend;
        for m in e.alphas {
            let exact = m.result.alpha.to_string();
            if exact.len() > 24 {
                trend.1 = trend.1.replace(&exact, &short_alpha(&m.result.alpha));
            }
        }
        match self.theorem2_verdict(e) {
            None => trend,
            Some((ok, why)) => (trend.0 && ok, format!("{}; {why}", trend.1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{verdict, AlphaResult, Kind};
    use super::*;
    use crate::case::spec::KindSpec;
    use crate::case::Case;

    /// The rich check of cases/regression_single.toml with Theorem 2 (eps = 1/1000, alpha
    /// down to 10^-1303), run at 128 bits against `opt` (None: the exact ||w_l1||_1).
    fn rich_verdict(opt: Option<Rational>) -> (bool, String) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("cases")
            .join("regression_single.toml");
        let case = Case::load(&path).expect("bundled case");
        let z = case.z();
        let spec = case
            .checks
            .iter()
            .find(|c| matches!(c.kind, KindSpec::RegressionRich { theorem2: Some(_) }))
            .expect("a regression-rich check with eps");
        let ctx = Ctx {
            case: &case,
            z: &z,
            spec,
        };
        let KindSpec::RegressionRich { theorem2 } = &spec.kind else {
            unreachable!()
        };
        let prec = 128;
        let mut k = Regression::new(&ctx, true, theorem2.as_ref(), prec).expect("references");
        if let Some(o) = opt {
            k = k.with_wrong_optimum(o);
        }
        let alphas: Vec<AlphaResult> = spec
            .alphas
            .iter()
            .map(|a| {
                let (m, digits) = k
                    .without_flow(&ctx, a, prec, true)
                    .expect("no flow")
                    .expect("solved");
                AlphaResult {
                    alpha: a.clone(),
                    gt: Float::new(prec),
                    metric: Some(m.metric),
                    kkt_stationarity: None,
                    digits: Some(digits),
                    drift_rel: None,
                    error: None,
                    not_run: false,
                    wall_seconds: 0.0,
                    theorem2: m.theorem2,
                    limit: None,
                }
            })
            .collect();
        let boxed: Result<Box<dyn Kind>, String> = Ok(Box::new(k));
        verdict(&ctx, &boxed, &alphas)
    }

    #[test]
    fn theorem2_holds_with_the_exact_l1_norm() {
        let (passed, why) = rich_verdict(None);
        assert!(passed, "{why}");
        assert!(
            why.contains("Theorem 2 (eps = 1/1000") && why.contains("holds"),
            "{why}"
        );
    }

    /// Mutation: ||w_l1||_1 = 1 replaced by 1 - 2 eps = 499/500 (0.2% too small): the
    /// limit's l1 norm (1 to 77 digits at alpha = 10^-1303) then exceeds (1 + eps) times
    /// it, and the Theorem 2 check must say so.
    #[test]
    fn theorem2_check_fails_with_a_wrong_l1_norm() {
        let (passed, why) = rich_verdict(Some(Rational::from((499, 500))));
        assert!(!passed, "{why}");
        assert!(why.contains("is violated at alpha"), "{why}");
    }
}
