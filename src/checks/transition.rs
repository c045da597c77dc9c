//! Transition checks (Theorem 6): gt(alpha) = alpha^D / mu gives w_hat -> w_mu (under
//! Condition 5). The metric is ||w_hat - w_mu||_2 / ||w_mu||_2, which must fall along the
//! alphas to the tolerance; with `kkt_tolerance`, the Q^D_mu stationarity residual of
//! w_hat at the largest alpha must be within it too.

use super::{falling, rel_dist, Ctx, End, Evidence, Kind, Measured, Metric};
use crate::num::{fmt_sig, from_rational};
use crate::reference::kkt::{kkt_residuals, Problem};
use crate::reference::qmu;
use rug::{Float, Rational};

pub(super) struct Transition {
    mu: Rational,
    kkt_tolerance: Option<Rational>,
    /// the Q^D_mu max-margin predictor at the precision of the run
    w_mu: Vec<Float>,
}

impl Transition {
    pub(super) fn new(
        ctx: &Ctx,
        mu: &Rational,
        kkt_tolerance: Option<&Rational>,
        prec: u32,
    ) -> Result<Transition, String> {
        let s = qmu::solve_qmu(ctx.z, ctx.case.depth, mu, prec, None).map_err(|e| e.to_string())?;
        Ok(Transition {
            mu: mu.clone(),
            kkt_tolerance: kkt_tolerance.cloned(),
            w_mu: s.w,
        })
    }
}

impl Kind for Transition {
    fn measure(&self, ctx: &Ctx, end: &End) -> Measured {
        let prec = end.flow.prec;
        let w_hat = &end.summary.w_hat;
        let metric = Metric::new(
            "distance to w_mu",
            rel_dist(prec, w_hat, &self.w_mu),
            end.shown,
        );
        // near-active: margins within the check's tolerance of 1 (at finite alpha the
        // support vectors of w_mu have margins 1 + O(distance) along the flow)
        let act = from_rational(prec, &ctx.spec.tolerance);
        let zero = Float::with_val(prec, Float::i_exp(1, -(prec as i32) / 2));
        let res = kkt_residuals(
            ctx.z,
            w_hat,
            &Problem::Qmu {
                depth: ctx.case.depth,
                mu: self.mu.clone(),
            },
            None,
            &act,
            &zero,
            prec,
        );
        Measured {
            metric,
            kkt: Some(res.stationarity),
            theorem2: None,
            limit: None,
        }
    }

    fn verdict(&self, e: &Evidence) -> (bool, String) {
        let (alphas, tol) = (e.alphas, &e.tol);
        if let Some(why) = falling::failure(e) {
            return (false, why);
        }
        if let (Some(kt), Some(last)) = (&self.kkt_tolerance, alphas.last()) {
            if let Some(k) = &last.result.kkt_stationarity {
                let kt = from_rational(tol.prec(), kt);
                if *k > kt {
                    return (
                        false,
                        format!(
                            "the Q_mu stationarity residual at alpha = {} is {}, above the tolerance {}",
                            last.result.alpha,
                            fmt_sig(k, 3),
                            fmt_sig(&kt, 3)
                        ),
                    );
                }
            }
        }
        (true, falling::success(e))
    }
}
