//! Specification tests for the exact reference solutions
//! (`ibcert::reference::{l2, l1, constants}`).
//!
//! Expected answers are derived by hand in the comments; every solver result
//! is also checked through its certificate (`verify_l2`, `verify_l1`), and the
//! optimal faces of small l1 problems are compared with a brute-force vertex
//! enumeration that shares no code with the LP-based face computation.

use ibcert::case::Case;
use ibcert::lp::{verify_separability, Separability};
use ibcert::reference::constants::data_constants;
use ibcert::reference::l1::{excess_l1, l1_max_margin, verify_l1, L1Solution};
use ibcert::reference::l2::{l2_max_margin, verify_l2, L2Solution, ReferenceError};
use rug::Rational;
use std::path::Path;

mod common;

fn q(num: i64, den: i64) -> Rational {
    Rational::from((num, den))
}

fn qv(v: &[i64]) -> Vec<Rational> {
    v.iter().map(|&x| Rational::from(x)).collect()
}

fn qm(rows: &[&[i64]]) -> Vec<Vec<Rational>> {
    rows.iter().map(|r| qv(r)).collect()
}

fn dot(u: &[Rational], v: &[Rational]) -> Rational {
    u.iter().zip(v).map(|(a, b)| Rational::from(a * b)).sum()
}

fn norm1(w: &[Rational]) -> Rational {
    w.iter().map(|v| Rational::from(v.abs_ref())).sum()
}

fn l2(z: &[Vec<Rational>]) -> L2Solution {
    let s = l2_max_margin(z).expect("separable");
    verify_l2(z, &s).unwrap_or_else(|e| panic!("verify_l2: {e}\n{s:?}"));
    // Strong duality, recomputed: ||w||^2 = 1^T lambda.
    let total: Rational = s.lambda.iter().sum();
    assert_eq!(s.norm2_sq, total);
    assert_eq!(dot(&s.w, &s.w), total);
    s
}

fn l1(z: &[Vec<Rational>]) -> L1Solution {
    let s = l1_max_margin(z).expect("separable");
    verify_l1(z, &s).unwrap_or_else(|e| panic!("verify_l1: {e}\n{s:?}"));
    s
}

fn sorted(mut v: Vec<Vec<Rational>>) -> Vec<Vec<Rational>> {
    v.sort();
    v
}

/// Rank of a list of vectors (exact Gaussian elimination, written here
/// independently of the library).
fn rank(mut vs: Vec<Vec<Rational>>) -> usize {
    let width = vs.first().map_or(0, Vec::len);
    let mut r = 0;
    for col in 0..width {
        let Some(p) = (r..vs.len()).find(|&i| vs[i][col] != 0) else {
            continue;
        };
        vs.swap(r, p);
        let prow = vs[r].clone();
        for v in vs.iter_mut().skip(r + 1) {
            if v[col] != 0 {
                let f = Rational::from(&v[col] / &prow[col]);
                for (a, b) in v.iter_mut().zip(&prow) {
                    *a -= Rational::from(&f * b);
                }
            }
        }
        r += 1;
    }
    r
}

/// Solves a square system, `None` when singular.
fn solve(mut a: Vec<Vec<Rational>>, mut b: Vec<Rational>) -> Option<Vec<Rational>> {
    let n = b.len();
    for col in 0..n {
        let p = (col..n).find(|&i| a[i][col] != 0)?;
        a.swap(col, p);
        b.swap(col, p);
        for i in 0..n {
            if i != col && a[i][col] != 0 {
                let f = Rational::from(&a[i][col] / &a[col][col]);
                let prow = a[col].clone();
                for (x, y) in a[i].iter_mut().zip(&prow) {
                    *x -= Rational::from(&f * y);
                }
                let pb = b[col].clone();
                b[i] -= f * pb;
            }
        }
    }
    Some((0..n).map(|i| Rational::from(&b[i] / &a[i][i])).collect())
}

fn expect_not_separable(z: &[Vec<Rational>]) {
    let check = |r: ReferenceError| {
        let ReferenceError::NotSeparable { lambda } = r;
        verify_separability(z, &Separability::NotSeparable { lambda }).unwrap();
    };
    check(l2_max_margin(z).expect_err("l2 must fail"));
    check(l1_max_margin(z).expect_err("l1 must fail"));
    check(data_constants(z).expect_err("constants must fail"));
}

