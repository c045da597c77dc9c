//! The numerical settings of one integration (precision, tolerance, stages) and the
//! sample points of a path.

use crate::num::{digits_from_rel_error, from_rational};
use crate::ode::radau::options::REDUCED_LINEAR_BITS;
use crate::ode::radau::{ErrorEstimate, LinearPrecision, RadauOptions};
use crate::ode::tableau::extra_conditioning_bits;
use rug::{Float, Rational};

/// The factor between the tolerance the flows' embedded error estimate is held to and
/// the run's tolerance ([`flow_options`]). The estimate is of order s + 1 while the
/// step's error is of order 2s, so held to the tolerance itself it shortens the steps
/// far below what the tolerance needs (docs/math.md §9.13). Measured on the bench
/// workloads at 30, 40 and 60 digits (docs/benchmarks.md, "The embedded estimate as the
/// flows' default"): with 10^3 the verified digits stay within three of step doubling's
/// (from 3 fewer to 3 more) and the verified wall time falls by 0 to 21% at 30 and 40
/// digits; 10^4 to 10^6 lose digits on random10 (31 and 30 at 1e-30) and 10^9 to 10^12
/// reject up to a quarter of the attempts.
pub const EMBEDDED_TOL_FACTOR: u32 = 1000;

/// The integrator's options for a flow's run (classification and regression alike) at
/// `prec` bits and the tolerance `tol`: the embedded error estimate, one stage solve
/// per step (docs/math.md §9.13), held to [`EMBEDDED_TOL_FACTOR`] times `tol`; the
/// Newton goal and the error measure keep `tol`; the Newton matrices at 64 bits
/// whatever the dimension (docs/math.md §9.7).
pub fn flow_options(prec: u32, tol: &Rational) -> RadauOptions {
    let mut opts = RadauOptions::new(from_rational(prec, tol));
    opts.estimate = ErrorEstimate::Embedded;
    opts.linear_precision = LinearPrecision::ReducedAll(REDUCED_LINEAR_BITS);
    opts.embedded_tol = Some(from_rational(
        prec,
        &(tol * Rational::from(EMBEDDED_TOL_FACTOR)),
    ));
    opts
}

/// Numerical settings of one integration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Numerics {
    pub prec: u32,
    /// local error tolerance (exact)
    pub tol: Rational,
    pub stages: usize,
}

/// Attempts a job asked for `K` digits makes at most (the first and two tightenings).
pub const MAX_DIGIT_ATTEMPTS: usize = 3;

impl Numerics {
    /// The numerics that aim at `k` verified digits (`--digits K`): tolerance 10^-k
    /// (the verified digits then come out at k + 2 to k + 6 on the bundled cases,
    /// docs/math.md §9.5), a precision carrying k digits with 48 bits to spare (the
    /// guard's 16 and 32 for the amplification of rounding errors; the precision guard
    /// raises it where a state needs more), rounded up to a multiple of 64, and the
    /// stages for the tolerance. None when that precision exceeds [`MAX_PRECISION`]
    /// or `k` is 0.
    ///
    /// [`MAX_PRECISION`]: crate::num::MAX_PRECISION
    pub fn for_digits(k: u32) -> Option<Numerics> {
        if k == 0 {
            return None;
        }
        let prec = bits_for_digits(k)?;
        let tol = crate::num::ten_pow_neg(k);
        Some(Numerics {
            prec,
            stages: default_stages(&tol),
            tol,
        })
    }

    /// The precision the stage solves of these numerics need for their tolerance
    /// (docs/math.md §9.11); a precision below it is refused or raised.
    pub fn solve_need(&self) -> u32 {
        solve_bits(tol_digits(&self.tol), self.stages)
    }

