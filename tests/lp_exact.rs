//! Specification tests for the exact LP solver (`ibcert::lp`). Every result is
//! checked through its certificate, independently of the simplex internals.

use ibcert::lp::*;
use proptest::prelude::*;
use rug::ops::Pow;
use rug::{Integer, Rational};

mod common;

fn q(num: i64, den: i64) -> Rational {
    Rational::from((num, den))
}

fn qi(v: i64) -> Rational {
    Rational::from(v)
}

fn qv(v: &[i64]) -> Vec<Rational> {
    v.iter().map(|&x| qi(x)).collect()
}

fn qm(rows: &[&[i64]]) -> Vec<Vec<Rational>> {
    rows.iter().map(|r| qv(r)).collect()
}

fn dot(u: &[Rational], v: &[Rational]) -> Rational {
    u.iter().zip(v).map(|(a, b)| Rational::from(a * b)).sum()
}

fn expect_optimal(lp: &StandardLp) -> LpSolution {
    match solve(lp) {
        LpOutcome::Optimal(sol) => {
            verify_optimal(lp, &sol).unwrap();
            // Strong duality, recomputed here.
            assert_eq!(dot(&lp.c, &sol.x), dot(&lp.b, &sol.y));
            sol
        }
        other => panic!("expected an optimum, got {other:?}"),
    }
}

// ---------------------------------------------------------------- simplex

#[test]
fn textbook_two_variable_lp() {
    // max 3 x + 5 y  s.t.  x <= 4, 2 y <= 12, 3 x + 2 y <= 18, x, y >= 0.
    // Optimum (2, 6) with value 36; dual prices (0, 3/2, 1).
    let lp = StandardLp {
        a: qm(&[&[1, 0, 1, 0, 0], &[0, 2, 0, 1, 0], &[3, 2, 0, 0, 1]]),
        b: qv(&[4, 12, 18]),
        c: qv(&[-3, -5, 0, 0, 0]),
    };
    let sol = expect_optimal(&lp);
    assert_eq!(sol.objective, -36);
    assert_eq!(sol.x, qv(&[2, 6, 2, 0, 0]));
    assert_eq!(sol.y, vec![qi(0), q(-3, 2), qi(-1)]);
    let mut basis = sol.basis.clone();
    basis.sort_unstable();
    assert_eq!(basis, vec![0, 1, 2]);
}

#[test]
fn redundant_rows() {
    // x1 + x2 + x3 = 1 (three times, once scaled, once negated), x1 = x2.
    // min -x1 + 2 x3  ->  x = (1/2, 1/2, 0), value -1/2.
    let lp = StandardLp {
        a: qm(&[
            &[1, 1, 1],
            &[2, 2, 2],
            &[1, -1, 0],
            &[-1, -1, -1],
            &[3, 1, 2],
        ]),
        b: qv(&[1, 2, 0, -1, 2]),
        c: qv(&[-1, 0, 2]),
    };
    let sol = expect_optimal(&lp);
    assert_eq!(sol.objective, q(-1, 2));
    assert_eq!(sol.x, vec![q(1, 2), q(1, 2), qi(0)]);
    assert_eq!(sol.y.len(), 5);
    assert_eq!(sol.basis.len(), 2, "rank of A is 2");
}

#[test]
fn redundant_rows_everything_zero() {
    // An all-zero row with zero right hand side and a duplicated row.
    let lp = StandardLp {
        a: qm(&[&[0, 0], &[1, 1], &[1, 1]]),
        b: qv(&[0, 3, 3]),
        c: qv(&[2, 1]),
    };
    let sol = expect_optimal(&lp);
    assert_eq!(sol.objective, 3);
    assert_eq!(sol.x, qv(&[0, 3]));
}

