//! The stage solves' round-off floor (docs/math.md §9.11): Newton's corrections stall
//! about 2s - 10 bits above the unit round-off, so a tolerance too close to the precision
//! at s stages cannot be met. Such numerics are refused (a precision the user fixed) or
//! the precision is raised (one ibcert chooses); at the floor itself a solve that starts
//! there succeeds instead of failing and collapsing the step size.

use ibcert::flow::{drive, Controls, DiagFlow, Drive, Driven, Limits, Numerics, Start};
use ibcert::num::{digits_from_rel_error, from_rational, max_abs, ten_pow_neg};
use ibcert::ode::radau::stage_solve_bits;
use rug::{Float, Rational};

mod common;
use common::{assert_bad, case_path, json, load, run};

/// `ibcert run` of three_point at α = 100 to γ̃ = 100 with the numerics options `opts`.
fn three_point_to_100(opts: &[&str]) -> std::process::Output {
    let tp = case_path("three_point.toml");
    let mut args = vec!["run", &tp, "--alpha", "100", "--gt", "100"];
    args.extend_from_slice(opts);
    run(&args)
}

/// `--precision 128 --tol 1e-30` (20 stages): 128 bits are below the 137 the stage
/// solves need; refused with the bits to give, before any step (before the floor was
/// known, this run took 1,900 steps and 1,327 rejected attempts in 6 s and did not reach
/// γ̃ = 100).
#[test]
fn a_tolerance_too_tight_for_a_fixed_precision_is_refused() {
    assert_bad(
        &three_point_to_100(&["--precision", "128", "--tol", "1e-30"]),
        &[
            "--precision",
            "needs at least 137 bits",
            "20 stages",
            "round-off",
            "the precision is 128 bits",
            "give --precision 192",
        ],
    );
    // more stages need more bits: 32 stages at 192 bits carry 10^-38 but not 10^-40
    let at_32 = |tol: &str, json: bool| {
        let mut opts = vec!["--precision", "192", "--stages", "32", "--tol", tol];
        if json {
            opts.extend(["--format", "json"]);
        }
        three_point_to_100(&opts)
    };
    assert_bad(
        &at_32("1e-40", false),
        &["needs at least 194 bits", "32 stages"],
    );
    let r = json(&at_32("1e-38", true));
    assert!(r["digits"]["w_hat"].as_u64().unwrap() >= 38, "{r}");
}

/// `--tol 1e-70` without `--precision`: the default 256 bits are below the 300 that 35
/// stages need for 10^-70, so the main run starts at 320 bits, says why, and verifies
/// the tolerance's digits.
#[test]
fn the_precision_is_raised_for_the_stage_solves() {
    let r = json(&three_point_to_100(&["--tol", "1e-70", "--format", "json"]));
    assert_eq!(r["numerics"]["precision"], 320, "{r}");
    assert_eq!(r["numerics"]["stages"], 35, "{r}");
    let raise = &r["precision_raises"][0];
    assert_eq!(raise["from"], 256, "{r}");
    assert_eq!(raise["to"], 320, "{r}");
    let why = raise["reason"].as_str().unwrap();
    assert!(
        why.contains("300 bits") && why.contains("35 stages"),
        "{why}"
    );
    assert!(r["digits"]["w_hat"].as_u64().unwrap() >= 70, "{r}");
}

/// A solve whose first correction is already at the round-off floor succeeds: 24
/// stages at 192 bits and 10^-45 (the flows accept at most 10^-44 there; driven here
/// without their check). The floor's model, 2^(38-192) relative, is 0.04 of the
/// tolerance, above the goal κ = 0.01, so non-contracting corrections up to the goal
/// count as round-off; the stalls measured were 1 to 4·10^-5 of the tolerance. Before
/// the floor was known such solves failed: numeric version 11 made 834 step attempts
/// (300 rejected) in 4 s and reached γ̃ = 0.07. It now takes 61 steps and no rejected
/// attempt (about 20 with step doubling, numeric versions 12 and 13: the embedded
/// estimate's steps are about as long as step doubling's half steps) and agrees with a
/// run at 320 bits and 10^-55 to the tolerance.
#[test]
fn solves_at_the_round_off_floor_succeed() {
    let case = load("three_point.toml");
    let alpha = Rational::from(100);
    let gt = Rational::from(100);
    let run_at = |prec: u32, digits: u32, stages: usize| {
        let numerics = Numerics {
            prec,
            tol: ten_pow_neg(digits),
            stages,
        };
        let flow = DiagFlow::new(&case.z(), case.depth, &alpha, prec);
        let mut keep = |_: &ibcert::ode::radau::Segment| ibcert::ode::radau::Control::Continue;
        // at most 120 accepted steps, so that a collapse of the step size fails fast
        let driven = drive(Drive {
            flow: &flow,
            numerics: &numerics,
            target: &from_rational(prec, &gt),
            start: Start::Origin,
            sample_at: &[],
            controls: Controls {
                limits: Limits {
                    max_steps: Some(120),
                    ..Limits::default()
                },
                ..Controls::default()
            },
            observer: &mut keep,
        })
        .expect("integrates");
        match driven {
            Driven::Done(sol) => sol,
            _ => panic!("{prec} bits, 10^-{digits}, {stages} stages: stopped before gt = 100"),
        }
    };
    // the flows' own bound refuses this tolerance at 192 bits and 24 stages
    assert!(stage_solve_bits(150, 24) > 192);
    let marginal = run_at(192, 45, 24);
    assert!(
        marginal.stats.rejected <= 4 && marginal.stats.accepted <= 70,
        "{:?}",
        marginal.stats
    );
    let tight = run_at(320, 55, 28);
    let err: Vec<Float> = marginal
        .y
        .iter()
        .zip(&tight.y)
        .map(|(a, b)| Float::with_val(320, a - b))
        .collect();
    let rel = Float::with_val(64, max_abs(320, &err) / max_abs(320, &tight.y));
    let digits = digits_from_rel_error(&rel, 100);
    assert!(digits >= 43, "{digits} digits against the tight run");
}
