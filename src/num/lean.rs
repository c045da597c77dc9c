//! Complex LU solves and matrix-vector products at one limb (64 bits) on plain
//! integers: the values of the Newton iterations' 64-bit block solves (`ode::radau`)
//! carried as [`R64`] instead of MPFR and MPC numbers, with every operation rounded
//! exactly as MPFR and MPC round it. The results are the MPFR/MPC path's bit for bit, a
//! zero's sign aside (the tests solve the same systems both ways); what goes
//! is the allocations and the libraries' per-call overhead, which at n = 4 to 11 cost
//! several times the arithmetic (docs/math.md §9.14).
//!
//! Each operation reproduces one of the MPFR/MPC path:
//! * a complex product (MPC's `mpc_mul`: `mpfr_fmms` and `mpfr_fmma` per part, or one
//!   product per part when a part is zero), each part rounded once ([`exact2`]);
//! * a complex difference (`mpc_sub`: `mpfr_sub` per part), each part rounded once;
//! * a dot product (`num::dot`'s one-limb kernel: the same window and truncation),
//!   [`dot_with`].

use super::dot::{dot_with, exact2, R64};
use rug::{Complex, Float};

/// A complex number of one-limb parts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct C64 {
    pub re: R64,
    pub im: R64,
}

impl C64 {
    /// The parts of an MPC number of at most 64 bits (None: wider, NaN or infinite).
    pub fn from_complex(z: &Complex) -> Option<C64> {
        Some(C64 {
            re: R64::from_float(z.real())?,
            im: R64::from_float(z.imag())?,
        })
    }
}

/// (q, f, neg) of the product a b: q 2^(f - 128) (q = 0 for zero).
#[inline(always)]
fn prod(a: R64, b: R64, neg: bool) -> (u128, i64, bool) {
    (a.m as u128 * b.m as u128, a.e + b.e, a.neg ^ b.neg ^ neg)
}

/// (q, f, neg) of a single operand a: (a 2^64) 2^(f - 128).
#[inline(always)]
fn single(a: R64, neg: bool) -> (u128, i64, bool) {
    ((a.m as u128) << 64, a.e, a.neg ^ neg)
}

/// a b, each part rounded once to nearest (MPC's product at 64 bits).
#[inline]
pub fn cmul(a: C64, b: C64) -> Option<C64> {
    Some(C64 {
        re: exact2(prod(a.re, b.re, false), prod(a.im, b.im, true))?,
        im: exact2(prod(a.re, b.im, false), prod(a.im, b.re, false))?,
    })
}

/// x - y, each part rounded once to nearest (MPC's difference at 64 bits).
#[inline]
pub fn csub(x: C64, y: C64) -> Option<C64> {
    Some(C64 {
        re: exact2(single(x.re, false), single(y.re, true))?,
        im: exact2(single(x.im, false), single(y.im, true))?,
    })
}

/// x - sum_j a_j b_j in one rounding per part: the complex `sub_dot` of
/// [`super::linalg`] (re: x_re - sum (a_re b_re - a_im b_im); im: x_im - sum (a_re b_im +
/// a_im b_re)), by the one-limb kernel.
#[inline]
pub fn csub_dot(x: C64, a: &[C64], b: &[C64]) -> Option<C64> {
    let m = a.len().min(b.len());
    Some(C64 {
        re: dot_with(Some((x.re, false)), m, |j| {
            [(a[j].re, b[j].re, true), (a[j].im, b[j].im, false)]
        })?,
        im: dot_with(Some((x.im, false)), m, |j| {
            [(a[j].re, b[j].im, true), (a[j].im, b[j].re, true)]
        })?,
    })
}

/// x := M x for a row-major n x n matrix M of one-limb entries, each entry one dot
/// product (the 64-bit Q and Q^T of [`super::hessenberg::Hessenberg`]); `out` is
/// scratch space.
pub fn mat_vec(m: &[R64], n: usize, x: &mut [R64], out: &mut Vec<R64>) -> Option<()> {
    out.clear();
    for row in m.chunks(n) {
        out.push(dot_with(None, n, |j| [(row[j], x[j], false)])?);
    }
    x.copy_from_slice(out);
    Some(())
}

