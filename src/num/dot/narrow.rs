//! The one-limb kernel of [`dot_into`](super::dot_into): results and operands of at
//! most 64 bits (the Newton matrices' linear algebra, the error norms), the same sum as
//! the general kernel's in 128- and 256-bit integers.

use super::{exp_range, finish, raw, scan_emax, write_regular, Term, EXP_INF, EXP_ZERO};
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
    let Some(emax) = scan_emax(terms.clone(), |p| p <= 64, |p| p <= 64) else {
        return false;
    };
    if emax == i64::MIN {
        out.assign(0);
        return true;
    }
    // pass 2: each non-zero term as its product P (or a 2^64), exponent and sign
    let mut acc = Acc::default();
    for t in terms {
        let ra = raw(t.a);
        if ra.exp == EXP_ZERO {
            continue;
        }
        // SAFETY: a regular number of at most 64 bits has one initialized limb
        let a = unsafe { *ra.d.as_ptr().cast::<u64>() };
        match t.b {
            Some(b) => {
                let rb = raw(b);
                if rb.exp == EXP_ZERO {
                    continue;
                }
                // SAFETY: as for a
                let bl = unsafe { *rb.d.as_ptr().cast::<u64>() };
                acc.add(
                    a as u128 * bl as u128,
                    ra.exp + rb.exp,
                    (ra.sign < 0) ^ (rb.sign < 0) ^ t.neg,
                    emax,
                );
            }
            None => acc.add((a as u128) << 64, ra.exp, (ra.sign < 0) ^ t.neg, emax),
        }
    }
    let (pos, neg) = (acc.pos, acc.neg);
    // the magnitude and sign of pos - neg
    let (negative, (lo, hi)) = magnitude(pos, neg);
    if !set_rounded_256(out, lo, hi, negative, emax - 192) {
        let limbs =
            |(lo, hi): (u128, u128)| [lo as u64, (lo >> 64) as u64, hi as u64, (hi >> 64) as u64];
        finish(out, &mut limbs(pos), &mut limbs(neg), emax);
    }
    true
}

/// The accumulators of the one-limb kernel: positive and negative 256-bit (low, high)
/// pairs in units of 2^(emax - 192).
#[derive(Default)]
struct Acc {
    pos: (u128, u128),
    neg: (u128, u128),
}

impl Acc {
    /// Add a product P (or a 2^64 for a single operand a) of exponent e, that is
    /// P 2^(e - 128): in units of 2^(emax - 192), the accumulators' limb 0, with
    /// d = emax - e = 64 q + r, uniform_sum adds floor(P / 2^r) 2^(64 (1 - q)), the limbs
    /// below limb 0 dropped: (P >> r) << 64 for q = 0, P >> (d - 64) otherwise.
    #[inline(always)]
    fn add(&mut self, p: u128, e: i64, negative: bool, emax: i64) {
        let d = (emax - e) as u64;
        let (lo, hi) = if d < 64 {
            let v = p >> d;
            (v << 64, v >> 64)
        } else if d < 192 {
            (p >> (d - 64), 0)
        } else {
            return;
        };
        let acc = if negative {
            &mut self.neg
        } else {
            &mut self.pos
        };
        let (l, c) = acc.0.overflowing_add(lo);
        acc.0 = l;
        acc.1 = acc.1.wrapping_add(hi).wrapping_add(c as u128);
    }
}

/// The sign and magnitude of pos - neg (256-bit (low, high) pairs).
#[inline(always)]
fn magnitude(pos: (u128, u128), neg: (u128, u128)) -> (bool, (u128, u128)) {
    if (pos.1, pos.0) >= (neg.1, neg.0) {
        (false, sub256(pos, neg))
    } else {
        (true, sub256(neg, pos))
    }
}

/// a - b for 256-bit (low, high) pairs, a >= b.
fn sub256(a: (u128, u128), b: (u128, u128)) -> (u128, u128) {
    let (lo, borrow) = a.0.overflowing_sub(b.0);
    (lo, a.1 - b.1 - borrow as u128)
}

