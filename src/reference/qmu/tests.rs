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
