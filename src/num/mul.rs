//! Products of MPFR numbers of a few whole limbs, rounded to nearest: MPFR's
//! `mpfr_mul` bit for bit, at a fraction of its cost.
//!
//! The working precisions are whole limbs (128 to 256 bits on the bundled cases), and
//! the flows' right-hand sides, mirror maps and predictors make hundreds of thousands
//! of products of two such numbers into a third of the same width. For two to four
//! limbs (MPFR's one-limb product is as fast as this), the
//! exact product of the mantissas is formed column by column (the limb count a constant
//! of the instance), normalized by at most one bit and rounded to nearest, ties to even.
//! Both this and MPFR's result are the exact product correctly rounded, so they are the
//! same bits. MPFR keeps every other case: zeros, NaN, infinities, other widths, and
//! results outside its exponent range (overflow, underflow and their flags).

use super::dot::{comba, write_regular, EXP_INF};
use gmp_mpfr_sys::mpfr;
use rug::{Assign, Float};

// the kernel reads 64-bit limbs and exponents, as num::dot's
const _: () = assert!(std::mem::size_of::<mpfr::exp_t>() == 8);
const _: () = assert!(std::mem::size_of::<gmp_mpfr_sys::gmp::limb_t>() == 8);

/// out := a b, rounded to nearest at out's precision (MPFR's result bit for bit).
#[inline]
pub fn mul(out: &mut Float, a: &Float, b: &Float) {
    if !mul_fast(out, a, b) {
        out.assign(a * b);
    }
}

/// x := x b, rounded to nearest at x's precision (MPFR's result bit for bit).
#[inline]
pub fn mul_assign(x: &mut Float, b: &Float) {
    let a = raw_parts(x);
    if !mul_parts(x, a, b) {
        *x *= b;
    }
}

/// A new value of precision `prec` holding a b rounded to nearest.
#[inline]
pub fn mul_new(prec: u32, a: &Float, b: &Float) -> Float {
    let mut out = Float::new(prec);
    mul(&mut out, a, b);
    out
}

/// An operand's precision, exponent, sign and mantissa (up to four limbs, copied: the
/// result may overwrite it).
#[derive(Clone, Copy)]
struct Parts {
    prec: i64,
    exp: i64,
    neg: bool,
    limbs: [u64; 4],
}

#[inline(always)]
fn raw_parts(f: &Float) -> Parts {
    // SAFETY: reading the fields of an initialized MPFR number; its mantissa holds
    // ceil(prec / 64) initialized limbs when it is regular, and only those (at most
    // four) are read
    unsafe {
        let r = &*f.as_raw();
        let mut limbs = [0u64; 4];
        let len = (r.prec as usize).div_ceil(64);
        if r.exp > EXP_INF && len <= 4 {
            let d = std::slice::from_raw_parts(r.d.as_ptr().cast::<u64>(), len);
            limbs[..len].copy_from_slice(d);
        }
        Parts {
            prec: r.prec,
            exp: r.exp,
            neg: r.sign < 0,
            limbs,
        }
    }
}

/// The fast path of [`mul`]: false (out untouched) where MPFR must compute it.
#[inline]
fn mul_fast(out: &mut Float, a: &Float, b: &Float) -> bool {
    mul_parts(out, raw_parts(a), b)
}

#[inline(always)]
fn mul_parts(out: &mut Float, a: Parts, b: &Float) -> bool {
    let b = raw_parts(b);
    let prec = out.prec() as i64;
    if a.exp <= EXP_INF || b.exp <= EXP_INF || a.prec != prec || b.prec != prec || prec % 64 != 0 {
        return false;
    }
    let neg = a.neg ^ b.neg;
    let e = a.exp + b.exp;
    // (one limb: MPFR's own one-limb product is as fast)
    match prec / 64 {
        2 => whole::<2, 4>(out, &a, &b, e, neg),
        3 => whole::<3, 6>(out, &a, &b, e, neg),
        4 => whole::<4, 8>(out, &a, &b, e, neg),
        _ => false,
    }
}

/// out := (-1)^neg A B 2^(e - 128 L) rounded to nearest at 64 L bits, for L-limb
/// mantissas A and B (top bits set); false (out untouched) outside MPFR's exponent
/// range.
#[inline(always)]
fn whole<const L: usize, const P: usize>(
    out: &mut Float,
    a: &Parts,
    b: &Parts,
    e: i64,
    neg: bool,
) -> bool {
    let a: &[u64; L] = a.limbs[..L].try_into().expect("L limbs");
    let b: &[u64; L] = b.limbs[..L].try_into().expect("L limbs");
    let mut p = [0u64; P];
    comba(a, b, &mut p);
    // A B is in [2^(128L - 2), 2^(128L)): at most one leading zero
    let mut exp = e;
    if p[P - 1] >> 63 == 0 {
        for j in (1..P).rev() {
            p[j] = (p[j] << 1) | (p[j - 1] >> 63);
        }
        p[0] <<= 1;
        exp -= 1;
    }
    // the top L limbs are the mantissa; the bit below decides, the rest is sticky
    let round = p[L - 1] >> 63 == 1;
    let mut m = [0u64; L];
    m.copy_from_slice(&p[L..]);
    if round {
        let sticky = p[L - 1] << 1 != 0 || p[..L - 1].iter().any(|&x| x != 0);
        if sticky || m[0] & 1 == 1 {
            let mut carry = true;
            for x in m.iter_mut() {
                let (v, c) = x.overflowing_add(1);
                *x = v;
                carry = c;
                if !carry {
                    break;
                }
            }
            if carry {
                m[L - 1] = 1u64 << 63;
                exp += 1;
            }
        }
    }
    write_regular(out, &m, exp, neg)
}

#[cfg(test)]
mod tests;
