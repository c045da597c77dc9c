//! The training loss: the exp-loss of the paper, or the logistic loss
//! (docs/math.md, "Logistic loss").
//!
//! Both flows live in the same dual state nu and the same clock gt = -log L; they
//! differ only in the weights. With margins m_n, gamma = min_n m_n, e_n = exp(gamma - m_n)
//! (in (0, 1]) and x_n = exp(-m_n) = exp(-gamma) e_n:
//! - exp: p_n = e_n / sum_k e_k (softmax), and dp/dm = -(diag p - p p^T);
//! - logistic: q_n = sigma(-m_n) / sum_k log(1 + x_k)
//!   = e_n sigma(m_n) / sum_k e_k phi(x_k), with sigma(m) = 1/(1 + x) and
//!   phi(x) = log1p(x)/x (phi(0) = 1), and dq/dm = -(diag(q sigma(m)) - q q^T).
//!
//! Every factor is in (0, 1] or near 1, so nothing overflows at margins of 10^100, and
//! when exp(-gamma) underflows the logistic weights are the exp weights exactly (as
//! they are to within exp(-gamma), far below any working precision).

use rug::Float;
use serde::{Deserialize, Serialize};

/// The loss the network is trained with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Loss {
    /// L(w) = (1/N) sum_n exp(-z_n^T w)
    #[default]
    Exp,
    /// L(w) = (1/N) sum_n log(1 + exp(-z_n^T w))
    Logistic,
}

impl Loss {
    pub const ALL: [Loss; 2] = [Loss::Exp, Loss::Logistic];

    pub fn name(self) -> &'static str {
        match self {
            Loss::Exp => "exp",
            Loss::Logistic => "logistic",
        }
    }

    /// "exp" or "logistic".
    pub fn parse(s: &str) -> Option<Loss> {
        Loss::ALL.into_iter().find(|l| l.name() == s)
    }

    /// gt where the flow starts (w = 0): -log L(0), 0 for exp (L = 1) and
    /// -log(log 2) = 0.3665... for logistic (L = log 2).
    pub fn gt_start(self, prec: u32) -> Float {
        match self {
            Loss::Exp => Float::new(prec),
            Loss::Logistic => -Float::with_val(prec, rug::float::Constant::Log2).ln(),
        }
    }

    /// gt_start as people read it.
    pub fn describe_start(self) -> &'static str {
        match self {
            Loss::Exp => "0",
            Loss::Logistic => "-ln(ln 2) = 0.36651292...",
        }
    }
}

