//! e^x and e^x - 1 rounded to nearest, MPFR's `exp` and `expm1` bit for bit, on plain
//! integers (docs/math.md §9.15).
//!
//! MPFR evaluates these at the flows' precisions (192 to 448 bits) in about 15,000
//! instructions, most of them its Ziv loop's set-up, allocations and per-call overhead;
//! they were an eighth of a flow's work. Here the value is computed in fixed point on
//! 64-bit limbs, with 64 guard bits, and a bound on its error. Since e^x is
//! transcendental for every non-zero x (Lindemann), the true value is never a midpoint
//! between two numbers of the output's precision; when the computed value is farther
//! than its error bound from the nearest midpoint, its rounding is the true value's,
//! which is MPFR's result (correctly rounded by contract). Otherwise (about once in 2^37
//! calls), and for arguments outside the kernel's range, MPFR computes it.
//!
//! The computation: k = round(x / ln 2), r = x - k ln 2 (|r| <= 0.35, ln 2 to one limb
//! more than the fixed point), r' = r / 2^m with |r'| < 2^-16, e^r' - 1 by its Taylor
//! series (Horner, the coefficients 1/(j+1)! precomputed), then m squarings: e <- e^2
//! for exp, t <- t (t + 2) for expm1 (which keeps its relative accuracy near 0), and
//! the result e 2^k (expm1: e 2^k - 1, or t when k = 0). Each product is truncated to
//! the fixed point (at most 2 units of its last place, ulps); the error bound is
//! 2^(m + 7) ulps. Except for expm1 near 0 (k = 0), tables replace the squarings
//! (since 2026-12-07): |r| = j1/2^8 + j2/2^16 + j3/2^24 + r'', e^r = three table
//! entries e^(±j_l/2^(8 l)) times e^r'' (|r''| < 2^-24: 9 series terms at 192 bits
//! instead of 13, and 3 products instead of about 15 squarings), within 2^9 ulps. The
//! fixed point has the output's limbs and one more as fraction, and for a small argument one more per 64 bits of its smallness (expm1's value is the
//! argument's size). Its size is a constant of each instance of the computation (3 to
//! 11 limbs), so that the loops over limbs unroll: about 6,700 instructions per call on
//! the 30-digit flows, where MPFR took 15,000; the tables took random10b's calls at 30
//! digits from 8,100 instructions each (the rounding and its test included) to 5,400.

use super::dot::{cmp_limbs, set_rounded, sub_limbs, view, View, MAX_ACC};
use rug::{Assign, Float, Integer};
use std::sync::OnceLock;

/// Limbs of a fixed-point value at most: an integer limb and the fraction's.
const MAX_N: usize = MAX_ACC;
/// Fraction limbs of the constants (ln 2 and 1/j!), one more than any fixed point's.
const CONST_LIMBS: usize = MAX_N + 1;
/// r' = r / 2^m is below 2^-REDUCED_BITS.
const REDUCED_BITS: i64 = 16;
/// The Taylor series' terms at most (16 (d + 1) + log2 (d + 2)! >= 64 (MAX_N - 1)).
const MAX_TERMS: usize = 48;

/// ln 2 and 1/(j+1)!, j < MAX_TERMS, as fractions of 2^(64 CONST_LIMBS), truncated
/// (least significant limb first).
struct Constants {
    ln2: [u64; CONST_LIMBS],
    inv_fact: Vec<[u64; CONST_LIMBS]>,
}

fn constants() -> &'static Constants {
    static C: OnceLock<Constants> = OnceLock::new();
    C.get_or_init(|| {
        let bits = 64 * CONST_LIMBS as u32;
        let limbs = |z: Integer| -> [u64; CONST_LIMBS] {
            let mut out = [0u64; CONST_LIMBS];
            let d = z.to_digits::<u64>(rug::integer::Order::Lsf);
            out[..d.len()].copy_from_slice(&d);
            out
        };
        // ln 2 2^bits, truncated: 64 more bits than needed, then floor
        let l = Float::with_val(bits + 64, rug::float::Constant::Log2) << bits;
        let ln2 = limbs(
            l.to_integer_round(rug::float::Round::Down)
                .expect("finite")
                .0,
        );
        let one = Integer::from(1) << bits;
        let mut fact = Integer::from(1);
        // 1/1! = 1 is not a fraction: its entry is unused (the fixed point's one)
        let inv_fact = (0..MAX_TERMS)
            .map(|j| {
                fact *= (j + 1) as u32;
                if j == 0 {
                    [0; CONST_LIMBS]
                } else {
                    limbs(Integer::from(&one / &fact))
                }
            })
            .collect();
        Constants { ln2, inv_fact }
    })
}

