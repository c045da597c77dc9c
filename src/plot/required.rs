//! Fig. 5b: the required training accuracy gt against alpha^D (log-log), one series
//! of points per depth with its least-squares line log gt = a log(alpha^D) + b drawn
//! over the range it was fitted on (the legend gives a, b and the range; points
//! outside it are drawn as rings, "not fitted"), and a second
//! panel below with the local slopes between consecutive alpha^D.
//!
//! The data come from the table module (`ibcert table`); this module only draws
//! them. Values are f64 (display only).

use super::figure::{
    curve_color, short_number, tick_label, Figure, FigureError, Marker, Scale, Series, Style,
};
use plotters::style::RGBColor;
use std::path::Path;

/// The required gt of one depth.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequiredSeries {
    pub depth: u32,
    /// (alpha^D, required gt), both > 0
    pub points: Vec<(f64, f64)>,
    /// (a, b) of log gt = a log(alpha^D) + b, natural logarithms
    pub fit: Option<(f64, f64)>,
    /// the alpha^D range the fit used (None: every point)
    pub fit_range: Option<(f64, f64)>,
    /// (alpha^D between the two points (geometric mean), local slope) per consecutive pair
    pub local_slopes: Vec<(f64, f64)>,
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

/// An end of the fitted range: a short decimal from 10^-3 to below 10^4, else 10ᵏ
/// (or a×10ᵏ).
fn range_label(v: f64) -> String {
    if (1e-3..1e4).contains(&v) {
        short_number(v)
    } else {
        tick_label(v, Scale::Log)
    }
}

/// Whether x lies in [lo, hi] up to rounding of the f64 coordinates.
fn within(x: f64, (lo, hi): (f64, f64)) -> bool {
    x >= lo * (1.0 - 1e-12) && x <= hi * (1.0 + 1e-12)
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
        let lo = s.points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let hi = s.points.iter().map(|p| p.0).fold(0f64, f64::max);
        let range = match (s.fit, s.fit_range) {
            (Some(_), Some(r)) => r,
            _ => (lo, hi),
        };
        if !(range.0.is_finite() && range.1.is_finite() && range.0 > 0.0 && range.0 <= range.1) {
            return Err(FigureError::Invalid(format!(
                "depth {}: the fitted range ({}, {}) is not a positive interval",
                s.depth, range.0, range.1
            )));
        }
        let (inside, outside): (Vec<_>, Vec<_>) = s.points.iter().partition(|p| within(p.0, range));
        fig.series.push(
            Series::new(
                format!("D = {}: required γ̃", s.depth),
                color,
                Style::Markers(Marker::Dot, 5),
            )
            .with_points(inside),
        );
        if !outside.is_empty() {
            fig.series.push(
                Series::new(
                    format!("D = {}: required γ̃, not fitted", s.depth),
                    color,
                    Style::Markers(Marker::Ring, 5),
                )
                .with_points(outside),
            );
        }
        if let Some((a, b)) = s.fit {
            if !(a.is_finite() && b.is_finite()) {
                return Err(FigureError::Invalid(format!(
                    "depth {}: the fit ({a}, {b}) is not finite",
                    s.depth
                )));
            }
            if range.0 < range.1 {
                fig.series.push(
                    Series::new(
                        format!(
                            "D = {}: fit a = {:.3}, b = {:.3} on [{}, {}]",
                            s.depth,
                            a,
                            b,
                            range_label(range.0),
                            range_label(range.1),
                        ),
                        color,
                        Style::Line(2),
                    )
                    .with_points(fit_line(a, b, range.0, range.1)),
                );
            }
        }
    }
    Ok(fig)
}

