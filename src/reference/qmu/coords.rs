//! The coordinate functions of `Q^D_mu` (module docs of `qmu`): `h_D`, its derivative and
//! inverse, `q^D`, and the maps built from them coordinate by coordinate (`Q_mu`, its
//! gradient, the stationarity map).

use crate::num::from_rational;
use rug::ops::Pow;
use rug::{Assign, Float, Rational};
use std::cmp::Ordering;

/// `e = D/(D-2)` at precision `p` (D >= 3).
pub(super) fn exponent_e(depth: u32, p: u32) -> Float {
    from_rational(p, &Rational::from((depth, depth - 2)))
}

/// For `x > 0` (D >= 3) returns `(x^(-e), x^(-2/(D-2)))` at precision `p`, from one
/// correctly rounded root `r = x^(1/(D-2))`: `(r^-D, r^-2)`.
pub(super) fn neg_powers(depth: u32, x: &Float, p: u32) -> (Float, Float) {
    let r = if depth == 3 {
        Float::with_val(p, x)
    } else {
        Float::with_val(p, x.root_ref(depth - 2))
    };
    let rd = Float::with_val(p, (&r).pow(depth)).recip();
    let r2 = Float::with_val(p, r.square_ref()).recip();
    (rd, r2)
}

pub(super) fn nan(p: u32) -> Float {
    Float::with_val(p, rug::float::Special::Nan)
}

/// Binary exponent of a finite non-zero float (`x = m 2^exp`, `m` in [1/2, 1)).
pub(super) fn exp_of(x: &Float) -> i64 {
    x.get_exp().map_or(0, i64::from)
}

/// `h_D(s)`: D = 2: `2 sinh(s)`; D >= 3: `(1-s)^(-e) - (1+s)^(-e)` for `|s| < 1`
/// (NaN outside). Result at the precision of `s`, accurate to a few ulp (guard bits
/// grow with `log2(1/|s|)` to absorb the cancellation near 0).
pub fn h_d(depth: u32, s: &Float) -> Float {
    assert!(depth >= 2, "depth must be >= 2");
    let p = s.prec();
    if depth == 2 {
        // s * 2 is exact; sinh is correctly rounded
        return Float::with_val(p, s.sinh_ref()) * 2u32;
    }
    if s.is_zero() {
        return s.clone();
    }
    if !s.is_finite() || s.cmp_abs(&Float::with_val(8, 1)) != Some(Ordering::Less) {
        return nan(p);
    }
    let ex = exp_of(s);
    if ex < -(i64::from(p) / 2 + 4) {
        // h(s) = 2 e s (1 + O(s^2)), s^2 < 2^-(p+8)
        let e = exponent_e(depth, p + 16);
        return Float::with_val(p, Float::with_val(p + 16, s * e) * 2u32);
    }
    let q = p + 16 + (-ex).max(0) as u32;
    // 1 -+ s are exact at q bits (s has p bits and exponent ex >= -(q - p - 16))
    let om = Float::with_val(q, 1) - s;
    let op = Float::with_val(q, 1) + s;
    let (u, _) = neg_powers(depth, &om, q);
    let (v, _) = neg_powers(depth, &op, q);
    Float::with_val(p, u - v)
}

/// `h_D'(s)`: D = 2: `2 cosh(s)`; D >= 3: `e [(1-s)^(-e-1) + (1+s)^(-e-1)]` (no cancellation).
pub fn h_d_prime(depth: u32, s: &Float) -> Float {
    assert!(depth >= 2, "depth must be >= 2");
    let p = s.prec();
    if depth == 2 {
        return Float::with_val(p, s.cosh_ref()) * 2u32;
    }
    if !s.is_finite() || s.cmp_abs(&Float::with_val(8, 1)) != Some(Ordering::Less) {
        return nan(p);
    }
    let q = p + 16;
    let om = Float::with_val(q, 1) - s;
    let op = Float::with_val(q, 1) + s;
    let (u, _) = neg_powers(depth, &om, q);
    let (v, _) = neg_powers(depth, &op, q);
    let sum = Float::with_val(q, &u / &om) + Float::with_val(q, &v / &op);
    Float::with_val(p, sum * exponent_e(depth, q))
}