use common::Lcg;

// ------------------------------------------------------------ closed forms

#[test]
fn single_point() {
    // l2: w = z / ||z||^2 = (1, -2, 2) / 9, lambda = 1/9.
    let z = qm(&[&[1, -2, 2]]);
    let s = l2(&z);
    assert_eq!(s.w, vec![q(1, 9), q(-2, 9), q(2, 9)]);
    assert_eq!(s.lambda, vec![q(1, 9)]);
    assert_eq!((s.support.clone(), s.active.clone()), (vec![0], vec![0]));

    // l1 with a unique largest |z_i|: z = (1, -3, 2), i = 1:
    // w = sign(z_1) e_1 / |z_1| = (0, -1/3, 0), OPT = 1/3, lambda = 1/3
    // (Z lambda = (1/3, -1, 2/3)).
    let z = qm(&[&[1, -3, 2]]);
    let s = l1(&z);
    assert_eq!(s.w, vec![q(0, 1), q(-1, 3), q(0, 1)]);
    assert_eq!(s.norm1, q(1, 3));
    assert_eq!(s.lambda, vec![q(1, 3)]);
    assert_eq!(s.support, vec![1]);
    assert!(s.face.unique);
    assert_eq!(s.face.dimension, 0);
    assert_eq!(s.face.vertices, vec![s.w.clone()]);
    assert!(s.face.directions.is_empty());
}

#[test]
fn single_point_tie_gives_a_segment() {
    // z = (1, 1): ||w||_1 >= w1 + w2 >= 1, with equality exactly on
    // {w >= 0, w1 + w2 = 1}: the segment from (1, 0) to (0, 1), dimension 1,
    // direction (-1, 1) (up to scale). lambda = 1.
    let z = qm(&[&[1, 1]]);
    let s = l1(&z);
    assert_eq!(s.norm1, 1);
    assert_eq!(s.lambda, qv(&[1]));
    assert!(!s.face.unique);
    assert_eq!(s.face.dimension, 1);
    assert_eq!(
        sorted(s.face.vertices.clone()),
        vec![qv(&[0, 1]), qv(&[1, 0])]
    );
    assert_eq!(s.face.directions, vec![qv(&[-1, 1])]);
    // Every point of the segment has zero excess; (1, 2) rescales to
    // (1/3, 2/3), also on the segment.
    assert_eq!(excess_l1(&z, &s, &qv(&[1, 2])), 0);
    // (2, -1) has margin 1 and l1 norm 3: excess 2.
    assert_eq!(excess_l1(&z, &s, &qv(&[2, -1])), 2);

    // The same tie with a negative coordinate: z = (-2, 2), segment from
    // (-1/2, 0) to (0, 1/2).
    let z = qm(&[&[-2, 2]]);
    let s = l1(&z);
    assert_eq!(s.norm1, q(1, 2));
    assert_eq!(s.face.dimension, 1);
    assert_eq!(
        sorted(s.face.vertices.clone()),
        vec![vec![q(-1, 2), q(0, 1)], vec![q(0, 1), q(1, 2)]]
    );
}

#[test]
fn two_points_symmetric_about_an_axis() {
    for a in [q(2, 1), q(1, 3), q(7, 5)] {
        // z1 = (1, a), z2 = (1, -a). Adding the constraints gives w1 >= 1, so
        // ||w||_2 >= 1 and ||w||_1 >= 1, with equality only at w = (1, 0),
        // where both margins are 1. l2 dual: w = Z lambda forces
        // lambda = (1/2, 1/2). l1 dual: any lambda >= 0 with sum 1 and
        // |a (lambda1 - lambda2)| <= 1, e.g. (1/2, 1/2).
        let z = vec![vec![q(1, 1), a.clone()], vec![q(1, 1), Rational::from(-&a)]];
        let s2 = l2(&z);
        assert_eq!(s2.w, qv(&[1, 0]));
        assert_eq!(s2.lambda, vec![q(1, 2), q(1, 2)]);
        assert_eq!(s2.norm2_sq, 1);
        assert_eq!(s2.active, vec![0, 1]);
        let s1 = l1(&z);
        assert_eq!(s1.w, qv(&[1, 0]));
        assert_eq!(s1.norm1, 1);
        assert_eq!(s1.lambda.iter().sum::<Rational>(), 1);
        assert!(s1.face.unique);
    }
}