/// How the rows of a factorization were exchanged.
#[derive(Clone, Debug)]
enum Pivots {
    /// a dense LU's: row k exchanged with row piv[k] (in turn, before the forward
    /// substitution)
    Dense(Vec<usize>),
    /// a Hessenberg LU's: rows k and k + 1 exchanged at step k
    Hessenberg(Vec<bool>),
}

/// A complex LU factorization at 64 bits (dense, or of a Hessenberg matrix), its
/// entries as [`C64`]: the MPC factorization's, for solves that give its results bit
/// for bit.
#[derive(Clone, Debug)]
pub struct LeanLu {
    n: usize,
    /// L below the diagonal (its unit diagonal implicit), U on and above it
    lu: Vec<C64>,
    /// the reciprocal of each pivot, as the MPC solve multiplies by it
    pdiv: Vec<C64>,
    pivots: Pivots,
}

impl LeanLu {
    /// A dense factorization's copy (None when an entry is wider than 64 bits, NaN or
    /// infinite).
    pub fn dense(n: usize, lu: &[Complex], pdiv: &[Complex], piv: &[usize]) -> Option<LeanLu> {
        LeanLu::new(n, lu, pdiv, Pivots::Dense(piv.to_vec()))
    }

    /// A Hessenberg factorization's copy.
    pub fn hessenberg(
        n: usize,
        lu: &[Complex],
        pdiv: &[Complex],
        swapped: &[bool],
    ) -> Option<LeanLu> {
        LeanLu::new(n, lu, pdiv, Pivots::Hessenberg(swapped.to_vec()))
    }

    fn new(n: usize, lu: &[Complex], pdiv: &[Complex], pivots: Pivots) -> Option<LeanLu> {
        Some(LeanLu {
            n,
            lu: lu.iter().map(C64::from_complex).collect::<Option<_>>()?,
            pdiv: pdiv.iter().map(C64::from_complex).collect::<Option<_>>()?,
            pivots,
        })
    }

    /// Solve A x = b in place: the MPC solve's operations in its order. None when a
    /// value leaves MPFR's exponent range (b is then unspecified: solve again by MPC).
    pub fn solve(&self, b: &mut [C64]) -> Option<()> {
        let n = self.n;
        match &self.pivots {
            Pivots::Dense(piv) => {
                for (k, &p) in piv.iter().enumerate() {
                    if p != k {
                        b.swap(k, p);
                    }
                }
                for i in 0..n {
                    let (done, rest) = b.split_at_mut(i);
                    rest[0] = csub_dot(rest[0], &self.lu[i * n..i * n + i], done)?;
                }
            }
            Pivots::Hessenberg(swapped) => {
                for k in 0..n.saturating_sub(1) {
                    if swapped[k] {
                        b.swap(k, k + 1);
                    }
                    let t = cmul(self.lu[(k + 1) * n + k], b[k])?;
                    b[k + 1] = csub(b[k + 1], t)?;
                }
            }
        }
        // back substitution with U
        for i in (0..n).rev() {
            let (head, tail) = b.split_at_mut(i + 1);
            let v = csub_dot(head[i], &self.lu[i * n + i + 1..(i + 1) * n], tail)?;
            head[i] = cmul(v, self.pdiv[i])?;
        }
        Some(())
    }
}

