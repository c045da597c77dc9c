//! Small dense linear algebra over MPFR: LU with partial pivoting, one generic
//! implementation for real ([`Float`]) and complex ([`Complex`]) matrices.
//! Matrices are row-major `Vec`s of length n*n.

use super::dot::{dot, dot_into, Term};
use super::lean::LeanLu;
use rayon::prelude::*;
use rug::{Assign, Complex, Float};
use std::cmp::Ordering;

/// What LU needs of a scalar.
pub trait LuScalar: Clone {
    fn zero(prec: u32) -> Self;
    fn precision(&self) -> u32;
    fn is_zero_value(&self) -> bool;
    /// the magnitude used for pivoting: |x|, or |re| + |im| (equivalent to the modulus)
    fn magnitude(&self) -> Float;
    /// compare magnitudes, for pivoting
    fn cmp_magnitude(&self, other: &Self) -> Ordering {
        self.magnitude()
            .partial_cmp(&other.magnitude())
            .unwrap_or(Ordering::Equal)
    }
    /// self -= a * b, using `tmp` as scratch
    fn sub_mul(&mut self, a: &Self, b: &Self, tmp: &mut Self);
    /// self -= sum_j a_j b_j, each component rounded once ([`super::dot`])
    fn sub_dot(&mut self, a: &[Self], b: &[Self]);
    /// What a division by the pivot `d` is done with, prepared once per pivot: `d`
    /// itself (real), or 1/d (complex: a complex division costs several
    /// multiplications and temporaries, a multiplication by 1/d four products)
    fn pivot_divisor(d: &Self) -> Self;
    /// self /= d, given `dv` = [`LuScalar::pivot_divisor`] of d
    fn div_pivot(&mut self, dv: &Self);
}

impl LuScalar for Float {
    fn zero(prec: u32) -> Self {
        Float::new(prec)
    }
    fn precision(&self) -> u32 {
        self.prec()
    }
    fn is_zero_value(&self) -> bool {
        self.is_zero()
    }
    fn magnitude(&self) -> Float {
        Float::with_val(self.prec(), self.abs_ref())
    }
    fn cmp_magnitude(&self, other: &Self) -> Ordering {
        self.cmp_abs(other).unwrap_or(Ordering::Equal)
    }
    fn sub_mul(&mut self, a: &Self, b: &Self, tmp: &mut Self) {
        tmp.assign(a * b);
        *self -= &*tmp;
    }
    fn sub_dot(&mut self, a: &[Self], b: &[Self]) {
        let mut out = Float::new(self.prec());
        dot_into(
            &mut out,
            std::iter::once(Term::single(self, false))
                .chain(a.iter().zip(b).map(|(x, y)| Term::neg_prod(x, y))),
        );
        *self = out;
    }
    fn pivot_divisor(d: &Self) -> Self {
        d.clone()
    }
    fn div_pivot(&mut self, dv: &Self) {
        *self /= dv;
    }
}

impl LuScalar for Complex {
    fn zero(prec: u32) -> Self {
        Complex::new(prec)
    }
    fn precision(&self) -> u32 {
        self.prec().0
    }
    fn is_zero_value(&self) -> bool {
        self.real().is_zero() && self.imag().is_zero()
    }
    fn magnitude(&self) -> Float {
        // |re| + |im|
        Float::with_val(self.prec().0, self.real().abs_ref()) + &*self.imag().as_abs()
    }
    fn sub_mul(&mut self, a: &Self, b: &Self, tmp: &mut Self) {
        tmp.assign(a * b);
        *self -= &*tmp;
    }
    fn sub_dot(&mut self, a: &[Self], b: &[Self]) {
        // re -= sum (a_re b_re - a_im b_im), im -= sum (a_re b_im + a_im b_re): terms 2j
        // and 2j + 1 of each sum come from a_j b_j
        let m = a.len().min(b.len());
        let (a, b) = (&a[..m], &b[..m]);
        let re = complex_part(self.real(), a, b, |x, y, even| {
            if even {
                Term::neg_prod(x.real(), y.real())
            } else {
                Term::prod(x.imag(), y.imag())
            }
        });
        let im = complex_part(self.imag(), a, b, |x, y, even| {
            if even {
                Term::neg_prod(x.real(), y.imag())
            } else {
                Term::neg_prod(x.imag(), y.real())
            }
        });
        *self.mut_real() = re;
        *self.mut_imag() = im;
    }
    fn pivot_divisor(d: &Self) -> Self {
        Complex::with_val(d.prec(), d.recip_ref())
    }
    fn div_pivot(&mut self, dv: &Self) {
        *self *= dv;
    }
}