/// The reduction tables of exp, level l = 1, 2, 3: e^(±j/2^(8 l)) for j < [`T1_LEN`]
/// (level 1) or 2^8, each as an integer part (the last limb) and [`CONST_LIMBS`]
/// fraction limbs, truncated. Each built from its predecessor, T[j] = T[j - 1] E
/// truncated at 64 more bits than stored (E = e^(±1/2^(8 l)) from MPFR at those bits,
/// within a unit): entry j is within j (1 + 1.43) 1.43 < 2^10 units of
/// 2^-(64 CONST_LIMBS + 64) of its value before the 64 bits are dropped, so it is below
/// its value by less than one unit of the stored last limb.
struct Tables {
    /// [level][sign: 0 positive, 1 negative][j]
    t: [[Vec<[u64; CONST_LIMBS + 1]>; 2]; 3],
}

/// Entries of the first table: |r| <= ln 2 / 2 + 2^-60 < 89/256.
const T1_LEN: usize = 90;

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let bits = 64 * CONST_LIMBS as u32 + 64;
        let table = |len: usize, step: i32, neg: bool| -> Vec<[u64; CONST_LIMBS + 1]> {
            // E = e^(±2^-step) 2^bits, rounded down
            let x = Float::with_val(bits + 64, Float::i_exp(if neg { -1 } else { 1 }, -step));
            let e = (Float::with_val(bits + 64, x.exp_ref()) << bits)
                .to_integer_round(rug::float::Round::Down)
                .expect("finite")
                .0;
            let mut t = Integer::from(1) << bits;
            (0..len)
                .map(|j| {
                    if j > 0 {
                        t *= &e;
                        t >>= bits;
                    }
                    // drop the 64 extra bits: CONST_LIMBS fraction limbs and the integer
                    let v = Integer::from(&t >> 64);
                    let d = v.to_digits::<u64>(rug::integer::Order::Lsf);
                    let mut out = [0u64; CONST_LIMBS + 1];
                    out[..d.len()].copy_from_slice(&d);
                    out
                })
                .collect()
        };
        let level = |l: usize| {
            let len = if l == 0 { T1_LEN } else { 256 };
            let step = 8 * (l as i32 + 1);
            [table(len, step, false), table(len, step, true)]
        };
        Tables {
            t: [level(0), level(1), level(2)],
        }
    })
}

/// A non-negative fixed-point value of N limbs: sum l[i] 2^(64 i) / 2^(64 (N - 1)),
/// the top limb its integer part (N >= 3). The sizes are constants, so that the loops
/// over limbs unroll.
#[derive(Clone, Copy)]
struct Fx<const N: usize> {
    l: [u64; N],
}

