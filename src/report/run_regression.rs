//! The report of `ibcert run` on a regression case (schema `ibcert.run-regression/1`):
//! the square-loss flow's state where its stop rule held, every number to the digits
//! that vouch for it.
//!
//! * w: to the digits on which the main and the verification run agree (normwise);
//!   without verification to [`UNVERIFIED_DIGITS`], marked unverified.
//! * the residual ||X^T w - y||_2: w's error (||w||_inf 10^(1-k), one digit of margin, k
//!   the verified digits) moves it by at most sqrt(N) max_n ||x_n||_1 times that; it is
//!   shown to its digits above that bound, or as `<bound`.
//! * t: exact for `--time`; for `--residual` to the digits on which the two runs' t
//!   agree; for the limit it is where the tail bound first held (a property of the steps
//!   taken, not of the flow), shown to 3 digits and said so.
//! * the tail bound's digits: how close w is to the flow's limit (relative, max norm).

use super::run::{CaseInfo, NumericsInfo, RunWork, Work};
use super::{fmt_scalar, fmt_vector, UNVERIFIED_DIGITS};
use crate::flow::regression::{RegRun, RegStop, RegVerified};
use crate::num::{fmt_bounded, fmt_sig, from_rational, max_abs, scalar_digits};
use rug::{Float, Rational};
use serde::Serialize;

pub const RUN_REGRESSION_SCHEMA: &str = "ibcert.run-regression/1";

/// Where the run stopped, in the flow's time.
#[derive(Clone, Debug, Serialize)]
pub struct TimeView {
    /// t as shown
    pub t: String,
    /// "exact" (--time), "verified" (its digits agree with the verification run's),
    /// "unverified", or "stop step" (where the limit rule held: a property of the steps
    /// taken)
    pub status: &'static str,
    /// digits of t vouched for (verified t only)
    pub digits: Option<u32>,
    /// the integrator's clock (the driver's: "t")
    pub clock: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct RegRunReport {
    pub schema: &'static str,
    pub case: CaseInfo,
    pub task: &'static str,
    pub alpha: String,
    pub stop: String,
    pub time: TimeView,
    /// w to its verified digits (normwise; small components carry fewer)
    pub w: Vec<String>,
    /// digits of w on which the verification run agrees (None: not verified)
    pub verified_digits: Option<u32>,
    /// ||X^T w - y||_2, to the digits w's error leaves, or `<bound`
    pub residual: String,
    /// digits of the flow's limit that the tail bound certifies for w (relative, max
    /// norm; None for dependent points)
    pub tail_digits: Option<u32>,
    pub numerics: NumericsInfo,
    /// the working precision (the numerics' plus the bits the mirror map consumes)
    pub work_precision: u32,
    pub verification: Option<NumericsInfo>,
    pub work: Work,
}

fn work_of(r: &RegRun) -> RunWork {
    RunWork {
        stats: r.stats.clone(),
        wall_seconds: Some(r.wall.as_secs_f64()),
    }
}

impl RegRunReport {
    /// `points`: the case's rows (for the residual's error bound).
    pub fn build(
        case: CaseInfo,
        points: &[Vec<Rational>],
        alpha: &Rational,
        stop: &RegStop,
        v: &RegVerified,
    ) -> RegRunReport {
        let m = &v.main;
        let p = m.work_prec;
        let shown = v.digits.unwrap_or(UNVERIFIED_DIGITS);
        // the residual's error bound from w's: sqrt(N) max_n ||x_n||_1 ||w||_inf 10^(1-k)
        let residual = match v.digits {
            Some(k) => {
                let c = points
                    .iter()
                    .map(|x| x.iter().fold(Rational::new(), |s, q| s + q.clone().abs()))
                    .max()
                    .unwrap_or_default();
                let err = max_abs(p, &m.w)
                    * from_rational(p, &c)
                    * Float::with_val(p, points.len() as u32).sqrt()
                    * from_rational(p, &crate::num::ten_pow_neg(k))
                    * 10u32;
                fmt_bounded(&m.residual, &err, v.carried)
            }
            None => fmt_scalar(&m.residual, UNVERIFIED_DIGITS),
        };
        let t = m.t.clone().unwrap_or_else(|| Float::new(p));
        let time = match stop {
            RegStop::Time(q) => TimeView {
                t: q.to_string(),
                status: "exact",
                digits: None,
                clock: m.clock.name(),
            },
            RegStop::Residual(_) | RegStop::Near { .. } => {
                match v.check.as_ref().and_then(|c| c.t.as_ref()) {
                    Some(tc) => {
                        let d = scalar_digits(&t, &Float::with_val(p, tc), v.carried);
                        TimeView {
                            t: fmt_scalar(&t, d),
                            status: "verified",
                            digits: Some(d),
                            clock: m.clock.name(),
                        }
                    }
                    None => TimeView {
                        t: fmt_scalar(&t, UNVERIFIED_DIGITS),
                        status: "unverified",
                        digits: None,
                        clock: m.clock.name(),
                    },
                }
            }
            RegStop::Limit(_) => TimeView {
                t: fmt_sig(&t, 3),
                status: "stop step",
                digits: None,
                clock: m.clock.name(),
            },
        };
        RegRunReport {
            schema: RUN_REGRESSION_SCHEMA,
            case,
            task: "regression",
            alpha: alpha.to_string(),
            stop: stop.describe(),
            time,
            w: fmt_vector(&m.w, shown),
            verified_digits: v.digits,
            residual,
            tail_digits: v.tail_digits(),
            numerics: NumericsInfo::of(&m.numerics),
            work_precision: m.work_prec,
            verification: v.check.as_ref().map(|c| NumericsInfo::of(&c.numerics)),
            work: Work {
                main: work_of(m),
                verification: v.check.as_ref().map(work_of),
                elapsed_seconds: Some(v.elapsed.as_secs_f64()),
            },
        }
    }

