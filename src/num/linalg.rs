//! Small dense linear algebra over MPFR: LU with partial pivoting, real and complex.
//! Matrices are row-major `Vec`s of length n*n.

use rug::{Assign, Complex, Float};
use std::cmp::Ordering;

/// LU factorization `P A = L U` of a real n x n matrix.
#[derive(Clone, Debug)]
pub struct RealLu {
    n: usize,
    lu: Vec<Float>,
    piv: Vec<usize>,
}

impl RealLu {
    /// Factor `a` (row-major n x n). Returns `None` when a zero pivot is met (singular).
    pub fn factor(mut a: Vec<Float>, n: usize) -> Option<RealLu> {
        assert_eq!(a.len(), n * n);
        let prec = a.first().map_or(64, |x| x.prec());
        let mut piv = vec![0usize; n];
        let mut t = Float::new(prec);
        for k in 0..n {
            let mut p = k;
            for i in k + 1..n {
                if a[i * n + k].cmp_abs(&a[p * n + k]) == Some(Ordering::Greater) {
                    p = i;
                }
            }
            piv[k] = p;
            if a[p * n + k].is_zero() {
                return None;
            }
            if p != k {
                for j in 0..n {
                    a.swap(k * n + j, p * n + j);
                }
            }
            let pivot = a[k * n + k].clone();
            for i in k + 1..n {
                if a[i * n + k].is_zero() {
                    continue;
                }
                a[i * n + k] /= &pivot;
                let (top, bottom) = a.split_at_mut(i * n);
                let lik = &bottom[k];
                let lik = lik.clone();
                for j in k + 1..n {
                    t.assign(&lik * &top[k * n + j]);
                    bottom[j] -= &t;
                }
            }
        }
        Some(RealLu { n, lu: a, piv })
    }

    /// Solve `A x = b` in place.
    pub fn solve(&self, b: &mut [Float]) {
        let n = self.n;
        let prec = b.first().map_or(64, |x| x.prec());
        let mut t = Float::new(prec);
        for k in 0..n {
            let p = self.piv[k];
            if p != k {
                b.swap(k, p);
            }
        }
        for i in 0..n {
            for j in 0..i {
                t.assign(&self.lu[i * n + j] * &b[j]);
                b[i] -= &t;
            }
        }
        for i in (0..n).rev() {
            for j in i + 1..n {
                t.assign(&self.lu[i * n + j] * &b[j]);
                b[i] -= &t;
            }
            b[i] /= &self.lu[i * n + i];
        }
    }
}

fn cmp_abs_complex(a: &Complex, b: &Complex) -> Ordering {
    // compare |re|+|im| (a norm equivalent to the modulus, cheap and exact enough for pivoting)
    let prec = a.prec().0.max(b.prec().0);
    let na = Float::with_val(prec, a.real().abs_ref()) + &*a.imag().as_abs();
    let nb = Float::with_val(prec, b.real().abs_ref()) + &*b.imag().as_abs();
    na.partial_cmp(&nb).unwrap_or(Ordering::Equal)
}

/// LU factorization `P A = L U` of a complex n x n matrix.
#[derive(Clone, Debug)]
pub struct ComplexLu {
    n: usize,
    lu: Vec<Complex>,
    piv: Vec<usize>,
}

impl ComplexLu {
    /// Factor `a` (row-major n x n). Returns `None` when singular.
    pub fn factor(mut a: Vec<Complex>, n: usize) -> Option<ComplexLu> {
        assert_eq!(a.len(), n * n);
        let prec = a.first().map_or(64, |x| x.prec().0);
        let mut piv = vec![0usize; n];
        let mut t = Complex::new(prec);
        for k in 0..n {
            let mut p = k;
            for i in k + 1..n {
                if cmp_abs_complex(&a[i * n + k], &a[p * n + k]) == Ordering::Greater {
                    p = i;
                }
            }
            piv[k] = p;
            if a[p * n + k].real().is_zero() && a[p * n + k].imag().is_zero() {
                return None;
            }
            if p != k {
                for j in 0..n {
                    a.swap(k * n + j, p * n + j);
                }
            }
            let pivot = a[k * n + k].clone();
            for i in k + 1..n {
                let (top, bottom) = a.split_at_mut(i * n);
                bottom[k] /= &pivot;
                let lik = bottom[k].clone();
                for j in k + 1..n {
                    t.assign(&lik * &top[k * n + j]);
                    bottom[j] -= &t;
                }
            }
        }
        Some(ComplexLu { n, lu: a, piv })
    }

    /// Solve `A x = b` in place.
    pub fn solve(&self, b: &mut [Complex]) {
        let n = self.n;
        let prec = b.first().map_or(64, |x| x.prec().0);
        let mut t = Complex::new(prec);
        for k in 0..n {
            let p = self.piv[k];
            if p != k {
                b.swap(k, p);
            }
        }
        for i in 0..n {
            for j in 0..i {
                t.assign(&self.lu[i * n + j] * &b[j]);
                b[i] -= &t;
            }
        }
        for i in (0..n).rev() {
            for j in i + 1..n {
                t.assign(&self.lu[i * n + j] * &b[j]);
                b[i] -= &t;
            }
            b[i] /= &self.lu[i * n + i];
        }
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
}
