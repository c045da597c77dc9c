//! Bounds checks: the bounds that hold along every path (docs/math.md §7): Lemma 3
//! (loss vs time), Lemma 11 (D = 2) or 13 (D >= 3) on ||w||_inf, and the non-decreasing
//! normalized smoothed margin. The path is sampled at 40 log-spaced points of the dense
//! output; the metric is the largest relative violation, which must be within the
//! tolerance at every alpha.

use super::{Ctx, End, Evidence, Kind, Measured, Metric};
use crate::flow::DiagFlow;
use crate::num::{fmt_sig, from_rational};
use crate::reference::constants::{data_constants, DataConstants};
use rug::ops::Pow;
use rug::{Assign, Float, Rational};

pub(super) struct Bounds {
    constants: DataConstants,
}

impl Bounds {
    pub(super) fn new(ctx: &Ctx) -> Result<Bounds, String> {
        Ok(Bounds {
            constants: data_constants(ctx.z).map_err(|e| e.to_string())?,
        })
    }
}

impl Kind for Bounds {
    /// 40 log-spaced samples from min(1/100, gt/1000) to gt.
    fn samples(&self, _ctx: &Ctx, _alpha: &Rational, gt: &Rational, prec: u32) -> Vec<Rational> {
        let from = Rational::from((1, 100)).min(Rational::from(gt / 1000u32));
        crate::flow::log_spaced(&from, gt, 40, prec)
    }

    fn measure(&self, ctx: &Ctx, end: &End) -> Measured {
        let m = worst_bound_violation(
            end.flow,
            end.alpha,
            &self.constants,
            end.samples,
            ctx.case.depth,
        );
        Metric::new(
            "worst relative violation of Lemma 3, Lemma 11/13 and the smoothed-margin monotonicity",
            m,
            3,
        )
        .into()
    }

    fn verdict(&self, e: &Evidence) -> (bool, String) {
        let (alphas, tol) = (e.alphas, &e.tol);
        for a in alphas {
            if a.metric.value > *tol {
                return (
                    false,
                    format!(
                        "a bound is violated at alpha = {} by {} (relative), beyond the allowance {}",
                        a.result.alpha,
                        a.metric.display(),
                        fmt_sig(tol, 3)
                    ),
                );
            }
        }
        (
            true,
            format!(
                "every bound holds at every sample of every path (allowance {})",
                fmt_sig(tol, 3)
            ),
        )
    }
}

/// The largest relative violation, over the path samples, of the bounds that hold along
/// every path (docs/math.md §7; 0 when all hold):
/// * Lemma 3: eps(t) <= 1 / (1 + 2 D^2 alpha^(2D-2) gamma_2^2 t), i.e.
///   gt >= ln(1 + c t) = softplus(ln c + ln t);
/// * Lemma 11 (D = 2): ||w||_inf <= 2 alpha^2 sinh(xbar gt / (2 gamma_2^2 alpha^2));
///   Lemma 13 (D >= 3): ||w||_inf <= alpha^D h_D((D-2) xbar gt / (2 D gamma_2^2 alpha^D))
///   while that argument is below 1;
/// * the normalized smoothed margin (gt - ln N) / ||u||_2^D is non-decreasing once gt > ln N.
fn worst_bound_violation(
    flow: &DiagFlow,
    alpha: &Rational,
    k: &DataConstants,
    samples: &[(Float, Vec<Float>)],
    depth: u32,
) -> Float {
    bound_violations(flow, alpha, k, samples, depth).worst()
}

/// The largest relative violation of each path bound over the samples (0 where it holds).
#[derive(Clone, Debug)]
pub struct BoundViolations {
    /// Lemma 3: (softplus(ln c + ln t) - gt) / gt
    pub lemma3: Float,
    /// Lemma 11 (D = 2) or 13 (D >= 3): (||w||_inf - bound) / bound
    pub lemma11_13: Float,
    /// smoothed margin: (m_prev - m) / m_prev between consecutive samples past gt = ln N
    pub smoothed_margin: Float,
}

impl BoundViolations {
    /// The largest of the three.
    pub fn worst(&self) -> Float {
        let mut w = self.lemma3.clone();
        for v in [&self.lemma11_13, &self.smoothed_margin] {
            if *v > w {
                w.assign(v);
            }
        }
        w
    }
}

