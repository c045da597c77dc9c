//! The regression-limit check (square loss; Woodworth et al. 2020, Theorems 1 and 3):
//! at each alpha the regression flow (`flow::regression`) is integrated from u(0) = alpha 1
//! until its tail bound certifies `k` digits of its limit (k = ceil(-log10 tolerance) + 3,
//! at most the digits the case's precision carries less 4), with its verification run
//! unless `--no-verify`; the reference w_alpha = argmin Q^D_alpha s.t. X^T w = y is
//! computed by [`q_alpha_limit`] at the case's precision + 64 bits. The metric is
//! ||w_flow - w_alpha||_2 / ||w_alpha||_2.
//!
//! Each vector is vouched for normwise (infinity norm) to its digits: w_flow to the
//! fewest of the tail bound's and the verification's digits, w_alpha to the reference's.
//! With one digit of margin the metric's error is at most
//! err = sqrt(d) (||w_flow||_inf 10^(1-k_flow) + ||w_alpha||_inf 10^(1-k_ref)) / ||w_alpha||_2.
//! The check passes when metric + err <= tolerance at every alpha; metric - err >
//! tolerance at some alpha is a failure of the claim, anything between is undecided (the
//! check fails, saying which digits were short). A metric below its error is shown as
//! `<err`.

use super::regression::short_alpha;
use super::{rel_dist, Ctx, Evidence, Kind, LimitDetail, Measured, Metric};
use crate::flow::guard::carried_digits;
use crate::flow::regression::{regression_verified_capped, RegProblem, RegStop};
use crate::flow::{default_stages, Numerics};
use crate::num::{
    digits_above, fmt_bounded, fmt_sig, fmt_sig_up, from_rational, max_abs, norm2, ten_pow_neg,
};
use crate::reference::regression::{limit_anchors, q_alpha_limit};
use rug::{Float, Rational};

/// The cap on each run's step attempts in a check job: a flow that needs more (D >= 3 at
/// very small alpha, docs/math.md §12.2) ends as an error at its alpha.
pub const MAX_STEPS: u64 = 20_000;

/// The digits of the limit asked of the tail bound for a check with tolerance `tol` at
/// precision `prec`: ceil(-log10 tol) + 3, at most the digits `prec` carries less 4
/// (and at least 1).
pub fn asked_digits(tol: &Rational, prec: u32) -> u32 {
    let mut k = 0u32;
    while ten_pow_neg(k) > *tol {
        k += 1;
    }
    (k + 3)
        .min(carried_digits(prec, 0).saturating_sub(4))
        .max(1)
}

/// The numerics of a regression-limit job: the case's precision; the integrator's
/// tolerance 10^-(k+2) for the k digits asked ([`asked_digits`]), or the case's when that
/// is looser; the case's stages when it sets them, else chosen from that tolerance. The
/// limit is the minimizer of the convex dual whatever the path, and the tail bound
/// certifies the distance to it from the end state itself: integrating more accurately
/// than the digits asked would only cost time (docs/checks.md).
pub fn limit_numerics(case: &crate::case::NumericsTable, tolerance: &Rational) -> Numerics {
    let k = asked_digits(tolerance, case.precision);
    let tol = ten_pow_neg(k + 2).max(case.tolerance.clone());
    Numerics {
        prec: case.precision,
        stages: case.stages.unwrap_or_else(|| default_stages(&tol)),
        tol,
    }
}

pub(super) struct RegLimit {
    /// Test hook: the reference is computed at alpha times this factor (a deliberately
    /// wrong reference, for mutation tests).
    ref_scale: Option<Rational>,
    /// the cap on each run's step attempts ([`MAX_STEPS`]; lowered by tests)
    max_steps: u64,
}

impl RegLimit {
    pub(super) fn new(ctx: &Ctx) -> Result<RegLimit, String> {
        if ctx.case.targets.iter().all(|y| *y == 0) {
            return Err("the targets are all zero: w = 0 is the only limit".to_string());
        }
        Ok(RegLimit {
            ref_scale: None,
            max_steps: MAX_STEPS,
        })
    }

    /// The same check against the reference at `factor` times each alpha (mutation tests).
    #[cfg(test)]
    pub fn with_wrong_reference(mut self, factor: Rational) -> RegLimit {
        self.ref_scale = Some(factor);
        self
    }

    /// The same check with each run capped at `n` step attempts (tests of the error path).
    #[cfg(test)]
    pub fn with_max_steps(mut self, n: u64) -> RegLimit {
        self.max_steps = n;
        self
    }

    const NAME: &'static str = "distance to w_alpha";

