//! Complex LU factorizations, solves and matrix-vector products at one limb (64 bits)
//! on plain integers: the values of the Newton iterations' 64-bit block solves (`ode::radau`)
//! carried as [`R64`] instead of MPFR and MPC numbers, with every operation rounded
//! exactly as MPFR and MPC round it. The factorizations and solves are the MPFR/MPC
//! path's bit for bit, a zero's sign aside (the tests solve the same systems both ways); what goes
//! is the allocations and the libraries' per-call overhead, which at n = 4 to 11 cost
//! several times the arithmetic (docs/math.md §9.14).
//!
//! [`LeanMatrix`] is the one exception: its products (by the tableau's T and T^-1 in the
//! Newton iterations' inner refinement, `ode::radau::variation`, and by a Hessenberg
//! form's Q and Q^T in the block solves) are its own, in one pass with a 128-bit window
//! ([`dot_bounded`]), deterministic and within that window of the exact ones.
//!
//! Each operation reproduces one of the MPFR/MPC path:
//! * a complex product (MPC's `mpc_mul`: `mpfr_fmms` and `mpfr_fmma` per part, or one
//!   product per part when a part is zero), each part rounded once ([`exact2`]);
//! * a complex difference (`mpc_sub`: `mpfr_sub` per part), each part rounded once;
//! * a dot product (`num::dot`'s one-limb kernel: the same window and truncation),
//!   [`dot_with`];
//! * a pivot's magnitude |re| + |im| (`mpfr_add`), rounded once; the pivot's reciprocal
//!   is MPC's own (`mpc_ui_div`, correctly rounded per part), one call per pivot.