impl<const N: usize> Fx<N> {
    const ZERO: Fx<N> = Fx { l: [0; N] };
    fn int(v: u64) -> Fx<N> {
        let mut f = Fx::ZERO;
        f.l[N - 1] = v;
        f
    }
    /// A constant's top N - 1 fraction limbs (integer part 0).
    fn constant(c: &[u64; CONST_LIMBS]) -> Fx<N> {
        let mut f = Fx::ZERO;
        f.l[..N - 1].copy_from_slice(&c[CONST_LIMBS - (N - 1)..]);
        f
    }
    /// A table entry's integer limb and top N - 1 fraction limbs.
    fn entry(c: &[u64; CONST_LIMBS + 1]) -> Fx<N> {
        let mut f = Fx::ZERO;
        f.l[..N - 1].copy_from_slice(&c[CONST_LIMBS - (N - 1)..CONST_LIMBS]);
        f.l[N - 1] = c[CONST_LIMBS];
        f
    }
    /// self * b, truncated to the fixed point. The partial products below column N - 3
    /// are skipped: each is below 2^(64 (N - 3) + 128), 2^-64 ulp, so together they and
    /// the carries they would make are below one ulp, and the result is at most 2 ulps
    /// below the exact product.
    #[inline(always)]
    fn mul(&self, b: &Fx<N>) -> Fx<N> {
        // columns N - 3 ..= 2N - 1 of the product
        let mut p = [0u64; MAX_N + 3];
        for i in 0..N {
            let a = self.l[i] as u128;
            let j0 = (N - 3).saturating_sub(i);
            let mut carry = 0u128;
            for j in j0..N {
                let c = i + j + 3 - N;
                let t = a * b.l[j] as u128 + p[c] as u128 + carry;
                p[c] = t as u64;
                carry = t >> 64;
            }
            p[i + 3] = carry as u64;
        }
        let mut f = Fx::ZERO;
        f.l.copy_from_slice(&p[2..N + 2]);
        f
    }
    fn add(&mut self, b: &Fx<N>) {
        let mut c = false;
        for i in 0..N {
            let (v, c1) = self.l[i].overflowing_add(b.l[i]);
            let (v, c2) = v.overflowing_add(c as u64);
            self.l[i] = v;
            c = c1 || c2;
        }
    }
    /// self - b, for self >= b.
    fn sub(&mut self, b: &Fx<N>) {
        sub_limbs(&mut self.l, &b.l);
    }
    /// self >> s bits (truncated).
    fn shr(&self, s: u64) -> Fx<N> {
        let mut f = Fx::ZERO;
        let (q, r) = ((s / 64) as usize, (s % 64) as u32);
        for i in 0..N {
            let j = i + q;
            if j >= N {
                break;
            }
            let lo = self.l[j] >> r;
            let hi = if r > 0 && j + 1 < N {
                self.l[j + 1] << (64 - r)
            } else {
                0
            };
            f.l[i] = lo | hi;
        }
        f
    }
    /// The position of the leading bit plus one (0 for zero).
    fn bits(&self) -> u64 {
        match self.l.iter().rposition(|&x| x != 0) {
            Some(t) => 64 * t as u64 + 64 - self.l[t].leading_zeros() as u64,
            None => 0,
        }
    }
}

/// A signed fixed-point value.
#[derive(Clone, Copy)]
struct Signed<const N: usize> {
    mag: Fx<N>,
    neg: bool,
}

/// a + b (signed).
fn signed_add<const N: usize>(a: &Signed<N>, b: &Signed<N>) -> Signed<N> {
    if a.neg == b.neg {
        let mut m = a.mag;
        m.add(&b.mag);
        Signed { mag: m, neg: a.neg }
    } else if cmp_limbs(&a.mag.l, &b.mag.l).is_ge() {
        let mut m = a.mag;
        m.sub(&b.mag);
        Signed { mag: m, neg: a.neg }
    } else {
        let mut m = b.mag;
        m.sub(&a.mag);
        Signed { mag: m, neg: b.neg }
    }
}