#[test]
fn beale_degenerate_cycling_example() {
    // Beale (1955): cycles under Dantzig's rule with smallest-index ties.
    // min -3/4 x4 + 150 x5 - 1/50 x6 + 6 x7
    //   x1 + 1/4 x4 - 60 x5 - 1/25 x6 + 9 x7 = 0
    //   x2 + 1/2 x4 - 90 x5 - 1/50 x6 + 3 x7 = 0
    //   x3 + x6 = 1
    let lp = StandardLp {
        a: vec![
            vec![qi(1), qi(0), qi(0), q(1, 4), qi(-60), q(-1, 25), qi(9)],
            vec![qi(0), qi(1), qi(0), q(1, 2), qi(-90), q(-1, 50), qi(3)],
            vec![qi(0), qi(0), qi(1), qi(0), qi(0), qi(1), qi(0)],
        ],
        b: qv(&[0, 0, 1]),
        c: vec![qi(0), qi(0), qi(0), q(-3, 4), qi(150), q(-1, 50), qi(6)],
    };
    let sol = expect_optimal(&lp);
    assert_eq!(sol.objective, q(-1, 20));
    // The optimum is unique: x1 = 3/100, x4 = 1/25, x6 = 1.
    assert_eq!(
        sol.x,
        vec![q(3, 100), qi(0), qi(0), q(1, 25), qi(0), qi(1), qi(0)]
    );
}

#[test]
fn kuhn_degenerate_cycling_example() {
    // Kuhn's example (cycles under Dantzig's rule), optimum -2 at x = (2,0,2,0).
    // min -2 x1 - 3 x2 + x3 + 12 x4
    //   -2 x1 - 9 x2 + x3 + 9 x4 + s1 = 0
    //   1/3 x1 + x2 - 1/3 x3 - 2 x4 + s2 = 0
    //   2 x1 + 3 x2 - x3 - 12 x4 + s3 = 2
    let lp = StandardLp {
        a: vec![
            vec![qi(-2), qi(-9), qi(1), qi(9), qi(1), qi(0), qi(0)],
            vec![q(1, 3), qi(1), q(-1, 3), qi(-2), qi(0), qi(1), qi(0)],
            vec![qi(2), qi(3), qi(-1), qi(-12), qi(0), qi(0), qi(1)],
        ],
        b: qv(&[0, 0, 2]),
        c: qv(&[-2, -3, 1, 12, 0, 0, 0]),
    };
    let out = solve(&lp);
    verify_outcome(&lp, &out).unwrap();
    match out {
        LpOutcome::Optimal(sol) => assert_eq!(sol.objective, -2),
        other => panic!("expected optimal, got {other:?}"),
    }
}

/// `k x k` assignment polytope (doubly stochastic matrices, one redundant
/// row): massively degenerate.
fn assignment_lp(k: usize, cost: impl Fn(usize, usize) -> i64) -> StandardLp {
    let mut a = Vec::new();
    for i in 0..k {
        a.push((0..k * k).map(|v| qi(i64::from(v / k == i))).collect());
    }
    for j in 0..k {
        a.push((0..k * k).map(|v| qi(i64::from(v % k == j))).collect());
    }
    StandardLp {
        a,
        b: vec![qi(1); 2 * k],
        c: (0..k * k).map(|v| qi(cost(v / k, v % k))).collect(),
    }
}

#[test]
fn degenerate_assignment_problems() {
    // All costs equal: every permutation is optimal.
    let sol = expect_optimal(&assignment_lp(6, |_, _| 1));
    assert_eq!(sol.objective, 6);
    // cost (i - j)^2: the identity is the unique optimum.
    let sol = expect_optimal(&assignment_lp(6, |i, j| (i as i64 - j as i64).pow(2)));
    assert_eq!(sol.objective, 0);
    // cost (i + j) mod 3: ties everywhere.
    let sol = expect_optimal(&assignment_lp(6, |i, j| ((i + j) % 3) as i64));
    assert_eq!(sol.objective, 0);
}

