//! Unit tests of the coordinate functions.

use super::coords::{exp_of, exponent_e};
use super::*;
use std::cmp::Ordering;

fn ulps(a: &Float, b: &Float) -> Float {
    let p = a.prec();
    let d = Float::with_val(p, a - b).abs();
    let u = Float::with_val(p, Float::i_exp(1, exp_of(b) as i32 - p as i32));
    d / u
}

#[test]
fn h_inverse_round_trip_and_last_bits() {
    let p = 256;
    for depth in [3u32, 4, 5, 10] {
        for zs in [
            "1e-300", "1e-40", "3e-20", "1e-3", "0.37", "1", "2.5", "17", "1e6", "1e15", "1e30",
        ] {
            for sign in [1i32, -1] {
                let z = Float::with_val(p, Float::parse(zs).unwrap()) * sign;
                let a = h_d_inv(depth, &z);
                assert!(a.cmp_abs(&Float::with_val(p, 1)) == Some(Ordering::Less));
                // the same inverse at 128 more bits, rounded: within 1 ulp
                let zh = Float::with_val(p + 128, &z);
                let ah = Float::with_val(p, h_d_inv(depth, &zh));
                assert!(ulps(&a, &ah) <= 1, "D={depth} z={zs}: {a} vs {ah}");
                // h(a) = z up to the conditioning h'(a) ulp(a) / z
                let back = h_d(depth, &Float::with_val(p + 64, &a));
                let rel = Float::with_val(p, &back - &zh).abs() / z.clone().abs();
                let hp = h_d_prime(depth, &Float::with_val(p + 64, &a));
                let cond = Float::with_val(p, &hp * &a).abs() / z.clone().abs();
                let bound = (cond + 1u32) * Float::with_val(p, Float::i_exp(1, 2 - p as i32));
                assert!(
                    rel <= bound,
                    "D={depth} z={zs}: h(h^-1(z)) rel err {rel} bound {bound} hp {hp}"
                );
                // odd
                assert_eq!(h_d_inv(depth, &Float::with_val(p, -&z)), -a.clone());
            }
        }
    }
}

#[test]
fn h_d_2_is_two_sinh() {
    let p = 128;
    let s = Float::with_val(p, 0.75);
    let h = h_d(2, &s);
    assert_eq!(h, Float::with_val(p, s.sinh_ref()) * 2u32);
    assert_eq!(h_d_inv(2, &h), s);
}

#[test]
fn q_small_and_zero() {
    let p = 200;
    for depth in [2u32, 3, 6] {
        assert!(q_d(depth, &Float::new(p)).is_zero());
        // q(z) = z^2 / (4e) + O(z^4) (D = 2: e = 1)
        let z = Float::with_val(p, Float::i_exp(1, -40));
        let e = if depth == 2 {
            Float::with_val(p, 1)
        } else {
            exponent_e(depth, p)
        };
        let approx = Float::with_val(p, z.square_ref()) / e / 4u32;
        let rel = (q_d(depth, &z) - &approx).abs() / &approx;
        assert!(
            rel < Float::with_val(p, Float::i_exp(1, -75)),
            "D={depth}: {rel}"
        );
    }
}

