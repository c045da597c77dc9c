//! The verification that follows the main run's accepted steps
//! ([`VerificationPolicy::follow_numerics`](super::VerificationPolicy::follow_numerics)):
//! in lockstep on the main run's thread, each step as it is accepted, or beside it,
//! a task on the worker pool working through a queue of the steps the main run has
//! accepted ([`Follower::concurrent`]). Either way it takes the same steps in the
//! same order, each a function of the main run's step and its own state alone, so
//! its values are the same bit for bit; only the wall time differs. The main run waits
//! for a concurrent follower only where it needs the follower's state (to write a
//! checkpoint, and at its end) and when it is [`MAX_QUEUED`] steps ahead.

use super::control::Following;
use super::drive::take_samples;
use crate::ode::radau::{OdeError, OwnedStepJacobian, Radau, RadauOptions, Segment, StepRecord};
use crate::ode::tableau::RadauTableau;
use rug::Float;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A concurrent follower lets the main run get at most this many steps ahead
/// before the main run waits for it (helping with the pool's work meanwhile): a bound on
/// the memory the queue holds. The follower costs about as much as the main run per
/// step (a2 at 10^-30: 4,536 right-hand sides against 4,215), on a worker of its own,
/// so it is reached only when the other workers are busy with other work.
const MAX_QUEUED: usize = 256;

/// The follower's state while the main run integrates: the verification's in-flight
/// state, or the error that stopped it.
pub(super) struct Follow<'a> {
    pub flow: &'a crate::flow::DiagFlow,
    /// its tableau, looked up at its first step (None before)
    pub tab: Option<Arc<RadauTableau>>,
    pub stages: usize,
    pub opts: RadauOptions,
    /// its sample points: the main run's (the same values), those in (0, target]
    pub sample_at: Vec<Float>,
    /// where it stands (None once it failed)
    pub now: Option<Following>,
    pub failed: Option<OdeError>,
}

impl Follow<'_> {
    /// Follow one accepted step of the main run; false when the verification failed.
    fn step(&mut self, seg: &Segment) -> bool {
        let Some(mut f) = self.now.take() else {
            return false;
        };
        let start = Instant::now();
        let skip = f.samples.len();
        let mut next = self.sample_at.iter().skip(skip).peekable();
        let mut taken = Vec::new();
        let p = self.flow.prec;
        // the segment's end at this precision (where the last piece ends) and as the
        // main run computes it (where it samples up to): a sample the main run takes on
        // this segment is taken here too
        let end = Float::with_val(p, seg.x0 + seg.h);
        let end_main = seg.x1();
        let tab = self
            .tab
            .get_or_insert_with(|| RadauTableau::cached(self.stages, p))
            .clone();
        let r = Radau::new(self.flow, &tab, self.opts.clone()).follow(f.state, seg, |vs| {
            let mut x1 = vs.x1();
            if x1 >= end && end_main > x1 {
                x1 = Float::with_val(p, &end_main);
            }
            take_samples(&mut next, &x1, vs, &mut taken);
        });
        match r {
            Ok(st) => {
                f.state = st;
                f.samples.extend(taken);
                f.wall += start.elapsed();
                self.now = Some(f);
                true
            }
            Err(e) => {
                self.failed = Some(e);
                false
            }
        }
    }
}

/// The queue between the main run and a concurrent follower.
struct Queue {
    /// the main run's stages and precision: its tableau (cached by the time a step
    /// is queued) holds the nodes of the queued steps' polynomials
    tab: (usize, u32),
    state: Mutex<QueueState>,
    changed: Condvar,
}

#[derive(Default)]
struct QueueState {
    /// the steps queued, each with the Jacobian its Newton matrices were factored with
    waiting: VecDeque<(StepRecord, Option<OwnedStepJacobian>)>,
    /// a task is following the queue (at most one at a time: the steps are followed
    /// in order); it is still true while the task follows the last step it took
    draining: bool,
    /// the follower failed, or its work is no longer wanted
    stopped: bool,
}

/// What [`Follower::step`] did with a step.
pub(super) enum Stepped {
    /// followed it (lockstep), or queued it behind a task already following the queue
    Taken,
    /// queued it: start a task to follow the queue ([`Follower::drain`])
    Drain,
    /// the verification has failed: the main run may stop
    Failed,
}

/// The verification following the main run, in lockstep or concurrently.
///
/// Concurrently, the steps queue up and a task on the main run's thread pool
/// follows them ([`Follower::drain`]): it runs on a worker the main run is not using and
/// ends when the queue is empty (the next step starts another). No task ever waits
/// for the main run, and the main run waits for the follower only in a way that helps
/// the pool's work ([`rayon::yield_now`]), so neither can hold up the other for good,
/// whatever the number of workers.
pub(super) struct Follower<'a> {
    follow: Mutex<Follow<'a>>,
    /// None: in lockstep, on the main run's thread
    queue: Option<Queue>,
}

