//! Dot products of MPFR numbers in one rounding: sum_i (+/-) a_i b_i, every product
//! formed exactly from the operands' limbs and accumulated in a fixed-point window that
//! reaches `prec + 128` bits below the largest product, then rounded to nearest once.
//!
//! The sequence `t = a_i * b_i; s += t` costs two MPFR calls per term (each with its
//! own special-value tests, normalization and rounding) and rounds 2n times; here a term
//! costs a schoolbook product of a few limbs and a shifted add. The result differs from
//! the sequential one only in how it is rounded: its error is at most one rounding of the
//! result plus n units of 2^-(prec + 128) relative to the largest product (the
//! sequential sum's is about n roundings of the largest partial sum). It is deterministic:
//! the same inputs give the same bits, in any order of evaluation outside the call.
//!
//! Operands wider than [`MAX_LIMBS`] limbs, NaN and infinities take the sequential MPFR
//! path.

use gmp_mpfr_sys::mpfr;
use rug::integer::Order;
use rug::ops::NegAssign;
use rug::{Assign, Float, Integer};

mod narrow;
mod round;
use narrow::one_limb;
pub use narrow::{dot_bounded, dot_with, exact2, R64};
pub(super) use round::{exp_range, set_rounded, write_regular};

// the kernel reads 64-bit limbs and 64-bit exponents
const _: () = assert!(std::mem::size_of::<gmp_mpfr_sys::gmp::limb_t>() == 8);
const _: () = assert!(std::mem::size_of::<mpfr::exp_t>() == 8);

/// MPFR's encodings of zero, NaN and infinity in the exponent field (as in
/// gmp_mpfr_sys): a regular number's exponent is larger than all three.
pub(super) const EXP_ZERO: i64 = -i64::MAX;
pub(super) const EXP_INF: i64 = 2 - i64::MAX;

#[inline(always)]
pub(super) fn raw(f: &Float) -> &mpfr::mpfr_t {
    // SAFETY: a Float is an initialized mpfr_t that lives as long as the borrow
    unsafe { &*f.as_raw() }
}

/// Operands of at most this many 64-bit limbs (512 bits) take the fast path.
pub const MAX_LIMBS: usize = 8;
/// The product of two operands: at most 2 MAX_LIMBS limbs.
const MAX_PROD: usize = 2 * MAX_LIMBS;
/// Accumulator limbs at most: (MAX_LIMBS * 64 + 128) / 64 below the largest product, one
/// above it for the carries of up to 2^63 terms.
pub(super) const MAX_ACC: usize = MAX_LIMBS + 3;

/// One term of a dot product: `neg`ates a b (b = None: the term is a alone).
#[derive(Clone, Copy)]
pub struct Term<'a> {
    pub a: &'a Float,
    pub b: Option<&'a Float>,
    pub neg: bool,
}

impl<'a> Term<'a> {
    pub fn prod(a: &'a Float, b: &'a Float) -> Term<'a> {
        Term {
            a,
            b: Some(b),
            neg: false,
        }
    }
    pub fn neg_prod(a: &'a Float, b: &'a Float) -> Term<'a> {
        Term {
            a,
            b: Some(b),
            neg: true,
        }
    }
    pub fn single(a: &'a Float, neg: bool) -> Term<'a> {
        Term { a, b: None, neg }
    }
}

/// The limbs, exponent and sign of a regular (non-zero, finite) MPFR number: value =
/// (-1)^neg * M * 2^(exp - 64 len(limbs)), M = sum limbs[k] 2^(64k) with its top bit set.
pub(super) struct View<'a> {
    pub limbs: &'a [u64],
    pub exp: i64,
    pub neg: bool,
}

