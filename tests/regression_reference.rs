//! Specification tests of the regression references (`ibcert::reference::regression`),
//! each against an independent answer: the single-sample equation solved by bisection at
//! high precision with the test's own mirror map (the u-parametrization), the kernel and
//! rich limits, the normal equations / orthogonality to the null space of X^T, and
//! brute-force vertex enumeration for the min-l1 interpolator.

use ibcert::num::from_rational;
use ibcert::num::rational::{dot, null_space, rank, rref};
use ibcert::reference::regression::*;
use rug::ops::Pow;
use rug::{Float, Integer, Rational};
use std::time::Instant;

mod common;
use common::single_sample::{bisect_increasing, single_sample, w_own};
use common::Lcg;

fn q(n: i64, d: i64) -> Rational {
    Rational::from((n, d))
}

fn ten_pow(k: i32) -> Rational {
    let t = Rational::from(Integer::from(10).pow(k.unsigned_abs()));
    if k >= 0 {
        t
    } else {
        t.recip()
    }
}

/// Normwise relative difference ||a - b||_inf / ||b||_inf at precision p.
fn rel(a: &[Float], b: &[Float], p: u32) -> Float {
    let mut num = Float::new(p);
    let mut den = Float::new(p);
    for (x, y) in a.iter().zip(b) {
        let t = Float::with_val(p, x - y).abs();
        if t > num {
            num = t;
        }
        let m = Float::with_val(p, y.abs_ref());
        if m > den {
            den = m;
        }
    }
    num / den
}

fn digits(r: &Float) -> f64 {
    // display only
    -r.clone().log10().to_f64()
}

// The test's mirror map and the single-sample bisection: tests/common/single_sample.rs.

#[test]
fn single_sample_matches_bisection_to_50_digits() {
    let x = vec![q(3, 2), q(-1, 1), q(1, 3)];
    let y = vec![q(2, 3)];
    let prec = 320;
    for depth in [2u32, 3] {
        for k in [-300, 0, 300] {
            let alpha = ten_pow(k);
            let t0 = Instant::now();
            let s = q_alpha_limit(std::slice::from_ref(&x), &y, depth, &alpha, prec).unwrap();
            let t_solve = t0.elapsed();
            // bisection precision: the cancellation in u+^D - u-^D at large alpha
            // (D log2 alpha bits) and the bits of 1 - s (D >= 3) or of beta (D = 2)
            let p = 640 + depth * (k.unsigned_abs() * 10 / 3 + 8);
            let (w_ref, nu_ref) = single_sample(depth, &alpha, &x, &y[0], p);
            let wp: Vec<Float> = s.solve.w.iter().map(|v| Float::with_val(p, v)).collect();
            let e_w = rel(&wp, &w_ref, p);
            let e_nu = rel(&[Float::with_val(p, &s.solve.nu[0])], &[nu_ref], p);
            println!(
                "D = {depth}, alpha = 1e{k}: w agrees to {:.1} digits, nu to {:.1}, verified {} \
                 digits, residual {:.2e}, {} Newton iterations, {} steps, {:?}",
                digits(&e_w),
                digits(&e_nu),
                s.verified_digits,
                s.residual.to_f64(),
                s.solve.newton_iterations,
                s.solve.continuation_steps,
                t_solve
            );
            let lim =
                Float::with_val(p, ten_pow(-50).numer()) / Float::with_val(p, ten_pow(-50).denom());
            assert!(e_w < lim, "D = {depth}, alpha = 1e{k}: w");
            assert!(e_nu < lim, "D = {depth}, alpha = 1e{k}: nu");
            assert!(s.verified_digits >= 50);
        }
    }
}