#[test]
fn orthogonal_data() {
    // z1 = (2, 0, 0), z2 = (0, 3, 0): the constraints are w1 >= 1/2 and
    // w2 >= 1/3, so both norms are minimized at (1/2, 1/3, 0).
    // l2: lambda = (1/4, 1/9) (w = Z lambda), ||w||^2 = 1/4 + 1/9 = 13/36.
    // l1: OPT = 5/6, lambda = (1/2, 1/3) (Z lambda = (1, 1, 0)).
    let z = qm(&[&[2, 0, 0], &[0, 3, 0]]);
    let w = vec![q(1, 2), q(1, 3), q(0, 1)];
    let s2 = l2(&z);
    assert_eq!(s2.w, w);
    assert_eq!(s2.lambda, vec![q(1, 4), q(1, 9)]);
    assert_eq!(s2.norm2_sq, q(13, 36));
    let s1 = l1(&z);
    assert_eq!(s1.w, w);
    assert_eq!(s1.norm1, q(5, 6));
    assert_eq!(s1.lambda, vec![q(1, 2), q(1, 3)]);
    assert!(s1.face.unique);
    assert_eq!(s1.support, vec![0, 1]);
    let c = data_constants(&z).unwrap();
    assert_eq!(c.gamma2_sq, q(36, 13));
    assert_eq!(c.l1_margin, q(6, 5));
    assert_eq!(c.xbar, q(3, 1));
}

#[test]
fn three_point_case_file() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases/three_point.toml");
    let case = Case::load(&path).unwrap();
    let z = case.z();
    // Labels +1, -1, +1 applied to the listed points.
    assert_eq!(
        z,
        vec![
            vec![q(1, 1), q(1, 2), q(1, 5)],
            vec![q(1, 5), q(1, 1), q(-1, 10)],
            vec![q(3, 2), q(6, 5), q(1, 2)],
        ]
    );

    // l2 with support {1, 2}: G = [[129/100, 68/100], [68/100, 105/100]],
    // det = 8921/10000, lambda = G^{-1} 1 = (37/100, 61/100) / (8921/10000)
    // = (3700, 6100) / 8921. w = Z lambda = (4920, 7950, 130) / 8921 and the
    // third margin is (7380 + 9540 + 65) / 8921 = 16985/8921 > 1 (so
    // lambda_3 = 0 is consistent). ||w||^2 = 1^T lambda = 9800/8921.
    let s2 = l2(&z);
    assert_eq!(s2.lambda, vec![q(3700, 8921), q(6100, 8921), q(0, 1)]);
    assert_eq!(s2.w, vec![q(4920, 8921), q(7950, 8921), q(130, 8921)]);
    assert_eq!(dot(&z[2], &s2.w), q(16985, 8921));
    assert_eq!(s2.norm2_sq, q(9800, 8921));
    assert_eq!(s2.support, vec![0, 1]);
    assert_eq!(s2.active, vec![0, 1]);

    // l1: with w3 = 0 and w1, w2 >= 0 the first two constraints
    // w1 + w2/2 = 1, w1/5 + w2 = 1 give w = (5/9, 8/9, 0), OPT = 13/9.
    // Dual: lambda = (8/9, 5/9, 0) gives Z lambda = (1, 1, 11/90), so
    // ||Z lambda||_inf = 1 and 1^T lambda = 13/9 = OPT. The face is a point:
    // w3 and the negative parts have positive reduced cost, and the three
    // remaining columns (w1+, w2+, s3) form a non-singular basis.
    let s1 = l1(&z);
    assert_eq!(s1.w, vec![q(5, 9), q(8, 9), q(0, 1)]);
    assert_eq!(s1.norm1, q(13, 9));
    assert_eq!(s1.lambda, vec![q(8, 9), q(5, 9), q(0, 1)]);
    assert!(s1.face.unique);

    // Constants: gamma_2^2 = 8921/9800; xbar = max(1 + 1/5 + 3/2,
    // 1/2 + 1 + 6/5, 1/5 + 1/10 + 1/2) = 27/10; l1 margin = 9/13.
    let c = data_constants(&z).unwrap();
    assert_eq!(c.gamma2_sq, q(8921, 9800));
    assert_eq!(c.xbar, q(27, 10));
    assert_eq!(c.l1_margin, q(9, 13));

    // Excess l1 of the l2 predictor: ||w_l2||_1 = 13000/8921 at margin 1, so
    // excess = (13000/8921) / (13/9) - 1 = 9000/8921 - 1 = 79/8921.
    assert_eq!(excess_l1(&z, &s1, &s2.w), q(79, 8921));
    assert_eq!(excess_l1(&z, &s1, &s1.w), 0);
}

