//! The report of `ibcert check`: a text table for people, JSON (schema `ibcert.check/1`)
//! for machines, JUnit XML for CI systems. With `timing = false` the wall-time fields
//! are left out, so the output is identical byte for byte whatever the thread count.

use crate::case::spec::{CheckKind, Expect, KindSpec};
use crate::checks::{AlphaResult, CheckResult};
use crate::num::exact::rational_to_decimal_string;
use crate::num::fmt_sig;
use rug::Float;
use serde::Serialize;

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
}

/// One alpha as reports show it: numbers formatted to the digits they carry, "-" where
/// there is none.
#[derive(Clone, Debug, Serialize)]
struct AlphaView {
    alpha: String,
    gt: String,
    loss_exp10: String,
    metric_name: String,
    metric: String,
    kkt_stationarity: Option<String>,
    digits: Option<u32>,
    drift_rel: String,
    error: Option<String>,
    wall_seconds: f64,
}

impl AlphaView {
    fn of(a: &AlphaResult) -> AlphaView {
        let p = a.gt.prec();
        let ln10 = Float::with_val(p, 10).ln();
        AlphaView {
            alpha: a.alpha.to_string(),
            gt: fmt_sig(&a.gt, 12),
            loss_exp10: fmt_sig(&Float::with_val(p, &a.gt / &ln10), 12),
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
            wall_seconds: a.wall_seconds,
        }
    }
}

/// One check as reports show it.
#[derive(Clone, Debug, Serialize)]
struct CheckView {
    case: String,
    file: Option<String>,
    name: String,
    kind: CheckKind,
    expect: Expect,
    stop: String,
    tolerance: String,
    kkt_tolerance: Option<String>,
    passed: bool,
    meets_expectation: bool,
    reason: String,
    alphas: Vec<AlphaView>,
}

impl CheckView {
    fn of(r: &CheckResult) -> CheckView {
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
            expect: r.spec.expect,
            stop: r.spec.stop.to_string(),
            tolerance: rational_to_decimal_string(&r.spec.tolerance, 3),
            kkt_tolerance,
            passed: r.passed,
            meets_expectation: r.meets_expectation,
            reason: r.reason.clone(),
            alphas: r.alphas.iter().map(AlphaView::of).collect(),
        }
    }
}

