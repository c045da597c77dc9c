//! `ibcert plot` on a regression case (no flow is integrated):
//!
//! * `regression-norms` (Woodworth et al. 2020, Fig. 1b): the excess norms of the limit
//!   `w_alpha = argmin Q^D_alpha s.t. X^T w = y` against alpha, `||w||_1/||w_l1||_1 - 1`
//!   (solid) and `||w||_2/||w_l2||_2 - 1` (dashed), one pair of curves per depth; every
//!   point a certified [`q_alpha_limit`], drawn only when its excess is certainly positive
//!   (the excess exceeds its error bound from the verified digits).
//! * `q-ratio` (Fig. 2b): `Q^D_alpha(e_1) / Q^D_alpha(1/sqrt(d))` against alpha, one curve
//!   per depth, with `Q^D_alpha(w) = sum_i q^D(w_i / alpha^D)` (the positive factor in
//!   front of the sum cancels in the ratio): 1 in the kernel regime (both have l2 norm 1),
//!   `1/sqrt(d)` in the rich one (the ratio of their l1 norms).
//!
//! The axes are log10 alpha and log10 of the excess (or the ratio itself), computed in
//! MPFR and only then converted to f64 coordinates, so that alphas far beyond f64's range
//! (10^-1000) plot as well as any.

use super::args::PlotArgs;
use super::figure::{curve_color, Figure, Scale, Series, Style};
use super::PlotKind;
use crate::case::Case;
use crate::num::{from_rational, norm2};
use crate::options::{depth_list, CliError};
use crate::reference::qmu::q_d;
use crate::reference::regression::{
    l1_excess, min_l1_interpolator, min_l2_interpolator, q_alpha_limit,
};
use crate::table::regression::grid_alpha;
use rayon::prelude::*;
use rug::{Float, Rational};

/// The default range of log10 alpha.
const DEFAULT_RANGE: (i32, i32) = (-12, 4);

/// A validated regression plot.
struct RegPlot {
    case: Case,
    kind: PlotKind,
    depths: Vec<u32>,
    /// log10 alpha from .. to, and the number of points (log-spaced)
    range: (i32, i32),
    points: usize,
    prec: u32,
}

/// Whether `kind` is drawn for regression cases.
pub fn is_regression_kind(kind: PlotKind) -> bool {
    matches!(kind, PlotKind::RegressionNorms | PlotKind::QRatio)
}

fn validate(a: &PlotArgs, case: Case) -> Result<RegPlot, CliError> {
    if case.task != crate::case::Task::Regression {
        return Err(CliError::input(format!(
            "--kind: {} is drawn for regression cases (task = \"regression\"); {} is a classification case",
            clap::ValueEnum::to_possible_value(&a.kind)
                .map(|v| v.get_name().to_string())
                .unwrap_or_default(),
            a.case.display()
        )));
    }
    let given = [
        ("--alphas", a.alphas.is_some()),
        ("--alpha-d", a.alpha_d.is_some()),
        ("--gt-max", a.gt_max.is_some()),
        ("--stop", a.stop.is_some()),
        ("--from", a.from.is_some()),
        ("--loss-fn", a.loss_fn.is_some()),
        ("--mu", !a.mu.is_empty()),
        ("--tol", a.numerics_opts.tol.is_some()),
        ("--stages", a.numerics_opts.stages.is_some()),
        ("--delta", a.delta != "0.05"),
        ("--fit-from", a.fit_from != "auto"),
    ];
    if let Some((name, _)) = given.iter().find(|(_, g)| *g) {
        return Err(CliError::input(format!(
            "{name}: not used by the regression figures (no flow is integrated): they take --depths, --log10-alpha-range, --samples and --precision"
        )));
    }
    let depths = match &a.depths {
        Some(list) => depth_list("--depths", list)?,
        None => vec![case.depth],
    };
    let range = match &a.log10_alpha_range {
        None => DEFAULT_RANGE,
        Some(r) => crate::options::log10_range("--log10-alpha-range", r)?,
    };
    if a.samples > 2000 {
        return Err(CliError::input(format!(
            "--samples: at most 2000 alphas for a regression figure, got {}",
            a.samples
        )));
    }
    if a.samples < 2 {
        return Err(CliError::input(format!(
            "--samples: at least 2 alphas are needed, got {}",
            a.samples
        )));
    }
    let prec = a.digits_opt.with(&a.numerics_opts).of(&case)?.prec;
    crate::output::check_target(&a.output)
        .map_err(|e| CliError::input(format!("--output: {e}")))?;
    Ok(RegPlot {
        case,
        kind: a.kind,
        depths,
        range,
        points: a.samples,
        prec,
    })
}

