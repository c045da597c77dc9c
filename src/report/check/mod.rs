//! The report of `ibcert check`: a text table for people (text.rs), JSON (schema
//! `ibcert.check/1`, json.rs) for machines, JUnit XML for CI systems (junit.rs); one
//! [`Exporter`] per format. With `timing = false` the wall-time fields
//! are left out, so the output is identical byte for byte whatever the thread count.

use crate::case::spec::{CheckKind, Expect, KindSpec};
use crate::checks::{AlphaResult, CheckResult};
use crate::num::exact::rational_to_decimal_string;
use crate::num::fmt_sig;
use rug::Float;
use serde::Serialize;

mod json;
mod junit;
mod text;

pub use junit::xml;

use super::Exporter;

pub const CHECK_SCHEMA: &str = "ibcert.check/1";

/// Output format of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Junit,
}

#[derive(Clone, Debug)]
pub struct SuiteReport {
    pub schema: &'static str,
    pub checks: usize,
    /// checks that met their expectation
    pub met: usize,
    /// checks that did not
    pub unmet: usize,
    pub results: Vec<CheckResult>,
    /// ids of jobs with no result (a merge with --allow-partial); their alphas show
    /// "not run" and their checks fail
    pub missing_jobs: Vec<String>,
    /// the cases whose data come from files, and what the files are taken as (see
    /// [`SuiteReport::with_data`]); empty when every case has its data in its TOML
    pub data: Vec<DataView>,
}

/// A case whose data come from files: its name, its file and the data files.
#[derive(Clone, Debug, Serialize)]
pub struct DataView {
    pub case: String,
    pub file: Option<String>,
    pub data: String,
}

/// One alpha as reports show it: numbers formatted to the digits they carry, "-" where
/// there is none.
#[derive(Clone, Debug, Serialize)]
pub(super) struct AlphaView {
    pub(super) alpha: String,
    pub(super) gt: String,
    pub(super) loss_exp10: String,
    pub(super) metric_name: String,
    pub(super) metric: String,
    pub(super) kkt_stationarity: Option<String>,
    pub(super) digits: Option<u32>,
    pub(super) drift_rel: String,
    pub(super) error: Option<String>,
    /// regression-limit checks: the flow's run to its limit
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) limit: Option<LimitView>,
    pub(super) wall_seconds: f64,
}

/// How a regression-limit check reached the flow's limit at one alpha.
#[derive(Clone, Debug, Serialize)]
pub(super) struct LimitView {
    /// digits of the limit asked of the tail bound
    pub(super) asked_digits: u32,
    /// digits the tail bound certifies at the end state
    pub(super) tail_digits: u32,
    /// digits on which the verification run agrees (null: not verified)
    pub(super) flow_digits: Option<u32>,
    /// digits of w_alpha on which the reference's two solves agree
    pub(super) reference_digits: u32,
    /// the bound on the metric's error from those digits
    pub(super) metric_error: String,
    /// the time t where the stop rule held
    pub(super) t: String,
    pub(super) work: crate::ode::radau::Stats,
    pub(super) verification_work: Option<crate::ode::radau::Stats>,
}

impl AlphaView {
    /// `regression`: the check evaluates the flow's limit (no gt: shown as "limit").
    pub(super) fn of(a: &AlphaResult, regression: bool) -> AlphaView {
        let p = a.gt.prec();
        let ln10 = Float::with_val(p, 10).ln();
        let alpha = a.alpha.to_string();
        AlphaView {
            // a long alpha (Theorem 2's, 10^-434) as its 12 significant digits, exact
            // for the decimals Theorem 2's alphas are
            alpha: if alpha.len() > 40 {
                fmt_sig(&crate::num::from_rational(128, &a.alpha), 12)
            } else {
                alpha
            },
            gt: if regression {
                "limit".to_string()
            } else {
                fmt_sig(&a.gt, 12)
            },
            loss_exp10: if regression {
                "-".to_string()
            } else {
                fmt_sig(&Float::with_val(p, &a.gt / &ln10), 12)
            },
            metric_name: a
                .metric
                .as_ref()
                .map(|m| m.name.clone())
                .unwrap_or_default(),
            metric: a
                .metric
                .as_ref()
                .map_or_else(|| "-".to_string(), |m| m.display()),
            kkt_stationarity: a.kkt_stationarity.as_ref().map(|k| fmt_sig(k, 3)),
            digits: a.digits,
            drift_rel: a
                .drift_rel
                .as_ref()
                .map_or_else(|| "-".to_string(), |d| fmt_sig(d, 3)),
            error: a.error.clone(),
            limit: a.limit.as_ref().map(|l| LimitView {
                asked_digits: l.asked_digits,
                tail_digits: l.tail_digits,
                flow_digits: l.flow_digits,
                reference_digits: l.reference_digits,
                metric_error: crate::num::fmt_sig_up(&l.err, 2),
                t: l.t.clone(),
                work: l.main.clone(),
                verification_work: l.verification.clone(),
            }),
            wall_seconds: a.wall_seconds,
        }
    }
}

