//! The dual problem `min_{lambda >= 0} f(lambda)` at working precision: its coordinate
//! functions, evaluation at an iterate, the natural residual, and the minimizer along a
//! ray (the starting point).

use super::coords::{exponent_e, nan, neg_powers};
use crate::num::from_rational;
use rug::{Assign, Float, Rational};
use std::cmp::Ordering;

/// The dual problem at working precision.
pub(super) struct Problem {
    depth: u32,
    pub(super) p: u32,
    mu: Float,
    /// mu^2
    mu2: Float,
    /// e = D/(D-2) (D >= 3)
    e: Float,
    /// rows z_n (N x d)
    pub(super) z: Vec<Vec<Float>>,
    pub(super) d: usize,
}

/// One dual iterate with everything derived from it.
pub(super) struct Point {
    pub(super) lambda: Vec<Float>,
    pub(super) w: Vec<Float>,
    /// dw_i / dtheta_i
    pub(super) a: Vec<Float>,
    pub(super) f: Float,
    /// z_n^T w - 1
    pub(super) g: Vec<Float>,
}

impl Problem {
    pub(super) fn new(z: &[Vec<Rational>], depth: u32, mu: &Rational, p: u32) -> Problem {
        let d = z.first().map_or(0, Vec::len);
        let muf = from_rational(p, mu);
        let mu2 = Float::with_val(p, muf.square_ref());
        let e = if depth > 2 {
            exponent_e(depth, p)
        } else {
            Float::new(p)
        };
        Problem {
            depth,
            p,
            mu: muf,
            mu2,
            e,
            z: z.iter()
                .map(|r| r.iter().map(|v| from_rational(p, v)).collect())
                .collect(),
            d,
        }
    }

    pub(super) fn n(&self) -> usize {
        self.z.len()
    }

    /// (w, dw/dtheta, phi) for one coordinate at s = mu theta; None outside the domain.
    fn coord(&self, s: &Float) -> Option<(Float, Float, Float)> {
        let p = self.p;
        if !s.is_finite() {
            return None;
        }
        if self.depth == 2 {
            // m = expm1(|s|): sinh|s| = m (m+2) / (2 (m+1)), cosh s = ((m+1) + 1/(m+1)) / 2,
            // phi = 2 (cosh s - 1) = m^2 / (m+1): no cancellation anywhere
            let m = Float::with_val(p, s.abs_ref()).exp_m1();
            if !m.is_finite() {
                return None;
            }
            let m1 = Float::with_val(p, &m + 1u32);
            let mut sh = Float::with_val(p, &m + 2u32) * &m;
            sh /= &m1; // 2 sinh|s|
            if s.is_sign_negative() {
                sh = -sh;
            }
            let ch2 = Float::with_val(p, m1.recip_ref()) + &m1; // 2 cosh s
            let phi = Float::with_val(p, m.square_ref()) / &m1;
            let w = sh * &self.mu;
            let a = ch2 * &self.mu2;
            Some((w, a, phi))
        } else {
            // With b = atanh(s)/(D-2) and c = log1p(-s^2)/(D-2) (so (1 -+ s)^(-x) =
            // exp(-x (D-2) c / 2 +- x (D-2) b)):
            //   h(s)   = 2 sinh(D b) exp(-D c / 2)
            //   h'(s)  = 2 e cosh((2D-2) b) exp(-(D-1) c)
            //   phi(s) = [(1-s)^(1-e) + (1+s)^(1-e) - 2] / (e-1)
            //          = (D-2) [expm1(-c) + 2 exp(-c) sinh(b)^2]
            // free of cancellation for small |s| (large mu) and accurate up to |s| -> 1
            if s.cmp_abs(&Float::with_val(8, 1)) != Some(Ordering::Less) {
                return None;
            }
            if s.cmp_abs(&Float::with_val(8, Float::i_exp(1, -16))) != Some(Ordering::Less) {
                // |s| >= 2^-16: the cheap form (one root per side, exact 1 -+ s) loses at
                // most 16 bits of w to cancellation, well inside the 64 guard bits
                return self.coord_roots(s);
            }
            let dm2 = self.depth - 2;
            let dd = self.depth;
            let b = Float::with_val(p, s.atanh_ref()) / dm2;
            let s2 = -Float::with_val(p, s.square_ref());
            let c = s2.ln_1p() / dm2;
            let mut w = Float::with_val(p, &b * dd).sinh();
            w *= Float::with_val(p, -Float::with_val(p, &c * dd) / 2u32).exp();
            w *= 2u32;
            w *= &self.mu;
            let mut a = Float::with_val(p, &b * (2 * dd - 2)).cosh();
            a *= Float::with_val(p, -Float::with_val(p, &c * (dd - 1))).exp();
            a *= 2u32;
            a *= &self.e;
            a *= &self.mu2;
            let x = Float::with_val(p, -&c).exp();
            let sh = Float::with_val(p, b.sinh_ref());
            let mut phi = Float::with_val(p, sh.square_ref()) * x * 2u32;
            phi += Float::with_val(p, -&c).exp_m1();
            phi *= dm2;
            if !(w.is_finite() && a.is_finite() && phi.is_finite()) {
                return None;
            }
            Some((w, a, phi))
        }
    }

