//! Markdown tables for people; numbers shortened to at most `max_digits` significant
//! digits (never more than verified; the CSV and JSON carry all verified digits).

use super::{FitReport, GtValue, TableReport};
use crate::report::Exporter;
use crate::report::UNVERIFIED_DIGITS;

pub(super) struct Markdown {
    pub max_digits: u32,
}

impl Exporter<TableReport> for Markdown {
    /// Markdown tables; numbers shortened to at most `max_digits` significant digits
    /// (never more than verified; the CSV and JSON carry all verified digits).
    fn export(&self, report: &TableReport) -> String {
        let max_digits = self.max_digits;
        let m = max_digits;
        let g = |v: &Option<GtValue>| match v {
            Some(v) => {
                let (a, k) = v.short(m);
                format!("{a} | 10^-{k} | {}", digits_cell(v.digits))
            }
            None => "— | — | —".to_string(),
        };
        let mut o = String::new();
        if !report.missing_rows.is_empty() {
            o += &format!(
                "**Incomplete: {} rows not computed (job ids {}).**\n\n",
                report.missing_rows.len(),
                report.missing_rows.join(", ")
            );
        }
        o += &format!(
            "# ibcert table: {}{}\n\n",
            report.case.name,
            report
                .case
                .path
                .as_ref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        );
        o += &format!(
            "delta = {}; {} points in dimension {}; precision {} bits, tolerance {}, {} stages; {}.\n\n",
            report.settings.delta,
            report.case.points,
            report.case.dim,
            report.settings.numerics.precision,
            report.settings.numerics.tolerance,
            report.settings.numerics.stages,
            match &report.settings.verification {
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
        for r in &report.rows {
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
        for r in &report.rows {
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
        if !report.settings.mus.is_empty() {
            o += "\n## mu points: gt = alpha^D / mu and ||w_hat - w_mu||_2 / ||w_mu||_2\n\n";
            o += "| D | alpha^D | mu | gt | loss | distance to w_mu | digits |\n";
            o += "|---|---|---|---|---|---|---|\n";
            for r in &report.rows {
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
            let mut o = format!("\n## {title}\n\n| D | fitted over alpha^D | rule | points | a | b | residuals | local slopes (alpha^D ascending) |\n|---|---|---|---|---|---|---|---|\n");
            for f in fs {
                let rule = match &f.slope_spread {
                    Some(s) => format!("{} (local slopes within {s})", f.rule),
                    None => f.rule.clone(),
                };
                o += &format!(
                    "| {} | [{}, {}] | {} | {} of {} | {} | {} | {} | {} |\n",
                    f.depth,
                    f.alpha_d_from,
                    f.alpha_d_to,
                    rule,
                    f.fitted_points,
                    f.points,
                    f.a,
                    f.b,
                    f.residuals.join(", "),
                    f.local_slopes.join(", ")
                );
            }
            o += "\n(local slope k is between the k-th and (k+1)-th alpha^D in ascending order, over every point; a and b are fitted over the range shown.)\n";
            o
        };
        o += &fits(
            "Fit of the required accuracy: ln gt = a ln(alpha^D) + b (natural logarithms)",
            &report.fits.required,
        );
        let mut depths: Vec<u32> = report.rows.iter().map(|r| r.depth).collect();
        depths.dedup();
        let unfitted: Vec<String> = depths
            .iter()
            .filter(|d| !report.fits.required.iter().any(|f| f.depth == **d))
            .map(|d| d.to_string())
            .collect();
        if !unfitted.is_empty() && report.rows.iter().filter(|r| r.required.is_some()).count() > 0 {
            o += &format!(
                "\nNo required-accuracy fit at D = {}: fewer than two located points in the fitted range.\n",
                unfitted.join(", ")
            );
        }
        o += &fits(
            "Fit of the closest approach: ln gt* = a ln(alpha^D) + b (gt* ~ alpha^(a D))",
            &report.fits.closest,
        );
        let warn: Vec<String> = report
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
        if let Some(w) = report.wall_seconds {
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
