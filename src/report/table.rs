//! `ibcert table` reports (schema `ibcert.table/1`): Markdown for people, CSV (one line
//! per row) and JSON for machines. Every located gt and distance is printed with the
//! digits the verification computation confirms; fits are statistics of those values
//! and are printed to 6 significant digits.

use super::run::{CaseInfo, NumericsInfo};
use super::{fmt_scalar, UNVERIFIED_DIGITS};
use crate::flow::Numerics;
use crate::flow::Scale;
use crate::num::exact::rational_to_decimal_string;
use crate::num::fmt_sig;
use crate::ode::radau::Stats;
use crate::table::{Certified, Fit, Row, Table};
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
    pub depth: u32,
    pub points: usize,
    pub a: String,
    pub b: String,
    pub residuals: Vec<String>,
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

fn fit_report(f: &Fit) -> FitReport {
    FitReport {
        depth: f.depth,
        points: f.points,
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

fn row_report(r: &Row, mus: &[Rational]) -> RowReport {
    let alpha = match &r.scale {
        Scale::Alpha(a) => exact(a),
        Scale::AlphaPowD(v) => {
            let x = crate::num::from_rational(128, v).root(r.depth);
            fmt_sig(&x, 12)
        }
    };
    RowReport {
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
        delta: &Rational,
        after: &Rational,
        mus: &[Rational],
        numerics: &Numerics,
        verification: Option<&Numerics>,
        wall_seconds: Option<f64>,
    ) -> TableReport {
        TableReport {
            schema: TABLE_SCHEMA,
            case,
            settings: Settings {
                delta: exact(delta),
                after: exact(after),
                mus: mus.iter().map(exact).collect(),
                numerics: NumericsInfo::of(numerics),
                verification: verification.map(NumericsInfo::of),
            },
            rows: table.rows.iter().map(|r| row_report(r, mus)).collect(),
            fits: Fits {
                required: table.required_fits.iter().map(fit_report).collect(),
                closest: table.closest_fits.iter().map(fit_report).collect(),
            },
            wall_seconds,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report serializes") + "\n"
    }

    /// One line per row; μ points as columns mu_<k>_gt, mu_<k>_distance.
    pub fn to_csv(&self) -> String {
        let mut head = vec![
            "depth",
            "alpha_d",
            "alpha",
            "required_gt",
            "required_loss_exp10",
            "required_digits",
            "first_gt",
            "stays_below",
            "recross_gt",
            "closest_gt",
            "closest_loss_exp10",
            "closest_distance",
            "closest_digits",
            "kernel_entered",
            "kernel_exit_gt",
            "kernel_exit_loss_exp10",
            "kernel_exit_digits",
            "gt_end",
            "steps",
            "rejected",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        for k in 0..self.settings.mus.len() {
            head.push(format!("mu_{}_gt", k + 1));
            head.push(format!("mu_{}_distance", k + 1));
            head.push(format!("mu_{}_digits", k + 1));
        }
        let mut out = head.join(",") + "\n";
        let opt = |s: Option<&String>| s.cloned().unwrap_or_default();
        let dig = |d: Option<Option<u32>>| match d {
            Some(Some(d)) => d.to_string(),
            _ => String::new(),
        };
        for r in &self.rows {
            let mut f = vec![
                r.depth.to_string(),
                r.alpha_d.clone(),
                r.alpha.clone(),
                opt(r.required.as_ref().map(|g| &g.gt)),
                opt(r.required.as_ref().map(|g| &g.loss_exp10)),
                dig(r.required.as_ref().map(|g| g.digits)),
                opt(r.first.as_ref().map(|g| &g.gt)),
                r.stays_below.map(|b| b.to_string()).unwrap_or_default(),
                opt(r.recross.as_ref().map(|g| &g.gt)),
                opt(r.closest.as_ref().map(|c| &c.at.gt)),
                opt(r.closest.as_ref().map(|c| &c.at.loss_exp10)),
                opt(r.closest.as_ref().map(|c| &c.distance.value)),
                dig(r
                    .closest
                    .as_ref()
                    .map(|c| c.at.digits.min(c.distance.digits))),
                r.kernel.entered.to_string(),
                opt(r.kernel.exit.as_ref().map(|g| &g.gt)),
                opt(r.kernel.exit.as_ref().map(|g| &g.loss_exp10)),
                dig(r.kernel.exit.as_ref().map(|g| g.digits)),
                r.gt_end.clone(),
                r.stats.accepted.to_string(),
                r.stats.rejected.to_string(),
            ];
            for m in &r.mu_points {
                f.push(opt(m.at.as_ref().map(|g| &g.gt)));
                f.push(opt(m.distance.as_ref().map(|d| &d.value)));
                f.push(dig(m.distance.as_ref().map(|d| d.digits)));
            }
            out += &(f.join(",") + "\n");
        }
        out
    }

    /// Markdown tables; numbers shortened to at most `max_digits` significant digits
    /// (never more than verified; the CSV and JSON carry all verified digits).
    pub fn to_markdown(&self, max_digits: u32) -> String {
        let m = max_digits;
        let g = |v: &Option<GtValue>| match v {
            Some(v) => {
                let (a, k) = v.short(m);
                format!("{a} | 10^-{k} | {}", digits_cell(v.digits))
            }
            None => "— | — | —".to_string(),
        };
        let mut o = String::new();
        o += &format!(
            "# ibcert table: {}{}\n\n",
            self.case.name,
            self.case
                .path
                .as_ref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        );
        o += &format!(
            "delta = {}; {} points in dimension {}; precision {} bits, tolerance {}, {} stages; {}.\n\n",
            self.settings.delta,
            self.case.points,
            self.case.dim,
            self.settings.numerics.precision,
            self.settings.numerics.tolerance,
            self.settings.numerics.stages,
            match &self.settings.verification {
                Some(v) => format!(
                    "digits confirmed by a second computation at {} bits, tolerance {}",
                    v.precision, v.tolerance
                ),
                None => format!("NOT verified (values shown to {UNVERIFIED_DIGITS} digits)"),
            }
        );
        o += "## Required training accuracy: the gt from which on ||w_hat||_1 / ||w_l1||_1 - 1 <= delta\n\n";
        o += "(w_hat = w / min margin; up to the end of the integrated range. \"first below\" is the smallest gt with the\nexcess at delta when the path dips below it earlier and leaves again.)\n\n";
        o += "| D | alpha^D | alpha | gt | loss | digits | first below | integrated to |\n";
        o += "|---|---|---|---|---|---|---|---|\n";
        for r in &self.rows {
            let stays = match (&r.first, &r.recross) {
                (Some(f), Some(x)) => format!("{} (above again at {})", f.short(m).0, x.short(m).0),
                (Some(_), None) => "same".to_string(),
                _ => "—".to_string(),
            };
            o += &format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                r.depth,
                r.alpha_d,
                r.alpha,
                g(&r.required),
                stays,
                r.gt_end
            );
        }
        o += "\n## Kernel regime: closest approach of w/||w||_2 to w_l2/||w_l2||_2, and where the distance reaches delta again\n\n";
        o += "| D | alpha^D | gt* (closest) | loss | digits | distance at gt* | exit gt | loss | digits |\n";
        o += "|---|---|---|---|---|---|---|---|---|\n";
        for r in &self.rows {
            let (c, dist) = match &r.closest {
                Some(c) => (
                    g(&Some(c.at.clone())),
                    format!(
                        "{} ({})",
                        c.distance.short(m),
                        digits_cell(c.distance.digits)
                    ),
                ),
                None => (
                    "none: the distance grows from the start | — | —".to_string(),
                    "—".to_string(),
                ),
            };
            let exit = if r.kernel.entered {
                g(&r.kernel.exit)
            } else {
                "never within delta | — | —".to_string()
            };
            o += &format!(
                "| {} | {} | {} | {} | {} |\n",
                r.depth, r.alpha_d, c, dist, exit
            );
        }
        if !self.settings.mus.is_empty() {
            o += "\n## mu points: gt = alpha^D / mu and ||w_hat - w_mu||_2 / ||w_mu||_2\n\n";
            o += "| D | alpha^D | mu | gt | loss | distance to w_mu | digits |\n";
            o += "|---|---|---|---|---|---|---|\n";
            for r in &self.rows {
                for mp in &r.mu_points {
                    match (&mp.at, &mp.distance) {
                        (Some(a), Some(d)) => {
                            o += &format!(
                                "| {} | {} | {} | {} | 10^-{} | {} | {} |\n",
                                r.depth,
                                r.alpha_d,
                                mp.mu,
                                a.short(m).0,
                                a.short(m).1,
                                d.short(m),
                                digits_cell(d.digits)
                            )
                        }
                        _ => {
                            o += &format!(
                                "| {} | {} | {} | beyond gt_end = {} | — | — | — |\n",
                                r.depth, r.alpha_d, mp.mu, r.gt_end
                            )
                        }
                    }
                }
            }
        }
        let fits = |title: &str, fs: &[FitReport]| -> String {
            if fs.is_empty() {
                return String::new();
            }
            let mut o = format!("\n## {title}\n\n| D | points | a | b | residuals | local slopes |\n|---|---|---|---|---|---|\n");
            for f in fs {
                o += &format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    f.depth,
                    f.points,
                    f.a,
                    f.b,
                    f.residuals.join(", "),
                    f.local_slopes.join(", ")
                );
            }
            o
        };
        o += &fits(
            "Fit of the required accuracy: ln gt = a ln(alpha^D) + b (natural logarithms)",
            &self.fits.required,
        );
        o += &fits(
            "Fit of the closest approach: ln gt* = a ln(alpha^D) + b (gt* ~ alpha^(a D))",
            &self.fits.closest,
        );
        let warn: Vec<String> = self
            .rows
            .iter()
            .flat_map(|r| {
                r.warnings
                    .iter()
                    .map(move |w| format!("- D = {}, alpha^D = {}: {w}", r.depth, r.alpha_d))
            })
            .collect();
        if !warn.is_empty() {
            o += "\n## Warnings\n\n";
            o += &warn.join("\n");
            o += "\n";
        }
        if let Some(w) = self.wall_seconds {
            o += &format!("\nWall time {w:.2} s.\n");
        }
        o
    }
}

fn digits_cell(d: Option<u32>) -> String {
    match d {
        Some(d) => d.to_string(),
        None => "unverified".to_string(),
    }
}
