//! A small figure description shared by every plot kind, rendered to an SVG string
//! with plotters' SVG backend (text is written as `<text>` elements, so no font
//! library is needed).
//!
//! Layout: the title on top, the chart on the left, the legend in its own column on
//! the right (never over the curves). Every solid or dashed curve is one
//! `<polyline>`; a legend line sample is a two-point `<polyline>`. Dashed curves are
//! drawn as plain polylines in a colour reserved for them and get a
//! `stroke-dasharray` attribute afterwards (plotters has no dash style of its own
//! short of drawing every dash as a separate element).
//!
//! Coordinates are f64 and for display only; the values were computed in MPFR.

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// An axis scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Linear,
    Log,
}

/// Marker shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    Dot,
    Ring,
    Square,
    Triangle,
    Cross,
    Diamond,
}

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Style {
    /// a solid line of the given width
    Line(u32),
    /// a dashed line of the given width
    Dashed(u32),
    /// one marker per point, of the given radius
    Markers(Marker, u32),
}

/// One series: its label (empty: not in the legend; such markers are drawn after
/// the labelled ones), colour, style and points.
#[derive(Clone, Debug)]
pub struct Series {
    pub label: String,
    pub color: RGBColor,
    pub style: Style,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn new(label: impl Into<String>, color: RGBColor, style: Style) -> Series {
        Series {
            label: label.into(),
            color,
            style,
            points: Vec::new(),
        }
    }

    pub fn with_points(mut self, points: Vec<(f64, f64)>) -> Series {
        self.points = points;
        self
    }
}

/// A complete figure.
#[derive(Clone, Debug)]
pub struct Figure {
    pub title: String,
    /// a second, smaller title line (settings), may be empty
    pub subtitle: String,
    pub x_label: String,
    pub y_label: String,
    pub x_scale: Scale,
    pub y_scale: Scale,
    pub series: Vec<Series>,
    /// explicit axis ranges (else: the data's, with a margin)
    pub x_range: Option<(f64, f64)>,
    pub y_range: Option<(f64, f64)>,
}

/// Colours for curves: distinguishable, printable (Okabe-Ito-like and a few more).
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 60, 160),
    RGBColor(140, 110, 20),
    RGBColor(200, 30, 60),
    RGBColor(60, 60, 60),
];

/// The colour of curve `i`.
pub fn curve_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

pub const BLACK_: RGBColor = RGBColor(0, 0, 0);
/// Reference markers (w_l2, w_l1, the start) and the Q_mu path.
pub const REF_COLOR: RGBColor = RGBColor(30, 30, 30);

const WIDTH: u32 = 1100;
const CHART_HEIGHT: u32 = 620;
const FONT: &str = "sans-serif";
const DASH: &str = "9,6";

/// Why a figure could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FigureError {
    #[error("nothing to plot: {0}")]
    Empty(String),
    #[error("cannot plot: {0}")]
    Invalid(String),
    #[error("rendering failed: {0}")]
    Render(String),
}

fn render_err<E: std::fmt::Debug>(e: E) -> FigureError {
    FigureError::Render(format!("{e:?}"))
}

