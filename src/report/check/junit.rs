//! JUnit XML (testsuites > testsuite > testcase > failure), validated against the
//! Surefire/Jenkins schema in the tests.

use super::{CheckView, SuiteReport};
use crate::checks::CheckResult;
use crate::report::Exporter;

pub(super) struct Junit {
    pub timing: bool,
}

impl Exporter<SuiteReport> for Junit {
    /// JUnit XML (the common schema: testsuites > testsuite > testcase > failure).
    fn export(&self, report: &SuiteReport) -> String {
        let timing = self.timing;
        let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let time = |t: f64| {
            if timing {
                format!(" time=\"{t:.3}\"")
            } else {
                String::new()
            }
        };
        let total: f64 = report
            .results
            .iter()
            .flat_map(|r| r.alphas.iter().map(|a| a.wall_seconds))
            .sum();
        o += &format!(
            "<testsuites name=\"ibcert\" tests=\"{}\" failures=\"{}\" errors=\"0\"{}>\n",
            report.checks,
            report.unmet,
            time(total)
        );
        // one testsuite per case, in order of first appearance
        let mut cases: Vec<&str> = Vec::new();
        for r in &report.results {
            if !cases.contains(&r.case.as_str()) {
                cases.push(&r.case);
            }
        }
        for case in cases {
            let rs: Vec<&CheckResult> = report.results.iter().filter(|r| r.case == case).collect();
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
    let regression = r.spec.kind.tag().is_regression();
    let r = CheckView::of(r);
    let mut s = if regression {
        format!(
            "{} check on the flow's limit (argmin Q^D_alpha), tolerance {}\n",
            r.kind.name_str(),
            r.tolerance
        )
    } else {
        format!(
            "{} check, stop gt = {}, tolerance {}\n",
            r.kind.name_str(),
            r.stop,
            r.tolerance
        )
    };
    for a in &r.alphas {
        let at = if regression {
            String::new()
        } else {
            format!(": gt = {}, loss = 10^-{}", a.gt, a.loss_exp10)
        };
        let sep = if regression { ":" } else { "," };
        s += &format!(
            "alpha = {}{at}{sep} {} = {}{}{}{}\n",
            a.alpha,
            a.metric_name,
            a.metric,
            a.kkt_stationarity
                .as_ref()
                .map(|k| format!(", Q_mu stationarity {k}"))
                .unwrap_or_default(),
            a.limit
                .as_ref()
                .map(|l| format!(
                    " (± {}; limit digits: tail {}, verification {}, reference {})",
                    l.metric_error,
                    l.tail_digits,
                    l.flow_digits
                        .map_or_else(|| "not run".to_string(), |d| d.to_string()),
                    l.reference_digits
                ))
                .unwrap_or_default(),
            a.error
                .as_ref()
                .map(|e| format!(", error: {e}"))
                .unwrap_or_default()
        );
    }
    s + &r.reason
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