impl RegPlot {
    /// The alphas: `points` log-spaced from 10^lo to 10^hi, on the grid of
    /// [`grid_alpha`] with 1000 points per decade (exact decimals), with their log10.
    fn alphas(&self) -> Vec<(Rational, f64)> {
        let (lo, hi) = (
            i64::from(self.range.0) * 1000,
            i64::from(self.range.1) * 1000,
        );
        let n = self.points as i64;
        (0..n)
            .map(|k| {
                let j = lo + (hi - lo) * k / (n - 1);
                (grid_alpha(j, 1000), j as f64 / 1000.0)
            })
            .collect()
    }

    fn subtitle(&self, what: &str) -> String {
        format!(
            "case {} (N = {}, d = {}) · {what} · MPFR {} bits",
            self.case.name,
            self.case.n_points(),
            self.case.dim(),
            self.prec
        )
    }
}

/// log10 of a positive MPFR value as a plot coordinate.
fn log10_coord(v: &Float) -> f64 {
    Float::with_val(v.prec().max(64), v.log10_ref()).to_f64()
}

/// One alpha of Fig. 1b: log10 alpha and log10 of the two excesses (None: not certainly
/// positive).
type PointPair = (f64, Option<f64>, Option<f64>);

/// Fig. 1b.
fn norms_figure(p: &RegPlot) -> Result<Figure, CliError> {
    let (points, y) = (&p.case.points, &p.case.targets);
    let l1 = min_l1_interpolator(points, y).map_err(|e| CliError::input(e.to_string()))?;
    let l2 = min_l2_interpolator(points, y).map_err(|e| CliError::input(e.to_string()))?;
    if l1.norm1 == 0 {
        return Err(CliError::input(
            "the targets are all zero: w = 0 is the only limit, nothing to plot",
        ));
    }
    let prec = p.prec;
    let l2_norm = from_rational(prec + 64, &l2.norm2_sq).sqrt();
    let alphas = p.alphas();
    let mut fig = Figure {
        title: "Excess norms of the limit against α (Woodworth et al. 2020, Fig. 1b)".into(),
        subtitle: p.subtitle(
            "solid ‖w_α‖₁/‖w_ℓ1‖₁ − 1, dashed ‖w_α‖₂/‖w_ℓ2‖₂ − 1 · certified Q^D_α limits",
        ),
        x_label: "log10 α".into(),
        y_label: "log10 excess norm".into(),
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        series: Vec::new(),
        x_range: Some((f64::from(p.range.0), f64::from(p.range.1))),
        y_range: None,
    };
    let mut failed: Vec<String> = Vec::new();
    for (k, &depth) in p.depths.iter().enumerate() {
        let values: Vec<Result<PointPair, String>> = alphas
            .par_iter()
            .map(|(alpha, x)| {
                let s = q_alpha_limit(points, y, depth, alpha, prec).map_err(|e| {
                    format!(
                        "D = {depth}, alpha = {}: {e}",
                        crate::num::fmt_sig(&from_rational(64, alpha), 6)
                    )
                })?;
                let w = &s.solve.w;
                let e1 = l1_excess(w, s.verified_digits, &l1.norm1, prec);
                let y1 = e1
                    .certainly_above(&Float::new(prec))
                    .then(|| log10_coord(&e1.value));
                // ||w||_2 / ||w_l2||_2 - 1, with the error bound of the l1 excess's
                // componentwise level (sqrt(d) e / ||w_l2||_2)
                let n2 = norm2(prec + 64, w);
                let v2 = Float::with_val(prec + 64, &n2 / &l2_norm) - 1u32;
                let d = w.len() as u32;
                let e = crate::num::max_abs(prec, w)
                    * from_rational(prec, &crate::num::ten_pow_neg(s.verified_digits))
                    * 10u32;
                let err2 = Float::with_val(prec, Float::with_val(prec, d).sqrt() * &e) / &l2_norm;
                let y2 = (v2 > err2).then(|| log10_coord(&v2));
                Ok((*x, y1, y2))
            })
            .collect();
        let mut s1 = Vec::new();
        let mut s2 = Vec::new();
        for v in values {
            // a limit that cannot be computed leaves a gap, named on stderr and counted
            // in the subtitle
            let (x, y1, y2) = match v {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("warning: left out: {e}");
                    failed.push(e);
                    continue;
                }
            };
            if let Some(y) = y1 {
                s1.push((x, y));
            }
            if let Some(y) = y2 {
                s2.push((x, y));
            }
        }
        fig.series.push(
            Series::new(
                format!("excess ℓ1, D = {depth}"),
                curve_color(2 * k),
                Style::Line(2),
            )
            .with_points(s1),
        );
        fig.series.push(
            Series::new(
                format!("excess ℓ2, D = {depth}"),
                curve_color(2 * k + 1),
                Style::Dashed(2),
            )
            .with_points(s2),
        );
    }
    if failed.len() == alphas.len() * p.depths.len() {
        return Err(CliError::failed(format!(
            "no limit could be computed: {}",
            failed[0]
        )));
    }
    if !failed.is_empty() {
        fig.subtitle += &format!(
            " · {} of {} limits could not be computed (left out; see stderr)",
            failed.len(),
            alphas.len() * p.depths.len()
        );
    }
    Ok(fig)
}

