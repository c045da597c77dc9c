//! Condition 5 checks (support-vector stability): for every point k that is not a
//! support vector, z_k^T w(t) / gamma(t) >= rho_0 > 1 on the window of the path between
//! gt*(alpha) (the `window` rule) and gt(alpha). The watched points are the non-support
//! points of w_mu or, with `support_of = "flow"`, those of the flow's own w_hat at
//! gt(alpha) (ratio >= 1 + tolerance there). The metric is the observed rho_0 (40
//! log-spaced samples of the window); it must be at least 1 + tolerance at every alpha.

use super::{one_based, Ctx, End, Evidence, Kind, Measured, Metric};
use crate::case::spec::SupportOf;
use crate::flow::DiagFlow;
use crate::num::{fmt_sig, from_rational};
use crate::reference::qmu;
use crate::rule::Expr;
use rug::{Float, Rational};

pub(super) struct Condition5 {
    mu: Rational,
    window: Expr,
    /// the points watched: the non-support points of w_mu (margin above 1), or None to
    /// read them off the flow's own w_hat at gt(alpha), per alpha
    watched: Option<Vec<usize>>,
}

impl Condition5 {
    pub(super) fn new(
        ctx: &Ctx,
        mu: &Rational,
        window: &Expr,
        support_of: SupportOf,
        prec: u32,
    ) -> Result<Condition5, String> {
        let watched = match support_of {
            SupportOf::Flow => None,
            SupportOf::WMu => {
                let s = qmu::solve_qmu(ctx.z, ctx.case.depth, mu, prec, None)
                    .map_err(|e| e.to_string())?;
                // non-support: margin above 1 by more than the solution's accuracy
                let gap = Float::with_val(prec, Float::i_exp(1, -(prec as i32) / 2));
                let k = ctx
                    .z
                    .iter()
                    .enumerate()
                    .filter(|(_, zn)| {
                        let mut m = Float::new(prec);
                        for (a, b) in zn.iter().zip(&s.w) {
                            m += from_rational(prec, a) * b;
                        }
                        m - 1u32 > gap
                    })
                    .map(|(k, _)| k)
                    .collect();
                Some(k)
            }
        };
        Ok(Condition5 {
            mu: mu.clone(),
            window: window.clone(),
            watched,
        })
    }
}

/// min over the samples and the points `k` of z_k^T w / gamma (None without points).
fn observed_rho(flow: &DiagFlow, samples: &[(Float, Vec<Float>)], k: &[usize]) -> Option<Float> {
    let prec = flow.prec;
    let mut rho: Option<Float> = None;
    for (_, y) in samples {
        let der = flow.derive(&y[..flow.n]);
        for &kk in k {
            let r = Float::with_val(prec, &der.margins[kk] / &der.gamma);
            if rho.as_ref().is_none_or(|m| r < *m) {
                rho = Some(r);
            }
        }
    }
    rho
}

impl Kind for Condition5 {
    /// 40 log-spaced samples of the window [gt*(alpha), gt(alpha)] (from gt/10 when the
    /// window rule gives no start inside (0, gt)).
    fn samples(&self, ctx: &Ctx, alpha: &Rational, gt: &Rational, prec: u32) -> Vec<Rational> {
        let start = self
            .window
            .eval(alpha, ctx.case.depth, Some(&self.mu), prec)
            .ok()
            .and_then(|v| v.to_rational())
            .filter(|v| *v > 0 && v < gt)
            .unwrap_or_else(|| Rational::from(gt / 10u32));
        crate::flow::log_spaced(&start, gt, 40, prec)
    }

    fn measure(&self, ctx: &Ctx, end: &End) -> Measured {
        let flow = end.flow;
        let prec = flow.prec;
        let (name, k, none) = match &self.watched {
            Some(k) => (
                "observed rho_0 (min of z_k^T w / gamma over the window, k not a support vector of w_mu)".to_string(),
                k.clone(),
                "inf (every point is a support vector of w_mu)",
            ),
            None => {
                // the flow's own non-support points: ratio z_k^T w / gamma >= 1 + tolerance
                // at gt(alpha); each must have stayed there over the whole window
                let need = Float::with_val(prec, from_rational(prec, &ctx.spec.tolerance) + 1u32);
                // the end state's margins and gamma, as the summary derived them
                let (margins, gamma) = (&end.summary.margins, &end.summary.gamma);
                let k: Vec<usize> = (0..ctx.z.len())
                    .filter(|&kk| Float::with_val(prec, &margins[kk] / gamma) >= need)
                    .collect();
                (
                    format!(
                        "observed rho_0 (min over the window of z_k^T w / gamma for k in {}, the points that are not support vectors of the flow's own w_hat at gt: ratio >= 1 + tolerance there)",
                        one_based(&k)
                    ),
                    k,
                    "inf (every point is a support vector of the flow's w_hat)",
                )
            }
        };
        match observed_rho(flow, end.samples, &k) {
            Some(r) => Metric::new(name, r, end.shown.min(8)),
            None => Metric {
                name,
                value: Float::with_val(prec, rug::float::Special::Infinity),
                shown: end.shown.min(8),
                text: Some(none.to_string()),
            },
        }
        .into()
    }

    /// Holds when rho_0 >= 1 + tolerance at every alpha.
    fn verdict(&self, e: &Evidence) -> (bool, String) {
        let (alphas, tol) = (e.alphas, &e.tol);
        let need = Float::with_val(tol.prec(), tol + 1u32);
        for a in alphas {
            if a.metric.value < need {
                return (
                    false,
                    format!(
                        "Condition 5 fails at alpha = {}: a point that is not a support vector of {} comes within rho_0 = {} of the minimum margin (need >= {})",
                        a.result.alpha,
                        match self.watched {
                            Some(_) => "w_mu",
                            None => "the flow's own w_hat at gt (it was near the support earlier in the window)",
                        },
                        a.metric.display(),
                        fmt_sig(&need, 6)
                    ),
                );
            }
        }
        match alphas.last() {
            Some(last) => (
                true,
                format!(
                    "Condition 5 holds on the windows: observed rho_0 = {} at alpha = {}",
                    last.metric.display(),
                    last.result.alpha
                ),
            ),
            None => (false, "no alpha was run".to_string()),
        }
    }
}
