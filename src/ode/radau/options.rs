//! The integrator's options and the constants of its step-size and Newton control.
//!
//! The controller's factors are exact ratios p/q of small integers, rounded to a 64-bit
//! float where they are used ([`CONTROL_PREC`]): they only steer the step size, which
//! needs no more precision, while every value of the solution is computed at the
//! problem's working precision. Changing any of them changes the steps taken (the work
//! pins in tests/work_pins.rs fail), not the accuracy contract, which is the tolerance.

use rug::Float;

/// The precision (bits) of the step-size controller's arithmetic: the error norm's
/// ratio to the tolerance, the step factor, the Newton contraction rates.
pub const CONTROL_PREC: u32 = 64;

/// An exact factor p/q of the step-size or Newton control.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ratio {
    pub num: u32,
    pub den: u32,
}

impl Ratio {
    pub const fn new(num: u32, den: u32) -> Ratio {
        Ratio { num, den }
    }

    /// p/q rounded to `prec` bits.
    pub fn at(self, prec: u32) -> Float {
        Float::with_val(prec, self.num) / self.den
    }

    /// p/q at the controller's precision [`CONTROL_PREC`].
    pub fn control(self) -> Float {
        self.at(CONTROL_PREC)
    }
}

/// How many bits of a step must survive in x + h: a step h <= |x| 2^-(p - 16) (p the
/// working precision) is a step-size underflow,
/// [`OdeError::StepTooSmall`](super::OdeError::StepTooSmall). At x = 0 the floor is the
/// same fraction of the first step tried (see the step loop in [`super`]).
/// Value: 16 bits, so that at the floor x + h still resolves h to about 5 digits and
/// the stage nodes x + c_i h stay apart.
pub const UNDERFLOW_GUARD_BITS: u32 = 16;

/// A step that would leave less than 2^-20 of itself before x_end is stretched to end
/// there (instead of leaving a sliver that costs a whole step). Value: 20 bits, so a
/// stretch changes the step by less than one part in a million.
pub const SLIVER_BITS: u32 = 20;

/// The Newton iteration's first stopping test uses η = max(θ, 2^-p)^(4/5), θ the
/// contraction rate measured in the previous stage solve and 2^-p the unit round-off:
/// the last rate, moved towards 1 for safety (Hairer & Wanner's RADAU5 does the same).
/// Value: 4/5.
pub const NEWTON_ETA_EXPONENT: Ratio = Ratio::new(4, 5);

/// A Newton correction below 2^-20 of the Newton goal κ (see
/// [`RadauOptions::newton_goal`]) is round-off: when such a correction does not
/// contract, the ratio of two of them is noise (from an accurate guess for data of size
/// 10^300 both are ~10^-560), and the iterate already meets the goal, so the solve
/// succeeds instead of failing. Value: 20 bits below the goal.
pub const NEWTON_ROUNDOFF_BITS: u32 = 20;

/// The bits above the unit round-off 2^-p at which the corrections of a stage solve
/// with `s` stages stall once its iterate is as accurate as the working precision
/// allows: 2s - 10 (at least 0). The solve works in the basis of the tableau's
/// eigenvectors, whose transformation loses about that many bits (docs/math.md §9.1:
/// T Λ T^{-1} against A^{-1} loses 38 bits at 24 stages, 53 at 32, 67 at 40). Measured
/// on the flows (three_point at γ̃ = 100, non-contracting corrections logged):
/// corrections stalled at 18 to 22 bits above 2^-p with 20 stages, 27 to 28 with 24,
/// 43 to 44 with 32 and 51 to 58 with 40.
pub fn stage_roundoff_bits(s: usize) -> u32 {
    (2 * s as u32).saturating_sub(10)
}

/// The least working precision at which stage solves of `s` stages can meet a
/// tolerance of 2^-tol_bits with the default Newton goal κ = 1/100
/// ([`NEWTON_GOAL_BITS`]): their round-off floor, [`stage_roundoff_bits`] above 2^-p,
/// must not reach the goal, or no iterate can be told from one that has not converged.
/// The floor's model stands 8 or more bits above the stalls measured (18 to 22 bits at
/// 20 stages against 30, 27 to 28 at 24 against 38, 43 to 44 at 32 against 54), which
/// is the margin. Below this
/// precision, solves that start at the floor fail, the step halves, the next predictor is
/// more accurate still and the step size collapses. Before the round-off test knew the
/// floor (numeric version 11, three_point to γ̃ = 100, 4 s) runs even at this precision
/// collapsed: 24 stages at 192 bits and 10^-44 made 892 step attempts (320 rejected) and
/// reached γ̃ = 0.24, 20 stages at 128 bits and 10^-27 1,347 (514) and γ̃ = 0.06; they now
/// take 15 and 13 steps, none rejected. The flows refuse, or raise, a precision below it.
pub fn stage_solve_bits(tol_bits: u32, s: usize) -> u32 {
    tol_bits + stage_roundoff_bits(s) + NEWTON_GOAL_BITS
}

