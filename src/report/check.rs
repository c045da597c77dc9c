//! The report of `ibcert check`: a text table for people, JSON (schema `ibcert.check/1`)
//! for machines, JUnit XML for CI systems. With `timing = false` the wall-time fields
//! are left out, so the output is identical byte for byte whatever the thread count.

use crate::checks::run::CheckResult;
use serde::Serialize;

pub const CHECK_SCHEMA: &str = "ibcert.check/1";

/// Output format of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Junit,
}

#[derive(Clone, Debug, Serialize)]
pub struct SuiteReport {
    pub schema: &'static str,
    pub checks: usize,
    /// checks that met their expectation
    pub met: usize,
    /// checks that did not
    pub unmet: usize,
    pub results: Vec<CheckResult>,
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
        let mut v = serde_json::to_value(self).expect("check report serializes");
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
            for (i, a) in r.alphas.iter().enumerate() {
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
                let mut metric = a.metric.clone();
                if metric.len() > 8 {
                    metric = crate::num::fmt_sig(
                        a.metric_value.as_ref().unwrap_or(&rug::Float::new(64)),
                        2,
                    );
                }
                o += &format!(
                    "{:<14} {:<32} {:<11} {:>8} {:>14} {:>12} {:>8} {:>6}  {}\n",
                    trunc(&r.case, 14),
                    trunc(&r.name, 32),
                    r.kind.name_str(),
                    a.alpha,
                    short(&a.gt),
                    short(&a.loss_exp10),
                    metric,
                    a.digits.map_or("-".to_string(), |d| d.to_string()),
                    verdict
                );
            }
            if !r.meets_expectation || !r.passed {
                o += &format!("    {}: {}\n", r.name, r.reason);
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
                    xml(&r.name),
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
