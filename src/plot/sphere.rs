//! Fig. 3/4: the direction w/||w||_2 of each path as azimuth/pitch, with the start
//! (the data mean sum_n z_n / N, the direction the flow leaves w = 0 in), w_l2,
//! w_l1 (or its optimal face), the Q_mu path (dashed, mu from infinity to 0) and
//! the mu-iso points gt = alpha^D / mu.
//!
//! Chart: for d = 3, azimuth = atan2(w_2, w_1) and pitch = atan2(w_3, |(w_1, w_2)|)
//! in degrees, as in the paper. For d > 3 the direction is projected onto the
//! orthonormal frame (e_1, e_2, e_3) that Gram-Schmidt makes of (w_l2, w_l1, data
//! mean) (then the coordinate axes, if these are dependent): azimuth is measured
//! from w_l2 toward w_l1 and pitch toward the data mean. The azimuth is unwrapped
//! around the direction of the reference points, so the region of interest never
//! straddles the +-180 degree cut. Angles are computed in MPFR.

use super::excess::{iso_label, iso_marker, qmu_color, qmu_grid, qmu_points};
use super::figure::{curve_color, Figure, Marker, Scale, Series, Style, REF_COLOR};
use super::{f64_of, PlotJob, PlotReferences};
use crate::flow::DiagFlow;
use crate::num::{from_rational, norm2};
use crate::options::CliError;
use rug::float::Constant;
use rug::{Float, Rational};

/// An orthonormal 3-frame of R^d (d >= 3) in MPFR.
pub struct Frame {
    pub prec: u32,
    pub e: [Vec<Float>; 3],
    /// the standard axes (d = 3)
    pub standard: bool,
}

impl Frame {
    /// The standard frame for d = 3, else Gram-Schmidt of `candidates` followed by
    /// the coordinate axes, keeping vectors whose remainder has norm above 2^-(prec/2)
    /// of their own.
    pub fn new(d: usize, candidates: &[Vec<Rational>], prec: u32) -> Frame {
        let unit = |i: usize| -> Vec<Float> {
            (0..d)
                .map(|j| Float::with_val(prec, if i == j { 1 } else { 0 }))
                .collect()
        };
        if d == 3 {
            return Frame {
                prec,
                e: [unit(0), unit(1), unit(2)],
                standard: true,
            };
        }
        let mut basis: Vec<Vec<Float>> = Vec::new();
        let cands = candidates
            .iter()
            .map(|v| v.iter().map(|q| from_rational(prec, q)).collect::<Vec<_>>())
            .chain((0..d).map(unit));
        let tiny = Float::with_val(prec, Float::i_exp(1, -(prec as i32) / 2));
        for mut v in cands {
            let n0 = norm2(prec, &v);
            if n0.is_zero() {
                continue;
            }
            for _pass in 0..2 {
                for b in &basis {
                    let c = dot(prec, &v, b);
                    for (x, y) in v.iter_mut().zip(b) {
                        *x -= Float::with_val(prec, &c * y);
                    }
                }
            }
            let n = norm2(prec, &v);
            if n <= Float::with_val(prec, &n0 * &tiny) {
                continue;
            }
            for x in v.iter_mut() {
                *x /= &n;
            }
            basis.push(v);
            if basis.len() == 3 {
                break;
            }
        }
        let mut it = basis.into_iter();
        Frame {
            prec,
            e: [
                it.next().expect("d >= 3"),
                it.next().expect("d >= 3"),
                it.next().expect("d >= 3"),
            ],
            standard: false,
        }
    }

    /// (azimuth, pitch) in degrees of w's projection onto the frame; None for a
    /// projection of zero.
    pub fn angles(&self, w: &[Float]) -> Option<(Float, Float)> {
        let p = self.prec;
        let c: Vec<Float> = self.e.iter().map(|e| dot(p, w, e)).collect();
        // a projection below 2^-(prec/2) of |w| is round-off: no direction
        let tiny = Float::with_val(p, Float::i_exp(1, -(p as i32) / 2)) * norm2(p, w);
        if norm2(p, &c) <= tiny {
            return None;
        }
        let deg = Float::with_val(p, 180) / Float::with_val(p, Constant::Pi);
        let az = Float::with_val(p, c[1].atan2_ref(&c[0])) * &deg;
        let r = Float::with_val(p, c[0].hypot_ref(&c[1]));
        let pitch = Float::with_val(p, c[2].atan2_ref(&r)) * &deg;
        Some((az, pitch))
    }