impl Figure {
    /// Data range of one axis over all series (only positive values on a log axis).
    fn data_range(&self, axis: usize, scale: Scale) -> Option<(f64, f64)> {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for s in &self.series {
            for p in &s.points {
                let v = if axis == 0 { p.0 } else { p.1 };
                if scale == Scale::Log && v <= 0.0 {
                    continue;
                }
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        (lo <= hi).then_some((lo, hi))
    }

    fn axis_range(&self, axis: usize) -> Result<(f64, f64), FigureError> {
        let (given, scale, name) = if axis == 0 {
            (self.x_range, self.x_scale, &self.x_label)
        } else {
            (self.y_range, self.y_scale, &self.y_label)
        };
        let (lo, hi) = match given {
            Some(r) => r,
            None => self
                .data_range(axis, scale)
                .ok_or_else(|| FigureError::Empty(format!("no data for the axis {name}")))?,
        };
        if !(lo.is_finite() && hi.is_finite()) || lo > hi {
            return Err(FigureError::Invalid(format!(
                "axis {name}: range [{lo}, {hi}] is not finite"
            )));
        }
        if scale == Scale::Log && lo <= 0.0 {
            return Err(FigureError::Invalid(format!(
                "axis {name}: a log axis needs positive values, got {lo}"
            )));
        }
        if given.is_some() {
            return Ok((lo, hi));
        }
        Ok(match scale {
            Scale::Linear => {
                let span = hi - lo;
                let pad = if span > 0.0 {
                    0.04 * span
                } else {
                    0.05 * lo.abs().max(1e-3)
                };
                (lo - pad, hi + pad)
            }
            Scale::Log => {
                let (a, b) = (lo.log10(), hi.log10());
                let pad = if b > a { 0.03 * (b - a) } else { 0.1 };
                (10f64.powf(a - pad), 10f64.powf(b + pad))
            }
        })
    }

    /// Render to an SVG document.
    pub fn to_svg(&self) -> Result<String, FigureError> {
        for s in &self.series {
            if let Some(p) = s
                .points
                .iter()
                .find(|p| !(p.0.is_finite() && p.1.is_finite()))
            {
                return Err(FigureError::Invalid(format!(
                    "series '{}' has a non-finite point ({}, {})",
                    s.label, p.0, p.1
                )));
            }
        }
        for s in &self.series {
            let bad = s.points.iter().find(|p| {
                (self.x_scale == Scale::Log && p.0 <= 0.0)
                    || (self.y_scale == Scale::Log && p.1 <= 0.0)
            });
            if let Some(p) = bad {
                return Err(FigureError::Invalid(format!(
                    "series '{}' has the point ({}, {}), not positive on a log axis",
                    s.label, p.0, p.1
                )));
            }
        }
        if self.series.iter().all(|s| s.points.is_empty()) {
            return Err(FigureError::Empty(self.title.clone()));
        }
        let xr = self.axis_range(0)?;
        let yr = self.axis_range(1)?;
        let dashed = self.dashed_colors()?;
        let legend: Vec<&Series> = {
            let mut seen = std::collections::HashSet::new();
            self.series
                .iter()
                .filter(|s| !s.label.is_empty() && seen.insert(s.label.clone()))
                .collect()
        };
        let legend_rows = legend.len() as u32;
        let height = CHART_HEIGHT.max(110 + 26 * legend_rows);
        let longest = legend
            .iter()
            .map(|s| s.label.chars().count())
            .max()
            .unwrap_or(0) as u32;
        let legend_w = (70 + 9 * longest).clamp(180, 460);
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
            root.fill(&WHITE).map_err(render_err)?;
            let root = root
                .titled(&self.title, (FONT, 24).into_font())
                .map_err(render_err)?;
            let (sub, body) = root.split_vertically(if self.subtitle.is_empty() { 4 } else { 26 });
            if !self.subtitle.is_empty() {
                sub.draw(&Text::new(
                    self.subtitle.clone(),
                    (WIDTH as i32 / 2, 2),
                    (FONT, 15)
                        .into_font()
                        .color(&RGBColor(70, 70, 70))
                        .pos(Pos::new(HPos::Center, VPos::Top)),
                ))
                .map_err(render_err)?;
            }
            let (chart_area, legend_area) = body.split_horizontally(WIDTH - legend_w);
            let chart_area = chart_area.shrink((0, 0), (WIDTH - legend_w, CHART_HEIGHT - 60));
            let x_lin = xr.0..xr.1;
            let y_lin = yr.0..yr.1;
            match (self.x_scale, self.y_scale) {
                (Scale::Linear, Scale::Linear) => self.draw_chart(&chart_area, x_lin, y_lin)?,
                (Scale::Log, Scale::Linear) => {
                    self.draw_chart(&chart_area, x_lin.log_scale(), y_lin)?
                }
                (Scale::Linear, Scale::Log) => {
                    self.draw_chart(&chart_area, x_lin, y_lin.log_scale())?
                }
                (Scale::Log, Scale::Log) => {
                    self.draw_chart(&chart_area, x_lin.log_scale(), y_lin.log_scale())?
                }
            }
            draw_legend(&legend_area, &legend)?;
            root.present().map_err(render_err)?;
        }
        Ok(apply_dashes(&svg, &dashed))
    }

    /// The colours of the dashed series; a solid line must not share one.
    fn dashed_colors(&self) -> Result<Vec<String>, FigureError> {
        let hex = |c: &RGBColor| format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
        let dashed: Vec<String> = self
            .series
            .iter()
            .filter(|s| matches!(s.style, Style::Dashed(_)))
            .map(|s| hex(&s.color))
            .collect();
        for s in &self.series {
            if matches!(s.style, Style::Line(_)) && dashed.contains(&hex(&s.color)) {
                return Err(FigureError::Invalid(format!(
                    "solid series '{}' shares its colour with a dashed one",
                    s.label
                )));
            }
        }
        Ok(dashed)
    }

    fn draw_chart<X, Y>(
        &self,
        area: &DrawingArea<SVGBackend, Shift>,
        x: X,
        y: Y,
    ) -> Result<(), FigureError>
    where
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(56)
            .y_label_area_size(84)
            .build_cartesian_2d(x, y)
            .map_err(render_err)?;
        let xs = self.x_scale;
        let ys = self.y_scale;
        let xf = move |v: &f64| tick_label(*v, xs);
        let yf = move |v: &f64| tick_label(*v, ys);
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .axis_desc_style((FONT, 18))
            .label_style((FONT, 14))
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .x_labels(9)
            .y_labels(9)
            .light_line_style(RGBColor(240, 240, 240))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(render_err)?;
        // lines first, then markers on top of every line
        for s in &self.series {
            if let Style::Line(w) | Style::Dashed(w) = s.style {
                if s.points.len() >= 2 {
                    chart
                        .draw_series(LineSeries::new(
                            s.points.iter().copied(),
                            s.color.stroke_width(w),
                        ))
                        .map_err(render_err)?;
                }
            }
        }
        let plot = chart.plotting_area();
        let base = plot.get_base_pixel();
        let pixels = plot.strip_coord_spec();
        // reference markers (with a legend entry), then the unlabelled points on
        // the curves, which must stay visible where a curve reaches a reference
        let labelled = self.series.iter().filter(|s| !s.label.is_empty());
        let on_curves = self.series.iter().filter(|s| s.label.is_empty());
        for s in labelled.chain(on_curves) {
            if let Style::Markers(m, r) = s.style {
                for p in &s.points {
                    let (x, y) = plot.map_coordinate(p);
                    draw_marker(&pixels, (x - base.0, y - base.1), m, r, s.color)?;
                }
            }
        }
        Ok(())
    }
}

