//! The last step of the kernels that round on their own: a magnitude rounded to
//! nearest (ties to even) at the output's precision, and the rounded mantissa written
//! into the output where MPFR's exponent range allows.

use super::MAX_LIMBS;
use gmp_mpfr_sys::mpfr;
use rug::{Assign, Float};

/// out := (-1)^negative mag 2^shift rounded to nearest (ties to even) at out's
/// precision, written into its limbs; false (out untouched) when the result's exponent
/// is outside MPFR's current range or out is wider than the fast path's limbs.
pub(in crate::num) fn set_rounded(
    out: &mut Float,
    mag: &[u64],
    negative: bool,
    shift: i64,
) -> bool {
    let Some(t) = mag.iter().rposition(|&x| x != 0) else {
        out.assign(0);
        return true;
    };
    let prec = out.prec() as usize;
    let lo = prec.div_ceil(64);
    if lo > MAX_LIMBS {
        return false;
    }
    // mag shifted left so that limb t has its top bit set: only the mantissa's limbs are
    // formed; the bits below them are read from mag where they lie
    let lz = mag[t].leading_zeros();
    let norm = |j: usize| {
        let below = if j > 0 && lz > 0 {
            mag[j - 1] >> (64 - lz)
        } else {
            0
        };
        (mag[j] << lz) | below
    };
    // whether the shifted limbs 0..=r hold a bit: all of mag's limbs below r, and limb
    // r's bits that are not shifted up into limb r + 1
    let any_up_to = |r: usize| mag[r] << lz != 0 || mag[..r].iter().any(|&x| x != 0);
    // the mantissa: the top lo limbs (zeros below limb 0), the rest decides the rounding
    let mut m = [0u64; MAX_LIMBS];
    for (k, mk) in m[..lo].iter_mut().enumerate() {
        if let Some(j) = (t + k + 1).checked_sub(lo) {
            *mk = norm(j);
        }
    }
    // the top limb below the mantissa, if any
    let rest = (t + 1).checked_sub(lo + 1);
    let unused = (64 * lo - prec) as u32;
    let (round, sticky) = if unused > 0 {
        let r = (m[0] >> (unused - 1)) & 1 == 1;
        let below = m[0] & ((1u64 << (unused - 1)) - 1) != 0;
        let lower = rest.is_some_and(any_up_to);
        m[0] &= !((1u64 << unused) - 1);
        (r, below || lower)
    } else if let Some(rest) = rest {
        let top = norm(rest);
        let r = top >> 63 == 1;
        let below = top << 1 != 0 || rest.checked_sub(1).is_some_and(any_up_to);
        (r, below)
    } else {
        (false, false)
    };
    let mut exp = (64 * t as i64 + 64 - lz as i64) + shift;
    let odd = (m[0] >> unused) & 1 == 1;
    if round && (sticky || odd) {
        let mut carry = true;
        let mut add = 1u64 << unused;
        for x in m[..lo].iter_mut() {
            let (v, c) = x.overflowing_add(add);
            *x = v;
            carry = c;
            add = 1;
            if !carry {
                break;
            }
        }
        if carry {
            m[lo - 1] = 1u64 << 63;
            exp += 1;
        }
    }
    write_regular(out, &m[..lo], exp, negative)
}

/// MPFR's current exponent range.
#[inline(always)]
pub(in crate::num) fn exp_range() -> (i64, i64) {
    // SAFETY: reading MPFR's exponent range has no preconditions
    unsafe { (mpfr::get_emin() as i64, mpfr::get_emax() as i64) }
}

/// out := (-1)^negative m 2^(exp - 64 len(m)), m a mantissa of out's limbs already
/// rounded to out's precision (top bit set, the unused low bits clear) and exp MPFR's
/// exponent: the last step of every kernel that rounds on its own. False (out untouched)
/// when exp is outside MPFR's current exponent range, where MPFR must round and
/// saturate.
#[inline(always)]
pub(in crate::num) fn write_regular(out: &mut Float, m: &[u64], exp: i64, negative: bool) -> bool {
    let (emin, emax) = exp_range();
    if exp < emin || exp > emax {
        return false;
    }
    // SAFETY: out is an initialized MPFR number whose precision needs m.len() limbs
    // (each caller's mantissa has out's limbs by construction), so it owns them; the
    // mantissa written is normalized (top bit set, the unused low bits clear, by the
    // caller) and the exponent is in range: a regular MPFR number.
    unsafe {
        let r = &mut *out.as_raw_mut();
        debug_assert_eq!((r.prec as usize).div_ceil(64), m.len(), "out's limbs");
        let d = std::slice::from_raw_parts_mut(r.d.as_ptr().cast::<u64>(), m.len());
        d.copy_from_slice(m);
        r.exp = exp as mpfr::exp_t;
        r.sign = if negative { -1 } else { 1 };
    }
    true
}
