//! Arbitrary-precision numerics over MPFR: small dense LU (real and complex)
//! and polynomial root finding. Everything here is deterministic: the same
//! inputs and precision give bit-identical outputs.

pub mod aligned;
pub mod dot;
pub mod exact;
pub mod exp;
pub mod expmemo;
pub mod hessenberg;
pub mod lean;
pub mod linalg;
pub mod mul;
pub mod nnls;
pub mod poly;
pub mod rational;
pub mod serial;

use rug::float::Round;
use rug::ops::AssignRound;
use rug::{Float, Integer, Rational};

/// The version of ibcert's numerics: bumped whenever a result can change bit for bit
/// (the integrator, its controller, the references, the verification policy). It is
/// part of every job's identity, so results of different versions are never mixed.
pub const NUMERIC_VERSION: u32 = 27;

/// SHA-256 of bytes, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The smallest MPFR precision (bits) a computation may use: what a case file, an option
/// or a checkpoint may ask for.
pub const MIN_PRECISION: u32 = 64;
/// The largest MPFR precision (bits) a computation may use; the precision guard raises
/// no further.
pub const MAX_PRECISION: u32 = 1_000_000;

/// A new MPFR float of precision `prec` holding an exact rational, rounded to nearest.
pub fn from_rational(prec: u32, q: &Rational) -> Float {
    let mut f = Float::new(prec);
    f.assign_round(q, Round::Nearest);
    f
}

/// A new MPFR float of precision `prec` holding an integer, rounded to nearest.
pub fn from_integer(prec: u32, z: &Integer) -> Float {
    Float::with_val(prec, z)
}

/// The exact rational 10^-k.
pub fn ten_pow_neg(k: u32) -> Rational {
    Rational::from((1, Integer::from(Integer::u_pow_u(10, k))))
}

/// `2^e` at precision `prec` (exact).
pub fn pow2(prec: u32, e: i32) -> Float {
    Float::with_val(prec, Float::i_exp(1, e))
}

/// Number of correct decimal digits implied by a relative error `rel`
/// (floor of -log10 rel), clamped to `[0, cap]`. `rel == 0` gives `cap`.
pub fn digits_from_rel_error(rel: &Float, cap: u32) -> u32 {
    if rel.is_zero() {
        return cap;
    }
    if !rel.is_finite() {
        return 0;
    }
    let l = Float::with_val(64, rel.log10_ref());
    let d = (-l).floor();
    if d.is_sign_negative() {
        return 0;
    }
    match d.to_integer() {
        Some(z) => z.to_u32().map_or(cap, |v| v.min(cap)),
        None => 0,
    }
}

/// Relative difference ||a - b||_inf / ||b||_inf at precision `prec`: 0 when a = b,
/// +inf when b = 0 != a.
pub fn rel_diff_inf(prec: u32, a: &[Float], b: &[Float]) -> Float {
    let d: Vec<Float> = a
        .iter()
        .zip(b)
        .map(|(x, y)| Float::with_val(prec, x - y))
        .collect();
    let num = max_abs(prec, &d);
    if num.is_zero() {
        return num;
    }
    let den = max_abs(prec, b);
    if den.is_zero() {
        return Float::with_val(prec, rug::float::Special::Infinity);
    }
    num / den
}

/// Digits on which two scalars agree (relative), capped.
pub fn scalar_digits(a: &Float, b: &Float, cap: u32) -> u32 {
    let p = b.prec();
    if a == b {
        return cap;
    }
    let d = Float::with_val(p, a - b).abs();
    let s = Float::with_val(p, b.abs_ref());
    if s.is_zero() {
        return 0;
    }
    digits_from_rel_error(&(d / s), cap)
}

/// Digits on which two vectors agree (normwise relative, infinity norm), in `[0, cap]`.
pub fn agreeing_digits(a: &[Float], b: &[Float], cap: u32) -> u32 {
    let p = b.first().map_or(64, |x| x.prec());
    digits_from_rel_error(&rel_diff_inf(p, a, b), cap)
}

/// Decimal digits that a binary precision of `prec` bits can carry (floor(prec * log10 2)).
pub fn decimal_digits_of_bits(prec: u32) -> u32 {
    // log10(2) = 0.30102999566..., as the exact rational 30103/100000 rounded down.
    ((prec as u64 * 30102) / 100000) as u32
}

/// Maximum absolute value over a slice (0 for an empty slice), at precision `prec`.
pub fn max_abs(prec: u32, v: &[Float]) -> Float {
    let mut m = Float::new(prec);
    for x in v {
        if x.cmp_abs(&m) == Some(std::cmp::Ordering::Greater) {
            m.assign(x.abs_ref());
        }
    }
    m
}

use rug::Assign;

/// Euclidean norm of a slice at precision `prec`.
pub fn norm2(prec: u32, v: &[Float]) -> Float {
    let mut s = Float::new(prec);
    for x in v {
        s += Float::with_val(prec, x.square_ref());
    }
    s.sqrt()
}

