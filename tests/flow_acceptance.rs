//! Acceptance tests of the core flow (issue: "The core: arbitrary-precision gradient
//! flow in the log-loss parametrization"), each against an independent answer.

use ibcert::case::Case;
use ibcert::flow::DiagFlow;
use ibcert::flow::{agreeing_digits, default_stages, integrate, Loss, Numerics, Solution, Summary};
use ibcert::num::{from_rational, ten_pow_neg};
use rug::{Float, Rational};

mod common;
use common::{load, single_point_nu_digits};

fn run(
    z: &[Vec<Rational>],
    depth: u32,
    alpha: &Rational,
    gt: &Rational,
    numerics: &Numerics,
    loss: Loss,
) -> (DiagFlow, Solution) {
    let flow = DiagFlow::new(z, depth, alpha, numerics.prec).with_loss(loss);
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

/// N = 1: the flow's nu agrees with the root of sum_i z_i w_i(z_i nu) = m (computed at
/// 640 bits, independently of the model and the integrator) to at least `min_digits`
/// for each depth and gt, and the relative invariant drift stays below 2^-drift_bits.
/// The margin m is gt itself for the exp-loss (L = exp(-m) = exp(-gt)); for the
/// logistic loss L = log(1 + exp(-m)) = exp(-gt) gives m = -ln(expm1(exp(-gt))).
fn single_point_against_the_root(
    numerics: &Numerics,
    gts: &[u64],
    min_digits: u32,
    drift_bits: i32,
    loss: Loss,
    depths: &[u32],
) {
    let case = load("single_point.toml");
    let z = case.z();
    let alpha = Rational::from(1);
    for &depth in depths {
        for &g in gts {
            let gt = Rational::from(g);
            let (flow, sol) = run(&z, depth, &alpha, &gt, numerics, loss);
            let (digits, exact) = match loss {
                Loss::Exp => single_point_nu_digits(&z[0], depth, &alpha, &gt, &sol.y[0], 640, 200),
                Loss::Logistic => {
                    let rp = 640;
                    let e = Float::with_val(rp, -Float::with_val(rp, g)).exp();
                    let m = -Float::with_val(rp, e.exp_m1_ref()).ln();
                    let zf: Vec<Float> = z[0].iter().map(|q| from_rational(rp, q)).collect();
                    let exact =
                        common::single_point_nu(&zf, depth, &from_rational(rp, &alpha), &m, rp);
                    let err = Float::with_val(rp, &sol.y[0] - &exact).abs() / &exact;
                    (ibcert::num::digits_from_rel_error(&err, 200), exact)
                }
            };
            assert!(
                digits >= min_digits,
                "D = {depth}, gt = {gt}: {digits} digits (nu = {}, exact {})",
                sol.y[0],
                exact
            );
            let s = Summary::at(&flow, &sol.gt, &sol.y);
            assert!(
                s.drift_rel < Float::with_val(64, Float::i_exp(1, -drift_bits)),
                "drift {}",
                s.drift_rel
            );
        }
    }
}

/// 60 digits at 256 bits, tol 1e-63, 24 stages, gt = 1, 10^4, 10^8.
#[test]
#[ignore = "slow: about 25 s (tier 1: 128 bits, 22 digits)"]
fn single_point_matches_exact_root_to_60_digits() {
    let numerics = Numerics {
        prec: 256,
        tol: ten_pow_neg(63),
        stages: 24,
    };
    single_point_against_the_root(
        &numerics,
        &[1, 10_000, 100_000_000],
        60,
        150,
        Loss::Exp,
        &[2, 3, 10],
    );
}

/// 100 digits at the numerics `--digits 104` chooses (448 bits, tol 1e-104, 48 stages:
/// beyond 24 stages the precision carries 2 more bits per stage), D = 2, 3 and gt = 1,
/// 10^4, 10^8, against the exact root.
#[test]
#[ignore = "slow: about 10 s (tier 1: 128 bits, 22 digits)"]
fn single_point_matches_exact_root_to_100_digits_at_48_stages() {
    let numerics = Numerics::for_digits(104).unwrap();
    assert_eq!((numerics.prec, numerics.stages), (448, 48));
    single_point_against_the_root(
        &numerics,
        &[1, 10_000, 100_000_000],
        100,
        300,
        Loss::Exp,
        &[2, 3],
    );
}

/// The logistic loss (issue 13): N = 1 against the exact margin m(gt) to 50 digits at
/// D = 2, 3 and gt = 1, 10^4, 10^8 (256 bits, tol 1e-63, 24 stages).
#[test]
#[ignore = "slow: about 15 s (tier 1: 128 bits, 22 digits)"]
fn single_point_logistic_matches_exact_root_to_50_digits() {
    let numerics = Numerics {
        prec: 256,
        tol: ten_pow_neg(63),
        stages: 24,
    };
    single_point_against_the_root(
        &numerics,
        &[1, 10_000, 100_000_000],
        50,
        150,
        Loss::Logistic,
        &[2, 3],
    );
}

/// The logistic loss at 128 bits: 22 digits at gt = 1, 10^4 for D = 2, 3, 10.
#[test]
fn single_point_logistic_matches_exact_root_at_128_bits() {
    let tol = ten_pow_neg(25);
    let numerics = Numerics {
        prec: 128,
        stages: default_stages(&tol),
        tol,
    };
    single_point_against_the_root(&numerics, &[1, 10_000], 22, 75, Loss::Logistic, &[2, 3, 10]);
}

/// 22 digits at 128 bits, tol 1e-25, gt = 1, 10^4.
#[test]
fn single_point_matches_exact_root_at_128_bits() {
    let tol = ten_pow_neg(25);
    let numerics = Numerics {
        prec: 128,
        stages: default_stages(&tol),
        tol,
    };
    single_point_against_the_root(&numerics, &[1, 10_000], 22, 75, Loss::Exp, &[2, 3, 10]);
}

/// Three points, two support vectors: w_hat at (alpha, gt) agrees between `lo` and
/// `hi` numerics to at least `min_digits`, the invariant drift at `lo` stays below
/// 2^-drift_bits (relative), and the loss is 10^-k with k = floor(loss_exp10).
fn three_point_doubling(
    alpha: u32,
    gt: u32,
    lo: &Numerics,
    hi: &Numerics,
    min_digits: u32,
    drift_bits: i32,
    floor_exp10: u32,
    loss: Loss,
) {
    let case = load("three_point.toml");
    let z = case.z();
    let alpha = Rational::from(alpha);
    let gt = Rational::from(gt);
    let (fl, sl) = run(&z, case.depth, &alpha, &gt, lo, loss);
    let (fh, sh) = run(&z, case.depth, &alpha, &gt, hi, loss);
    let digits = agreeing_digits(&fl, &sl.y, &fh, &sh.y, 200);
    assert!(digits >= min_digits, "w_hat agrees to {digits} digits");
    let s = Summary::at(&fl, &sl.gt, &sl.y);
    assert!(
        s.drift_rel < Float::with_val(64, Float::i_exp(1, -drift_bits)),
        "drift {}",
        s.drift_rel
    );
    let k = Float::with_val(256, &s.loss_exp10).floor();
    assert_eq!(k.to_integer().unwrap(), floor_exp10);
}

/// alpha = 100, gt = alpha^2 / 0.5 (loss ~ 10^-8686): 256 bits / 1e-40 against 512
/// bits / 1e-80 to at least 40 digits, drift below 1e-40.
#[test]
#[ignore = "slow: about 10 s (tier 1: alpha = 10 at 128 against 256 bits)"]
fn three_point_precision_doubling_40_digits() {
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
    three_point_doubling(100, 20_000, &lo, &hi, 40, 133, 8685, Loss::Exp);
}

/// The logistic loss (issue 13): three_point, alpha = 100, gt = 2 * 10^4, 256 bits /
/// 1e-40 against 512 bits / 1e-80 to at least 40 digits.
#[test]
#[ignore = "slow: about 10 s (tier 1: alpha = 10 at 128 against 256 bits)"]
fn three_point_logistic_precision_doubling_40_digits() {
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
    three_point_doubling(100, 20_000, &lo, &hi, 40, 133, 8685, Loss::Logistic);
}

/// alpha = 10, gt = alpha^2 / 0.5 (loss ~ 10^-86.9): 128 bits / 1e-20 against 256 bits
/// / 1e-40 to at least 18 digits, for both losses.
#[test]
fn three_point_precision_doubling_128_bits() {
    let lo = Numerics {
        prec: 128,
        tol: ten_pow_neg(20),
        stages: default_stages(&ten_pow_neg(20)),
    };
    let hi = Numerics {
        prec: 256,
        tol: ten_pow_neg(40),
        stages: 20,
    };
    for loss in Loss::ALL {
        three_point_doubling(10, 200, &lo, &hi, 18, 66, 86, loss);
    }
}

fn steps_to(case: &Case, alpha: &Rational, gt: &Rational, numerics: &Numerics) -> (u64, Float) {
    let (flow, sol) = run(&case.z(), case.depth, alpha, gt, numerics, Loss::Exp);
    let s = Summary::at(&flow, &sol.gt, &sol.y);
    (sol.stats.accepted, s.drift_rel)
}

/// Cost grows with log(gt), not gt: gt = 10^12 takes fewer than 3 times the accepted
/// steps of gt = 10^6 on each (case, alpha); the relative drift stays below `drift`.
fn cost_grows_with_log_gt(cases: &[(&str, u32)], numerics: &Numerics, drift: &Rational) {
    let tiny = from_rational(64, drift);
    for &(name, alpha) in cases {
        let case = load(name);
        let alpha = Rational::from(alpha);
        let (s6, d6) = steps_to(&case, &alpha, &Rational::from(1_000_000), numerics);
        let (s12, d12) = steps_to(
            &case,
            &alpha,
            &Rational::from(1_000_000_000_000u64),
            numerics,
        );
        assert!(s12 < 3 * s6, "{name}: {s12} steps to 1e12 vs {s6} to 1e6");
        assert!(d6 < tiny && d12 < tiny, "{name}: drift {d6}, {d12}");
    }
}

/// The 10-point random data in d = 10 (alpha = 1) at 256 bits, 1e-40, 20 stages;
/// drift below 1e-40.
#[test]
#[ignore = "slow: about 40 s (tier 1: the three-point case)"]
fn cost_grows_with_log_gt_random10() {
    cost_grows_with_log_gt(&[("random10.toml", 1)], &numerics_40(), &ten_pow_neg(40));
}

/// The three-point case (alpha = 100) at 256 bits, 1e-40, 20 stages; drift below 1e-40.
#[test]
fn cost_grows_with_log_gt_three_point() {
    cost_grows_with_log_gt(
        &[("three_point.toml", 100)],
        &numerics_40(),
        &ten_pow_neg(40),
    );
}

fn numerics_40() -> Numerics {
    Numerics {
        prec: 256,
        tol: ten_pow_neg(40),
        stages: 20,
    }
}
