//! The report of `ibcert table` on a regression case (schema `ibcert.table-regression/1`):
//! per depth and eps, the largest alpha at which the limit's l1 norm is within `1 + eps`
//! of the minimum and the smallest alpha at which its squared l2 norm is, beside Theorem
//! 2's sufficient alphas (D = 2), and every limit the search evaluated. One exporter per
//! format: Markdown, CSV (one line per row and side), JSON.
//!
//! An excess is shown with the digits its error bound leaves certain (at most 6); an
//! alpha is an exact grid decimal (12 significant digits at most) with its log10.

use super::run::CaseInfo;
use super::Exporter;
use crate::num::{fmt_sig, from_rational};
use crate::reference::regression::NormExcess;
use crate::table::regression::{
    log10_text, Bound, FlowTime, RegTable, RegTableSpec, Sample, Threshold,
};
use rug::{Float, Rational};
use serde::Serialize;

pub const TABLE_REGRESSION_SCHEMA: &str = "ibcert.table-regression/1";

/// Output format of a regression table (the same names as the classification table's).
pub use super::table::TableFormat;

/// An excess as shown: the value to its certain digits and its error bound.
#[derive(Clone, Debug, Serialize)]
pub struct ExcessLine {
    pub value: String,
    pub error_bound: String,
}

fn excess_line(x: &NormExcess) -> ExcessLine {
    ExcessLine {
        value: excess_text(x),
        error_bound: fmt_sig(&x.err, 2),
    }
}

/// The excess to the digits its error bound leaves certain (1 to 6).
fn excess_text(x: &NormExcess) -> String {
    let p = x.value.prec();
    let v = Float::with_val(p, x.value.abs_ref());
    if v <= x.err {
        return format!("0 (± {})", fmt_sig(&x.err, 2));
    }
    if x.err.is_zero() {
        return fmt_sig(&x.value, 6);
    }
    let ratio = Float::with_val(p, &v / &x.err).log10().floor();
    let k = ratio.to_i32_saturating().unwrap_or(1).clamp(1, 6);
    fmt_sig(&x.value, k as usize)
}

/// A grid alpha with its log10.
#[derive(Clone, Debug, Serialize)]
pub struct AlphaLine {
    /// exact decimal (12 significant digits at most)
    pub alpha: String,
    pub log10: String,
    /// the excess of the side's statement there
    pub excess: ExcessLine,
    /// verified digits of the limit
    pub digits: u32,
}

/// Where one statement starts to hold.
#[derive(Clone, Debug, Serialize)]
pub struct ThresholdLine {
    /// found, everywhere, not reached, undecided, failed
    pub status: &'static str,
    /// the alpha satisfying the statement nearest to where it stops (found, everywhere)
    pub inside: Option<AlphaLine>,
    /// the neighbouring grid alpha where it does not hold (found), the last alpha
    /// searched (not reached) or the undecided one
    pub outside: Option<AlphaLine>,
    /// in words (undecided, failed, and the range ends)
    pub note: Option<String>,
    /// with --flow-time: the flow's time to within eps of its limit at `inside`'s alpha
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_time: Option<FlowTimeLine>,
}

/// The flow time at a located alpha as shown: t to the digits the verification run
/// shares (at most 6), or why there is none.
#[derive(Clone, Debug, Serialize)]
pub struct FlowTimeLine {
    pub t: Option<String>,
    pub digits: Option<u32>,
    pub steps: Option<u64>,
    pub note: Option<String>,
}

fn flow_time_line(ft: &Result<FlowTime, String>) -> FlowTimeLine {
    match ft {
        Ok(f) if f.digits >= 1 => FlowTimeLine {
            t: Some(fmt_sig(&f.t, f.digits.min(6) as usize)),
            digits: Some(f.digits),
            steps: Some(f.steps),
            note: None,
        },
        Ok(f) => FlowTimeLine {
            t: None,
            digits: Some(0),
            steps: Some(f.steps),
            note: Some("the verification run disagrees on the first digit of t".to_string()),
        },
        Err(e) => FlowTimeLine {
            t: None,
            digits: None,
            steps: None,
            note: Some(e.clone()),
        },
    }
}

