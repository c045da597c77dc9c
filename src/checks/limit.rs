//! Limit checks (Theorem 2, the fixed-alpha limit): w_hat at gt(alpha) is near a declared
//! point, which the check first verifies to be a KKT point of the l_{2/D} max-margin
//! problem (and, if declared, its global minimum or a strict local minimum that is not
//! global; `reference::l2d`). The metric is ||w_hat - p||_2 / ||p||_2, within the
//! tolerance at every alpha.

use super::{one_based, rel_dist, Ctx, End, Evidence, Kind, Measured, Measurement, Metric};
use crate::case::spec::Optimum;
use crate::num::{fmt_sig, from_rational};
use crate::reference::{l1, l2d};
use rug::{Float, Rational};

/// What a limit check knows about its declared point, computed once per check.
pub(super) struct Limit {
    depth: u32,
    optimum: Option<Optimum>,
    point: Vec<Float>,
    analysis: l2d::PointAnalysis,
    global: Result<l2d::GlobalMin, String>,
    /// w_l1 (unique or not: the LP's optimal vertex) and its analysis
    l1: Option<(Vec<Rational>, l2d::PointAnalysis)>,
    prec: u32,
}

impl Limit {
    pub(super) fn new(ctx: &Ctx, point: &[Rational], optimum: Option<Optimum>, prec: u32) -> Limit {
        let depth = ctx.case.depth;
        Limit {
            depth,
            optimum,
            point: point.iter().map(|q| from_rational(prec, q)).collect(),
            analysis: l2d::analyze_point(ctx.z, point, depth, prec),
            global: l2d::global_min(ctx.z, depth, prec),
            l1: l1::l1_max_margin(ctx.z)
                .ok()
                .map(|s| (s.w.clone(), l2d::analyze_point(ctx.z, &s.w, depth, prec))),
            prec,
        }
    }
}

/// "l1" for D = 2, "l_{2/D}" otherwise.
fn l2d_name(depth: u32) -> String {
    if depth == 2 {
        "l1".to_string()
    } else {
        format!("l_{{2/{depth}}}")
    }
}

fn exact_vector(v: &[Rational]) -> String {
    let items: Vec<String> = v.iter().map(|q| q.to_string()).collect();
    format!("({})", items.join(", "))
}

impl Kind for Limit {
    fn measure(&self, _ctx: &Ctx, end: &End) -> Measured {
        let m = rel_dist(end.flow.prec, &end.summary.w_hat, &self.point);
        Metric::new("distance to the declared limit point", m, end.shown).into()
    }

    /// First what the declared point is (a KKT point of the l_{2/D} problem; the global
    /// minimum or a strict local minimum that is not global, when the check says so),
    /// then the distance of w_hat to it at every alpha.
    fn verdict(&self, e: &Evidence) -> (bool, String) {
        let (alphas, tol) = (e.alphas, &e.tol);
        let prec = self.prec;
        let a = &self.analysis;
        let name = l2d_name(self.depth);
        let f = if self.depth == 2 {
            "||w||_1".to_string()
        } else {
            format!("sum |w_i|^(2/{})", self.depth)
        };
        if a.min_margin != 1 {
            return (
                false,
                format!(
                    "the declared point is not a KKT point of the {name} max-margin problem: its smallest margin is {} (a KKT point has margin 1)",
                    a.min_margin
                ),
            );
        }
        if !a.kkt {
            return (
                false,
                format!(
                    "the declared point is not a KKT point of the {name} max-margin problem: the stationarity residual with the best non-negative multipliers on its active points {} is {}",
                    one_based(&a.active),
                    fmt_sig(&a.stationarity, 3)
                ),
            );
        }
        // what the point is among the l_{2/D} minima
        let mut what = format!(
            "the point is a KKT point of the {name} max-margin problem (support {}, active points {}, residual {})",
            one_based(&a.support),
            one_based(&a.active),
            fmt_sig(&a.stationarity, 3)
        );
        if a.strict_local_min {
            what += ", a strict local minimum";
        }
        let value = fmt_sig(&a.value, 8);
        match &self.global {
            Ok(g) => {
                let top = Float::with_val(
                    prec,
                    &g.value
                        * (Float::with_val(prec, 1u32)
                            + crate::num::pow2(prec, -(prec as i32) / 2)),
                );
                let is_global = a.value <= top;
                what += &format!(
                    ", with {f} = {value}; the global minimum over the {} feasible vertices is {} at {}",
                    g.vertices,
                    fmt_sig(&g.value, 8),
                    exact_vector(&g.w)
                );
                if g.minimizers > 1 {
                    what += &format!(" ({} minimizers)", g.minimizers);
                }
                match self.optimum {
                    Some(Optimum::Global) if !is_global => {
                        return (
                            false,
                            format!("the declared point is not the global minimum: {what}"),
                        )
                    }
                    Some(Optimum::Local) if is_global => {
                        return (
                            false,
                            format!("the declared point is not a local-but-not-global minimum: it is a global one: {what}"),
                        )
                    }
                    Some(Optimum::Local) if !a.strict_local_min => {
                        return (
                            false,
                            format!("the declared point is not certified as a strict local minimum (that needs D >= 3, as many active points as support coordinates, full rank and positive multipliers): {what}"),
                        )
                    }
                    _ => {}
                }
            }
            Err(e) => {
                what += &format!(", with {f} = {value}; the global minimum is not known: {e}");
                if self.optimum.is_some() {
                    return (
                        false,
                        format!("the declared optimum cannot be verified: {what}"),
                    );
                }
            }
        }
        if let Some((w1, a1)) = &self.l1 {
            what += &format!(
                "; w_l1 = {} has {f} = {} and is {}a KKT point of the {name} problem (residual {})",
                exact_vector(w1),
                fmt_sig(&a1.value, 8),
                if a1.kkt { "" } else { "not " },
                fmt_sig(&a1.stationarity, 3)
            );
        }
        let mut worst: Option<&Measurement> = None;
        for r in alphas {
            let m = &r.metric.value;
            if *m > *tol {
                return (
                    false,
                    format!(
                        "w_hat at alpha = {} (gt = {}) is at distance {} from the declared point, above the tolerance {}; {what}",
                        r.result.alpha,
                        fmt_sig(&r.result.gt, 12),
                        r.metric.display(),
                        fmt_sig(tol, 3)
                    ),
                );
            }
            if worst.is_none_or(|w| *m > w.metric.value) {
                worst = Some(r);
            }
        }
        match worst {
            Some(w) => (
                true,
                format!(
                    "w_hat is within {} of the declared point at every alpha (largest at alpha = {}; tolerance {}); {what}",
                    w.metric.display(),
                    w.result.alpha,
                    fmt_sig(tol, 3)
                ),
            ),
            None => (false, "no alpha was run".to_string()),
        }
    }
}