/// out := e^x (`m1`: e^x - 1) rounded to nearest at out's precision, MPFR's result;
/// false (out untouched) where the kernel does not decide it: x zero, not finite or
/// |x| >= 2^32, out wider than 448 bits, the rounding too close to call, or the result
/// outside MPFR's exponent range.
fn kernel(out: &mut Float, x: &Float, m1: bool) -> bool {
    if x.is_zero() || !x.is_finite() {
        return false;
    }
    let prec = out.prec() as u64;
    let lo = prec.div_ceil(64) as usize;
    let v = view(x);
    if lo > 7 || v.exp > 32 {
        return false;
    }
    // k = round(x / ln 2) from x's top limb (|x| < 2^32: |k| < 2^33): x ~ top 2^(exp-64),
    // 1/ln 2 ~ INV_LN2 2^-63
    const INV_LN2: u64 = 0xb8aa_3b29_5c17_f0bb; // floor(2^63 / ln 2)
    let top = *v.limbs.last().expect("a regular number has limbs");
    let k: i64 = {
        // x / ln 2 = top INV_LN2 2^(exp - 127); round to the nearest integer
        let prod = top as u128 * INV_LN2 as u128;
        let sh = 127 - v.exp;
        if sh > 127 {
            0
        } else {
            let q = ((prod >> (sh - 1)) + 1) >> 1;
            if v.neg {
                -(q as i64)
            } else {
                q as i64
            }
        }
    };
    // fraction limbs: the output's and one more (64 guard bits), and for a small
    // argument one more per 64 bits of its smallness: expm1's value is the argument's
    // size, and exp's, 1 + x + x^2/2 + ..., would otherwise hold 1 + x alone, which for
    // an argument narrower than the output can sit exactly on a midpoint (exp: as many
    // as fit, the rest is the rounding test's)
    let small = if k == 0 && v.exp < 0 {
        let want = ((-v.exp) as usize).div_ceil(64);
        if m1 {
            want
        } else {
            want.min(MAX_N - 1 - (lo + 1))
        }
    } else {
        0
    };
    let fr = lo + 1 + small;
    match fr + 1 {
        3 => fixed::<3>(out, &v, k, m1, prec),
        4 => fixed::<4>(out, &v, k, m1, prec),
        5 => fixed::<5>(out, &v, k, m1, prec),
        6 => fixed::<6>(out, &v, k, m1, prec),
        7 => fixed::<7>(out, &v, k, m1, prec),
        8 => fixed::<8>(out, &v, k, m1, prec),
        9 => fixed::<9>(out, &v, k, m1, prec),
        10 => fixed::<10>(out, &v, k, m1, prec),
        11 => fixed::<11>(out, &v, k, m1, prec),
        _ => false,
    }
}

/// The kernel's computation in a fixed point of N limbs (N - 1 fraction limbs), from
/// x's view and k = round(x / ln 2).
fn fixed<const N: usize>(out: &mut Float, v: &View<'_>, k: i64, m1: bool, prec: u64) -> bool {
    const { assert!(N >= 3 && N <= MAX_N) };
    let (n, fr) = (N, N - 1);
    let c = constants();
    // X = |x| in the fixed point (truncated): x's limbs shifted by exp - 64 len + 64 fr
    let mut xf = Fx::<N>::ZERO;
    {
        let sh = v.exp - 64 * v.limbs.len() as i64 + 64 * fr as i64;
        // x's limb i lands at bit 64 i + sh of the fixed point
        for (i, &w) in v.limbs.iter().enumerate() {
            let pos = 64 * i as i64 + sh;
            if pos <= -64 || pos >= 64 * n as i64 {
                continue;
            }
            if pos >= 0 {
                let (q, r) = ((pos / 64) as usize, (pos % 64) as u32);
                xf.l[q] |= w << r;
                if r > 0 && q + 1 < n {
                    xf.l[q + 1] |= w >> (64 - r);
                }
            } else {
                xf.l[0] |= w >> (-pos) as u32;
            }
        }
    }
    // r = x - k ln 2, ln 2 to one limb more, the product truncated: |error| < 2 ulp
    let r = if k == 0 {
        Signed {
            mag: xf,
            neg: v.neg,
        }
    } else {
        let ka = k.unsigned_abs();
        let mut prod = [0u64; MAX_N + 1];
        let mut carry = 0u128;
        // ln 2's top fr + 1 fraction limbs times |k|
        for (i, &w) in c.ln2[CONST_LIMBS - (fr + 1)..].iter().enumerate() {
            let t = w as u128 * ka as u128 + carry;
            prod[i] = t as u64;
            carry = t >> 64;
        }
        prod[fr + 1] = carry as u64;
        let mut kl = Fx::<N>::ZERO;
        kl.l[..n].copy_from_slice(&prod[1..n + 1]);
        // |k ln 2| has the sign of x; r = sign(x) (|x| - |k| ln 2)
        let d = signed_add(
            &Signed {
                mag: xf,
                neg: false,
            },
            &Signed { mag: kl, neg: true },
        );
        Signed {
            mag: d.mag,
            neg: d.neg != v.neg,
        }
    };
    // e^r = e^(±j1/2^8) e^(±j2/2^16) e^(±j3/2^24) e^(±r''), |r''| < 2^-24, from the
    // tables (expm1 near 0, k = 0, keeps the squarings t (t + 2), which keep its relative
    // accuracy)
    if !(m1 && k == 0) {
        if let Some(done) = exp_by_tables(out, &r, k, m1, prec) {
            return done;
        }
    }
    // r' = r / 2^m, |r'| < 2^-REDUCED_BITS
    let rbits = r.mag.bits() as i64 - 64 * fr as i64; // |r| < 2^rbits
    let m = (rbits + REDUCED_BITS).max(0) as u64;
    let rr = Signed {
        mag: r.mag.shr(m),
        neg: r.neg,
    };
    let Some(mut t) = series_em1(&rr, REDUCED_BITS) else {
        return false;
    };
    // the error bound, in ulps: 2^(m + 7)
    let err_bits = m + 7;
    let one = Signed {
        mag: Fx::int(1),
        neg: false,
    };
    let (mag, negative, shift) = if m1 && k == 0 {
        // t <- t (t + 2), m times
        let two = Signed {
            mag: Fx::int(2),
            neg: false,
        };
        for _ in 0..m {
            let u = signed_add(&t, &two);
            t = Signed {
                mag: t.mag.mul(&u.mag),
                neg: t.neg,
            };
        }
        (t.mag, t.neg, -64 * fr as i64)
    } else {
        // e = 1 + t, e <- e^2, m times; then e 2^k (expm1: minus 1)
        let mut e = signed_add(&one, &t).mag;
        for _ in 0..m {
            e = e.mul(&e);
        }
        scaled(e, k, m1)
    };
    if !decided(&mag, prec, err_bits) {
        return false;
    }
    set_rounded(out, &mag.l, negative, shift)
}