#[test]
fn every_case_file_verifies() {
    // Whatever the shipped cases hold, their references carry valid
    // certificates (random10 has 6-decimal data: large exact denominators).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let case = Case::load(&path).unwrap();
            if case.task == ibcert::case::Task::Regression {
                // no margins: the interpolators are tested in tests/regression_cases.rs
                continue;
            }
            let z = case.z();
            let s2 = l2(&z);
            let s1 = l1(&z);
            assert!(s1.norm1 <= norm1(&s2.w));
            data_constants(&z).unwrap();
            seen += 1;
        }
    }
    assert!(seen >= 3);
}

#[test]
fn single_point_case_file() {
    // z = (1/2, 1, -1/4): ||z||^2 = 1/4 + 1 + 1/16 = 21/16, so
    // w_l2 = z / ||z||^2 = (8/21, 16/21, -4/21); w_l1 = e_2 / 1 = (0, 1, 0).
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases/single_point.toml");
    let z = Case::load(&path).unwrap().z();
    let s2 = l2(&z);
    assert_eq!(s2.w, vec![q(8, 21), q(16, 21), q(-4, 21)]);
    assert_eq!(s2.lambda, vec![q(16, 21)]);
    let s1 = l1(&z);
    assert_eq!(s1.w, qv(&[0, 1, 0]));
    assert!(s1.face.unique);
    let c = data_constants(&z).unwrap();
    assert_eq!(c.gamma2_sq, q(21, 16));
    assert_eq!(c.xbar, 1);
    assert_eq!(c.l1_margin, 1);
}

// ------------------------------------------------------------- degeneracy

#[test]
fn duplicate_and_proportional_points() {
    // Three copies of z = (1, 2): l2 w = (1, 2)/5 (multipliers need not be
    // unique; their sum is 1/5); l1 w = (0, 1/2), unique.
    let z = qm(&[&[1, 2], &[1, 2], &[1, 2]]);
    let s2 = l2(&z);
    assert_eq!(s2.w, vec![q(1, 5), q(2, 5)]);
    assert_eq!(s2.active, vec![0, 1, 2]);
    let s1 = l1(&z);
    assert_eq!(s1.w, vec![q(0, 1), q(1, 2)]);
    assert!(s1.face.unique);

    // (2, 2) makes (1, 1) redundant in neither order: the constraint of
    // (1, 1) is the binding one. l2: w = (1/2, 1/2), lambda = 1/2 on (1, 1),
    // 0 on (2, 2) (margin 2). The active-set method first adds (2, 2), then
    // has to drop it for (1, 1), whose normal is in its span.
    for z in [qm(&[&[2, 2], &[1, 1]]), qm(&[&[1, 1], &[2, 2]])] {
        let k = if z[0][0] == 1 { 0 } else { 1 };
        let s2 = l2(&z);
        assert_eq!(s2.w, vec![q(1, 2), q(1, 2)]);
        assert_eq!(s2.lambda[k], q(1, 2));
        assert_eq!(s2.lambda[1 - k], 0);
        assert_eq!(s2.active, vec![k]);
        // l1: the segment (1, 0) -- (0, 1).
        let s1 = l1(&z);
        assert_eq!(s1.norm1, 1);
        assert_eq!(s1.face.dimension, 1);
        assert_eq!(
            sorted(s1.face.vertices.clone()),
            vec![qv(&[0, 1]), qv(&[1, 0])]
        );
    }
}

