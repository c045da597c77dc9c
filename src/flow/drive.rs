//! The integration driver: one loop from a start (the origin, a given state, or a
//! checkpoint) to a target gt, with the precision guard, the limits of the invocation
//! and periodic checkpoints after every accepted step, dense-output samples, and an
//! observer on every accepted step. `integrate` (fixed precision), the job's main
//! run ([`super::run_job`], its verification following it) and the table's event scan
//! all integrate through it.

use super::control::{Budget, Every, Halt, InFlight, Limits};
use super::guard::{self, Need};
use super::numerics::{flow_options, tol_digits, Numerics};
use super::DiagFlow;
use crate::ode::radau::{
    stage_roundoff_bits, Control, OdeError, Radau, Segment, Stats, StepView, NEWTON_GOAL_BITS,
};
use crate::ode::tableau::RadauTableau;
use rug::Float;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error("integration failed: {0}")]
    Ode(#[from] OdeError),
    #[error("precision too low: reaching gt = {gt} with {digits} digits needs at least {needed} bits ({why}), but the precision is {prec} bits")]
    PrecisionTooLow {
        gt: String,
        digits: u32,
        needed: u32,
        prec: u32,
        why: String,
    },
    #[error("the target gt = {0} is not a positive finite number")]
    NonPositiveTarget(String),
    #[error("the target gt = {gt} is not beyond where the {loss} flow starts, gt_0 = {start} (the loss at w = 0)")]
    BeforeStart {
        gt: String,
        loss: &'static str,
        start: &'static str,
    },
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    #[error("verification failed: {0}")]
    Verification(String),
    #[error("resume: {0}")]
    Resume(String),
}

/// The end state of a run, its samples and its cost.
#[derive(Clone, Debug)]
pub struct Solution {
    pub numerics: Numerics,
    pub gt: Float,
    /// state (nu_1..nu_N, v)
    pub y: Vec<Float>,
    pub samples: Vec<(Float, Vec<Float>)>,
    pub stats: Stats,
    pub wall: Duration,
}

/// Where an integration starts.
#[derive(Clone, Debug)]
pub enum Start {
    /// gt = 0, nu = 0, v = 0: the flow's initial state
    Origin,
    /// a given state (e.g. the start of an accepted step), the first step tried of
    /// size `first_step` (None: the integrator's default)
    At {
        gt: Float,
        y: Vec<Float>,
        first_step: Option<Float>,
    },
    /// continue an integration stopped between two steps, bit for bit
    Resume(Box<InFlight>),
}

/// A checkpoint writer: receives the in-flight integration.
pub type InFlightSink<'a> = &'a mut (dyn FnMut(&InFlight) -> Result<(), String> + Send);

/// What is checked after every accepted step.
#[derive(Default)]
pub struct Controls<'a> {
    /// the precision guard: stop ([`Driven::Guard`]) when the state needs more bits
    /// than the flow's precision carries for the tolerance's digits
    pub guard: bool,
    pub limits: Limits,
    /// with `sink`: how often to write a checkpoint
    pub every: Option<Every>,
    pub sink: Option<InFlightSink<'a>>,
    /// the clock and step count of the invocation (None: this integration's own)
    pub budget: Option<&'a mut Budget>,
}

impl Controls<'_> {
    /// The precision guard only: no limits, no checkpoints.
    pub fn guarded() -> Self {
        Controls {
            guard: true,
            ..Controls::default()
        }
    }
}

/// A segment observer: sees every accepted step (dense output) and may stop the
/// integration there.
pub type Observer<'a> = &'a mut (dyn FnMut(&Segment) -> Control + Send);

/// One integration: the flow at its precision, the numerics (tolerance, stages), the
/// target, the start, the sample points, the controls and an observer.
pub struct Drive<'a> {
    pub flow: &'a DiagFlow,
    pub numerics: &'a Numerics,
    /// the gt to integrate to
    pub target: &'a Float,
    pub start: Start,
    /// sorted gt at which to sample the dense output (those in (0, target])
    pub sample_at: &'a [Float],
    pub controls: Controls<'a>,
    pub observer: Observer<'a>,
}

/// How an integration ended.
#[derive(Debug)]
pub enum Driven {
    /// at the target, or where the observer stopped it
    Done(Solution),
    /// the state at gt needs more bits than the precision has (None: not representable)
    Guard { gt: Float, need: Option<Need> },
    /// a limit of the invocation; the in-flight state continues it
    Halt(Halt, Box<InFlight>),
    /// writing a checkpoint failed
    CheckpointFailed(String),
}