/// ceil(log2(1/κ)) for the default Newton goal κ = 1/100 ([`RadauOptions::newton_goal`]).
pub const NEWTON_GOAL_BITS: u32 = 7;

/// Problems with at least this many components reduce the Jacobian to Hessenberg form
/// once per factorization and factor every eigenvalue block of the tableau in O(n^2)
/// (newton.rs); smaller ones factor each block densely, which is cheaper there.
/// Value: measured (docs/benchmarks.md).
pub const HESSENBERG_MIN_DIM: usize = 8;

/// The precision of the Newton matrices' factorizations and solves (newton.rs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinearPrecision {
    /// The working precision, as every other value.
    Working,
    /// At most this many bits (the working precision when it is lower), for problems of
    /// at least [`HESSENBERG_MIN_DIM`] components. A block whose
    /// LU has a pivot below 2^-(bits/2) of the matrix's largest entry (or of
    /// its shift) is too ill-conditioned for them and fails the step attempt, as does a
    /// stage solve that does not converge; the attempt is then repeated at the working
    /// precision, and when it succeeds there the integration stays at the working
    /// precision from then on (the choice is part of the loop state, so a continued
    /// integration makes it identically).
    Reduced(u32),
    /// As `Reduced`, for problems of every size: below [`HESSENBERG_MIN_DIM`]
    /// components the dense block factorizations are made at these bits too (where
    /// `Reduced` keeps the working precision). The flows use it (docs/math.md §9.7):
    /// their Newton iterations are the same, and the inner iterations of the
    /// refinement (§9.10) then share the main blocks instead of factoring their own
    /// at 64 bits.
    ReducedAll(u32),
}

/// The default linear-algebra precision: 64 bits (one limb). Measured on the flow at
/// N = d = 100 (docs/benchmarks.md): the same steps, Newton iterations and right-hand
/// sides as at the working precision, 15% less time at 192 bits, 21% at 256.
pub const REDUCED_LINEAR_BITS: u32 = 64;

/// The local error estimate that accepts or rejects a step and sizes the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ErrorEstimate {
    /// Step doubling: every step is solved once with h and twice with h/2 (three stage
    /// solves), the two half steps' result is kept, and |y_half - y_full| / (2^s - 1)
    /// is the estimate, of the method's own order (step-size exponent -1/(2s)).
    #[default]
    StepDoubling,
    /// The embedded formula of order s of Hairer & Wanner's RADAU5 (II, IV.8; see
    /// [`Embedded`](crate::ode::tableau::Embedded)): one stage solve per step, one
    /// extra right-hand side f(x0, y0) and one extra real block solve (an extra real
    /// factorization for even s), the estimate filtered by (I - h γ0 J)^{-1}, and on
    /// the first step and after a rejection recomputed with f(x0, y0 + err) when it
    /// exceeds 1. The estimate is of order s + 1: the step-size exponent is -1/(s+1),
    /// with Gustafsson's predictive controller (RADAU5's default). The full step is
    /// kept and reported as one dense-output segment per step.
    Embedded,
}

