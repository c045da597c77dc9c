//! Kernel checks (Theorem 4): gt(alpha) = o(alpha^D) gives w_hat -> w_l2; the metric is
//! ||w_hat - w_l2||_2 / ||w_l2||_2, which must fall along the alphas to the tolerance.

use super::{rel_dist, Ctx, End, Kind, Measured, Metric};
use crate::num::from_rational;
use crate::reference::l2;
use rug::Float;

pub(super) struct Kernel {
    /// the exact l2 max-margin predictor, rounded to the precision of the run
    w_l2: Vec<Float>,
}

impl Kernel {
    pub(super) fn new(ctx: &Ctx, prec: u32) -> Result<Kernel, String> {
        let s = l2::l2_max_margin(ctx.z).map_err(|e| e.to_string())?;
        Ok(Kernel {
            w_l2: s.w.iter().map(|q| from_rational(prec, q)).collect(),
        })
    }
}

impl Kind for Kernel {
    fn measure(&self, _ctx: &Ctx, end: &End) -> Measured {
        let m = rel_dist(end.flow.prec, &end.summary.w_hat, &self.w_l2);
        Metric::new("distance to w_l2", m, end.shown).into()
    }
}
