//! Running the flow to a stopping rule, sampling its path, and verifying the digits
//! of the result with a second, more accurate run.

use super::guard::{self, Need};
use super::DiagFlow;
use crate::num::exact::Decimal;
use crate::num::{digits_from_rel_error, from_rational, norm1, norm2};
use crate::ode::radau::{
    Control, OdeError, Radau, RadauOptions, RadauState, Segment, Stats, StepView,
};
use crate::ode::tableau::RadauTableau;
use rug::ops::Pow;
use rug::{Float, Rational};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// When to stop, kept exact so that it can be evaluated at any precision.
#[derive(Clone, Debug)]
pub enum StopRule {
    /// gt = value
    Gt(Rational),
    /// loss = value (a positive decimal, e.g. 1e-8700): gt = -ln(value)
    Loss(Decimal),
    /// gt = alpha^D / mu
    Mu(Rational),
    /// gt = a stopping-rule expression in alpha, D and mu (the checks of a case file)
    Expr(crate::rule::Expr, Option<Rational>),
}

impl StopRule {
    /// The target gt exactly, when it is rational (`--gt`, `--mu`).
    pub fn gt_exact(&self, alpha: &Rational, depth: u32) -> Option<Rational> {
        match self {
            StopRule::Gt(g) => Some(g.clone()),
            StopRule::Mu(mu) => Some(alpha.clone().pow(depth as i32) / mu),
            StopRule::Loss(_) | StopRule::Expr(..) => None,
        }
    }

    /// The target gt at precision `prec`.
    pub fn gt(&self, alpha: &Rational, depth: u32, prec: u32) -> Float {
        match (self, self.gt_exact(alpha, depth)) {
            (StopRule::Loss(l), _) => -l.ln(prec),
            (StopRule::Expr(e, mu), _) => e
                .eval(alpha, depth, mu.as_ref(), prec)
                .unwrap_or_else(|_| Float::with_val(prec, rug::float::Special::Nan)),
            (_, Some(q)) => from_rational(prec, &q),
            (_, None) => unreachable!("only loss and expression targets are irrational"),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            StopRule::Gt(g) => format!("gt = {g}"),
            StopRule::Loss(l) => format!("loss = {}e{}", l.coeff, l.exp10),
            StopRule::Mu(mu) => format!("gt = alpha^D / mu, mu = {mu}"),
            StopRule::Expr(e, Some(mu)) => format!("gt = {e}, mu = {mu}"),
            StopRule::Expr(e, None) => format!("gt = {e}"),
        }
    }
}

/// Numerical settings of one integration.
#[derive(Clone, Debug)]
pub struct Numerics {
    pub prec: u32,
    /// local error tolerance (exact)
    pub tol: Rational,
    pub stages: usize,
}

/// Radau IIA stages for a tolerance: three stages per 5 requested digits (order 2s-1
/// grows with the digits, docs/math.md §9.1), between 3 and MAX_STAGES = 24: measured on the flow
/// at 1e-40, 24 stages take 106 steps and 4.6 s where 16 take 380 steps and 9 s.
pub fn default_stages(tol: &Rational) -> usize {
    let digits = tol_digits(tol);
    (digits * 3)
        .div_ceil(5)
        .clamp(3, crate::ode::tableau::MAX_STAGES as u32) as usize
}

/// floor(-log10 tol) for 0 < tol < 1.
pub fn tol_digits(tol: &Rational) -> u32 {
    let f = from_rational(64, tol);
    digits_from_rel_error(&f, 100_000)
}

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
    #[error("checkpoint: {0}")]
    Checkpoint(String),
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

/// What to do when the working precision cannot carry the digits asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrecisionPolicy {
    /// raise it (to a multiple of 64 bits) and say so in the report
    Auto,
    /// refuse, naming the precision needed
    Fixed,
}

/// Why a run stopped before its target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Halt {
    /// SIGINT (Ctrl-C)
    Interrupted,
    /// the accepted-step budget of this invocation
    MaxSteps(u64),
    /// the wall-time budget of this invocation
    MaxTime(Duration),
}

impl Halt {
    pub fn describe(&self) -> String {
        match self {
            Halt::Interrupted => "interrupted (Ctrl-C)".to_string(),
            Halt::MaxSteps(n) => format!("step limit reached (--max-steps {n})"),
            Halt::MaxTime(t) => format!("time limit reached (--max-time {} s)", t.as_secs()),
        }
    }