impl<'a> Follower<'a> {
    /// A follower taking each step on the main run's thread, as it is accepted.
    pub fn lockstep(follow: Follow<'a>) -> Follower<'a> {
        Follower {
            follow: Mutex::new(follow),
            queue: None,
        }
    }

    /// A follower that follows the queued steps in tasks of its own; `tab`: the main
    /// run's stages and precision.
    pub fn concurrent(follow: Follow<'a>, tab: (usize, u32)) -> Follower<'a> {
        Follower {
            follow: Mutex::new(follow),
            queue: Some(Queue {
                tab,
                state: Mutex::new(QueueState::default()),
                changed: Condvar::new(),
            }),
        }
    }

    fn follow_lock(&self) -> MutexGuard<'_, Follow<'a>> {
        self.follow.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The main run accepted `seg`: follow it now (lockstep) or queue it (concurrent).
    pub fn step(&self, seg: &Segment) -> Stepped {
        let Some(q) = &self.queue else {
            return if self.follow_lock().step(seg) {
                Stepped::Taken
            } else {
                Stepped::Failed
            };
        };
        q.wait_until(|st| st.waiting.len() < MAX_QUEUED || st.stopped);
        let mut st = q.lock();
        if st.stopped {
            return Stepped::Failed;
        }
        st.waiting.push_back((
            StepRecord::of(seg),
            seg.jac.as_ref().map(OwnedStepJacobian::of),
        ));
        if st.draining {
            Stepped::Taken
        } else {
            st.draining = true;
            Stepped::Drain
        }
    }

    /// A concurrent follower's task: follow the queued steps in order until the
    /// queue is empty, or the follower is stopped or fails.
    pub fn drain(&self) {
        let Some(q) = &self.queue else {
            return;
        };
        // the main run's tableau: built and cached before its first step was queued
        let tab = RadauTableau::cached(q.tab.0, q.tab.1);
        loop {
            let seg = {
                let mut st = q.lock();
                match st.waiting.pop_front().filter(|_| !st.stopped) {
                    Some(seg) => seg,
                    None => {
                        st.draining = false;
                        q.changed.notify_all();
                        return;
                    }
                }
            };
            let (rec, jac) = seg;
            let mut seg = rec.segment(&tab);
            seg.jac = jac.as_ref().map(OwnedStepJacobian::view);
            let ok = self.follow_lock().step(&seg);
            let mut st = q.lock();
            if !ok {
                st.stopped = true;
                st.waiting.clear();
                st.draining = false;
            }
            q.changed.notify_all();
            if !ok {
                return;
            }
        }
    }

    /// Where the follower stands once it has followed every step the main run
    /// accepted so far (None once it failed): what a checkpoint holds beside the main
    /// run's state.
    pub fn settled(&self) -> Option<Following> {
        if let Some(q) = &self.queue {
            // nothing queued and no task following: every step is followed
            q.wait_until(|st| (st.waiting.is_empty() && !st.draining) || st.stopped);
        }
        self.follow_lock().now.clone()
    }

    /// The follower's work is no longer wanted: a concurrent follower ends after the half
    /// step it is on.
    pub fn cancel(&self) {
        if let Some(q) = &self.queue {
            let mut st = q.lock();
            st.stopped = true;
            st.waiting.clear();
            q.changed.notify_all();
        }
    }

    pub fn into_inner(self) -> Follow<'a> {
        self.follow.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait until `done` holds, running the pool's pending work meanwhile (the task
    /// following the queue among it, when no other worker has taken it).
    fn wait_until(&self, done: impl Fn(&QueueState) -> bool) {
        loop {
            if done(&self.lock()) {
                return;
            }
            if let Some(rayon::Yield::Executed) = rayon::yield_now() {
                continue;
            }
            let st = self.lock();
            if done(&st) {
                return;
            }
            // nothing else to run: sleep until the follower moves (or briefly, to look
            // for the pool's work again)
            let _ = self
                .changed
                .wait_timeout(st, Duration::from_micros(200))
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Whether a verification should follow the main run concurrently: with two or more
/// worker threads, and when the job is not itself one of several run in parallel on the
/// workers (a `check` file's jobs; a lone job runs on the calling thread). There the
/// workers are busy with jobs already, and a job waiting on a worker for its follower
/// would take up other jobs meanwhile (rayon steals while it waits), so its own wall time
/// would include theirs.
pub(super) fn concurrent_wanted() -> bool {
    rayon::current_num_threads() >= 2 && rayon::current_thread_index().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::drive::{drive_plain, Start};
    use crate::flow::verify::VERIFICATION;
    use crate::flow::{DiagFlow, Numerics};
    use crate::ode::radau::{Control, FollowState};
    use rug::Rational;

    fn z() -> Vec<Vec<Rational>> {
        vec![
            vec![Rational::from(1), Rational::from((1, 2))],
            vec![Rational::from((1, 3)), Rational::from(1)],
        ]
    }

    fn numerics() -> Numerics {
        let tol = crate::num::ten_pow_neg(12);
        Numerics {
            prec: 128,
            stages: crate::flow::default_stages(&tol),
            tol,
        }
    }

    /// The main run's numerics and the verification's, the flow at the verification's
    /// precision, the main run's steps to gt = 50 and its tableau.
    fn setup() -> (
        Numerics,
        Numerics,
        DiagFlow,
        Vec<StepRecord>,
        Arc<RadauTableau>,
    ) {
        let z = z();
        let n = numerics();
        let flow = DiagFlow::new(&z, 2, &Rational::from(1), n.prec);
        let vn = VERIFICATION.follow_numerics(&n);
        let vflow = DiagFlow::new(&z, 2, &Rational::from(1), vn.prec);
        let steps = main_steps(&flow, &n);
        let tab = RadauTableau::cached(n.stages, n.prec);
        (n, vn, vflow, steps, tab)
    }

    /// The main run's accepted steps to gt = 50.
    fn main_steps(flow: &DiagFlow, n: &Numerics) -> Vec<StepRecord> {
        let steps = Mutex::new(Vec::new());
        let mut observer = |seg: &Segment| {
            steps.lock().unwrap().push(StepRecord::of(seg));
            Control::Continue
        };
        let target = Float::with_val(n.prec, 50);
        drive_plain(flow, n, &target, Start::Origin, &mut observer).unwrap();
        steps.into_inner().unwrap()
    }

    /// A follower at the start, at the verification's numerics (`now`: None, one that
    /// has failed).
    fn follow<'a>(vflow: &'a DiagFlow, vn: &Numerics, failed: bool) -> Follow<'a> {
        let now = Following {
            numerics: vn.clone(),
            state: FollowState::start(
                &vflow.gt_start(),
                &vec![Float::new(vn.prec); vflow.dim_state()],
                vn.prec,
            ),
            samples: Vec::new(),
            wall: Duration::ZERO,
        };
        Follow {
            flow: vflow,
            tab: None,
            stages: vn.stages,
            opts: VERIFICATION.follower_options(vn.prec, &vn.tol),
            sample_at: Vec::new(),
            now: (!failed).then_some(now),
            failed: None,
        }
    }

    /// Feed the steps to a concurrent follower from a pool of `threads` workers:
    /// where it stands at the end, and whether a step was refused.
    fn concurrently(
        f: &Follower,
        steps: &[StepRecord],
        tab: &RadauTableau,
        threads: usize,
    ) -> (Option<Following>, bool) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut refused = false;
            rayon::scope(|sc| {
                for seg in steps {
                    match f.step(&seg.segment(tab)) {
                        Stepped::Drain => sc.spawn(|_| f.drain()),
                        Stepped::Taken => {}
                        Stepped::Failed => {
                            refused = true;
                            break;
                        }
                    }
                }
            });
            (f.settled(), refused)
        })
    }

    /// A follower gives the same state bit for bit in lockstep and concurrently, on one
    /// worker (its tasks run only when the main run waits) or several.
    #[test]
    fn lockstep_and_concurrent_followers_agree() {
        let (n, vn, vflow, steps, tab) = setup();
        assert!(steps.len() > 10, "{}", steps.len());
        let lock = Follower::lockstep(follow(&vflow, &vn, false));
        for seg in &steps {
            assert!(matches!(lock.step(&seg.segment(&tab)), Stepped::Taken));
        }
        let want = lock.settled().unwrap();
        assert_eq!(want.state.stats.accepted as usize, steps.len());
        for threads in [1, 2, 3] {
            let conc = Follower::concurrent(follow(&vflow, &vn, false), (n.stages, n.prec));
            let (got, refused) = concurrently(&conc, &steps, &tab, threads);
            assert!(!refused);
            let got = got.unwrap();
            assert_eq!(got.state.x, want.state.x, "{threads} threads");
            assert_eq!(got.state.y, want.state.y, "{threads} threads");
            assert_eq!(got.state.stats, want.state.stats, "{threads} threads");
        }
    }

    /// A concurrent follower that has failed has no state to show, and refuses the main
    /// run's steps from then on.
    #[test]
    fn a_failed_concurrent_follower_refuses_the_next_step() {
        let (n, vn, vflow, steps, tab) = setup();
        for threads in [1, 2] {
            let conc = Follower::concurrent(follow(&vflow, &vn, true), (n.stages, n.prec));
            // (on one worker the follower runs only once the main run waits for it: the
            // steps are all queued before it fails)
            let (got, _) = concurrently(&conc, &steps, &tab, threads);
            assert!(got.is_none(), "{threads} threads");
            assert!(matches!(
                conc.step(&steps[0].segment(&tab)),
                Stepped::Failed
            ));
        }
    }
}