#[test]
fn non_unique_optimum() {
    // min -x1 - x2 s.t. x1 + x2 + s = 1: the whole edge x1 + x2 = 1 is optimal.
    let lp = StandardLp {
        a: qm(&[&[1, 1, 1]]),
        b: qv(&[1]),
        c: qv(&[-1, -1, 0]),
    };
    let sol = expect_optimal(&lp);
    assert_eq!(sol.objective, -1);
    assert!(sol.x == qv(&[1, 0, 0]) || sol.x == qv(&[0, 1, 0]));
    assert_eq!(sol.y, qv(&[-1]));

    // Zero objective: every feasible point is optimal.
    let lp = StandardLp {
        a: qm(&[&[1, 2, 3], &[3, 2, 1]]),
        b: qv(&[6, 6]),
        c: qv(&[0, 0, 0]),
    };
    let sol = expect_optimal(&lp);
    assert_eq!(sol.objective, 0);
    assert_eq!(sol.y, qv(&[0, 0]));
}

#[test]
fn infeasible_with_farkas_certificate() {
    // x1 + x2 = 1 and x1 + x2 = 2.
    let lp = StandardLp {
        a: qm(&[&[1, 1], &[1, 1]]),
        b: qv(&[1, 2]),
        c: qv(&[1, 1]),
    };
    let LpOutcome::Infeasible { farkas_y } = solve(&lp) else {
        panic!("expected infeasible")
    };
    verify_infeasible(&lp, &farkas_y).unwrap();
    // Independent check: A^T y <= 0, b^T y > 0.
    assert!(farkas_y[0].clone() + &farkas_y[1] <= 0);
    assert!(dot(&lp.b, &farkas_y) > 0);

    // x1 + x2 = -1 with x >= 0 (negative right hand side).
    let lp = StandardLp {
        a: qm(&[&[1, 1]]),
        b: qv(&[-1]),
        c: qv(&[0, 0]),
    };
    let LpOutcome::Infeasible { farkas_y } = solve(&lp) else {
        panic!("expected infeasible")
    };
    verify_infeasible(&lp, &farkas_y).unwrap();
    assert!(farkas_y[0] < 0);
}

#[test]
fn unbounded_with_ray() {
    // min -x1 s.t. x1 - x2 = 1.
    let lp = StandardLp {
        a: qm(&[&[1, -1]]),
        b: qv(&[1]),
        c: qv(&[-1, 0]),
    };
    let LpOutcome::Unbounded { x, ray } = solve(&lp) else {
        panic!("expected unbounded")
    };
    verify_unbounded(&lp, &x, &ray).unwrap();
    assert_eq!(x, qv(&[1, 0]));
    assert_eq!(ray, qv(&[1, 1]));
}

// ----------------------------------------------------------- separability

fn expect_separable(z: &[Vec<Rational>]) -> Vec<Rational> {
    let sep = separability(z);
    verify_separability(z, &sep).unwrap();
    match sep {
        Separability::Separable { w } => {
            for zn in z {
                assert!(dot(zn, &w) >= 1);
            }
            w
        }
        other => panic!("expected separable, got {other:?}"),
    }
}

fn expect_not_separable(z: &[Vec<Rational>]) -> Vec<Rational> {
    let sep = separability(z);
    verify_separability(z, &sep).unwrap();
    match sep {
        Separability::NotSeparable { lambda } => {
            assert!(lambda.iter().all(|l| *l >= 0));
            assert_eq!(lambda.iter().sum::<Rational>(), 1);
            for j in 0..z.first().map_or(0, Vec::len) {
                let s: Rational = z
                    .iter()
                    .zip(&lambda)
                    .map(|(zn, l)| Rational::from(&zn[j] * l))
                    .sum();
                assert_eq!(s, 0);
            }
            lambda
        }
        other => panic!("expected not separable, got {other:?}"),
    }
}

#[test]
fn separable_2d() {
    let z = qm(&[&[1, 0], &[0, 1], &[1, 1], &[2, -1], &[-1, 3]]);
    expect_separable(&z);
    // Separable, but only barely: a thin cone around (1, 0).
    let z = vec![vec![qi(1), q(1, 1000)], vec![qi(1), q(-1, 1000)]];
    expect_separable(&z);
}

