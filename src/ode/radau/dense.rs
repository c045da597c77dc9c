//! Dense output: an accepted step's collocation polynomial, for sampling and event
//! location.

use super::options::CONTROL_PREC;
use crate::num::dot::{dot_into, Term};
use crate::num::hessenberg::Hessenberg;
use crate::ode::tableau::RadauTableau;
use rug::Float;
use std::sync::Arc;

/// One step of dense output: the collocation polynomial on [x0, x0 + h].
pub struct Segment<'a> {
    pub tab: &'a RadauTableau,
    pub x0: &'a Float,
    pub h: &'a Float,
    pub y0: &'a [Float],
    /// stage increments Z_i = Y_i - y0, i = 1..s (Z_s = y1 - y0)
    pub z: &'a [Vec<Float>],
    /// the Jacobian the step's Newton matrices were factored with, when the integrator
    /// hands it on (a main run's full steps, for the verification that follows them)
    pub jac: Option<StepJacobian<'a>>,
}

/// The Jacobian a step's Newton matrices were factored with (at the step's predicted
/// midpoint): J at the step's precision, and its Hessenberg form at the linear-algebra
/// precision `lin_prec` where the dimension takes one. A verification that follows the
/// step factors its own Newton matrices with it instead of evaluating J again: the
/// matrices only set how fast Newton converges, not what it converges to (docs/math.md
/// §9.8).
#[derive(Clone, Copy)]
pub struct StepJacobian<'a> {
    pub jac: &'a [Float],
    pub lin_prec: u32,
    pub q: Option<&'a Arc<Hessenberg>>,
}

/// An owned [`StepJacobian`], for a step queued to be followed later.
#[derive(Clone)]
pub struct OwnedStepJacobian {
    jac: Vec<Float>,
    lin_prec: u32,
    q: Option<Arc<Hessenberg>>,
}

impl OwnedStepJacobian {
    pub fn of(j: &StepJacobian) -> OwnedStepJacobian {
        OwnedStepJacobian {
            jac: j.jac.to_vec(),
            lin_prec: j.lin_prec,
            q: j.q.cloned(),
        }
    }

    pub fn view(&self) -> StepJacobian<'_> {
        StepJacobian {
            jac: &self.jac,
            lin_prec: self.lin_prec,
            q: self.q.as_ref(),
        }
    }
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
        self.eval_weights(&self.tab.dense_weights(theta), self.x0.prec())
    }

    /// y0 + Σ_i w_i Z_i at `prec` bits, each component in one rounding: the polynomial
    /// at the θ whose [`RadauTableau::dense_weights`] are `w`.
    pub fn eval_weights(&self, w: &[Float], prec: u32) -> Vec<Float> {
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

/// A polynomial in x with vector values: a segment's collocation polynomial, or its
/// truncated series beyond it ([`Extrapolant`]), as the stage solves' starting values.
pub(super) trait Predictor: Sync {
    fn predict(&self, x: &Float) -> Vec<Float>;
}

impl Predictor for Segment<'_> {
    fn predict(&self, x: &Float) -> Vec<Float> {
        self.eval(x)
    }
}

impl Predictor for Extrapolant<'_> {
    fn predict(&self, x: &Float) -> Vec<Float> {
        self.eval(x)
    }
}

/// A segment's collocation polynomial for evaluation beyond its interval (the next
/// step's predictor): its Chebyshev series on the segment, each component's cut after
/// its smallest term at the farthest point to be evaluated (docs/math.md §9.12).
///
/// Beyond the interval the series' terms a_j T_j(u) (u = 2θ - 1 > 1) grow like
/// T_j(u) ≈ (u + √(u² - 1))^j / 2, by 10^53 at degree 48 and θ = 3.8 (the next step's
/// end after a growth of 1.4). Where the solution's coefficients decay faster than that,
/// the terms decay until they reach the coefficients' rounding (the stage solves'
/// round-off floor), which the growth then amplifies; where they decay slower (a
/// singularity of the solution near the interval), the terms grow from the start and
/// the whole series extrapolates worse than its first terms. The smallest term marks
/// both: the terms after it are amplified rounding or a diverging tail, and the sum up
/// to it is the better prediction. A series whose terms decay to its last one is kept
/// whole: there this is the collocation polynomial itself.
pub(super) struct Extrapolant<'a> {
    x0: &'a Float,
    h: &'a Float,
    y0: &'a [Float],
    /// per component, the Chebyshev coefficients kept (at least a_0)
    coef: Vec<Vec<Float>>,
}

