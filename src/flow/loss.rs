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