/// One marker centred at the pixel `at` of `area`.
fn draw_marker(
    area: &DrawingArea<SVGBackend, Shift>,
    at: (i32, i32),
    m: Marker,
    r: u32,
    c: RGBColor,
) -> Result<(), FigureError> {
    let ri = r as i32;
    let e = EmptyElement::at(at);
    let outline = BLACK.stroke_width(1);
    let res = match m {
        Marker::Dot => {
            area.draw(&(e + Circle::new((0, 0), r, c.filled()) + Circle::new((0, 0), r, outline)))
        }
        Marker::Ring => area.draw(
            &(e + Circle::new((0, 0), r, WHITE.filled())
                + Circle::new((0, 0), r, c.stroke_width(2))),
        ),
        Marker::Square => area.draw(
            &(e + Rectangle::new([(-ri, -ri), (ri, ri)], c.filled())
                + Rectangle::new([(-ri, -ri), (ri, ri)], outline)),
        ),
        Marker::Triangle => area.draw(&(e + TriangleMarker::new((0, 0), r + 2, c.filled()))),
        Marker::Cross => area.draw(&(e + Cross::new((0, 0), r, c.stroke_width(3)))),
        Marker::Diamond => {
            let k = ri + 2;
            let pts = vec![(0, -k), (k, 0), (0, k), (-k, 0)];
            let mut closed = pts.clone();
            closed.push((0, -k));
            area.draw(&(e + Polygon::new(pts, c.filled()) + PathElement::new(closed, outline)))
        }
    };
    res.map_err(render_err)
}

