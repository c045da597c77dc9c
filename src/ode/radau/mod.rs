//! Radau IIA integrator over MPFR.
//!
//! * Stage equations solved by simplified Newton with the analytic Jacobian of the
//!   problem ([`Ode::jacobian`]), evaluated once per step attempt at the (predicted)
//!   midpoint of the full step, whose two half steps reuse it. The Newton
//!   matrix I - hA⊗J is block-diagonalized with A^{-1} = TΛT^{-1} (Hairer & Wanner,
//!   IV.8): one real n x n system per real eigenvalue and one complex n x n system per
//!   complex pair, each factored once per step size (`newton.rs`). In the full step
//!   the Jacobian is also sampled at four more points of the predicted step, and each
//!   correction is refined towards Newton's with the stages' interpolated Jacobians
//!   by inner iterations that evaluate no right-hand side
//!   ([`RadauOptions::stage_jacobians`], `variation.rs`): about 4 Newton iterations
//!   instead of 11 on the flows.
//! * Local error from step doubling: every step is taken once with h and twice with
//!   h/2 (the two half steps start from the full step's collocation polynomial, so
//!   their Newton iterations start close). The half-step result is kept and the
//!   difference, divided by 2^s - 1 (the stage order s, a conservative choice that
//!   stays honest when stiff components show order reduction), is the error estimate.
//!   The next step's full step starts its Newton iteration from the last accepted
//!   step's second half step polynomial, extrapolated (docs/math.md §9.2) as its
//!   Chebyshev series cut after its smallest term at the step's end
//!   ([`Extrapolant`](dense::Extrapolant), §9.12).
//!   The step-size controller's constants are [`RadauOptions`] fields and the
//!   constants of [`options`].
//! * Optionally ([`ErrorEstimate::Embedded`]) the local error comes instead from
//!   RADAU5's embedded formula of order s (one stage solve per step; see
//!   [`Embedded`](super::tableau::Embedded)); measured against step doubling in
//!   docs/benchmarks.md, where it is not the better choice.
//! * A problem may bound the steps ([`Ode::step_bound`]: where its solution stops being
//!   smooth on the step's scale, e.g. a pole of a map it evaluates). Every step is cut
//!   to the bound; after an accepted step whose estimate asked for at least the growth
//!   limit [`RadauOptions::max_step_growth`], the next step is grown to the bound at
//!   once, and a step more than twice that growth longer than the last starts its
//!   stage solve from y rather than from the last step's extrapolated polynomial.
//! * Optionally ([`RadauOptions::predictive`]) the step after an accepted step is the
//!   smaller of the standard and Gustafsson's predictive size, with step doubling too.
//! * Dense output: each accepted half step (with the embedded estimate: each accepted
//!   step) is reported as a [`Segment`] carrying its collocation polynomial (degree s),
//!   for sampling and event location.
//!
//! * A second integration can follow the accepted steps of a first one
//!   ([`Radau::follow`]): one stage solve per step of the first, with its own tableau
//!   and precision, Newton started from the first's collocation polynomial on the same
//!   interval (a flow's verification, docs/math.md §9.8).
//!
//! The files: `mod.rs` the step loop; `follow.rs` following another integration;
//! [`options`] the options and control constants; `state.rs` what goes in and out (work
//! counters, loop state, outcome, errors); `dense.rs` the dense output; `newton.rs` the
//! stage solve; `variation.rs` its refinement with the Jacobian's variation; `step.rs`
//! one step attempt and the step-size update.

mod dense;
mod follow;
mod newton;
pub mod options;
mod state;
mod step;
mod transform;
mod variation;

pub use dense::{OwnedStepJacobian, Segment, StepJacobian};
pub use follow::{FollowState, MAX_FOLLOW_SPLITS};
pub use options::{
    stage_roundoff_bits, stage_solve_bits, ErrorEstimate, LinearPrecision, RadauOptions, Ratio,
    NEWTON_GOAL_BITS,
};
pub use state::{Control, OdeError, Outcome, RadauState, Stats, StepRecord, StepView};