#[test]
fn xor_not_separable() {
    // XOR labels y on (+-1, +-1) with a bias feature: z_n = y_n (x_n, 1).
    let z = qm(&[&[1, 1, 1], &[-1, -1, 1], &[-1, 1, -1], &[1, -1, -1]]);
    expect_not_separable(&z);
    // Without the bias feature.
    let z = qm(&[&[1, 1], &[-1, -1], &[-1, 1], &[1, -1]]);
    expect_not_separable(&z);
}

#[test]
fn zero_point_not_separable() {
    let z = qm(&[&[1, 2], &[0, 0], &[3, 1]]);
    let lambda = expect_not_separable(&z);
    assert_eq!(lambda, qv(&[0, 1, 0]));
    // Zero-dimensional data: every point is the zero vector.
    let z: Vec<Vec<Rational>> = vec![vec![], vec![]];
    assert_eq!(expect_not_separable(&z), qv(&[1, 0]));
}

#[test]
fn point_and_its_negative() {
    let z = qm(&[&[1, 2], &[3, -1], &[-1, -2]]);
    let lambda = expect_not_separable(&z);
    assert_eq!(lambda, vec![q(1, 2), qi(0), q(1, 2)]);
}

#[test]
fn duplicate_points() {
    let z = qm(&[&[1, 2], &[1, 2], &[1, 2], &[2, 1], &[2, 1]]);
    expect_separable(&z);
    let z = qm(&[&[1, 0], &[1, 0], &[-1, 0], &[-1, 0], &[0, 1]]);
    expect_not_separable(&z);
}

#[test]
fn empty_dataset_is_separable() {
    let z: Vec<Vec<Rational>> = vec![];
    assert_eq!(expect_separable(&z), Vec::<Rational>::new());
}

#[test]
fn huge_and_tiny_entries() {
    let big = Rational::from(Integer::from(10).pow(300));
    let tiny = Rational::from(big.recip_ref());
    let neg = |v: &Rational| Rational::from(-v);

    let z = vec![
        vec![big.clone(), tiny.clone()],
        vec![neg(&tiny), big.clone()],
        vec![tiny.clone(), tiny.clone()],
    ];
    expect_separable(&z);

    // 10^300 e1 and -10^-300 e1 point in opposite directions.
    let z = vec![
        vec![big.clone(), qi(0)],
        vec![neg(&tiny), qi(0)],
        vec![qi(0), big.clone()],
    ];
    let lambda = expect_not_separable(&z);
    let total = Rational::from(&big + &tiny);
    assert_eq!(
        lambda,
        vec![
            Rational::from(&tiny / &total),
            Rational::from(&big / &total),
            qi(0)
        ]
    );

    // Huge and tiny entries mixed in one point, with its scaled negative.
    let z = vec![
        vec![big.clone(), tiny.clone(), qi(1)],
        vec![neg(&tiny), neg(&tiny), qi(7)],
        vec![
            Rational::from(&big * -3i32),
            Rational::from(&tiny * -3i32),
            qi(-3),
        ],
    ];
    let lambda = expect_not_separable(&z);
    assert_eq!(lambda, vec![q(3, 4), qi(0), q(1, 4)]);
}

// -------------------------------------------------------- l1 max margin

#[test]
fn l1_single_point() {
    // min |w1| + |w2| s.t. 3 w1 + 4 w2 >= 1: put all weight on the larger
    // coordinate, w = (0, 1/4), ||w||_1 = 1/4, lambda = 1/4.
    let z = qm(&[&[3, 4]]);
    let (w, lambda) = l1_max_margin(&z).unwrap();
    verify_l1_max_margin(&z, &w, &lambda).unwrap();
    assert_eq!(w, vec![qi(0), q(1, 4)]);
    assert_eq!(lambda, vec![q(1, 4)]);
}