/// init + the terms term(a_j, b_j, true), term(a_j, b_j, false) for j = 0, 1, ... in one
/// rounding at init's precision: one part of a complex [`LuScalar::sub_dot`] (a generic
/// closure, so that the dot product's two passes inline it).
fn complex_part<'t, F>(init: &'t Float, a: &'t [Complex], b: &'t [Complex], term: F) -> Float
where
    F: Fn(&'t Complex, &'t Complex, bool) -> Term<'t> + Clone,
{
    let mut out = Float::new(init.prec());
    dot_into(
        &mut out,
        std::iter::once(Term::single(init, false))
            .chain((0..2 * a.len()).map(move |k| term(&a[k / 2], &b[k / 2], k % 2 == 0))),
    );
    out
}

/// LU factorization `P A = L U` with partial pivoting.
#[derive(Clone, Debug)]
pub struct Lu<T> {
    n: usize,
    lu: Vec<T>,
    piv: Vec<usize>,
    /// [`LuScalar::pivot_divisor`] of each diagonal entry of U
    pdiv: Vec<T>,
}

/// LU of a real matrix.
pub type RealLu = Lu<Float>;
/// LU of a complex matrix.
pub type ComplexLu = Lu<Complex>;

impl<T: LuScalar> Lu<T> {
    /// Factor `a` (row-major n x n). Returns `None` when a zero pivot is met (singular).
    pub fn factor(mut a: Vec<T>, n: usize) -> Option<Lu<T>> {
        assert_eq!(a.len(), n * n);
        let prec = a.first().map_or(64, |x| x.precision());
        let mut piv = vec![0usize; n];
        let mut pdiv = Vec::with_capacity(n);
        let mut t = T::zero(prec);
        for k in 0..n {
            let mut p = k;
            for i in k + 1..n {
                if a[i * n + k].cmp_magnitude(&a[p * n + k]) == Ordering::Greater {
                    p = i;
                }
            }
            piv[k] = p;
            if a[p * n + k].is_zero_value() {
                return None;
            }
            if p != k {
                for j in 0..n {
                    a.swap(k * n + j, p * n + j);
                }
            }
            let pdk = T::pivot_divisor(&a[k * n + k]);
            for i in k + 1..n {
                if a[i * n + k].is_zero_value() {
                    continue;
                }
                let (top, bottom) = a.split_at_mut(i * n);
                bottom[k].div_pivot(&pdk);
                let lik = bottom[k].clone();
                for j in k + 1..n {
                    bottom[j].sub_mul(&lik, &top[k * n + j], &mut t);
                }
            }
            pdiv.push(pdk);
        }
        Some(Lu {
            n,
            lu: a,
            piv,
            pdiv,
        })
    }

    /// The smallest magnitude of a pivot (a diagonal entry of U): a factorization whose
    /// smallest pivot is tiny beside the matrix's entries is of a nearly singular
    /// matrix.
    pub fn min_pivot(&self) -> Float {
        min_pivot(&self.lu, self.n)
    }

    /// Solve `A x = b` in place.
    pub fn solve(&self, b: &mut [T]) {
        let n = self.n;
        for k in 0..n {
            let p = self.piv[k];
            if p != k {
                b.swap(k, p);
            }
        }
        for i in 0..n {
            let (done, rest) = b.split_at_mut(i);
            rest[0].sub_dot(&self.lu[i * n..i * n + i], done);
        }
        back_substitute(&self.lu, &self.pdiv, n, b);
    }
}

