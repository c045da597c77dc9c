//! The integrator's work on short runs, pinned exactly (the way diffsol pins its solver
//! statistics): accepted and rejected steps, RHS evaluations, Jacobians, LU
//! factorizations, Newton iterations and their inner iterations. The counts are deterministic (MPFR's correctly
//! rounded arithmetic, a fixed order of every reduction, any thread count), so a change
//! that makes the integrator do more work, or different work, fails here in
//! milliseconds, without timing anything. Each run also meets an accuracy requirement
//! against an independent answer, so a pin can never hold a wrong computation.
//!
//! After a deliberate change of the step control or of Newton, update the pins (the
//! failure message prints the new counts) and say in the commit what moved and why.

use ibcert::flow::DiagFlow;
use ibcert::flow::{integrate, Numerics};
use ibcert::num::{digits_from_rel_error, from_rational, max_abs, ten_pow_neg};
use ibcert::ode::problems::{Robertson, StiffLinear};
use ibcert::ode::radau::Stats;
use rug::{Float, Rational};

mod common;
use common::{load, single_point_nu_digits, solve};

/// The counters, in the order accepted, rejected, RHS evaluations, Jacobians, LU
/// factorizations, Newton iterations, Newton failures, inner iterations.
fn counters(s: &Stats) -> [u64; 8] {
    [
        s.accepted,
        s.rejected,
        s.rhs_evals,
        s.jac_evals,
        s.lu_decomps,
        s.newton_iters,
        s.newton_failures,
        s.inner_iters,
    ]
}

fn assert_pinned(what: &str, s: &Stats, pinned: [u64; 8]) {
    assert_eq!(
        counters(s),
        pinned,
        "{what}: the integrator's work changed: [accepted, rejected, rhs, jacobians, lu, \
         newton iterations, newton failures, inner iterations] = {:?}, pinned {pinned:?}; if the change is \
         deliberate, update the pin",
        counters(s)
    );
}

/// y' = M y, eigenvalues -1, -10^3, -10^6, from 0 to 1: 8 stages, 128 bits, tol 1e-25.
#[test]
fn stiff_linear_work() {
    let p = 128;
    let ode = StiffLinear::new(
        p,
        &[
            Rational::from(-1),
            Rational::from(-1000),
            Rational::from(-1_000_000),
        ],
    );
    let y0 = [Rational::from(1), Rational::from(2), Rational::from(-3)];
    let (y, stats) = solve(&ode, 8, &ten_pow_neg(25), &Rational::from(1), &y0);
    let x_end = Float::with_val(p, 1);
    let exact = ode.exact(&y0, &x_end, p);
    let d: Vec<Float> = y
        .iter()
        .zip(&exact)
        .map(|(a, b)| Float::with_val(p, a - b))
        .collect();
    let digits = digits_from_rel_error(&(max_abs(p, &d) / max_abs(p, &exact)), 38);
    assert!(digits >= 22, "{digits} digits");
    assert_pinned("stiff linear", &stats, PIN_STIFF_LINEAR);
}

/// Robertson's chemical kinetics to x = 10: 6 stages, 128 bits, tol 1e-15 (the mass
/// sum y1 + y2 + y3 = 1 is conserved by the exact flow).
#[test]
fn robertson_work() {
    let p = 128;
    let ode = Robertson::new(p);
    let y0 = [Rational::from(1), Rational::from(0), Rational::from(0)];
    let (y, stats) = solve(&ode, 6, &ten_pow_neg(15), &Rational::from(10), &y0);
    let mass = Float::with_val(p, &y[0] + &y[1]) + &y[2];
    let err = Float::with_val(p, mass - 1u32).abs();
    assert!(err < Float::with_val(p, Float::i_exp(1, -60)), "mass {err}");
    assert_pinned("robertson", &stats, PIN_ROBERTSON);
}

/// The diagonal-network flow on one point (D = 2 and 3, alpha = 1) to gt = 100 at 128
/// bits, tol 1e-20: nu against the exact scalar root.
#[test]
fn single_point_flow_work() {
    let z = load("single_point.toml").z();
    let numerics = Numerics {
        prec: 128,
        tol: ten_pow_neg(20),
        stages: ibcert::flow::default_stages(&ten_pow_neg(20)),
    };
    let alpha = Rational::from(1);
    let gt = Rational::from(100);
    for (depth, pin) in [(2u32, PIN_SINGLE_POINT_D2), (3, PIN_SINGLE_POINT_D3)] {
        let flow = DiagFlow::new(&z, depth, &alpha, numerics.prec);
        let sol =
            integrate(&flow, &numerics, &from_rational(128, &gt), &[], |_| {}).expect("integrates");
        let (digits, _) = single_point_nu_digits(&z[0], depth, &alpha, &gt, &sol.y[0], 256, 38);
        assert!(digits >= 18, "D = {depth}: {digits} digits");
        assert_pinned(&format!("single point D = {depth}"), &sol.stats, pin);
    }
}

/// Three points (alpha = 10, D = 2) to gt = 200 and the ten-point random data (alpha
/// = 1) to gt = 100, 128 bits, tol 1e-20: work pinned, the invariant -log L = gt kept.
#[test]
fn bundled_flow_work() {
    let numerics = Numerics {
        prec: 128,
        tol: ten_pow_neg(20),
        stages: ibcert::flow::default_stages(&ten_pow_neg(20)),
    };
    for (name, alpha, gt, pin) in [
        ("three_point.toml", 10, 200, PIN_THREE_POINT),
        ("random10.toml", 1, 100, PIN_RANDOM10),
    ] {
        let case = load(name);
        let flow = DiagFlow::new(&case.z(), case.depth, &Rational::from(alpha), numerics.prec);
        let sol = integrate(
            &flow,
            &numerics,
            &from_rational(128, &Rational::from(gt)),
            &[],
            |_| {},
        )
        .expect("integrates");
        let s = ibcert::flow::Summary::at(&flow, &sol.gt, &sol.y);
        assert!(
            s.drift_rel < Float::with_val(64, Float::i_exp(1, -60)),
            "{name}: drift {}",
            s.drift_rel
        );
        assert_pinned(name, &sol.stats, pin);
    }
}