/// At alpha = 10^-1000 and 10^1000 (D = 2, 3, 5) the solve converges with every digit
/// verified, and at its solution the code's mirror map (w, w' at the working precision)
/// agrees with the u-parametrization evaluated at a precision that covers its
/// cancellation: no overflow, underflow to zero or cancellation in W or W'.
#[test]
fn extreme_alphas_mirror_and_solution() {
    let x = vec![vec![q(2, 1), q(-1, 1), q(1, 2)]];
    let y = vec![q(1, 1)];
    let prec = 128;
    for depth in [2u32, 3, 5] {
        for k in [-1000, 1000] {
            let alpha = ten_pow(k);
            let t0 = Instant::now();
            let s = q_alpha_limit(&x, &y, depth, &alpha, prec).unwrap();
            println!(
                "D = {depth}, alpha = 1e{k}: {} verified digits, residual {:.2e}, \
                 {} Newton iterations, {} steps, work precision {}, {:?}",
                s.verified_digits,
                s.residual.to_f64(),
                s.solve.newton_iterations,
                s.solve.continuation_steps,
                s.solve.work_prec,
                t0.elapsed()
            );
            assert!(s.verified_digits >= 36, "D = {depth}, alpha = 1e{k}");
            assert!(s.residual < Float::with_val(64, Float::i_exp(1, -120)));
            assert!(s.stationarity < Float::with_val(64, Float::i_exp(1, -120)));
            // the mirror map at the solution's beta
            let wp = s.solve.work_prec;
            let hp = wp + depth * 3400 + 128;
            let beta: Vec<Float> = (0..3)
                .map(|i| from_rational(hp, &x[0][i]) * &s.solve.nu[0])
                .collect();
            let mirror = ibcert::model::Mirror::new(depth, &alpha, wp);
            let a = from_rational(hp, &alpha);
            let c = if depth == 2 {
                Float::with_val(hp, 1)
            } else {
                Float::with_val(hp, a.clone().pow(depth - 2)) * (depth * (depth - 2))
            };
            for b in &beta {
                let ev = mirror.eval(&Float::with_val(wp, b));
                let sc = Float::with_val(hp, b * &c);
                let om = Float::with_val(hp, 1) - &sc;
                let op = Float::with_val(hp, 1) + &sc;
                let (w_ref, dw_ref) = w_own(depth, &a, b, &om, &op, &c);
                assert!(ev.w.is_finite() && !ev.w.is_zero() && !ev.dw.is_zero());
                let e_w = rel(&[Float::with_val(hp, &ev.w)], &[w_ref], hp);
                let e_dw = rel(&[Float::with_val(hp, &ev.dw)], &[dw_ref], hp);
                let lim = Float::with_val(hp, Float::i_exp(1, -(prec as i32)));
                assert!(
                    e_w < lim && e_dw < lim,
                    "D = {depth}, alpha = 1e{k}: {e_w} {e_dw}"
                );
            }
        }
    }
}

/// ||w_alpha - w_ref||_inf / ||w_ref||_inf for the Q^D_alpha solutions at the given alphas.
fn distances(
    x: &[Vec<Rational>],
    y: &[Rational],
    depth: u32,
    ks: &[i32],
    w_ref: &[Rational],
) -> Vec<Float> {
    let p = 192;
    let r: Vec<Float> = w_ref.iter().map(|v| from_rational(p, v)).collect();
    ks.iter()
        .map(|&k| {
            let s = q_alpha_limit(x, y, depth, &ten_pow(k), p).unwrap();
            assert!(s.verified_digits >= 40);
            rel(&s.solve.w, &r, p)
        })
        .collect()
}

/// As alpha grows the limit tends to the min-l2 interpolator, as alpha -> 0 to the
/// (unique) min-l1 interpolator: the distances decrease along the alphas.
#[test]
fn kernel_and_rich_limits() {
    let x = vec![
        vec![q(1, 1), q(2, 1), q(0, 1), q(1, 1), q(-1, 2)],
        vec![q(0, 1), q(1, 1), q(1, 1), q(-1, 1), q(1, 3)],
    ];
    let y = vec![q(3, 1), q(1, 2)];
    let l2 = min_l2_interpolator(&x, &y).unwrap();
    verify_min_l2(&x, &y, &l2).unwrap();
    let l1 = min_l1_interpolator(&x, &y).unwrap();
    verify_min_l1(&x, &y, &l1).unwrap();
    assert!(l1.face.unique);
    for depth in [2u32, 3] {
        let big = distances(&x, &y, depth, &[0, 1, 2, 3], &l2.w);
        let small = distances(&x, &y, depth, &[-1, -3, -10, -30, -100], &l1.w);
        let show = |v: &[Float]| -> Vec<String> {
            v.iter().map(|e| format!("{:.3e}", e.to_f64())).collect()
        };
        println!(
            "D = {depth}: to l2 {:?}\n       to l1 {:?}",
            show(&big),
            show(&small)
        );
        for v in [&big, &small] {
            assert!(
                v.windows(2).all(|p| p[1] < p[0]),
                "D = {depth}: not decreasing"
            );
        }
        assert!(big[3] < Float::with_val(64, Float::i_exp(1, -10)));
        assert!(small[4] < Float::with_val(64, Float::i_exp(1, if depth == 2 { -5 } else { -40 })));
    }
}

// --------------------------------------------------------------- random problems

/// A rational in [-k, k] with denominator 1..=4.
fn rnd(rng: &mut Lcg, k: i64) -> Rational {
    let den = rng.int(1, 4);
    Rational::from((rng.int(-k * den, k * den), den))
}

