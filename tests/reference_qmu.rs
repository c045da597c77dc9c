//! Specification tests of the transition-regime reference `w_mu` (`ibcert::reference::qmu`),
//! each against an independent answer: closed forms, bisection at higher precision with the
//! test's own formulas, quadrature, exact rational margins, the l2 / l1 solutions.
//!
//! Run with `--nocapture` to see the excess-l1 tables the lead engineer quotes.

use ibcert::lp::l1_max_margin;
use ibcert::num::{fmt_sig, from_rational};
use ibcert::reference::qmu::*;
use rug::ops::Pow;
use rug::{Float, Rational};
use std::cmp::Ordering;

mod common;
use common::Lcg;

fn q(n: i64, d: i64) -> Rational {
    Rational::from((n, d))
}

fn pow2(p: u32, e: i32) -> Float {
    Float::with_val(p, Float::i_exp(1, e))
}

fn rel(a: &Float, b: &Float) -> Float {
    let p = a.prec().max(b.prec());
    let d = Float::with_val(p, a - b).abs();
    if b.is_zero() {
        d
    } else {
        d / Float::with_val(p, b.abs_ref())
    }
}

/// The test's own h_D (independent of the module): D = 2: 2 sinh s; D >= 3 by rational
/// powers through exp/ln.
fn h_own(depth: u32, s: &Float) -> Float {
    let p0 = s.prec();
    if depth == 2 {
        return Float::with_val(p0, s.sinh_ref()) * 2u32;
    }
    if s.is_zero() {
        return s.clone();
    }
    // the difference cancels to 2 e s: log2(1/|s|) guard bits
    let p = p0 + 16 + (-s.get_exp().unwrap()).max(0) as u32;
    let s = &Float::with_val(p, s);
    let e = Float::with_val(p, depth) / (depth - 2);
    let om = Float::with_val(p, 1) - s;
    let op = Float::with_val(p, 1) + s;
    let u = (-(Float::with_val(p, om.ln_ref()) * &e)).exp();
    let v = (-(Float::with_val(p, op.ln_ref()) * &e)).exp();
    Float::with_val(p0, u - v)
}