/// l1 norm of a slice at precision `prec`.
pub fn norm1(prec: u32, v: &[Float]) -> Float {
    let mut s = Float::new(prec);
    for x in v {
        s += &*x.as_abs();
    }
    s
}

/// Render a float with `digits` significant decimal digits in scientific notation
/// (for display; the digits come from MPFR's correctly rounded conversion).
pub fn fmt_sig(x: &Float, digits: usize) -> String {
    if x.is_zero() {
        return "0".to_string();
    }
    if !x.is_finite() {
        return x.to_string();
    }
    let digits = digits.max(1);
    let s = x.to_string_radix_round(10, Some(digits), Round::Nearest);
    normalize_mpfr_string(&s)
}

/// The significant digits of `value` that an absolute error bound `err` leaves
/// (floor(log10(|value| / err)), at least 1, at most `cap`), or None when |value| <= err
/// (the value is not told from 0: show it as `<err`).
pub fn digits_above(value: &Float, err: &Float, cap: u32) -> Option<u32> {
    let p = value.prec().max(err.prec());
    let v = Float::with_val(p, value.abs_ref());
    if v <= *err || !v.is_finite() || !err.is_finite() {
        return None;
    }
    if err.is_zero() {
        return Some(cap);
    }
    Some(digits_from_rel_error(&Float::with_val(p, err / &v), cap).max(1))
}

/// A value with an absolute error bound: its digits above the error, or `<err` (the
/// bound rounded up) when the value is not told from 0.
pub fn fmt_bounded(value: &Float, err: &Float, cap: u32) -> String {
    match digits_above(value, err, cap) {
        Some(k) => fmt_sig(value, k as usize),
        None => format!("<{}", fmt_sig_up(err, 1)),
    }
}

/// [`fmt_sig`] rounded up (toward +infinity): for upper bounds shown as `<x` or `<= x`.
pub fn fmt_sig_up(x: &Float, digits: usize) -> String {
    if x.is_zero() || !x.is_finite() {
        return fmt_sig(x, digits);
    }
    let s = x.to_string_radix_round(10, Some(digits.max(1)), Round::Up);
    normalize_mpfr_string(&s)
}

/// MPFR prints e.g. `1.2345000e3`; keep the mantissa as is and normalize the exponent,
/// using plain notation for exponents in [-4, 15].
fn normalize_mpfr_string(s: &str) -> String {
    let (mant, exp) = match s.find('e') {
        Some(i) => (&s[..i], s[i + 1..].parse::<i64>().unwrap_or(0)),
        None => (s, 0),
    };
    let (sign, mant) = if let Some(m) = mant.strip_prefix('-') {
        ("-", m)
    } else {
        ("", mant)
    };
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    // position of the decimal point in `mant` relative to the digit string
    let int_len = mant.find('.').unwrap_or(mant.len()) as i64;
    let point = int_len + exp; // value = 0.digits * 10^point ... digits[..point].digits[point..]
    let n = digits.len() as i64;
    if (-3..=16).contains(&point) {
        if point <= 0 {
            format!("{sign}0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point >= n {
            format!("{sign}{}{}", digits, "0".repeat((point - n) as usize))
        } else {
            let (a, b) = digits.split_at(point as usize);
            format!("{sign}{a}.{b}")
        }
    } else {
        let (a, b) = digits.split_at(1);
        let e = point - 1;
        if b.is_empty() {
            format!("{sign}{a}e{e}")
        } else {
            format!("{sign}{a}.{b}e{e}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting() {
        let p = 128;
        assert_eq!(fmt_sig(&Float::with_val(p, 1234.5), 6), "1234.50");
        assert_eq!(fmt_sig(&Float::with_val(p, -0.00125), 3), "-0.00125");
        assert_eq!(fmt_sig(&Float::with_val(p, 1e20), 3), "1.00e20");
        assert_eq!(fmt_sig(&Float::with_val(p, 2.5e-7), 2), "2.5e-7");
        assert_eq!(fmt_sig(&Float::with_val(p, 7), 1), "7");
    }

    #[test]
    fn digits() {
        let p = 128;
        assert_eq!(digits_from_rel_error(&Float::with_val(p, 3e-41), 100), 40);
        assert_eq!(digits_from_rel_error(&Float::with_val(p, 0), 77), 77);
        assert_eq!(digits_from_rel_error(&Float::with_val(p, 2), 77), 0);
        assert_eq!(decimal_digits_of_bits(256), 77);
    }
}

/// Exact numbers written briefly, for the unit tests of the crate.
#[cfg(test)]
pub(crate) mod testing {
    use rug::Rational;

    /// num / den
    pub fn q(num: i64, den: i64) -> Rational {
        Rational::from((num, den))
    }

    /// a vector of integers
    pub fn qv(v: &[i64]) -> Vec<Rational> {
        v.iter().map(|&x| Rational::from(x)).collect()
    }

    /// The next value of a xorshift generator (state non-zero): deterministic random
    /// inputs for the kernels' tests.
    pub fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }
}