impl Lu<Complex> {
    /// A dense one-limb factorization ([`LeanLu::factor_dense`]) as an MPC one (its
    /// values exactly); None for a Hessenberg one.
    pub fn from_lean(l: &LeanLu) -> Option<Lu<Complex>> {
        let (lu, pdiv, piv) = l.to_mpc();
        let piv = piv.ok()?.to_vec();
        Some(Lu {
            n: l.n(),
            lu,
            piv,
            pdiv,
        })
    }

    /// This factorization with one-limb entries, for solves that give [`Lu::solve`]'s
    /// results bit for bit without MPC ([`LeanLu`]); None when it is wider than 64 bits.
    pub fn lean(&self) -> Option<LeanLu> {
        LeanLu::dense(self.n, &self.lu, &self.pdiv, &self.piv)
    }
}

/// The smallest [`LuScalar::magnitude`] on the diagonal of the row-major n x n `lu`.
pub(crate) fn min_pivot<T: LuScalar>(lu: &[T], n: usize) -> Float {
    (0..n)
        .map(|k| lu[k * n + k].magnitude())
        .reduce(|a, b| if b < a { b } else { a })
        .unwrap_or_else(|| Float::new(64))
}

/// Solve `U x = b` in place for the upper triangle `U` of the row-major n x n `lu`
/// (the last stage of every LU solve here); `pdiv` holds the
/// [`LuScalar::pivot_divisor`] of each diagonal entry.
pub(crate) fn back_substitute<T: LuScalar>(lu: &[T], pdiv: &[T], n: usize, b: &mut [T]) {
    for i in (0..n).rev() {
        let (head, tail) = b.split_at_mut(i + 1);
        head[i].sub_dot(&lu[i * n + i + 1..(i + 1) * n], tail);
        head[i].div_pivot(&pdiv[i]);
    }
}

/// M = X diag(a) X^T (n x n, row-major) for the n rows of X and a weight per column:
/// each entry one dot product, the rows of the upper triangle in parallel.
pub fn gram(rows: &[Vec<Float>], a: &[Float], prec: u32) -> Vec<Float> {
    let n = rows.len();
    let ra: Vec<Vec<Float>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .zip(a)
                .map(|(u, v)| Float::with_val(prec, u * v))
                .collect()
        })
        .collect();
    let upper: Vec<Vec<Float>> = (0..n)
        .into_par_iter()
        .map(|j| {
            (j..n)
                .map(|k| {
                    let mut s = Float::new(prec);
                    dot(&mut s, &ra[j], &rows[k]);
                    s
                })
                .collect()
        })
        .collect();
    let mut m = vec![Float::new(prec); n * n];
    for (j, row) in upper.into_iter().enumerate() {
        for (k, v) in (j..n).zip(row) {
            m[k * n + j].assign(&v);
            m[j * n + k] = v;
        }
    }
    m
}

/// The columns of the matrix whose rows are given (each row of length `dim`): with them
/// X c = Σ_k c_k rows[k] is [`row_dots`] over the columns, each entry one contiguous dot
/// product.
pub fn columns(rows: &[Vec<Float>], dim: usize) -> Vec<Vec<Float>> {
    (0..dim)
        .map(|i| rows.iter().map(|row| row[i].clone()).collect())
        .collect()
}

/// rows[k] · v for every row, at precision `prec`: X^T v for X whose columns are the
/// rows given.
pub fn row_dots(rows: &[Vec<Float>], v: &[Float], prec: u32) -> Vec<Float> {
    rows.iter()
        .map(|row| {
            let mut s = Float::new(prec);
            dot(&mut s, row, v);
            s
        })
        .collect()
}

/// A matrix of rationals held exactly as an integer matrix over one common denominator,
/// Z = K / q, every entry of K a one-limb (64-bit) [`Float`] and q a `u64`: its row
/// products Z v = (K v) / q take one-limb-by-working-precision products (the dot
/// product's kernel for them, about a third of the cost of products of two rounded
/// entries at 192 bits) of the data as they are, the sum rounded once and the quotient
/// once more. Data written with a few decimals (the bench's random points, 3 decimals:
/// q = 1000) have one; data whose common denominator or scaled entries exceed 64 bits
/// do not, and keep their entries rounded to the working precision.
#[derive(Clone, Debug)]
pub struct IntRows {
    k: Vec<Vec<Float>>,
    q: u64,
    /// 1/q at the working precision (None for q = 1)
    qinv: Option<Float>,
}

