//! Fig. 9: the tangent-kernel distance 1 - <K_t, K_0> / (||K_t||_F ||K_0||_F).
//!
//! The network's output is f(u, x) = x^T (u+^D - u-^D), so its Jacobian with
//! respect to u = [u+; u-] has the rows
//!     J_n = [D x_n ⊙ u+^(D-1),  -D x_n ⊙ u-^(D-1)]
//! and K_t = J J^T = X diag(c) X^T with c_i = D^2 (u+_i^(2D-2) + u-_i^(2D-2)), where
//! (u+, u-) come from beta = Z nu by the mirror map (docs/math.md §2.3: D = 2:
//! u± = alpha e^(±2 beta); D >= 3: u± = alpha (1 ∓ s)^(-1/(D-2))). The points are the
//! case's x_n; using z_n = y_n x_n instead gives Y K Y with Y = diag(y), which has the
//! same Frobenius inner products, so the distance does not depend on the labels.
//! Everything is computed in MPFR; only the distance is converted to f64.

use super::excess::{iso_label, iso_marker};
use super::figure::{curve_color, Figure, Scale, Series, Style, REF_COLOR};
use super::{f64_of, PlotJob};
use crate::flow::DiagFlow;
use crate::num::from_rational;
use crate::options::CliError;
use rug::{Float, Rational};

/// K = J J^T at the state `nu`, for the points `x` (rows, length d).
pub fn tangent_kernel(flow: &DiagFlow, x: &[Vec<Float>], nu: &[Float]) -> Vec<Vec<Float>> {
    let p = flow.prec;
    let depth = flow.mirror.depth;
    let beta = flow.beta(nu);
    let dd = Float::with_val(p, depth * depth);
    let c: Vec<Float> = beta
        .iter()
        .map(|b| {
            let (up, um) = flow.mirror.u_pair(b);
            let e = 2 * depth - 2;
            let mut s = Float::with_val(p, rug::ops::Pow::pow(&up, e));
            s += Float::with_val(p, rug::ops::Pow::pow(&um, e));
            s * &dd
        })
        .collect();
    let n = x.len();
    let mut k = vec![vec![Float::new(p); n]; n];
    for a in 0..n {
        for b in a..n {
            let mut s = Float::new(p);
            for i in 0..c.len() {
                let mut t = Float::with_val(p, &x[a][i] * &x[b][i]);
                t *= &c[i];
                s += &t;
            }
            k[b][a] = s.clone();
            k[a][b] = s;
        }
    }
    k
}

/// 1 - <A, B>_F / (||A||_F ||B||_F).
pub fn kernel_distance(a: &[Vec<Float>], b: &[Vec<Float>]) -> Float {
    let p = a[0][0].prec();
    let mut ab = Float::new(p);
    let mut aa = Float::new(p);
    let mut bb = Float::new(p);
    for (ra, rb) in a.iter().zip(b) {
        for (x, y) in ra.iter().zip(rb) {
            ab += Float::with_val(p, x * y);
            aa += Float::with_val(p, x.square_ref());
            bb += Float::with_val(p, y.square_ref());
        }
    }
    let den = Float::with_val(p, &aa * &bb).sqrt();
    Float::with_val(p, 1) - Float::with_val(p, &ab / &den)
}

/// The points x_n of the case in MPFR.
pub fn points(job: &PlotJob) -> Vec<Vec<Float>> {
    job.case
        .points
        .iter()
        .map(|r| {
            r.iter()
                .map(|q: &Rational| from_rational(job.numerics.prec, q))
                .collect()
        })
        .collect()
}

