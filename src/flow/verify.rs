//! Verification: how a verification computation differs from the main one (one
//! [`VerificationPolicy`] for every command), the verified result of a run, and the
//! digits two computations share.

use super::control::{Halted, PrecisionRaise};
use super::drive::Solution;
use super::numerics::{bits_for_tol_digits, default_stages, tol_digits, Numerics};
use super::{guard, DiagFlow};
use crate::num::from_rational;
use crate::ode::radau::options::{Ratio, REDUCED_LINEAR_BITS};
use crate::ode::radau::{LinearPrecision, RadauOptions};
use crate::ode::tableau::MAX_TABLEAU_STAGES;
use rug::{Float, Rational};
use std::time::Duration;

/// How a verification computation differs from the main one: a tighter tolerance, more
/// stages and the bits these need. The digits reported are those on which the two
/// computations agree, so the second needs only to be clearly more accurate than the
/// first, not many orders of magnitude more.
///
/// A flow job's verification ([`super::run_job`]: run, trace, check, plot,
/// compare-losses, bench) follows the main run's accepted steps
/// ([`VerificationPolicy::follow_numerics`]; docs/math.md §9.8): one stage solve per
/// step with [`VerificationPolicy::extra_stages`] more stages (order 2(s + 2) - 1 on the
/// same mesh), at the tighter tolerance, Newton started from the main run's polynomial
/// on the same interval and stopped at [`VerificationPolicy::follow_newton_goal`] of
/// that tolerance. The computations without a main mesh to follow (a table's
/// event-located rows, the regression flow and its limit) verify with an independent
/// adaptive run at [`VerificationPolicy::numerics`].
///
/// The precision of an integration's verification is the larger of the main run's
/// plus [`VerificationPolicy::min_extra_bits`] and what `--digits` gives its own
/// tolerance and stages ([`bits_for_tol_digits`]: its digits with 48 bits to spare
/// and what its stage solves need): more bits where its tolerance needs them, the main
/// run's where these already carry it. The round-off both runs share at one precision
/// (the data rounded alike) lies below the digits either may report: every count is
/// capped by the digits both runs' arithmetic carries ([`guard::carried_digits`], 16
/// guard bits below the amplified rounding). A computation without a tolerance (an
/// optimization solved to the working precision) carries
/// [`VerificationPolicy::extra_bits`] more.
///
/// There is one policy, [`VERIFICATION`], for every command: the type exists so that
/// the honesty tests can put another margin beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerificationPolicy {
    /// a computation without a tolerance to tighten (a Q_mu reference solved to the
    /// working precision) is verified with this many more bits
    pub extra_bits: u32,
    /// an integration's verification carries at least this many more bits than the
    /// main run (and at least what its tolerance needs)
    pub min_extra_bits: u32,
    /// its tolerance is this many powers of ten tighter
    pub tighter_tol_exp10: u32,
    /// the Newton goal of a verification that follows the main run's steps, in its own
    /// error norm (where its tolerance is 1): its stage solves stop when their predicted
    /// error is at most this fraction of its tolerance. It has no step control of its
    /// own to protect (the main run's has 1/100), and on the main run's mesh with more
    /// stages its truncation error lies far below its tolerance, so its Newton error is
    /// its error: held to 1/10 of a tolerance 10^-6 tighter than the main run's, it
    /// stays 10^7 times below the main run's tolerance
    pub follow_newton_goal: Ratio,
    /// a verification that follows the main run's steps has this many more stages (at
    /// most [`MAX_TABLEAU_STAGES`]), whatever its tolerance: on the same mesh, a method
    /// of higher order (order 2(s + e) - 1 against 2s - 1)
    pub extra_stages: usize,
}