fn draw_legend(
    area: &DrawingArea<SVGBackend, Shift>,
    entries: &[&Series],
) -> Result<(), FigureError> {
    let x0 = 8;
    let mut y = 40;
    area.draw(&Text::new(
        "Legend",
        (x0, y - 26),
        (FONT, 16).into_font().style(FontStyle::Bold),
    ))
    .map_err(render_err)?;
    for s in entries {
        let c = s.color;
        match s.style {
            Style::Line(w) | Style::Dashed(w) => area
                .draw(&PathElement::new(
                    vec![(x0, y), (x0 + 36, y)],
                    c.stroke_width(w.max(2)),
                ))
                .map_err(render_err)?,
            Style::Markers(m, r) => draw_marker(area, (x0 + 18, y), m, r, c)?,
        }
        area.draw(&Text::new(
            s.label.clone(),
            (x0 + 46, y),
            (FONT, 15)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(render_err)?;
        y += 26;
    }
    Ok(())
}

/// Add `stroke-dasharray` to the polylines drawn in a dashed series' colour.
fn apply_dashes(svg: &str, colors: &[String]) -> String {
    if colors.is_empty() {
        return svg.to_string();
    }
    let mut out = String::with_capacity(svg.len() + 64);
    for line in svg.split_inclusive('\n') {
        let dashed = line.trim_start().starts_with("<polyline")
            && colors
                .iter()
                .any(|c| line.contains(&format!("stroke=\"{c}\"")));
        if dashed {
            out.push_str(&line.replacen(
                "<polyline",
                &format!("<polyline stroke-dasharray=\"{DASH}\""),
                1,
            ));
        } else {
            out.push_str(line);
        }
    }
    out
}

const SUPERSCRIPT: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];

/// 10 to an integer power, with superscript digits: 10⁻³.
pub fn pow10_label(k: i64) -> String {
    let mut s = String::from("10");
    if k < 0 {
        s.push('⁻');
    }
    for ch in k.unsigned_abs().to_string().chars() {
        s.push(SUPERSCRIPT[ch.to_digit(10).unwrap_or(0) as usize]);
    }
    s
}

/// A short decimal label: up to 4 significant digits, trailing zeros removed, and
/// `a×10ᵏ` outside [10⁻³, 10⁵).
pub fn short_number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { format!("{v}") };
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        let k = a.log10().floor() as i64;
        let m = v / 10f64.powi(k as i32);
        let ms = trim_zeros(&format!("{m:.2}"));
        return if ms == "1" {
            pow10_label(k)
        } else if ms == "-1" {
            format!("-{}", pow10_label(k))
        } else {
            format!("{ms}×{}", pow10_label(k))
        };
    }
    let k = a.log10().floor() as i64;
    let decimals = (3 - k).clamp(0, 6) as usize;
    trim_zeros(&format!("{v:.decimals$}"))
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        let t = s.trim_end_matches('0').trim_end_matches('.');
        if t == "-0" {
            "0".into()
        } else {
            t.into()
        }
    } else {
        s.into()
    }
}

/// Tick labels: powers of ten on log axes as 10ᵏ, other values short.
pub fn tick_label(v: f64, scale: Scale) -> String {
    if scale == Scale::Log && v > 0.0 {
        let l = v.log10();
        let r = l.round();
        if (l - r).abs() < 1e-9 {
            return pow10_label(r as i64);
        }
    }
    short_number(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(pow10_label(-12), "10⁻¹²");
        assert_eq!(pow10_label(0), "10⁰");
        assert_eq!(tick_label(1000.0, Scale::Log), "10³");
        assert_eq!(tick_label(0.01, Scale::Log), "10⁻²");
        assert_eq!(tick_label(20.0, Scale::Log), "20");
        assert_eq!(short_number(0.25), "0.25");
        assert_eq!(short_number(0.1 + 0.2), "0.3");
        assert_eq!(short_number(-0.0), "0");
        assert_eq!(short_number(2e7), "2×10⁷");
        assert_eq!(short_number(1e-6), "10⁻⁶");
        assert_eq!(short_number(123.456), "123.5");
    }

    #[test]
    fn dashes_only_on_the_reserved_colour() {
        let svg = "<svg>\n<polyline fill=\"none\" stroke=\"#010203\" points=\"1,2 3,4 \"/>\n\
                   <polyline fill=\"none\" stroke=\"#0A0B0C\" points=\"1,2 3,4 \"/>\n</svg>\n";
        let out = apply_dashes(svg, &["#010203".to_string()]);
        assert_eq!(out.matches("stroke-dasharray").count(), 1);
        assert!(out.contains("<polyline stroke-dasharray=\"9,6\" fill=\"none\" stroke=\"#010203\""));
    }

    #[test]
    fn rejects_non_finite_and_empty() {
        let mut f = Figure {
            title: "t".into(),
            subtitle: String::new(),
            x_label: "x".into(),
            y_label: "y".into(),
            x_scale: Scale::Log,
            y_scale: Scale::Linear,
            series: vec![],
            x_range: None,
            y_range: None,
        };
        assert!(matches!(f.to_svg(), Err(FigureError::Empty(_))));
        f.series.push(
            Series::new("a", curve_color(0), Style::Line(2)).with_points(vec![(1.0, f64::NAN)]),
        );
        assert!(matches!(f.to_svg(), Err(FigureError::Invalid(_))));
        f.series[0].points = vec![(-1.0, 1.0), (0.0, 2.0)];
        assert!(matches!(f.to_svg(), Err(FigureError::Invalid(_))));
    }
}
