//! Unit tests with hand-derived exact answers.

use super::*;
use crate::num::testing::{q, qv};
use rug::Float;

fn rows(v: &[&[i64]]) -> Vec<Vec<Rational>> {
    v.iter().map(|r| qv(r)).collect()
}

#[test]
fn l2_orthogonal_points() {
    // x_1 = e_1, x_2 = e_2 in d = 3: w = (y_1, y_2, 0), ||w||^2 = 13
    let x = rows(&[&[1, 0, 0], &[0, 1, 0]]);
    let y = qv(&[2, -3]);
    let s = min_l2_interpolator(&x, &y).unwrap();
    verify_min_l2(&x, &y, &s).unwrap();
    assert_eq!(s.w, qv(&[2, -3, 0]));
    assert_eq!(s.norm2_sq, 13);
    assert_eq!(s.basis, vec![0, 1]);
}

#[test]
fn l2_rank_deficient() {
    // x_2 = 2 x_1 with y_2 = 2 y_1: basis {0, 2}; w = a x_1 + b x_3 with 2a + b = 1,
    // a + 2b = 3: a = -1/3, b = 5/3, w = (-1/3, 4/3, 5/3)
    let x = rows(&[&[1, 1, 0], &[2, 2, 0], &[0, 1, 1]]);
    let y = qv(&[1, 2, 3]);
    let s = min_l2_interpolator(&x, &y).unwrap();
    verify_min_l2(&x, &y, &s).unwrap();
    assert_eq!(s.w, vec![q(-1, 3), q(4, 3), q(5, 3)]);
    assert_eq!(s.basis, vec![0, 2]);
    assert_eq!(s.c[1], 0);
    // a wrong w is refused
    let mut bad = s.clone();
    bad.w[2] = q(5, 3) + q(1, 1000);
    assert!(verify_min_l2(&x, &y, &bad).is_err());
    // an interpolator outside the column space is refused: w + (1, -1, 1) (X^T u = 0)
    let mut off = s.clone();
    off.w = vec![q(2, 3), q(1, 3), q(8, 3)];
    assert!(verify_min_l2(&x, &y, &off).is_err());
}

#[test]
fn not_interpolable_with_certificate() {
    // x_2 = 2 x_1 but y_2 = 3 != 2 y_1: v = (2, -1, 0) (up to scale), v^T y = -1
    let x = rows(&[&[1, 1, 0], &[2, 2, 0], &[0, 1, 1]]);
    let y = qv(&[1, 3, 3]);
    let check = |e: RegressionError| {
        let RegressionError::NotInterpolable { v, vy } = e;
        verify_not_interpolable(&x, &y, &v).unwrap();
        assert_eq!(vy, crate::num::rational::dot(&v, &y));
        assert_eq!(Rational::from(&v[1] * 2u32) + &v[0], 0);
        assert_eq!(v[2], 0);
    };
    check(min_l2_interpolator(&x, &y).unwrap_err());
    check(min_l1_interpolator(&x, &y).unwrap_err());
    match q_alpha_solve(&x, &y, 2, &q(1, 1), 128).unwrap_err() {
        QAlphaError::NotInterpolable(e) => check(e),
        e => panic!("{e}"),
    }
    // a zero point with a nonzero target
    let z = rows(&[&[0, 0]]);
    let RegressionError::NotInterpolable { v, .. } = point_basis(&z, &qv(&[5])).unwrap_err();
    verify_not_interpolable(&z, &qv(&[5]), &v).unwrap();
    // wrong certificates are refused
    assert!(verify_not_interpolable(&x, &y, &qv(&[1, 0, 0])).is_err());
    assert!(verify_not_interpolable(&x, &qv(&[1, 2, 3]), &qv(&[2, -1, 0])).is_err());
}

#[test]
fn l1_unique() {
    // 3 w_1 - 4 w_2 = 1: w = (0, -1/4), OPT = 1/4, dual lambda = 1/4 (|X lambda| = (3/4, 1))
    let x = rows(&[&[3, -4]]);
    let y = qv(&[1]);
    let s = min_l1_interpolator(&x, &y).unwrap();
    verify_min_l1(&x, &y, &s).unwrap();
    assert_eq!(s.w, vec![q(0, 1), q(-1, 4)]);
    assert_eq!(s.norm1, q(1, 4));
    assert_eq!(s.lambda, vec![q(1, 4)]);
    assert!(s.face.unique);
}