    /// The numerics of the next attempt after one that verified `got < k` digits: a
    /// tolerance 10^-(k - got + 2) tighter and the bits for that many more digits; None
    /// past [`crate::num::MAX_PRECISION`].
    pub fn tightened(&self, k: u32, got: u32) -> Option<Numerics> {
        let more = k.saturating_sub(got) + 2;
        let tol = &self.tol * crate::num::ten_pow_neg(more);
        let stages = default_stages(&tol).max(self.stages);
        // the bits for the digits more, and for the stages more
        let conditioning = extra_conditioning_bits(stages) - extra_conditioning_bits(self.stages);
        let bits = self.prec as u64 + bits_of_digits(more) + conditioning as u64;
        let prec = round_up_64(bits.max(solve_bits(tol_digits(&tol), stages) as u64))?;
        Some(Numerics { prec, stages, tol })
    }
}

/// ceil(k / log10 2) bits, computed exactly in integers (log10 2 > 30102/100000).
fn bits_of_digits(k: u32) -> u64 {
    (k as u64 * 100_000).div_ceil(30_102)
}

/// The precision for `k` digits: [`bits_of_digits`] + 48, plus the bits the eigenvector
/// basis of the tableau for 10^-k loses beyond 24 stages
/// ([`extra_conditioning_bits`](crate::ode::tableau::extra_conditioning_bits)), and at
/// least what the stage solves need ([`solve_bits`]; the rest always carries it: a
/// unit test checks), a multiple of 64, at most [`crate::num::MAX_PRECISION`].
pub fn bits_for_digits(k: u32) -> Option<u32> {
    bits_for_tol_digits(k, stages_for_digits(k))
}

/// The precision [`bits_for_digits`] gives a tolerance of 10^-k solved with `stages`
/// stages: k digits with 48 bits to spare, the tableau's extra conditioning bits, and
/// at least what the stage solves need, a multiple of 64; None beyond
/// [`crate::num::MAX_PRECISION`]. The verification's precision rests on it
/// ([`crate::flow::VerificationPolicy`]).
pub fn bits_for_tol_digits(k: u32, stages: usize) -> Option<u32> {
    let bits = bits_of_digits(k) + 48 + extra_conditioning_bits(stages) as u64;
    round_up_64(bits.max(solve_bits(k, stages) as u64))
}

/// What the stage solves of `stages` stages need for a tolerance of 10^-k
/// ([`stage_solve_bits`](crate::ode::radau::stage_solve_bits), docs/math.md §9.11).
fn solve_bits(k: u32, stages: usize) -> u32 {
    crate::ode::radau::stage_solve_bits(crate::flow::guard::digit_bits(k), stages)
}

fn round_up_64(bits: u64) -> Option<u32> {
    let b = bits.div_ceil(64) * 64;
    (b <= crate::num::MAX_PRECISION as u64).then_some(b as u32)
}

/// Radau IIA stages for a tolerance of 10^-K: [`stages_for_digits`].
pub fn default_stages(tol: &Rational) -> usize {
    stages_for_digits(tol_digits(tol))
}

/// Radau IIA stages for K requested digits (order 2s - 1 grows with the digits,
/// docs/math.md §9.1): two stages per 3 digits up to 24 stages (36 digits), 24 up to
/// 48 digits, then one more per 2 digits up to MAX_STAGES = 48 (96 digits and more),
/// at least 3. Measured on the flows (docs/benchmarks.md, "Stages beyond 24"): at 1e-40,
/// 24 stages take 106 steps and 4.6 s where 16 take 380 steps and 9 s, and 22 to 28
/// stages are within 5% of each other; at 1e-30, 20 stages take 7 to 15% less time
/// than 18; at 1e-60, 32 stages take 0.69 times the time of 24 (random10), and at
/// 1e-100, 48 stages 0.74 times that of 32.
pub fn stages_for_digits(k: u32) -> usize {
    let s = match k {
        0..=36 => (k * 2).div_ceil(3),
        37..=48 => 24,
        _ => 24 + (k - 48).div_ceil(2),
    };
    s.clamp(3, crate::ode::tableau::MAX_STAGES as u32) as usize
}

