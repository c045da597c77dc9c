//! The path report of `ibcert trace`: samples of the dense output, as CSV or JSON.
//! Each sample's values are printed to the digits on which the main and the
//! verification runs agree at that sample (the smallest over w_hat, the direction,
//! gamma and ln t).

use super::run::{CaseInfo, NumericsInfo};
use super::{fmt_scalar, fmt_vector, scalar_digits, vector_digits, UNVERIFIED_DIGITS};
use crate::flow::{StopRule, Summary, Verified};
use crate::num::{decimal_digits_of_bits, fmt_sig};
use rug::Rational;
use serde::Serialize;

pub const TRACE_SCHEMA: &str = "ibcert.trace/1";

#[derive(Clone, Debug, Serialize)]
pub struct Sample {
    pub gt: String,
    pub loss_exp10: String,
    /// verified digits of this row (None: unverified, 6 digits shown)
    pub digits: Option<u32>,
    pub gamma: String,
    pub ln_t: String,
    pub w_hat: Vec<String>,
    pub direction: Vec<String>,
    pub w_hat_l1: String,
    pub w_hat_l2: String,
    pub nu: Vec<String>,
    pub invariant_drift_rel: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TraceReport {
    pub schema: &'static str,
    pub case: CaseInfo,
    pub alpha: String,
    pub stop: String,
    pub numerics: NumericsInfo,
    pub verification: Option<NumericsInfo>,
    pub samples: Vec<Sample>,
}

impl TraceReport {
    pub fn build(
        case: CaseInfo,
        alpha: &Rational,
        rule: &StopRule,
        verified: &Verified,
    ) -> TraceReport {
        let main = &verified.main;
        let p = main.numerics.prec;
        let flow = verified.flow();
        let vflow = verified.check_flow();
        let cap = verified.carried.min(decimal_digits_of_bits(p));
        let samples = main
            .samples
            .iter()
            .enumerate()
            .map(|(i, (gt, y))| {
                let s = Summary::at(flow, gt, y);
                let digits = match (&verified.check, &vflow) {
                    (Some(check), Some(vf)) => check.samples.get(i).map(|(cg, cy)| {
                        let c = Summary::at(vf, cg, cy);
                        vector_digits(&s.w_hat, &c.w_hat, cap)
                            .min(vector_digits(&s.direction, &c.direction, cap))
                            .min(scalar_digits(&s.gamma, &c.gamma, cap))
                            .min(scalar_digits(&s.ln_t, &c.ln_t, cap))
                    }),
                    _ => None,
                };
                let k = digits.unwrap_or(UNVERIFIED_DIGITS);
                Sample {
                    gt: fmt_sig(gt, cap.min(25) as usize),
                    loss_exp10: fmt_sig(&s.loss_exp10, cap.min(25) as usize),
                    digits,
                    gamma: fmt_scalar(&s.gamma, k),
                    ln_t: fmt_scalar(&s.ln_t, k),
                    w_hat: fmt_vector(&s.w_hat, k),
                    direction: fmt_vector(&s.direction, k),
                    w_hat_l1: fmt_scalar(&s.w_hat_l1, k),
                    w_hat_l2: fmt_scalar(&s.w_hat_l2, k),
                    nu: fmt_vector(&s.nu, k),
                    invariant_drift_rel: fmt_sig(&s.drift_rel, 3),
                }
            })
            .collect();
        TraceReport {
            schema: TRACE_SCHEMA,
            alpha: alpha.to_string(),
            stop: rule.describe(),
            numerics: NumericsInfo::of(&main.numerics),
            verification: verified
                .check
                .as_ref()
                .map(|c| NumericsInfo::of(&c.numerics)),
            samples,
            case,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("trace serializes")
    }

    pub fn to_csv(&self) -> String {
        let d = self.case.dim;
        let n = self.case.points;
        let mut head = vec![
            "gt".to_string(),
            "loss_exp10".into(),
            "digits".into(),
            "gamma".into(),
            "ln_t".into(),
            "w_hat_l1".into(),
            "w_hat_l2".into(),
            "invariant_drift_rel".into(),
        ];
        head.extend((1..=d).map(|i| format!("w_hat_{i}")));
        head.extend((1..=d).map(|i| format!("direction_{i}")));
        head.extend((1..=n).map(|i| format!("nu_{i}")));
        let mut o = head.join(",") + "\n";
        for s in &self.samples {
            let mut row = vec![
                s.gt.clone(),
                s.loss_exp10.clone(),
                s.digits.map_or("unverified".to_string(), |d| d.to_string()),
                s.gamma.clone(),
                s.ln_t.clone(),
                s.w_hat_l1.clone(),
                s.w_hat_l2.clone(),
                s.invariant_drift_rel.clone(),
            ];
            row.extend(s.w_hat.iter().cloned());
            row.extend(s.direction.iter().cloned());
            row.extend(s.nu.iter().cloned());
            o += &row.join(",");
            o.push('\n');
        }
        o
    }
}
