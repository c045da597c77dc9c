//! What a user sees about one point of the path.

use super::DiagFlow;
use crate::num::{norm1, norm2};
use rug::Float;

/// What a user sees about one point of the path.
#[derive(Clone, Debug)]
pub struct Summary {
    pub gt: Float,
    /// loss = 10^(-loss_exp10), loss_exp10 = gt / ln 10
    pub loss_exp10: Float,
    pub gamma: Float,
    pub ln_t: Float,
    pub w: Vec<Float>,
    pub w_hat: Vec<Float>,
    pub direction: Vec<Float>,
    pub w_hat_l1: Float,
    pub w_hat_l2: Float,
    pub nu: Vec<Float>,
    pub margins: Vec<Float>,
    /// |(-log L(w)) - gt|
    pub drift: Float,
    /// drift / gt
    pub drift_rel: Float,
}

impl Summary {
    pub fn at(flow: &DiagFlow, gt: &Float, y: &[Float]) -> Summary {
        let p = flow.prec;
        let n = flow.n;
        let der = flow.derive(&y[..n]);
        let nll = flow.neg_log_loss(&der);
        let drift = Float::with_val(p, &nll - gt).abs();
        let drift_rel = Float::with_val(p, &drift / gt);
        let ln10 = Float::with_val(p, 10).ln();
        let loss_exp10 = Float::with_val(p, gt / &ln10);
        let ln_t = if y[n].is_zero() {
            Float::with_val(p, rug::float::Special::NegInfinity)
        } else {
            Float::with_val(p, gt + Float::with_val(p, y[n].ln_ref()))
        };
        let w_hat: Vec<Float> = der
            .w
            .iter()
            .map(|x| Float::with_val(p, x / &der.gamma))
            .collect();
        let n2 = norm2(p, &der.w);
        let direction = der.w.iter().map(|x| Float::with_val(p, x / &n2)).collect();
        Summary {
            gt: Float::with_val(p, gt),
            loss_exp10,
            gamma: der.gamma.clone(),
            ln_t,
            w_hat_l1: norm1(p, &w_hat),
            w_hat_l2: norm2(p, &w_hat),
            w_hat,
            direction,
            w: der.w,
            nu: y[..n].to_vec(),
            margins: der.margins,
            drift,
            drift_rel,
        }
    }
}