/// floor(-log10 tol) for 0 < tol < 1.
pub fn tol_digits(tol: &Rational) -> u32 {
    let f = from_rational(64, tol);
    digits_from_rel_error(&f, 100_000)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::ten_pow_neg;

    /// `--digits K`, its tightened attempts and their verifications always carry what
    /// their stage solves need for their tolerance (docs/math.md §9.11), so the flows
    /// never refuse or raise the numerics they chose themselves.
    #[test]
    fn digits_numerics_meet_the_stage_solve_bound() {
        use crate::flow::VERIFICATION;
        let meets = |n: &Numerics, what: &str| {
            let need = n.solve_need();
            assert!(
                n.prec >= need,
                "{what}: {} bits, {} stages, tol digits {}: needs {need}",
                n.prec,
                n.stages,
                tol_digits(&n.tol)
            );
        };
        for k in (1..=400).chain([1000, 5000]) {
            let n = Numerics::for_digits(k).unwrap();
            meets(&n, &format!("K = {k}"));
            meets(
                &VERIFICATION.follow_numerics(&n),
                &format!("K = {k}, verification"),
            );
            if let Some(t) = n.tightened(k, k.saturating_sub(3)) {
                meets(&t, &format!("K = {k}, tightened"));
                meets(
                    &VERIFICATION.follow_numerics(&t),
                    &format!("K = {k}, tightened, verification"),
                );
            }
        }
    }

    #[test]
    fn numerics_for_digits() {
        let n = Numerics::for_digits(30).unwrap();
        assert_eq!(
            (n.prec, n.tol.clone(), n.stages),
            (192, ten_pow_neg(30), 20)
        );
        assert_eq!(Numerics::for_digits(40).unwrap().prec, 192);
        assert_eq!(Numerics::for_digits(50).unwrap().prec, 256);
        assert_eq!(Numerics::for_digits(15).unwrap().prec, 128);
        assert!(Numerics::for_digits(0).is_none());
        // the cap: 1,000,000 bits carry 301,029 digits less the 48 spare bits and the
        // 48 bits of 48 stages' conditioning
        assert!(Numerics::for_digits(300_980).is_some());
        assert!(Numerics::for_digits(301_000).is_none());
        // 28 of 30: two short, four digits tighter and 64 more bits
        let t = n.tightened(30, 28).unwrap();
        assert_eq!((t.prec, t.tol, t.stages), (256, ten_pow_neg(34), 23));
        // beyond 24 stages, 2 bits per stage more: 60 digits at 200 + 48 + 12 bits,
        // 100 digits at 333 + 48 + 48
        let n = Numerics::for_digits(60).unwrap();
        assert_eq!((n.prec, n.stages), (320, 30));
        assert_eq!(Numerics::for_digits(100).unwrap().prec, 448);
        assert_eq!(Numerics::for_digits(100).unwrap().stages, 48);
        // 58 of 60: tol 1e-64 takes 32 stages, so 14 bits for the digits and 4 for
        // the stages more
        let t = n.tightened(60, 58).unwrap();
        assert_eq!((t.prec, t.tol, t.stages), (384, ten_pow_neg(64), 32));
    }

    /// The stage rule: two per 3 digits to 24 (36 digits), 24 to 48 digits, then one
    /// per 2 digits to MAX_STAGES = 48 (96 digits); never fewer than 3, never fewer for
    /// more digits.
    #[test]
    fn stages_grow_with_the_digits_up_to_the_cap() {
        let want = [
            (1, 3),
            (4, 3),
            (5, 4),
            (20, 14),
            (30, 20),
            (36, 24),
            (40, 24),
            (48, 24),
            (49, 25),
            (60, 30),
            (80, 40),
            (96, 48),
            (100, 48),
            (100_000, 48),
        ];
        for (k, s) in want {
            assert_eq!(stages_for_digits(k), s, "{k} digits");
        }
        let mut last = 0;
        for k in 1..=200 {
            let s = stages_for_digits(k);
            assert!(
                s >= last && s <= crate::ode::tableau::MAX_STAGES,
                "{k}: {s}"
            );
            last = s;
        }
        assert_eq!(default_stages(&ten_pow_neg(60)), 30);
    }
}
