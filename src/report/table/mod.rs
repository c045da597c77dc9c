//! `ibcert table` reports (schema `ibcert.table/1`): Markdown for people (markdown.rs),
//! CSV (one line per row, csv.rs) and JSON (json.rs) for machines; one [`Exporter`] per
//! format. Every located gt and distance is printed with the
//! digits the verification computation confirms; fits are statistics of those values
//! and are printed to 6 significant digits.

mod csv;
mod json;
mod markdown;

use super::run::{CaseInfo, NumericsInfo};
use super::Exporter;
use super::{fmt_scalar, UNVERIFIED_DIGITS};
use crate::flow::{Loss, Numerics, Scale};
use crate::num::exact::rational_to_decimal_string;
use crate::num::fmt_sig;
use crate::ode::radau::Stats;
use crate::table::{Certified, Fit, FitFrom, Row, Table};
use rug::{Float, Rational};
use serde::Serialize;

pub const TABLE_SCHEMA: &str = "ibcert.table/1";

/// Output format of `table`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    Markdown,
    Csv,
    Json,
}

/// A located gt: its value, the loss 10^-k, and the verified digits.
#[derive(Clone, Debug, Serialize)]
pub struct GtValue {
    pub gt: String,
    /// the loss is 10^(-loss_exp10)
    pub loss_exp10: String,
    /// digits confirmed by the verification computation (null: not verified)
    pub digits: Option<u32>,
    #[serde(skip)]
    raw: (Float, Float),
}

impl GtValue {
    /// gt and the loss exponent with at most `max` significant digits.
    fn short(&self, max: u32) -> (String, String) {
        let d = self
            .digits
            .unwrap_or(UNVERIFIED_DIGITS)
            .clamp(1, max.max(1));
        (fmt_scalar(&self.raw.0, d), fmt_scalar(&self.raw.1, d))
    }
}

/// A verified scalar.
#[derive(Clone, Debug, Serialize)]
pub struct Value {
    pub value: String,
    pub digits: Option<u32>,
    #[serde(skip)]
    raw: Float,
}