#[test]
fn l1_two_unit_points() {
    // w1 >= 1, w2 >= 1: w = (1, 1), ||w||_1 = 2, lambda = (1, 1).
    let z = qm(&[&[1, 0], &[0, 1]]);
    let (w, lambda) = l1_max_margin(&z).unwrap();
    verify_l1_max_margin(&z, &w, &lambda).unwrap();
    assert_eq!(w, qv(&[1, 1]));
    assert_eq!(lambda, qv(&[1, 1]));
}

#[test]
fn l1_negative_weights_and_not_separable() {
    // -2 w1 + w2 >= 1 and -w1 - w2 >= 1: w = (-1, 0) is feasible with norm 1.
    // Lower bound: lambda = (0, 1) has |sum lambda_n z_n| = (1, 1) and sum 1,
    // so the optimal norm is exactly 1.
    let z = qm(&[&[-2, 1], &[-1, -1]]);
    let (w, lambda) = l1_max_margin(&z).unwrap();
    verify_l1_max_margin(&z, &w, &lambda).unwrap();
    let norm: Rational = w.iter().map(|v| Rational::from(v.abs_ref())).sum();
    assert_eq!(norm, 1);

    let z = qm(&[&[1, 1], &[-1, -1]]);
    assert!(l1_max_margin(&z).is_none());
    let z = qm(&[&[0, 0]]);
    assert!(l1_max_margin(&z).is_none());
}

// ------------------------------------------------------- random testing

use common::Lcg;

fn random_data(rng: &mut Lcg, lo: i64, hi: i64) -> Vec<Vec<Rational>> {
    let d = rng.int(1, 8) as usize;
    let nn = rng.int(1, 8) as usize;
    (0..nn)
        .map(|_| (0..d).map(|_| qi(rng.int(lo, hi))).collect())
        .collect()
}

fn check_separability_and_l1(z: &[Vec<Rational>]) -> bool {
    let sep = separability(z);
    verify_separability(z, &sep).unwrap_or_else(|e| panic!("{e}\nz = {z:?}"));
    let l1 = l1_max_margin(z);
    match (&sep, l1) {
        (Separability::Separable { .. }, Some((w, lambda))) => {
            verify_l1_max_margin(z, &w, &lambda).unwrap_or_else(|e| panic!("{e}\nz = {z:?}"));
            true
        }
        (Separability::NotSeparable { .. }, None) => false,
        (s, l) => panic!("separability {s:?} disagrees with l1 {l:?} for z = {z:?}"),
    }
}

/// A random LP that is feasible by construction (`b = A x0`, `x0 >= 0`), and
/// bounded when `bounded` (`c = A^T y0 + s`, `s >= 0`).
fn random_feasible_lp(rng: &mut Lcg, bounded: bool) -> StandardLp {
    let m = rng.int(1, 6) as usize;
    let n = rng.int(1, 8) as usize;
    // Small entries in -1..=1 make ties and degeneracy common.
    let hi = if rng.int(0, 1) == 0 { 1 } else { 5 };
    let mut a: Vec<Vec<Rational>> = (0..m)
        .map(|_| (0..n).map(|_| qi(rng.int(-hi, hi))).collect())
        .collect();
    // Sometimes make a row a combination of others (redundant row).
    if m >= 3 && rng.int(0, 2) == 0 {
        let k1 = rng.int(2, 3);
        a[m - 1] = (0..n)
            .map(|j| Rational::from(&a[0][j] * k1) - &a[1][j])
            .collect();
    }
    let x0: Vec<Rational> = (0..n)
        .map(|_| qi(rng.int(0, 3).saturating_sub(1).max(0)))
        .collect();
    let b: Vec<Rational> = a.iter().map(|row| dot(row, &x0)).collect();
    let c = if bounded {
        let y0: Vec<Rational> = (0..m).map(|_| qi(rng.int(-3, 3))).collect();
        (0..n)
            .map(|j| {
                let col: Vec<Rational> = a.iter().map(|row| row[j].clone()).collect();
                dot(&col, &y0) + qi(rng.int(0, 2))
            })
            .collect()
    } else {
        (0..n).map(|_| qi(rng.int(-5, 5))).collect()
    };
    StandardLp { a, b, c }
}