    /// The flow to its limit and the reference at `alpha`: the measurement and the digits
    /// that vouch for it (the fewest of tail, verification and reference).
    fn limit_at(
        &self,
        ctx: &Ctx,
        alpha: &Rational,
        verify: bool,
    ) -> Result<(Measured, u32), String> {
        let case = ctx.case;
        let numerics = limit_numerics(&case.numerics, &ctx.spec.tolerance);
        let prec = numerics.prec;
        let k = asked_digits(&ctx.spec.tolerance, prec);
        let anchors = limit_anchors(&case.points, &case.targets);
        let problem = RegProblem {
            points: &case.points,
            y: &case.targets,
            depth: case.depth,
            alpha,
            anchors: &anchors,
        };
        let v = regression_verified_capped(
            &problem,
            &numerics,
            &RegStop::Limit(k),
            verify,
            Some(self.max_steps),
        )
        .map_err(|e| format!("the flow to its limit ({k} digits asked): {e}"))?;
        let tail = v
            .tail_digits()
            .ok_or("the flow's end state has no tail bound (dependent points)")?;
        let ref_alpha = match &self.ref_scale {
            Some(f) => Rational::from(alpha * f),
            None => alpha.clone(),
        };
        let pr = prec + 64;
        let r = q_alpha_limit(&case.points, &case.targets, case.depth, &ref_alpha, pr)
            .map_err(|e| format!("the reference argmin Q^D_alpha: {e}"))?;
        let k_flow = v.digits.map_or(tail, |d| d.min(tail));
        let k_ref = r.verified_digits;
        let kmin = k_flow.min(k_ref);
        let w_ref = &r.solve.w;
        let w: Vec<Float> = v.main.w.iter().map(|x| Float::with_val(pr, x)).collect();
        let value = rel_dist(pr, &w, w_ref);
        let d = Float::with_val(pr, w.len() as u32).sqrt();
        let unit = |k: u32| from_rational(pr, &ten_pow_neg(k)) * 10u32;
        let err = (max_abs(pr, &w) * unit(k_flow) + max_abs(pr, w_ref) * unit(k_ref)) * d
            / norm2(pr, w_ref);
        let mut metric = Metric::new(Self::NAME, value.clone(), 1);
        match digits_above(&value, &err, 12) {
            Some(k) => metric.shown = k as usize,
            None => metric.text = Some(fmt_bounded(&value, &err, 12)),
        }
        let m = &v.main;
        let detail = LimitDetail {
            asked_digits: k,
            tail_digits: tail,
            flow_digits: v.digits,
            reference_digits: k_ref,
            err,
            t: m.t.as_ref().map_or("-".to_string(), |t| fmt_sig(t, 3)),
            main: m.stats.clone(),
            verification: v.check.as_ref().map(|c| c.stats.clone()),
        };
        Ok((
            Measured {
                metric,
                kkt: None,
                theorem2: None,
                limit: Some(detail),
            },
            kmin,
        ))
    }
}

impl Kind for RegLimit {
    fn measure(&self, _ctx: &Ctx, end: &super::End) -> Measured {
        // not called: without_flow always measures (the square-loss flow is run there)
        let mut m = Metric::new(
            Self::NAME,
            Float::with_val(end.flow.prec, rug::float::Special::Nan),
            1,
        );
        m.text = Some("no classification flow".to_string());
        m.into()
    }

    fn without_flow(
        &self,
        ctx: &Ctx,
        alpha: &Rational,
        _prec: u32,
        verify: bool,
    ) -> Option<Result<(Measured, u32), String>> {
        Some(self.limit_at(ctx, alpha, verify))
    }