/// (hi 2^128 + lo) 2^shift rounded to nearest (ties to even) at `prec` bits (1 to
/// 64): the mantissa (its top bit set, the prec bits at the top of the limb) and the
/// exponent of MPFR's representation; None for zero.
#[inline(always)]
fn round_256(lo: u128, hi: u128, prec: u32, shift: i64) -> Option<(u64, i64)> {
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
        return None;
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
    Some(((kept as u64) << (64 - prec), exp))
}

/// out := (-1)^negative (hi 2^128 + lo) 2^shift rounded to nearest (ties to even) at
/// out's precision of at most 64 bits: [`set_rounded`](super::set_rounded) for a
/// 256-bit magnitude, the same result; false (out untouched) where that would be false.
fn set_rounded_256(out: &mut Float, lo: u128, hi: u128, negative: bool, shift: i64) -> bool {
    let prec = out.prec();
    let Some((m, exp)) = round_256(lo, hi, prec, shift) else {
        out.assign(0);
        return true;
    };
    write_regular(out, &[m], exp, negative)
}

/// A number of at most one limb as the one-limb kernel reads it:
/// (-1)^neg m 2^(e - 64), m with its top bit set (an MPFR mantissa of one limb, e MPFR's
/// exponent), or zero (m = 0). The one-limb linear algebra ([`crate::num::lean`])
/// carries its values this way, without MPFR's allocations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct R64 {
    pub m: u64,
    pub e: i64,
    pub neg: bool,
}

impl R64 {
    pub const ZERO: R64 = R64 {
        m: 0,
        e: 0,
        neg: false,
    };

    /// The value of an MPFR number of at most 64 bits; None for a wider one, NaN or an
    /// infinity. (A zero's sign is not kept.)
    pub fn from_float(f: &Float) -> Option<R64> {
        let r = raw(f);
        if r.prec > 64 || (r.exp <= EXP_INF && r.exp != EXP_ZERO) {
            return None;
        }
        if r.exp == EXP_ZERO {
            return Some(R64::ZERO);
        }
        // SAFETY: a regular number of at most 64 bits has one initialized limb
        let m = unsafe { *r.d.as_ptr().cast::<u64>() };
        Some(R64 {
            m,
            e: r.exp,
            neg: r.sign < 0,
        })
    }

    /// An MPFR number of any precision rounded to nearest at 64 bits, ties to even: the
    /// value `Float::with_val(64, f)` has, bit for bit. None for NaN, an infinity, or a
    /// rounding up past MPFR's current largest exponent. (A zero's sign is not kept.)
    pub fn round_from(f: &Float) -> Option<R64> {
        let r = raw(f);
        if r.exp == EXP_ZERO {
            return Some(R64::ZERO);
        }
        if r.exp <= EXP_INF {
            return None;
        }
        let n = (r.prec as usize).div_ceil(64);
        // SAFETY: a regular MPFR number of prec bits has ceil(prec / 64) initialized limbs
        let d = unsafe { std::slice::from_raw_parts(r.d.as_ptr(), n) };
        let (mut m, mut e) = (d[n - 1], r.exp);
        if n > 1 {
            let below = d[n - 2];
            let sticky = below << 1 != 0 || d[..n - 2].iter().any(|&x| x != 0);
            if below >> 63 == 1 && (sticky || m & 1 == 1) {
                m = m.wrapping_add(1);
                if m == 0 {
                    m = 1 << 63;
                    e += 1;
                }
            }
        }
        (e <= exp_range().1).then_some(R64 {
            m,
            e,
            neg: r.sign < 0,
        })
    }

