//! Standard test problems shared by the solver tests (and usable from benchmarks):
//! a stiff linear system with a closed-form solution, Robertson's chemical kinetics
//! and the Van der Pol oscillator in its stiff scaling. Constants are exact rationals.

use super::Ode;
use crate::num::from_rational;
use rug::{Assign, Float, Rational};

/// y' = M y with M = P Λ P^{-1}, P the n x n lower triangle of ones (P^{-1} has 1 on
/// the diagonal and -1 below it), Λ = diag(λ_1, ..., λ_n). Exact solution
/// y(x) = P exp(Λ x) P^{-1} y0. M is dense below the diagonal and bidiagonal-free above
/// it, so at n >= 8 the integrator's Hessenberg path does real work.
pub struct StiffLinear {
    pub prec: u32,
    pub lambdas: Vec<Rational>,
    m: Vec<Float>,
}

/// P[i][k] of [`StiffLinear`].
fn p_entry(i: usize, k: usize) -> i32 {
    i32::from(k <= i)
}

/// P^{-1}[k][j] of [`StiffLinear`].
fn pinv_entry(k: usize, j: usize) -> i32 {
    if j == k {
        1
    } else if j + 1 == k {
        -1
    } else {
        0
    }
}

impl StiffLinear {
    pub fn new(prec: u32, lambdas: &[Rational]) -> StiffLinear {
        let n = lambdas.len();
        let mut m = vec![Float::new(prec); n * n];
        for i in 0..n {
            for j in 0..n {
                let mut acc = Rational::new();
                for (k, l) in lambdas.iter().enumerate() {
                    acc += Rational::from(l * (p_entry(i, k) * pinv_entry(k, j)));
                }
                m[i * n + j] = from_rational(prec, &acc);
            }
        }
        StiffLinear {
            prec,
            lambdas: lambdas.to_vec(),
            m,
        }
    }

    /// The exact solution at x from y0, evaluated at precision `prec`.
    pub fn exact(&self, y0: &[Rational], x: &Float, prec: u32) -> Vec<Float> {
        let n = self.lambdas.len();
        let c: Vec<Float> = (0..n)
            .map(|k| {
                let mut v = Rational::new();
                for (j, y) in y0.iter().enumerate() {
                    v += Rational::from(y * pinv_entry(k, j));
                }
                let e = (Float::with_val(prec, x) * from_rational(prec, &self.lambdas[k])).exp();
                from_rational(prec, &v) * e
            })
            .collect();
        (0..n)
            .map(|i| {
                let mut s = Float::new(prec);
                for (k, ck) in c.iter().enumerate() {
                    s += Float::with_val(prec, ck * p_entry(i, k));
                }
                s
            })
            .collect()
    }
}

impl Ode for StiffLinear {
    fn dim(&self) -> usize {
        self.lambdas.len()
    }
    fn prec(&self) -> u32 {
        self.prec
    }
    fn rhs(&self, _x: &Float, y: &[Float], out: &mut [Float]) {
        let n = self.lambdas.len();
        for i in 0..n {
            out[i].assign(0);
            for j in 0..n {
                out[i] += Float::with_val(self.prec, &self.m[i * n + j] * &y[j]);
            }
        }
    }
    fn jacobian(&self, _x: &Float, _y: &[Float], jac: &mut [Float]) {
        for (j, m) in jac.iter_mut().zip(&self.m) {
            j.assign(m);
        }
    }
}

/// Robertson's problem: y1' = -k1 y1 + k3 y2 y3, y2' = k1 y1 - k3 y2 y3 - k2 y2^2,
/// y3' = k2 y2^2 with k1 = 4/100, k2 = 3*10^7, k3 = 10^4; y(0) = (1, 0, 0).
pub struct Robertson {
    pub prec: u32,
    k1: Float,
    k2: Float,
    k3: Float,
}

impl Robertson {
    pub fn new(prec: u32) -> Robertson {
        Robertson {
            prec,
            k1: from_rational(prec, &Rational::from((4, 100))),
            k2: Float::with_val(prec, 30_000_000u32),
            k3: Float::with_val(prec, 10_000u32),
        }
    }
}

impl Ode for Robertson {
    fn dim(&self) -> usize {
        3
    }
    fn prec(&self) -> u32 {
        self.prec
    }
    fn rhs(&self, _x: &Float, y: &[Float], out: &mut [Float]) {
        let p = self.prec;
        let a = Float::with_val(p, &self.k1 * &y[0]);
        let b = Float::with_val(p, &self.k3 * &y[1]) * &y[2];
        let c = Float::with_val(p, &self.k2 * &y[1]) * &y[1];
        out[0].assign(&b - &a);
        out[1].assign(&a - &b);
        out[1] -= &c;
        out[2].assign(&c);
    }
    fn jacobian(&self, _x: &Float, y: &[Float], jac: &mut [Float]) {
        let p = self.prec;
        let k3y3 = Float::with_val(p, &self.k3 * &y[2]);
        let k3y2 = Float::with_val(p, &self.k3 * &y[1]);
        let k2y2 = Float::with_val(p, &self.k2 * &y[1]) * 2u32;
        jac[0].assign(-&self.k1);
        jac[1].assign(&k3y3);
        jac[2].assign(&k3y2);
        jac[3].assign(&self.k1);
        jac[4].assign(-&k3y3);
        jac[4] -= &k2y2;
        jac[5].assign(-&k3y2);
        jac[6].assign(0);
        jac[7].assign(&k2y2);
        jac[8].assign(0);
    }
}

/// Van der Pol in the stiff scaling: y1' = y2, y2' = ((1 - y1^2) y2 - y1) / eps.
pub struct VanDerPol {
    pub prec: u32,
    inv_eps: Float,
}

impl VanDerPol {
    pub fn new(prec: u32, eps: &Rational) -> VanDerPol {
        VanDerPol {
            prec,
            inv_eps: from_rational(prec, &Rational::from(eps.recip_ref())),
        }
    }
}

impl Ode for VanDerPol {
    fn dim(&self) -> usize {
        2
    }
    fn prec(&self) -> u32 {
        self.prec
    }
    fn rhs(&self, _x: &Float, y: &[Float], out: &mut [Float]) {
        let p = self.prec;
        out[0].assign(&y[1]);
        let one_m = Float::with_val(p, 1) - Float::with_val(p, y[0].square_ref());
        let v = Float::with_val(p, &one_m * &y[1]) - &y[0];
        out[1].assign(&v * &self.inv_eps);
    }
    fn jacobian(&self, _x: &Float, y: &[Float], jac: &mut [Float]) {
        let p = self.prec;
        jac[0].assign(0);
        jac[1].assign(1);
        // d/dy1: (-2 y1 y2 - 1)/eps ; d/dy2: (1 - y1^2)/eps
        let a = Float::with_val(p, &y[0] * &y[1]) * 2u32 + 1u32;
        jac[2].assign(-(a * &self.inv_eps));
        let b = Float::with_val(p, 1) - Float::with_val(p, y[0].square_ref());
        jac[3].assign(b * &self.inv_eps);
    }
}
