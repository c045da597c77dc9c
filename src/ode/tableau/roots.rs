//! The roots the tableau is built on: the nodes (roots of P*_s - P*_{s-1}) and the
//! eigenvalues of A^{-1} (roots of the Padé denominator Q), each found from starting
//! values that know the roots' kind (docs/math.md §9.1).

use crate::num::poly;
use rug::{Float, Integer, Rational};

fn binom(n: u32, k: u32) -> Integer {
    Integer::from(Integer::binomial_u(n, k))
}

/// Coefficients (ascending) of the shifted Legendre polynomial P*_n(x) = P_n(2x - 1).
pub(super) fn shifted_legendre(n: u32) -> Vec<Integer> {
    (0..=n)
        .map(|k| {
            let v = binom(n, k) * binom(n + k, k);
            if (n + k) % 2 == 1 {
                -v
            } else {
                v
            }
        })
        .collect()
}

/// The nodes c_1 < ... < c_s = 1 of the s-stage Radau IIA method at `wp` bits: the
/// roots of P*_s - P*_{s-1} (shifted Legendre), all real in (0, 1], found from the
/// Chebyshev–Radau points (1 + cos(2πk/(2s - 1)))/2, k = s - 1, ..., 0, the last one
/// 1 itself.
pub(super) fn nodes(s: usize, wp: u32) -> Vec<Float> {
    let su = s as u32;
    let ps = shifted_legendre(su);
    let ps1 = shifted_legendre(su - 1);
    let q: Vec<Float> = (0..=s)
        .map(|k| {
            let mut v = ps[k].clone();
            if k < ps1.len() {
                v -= &ps1[k];
            }
            Float::with_val(wp, v)
        })
        .collect();
    let gp = 64;
    let pi = Float::with_val(gp, rug::float::Constant::Pi);
    let guesses: Vec<Float> = (0..s)
        .rev()
        .map(|k| {
            let ang = Float::with_val(gp, &pi * (2 * k as u32)) / (2 * su - 1);
            (ang.cos() + 1u32) / 2u32
        })
        .collect();
    let mut c = poly::real_roots(&q, wp, &guesses);
    c[s - 1] = Float::with_val(wp, 1);
    c
}

/// The coefficients (ascending) of the polynomial whose roots are the eigenvalues of
/// A^{-1} for s stages: Q(z) = Σ_j (-1)^j (2s-1-j)! s! / ((2s-1)! j! (s-j)!) z^j, at
/// `wp` bits.
fn eigen_polynomial(s: usize, wp: u32) -> Vec<Float> {
    let su = s as u32;
    let fact = |n: u32| Integer::from(Integer::factorial(n));
    (0..=su)
        .map(|j| {
            let num = fact(2 * su - 1 - j) * fact(su);
            let den = fact(2 * su - 1) * fact(j) * fact(su - j);
            let mut r = Rational::from((num, den));
            if j % 2 == 1 {
                r = -r;
            }
            crate::num::from_rational(wp, &r)
        })
        .collect()
}

/// The eigenvalues of A^{-1} for s stages at `wp` bits: one real for odd s, none for
/// even s, and the complex pairs (Hairer & Wanner, IV.8).
pub(super) fn eigenvalues(s: usize, wp: u32) -> poly::Roots {
    poly::roots_on_circle(&eigen_polynomial(s, wp), wp, s % 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ode::tableau::MAX_TABLEAU_STAGES;
    use rug::Complex;

    /// The root finds of every stage count converge (the starting values and the
    /// eigenvalues' split, one real for odd s): s nodes, strictly increasing in (0, 1],
    /// the last 1, each a root of P*_s - P*_{s-1} (p(c) against its terms' size), and
    /// s mod 2 real eigenvalues and s / 2 pairs, each a root of Q.
    #[test]
    fn every_stage_counts_roots_converge() {
        let wp = 128;
        for s in 1..=MAX_TABLEAU_STAGES {
            let c = nodes(s, wp);
            assert_eq!(c.len(), s);
            assert!(c[0] > 0u32 && c[s - 1] == 1u32, "s={s}");
            assert!(
                c.windows(2).all(|w| w[0] < w[1]),
                "s={s}: nodes not increasing"
            );
            let q = eigen_polynomial(s, wp);
            let e = eigenvalues(s, wp);
            assert_eq!((e.reals.len(), e.pairs.len()), (s % 2, s / 2), "s={s}");
            let small = |v: Float, size: Float| {
                let ok = v.abs() <= size * Float::with_val(wp, Float::i_exp(1, -(wp as i32) + 24));
                assert!(ok, "s={s}: not a root");
            };
            let ps = shifted_legendre(s as u32);
            let ps1 = shifted_legendre(s as u32 - 1);
            for x in &c {
                let exact = x.to_rational().expect("finite");
                let (mut v, mut size) = (Rational::new(), Rational::new());
                let mut pw = Rational::from(1);
                for k in 0..=s {
                    let mut a = Rational::from(&ps[k]);
                    if k < ps1.len() {
                        a -= &ps1[k];
                    }
                    let t = Rational::from(&a * &pw);
                    size += Rational::from(t.abs_ref());
                    v += t;
                    pw *= &exact;
                }
                small(Float::with_val(wp, &v), Float::with_val(wp, &size));
            }
            let roots = e
                .reals
                .iter()
                .map(|x| Complex::with_val(wp, x))
                .chain(e.pairs.iter().cloned());
            for z in roots {
                assert!(!z.imag().is_sign_negative(), "s={s}: a pair below the axis");
                let (mut v, mut size) = (Complex::new(wp), Float::new(wp));
                let mut pw = Complex::with_val(wp, 1);
                for a in &q {
                    let t = Complex::with_val(wp, &pw * a);
                    size += Float::with_val(wp, t.abs_ref());
                    v += t;
                    pw *= &z;
                }
                small(Float::with_val(wp, v.abs_ref()), size);
            }
        }
    }
}