    /// |a b| rounded to nearest at 64 bits, as MPFR rounds the product, its exponent
    /// unchecked: outside MPFR's current range where MPFR's product would overflow or
    /// underflow, which the caller checks ([`R64::write`] refuses such a value).
    pub fn abs_mul(a: R64, b: R64) -> R64 {
        if a.m == 0 || b.m == 0 {
            return R64::ZERO;
        }
        // the product of two mantissas with their top bits set has its top bit at 127
        // or 126: normalized by at most one bit, then rounded at bit 64, ties to even
        let q = a.m as u128 * b.m as u128;
        let (q, e) = if q >> 127 == 0 {
            (q << 1, a.e + b.e - 1)
        } else {
            (q, a.e + b.e)
        };
        let (hi, lo) = ((q >> 64) as u64, q as u64);
        let (m, e) = if lo >> 63 == 1 && (lo << 1 != 0 || hi & 1 == 1) {
            match hi.checked_add(1) {
                Some(m) => (m, e),
                None => (1 << 63, e + 1),
            }
        } else {
            (hi, e)
        };
        R64 { m, e, neg: false }
    }

    /// |self| > |other|.
    pub fn abs_gt(self, other: R64) -> bool {
        self.m != 0 && (other.m == 0 || (self.e, self.m) > (other.e, other.m))
    }

    /// out := this value; out has 64 bits of precision (so it holds every R64 exactly).
    /// False (out untouched) when the exponent is outside MPFR's current range.
    pub fn write(self, out: &mut Float) -> bool {
        debug_assert_eq!(out.prec(), 64);
        if self.m == 0 {
            out.assign(0);
            return true;
        }
        write_regular(out, &[self.m], self.e, self.neg)
    }
}

/// [`dot_into`](super::dot_into) of one-limb terms, rounded to nearest at 64 bits:
/// `init` (a single term (-1)^neg a, if any) and the product terms
/// term(j) = K triples (a, b, neg), each (-1)^neg a b, for j < count: two passes over the
/// terms (their exponents, then their products) without collecting them, for the
/// one-limb linear algebra's short sums. The same sum in the same window as the one-limb
/// kernel's for the same values, so the same result bit for bit (a unit test compares
/// the two); None when the result's exponent is outside MPFR's current range.
#[inline(always)]
pub fn dot_with<const K: usize>(
    init: Option<(R64, bool)>,
    count: usize,
    term: impl Fn(usize) -> [(R64, R64, bool); K],
) -> Option<R64> {
    let mut emax = i64::MIN;
    if let Some((a, _)) = init {
        if a.m != 0 {
            emax = a.e;
        }
    }
    for j in 0..count {
        for (a, b, _) in term(j) {
            if a.m != 0 && b.m != 0 {
                emax = emax.max(a.e + b.e);
            }
        }
    }
    if emax == i64::MIN {
        return Some(R64::ZERO);
    }
    let mut acc = Acc::default();
    if let Some((a, neg)) = init {
        if a.m != 0 {
            acc.add((a.m as u128) << 64, a.e, a.neg ^ neg, emax);
        }
    }
    for j in 0..count {
        for (a, b, neg) in term(j) {
            if a.m != 0 && b.m != 0 {
                acc.add(
                    a.m as u128 * b.m as u128,
                    a.e + b.e,
                    a.neg ^ b.neg ^ neg,
                    emax,
                );
            }
        }
    }
    let (negative, (lo, hi)) = magnitude(acc.pos, acc.neg);
    let Some((m, e)) = round_256(lo, hi, 64, emax - 192) else {
        return Some(R64::ZERO);
    };
    let (emin, emax) = exp_range();
    (emin..=emax).contains(&e).then_some(R64 {
        m,
        e,
        neg: negative,
    })
}