/// The 64-bit values of a Float vector (None when one is wider, NaN or infinite).
pub fn from_floats(v: &[Float]) -> Option<Vec<R64>> {
    v.iter().map(R64::from_float).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::hessenberg::{HessLu, Hessenberg};
    use crate::num::linalg::Lu;

    use crate::num::testing::xorshift as next;

    /// A 64-bit float with a random mantissa and an exponent in [-espan, espan]; one in
    /// `zeros` is zero.
    fn rnd(state: &mut u64, espan: i64, zeros: u64) -> Float {
        let m = next(state);
        if zeros > 0 && m.is_multiple_of(zeros) {
            return Float::new(64);
        }
        let e = (next(state) % (2 * espan as u64 + 1)) as i64 - espan;
        let f = Float::with_val(64, m | 1 << 63) >> (64 - e as i32);
        if next(state).is_multiple_of(2) {
            -f
        } else {
            f
        }
    }

    fn same(a: &Float, b: &Float) -> bool {
        (a.is_zero() && b.is_zero()) || a == b
    }

    fn to_complex(c: C64) -> Complex {
        let mut re = Float::new(64);
        let mut im = Float::new(64);
        assert!(c.re.write(&mut re) && c.im.write(&mut im));
        Complex::with_val(64, (re, im))
    }

    /// The product and difference are MPC's, bit for bit, on random operands with
    /// zero parts, wide exponent spreads and cancelling pairs.
    #[test]
    fn product_and_difference_are_mpcs() {
        let mut st = 0x3c6ef372fe94f82bu64;
        for round in 0..20000u64 {
            let espan = [0i64, 3, 70, 200][round as usize % 4];
            let mut c = || Complex::with_val(64, (rnd(&mut st, espan, 7), rnd(&mut st, espan, 7)));
            let (x, y) = (c(), c());
            let y = if round % 11 == 0 { x.clone() } else { y };
            let (lx, ly) = (
                C64::from_complex(&x).unwrap(),
                C64::from_complex(&y).unwrap(),
            );
            let p = to_complex(cmul(lx, ly).unwrap());
            let want = Complex::with_val(64, &x * &y);
            assert!(
                same(p.real(), want.real()) && same(p.imag(), want.imag()),
                "{x} * {y}"
            );
            let d = to_complex(csub(lx, ly).unwrap());
            let want = Complex::with_val(64, &x - &y);
            assert!(
                same(d.real(), want.real()) && same(d.imag(), want.imag()),
                "{x} - {y}"
            );
        }
    }

    fn random_matrix(st: &mut u64, n: usize, hessenberg: bool) -> Vec<Complex> {
        (0..n * n)
            .map(|k| {
                let (i, j) = (k / n, k % n);
                if hessenberg && i > j + 1 {
                    return Complex::new(64);
                }
                let mut z = Complex::with_val(64, (rnd(st, 4, 13), rnd(st, 4, 13)));
                if i == j {
                    // a shift, as in d I - H
                    z += Complex::with_val(64, (Float::with_val(64, 3), Float::with_val(64, -2)));
                }
                z
            })
            .collect()
    }

    /// Dense (n = 1 to 7) and Hessenberg (n = 2 to 16) complex solves give the MPC
    /// solves' results bit for bit, with row exchanges and zero entries.
    #[test]
    fn solves_are_the_mpc_solves_bit_for_bit() {
        let mut st = 0x510e527fade682d1u64;
        for round in 0..300usize {
            let hess = round % 2 == 1;
            let n = if hess { 2 + round % 15 } else { 1 + round % 7 };
            let a = random_matrix(&mut st, n, hess);
            let b: Vec<Complex> = (0..n)
                .map(|_| Complex::with_val(64, (rnd(&mut st, 30, 9), rnd(&mut st, 30, 9))))
                .collect();
            let mut want = b.clone();
            let lean = if hess {
                let Some(lu) = HessLu::factor(a, n) else {
                    continue;
                };
                lu.solve(&mut want);
                lu.lean()
            } else {
                let Some(lu) = Lu::factor(a, n) else { continue };
                lu.solve(&mut want);
                lu.lean()
            }
            .expect("64-bit entries");
            let mut got: Vec<C64> = b.iter().map(|z| C64::from_complex(z).unwrap()).collect();
            lean.solve(&mut got).expect("in range");
            for (g, w) in got.into_iter().zip(&want) {
                let g = to_complex(g);
                assert!(
                    same(g.real(), w.real()) && same(g.imag(), w.imag()),
                    "n {n}, hessenberg {hess}: {g} vs {w}"
                );
            }
        }
    }

    /// Q x and Q^T x at 64 bits are the MPFR path's bit for bit.
    #[test]
    fn mat_vec_is_the_mpfr_products() {
        let mut st = 0x9b05688c2b3e6c1fu64;
        for n in [3usize, 8, 11, 20] {
            let a: Vec<Float> = (0..n * n).map(|_| rnd(&mut st, 3, 0)).collect();
            let hs = Hessenberg::reduce(a, n);
            let (q, qt) = hs.lean().expect("64-bit Q");
            for _ in 0..20 {
                let x: Vec<Float> = (0..n).map(|_| rnd(&mut st, 20, 5)).collect();
                let mut want = x.clone();
                hs.apply_qt(&mut want);
                let mut got = from_floats(&x).unwrap();
                let mut scratch = Vec::new();
                mat_vec(qt, n, &mut got, &mut scratch).unwrap();
                let mut want2 = want.clone();
                for (g, w) in got.iter().zip(&want) {
                    let mut f = Float::new(64);
                    assert!(g.write(&mut f));
                    assert!(same(&f, w));
                }
                hs.apply_q(&mut want2);
                mat_vec(q, n, &mut got, &mut scratch).unwrap();
                for (g, w) in got.iter().zip(&want2) {
                    let mut f = Float::new(64);
                    assert!(g.write(&mut f));
                    assert!(same(&f, w));
                }
            }
        }
    }

    /// A random regular number of `prec` bits: a full mantissa or a sparse one (only its
    /// top bits, the bit just below 64 and the last), so that ties and carries at the
    /// 64-bit rounding come up often; exponents in [-espan, espan].
    fn rnd_wide(st: &mut u64, prec: u32, espan: i64) -> Float {
        let bits = prec as usize;
        let mut f = Float::new(prec);
        let style = next(st) % 4;
        let mut v = rug::Integer::new();
        for k in 0..bits {
            let bit = match style {
                0 => next(st) & 1 == 1,
                // 64 ones then a tie bit, the rest zero: a carry and a tie
                1 => k < 65,
                // 1, zeros, a tie bit at 64 and a sticky bit at the end
                2 => k == 0 || k == 64 || (k == bits - 1 && next(st) & 1 == 1),
                _ => k == 0 || k == 64 || k == 63 && next(st) & 1 == 1,
            };
            v <<= 1;
            if bit || k == 0 {
                v += 1;
            }
        }
        rug::Assign::assign(&mut f, &v);
        let e = (next(st) % (2 * espan as u64 + 1)) as i64 - espan;
        f >>= bits as i32 - e as i32;
        if next(st) & 1 == 1 {
            -f
        } else {
            f
        }
    }

    /// R64::round_from is MPFR's rounding to 64 bits bit for bit (ties to even, the
    /// carry into the next binade), and R64::abs_mul MPFR's product's magnitude, on
    /// random and on constructed ties; specials are refused.
    #[test]
    fn round_from_and_abs_mul_are_mpfrs() {
        let mut st = 0x2545f4914f6cdd1du64;
        let mut ties = 0;
        for round in 0..20000u32 {
            let prec = [1u32, 30, 64, 65, 66, 127, 128, 129, 192, 256, 300][round as usize % 11];
            let x = if prec <= 64 {
                Float::with_val(prec, rnd(&mut st, 100, 9))
            } else {
                rnd_wide(&mut st, prec, 100)
            };
            let want = Float::with_val(64, &x);
            // a tie: x's bits below its 64th are exactly one half of the 64th's unit
            if let Some(e) = x.get_exp() {
                let y = Float::with_val(prec, x.abs_ref()) << (64 - e);
                if Float::with_val(prec, y.fract_ref()) == Float::with_val(64, Float::i_exp(1, -1))
                {
                    ties += 1;
                }
            }
            let r = R64::round_from(&x).expect("regular");
            let mut got = Float::new(64);
            assert!(r.write(&mut got));
            assert!(same(&got, &want), "{x}: {got} against {want}");
            let y = rnd(&mut st, 100, 9);
            let ry = R64::from_float(&y).unwrap();
            let p = R64::abs_mul(r, ry);
            let mut got = Float::new(64);
            assert!(p.write(&mut got));
            let want = Float::with_val(64, &want * &y).abs();
            assert!(same(&got, &want), "|{x} {y}|: {got} against {want}");
        }
        assert!(ties > 100, "{ties} ties");
        for special in [
            Float::with_val(128, rug::float::Special::Nan),
            Float::with_val(128, rug::float::Special::Infinity),
            Float::with_val(128, rug::float::Special::NegInfinity),
        ] {
            assert!(R64::round_from(&special).is_none());
        }
        assert_eq!(R64::round_from(&Float::new(200)), Some(R64::ZERO));
    }
}
