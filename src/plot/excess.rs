//! Fig. 5a (excess l1 norm against gt) and Fig. 7 (excess l1 against excess l2).
//!
//! Both use the paper's normalized predictor w_hat = w / gamma (margin 1, as in
//! [`crate::flow::Summary`]): excess l1 = ||w_hat||_1 / ||w_l1||_1 - 1 and
//! excess l2 = ||w_hat||_2 / ||w_l2||_2 - 1, in MPFR. Samples where gamma <= 0
//! (w_hat undefined, early on for data whose mean does not separate them) are not
//! drawn, nor the leading samples whose excess is above twice that of the start
//! direction and of w_l2 (where gamma has just turned positive and w_hat is huge).

use super::figure::{curve_color, Figure, Marker, Scale, Series, Style, REF_COLOR};
use super::{f64_of, PathOut, PlotJob, PlotReferences};
use crate::flow::DiagFlow;
use crate::options::CliError;
use crate::reference::qmu::{qmu_path, QmuError};
use rug::{Float, Rational};

/// Marker shape of the i-th mu of `--mu` (shapes not used for the reference
/// points: the start is a square, w_l2 a triangle, w_l1 a dot).
pub fn iso_marker(i: usize) -> Marker {
    [Marker::Ring, Marker::Diamond, Marker::Cross][i % 3]
}

/// Legend text of the mu-iso points.
pub fn iso_label(mu: &Rational) -> String {
    format!("γ̃ = α^D/μ, μ = {}", super::alpha_text(mu))
}

/// The points of one path with a defined value, less the leading ones above `cap`
/// (in any coordinate given by `key`).
fn trim_leading<T: Clone>(
    pts: &[(Float, Option<T>)],
    cap: f64,
    key: impl Fn(&T) -> f64,
) -> Vec<(Float, T)> {
    let defined: Vec<(Float, T)> = pts
        .iter()
        .filter_map(|(g, v)| v.clone().map(|v| (g.clone(), v)))
        .collect();
    let first = defined
        .iter()
        .position(|(_, v)| key(v) <= cap)
        .unwrap_or(defined.len());
    defined[first..].to_vec()
}

/// The cap for leading samples: twice the largest of the start direction's and
/// w_l2's values (and at least 0.1).
fn cap_of(vals: &[Option<f64>]) -> f64 {
    2.0 * vals.iter().flatten().fold(0.05f64, |a, &b| a.max(b))
}

/// (excess l1, excess l2) at a sample, None where the margin is not positive.
type ExcessPair = Option<(f64, f64)>;

fn excess_paths(
    job: &PlotJob,
    refs: &PlotReferences,
) -> Result<Vec<PathOut<ExcessPair>>, CliError> {
    job.run_paths(|flow: &DiagFlow, _gt: &Float, y: &[Float]| {
        let der = flow.derive(&y[..flow.n]);
        refs.excess(flow, &der.w)
            .map(|(e1, e2)| (f64_of(&e1), f64_of(&e2)))
    })
}

fn add_iso(fig: &mut Figure, color: plotters::style::RGBColor, pts: Vec<(usize, (f64, f64))>) {
    for (i, p) in pts {
        fig.series
            .push(Series::new("", color, Style::Markers(iso_marker(i), 6)).with_points(vec![p]));
    }
}

fn iso_legend(fig: &mut Figure, job: &PlotJob) {
    for (i, mu) in job.mus.iter().enumerate() {
        fig.series.push(Series::new(
            iso_label(mu),
            REF_COLOR,
            Style::Markers(iso_marker(i), 6),
        ));
    }
}