impl FlowTimeLine {
    /// t, else "—" (the note says why)
    fn cell(&self) -> String {
        self.t.clone().unwrap_or_else(|| "—".to_string())
    }
}

/// Theorem 2's alpha and how many decades it gives away against the one found.
#[derive(Clone, Debug, Serialize)]
pub struct TheoremLine {
    /// exact decimal, rounded to the theorem's side (12 digits)
    pub alpha: Option<String>,
    pub log10: Option<String>,
    /// |log10 found - log10 theorem| (the theorem is sufficient, so it is on the far side)
    pub decades_apart: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RowLine {
    pub depth: u32,
    pub eps: String,
    pub l1: ThresholdLine,
    pub l2: ThresholdLine,
    pub theorem2_l1: Option<TheoremLine>,
    pub theorem2_l2: Option<TheoremLine>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SampleLine {
    pub alpha: String,
    pub log10: String,
    pub excess_l1: ExcessLine,
    pub excess_l2: ExcessLine,
    pub digits: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct DepthLine {
    pub depth: u32,
    /// every limit evaluated, by increasing alpha
    pub samples: Vec<SampleLine>,
    /// both excesses monotone over the samples (within their error bounds)
    pub monotone: bool,
    pub violation: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RegTableReport {
    pub schema: &'static str,
    pub version: &'static str,
    pub case: CaseInfo,
    pub precision: u32,
    pub per_decade: u32,
    pub alpha_min: String,
    pub alpha_max: String,
    pub norm1_l1: String,
    pub norm2_sq_l2: String,
    /// the same to 30 significant digits
    pub norm2_sq_l2_decimal: String,
    pub rows: Vec<RowLine>,
    pub depths: Vec<DepthLine>,
    pub evaluations: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wall_seconds: Option<f64>,
}

/// An alpha as an exact decimal (grid alphas have at most 12 significant digits).
fn alpha_decimal(a: &Rational) -> String {
    let s = a.to_string();
    if s.len() <= 16 {
        return s;
    }
    fmt_sig(&from_rational(128, a), 12)
}

/// eps as an exact decimal (up to 8 decimals), else the exact rational when short, else
/// 12 significant digits.
fn eps_text(q: &Rational) -> String {
    crate::num::exact::exact_decimal(q, 8).unwrap_or_else(|| {
        let s = q.to_string();
        if s.len() <= 16 {
            s
        } else {
            fmt_sig(&from_rational(128, q), 12)
        }
    })
}

fn alpha_line(s: &Sample, x: &NormExcess, per_decade: u32) -> AlphaLine {
    AlphaLine {
        alpha: alpha_decimal(&s.alpha),
        log10: log10_text(s.j, per_decade),
        excess: excess_line(x),
        digits: s.digits,
    }
}

fn threshold_line(
    t: &Threshold,
    l1: bool,
    per_decade: u32,
    ft: Option<&Result<FlowTime, String>>,
) -> ThresholdLine {
    let mut line = threshold_line_of(t, l1, per_decade);
    line.flow_time = ft.map(flow_time_line);
    line
}

fn threshold_line_of(t: &Threshold, l1: bool, per_decade: u32) -> ThresholdLine {
    let pick =
        |s: &Sample| -> AlphaLine { alpha_line(s, if l1 { &s.l1 } else { &s.l2 }, per_decade) };
    match t {
        Threshold::Found { inside, outside } => ThresholdLine {
            status: "found",
            flow_time: None,
            inside: Some(pick(inside)),
            outside: Some(pick(outside)),
            note: None,
        },
        Threshold::Everywhere { at } => ThresholdLine {
            status: "everywhere",
            flow_time: None,
            inside: Some(pick(at)),
            outside: None,
            note: Some(format!(
                "holds up to the end of the range searched (alpha = {}): widen it",
                alpha_decimal(&at.alpha)
            )),
        },
        Threshold::NotReached { last } => ThresholdLine {
            status: "not reached",
            flow_time: None,
            inside: None,
            outside: Some(pick(last)),
            note: Some(format!(
                "does not hold anywhere up to the end of the range searched (alpha = {})",
                alpha_decimal(&last.alpha)
            )),
        },
        Threshold::Undecided { at } => ThresholdLine {
            status: "undecided",
            flow_time: None,
            inside: None,
            outside: Some(pick(at)),
            note: Some(format!(
                "at alpha = {} the verified digits cannot tell the excess from eps: raise --precision",
                alpha_decimal(&at.alpha)
            )),
        },
        Threshold::Failed { alpha, error } => ThresholdLine {
            status: "failed",
            flow_time: None,
            inside: None,
            outside: None,
            note: Some(format!(
                "the limit could not be computed at alpha = {}: {error}",
                alpha_decimal(alpha)
            )),
        },
    }
}

fn theorem_line(b: &Bound, found: Option<&Sample>, per_decade: u32) -> TheoremLine {
    match b {
        Ok((alpha, log10)) => {
            let decades = found.map(|s| {
                let f = Float::with_val(128, s.j) / per_decade;
                let t = from_rational(128, alpha).log10();
                fmt_sig(&Float::with_val(128, &f - &t).abs(), 4)
            });
            TheoremLine {
                alpha: Some(alpha_decimal(alpha)),
                log10: Some(log10.clone()),
                decades_apart: decades,
                note: None,
            }
        }
        Err(e) => TheoremLine {
            alpha: None,
            log10: None,
            decades_apart: None,
            note: Some(e.clone()),
        },
    }
}

impl RegTableReport {
    pub fn new(
        case: CaseInfo,
        spec: &RegTableSpec,
        table: &RegTable,
        wall_seconds: Option<f64>,
    ) -> RegTableReport {
        let pd = spec.per_decade;
        let rows = table
            .rows
            .iter()
            .map(|r| RowLine {
                depth: r.depth,
                eps: eps_text(&r.eps),
                l1: threshold_line(&r.l1, true, pd, r.flow_time_l1.as_ref()),
                l2: threshold_line(&r.l2, false, pd, r.flow_time_l2.as_ref()),
                theorem2_l1: r
                    .theorem2_l1
                    .as_ref()
                    .map(|b| theorem_line(b, r.l1.inside(), pd)),
                theorem2_l2: r
                    .theorem2_l2
                    .as_ref()
                    .map(|b| theorem_line(b, r.l2.inside(), pd)),
            })
            .collect();
        let depths = table
            .depths
            .iter()
            .map(|d| DepthLine {
                depth: d.depth,
                samples: d
                    .samples
                    .iter()
                    .map(|s| SampleLine {
                        alpha: alpha_decimal(&s.alpha),
                        log10: log10_text(s.j, pd),
                        excess_l1: excess_line(&s.l1),
                        excess_l2: excess_line(&s.l2),
                        digits: s.digits,
                    })
                    .collect(),
                monotone: d.violation.is_none(),
                violation: d.violation.clone(),
            })
            .collect();
        RegTableReport {
            schema: TABLE_REGRESSION_SCHEMA,
            version: env!("CARGO_PKG_VERSION"),
            case,
            precision: spec.prec,
            per_decade: pd,
            alpha_min: format!("1e{}", spec.min_log10),
            alpha_max: format!("1e{}", spec.max_log10),
            norm1_l1: table.norm1_l1.to_string(),
            norm2_sq_l2: table.norm2_sq_l2.to_string(),
            norm2_sq_l2_decimal: crate::num::exact::rational_to_decimal_string(
                &table.norm2_sq_l2,
                30,
            ),
            rows,
            depths,
            evaluations: table.evaluations,
            wall_seconds,
        }
    }

    /// The exporter of `format`.
    pub fn exporter(format: TableFormat) -> Box<dyn Exporter<RegTableReport>> {
        match format {
            TableFormat::Markdown => Box::new(Markdown),
            TableFormat::Csv => Box::new(Csv),
            TableFormat::Json => Box::new(Json),
        }
    }
}

pub struct Markdown;
pub struct Csv;
pub struct Json;

fn or_dash(s: Option<&str>) -> &str {
    s.unwrap_or("—")
}

impl Exporter<RegTableReport> for Markdown {
    fn export(&self, r: &RegTableReport) -> String {
        let mut out = String::new();
        let c = &r.case;
        out.push_str(&format!(
            "# Regression: the alpha each regime needs, case {}\n\n",
            c.name
        ));
        out.push_str(&format!(
            "Case {}{}: N = {} points in d = {}, regression (square loss).{}\n",
            c.name,
            c.path
                .as_deref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default(),
            c.points,
            c.dim,
            c.data
                .as_deref()
                .map(|d| format!(" Data: {d}."))
                .unwrap_or_default()
        ));
        out.push_str(&format!(
            "\nThe limit w_alpha = argmin Q^D_alpha(w) s.t. X^T w = y of the square-loss flow from u(0) = alpha 1, \
             certified at {} bits (two independent solves; excesses shown to the digits their error bounds leave certain). \
             alphas on a grid of {} points per decade in [{}, {}]. ||w_l1||_1 = {} (exact), ||w_l2||_2^2 = {}. \
             Theorem 2 (Woodworth et al. 2020) gives sufficient alphas for D = 2.\n",
            r.precision,
            r.per_decade,
            r.alpha_min,
            r.alpha_max,
            r.norm1_l1,
            if r.norm2_sq_l2.len() <= 40 {
                format!("{} (exact)", r.norm2_sq_l2)
            } else {
                format!("≈ {} (exact in the JSON report)", r.norm2_sq_l2_decimal)
            }
        ));
        for (l1, title) in [
            (
                true,
                "Rich side: the largest alpha with ||w_alpha||_1 <= (1 + eps) ||w_l1||_1",
            ),
            (
                false,
                "Kernel side: the smallest alpha with ||w_alpha||_2^2 <= (1 + eps) ||w_l2||_2^2",
            ),
        ] {
            out.push_str(&format!("\n## {title}\n\n"));
            let word = if l1 { "largest" } else { "smallest" };
            let timed = r.rows.iter().any(|row| {
                if l1 {
                    row.l1.flow_time.is_some()
                } else {
                    row.l2.flow_time.is_some()
                }
            });
            out.push_str(&format!(
                "| D | eps | {word} alpha | log10 alpha | excess there | next grid alpha (fails) | excess there | Theorem 2's alpha | log10 | decades apart |{}\n",
                if timed {
                    " flow time to within eps of w_alpha |"
                } else {
                    ""
                }
            ));
            out.push_str("|---|---|---|---|---|---|---|---|---|---|");
            out.push_str(if timed { "---|\n" } else { "\n" });
            let mut notes = Vec::new();
            for row in &r.rows {
                let (t, th) = if l1 {
                    (&row.l1, &row.theorem2_l1)
                } else {
                    (&row.l2, &row.theorem2_l2)
                };
                let ins = t.inside.as_ref();
                let outs = t.outside.as_ref();
                let time_cell = if timed {
                    format!(
                        " {} |",
                        t.flow_time
                            .as_ref()
                            .map_or_else(|| "—".to_string(), FlowTimeLine::cell)
                    )
                } else {
                    String::new()
                };
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |{time_cell}\n",
                    row.depth,
                    row.eps,
                    ins.map_or_else(|| t.status.to_string(), |a| a.alpha.clone()),
                    or_dash(ins.map(|a| a.log10.as_str())),
                    or_dash(ins.map(|a| a.excess.value.as_str())),
                    or_dash(outs.map(|a| a.alpha.as_str())),
                    or_dash(outs.map(|a| a.excess.value.as_str())),
                    or_dash(th.as_ref().and_then(|x| x.alpha.as_deref())),
                    or_dash(th.as_ref().and_then(|x| x.log10.as_deref())),
                    or_dash(th.as_ref().and_then(|x| x.decades_apart.as_deref())),
                ));
                if let Some(n) = &t.note {
                    notes.push(format!("D = {}, eps = {}: {n}", row.depth, row.eps));
                }
                if let Some(n) = t.flow_time.as_ref().and_then(|f| f.note.as_ref()) {
                    notes.push(format!(
                        "D = {}, eps = {}: flow time: {n}",
                        row.depth, row.eps
                    ));
                }
                if let Some(n) = th.as_ref().and_then(|x| x.note.as_ref()) {
                    notes.push(format!(
                        "D = {}, eps = {}: Theorem 2: {n}",
                        row.depth, row.eps
                    ));
                }
            }
            if timed {
                notes.push(
                    "flow time: the first time t at which the square-loss flow from u(0) = alpha 1 is within eps of its limit, max_i |w_i(t) - w_alpha,i| <= eps ||w_alpha||_inf, at the alpha of the row (first seen at an accepted step's end, located inside the step by bisection; t to the digits a verification run shares)".to_string(),
                );
            }
            for n in notes {
                out.push_str(&format!("\n- {n}"));
            }
            out.push('\n');
        }
        for d in &r.depths {
            out.push_str(&format!(
                "\n## The limits evaluated, D = {}\n\n| alpha | log10 alpha | excess l1 | excess l2 | verified digits |\n|---|---|---|---|---|\n",
                d.depth
            ));
            for s in &d.samples {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    s.alpha, s.log10, s.excess_l1.value, s.excess_l2.value, s.digits
                ));
            }
            out.push_str(&match &d.violation {
                None => "\nBoth excesses are monotone over these alphas (l1 falls and l2 rises as alpha decreases).\n".to_string(),
                Some(v) => format!("\nNot monotone: {v}.\n"),
            });
        }
        out.push_str(&format!(
            "\n{} Q^D_alpha limits computed (each by two independent solves)",
            r.evaluations
        ));
        if let Some(t) = r.wall_seconds {
            out.push_str(&format!(" in {t:.2} s"));
        }
        out.push_str(".\n");
        out
    }
}