#[derive(Serialize)]
struct SuiteView {
    schema: &'static str,
    checks: usize,
    met: usize,
    unmet: usize,
    results: Vec<CheckView>,
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
        }
    }

    pub fn all_met(&self) -> bool {
        self.unmet == 0
    }

    pub fn to_json(&self, timing: bool) -> String {
        let view = SuiteView {
            schema: self.schema,
            checks: self.checks,
            met: self.met,
            unmet: self.unmet,
            results: self.results.iter().map(CheckView::of).collect(),
        };
        let mut v = serde_json::to_value(view).expect("check report serializes");
        if !timing {
            if let Some(rs) = v["results"].as_array_mut() {
                for r in rs {
                    if let Some(al) = r["alphas"].as_array_mut() {
                        for a in al {
                            if let Some(o) = a.as_object_mut() {
                                o.remove("wall_seconds");
                            }
                        }
                    }
                }
            }
        }
        serde_json::to_string_pretty(&v).expect("json") + "\n"
    }

    pub fn to_text(&self, timing: bool) -> String {
        let mut o = String::new();
        o += &format!(
            "{:<14} {:<32} {:<11} {:>8} {:>14} {:>12} {:>8} {:>6}  {}\n",
            "case", "check", "kind", "alpha", "gt", "loss 10^-k", "metric", "digits", "verdict"
        );
        for r in &self.results {
            let view = CheckView::of(r);
            for (i, (a, av)) in r.alphas.iter().zip(&view.alphas).enumerate() {
                let verdict = if i + 1 == r.alphas.len() {
                    match (r.passed, r.meets_expectation) {
                        (true, true) => "PASS".to_string(),
                        (false, true) => "FAIL (expected)".to_string(),
                        (true, false) => "UNEXPECTED PASS".to_string(),
                        (false, false) => "FAIL".to_string(),
                    }
                } else {
                    String::new()
                };
                let mut metric = av.metric.clone();
                if metric.len() > 8 {
                    metric = fmt_sig(a.metric.as_ref().map_or(&Float::new(64), |m| &m.value), 2);
                }
                o += &format!(
                    "{:<14} {:<32} {:<11} {:>8} {:>14} {:>12} {:>8} {:>6}  {}\n",
                    trunc(&r.case, 14),
                    trunc(&r.spec.name, 32),
                    r.spec.kind.tag().name_str(),
                    av.alpha,
                    short(&av.gt),
                    short(&av.loss_exp10),
                    metric,
                    a.digits.map_or("-".to_string(), |d| d.to_string()),
                    verdict
                );
            }
            if !r.meets_expectation || !r.passed {
                o += &format!("    {}: {}\n", r.spec.name, r.reason);
            }
        }
        o += &format!(
            "\n{} checks: {} met their expectation, {} did not\n",
            self.checks, self.met, self.unmet
        );
        if timing {
            let t: f64 = self
                .results
                .iter()
                .flat_map(|r| r.alphas.iter().map(|a| a.wall_seconds))
                .sum();
            o += &format!("integration time (summed over jobs): {t:.2} s\n");
        }
        o
    }

    /// JUnit XML (the common schema: testsuites > testsuite > testcase > failure).
    pub fn to_junit(&self, timing: bool) -> String {
        let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let time = |t: f64| {
            if timing {
                format!(" time=\"{t:.3}\"")
            } else {
                String::new()
            }
        };
        let total: f64 = self
            .results
            .iter()
            .flat_map(|r| r.alphas.iter().map(|a| a.wall_seconds))
            .sum();
        o += &format!(
            "<testsuites name=\"ibcert\" tests=\"{}\" failures=\"{}\" errors=\"0\"{}>\n",
            self.checks,
            self.unmet,
            time(total)
        );
        // one testsuite per case, in order of first appearance
        let mut cases: Vec<&str> = Vec::new();
        for r in &self.results {
            if !cases.contains(&r.case.as_str()) {
                cases.push(&r.case);
            }
        }
        for case in cases {
            let rs: Vec<&CheckResult> = self.results.iter().filter(|r| r.case == case).collect();
            let fails = rs.iter().filter(|r| !r.meets_expectation).count();
            let t: f64 = rs
                .iter()
                .flat_map(|r| r.alphas.iter().map(|a| a.wall_seconds))
                .sum();
            o += &format!(
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\"{}>\n",
                xml(case),
                rs.len(),
                fails,
                time(t)
            );
            for r in rs {
                let t: f64 = r.alphas.iter().map(|a| a.wall_seconds).sum();
                o += &format!(
                    "    <testcase classname=\"{}\" name=\"{}\"{}>\n",
                    xml(&r.case),
                    xml(&r.spec.name),
                    time(t)
                );
                if !r.meets_expectation {
                    o += &format!(
                        "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                        xml(&r.reason),
                        if r.passed {
                            "unexpected-pass"
                        } else {
                            "check-failed"
                        },
                        xml(&details(r))
                    );
                }
                o += &format!("      <system-out>{}</system-out>\n", xml(&details(r)));
                o += "    </testcase>\n";
            }
            o += "  </testsuite>\n";
        }
        o += "</testsuites>\n";
        o
    }
}

fn details(r: &CheckResult) -> String {
    let r = CheckView::of(r);
    let mut s = format!(
        "{} check, stop gt = {}, tolerance {}\n",
        r.kind.name_str(),
        r.stop,
        r.tolerance
    );
    for a in &r.alphas {
        s += &format!(
            "alpha = {}: gt = {}, loss = 10^-{}, {} = {}{}{}\n",
            a.alpha,
            a.gt,
            a.loss_exp10,
            a.metric_name,
            a.metric,
            a.kkt_stationarity
                .as_ref()
                .map(|k| format!(", Q_mu stationarity {k}"))
                .unwrap_or_default(),
            a.error
                .as_ref()
                .map(|e| format!(", error: {e}"))
                .unwrap_or_default()
        );
    }
    s + &r.reason
}

fn trunc(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

fn short(s: &str) -> String {
    s.chars().take(14).collect()
}

/// XML text/attribute escaping.
pub fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\n' => o.push_str("&#10;"),
            c if (c as u32) < 0x20 && c != '\t' => {}
            c => o.push(c),
        }
    }
    o
}