/// The verification policy: a tolerance 10^-6 tighter, two more stages on the main
/// run's mesh, the follower's Newton goal 1/10 of its tolerance, the bits these need
/// and at least the main run's; 64 more bits for an optimization. Chosen from
/// measurements (docs/math.md, "Verification"; docs/benchmarks.md): the main run's error is then at least about a million times its
/// verification's, so the digits the two share are the main run's own. Following the
/// main run's mesh costs 0.88 to 1.08 times the main run's right-hand sides since the
/// flows' embedded estimate (numeric version 14: one piece per main step; 0.37 to 0.46
/// with step doubling's half steps), where an independent adaptive run at the same bits
/// and tolerance cost 1.5 to 1.8 times the step-doubling main run. Until numeric
/// version 20 an integration's verification always carried 64 more bits: at
/// `--digits 30` (192 bits, 10^-30; the verification at 10^-36, which 192 bits carry)
/// that cost 17% of the verification's instructions for the same digits. Until numeric
/// version 21 the follower's Newton goal was the main run's 1/100: on the bench
/// workloads at `--digits 30` and 40 a third iteration in 40 to 60% of its steps, and
/// the same digits to the count with 1/10 (13 to 19% fewer iterations; 1 was measured
/// too, with the same digits and honesty comparisons, and not taken: it leaves no
/// margin between the follower's error and its tolerance). Until numeric version 23
/// the follower had four more stages than the main run and at least those its own
/// tolerance would take (24 at `--digits 30`, 28 at 40): with two more, the bench
/// workloads keep their digits to the count and both runs together take 4 to 5% fewer
/// instructions (docs/benchmarks.md). The honesty
/// test (tests/verification_honesty.rs) compares the digits claimed with a third run at
/// twice the bits and a tolerance 10^-20 tighter.
pub const VERIFICATION: VerificationPolicy = VerificationPolicy {
    extra_bits: 64,
    min_extra_bits: 0,
    tighter_tol_exp10: 6,
    follow_newton_goal: Ratio::new(1, 10),
    extra_stages: 2,
};

impl VerificationPolicy {
    /// The precision of the verification of a computation without a tolerance (an
    /// optimization) at `prec` bits.
    pub fn prec(&self, prec: u32) -> u32 {
        prec + self.extra_bits
    }

    /// The precision of an integration's verification at `tol` with `stages` stages,
    /// for a main run at `main_prec` bits: see [`VerificationPolicy`].
    fn integration_prec(&self, main_prec: u32, tol: &Rational, stages: usize) -> u32 {
        let floor = main_prec + self.min_extra_bits;
        bits_for_tol_digits(tol_digits(tol), stages)
            .unwrap_or(crate::num::MAX_PRECISION)
            .max(floor)
    }

    /// The numerics of an independent (adaptive) verification computation for a main
    /// computation at `main`: stages for the tighter tolerance, never fewer than the
    /// main run's.
    pub fn numerics(&self, main: &Numerics) -> Numerics {
        let tol = &main.tol * crate::num::ten_pow_neg(self.tighter_tol_exp10);
        let stages = default_stages(&tol).max(main.stages);
        Numerics {
            prec: self.integration_prec(main.prec, &tol, stages),
            tol,
            stages,
        }
    }

    /// The integrator's options for a verification that follows a main run's steps at
    /// `prec` bits and the tolerance `tol` (the follower has no error estimate of its
    /// own: the tolerance sets its error measure and, with
    /// [`VerificationPolicy::follow_newton_goal`], its Newton goal): the Newton matrices
    /// at 64 bits whatever the dimension, as the main run's (numeric version 18). It
    /// makes no inner iterations, so its contraction rate is that of the Jacobian at the
    /// step's midpoint against the stages' (10^-4 to 10^-2), far above a 64-bit
    /// factorization's error: on a2 its Newton iterations are the same to the count and
    /// it takes 12% fewer instructions (docs/benchmarks.md). It runs beside the main run
    /// and about as long.
    pub fn follower_options(&self, prec: u32, tol: &Rational) -> RadauOptions {
        let mut opts = RadauOptions::new(from_rational(prec, tol));
        opts.linear_precision = LinearPrecision::ReducedAll(REDUCED_LINEAR_BITS);
        opts.newton_goal = self.follow_newton_goal;
        opts
    }