/// One check as reports show it.
#[derive(Clone, Debug, Serialize)]
pub(super) struct CheckView {
    pub(super) case: String,
    pub(super) file: Option<String>,
    pub(super) name: String,
    pub(super) kind: CheckKind,
    /// the loss when it is not exp ("logistic"); absent for exp
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) loss: Option<&'static str>,
    pub(super) expect: Expect,
    pub(super) stop: String,
    pub(super) tolerance: String,
    pub(super) kkt_tolerance: Option<String>,
    pub(super) passed: bool,
    pub(super) meets_expectation: bool,
    pub(super) reason: String,
    pub(super) alphas: Vec<AlphaView>,
}

impl CheckView {
    pub(super) fn of(r: &CheckResult) -> CheckView {
        let kkt_tolerance = match &r.spec.kind {
            KindSpec::Transition {
                kkt_tolerance: Some(t),
                ..
            } => Some(rational_to_decimal_string(t, 3)),
            _ => None,
        };
        CheckView {
            case: r.case.clone(),
            file: r.file.clone(),
            name: r.spec.name.clone(),
            kind: r.spec.kind.tag(),
            loss: (r.spec.loss != crate::flow::Loss::Exp).then(|| r.spec.loss.name()),
            expect: r.spec.expect,
            // a regression check integrates each alpha's flow to its limit: no gt rule
            stop: if r.spec.kind.tag().is_regression() {
                "limit".to_string()
            } else {
                r.spec.stop.to_string()
            },
            tolerance: rational_to_decimal_string(&r.spec.tolerance, 3),
            kkt_tolerance,
            passed: r.passed,
            meets_expectation: r.meets_expectation,
            reason: r.reason.clone(),
            alphas: r
                .alphas
                .iter()
                .map(|a| AlphaView::of(a, r.spec.kind.tag().is_regression()))
                .collect(),
        }
    }
}

#[derive(Serialize)]
pub(super) struct SuiteView {
    pub(super) schema: &'static str,
    pub(super) checks: usize,
    pub(super) met: usize,
    pub(super) unmet: usize,
    pub(super) results: Vec<CheckView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) missing_jobs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) data: Vec<DataView>,
}

impl SuiteReport {
    pub fn new(results: Vec<CheckResult>) -> SuiteReport {
        let met = results.iter().filter(|r| r.meets_expectation).count();
        SuiteReport {
            schema: CHECK_SCHEMA,
            checks: results.len(),
            met,
            unmet: results.len() - met,
            results,
            missing_jobs: Vec::new(),
            data: Vec::new(),
        }
    }

    /// The report with the data sources of those `cases` whose data come from files.
    pub fn with_data<'a>(mut self, cases: impl IntoIterator<Item = &'a crate::case::Case>) -> Self {
        self.data = cases
            .into_iter()
            .filter_map(|c| {
                c.data_source.as_ref().map(|d| DataView {
                    case: c.name.clone(),
                    file: c.path.as_ref().map(|p| p.display().to_string()),
                    data: d.description.clone(),
                })
            })
            .collect();
        self
    }

    pub fn all_met(&self) -> bool {
        self.unmet == 0
    }

    /// The exporter of `format`.
    pub fn exporter(format: CheckFormat, timing: bool) -> Box<dyn Exporter<SuiteReport>> {
        match format {
            CheckFormat::Text => Box::new(text::Text { timing }),
            CheckFormat::Json => Box::new(json::Json { timing }),
            CheckFormat::Junit => Box::new(junit::Junit { timing }),
        }
    }
}