/// The kernel-distance figure.
pub fn figure(job: &PlotJob) -> Result<Figure, CliError> {
    let x = points(job);
    let paths = job.run_paths(|flow: &DiagFlow, _gt: &Float, y: &[Float]| {
        let k0 = tangent_kernel(flow, &x, &vec![Float::new(flow.prec); flow.n]);
        let kt = tangent_kernel(flow, &x, &y[..flow.n]);
        f64_of(&kernel_distance(&kt, &k0))
    })?;
    let mut fig = Figure {
        title: "Tangent-kernel distance from initialization (Fig. 9)".into(),
        subtitle: job.subtitle(),
        x_label: "training accuracy γ̃ = −log(loss)".into(),
        y_label: "kernel distance  1 − ⟨K_t, K_0⟩ / (‖K_t‖_F ‖K_0‖_F)".into(),
        x_scale: Scale::Log,
        y_scale: Scale::Linear,
        series: Vec::new(),
        x_range: None,
        y_range: None,
    };
    let mut y_hi = 0f64;
    for (k, path) in paths.iter().enumerate() {
        let color = curve_color(k);
        let xy: Vec<(f64, f64)> = path.points.iter().map(|(g, v)| (f64_of(g), *v)).collect();
        y_hi = xy.iter().fold(y_hi, |m, p| m.max(p.1));
        fig.series.push(
            Series::new(path.spec.label(job.several_depths()), color, Style::Line(2))
                .with_points(xy),
        );
        for (mu, g, v) in &path.iso {
            if let Some(i) = job.mus.iter().position(|m| m == mu) {
                fig.series.push(
                    Series::new("", color, Style::Markers(iso_marker(i), 6))
                        .with_points(vec![(f64_of(g), *v)]),
                );
            }
        }
    }
    for (i, mu) in job.mus.iter().enumerate() {
        fig.series.push(Series::new(
            iso_label(mu),
            REF_COLOR,
            Style::Markers(iso_marker(i), 6),
        ));
    }
    fig.y_range = Some((0.0, (1.05 * y_hi).max(1e-6)));
    Ok(fig)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rug::ops::Pow;

    fn q(s: &str) -> Rational {
        crate::num::exact::parse_rational(s).unwrap()
    }

    fn data() -> (Vec<Vec<Rational>>, Vec<Vec<Rational>>) {
        // x_n and labels (1, -1, 1): z_n = y_n x_n
        let x = vec![
            vec![q("1"), q("1/2"), q("1/5")],
            vec![q("1/5"), q("1"), q("-1/10")],
            vec![q("3/2"), q("6/5"), q("1/2")],
        ];
        let y = [1, -1, 1];
        let z = x
            .iter()
            .zip(y)
            .map(|(r, s)| r.iter().map(|v| Rational::from(v * s)).collect())
            .collect();
        (x, z)
    }

    fn fl(p: u32, m: &[Vec<Rational>]) -> Vec<Vec<Float>> {
        m.iter()
            .map(|r| r.iter().map(|v| from_rational(p, v)).collect())
            .collect()
    }

    /// K from an explicit Jacobian whose entries are checked against central
    /// differences of f(u, x) = x^T (u+^D - u-^D).
    #[test]
    fn kernel_equals_explicit_jacobian_product() {
        let p = 320;
        let (x, z) = data();
        let xf = fl(p, &x);
        for depth in [2u32, 3, 5] {
            let flow = DiagFlow::new(&z, depth, &q("3/2"), p);
            let nu: Vec<Float> = ["0.03", "0.011", "0.002"]
                .iter()
                .map(|s| from_rational(p, &q(s)))
                .collect();
            let beta = flow.beta(&nu);
            let u: Vec<(Float, Float)> = beta.iter().map(|b| flow.mirror.u_pair(b)).collect();
            let f = |xn: &[Float], up: &[Float], um: &[Float]| -> Float {
                let mut s = Float::new(p);
                for i in 0..3 {
                    let w = Float::with_val(p, up[i].clone().pow(depth))
                        - Float::with_val(p, um[i].clone().pow(depth));
                    s += Float::with_val(p, &xn[i] * &w);
                }
                s
            };
            let h = Float::with_val(p, Float::i_exp(1, -90));
            let mut jac = vec![vec![Float::new(p); 6]; 3];
            // f at u with component j (0..3: u+, 3..6: u-) moved by `step`
            let f_at = |n: usize, j: usize, step: &Float| -> Float {
                let mut up: Vec<Float> = u.iter().map(|t| t.0.clone()).collect();
                let mut um: Vec<Float> = u.iter().map(|t| t.1.clone()).collect();
                if j < 3 {
                    up[j] += step;
                } else {
                    um[j - 3] += step;
                }
                f(&xf[n], &up, &um)
            };
            let mh = Float::with_val(p, -&h);
            for n in 0..3 {
                for j in 0..6 {
                    let fd = Float::with_val(p, f_at(n, j, &h) - f_at(n, j, &mh));
                    jac[n][j] = fd / Float::with_val(p, &h * 2u32);
                }
            }
            let k = tangent_kernel(&flow, &xf, &nu);
            for a in 0..3 {
                for b in 0..3 {
                    let mut s = Float::new(p);
                    for j in 0..6 {
                        s += Float::with_val(p, &jac[a][j] * &jac[b][j]);
                    }
                    let rel = Float::with_val(p, &k[a][b] - &s).abs() / s.clone().abs();
                    assert!(rel < 1e-50, "D={depth} K[{a}][{b}] {} vs {}", k[a][b], s);
                }
            }
        }
    }

    /// c_i = D^2 (u+^(2D-2) + u-^(2D-2)) is the mirror map's dw/dbeta, computed by
    /// different code (docs/math.md §10.3): K_t = X diag(w'(beta)) X^T.
    #[test]
    fn kernel_weights_are_mirror_derivatives() {
        let p = 256;
        let (x, z) = data();
        let xf = fl(p, &x);
        for depth in [2u32, 3, 4, 10] {
            let flow = DiagFlow::new(&z, depth, &q("2"), p);
            // |s| = |c beta| well below 1 for D >= 3 (and beta of size 0.1 for D = 2)
            let nu: Vec<Float> = ["0.3", "0.2", "0.05"]
                .iter()
                .map(|s| from_rational(p, &q(s)) / flow.mirror.c())
                .collect();
            let der = flow.derive(&nu);
            assert!(der.w.iter().all(|w| w.is_finite() && !w.is_zero()));
            let k = tangent_kernel(&flow, &xf, &nu);
            for a in 0..3 {
                for b in 0..3 {
                    let mut s = Float::new(p);
                    for i in 0..3 {
                        s += Float::with_val(p, &xf[a][i] * &xf[b][i]) * &der.dw[i];
                    }
                    let rel = Float::with_val(p, &k[a][b] - &s).abs() / s.clone().abs();
                    assert!(rel < 1e-70, "D={depth} K[{a}][{b}]: rel {rel}");
                }
            }
        }
    }

    #[test]
    fn distance_zero_at_start_and_for_one_point_and_bounded() {
        let p = 200;
        let (x, z) = data();
        let xf = fl(p, &x);
        let flow = DiagFlow::new(&z, 2, &q("1"), p);
        let zero = vec![Float::new(p); 3];
        let k0 = tangent_kernel(&flow, &xf, &zero);
        let d0 = kernel_distance(&k0, &k0);
        assert!(
            d0.clone().abs() < Float::with_val(p, Float::i_exp(1, -190)),
            "{d0}"
        );
        // a 1x1 kernel is always at distance 0 (cosine of two positive numbers)
        let one = DiagFlow::new(&z[..1], 2, &q("1"), p);
        let a = tangent_kernel(&one, &xf[..1], &[Float::new(p)]);
        let b = tangent_kernel(&one, &xf[..1], &[from_rational(p, &q("5"))]);
        assert!(a[0][0] != b[0][0]);
        let d1 = kernel_distance(&b, &a);
        assert!(
            d1.clone().abs() < Float::with_val(p, Float::i_exp(1, -190)),
            "{d1}"
        );
        // K_t far from K_0: distance in (0, 1]
        let nu: Vec<Float> = ["3", "2", "0"]
            .iter()
            .map(|s| from_rational(p, &q(s)))
            .collect();
        let kt = tangent_kernel(&flow, &xf, &nu);
        let d = kernel_distance(&kt, &k0);
        assert!(d > 0.01 && d <= 1, "{d}");
        // orthogonal kernels (disjoint supports): distance exactly 1
        let e = |i: usize| {
            let mut m = vec![vec![Float::new(p); 2]; 2];
            m[i][i] = Float::with_val(p, 3);
            m
        };
        assert_eq!(kernel_distance(&e(0), &e(1)), 1);
    }
}