    /// D >= 3 coordinate functions from `(1 -+ s)^(1/(D-2))` (see `neg_powers`).
    fn coord_roots(&self, s: &Float) -> Option<(Float, Float, Float)> {
        let p = self.p;
        let om = Float::with_val(p, 1) - s;
        let op = Float::with_val(p, 1) + s;
        let (u, ro2) = neg_powers(self.depth, &om, p);
        let (v, rp2) = neg_powers(self.depth, &op, p);
        let w = Float::with_val(p, &u - &v) * &self.mu;
        let mut a = Float::with_val(p, &u / &om) + Float::with_val(p, &v / &op);
        a *= &self.e;
        a *= &self.mu2;
        // phi = (ro2 + rp2 - 2) / (e - 1), 1/(e-1) = (D-2)/2
        let mut phi = Float::with_val(p, &ro2 + &rp2) - 2u32;
        phi *= self.depth - 2;
        phi /= 2u32;
        if !(w.is_finite() && a.is_finite() && phi.is_finite()) {
            return None;
        }
        Some((w, a, phi))
    }

    /// Evaluate the dual at lambda; None outside the domain of f.
    pub(super) fn eval(&self, lambda: Vec<Float>) -> Option<Point> {
        let p = self.p;
        let n = self.n();
        let d = self.d;
        let mut t = Float::new(p);
        let mut w = Vec::with_capacity(d);
        let mut a = Vec::with_capacity(d);
        let mut f = Float::new(p);
        for i in 0..d {
            let mut th = Float::new(p);
            for k in 0..n {
                if lambda[k].is_zero() {
                    continue;
                }
                t.assign(&self.z[k][i] * &lambda[k]);
                th += &t;
            }
            th *= &self.mu;
            let (wi, ai, phi) = self.coord(&th)?;
            f += &phi;
            w.push(wi);
            a.push(ai);
        }
        for l in &lambda {
            f -= l;
        }
        let mut g = Vec::with_capacity(n);
        for k in 0..n {
            let mut m = Float::new(p);
            for i in 0..d {
                t.assign(&self.z[k][i] * &w[i]);
                m += &t;
            }
            m -= 1u32;
            g.push(m);
        }
        Some(Point { lambda, w, a, f, g })
    }

