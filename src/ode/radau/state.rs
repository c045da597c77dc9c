//! What an integration hands out and takes back: the work counters, the loop state
//! between steps (for checkpoints), the observer's answer, the outcome and the errors.

use super::dense::Segment;
use crate::ode::tableau::RadauTableau;
use rug::Float;
use serde::{Deserialize, Serialize};

/// Work counters.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stats {
    pub accepted: u64,
    pub rejected: u64,
    pub rhs_evals: u64,
    pub jac_evals: u64,
    pub lu_decomps: u64,
    pub newton_iters: u64,
    pub newton_failures: u64,
    /// inner iterations of the Newton corrections with the Jacobian's variation
    #[serde(default)]
    pub inner_iters: u64,
}

/// What the observer wants after a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}

/// Result of an integration.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub x: Float,
    pub y: Vec<Float>,
    pub stats: Stats,
    /// the observer asked to stop before x_end
    pub stopped: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum OdeError {
    #[error("step size underflow at x = {x}: the problem is too stiff or singular for the working precision")]
    StepTooSmall { x: String },
    #[error("step limit of {limit} reached at x = {x}")]
    MaxSteps { limit: u64, x: String },
    #[error("the solution became non-finite at x = {x}")]
    NonFinite { x: String },
    #[error("the stage equations of a step followed from another integration did not converge at x = {x}, even on 1/{pieces} of the step")]
    FollowFailed { x: String, pieces: u32 },
}

/// An owned step (x0, h, y0, Z): the source of the next step's predictor (the last
/// accepted step's second half step with step doubling, its full step with the
/// embedded estimate), or a copy of a dense-output segment kept beyond the observer's
/// call.
#[derive(Clone, Debug)]
pub struct StepRecord {
    pub x0: Float,
    pub h: Float,
    pub y0: Vec<Float>,
    /// stage increments of the step
    pub z: Vec<Vec<Float>>,
}

impl StepRecord {
    /// An owned copy of a segment (its tableau and its Jacobian, `Segment::jac`, aside:
    /// a follower queue keeps that beside it).
    pub fn of(seg: &Segment) -> StepRecord {
        StepRecord {
            x0: seg.x0.clone(),
            h: seg.h.clone(),
            y0: seg.y0.to_vec(),
            z: seg.z.to_vec(),
        }
    }

    /// The step as a segment of the tableau it was taken with.
    pub fn segment<'a>(&'a self, tab: &'a RadauTableau) -> Segment<'a> {
        Segment {
            tab,
            x0: &self.x0,
            h: &self.h,
            y0: &self.y0,
            z: &self.z,
            jac: None,
        }
    }

    /// x0 + h.
    pub fn x1(&self) -> Float {
        Float::with_val(self.x0.prec(), &self.x0 + &self.h)
    }
}

/// The integrator's loop state between two accepted steps: everything that the next
/// steps depend on, so that an integration continued from it (with
/// [`Radau::integrate_from`](super::Radau::integrate_from)) is identical bit for bit to
/// one that never stopped.
#[derive(Clone, Debug)]
pub struct RadauState {
    pub x: Float,
    pub y: Vec<Float>,
    /// the next step size to try
    pub h: Float,
    /// the predictor's source: the last accepted step's second half step (its full
    /// step with the embedded estimate); None before the first
    pub prev: Option<StepRecord>,
    /// the last step attempt was rejected (limits the next step's growth)
    pub last_rejected: bool,
    pub stats: Stats,
    /// the last measured Newton contraction rate (seeds the next Newton stopping test)
    pub faccon: Float,
    /// the embedded estimate's predictive controller: the last accepted step size and
    /// its error estimate (at least 1/100); None before the first accepted step and
    /// with step doubling
    pub pred: Option<(Float, Float)>,
    /// the Newton matrices are at the working precision from now on (a stage solve
    /// failed at the reduced linear-algebra precision and succeeded at the working one;
    /// see [`LinearPrecision`](super::LinearPrecision))
    pub lin_full: bool,
}

/// The loop state seen by a step hook after an accepted step (by reference: taking a
/// [`RadauState`] from it with [`StepView::snapshot`] is the only copy).
pub struct StepView<'a> {
    pub x: &'a Float,
    pub y: &'a [Float],
    pub h: &'a Float,
    pub prev: Option<&'a StepRecord>,
    pub last_rejected: bool,
    pub stats: &'a Stats,
    pub faccon: &'a Float,
    pub pred: Option<&'a (Float, Float)>,
    pub lin_full: bool,
    /// the error estimate of the step just accepted, in the problem's error measure
    /// relative to the tolerance (at most 1): step doubling's
    /// ‖y_half - y_full‖ / (2^s - 1), or the embedded estimate
    pub err: &'a Float,
}

impl StepView<'_> {
    pub fn snapshot(&self) -> RadauState {
        RadauState {
            x: self.x.clone(),
            y: self.y.to_vec(),
            h: self.h.clone(),
            prev: self.prev.cloned(),
            last_rejected: self.last_rejected,
            stats: self.stats.clone(),
            faccon: self.faccon.clone(),
            pred: self.pred.cloned(),
            lin_full: self.lin_full,
        }
    }
}