pub(super) fn view(f: &Float) -> View<'_> {
    // SAFETY: f is a regular number (the callers test is_zero and is_finite first), so its
    // mantissa holds ceil(prec / 64) initialized limbs that live as long as f.
    unsafe {
        let r = &*f.as_raw();
        let len = (r.prec as usize).div_ceil(64);
        View {
            limbs: std::slice::from_raw_parts(r.d.as_ptr().cast::<u64>(), len),
            exp: r.exp,
            neg: r.sign < 0,
        }
    }
}

/// out := sum of the terms, rounded to nearest at out's precision.
pub fn dot_into<'a, I>(out: &mut Float, terms: I)
where
    I: Iterator<Item = Term<'a>> + Clone,
{
    if out.prec() <= 64 && one_limb(out, terms.clone()) {
        return;
    }
    general(out, terms);
}

/// [`dot_into`] by the general kernel: any widths up to [`MAX_LIMBS`], the products of
/// L-limb operands into an L-limb result, and those of L-limb operands by one-limb ones,
/// by [`uniform_sum`].
fn general<'a, I>(out: &mut Float, terms: I)
where
    I: Iterator<Item = Term<'a>> + Clone,
{
    general_with(out, terms, true);
}

/// [`general`], with the specialized accumulations of known widths when `specialize`
/// (without, every term takes the any-width loop: the tests' reference for them).
fn general_with<'a, I>(out: &mut Float, terms: I, specialize: bool)
where
    I: Iterator<Item = Term<'a>> + Clone,
{
    let prec = out.prec();
    let acc_len = (prec as usize + 128).div_ceil(64) + 1;
    // pass 1: the largest product's exponent bound; anything the fast path cannot take
    let Scan {
        emax,
        any,
        fast,
        uniform,
        uniform_limbs,
        by_one,
    } = match scan_same_prec(prec, terms.clone()) {
        Some(emax) => Scan {
            emax,
            any: emax != i64::MIN,
            fast: acc_len <= MAX_ACC,
            uniform: true,
            uniform_limbs: (prec as usize).div_ceil(64),
            by_one: false,
        },
        // (the one-limb accumulations below take results of 2 to 5 limbs)
        None => match (2..=5)
            .contains(&(acc_len - 3))
            .then(|| scan_by_one(acc_len - 3, terms.clone()))
            .flatten()
        {
            Some(emax) => Scan {
                emax,
                any: emax != i64::MIN,
                fast: true,
                uniform: false,
                uniform_limbs: 0,
                by_one: emax != i64::MIN,
            },
            _ => scan(acc_len, terms.clone()),
        },
    };
    if !fast {
        sequential(out, terms);
        return;
    }
    if !any {
        out.assign(0);
        return;
    }
    let mut pos = [0u64; MAX_ACC];
    let mut neg = [0u64; MAX_ACC];
    let out_limbs = (prec as usize).div_ceil(64);
    // the products of L-limb operands, L = 1..=5, by the specialized accumulation
    macro_rules! by_limbs {
        ($($l:literal => ($p:literal, $k:literal, $kp:literal)),*) => {
            match out_limbs {
                $($l => {
                    uniform_sum::<$l, $l, $p, $k, $kp, I>(&mut pos, &mut neg, terms.clone(), emax);
                    true
                })*
                _ => false,
            }
        };
    }
    // the products of L-limb operands by one-limb ones (a transform of one-limb values
    // by a working-precision matrix), L = 2..=5
    macro_rules! by_one_limb {
        ($($l:literal => ($p:literal, $k:literal, $kp:literal)),*) => {
            match out_limbs {
                $($l => {
                    uniform_sum::<$l, 1, $p, $k, $kp, I>(&mut pos, &mut neg, terms.clone(), emax);
                    true
                })*
                _ => false,
            }
        };
    }
    let done = specialize
        && ((uniform
            && uniform_limbs == out_limbs
            && by_limbs!(
                1 => (2, 4, 6), 2 => (4, 5, 9), 3 => (6, 6, 12), 4 => (8, 7, 15), 5 => (10, 8, 18)
            ))
            || (by_one
                && by_one_limb!(2 => (3, 5, 8), 3 => (4, 6, 10), 4 => (5, 7, 12), 5 => (6, 8, 14))));
    // any other mix of widths: the general accumulation
    if !done {
        let mut prod = [0u64; MAX_PROD];
        for t in terms {
            if t.a.is_zero() || t.b.is_some_and(|b| b.is_zero()) {
                continue;
            }
            let va = view(t.a);
            let (lp, e, sign) = match t.b {
                Some(b) => {
                    let vb = view(b);
                    let lp = va.limbs.len() + vb.limbs.len();
                    mul_limbs(va.limbs, vb.limbs, &mut prod[..lp]);
                    (lp, va.exp + vb.exp, va.neg ^ vb.neg)
                }
                None => {
                    let lp = va.limbs.len();
                    prod[..lp].copy_from_slice(va.limbs);
                    (lp, va.exp, va.neg)
                }
            };
            // the term is P 2^(e - 64 lp); in units of 2^(emax + 64 - 64 acc_len) that is
            // P 2^sh with sh = (e - emax) + 64 (acc_len - 1 - lp)
            let sh = (e - emax) + 64 * (acc_len as i64 - 1 - lp as i64);
            let acc = if sign ^ t.neg { &mut neg } else { &mut pos };
            add_shifted(&mut acc[..acc_len], &prod[..lp], sh);
        }
    }
    finish(out, &mut pos[..acc_len], &mut neg[..acc_len], emax);
}

