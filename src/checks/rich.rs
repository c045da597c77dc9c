//! Rich checks (Theorem 7): gt(alpha) = omega(alpha^D) gives w_hat -> w_l1. The metric is
//! ||w_hat - w_l1||_2 / ||w_l1||_2 when the l1 optimum is unique, else the excess l1 norm
//! ||w_hat||_1 / ||w_l1||_1 - 1 (w_hat has margin 1 by construction); it must fall along
//! the alphas to the tolerance.

use super::{rel_dist, Ctx, End, Kind, Measured, Metric};
use crate::num::{from_rational, norm1};
use crate::reference::l1;
use rug::{Float, Rational};

pub(super) enum Rich {
    /// the unique l1 max-margin predictor, rounded to the precision of the run
    Point(Vec<Float>),
    /// ||w_l1||_1 when the l1 optimum is not unique
    ExcessL1(Rational),
}

impl Rich {
    pub(super) fn new(ctx: &Ctx, prec: u32) -> Result<Rich, String> {
        let s = l1::l1_max_margin(ctx.z).map_err(|e| e.to_string())?;
        Ok(if s.face.unique {
            Rich::Point(s.w.iter().map(|q| from_rational(prec, q)).collect())
        } else {
            Rich::ExcessL1(s.norm1)
        })
    }
}

impl Kind for Rich {
    fn measure(&self, _ctx: &Ctx, end: &End) -> Measured {
        let prec = end.flow.prec;
        match self {
            Rich::Point(w) => Metric::new(
                "distance to w_l1",
                rel_dist(prec, &end.summary.w_hat, w),
                end.shown,
            ),
            Rich::ExcessL1(opt) => Metric::new(
                "excess l1 norm (the l1 optimum is not unique)",
                norm1(prec, &end.summary.w_hat) / from_rational(prec, opt) - 1u32,
                end.shown,
            ),
        }
        .into()
    }
}