/// The violations behind [`worst_bound_violation`], bound by bound, for the path
/// `samples` (gt, state) in increasing gt of the flow `flow` on data with constants `k`.
pub fn bound_violations(
    flow: &DiagFlow,
    alpha: &Rational,
    k: &DataConstants,
    samples: &[(Float, Vec<Float>)],
    depth: u32,
) -> BoundViolations {
    let p = flow.prec;
    let n = flow.n;
    let a = from_rational(p, alpha);
    let g2 = from_rational(p, &k.gamma2_sq);
    let xbar = from_rational(p, &k.xbar);
    let dd = Float::with_val(p, depth);
    let ad = Float::with_val(p, a.clone().pow(depth));
    // c = 2 D^2 alpha^(2D-2) gamma_2^2
    let c = Float::with_val(p, a.clone().pow(2 * depth - 2))
        * Float::with_val(p, dd.square_ref())
        * 2u32
        * &g2;
    let ln_c = c.ln();
    let ln_n = Float::with_val(p, n as u32).ln();
    let mut worst = [Float::new(p), Float::new(p), Float::new(p)];
    let mut bump = |which: usize, v: Float| {
        if v > worst[which] {
            worst[which] = v;
        }
    };
    let mut prev_margin: Option<Float> = None;
    for (gt, y) in samples {
        let der = flow.derive(&y[..n]);
        // Lemma 3
        if !y[n].is_zero() {
            let ln_t = Float::with_val(p, gt + Float::with_val(p, y[n].ln_ref()));
            let x = Float::with_val(p, &ln_c + &ln_t);
            // softplus(x) = max(x, 0) + ln(1 + e^-|x|)
            let sp = Float::with_val(p, x.clone().max(&Float::new(p)))
                + Float::with_val(p, Float::with_val(p, -x.abs()).exp()).ln_1p();
            bump(0, Float::with_val(p, &sp - gt) / gt);
        }
        // Lemma 11 / 13
        let winf = crate::num::max_abs(p, &der.w);
        let bound = if depth == 2 {
            let arg = Float::with_val(p, &xbar * gt)
                / (Float::with_val(p, &g2 * a.clone().square()) * 2u32);
            Some(Float::with_val(p, a.clone().square()) * 2u32 * arg.sinh())
        } else {
            let arg = Float::with_val(p, &xbar * gt) * (depth - 2)
                / (Float::with_val(p, &g2 * &ad) * (2 * depth));
            if arg < 1u32 {
                Some(Float::with_val(
                    p,
                    &ad * crate::reference::qmu::h_d(depth, &arg),
                ))
            } else {
                None
            }
        };
        if let Some(b) = bound {
            if !b.is_zero() {
                bump(1, Float::with_val(p, &winf - &b) / b);
            }
        }
        // smoothed margin
        if *gt > ln_n {
            let mut u2 = Float::new(p);
            for beta in &der.beta {
                let (up, um) = flow.mirror.u_pair(beta);
                u2 += Float::with_val(p, up.square_ref()) + Float::with_val(p, um.square_ref());
            }
            let norm_d = Float::with_val(p, u2.sqrt_ref()).pow(depth);
            let m = Float::with_val(p, gt - &ln_n) / norm_d;
            if let Some(pm) = &prev_margin {
                if !pm.is_zero() {
                    bump(2, Float::with_val(p, pm - &m) / pm);
                }
            }
            prev_margin = Some(m);
        }
    }
    let [lemma3, lemma11_13, smoothed_margin] = worst;
    BoundViolations {
        lemma3,
        lemma11_13,
        smoothed_margin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Case;
    use crate::flow::{integrate, Numerics};

    /// The bounds hold along a real path with the data's constants, and a wrong constant
    /// (gamma_2^2 four times too large makes Lemma 3's bound too strong) is caught.
    #[test]
    fn bounds_hold_and_a_wrong_constant_is_caught() {
        let case = Case::from_toml_str(include_str!("../../cases/three_point.toml"), "three_point")
            .unwrap();
        let z = case.z();
        let p = 256;
        let alpha = Rational::from(1);
        let flow = DiagFlow::new(&z, 2, &alpha, p);
        let numerics = Numerics {
            prec: p,
            tol: crate::num::ten_pow_neg(30),
            stages: 18,
        };
        let samples: Vec<Float> =
            crate::flow::log_spaced(&Rational::from((1, 100)), &Rational::from(10_000), 40, p)
                .iter()
                .map(|q| from_rational(p, q))
                .collect();
        let sol = integrate(
            &flow,
            &numerics,
            &Float::with_val(p, 10_000),
            &samples,
            |_| {},
        )
        .unwrap();
        assert_eq!(sol.samples.len(), 40);
        let k = crate::reference::constants::data_constants(&z).unwrap();
        let ok = worst_bound_violation(&flow, &alpha, &k, &sol.samples, 2);
        assert!(ok.is_zero(), "violation {ok}");
        let mut wrong = k.clone();
        wrong.gamma2_sq *= 4u32;
        let bad = worst_bound_violation(&flow, &alpha, &wrong, &sol.samples, 2);
        assert!(
            bad > Float::with_val(p, Float::i_exp(1, -20)),
            "violation {bad}"
        );
    }
}
