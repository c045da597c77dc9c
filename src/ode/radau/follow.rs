//! Following another integration: one stage solve over each of its accepted steps
//! (segments), with this integrator's tableau and precision, Newton started from the
//! other integration's collocation polynomial on the same interval. No error estimate
//! and no step-size control: the steps are the guide's. A stage solve that does not
//! converge is split in halves (each again started from the guide's polynomial), at
//! most [`MAX_FOLLOW_SPLITS`] times.

use super::dense::{step_end, Segment};
use super::newton::all_finite;
use super::state::{OdeError, Stats};
use super::Radau;
use crate::ode::tableau::NodeWeights;
use crate::ode::Ode;
use rayon::prelude::*;
use rug::Float;

/// A guide step whose stage solve does not converge is split in halves at most this
/// deep (into at most 2^6 = 64 pieces) before the follower gives up
/// ([`OdeError::FollowFailed`]). Value: a step the guide's error control accepted is
/// smooth on its own scale, so a split that deep means something other than the length.
pub const MAX_FOLLOW_SPLITS: u32 = 6;

/// A follower between two guide segments: everything its next steps depend on, so that
/// one continued from it is identical bit for bit to one that never stopped.
#[derive(Clone, Debug)]
pub struct FollowState {
    pub x: Float,
    pub y: Vec<Float>,
    /// steps (pieces) accepted and split, right-hand sides, Jacobians, ...
    pub stats: Stats,
    /// the last stage solve's contraction rate (the Newton stopping test's η)
    pub faccon: Float,
    /// the Newton matrices are at the working precision from now on
    pub lin_full: bool,
}

impl FollowState {
    /// A follower at (x, y), before its first step (values rounded to `prec` bits).
    pub fn start(x: &Float, y: &[Float], prec: u32) -> FollowState {
        FollowState {
            x: Float::with_val(prec, x),
            y: y.iter().map(|v| Float::with_val(prec, v)).collect(),
            stats: Stats::default(),
            faccon: Float::with_val(prec, 1),
            lin_full: false,
        }
    }
}

impl<O: Ode> Radau<'_, O> {
    /// Follow one guide segment: from `st` (at the guide's start x0, rounded to this
    /// integrator's precision) to its end x0 + h, in one stage solve or, when that does
    /// not converge, in halves. The observer sees every piece taken (this integrator's
    /// dense output). Returns the state at the segment's end.
    pub fn follow(
        mut self,
        st: FollowState,
        guide: &Segment,
        mut observer: impl FnMut(&Segment),
    ) -> Result<FollowState, OdeError> {
        let p = self.prec;
        let FollowState {
            x,
            mut y,
            stats,
            faccon,
            lin_full,
        } = st;
        self.stats = stats;
        self.faccon = faccon;
        self.lin_full = lin_full;
        let x1 = Float::with_val(p, guide.x0 + guide.h);
        // the guide's polynomial at this tableau's nodes and midpoint, for the whole
        // segment (the same weights on every segment, computed once)
        let weights = guide.tab.weights_at_nodes(self.tab, guide.x0.prec());
        // pieces still to take, the next on top: (start, end, depth)
        let mut todo = vec![(x, x1, 0u32)];
        let mut at = Float::with_val(p, guide.x0);
        while let Some((a, b, depth)) = todo.pop() {
            let h = Float::with_val(p, &b - &a);
            let whole = (depth == 0).then_some(&*weights);
            match self.follow_step(&a, &y, &h, guide, whole) {
                Some(z) => {
                    let seg = Segment {
                        tab: self.tab,
                        x0: &a,
                        h: &h,
                        y0: &y,
                        z: &z,
                        jac: None,
                    };
                    observer(&seg);
                    let y1 = step_end(&y, &z, p);
                    if !all_finite(&y1) {
                        return Err(OdeError::NonFinite {
                            x: crate::num::fmt_sig(&b, 12),
                        });
                    }
                    y = y1;
                    self.stats.accepted += 1;
                    at = b;
                }
                None => {
                    self.stats.rejected += 1;
                    if depth >= MAX_FOLLOW_SPLITS {
                        return Err(OdeError::FollowFailed {
                            x: crate::num::fmt_sig(&a, 12),
                            pieces: 1 << MAX_FOLLOW_SPLITS,
                        });
                    }
                    let mid = Float::with_val(p, &h / 2u32) + &a;
                    todo.push((mid.clone(), b, depth + 1));
                    todo.push((a, mid, depth + 1));
                }
            }
        }
        Ok(FollowState {
            x: at,
            y,
            stats: self.stats,
            faccon: self.faccon,
            lin_full: self.lin_full,
        })
    }

    /// One stage solve from (x, y) over [x, x + h] inside the guide's interval, started
    /// from the guide's increments Z_i = u(x + c_i h) - u(x). `whole`: the piece is the
    /// guide's whole segment, and these are the guide's weights at this tableau's nodes
    /// and midpoint (θ = c_i and 1/2 exactly, u(x) = the guide's y0). The Newton matrices
    /// are factored with the Jacobian the guide's own were (at its predicted midpoint,
    /// [`Segment::jac`]) on a whole segment that hands it on, and with the Jacobian at
    /// y + u(x + h/2) - u(x) otherwise (a piece of a split segment, or a guide without
    /// it). The stage increments, or None when it does not converge.
    fn follow_step(
        &mut self,
        x: &Float,
        y: &[Float],
        h: &Float,
        guide: &Segment,
        whole: Option<&NodeWeights>,
    ) -> Option<Vec<Vec<Float>>> {
        let p = self.prec;
        let gp = guide.x0.prec();
        let xm = Float::with_val(p, h / 2u32) + x;
        let (u0, um) = match whole {
            Some(w) => (guide.eval_weights(&[], gp), guide.eval_weights(&w.half, gp)),
            None => (guide.eval(x), guide.eval(&xm)),
        };
        let ym: Vec<Float> = y
            .iter()
            .zip(um.iter().zip(&u0))
            .map(|(a, (b, c))| Float::with_val(p, b - c) + a)
            .collect();
        self.with_precision_fallback(|r| {
            let mut z = match whole {
                Some(w) => w
                    .nodes
                    .par_iter()
                    .map(|wi| {
                        let u = guide.eval_weights(wi, gp);
                        u.iter()
                            .zip(&u0)
                            .map(|(a, b)| Float::with_val(p, a - b))
                            .collect()
                    })
                    .collect(),
                None => r.guess_from(guide, x, h, &u0),
            };
            // a whole segment: the Jacobian the main run factored its step with, at its
            // predicted midpoint (the Newton matrices set only how fast Newton converges)
            let fac = match (whole, &guide.jac) {
                (Some(_), Some(j)) => r.factor_given(j, h)?,
                _ => r.factor_at(&xm, &ym, h)?,
            };
            r.newton(x, y, h, &mut z, &fac, None).then_some(z)
        })
    }
}
