//! Running a job: the main integration under the precision policy (raise and
//! restart, or refuse, when the guard trips), then its verification, with limits,
//! checkpoints and resumption.

use super::control::{
    Budget, Following, Halted, InFlight, PrecisionPolicy, PrecisionRaise, RunControl, Snapshot,
    MAIN_RUN,
};
use super::drive::{
    check_target, drive, projected, sampled, solve_why, too_low, Controls, Drive, Driven,
    InFlightSink, Solution, Start,
};
use super::follower::{concurrent_wanted, Follow, Follower, Stepped};
use super::guard;
use super::numerics::{tol_digits, MAX_DIGIT_ATTEMPTS};
use super::verify::{Attempt, DigitsAsked, Verified, VERIFICATION};
use super::{DiagFlow, FlowError, Numerics, StopRule};
use crate::num::from_rational;
use crate::ode::radau::{Control, FollowState, Segment};
use crate::ode::tableau::RadauTableau;
use rug::{Float, Rational};
use std::time::{Duration, Instant};

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
    /// The job's flow at `prec` bits (the precision a run is at, possibly raised).
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

/// The main run of a job and its verification (None without one), each with the flow
/// at the precision it ended with.
struct Phased {
    flow: DiagFlow,
    main: Solution,
    check: Option<(DiagFlow, Solution)>,
}

/// `body` with a rayon scope to spawn into (`concurrent`), which ends once every task
/// spawned into it has; or without one.
fn in_scope<'s, R: Send>(
    concurrent: bool,
    body: impl FnOnce(Option<&rayon::Scope<'s>>) -> R + Send,
) -> R {
    if concurrent {
        rayon::scope(|sc| body(Some(sc)))
    } else {
        body(None)
    }
}