#[test]
fn many_points_on_one_hyperplane() {
    // z_n = (1, t) for t = -2..2 (twice each): all have margin 1 at
    // w = (1, 0), which is optimal for both norms (the points t = -2 and
    // t = 2 alone force w1 >= 1, as in the symmetric example). Highly
    // degenerate: 10 active constraints in dimension 2.
    let mut z = Vec::new();
    for _ in 0..2 {
        for t in -2..=2 {
            z.push(qv(&[1, t]));
        }
    }
    let s2 = l2(&z);
    assert_eq!(s2.w, qv(&[1, 0]));
    assert_eq!(s2.active.len(), 10);
    let s1 = l1(&z);
    assert_eq!(s1.w, qv(&[1, 0]));
    assert!(s1.face.unique);
}

#[test]
fn non_unique_l1_like_figure_3c() {
    // Three points in d = 3 with a segment of l1 solutions (the situation of
    // the paper's Fig. 3(c)): z1 = (1, 1, 0), z2 = (1, 1, 1/2),
    // z3 = (2, 1, -1). ||w||_1 >= |w1| + |w2| >= w1 + w2 >= 1 by z1, with
    // equality iff w3 = 0, w1, w2 >= 0, w1 + w2 = 1; such w satisfy z2
    // (margin 1) and z3 (margin 1 + w1). So F is the segment from (1, 0, 0) to
    // (0, 1, 0), OPT = 1.
    let z = vec![
        qv(&[1, 1, 0]),
        vec![q(1, 1), q(1, 1), q(1, 2)],
        qv(&[2, 1, -1]),
    ];
    let s1 = l1(&z);
    assert_eq!(s1.norm1, 1);
    assert!(!s1.face.unique);
    assert_eq!(s1.face.dimension, 1);
    assert_eq!(
        sorted(s1.face.vertices.clone()),
        vec![qv(&[0, 1, 0]), qv(&[1, 0, 0])]
    );
    assert_eq!(s1.face.directions, vec![qv(&[-1, 1, 0])]);
    // Every point of the segment has excess 0, points off it positive excess.
    for t in [q(0, 1), q(1, 3), q(1, 1)] {
        let w = vec![t.clone(), Rational::from(1 - &t), q(0, 1)];
        assert_eq!(excess_l1(&z, &s1, &w), 0);
    }
    assert!(excess_l1(&z, &s1, &[q(1, 2), q(1, 2), q(1, 10)]) > 0);
    // l2: w = z1 / 2 = (1/2, 1/2, 0) with lambda = (1/2, 0, 0) satisfies the
    // KKT conditions (margins 1, 1, 3/2): the midpoint of the l1 segment, its
    // point of smallest l2 norm.
    let s2 = l2(&z);
    assert_eq!(s2.w, vec![q(1, 2), q(1, 2), q(0, 1)]);
    assert_eq!(s2.lambda, vec![q(1, 2), q(0, 1), q(0, 1)]);
    assert_eq!(excess_l1(&z, &s1, &s2.w), 0);

    // A two-dimensional face: z = (1, 1, 1) gives the triangle e1, e2, e3.
    let z = qm(&[&[1, 1, 1]]);
    let s1 = l1(&z);
    assert_eq!(s1.face.dimension, 2);
    assert_eq!(
        sorted(s1.face.vertices.clone()),
        vec![qv(&[0, 0, 1]), qv(&[0, 1, 0]), qv(&[1, 0, 0])]
    );
}

#[test]
fn non_separable_data() {
    // Opposite points; a zero point; three points summing to zero; a point
    // and a negative multiple of it among others.
    expect_not_separable(&qm(&[&[1, 0], &[-1, 0]]));
    expect_not_separable(&qm(&[&[1, 2], &[0, 0]]));
    expect_not_separable(&qm(&[&[1, 1], &[-1, 2], &[0, -3]]));
    expect_not_separable(&qm(&[&[1, 0, 0], &[0, 1, 0], &[2, 1, 1], &[-4, -2, -2]]));
}

// ----------------------------------------------------------- random problems

/// A random separable problem: random small entries, each row flipped to
/// have a positive margin against a hidden `w_true` (rows orthogonal to it
/// get `w_true` added).
fn random_separable(rng: &mut Lcg, d: usize, n: usize, rational: bool) -> Vec<Vec<Rational>> {
    let w_true: Vec<Rational> = (0..d).map(|_| Rational::from(rng.int(-3, 3))).collect();
    let w_true = if w_true.iter().all(|v| *v == 0) {
        let mut w = w_true;
        w[0] = Rational::from(1);
        w
    } else {
        w_true
    };
    (0..n)
        .map(|_| {
            let mut zn: Vec<Rational> = (0..d)
                .map(|_| {
                    let num = rng.int(-5, 5);
                    let den = if rational { rng.int(1, 4) } else { 1 };
                    q(num, den)
                })
                .collect();
            let m = dot(&zn, &w_true);
            if m < 0 {
                for v in zn.iter_mut() {
                    *v = Rational::from(-&*v);
                }
            } else if m == 0 {
                for (v, t) in zn.iter_mut().zip(&w_true) {
                    *v += t;
                }
            }
            zn
        })
        .collect()
}

