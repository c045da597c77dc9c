//! Products of a fixed square matrix with vectors at the working precision, by values
//! aligned once: each row of the matrix (once, when the matrix is built) and each
//! component's column of the vectors (once per product) is brought to a common exponent
//! and truncated to a fixed number of limbs below it, so that a term is a plain product
//! of two integers added into column sums, with no shift of its own. The Radau
//! integrator's transforms by T and T^-1 (`ode::radau::newton`): s rows times s stages
//! times the state's dimension, every Newton iteration.
//!
//! For values of L limbs the matrix's entries keep L + 1 limbs below their row's largest
//! exponent, and the vectors' values L + 1 below their column's (two for vectors of
//! one-limb values, which are then exact within 64 bits of their column's largest). Each
//! sum is within (L + 3) s units of 2^(bound - 64 (L + 1)) of the exact one (of
//! 2^(bound - 128) for one-limb vectors), bound the row's largest exponent plus the
//! column's, and is rounded once to nearest (docs/math.md §9.6): a limb below the
//! rounding of the values themselves, so that a sum that cancels by up to 2^50 (T^-1's
//! condition number is about 2^32 at 20 stages) is still within about one rounding of
//! its exact value.
//! Deterministic: the same inputs give the same bits, in any order of evaluation.

use super::dot::{finish, raw, set_rounded, view, EXP_INF, EXP_ZERO, MAX_ACC};
use rug::{Assign, Float};

/// Limbs of the working precision this kernel takes, at most: its sums of 2 (L + 1) + 1
/// limbs fit the dot product's accumulator.
pub const MAX_ALIGNED_LIMBS: usize = (MAX_ACC - 1) / 2 - 1;

/// A value brought to a common exponent E: (-1)^neg m 2^(E - 64 L), m of L limbs
/// (little-endian), the bits below 2^(E - 64 L) dropped.
#[derive(Clone, Copy, Debug)]
struct Aligned<const L: usize> {
    m: [u64; L],
    neg: bool,
}

impl<const L: usize> Aligned<L> {
    const ZERO: Self = Aligned {
        m: [0; L],
        neg: false,
    };
}

/// The exponent of a regular value (None for zero; Err for NaN, infinities and values of
/// more than L limbs).
fn exponent<const L: usize>(f: &Float) -> Result<Option<i64>, ()> {
    let r = raw(f);
    if r.exp == EXP_ZERO {
        return Ok(None);
    }
    if r.exp <= EXP_INF || (r.prec as usize).div_ceil(64) > L {
        return Err(());
    }
    Ok(Some(r.exp))
}

/// The largest exponent of the values (i64::MIN when all are zero); Err as [`exponent`].
fn max_exponent<'a, const L: usize>(v: impl Iterator<Item = &'a Float>) -> Result<i64, ()> {
    let mut e = i64::MIN;
    for f in v {
        if let Some(x) = exponent::<L>(f)? {
            e = e.max(x);
        }
    }
    Ok(e)
}

/// f brought to the exponent `top` (at least f's): its mantissa, placed at the top of
/// L limbs, shifted right by top - exp(f) bits, the bits shifted out dropped. f is zero
/// or of at most L limbs (exact where it has fewer, top - exp(f) at most the difference).
fn align<const L: usize>(f: &Float, top: i64) -> Aligned<L> {
    let r = raw(f);
    if r.exp == EXP_ZERO {
        return Aligned::ZERO;
    }
    // f is a regular number of at most L limbs (checked by `exponent` before)
    let limbs = view(f).limbs;
    let mut m = [0u64; L];
    m[L - limbs.len()..].copy_from_slice(limbs);
    let d = (top - r.exp) as u64;
    let mut out = [0u64; L];
    if d < 64 * L as u64 {
        let (q, s) = ((d / 64) as usize, (d % 64) as u32);
        for (k, o) in out.iter_mut().enumerate().take(L - q) {
            let lo = m[k + q] >> s;
            let hi = if s > 0 && k + q + 1 < L {
                m[k + q + 1] << (64 - s)
            } else {
                0
            };
            *o = lo | hi;
        }
    }
    Aligned {
        m: out,
        neg: r.sign < 0,
    }
}

/// The limbs of the widest value, zeros included (1 for none).
fn widest<'a>(v: impl Iterator<Item = &'a Float>) -> usize {
    v.map(|f| (f.prec() as usize).div_ceil(64))
        .max()
        .unwrap_or(1)
}