/// Integrate `d.flow` from `d.start` towards `d.target` with the tolerance and stages
/// of `d.numerics` (at the flow's precision), checking `d.controls` after every
/// accepted step and the guard at the end state too. Fails only when the integrator
/// does.
pub fn drive(d: Drive) -> Result<Driven, OdeError> {
    let Drive {
        flow,
        numerics,
        target: gt_end,
        start: from,
        sample_at,
        controls,
        observer: user,
    } = d;
    let Controls {
        guard,
        limits,
        every,
        mut sink,
        budget,
    } = controls;
    let mut own_budget = None;
    let budget = match budget {
        Some(b) => b,
        None => own_budget.insert(Budget::new()),
    };
    let every = if sink.is_some() { every } else { None };
    let p = flow.prec;
    let digits = tol_digits(&numerics.tol);
    let start = Instant::now();
    let tab = RadauTableau::cached(numerics.stages, p);
    let mut opts = flow_options(p, &numerics.tol);
    if let Start::At {
        first_step: Some(h),
        ..
    } = &from
    {
        opts.h_init = Some(Float::with_val(p, h));
    }
    let solver = Radau::new(flow, &tab, opts);
    let (state, taken, wall_before) = match from {
        Start::Resume(r) => {
            let r = *r;
            (r.state, r.samples, r.wall)
        }
        Start::Origin => {
            let y0 = vec![Float::new(p); flow.dim_state()];
            let x0 = flow.gt_start();
            (
                solver.initial_state(&x0, &y0, gt_end),
                Vec::new(),
                Duration::ZERO,
            )
        }
        Start::At { gt, y, .. } => (
            solver.initial_state(&gt, &y, gt_end),
            Vec::new(),
            Duration::ZERO,
        ),
    };
    let accepted0 = state.stats.accepted;
    let skip = taken.len();
    let samples = Mutex::new(taken);
    let mut next = sample_at
        .iter()
        .filter(|s| sampled(s, gt_end))
        .skip(skip)
        .peekable();
    let mut early: Option<Driven> = None;
    let observer = |seg: &Segment| {
        take_samples(
            &mut next,
            &seg.x1(),
            seg,
            &mut samples.lock().expect("samples"),
        );
        user(seg)
    };
    let hook = |view: &StepView| {
        if guard {
            if let Some(trip) = guard_trips(flow, view.y, digits) {
                early = Some(Driven::Guard {
                    gt: view.x.clone(),
                    need: trip,
                });
                return Control::Stop;
            }
        }
        let steps = budget.steps_before + (view.stats.accepted - accepted0);
        let in_flight = || InFlight {
            numerics: numerics.clone(),
            state: view.snapshot(),
            samples: samples.lock().expect("samples").clone(),
            wall: wall_before + start.elapsed(),
        };
        let halt = if limits.interrupt.is_some_and(|f| f.load(Ordering::SeqCst)) {
            Some(Halt::Interrupted)
        } else if limits.max_steps.is_some_and(|m| steps >= m) {
            limits.max_steps.map(Halt::MaxSteps)
        } else if limits.max_time.is_some_and(|t| budget.start.elapsed() >= t) {
            limits.max_time.map(Halt::MaxTime)
        } else {
            None
        };
        if let Some(h) = halt {
            early = Some(Driven::Halt(h, Box::new(in_flight())));
            return Control::Stop;
        }
        let due = match every {
            Some(Every::Steps(k)) => steps >= budget.steps_at_checkpoint + k,
            Some(Every::Seconds(t)) => budget.last_checkpoint.elapsed() >= Duration::from_secs(t),
            None => false,
        };
        if due {
            if let Some(write) = sink.as_mut() {
                if let Err(e) = write(&in_flight()) {
                    early = Some(Driven::CheckpointFailed(e));
                    return Control::Stop;
                }
            }
            budget.last_checkpoint = Instant::now();
            budget.steps_at_checkpoint = steps;
        }
        Control::Continue
    };
    let out = solver.integrate_from(state, gt_end, observer, hook)?;
    budget.steps_before += out.stats.accepted - accepted0;
    if let Some(e) = early {
        return Ok(e);
    }
    // the final state too
    if guard {
        if let Some(trip) = guard_trips(flow, &out.y, digits) {
            return Ok(Driven::Guard {
                gt: out.x,
                need: trip,
            });
        }
    }
    Ok(Driven::Done(Solution {
        numerics: numerics.clone(),
        gt: out.x,
        y: out.y,
        samples: samples.into_inner().expect("samples"),
        stats: out.stats,
        wall: wall_before + start.elapsed(),
    }))
}