    /// 130 for an interrupt (the shell's convention for SIGINT), 1 for a limit.
    pub fn exit_code(&self) -> i32 {
        match self {
            Halt::Interrupted => 130,
            _ => 1,
        }
    }

    pub fn key(&self) -> &'static str {
        match self {
            Halt::Interrupted => "interrupted",
            Halt::MaxSteps(_) => "max_steps",
            Halt::MaxTime(_) => "max_time",
        }
    }
}

/// Bounds on one invocation (all counted from the start of this process's job, also
/// when it resumes a checkpoint).
#[derive(Clone, Debug, Default)]
pub struct Limits {
    /// accepted steps over all runs of the job (main, verification, precision retries)
    pub max_steps: Option<u64>,
    pub max_time: Option<Duration>,
    /// set asynchronously (Ctrl-C); checked after every accepted step
    pub interrupt: Option<&'static AtomicBool>,
}

/// How often to write a checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Every {
    Seconds(u64),
    Steps(u64),
}

/// A precision raised by [`PrecisionPolicy::Auto`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PrecisionRaise {
    /// "main" or "verification"
    pub run: String,
    pub from: u32,
    pub to: u32,
    pub reason: String,
}

/// Which of the job's two integrations a snapshot is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Main,
    Verification,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Main => "main",
            Phase::Verification => "verification",
        }
    }
}

/// An integration between two steps: enough to continue it bit for bit.
#[derive(Clone, Debug)]
pub struct InFlight {
    /// the numerics it runs with (the precision possibly raised)
    pub numerics: Numerics,
    pub state: RadauState,
    /// the dense-output samples taken so far
    pub samples: Vec<(Float, Vec<Float>)>,
    /// wall time spent on it so far (timing only)
    pub wall: Duration,
}

/// The whole job between two steps: what a checkpoint holds.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub phase: Phase,
    pub raises: Vec<PrecisionRaise>,
    /// the finished main run, in the verification phase
    pub main: Option<Solution>,
    pub current: InFlight,
}

/// The job stopped before its end (by [`Limits`]); the snapshot continues it.
#[derive(Clone, Debug)]
pub struct Halted {
    pub halt: Halt,
    pub snapshot: Snapshot,
}

/// How a job went.
pub enum JobOutcome {
    Done(Verified),
    Halted(Halted),
}

/// What a job is: the data, the flow, the stopping rule, the starting numerics.
#[derive(Clone, Copy)]
pub struct Job<'a> {
    pub z: &'a [Vec<Rational>],
    pub depth: u32,
    pub alpha: &'a Rational,
    pub rule: &'a StopRule,
    pub numerics: &'a Numerics,
    pub sample_at: &'a [Rational],
    pub verify: bool,
}

/// Callback receiving snapshots to write as checkpoints.
pub type CheckpointSink<'a> = &'a mut (dyn FnMut(&Snapshot) -> Result<(), String> + Send);

/// How a job runs: precision policy, limits, checkpoints, resumption, progress.
pub struct RunControl<'a> {
    pub policy: PrecisionPolicy,
    pub limits: Limits,
    /// with `checkpoint`: how often to write (a checkpoint is also written on a halt)
    pub every: Option<Every>,
    pub checkpoint: Option<CheckpointSink<'a>>,
    /// continue this snapshot (of the same job) instead of starting afresh
    pub resume: Option<Snapshot>,
}

impl Default for RunControl<'_> {
    fn default() -> Self {
        RunControl {
            policy: PrecisionPolicy::Auto,
            limits: Limits::default(),
            every: None,
            checkpoint: None,
            resume: None,
        }
    }
}

/// Why an integration stopped early.
enum Early {
    /// the state at gt needs more bits than the precision has (None: not representable)
    Guard {
        gt: Float,
        need: Option<Need>,
    },
    Halt(Halt, Box<InFlight>),
    Checkpoint(String),
}