/// An s x s matrix of values of at most L limbs, each row brought to its largest
/// exponent in L + 1 limbs.
#[derive(Clone, Debug)]
pub struct AlignedMatrix {
    s: usize,
    /// L, the widest entry's limbs
    limbs: usize,
    /// row-major: each entry's L + 1 limbs, then its sign as 0 or 1, L + 2 words an entry
    words: Vec<u64>,
    /// each row's largest exponent (i64::MIN for a row of zeros)
    row_exp: Vec<i64>,
}

impl AlignedMatrix {
    /// The s x s row-major matrix `m`, its limbs L those of its widest entry; None when
    /// that is more than [`MAX_ALIGNED_LIMBS`], an entry is NaN or infinite, or `m` does
    /// not have s² entries.
    pub fn new(m: &[Float], s: usize) -> Option<AlignedMatrix> {
        // the widest entry's limbs
        let limbs = widest(m.iter());
        macro_rules! build {
            ($($l:literal)*) => {
                match limbs {
                    $($l => build::<{ $l + 1 }>(m, s, $l),)*
                    _ => None,
                }
            };
        }
        build!(1 2 3 4)
    }

    /// out[k][i] = sum_j M[k][j] v[j][i], rounded to nearest at out's precision, for s
    /// vectors v of equal length whose values have at most the matrix's L limbs, and
    /// outputs of L limbs; false (out unspecified) otherwise, or when a value is NaN or
    /// infinite (the caller then takes exact dot products). The vectors' values are
    /// brought to L + 1 limbs below their column's largest, or to two where none has
    /// more than one limb (the one-limb Newton corrections: exact within 64 bits of the
    /// largest). Rows in parallel; each computed as it would be serially.
    pub fn mul(&self, v: &[Vec<Float>], out: &mut [Vec<Float>]) -> bool {
        let vl = widest(v.iter().flatten());
        macro_rules! run {
            ($($l:literal)*) => {
                match (self.limbs, vl) {
                    (1, 1) => self.mul_l::<2, 2>(v, out),
                    $(($l, 1) => self.mul_l::<{ $l + 1 }, 2>(v, out),
                      ($l, 2..=$l) => self.mul_l::<{ $l + 1 }, { $l + 1 }>(v, out),)*
                    _ => false,
                }
            };
        }
        run!(2 3 4)
    }

    /// [`AlignedMatrix::mul`] with the matrix's entries in LA = L + 1 limbs and the
    /// vectors' values brought to LB.
    fn mul_l<const LA: usize, const LB: usize>(
        &self,
        v: &[Vec<Float>],
        out: &mut [Vec<Float>],
    ) -> bool {
        use rayon::prelude::*;
        let s = self.s;
        let n = v.first().map_or(0, Vec::len);
        if v.len() != s || out.len() != s || v.iter().chain(&*out).any(|x| x.len() != n) {
            return false;
        }
        if out
            .iter()
            .flatten()
            .any(|o| (o.prec() as usize).div_ceil(64) != self.limbs)
        {
            return false;
        }
        // each component's column, brought to its largest exponent
        let mut col_exp = vec![i64::MIN; n];
        let mut cols = vec![Aligned::<LB>::ZERO; n * s];
        for i in 0..n {
            let Ok(e) = max_exponent::<LB>(v.iter().map(|vj| &vj[i])) else {
                return false;
            };
            col_exp[i] = e;
            if e != i64::MIN {
                for (j, vj) in v.iter().enumerate() {
                    cols[i * s + j] = align::<LB>(&vj[i], e);
                }
            }
        }
        out.par_iter_mut().enumerate().for_each(|(k, ok)| {
            let row = &self.words[k * s * (LA + 1)..(k + 1) * s * (LA + 1)];
            for (i, o) in ok.iter_mut().enumerate() {
                if self.row_exp[k] == i64::MIN || col_exp[i] == i64::MIN {
                    o.assign(0);
                    continue;
                }
                sum_into::<LA, LB>(
                    o,
                    row,
                    &cols[i * s..(i + 1) * s],
                    self.row_exp[k] + col_exp[i],
                );
            }
        });
        true
    }
}