/// The weights of the flow at margins with minimum `gamma`: from e_n = exp(gamma - m_n),
/// the weights q (summing to less than or equal to 1 for logistic, to 1 for exp), the
/// diagonal of -dq/dm (q sigma(m) for logistic; None for exp, where it is q itself),
/// and the sum S_e with -log L = gamma - ln S_e + ln N.
pub(super) fn weights(
    loss: Loss,
    gamma: &Float,
    mut e: Vec<Float>,
) -> (Vec<Float>, Option<Vec<Float>>, Float) {
    let p = gamma.prec();
    match loss {
        Loss::Exp => {
            let mut sum = Float::new(p);
            for x in &e {
                sum += x;
            }
            for x in e.iter_mut() {
                *x /= &sum;
            }
            (e, None, sum)
        }
        Loss::Logistic => {
            let big_x = Float::with_val(p, -gamma).exp();
            let mut sum = Float::new(p);
            let mut sig = Vec::with_capacity(e.len());
            for en in e.iter_mut() {
                let x = Float::with_val(p, &big_x * &*en);
                // phi(x) = log1p(x)/x, sigma(m) = 1/(1 + x)
                let phi = if x.is_zero() {
                    Float::with_val(p, 1)
                } else {
                    Float::with_val(p, x.ln_1p_ref()) / &x
                };
                let s = Float::with_val(p, 1) / (Float::with_val(p, 1) + &x);
                sum += Float::with_val(p, &*en * &phi);
                *en *= &s;
                sig.push(s);
            }
            for x in e.iter_mut() {
                *x /= &sum;
            }
            let diag = e
                .iter()
                .zip(&sig)
                .map(|(q, s)| Float::with_val(p, q * s))
                .collect();
            (e, Some(diag), sum)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rug::ops::Pow;

    /// The logistic weights against the definition evaluated directly at 4000 bits
    /// (sigma(-m) = 1/(1 + e^m), ln(1 + e^-m)), at margins from -3 to 10^4; and at
    /// margins of 10^100, where e^-gamma underflows, exactly the softmax.
    #[test]
    fn logistic_weights_match_the_definition_and_do_not_overflow() {
        let p = 200;
        let hp = 4000;
        for base in ["-3", "0", "1/2", "30", "10000"] {
            let base = rug::Rational::from_str_radix(base, 10).unwrap();
            let margins: Vec<rug::Rational> = ["0", "1/3", "2", "7"]
                .iter()
                .map(|o| rug::Rational::from_str_radix(o, 10).unwrap() + &base)
                .collect();
            let m: Vec<Float> = margins
                .iter()
                .map(|q| crate::num::from_rational(p, q))
                .collect();
            let gamma = m[0].clone();
            let e: Vec<Float> = m
                .iter()
                .map(|x| Float::with_val(p, &gamma - x).exp())
                .collect();
            let (q, diag, sum) = weights(Loss::Logistic, &gamma, e);
            // direct, at high precision, on the same (rounded) margins
            let mh: Vec<Float> = m.iter().map(|x| Float::with_val(hp, x)).collect();
            let mut l = Float::new(hp);
            for x in &mh {
                l += Float::with_val(hp, -x).exp().ln_1p();
            }
            for (k, x) in mh.iter().enumerate() {
                let sig = Float::with_val(hp, 1) / (Float::with_val(hp, x.exp_ref()) + 1u32);
                let want = Float::with_val(hp, &sig / &l);
                let rel = Float::with_val(hp, &q[k] - &want).abs() / &want;
                assert!(
                    rel < Float::with_val(64, Float::i_exp(1, -190)),
                    "q[{k}] at {base}: {rel}"
                );
                let s_m = Float::with_val(hp, 1) - &sig;
                let want_d = Float::with_val(hp, &want * &s_m);
                let d = &diag.as_ref().unwrap()[k];
                let rel = Float::with_val(hp, d - &want_d).abs() / &want_d;
                assert!(
                    rel < Float::with_val(64, Float::i_exp(1, -190)),
                    "diag[{k}]: {rel}"
                );
            }
            // -ln L = gamma - ln(sum) + ln N with L = (1/N) sum ln(1 + e^-m)
            let got = Float::with_val(p, &gamma - Float::with_val(p, sum.ln_ref()));
            let want = -Float::with_val(hp, l.ln_ref());
            let err = Float::with_val(hp, &got - &want).abs();
            assert!(
                err < Float::with_val(64, Float::i_exp(1, -180)),
                "-ln(N L) at {base}: {err}"
            );
        }
        // margins of 10^100: the logistic weights are the softmax, and finite
        let p = 512;
        let big = Float::with_val(p, rug::Integer::from(10).pow(100));
        let m: Vec<Float> = [0u32, 1, 3]
            .iter()
            .map(|o| Float::with_val(p, &big + *o))
            .collect();
        let e: Vec<Float> = m
            .iter()
            .map(|x| Float::with_val(p, &m[0] - x).exp())
            .collect();
        let (ql, dl, sl) = weights(Loss::Logistic, &m[0], e.clone());
        let (qe, de, se) = weights(Loss::Exp, &m[0], e);
        assert!(de.is_none());
        assert_eq!(ql, qe);
        assert_eq!(dl.unwrap(), qe);
        assert_eq!(sl, se);
        assert!(ql.iter().all(|x| x.is_finite() && x.is_sign_positive()));
        // gt_0 = -ln(ln 2)
        let g0 = Loss::Logistic.gt_start(128);
        assert_eq!(crate::num::fmt_sig(&g0, 8), "0.36651292");
        assert!(Loss::Exp.gt_start(128).is_zero());
    }
}