/// For `z > 0` finite, `D >= 3`, at working precision `q`: `(a, t)` with `a = h_D^{-1}(z)`
/// and `t = 1 - a`, both accurate relative to themselves.
///
/// Safeguarded Newton in `v = -ln(1 - a)` (so `a = -expm1(-v)`, `1 - a = e^-v`) on
/// `L(v) = ln h_D(a(v)) - ln z`, which is increasing and concave, bracketed in
/// `(0, ln(1 + z)/e + 1)`, with bisection whenever Newton leaves the bracket.
fn h_inv_pos(depth: u32, z: &Float, q: u32) -> (Float, Float) {
    let e = exponent_e(depth, q);
    let zq = Float::with_val(q, z);
    let lnz = Float::with_val(q, zq.ln_ref());
    let one = Float::with_val(q, 1);
    // L(hi) > 0: (1-a)^-e = exp(e v) > e^e (1 + z) and (1+a)^-e < 1
    let mut lo = Float::new(q);
    let mut hi = Float::with_val(q, &zq + 1u32).ln() / &e + 1u32;
    let mut v = if zq <= one {
        let a0 = Float::with_val(q, &zq / &e) / 2u32;
        -Float::with_val(q, -a0).ln_1p()
    } else {
        Float::with_val(q, &zq + 1u32).ln() / &e
    };
    if !(v > lo && v < hi) {
        v = Float::with_val(q, &lo + &hi) / 2u32;
    }
    let tol_bits = q as i32 - 12;
    for _ in 0..(4 * q as usize + 100) {
        // L(v) and L'(v)
        let t = Float::with_val(q, -&v).exp(); // 1 - a
        let op = Float::with_val(q, 2u32) - &t; // 1 + a
        let u = Float::with_val(q, &e * &v).exp(); // (1-a)^-e
        let (vv, _) = neg_powers(depth, &op, q); // (1+a)^-e
        let h = Float::with_val(q, &u - &vv);
        let (l, dl) = if h.is_sign_positive() && !h.is_zero() {
            let l = Float::with_val(q, h.ln_ref()) - &lnz;
            let mut dl = Float::with_val(q, &vv * &t) / &op;
            dl += &u;
            dl *= &e;
            dl /= &h;
            (l, Some(dl))
        } else {
            (Float::with_val(q, rug::float::Special::NegInfinity), None)
        };
        if l.is_zero() {
            break;
        }
        if l.is_sign_negative() {
            lo.assign(&v);
        } else {
            hi.assign(&v);
        }
        let mut vn = match dl {
            Some(dl) if dl.is_finite() && !dl.is_zero() => Float::with_val(q, &v - l / dl),
            _ => nan(q),
        };
        if !(vn > lo && vn < hi) {
            vn = Float::with_val(q, &lo + &hi) / 2u32;
        }
        let step = Float::with_val(q, &vn - &v).abs();
        v = vn;
        let width = Float::with_val(q, &hi - &lo);
        let scale = Float::with_val(q, Float::i_exp(1, -tol_bits)) * &v;
        if step <= scale || width <= scale {
            break;
        }
    }
    let t = Float::with_val(q, -&v).exp();
    let a = -Float::with_val(q, -&v).exp_m1();
    (a, t)
}

/// `h_D^{-1}(z)`: D = 2: `asinh(z/2)`; D >= 3: the unique `a` in (-1, 1) with `h_D(a) = z`
/// (odd; `±1` for `z = ±inf`). Result at the precision of `z`, computed with guard bits by
/// the safeguarded Newton iteration of `h_inv_pos`, so the result is the inverse to the
/// last bits for any finite `z` (tested up to `|z| = 10^30` and down to `10^-300`).
pub fn h_d_inv(depth: u32, z: &Float) -> Float {
    assert!(depth >= 2, "depth must be >= 2");
    let p = z.prec();
    if depth == 2 {
        return Float::with_val(p, z / 2u32).asinh();
    }
    if z.is_nan() || z.is_zero() {
        return z.clone();
    }
    let neg = z.is_sign_negative();
    let za = Float::with_val(p, z.abs_ref());
    let a = if za.is_infinite() {
        Float::with_val(p, 1)
    } else {
        let ex = exp_of(&za);
        if ex < -(i64::from(p) / 2 + 4) {
            // h^{-1}(z) = z / (2e) (1 + O(z^2)), z^2 < 2^-(p+8)
            let e = exponent_e(depth, p + 16);
            Float::with_val(p, Float::with_val(p + 16, &za / e) / 2u32)
        } else {
            // small z: h(a) = U - V cancels to 2 e a, so add log2(1/z) guard bits
            let q = p + 32 + (-ex).max(0) as u32;
            let (a, _) = h_inv_pos(depth, &za, q);
            Float::with_val(p, a)
        }
    };
    if neg {
        -a
    } else {
        a
    }
}