#[test]
fn random_lps_seeded() {
    let mut rng = Lcg(0x1b_c3e7);
    let (mut opt, mut unb, mut inf) = (0, 0, 0);
    for it in 0..8000 {
        let bounded = it % 2 == 0;
        let mut lp = random_feasible_lp(&mut rng, bounded);
        let feasible = it % 5 != 0;
        if !feasible {
            // Random right hand side: often infeasible.
            lp.b = (0..lp.rows()).map(|_| qi(rng.int(-5, 5))).collect();
        }
        let out = solve(&lp);
        verify_outcome(&lp, &out).unwrap_or_else(|e| panic!("{e}\nlp = {lp:?}"));
        match &out {
            LpOutcome::Optimal(sol) => {
                opt += 1;
                assert_eq!(dot(&lp.c, &sol.x), dot(&lp.b, &sol.y));
                assert_eq!(sol.objective, dot(&lp.b, &sol.y));
            }
            LpOutcome::Unbounded { .. } => {
                assert!(!bounded, "bounded LP reported unbounded: {lp:?}");
                unb += 1;
            }
            LpOutcome::Infeasible { .. } => {
                assert!(!feasible, "feasible LP reported infeasible: {lp:?}");
                inf += 1;
            }
        }
    }
    // Every kind of outcome was exercised.
    assert!(opt > 100 && unb > 100 && inf > 50, "{opt} {unb} {inf}");
}

#[test]
fn random_separability_seeded() {
    let mut rng = Lcg(42);
    let (mut yes, mut no) = (0, 0);
    for it in 0..4000 {
        // Alternate between general data and data biased toward separable.
        let z = if it % 2 == 0 {
            random_data(&mut rng, -5, 5)
        } else {
            random_data(&mut rng, -1, 5)
        };
        if check_separability_and_l1(&z) {
            yes += 1;
        } else {
            no += 1;
        }
    }
    assert!(yes > 100 && no > 100, "{yes} {no}");
}

fn data_strategy() -> impl Strategy<Value = Vec<Vec<i64>>> {
    (1usize..=8, 1usize..=8)
        .prop_flat_map(|(d, nn)| prop::collection::vec(prop::collection::vec(-5i64..=5, d), nn))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(common::proptest_cases(500)))]

    #[test]
    fn prop_separability_certificates(data in data_strategy()) {
        let z: Vec<Vec<Rational>> = data.iter().map(|r| qv(r)).collect();
        check_separability_and_l1(&z);
    }

    #[test]
    fn prop_feasible_lp_strong_duality(
        (m, n, a, x0, y0, s) in (1usize..=6, 1usize..=8).prop_flat_map(|(m, n)| (
            Just(m),
            Just(n),
            prop::collection::vec(prop::collection::vec(-5i64..=5, n), m),
            prop::collection::vec(0i64..=3, n),
            prop::collection::vec(-3i64..=3, m),
            prop::collection::vec(0i64..=2, n),
        ))
    ) {
        let a: Vec<Vec<Rational>> = a.iter().map(|r| qv(r)).collect();
        let x0 = qv(&x0);
        let b: Vec<Rational> = a.iter().map(|row| dot(row, &x0)).collect();
        let y0 = qv(&y0);
        let c: Vec<Rational> = (0..n)
            .map(|j| {
                let col: Vec<Rational> = (0..m).map(|i| a[i][j].clone()).collect();
                dot(&col, &y0) + qi(s[j])
            })
            .collect();
        let lp = StandardLp { a, b, c };
        match solve(&lp) {
            LpOutcome::Optimal(sol) => {
                prop_assert!(verify_optimal(&lp, &sol).is_ok());
                prop_assert_eq!(dot(&lp.c, &sol.x), dot(&lp.b, &sol.y));
                // Weak duality against the constructed dual point y0.
                prop_assert!(sol.objective >= dot(&lp.b, &y0));
            }
            other => prop_assert!(false, "feasible bounded LP gave {:?}", other),
        }
    }
}