/// e 2^k (`m1`: e 2^k - 1, for k != 0) as (magnitude, negative, shift): the value is
/// (-1)^negative magnitude 2^shift.
fn scaled<const N: usize>(e: Fx<N>, k: i64, m1: bool) -> (Fx<N>, bool, i64) {
    let fr = N - 1;
    if !m1 {
        (e, false, k - 64 * fr as i64)
    } else if k > 0 {
        // e 2^k - 1 = (e - 2^-k) 2^k; 2^-k below the fixed point: within the bound
        let mut w = e;
        if k < 64 * fr as i64 {
            let mut b = Fx::<N>::ZERO;
            let pos = 64 * fr as u64 - k as u64;
            b.l[(pos / 64) as usize] = 1u64 << (pos % 64);
            w.sub(&b);
        }
        (w, false, k - 64 * fr as i64)
    } else {
        // 1 - e 2^k (k < 0), negative
        let mut w = Fx::int(1);
        w.sub(&e.shr(k.unsigned_abs()));
        (w, true, -64 * fr as i64)
    }
}

/// The error bound of [`exp_by_tables`], in ulps of the fixed point: 2^9. The series'
/// e^r'' carries at most 2^7 ulps (the bound of the squaring path at m = 0, for an
/// argument below 2^-16 and so below 2^-24 too); the three table products multiply it by
/// at most e^(89/256 + 2^-8) < 1.43 and add each entry's truncation (one ulp, times
/// at most 1.43) and each product's (2 ulps): below 2^8 in all, and one ulp more where
/// expm1's 1 - e 2^k shifts e (k < 0).
const TABLE_ERR_BITS: u64 = 9;

/// The argument of the series after the tables: below 2^-24.
const TABLE_REDUCED_BITS: i64 = 24;