    /// Chart points of a sequence of exact vectors (a polyline or a set of
    /// markers). A vector at a pole of the chart (its projection along e_3) has no
    /// azimuth of its own; it takes that of its nearest predecessor off the pole,
    /// else of its successor, so a curve through the pole does not jump.
    pub fn chart_points(&self, ws: &[Vec<Rational>]) -> Vec<(f64, f64)> {
        let p = self.prec;
        let pts: Vec<Option<(f64, f64, bool)>> = ws
            .iter()
            .map(|w| {
                let wf: Vec<Float> = w.iter().map(|q| from_rational(p, q)).collect();
                let (a, b) = self.angles(&wf)?;
                let c1 = dot(p, &wf, &self.e[0]);
                let c2 = dot(p, &wf, &self.e[1]);
                let r = Float::with_val(p, c1.hypot_ref(&c2));
                let tiny = Float::with_val(p, Float::i_exp(1, -(p as i32) / 2)) * norm2(p, &wf);
                Some((f64_of(&a), f64_of(&b), r <= tiny))
            })
            .collect();
        let off: Vec<(usize, f64)> = pts
            .iter()
            .enumerate()
            .filter_map(|(i, q)| q.and_then(|(a, _, pole)| (!pole).then_some((i, a))))
            .collect();
        pts.iter()
            .enumerate()
            .filter_map(|(i, q)| {
                let (a, b, pole) = (*q)?;
                if !pole {
                    return Some((a, b));
                }
                let before = off.iter().rev().find(|(j, _)| *j < i);
                let after = off.iter().find(|(j, _)| *j > i);
                Some((before.or(after).map_or(a, |(_, az)| *az), b))
            })
            .collect()
    }

    pub fn angles_exact(&self, w: &[Rational]) -> Option<(f64, f64)> {
        let wf: Vec<Float> = w.iter().map(|q| from_rational(self.prec, q)).collect();
        self.angles(&wf).map(|(a, b)| (f64_of(&a), f64_of(&b)))
    }
}

fn dot(p: u32, a: &[Float], b: &[Float]) -> Float {
    let mut s = Float::new(p);
    for (x, y) in a.iter().zip(b) {
        s += Float::with_val(p, x * y);
    }
    s
}

/// Unwrap an azimuth (degrees) into (center - 180, center + 180].
fn unwrap(a: f64, center: f64) -> f64 {
    a - 360.0 * ((a - center) / 360.0).round()
}