fn random_problem(
    rng: &mut Lcg,
    n: usize,
    d: usize,
    k: i64,
) -> (Vec<Vec<Rational>>, Vec<Rational>) {
    let mut x: Vec<Vec<Rational>> = (0..n)
        .map(|_| (0..d).map(|_| rnd(rng, k)).collect())
        .collect();
    let mut y: Vec<Rational> = (0..n).map(|_| rnd(rng, k)).collect();
    // now and then a dependent point with a consistent target
    if n >= 3 && rng.int(0, 2) == 0 {
        let f = rnd(rng, 2);
        x[n - 1] = x[0]
            .iter()
            .zip(&x[1])
            .map(|(a, b)| Rational::from(a * &f) + b)
            .collect();
        y[n - 1] = Rational::from(&y[0] * &f) + &y[1];
    }
    (x, y)
}

/// min-l2 against its characterization computed independently: X^T w = y and w
/// orthogonal to a basis of null(X^T) (from the RREF of the points).
#[test]
fn random_min_l2_against_null_space() {
    let mut rng = Lcg(0x14_0002);
    for it in 0..30 {
        let n = 1 + it % 5;
        let d = n + 1 + it % 4;
        let (x, y) = random_problem(&mut rng, n, d, 5);
        let s = min_l2_interpolator(&x, &y).unwrap();
        verify_min_l2(&x, &y, &s).unwrap();
        for (xn, yn) in x.iter().zip(&y) {
            assert_eq!(dot(xn, &s.w), *yn);
        }
        for z in null_space(x.clone(), d) {
            assert_eq!(dot(&z, &s.w), 0, "w is not orthogonal to null(X^T)");
        }
        assert_eq!(s.basis.len(), rank(x.clone(), d));
    }
}

/// All subsets of 0..d of size r.
fn subsets(d: usize, r: usize) -> Vec<Vec<usize>> {
    if r == 0 {
        return vec![vec![]];
    }
    if d < r {
        return vec![];
    }
    let mut out = subsets(d - 1, r);
    for mut s in subsets(d - 1, r - 1) {
        s.push(d - 1);
        out.push(s);
    }
    out
}

/// The min-l1 interpolators among the basic solutions: for every set S of r = rank(X)
/// coordinates with independent columns, the unique w supported on S with X^T w = y (if
/// any). Every vertex of the optimal face is one of them (a basic optimal solution of the
/// LP) and every minimizer among them is a vertex. Returns (OPT, the minimizers).
fn brute_force_l1(x: &[Vec<Rational>], y: &[Rational], d: usize) -> (Rational, Vec<Vec<Rational>>) {
    let r = rank(x.to_vec(), d);
    let mut best: Option<Rational> = None;
    let mut argmin: Vec<Vec<Rational>> = Vec::new();
    for s in subsets(d, r) {
        // [X_S | y] (N rows)
        let aug: Vec<Vec<Rational>> = x
            .iter()
            .zip(y)
            .map(|(xn, yn)| {
                s.iter()
                    .map(|&i| xn[i].clone())
                    .chain([yn.clone()])
                    .collect()
            })
            .collect();
        let (rows, piv) = rref(aug, r + 1);
        if piv.len() != r || piv.contains(&r) {
            continue; // dependent columns or inconsistent
        }
        let mut w = vec![Rational::new(); d];
        for (row, &pc) in rows.iter().zip(&piv) {
            w[s[pc]] = row[r].clone();
        }
        let n1: Rational = w.iter().map(|v| Rational::from(v.abs_ref())).sum();
        match &best {
            Some(b) if n1 > *b => {}
            Some(b) if n1 == *b => {
                if !argmin.contains(&w) {
                    argmin.push(w);
                }
            }
            _ => {
                best = Some(n1);
                argmin = vec![w];
            }
        }
    }
    (best.unwrap(), argmin)
}