/// e^r 2^k (expm1: e^r 2^k - 1, for k != 0) for the reduced argument r (|r| < 89/256),
/// by the tables:
/// |r| = j1/2^8 + j2/2^16 + j3/2^24 + r'' split at its top 24 fraction bits, e^r'' by
/// the squaring path's series (|r''| < 2^-24: at 192 bits 9 terms instead of 13), then
/// three table products where the squaring path takes m ~ 15 squarings. None when r is
/// outside the first table (the squaring path then computes it); Some(false) when the
/// rounding is not decided (MPFR computes it).
fn exp_by_tables<const N: usize>(
    out: &mut Float,
    r: &Signed<N>,
    k: i64,
    m1: bool,
    prec: u64,
) -> Option<bool> {
    let fr = N - 1;
    let top = r.mag.l[fr - 1];
    let j = [56, 48, 40].map(|sh| ((top >> sh) & 0xff) as usize);
    if r.mag.l[fr] != 0 || j[0] >= T1_LEN {
        return None;
    }
    let mut rest = r.mag;
    rest.l[fr - 1] &= (1u64 << 40) - 1;
    let rr = Signed {
        mag: rest,
        neg: r.neg,
    };
    let Some(t) = series_em1(&rr, TABLE_REDUCED_BITS) else {
        return Some(false);
    };
    let one = Signed {
        mag: Fx::int(1),
        neg: false,
    };
    let mut e = signed_add(&one, &t).mag;
    let tab = tables();
    for (level, &jl) in tab.t.iter().zip(&j) {
        if jl > 0 {
            e = e.mul(&Fx::entry(&level[r.neg as usize][jl]));
        }
    }
    let (mag, negative, shift) = scaled(e, k, m1);
    if !decided(&mag, prec, TABLE_ERR_BITS) {
        return Some(false);
    }
    Some(set_rounded(out, &mag.l, negative, shift))
}

/// e^r - 1 = r P(r), P = Σ_j r^j / (j + 1)!, for |r| < 2^-b, with the terms needed for
/// the fixed point's 2^-(64 (N - 1)) ([`series_terms`]); None when that needs too many.
#[inline(always)]
fn series_em1<const N: usize>(r: &Signed<N>, b: i64) -> Option<Signed<N>> {
    let d = series_terms(b, 64 * (N - 1) as i64)?;
    let acc = horner_p(r, d);
    Some(Signed {
        mag: r.mag.mul(&acc.mag),
        neg: r.neg,
    })
}

/// The last power d of P's series to keep for |r| < 2^-b in a fixed point of `target`
/// fraction bits: the first d whose next term, below 2^-(b (d + 1) + log2 (d + 2)!), is
/// below 2^-target (log2 k! taken from below as the sum of floor(log2 j)); None when
/// that needs MAX_TERMS terms or more.
fn series_terms(b: i64, target: i64) -> Option<usize> {
    let mut d = 0usize;
    let mut log_fact = 1i64; // log2 (d + 2)! from below
    while b * (d as i64 + 1) + log_fact < target {
        d += 1;
        log_fact += 63 - (d as u64 + 2).leading_zeros() as i64;
    }
    (d + 1 < MAX_TERMS).then_some(d)
}

/// P(r) = Σ_{j <= d} r^j / (j + 1)! by Horner in the fixed point, each product truncated
/// (the kernel's series for e^r - 1 = r P(r), and [`expm1_tiny`]'s).
#[inline(always)]
fn horner_p<const N: usize>(r: &Signed<N>, d: usize) -> Signed<N> {
    let c = constants();
    let coef = |j: usize| {
        if j == 0 {
            Fx::int(1)
        } else {
            Fx::constant(&c.inv_fact[j])
        }
    };
    let mut acc = Signed {
        mag: coef(d),
        neg: false,
    };
    for j in (0..d).rev() {
        let prod = Signed {
            mag: r.mag.mul(&acc.mag),
            neg: r.neg,
        };
        let cj = Signed {
            mag: coef(j),
            neg: false,
        };
        acc = signed_add(&cj, &prod);
    }
    acc
}

