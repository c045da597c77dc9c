//! How an integration is controlled: the precision policy, the limits of one
//! invocation, checkpoints (what they hold and how often), and resumption.

use super::numerics::Numerics;
use crate::ode::radau::{FollowState, RadauState};
use rug::Float;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

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

/// The name of a job's one integration in reports, precision raises and checkpoints:
/// the main run, which its verification follows step for step ([`Following`]).
pub const MAIN_RUN: &str = "main";

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

/// The verification that follows the main run's accepted steps
/// ([`VerificationPolicy::follow_numerics`](super::VerificationPolicy::follow_numerics)),
/// where the main run stands: enough to continue it bit for bit.
#[derive(Clone, Debug)]
pub struct Following {
    /// its numerics (more bits, a tighter tolerance, more stages)
    pub numerics: Numerics,
    pub state: FollowState,
    /// its dense-output samples taken so far
    pub samples: Vec<(Float, Vec<Float>)>,
    /// wall time spent on it so far (timing only)
    pub wall: Duration,
}

/// The whole job between two steps: what a checkpoint holds.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub raises: Vec<PrecisionRaise>,
    pub current: InFlight,
    /// the verification, at the same gt (None for a job without one)
    pub following: Option<Box<Following>>,
}

/// The job stopped before its end (by [`Limits`]); the snapshot continues it.
#[derive(Clone, Debug)]
pub struct Halted {
    pub halt: Halt,
    pub snapshot: Snapshot,
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
    /// `--digits K`: when the verification shows fewer than K digits of w_hat, run the
    /// job again with tightened numerics ([`super::Numerics::tightened`]), at most
    /// [`super::MAX_DIGIT_ATTEMPTS`] attempts in all
    pub digits: Option<u32>,
}

impl Default for RunControl<'_> {
    fn default() -> Self {
        RunControl {
            policy: PrecisionPolicy::Auto,
            limits: Limits::default(),
            every: None,
            checkpoint: None,
            resume: None,
            digits: None,
        }
    }
}

/// Per-invocation bookkeeping shared by the integrations of a job (the clock and
/// step count that [`Limits`] and [`Every`] are measured on).
pub struct Budget {
    pub(super) start: Instant,
    /// accepted steps of this invocation before the current integration
    pub(super) steps_before: u64,
    pub(super) last_checkpoint: Instant,
    pub(super) steps_at_checkpoint: u64,
}

impl Budget {
    pub fn new() -> Budget {
        let now = Instant::now();
        Budget {
            start: now,
            steps_before: 0,
            last_checkpoint: now,
            steps_at_checkpoint: 0,
        }
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new()
    }
}