/// Whether an integration to `target` samples at `s`: s in (0, target].
pub(super) fn sampled(s: &Float, target: &Float) -> bool {
    s.is_sign_positive() && !s.is_zero() && s <= target
}

/// Sample `seg`'s polynomial at the next sample points up to `upto` (sorted points,
/// those left), appending (point, state) to `out`.
pub(super) fn take_samples<'s>(
    next: &mut std::iter::Peekable<impl Iterator<Item = &'s Float>>,
    upto: &Float,
    seg: &Segment,
    out: &mut Vec<(Float, Vec<Float>)>,
) {
    while let Some(s) = next.next_if(|s| *s <= upto) {
        out.push((s.clone(), seg.eval(s)));
    }
}

/// [`drive`] without guard, limits or checkpoints: it runs to `target` or to where
/// `observer` stops it (a table's event scan, a fresh step to an event).
pub fn drive_plain(
    flow: &DiagFlow,
    numerics: &Numerics,
    target: &Float,
    start: Start,
    observer: Observer,
) -> Result<Solution, OdeError> {
    match drive(Drive {
        flow,
        numerics,
        target,
        start,
        sample_at: &[],
        controls: Controls::default(),
        observer,
    })? {
        Driven::Done(sol) => Ok(sol),
        _ => unreachable!("an integration without guard, limits or checkpoints runs to its end"),
    }
}

/// Integrate the flow from gt = 0, nu = 0, v = 0 to `gt_end`, sampling the dense
/// output at the sorted points `sample_at` (those in (0, gt_end]). `progress` is
/// called after each accepted step with the gt reached. The precision is fixed:
/// a target or a state that needs more bits than `numerics.prec` for the tolerance's
/// digits, or numerics whose stage solves cannot meet their tolerance at that precision
/// ([`Numerics::solve_need`]), are refused ([`FlowError::PrecisionTooLow`]).
pub fn integrate(
    flow: &DiagFlow,
    numerics: &Numerics,
    gt_end: &Float,
    sample_at: &[Float],
    progress: impl FnMut(&Float) + Send,
) -> Result<Solution, FlowError> {
    check_target(gt_end, flow.loss)?;
    let digits = tol_digits(&numerics.tol);
    let solve = numerics.solve_need();
    if solve > flow.prec {
        return Err(too_low(
            gt_end,
            digits,
            solve,
            flow.prec,
            solve_why(numerics),
        ));
    }
    let distinct = guard::has_distinct_rows(&flow.zr);
    if distinct {
        let needed = super::bits_needed(gt_end, digits);
        if needed > flow.prec {
            return Err(too_low(
                gt_end,
                digits,
                needed,
                flow.prec,
                "margins ~ gt must resolve O(1) differences".into(),
            ));
        }
    }
    let mut progress = progress;
    let mut observer = |seg: &Segment| {
        progress(&seg.x1());
        Control::Continue
    };
    let d = Drive {
        flow,
        numerics,
        target: gt_end,
        start: Start::Origin,
        sample_at,
        controls: Controls::guarded(),
        observer: &mut observer,
    };
    match drive(d)? {
        Driven::Done(sol) => Ok(sol),
        Driven::Guard { gt, need } => {
            let (needed, why) = projected(
                flow.prec,
                flow.mirror.depth,
                &gt,
                gt_end,
                need.as_ref(),
                digits,
            );
            Err(too_low(gt_end, digits, needed, flow.prec, why))
        }
        // without limits and checkpoints neither can happen
        Driven::Halt(h, _) => Err(FlowError::Resume(format!(
            "unexpected halt: {}",
            h.describe()
        ))),
        Driven::CheckpointFailed(e) => Err(FlowError::Checkpoint(e)),
    }
}

/// The precision guard's limit for an integration at `prec` with `digits` digits:
/// Some(need) when the state needs more bits.
fn guard_trips(flow: &DiagFlow, y: &[Float], digits: u32) -> Option<Option<Need>> {
    match flow.rounding_need(&y[..flow.n]) {
        None => Some(None),
        Some(need) if need.bits(digits) > flow.prec => Some(Some(need)),
        Some(_) => None,
    }
}

pub(super) fn check_target(gt_end: &Float, loss: super::Loss) -> Result<(), FlowError> {
    if !gt_end.is_finite() || !gt_end.is_sign_positive() || gt_end.is_zero() {
        return Err(FlowError::NonPositiveTarget(crate::num::fmt_sig(
            gt_end, 10,
        )));
    }
    if *gt_end <= loss.gt_start(gt_end.prec()) {
        return Err(FlowError::BeforeStart {
            gt: crate::num::fmt_sig(gt_end, 10),
            loss: loss.name(),
            start: loss.describe_start(),
        });
    }
    Ok(())
}