    /// Leave out the timing fields (`--no-timing`).
    pub fn drop_timing(&mut self) {
        self.work.drop_timing();
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report serializes")
    }

    pub fn to_text(&self) -> String {
        let mut o = self.case.text_lines(", regression (square loss)");
        o += &format!("alpha           {}\n", self.alpha);
        o += &format!("stop            {}\n", self.stop);
        let t = &self.time;
        let how = match t.status {
            "exact" => "exact".to_string(),
            "verified" => format!("[{} digits]", t.digits.unwrap_or(0)),
            "unverified" => "[unverified]".to_string(),
            _ => "(the step at which the tail bound first held: depends on the steps taken)"
                .to_string(),
        };
        o += &format!("t               {}  {how}; clock {}\n", t.t, t.clock);
        let tag = match self.verified_digits {
            Some(d) => format!("[{d} digits]"),
            None => "[unverified]".to_string(),
        };
        o += &format!("w               [{}]  {tag}\n", self.w.join(", "));
        o += &format!("residual        ||X^T w - y||_2 = {}\n", self.residual);
        match self.tail_digits {
            Some(d) => {
                o += &format!(
                    "tail bound      w is within 10^-{d} of the flow's limit (relative, max norm): {d} digits of the limit\n"
                )
            }
            None => o += "tail bound      none (dependent points)\n",
        }
        let n = &self.numerics;
        o += &format!(
            "numerics        {} bits (working {}), tolerance {}, Radau IIA with {} stages (order {})\n",
            n.precision,
            self.work_precision,
            n.tolerance,
            n.stages,
            2 * n.stages - 1
        );
        match (&self.verification, self.verified_digits) {
            (Some(v), Some(d)) => {
                o += &format!(
                    "verification    {d} correct digits of w, from a second run at {} bits, tolerance {}, {} stages\n",
                    v.precision, v.tolerance, v.stages
                )
            }
            _ => {
                o += &format!(
                    "verification    skipped (--no-verify): values shown to {UNVERIFIED_DIGITS} digits, not vouched for\n"
                )
            }
        }
        o += &self.work.text();
        o
    }
}
