//! What a check's jobs produce: the metric at one alpha ([`Metric`]) and the outcome of one
//! (check, alpha) job ([`AlphaResult`], with the Theorem 2 excess and the
//! regression-limit run when the kind has them). Serialized exactly: sweeps keep one per
//! job and merges recompute the verdicts from them.

use crate::case::spec::CheckSpec;
use crate::case::Case;
use crate::flow::StopRule;
use crate::num::fmt_sig;
use rug::{Float, Rational};
use serde::{Deserialize, Serialize};

/// What a check measures at one alpha, with how it is shown.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Metric {
    /// what it measures: "distance to w_l2", "distance to w_mu", ...
    pub name: String,
    #[serde(with = "crate::num::serial::float")]
    pub value: Float,
    /// significant digits worth showing (no more than the run verified)
    pub shown: usize,
    /// shown instead of the value when the number alone says too little
    /// (an infinite rho_0: no point was watched)
    pub text: Option<String>,
}

impl Metric {
    pub(super) fn new(name: impl Into<String>, value: Float, shown: usize) -> Metric {
        Metric {
            name: name.into(),
            value,
            shown,
            text: None,
        }
    }

    /// The metric as reports show it.
    pub fn display(&self) -> String {
        self.text
            .clone()
            .unwrap_or_else(|| fmt_sig(&self.value, self.shown))
    }
}

/// The outcome at one alpha. Serialized exactly (job results of sweeps, partial
/// reports): a merged report recomputes the verdicts from these very numbers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AlphaResult {
    #[serde(with = "crate::num::serial::rational")]
    pub alpha: Rational,
    /// the stopping gt(alpha), at the case's precision
    #[serde(with = "crate::num::serial::float")]
    pub gt: Float,
    /// None when the run failed or the reference is not available
    pub metric: Option<Metric>,
    /// transition checks: stationarity residual of w_hat for Q_mu
    #[serde(with = "crate::num::serial::opt_float")]
    pub kkt_stationarity: Option<Float>,
    /// verified digits of w_hat (None without verification)
    pub digits: Option<u32>,
    /// invariant drift relative to gt (None when the run failed)
    #[serde(with = "crate::num::serial::opt_float")]
    pub drift_rel: Option<Float>,
    /// set when the integration failed, or "not run" when the job was not run (a
    /// sweep stopped by --max-time, a merge of an incomplete set with --allow-partial)
    pub error: Option<String>,
    /// the job was not run
    #[serde(default)]
    pub not_run: bool,
    /// timing field (0 when left out of a partial report)
    #[serde(default)]
    pub wall_seconds: f64,
    /// regression checks with `eps`: the excess Theorem 2 bounds, with its error bound
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theorem2: Option<Excess>,
    /// regression-limit checks: the flow's run to its limit and what vouches for it
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<LimitDetail>,
}

/// How a regression-limit check reached the flow's limit at one alpha, and the digits
/// that vouch for its metric.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LimitDetail {
    /// the digits of the limit asked of the tail bound (from the check's tolerance)
    pub asked_digits: u32,
    /// the digits the tail bound certifies at the end state
    pub tail_digits: u32,
    /// digits of w on which the verification run agrees (None: not verified)
    pub flow_digits: Option<u32>,
    /// digits of w_alpha on which the reference's two solves agree
    pub reference_digits: u32,
    /// a bound on the metric's error from the fewest of these digits
    #[serde(with = "crate::num::serial::float")]
    pub err: Float,
    /// the time t where the stop rule held (3 significant digits: where the tail bound
    /// first held, a property of the steps taken)
    pub t: String,
    /// the work of the main run and of the verification run
    pub main: crate::ode::radau::Stats,
    pub verification: Option<crate::ode::radau::Stats>,
}

/// The excess a Theorem 2 statement bounds (regression-rich: ||w||_1/||w_l1||_1 - 1;
/// regression-kernel: ||w||_2^2/||w_l2||_2^2 - 1) and a bound on its error from the
/// verified digits.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Excess {
    #[serde(with = "crate::num::serial::float")]
    pub value: Float,
    #[serde(with = "crate::num::serial::float")]
    pub err: Float,
}

impl AlphaResult {
    /// The result of a job that was not run.
    pub fn not_run(case: &Case, spec: &CheckSpec, alpha: &Rational) -> AlphaResult {
        let prec = case.numerics.precision;
        let rule = StopRule::Expr(spec.stop.clone(), spec.mu.clone());
        AlphaResult {
            alpha: alpha.clone(),
            gt: rule.gt(alpha, case.depth, prec),
            metric: None,
            kkt_stationarity: None,
            digits: None,
            drift_rel: None,
            error: Some("not run".to_string()),
            not_run: true,
            wall_seconds: 0.0,
            theorem2: None,
            limit: None,
        }
    }
}