/// sum_j a_j x_j of one-limb values in one pass: each product truncated to a multiple of
/// 2^(bound - w) and added into a 128-bit signed accumulator, then rounded to nearest at
/// 64 bits, with w = 127 - g and g = max(7, the bits of the number of terms) guard bits.
/// `bound` is at least every product's exponent (a_j.e + x_j.e), given by the caller (a
/// matrix row's largest exponent plus the vector's), so that a truncated product is
/// below 2^w in those units and the sum of fewer than 2^g of them cannot overflow: each
/// product keeps w - (bound - its exponent) bits (120 up to 127 terms), and the sum is
/// within (number of terms) units of 2^(bound - w) of the exact one before it is
/// rounded. Not the exact sum rounded once ([`dot_with`]'s), but deterministic, and it
/// needs neither a first pass over the terms nor a 256-bit window. None when the
/// result's exponent is outside MPFR's current range.
#[inline]
pub fn dot_bounded(bound: i64, a: &[R64], x: &[R64]) -> Option<R64> {
    let guard = (usize::BITS - a.len().leading_zeros()).max(7) as i64;
    let mut acc: i128 = 0;
    for (a, b) in a.iter().zip(x) {
        // the product p 2^(f - 128), f = a.e + b.e <= bound, in units of 2^(bound - w):
        // p >> (bound - f + 1 + g)
        let sh = (bound - (a.e + b.e) + 1 + guard) as u64;
        if sh < 128 {
            let t = ((a.m as u128 * b.m as u128) >> sh) as i128;
            acc += if a.neg ^ b.neg { -t } else { t };
        }
    }
    let Some((m, e)) = round_256(acc.unsigned_abs(), 0, 64, bound - (127 - guard)) else {
        return Some(R64::ZERO);
    };
    let (emin, emax) = exp_range();
    (emin..=emax)
        .contains(&e)
        .then_some(R64 { m, e, neg: acc < 0 })
}

/// a + b (b = (q, f, neg) the term (-1)^neg q 2^(f - 128) of a 128-bit q, as is a),
/// rounded once to nearest at 64 bits, exactly as MPFR rounds (`mpfr_fmma`,
/// `mpfr_fmms`, `mpfr_add`, `mpfr_sub` of one-limb operands; MPC's product and
/// difference are these per part): no window, the smaller term's bits far below only
/// as the sticky bit they are. None when the result's exponent is outside MPFR's current range.
pub fn exact2(a: (u128, i64, bool), b: (u128, i64, bool)) -> Option<R64> {
    // each term normalized (top bit 127), zeros dropped
    let norm = |(q, f, neg): (u128, i64, bool)| {
        (q != 0).then(|| {
            let lz = q.leading_zeros();
            (q << lz, f - lz as i64, neg)
        })
    };
    let (big, small) = match (norm(a), norm(b)) {
        (None, None) => return Some(R64::ZERO),
        (Some(x), None) | (None, Some(x)) => (x, None),
        (Some(x), Some(y)) => {
            if (x.1, x.0) >= (y.1, y.0) {
                (x, Some(y))
            } else {
                (y, Some(x))
            }
        }
    };
    // the exact sum in 256 bits, (q1 << d) +- q2 in units of 2^(f2 - 128), rounded as
    // the one-limb kernel rounds its accumulator. For d >= 128 the small term lies
    // wholly below q1's bits: any value in (0, 2^128) there leaves the bits from 2^128
    // up the same (a sum adds below them, a difference borrows one from them) and those
    // below non-zero, so it is replaced by 1 at d = 128, which decides ties and exact
    // halves as it does
    let (q1, f1, n1) = big;
    let (lo, hi, unit) = match small {
        None => (q1, 0, f1 - 128),
        Some((q2, f2, n2)) => {
            let (q2, d) = if f1 - f2 >= 128 {
                (1u128, 128)
            } else {
                (q2, (f1 - f2) as u32)
            };
            let (lo, hi) = match d {
                0 => (q1, 0),
                128 => (0, q1),
                _ => (q1 << d, q1 >> (128 - d)),
            };
            let (lo, hi) = if n1 == n2 {
                let (l, c) = lo.overflowing_add(q2);
                (l, hi + c as u128)
            } else {
                // (q1 << d) >= q2: d > 0, or d = 0 and q1 >= q2
                sub256((lo, hi), (q2, 0))
            };
            (lo, hi, f1 - d as i64 - 128)
        }
    };
    let Some((m, e)) = round_256(lo, hi, 64, unit) else {
        return Some(R64::ZERO);
    };
    let (emin, emax) = exp_range();
    (emin..=emax).contains(&e).then_some(R64 { m, e, neg: n1 })
}