/// What the first pass over the terms finds: the largest product's exponent (i64::MIN
/// when every term is zero), whether any term is non-zero, whether the fast path can
/// take them all (no NaN or infinity, operands of at most [`MAX_LIMBS`] limbs, an
/// accumulator of at most [`MAX_ACC`]), whether every non-zero term is a product of
/// two operands of `uniform_limbs` limbs (or a single operand of that many), and
/// whether every non-zero term is a product of an operand of the result's limbs by a
/// one-limb operand, in that order (or a single operand of the result's limbs).
#[derive(Debug, PartialEq, Eq)]
struct Scan {
    emax: i64,
    any: bool,
    fast: bool,
    uniform: bool,
    uniform_limbs: usize,
    by_one: bool,
}

/// The first pass for any widths.
fn scan<'a>(acc_len: usize, terms: impl Iterator<Item = Term<'a>>) -> Scan {
    let mut emax = i64::MIN;
    let mut any = false;
    let mut fast = acc_len <= MAX_ACC;
    // every term a product of operands of the same number of limbs
    let mut uniform = true;
    let mut uniform_limbs = 0usize;
    // the result's limbs: the accumulator has three more
    let out_limbs = acc_len - 3;
    let mut by_one = true;
    for t in terms {
        let ra = raw(t.a);
        let mut zero = ra.exp == EXP_ZERO;
        if !zero && ra.exp <= EXP_INF {
            fast = false;
            break;
        }
        let la = (ra.prec as usize).div_ceil(64);
        let mut e = ra.exp;
        let mut lb = 0;
        if let Some(b) = t.b {
            let rb = raw(b);
            if rb.exp == EXP_ZERO {
                zero = true;
            } else if rb.exp <= EXP_INF {
                fast = false;
                break;
            }
            lb = (rb.prec as usize).div_ceil(64);
            if lb > MAX_LIMBS {
                fast = false;
                break;
            }
            uniform &= lb == la;
            e = e.wrapping_add(rb.exp);
        }
        if zero {
            continue;
        }
        if la > MAX_LIMBS {
            fast = false;
            break;
        }
        uniform &= uniform_limbs == 0 || uniform_limbs == la;
        uniform_limbs = la;
        by_one &= la == out_limbs && (t.b.is_none() || lb == 1);
        emax = emax.max(e);
        any = true;
    }
    Scan {
        emax,
        any,
        fast,
        uniform,
        uniform_limbs,
        by_one: by_one && any,
    }
}

