//! Guess then certify (issue 17): `lp::solve` and `lp::separability` try a float
//! simplex first and certify its answer exactly, falling back to the exact simplex.
//! Every answer here is checked by the independent verifiers; where the optimum is
//! unique the answer must equal the exact simplex's, rational for rational. Nothing
//! is timed.

use ibcert::lp::*;
use ibcert::reference::l1::{l1_max_margin as l1_face, verify_l1};
use rug::ops::Pow;
use rug::{Integer, Rational};

mod common;
use common::Lcg;

/// `n` points in `d` dimensions, coordinates uniform in [0, 1) rounded to 3
/// decimals, times random labels +-1: `z_n = y_n x_n`.
fn random_z(rng: &mut Lcg, n: usize, d: usize) -> Vec<Vec<Rational>> {
    (0..n)
        .map(|_| {
            let y = if rng.int(0, 1) == 0 { -1 } else { 1 };
            (0..d)
                .map(|_| Rational::from((y * rng.int(0, 999), 1000)))
                .collect()
        })
        .collect()
}

/// The margin LP `min ||w||_1 s.t. Z w >= 1` in standard form (as `lp::margin_lp`).
fn margin_lp(z: &[Vec<Rational>]) -> StandardLp {
    let nn = z.len();
    let d = z[0].len();
    let a = z
        .iter()
        .enumerate()
        .map(|(k, zk)| {
            let mut row: Vec<Rational> = zk.clone();
            row.extend(zk.iter().map(|v| Rational::from(-v)));
            row.extend((0..nn).map(|l| Rational::from(-i32::from(l == k))));
            row
        })
        .collect();
    let mut c = vec![Rational::from(1); 2 * d];
    c.extend((0..nn).map(|_| Rational::new()));
    StandardLp {
        a,
        b: vec![Rational::from(1); nn],
        c,
    }
}

fn check_separable_and_l1(z: &[Vec<Rational>]) {
    let sep = separability(z);
    verify_separability(z, &sep).unwrap();
    assert!(matches!(sep, Separability::Separable { .. }));
    let (w, lambda) = l1_max_margin(z).expect("separable");
    verify_l1_max_margin(z, &w, &lambda).unwrap();
    let lp = margin_lp(z);
    match solve(&lp) {
        LpOutcome::Optimal(sol) => verify_optimal(&lp, &sol).unwrap(),
        other => panic!("expected optimal, got {other:?}"),
    }
}

#[test]
fn random_separable_up_to_60_certified() {
    let mut rng = Lcg(0x17_0002);
    for n in [5, 10, 20, 30, 40, 60] {
        let z = random_z(&mut rng, n, n);
        check_separable_and_l1(&z);
    }
    // The reference l1 solution with its optimal face, at N = d = 40.
    let z = random_z(&mut rng, 40, 40);
    let s = l1_face(&z).unwrap();
    verify_l1(&z, &s).unwrap();
    let s2 = ibcert::reference::l2::l2_max_margin(&z).unwrap();
    ibcert::reference::l2::verify_l2(&z, &s2).unwrap();
}

#[test]
#[ignore = "slow: N = d = 150 (about 30 s in release)"]
fn random_separable_150_certified() {
    let mut rng = Lcg(0x17_0150);
    let z = random_z(&mut rng, 150, 150);
    check_separable_and_l1(&z);
    let s = l1_face(&z).unwrap();
    verify_l1(&z, &s).unwrap();
    let s2 = ibcert::reference::l2::l2_max_margin(&z).unwrap();
    ibcert::reference::l2::verify_l2(&z, &s2).unwrap();
}

#[test]
fn guess_agrees_with_the_exact_simplex() {
    // Small random margin LPs (more points than dimensions, so the optimum often has
    // inactive points): wherever both answer, they agree exactly when the optimum
    // is unique, and both verify always.
    let mut rng = Lcg(0x17_0003);
    for it in 0..40 {
        let (n, d) = (4 + it % 9, 3 + it % 7);
        let z = random_z(&mut rng, n, d);
        let lp = margin_lp(&z);
        let fast = solve(&lp);
        let exact = solve_exact(&lp);
        verify_outcome(&lp, &fast).unwrap();
        verify_outcome(&lp, &exact).unwrap();
        match (&fast, &exact) {
            (LpOutcome::Optimal(f), LpOutcome::Optimal(e)) => assert_same(f, e),
            (LpOutcome::Infeasible { .. }, LpOutcome::Infeasible { .. }) => {}
            other => panic!("outcomes differ: {other:?}"),
        }
    }
}

/// The same optimal solution: `x`, `y`, objective and the set of basic columns (the
/// guess lists them in its own row order).
fn assert_same(f: &LpSolution, e: &LpSolution) {
    assert_eq!((&f.x, &f.y, &f.objective), (&e.x, &e.y, &e.objective));
    let mut fb = f.basis.clone();
    let mut eb = e.basis.clone();
    fb.sort_unstable();
    eb.sort_unstable();
    assert_eq!(fb, eb);
}

fn optimal(out: LpOutcome) -> LpSolution {
    match out {
        LpOutcome::Optimal(sol) => sol,
        other => panic!("expected optimal, got {other:?}"),
    }
}