/// `h_D` is implemented twice, on purpose: [`h_d`] here (the `Q_mu` reference: results at
/// the precision of the argument with adaptive guard bits, `2 e s` for tiny `|s|`) and
/// `crate::model::Mirror` (the flow's mirror map: a fixed precision without guard bits,
/// `(1+s)^(-e) expm1(2 e atanh s)` for `|s| < 1/4`). They are kept independent rather than
/// one calling the other: the model layer may not call the reference layer, routing
/// [`h_d`] through `Mirror` would change the reference's last bits (and its cost, and bring
/// in the scaling by `alpha` and `c`), and two implementations with different formulas and
/// branch points check each other. This test is that cross-check.
///
/// Scalings (docs/math.md §2.2 and §6.2): `Mirror` gives `w = alpha^D h_D(c beta)`,
/// `c = alpha^(D-2) D (D-2)`, for D >= 3, and `w = 2 alpha^2 sinh(4 beta) = alpha^2 h_2(4 beta)`
/// for D = 2 (the code's `h_2(s) = 2 sinh s`). With `alpha = 1` (`alpha^D = 1`, `c = D (D-2)`
/// exactly) and `beta` rounded to `p - 8` bits, `s = c beta` (D = 2: `4 beta`) is exact at
/// `p` bits, so both sides see the same `s`; `Mirror::w(beta)` must equal `h_d(D, s)` from
/// `|s| = 1e-300` to `1 - |s| = 1e-20`, at 128 and 512 bits.
///
/// Tolerance `2 D + 5` ulps (relative to the result). [`h_d`] is correctly rounded here (it
/// is also checked against itself at 128 more bits, within 1 ulp); the rest is `Mirror`'s,
/// which has no guard bits: `(1 -+ s)^(-e) = 1 / r^D` with `r` a correctly rounded root
/// carries about `D/2 + 1` ulps (the root's half ulp raised to the power D), and for
/// `|s| >= 1/4` the difference `u - v` multiplies that by `(u + v) / (u - v) <= 4`
/// (`v / u < 3/5`, docs/math.md §2.4); the small-`|s|` branch is below that. Measured:
/// at most 1, 3, 4, 11 ulps for D = 2, 3, 4, 10, the 11 at D = 10, `s = ±1/4` (the
/// plain-difference side of the Mirror's branch point), at both precisions.
#[test]
fn h_d_agrees_with_the_mirror_map() {
    use crate::model::Mirror;
    use rug::Rational;
    // (x, near_one): s = x, or s = 1 - x when near_one; both signs of s
    let cases: [(&str, bool); 13] = [
        ("1e-300", false),
        ("1e-80", false),
        ("1e-30", false),
        ("1e-20", false),
        ("1e-10", false),
        ("0.1", false),
        ("0.2499", false),
        ("0.25", false),
        ("0.5", false),
        ("0.9", false),
        ("0.999", false),
        ("1e-10", true),
        ("1e-20", true),
    ];
    for depth in [2u32, 3, 4, 10] {
        let tol = 2 * depth + 5;
        let mut worst = Float::new(64);
        for p in [128u32, 512] {
            let m = Mirror::new(depth, &Rational::from(1), p);
            assert_eq!(m.alpha_d, 1);
            let c = if depth == 2 {
                Float::with_val(p, 4)
            } else {
                m.c().clone()
            };
            for (x, near_one) in cases {
                for sign in [1i32, -1] {
                    let hp = p + 128;
                    let x = Float::with_val(hp, Float::parse(x).unwrap());
                    let target = if near_one { 1 - x } else { x } * sign;
                    let beta = Float::with_val(p, Float::with_val(p - 8, &target / &c));
                    let s = Float::with_val(p, &beta * &c);
                    assert_eq!(Float::with_val(p + 16, &beta * &c), s, "s = c beta exactly");
                    assert!(s.cmp_abs(&Float::with_val(p, 1)) == Some(Ordering::Less));
                    let from_model = m.w(&beta);
                    let from_qmu = h_d(depth, &s);
                    assert_eq!((from_model.prec(), from_qmu.prec()), (p, p));
                    let more = Float::with_val(p, h_d(depth, &Float::with_val(hp, &s)));
                    assert!(
                        ulps(&from_qmu, &more) <= 1,
                        "p = {p}, D = {depth}, s = {s}: h_d {from_qmu} vs {more} at {hp} bits"
                    );
                    let u = ulps(&from_model, &from_qmu);
                    assert!(
                        u <= tol,
                        "p = {p}, D = {depth}, s = {s}: Mirror::w {from_model} vs h_d {from_qmu} \
                         ({} ulps, tolerance {tol})",
                        u.to_f64()
                    );
                    if u > worst {
                        worst = u;
                    }
                }
            }
        }
        println!(
            "D = {depth}: Mirror::w and h_d differ by at most {} ulps (tolerance {tol})",
            worst.to_f64()
        );
    }
}