/// The same two jobs verified (`run_verified`: the verification follows the main run's
/// accepted steps with two more stages at 192 bits and tol 1e-26): the main run's
/// work is the unverified run's, the verification's is pinned (one piece per main step,
/// one stage solve each), and the digits verified are at least the tolerance's.
#[test]
fn verified_flow_work() {
    let numerics = Numerics {
        prec: 128,
        tol: ten_pow_neg(20),
        stages: ibcert::flow::default_stages(&ten_pow_neg(20)),
    };
    for (name, alpha, gt, pin, vpin) in [
        (
            "three_point.toml",
            10,
            200,
            PIN_THREE_POINT,
            PIN_THREE_POINT_VERIFICATION,
        ),
        (
            "random10.toml",
            1,
            100,
            PIN_RANDOM10,
            PIN_RANDOM10_VERIFICATION,
        ),
    ] {
        let case = load(name);
        let v = ibcert::flow::run_verified(
            &case.z(),
            case.depth,
            &Rational::from(alpha),
            &ibcert::flow::StopRule::Gt(Rational::from(gt)),
            &numerics,
            &[],
            true,
            |_, _| {},
        )
        .expect("runs");
        assert_pinned(name, &v.main.stats, pin);
        let check = v.check.as_ref().expect("verified");
        assert_eq!(check.numerics.stages, numerics.stages + 2);
        assert_eq!(check.stats.accepted, v.main.stats.accepted);
        assert_pinned(&format!("{name} verification"), &check.stats, vpin);
        let digits = v.digits.expect("digits");
        assert!(digits >= 20, "{name}: {digits} digits");
    }
}

/// Many stages at a loose tolerance (hand-set numerics): three points (alpha = 100) to
/// gt = 10^4 with 48 stages at 192 bits and tol 1e-20. The next step's predictor
/// extrapolates the last step's degree-48 polynomial, which amplifies its values'
/// rounding by up to T_48(u) at the step's end (u = 6.6 for step doubling's half step,
/// T_48 ≈ 10^53; about 3.8 for the embedded estimate's full step, T_48 ≈ 10^42); cut at
/// its smallest term (docs/math.md §9.12) it starts Newton near the solution. With step
/// doubling and without the cut the same run took 904 steps and 283 rejected attempts
/// (19 s); with the cut, 21 steps and none (numeric version 13). The state agrees with
/// a 320-bit run at tol 1e-40 to at least the tolerance's 20 digits (22 measured; 31 with
/// step doubling).
#[test]
fn many_stages_at_a_loose_tolerance_work() {
    let case = load("three_point.toml");
    let alpha = Rational::from(100);
    let gt = Rational::from(10_000);
    let run = |numerics: &Numerics| {
        let flow = DiagFlow::new(&case.z(), case.depth, &alpha, numerics.prec);
        integrate(
            &flow,
            numerics,
            &from_rational(numerics.prec, &gt),
            &[],
            |_| {},
        )
        .expect("integrates")
    };
    let sol = run(&Numerics {
        prec: 192,
        tol: ten_pow_neg(20),
        stages: 48,
    });
    let reference = run(&Numerics {
        prec: 320,
        tol: ten_pow_neg(40),
        stages: ibcert::flow::default_stages(&ten_pow_neg(40)),
    });
    let p = 320;
    let d: Vec<Float> = sol
        .y
        .iter()
        .zip(&reference.y)
        .map(|(a, b)| Float::with_val(p, a - b))
        .collect();
    let digits = digits_from_rel_error(&(max_abs(p, &d) / max_abs(p, &reference.y)), 38);
    assert!(digits >= 20, "{digits} digits");
    assert_pinned("48 stages at 1e-20", &sol.stats, PIN_MANY_STAGES);
}

// The pins: [accepted, rejected, rhs, jacobians, lu, newton iterations, newton failures,
// inner iterations].
const PIN_STIFF_LINEAR: [u64; 8] = [86, 6, 4416, 432, 736, 552, 0, 0];
const PIN_ROBERTSON: [u64; 8] = [20, 7, 1104, 103, 198, 184, 7, 98];
const PIN_SINGLE_POINT_D2: [u64; 8] = [21, 0, 665, 101, 168, 46, 0, 80];
const PIN_SINGLE_POINT_D3: [u64; 8] = [23, 0, 751, 111, 184, 52, 0, 92];
const PIN_THREE_POINT: [u64; 8] = [22, 0, 694, 106, 176, 48, 0, 84];
const PIN_MANY_STAGES: [u64; 8] = [22, 3, 3334, 118, 1225, 69, 4, 116];
// random10: a Newton failure is not retried at the working precision at once (the step is
// shortened first; a second failure in a row is retried there, docs/math.md §9.7): two
// steps rejected, three failed solves
const PIN_RANDOM10: [u64; 8] = [37, 2, 1887, 183, 312, 132, 0, 186];
const PIN_THREE_POINT_VERIFICATION: [u64; 8] = [22, 0, 736, 0, 176, 46, 0, 0];
const PIN_RANDOM10_VERIFICATION: [u64; 8] = [37, 0, 1856, 0, 296, 116, 0, 0];
