//! Markdown tables for people; numbers shortened to at most `max_digits` significant
//! digits (never more than verified; the CSV and JSON carry all verified digits).
//! With several losses the required accuracies of a (D, alpha) stand side by side, one
//! column group per loss, and the other sections carry a `loss` column.

use super::{FitReport, GtValue, RowReport, TableReport};
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
        let losses = report.settings.losses.as_deref();
        // several losses: a loss column (and the required accuracies side by side)
        let multi = losses.is_some_and(|l| l.len() > 1);
        let lc = |r: &RowReport| match (multi, &r.loss) {
            (true, Some(l)) => format!("{l} | "),
            _ => String::new(),
        };
        let (lh, ls) = if multi {
            ("loss fn | ", "---|")
        } else {
            ("", "")
        };
        o += &format!(
            "# ibcert table: {}{}{}\n\n",
            report.case.name,
            report
                .case
                .path
                .as_ref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default(),
            match losses {
                Some([l]) => format!(", {l} loss"),
                Some(ls) => format!(", {} losses", ls.join(" and ")),
                None => String::new(),
            }
        );
        if let Some(ls) = losses {
            let starts: Vec<String> = ls
                .iter()
                .map(|l| {
                    let start = crate::flow::Loss::parse(l).map_or("?", |l| l.describe_start());
                    format!("{l} (training from gt = {start})")
                })
                .collect();
            o += &format!("Loss: {}.\n\n", starts.join(", "));
        }
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
        let stays = |r: &RowReport| match (&r.first, &r.recross) {
            (Some(f), Some(x)) => format!("{} (above again at {})", f.short(m).0, x.short(m).0),
            (Some(_), None) => "same".to_string(),
            _ => "—".to_string(),
        };
        match losses {
            Some(ls) if multi => {
                // one line per (D, alpha^D), one column group per loss
                let mut head = "| D | alpha^D | alpha |".to_string();
                let mut n = 3;
                for l in ls {
                    head += &format!(" required gt ({l}) | loss | digits |");
                    n += 3;
                }
                for l in ls {
                    head += &format!(" first below ({l}) |");
                    n += 1;
                }
                for l in ls {
                    head += &format!(" integrated to ({l}) |");
                    n += 1;
                }
                o += &format!("{head}\n|{}\n", "---|".repeat(n));
                let mut keys: Vec<(u32, &str)> = Vec::new();
                for r in &report.rows {
                    if !keys.contains(&(r.depth, r.alpha_d.as_str())) {
                        keys.push((r.depth, r.alpha_d.as_str()));
                    }
                }
                for (d, ad) in keys {
                    let of = |l: &String| {
                        report
                            .rows
                            .iter()
                            .find(|r| r.depth == d && r.alpha_d == ad && r.loss.as_ref() == Some(l))
                    };
                    let alpha = ls
                        .iter()
                        .find_map(|l| of(l).map(|r| r.alpha.clone()))
                        .unwrap_or_default();
                    let mut line = format!("| {d} | {ad} | {alpha} |");
                    for l in ls {
                        line += &match of(l) {
                            Some(r) => format!(" {} |", g(&r.required)),
                            None => " not computed | — | — |".to_string(),
                        };
                    }
                    for l in ls {
                        line += &format!(" {} |", of(l).map_or("—".to_string(), stays));
                    }
                    for l in ls {
                        line +=
                            &format!(" {} |", of(l).map_or("—".to_string(), |r| r.gt_end.clone()));
                    }
                    o += &line;
                    o += "\n";
                }
            }
            _ => {
                o += "| D | alpha^D | alpha | gt | loss | digits | first below | integrated to |\n";
                o += "|---|---|---|---|---|---|---|---|\n";
                for r in &report.rows {
                    o += &format!(
                        "| {} | {} | {} | {} | {} | {} |\n",
                        r.depth,
                        r.alpha_d,
                        r.alpha,
                        g(&r.required),
                        stays(r),
                        r.gt_end
                    );
                }
            }
        }
        o += "\n## Kernel regime: closest approach of w/||w||_2 to w_l2/||w_l2||_2, and where the distance reaches delta again\n\n";
        o += &format!("| {lh}D | alpha^D | gt* (closest) | loss | digits | distance at gt* | exit gt | loss | digits |\n");
        o += &format!("|{ls}---|---|---|---|---|---|---|---|---|\n");
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
                "| {}{} | {} | {} | {} | {} |\n",
                lc(r),
                r.depth,
                r.alpha_d,
                c,
                dist,
                exit
            );
        }
        if !report.settings.mus.is_empty() {
            o += "\n## mu points: gt = alpha^D / mu and ||w_hat - w_mu||_2 / ||w_mu||_2\n\n";
            o += &format!("| {lh}D | alpha^D | mu | gt | loss | distance to w_mu | digits |\n");
            o += &format!("|{ls}---|---|---|---|---|---|---|\n");
            for r in &report.rows {
                for mp in &r.mu_points {
                    match (&mp.at, &mp.distance) {
                        (Some(a), Some(d)) => {
                            o += &format!(
                                "| {}{} | {} | {} | {} | 10^-{} | {} | {} |\n",
                                lc(r),
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
                                "| {}{} | {} | {} | beyond gt_end = {} | — | — | — |\n",
                                lc(r),
                                r.depth,
                                r.alpha_d,
                                mp.mu,
                                r.gt_end
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
            let mut o = format!("\n## {title}\n\n| {lh}D | fitted over alpha^D | rule | points | a | b | residuals | local slopes (alpha^D ascending) |\n|{ls}---|---|---|---|---|---|---|---|\n");
            for f in fs {
                let rule = match &f.slope_spread {
                    Some(s) => format!("{} (local slopes within {s})", f.rule),
                    None => f.rule.clone(),
                };
                let fl = match (multi, &f.loss) {
                    (true, Some(l)) => format!("{l} | "),
                    _ => String::new(),
                };
                o += &format!(
                    "| {}{} | [{}, {}] | {} | {} of {} | {} | {} | {} | {} |\n",
                    fl,
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
        let mut depths: Vec<(Option<&String>, u32)> = report
            .rows
            .iter()
            .map(|r| (r.loss.as_ref(), r.depth))
            .collect();
        depths.dedup();
        let unfitted: Vec<String> = depths
            .iter()
            .filter(|(l, d)| {
                !report
                    .fits
                    .required
                    .iter()
                    .any(|f| f.depth == *d && f.loss.as_ref() == *l)
            })
            .map(|(l, d)| match (multi, l) {
                (true, Some(l)) => format!("{d} ({l})"),
                _ => d.to_string(),
            })
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
                r.warnings.iter().map(move |w| {
                    let l = match (multi, &r.loss) {
                        (true, Some(l)) => format!("{l} loss, "),
                        _ => String::new(),
                    };
                    format!("- {l}D = {}, alpha^D = {}: {w}", r.depth, r.alpha_d)
                })
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
