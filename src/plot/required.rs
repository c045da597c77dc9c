//! Fig. 5b: the required training accuracy gt against alpha^D (log-log), one series
//! of points per depth with its least-squares line log gt = a log(alpha^D) + b.
//!
//! The data come from the table module (`ibcert table`); this module only draws
//! them. Values are f64 (display only).

use super::figure::{curve_color, Figure, FigureError, Marker, Scale, Series, Style};
use std::path::Path;

/// The required gt of one depth.
#[derive(Clone, Debug, PartialEq)]
pub struct RequiredSeries {
    pub depth: u32,
    /// (alpha^D, required gt), both > 0
    pub points: Vec<(f64, f64)>,
    /// (a, b) of log gt = a log(alpha^D) + b, natural logarithms
    pub fit: Option<(f64, f64)>,
}

/// Points on the fitted line over [lo, hi], log-spaced (a straight line on the
/// log-log axes, drawn as a polyline).
fn fit_line(a: f64, b: f64, lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let (l, h) = (lo.ln(), hi.ln());
    let n = 48;
    (0..=n)
        .map(|k| {
            let x = (l + (h - l) * k as f64 / n as f64).exp();
            (x, (a * x.ln() + b).exp())
        })
        .collect()
}

/// The figure for `series` (title and axes fixed; the caller may set a subtitle).
pub fn required_accuracy_figure(series: &[RequiredSeries]) -> Result<Figure, FigureError> {
    if series.is_empty() {
        return Err(FigureError::Empty("no depth to plot".into()));
    }
    let mut fig = Figure {
        title: "Training accuracy required to approach w_ℓ1 (Fig. 5b)".into(),
        subtitle: String::new(),
        x_label: "α^D  (initialization scale to the depth)".into(),
        y_label: "required accuracy γ̃ = −log(loss)".into(),
        x_scale: Scale::Log,
        y_scale: Scale::Log,
        series: Vec::new(),
        x_range: None,
        y_range: None,
    };
    for (k, s) in series.iter().enumerate() {
        if let Some(p) = s
            .points
            .iter()
            .find(|p| !(p.0.is_finite() && p.1.is_finite() && p.0 > 0.0 && p.1 > 0.0))
        {
            return Err(FigureError::Invalid(format!(
                "depth {}: the point ({}, {}) is not positive and finite",
                s.depth, p.0, p.1
            )));
        }
        let color = curve_color(k);
        fig.series.push(
            Series::new(
                format!("D = {}: required γ̃", s.depth),
                color,
                Style::Markers(Marker::Dot, 5),
            )
            .with_points(s.points.clone()),
        );
        if let Some((a, b)) = s.fit {
            if !(a.is_finite() && b.is_finite()) {
                return Err(FigureError::Invalid(format!(
                    "depth {}: the fit ({a}, {b}) is not finite",
                    s.depth
                )));
            }
            let lo = s.points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
            let hi = s.points.iter().map(|p| p.0).fold(0f64, f64::max);
            if lo < hi {
                let sign = if b < 0.0 { "−" } else { "+" };
                fig.series.push(
                    Series::new(
                        format!(
                            "D = {}: fit ln γ̃ = {:.3} ln α^D {sign} {:.3}",
                            s.depth,
                            a,
                            b.abs()
                        ),
                        color,
                        Style::Line(2),
                    )
                    .with_points(fit_line(a, b, lo, hi)),
                );
            }
        }
    }
    Ok(fig)
}

/// Render the Fig. 5b plot of `series` to the SVG file `path` (written whole, via a
/// temporary file and a rename; nothing is left behind on failure).
pub fn render_required_accuracy(series: &[RequiredSeries], path: &Path) -> Result<(), String> {
    let svg = required_accuracy_figure(series)
        .and_then(|f| f.to_svg())
        .map_err(|e| e.to_string())?;
    crate::output::write_atomic(path, svg).map_err(|e| e.to_string())
}
