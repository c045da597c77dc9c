//! The exact reference predictors a figure draws or measures against, and the points of
//! a non-unique l1 optimum.

use crate::flow::DiagFlow;
use crate::num::from_rational;
use crate::options::CliError;
use rug::{Float, Rational};

/// f64 of an MPFR value (display only).
pub fn f64_of(x: &Float) -> f64 {
    x.to_f64()
}

/// Points of a one-dimensional l1 optimal face (the segment between its two
/// vertices), exact: t = k/40 for k = 0..=40 and the point of least l2 norm, in
/// order of t. None for a unique optimum or a face of dimension 2 or more.
pub fn face_segment(face: &crate::reference::l1::OptimalFace) -> Option<Vec<Vec<Rational>>> {
    if face.dimension != 1 || face.vertices.len() != 2 {
        return None;
    }
    let (v0, v1) = (&face.vertices[0], &face.vertices[1]);
    let at = |t: &Rational| -> Vec<Rational> {
        v0.iter()
            .zip(v1)
            .map(|(a, b)| (a * (Rational::from(1) - t)) + Rational::from(b * t))
            .collect()
    };
    // argmin_t ||v0 + t (v1 - v0)||^2 = <v0, v0 - v1> / ||v0 - v1||^2, clamped to [0, 1]
    let diff: Vec<Rational> = v0
        .iter()
        .zip(v1)
        .map(|(a, b)| Rational::from(a - b))
        .collect();
    let dd: Rational = diff.iter().map(|x| Rational::from(x * x)).sum();
    let vd: Rational = v0
        .iter()
        .zip(&diff)
        .map(|(a, x)| Rational::from(a * x))
        .sum();
    let t_min = (vd / dd).clamp(&Rational::new(), &Rational::from(1));
    let mut ts: Vec<Rational> = (0..=40).map(|k| Rational::from((k, 40))).collect();
    ts.push(t_min);
    ts.sort();
    ts.dedup();
    Some(ts.iter().map(at).collect())
}

/// The exact reference predictors every kind needs, with their norms in MPFR.
pub struct PlotReferences {
    pub l1: crate::reference::l1::L1Solution,
    pub l2: crate::reference::l2::L2Solution,
    /// ||w_l1||_1
    pub n1: Float,
    /// ||w_l2||_2
    pub n2: Float,
    /// the data mean sum_n z_n / N (the direction the flow starts in)
    pub mean: Vec<Rational>,
}

impl PlotReferences {
    pub fn new(z: &[Vec<Rational>], prec: u32) -> Result<PlotReferences, CliError> {
        let err = |e: crate::reference::l2::ReferenceError| CliError::input(format!("data: {e}"));
        let l1 = crate::reference::l1::l1_max_margin(z).map_err(err)?;
        let l2 = crate::reference::l2::l2_max_margin(z).map_err(err)?;
        let n1 = from_rational(prec, &l1.norm1);
        let n2 = from_rational(prec, &l2.norm2_sq).sqrt();
        let d = z[0].len();
        let nn = Rational::from(z.len());
        let mean = (0..d)
            .map(|i| {
                let s: Rational = z.iter().map(|r| r[i].clone()).sum();
                s / &nn
            })
            .collect();
        Ok(PlotReferences {
            l1,
            l2,
            n1,
            n2,
            mean,
        })
    }

    /// (excess l1, excess l2) of a predictor w in MPFR, w rescaled to margin 1
    /// (w_hat = w / min_n z_n^T w, as in [`crate::flow::Summary`]); None when
    /// the margin is not positive (w_hat undefined).
    pub fn excess(&self, flow: &DiagFlow, w: &[Float]) -> Option<(Float, Float)> {
        let p = flow.prec;
        let m = flow.margins(w);
        let gamma = m.iter().min_by(|a, b| a.partial_cmp(b).expect("finite"))?;
        if *gamma <= 0 {
            return None;
        }
        let l1 = Float::with_val(p, crate::num::norm1(p, w) / gamma);
        let l2 = Float::with_val(p, crate::num::norm2(p, w) / gamma);
        let e1 = Float::with_val(p, &l1 / &self.n1) - 1u32;
        let e2 = Float::with_val(p, &l2 / &self.n2) - 1u32;
        Some((e1, e2))
    }

    /// [`PlotReferences::excess`] of an exact vector.
    pub fn excess_exact(&self, flow: &DiagFlow, w: &[Rational]) -> Option<(Float, Float)> {
        let wf: Vec<Float> = w.iter().map(|q| from_rational(flow.prec, q)).collect();
        self.excess(flow, &wf)
    }
}