/// The sphere figure.
pub fn figure(job: &PlotJob) -> Result<Figure, CliError> {
    let d = job.case.dim();
    if d < 3 {
        return Err(CliError::input(format!(
            "--kind sphere: needs points in d >= 3 dimensions, {} has d = {d} (a direction in \
             d = 2 is a single angle: use --kind excess-plane or `ibcert trace`)",
            job.case
                .path
                .as_ref()
                .map_or(job.case.name.clone(), |p| p.display().to_string())
        )));
    }
    let prec = job.numerics.prec;
    let refs = PlotReferences::new(&job.z, prec)?;
    let frame = Frame::new(
        d,
        &[refs.l2.w.clone(), refs.l1.w.clone(), refs.mean.clone()],
        prec,
    );
    let (paths, qmus) = rayon::join(
        || {
            job.run_paths(|flow: &DiagFlow, _gt: &Float, y: &[Float]| {
                let der = flow.derive(&y[..flow.n]);
                frame.angles(&der.w).map(|(a, b)| (f64_of(&a), f64_of(&b)))
            })
        },
        || {
            job.depths
                .iter()
                .map(|&dd| qmu_points(job, dd, &job.mus))
                .collect::<Result<Vec<_>, _>>()
        },
    );
    let (paths, qmus) = (paths?, qmus?);
    let start = frame.angles_exact(&refs.mean);
    let l2 = frame
        .angles_exact(&refs.l2.w)
        .ok_or_else(|| CliError::failed("w_l2 projects to zero"))?;
    let l1_vertices: Vec<(f64, f64)> = frame.chart_points(&refs.l1.face.vertices);
    // the centre of the reference points, for unwrapping the azimuth
    let center = {
        let mut s = vec![Float::new(prec); d];
        for v in [&refs.l2.w, &refs.l1.w, &refs.mean] {
            let vf: Vec<Float> = v.iter().map(|q| from_rational(prec, q)).collect();
            let n = norm2(prec, &vf);
            if n.is_zero() {
                continue;
            }
            for (x, y) in s.iter_mut().zip(&vf) {
                *x += Float::with_val(prec, y / &n);
            }
        }
        frame.angles(&s).map_or(l2.0, |(a, _)| f64_of(&a))
    };
    let uw = |p: (f64, f64)| (unwrap(p.0, center), p.1);
    let (x_label, y_label, chart) = if frame.standard {
        (
            "azimuth  atan2(w₂, w₁)  [degrees]",
            "pitch  atan2(w₃, ‖(w₁, w₂)‖)  [degrees]",
            "",
        )
    } else {
        (
            "azimuth from w_ℓ2 toward w_ℓ1  [degrees]",
            "pitch toward the data mean  [degrees]",
            ", projected on span{w_ℓ2, w_ℓ1, data mean}",
        )
    };
    let mut fig = Figure {
        title: format!("Direction w/‖w‖₂ along the path (Fig. 3/4){chart}"),
        subtitle: job.subtitle(),
        x_label: x_label.into(),
        y_label: y_label.into(),
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        series: Vec::new(),
        x_range: None,
        y_range: None,
    };
    for (k, path) in paths.iter().enumerate() {
        let color = curve_color(k);
        let xy: Vec<(f64, f64)> = path.points.iter().filter_map(|(_, v)| v.map(uw)).collect();
        if xy.len() < 2 {
            return Err(CliError::failed(format!(
                "{}: fewer than 2 samples to draw",
                path.spec.label(true)
            )));
        }
        fig.series.push(
            Series::new(path.spec.label(job.several_depths()), color, Style::Line(2))
                .with_points(xy),
        );
        for (mu, _, v) in &path.iso {
            let Some(i) = job.mus.iter().position(|m| m == mu) else {
                continue;
            };
            if let Some(p) = v {
                fig.series.push(
                    Series::new("", color, Style::Markers(iso_marker(i), 6))
                        .with_points(vec![uw(*p)]),
                );
            }
        }
    }
    let grid_len = qmu_grid(prec).len();
    for (i, (&depth, sols)) in job.depths.iter().zip(&qmus).enumerate() {
        let mut pts = vec![uw(l2)];
        pts.extend(
            sols[..grid_len]
                .iter()
                .filter_map(|s| frame.angles(&s.w))
                .map(|(a, b)| uw((f64_of(&a), f64_of(&b)))),
        );
        if refs.l1.face.unique {
            pts.push(uw(l1_vertices[0]));
        }
        let label = if job.several_depths() {
            format!("Q_μ path (μ from ∞ to 0), D = {depth}")
        } else {
            "Q_μ path (μ from ∞ to 0)".to_string()
        };
        fig.series
            .push(Series::new(label, qmu_color(i), Style::Dashed(2)).with_points(pts));
        for (j, s) in sols[grid_len..].iter().enumerate() {
            if let Some((a, b)) = frame.angles(&s.w) {
                fig.series.push(
                    Series::new(
                        format!("w_μ, μ = {}", super::alpha_text(&job.mus[j])),
                        qmu_color(i),
                        Style::Markers(iso_marker(j), 8),
                    )
                    .with_points(vec![uw((f64_of(&a), f64_of(&b)))]),
                );
            }
        }
    }
    if let Some(s) = start {
        fig.series.push(
            Series::new(
                "start: data mean Σz_n/N",
                REF_COLOR,
                Style::Markers(Marker::Square, 6),
            )
            .with_points(vec![uw(s)]),
        );
    }
    fig.series.push(
        Series::new(
            "w_ℓ2 (kernel limit)",
            REF_COLOR,
            Style::Markers(Marker::Triangle, 7),
        )
        .with_points(vec![uw(l2)]),
    );
    let face = &refs.l1.face;
    if face.unique {
        fig.series.push(
            Series::new(
                "w_ℓ1 (rich limit)",
                REF_COLOR,
                Style::Markers(Marker::Dot, 7),
            )
            .with_points(vec![uw(l1_vertices[0])]),
        );
    } else {
        if let Some(seg) = super::face_segment(face) {
            let pts: Vec<(f64, f64)> = frame.chart_points(&seg).into_iter().map(uw).collect();
            fig.series.push(
                Series::new("ℓ1 optimal face (a segment)", REF_COLOR, Style::Line(5))
                    .with_points(pts),
            );
        }
        fig.series.push(
            Series::new(
                format!("vertices of the ℓ1 optimal face (dim {})", face.dimension),
                REF_COLOR,
                Style::Markers(Marker::Dot, 6),
            )
            .with_points(l1_vertices.iter().map(|p| uw(*p)).collect()),
        );
    }
    for (i, mu) in job.mus.iter().enumerate() {
        fig.series.push(Series::new(
            iso_label(mu),
            REF_COLOR,
            Style::Markers(iso_marker(i), 6),
        ));
    }
    Ok(fig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angles_of_axes_and_frame_is_orthonormal() {
        let p = 128;
        let f = Frame::new(3, &[], p);
        let q = |v: &[i64]| v.iter().map(|&x| Rational::from(x)).collect::<Vec<_>>();
        assert_eq!(f.angles_exact(&q(&[1, 0, 0])), Some((0.0, 0.0)));
        assert_eq!(f.angles_exact(&q(&[0, 2, 0])), Some((90.0, 0.0)));
        assert_eq!(f.angles_exact(&q(&[0, 0, 3])), Some((0.0, 90.0)));
        let (a, b) = f.angles_exact(&q(&[-1, -1, 0])).unwrap();
        assert!((a + 135.0).abs() < 1e-12 && b == 0.0);
        // d = 5: the frame of (v1, v2, v3) puts v1 at (0, 0), v2 at azimuth in (0, 180)
        let v1 = q(&[1, 2, 0, 0, 1]);
        let v2 = q(&[0, 1, 1, 0, 0]);
        let v3 = q(&[0, 0, 0, 1, 0]);
        let f = Frame::new(5, &[v1.clone(), v2.clone(), v3.clone(), v1.clone()], p);
        for i in 0..3 {
            for j in 0..3 {
                let d = dot(p, &f.e[i], &f.e[j]);
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((d.to_f64() - want).abs() < 1e-30, "e{i}.e{j} = {d}");
            }
        }
        let (a, b) = f.angles_exact(&v1).unwrap();
        assert!(a.abs() < 1e-12 && b.abs() < 1e-12);
        let (a, b) = f.angles_exact(&v2).unwrap();
        assert!(a > 0.0 && a < 180.0 && b.abs() < 1e-12);
        let (_, b) = f.angles_exact(&v3).unwrap();
        assert!((b - 90.0).abs() < 1e-12);
        // a direction outside the span projects; zero projection is None
        assert!(f.angles_exact(&q(&[2, -1, 1, 0, 0])).is_none());
    }

    #[test]
    fn a_polyline_through_the_pole_keeps_its_azimuth() {
        let f = Frame::new(3, &[], 128);
        let q = |v: &[i64]| v.iter().map(|&x| Rational::from(x)).collect::<Vec<_>>();
        let pts = f.chart_points(&[q(&[0, 1, 0]), q(&[0, 1, 1]), q(&[0, 0, 1])]);
        assert_eq!(pts.len(), 3);
        assert_eq!(pts[0], (90.0, 0.0));
        assert!((pts[1].0 - 90.0).abs() < 1e-12 && (pts[1].1 - 45.0).abs() < 1e-12);
        assert_eq!(pts[2], (90.0, 90.0));
        // a pole first takes its successor's azimuth
        let pts = f.chart_points(&[q(&[0, 0, -2]), q(&[-1, 0, -1])]);
        assert_eq!(pts[0], (180.0, -90.0));
    }

    #[test]
    fn unwrap_keeps_within_half_turn() {
        assert_eq!(unwrap(-170.0, 170.0), 190.0);
        assert_eq!(unwrap(10.0, 0.0), 10.0);
        assert_eq!(unwrap(350.0, 0.0), -10.0);
    }
}