/// Integration options. [`RadauOptions::new`] gives the defaults below for everything
/// but the tolerance.
#[derive(Clone, Debug)]
pub struct RadauOptions {
    /// Local error tolerance, relative to the problem's error norm
    /// ([`Ode::error_scale`](crate::ode::Ode::error_scale)): a step is accepted when
    /// its error estimate measures at most 1 in that norm. No default.
    pub tol: Float,
    /// First step size. Default: `None`, meaning tol^(1/(2s)) (the step whose error
    /// estimate, of order h^(2s), would be about the tolerance for a solution of scale
    /// 1), cut to the problem's [`Ode::first_step_bound`](crate::ode::Ode::first_step_bound)
    /// and to the interval.
    pub h_init: Option<Float>,
    /// Maximum number of step attempts, accepted plus rejected; then the integration
    /// fails with [`OdeError::MaxSteps`](super::OdeError::MaxSteps). Default: 10^7, a
    /// guard against a runaway integration, far beyond any run's need (the bundled runs
    /// take hundreds).
    pub max_steps: u64,
    /// Maximum simplified-Newton iterations per stage solve; a solve that has not met
    /// the Newton goal by then fails and the step is retried shorter. Default: 25, rarely
    /// reached: a solve predicted to miss the goal within the remaining iterations gives
    /// up earlier.
    pub max_newton: usize,
    /// The Newton goal κ: the stage solve stops when the predicted error of its iterate,
    /// η‖Δz‖, is at most κ (in the error norm, where the tolerance is 1). Default: 1/100,
    /// for the full step too (a looser goal for the full step, which only feeds the
    /// error estimate, was measured to cost more steps than it saves iterations).
    pub newton_goal: Ratio,
    /// A Newton iteration whose corrections contract by a rate θ at or above this has
    /// diverged: the solve fails. Default: 99/100, close to 1, since slow but real
    /// contraction is left to the prediction test (a solve predicted to miss the goal
    /// within the remaining iterations gives up early).
    pub newton_divergence: Ratio,
    /// The step size is multiplied by this after a failed stage solve (Newton diverged
    /// or a Newton matrix was singular) and the step is retried. Default: 1/2, halving:
    /// a failed solve gives no error estimate to size the retry from.
    pub newton_failure_shrink: Ratio,
    /// Safety factor of the step-size update h_new = safety · err^(-1/(2s)) · h, which
    /// aims a little below the tolerance so that the next step is likely accepted.
    /// Default: 9/10.
    pub safety: Ratio,
    /// Largest factor by which the step size may grow after an accepted step, and the
    /// factor used when the error estimate is exactly 0. Default: 6, so the step can
    /// grow quickly where the solution smooths out while one step's estimate cannot
    /// throw the next step arbitrarily far.
    pub max_step_growth: Ratio,
    /// Largest growth factor after an accepted step that followed a rejected attempt.
    /// Default: 1, no growth, since a step just rejected at a larger size would likely
    /// be rejected again.
    pub max_step_growth_after_rejection: Ratio,
    /// Smallest factor of the step size after an accepted step. Default: 1/5. (An
    /// accepted estimate is at most 1, so the update is at least the safety factor: with
    /// the defaults this bound never acts; it guards a safety factor set below it.)
    pub min_step_growth: Ratio,
    /// Largest factor of the step size after a rejected step: a rejection shrinks the
    /// step at least this much, even when the estimate barely missed. Default: 9/10.
    pub max_step_shrink: Ratio,
    /// Smallest factor of the step size after a rejected step: a rejection shrinks the
    /// step at most this much, however large the estimate, so that one wild estimate
    /// cannot cut the step by orders of magnitude at once (further rejections shrink it
    /// further). Default: 1/10.
    pub min_step_shrink: Ratio,
    /// The local error estimate. Default: [`ErrorEstimate::StepDoubling`] (measured
    /// against [`ErrorEstimate::Embedded`] in docs/benchmarks.md).
    pub estimate: ErrorEstimate,
    /// The tolerance the [`ErrorEstimate::Embedded`] estimate is held to (the Newton goal
    /// and everything else keep `tol`). Default: `None`, meaning `tol`. The estimate is
    /// of order s + 1 while the step's true error is of order 2s, so a looser value,
    /// about tol^((s+1)/(2s)), aims at a true error about tol.
    pub embedded_tol: Option<Float>,
    /// With step doubling, take after an accepted step the smaller of the standard
    /// factor and Gustafsson's predictive factor (which extrapolates the last two
    /// accepted steps' sizes and estimates: steps that shrink geometrically towards a
    /// pole keep shrinking instead of being rejected every other attempt). Default:
    /// false (the embedded estimate always uses it).
    pub predictive: bool,
    /// The precision of the Newton matrices (J's Hessenberg reduction, the block
    /// factorizations and solves) of problems with at least [`HESSENBERG_MIN_DIM`]
    /// components (smaller ones use the working precision, except with
    /// [`LinearPrecision::ReducedAll`]). The residual, the stage values and the
    /// corrections' sum stay at the working precision, so this changes the iteration's
    /// speed, not the solution it converges to (which satisfies the stage equations at
    /// the working precision); a linear invariant of the problem is then conserved to
    /// about cond · 2^-bits times the last Newton correction per step instead of to the
    /// working precision. Default: [`LinearPrecision::Reduced`]([`REDUCED_LINEAR_BITS`]).
    pub linear_precision: LinearPrecision,
    /// Jacobians sampled along each step attempt's full step: with 1, simplified Newton
    /// with the Jacobian at the predicted midpoint alone; with m >= 2 (an even m counts
    /// as m + 1, so that the midpoint is a sample), the Jacobian is also evaluated at
    /// the other equally spaced points of the predicted step, every stage's Jacobian is
    /// interpolated from them, and each Newton correction of the full step is refined
    /// towards Newton's with the stages' Jacobians by inner iterations that evaluate no
    /// right-hand side (variation.rs, docs/math.md §9.10). The half steps of step
    /// doubling, which start close to their solution, keep simplified Newton. Nothing
    /// changes on the first step (no predicted step to sample) or where the samples are
    /// all equal (a linear problem). Default: 5 (measured, docs/benchmarks.md).
    pub stage_jacobians: usize,
}

impl RadauOptions {
    pub fn new(tol: Float) -> RadauOptions {
        RadauOptions {
            tol,
            h_init: None,
            max_steps: 10_000_000,
            max_newton: 25,
            newton_goal: Ratio::new(1, 100),
            newton_divergence: Ratio::new(99, 100),
            newton_failure_shrink: Ratio::new(1, 2),
            safety: Ratio::new(9, 10),
            max_step_growth: Ratio::new(6, 1),
            max_step_growth_after_rejection: Ratio::new(1, 1),
            min_step_growth: Ratio::new(1, 5),
            max_step_shrink: Ratio::new(9, 10),
            min_step_shrink: Ratio::new(1, 10),
            estimate: ErrorEstimate::StepDoubling,
            embedded_tol: None,
            predictive: false,
            linear_precision: LinearPrecision::Reduced(REDUCED_LINEAR_BITS),
            stage_jacobians: 5,
        }
    }
}