/// Per-invocation bookkeeping shared by the integrations of a job.
struct Budget {
    start: Instant,
    /// accepted steps of this invocation before the current integration
    steps_before: u64,
    last_checkpoint: Instant,
    steps_at_checkpoint: u64,
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

/// Integrate the flow from gt = 0, nu = 0, v = 0 to `gt_end`, sampling the dense
/// output at the sorted points `sample_at` (those in (0, gt_end]). `progress` is
/// called after each accepted half step with the gt reached. The precision is fixed:
/// a target or a state that needs more bits than `numerics.prec` for the tolerance's
/// digits is refused ([`FlowError::PrecisionTooLow`]).
pub fn integrate(
    flow: &DiagFlow,
    numerics: &Numerics,
    gt_end: &Float,
    sample_at: &[Float],
    progress: impl FnMut(&Float) + Send,
) -> Result<Solution, FlowError> {
    check_target(gt_end)?;
    let digits = tol_digits(&numerics.tol);
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
    let mut budget = Budget::new();
    let mut progress = progress;
    let mut no_sink = |_: &InFlight| Ok(());
    match integrate_ctl(
        flow,
        numerics,
        gt_end,
        sample_at,
        None,
        &Limits::default(),
        None,
        &mut budget,
        &mut no_sink,
        &mut progress,
    )? {
        Ok(sol) => Ok(sol),
        Err(Early::Guard { gt, need }) => {
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
        Err(Early::Halt(..)) | Err(Early::Checkpoint(_)) => {
            unreachable!("no limits and no checkpoints were set")
        }
    }
}

fn check_target(gt_end: &Float) -> Result<(), FlowError> {
    if !gt_end.is_finite() || !gt_end.is_sign_positive() || gt_end.is_zero() {
        return Err(FlowError::NonPositiveTarget(crate::num::fmt_sig(
            gt_end, 10,
        )));
    }
    Ok(())
}

fn too_low(gt_end: &Float, digits: u32, needed: u32, prec: u32, why: String) -> FlowError {
    FlowError::PrecisionTooLow {
        gt: crate::num::fmt_sig(gt_end, 6),
        digits,
        needed,
        prec,
        why,
    }
}

/// The bits needed at gt_end projected from a guard trip at gt, and why.
fn projected(
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

impl Budget {
    fn new() -> Budget {
        let now = Instant::now();
        Budget {
            start: now,
            steps_before: 0,
            last_checkpoint: now,
            steps_at_checkpoint: 0,
        }
    }
}

/// The integration loop behind [`integrate`] and [`run_job`]: from `resume` (or the
/// start), with the precision guard, the limits and periodic checkpoints (`sink`
/// receives the in-flight state) after every accepted step.
#[allow(clippy::too_many_arguments)]
fn integrate_ctl(
    flow: &DiagFlow,
    numerics: &Numerics,
    gt_end: &Float,
    sample_at: &[Float],
    resume: Option<InFlight>,
    limits: &Limits,
    every: Option<Every>,
    budget: &mut Budget,
    sink: &mut (dyn FnMut(&InFlight) -> Result<(), String> + Send),
    progress: &mut (dyn FnMut(&Float) + Send),
) -> Result<Result<Solution, Early>, FlowError> {
    let p = flow.prec;
    let digits = tol_digits(&numerics.tol);
    let start = Instant::now();
    let tab = RadauTableau::cached(numerics.stages, p);
    let opts = RadauOptions::new(from_rational(p, &numerics.tol));
    let solver = Radau::new(flow, &tab, opts);
    let (state, taken, wall_before) = match resume {
        Some(r) => (r.state, r.samples, r.wall),
        None => {
            let y0 = vec![Float::new(p); flow.dim_state()];
            let x0 = Float::new(p);
            (
                solver.initial_state(&x0, &y0, gt_end),
                Vec::new(),
                Duration::ZERO,
            )
        }
    };
    let accepted0 = state.stats.accepted;
    let skip = taken.len();
    let samples = Mutex::new(taken);
    let mut next = sample_at
        .iter()
        .filter(|s| s.is_sign_positive() && !s.is_zero())
        .skip(skip)
        .peekable();
    let mut early: Option<Early> = None;
    let observer = |seg: &Segment| {
        let x1 = seg.x1();
        while let Some(s) = next.peek() {
            if **s <= x1 && *s <= gt_end {
                let v = seg.eval(s);
                samples.lock().expect("samples").push(((*s).clone(), v));
                next.next();
            } else {
                break;
            }
        }
        progress(&x1);
        Control::Continue
    };
    let hook = |view: &StepView| {
        if let Some(trip) = guard_trips(flow, view.y, digits) {
            early = Some(Early::Guard {
                gt: view.x.clone(),
                need: trip,
            });
            return Control::Stop;
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
            early = Some(Early::Halt(h, Box::new(in_flight())));
            return Control::Stop;
        }
        let due = match every {
            Some(Every::Steps(k)) => steps >= budget.steps_at_checkpoint + k,
            Some(Every::Seconds(t)) => budget.last_checkpoint.elapsed() >= Duration::from_secs(t),
            None => false,
        };
        if due {
            if let Err(e) = sink(&in_flight()) {
                early = Some(Early::Checkpoint(e));
                return Control::Stop;
            }
            budget.last_checkpoint = Instant::now();
            budget.steps_at_checkpoint = steps;
        }
        Control::Continue
    };
    let out = solver.integrate_from(state, gt_end, observer, hook);
    let out = out?;
    budget.steps_before += out.stats.accepted - accepted0;
    if let Some(e) = early {
        return Ok(Err(e));
    }
    // the final state too
    if let Some(trip) = guard_trips(flow, &out.y, digits) {
        return Ok(Err(Early::Guard {
            gt: out.x,
            need: trip,
        }));
    }
    Ok(Ok(Solution {
        numerics: numerics.clone(),
        gt: out.x,
        y: out.y,
        samples: samples.into_inner().expect("samples"),
        stats: out.stats,
        wall: wall_before + start.elapsed(),
    }))
}

impl DiagFlow {
    /// Length of the state vector (nu, v).
    pub fn dim_state(&self) -> usize {
        self.n + 1
    }
}

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

/// A run with its verification.
pub struct Verified {
    pub main: Solution,
    pub check: Option<Solution>,
    /// correct digits of w_hat (normwise relative, infinity norm) from the comparison,
    /// None without verification
    pub digits: Option<u32>,
    /// per-sample digits (same comparison at each sample)
    pub sample_digits: Vec<u32>,
    /// the digits that the main run's arithmetic carries at its end state (the cap
    /// of every reported digit count; [`guard::carried_digits`])
    pub carried: u32,
    /// precisions raised on the way ([`PrecisionPolicy::Auto`])
    pub raises: Vec<PrecisionRaise>,
}

/// Settings of the verification run for a main run: 64 more bits (or half as many
/// again, whichever is more) and a tolerance 10^-15 tighter, with stages chosen for it.
pub fn verification_numerics(main: &Numerics) -> Numerics {
    let prec = main.prec + (main.prec / 2).max(64);
    let tol = &main.tol * crate::num::ten_pow_neg(15);
    let stages = default_stages(&tol).max(main.stages);
    Numerics { prec, tol, stages }
}

/// The digits of w_hat that agree between two states (`a` at lower precision).
pub fn agreeing_digits(fa: &DiagFlow, a: &[Float], fb: &DiagFlow, b: &[Float], cap: u32) -> u32 {
    let p = fb.prec;
    let wa = fa.derive(&a[..fa.n]);
    let wb = fb.derive(&b[..fb.n]);
    let ha: Vec<Float> =
        wa.w.iter()
            .map(|x| Float::with_val(p, x / &wa.gamma))
            .collect();
    let hb: Vec<Float> =
        wb.w.iter()
            .map(|x| Float::with_val(p, x / &wb.gamma))
            .collect();
    crate::num::agreeing_digits(&ha, &hb, cap)
}

/// Run the flow for a dataset, and unless `verify` is false, run it again with
/// [`verification_numerics`] and count the digits of w_hat that agree (capped by what
/// the main run's arithmetic carries). The precision is raised when the target needs
/// it ([`PrecisionPolicy::Auto`]); no limits, no checkpoints.
#[allow(clippy::too_many_arguments)]
pub fn run_verified(
    z: &[Vec<Rational>],
    depth: u32,
    alpha: &Rational,
    rule: &StopRule,
    numerics: &Numerics,
    sample_at: &[Rational],
    verify: bool,
    progress: impl FnMut(usize, &Float) + Send,
) -> Result<Verified, FlowError> {
    let job = Job {
        z,
        depth,
        alpha,
        rule,
        numerics,
        sample_at,
        verify,
    };
    match run_job(&job, RunControl::default(), progress)? {
        JobOutcome::Done(v) => Ok(v),
        JobOutcome::Halted(_) => unreachable!("no limits were set"),
    }
}

/// Precisions are raised to multiples of this many bits.
const PREC_STEP: u32 = 64;
/// The largest precision the guard raises to.
pub const MAX_PREC: u32 = 1_000_000;
/// Integrations restarted at a higher precision at most this often per run.
const MAX_RAISES: usize = 6;

fn round_prec(bits: u32) -> u32 {
    bits.div_ceil(PREC_STEP).saturating_mul(PREC_STEP)
}

/// One integration of the job (main or verification) to its end, under the
/// precision policy: raise and restart, or refuse, when the guard trips.
#[allow(clippy::too_many_arguments)]
fn run_phase(
    job: &Job,
    phase: Phase,
    numerics: Numerics,
    resume: Option<InFlight>,
    ctl: &mut RunControl,
    raises: &mut Vec<PrecisionRaise>,
    main: Option<&Solution>,
    budget: &mut Budget,
    progress: &mut (dyn FnMut(&Float) + Send),
) -> Result<Result<Solution, Halted>, FlowError> {
    let digits = tol_digits(&numerics.tol);
    let mut numerics = numerics;
    let mut resume = resume;
    let distinct = job.z.iter().any(|r| *r != job.z[0]);
    if let Some(r) = &resume {
        numerics = r.numerics.clone();
    } else {
        let gt = job.rule.gt(job.alpha, job.depth, numerics.prec);
        check_target(&gt)?;
        let p = numerics.prec;
        match ctl.policy {
            PrecisionPolicy::Fixed => {
                // a lower bound: margins ~ gt must resolve O(1) differences; the bits
                // named are the larger estimate of the guard's model
                let lower = super::bits_needed(&gt, digits);
                if distinct && lower > p {
                    let need = guard::prior_need(job.z, job.depth, job.alpha, &gt);
                    return Err(too_low(
                        &gt,
                        digits,
                        lower.max(need.bits(digits)),
                        p,
                        format!("estimated before the run: {}", need.explain()),
                    ));
                }
            }
            PrecisionPolicy::Auto => {
                let need = guard::prior_need(job.z, job.depth, job.alpha, &gt);
                let bits = need.bits(digits);
                if bits > p {
                    let to = round_prec(bits);
                    if to > MAX_PREC {
                        return Err(too_low(&gt, digits, bits, p, format!("estimated before the run: {}; more than the {MAX_PREC} bits allowed", need.explain())));
                    }
                    raises.push(PrecisionRaise {
                        run: phase.name().to_string(),
                        from: p,
                        to,
                        reason: format!(
                            "reaching gt = {} with {digits} digits needs about {bits} bits (estimated before the run: {})",
                            crate::num::fmt_sig(&gt, 6),
                            need.explain()
                        ),
                    });
                    numerics.prec = to;
                }
            }
        }
    }
    loop {
        let p = numerics.prec;
        let flow = DiagFlow::new(job.z, job.depth, job.alpha, p);
        let gt = job.rule.gt(job.alpha, job.depth, p);
        check_target(&gt)?;
        let samples: Vec<Float> = job.sample_at.iter().map(|q| from_rational(p, q)).collect();
        let raises_now = raises.clone();
        let every = if ctl.checkpoint.is_some() {
            ctl.every
        } else {
            None
        };
        let mut sink = |f: &InFlight| -> Result<(), String> {
            match ctl.checkpoint.as_mut() {
                Some(write) => write(&Snapshot {
                    phase,
                    raises: raises_now.clone(),
                    main: main.cloned(),
                    current: f.clone(),
                }),
                None => Ok(()),
            }
        };
        let limits = ctl.limits.clone();
        let r = integrate_ctl(
            &flow,
            &numerics,
            &gt,
            &samples,
            resume.take(),
            &limits,
            every,
            budget,
            &mut sink,
            progress,
        )?;
        match r {
            Ok(sol) => return Ok(Ok(sol)),
            Err(Early::Checkpoint(e)) => return Err(FlowError::Checkpoint(e)),
            Err(Early::Halt(halt, current)) => {
                let snapshot = Snapshot {
                    phase,
                    raises: raises.clone(),
                    main: main.cloned(),
                    current: *current,
                };
                if let Some(write) = ctl.checkpoint.as_mut() {
                    write(&snapshot).map_err(FlowError::Checkpoint)?;
                }
                return Ok(Err(Halted { halt, snapshot }));
            }
            Err(Early::Guard { gt: at, need }) => {
                let (needed, why) = projected(p, job.depth, &at, &gt, need.as_ref(), digits);
                let raised_here = raises.iter().filter(|r| r.run == phase.name()).count();
                let to = round_prec(needed.max(p + PREC_STEP));
                if ctl.policy == PrecisionPolicy::Fixed
                    || to > MAX_PREC
                    || raised_here >= MAX_RAISES
                {
                    return Err(too_low(&gt, digits, needed, p, why));
                }
                raises.push(PrecisionRaise {
                    run: phase.name().to_string(),
                    from: p,
                    to,
                    reason: format!(
                        "reaching gt = {} with {digits} digits needs about {needed} bits ({why})",
                        crate::num::fmt_sig(&gt, 6)
                    ),
                });
                numerics.prec = to;
            }
        }
    }
}

/// Run a job: the main integration and (unless `job.verify` is false) the
/// verification, under `ctl` (precision policy, limits, checkpoints, resumption).
/// A halted job returns the snapshot to continue from; a resumed job gives the same
/// result bit for bit as one that never stopped.
pub fn run_job(
    job: &Job,
    mut ctl: RunControl,
    mut progress: impl FnMut(usize, &Float) + Send,
) -> Result<JobOutcome, FlowError> {
    let mut budget = Budget::new();
    let resume = ctl.resume.take();
    let mut raises = resume
        .as_ref()
        .map(|r| r.raises.clone())
        .unwrap_or_default();
    let (main, check_resume) = match resume {
        Some(Snapshot {
            phase: Phase::Verification,
            main: Some(main),
            current,
            ..
        }) => (main, Some(current)),
        Some(Snapshot {
            phase: Phase::Verification,
            main: None,
            ..
        }) => {
            return Err(FlowError::Resume(
                "a verification-phase snapshot without its main run".into(),
            ))
        }
        other => {
            let current = other.map(|s| s.current);
            let mut pr = |x: &Float| progress(0, x);
            match run_phase(
                job,
                Phase::Main,
                job.numerics.clone(),
                current,
                &mut ctl,
                &mut raises,
                None,
                &mut budget,
                &mut pr,
            )? {
                Ok(sol) => (sol, None),
                Err(h) => return Ok(JobOutcome::Halted(h)),
            }
        }
    };
    let p = main.numerics.prec;
    let flow = DiagFlow::new(job.z, job.depth, job.alpha, p);
    let carried = flow
        .rounding_need(&main.y[..flow.n])
        .map_or(0, |need| guard::carried_digits(p, need.amp_bits));
    if !job.verify {
        return Ok(JobOutcome::Done(Verified {
            main,
            check: None,
            digits: None,
            sample_digits: Vec::new(),
            carried,
            raises,
        }));
    }
    let vn = verification_numerics(&main.numerics);
    let mut pr = |x: &Float| progress(1, x);
    let check = match run_phase(
        job,
        Phase::Verification,
        vn,
        check_resume,
        &mut ctl,
        &mut raises,
        Some(&main),
        &mut budget,
        &mut pr,
    )? {
        Ok(sol) => sol,
        Err(h) => return Ok(JobOutcome::Halted(h)),
    };
    let vflow = DiagFlow::new(job.z, job.depth, job.alpha, check.numerics.prec);
    let vcarried = vflow.rounding_need(&check.y[..vflow.n]).map_or(0, |need| {
        guard::carried_digits(check.numerics.prec, need.amp_bits)
    });
    let cap = carried.min(vcarried);
    let digits = agreeing_digits(&flow, &main.y, &vflow, &check.y, cap);
    let sample_digits = main
        .samples
        .iter()
        .zip(&check.samples)
        .map(|((_, a), (_, b))| agreeing_digits(&flow, a, &vflow, b, cap))
        .collect();
    Ok(JobOutcome::Done(Verified {
        main,
        check: Some(check),
        digits: Some(digits),
        sample_digits,
        carried: cap,
        raises,
    }))
}

/// Log-spaced sample points: `count` points from `lo` to `hi` (exact endpoints),
/// computed in MPFR at precision `prec` and rounded to rationals with `prec` bits.
pub fn log_spaced(lo: &Rational, hi: &Rational, count: usize, prec: u32) -> Vec<Rational> {
    if count == 0 {
        return Vec::new();
    }
    if count == 1 {
        return vec![hi.clone()];
    }
    let l = from_rational(prec, lo).ln();
    let h = from_rational(prec, hi).ln();
    let step = Float::with_val(prec, &h - &l) / ((count - 1) as u32);
    (0..count)
        .map(|k| {
            if k == 0 {
                return lo.clone();
            }
            if k == count - 1 {
                return hi.clone();
            }
            let mut x = Float::with_val(prec, &step * (k as u32));
            x += &l;
            let e = x.exp();
            e.to_rational().unwrap_or_default()
        })
        .collect()
}