    /// The numerics of a verification that follows the main run's steps: as
    /// [`VerificationPolicy::numerics`], with [`VerificationPolicy::extra_stages`] more
    /// stages than the main run (capped at [`MAX_TABLEAU_STAGES`]) whatever its
    /// tolerance: on the main run's mesh its truncation error is set by its order
    /// against the main run's, not by the tolerance, which sets its error measure and
    /// its Newton goal.
    pub fn follow_numerics(&self, main: &Numerics) -> Numerics {
        let mut n = self.numerics(main);
        n.stages = (main.stages + self.extra_stages).min(MAX_TABLEAU_STAGES);
        n.prec = self.integration_prec(main.prec, &n.tol, n.stages);
        n
    }
}

/// `--digits K` on a run: the digits asked and the earlier attempts, each with fewer
/// verified digits than asked (the reported result is the last attempt's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigitsAsked {
    pub k: u32,
    pub earlier: Vec<Attempt>,
}

/// One attempt at the digits asked: the numerics it started at and the digits of w_hat
/// its verification showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub prec: u32,
    pub tol: Rational,
    pub stages: usize,
    pub digits: u32,
}

impl DigitsAsked {
    /// Whether the result has the digits asked.
    pub fn met(&self, v: &Verified) -> bool {
        v.digits.is_some_and(|d| d >= self.k)
    }
}

/// A run with its verification, and the flows at the precisions they ended with
/// (possibly raised by the guard): take them from here rather than building a flow
/// at a precision of one's own.
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
    /// precisions raised on the way ([`super::PrecisionPolicy::Auto`])
    pub raises: Vec<PrecisionRaise>,
    /// `--digits K`: what was asked and the attempts that fell short (None otherwise)
    pub asked: Option<DigitsAsked>,
    /// the wall time of the main run and its verification together, in this invocation
    /// (timing only): with two or more worker threads the verification runs beside the
    /// main run, so this is less than the sum of their wall times (None when not measured)
    pub elapsed: Option<Duration>,
    /// the flow at `main.numerics.prec`
    flow: Box<DiagFlow>,
    /// the flow at `check.numerics.prec`
    check_flow: Option<Box<DiagFlow>>,
}

impl Verified {
    /// The flow the main run ended with (at `main.numerics.prec`).
    pub fn flow(&self) -> &DiagFlow {
        &self.flow
    }

    /// The flow the verification run ended with (at `check.numerics.prec`).
    pub fn check_flow(&self) -> Option<&DiagFlow> {
        self.check_flow.as_deref()
    }

    /// An unverified result: `main` with its flow and the digits its arithmetic
    /// carries at its end state.
    pub fn unverified(flow: DiagFlow, main: Solution, raises: Vec<PrecisionRaise>) -> Verified {
        let carried = carried_digits(&flow, &main.y);
        Verified {
            main,
            check: None,
            digits: None,
            sample_digits: Vec::new(),
            carried,
            raises,
            asked: None,
            elapsed: None,
            flow: Box::new(flow),
            check_flow: None,
        }
    }

    /// Main and verification runs compared: digits of w_hat at the end and at each
    /// sample, capped by what both runs' arithmetic carries.
    pub fn compared(
        flow: DiagFlow,
        main: Solution,
        vflow: DiagFlow,
        check: Solution,
        raises: Vec<PrecisionRaise>,
    ) -> Verified {
        let cap = carried_digits(&flow, &main.y).min(carried_digits(&vflow, &check.y));
        let digits = agreeing_digits(&flow, &main.y, &vflow, &check.y, cap);
        let sample_digits = main
            .samples
            .iter()
            .zip(&check.samples)
            .map(|((_, a), (_, b))| agreeing_digits(&flow, a, &vflow, b, cap))
            .collect();
        Verified {
            main,
            check: Some(check),
            digits: Some(digits),
            sample_digits,
            carried: cap,
            raises,
            asked: None,
            elapsed: None,
            flow: Box::new(flow),
            check_flow: Some(Box::new(vflow)),
        }
    }

    /// What a halted job reached, unverified: the in-flight main run (its
    /// verification follows it step for step). `z`, `depth`, `alpha` are the job's.
    pub fn halted(
        z: &[Vec<Rational>],
        depth: u32,
        alpha: &Rational,
        loss: super::Loss,
        h: &Halted,
    ) -> Verified {
        let snap = &h.snapshot;
        let cur = &snap.current;
        let main = Solution {
            numerics: cur.numerics.clone(),
            gt: cur.state.x.clone(),
            y: cur.state.y.clone(),
            samples: cur.samples.clone(),
            stats: cur.state.stats.clone(),
            wall: cur.wall,
        };
        let flow = DiagFlow::new(z, depth, alpha, main.numerics.prec).with_loss(loss);
        Verified::unverified(flow, main, snap.raises.clone())
    }
}