/// `q^D(z)`: D = 2: `2 - sqrt(4 + z^2) + z asinh(z/2)`; D >= 3: `∫_0^z h_D^{-1}(s) ds`
/// `= z a - [(1-a)^(1-e) + (1+a)^(1-e) - 2] / (e - 1)`, `a = h_D^{-1}(z)` (even in z).
/// Result at the precision of `z`.
pub fn q_d(depth: u32, z: &Float) -> Float {
    assert!(depth >= 2, "depth must be >= 2");
    let p = z.prec();
    if z.is_nan() {
        return z.clone();
    }
    if z.is_zero() {
        return Float::new(p);
    }
    if depth == 2 {
        // 2 - sqrt(4 + z^2) = -z^2 / (2 + sqrt(4 + z^2)): at most one bit cancels
        let q = p + 16;
        let z2 = Float::with_val(q, z.square_ref());
        let den = Float::with_val(q, &z2 + 4u32).sqrt() + 2u32;
        let t = Float::with_val(q, &z2 / &den);
        let asz = Float::with_val(q, z / 2u32).asinh() * z;
        return Float::with_val(p, asz - t);
    }
    let za = Float::with_val(p, z.abs_ref());
    if za.is_infinite() {
        return za;
    }
    let ex = exp_of(&za);
    if ex < -(i64::from(p) / 2 + 4) {
        // q(z) = z^2 / (4 e) (1 + O(z^2))
        let e = exponent_e(depth, p + 16);
        let z2 = Float::with_val(p + 16, za.square_ref());
        return Float::with_val(p, z2 / e / 4u32);
    }
    // the bracket cancels to O(a^2): 2 log2(1/z) guard bits
    let q = p + 32 + 2 * (-ex).max(0) as u32;
    let (a, t) = h_inv_pos(depth, &Float::with_val(q, &za), q);
    let op = Float::with_val(q, 2u32) - &t; // 1 + a
    let (_, ro2) = neg_powers(depth, &t, q); // (1-a)^(1-e)
    let (_, rp2) = neg_powers(depth, &op, q); // (1+a)^(1-e)
                                              // 1/(e-1) = (D-2)/2
    let mut psi = Float::with_val(q, &ro2 + &rp2) - 2u32;
    psi *= depth - 2;
    psi /= 2u32;
    let za_a = Float::with_val(q, &za * &a);
    Float::with_val(p, za_a - psi)
}

/// `q^D'(z) = h_D^{-1}(z)` (D = 2: `asinh(z/2)`).
pub fn q_d_prime(depth: u32, z: &Float) -> Float {
    h_d_inv(depth, z)
}

/// Precision of a slice of floats (the largest; 64 for an empty slice).
fn slice_prec(w: &[Float]) -> u32 {
    w.iter().map(Float::prec).max().unwrap_or(64)
}

/// `Q^D_mu(w) = sum_i q^D(w_i / mu)` at the precision of `w` (the largest of its entries).
pub fn q_mu(depth: u32, mu: &Rational, w: &[Float]) -> Float {
    let p = slice_prec(w);
    let q = p + 32;
    let mut s = Float::new(q);
    for wi in w {
        let x = Float::with_val(q, wi / mu);
        s += q_d(depth, &x);
    }
    Float::with_val(p, s)
}

/// `grad Q^D_mu(w)_i = (1/mu) h_D^{-1}(w_i / mu)` at the precision of `w`.
pub fn grad_q_mu(depth: u32, mu: &Rational, w: &[Float]) -> Vec<Float> {
    let p = slice_prec(w);
    grad_q_mu_at(depth, mu, w, p)
}

pub(super) fn grad_q_mu_at(depth: u32, mu: &Rational, w: &[Float], p: u32) -> Vec<Float> {
    w.iter()
        .map(|wi| {
            let x = Float::with_val(p, wi / mu);
            Float::with_val(p, h_d_inv(depth, &x) / mu)
        })
        .collect()
}

/// The stationarity map `w_i = mu h_D(mu theta_i)` (the inverse of [`grad_q_mu`]) at the
/// precision of `theta`. For D >= 3 entries with `|mu theta_i| >= 1` are NaN.
pub fn stationary_w(depth: u32, mu: &Rational, theta: &[Float]) -> Vec<Float> {
    theta
        .iter()
        .map(|t| {
            let p = t.prec();
            let s = Float::with_val(p + 16, t * mu);
            let h = h_d(depth, &s);
            Float::with_val(p, h * mu)
        })
        .collect()
}