    /// Natural residual `max_n |min(lambda_n / max lambda, g_n)|`.
    pub(super) fn residual(&self, pt: &Point) -> Float {
        let p = self.p;
        let mut big = Float::new(p);
        for l in &pt.lambda {
            if *l > big {
                big.assign(l);
            }
        }
        if big.is_zero() {
            big.assign(1);
        }
        let mut r = Float::new(p);
        for (l, g) in pt.lambda.iter().zip(&pt.g) {
            let ls = Float::with_val(p, l / &big);
            let m = if ls < *g { ls } else { g.clone() };
            if m.cmp_abs(&r) == Some(Ordering::Greater) {
                r.assign(m.abs_ref());
            }
        }
        r
    }

    /// The minimizer of `f(t dir)` over `t >= 0` (inside the domain), `dir >= 0`, as an
    /// evaluated point; None for a zero direction. `f` is convex along the ray, with
    /// `d/dt f(t dir) = u^T w(t u) - sum(dir)` and second derivative `sum_i u_i^2 w'_i`,
    /// `u = Z dir`; safeguarded Newton on the derivative to a relative `2^-40` in `t` (a
    /// starting point only).
    pub(super) fn ray_min(&self, dir: Vec<Float>) -> Option<Point> {
        let p = self.p;
        let n = self.n();
        let d = self.d;
        let mut sum = Float::new(p);
        for x in &dir {
            sum += x;
        }
        if sum.is_zero() {
            return None;
        }
        let mut u = vec![Float::new(p); d];
        let mut t = Float::new(p);
        for i in 0..d {
            for k in 0..n {
                t.assign(&self.z[k][i] * &dir[k]);
                u[i] += &t;
            }
        }
        let umax = crate::num::max_abs(p, &u);
        if umax.is_zero() {
            return None;
        }
        // derivative and second derivative at t; None outside the domain
        let deriv = |tt: &Float| -> Option<(Float, Float)> {
            let mut g = Float::with_val(p, -&sum);
            let mut h = Float::new(p);
            for ui in &u {
                let sarg = Float::with_val(p, ui * tt) * &self.mu;
                let (w, a, _) = self.coord(&sarg)?;
                g += Float::with_val(p, ui * &w);
                h += Float::with_val(p, ui.square_ref()) * &a;
            }
            Some((g, h))
        };
        // bracket [lo, hi]: derivative < 0 at lo, > 0 (or outside the domain) at hi
        let mut lo = Float::new(p);
        let mut hi = Float::with_val(p, &umax * &self.mu).recip(); // |s| = 1 on some i
        if self.depth == 2 {
            for _ in 0..4000 {
                match deriv(&hi) {
                    Some((g, _)) if g.is_sign_negative() => {
                        lo.assign(&hi);
                        hi *= 2u32;
                    }
                    _ => break,
                }
            }
        }
        let mut tt = Float::with_val(p, &lo + &hi) / 2u32;
        let rel = Float::with_val(p, Float::i_exp(1, -40));
        for _ in 0..400 {
            let next = match deriv(&tt) {
                Some((g, h)) => {
                    if g.is_zero() {
                        break;
                    }
                    if g.is_sign_negative() {
                        lo.assign(&tt);
                    } else {
                        hi.assign(&tt);
                    }
                    Float::with_val(p, &tt - Float::with_val(p, &g / &h))
                }
                None => {
                    hi.assign(&tt);
                    nan(p)
                }
            };
            let next = if next > lo && next < hi {
                next
            } else {
                Float::with_val(p, &lo + &hi) / 2u32
            };
            let step = Float::with_val(p, &next - &tt).abs();
            tt = next;
            let width = Float::with_val(p, &hi - &lo);
            let scale = Float::with_val(p, &tt * &rel);
            if step <= scale || width <= scale {
                break;
            }
        }
        let lam: Vec<Float> = dir.iter().map(|x| Float::with_val(p, x * &tt)).collect();
        self.eval(lam).or_else(|| {
            let lam: Vec<Float> = dir.iter().map(|x| Float::with_val(p, x * &lo)).collect();
            self.eval(lam)
        })
    }
}