/// The lower panel: the local slopes (ln gt_{k+1} - ln gt_k) / (ln α^D_{k+1} - ln α^D_k)
/// of every depth at the geometric mean of the two α^D, with the slope 1 of Fig. 5b
/// dashed. None when no depth has two points.
pub fn local_slopes_figure(series: &[RequiredSeries]) -> Result<Option<Figure>, FigureError> {
    let mut fig = Figure {
        title: "Local slopes d ln γ̃ / d ln α^D between consecutive α^D".into(),
        subtitle: String::new(),
        x_label: "α^D  (geometric mean of the two points)".into(),
        y_label: "local slope".into(),
        x_scale: Scale::Log,
        y_scale: Scale::Linear,
        series: Vec::new(),
        x_range: None,
        y_range: None,
    };
    let (mut lo, mut hi) = (f64::INFINITY, 0f64);
    for (k, s) in series.iter().enumerate() {
        if s.local_slopes.is_empty() {
            continue;
        }
        if let Some(p) = s
            .local_slopes
            .iter()
            .find(|p| !(p.0.is_finite() && p.1.is_finite() && p.0 > 0.0))
        {
            return Err(FigureError::Invalid(format!(
                "depth {}: the local slope ({}, {}) is not finite",
                s.depth, p.0, p.1
            )));
        }
        for p in &s.local_slopes {
            lo = lo.min(p.0);
            hi = hi.max(p.0);
        }
        fig.series.push(
            Series::new(
                format!("D = {}: local slope", s.depth),
                curve_color(k),
                Style::Markers(Marker::Diamond, 6),
            )
            .with_points(s.local_slopes.clone()),
        );
    }
    if fig.series.is_empty() {
        return Ok(None);
    }
    {
        // a single local slope: the reference line around it
        let (lo, hi) = if lo < hi {
            (lo, hi)
        } else {
            (lo / 2.0, hi * 2.0)
        };
        fig.series.push(
            Series::new(
                "slope 1 (Fig. 5b, large α^D)",
                RGBColor(120, 120, 120),
                Style::Dashed(1),
            )
            .with_points(vec![(lo, 1.0), (hi, 1.0)]),
        );
    }
    Ok(Some(fig))
}

/// Stack two SVG documents of the same width (`top` above `bottom`) into one, the
/// lower one as a nested `<svg>` placed below the upper.
pub fn stack_svg(top: &str, bottom: &str) -> Result<String, FigureError> {
    let size = |s: &str| -> Option<(String, f64, String)> {
        let head_end = s.find('>')?;
        let head = &s[..head_end];
        let attr = |name: &str| -> Option<String> {
            let i = head.find(&format!(" {name}=\""))? + name.len() + 3;
            let j = head[i..].find('"')? + i;
            Some(head[i..j].to_string())
        };
        let w = attr("width")?;
        let h: f64 = attr("height")?.parse().ok()?;
        let body = s[head_end + 1..]
            .trim_end()
            .strip_suffix("</svg>")?
            .to_string();
        Some((w, h, body))
    };
    let bad = || FigureError::Invalid("cannot stack the panels".into());
    let (w, h1, b1) = size(top).ok_or_else(bad)?;
    let (_, h2, b2) = size(bottom).ok_or_else(bad)?;
    let total = h1 + h2;
    Ok(format!(
        "<svg width=\"{w}\" height=\"{total}\" viewBox=\"0 0 {w} {total}\" xmlns=\"http://www.w3.org/2000/svg\">{b1}<svg x=\"0\" y=\"{h1}\" width=\"{w}\" height=\"{h2}\">{b2}</svg>\n</svg>\n"
    ))
}

/// The whole Fig. 5b SVG: the required accuracy and, below, the local slopes;
/// `subtitles` go on the upper and the lower panel.
pub fn required_accuracy_svg(
    series: &[RequiredSeries],
    subtitles: (&str, &str),
) -> Result<String, FigureError> {
    let mut fig = required_accuracy_figure(series)?;
    fig.subtitle = subtitles.0.to_string();
    let top = fig.to_svg()?;
    match local_slopes_figure(series)? {
        Some(mut s) => {
            s.subtitle = subtitles.1.to_string();
            stack_svg(&top, &s.to_svg()?)
        }
        None => Ok(top),
    }
}

/// Render the Fig. 5b plot of `series` to the SVG file `path` (written whole, via a
/// temporary file and a rename; nothing is left behind on failure).
pub fn render_required_accuracy(series: &[RequiredSeries], path: &Path) -> Result<(), String> {
    let svg = required_accuracy_svg(series, ("", "")).map_err(|e| e.to_string())?;
    crate::output::write_atomic(path, svg).map_err(|e| e.to_string())
}