/// min-l1 against brute-force vertex enumeration (d <= 6): the optimal value, the face's
/// vertices among the enumerated minimizers, and the face's dimension equal to the
/// affine dimension of all of them. Small integer data make ties (non-unique faces)
/// frequent.
#[test]
fn random_min_l1_against_vertex_enumeration() {
    let mut rng = Lcg(0x14_0003);
    let mut non_unique = 0;
    for it in 0..40 {
        let n = 1 + it % 3;
        let d = n + 1 + it % (7 - n);
        let k = if it % 2 == 0 { 2 } else { 4 };
        let (x, y) = random_problem(&mut rng, n, d, k);
        let s = match min_l1_interpolator(&x, &y) {
            Ok(s) => s,
            Err(RegressionError::NotInterpolable { v, .. }) => {
                verify_not_interpolable(&x, &y, &v).unwrap();
                continue;
            }
        };
        verify_min_l1(&x, &y, &s).unwrap();
        let (opt, minimizers) = brute_force_l1(&x, &y, d);
        assert_eq!(s.norm1, opt, "problem {it}");
        for v in &s.face.vertices {
            assert!(
                minimizers.contains(v),
                "problem {it}: {v:?} is not a basic minimizer"
            );
        }
        let diffs: Vec<Vec<Rational>> = minimizers
            .iter()
            .map(|v| {
                v.iter()
                    .zip(&minimizers[0])
                    .map(|(a, b)| Rational::from(a - b))
                    .collect()
            })
            .collect();
        assert_eq!(s.face.dimension, rank(diffs, d), "problem {it}");
        assert_eq!(s.face.unique, minimizers.len() == 1);
        if !s.face.unique {
            non_unique += 1;
        }
    }
    println!("{non_unique} of 40 random problems have a non-unique min-l1 interpolator");
    assert!(non_unique > 0);
}

/// Random Q^D_alpha problems (N < d): every digit the precision carries verified, the
/// exact residual at the rounding level, and, at extreme alphas, the l2 / l1 limits.
#[test]
fn random_q_alpha_small() {
    let mut rng = Lcg(0x14_0004);
    for it in 0..6 {
        let n = 2 + it % 3;
        let d = n + 2;
        let (x, y) = random_problem(&mut rng, n, d, 3);
        let depth = 2 + (it % 2) as u32;
        for k in [-50, 0, 50] {
            let s = q_alpha_limit(&x, &y, depth, &ten_pow(k), 128).unwrap();
            assert!(
                s.verified_digits >= 36,
                "problem {it}, D = {depth}, 1e{k}: {}",
                s.verified_digits
            );
            assert!(s.residual < Float::with_val(64, Float::i_exp(1, -110)));
        }
    }
}

/// The size the issue asks about: N = 20 points in d = 100, D = 2, 3, 5, at alphas from
/// 10^-1000 to 10^1000 (prints the times).
#[test]
#[ignore = "slow tier: N = 20, d = 100, D = 2, 3, 5 at alpha down to 1e-1000 (about 35 s)"]
fn q_alpha_n20_d100() {
    let mut rng = Lcg(0x14_0020);
    let (x, y) = random_problem(&mut rng, 20, 100, 3);
    let t0 = Instant::now();
    let l2 = min_l2_interpolator(&x, &y).unwrap();
    let t_l2 = t0.elapsed();
    verify_min_l2(&x, &y, &l2).unwrap();
    let t0 = Instant::now();
    let l1 = min_l1_interpolator(&x, &y).unwrap();
    let t_l1 = t0.elapsed();
    verify_min_l1(&x, &y, &l1).unwrap();
    println!("N = 20, d = 100: min-l2 in {t_l2:?}, min-l1 (with its face) in {t_l1:?}");
    for depth in [2u32, 3, 5] {
        for k in [-1000, -100, 0, 100, 1000] {
            let t0 = Instant::now();
            let s = q_alpha_limit(&x, &y, depth, &ten_pow(k), 256).unwrap();
            println!(
                "N = 20, d = 100, D = {depth}, alpha = 1e{k}: {} verified digits, residual {:.2e}, \
                 {} Newton iterations, {} steps, work precision {}, {:?} (both solves)",
                s.verified_digits,
                s.residual.to_f64(),
                s.solve.newton_iterations,
                s.solve.continuation_steps,
                s.solve.work_prec,
                t0.elapsed()
            );
            assert!(s.verified_digits >= 70);
        }
    }
}

