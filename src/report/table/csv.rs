//! CSV: one line per row, the μ points as columns; a first column `loss` when the
//! table involves a loss other than exp.

use super::{RowReport, TableReport};
use crate::report::Exporter;

pub(super) struct Csv;

impl Exporter<TableReport> for Csv {
    /// One line per row; μ points as columns mu_<k>_gt, mu_<k>_distance.
    fn export(&self, report: &TableReport) -> String {
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
            "required_local_slope",
            "required_fitted",
            "required_fit_rule",
            "required_fit_a",
            "required_fit_b",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        let named = report.settings.losses.is_some();
        if named {
            head.insert(0, "loss".to_string());
        }
        for k in 0..report.settings.mus.len() {
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
        for r in &report.rows {
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
            if named {
                f.insert(0, r.loss.clone().unwrap_or_default());
            }
            f.extend(fit_columns(report, r));
            for m in &r.mu_points {
                f.push(opt(m.at.as_ref().map(|g| &g.gt)));
                f.push(opt(m.distance.as_ref().map(|d| &d.value)));
                f.push(dig(m.distance.as_ref().map(|d| d.digits)));
            }
            out += &(f.join(",") + "\n");
        }
        out
    }
}

/// The row's place in its depth's required-accuracy fit: the local slope from the
/// next smaller alpha^D (empty for the smallest), whether the row is one of the fitted
/// points, the fit's rule, a and b (empty when the depth has no fit or the row no gt).
fn fit_columns(report: &TableReport, r: &RowReport) -> [String; 5] {
    let Some(f) = report
        .fits
        .required
        .iter()
        .find(|f| f.depth == r.depth && f.loss == r.loss)
    else {
        return Default::default();
    };
    let Some(k) = f.alpha_d.iter().position(|a| *a == r.alpha_d) else {
        return Default::default();
    };
    let first = f.points - f.fitted_points;
    let rule = match &f.slope_spread {
        Some(s) => format!("auto (local slopes within {s})"),
        None => f.rule.clone(),
    };
    [
        k.checked_sub(1)
            .map(|j| f.local_slopes[j].clone())
            .unwrap_or_default(),
        (k >= first).to_string(),
        rule,
        f.a.clone(),
        f.b.clone(),
    ]
}