impl Exporter<RegTableReport> for Csv {
    fn export(&self, r: &RegTableReport) -> String {
        let mut out = String::from(
            "depth,eps,side,status,alpha,log10_alpha,excess,outside_alpha,outside_log10_alpha,outside_excess,theorem2_alpha,theorem2_log10_alpha,decades_apart,flow_time,flow_time_digits\n",
        );
        for row in &r.rows {
            for (side, t, th) in [
                ("l1", &row.l1, &row.theorem2_l1),
                ("l2", &row.l2, &row.theorem2_l2),
            ] {
                let ins = t.inside.as_ref();
                let outs = t.outside.as_ref();
                let f = |s: Option<&str>| s.unwrap_or("").to_string();
                let cells = [
                    row.depth.to_string(),
                    row.eps.clone(),
                    side.to_string(),
                    t.status.to_string(),
                    f(ins.map(|a| a.alpha.as_str())),
                    f(ins.map(|a| a.log10.as_str())),
                    f(ins.map(|a| a.excess.value.as_str())),
                    f(outs.map(|a| a.alpha.as_str())),
                    f(outs.map(|a| a.log10.as_str())),
                    f(outs.map(|a| a.excess.value.as_str())),
                    f(th.as_ref().and_then(|x| x.alpha.as_deref())),
                    f(th.as_ref().and_then(|x| x.log10.as_deref())),
                    f(th.as_ref().and_then(|x| x.decades_apart.as_deref())),
                    f(t.flow_time.as_ref().and_then(|x| x.t.as_deref())),
                    t.flow_time
                        .as_ref()
                        .and_then(|x| x.digits)
                        .map_or_else(String::new, |d| d.to_string()),
                ];
                let quoted: Vec<String> = cells
                    .iter()
                    .map(|c| {
                        if c.contains([',', '"', ' ']) {
                            format!("\"{}\"", c.replace('"', "\"\""))
                        } else {
                            c.clone()
                        }
                    })
                    .collect();
                out.push_str(&quoted.join(","));
                out.push('\n');
            }
        }
        out
    }
}

impl Exporter<RegTableReport> for Json {
    fn export(&self, r: &RegTableReport) -> String {
        let mut s = serde_json::to_string_pretty(r).expect("serializable report");
        s.push('\n');
        s
    }
}