/// One integration of the job to its end, under the precision policy: raise and
/// restart, or refuse, when the guard trips. With `job.verify`, the verification follows
/// the main run's accepted steps ([`VERIFICATION`]'s `follow_numerics`; restarted
/// with it when the precision is raised), in lockstep or, with two or more worker
/// threads, beside it ([`Follower`]), continued from `following` when resuming.
#[allow(clippy::too_many_arguments)]
fn run_main(
    job: &Job,
    numerics: Numerics,
    resume: Option<InFlight>,
    following: Option<Following>,
    ctl: &mut RunControl,
    raises: &mut Vec<PrecisionRaise>,
    budget: &mut Budget,
    progress: &mut (dyn FnMut(&Float) + Send),
) -> Result<Result<Phased, Halted>, FlowError> {
    let mut following = following;
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
                // the stage solves' round-off floor must stay below the Newton goal
                let solve = numerics.solve_need();
                if solve > p {
                    return Err(too_low(&gt, digits, solve, p, solve_why(&numerics)));
                }
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
                let solve = numerics.solve_need();
                let bits = need.bits(digits).max(solve);
                let why = if solve >= need.bits(digits) {
                    solve_why(&numerics)
                } else {
                    format!("estimated before the run: {}", need.explain())
                };
                if bits > p {
                    let to = round_prec(bits);
                    if to > MAX_PREC {
                        return Err(too_low(
                            &gt,
                            digits,
                            bits,
                            p,
                            format!("{why}; more than the {MAX_PREC} bits allowed"),
                        ));
                    }
                    raises.push(PrecisionRaise {
                        run: MAIN_RUN.to_string(),
                        from: p,
                        to,
                        reason: format!(
                            "reaching gt = {} with {digits} digits needs about {bits} bits ({why})",
                            crate::num::fmt_sig(&gt, 6),
                        ),
                    });
                    numerics.prec = to;
                }
            }
        }
    }
    // with two or more worker threads the verification follows concurrently, on the
    // workers the main run leaves free (the same values bit for bit: docs/math.md §9.8)
    let concurrent = job.verify && concurrent_wanted();
    if job.verify && !concurrent {
        // the verification's tableau (for the main run's numerics as they start), built
        // while the main run's first steps are taken (a concurrent follower builds it at
        // its first step, beside the main run)
        let v = VERIFICATION.follow_numerics(&numerics);
        RadauTableau::prefetch(v.stages, v.prec);
    }
    loop {
        let p = numerics.prec;
        let flow = job.flow_at(p);
        let gt = job.rule.gt(job.alpha, job.depth, p);
        check_target(&gt, job.loss)?;
        let samples: Vec<Float> = job.sample_at.iter().map(|q| from_rational(p, q)).collect();
        // the verification, following the main run at its own numerics
        let vn = VERIFICATION.follow_numerics(&numerics);
        if let Some(f) = following.as_ref().filter(|f| f.numerics != vn) {
            return Err(FlowError::Resume(format!(
                "the checkpoint's verification runs at {} bits with {} stages, this job's at {} bits with {} stages",
                f.numerics.prec, f.numerics.stages, vn.prec, vn.stages
            )));
        }
        // its flow (none without verification); its tableau is looked up at its first
        // step, so that the main run need not wait for it to be built
        let vside = job.verify.then(|| job.flow_at(vn.prec));
        let follow = vside.as_ref().map(|vflow| {
            let vp = vn.prec;
            let now = following.take().unwrap_or_else(|| Following {
                numerics: vn.clone(),
                state: FollowState::start(
                    &vflow.gt_start(),
                    &vec![Float::new(vp); vflow.dim_state()],
                    vp,
                ),
                samples: Vec::new(),
                wall: Duration::ZERO,
            });
            let f = Follow {
                flow: vflow,
                tab: None,
                stages: vn.stages,
                opts: VERIFICATION.follower_options(vp, &now.numerics.tol),
                // the main run's sample points (the same gt values), those it samples
                sample_at: samples
                    .iter()
                    .filter(|s| sampled(s, &gt))
                    .map(|s| Float::with_val(vp, s))
                    .collect(),
                now: Some(now),
                failed: None,
            };
            if concurrent {
                Follower::concurrent(f, (numerics.stages, p))
            } else {
                Follower::lockstep(f)
            }
        });
        // where the verification stands once it has followed every step taken so far
        let following_now = || -> Option<Following> { follow.as_ref().and_then(|f| f.settled()) };
        let raises_now = raises.clone();
        let checkpoints = ctl.checkpoint.is_some();
        let mut sink = |f: &InFlight| -> Result<(), String> {
            match ctl.checkpoint.as_mut() {
                Some(write) => write(&Snapshot {
                    raises: raises_now.clone(),
                    current: f.clone(),
                    following: following_now().map(Box::new),
                }),
                None => Ok(()),
            }
        };
        // the main run; a concurrent follower's tasks are spawned into `sc`
        let r = in_scope(concurrent, |sc| {
            let mut observer = |seg: &Segment| {
                if let Some(f) = follow.as_ref() {
                    match f.step(seg) {
                        Stepped::Failed => return Control::Stop,
                        Stepped::Drain => {
                            if let Some(sc) = sc {
                                sc.spawn(move |_| f.drain());
                            }
                        }
                        Stepped::Taken => {}
                    }
                }
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
            });
            // the main run restarts at a higher precision, or failed: the follower's
            // work is not wanted
            if matches!(r, Err(_) | Ok(Driven::Guard { .. })) {
                if let Some(f) = follow.as_ref() {
                    f.cancel();
                }
            }
            r
        })?;
        let follow = follow.map(Follower::into_inner);
        if let Some(e) = follow.as_ref().and_then(|f| f.failed.as_ref()) {
            return Err(FlowError::Verification(e.to_string()));
        }
        let following_now = follow.as_ref().and_then(|f| f.now.clone());
        let vflow = vside;
        match r {
            Driven::Done(mut sol) => {
                let check = following_now.zip(vflow).map(|(f, vflow)| {
                    // the main run's wall time without its verification's (which, in
                    // lockstep, it includes)
                    if !concurrent {
                        sol.wall = sol.wall.saturating_sub(f.wall);
                    }
                    let check = Solution {
                        numerics: f.numerics,
                        gt: f.state.x,
                        y: f.state.y,
                        samples: f.samples,
                        stats: f.state.stats,
                        wall: f.wall,
                    };
                    (vflow, check)
                });
                return Ok(Ok(Phased {
                    flow,
                    main: sol,
                    check,
                }));
            }
            Driven::CheckpointFailed(e) => return Err(FlowError::Checkpoint(e)),
            Driven::Halt(halt, current) => {
                let snapshot = Snapshot {
                    raises: raises.clone(),
                    current: *current,
                    following: following_now.map(Box::new),
                };
                if let Some(write) = ctl.checkpoint.as_mut() {
                    write(&snapshot).map_err(FlowError::Checkpoint)?;
                }
                return Ok(Err(Halted { halt, snapshot }));
            }
            Driven::Guard { gt: at, need } => {
                let (needed, why) = projected(p, job.depth, &at, &gt, need.as_ref(), digits);
                let raised_here = raises.iter().filter(|r| r.run == MAIN_RUN).count();
                let to = round_prec(needed.max(p + PREC_STEP));
                if ctl.policy == PrecisionPolicy::Fixed
                    || to > MAX_PREC
                    || raised_here >= MAX_RAISES
                {
                    return Err(too_low(&gt, digits, needed, p, why));
                }
                raises.push(PrecisionRaise {
                    run: MAIN_RUN.to_string(),
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
    let (current, following) = match resume {
        Some(s) => {
            if job.verify != s.following.is_some() {
                return Err(FlowError::Resume(if job.verify {
                    "the checkpoint has no verification in flight, but the job verifies".into()
                } else {
                    "the checkpoint has a verification in flight, but the job does not verify"
                        .into()
                }));
            }
            (Some(s.current), s.following.map(|f| *f))
        }
        None => (None, None),
    };
    let mut pr = |x: &Float| progress(0, x);
    let start = Instant::now();
    let done = match run_main(
        job,
        job.numerics.clone(),
        current,
        following,
        ctl,
        &mut raises,
        budget,
        &mut pr,
    )? {
        Ok(done) => done,
        Err(h) => return Ok(JobOutcome::Halted(h)),
    };
    let elapsed = start.elapsed();
    let mut v = match done.check {
        None => Verified::unverified(done.flow, done.main, raises),
        Some((vflow, check)) => {
            progress(1, &check.gt);
            Verified::compared(done.flow, done.main, vflow, check, raises)
        }
    };
    v.elapsed = Some(elapsed);
    Ok(JobOutcome::Done(v))
}
