//! Dense output: an accepted step's collocation polynomial, for sampling and event
//! location.

use crate::ode::tableau::RadauTableau;
use rug::{Assign, Float};

/// One step of dense output: the collocation polynomial on [x0, x0 + h].
pub struct Segment<'a> {
    pub tab: &'a RadauTableau,
    pub x0: &'a Float,
    pub h: &'a Float,
    pub y0: &'a [Float],
    /// stage increments Z_i = Y_i - y0, i = 1..s (Z_s = y1 - y0)
    pub z: &'a [Vec<Float>],
}

impl Segment<'_> {
    pub fn x1(&self) -> Float {
        Float::with_val(self.x0.prec(), self.x0 + self.h)
    }

    /// The state at the end of the segment.
    pub fn y1(&self) -> Vec<Float> {
        let s = self.tab.s;
        self.y0
            .iter()
            .zip(&self.z[s - 1])
            .map(|(a, b)| Float::with_val(a.prec(), a + b))
            .collect()
    }

    /// The collocation polynomial at θ = (x - x0)/h (θ in [0, 1] interpolates; outside
    /// it extrapolates).
    pub fn eval_theta(&self, theta: &Float) -> Vec<Float> {
        let w = self.tab.dense_weights(theta);
        let prec = self.x0.prec();
        let mut out: Vec<Float> = self.y0.iter().map(|v| Float::with_val(prec, v)).collect();
        let mut t = Float::new(prec);
        for (wi, zi) in w.iter().zip(self.z) {
            for (o, z) in out.iter_mut().zip(zi) {
                t.assign(wi * z);
                *o += &t;
            }
        }
        out
    }

    /// The collocation polynomial at x.
    pub fn eval(&self, x: &Float) -> Vec<Float> {
        let theta = Float::with_val(self.x0.prec(), x - self.x0) / self.h;
        self.eval_theta(&theta)
    }
}

/// y0 + Z_s, the state at the end of a step from y0 with stage increments `z`, at
/// precision `prec`.
pub(super) fn step_end(y0: &[Float], z: &[Vec<Float>], prec: u32) -> Vec<Float> {
    y0.iter()
        .zip(&z[z.len() - 1])
        .map(|(a, b)| Float::with_val(prec, a + b))
        .collect()
}