/// `10^-k` exactly.
fn tiny(k: u32) -> Rational {
    Rational::from((1, Integer::from(10).pow(k)))
}

#[test]
fn near_ties_certify_through_the_fallback() {
    // min c^T x, x1 + x2 + x3 = 1: costs tied up to 1e-30 and 1e-60 relative. f64
    // cannot tell them apart and 256-bit MPFR only the first; whatever basis the
    // guess picks, the answer must be the exact optimum x = e_1.
    for k in [30, 60, 200] {
        let lp = StandardLp {
            a: vec![vec![Rational::from(1); 3]],
            b: vec![Rational::from(1)],
            c: vec![
                Rational::from(1),
                Rational::from(1) + tiny(k),
                Rational::from(1) + tiny(k) * 2u32,
            ],
        };
        let LpOutcome::Optimal(sol) = solve(&lp) else {
            panic!("expected optimal")
        };
        verify_optimal(&lp, &sol).unwrap();
        assert_eq!(
            sol.x,
            vec![Rational::from(1), Rational::new(), Rational::new()]
        );
        assert_eq!(sol.y, vec![Rational::from(1)]);
        assert_same(&sol, &optimal(solve_exact(&lp)));
    }
    // The same with the tie in the constraint matrix, in a margin LP: two points
    // at angle 1e-k from each other and a third one between them.
    for k in [30, 60] {
        let e = tiny(k);
        let z = vec![
            vec![Rational::from(1), e.clone(), Rational::from(-2)],
            vec![Rational::from(1), Rational::from(-&e), Rational::from(-2)],
            vec![Rational::from(1), Rational::new(), Rational::from(-2) + &e],
        ];
        check_separable_and_l1(&z);
        let lp = margin_lp(&z);
        assert_same(&optimal(solve(&lp)), &optimal(solve_exact(&lp)));
    }
}

#[test]
fn barely_separable_data() {
    // Separable only within a cone of angle 1e-k around e_2: margins that a float
    // guess rounds to zero or below; the exact fallback still finds a separator.
    for k in [5, 30, 60, 120] {
        let e = tiny(k);
        let z = vec![
            vec![Rational::from(1), e.clone()],
            vec![Rational::from(-1), e.clone()],
            vec![Rational::from(1), Rational::from(&e * 2u32)],
        ];
        let sep = separability(&z);
        verify_separability(&z, &sep).unwrap();
        assert!(matches!(sep, Separability::Separable { .. }), "k = {k}");
    }
    // And just not separable: the third point tips over.
    let e = tiny(40);
    let z = vec![
        vec![Rational::from(1), e.clone()],
        vec![Rational::from(-1), e.clone()],
        vec![Rational::new(), Rational::from(-&e)],
    ];
    let sep = separability(&z);
    verify_separability(&z, &sep).unwrap();
    assert!(matches!(sep, Separability::NotSeparable { .. }));
}

#[test]
fn non_separable_data_get_a_gordan_certificate() {
    // N = 10 d random points with random labels through the origin: not separable
    // (checked), with the exact Gordan certificate.
    let mut rng = Lcg(0x17_0004);
    for d in [2, 3, 5] {
        let z = random_z(&mut rng, 10 * d, d);
        let sep = separability(&z);
        verify_separability(&z, &sep).unwrap();
        assert!(
            matches!(sep, Separability::NotSeparable { .. }),
            "d = {d}: expected not separable"
        );
        assert!(l1_max_margin(&z).is_none());
    }
}

#[test]
fn l2_guess_agrees_with_the_active_set_method() {
    use ibcert::reference::l2::{l2_active_set, l2_max_margin, verify_l2};
    let mut rng = Lcg(0x17_0005);
    let mut cases: Vec<Vec<Vec<Rational>>> = Vec::new();
    for n in [1, 2, 5, 10, 20, 30] {
        cases.push(random_z(&mut rng, n, n));
    }
    for (n, d) in [(8, 3), (12, 5), (30, 10)] {
        cases.push(random_z(&mut rng, n, d));
    }
    // Degenerate: duplicate and proportional points (dependent support), a point at
    // margin exactly 1 with multiplier 0, and near ties.
    let q = |a: i64, b: i64| Rational::from((a, b));
    cases.push(vec![
        vec![q(1, 1), q(2, 1)],
        vec![q(1, 1), q(2, 1)],
        vec![q(2, 1), q(4, 1)],
    ]);
    cases.push(vec![
        vec![q(1, 1), q(0, 1)],
        vec![q(0, 1), q(1, 1)],
        vec![q(1, 1), q(1, 1)],
    ]);
    cases.push(vec![
        vec![q(1, 1), q(0, 1)],
        vec![q(1, 1), q(1, 1)],
        vec![q(1, 1), q(-1, 1)],
    ]);
    let e = tiny(40);
    cases.push(vec![
        vec![Rational::from(1), e.clone()],
        vec![Rational::from(1), Rational::from(-&e)],
        vec![Rational::from(1), Rational::new()],
    ]);
    for z in &cases {
        let sep = separability(z);
        verify_separability(z, &sep).unwrap();
        let fast = l2_max_margin(z);
        let exact = l2_active_set(z);
        assert_eq!(fast, exact, "z = {z:?}");
        if let Ok(s) = &fast {
            verify_l2(z, s).unwrap();
        }
    }
}