#[test]
fn random_separable_certificates_verify() {
    let mut rng = Lcg(20200607);
    let mut sizes: Vec<(usize, usize)> = vec![(20, 20), (20, 5), (5, 20), (1, 20), (20, 1)];
    for _ in 0..60 {
        sizes.push((rng.int(1, 20) as usize, rng.int(1, 20) as usize));
    }
    for (k, &(d, n)) in sizes.iter().enumerate() {
        let z = random_separable(&mut rng, d, n, k % 2 == 1);
        let s2 = l2(&z);
        let s1 = l1(&z);
        // ||w_l1||_1 <= ||w_l2||_1 and ||w_l2||_2^2 <= ||w_l1||_2^2.
        assert!(s1.norm1 <= norm1(&s2.w));
        assert!(s2.norm2_sq <= dot(&s1.w, &s1.w));
        let c = data_constants(&z).unwrap();
        assert_eq!(c.gamma2_sq, s2.norm2_sq.clone().recip());
        assert_eq!(c.l1_margin, s1.norm1.clone().recip());
        assert_eq!(excess_l1(&z, &s1, &s1.w), 0);
        assert!(excess_l1(&z, &s1, &s2.w) >= 0);
    }
}

#[test]
fn random_degenerate_problems_verify() {
    // Entries in {-1, 0, 1} plus duplicated, scaled and summed rows: singular
    // Gram matrices, dependent active constraints, degenerate LP vertices and
    // non-unique l1 optima, with d, N up to 20.
    let mut rng = Lcg(77);
    let mut non_unique = 0;
    let mut done = 0;
    while done < 40 {
        let d = rng.int(2, 20) as usize;
        let n = rng.int(1, 14) as usize;
        let mut z: Vec<Vec<Rational>> = (0..n)
            .map(|_| (0..d).map(|_| Rational::from(rng.int(-1, 1))).collect())
            .collect();
        for _ in 0..rng.int(0, 6) {
            let i = rng.int(0, z.len() as i64 - 1) as usize;
            let j = rng.int(0, z.len() as i64 - 1) as usize;
            let row: Vec<Rational> = match rng.int(0, 2) {
                0 => z[i].clone(),
                1 => z[i].iter().map(|v| Rational::from(v * 2)).collect(),
                _ => z[i]
                    .iter()
                    .zip(&z[j])
                    .map(|(a, b)| Rational::from(a + b))
                    .collect(),
            };
            z.push(row);
        }
        match l1_max_margin(&z) {
            Ok(s1) => {
                verify_l1(&z, &s1).unwrap_or_else(|e| panic!("{e}: {z:?}"));
                let s2 = l2(&z);
                assert!(s1.norm1 <= norm1(&s2.w));
                if !s1.face.unique {
                    non_unique += 1;
                }
                done += 1;
            }
            Err(ReferenceError::NotSeparable { lambda }) => {
                verify_separability(&z, &Separability::NotSeparable { lambda }).unwrap();
                assert!(l2_max_margin(&z).is_err());
            }
        }
    }
    assert!(non_unique >= 5, "only {non_unique} non-unique faces met");
}