impl IntRows {
    /// `rows` as K / q for products at `prec` bits, or None when q or an entry of K does
    /// not fit in 64 bits.
    pub fn new(rows: &[Vec<rug::Rational>], prec: u32) -> Option<IntRows> {
        let mut q = rug::Integer::from(1);
        for x in rows.iter().flatten() {
            q.lcm_mut(x.denom());
        }
        let q64 = q.to_u64()?;
        let k = rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|x| {
                        // x q is an integer: x's denominator divides q
                        let f = rug::Integer::from(&q / x.denom());
                        let v = rug::Integer::from(x.numer() * &f);
                        (v.significant_bits() <= 64).then(|| Float::with_val(64, &v))
                    })
                    .collect::<Option<Vec<Float>>>()
            })
            .collect::<Option<Vec<Vec<Float>>>>()?;
        let qinv = (q64 != 1).then(|| Float::with_val(prec, Float::with_val(64, q64).recip_ref()));
        Some(IntRows { k, q: q64, qinv })
    }

    /// The same matrix transposed (`dim` columns).
    pub fn columns(&self, dim: usize) -> IntRows {
        IntRows {
            k: columns(&self.k, dim),
            q: self.q,
            qinv: self.qinv.clone(),
        }
    }

    /// Z v for every row, at precision `prec`: each (K v)_k one exact dot product rounded
    /// to `prec`, then divided by q and rounded again (exact when q is 1).
    pub fn row_dots(&self, v: &[Float], prec: u32) -> Vec<Float> {
        self.k
            .iter()
            .map(|row| {
                let mut s = Float::new(prec);
                // v's entries first: the kernel takes products of working-precision
                // operands by one-limb ones in that order
                dot(&mut s, v, row);
                if let Some(r) = &self.qinv {
                    super::mul::mul_assign(&mut s, r);
                }
                s
            })
            .collect()
    }
}

/// A data matrix's exact integer forms: its rows and its columns ([`IntRows`]).
#[derive(Clone, Debug)]
pub struct IntMatrix {
    pub rows: IntRows,
    pub cols: IntRows,
}

impl IntMatrix {
    /// `rows` (of `dim` entries each) as K / q, or None when q or an entry of K does not
    /// fit in 64 bits.
    pub fn new(rows: &[Vec<rug::Rational>], dim: usize, prec: u32) -> Option<IntMatrix> {
        let r = IntRows::new(rows, prec)?;
        let cols = r.columns(dim);
        Some(IntMatrix { rows: r, cols })
    }
}