use super::tableau::RadauTableau;
use super::Ode;
use dense::step_end;
use newton::all_finite;
use options::{CONTROL_PREC, SLIVER_BITS, UNDERFLOW_GUARD_BITS};
use rug::ops::Pow;
use rug::{Assign, Float};

/// The integrator's state for one problem.
pub struct Radau<'a, O: Ode> {
    ode: &'a O,
    tab: &'a RadauTableau,
    opts: RadauOptions,
    n: usize,
    prec: u32,
    jac: Vec<Float>,
    pub stats: Stats,
    faccon: Float,
    /// the Newton matrices are at the working precision from now on (see
    /// [`LinearPrecision::Reduced`])
    lin_full: bool,
    /// a step attempt at the reduced linear-algebra precision failed in its Newton
    /// iteration, and no attempt has succeeded since (zero at every accepted step, so
    /// never part of a checkpoint)
    reduced_newton_failure: bool,
    /// the last factorization at the reduced precision was refused (a zero pivot or
    /// the pivot test)
    reduced_refused: bool,
}

impl<'a, O: Ode> Radau<'a, O> {
    pub fn new(ode: &'a O, tab: &'a RadauTableau, opts: RadauOptions) -> Self {
        let n = ode.dim();
        let prec = ode.prec();
        Radau {
            ode,
            tab,
            opts,
            n,
            prec,
            jac: vec![Float::new(prec); n * n],
            stats: Stats::default(),
            faccon: Float::with_val(prec, 1),
            lin_full: false,
            reduced_newton_failure: false,
            reduced_refused: false,
        }
    }

    /// The precision of the Newton matrices now: the reduced one until a step needed the
    /// working precision, for problems of at least
    /// [`HESSENBERG_MIN_DIM`](options::HESSENBERG_MIN_DIM) components
    /// ([`LinearPrecision::Reduced`]) or of any size ([`LinearPrecision::ReducedAll`]).
    fn lin_prec(&self) -> u32 {
        match self.opts.linear_precision {
            LinearPrecision::Reduced(bits)
                if !self.lin_full && self.n >= options::HESSENBERG_MIN_DIM =>
            {
                bits.min(self.prec)
            }
            LinearPrecision::ReducedAll(bits) if !self.lin_full => bits.min(self.prec),
            _ => self.prec,
        }
    }

    /// Integrate from (x0, y0) to x_end (> x0). The observer sees every accepted half
    /// step (with the embedded estimate: every accepted step) as a dense-output segment
    /// and may stop the integration.
    pub fn integrate(
        self,
        x0: &Float,
        y0: &[Float],
        x_end: &Float,
        observer: impl FnMut(&Segment) -> Control + Send,
    ) -> Result<Outcome, OdeError> {
        let state = self.initial_state(x0, y0, x_end);
        self.integrate_from(state, x_end, observer, |_: &StepView| Control::Continue)
    }

    /// The first step tried from (x0, y0), before it is cut to the span: the option's,
    /// else tol^(1/(2s)) (with the embedded estimate: its tolerance^(1/(s+1))), cut to
    /// the problem's bound when it gives one.
    fn first_step(&self, x0: &Float, y0: &[Float]) -> Float {
        let p = self.prec;
        match &self.opts.h_init {
            Some(h) => Float::with_val(p, h),
            None => {
                let (tol, order) = match self.opts.estimate {
                    ErrorEstimate::StepDoubling => (&self.opts.tol, 2 * self.tab.s as u32),
                    ErrorEstimate::Embedded => (self.embedded_tol(), self.tab.s as u32 + 1),
                };
                let e = Float::with_val(CONTROL_PREC, 1) / order;
                let h = Float::with_val(p, tol.clone().pow(e));
                match self.ode.first_step_bound(x0, y0) {
                    Some(b) if b.is_finite() && b > 0u32 && b < h => Float::with_val(p, &b),
                    _ => h,
                }
            }
        }
    }