/// The support of the limit smaller than N (the dual Hessian then has eigenvalues ~alpha
/// next to O(1) ones): x_1 = (1, 0, 1), x_2 = (0, 1, 1), y = (1, 1). By symmetry
/// w = (a, a, 1 - a), and stationarity W^{-1}(w_3) = W^{-1}(w_1) + W^{-1}(w_2) gives for
/// D = 2, with W^{-1}(w) = asinh(w / (2 alpha^2)) / 4 and sinh(2 asinh v) = 2 v sqrt(1 + v^2):
/// (1 - a)^2 = 4 a^2 + a^4 / alpha^4, one root in (0, 1) (left side decreasing, right side
/// increasing), solved here by bisection (a ~ alpha as alpha -> 0).
#[test]
fn support_smaller_than_n_closed_form() {
    let x = vec![
        vec![q(1, 1), q(0, 1), q(1, 1)],
        vec![q(0, 1), q(1, 1), q(1, 1)],
    ];
    let y = vec![q(1, 1), q(1, 1)];
    let prec = 128;
    for k in [1, 10, 100, 1000] {
        let alpha = ten_pow(-k);
        let s = q_alpha_limit(&x, &y, 2, &alpha, prec).unwrap();
        let p = 512;
        let a4 = from_rational(p, &alpha).pow(4u32);
        let f = |a: &Float| -> Float {
            let l = Float::with_val(p, 1) - a;
            let r = Float::with_val(p, a.square_ref()) * 4u32
                + Float::with_val(p, a.clone().pow(4u32)) / &a4;
            r - l.square()
        };
        let a = bisect_increasing(p, f, -8000, 0, 400);
        let w_ref = [a.clone(), a.clone(), Float::with_val(p, 1) - &a];
        let wp: Vec<Float> = s.solve.w.iter().map(|v| Float::with_val(p, v)).collect();
        let lim = Float::with_val(p, Float::i_exp(1, -110));
        assert!(rel(&wp, &w_ref, p) < lim, "alpha = 1e-{k}: w");
        // the digits are normwise: w_1 ~ alpha is not resolved to full relative precision
        println!(
            "alpha = 1e-{k}: w to {:.1} digits normwise, w_1 to {:.1} digits relative",
            digits(&rel(&wp, &w_ref, p)),
            digits(&rel(&wp[..1], &w_ref[..1], p))
        );
        assert!(s.verified_digits >= 36);
    }
}

/// The sparse case (N = 10, d = 40) at small alpha, where three coordinates carry the
/// solution and the other 37 sit at W' ~ alpha^(2D-2). Failures that lived here, at
/// D = 3: the damped Newton ended in "line search failed" at points that already met its
/// goal (a full step leaving the domain along directions where W' is tiny, the decrease of
/// Phi below its rounding); below alpha ~ 3e-30 the continuation's tangent, solved
/// without the bits the spread of W' asks, was noise along those directions and every
/// prediction left the domain; at alpha = 1e-100 and 640 bits the polish did not converge
/// (the working precision did not resolve the off-support terms, of relative size
/// alpha^D). At D = 2 below alpha ~ 1e-400 the polish crawled (the gradient shrinking by e
/// per iteration). Each solve converges, is verified by the second solve, interpolates, and
/// is the min-l1 interpolator (the planted w*, exact) to the distance the rich limit
/// allows (the l1 solution is unique).
#[test]
fn sparse_case_small_alpha() {
    let case = ibcert::case::Case::load(std::path::Path::new(&common::case_path(
        "regression_sparse.toml",
    )))
    .expect("case");
    let l1 = min_l1_interpolator(&case.points, &case.targets).unwrap();
    // (D, log10 alpha, precision, verified digits, log2 of the residual and stationarity
    // bounds, log2 of the distance bound to min-l1)
    for (depth, k, prec, digits, res_bits, dist_bits) in [
        (3, -30, 640, 150, 500, 200),
        (3, -100, 640, 150, 500, 500),
        (3, -1000, 256, 70, 230, 230),
        (2, -434, 256, 70, 230, 230),
        (2, -1000, 256, 70, 230, 230),
    ] {
        let alpha = ten_pow(k);
        let t0 = Instant::now();
        let sol =
            q_alpha_limit(&case.points, &case.targets, depth, &alpha, prec).expect("converges");
        let p = sol.solve.w[0].prec();
        let l1w: Vec<Float> = l1.w.iter().map(|v| from_rational(p, v)).collect();
        let dist = rel(&sol.solve.w, &l1w, p);
        println!(
            "D = {depth}, alpha = 1e{k}: verified {} digits, residual {:.3e}, stationarity {:.3e}, distance to min-l1 {:.3e}, {} continuation steps, {} Newton iterations, {:?}",
            sol.verified_digits,
            sol.residual.to_f64(),
            sol.stationarity.to_f64(),
            dist.to_f64(),
            sol.solve.continuation_steps,
            sol.solve.newton_iterations,
            t0.elapsed()
        );
        assert!(
            sol.verified_digits >= digits,
            "{} digits",
            sol.verified_digits
        );
        let bound = |b: i32| Float::with_val(64, Float::i_exp(1, -b));
        assert!(sol.residual < bound(res_bits), "residual {}", sol.residual);
        assert!(
            sol.stationarity < bound(res_bits),
            "stationarity {}",
            sol.stationarity
        );
        assert!(dist < bound(dist_bits), "distance {dist}");
    }
}