/// The matrix `m` of entries of at most `limbs` limbs, each row brought to its largest
/// exponent in LA = limbs + 1 limbs.
fn build<const LA: usize>(m: &[Float], s: usize, limbs: usize) -> Option<AlignedMatrix> {
    if m.len() != s * s {
        return None;
    }
    let mut words = Vec::with_capacity(s * s * (LA + 1));
    let mut row_exp = Vec::with_capacity(s);
    for row in m.chunks(s) {
        let e = max_exponent::<LA>(row.iter()).ok()?;
        row_exp.push(e);
        for f in row {
            let a = if e == i64::MIN {
                Aligned::<LA>::ZERO
            } else {
                align::<LA>(f, e)
            };
            words.extend_from_slice(&a.m);
            words.push(a.neg as u64);
        }
    }
    Some(AlignedMatrix {
        s,
        limbs,
        words,
        row_exp,
    })
}

/// out := sum_j (-1)^(neg a_j ^ neg b_j) a_j b_j 2^(bound - 64 (LA + LB)), rounded to
/// nearest: the products of the aligned values (LA limbs by LB) as signed column sums (a
/// column takes the low and high halves of the limb products that fall on it, each below
/// 2^64, so it stays far inside an i128), the carries resolved once at the end. The limb
/// products a_x b_y with x + y < min(LA, LB) - 1 are left out: each is below
/// 2^(bound - 64 max(LA, LB)), under the values' own truncation.
#[inline(always)]
fn sum_into<const LA: usize, const LB: usize>(
    out: &mut Float,
    row: &[u64],
    col: &[Aligned<LB>],
    bound: i64,
) {
    let low = LA.min(LB) - 1;
    let mut c = [0i128; MAX_ACC];
    for (a, b) in row.chunks_exact(LA + 1).zip(col) {
        let (am, sign) = a.split_at(LA);
        let am: &[u64; LA] = am.try_into().expect("LA limbs");
        if (sign[0] != 0) ^ b.neg {
            add_products::<LA, LB, true>(&mut c, am, &b.m, low);
        } else {
            add_products::<LA, LB, false>(&mut c, am, &b.m, low);
        }
    }
    // the sum in two's complement over LA + LB + 1 limbs (|sum| < s 2^(64 (LA + LB)):
    // the carry out of the top is the sign), then its magnitude
    let len = LA + LB + 1;
    let mut mag = [0u64; MAX_ACC];
    let mut carry = 0i128;
    for (m, col) in mag[..len].iter_mut().zip(&c) {
        let v = col + carry;
        *m = v as u64;
        carry = v >> 64;
    }
    if carry < 0 {
        // negate: complement and add one
        let mut one = true;
        for m in mag[..len].iter_mut() {
            let (v, o) = (!*m).overflowing_add(one as u64);
            *m = v;
            one = o;
        }
    }
    // rounded once; where the result leaves MPFR's exponent range, as the dot product
    // rounds it (`finish`: MPFR saturates), which takes the accumulator's top limb as
    // 2^emax's: limb len - 1 holds 2^(64 (len - 1) + shift)
    let shift = bound - 64 * (LA + LB) as i64;
    if !set_rounded(out, &mag[..len], carry < 0, shift) {
        let mut zero = [0u64; MAX_ACC];
        let (pos, neg) = if carry < 0 {
            (&mut zero, &mut mag)
        } else {
            (&mut mag, &mut zero)
        };
        finish(
            out,
            &mut pos[..len],
            &mut neg[..len],
            shift + 64 * (len as i64 - 1),
        );
    }
}

/// c += (or -= when NEG) the limb products a_x b_y with x + y >= low: the low half of
/// each into column x + y, the high half into x + y + 1.
#[inline(always)]
fn add_products<const LA: usize, const LB: usize, const NEG: bool>(
    c: &mut [i128; MAX_ACC],
    a: &[u64; LA],
    b: &[u64; LB],
    low: usize,
) {
    for (x, &ax) in a.iter().enumerate() {
        for (y, &by) in b.iter().enumerate().skip(low.saturating_sub(x)) {
            let p = ax as u128 * by as u128;
            let (lo, hi) = (p as u64 as i128, (p >> 64) as i128);
            if NEG {
                c[x + y] -= lo;
                c[x + y + 1] -= hi;
            } else {
                c[x + y] += lo;
                c[x + y + 1] += hi;
            }
        }
    }
}

#[cfg(test)]
mod tests;