/// Fig. 5a: excess l1 norm against gt (log axis), one curve per (D, alpha).
pub fn excess_l1_figure(job: &PlotJob) -> Result<Figure, CliError> {
    let refs = PlotReferences::new(&job.z, job.numerics.prec)?;
    let paths = excess_paths(job, &refs)?;
    let probe = DiagFlow::new(
        &job.z,
        job.depths[0],
        &job.specs[0].alpha,
        job.numerics.prec,
    )
    .with_loss(job.loss);
    let l2_ex = refs
        .excess_exact(&probe, &refs.l2.w)
        .map(|(e1, _)| f64_of(&e1));
    let start_ex = refs
        .excess_exact(&probe, &refs.mean)
        .map(|(e1, _)| f64_of(&e1));
    let cap = cap_of(&[l2_ex, start_ex]);
    let mut fig = Figure {
        title: "Excess ℓ1 norm along the path (Fig. 5a)".into(),
        subtitle: job.subtitle(),
        x_label: "training accuracy γ̃ = −log(loss)".into(),
        y_label: "excess ℓ1 norm  ‖ŵ‖₁/‖w_ℓ1‖₁ − 1".into(),
        x_scale: Scale::Log,
        y_scale: Scale::Linear,
        series: Vec::new(),
        x_range: None,
        y_range: None,
    };
    let mut x_lo = f64::INFINITY;
    let mut x_hi = 0f64;
    let mut y_hi = 0f64;
    for (k, path) in paths.iter().enumerate() {
        let color = curve_color(k);
        let pts: Vec<(Float, Option<f64>)> = path
            .points
            .iter()
            .map(|(g, v)| (g.clone(), v.map(|(e1, _)| e1)))
            .collect();
        let kept = trim_leading(&pts, cap, |v| *v);
        let xy: Vec<(f64, f64)> = kept.iter().map(|(g, v)| (f64_of(g), *v)).collect();
        for &(x, y) in &xy {
            x_lo = x_lo.min(x);
            x_hi = x_hi.max(x);
            y_hi = y_hi.max(y);
        }
        if xy.len() < 2 {
            return Err(CliError::failed(format!(
                "{}: fewer than 2 samples have a positive margin and an excess within the plotted range; raise --gt-max or --samples",
                path.spec.label(true)
            )));
        }
        fig.series.push(
            Series::new(path.spec.label(job.several_depths()), color, Style::Line(2))
                .with_points(xy),
        );
        let iso: Vec<(usize, (f64, f64))> = path
            .iso
            .iter()
            .filter_map(|(mu, g, v)| {
                let i = job.mus.iter().position(|m| m == mu)?;
                v.map(|(e1, _)| (i, (f64_of(g), e1)))
            })
            .filter(|(_, (_, y))| *y <= cap)
            .collect();
        add_iso(&mut fig, color, iso);
    }
    if let Some(e) = l2_ex {
        if e <= cap {
            fig.series.push(
                Series::new(
                    format!("w_ℓ2 (kernel limit): {}", super::figure::short_number(e)),
                    REF_COLOR,
                    Style::Dashed(1),
                )
                .with_points(vec![(x_lo, e), (x_hi, e)]),
            );
            y_hi = y_hi.max(e);
        }
    }
    iso_legend(&mut fig, job);
    fig.y_range = Some((0.0, 1.05 * y_hi.max(1e-12)));
    Ok(fig)
}

/// The mu grid of the dashed Q_mu path, in drawing order: 10^3 down to 10^-4, four
/// per decade.
pub fn qmu_grid(prec: u32) -> Vec<Rational> {
    let lo = Rational::from((1, 10_000));
    let hi = Rational::from(1000);
    let mut v = crate::flow::log_spaced(&lo, &hi, 29, prec.min(128));
    v.reverse();
    v
}

/// The Q^D_mu predictors for the grid and the given mus (grid first), at `prec`.
pub fn qmu_points(
    job: &PlotJob,
    depth: u32,
    extra: &[Rational],
) -> Result<Vec<crate::reference::qmu::QmuSolution>, CliError> {
    let mut mus = qmu_grid(job.numerics.prec);
    mus.extend(extra.iter().cloned());
    qmu_path(&job.z, depth, &mus, job.numerics.prec).map_err(|e| match e {
        QmuError::PrecisionTooLow { .. } => CliError::input(format!("--precision: {e}")),
        QmuError::NonPositiveMu => CliError::input(format!("--mu: {e}")),
        _ => CliError::failed(format!("Q_mu path (D = {depth}): {e}")),
    })
}

/// A gray per depth for the dashed Q_mu paths.
pub fn qmu_color(i: usize) -> plotters::style::RGBColor {
    let g = [40u8, 120, 170][i % 3];
    plotters::style::RGBColor(g, g, g + 1)
}

