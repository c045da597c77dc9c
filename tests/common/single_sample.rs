//! The single-sample (N = 1) regression answer computed independently of
//! `ibcert::model`, the references and the flow (docs/math.md §13.4): the equation
//! sum_i x_i W(x_i nu) = y by bisection with the test's own mirror map (the
//! u-parametrization of docs/math.md §2.3). Shared by tests/regression_reference.rs and
//! tests/regression_flow.rs.

use ibcert::num::from_rational;
use rug::ops::Pow;
use rug::{Float, Rational};

/// The root of an increasing `f` with f(2^lo) < 0 < f(2^hi): bisection on the exponent,
/// then `iters` halvings of the bracket at precision `p`; the bracket's midpoint.
pub fn bisect_increasing(
    p: u32,
    f: impl Fn(&Float) -> Float,
    lo: i32,
    hi: i32,
    iters: usize,
) -> Float {
    let pw = |e: i32| Float::with_val(p, Float::i_exp(1, e));
    let (mut lo, mut hi) = (lo, hi);
    assert!(f(&pw(lo)) < 0 && f(&pw(hi)) > 0);
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if f(&pw(mid)) < 0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let (mut l, mut h) = (pw(lo), pw(hi));
    for _ in 0..iters {
        let mid = Float::with_val(p, &l + &h) / 2u32;
        if f(&mid) < 0 {
            l = mid;
        } else {
            h = mid;
        }
    }
    Float::with_val(p, &l + &h) / 2u32
}

/// w and w' from the u-parametrization (docs/math.md §2.3), not the code's h_D form:
/// D = 2: u± = alpha e^{±2b}, w = u+^2 - u-^2, w' = 4 (u+^2 + u-^2);
/// D >= 3: u± = alpha (1 ∓ s)^(-1/(D-2)), w = u+^D - u-^D,
/// w' = D c / (D-2) [u+^D / (1-s) + u-^D / (1+s)], given 1 - s and 1 + s directly.
pub fn w_own(
    depth: u32,
    alpha: &Float,
    b: &Float,
    om: &Float,
    op: &Float,
    c: &Float,
) -> (Float, Float) {
    let p = alpha.prec();
    if depth == 2 {
        let e = Float::with_val(p, b * 2u32).exp();
        let up = Float::with_val(p, alpha * &e).square();
        let um = Float::with_val(p, alpha / &e).square();
        let w = Float::with_val(p, &up - &um);
        let dw = (up + um) * 4u32;
        return (w, dw);
    }
    let k = depth - 2;
    let up = (Float::with_val(p, om.root_ref(k)).recip() * alpha).pow(depth);
    let um = (Float::with_val(p, op.root_ref(k)).recip() * alpha).pow(depth);
    let w = Float::with_val(p, &up - &um);
    let dw = (Float::with_val(p, &up / om) + Float::with_val(p, &um / op)) * c * depth / k;
    (w, dw)
}

/// The single-sample answer (N = 1, y > 0) by bisection (docs/math.md §13.4): with
/// m = max |x_i|, r_i = |x_i| / m, the unknown is z = m nu (D = 2) or s = c m nu (D >= 3),
/// and f = sum |x_i| W(r_i z) - y is increasing. The bisection runs first on the binary
/// exponent of the unknown (or, for D >= 3 and alpha < 1, of v = 1 - s), then on its value.
/// Returns (w, nu) at precision p.
pub fn single_sample(
    depth: u32,
    alpha: &Rational,
    x: &[Rational],
    y: &Rational,
    p: u32,
) -> (Vec<Float>, Float) {
    let a = from_rational(p, alpha);
    let m = x.iter().map(|v| Rational::from(v.abs_ref())).max().unwrap();
    let r: Vec<Float> = x
        .iter()
        .map(|v| from_rational(p, &(Rational::from(v.abs_ref()) / &m)))
        .collect();
    let mf = from_rational(p, &m);
    let c = if depth == 2 {
        Float::with_val(p, 1)
    } else {
        Float::with_val(p, a.clone().pow(depth - 2)) * (depth * (depth - 2))
    };
    let use_v = depth > 2 && *alpha < 1;
    // w_i for the unknown u (z, s or v)
    let ws = |u: &Float| -> Vec<Float> {
        r.iter()
            .map(|ri| {
                if depth == 2 {
                    let b = Float::with_val(p, u * ri);
                    w_own(2, &a, &b, &b, &b, &c).0
                } else {
                    let (om, op) = if use_v {
                        // 1 - s_i = 1 - (1 - v) r_i = (1 - r_i) + v r_i
                        let om = Float::with_val(p, 1) - ri + Float::with_val(p, u * ri);
                        let s = Float::with_val(p, 1) - u;
                        (om, Float::with_val(p, s * ri) + 1u32)
                    } else {
                        let s = Float::with_val(p, u * ri);
                        (Float::with_val(p, 1) - &s, s + 1u32)
                    };
                    w_own(depth, &a, &Float::new(p), &om, &op, &c).0
                }
            })
            .collect()
    };
    let yf = from_rational(p, y);
    // increasing in the unknown (decreasing in v)
    let f = |u: &Float| -> Float {
        let mut s = -yf.clone();
        for (wi, ri) in ws(u).iter().zip(&r) {
            s += Float::with_val(p, wi * ri) * &mf;
        }
        if use_v {
            -s
        } else {
            s
        }
    };
    let hi = if depth == 2 {
        40
    } else if use_v {
        0
    } else {
        -1
    };
    let u = bisect_increasing(p, f, -40000, hi, 420);
    let w: Vec<Float> = ws(&u)
        .into_iter()
        .zip(x)
        .map(|(wi, xi)| if *xi < 0 { -wi } else { wi })
        .collect();
    let nu = if depth == 2 {
        u / &mf
    } else if use_v {
        (Float::with_val(p, 1) - u) / c / &mf
    } else {
        u / c / &mf
    };
    (w, nu)
}