/// Bisection for the root of an increasing function on [lo, hi].
fn bisect(mut lo: Float, mut hi: Float, f: impl Fn(&Float) -> Float, iters: usize) -> Float {
    for _ in 0..iters {
        let mid = Float::with_val(lo.prec(), &lo + &hi) / 2u32;
        if f(&mid).is_sign_negative() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Float::with_val(lo.prec(), &lo + &hi) / 2u32
}

/// Independent h_D^{-1}(c) by bisection (D >= 3) or asinh (D = 2), at the precision of `c`.
/// For c > 0 the root lies in (0, min(1, c/(2e))] since h(a) >= 2 e a there; the work is
/// done with 2 log2(1/|c|) guard bits (h cancels to 2 e a near 0).
fn h_inv_own(depth: u32, c: &Float) -> Float {
    let p = c.prec();
    if depth == 2 {
        return Float::with_val(p, c / 2u32).asinh();
    }
    if c.is_zero() {
        return Float::new(p);
    }
    if c.is_sign_negative() {
        return -h_inv_own(depth, &Float::with_val(p, -c));
    }
    let guard = 2 * (-c.get_exp().unwrap()).max(0) as u32 + 32;
    let pb = p + guard;
    let cb = Float::with_val(pb, c);
    let e = Float::with_val(pb, depth) / (depth - 2);
    let mut hi = Float::with_val(pb, &cb / &e) / 2u32;
    if hi > 1 {
        hi = Float::with_val(pb, 1);
    }
    let a = bisect(
        Float::new(pb),
        hi,
        |a| {
            if *a >= 1 {
                Float::with_val(pb, 1)
            } else {
                h_own(depth, a) - &cb
            }
        },
        p as usize + 16,
    );
    Float::with_val(p, a)
}

fn zmat(points: &[[Rational; 3]], labels: &[i32]) -> Vec<Vec<Rational>> {
    points
        .iter()
        .zip(labels)
        .map(|(x, &y)| x.iter().map(|v| Rational::from(v * y)).collect())
        .collect()
}

/// cases/three_point.toml with its labels applied.
fn three_point() -> Vec<Vec<Rational>> {
    zmat(
        &[
            [q(1, 1), q(1, 2), q(1, 5)],
            [q(-1, 5), q(-1, 1), q(1, 10)],
            [q(3, 2), q(6, 5), q(1, 2)],
        ],
        &[1, -1, 1],
    )
}

fn theta_of(z: &[Vec<Rational>], lambda: &[Float], p: u32) -> Vec<Float> {
    let d = z[0].len();
    let mut th = vec![Float::new(p); d];
    for (zn, l) in z.iter().zip(lambda) {
        for i in 0..d {
            th[i] += Float::with_val(p, l * &zn[i]);
        }
    }
    th
}

/// Independent KKT check of a solution, with the residuals defined as the certificate
/// defines them but computed by the test's own code: stationarity
/// ||h^-1(w_i/mu)/mu - theta_i||_inf / ||theta||_inf through the test's own bisection
/// inverse (the well-conditioned direction: for D >= 3 and tiny mu, w = mu h(mu theta) is
/// ill-conditioned in theta, since 1 - mu theta_i is tiny), exact rational margins of the
/// returned w, and complementarity scaled by max(1, max lambda).
fn independent_kkt(z: &[Vec<Rational>], sol: &QmuSolution) -> Float {
    let p = sol.prec + 64;
    let mu = from_rational(p, &sol.mu);
    let th = theta_of(z, &sol.lambda, p);
    let mut worst = Float::new(p);
    let mut tmax = Float::new(p);
    for t in &th {
        if t.cmp_abs(&tmax) == Some(Ordering::Greater) {
            tmax = Float::with_val(p, t.abs_ref());
        }
    }
    for (wi, ti) in sol.w.iter().zip(&th) {
        let c = Float::with_val(p, wi / &mu);
        let g = h_inv_own(sol.depth, &c) / &mu;
        let mut r = Float::with_val(p, &g - ti).abs();
        if !tmax.is_zero() {
            r /= &tmax;
        }
        if r > worst {
            worst = r;
        }
    }
    // complementarity scaled by max(1, max lambda), as the solver defines it
    let mut lmax = Float::with_val(p, 1);
    for l in &sol.lambda {
        if *l > lmax {
            lmax = Float::with_val(p, l);
        }
    }
    for (zn, l) in z.iter().zip(&sol.lambda) {
        assert!(!l.is_sign_negative() || l.is_zero(), "lambda >= 0");
        let mut m = Rational::new();
        for (zi, wi) in zn.iter().zip(&sol.w) {
            m += Rational::from(zi * &wi.to_rational().unwrap());
        }
        m -= 1;
        let mf = from_rational(p, &m);
        if mf.is_sign_negative() {
            let v = Float::with_val(p, -&mf);
            if v > worst {
                worst = v;
            }
        }
        let c = Float::with_val(p, mf.abs_ref()) * l / &lmax;
        if c > worst {
            worst = c;
        }
    }
    worst
}

fn assert_certified(z: &[Vec<Rational>], sol: &QmuSolution) {
    let thr = certificate_threshold(sol.prec);
    assert!(sol.residuals.max() < thr, "residuals {:?}", sol.residuals);
    let ind = independent_kkt(z, sol);
    assert!(
        ind < thr,
        "independent KKT residual {} at mu = {}",
        fmt_sig(&ind, 4),
        sol.mu
    );
}

fn norm1(v: &[Float]) -> Float {
    let p = v[0].prec();
    let mut s = Float::new(p);
    for x in v {
        s += Float::with_val(p, x.abs_ref());
    }
    s
}

fn max_rel_diff(a: &[Float], b: &[Float]) -> Float {
    let p = a[0].prec();
    let mut num = Float::new(p);
    let mut den = Float::new(p);
    for (x, y) in a.iter().zip(b) {
        let d = Float::with_val(p, x - y).abs();
        if d > num {
            num = d;
        }
        if y.cmp_abs(&den) == Some(Ordering::Greater) {
            den = Float::with_val(p, y.abs_ref());
        }
    }
    num / den
}

/// 10^x as an exact rational close to it (the list itself only has to be log-spaced).
fn ten_pow(x: &Rational) -> Rational {
    let f = Float::with_val(128, 10u32).pow(Float::with_val(128, x));
    f.to_rational().unwrap()
}

#[test]
fn h_round_trip_full_precision() {
    let p = 256;
    let mut zs: Vec<Float> = Vec::new();
    for k in (-30..=30).step_by(3) {
        // 10^k and 3.7 * 10^k, every third decade
        let t = Float::with_val(p + 64, 10u32).pow(k);
        zs.push(Float::with_val(p, &t));
        zs.push(Float::with_val(p, t * Float::with_val(p + 64, 3.7)));
    }
    for depth in [3u32, 4, 10] {
        for z in &zs {
            for sign in [1i32, -1] {
                let z = Float::with_val(p, z * sign);
                let a = h_d_inv(depth, &z);
                assert!(a.cmp_abs(&Float::with_val(p, 1)) == Some(Ordering::Less));
                // against an independent bisection inverse at 64 more bits
                let a_ref = h_inv_own(depth, &Float::with_val(p + 64, &z));
                let err = Float::with_val(p, &a - &a_ref).abs() / Float::with_val(p, a.abs_ref());
                assert!(err < pow2(p, 2 - p as i32), "D={depth} z={z}: err {err}");
                // forward then inverse: s = h^-1(h(s)) to the last bits
                let s = Float::with_val(p, &a);
                let back = h_d_inv(depth, &h_d(depth, &Float::with_val(p + 64, &s)));
                let back = Float::with_val(p, &back);
                let e2 = Float::with_val(p, &back - &s).abs() / Float::with_val(p, s.abs_ref());
                assert!(e2 < pow2(p, 2 - p as i32), "D={depth} s={s}: {e2}");
            }
        }
    }
}

/// Composite Romberg integration of f on [0, b] (f analytic) over `pieces` equal panels.
fn romberg(f: impl Fn(&Float) -> Float, b: &Float, pieces: u32, levels: usize) -> Float {
    let p = b.prec();
    let width = Float::with_val(p, b / pieces);
    let mut total = Float::new(p);
    for piece in 0..pieces {
        let x0 = Float::with_val(p, &width * piece);
        let g = |t: &Float| f(&Float::with_val(p, &x0 + t));
        let mut r: Vec<Vec<Float>> = Vec::new();
        let mut h = width.clone();
        let mut trap = Float::with_val(p, g(&Float::new(p)) + g(&width)) * &h / 2u32;
        r.push(vec![trap.clone()]);
        let mut n = 1u64;
        for k in 1..levels {
            h /= 2u32;
            let mut s = Float::new(p);
            for j in 0..n {
                s += g(&Float::with_val(p, &h * (2 * j + 1)));
            }
            trap = trap / 2u32 + s * &h;
            n *= 2;
            let mut row = vec![trap.clone()];
            let mut four = Float::with_val(p, 1);
            for m in 1..=k {
                four *= 4u32;
                let v = Float::with_val(p, &row[m - 1] - &r[k - 1][m - 1])
                    / Float::with_val(p, &four - 1u32);
                row.push(Float::with_val(p, &row[m - 1] + v));
            }
            r.push(row);
        }
        total += r.last().unwrap().last().unwrap();
    }
    total
}

#[test]
fn q_closed_forms_and_derivatives() {
    let p = 256;
    // q_D' by central differences of q_D
    let hstep = pow2(p, -64);
    for depth in [2u32, 3, 4, 10] {
        for zs in ["0.3", "-2", "7.5", "50", "1e-5", "1e8"] {
            let z = Float::with_val(p, Float::parse(zs).unwrap());
            let qp = q_d_prime(depth, &z);
            let zp = Float::with_val(p, &z + &hstep);
            let zm = Float::with_val(p, &z - &hstep);
            let fd = Float::with_val(p, q_d(depth, &zp) - q_d(depth, &zm))
                / Float::with_val(p, &hstep * 2u32);
            let err = rel(&fd, &qp);
            assert!(err < pow2(p, -100), "D={depth} z={zs}: q' vs FD {err}");
        }
    }
    // q_D(z) = ∫_0^z q_D'(s) ds by Romberg quadrature, and D = 2 against its closed form
    // evaluated directly at 128 extra bits
    let p = 160;
    for depth in [2u32, 3, 4, 10] {
        for zs in ["0.5", "3", "-12"] {
            let z = Float::with_val(p, Float::parse(zs).unwrap());
            let integral = romberg(|s| h_inv_own_fast(depth, s), &z, 24, 9);
            let qz = q_d(depth, &z);
            let err = rel(&qz, &integral);
            assert!(
                err < pow2(p, -80),
                "D={depth} z={zs}: q vs quadrature {err}"
            );
            if depth == 2 {
                let pz = p + 128;
                let zz = Float::with_val(pz, &z);
                let closed = Float::with_val(pz, 2u32)
                    - (Float::with_val(pz, zz.square_ref()) + 4u32).sqrt()
                    + Float::with_val(pz, &zz / 2u32).asinh() * &zz;
                let err = rel(&Float::with_val(pz, &qz), &closed);
                assert!(err < pow2(p, 3 - p as i32), "D=2 z={zs}: {err}");
            }
        }
    }
}

/// For the quadrature: the module's inverse checked against bisection elsewhere; here the
/// integrand must be cheap.
fn h_inv_own_fast(depth: u32, s: &Float) -> Float {
    q_d_prime(depth, s)
}

#[test]
fn gradient_consistent_with_stationarity_map() {
    let p = 256;
    let z = three_point();
    for depth in [2u32, 3, 5] {
        for mu in [q(1, 3), q(10, 1), q(1, 1000)] {
            let muf = from_rational(p, &mu);
            // lambda with |mu theta| < 1/2 for D >= 3
            let mut lambda = vec![
                Float::with_val(p, 0.3),
                Float::with_val(p, 0.7),
                Float::with_val(p, 0.1),
            ];
            for l in lambda.iter_mut() {
                *l /= &muf;
                *l /= 4u32;
            }
            let theta = theta_of(&z, &lambda, p);
            let w = stationary_w(depth, &mu, &theta);
            let g = grad_q_mu(depth, &mu, &w);
            for (gi, ti) in g.iter().zip(&theta) {
                assert!(
                    rel(gi, ti) < pow2(p, 8 - p as i32),
                    "D={depth} mu={mu}: {gi} vs {ti}"
                );
            }
            // and the gradient is the gradient of q_mu (central differences)
            let h = pow2(p, -70);
            for i in 0..w.len() {
                let mut wp = w.clone();
                let mut wm = w.clone();
                wp[i] += &h;
                wm[i] -= &h;
                let fd = Float::with_val(p, q_mu(depth, &mu, &wp) - q_mu(depth, &mu, &wm))
                    / Float::with_val(p, &h * 2u32);
                assert!(rel(&fd, &g[i]) < pow2(p, -90), "D={depth} mu={mu} i={i}");
            }
        }
    }
}

/// w_i = mu h(mu lambda z_i) for one point: one scalar equation z^T w(lambda) = 1.
#[test]
fn single_point_against_bisection() {
    let prec = 128;
    let z = vec![vec![q(1, 1), q(2, 1), q(-1, 2)]];
    for depth in [2u32, 3, 4] {
        for mu in [q(1, 100), q(1, 2), q(5, 1), q(1000, 1)] {
            let sol = solve_qmu(&z, depth, &mu, prec, None).unwrap();
            assert_certified(&z, &sol);
            assert_eq!(sol.support, vec![0]);
            let pb = prec + 96;
            let muf = from_rational(pb, &mu);
            let zf: Vec<Float> = z[0].iter().map(|v| from_rational(pb, v)).collect();
            let margin = |l: &Float| -> Float {
                let mut m = Float::with_val(pb, -1);
                for zi in &zf {
                    let s = Float::with_val(pb, l * zi) * &muf;
                    m += h_own(depth, &s) * &muf * zi;
                }
                m
            };
            // D >= 3: |mu * 2 * lambda| < 1; D = 2: double until the margin exceeds 1
            let mut hi = Float::with_val(pb, 1) / Float::with_val(pb, &muf * 2u32);
            if depth == 2 {
                while margin(&hi).is_sign_negative() {
                    hi *= 2u32;
                }
            } else {
                hi -= Float::with_val(pb, Float::i_exp(1, -(pb as i32)));
            }
            let lam = bisect(Float::new(pb), hi, margin, pb as usize + 8);
            let err = rel(&Float::with_val(pb, &sol.lambda[0]), &lam);
            assert!(
                err < pow2(prec, 8 - prec as i32),
                "D={depth} mu={mu}: {err}"
            );
            for (wi, zi) in sol.w.iter().zip(&zf) {
                let s = Float::with_val(pb, &lam * zi) * &muf;
                let wr = h_own(depth, &s) * &muf;
                let err = rel(&Float::with_val(pb, wi), &wr);
                assert!(
                    err < pow2(prec, 8 - prec as i32),
                    "D={depth} mu={mu}: w {err}"
                );
            }
        }
    }
}

/// Orthogonal data decouple: z_1 = 2 e_1, z_2 = 3 e_2 give w = (1/2, 1/3, 0) for every mu,
/// lambda_1 = h^-1(1/(2 mu)) / (2 mu), lambda_2 = h^-1(1/(3 mu)) / (3 mu).
#[test]
fn orthogonal_data_closed_form() {
    let prec = 192;
    let z = vec![
        vec![q(2, 1), q(0, 1), q(0, 1)],
        vec![q(0, 1), q(3, 1), q(0, 1)],
    ];
    for depth in [2u32, 3, 6] {
        for mu in [q(1, 10000), q(1, 7), q(3, 1), q(100000, 1)] {
            let sol = solve_qmu(&z, depth, &mu, prec, None).unwrap();
            assert_certified(&z, &sol);
            let pb = prec + 64;
            let muf = from_rational(pb, &mu);
            let want_w = [q(1, 2), q(1, 3), q(0, 1)];
            for (wi, ww) in sol.w.iter().zip(&want_w) {
                let err = Float::with_val(pb, wi - ww).abs();
                assert!(
                    err < pow2(prec, 4 - prec as i32),
                    "D={depth} mu={mu}: w {wi}"
                );
            }
            for (k, c) in [(0usize, 2u32), (1, 3)] {
                let arg = Float::with_val(pb, 1) / Float::with_val(pb, &muf * c);
                let lam = h_inv_own(depth, &arg) / Float::with_val(pb, &muf * c);
                let err = rel(&Float::with_val(pb, &sol.lambda[k]), &lam);
                assert!(
                    err < pow2(prec, 8 - prec as i32),
                    "D={depth} mu={mu}: {err}"
                );
            }
        }
    }
}

/// Two points symmetric about the first axis: z = (2, ±1) give w = (1/2, 0) and
/// lambda_1 = lambda_2 = h^-1(1/(2 mu)) / (4 mu).
#[test]
fn symmetric_pair_closed_form() {
    let prec = 160;
    let z = vec![vec![q(2, 1), q(1, 1)], vec![q(2, 1), q(-1, 1)]];
    for depth in [2u32, 3] {
        for mu in [q(1, 1000), q(1, 3), q(50, 1)] {
            let sol = solve_qmu(&z, depth, &mu, prec, None).unwrap();
            assert_certified(&z, &sol);
            assert_eq!(sol.support, vec![0, 1]);
            let pb = prec + 64;
            let muf = from_rational(pb, &mu);
            let half = Float::with_val(pb, 0.5);
            assert!(Float::with_val(pb, &sol.w[0] - &half).abs() < pow2(prec, 4 - prec as i32));
            assert!(Float::with_val(pb, sol.w[1].abs_ref()) < pow2(prec, 4 - prec as i32));
            let arg = Float::with_val(pb, 1) / Float::with_val(pb, &muf * 2u32);
            let lam = h_inv_own(depth, &arg) / Float::with_val(pb, &muf * 4u32);
            for k in 0..2 {
                let err = rel(&Float::with_val(pb, &sol.lambda[k]), &lam);
                assert!(
                    err < pow2(prec, 8 - prec as i32),
                    "D={depth} mu={mu}: {err}"
                );
            }
        }
    }
}

/// The l2 max-margin solution of the three-point data, built and verified exactly here.
fn l2_three_point(z: &[Vec<Rational>]) -> Vec<Rational> {
    let lam = [q(3700, 8921), q(6100, 8921), q(0, 1)];
    let mut w = vec![Rational::new(); 3];
    for (zn, l) in z.iter().zip(&lam) {
        for i in 0..3 {
            w[i] += Rational::from(&zn[i] * l);
        }
    }
    // KKT of min ||w||^2/2: w = Z lambda, lambda >= 0, margins >= 1, complementarity
    for (zn, l) in z.iter().zip(&lam) {
        let m: Rational = zn.iter().zip(&w).map(|(a, b)| Rational::from(a * b)).sum();
        assert!(m >= 1);
        assert!(*l == 0 || m == 1);
    }
    w
}

fn mu_extremes(depth: u32) {
    let prec = 128;
    let z = three_point();
    let (wl1, _) = l1_max_margin(&z).expect("separable");
    let wl1n: Rational = wl1.iter().map(|v| Rational::from(v.abs_ref())).sum();
    let wl1n = from_rational(prec, &wl1n);
    // mu = 10^6: within 1e-10 (relative, max norm) of w_l2
    let big = solve_qmu(&z, depth, &Rational::from(1_000_000), prec, None).unwrap();
    assert_certified(&z, &big);
    let wl2: Vec<Float> = l2_three_point(&z)
        .iter()
        .map(|v| from_rational(prec, v))
        .collect();
    let dev = max_rel_diff(&big.w, &wl2);
    println!(
        "D={depth}: mu = 1e6: max |w_mu - w_l2| / max |w_l2| = {}",
        fmt_sig(&dev, 3)
    );
    assert!(dev < Float::with_val(prec, 1e-10));
    // mu falling from 1e6 to 1e-4, one point per decade. For this data the excess l1 is
    // NOT monotone over the whole range: it rises slightly from the l2 value, peaks near
    // mu = 0.1, and only then falls towards 0 (checked on the 50-point list below).
    let mus: Vec<Rational> = (-4..=6)
        .rev()
        .map(|k| ten_pow(&Rational::from(k)))
        .collect();
    let path = qmu_path(&z, depth, &mus, prec).unwrap();
    println!(
        "D={depth}: excess l1 = ||w_mu||_1 / ||w_l1||_1 - 1 (||w_l1||_1 = {})",
        fmt_sig(&wl1n, 12)
    );
    let mut last = Float::new(prec);
    for (mu, sol) in mus.iter().zip(&path) {
        assert_certified(&z, sol);
        let ex = norm1(&sol.w) / &wl1n - 1u32;
        println!(
            "  mu = {:>8}  excess l1 = {}  iterations {:>2}  support {:?}  max residual {}",
            fmt_sig(&from_rational(64, mu), 2),
            fmt_sig(&ex, 12),
            sol.iterations,
            sol.support,
            fmt_sig(&sol.residuals.max(), 3)
        );
        assert!(!ex.is_sign_negative(), "||w_mu||_1 >= ||w_l1||_1");
        last = ex;
    }
    assert!(
        last < Float::with_val(prec, 1e-3),
        "excess l1 at 1e-4: {last}"
    );

    // a 50-point log-spaced list (given in increasing order) from 1e-4 to 1e6
    let mus: Vec<Rational> = (0..50)
        .map(|k| ten_pow(&(Rational::from(-4) + Rational::from((10 * k, 49)))))
        .collect();
    let path = qmu_path(&z, depth, &mus, prec).unwrap();
    let mut worst = Float::new(prec);
    let mut worst_step = Float::new(prec);
    let mut iters = 0;
    let mut excess = Vec::new();
    for (k, sol) in path.iter().enumerate() {
        assert_eq!(sol.mu, mus[k], "results in the input order");
        assert_certified(&z, sol);
        iters += sol.iterations;
        let r = sol.residuals.max();
        if r > worst {
            worst = r;
        }
        excess.push(norm1(&sol.w) / &wl1n - 1u32);
        if k > 0 {
            // continuity: neighbours a factor 10^(10/49) apart differ little
            let step = max_rel_diff(&sol.w, &path[k - 1].w);
            assert!(
                step < Float::with_val(prec, 0.05),
                "jump {step} at mu = {}",
                mus[k]
            );
            if step > worst_step {
                worst_step = step;
            }
        }
    }
    // unimodal in mu: strictly decreasing as mu falls below the peak, strictly increasing
    // as mu falls from 1e6 to the peak
    let peak = (0..excess.len())
        .max_by(|&a, &b| excess[a].partial_cmp(&excess[b]).unwrap())
        .unwrap();
    for k in 1..excess.len() {
        if k <= peak {
            assert!(
                excess[k] > excess[k - 1],
                "excess l1 not decreasing below the peak at mu = {}",
                mus[k]
            );
        } else {
            assert!(
                excess[k] < excess[k - 1],
                "excess l1 not increasing above the peak at mu = {}",
                mus[k]
            );
        }
    }
    println!(
        "D={depth}: 50-point path 1e-4..1e6: excess l1 {} at mu = 1e-4, peak {} at mu = {}, {} at mu = 1e6; \
         falls strictly for mu below the peak",
        fmt_sig(&excess[0], 6),
        fmt_sig(&excess[peak], 6),
        fmt_sig(&from_rational(64, &mus[peak]), 4),
        fmt_sig(&excess[49], 12),
    );
    println!(
        "D={depth}: 50-point path: worst residual {} (threshold {}), largest relative step {}, \
         {} Newton iterations in all",
        fmt_sig(&worst, 3),
        fmt_sig(&certificate_threshold(prec), 3),
        fmt_sig(&worst_step, 3),
        iters
    );
    // continuity under refinement: the midpoint of the largest step lies between
    let mid = solve_qmu(
        &z,
        depth,
        &ten_pow(&(Rational::from(-4) + Rational::from((10, 98)))),
        prec,
        None,
    )
    .unwrap();
    let d0 = max_rel_diff(&mid.w, &path[0].w);
    let d1 = max_rel_diff(&mid.w, &path[1].w);
    let d01 = max_rel_diff(&path[1].w, &path[0].w);
    assert!(d0 < d01 && d1 < d01);
}

#[test]
fn mu_extremes_depth_2() {
    mu_extremes(2);
}

#[test]
fn mu_extremes_depth_3() {
    mu_extremes(3);
}

#[test]
fn warm_start_and_path_order() {
    let prec = 128;
    let z = three_point();
    let mus = vec![q(1, 2), q(100, 1), q(1, 300), q(7, 1)];
    for depth in [2u32, 4] {
        let path = qmu_path(&z, depth, &mus, prec).unwrap();
        for (mu, sol) in mus.iter().zip(&path) {
            assert_eq!(&sol.mu, mu);
            let cold = solve_qmu(&z, depth, mu, prec, None).unwrap();
            let warm = solve_qmu(&z, depth, mu, prec, Some(&path[0].lambda)).unwrap();
            for other in [&cold, &warm] {
                let d = max_rel_diff(&other.w, &sol.w);
                assert!(d < pow2(prec, 40 - prec as i32), "D={depth} mu={mu}: {d}");
            }
        }
    }
}

#[test]
fn bad_input_is_rejected() {
    let z = three_point();
    assert!(matches!(
        solve_qmu(&z, 2, &q(0, 1), 128, None),
        Err(QmuError::NonPositiveMu)
    ));
    assert!(matches!(
        solve_qmu(&z, 3, &q(-1, 2), 128, None),
        Err(QmuError::NonPositiveMu)
    ));
    match solve_qmu(&z, 2, &q(1, 2), 32, None) {
        Err(e @ QmuError::PrecisionTooLow { prec: 32, needed }) => {
            assert!(needed >= 64);
            println!("precision 32: {e}");
        }
        other => panic!("expected PrecisionTooLow, got {other:?}"),
    }
    assert!(matches!(
        qmu_path(&z, 2, &[q(1, 1), q(0, 1)], 128),
        Err(QmuError::NonPositiveMu)
    ));
    let bad = vec![vec![q(1, 1), q(0, 1)], vec![q(-2, 1), q(0, 1)]];
    assert!(matches!(
        solve_qmu(&bad, 2, &q(1, 1), 128, None),
        Err(QmuError::NotSeparable)
    ));
    let e = solve_qmu(&z, 2, &q(0, 1), 128, None).unwrap_err();
    println!("mu = 0: {e}");
}

/// Degenerate data: three support vectors in the plane (lambda not unique; a basic set is
/// returned) and a duplicated point.
#[test]
fn degenerate_and_duplicate_rows() {
    let prec = 128;
    let degen = vec![
        vec![q(1, 1), q(1, 1)],
        vec![q(1, 1), q(-1, 1)],
        vec![q(1, 1), q(0, 1)],
    ];
    let dup = vec![
        vec![q(1, 1), q(2, 1)],
        vec![q(1, 1), q(2, 1)],
        vec![q(3, 1), q(-1, 1)],
    ];
    for depth in [2u32, 3] {
        for mu in [q(1, 1000), q(1, 1), q(1000, 1)] {
            let s = solve_qmu(&degen, depth, &mu, prec, None).unwrap();
            assert_certified(&degen, &s);
            // by symmetry w = (1, 0)
            assert!(Float::with_val(prec, &s.w[0] - 1u32).abs() < pow2(prec, 8 - prec as i32));
            assert!(Float::with_val(prec, s.w[1].abs_ref()) < pow2(prec, 8 - prec as i32));
            assert!(s.support.len() <= 2, "basic multipliers: {:?}", s.support);
            let s = solve_qmu(&dup, depth, &mu, prec, None).unwrap();
            assert_certified(&dup, &s);
            // both constraints active: w solves (1, 2).w = 1, (3, -1).w = 1: w = (3/7, 2/7)
            for (wi, want) in s.w.iter().zip([q(3, 7), q(2, 7)]) {
                assert!(Float::with_val(prec, wi - &want).abs() < pow2(prec, 8 - prec as i32));
            }
            assert!(s.support.len() <= 2, "basic multipliers: {:?}", s.support);
        }
    }
}

/// A small random rational num/den, |num| <= den <= 8.
fn small(g: &mut Lcg) -> Rational {
    let den = g.int(1, 8);
    let num = g.int(-den, den);
    q(num, den)
}

/// Separable by construction: labels from a random w*, points with |margin| < 1/10 dropped.
fn random_problem(seed: u64, n: usize, d: usize) -> Vec<Vec<Rational>> {
    let mut g = Lcg(seed);
    let wstar: Vec<Rational> = (0..d).map(|_| small(&mut g)).collect();
    let mut z = Vec::new();
    while z.len() < n {
        let x: Vec<Rational> = (0..d).map(|_| small(&mut g)).collect();
        let m: Rational = x
            .iter()
            .zip(&wstar)
            .map(|(a, b)| Rational::from(a * b))
            .sum();
        if Rational::from(m.abs_ref()) < q(1, 10) {
            continue;
        }
        let y = if m > 0 { 1 } else { -1 };
        z.push(x.into_iter().map(|v| v * y).collect());
    }
    z
}

/// Many more rows than dimensions, cold starts across the range of mu (exercises the
/// active-set changes and the reduction to basic multipliers), and the extremes.
#[test]
fn random_overdetermined_cold_starts() {
    let prec = 128;
    for (seed, n, d) in [(11u64, 60usize, 10usize), (7, 40, 5), (3, 5, 12)] {
        let z = random_problem(seed, n, d);
        for depth in [2u32, 3, 5] {
            for mu in [q(1, 100_000), q(1, 10), q(10, 1), q(100_000_000, 1)] {
                let s = solve_qmu(&z, depth, &mu, prec, None).unwrap();
                assert_certified(&z, &s);
                assert!(s.support.len() <= d);
                assert!(
                    s.iterations < 100,
                    "seed {seed} D={depth} mu={mu}: {} iterations",
                    s.iterations
                );
            }
        }
    }
}

/// Never an uncertified result: at very small mu (multipliers ~ 1/mu) the answer is either
/// certified independently or NotConverged.
#[test]
fn honest_failure_or_certified() {
    let z = three_point();
    for depth in [2u32, 3] {
        for k in [12u32, 30] {
            let mu = Rational::from((1, rug::Integer::from(10u32).pow(k)));
            match solve_qmu(&z, depth, &mu, 128, None) {
                Ok(s) => assert_certified(&z, &s),
                Err(QmuError::NotConverged { residual, .. }) => {
                    println!("D={depth} mu=1e-{k}: NotConverged: {residual}")
                }
                Err(e) => panic!("unexpected error {e}"),
            }
        }
    }
    // very large mu is fine (D >= 3 coordinates are evaluated without cancellation)
    for depth in [2u32, 3, 5] {
        let mu = Rational::from(rug::Integer::from(10u32).pow(40));
        let s = solve_qmu(&z, depth, &mu, 128, None).unwrap();
        assert_certified(&z, &s);
    }
}

#[test]
fn no_data_gives_zero() {
    let s = solve_qmu(&[], 2, &q(1, 2), 64, None).unwrap();
    assert!(s.w.is_empty() && s.lambda.is_empty() && s.support.is_empty());
}