impl Value {
    fn short(&self, max: u32) -> String {
        let d = self
            .digits
            .unwrap_or(UNVERIFIED_DIGITS)
            .clamp(1, max.max(1));
        fmt_scalar(&self.raw, d)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Closest {
    pub at: GtValue,
    /// ||w/||w||_2 - w_l2/||w_l2||_2||_2 at gt*
    pub distance: Value,
}

#[derive(Clone, Debug, Serialize)]
pub struct Kernel {
    /// the direction came within delta of w_l2
    pub entered: bool,
    /// the first gt after that with distance delta (null: not within the range)
    pub exit: Option<GtValue>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MuPoint {
    pub mu: String,
    /// gt = alpha^D / mu (null: beyond the integrated range)
    pub at: Option<GtValue>,
    /// ||w_hat - w_mu||_2 / ||w_mu||_2, w_hat = w / min margin
    pub distance: Option<Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RowReport {
    /// the loss the flow is trained with (only when a table involves a loss other
    /// than exp: exp-only tables read as before there was a choice)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss: Option<String>,
    pub depth: u32,
    /// exact
    pub alpha_d: String,
    /// exact when given as alpha, else (alpha^D)^(1/D) to 12 digits
    pub alpha: String,
    /// the gt from which on excess l1 <= delta up to gt_end (null: not so by gt_end)
    pub required: Option<GtValue>,
    /// the smallest gt with excess l1 <= delta
    pub first: Option<GtValue>,
    /// true: stays <= delta from `first` on; false: rises above again at `recross`
    pub stays_below: Option<bool>,
    pub recross: Option<GtValue>,
    /// the closest approach of the direction to w_l2 (null: the distance only grows)
    pub closest: Option<Closest>,
    pub kernel: Kernel,
    pub mu_points: Vec<MuPoint>,
    /// the end of the integrated range
    pub gt_end: String,
    /// the cap on the range (10^6 max(1, alpha^D) unless --gt-max)
    pub gt_max: String,
    pub stats: Stats,
    /// accepted steps spent locating events on exact states
    pub locate_steps: u64,
    /// disagreements between the main and the verification computation
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FitReport {
    /// the loss of the fitted rows (as `RowReport::loss`)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss: Option<String>,
    pub depth: u32,
    /// how the fitted points were chosen: "auto" (the largest alpha^D whose local
    /// slopes agree within `slope_spread`), "all", or "alpha^D >= x" (--fit-from x)
    pub rule: String,
    /// the spread allowed by "auto" (null for the other rules)
    pub slope_spread: Option<String>,
    /// the fitted range of alpha^D (exact), smallest and largest
    pub alpha_d_from: String,
    pub alpha_d_to: String,
    /// how many points there are (with a located gt), as before the fit range existed
    pub points: usize,
    /// how many of them the line is fitted over
    pub fitted_points: usize,
    /// every point's alpha^D, ascending (exact)
    pub alpha_d: Vec<String>,
    pub a: String,
    pub b: String,
    /// of the fitted points, ascending alpha^D
    pub residuals: Vec<String>,
    /// between consecutive points of `alpha_d` (all of them, fitted or not)
    pub local_slopes: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Fits {
    /// ln gt = a ln(alpha^D) + b over the required accuracies, per depth
    pub required: Vec<FitReport>,
    /// ln gt* = a ln(alpha^D) + b over the closest approaches, per depth (gt* ~ alpha^(aD))
    pub closest: Vec<FitReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    /// the losses of the table, in row order (only when one is not exp)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub losses: Option<Vec<String>>,
    pub delta: String,
    pub after: String,
    pub mus: Vec<String>,
    pub numerics: NumericsInfo,
    pub verification: Option<NumericsInfo>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TableReport {
    pub schema: &'static str,
    pub case: CaseInfo,
    pub settings: Settings,
    pub rows: Vec<RowReport>,
    pub fits: Fits,
    /// wall time of the whole table (a timing field; left out with --no-timing)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wall_seconds: Option<f64>,
    /// ids of the row jobs with no result (a sweep stopped by --max-time, a merge with
    /// --allow-partial): those rows are not in the table
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_rows: Vec<String>,
}

fn digits_of(c: &Certified) -> u32 {
    c.digits.unwrap_or(UNVERIFIED_DIGITS).max(1)
}

fn gt_value(c: &Certified) -> GtValue {
    let p = c.value.prec();
    let k = Float::with_val(p, &c.value / Float::with_val(p, 10).ln());
    GtValue {
        gt: fmt_scalar(&c.value, digits_of(c)),
        loss_exp10: fmt_scalar(&k, digits_of(c)),
        digits: c.digits,
        raw: (c.value.clone(), k),
    }
}

fn value(c: &Certified) -> Value {
    Value {
        value: fmt_scalar(&c.value, digits_of(c)),
        digits: c.digits,
        raw: c.value.clone(),
    }
}

fn fit_report(loss: Option<String>, f: &Fit) -> FitReport {
    let (lo, hi) = f.range();
    FitReport {
        loss,
        depth: f.depth,
        rule: f.rule.describe(),
        slope_spread: (f.rule == FitFrom::Auto).then(|| exact(&crate::table::slope_spread())),
        alpha_d_from: exact(lo),
        alpha_d_to: exact(hi),
        points: f.alpha_d.len(),
        fitted_points: f.points,
        alpha_d: f.alpha_d.iter().map(exact).collect(),
        a: fmt_sig(&f.a, 6),
        b: fmt_sig(&f.b, 6),
        residuals: f.residuals.iter().map(|r| fmt_sig(r, 3)).collect(),
        local_slopes: f.local_slopes.iter().map(|r| fmt_sig(r, 6)).collect(),
    }
}

fn exact(q: &Rational) -> String {
    if q.denom() == &1 {
        q.numer().to_string()
    } else {
        // a terminating decimal when there is one, else the fraction
        let s = rational_to_decimal_string(q, 40);
        if s.contains('…') || s.contains("...") || s.len() > 30 {
            q.to_string()
        } else {
            s
        }
    }
}

fn row_report(r: &Row, mus: &[Rational], named: bool) -> RowReport {
    let alpha = match &r.scale {
        Scale::Alpha(a) => exact(a),
        Scale::AlphaPowD(v) => {
            let x = crate::num::from_rational(128, v).root(r.depth);
            fmt_sig(&x, 12)
        }
    };
    RowReport {
        loss: named.then(|| r.loss.name().to_string()),
        depth: r.depth,
        alpha_d: exact(&r.alpha_d),
        alpha,
        required: r.required.as_ref().map(gt_value),
        first: r.first.as_ref().map(gt_value),
        stays_below: r.first.as_ref().map(|_| r.recross.is_none()),
        recross: r.recross.as_ref().map(gt_value),
        closest: r
            .closest_gt
            .as_ref()
            .zip(r.closest_distance.as_ref())
            .map(|(g, d)| Closest {
                at: gt_value(g),
                distance: value(d),
            }),
        kernel: Kernel {
            entered: r.entered,
            exit: r.kernel_exit.as_ref().map(gt_value),
        },
        mu_points: r
            .mu_points
            .iter()
            .zip(mus)
            .map(|(m, mu)| MuPoint {
                mu: exact(mu),
                at: m.as_ref().map(|(g, _)| gt_value(g)),
                distance: m.as_ref().map(|(_, d)| value(d)),
            })
            .collect(),
        gt_end: fmt_sig(&r.gt_end, 6),
        gt_max: exact(&r.gt_max),
        stats: r.stats.clone(),
        locate_steps: r.locate_steps,
        warnings: r.mismatch.clone(),
    }
}

impl TableReport {
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        case: CaseInfo,
        table: &Table,
        losses: &[Loss],
        delta: &Rational,
        after: &Rational,
        mus: &[Rational],
        numerics: &Numerics,
        verification: Option<&Numerics>,
        wall_seconds: Option<f64>,
    ) -> TableReport {
        // the losses are named in the report when one is not exp
        let named = losses.iter().any(|l| *l != Loss::Exp);
        let name = |l: &Loss| named.then(|| l.name().to_string());
        TableReport {
            schema: TABLE_SCHEMA,
            case,
            settings: Settings {
                losses: named.then(|| losses.iter().map(|l| l.name().to_string()).collect()),
                delta: exact(delta),
                after: exact(after),
                mus: mus.iter().map(exact).collect(),
                numerics: NumericsInfo::of(numerics),
                verification: verification.map(NumericsInfo::of),
            },
            rows: table
                .rows
                .iter()
                .map(|r| row_report(r, mus, named))
                .collect(),
            fits: Fits {
                required: table
                    .required_fits
                    .iter()
                    .map(|(l, f)| fit_report(name(l), f))
                    .collect(),
                closest: table
                    .closest_fits
                    .iter()
                    .map(|(l, f)| fit_report(name(l), f))
                    .collect(),
            },
            wall_seconds,
            missing_rows: Vec::new(),
        }
    }

    /// The exporter of `format`; Markdown shortens numbers to at most `max_digits`
    /// significant digits (never more than verified).
    pub fn exporter(format: TableFormat, max_digits: u32) -> Box<dyn Exporter<TableReport>> {
        match format {
            TableFormat::Markdown => Box::new(markdown::Markdown { max_digits }),
            TableFormat::Csv => Box::new(csv::Csv),
            TableFormat::Json => Box::new(json::Json),
        }
    }
}