impl<'a> Extrapolant<'a> {
    /// The series of `seg`, cut for evaluation up to `x_far`.
    pub(super) fn new(seg: &Segment<'a>, x_far: &Float) -> Extrapolant<'a> {
        let s = seg.tab.s;
        let p = seg.x0.prec();
        let cheb = &seg.tab.cheb;
        // u at the farthest point, and T_j there, at the controller's precision
        let c = CONTROL_PREC;
        let u = Float::with_val(c, Float::with_val(p, x_far - seg.x0) / seg.h) * 2u32 - 1u32;
        let tj = chebyshev_t(&u, s + 1);
        let coef = (0..seg.y0.len())
            .map(|m| {
                let a: Vec<Float> = (0..=s)
                    .map(|j| {
                        let mut out = Float::new(p);
                        dot_into(
                            &mut out,
                            cheb[j * s..(j + 1) * s]
                                .iter()
                                .zip(seg.z)
                                .map(|(cji, zi)| Term::prod(cji, &zi[m])),
                        );
                        out
                    })
                    .collect();
                let keep = if u > 1u32 {
                    smallest_term(&a, &tj) + 1
                } else {
                    s + 1
                };
                a.into_iter().take(keep).collect()
            })
            .collect();
        Extrapolant {
            x0: seg.x0,
            h: seg.h,
            y0: seg.y0,
            coef,
        }
    }

    /// The truncated series at x.
    pub(super) fn eval(&self, x: &Float) -> Vec<Float> {
        let p = self.x0.prec();
        let u = Float::with_val(p, x - self.x0) / self.h * 2u32 - 1u32;
        let tj = chebyshev_t(&u, self.coef.iter().map(Vec::len).max().unwrap_or(1));
        // each component y0 + Σ_j a_j T_j(u) in one rounding
        self.coef
            .iter()
            .zip(self.y0)
            .map(|(a, y0)| {
                let mut out = Float::new(p);
                dot_into(
                    &mut out,
                    std::iter::once(Term::single(y0, false))
                        .chain(a.iter().zip(&tj).map(|(aj, t)| Term::prod(aj, t))),
                );
                out
            })
            .collect()
    }
}

/// T_0(u), ..., T_{count-1}(u) by the three-term recurrence, at u's precision (at least
/// T_0 and T_1).
fn chebyshev_t(u: &Float, count: usize) -> Vec<Float> {
    let p = u.prec();
    let mut t = vec![Float::with_val(p, 1), u.clone()];
    for j in 2..count {
        let next = crate::num::mul::mul_new(p, u, &t[j - 1]) * 2u32 - &t[j - 2];
        t.push(next);
    }
    t
}

/// The index k of the smallest term |a_j| T_j of a Chebyshev series at a point beyond
/// its interval (T_j >= 1 there), the terms taken in pairs, max(t_j, t_{j+1}) (a
/// series of one parity has every other coefficient at rounding level); the first of
/// equal ones.
fn smallest_term(a: &[Float], tj: &[Float]) -> usize {
    let c = CONTROL_PREC;
    let terms: Vec<Float> = a
        .iter()
        .zip(tj)
        .map(|(aj, t)| Float::with_val(c, aj.abs_ref()) * t)
        .collect();
    let mut best = 0;
    let mut best_v: Option<Float> = None;
    for j in 0..terms.len() {
        let v = match terms.get(j + 1) {
            Some(next) => terms[j].clone().max(next),
            None => terms[j].clone(),
        };
        if best_v.as_ref().is_none_or(|b| v < *b) {
            best_v = Some(v);
            best = j;
        }
    }
    best
}

/// y0 + Z_s, the state at the end of a step from y0 with stage increments `z`, at
/// precision `prec`.
pub(super) fn step_end(y0: &[Float], z: &[Vec<Float>], prec: u32) -> Vec<Float> {
    y0.iter()
        .zip(&z[z.len() - 1])
        .map(|(a, b)| Float::with_val(prec, a + b))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rug::ops::Pow;

    /// A segment on [0, 1] from y0 = 0 with the stage increments f(c_i), f(0) = 0, at
    /// `p` bits and 48 stages; the error of its collocation polynomial and of its
    /// truncated series at θ = 3.8 (the next step's end after a growth of 1.4), relative
    /// to f(3.8)'s size (at least 1).
    fn errors(f: impl Fn(&Float) -> Float, p: u32) -> (Float, Float) {
        let tab = RadauTableau::new(48, p);
        let z: Vec<Vec<Float>> = tab.c.iter().map(|c| vec![f(c)]).collect();
        let (x0, h) = (Float::new(p), Float::with_val(p, 1));
        let y0 = vec![Float::new(p)];
        let seg = Segment {
            tab: &tab,
            x0: &x0,
            h: &h,
            y0: &y0,
            z: &z,
            jac: None,
        };
        let far = Float::with_val(p, 38) / 10u32;
        let exact = f(&far);
        let scale = Float::with_val(p, exact.abs_ref()).max(&Float::with_val(p, 1));
        let err = |v: Vec<Float>| Float::with_val(p, &v[0] - &exact).abs() / &scale;
        let full = err(seg.eval(&far));
        let cut = err(Extrapolant::new(&seg, &far).eval(&far));
        (full, cut)
    }

    fn pow10(p: u32, e: i32) -> Float {
        Float::with_val(p, 10).pow(e)
    }

    /// exp(θ) - 1: its coefficients fall below the stage values' rounding (2^-192)
    /// in the thirties, and the collocation polynomial's remaining degrees amplify that
    /// rounding by up to T_48(6.6) ≈ 10^53 (measured: 1.2e-7 off, the cut series
    /// 3.9e-23); the series cut there keeps what the data carry.
    #[test]
    fn rounding_beyond_the_interval_is_cut() {
        let p = 192;
        let (full, cut) = errors(|x| Float::with_val(p, x.exp_ref()) - 1u32, p);
        assert!(cut < pow10(p, -20), "cut series off by {cut}");
        assert!(
            full > Float::with_val(p, &cut * pow10(p, 10)),
            "full {full}, cut {cut}"
        );
    }

    /// 1/(1 + 2θ) - 1, a pole at θ = -1/2: its Chebyshev coefficients decay like
    /// 3.73^-j, and T_j(6.6) grows like 13.1^j, so the degree-48 polynomial extrapolates
    /// it 10^26 off; the series cut at its smallest term stays within the function's size
    /// (measured: 0.46).
    #[test]
    fn a_diverging_series_is_cut_at_its_smallest_term() {
        let p = 256;
        let (full, cut) = errors(|x| (Float::with_val(p, x * 2u32) + 1u32).recip() - 1u32, p);
        assert!(cut < 1u32, "cut series off by {cut}");
        assert!(full > pow10(p, 10), "full polynomial off by only {full}");
    }

    /// A polynomial of low degree is extrapolated to the precision (measured: 2e-57),
    /// where the collocation polynomial amplifies the rounding of its 48 values
    /// (measured: 1.7e-7 off).
    #[test]
    fn a_low_degree_polynomial_extrapolates_exactly() {
        let p = 192;
        let (full, cut) = errors(|x| Float::with_val(p, x * x) + x, p);
        assert!(cut < pow10(p, -50), "cut series off by {cut}");
        assert!(full > pow10(p, -20), "full polynomial off by only {full}");
    }
}