use super::dot::{dot_bounded, dot_with, exact2, R64};
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

    /// This value as an MPC number of 64 bits (exactly); None when outside MPFR's
    /// current exponent range.
    pub fn to_complex(self) -> Option<Complex> {
        let (mut re, mut im) = (Float::new(64), Float::new(64));
        (self.re.write(&mut re) && self.im.write(&mut im)).then(|| Complex::with_val(64, (re, im)))
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

/// |re| + |im| rounded once to nearest at 64 bits: the magnitude the MPC
/// factorizations pivot on ([`super::linalg::LuScalar::magnitude`]).
#[inline]
fn magnitude(z: C64) -> Option<R64> {
    exact2(single(z.re, z.re.neg), single(z.im, z.im.neg))
}

fn is_zero(z: C64) -> bool {
    z.re.m == 0 && z.im.m == 0
}

/// 1/z rounded to nearest per part at 64 bits, as MPC's reciprocal rounds it (correctly,
/// per part: the pivot divisor of the MPC factorizations). On integers where both parts
/// are non-zero and their exponents at most 64 apart: re = a/(a² + b²) and
/// im = -b/(a² + b²) as exact quotients of integers, rounded once with their remainders
/// as sticky bits; by MPC otherwise. None when out of range. (A quotient is never a
/// tie: with a = g a', b = g b', a' and b' coprime, a/(a² + b²) = a'/(g (a'² + b'²)) has a
/// finite binary expansion only when a'² + b'² is a power of two, so a' = b' = 1 and g is
/// one too: 1/(2g), a single bit. Ties to even are kept all the same.)
fn recip(z: C64) -> Option<C64> {
    if z.re.m != 0 && z.im.m != 0 && (z.re.e - z.im.e).abs() <= 64 {
        use rug::Integer;
        let e0 = z.re.e.min(z.im.e);
        // a = A 2^(ea - 64), b = B 2^(eb - 64): a² + b² = S 2^(2 e0 - 128)
        let sq = |x: R64| Integer::from(x.m).square() << (2 * (x.e - e0)) as u32;
        let s = sq(z.re) + sq(z.im);
        let sbits = s.significant_bits() as i64;
        // x 2^(ex - 64) / (S 2^(2 e0 - 128)) = X 2^(ex - 2 e0 + 64) / S: the quotient Q
        // of X 2^t by S (66 or 67 bits), Q 2^(f - 128), rounded by exact2 with a non-zero
        // remainder as a term far below Q's last bit (its sticky bit)
        let part = |x: R64, neg: bool| -> Option<R64> {
            let t = sbits + 2;
            let num = Integer::from(x.m) << t as u32;
            let (q, r) = <(Integer, Integer)>::from(num.div_rem_ref(&s));
            let f = x.e - 2 * e0 + 192 - t;
            exact2((q.to_u128()?, f, neg), (u128::from(r != 0), f - 200, neg))
        };
        return Some(C64 {
            re: part(z.re, z.re.neg)?,
            im: part(z.im, !z.im.neg)?,
        });
    }
    let z = z.to_complex()?;
    C64::from_complex(&Complex::with_val(64, z.recip_ref()))
}

/// Step k of an LU elimination on row i (pivot row k, `pdk` the pivot's reciprocal):
/// l = a_ik / a_kk stored at (i, k), a_ij -= l a_kj for j > k; nothing for a_ik = 0. The
/// MPC factorizations' `div_pivot` and `sub_mul`, each rounded as they round.
fn eliminate(a: &mut [C64], n: usize, k: usize, i: usize, pdk: C64) -> Option<()> {
    if is_zero(a[i * n + k]) {
        return Some(());
    }
    let l = cmul(a[i * n + k], pdk)?;
    a[i * n + k] = l;
    for j in k + 1..n {
        a[i * n + j] = csub(a[i * n + j], cmul(l, a[k * n + j])?)?;
    }
    Some(())
}

/// A factorization's L and U, its pivots' reciprocals and its row exchanges (`Ok`: a
/// dense one's, `Err`: a Hessenberg one's), as MPC numbers ([`LeanLu::to_mpc`]).
pub type MpcFactors<'a> = (Vec<Complex>, Vec<Complex>, Result<&'a [usize], &'a [bool]>);

impl LeanLu {
    /// The LU factorization with partial pivoting of the row-major n x n matrix `a`,
    /// every operation rounded as [`Lu::factor`](super::linalg::Lu::factor) rounds it
    /// over MPC at 64 bits (the pivots' reciprocals by MPC itself): its factors bit for
    /// bit, a zero's sign aside. None when a pivot is zero or a value leaves MPFR's
    /// exponent range (the MPC factorization then decides).
    pub fn factor_dense(mut a: Vec<C64>, n: usize) -> Option<LeanLu> {
        debug_assert_eq!(a.len(), n * n);
        let mut piv = vec![0usize; n];
        let mut pdiv = Vec::with_capacity(n);
        for k in 0..n {
            let (mut p, mut pm) = (k, magnitude(a[k * n + k])?);
            for i in k + 1..n {
                let m = magnitude(a[i * n + k])?;
                if m.abs_gt(pm) {
                    (p, pm) = (i, m);
                }
            }
            piv[k] = p;
            if is_zero(a[p * n + k]) {
                return None;
            }
            if p != k {
                for j in 0..n {
                    a.swap(k * n + j, p * n + j);
                }
            }
            let pdk = recip(a[k * n + k])?;
            for i in k + 1..n {
                eliminate(&mut a, n, k, i, pdk)?;
            }
            pdiv.push(pdk);
        }
        Some(LeanLu {
            n,
            lu: a,
            pdiv,
            pivots: Pivots::Dense(piv),
        })
    }

    /// The LU factorization of the row-major n x n upper Hessenberg matrix `a`, as
    /// [`HessLu::factor`](super::hessenberg::HessLu::factor) computes it over MPC at 64
    /// bits, bit for bit (a zero's sign aside); None as for [`LeanLu::factor_dense`].
    pub fn factor_hessenberg(mut a: Vec<C64>, n: usize) -> Option<LeanLu> {
        debug_assert_eq!(a.len(), n * n);
        let mut swapped = vec![false; n];
        let mut pdiv = Vec::with_capacity(n);
        for k in 0..n {
            if k + 1 < n && magnitude(a[(k + 1) * n + k])?.abs_gt(magnitude(a[k * n + k])?) {
                for j in k..n {
                    a.swap(k * n + j, (k + 1) * n + j);
                }
                swapped[k] = true;
            }
            if is_zero(a[k * n + k]) {
                return None;
            }
            let pdk = recip(a[k * n + k])?;
            if k + 1 < n {
                eliminate(&mut a, n, k, k + 1, pdk)?;
            }
            pdiv.push(pdk);
        }
        Some(LeanLu {
            n,
            lu: a,
            pdiv,
            pivots: Pivots::Hessenberg(swapped),
        })
    }

    /// The factorization of d I - M at 64 bits for the shift d = dr + i di (64-bit
    /// parts) and the row-major n x n real matrix M of any precision (upper Hessenberg
    /// with `hessenberg`): M's entries rounded to 64 bits and the shift added as MPC
    /// forms and adds them (`Complex::with_val(64, -m)`, then `mpc_add` on the
    /// diagonal), then [`LeanLu::factor_hessenberg`] or [`LeanLu::factor_dense`]. None
    /// where these refuse or a part is not of one limb.
    pub fn factor_shifted(
        m: &[Float],
        n: usize,
        dr: &Float,
        di: &Float,
        hessenberg: bool,
    ) -> Option<LeanLu> {
        let (dr, di) = (R64::from_float(dr)?, R64::from_float(di)?);
        let mut a = Vec::with_capacity(n * n);
        for (k, x) in m.iter().enumerate() {
            let mut re = R64::round_from(x)?;
            re.neg = !re.neg && re.m != 0;
            a.push(if k % (n + 1) == 0 {
                C64 {
                    re: exact2(single(re, false), single(dr, false))?,
                    im: di,
                }
            } else {
                C64 { re, im: R64::ZERO }
            });
        }
        if hessenberg {
            LeanLu::factor_hessenberg(a, n)
        } else {
            LeanLu::factor_dense(a, n)
        }
    }

    /// The matrix's order.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The smallest pivot magnitude (|re| + |im| of a diagonal entry of U, as
    /// [`super::linalg::min_pivot`] takes it); None when out of range.
    pub fn min_pivot(&self) -> Option<Float> {
        let n = self.n;
        let mut min: Option<R64> = None;
        for k in 0..n {
            let m = magnitude(self.lu[k * n + k])?;
            if min.is_none_or(|v| v.abs_gt(m)) {
                min = Some(m);
            }
        }
        let mut out = Float::new(64);
        min.unwrap_or(R64::ZERO).write(&mut out).then_some(out)
    }

    /// The factors as MPC numbers (exactly), with the row exchanges: `Ok(piv)` of a
    /// dense factorization, `Err(swapped)` of a Hessenberg one; for the MPC solves a
    /// right-hand side outside the one-limb range falls back to.
    pub fn to_mpc(&self) -> MpcFactors<'_> {
        // the factors were read from or rounded into MPFR's range
        let c = |v: &[C64]| -> Vec<Complex> {
            v.iter()
                .map(|z| z.to_complex().expect("a factor in range"))
                .collect()
        };
        let piv = match &self.pivots {
            Pivots::Dense(p) => Ok(&p[..]),
            Pivots::Hessenberg(s) => Err(&s[..]),
        };
        (c(&self.lu), c(&self.pdiv), piv)
    }
}