/// `Q^D_alpha(w) = sum_i q^D(w_i / alpha^D)` for w = e_1 and w = 1/sqrt(d) (all d
/// coordinates), and their ratio, at precision `prec`.
pub fn q_ratio(depth: u32, alpha: &Rational, d: usize, prec: u32) -> Float {
    let p = prec + 32;
    let ad = from_rational(p, &rug::ops::Pow::pow(alpha.clone(), depth));
    let z1 = Float::with_val(p, 1u32) / &ad;
    let zs = Float::with_val(p, Float::with_val(p, d).sqrt().recip()) / &ad;
    let q1 = q_d(depth, &z1);
    let qs = Float::with_val(p, q_d(depth, &zs) * d as u32);
    Float::with_val(prec, q1 / qs)
}

/// Fig. 2b.
fn q_ratio_figure(p: &RegPlot) -> Result<Figure, CliError> {
    let d = p.case.dim();
    let alphas = p.alphas();
    let mut fig = Figure {
        title: "Q^D_α(e₁) / Q^D_α(1/√d) against α (Woodworth et al. 2020, Fig. 2b)".into(),
        subtitle: p.subtitle(&format!(
            "d = {d}: 1 in the kernel regime (equal ℓ2 norms), 1/√d = {} in the rich one (the ℓ1 norms)",
            crate::num::fmt_sig(&Float::with_val(64, d).sqrt().recip(), 4)
        )),
        x_label: "log10 α".into(),
        y_label: "Q^D_α(e₁) / Q^D_α(1/√d)".into(),
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        series: Vec::new(),
        x_range: Some((f64::from(p.range.0), f64::from(p.range.1))),
        y_range: Some((0.0, 1.05)),
    };
    for (k, &depth) in p.depths.iter().enumerate() {
        let pts: Vec<(f64, f64)> = alphas
            .par_iter()
            .map(|(alpha, x)| (*x, q_ratio(depth, alpha, d, p.prec).to_f64()))
            .collect();
        fig.series.push(
            Series::new(format!("D = {depth}"), curve_color(k), Style::Line(2)).with_points(pts),
        );
    }
    Ok(fig)
}

/// `ibcert plot` with a regression kind.
pub fn cmd_plot_regression(a: &PlotArgs) -> Result<(), CliError> {
    let case = Case::load(&a.case).map_err(|e| CliError::input(e.to_string()))?;
    let p = validate(a, case)?;
    let fig = match p.kind {
        PlotKind::RegressionNorms => norms_figure(&p)?,
        PlotKind::QRatio => q_ratio_figure(&p)?,
        _ => unreachable!("is_regression_kind"),
    };
    let svg = fig.to_svg().map_err(super::figure_error)?;
    crate::output::write_atomic(&a.output, svg)
        .map_err(|e| CliError::input(format!("--output: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ratio's two limits: 1 at large alpha (q ~ z^2/(4e) for D >= 3, z^2/4 for
    /// D = 2: the ratio of squared l2 norms, both 1) and 1/sqrt(d) at small alpha (q ~
    /// |z| log|z| for D = 2, ~ |z| for D >= 3: the ratio of l1 norms, up to a log factor
    /// at D = 2).
    #[test]
    fn q_ratio_limits() {
        let d = 16; // 1/sqrt(d) = 1/4
        for depth in [2u32, 3, 5] {
            let big = q_ratio(
                depth,
                &rug::ops::Pow::pow(Rational::from(10u32), 100i32),
                d,
                128,
            );
            let one = Float::with_val(128, 1u32);
            assert!(
                Float::with_val(128, &big - &one).abs() < 1e-30,
                "D = {depth}: {big}"
            );
            let small = q_ratio(
                depth,
                &rug::ops::Pow::pow(Rational::from((1, 10u32)), 300i32),
                d,
                128,
            );
            let quarter = Float::with_val(128, 0.25);
            let tol = if depth == 2 { 0.01 } else { 1e-30 };
            assert!(
                Float::with_val(128, &small - &quarter).abs() < tol,
                "D = {depth}: {small}"
            );
        }
    }
}