/// Brute force: the vertices of `F = {w : Z^T w >= 1, sigma^T w <= OPT for
/// all sign vectors sigma}`, by solving every choice of `d` tight
/// constraints (feasible only for small `d` and `N`).
fn brute_face_vertices(z: &[Vec<Rational>], opt: &Rational) -> Vec<Vec<Rational>> {
    let d = z[0].len();
    let mut cons: Vec<(Vec<Rational>, Rational)> =
        z.iter().map(|zn| (zn.clone(), Rational::from(1))).collect();
    for mask in 0..(1u32 << d) {
        // sigma^T w <= OPT written as (-sigma)^T w >= -OPT.
        let row = (0..d)
            .map(|i| Rational::from(if mask >> i & 1 == 1 { 1 } else { -1 }))
            .collect();
        cons.push((row, Rational::from(-opt)));
    }
    let mut out: Vec<Vec<Rational>> = Vec::new();
    let m = cons.len();
    let mut idx: Vec<usize> = (0..d).collect();
    loop {
        let a: Vec<Vec<Rational>> = idx.iter().map(|&k| cons[k].0.clone()).collect();
        let b: Vec<Rational> = idx.iter().map(|&k| cons[k].1.clone()).collect();
        if let Some(w) = solve(a, b) {
            let ok = z.iter().all(|zn| dot(zn, &w) >= 1) && norm1(&w) <= *opt;
            if ok && !out.contains(&w) {
                out.push(w);
            }
        }
        // Next combination of d out of m.
        let mut i = d;
        loop {
            if i == 0 {
                return out;
            }
            i -= 1;
            if idx[i] < m - d + i {
                idx[i] += 1;
                for j in i + 1..d {
                    idx[j] = idx[j - 1] + 1;
                }
                break;
            }
        }
    }
}

#[test]
fn small_degenerate_faces_match_brute_force() {
    // Tiny entries in {-1, 0, 1, 2} with duplicated and scaled rows produce
    // ties, redundant constraints and non-unique l1 optima.
    let mut rng = Lcg(3);
    let mut non_unique = 0;
    let mut checked = 0;
    while checked < 150 {
        let d = rng.int(2, 3) as usize;
        let n = rng.int(1, 4) as usize;
        let mut z: Vec<Vec<Rational>> = (0..n)
            .map(|_| (0..d).map(|_| Rational::from(rng.int(-1, 2))).collect())
            .collect();
        if rng.int(0, 2) == 0 {
            let k = rng.int(0, n as i64 - 1) as usize;
            let f = rng.int(1, 3);
            let extra = z[k].iter().map(|v| Rational::from(v * f)).collect();
            z.push(extra);
        }
        let s1 = match l1_max_margin(&z) {
            Ok(s) => s,
            Err(ReferenceError::NotSeparable { lambda }) => {
                verify_separability(&z, &Separability::NotSeparable { lambda }).unwrap();
                assert!(l2_max_margin(&z).is_err());
                continue;
            }
        };
        verify_l1(&z, &s1).unwrap_or_else(|e| panic!("{e}: {z:?}"));
        l2(&z);
        checked += 1;
        let brute = brute_face_vertices(&z, &s1.norm1);
        let diffs: Vec<Vec<Rational>> = brute
            .iter()
            .map(|v| {
                v.iter()
                    .zip(&s1.w)
                    .map(|(a, b)| Rational::from(a - b))
                    .collect()
            })
            .collect();
        let dim = rank(diffs.clone());
        assert_eq!(s1.face.dimension, dim, "dimension for {z:?}");
        assert_eq!(s1.face.unique, brute.len() == 1, "uniqueness for {z:?}");
        for v in &s1.face.vertices {
            assert!(
                brute.contains(v),
                "{v:?} is not a vertex of the face of {z:?}"
            );
        }
        let mut all = diffs;
        all.extend(s1.face.directions.iter().cloned());
        assert_eq!(rank(all), dim, "direction space for {z:?}");
        if !s1.face.unique {
            non_unique += 1;
        }
    }
    assert!(non_unique >= 10, "only {non_unique} non-unique faces met");
}

/// The Fig. 5 data at D = 3 (cases/fig5_d3.toml documents the enumeration by hand): four
/// feasible vertices, the least sum |w_i|^(2/3) at w_l1 = (0, 6/5, 1), a KKT point and a
/// strict local minimum of the l_{2/3} problem.
#[test]
fn fig5_vertices_of_the_l2_over_d_problem() {
    use ibcert::reference::l2d::{analyze_point, global_min};
    let z = common::rows("fig5_d3.toml");
    let g = global_min(&z, 3, 128).unwrap();
    assert_eq!(g.w, vec![q(0, 1), q(6, 5), q(1, 1)]);
    assert_eq!(g.vertices, 4);
    let a = analyze_point(&z, &g.w, 3, 128);
    assert!(a.kkt && a.strict_local_min);
}
