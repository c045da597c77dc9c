//! The one-limb kernel of [`dot_into`](super::dot_into): results and operands of at
//! most 64 bits (the Newton matrices' linear algebra, the error norms), the same sum as
//! the general kernel's in 128- and 256-bit integers.

use super::{finish, raw, scan_emax, Term, EXP_ZERO};
use gmp_mpfr_sys::mpfr;
use rug::{Assign, Float};

/// [`dot_into`](super::dot_into) for a result of at most one limb when every operand
/// has one limb (precision at most 64): the sum [`uniform_sum`](super::uniform_sum)
/// forms for L = 1, each product a 128-bit integer and the accumulators 256-bit, in the
/// same window with the same truncation, so the result is the same bit for bit (a unit
/// test compares the two). False (out untouched) when an operand is wider, NaN or
/// infinite.
pub(super) fn one_limb<'a, I>(out: &mut Float, terms: I) -> bool
where
    I: Iterator<Item = Term<'a>> + Clone,
{
    // pass 1: the largest product's exponent; any operand the kernel cannot take
    let Some(emax) = scan_emax(terms.clone(), |p| p <= 64) else {
        return false;
    };
    if emax == i64::MIN {
        out.assign(0);
        return true;
    }
    // pass 2: a product P = a b (or a 2^64 for a single operand) of exponent e is
    // P 2^(e - 128); in units of 2^(emax - 192), the accumulators' limb 0, with
    // d = emax - e = 64 q + r, uniform_sum adds floor(P / 2^r) 2^(64 (1 - q)), the
    // limbs below limb 0 dropped: (P >> r) << 64 for q = 0, P >> (d - 64) otherwise
    let (mut pos, mut neg) = ((0u128, 0u128), (0u128, 0u128));
    for t in terms {
        let ra = raw(t.a);
        if ra.exp == EXP_ZERO {
            continue;
        }
        // SAFETY: a regular number of at most 64 bits has one initialized limb
        let a = unsafe { *ra.d.as_ptr().cast::<u64>() };
        let (p, e, sign) = match t.b {
            Some(b) => {
                let rb = raw(b);
                if rb.exp == EXP_ZERO {
                    continue;
                }
                // SAFETY: as for a
                let bl = unsafe { *rb.d.as_ptr().cast::<u64>() };
                (
                    a as u128 * bl as u128,
                    ra.exp + rb.exp,
                    (ra.sign < 0) ^ (rb.sign < 0),
                )
            }
            None => ((a as u128) << 64, ra.exp, ra.sign < 0),
        };
        let d = (emax - e) as u64;
        let (lo, hi) = if d < 64 {
            let v = p >> d;
            (v << 64, v >> 64)
        } else if d < 192 {
            (p >> (d - 64), 0)
        } else {
            continue;
        };
        let acc = if sign ^ t.neg { &mut neg } else { &mut pos };
        let (l, c) = acc.0.overflowing_add(lo);
        acc.0 = l;
        acc.1 = acc.1.wrapping_add(hi).wrapping_add(c as u128);
    }
    // the magnitude and sign of pos - neg
    let (negative, (lo, hi)) = if (pos.1, pos.0) >= (neg.1, neg.0) {
        (false, sub256(pos, neg))
    } else {
        (true, sub256(neg, pos))
    };
    if !set_rounded_256(out, lo, hi, negative, emax - 192) {
        let limbs =
            |(lo, hi): (u128, u128)| [lo as u64, (lo >> 64) as u64, hi as u64, (hi >> 64) as u64];
        finish(out, &mut limbs(pos), &mut limbs(neg), emax);
    }
    true
}

/// a - b for 256-bit (low, high) pairs, a >= b.
fn sub256(a: (u128, u128), b: (u128, u128)) -> (u128, u128) {
    let (lo, borrow) = a.0.overflowing_sub(b.0);
    (lo, a.1 - b.1 - borrow as u128)
}

/// out := (-1)^negative (hi 2^128 + lo) 2^shift rounded to nearest (ties to even) at
/// out's precision of at most 64 bits: [`set_rounded`](super::set_rounded) for a
/// 256-bit magnitude, the same result; false (out untouched) where that would be false.
fn set_rounded_256(out: &mut Float, lo: u128, hi: u128, negative: bool, shift: i64) -> bool {
    let prec = out.prec();
    debug_assert!((1..=64).contains(&prec));
    // the magnitude normalized to its top 128 bits (top bit set), and whether any bit
    // below them is set; t: the magnitude's top bit position
    let (top, sticky, t) = if hi != 0 {
        let lz = hi.leading_zeros();
        let top = if lz == 0 {
            hi
        } else {
            (hi << lz) | (lo >> (128 - lz))
        };
        (top, lo << lz != 0, 255 - lz as i64)
    } else if lo != 0 {
        let lz = lo.leading_zeros();
        (lo << lz, false, 127 - lz as i64)
    } else {
        out.assign(0);
        return true;
    };
    // keep prec bits; the rest decides the rounding
    let drop = 128 - prec;
    let mut kept = top >> drop;
    let rest = top & ((1u128 << drop) - 1);
    let half = 1u128 << (drop - 1);
    let mut exp = t + 1 + shift;
    if rest > half || (rest == half && (sticky || kept & 1 == 1)) {
        kept += 1;
        // a carry out of the prec bits: the mantissa 2^prec, that is 1/2 at exp + 1
        if kept >> prec != 0 {
            kept >>= 1;
            exp += 1;
        }
    }
    let kept = kept as u64;
    // SAFETY: reading MPFR's exponent range has no preconditions
    let (emin, emax) = unsafe { (mpfr::get_emin() as i64, mpfr::get_emax() as i64) };
    if exp < emin || exp > emax {
        return false;
    }
    // SAFETY: out is an initialized MPFR number of at most 64 bits, so it owns one limb;
    // the mantissa written is normalized (top bit set, the unused low bits clear) and
    // the exponent is in range: a regular MPFR number.
    unsafe {
        let r = &mut *out.as_raw_mut();
        *r.d.as_ptr().cast::<u64>() = kept << (64 - prec);
        r.exp = exp as mpfr::exp_t;
        r.sign = if negative { -1 } else { 1 };
    }
    true
}