    /// Apply the problem's step bound at (x, y) to the step h ([`Ode::step_bound`]): h
    /// is cut to the bound and, when `grow` (the last estimate asked for at least the
    /// growth limit), raised to it. Returns f(x, y), one RHS evaluation the caller counts.
    fn apply_step_bound(&self, x: &Float, y: &[Float], h: &mut Float, grow: bool) -> Vec<Float> {
        let mut f = vec![Float::new(self.prec); self.n];
        self.ode.rhs(x, y, &mut f);
        if let Some(b) = self.ode.step_bound(x, y, &f, &self.opts.tol) {
            if b.is_finite() && b > 0u32 && ((grow && b > *h) || *h > b) {
                h.assign(&b);
            }
        }
        f
    }

    /// The tolerance of the embedded estimate: the option's, else `tol`.
    fn embedded_tol(&self) -> &Float {
        self.opts.embedded_tol.as_ref().unwrap_or(&self.opts.tol)
    }

    /// The loop state at the start of an integration from (x0, y0) towards x_end.
    pub fn initial_state(&self, x0: &Float, y0: &[Float], x_end: &Float) -> RadauState {
        let p = self.prec;
        let span = Float::with_val(p, x_end - x0);
        let mut h = self.first_step(x0, y0);
        let mut stats = Stats::default();
        if self.ode.bounds_steps() {
            self.apply_step_bound(x0, y0, &mut h, false);
            stats.rhs_evals += 1;
        }
        if h > span {
            h.assign(&span);
        }
        RadauState {
            x: Float::with_val(p, x0),
            y: y0.iter().map(|v| Float::with_val(p, v)).collect(),
            h,
            prev: None,
            last_rejected: false,
            stats,
            faccon: Float::with_val(p, 1),
            pred: None,
            lin_full: false,
        }
    }

    /// Continue an integration from a loop state (from [`Radau::initial_state`] or a
    /// [`StepView::snapshot`] of an earlier integration of the same problem with the
    /// same tableau and options) to x_end. Besides the observer, `step_hook` sees the
    /// loop state after every accepted step except the last, and may stop there: the
    /// integration can then be continued from its snapshot, bit for bit.
    pub fn integrate_from(
        self,
        state: RadauState,
        x_end: &Float,
        observer: impl FnMut(&Segment) -> Control + Send,
        step_hook: impl FnMut(&StepView) -> Control + Send,
    ) -> Result<Outcome, OdeError> {
        // run on a rayon worker, so that the parallel loops of every step do not each
        // pay for a hand-off from a thread outside the pool
        rayon::scope(|_| self.integrate_on_worker(state, x_end, observer, step_hook))
    }