#[test]
fn l1_face_not_unique() {
    // w_1 + w_2 = 1, w_3 - w_4 = 2: F = {w_1 + w_2 = 1, w_1, w_2 >= 0} x {w_3 - w_4 = 2,
    // w_3 >= 0, w_4 <= 0}, a square with vertices (1|0, 0|1, 2|0, 0|-2); OPT = 3
    let x = rows(&[&[1, 1, 0, 0], &[0, 0, 1, -1]]);
    let y = qv(&[1, 2]);
    let s = min_l1_interpolator(&x, &y).unwrap();
    verify_min_l1(&x, &y, &s).unwrap();
    assert_eq!(s.norm1, 3);
    assert!(!s.face.unique);
    assert_eq!(s.face.dimension, 2);
    let all = [
        qv(&[1, 0, 2, 0]),
        qv(&[0, 1, 2, 0]),
        qv(&[1, 0, 0, -2]),
        qv(&[0, 1, 0, -2]),
    ];
    for v in &s.face.vertices {
        assert!(all.contains(v), "{v:?} is not a vertex");
    }
    // a face claimed unique is refused
    let mut bad = s.clone();
    bad.face.unique = true;
    assert!(verify_min_l1(&x, &y, &bad).is_err());
    // a non-optimal dual is refused
    let mut bad = s.clone();
    bad.lambda = qv(&[1, 0]);
    assert!(verify_min_l1(&x, &y, &bad).is_err());
}

/// `|x_i| = a` for every i: by symmetry `w_i = sign(x_i) y / (d a)` for every alpha and D
/// (and for D = 2, `nu = asinh(y / (2 d a alpha^2)) / (4 a)`).
#[test]
fn q_alpha_symmetric_closed_form() {
    let x = rows(&[&[2, -2]]);
    let y = qv(&[3]);
    let p = 128;
    let tol = Float::with_val(p, Float::i_exp(1, -(p as i32) + 4));
    for depth in [2u32, 3, 5] {
        for alpha in [q(1, 1000), q(1, 2), q(1, 1), q(1000, 1)] {
            let s = q_alpha_limit(&x, &y, depth, &alpha, p).unwrap();
            let w = &s.solve.w;
            for (wi, e) in w.iter().zip([q(3, 4), q(-3, 4)]) {
                let err = Float::with_val(p, wi - &e).abs();
                assert!(err < tol, "D = {depth}, alpha = {alpha}: w = {wi}");
            }
            assert!(s.verified_digits >= 35, "{}", s.verified_digits);
            assert!(s.residual < tol);
            if depth == 2 {
                let a2 = crate::num::from_rational(p, &Rational::from(&alpha * &alpha));
                let nu = (Float::with_val(p, 3) / (a2 * 8u32)).asinh() / 8u32;
                let err = Float::with_val(p, &s.solve.nu[0] - &nu).abs() / &nu;
                assert!(err < tol, "nu = {} vs {nu}", s.solve.nu[0]);
            }
        }
    }
}

/// Dependent points with consistent targets: the solve runs on a basis (nu = 0 on the
/// dependent point) and gives the same w as without the dependent point.
#[test]
fn q_alpha_dependent_points() {
    let x = rows(&[&[1, 1, 0], &[2, 2, 0], &[0, 1, 1]]);
    let y = qv(&[1, 2, 3]);
    let xb = rows(&[&[1, 1, 0], &[0, 1, 1]]);
    let yb = qv(&[1, 3]);
    let p = 128;
    for depth in [2u32, 3] {
        for alpha in [q(1, 100), q(3, 1)] {
            let s = q_alpha_limit(&x, &y, depth, &alpha, p).unwrap();
            let t = q_alpha_solve(&xb, &yb, depth, &alpha, p).unwrap();
            assert!(s.solve.nu[1].is_zero());
            assert!(s.verified_digits >= 36);
            for (a, b) in s.solve.w.iter().zip(&t.w) {
                let e = Float::with_val(p, a - b).abs();
                assert!(e < Float::with_val(p, Float::i_exp(1, -120)), "{a} vs {b}");
            }
        }
    }
    assert!(matches!(
        q_alpha_solve(&x, &y, 2, &q(0, 1), p),
        Err(QAlphaError::InvalidInput(_))
    ));
    assert!(matches!(
        q_alpha_solve(&x, &y, 1, &q(1, 1), p),
        Err(QAlphaError::InvalidInput(_))
    ));
    // y = 0: w = 0 exactly
    let z = q_alpha_solve(&x, &qv(&[0, 0, 0]), 3, &q(1, 2), p).unwrap();
    assert!(z.w.iter().all(Float::is_zero));
}