/// Whether rounding `v` (with an error below 2^err ulps) to `prec` bits gives the same
/// result for every value within the error. With h the index of the first bit below the
/// mantissa, the rounding is up when the bits below the mantissa exceed 2^h (the
/// midpoint) and down when they are below it. A value within 2^err of the midpoint has
/// bits err + 1 ..= h - 1 all zeros after bit h = 1, or all ones after bit h = 0; any other
/// pattern is farther than 2^err from it, on the side the computed value is on.
fn decided<const N: usize>(v: &Fx<N>, prec: u64, err: u64) -> bool {
    let top = v.bits();
    if top < prec + err + 3 {
        return false;
    }
    let h = top - prec - 1;
    let bit = |i: u64| (v.l[(i / 64) as usize] >> (i % 64)) & 1;
    let near = 1 - bit(h);
    (err + 1..h).any(|i| bit(i) != near)
}

/// out := e^δ - 1 for a small δ (0 < |δ| < 2^-12), at out's precision, which must be
/// δ's: the value rounded to nearest from a fixed-point value within about
/// 2^-(64 (L + 1) - 4) of it, relatively (L = out's limbs), so at most half an ulp and
/// a 2^-60th off e^δ - 1 (not always MPFR's rounding, which the memo's updates do not
/// need: their own sums round once more, docs/math.md §9.9). e^δ - 1 = δ P(δ),
/// P = Σ_j δ^j / (j + 1)! summed in the fixed point by Horner (as [`kernel`] does, with
/// as many terms as δ's smallness needs), then δ's mantissa times P, rounded once.
/// False (out untouched) where it does not apply: δ zero, not finite, |δ| >= 2^-12, a
/// precision other than out's or wider than 448 bits, or a result outside MPFR's
/// exponent range.
pub(crate) fn expm1_tiny(out: &mut Float, delta: &Float) -> bool {
    if delta.is_zero() || !delta.is_finite() || delta.prec() != out.prec() {
        return false;
    }
    let v = view(delta);
    let lo = v.limbs.len();
    if v.exp > -12 || lo > 7 {
        return false;
    }
    match lo + 2 {
        3 => tiny::<3>(out, &v),
        4 => tiny::<4>(out, &v),
        5 => tiny::<5>(out, &v),
        6 => tiny::<6>(out, &v),
        7 => tiny::<7>(out, &v),
        8 => tiny::<8>(out, &v),
        9 => tiny::<9>(out, &v),
        _ => false,
    }
}

/// [`expm1_tiny`] in a fixed point of N limbs: δ's limbs and one guard limb as fraction.
fn tiny<const N: usize>(out: &mut Float, v: &View<'_>) -> bool {
    const { assert!(N >= 3 && N <= MAX_N) };
    let fr = N - 1;
    // M = δ's mantissa in [1/2, 1), exact: its limbs at the top of the fraction
    let mut m = Fx::<N>::ZERO;
    m.l[fr - v.limbs.len()..fr].copy_from_slice(v.limbs);
    // |δ| = M 2^exp < 2^-b, in the fixed point (truncated)
    let b = (-v.exp) as u64;
    let d_fx = m.shr(b);
    // P's terms j = 0..=d: the first dropped, δ^(d+1)/(d+2)!, is below 2^-(64 fr)
    let Some(d) = series_terms(b as i64, 64 * fr as i64) else {
        return false;
    };
    let acc = horner_p(
        &Signed {
            mag: d_fx,
            neg: v.neg,
        },
        d,
    );
    // δ P = (M P) 2^exp: M P in the fixed point, then rounded once
    let t = m.mul(&acc.mag);
    set_rounded(out, &t.l, v.neg, v.exp - 64 * fr as i64)
}

/// e^x at precision `prec`, rounded to nearest: MPFR's `exp` bit for bit.
pub fn exp(prec: u32, x: &Float) -> Float {
    let mut out = Float::new(prec);
    if !kernel(&mut out, x, false) {
        out.assign(x.exp_ref());
    }
    out
}

/// e^x - 1 at precision `prec`, rounded to nearest: MPFR's `expm1` bit for bit.
pub fn exp_m1(prec: u32, x: &Float) -> Float {
    let mut out = Float::new(prec);
    if !kernel(&mut out, x, true) {
        out.assign(x.exp_m1_ref());
    }
    out
}

#[cfg(test)]
mod tests;
