//! Running a job: the main integration under the precision policy (raise and
//! restart, or refuse, when the guard trips), then its verification, with limits,
//! checkpoints and resumption.

use super::control::{
    Budget, Halted, InFlight, Phase, PrecisionPolicy, PrecisionRaise, RunControl, Snapshot,
};
use super::drive::{
    check_target, drive, projected, too_low, Controls, Drive, Driven, InFlightSink, Solution, Start,
};
use super::guard;
use super::numerics::{tol_digits, MAX_DIGIT_ATTEMPTS};
use super::verify::{Attempt, DigitsAsked, Verified, VERIFICATION};
use super::{DiagFlow, FlowError, Numerics, StopRule};
use crate::num::from_rational;
use crate::ode::radau::{Control, Segment};
use crate::ode::tableau::RadauTableau;
use rug::{Float, Rational};

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
    pub loss: super::Loss,
}

impl Job<'_> {
    /// The job's flow at `prec` bits (the precision a phase runs at, possibly raised).
    pub fn flow_at(&self, prec: u32) -> DiagFlow {
        DiagFlow::new(self.z, self.depth, self.alpha, prec).with_loss(self.loss)
    }
}

/// Run the flow for a dataset, and unless `verify` is false, run it again with
/// [`VERIFICATION`] and count the digits of w_hat that agree (capped by what
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
        loss: super::Loss::Exp,
    };
    match run_job(&job, RunControl::default(), progress)? {
        JobOutcome::Done(v) => Ok(v),
        JobOutcome::Halted(_) => unreachable!("no limits were set"),
    }
}

/// Precisions are raised to multiples of this many bits.
const PREC_STEP: u32 = 64;
/// The largest precision the guard raises to.
pub const MAX_PREC: u32 = crate::num::MAX_PRECISION;
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
) -> Result<Result<(DiagFlow, Solution), Halted>, FlowError> {
    let digits = tol_digits(&numerics.tol);
    let mut numerics = numerics;
    let mut resume = resume;
    let distinct = job.z.iter().any(|r| *r != job.z[0]);
    if let Some(r) = &resume {
        numerics = r.numerics.clone();
    } else {
        let gt = job.rule.gt(job.alpha, job.depth, numerics.prec);
        check_target(&gt, job.loss)?;
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
    if phase == Phase::Main && job.verify {
        // the verification run's tableau (for the main run's numerics as they start),
        // built while the main run integrates
        let v = VERIFICATION.numerics(&numerics);
        RadauTableau::prefetch(v.stages, v.prec);
    }
    loop {
        let p = numerics.prec;
        let flow = job.flow_at(p);
        let gt = job.rule.gt(job.alpha, job.depth, p);
        check_target(&gt, job.loss)?;
        let samples: Vec<Float> = job.sample_at.iter().map(|q| from_rational(p, q)).collect();
        let raises_now = raises.clone();
        let checkpoints = ctl.checkpoint.is_some();
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
        let mut observer = |seg: &Segment| {
            progress(&seg.x1());
            Control::Continue
        };
        let r = drive(Drive {
            flow: &flow,
            numerics: &numerics,
            target: &gt,
            start: resume
                .take()
                .map_or(Start::Origin, |r| Start::Resume(Box::new(r))),
            sample_at: &samples,
            controls: Controls {
                guard: true,
                limits: ctl.limits.clone(),
                every: ctl.every,
                sink: checkpoints.then_some(&mut sink as InFlightSink),
                budget: Some(&mut *budget),
            },
            observer: &mut observer,
        })?;
        match r {
            Driven::Done(sol) => return Ok(Ok((flow, sol))),
            Driven::CheckpointFailed(e) => return Err(FlowError::Checkpoint(e)),
            Driven::Halt(halt, current) => {
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
            Driven::Guard { gt: at, need } => {
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
/// verification ([`VERIFICATION`]), under `ctl` (precision policy, limits,
/// checkpoints, resumption). A halted job returns the snapshot to continue from; a
/// resumed job gives the same result bit for bit as one that never stopped.
///
/// With `ctl.digits = Some(K)` (and verification), a result whose verification shows
/// fewer than K digits of w_hat is computed again from the start with
/// [`Numerics::tightened`] numerics, at most [`MAX_DIGIT_ATTEMPTS`] attempts in all
/// (under the same limits); the result carries the earlier attempts
/// ([`Verified::asked`]). A resumed job continues the attempt its snapshot is of.
pub fn run_job(
    job: &Job,
    mut ctl: RunControl,
    mut progress: impl FnMut(usize, &Float) + Send,
) -> Result<JobOutcome, FlowError> {
    let mut budget = Budget::new();
    let asked = ctl.digits.filter(|_| job.verify);
    let mut numerics = job.numerics.clone();
    let mut earlier = Vec::new();
    loop {
        let attempt = Job {
            numerics: &numerics,
            ..*job
        };
        let out = run_attempt(&attempt, &mut ctl, &mut budget, &mut progress)?;
        let JobOutcome::Done(mut v) = out else {
            return Ok(out);
        };
        let Some(k) = asked else {
            return Ok(JobOutcome::Done(v));
        };
        let got = v.digits.unwrap_or(0);
        let next = (got < k && earlier.len() + 1 < MAX_DIGIT_ATTEMPTS)
            .then(|| v.main.numerics.tightened(k, got))
            .flatten();
        match next {
            Some(n) => {
                earlier.push(Attempt {
                    prec: v.main.numerics.prec,
                    tol: v.main.numerics.tol.clone(),
                    stages: v.main.numerics.stages,
                    digits: got,
                });
                numerics = n;
            }
            None => {
                v.asked = Some(DigitsAsked { k, earlier });
                return Ok(JobOutcome::Done(v));
            }
        }
    }
}

/// One attempt of [`run_job`]: the main run and its verification at `job.numerics`.
fn run_attempt(
    job: &Job,
    ctl: &mut RunControl,
    budget: &mut Budget,
    progress: &mut (impl FnMut(usize, &Float) + Send),
) -> Result<JobOutcome, FlowError> {
    let resume = ctl.resume.take();
    let mut raises = resume
        .as_ref()
        .map(|r| r.raises.clone())
        .unwrap_or_default();
    let (flow, main, check_resume) = match resume {
        Some(Snapshot {
            phase: Phase::Verification,
            main: Some(main),
            current,
            ..
        }) => (job.flow_at(main.numerics.prec), main, Some(current)),
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
                ctl,
                &mut raises,
                None,
                budget,
                &mut pr,
            )? {
                Ok((flow, sol)) => (flow, sol, None),
                Err(h) => return Ok(JobOutcome::Halted(h)),
            }
        }
    };
    if !job.verify {
        return Ok(JobOutcome::Done(Verified::unverified(flow, main, raises)));
    }
    let vn = VERIFICATION.numerics(&main.numerics);
    let mut pr = |x: &Float| progress(1, x);
    let (vflow, check) = match run_phase(
        job,
        Phase::Verification,
        vn,
        check_resume,
        ctl,
        &mut raises,
        Some(&main),
        budget,
        &mut pr,
    )? {
        Ok(done) => done,
        Err(h) => return Ok(JobOutcome::Halted(h)),
    };
    Ok(JobOutcome::Done(Verified::compared(
        flow, main, vflow, check, raises,
    )))
}
