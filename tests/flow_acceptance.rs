//! Acceptance tests of the core flow (issue: "The core: arbitrary-precision gradient
//! flow in the log-loss parametrization"), each against an independent answer.

use ibcert::case::Case;
use ibcert::flow::run::{agreeing_digits, integrate, Numerics, Solution, Summary};
use ibcert::flow::DiagFlow;
use ibcert::num::{digits_from_rel_error, from_rational, ten_pow_neg};
use rug::{Float, Rational};

mod common;
use common::{load, single_point_nu};

fn run(
    z: &[Vec<Rational>],
    depth: u32,
    alpha: &Rational,
    gt: &Rational,
    numerics: &Numerics,
) -> (DiagFlow, Solution) {
    let flow = DiagFlow::new(z, depth, alpha, numerics.prec);
    let sol = integrate(
        &flow,
        numerics,
        &from_rational(numerics.prec, gt),
        &[],
        |_| {},
    )
    .expect("flow integrates");
    (flow, sol)
}

/// N = 1: the flow's nu agrees with the root of sum_i z_i w_i(z_i nu) = gt to at least
/// 60 digits at 256 bits, for D = 2, 3, 10 and gt = 1, 10^4, 10^8.
#[test]
fn single_point_matches_exact_root_to_60_digits() {
    let case = load("single_point.toml");
    let z = case.z();
    let alpha = Rational::from(1);
    let numerics = Numerics {
        prec: 256,
        tol: ten_pow_neg(63),
        stages: 24,
    };
    for depth in [2u32, 3, 10] {
        for gt in [
            Rational::from(1),
            Rational::from(10_000),
            Rational::from(100_000_000),
        ] {
            let (flow, sol) = run(&z, depth, &alpha, &gt, &numerics);
            let rp = 640;
            let zf: Vec<Float> = z[0].iter().map(|q| from_rational(rp, q)).collect();
            let exact = single_point_nu(
                &zf,
                depth,
                &from_rational(rp, &alpha),
                &from_rational(rp, &gt),
                rp,
            );
            let err = Float::with_val(rp, &sol.y[0] - &exact).abs() / &exact;
            let digits = digits_from_rel_error(&err, 200);
            assert!(
                digits >= 60,
                "D = {depth}, gt = {gt}: {digits} digits (nu = {}, exact {})",
                sol.y[0],
                exact
            );
            // the invariant drift is tiny too
            let s = Summary::at(&flow, &sol.gt, &sol.y);
            assert!(
                s.drift_rel < Float::with_val(64, Float::i_exp(1, -150)),
                "drift {}",
                s.drift_rel
            );
        }
    }
}

/// Three points, two support vectors, alpha = 100, gt = alpha^2 / 0.5 (loss ~ 10^-8686):
/// w_hat agrees across a precision doubling (256 -> 512 bits, tolerance 1e-40 -> 1e-80)
/// to at least 40 digits, and the invariant drift stays below 1e-40 (relative).
#[test]
fn three_point_precision_doubling_40_digits() {
    let case = load("three_point.toml");
    let z = case.z();
    let alpha = Rational::from(100);
    let gt = Rational::from(20_000);
    let lo = Numerics {
        prec: 256,
        tol: ten_pow_neg(40),
        stages: 20,
    };
    let hi = Numerics {
        prec: 512,
        tol: ten_pow_neg(80),
        stages: 24,
    };
    let (fl, sl) = run(&z, case.depth, &alpha, &gt, &lo);
    let (fh, sh) = run(&z, case.depth, &alpha, &gt, &hi);
    let digits = agreeing_digits(&fl, &sl.y, &fh, &sh.y, 200);
    assert!(digits >= 40, "w_hat agrees to {digits} digits");
    let s = Summary::at(&fl, &sl.gt, &sl.y);
    assert!(
        s.drift_rel < Float::with_val(64, Float::i_exp(1, -133)),
        "drift {}",
        s.drift_rel
    );
    // the loss really is about 10^-8686
    let k = Float::with_val(256, &s.loss_exp10).floor();
    assert_eq!(k.to_integer().unwrap(), 8685);
}

fn steps_to(case: &Case, alpha: &Rational, gt: &Rational) -> (u64, Float) {
    let numerics = Numerics {
        prec: 256,
        tol: ten_pow_neg(40),
        stages: 20,
    };
    let (flow, sol) = run(&case.z(), case.depth, alpha, gt, &numerics);
    let s = Summary::at(&flow, &sol.gt, &sol.y);
    (sol.stats.accepted, s.drift_rel)
}

/// Cost grows with log(gt), not gt: gt = 10^12 takes fewer than 3 times the accepted
/// steps of gt = 10^6, on the three-point case (alpha = 100) and on the 10-point random
/// data in d = 10 (alpha = 1); the relative invariant drift stays below 1e-40.
#[test]
fn cost_grows_with_log_gt() {
    let tiny = from_rational(64, &ten_pow_neg(40));
    for (name, alpha) in [("three_point.toml", 100), ("random10.toml", 1)] {
        let case = load(name);
        let alpha = Rational::from(alpha);
        let (s6, d6) = steps_to(&case, &alpha, &Rational::from(1_000_000));
        let (s12, d12) = steps_to(&case, &alpha, &Rational::from(1_000_000_000_000u64));
        assert!(s12 < 3 * s6, "{name}: {s12} steps to 1e12 vs {s6} to 1e6");
        assert!(d6 < tiny && d12 < tiny, "{name}: drift {d6}, {d12}");
    }
}