/// The 64-bit values of a Float vector (None when one is wider, NaN or infinite).
pub fn from_floats(v: &[Float]) -> Option<Vec<R64>> {
    v.iter().map(R64::from_float).collect()
}

/// A square matrix of one-limb entries as plain integers, each row's largest exponent
/// kept, for products with vectors of one-limb values in one pass per entry
/// ([`dot_bounded`]: the window of a row's products is placed from the row's largest
/// exponent and the vector's, without a first pass over the terms).
#[derive(Clone, Debug)]
pub struct LeanMatrix {
    n: usize,
    m: Vec<R64>,
    row_max: Vec<i64>,
}

impl LeanMatrix {
    /// The n x n row-major matrix `m`; None when an entry is wider than one limb, NaN
    /// or infinite.
    pub fn new(m: &[Float], n: usize) -> Option<LeanMatrix> {
        let m = from_floats(m)?;
        let row_max = m.chunks(n).map(max_exp).collect();
        Some(LeanMatrix { n, m, row_max })
    }

    /// out = M x, each entry rounded to nearest at 64 bits from the window below its
    /// row's largest exponent plus x's ([`dot_bounded`]: each product keeps at least
    /// 120 bits (n < 128) less the spread of x's exponents and of the row's). None when
    /// a result leaves MPFR's exponent range.
    pub fn mul(&self, x: &[R64], out: &mut [R64]) -> Option<()> {
        let n = self.n;
        let xmax = max_exp(x);
        for ((o, row), &rmax) in out.iter_mut().zip(self.m.chunks(n)).zip(&self.row_max) {
            *o = if xmax == i64::MIN || rmax == i64::MIN {
                R64::ZERO
            } else {
                dot_bounded(rmax + xmax, row, x)?
            };
        }
        Some(())
    }
}

/// The largest exponent of the non-zero values of `v`; i64::MIN when all are zero.
fn max_exp(v: &[R64]) -> i64 {
    v.iter()
        .filter(|x| x.m != 0)
        .map(|x| x.e)
        .max()
        .unwrap_or(i64::MIN)
}

#[cfg(test)]
mod tests;
