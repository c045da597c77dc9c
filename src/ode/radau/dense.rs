//! Dense output: an accepted step's collocation polynomial, for sampling and event
//! location.

use crate::num::dot::{dot_into, Term};
use crate::ode::tableau::RadauTableau;
use rug::Float;

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
        // each component y0 + Σ_i L_i(θ) Z_i in one rounding
        (0..self.y0.len())
            .map(|m| {
                let mut out = Float::new(prec);
                dot_into(
                    &mut out,
                    std::iter::once(Term::single(&self.y0[m], false))
                        .chain(w.iter().zip(self.z).map(|(wi, zi)| Term::prod(wi, &zi[m]))),
                );
                out
            })
            .collect()
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