    fn verdict(&self, e: &Evidence) -> (bool, String) {
        let tol = &e.tol;
        let p = tol.prec();
        let mut worst: Option<(Float, &Rational)> = None;
        for m in e.alphas {
            let a = short_alpha(&m.result.alpha);
            let Some(l) = &m.result.limit else {
                return (false, format!("no flow result at alpha = {a}"));
            };
            let hi = Float::with_val(p, &m.metric.value + &l.err);
            let lo = Float::with_val(p, &m.metric.value - &l.err);
            let shown = format!(
                "{} (± {})",
                fmt_sig(&m.metric.value, m.metric.shown),
                fmt_sig(&l.err, 2)
            );
            if lo > *tol {
                return (
                    false,
                    format!(
                        "the flow's limit is not argmin Q^D_alpha at alpha = {a}: ||w_flow - w_alpha||_2/||w_alpha||_2 = {shown}, above the tolerance {}",
                        fmt_sig(tol, 3)
                    ),
                );
            }
            if hi > *tol {
                let flow = l
                    .flow_digits
                    .map_or("not verified".to_string(), |d| d.to_string());
                return (
                    false,
                    format!(
                        "undecided at alpha = {a}: ||w_flow - w_alpha||_2/||w_alpha||_2 = {shown} cannot be told from the tolerance {} (digits: tail bound {}, verification {flow}, reference {}; raise numerics.precision)",
                        fmt_sig(tol, 3),
                        l.tail_digits,
                        l.reference_digits
                    ),
                );
            }
            if worst.as_ref().is_none_or(|(w, _)| hi > *w) {
                worst = Some((hi, &m.result.alpha));
            }
        }
        match worst {
            Some((hi, a)) => (
                true,
                format!(
                    "the flow's limit equals argmin Q^D_alpha at every alpha: ||w_flow - w_alpha||_2/||w_alpha||_2 <= {} (the largest bound, at alpha = {}), within the tolerance {}",
                    fmt_sig_up(&hi, 2),
                    short_alpha(a),
                    fmt_sig(tol, 3)
                ),
            ),
            None => (false, "no alpha was run".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{verdict, AlphaResult, Kind};
    use super::*;
    use crate::case::Case;

    /// The single sample of cases/regression_single.toml (x = (1/2, 1, -1/4), y = 1) at
    /// depth 2 with a regression-limit check at alpha = 1/10 and 10, tolerance 1e-12, run
    /// at 128 bits without verification through `k` (the kind under test).
    fn verdict_of(k: impl FnOnce(RegLimit) -> RegLimit) -> (bool, String, Vec<AlphaResult>) {
        let text = "format = 1\nname = \"t\"\ndepth = 2\ntask = \"regression\"\n[numerics]\nprecision = 128\ntolerance = \"1e-20\"\n[data]\npoints = [[\"1/2\", 1, \"-1/4\"]]\ntargets = [1]\n[[check]]\nname = \"limit\"\nkind = \"regression-limit\"\nalphas = [\"1/10\", 10]\ntolerance = \"1e-12\"\n";
        let case = Case::from_toml_str(text, "t.toml").expect("case");
        let z = case.z();
        let spec = &case.checks[0];
        let ctx = Ctx {
            case: &case,
            z: &z,
            spec,
        };
        let kind = k(RegLimit::new(&ctx).expect("kind"));
        let alphas: Vec<AlphaResult> = spec
            .alphas
            .iter()
            .map(|a| {
                let mut r = AlphaResult::not_run(&case, spec, a);
                r.not_run = false;
                r.error = None;
                match kind.without_flow(&ctx, a, 128, false).expect("measures") {
                    Ok((m, digits)) => {
                        r.metric = Some(m.metric);
                        r.limit = m.limit;
                        r.digits = Some(digits);
                    }
                    Err(e) => r.error = Some(e),
                }
                r
            })
            .collect();
        let boxed: Result<Box<dyn Kind>, String> = Ok(Box::new(kind));
        let (passed, why) = verdict(&ctx, &boxed, &alphas);
        (passed, why, alphas)
    }

    #[test]
    fn asked_digits_follow_the_tolerance_and_the_precision() {
        assert_eq!(asked_digits(&ten_pow_neg(30), 256), 33);
        assert_eq!(asked_digits(&Rational::from((3, 1000)), 256), 6);
        // 256 bits carry 72 digits: at most 68 are asked
        assert_eq!(asked_digits(&ten_pow_neg(80), 256), 68);
    }

    #[test]
    fn the_flow_limit_meets_q_alpha() {
        let (passed, why, alphas) = verdict_of(|k| k);
        assert!(passed, "{why}");
        for a in &alphas {
            let l = a.limit.as_ref().expect("detail");
            assert!(l.tail_digits >= 15, "{l:?}");
            assert!(l.main.accepted > 0 && l.main.rhs_evals > 0);
            assert!(a.digits.unwrap() >= 15);
            // the metric is below its error bound: shown as <err, no digit claimed
            let m = a.metric.as_ref().unwrap();
            assert!(m.display().starts_with('<'), "{}", m.display());
        }
    }

    /// Mutation: the reference at 1.001 alpha instead of alpha. The flow's limit is then
    /// about 1e-4 away from it (far above the tolerance and the error bound): the check
    /// must say the limit is not argmin Q^D_alpha.
    #[test]
    fn a_wrong_reference_fails() {
        let (passed, why, _) = verdict_of(|k| k.with_wrong_reference(Rational::from((1001, 1000))));
        assert!(!passed, "{why}");
        assert!(
            why.contains("is not argmin Q^D_alpha at alpha = 1/10"),
            "{why}"
        );
    }

    /// A flow stopped by the step cap is an error at its alpha, with the reason.
    #[test]
    fn a_step_limit_is_an_error_at_its_alpha() {
        let (passed, why, alphas) = verdict_of(|k| k.with_max_steps(2));
        assert!(!passed);
        let e = alphas[0].error.as_deref().expect("an error");
        assert!(e.contains("step limit of 2 reached"), "{e}");
        assert!(
            why.contains("the flow could not be integrated at alpha = 1/10"),
            "{why}"
        );
    }
}