/// The digits the arithmetic of `flow` carries at the state `y` (0 where the mirror
/// map is not representable).
fn carried_digits(flow: &DiagFlow, y: &[Float]) -> u32 {
    flow.rounding_need(&y[..flow.n])
        .map_or(0, |need| guard::carried_digits(flow.prec, need.amp_bits))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::ten_pow_neg;

    fn numerics(prec: u32, digits: u32) -> Numerics {
        let tol = ten_pow_neg(digits);
        Numerics {
            prec,
            stages: default_stages(&tol),
            tol,
        }
    }

    /// The one policy: tol 10^-6 tighter, stages for the tighter tolerance and never
    /// fewer than the main run's, the bits these need by `--digits`' rule and at least
    /// the main run's; 64 more bits for an optimization.
    #[test]
    fn the_policy() {
        // tol 10^-26, 18 stages: 87 bits for the digits + 48 to spare = 135, so 192
        for (prec, want) in [(64, 192), (128, 192), (192, 192), (256, 256), (1000, 1000)] {
            let main = numerics(prec, 20);
            let v = VERIFICATION.numerics(&main);
            assert_eq!(v.prec, want, "main at {prec} bits");
            assert_eq!(VERIFICATION.prec(prec), prec + 64);
            assert_eq!(v.tol, ten_pow_neg(26));
            assert_eq!(v.stages, default_stages(&ten_pow_neg(26)));
            assert_eq!(v.prec, bits_for_tol_digits(26, v.stages).unwrap().max(prec));
        }
        let mut main = numerics(128, 10);
        main.stages = 24;
        assert_eq!(VERIFICATION.numerics(&main).stages, 24);
        // following the main run's steps: two more stages whatever its tolerance (at
        // 10^-16 an adaptive run would take 11), at most MAX_TABLEAU_STAGES
        assert_eq!(VERIFICATION.follow_numerics(&main).stages, 26);
        assert_eq!(VERIFICATION.follow_numerics(&main).tol, ten_pow_neg(16));
        main.stages = 8;
        assert_eq!(VERIFICATION.follow_numerics(&main).stages, 10);
        main.stages = crate::ode::tableau::MAX_STAGES;
        assert_eq!(
            VERIFICATION.follow_numerics(&main).stages,
            (main.stages + 2).min(MAX_TABLEAU_STAGES)
        );
        // --digits 30 (192 bits, 10^-30, 20 stages): the verification at 10^-36 with
        // 22 stages needs 120 + 48 bits, which the main run's 192 carry
        let main = Numerics::for_digits(30).unwrap();
        let v = VERIFICATION.follow_numerics(&main);
        assert_eq!((v.prec, v.stages), (192, 22));
        // --digits 40 (192 bits, 10^-40, 24 stages): at 10^-46 with 26 stages, 256
        let main = Numerics::for_digits(40).unwrap();
        let v = VERIFICATION.follow_numerics(&main);
        assert_eq!((v.prec, v.stages), (256, 26));
        // the bits are those of the follower's own stages and tolerance
        assert_eq!(v.prec, bits_for_tol_digits(46, 26).unwrap().max(main.prec));
        // the follower's integrator: its tolerance at its bits, Newton stopped at a tenth
        // of it (the main run's at a hundredth of its own), 64-bit Newton matrices
        let o = VERIFICATION.follower_options(v.prec, &v.tol);
        assert_eq!(o.tol, from_rational(v.prec, &v.tol));
        assert_eq!(o.tol.prec(), v.prec);
        assert_eq!(o.newton_goal, Ratio::new(1, 10));
        let m = crate::flow::numerics::flow_options(main.prec, &main.tol);
        assert_eq!(m.newton_goal, Ratio::new(1, 100));
        assert_eq!(o.linear_precision, m.linear_precision);
    }
}