/// The first pass where every operand has the result's precision `prec` (the common
/// case: a transform's or a solve's terms at the working precision): the largest
/// product's exponent (i64::MIN when every term is zero), or None when an operand has
/// another precision or is NaN or infinite ([`scan`] then decides). Where it answers,
/// it is [`scan`]'s answer with every term uniform (a unit test compares the two).
fn scan_same_prec<'a>(prec: u32, terms: impl Iterator<Item = Term<'a>>) -> Option<i64> {
    let prec = prec as mpfr::prec_t;
    scan_emax(terms, |p| p == prec, |p| p == prec)
}

/// The first pass where every first operand has the result's `limbs` and every second
/// one a single limb (a transform of one-limb values by a working-precision matrix):
/// the largest product's exponent, or None when an operand has another width or is NaN
/// or infinite ([`scan`] then decides). Where it answers, [`scan`] finds `by_one`.
fn scan_by_one<'a>(limbs: usize, terms: impl Iterator<Item = Term<'a>>) -> Option<i64> {
    scan_emax(terms, |p| (p as usize).div_ceil(64) == limbs, |p| p <= 64)
}

/// The largest product's exponent over the terms (i64::MIN when every term is zero), or
/// None when a first operand's precision does not satisfy `fits_a`, a second one's
/// `fits_b`, or an operand is NaN or infinite: the first pass of the kernels that take
/// operands of known widths ([`scan_same_prec`], [`scan_by_one`], [`narrow::one_limb`]).
/// Inlined into each, as their own loops were: called, it cost a2's main run 1.2% more
/// instructions.
#[inline(always)]
fn scan_emax<'a>(
    terms: impl Iterator<Item = Term<'a>>,
    fits_a: impl Fn(mpfr::prec_t) -> bool,
    fits_b: impl Fn(mpfr::prec_t) -> bool,
) -> Option<i64> {
    let mut emax = i64::MIN;
    for t in terms {
        let ra = raw(t.a);
        if !fits_a(ra.prec) || (ra.exp <= EXP_INF && ra.exp != EXP_ZERO) {
            return None;
        }
        let mut zero = ra.exp == EXP_ZERO;
        let mut e = ra.exp;
        if let Some(b) = t.b {
            let rb = raw(b);
            if !fits_b(rb.prec) || (rb.exp <= EXP_INF && rb.exp != EXP_ZERO) {
                return None;
            }
            zero |= rb.exp == EXP_ZERO;
            e = e.wrapping_add(rb.exp);
        }
        if !zero {
            emax = emax.max(e);
        }
    }
    Some(emax)
}

/// out := (pos - neg) 2^(emax + 64 - 64 len), rounded to nearest: the last step of
/// every kernel.
pub(super) fn finish(out: &mut Float, pos: &mut [u64], neg: &mut [u64], emax: i64) {
    let acc_len = pos.len();
    let (mag, negative) = if cmp_limbs(pos, neg).is_ge() {
        sub_limbs(pos, neg);
        (&*pos, false)
    } else {
        sub_limbs(neg, pos);
        (&*neg, true)
    };
    let shift = emax + 64 - 64 * acc_len as i64;
    if !set_rounded(out, mag, negative, shift) {
        // out of the exponent range (or a wide result): MPFR rounds and saturates
        let z = Integer::from_digits(mag, Order::Lsf);
        out.assign(&z);
        if negative {
            out.neg_assign();
        }
        // SAFETY: out is a valid, initialized MPFR number; mul_2si may alias its operands.
        unsafe {
            mpfr::mul_2si(
                out.as_raw_mut(),
                out.as_raw(),
                shift as std::os::raw::c_long,
                mpfr::rnd_t::RNDN,
            );
        }
    }
}