    fn integrate_on_worker(
        mut self,
        state: RadauState,
        x_end: &Float,
        mut observer: impl FnMut(&Segment) -> Control,
        mut step_hook: impl FnMut(&StepView) -> Control,
    ) -> Result<Outcome, OdeError> {
        let p = self.prec;
        let s = self.tab.s;
        let tab = self.tab;
        let RadauState {
            mut x,
            mut y,
            mut h,
            prev: mut prev_seg,
            mut last_rejected,
            stats,
            faccon,
            mut pred,
            lin_full,
        } = state;
        let embedded = self.opts.estimate == ErrorEstimate::Embedded;
        let emb_tol = self.embedded_tol().clone();
        // the embedded estimate's step-size exponent -1/(s+1) and f(x, y) at the start
        // of the step (computed once per accepted step)
        let expo_emb = Float::with_val(CONTROL_PREC, -1) / (s as u32 + 1);
        let mut f0: Option<Vec<Float>> = None;
        // whether the problem bounds the steps (Ode::step_bound): after every accepted
        // step the next is cut to the bound, or grown to it at once when the estimate
        // asked for at least the growth limit
        let bounded = self.ode.bounds_steps();
        // whether a step of h is far longer than the last record's own interval (grown to
        // the problem's bound): more than 4 · growth of the record's length (with step
        // doubling the record is the last step's second half: twice the growth of the
        // step). Such a step, with either estimate, starts its Newton iteration from y,
        // not from the record's polynomial extrapolated far beyond its interval
        let growth = self.opts.max_step_growth.control();
        let far =
            |r: &StepRecord, h: &Float| bounded && Float::with_val(p, &r.h * &growth) * 4u32 < *h;
        self.stats = stats;
        self.faccon = faccon;
        self.lin_full = lin_full;
        // error-estimate divisor 2^s - 1 and step-size exponent 1/(2s)
        let divisor = Float::with_val(p, Float::i_exp(1, s as i32)) - 1u32;
        let expo = Float::with_val(CONTROL_PREC, -1) / (2 * s as u32);
        let steps_limit = self.opts.max_steps;
        // the resolution of x relative to |x|
        let unit = Float::with_val(
            p,
            Float::i_exp(1, -(p as i32 - UNDERFLOW_GUARD_BITS as i32)),
        );
        // the first step from x = 0 (the scale of the underflow floor there)
        let first_step = if x.is_zero() {
            // the first step tried: the state's (cut to the problem's step bound, which
            // may be far shorter than the default first step)
            self.first_step(&x, &y).min(&h)
        } else {
            Float::new(p)
        };
        loop {
            if self.stats.accepted + self.stats.rejected >= steps_limit {
                return Err(OdeError::MaxSteps {
                    limit: steps_limit,
                    x: crate::num::fmt_sig(&x, 12),
                });
            }
            let remaining = Float::with_val(p, x_end - &x);
            // the resolution of x
            let res = Float::with_val(p, x.abs_ref()) * &unit;
            if remaining <= res {
                // x_end is within the resolution of x (a sliver left by rounding):
                // the state at x is the state at x_end to the working precision
                return Ok(Outcome {
                    x: Float::with_val(p, x_end),
                    y,
                    stats: self.stats,
                    stopped: false,
                });
            }
            let mut last = false;
            // a step that would leave a sliver of less than 2^-SLIVER_BITS of itself
            // goes to x_end
            let sliver = Float::with_val(CONTROL_PREC, Float::i_exp(1, -(SLIVER_BITS as i32)));
            let stretched = Float::with_val(p, &h * (1 + sliver));
            if stretched >= remaining {
                h.assign(&remaining);
                last = true;
            }
            // underflow: h below the resolution of x; at x = 0, where that resolution is 0,
            // below the same fraction of the first step tried, cut to the span (else a
            // first step that never converges would be halved forever, MPFR's exponent
            // range being practically unbounded). Not the end point's: a far end point
            // (x_end = 1e100) would make every reasonable first step an underflow.
            let floor = if x.is_zero() {
                Float::with_val(p, first_step.abs_ref()).min(&remaining) * &unit
            } else {
                res
            };
            if h <= floor || h.is_zero() {
                return Err(OdeError::StepTooSmall {
                    x: crate::num::fmt_sig(&x, 12),
                });
            }
            let (stop, y_new, record, fac, err) = if embedded {
                let f0v = f0.get_or_insert_with(|| {
                    let mut f = vec![Float::new(p); self.n];
                    self.ode.rhs(&x, &y, &mut f);
                    self.stats.rhs_evals += 1;
                    f
                });
                let retry = prev_seg.is_none() || last_rejected;
                let guess = prev_seg.as_ref().filter(|r| !far(r, &h));
                let Some(step) = self.with_precision_fallback(|r| {
                    r.attempt_embedded(&x, &y, &h, guess, f0v, retry, &emb_tol)
                }) else {
                    h *= &self.opts.newton_failure_shrink.control();
                    self.stats.rejected += 1;
                    last_rejected = true;
                    continue;
                };
                let y1 = step.y1;
                if !all_finite(&y1) {
                    return Err(OdeError::NonFinite {
                        x: crate::num::fmt_sig(&x, 12),
                    });
                }
                let err = step.err;
                if err.is_nan() || err > 1u32 {
                    let fac = self.step_factor(&err, &expo_emb);
                    self.stats.rejected += 1;
                    last_rejected = true;
                    h *= &self.after_rejection(fac);
                    continue;
                }
                let fac = self.step_factor_pred(&err, &expo_emb, &h, &mut pred);
                self.stats.accepted += 1;
                let seg = Segment {
                    tab,
                    x0: &x,
                    h: &h,
                    y0: &y,
                    z: &step.zf,
                    jac: Some(StepJacobian {
                        jac: &self.jac,
                        lin_prec: step.lin_prec,
                        q: step.q.as_ref(),
                    }),
                };
                let stop = observer(&seg) == Control::Stop;
                f0 = None;
                let record = StepRecord {
                    x0: x.clone(),
                    h: h.clone(),
                    y0: y.clone(),
                    z: step.zf,
                };
                (stop, y1, record, fac, err)
            } else {
                let guess = prev_seg.as_ref().filter(|r| !far(r, &h));
                let Some(step) = self.with_precision_fallback(|r| r.attempt(&x, &y, &h, guess))
                else {
                    // a stage solve failed: retry shorter
                    h *= &self.opts.newton_failure_shrink.control();
                    self.stats.rejected += 1;
                    last_rejected = true;
                    continue;
                };
                let y_half = step_end(&step.ym, &step.zb, p);
                let diff: Vec<Float> = y_half
                    .iter()
                    .zip(y.iter().zip(&step.zf[s - 1]))
                    .map(|(a, (b, c))| Float::with_val(p, a - b) - c)
                    .collect();
                if !all_finite(&y_half) {
                    return Err(OdeError::NonFinite {
                        x: crate::num::fmt_sig(&x, 12),
                    });
                }
                let err = self.ode.error_scale(&y_half, &self.opts.tol).norm(&diff) / &divisor;
                if err > 1u32 {
                    let fac = self.step_factor(&err, &expo);
                    self.stats.rejected += 1;
                    last_rejected = true;
                    h *= &self.after_rejection(fac);
                    continue;
                }
                let fac = if self.opts.predictive {
                    self.step_factor_pred(&err, &expo, &h, &mut pred)
                } else {
                    self.step_factor(&err, &expo)
                };
                self.stats.accepted += 1;
                let seg_a = Segment {
                    tab,
                    x0: &x,
                    h: &step.h2,
                    y0: &y,
                    z: &step.za,
                    jac: None,
                };
                let mut stop = observer(&seg_a) == Control::Stop;
                if !stop {
                    let seg_b = Segment {
                        tab,
                        x0: &step.xm,
                        h: &step.h2,
                        y0: &step.ym,
                        z: &step.zb,
                        jac: None,
                    };
                    stop = observer(&seg_b) == Control::Stop;
                }
                // the next step's predictor: the second half step's polynomial, which
                // ends at the accepted state and is 2^(s+1) times more accurate inside
                // its interval than the full step's (its extrapolation over the next
                // step reaches further, 2.4 instead of 1.2 of its length at the usual
                // growth, which costs less than that gains: docs/math.md §9.2)
                let record = StepRecord {
                    x0: step.xm,
                    h: step.h2,
                    y0: step.ym,
                    z: step.zb,
                };
                (stop, y_half, record, fac, err)
            };
            let x_new = if last {
                Float::with_val(p, x_end)
            } else {
                Float::with_val(p, &x + &h)
            };
            prev_seg = Some(record);
            x = x_new;
            y = y_new;
            if stop || last {
                return Ok(Outcome {
                    x,
                    y,
                    stats: self.stats,
                    stopped: !last,
                });
            }
            let grow_to_bound = !last_rejected && fac >= self.opts.max_step_growth.control();
            h *= &self.after_acceptance(fac, last_rejected);
            last_rejected = false;
            if bounded {
                let f = self.apply_step_bound(&x, &y, &mut h, grow_to_bound);
                self.stats.rhs_evals += 1;
                if embedded {
                    f0 = Some(f);
                }
            }
            let view = StepView {
                x: &x,
                y: &y,
                h: &h,
                prev: prev_seg.as_ref(),
                last_rejected,
                stats: &self.stats,
                faccon: &self.faccon,
                pred: pred.as_ref(),
                lin_full: self.lin_full,
                err: &err,
            };
            if step_hook(&view) == Control::Stop {
                return Ok(Outcome {
                    x,
                    y,
                    stats: self.stats,
                    stopped: true,
                });
            }
        }
    }
}