/// Fig. 7: excess l1 against excess l2 along each path, with the Q_mu path.
pub fn excess_plane_figure(job: &PlotJob) -> Result<Figure, CliError> {
    let refs = PlotReferences::new(&job.z, job.numerics.prec)?;
    let (paths, qmus) = rayon::join(
        || excess_paths(job, &refs),
        || {
            job.depths
                .iter()
                .map(|&d| qmu_points(job, d, &job.mus))
                .collect::<Result<Vec<_>, _>>()
        },
    );
    let (paths, qmus) = (paths?, qmus?);
    let probe = DiagFlow::new(
        &job.z,
        job.depths[0],
        &job.specs[0].alpha,
        job.numerics.prec,
    )
    .with_loss(job.loss);
    let pair = |w: &[Rational]| {
        refs.excess_exact(&probe, w)
            .map(|(e1, e2)| (f64_of(&e2), f64_of(&e1)))
    };
    let l2_pt = pair(&refs.l2.w).expect("w_l2 has margin 1");
    let start_pt = pair(&refs.mean);
    let cap_x = cap_of(&[Some(l2_pt.0), start_pt.map(|p| p.0)]);
    let cap_y = cap_of(&[Some(l2_pt.1), start_pt.map(|p| p.1)]);
    let mut fig = Figure {
        title: "Excess ℓ1 against excess ℓ2 along the path (Fig. 7)".into(),
        subtitle: job.subtitle(),
        x_label: "excess ℓ2 norm  ‖ŵ‖₂/‖w_ℓ2‖₂ − 1".into(),
        y_label: "excess ℓ1 norm  ‖ŵ‖₁/‖w_ℓ1‖₁ − 1".into(),
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        series: Vec::new(),
        x_range: None,
        y_range: None,
    };
    for (k, path) in paths.iter().enumerate() {
        let color = curve_color(k);
        let pts: Vec<(Float, Option<(f64, f64)>)> = path
            .points
            .iter()
            .map(|(g, v)| (g.clone(), v.map(|(e1, e2)| (e2, e1))))
            .collect();
        let kept = trim_leading(&pts, 1.0, |v| (v.0 / cap_x).max(v.1 / cap_y));
        let xy: Vec<(f64, f64)> = kept.iter().map(|(_, v)| *v).collect();
        if xy.len() < 2 {
            return Err(CliError::failed(format!(
                "{}: fewer than 2 samples have a positive margin and an excess within the plotted range; raise --gt-max or --samples",
                path.spec.label(true)
            )));
        }
        fig.series.push(
            Series::new(path.spec.label(job.several_depths()), color, Style::Line(2))
                .with_points(xy),
        );
        let iso: Vec<(usize, (f64, f64))> = path
            .iso
            .iter()
            .filter_map(|(mu, _, v)| {
                let i = job.mus.iter().position(|m| m == mu)?;
                v.map(|(e1, e2)| (i, (e2, e1)))
            })
            .filter(|(_, (x, y))| *x <= cap_x && *y <= cap_y)
            .collect();
        add_iso(&mut fig, color, iso);
    }
    let l1_unique = refs.l1.face.unique;
    let grid_len = qmu_grid(job.numerics.prec).len();
    for (i, (&depth, sols)) in job.depths.iter().zip(&qmus).enumerate() {
        let mut pts = vec![l2_pt];
        for s in &sols[..grid_len] {
            if let Some((e1, e2)) = refs.excess(&probe, &s.w) {
                pts.push((f64_of(&e2), f64_of(&e1)));
            }
        }
        if l1_unique {
            pts.push(pair(&refs.l1.w).expect("w_l1 has margin 1"));
        }
        let label = if job.several_depths() {
            format!("Q_μ path (μ from ∞ to 0), D = {depth}")
        } else {
            "Q_μ path (μ from ∞ to 0)".to_string()
        };
        fig.series
            .push(Series::new(label, qmu_color(i), Style::Dashed(2)).with_points(pts));
        for (j, s) in sols[grid_len..].iter().enumerate() {
            if let Some((e1, e2)) = refs.excess(&probe, &s.w) {
                fig.series.push(
                    Series::new(
                        format!("w_μ, μ = {}", super::alpha_text(&job.mus[j])),
                        qmu_color(i),
                        Style::Markers(iso_marker(j), 8),
                    )
                    .with_points(vec![(f64_of(&e2), f64_of(&e1))]),
                );
            }
        }
    }
    if let Some(p) = start_pt {
        if p.0 <= cap_x && p.1 <= cap_y {
            fig.series.push(
                Series::new(
                    "start: data mean Σz_n/N",
                    REF_COLOR,
                    Style::Markers(Marker::Square, 6),
                )
                .with_points(vec![p]),
            );
        }
    }
    fig.series.push(
        Series::new(
            "w_ℓ2 (kernel)",
            REF_COLOR,
            Style::Markers(Marker::Triangle, 7),
        )
        .with_points(vec![l2_pt]),
    );
    if let Some(seg) = super::face_segment(&refs.l1.face) {
        // excess l1 is 0 on the face; excess l2 runs over an interval
        let pts: Vec<(f64, f64)> = seg.iter().filter_map(|w| pair(w)).collect();
        let lo = pts.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let hi = pts.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
        fig.series.push(
            Series::new(
                format!(
                    "ℓ1 optimal face (a segment): excess ℓ2 {} to {}",
                    super::figure::short_number(lo),
                    super::figure::short_number(hi)
                ),
                REF_COLOR,
                Style::Line(5),
            )
            .with_points(pts),
        );
    }
    let l1_pts: Vec<(f64, f64)> = refs
        .l1
        .face
        .vertices
        .iter()
        .filter_map(|v| pair(v))
        .collect();
    fig.series.push(
        Series::new(
            if l1_unique {
                "w_ℓ1 (rich)".to_string()
            } else {
                format!(
                    "vertices of the ℓ1 optimal face (dim {})",
                    refs.l1.face.dimension
                )
            },
            REF_COLOR,
            Style::Markers(Marker::Dot, 7),
        )
        .with_points(l1_pts),
    );
    iso_legend(&mut fig, job);
    Ok(fig)
}