/// out := the sum of the terms, one MPFR product and sum per term (NaN, infinities and
/// operands too wide for the fast path).
fn sequential<'a>(out: &mut Float, terms: impl Iterator<Item = Term<'a>>) {
    let prec = out.prec();
    let mut s = Float::new(prec);
    let mut t = Float::new(prec);
    for term in terms {
        match term.b {
            Some(b) => t.assign(term.a * b),
            None => t.assign(term.a),
        }
        if term.neg {
            s -= &t;
        } else {
            s += &t;
        }
    }
    out.assign(&s);
}

/// The sum of terms whose first operands all have L limbs and second operands LB
/// limbs into accumulators of K = L + 3 limbs (P = L + LB, the product's; a single
/// operand a is the product a 2^(64 LB) 2^(-64 LB)).
#[inline(never)]
fn uniform_sum<
    'a,
    const L: usize,
    const LB: usize,
    const P: usize,
    const K: usize,
    const KP: usize,
    I,
>(
    pos: &mut [u64; MAX_ACC],
    neg: &mut [u64; MAX_ACC],
    terms: I,
    emax: i64,
) where
    I: Iterator<Item = Term<'a>>,
{
    const { assert!(P == L + LB && KP == K + P) };
    // the acc index of the largest product's limb 0
    let base = K as i64 - 1 - P as i64;
    // column sums: each term's shifted limbs are added without carrying (a column of
    // 2^64 terms at most cannot overflow), the carries resolved once at the end; the
    // same exact sum as carrying term by term. Acc index i is column P + i; the P
    // columns below take the limbs that fall below the accumulator, and are dropped
    // without carrying into it (each term truncated on its own, as before)
    let mut colp = [0u128; KP];
    let mut coln = [0u128; KP];
    for t in terms {
        let ra = raw(t.a);
        if ra.exp == EXP_ZERO || t.b.is_some_and(|b| raw(b).exp == EXP_ZERO) {
            continue;
        }
        // SAFETY: the operands are regular numbers of L and LB limbs (checked by the
        // caller's first pass)
        let a = unsafe { &*(ra.d.as_ptr() as *const [u64; L]) };
        let mut p = [0u64; P];
        let (e, neg_b) = match t.b {
            Some(b) => {
                let rb = raw(b);
                let bl = unsafe { &*(rb.d.as_ptr() as *const [u64; LB]) };
                comba(a, bl, &mut p);
                (ra.exp + rb.exp, rb.sign < 0)
            }
            None => {
                p[LB..].copy_from_slice(a);
                (ra.exp, false)
            }
        };
        let d = (emax - e) as u64;
        if d >= 64 * K as u64 {
            continue;
        }
        let q = (d / 64) as i64;
        let r = (d % 64) as u32;
        let cols = if (ra.sign < 0) ^ neg_b ^ t.neg {
            &mut coln
        } else {
            &mut colp
        };
        // P >> r, limb j at acc index start + j, column P + start + j: start is in
        // -P ..= K - 1 - P, so the columns are within 0 .. K - 1 + P
        let off = (P as i64 + base - q) as usize;
        let dst: &mut [u128; P] = (&mut cols[off..off + P]).try_into().expect("P columns");
        for (j, c) in dst.iter_mut().enumerate() {
            let hi = if j + 1 < P { p[j + 1] } else { 0 };
            let w = ((((hi as u128) << 64) | p[j] as u128) >> r) as u64;
            *c += w as u128;
        }
    }
    let carry = |cols: &[u128; KP], acc: &mut [u64; MAX_ACC]| {
        let mut c = 0u128;
        for (x, col) in acc[..K].iter_mut().zip(&cols[P..]) {
            let v = col + c;
            *x = v as u64;
            c = v >> 64;
        }
    };
    carry(&colp, pos);
    carry(&coln, neg);
}

