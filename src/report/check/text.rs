//! The text table for people: one line per (check, alpha), the verdict on the last.

use super::{CheckView, SuiteReport};
use crate::num::fmt_sig;
use crate::report::Exporter;
use rug::Float;

pub(super) struct Text {
    pub timing: bool,
}

impl Exporter<SuiteReport> for Text {
    fn export(&self, report: &SuiteReport) -> String {
        let timing = self.timing;
        let mut o = String::new();
        // a column for the loss only when some check is not trained with the exp-loss
        let losses = report
            .results
            .iter()
            .any(|r| r.spec.loss != crate::flow::Loss::Exp);
        let loss_col = |name: &str| {
            if losses {
                format!("{name:<9}")
            } else {
                String::new()
            }
        };
        o += &format!(
            "{:<14} {:<32} {:<11} {}{:>8} {:>14} {:>12} {:>8} {:>6}  {}\n",
            "case",
            "check",
            "kind",
            loss_col("loss fn"),
            "alpha",
            "gt",
            "loss 10^-k",
            "metric",
            "digits",
            "verdict"
        );
        for r in &report.results {
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
                    "{:<14} {:<32} {:<11} {}{:>8} {:>14} {:>12} {:>8} {:>6}  {}\n",
                    trunc(&r.case, 14),
                    trunc(&r.spec.name, 32),
                    r.spec.kind.tag().name_str(),
                    loss_col(r.spec.loss.name()),
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
        if !report.data.is_empty() {
            o += "\n";
        }
        for d in &report.data {
            o += &format!("data of {}: {}\n", d.case, d.data);
        }
        o += &format!(
            "\n{} checks: {} met their expectation, {} did not\n",
            report.checks, report.met, report.unmet
        );
        if !report.missing_jobs.is_empty() {
            o += &format!(
                "incomplete: {} jobs missing (not run): {}\n",
                report.missing_jobs.len(),
                report.missing_jobs.join(" ")
            );
        }
        if timing {
            let t: f64 = report
                .results
                .iter()
                .flat_map(|r| r.alphas.iter().map(|a| a.wall_seconds))
                .sum();
            o += &format!("integration time (summed over jobs): {t:.2} s\n");
        }
        o
    }
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