pub(super) fn too_low(
    gt_end: &Float,
    digits: u32,
    needed: u32,
    prec: u32,
    why: String,
) -> FlowError {
    FlowError::PrecisionTooLow {
        gt: crate::num::fmt_sig(gt_end, 6),
        digits,
        needed,
        prec,
        why,
    }
}

/// Why [`Numerics::solve_need`] asks for its bits, for messages.
pub fn solve_why(numerics: &Numerics) -> String {
    format!(
        "Radau IIA with {} stages loses about {} bits to round-off in its stage solves, and Newton's iteration needs that floor {} bits below the tolerance",
        numerics.stages,
        stage_roundoff_bits(numerics.stages),
        NEWTON_GOAL_BITS,
    )
}

/// The bits needed at gt_end projected from a guard trip at gt, and why.
pub(super) fn projected(
    prec: u32,
    depth: u32,
    gt: &Float,
    gt_end: &Float,
    need: Option<&Need>,
    digits: u32,
) -> (u32, String) {
    match need {
        Some(need) => {
            let amp = guard::project_amp_bits(need, depth, gt, gt_end);
            let at = crate::num::fmt_sig(gt, 6);
            let why = if gt >= gt_end {
                format!("measured at the end: {}", need.explain())
            } else {
                format!(
                    "the state at gt = {at} already needs {} bits: {}; projected to the target",
                    need.bits(digits),
                    need.explain()
                )
            };
            (guard::bits_for(amp, digits), why)
        }
        None => {
            let at = crate::num::fmt_sig(gt, 6);
            // not representable at all: ask for twice the bits
            (
                prec.saturating_mul(2),
                format!("the mirror map is no longer representable at gt = {at}: s rounds to 1"),
            )
        }
    }
}

impl DiagFlow {
    /// Length of the state vector (nu, v).
    pub fn dim_state(&self) -> usize {
        self.n + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rug::Rational;

    fn flow() -> DiagFlow {
        let z = vec![
            vec![Rational::from(1), Rational::from((1, 2))],
            vec![Rational::from((1, 3)), Rational::from(1)],
        ];
        DiagFlow::new(&z, 2, &Rational::from(1), 128)
    }

    fn numerics() -> Numerics {
        let tol = crate::num::ten_pow_neg(12);
        Numerics {
            prec: 128,
            stages: super::super::default_stages(&tol),
            tol,
        }
    }

    /// An observer that stops the integration ends it there, as Done.
    #[test]
    fn the_observer_stops_the_drive() {
        let (flow, numerics) = (flow(), numerics());
        let target = Float::with_val(128, 100);
        let mut seen = 0;
        let mut observer = |_: &Segment| {
            seen += 1;
            if seen == 3 {
                Control::Stop
            } else {
                Control::Continue
            }
        };
        let d = Drive {
            flow: &flow,
            numerics: &numerics,
            target: &target,
            start: Start::Origin,
            sample_at: &[],
            controls: Controls::guarded(),
            observer: &mut observer,
        };
        let Ok(Driven::Done(sol)) = drive(d) else {
            panic!("the drive did not end as Done");
        };
        assert!(sol.gt > 0u32 && sol.gt < target);
        assert_eq!(seen, 3);
    }

    /// A drive from a state of a finished drive to the same target ends where a drive
    /// from the origin does, to the tolerance.
    #[test]
    fn a_drive_from_a_given_state_continues_the_path() {
        let (flow, numerics) = (flow(), numerics());
        let mid = Float::with_val(128, 5);
        let end = Float::with_val(128, 10);
        let full = integrate(&flow, &numerics, &end, &[], |_| {}).expect("full");
        let half = integrate(&flow, &numerics, &mid, &[], |_| {}).expect("half");
        let mut observer = |_: &Segment| Control::Continue;
        let d = Drive {
            flow: &flow,
            numerics: &numerics,
            target: &end,
            start: Start::At {
                gt: half.gt.clone(),
                y: half.y.clone(),
                first_step: None,
            },
            sample_at: &[],
            controls: Controls::default(),
            observer: &mut observer,
        };
        let Ok(Driven::Done(rest)) = drive(d) else {
            panic!("the drive did not end as Done");
        };
        assert_eq!(rest.gt, end);
        for (a, b) in full.y.iter().zip(&rest.y) {
            let diff = Float::with_val(128, a - b).abs();
            let scale = Float::with_val(128, a.abs_ref()).max(&Float::with_val(128, 1));
            assert!(
                diff < scale * Float::with_val(128, Float::i_exp(1, -30)),
                "{a} vs {b}"
            );
        }
    }
}