/// p[..LA + LB] := a b, column by column (Comba): the LA LB limb products are
/// independent, only their sums go through a three-limb column accumulator.
#[inline(always)]
pub(super) fn comba<const LA: usize, const LB: usize>(a: &[u64; LA], b: &[u64; LB], p: &mut [u64]) {
    let (mut c0, mut c1, mut c2) = (0u64, 0u64, 0u64);
    for k in 0..LA + LB - 1 {
        let lo = (k + 1).saturating_sub(LB);
        let hi = k.min(LA - 1);
        for i in lo..=hi {
            let x = (a[i] as u128) * (b[k - i] as u128);
            let (s0, o0) = c0.overflowing_add(x as u64);
            // the high limb of a limb product is at most 2^64 - 2: no overflow
            let (s1, o1) = c1.overflowing_add((x >> 64) as u64 + o0 as u64);
            c0 = s0;
            c1 = s1;
            c2 += o1 as u64;
        }
        p[k] = c0;
        c0 = c1;
        c1 = c2;
        c2 = 0;
    }
    p[LA + LB - 1] = c0;
}

/// prod := a b (schoolbook; prod has len(a) + len(b) limbs).
#[inline]
pub(super) fn mul_limbs(a: &[u64], b: &[u64], prod: &mut [u64]) {
    prod.fill(0);
    for (i, &ai) in a.iter().enumerate() {
        let mut carry: u64 = 0;
        for (j, &bj) in b.iter().enumerate() {
            let t = (ai as u128) * (bj as u128) + prod[i + j] as u128 + carry as u128;
            prod[i + j] = t as u64;
            carry = (t >> 64) as u64;
        }
        prod[i + b.len()] = carry;
    }
}

/// acc += floor(p 2^sh) (bits below acc's first limb are dropped).
#[inline]
fn add_shifted(acc: &mut [u64], p: &[u64], sh: i64) {
    let k = acc.len() as i64;
    let q = sh.div_euclid(64);
    let r = sh.rem_euclid(64) as u32;
    // limb j of p lands at limbs q + j (low part) and q + j + 1 (high part)
    let mut carry: u64 = 0;
    let mut idx = q; // acc index of the low part of p[0]
    let mut prev: u64 = 0; // the high part spilled by the previous limb
    for &pj in p {
        let lo = if r == 0 { pj } else { pj << r };
        let word = lo | prev;
        prev = if r == 0 { 0 } else { pj >> (64 - r) };
        if idx >= 0 && idx < k {
            let (s1, c1) = acc[idx as usize].overflowing_add(word);
            let (s2, c2) = s1.overflowing_add(carry);
            acc[idx as usize] = s2;
            carry = (c1 as u64) + (c2 as u64);
        }
        idx += 1;
    }
    // the last high part, then the carry upwards
    let mut word = prev;
    while idx < k && (word != 0 || carry != 0) {
        if idx >= 0 {
            let (s1, c1) = acc[idx as usize].overflowing_add(word);
            let (s2, c2) = s1.overflowing_add(carry);
            acc[idx as usize] = s2;
            carry = (c1 as u64) + (c2 as u64);
        }
        word = 0;
        idx += 1;
    }
}

pub(super) fn cmp_limbs(a: &[u64], b: &[u64]) -> std::cmp::Ordering {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        match x.cmp(y) {
            std::cmp::Ordering::Equal => continue,
            o => return o,
        }
    }
    std::cmp::Ordering::Equal
}

/// a -= b (a >= b)
pub(super) fn sub_limbs(a: &mut [u64], b: &[u64]) {
    let mut borrow = false;
    for (x, &y) in a.iter_mut().zip(b) {
        let (d1, b1) = x.overflowing_sub(y);
        let (d2, b2) = d1.overflowing_sub(borrow as u64);
        *x = d2;
        borrow = b1 || b2;
    }
}

/// out := a . b
pub fn dot(out: &mut Float, a: &[Float], b: &[Float]) {
    dot_into(out, a.iter().zip(b).map(|(x, y)| Term::prod(x, y)));
}

#[cfg(test)]
mod tests;
