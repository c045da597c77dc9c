//! The report of `ibcert compare-losses`: text for people and JSON (schema
//! `ibcert.compare/1`) for machines, one [`Exporter`] each. Every number is printed to
//! the digits verification vouches for, with the digit count beside it (unverified:
//! [`UNVERIFIED_DIGITS`] digits, marked so); gt are the exact listed values.

use super::run::{CaseInfo, NumericsInfo};
use super::{fmt_scalar, Exporter, UNVERIFIED_DIGITS};
use crate::compare::{Comparison, LossRun, Measured};
use rug::Rational;
use serde::Serialize;

pub const COMPARE_SCHEMA: &str = "ibcert.compare/1";

/// Output format of `compare-losses`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    Text,
    Json,
}

/// A number as reports show it: the value to its digits, and the digits (None:
/// unverified).
#[derive(Clone, Debug, Serialize)]
pub struct Number {
    pub value: String,
    pub digits: Option<u32>,
}

impl Number {
    fn of(m: &Measured) -> Number {
        Number {
            value: fmt_scalar(&m.value, m.digits.unwrap_or(UNVERIFIED_DIGITS)),
            digits: m.digits,
        }
    }

    fn text(&self) -> String {
        match self.digits {
            Some(d) => format!("{} ({d} digits)", self.value),
            None => format!("{} (unverified)", self.value),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RunInfo {
    pub loss: &'static str,
    pub numerics: NumericsInfo,
    pub verification: Option<NumericsInfo>,
    pub steps: u64,
    /// a timing field: left out with --no-timing
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wall_seconds: Option<f64>,
}

impl RunInfo {
    fn of(r: &LossRun) -> RunInfo {
        let v = &r.verified;
        RunInfo {
            loss: r.loss.name(),
            numerics: NumericsInfo::of(&v.main.numerics),
            verification: v.check.as_ref().map(|c| NumericsInfo::of(&c.numerics)),
            steps: v.main.stats.accepted + v.check.as_ref().map_or(0, |c| c.stats.accepted),
            wall_seconds: Some(r.wall.as_secs_f64()),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PointView {
    pub gt: String,
    /// ||w_hat_exp - w_hat_log||_2 / ||w_hat_exp||_2
    pub relative_distance: Number,
    /// ||u_exp - u_log||_2, u = w / ||w||_2
    pub direction_distance: Number,
    /// verified digits of w_hat of the exp and logistic runs at this gt
    pub w_hat_digits: Option<[u32; 2]>,
    /// relative_distance <= 10^-K (null: too close to 10^-K for its digits)
    pub agrees: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AgreeView {
    /// the smallest listed gt from which on (it and every larger listed gt) the
    /// relative distance is <= 10^-K; null when none
    pub from_gt: Option<String>,
    /// "observed at the listed gt"
    pub basis: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct LocalView {
    pub from_gt: String,
    pub to_gt: String,
    pub slope: Number,
}

#[derive(Clone, Debug, Serialize)]
pub struct RateView {
    /// least-squares slope of ln d against ln gt over the listed points
    pub slope: Number,
    pub local_slopes: Vec<LocalView>,
    /// where the fitted line reaches 10^-K: an extrapolation (null when it does not
    /// decrease)
    pub extrapolated_gt: Option<Number>,
    pub extrapolation: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct CompareReport {
    pub schema: &'static str,
    pub case: CaseInfo,
    pub alpha: String,
    /// K: "agree to K digits" means relative_distance <= 10^-K
    pub digits: u32,
    pub runs: Vec<RunInfo>,
    pub points: Vec<PointView>,
    pub agree: AgreeView,
    /// null with fewer than two points
    pub rate: Option<RateView>,
}

impl CompareReport {
    /// The report; without `timing` the wall times are left out (identical bytes for
    /// the same inputs).
    pub fn build(case: CaseInfo, alpha: &Rational, c: &Comparison, timing: bool) -> CompareReport {
        let run = |r: &LossRun| {
            let mut v = RunInfo::of(r);
            if !timing {
                v.wall_seconds = None;
            }
            v
        };
        CompareReport {
            schema: COMPARE_SCHEMA,
            case,
            alpha: alpha.to_string(),
            digits: c.digits,
            runs: vec![run(&c.exp), run(&c.logistic)],
            points: c
                .points
                .iter()
                .map(|p| PointView {
                    gt: p.gt.to_string(),
                    relative_distance: Number::of(&p.rel_distance),
                    direction_distance: Number::of(&p.direction_distance),
                    w_hat_digits: p.input_digits.map(|(a, b)| [a, b]),
                    agrees: p.agrees,
                })
                .collect(),
            agree: AgreeView {
                from_gt: c.agree_from.as_ref().map(|q| q.to_string()),
                basis: "observed at the listed gt",
            },
            rate: c.rate.as_ref().map(|r| RateView {
                slope: Number::of(&r.slope),
                local_slopes: r
                    .local
                    .iter()
                    .map(|l| LocalView {
                        from_gt: l.from.to_string(),
                        to_gt: l.to.to_string(),
                        slope: Number::of(&l.slope),
                    })
                    .collect(),
                extrapolated_gt: r.extrapolated_gt.as_ref().map(Number::of),
                extrapolation: "extrapolated from the fitted line, not observed",
            }),
        }
    }
}

/// JSON, schema `ibcert.compare/1`.
pub struct Json;

impl Exporter<CompareReport> for Json {
    fn export(&self, report: &CompareReport) -> String {
        serde_json::to_string_pretty(report).expect("compare report serializes") + "\n"
    }
}

/// Text for people.
pub struct Text;

impl Exporter<CompareReport> for Text {
    fn export(&self, r: &CompareReport) -> String {
        let k = r.digits;
        let mut o = format!(
            "compare-losses: {} (N = {}, d = {}, D = {}), alpha = {}\n",
            r.case.name, r.case.points, r.case.dim, r.case.depth, r.alpha
        );
        for run in &r.runs {
            o += &format!(
                "  {:<8} precision {} bits, tol {}, {} stages{}; {} steps{}\n",
                run.loss,
                run.numerics.precision,
                run.numerics.tolerance,
                run.numerics.stages,
                run.verification
                    .as_ref()
                    .map_or(", unverified".to_string(), |v| format!(
                        "; verified at {} bits, tol {}",
                        v.precision, v.tolerance
                    )),
                run.steps,
                run.wall_seconds
                    .map_or(String::new(), |t| format!(", {t:.2} s"))
            );
        }
        o += "\nd = ||w_hat_exp - w_hat_log||_2 / ||w_hat_exp||_2, w_hat = w / gamma; \
              direction distance ||u_exp - u_log||_2, u = w / ||w||_2\n\n";
        let rows: Vec<[String; 4]> = r
            .points
            .iter()
            .map(|p| {
                [
                    p.gt.clone(),
                    p.relative_distance.text(),
                    p.direction_distance.text(),
                    match p.agrees {
                        Some(true) => "yes".into(),
                        Some(false) => "no".into(),
                        None => "undecided".into(),
                    },
                ]
            })
            .collect();
        let head = [
            "gt".to_string(),
            "d".to_string(),
            "direction distance".to_string(),
            format!("d <= 1e-{k}"),
        ];
        let width = |i: usize| {
            rows.iter()
                .map(|row| row[i].chars().count())
                .chain([head[i].chars().count()])
                .max()
                .unwrap_or(0)
        };
        let w: Vec<usize> = (0..4).map(width).collect();
        let line = |c: &[String; 4]| {
            format!(
                "  {:>w0$}  {:<w1$}  {:<w2$}  {}\n",
                c[0],
                c[1],
                c[2],
                c[3],
                w0 = w[0],
                w1 = w[1],
                w2 = w[2]
            )
        };
        o += &line(&head);
        for row in &rows {
            o += &line(row);
        }
        o += "\n";
        o += &match &r.agree.from_gt {
            Some(g) => format!(
                "agree to {k} digits (d <= 1e-{k}) from gt = {g} on ({})\n",
                r.agree.basis
            ),
            None => format!("no listed gt from which on they agree to {k} digits (d <= 1e-{k})\n"),
        };
        match &r.rate {
            None => o += "rate: needs at least two listed gt (and nonzero distances)\n",
            Some(rate) => {
                o += &format!(
                    "rate: d ~ gt^s, least-squares s = {} over the listed gt\n",
                    rate.slope.text()
                );
                for l in &rate.local_slopes {
                    o += &format!(
                        "  local slope {} .. {}: {}\n",
                        l.from_gt,
                        l.to_gt,
                        l.slope.text()
                    );
                }
                o += &match &rate.extrapolated_gt {
                    Some(g) => format!(
                        "  the fitted line reaches 1e-{k} at gt = {} ({})\n",
                        g.text(),
                        rate.extrapolation
                    ),
                    None => "  the fitted line does not decrease: no extrapolation\n".into(),
                };
            }
        }
        o
    }
}