/// rows[k] · v for every row: by the exact integer form when there is one, else from
/// the rounded rows.
pub fn data_row_dots(
    rows: &[Vec<Float>],
    int: Option<&IntRows>,
    v: &[Float],
    prec: u32,
) -> Vec<Float> {
    match int {
        Some(k) => k.row_dots(v, prec),
        None => row_dots(rows, v, prec),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_solve_exact_system() {
        let p = 200;
        // A = [[0, 2, 1], [1, 1, 1], [2, 1, 0]] (needs pivoting), x = (1, -2, 3)
        let a: Vec<Float> = [0, 2, 1, 1, 1, 1, 2, 1, 0]
            .iter()
            .map(|&v| Float::with_val(p, v))
            .collect();
        let mut b: Vec<Float> = [-1, 2, 0].iter().map(|&v| Float::with_val(p, v)).collect();
        let lu = RealLu::factor(a, 3).unwrap();
        lu.solve(&mut b);
        for (x, e) in b.iter().zip([1, -2, 3]) {
            let err = Float::with_val(p, x - e).abs();
            assert!(err < Float::with_val(p, Float::i_exp(1, -190)));
        }
    }

    #[test]
    fn singular_detected() {
        let p = 100;
        let a: Vec<Float> = [1, 2, 2, 4]
            .iter()
            .map(|&v| Float::with_val(p, v))
            .collect();
        assert!(RealLu::factor(a, 2).is_none());
    }

    #[test]
    fn complex_solve() {
        let p = 200;
        // A = [[i, 1], [2, 1+i]], x = (1 - i, 2i): b = A x
        let a = vec![
            Complex::with_val(p, (0, 1)),
            Complex::with_val(p, (1, 0)),
            Complex::with_val(p, (2, 0)),
            Complex::with_val(p, (1, 1)),
        ];
        let x = [Complex::with_val(p, (1, -1)), Complex::with_val(p, (0, 2))];
        let mut b = vec![
            Complex::with_val(p, &a[0] * &x[0]) + &a[1] * &x[1],
            Complex::with_val(p, &a[2] * &x[0]) + &a[3] * &x[1],
        ];
        let lu = ComplexLu::factor(a, 2).unwrap();
        lu.solve(&mut b);
        for (u, v) in b.iter().zip(x.iter()) {
            let d = Complex::with_val(p, u - v);
            let e = Float::with_val(p, d.abs_ref());
            assert!(e < Float::with_val(p, Float::i_exp(1, -190)));
        }
    }

    /// Z v from the integer form against the exact rational products: at most a unit in
    /// the last place off (the sum rounded, then its product by 1/q rounded), and
    /// exactly the rounded exact value when q = 1.
    #[test]
    fn int_rows_match_exact_products() {
        use rug::Rational;
        let p = 192;
        let r = |a: i64, b: i64| Rational::from((a, b));
        let rows = vec![
            vec![r(1, 2), r(-3, 10), r(7, 1)],
            vec![r(-214, 1000), r(538, 1000), r(0, 1)],
        ];
        let m = IntMatrix::new(&rows, 3, p).expect("fits");
        assert_eq!(m.rows.q, 500);
        let v: Vec<Float> = [r(1, 3), r(-22, 7), r(355, 113)]
            .iter()
            .map(|x| Float::with_val(p, x))
            .collect();
        let exact = |row: &[Rational], v: &[Float]| -> Rational {
            row.iter()
                .zip(v)
                .map(|(a, b)| a * b.to_rational().unwrap())
                .sum()
        };
        let got = m.rows.row_dots(&v, p);
        for (row, g) in rows.iter().zip(&got) {
            let e = Float::with_val(p, exact(row, &v));
            let err = Float::with_val(p, g - &e).abs() / e.clone().abs();
            assert!(
                err <= Float::with_val(p, Float::i_exp(1, 1 - p as i32)),
                "{g} vs {e}"
            );
        }
        // the columns: Z^T-wise products of a 2-vector
        let u: Vec<Float> = [r(5, 7), r(-9, 11)]
            .iter()
            .map(|x| Float::with_val(p, x))
            .collect();
        let cols: Vec<Vec<Rational>> = (0..3)
            .map(|i| rows.iter().map(|row| row[i].clone()).collect())
            .collect();
        for (col, g) in cols.iter().zip(m.cols.row_dots(&u, p)) {
            let e = Float::with_val(p, exact(col, &u));
            let err = Float::with_val(p, &g - &e).abs() / e.clone().abs();
            assert!(
                err <= Float::with_val(p, Float::i_exp(1, 1 - p as i32)),
                "{g} vs {e}"
            );
        }
        // integer data: one rounding of the exact sum
        let ints = vec![vec![r(3, 1), r(-5, 1), r(1 << 40, 1)]];
        let m = IntMatrix::new(&ints, 3, p).expect("fits");
        assert_eq!(m.rows.q, 1);
        assert_eq!(
            m.rows.row_dots(&v, p)[0],
            Float::with_val(p, exact(&ints[0], &v))
        );
        // too wide for one limb: no integer form
        let wide = vec![vec![r(1, 3), Rational::from(rug::Integer::from(1) << 64)]];
        assert!(IntMatrix::new(&wide, 2, p).is_none());
        let big_q = vec![vec![Rational::from((1, rug::Integer::from(1) << 70))]];
        assert!(IntMatrix::new(&big_q, 1, p).is_none());
    }
}
