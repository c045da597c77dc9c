//! The dual of `min Q^D_alpha(w) s.t. X^T w = y` and its damped Newton iteration
//! (docs/math.md §13.3):
//!
//! ```text
//!     Phi(nu) = sum_i W*((X nu)_i) - y^T nu,    grad Phi = X^T W(X nu) - y,
//!     hess Phi = X^T diag(W'(X nu)) X           (X here: the basis points, d x N)
//! ```
//!
//! with `W` the depth-D mirror map ([`crate::model::Mirror`]) and `W*` its antiderivative
//! with `W*(0) = 0`, evaluated without cancellation:
//! D = 2: `W*(b) = alpha^2 sinh(2b)^2` (sinh from one `expm1`);
//! D >= 3: `W*(b) = (alpha^D / c) q*(s)`, `s = c b`, `q*(s) = [(1-s)^(1-e) + (1+s)^(1-e) - 2] / (e-1)`,
//! for `|s| < 1/4` as `2 [expm1(a) + 2 A sinh(B/2)^2] / (e-1)` with `a = (1-e)/2 log1p(-s^2)`,
//! `A = e^a`, `B = (1-e) atanh s` (two positive terms).
//!
//! `W`, `W'` and `Phi` are evaluated at the working precision `p` (which carries the
//! bits that `1 - |s|` loses for D >= 3 at small alpha); the Hessian, the residual it is
//! solved against and the Newton step at the (smaller) direction precision `pd`: an
//! inexact Newton step of relative error `eps` still contracts the error by `eps` per
//! iteration. When that Hessian is singular (or its step non-finite, or the line search
//! fails) it is recomputed with 64 + (the spread of the exponents of W') more bits: when the
//! support of w is smaller than N its eigenvalues span that range.

use crate::model::Mirror;
use crate::num::from_rational;
use crate::num::linalg::RealLu;
use rug::ops::Pow;
use rug::{Assign, Float, Rational};
use std::cmp::Ordering;

/// The dual problem at one alpha and precision.
pub(super) struct Dual {
    pub depth: u32,
    /// working precision (W, W', Phi, beta, nu)
    pub p: u32,
    /// direction precision (Hessian, residual, Newton step)
    pub pd: u32,
    pub mirror: Mirror,
    /// basis points x_n (rows), at p and at pd
    x: Vec<Vec<Float>>,
    xd: Vec<Vec<Float>>,
    y: Vec<Float>,
    d: usize,
}

/// The dual at one `nu`.
#[derive(Clone)]
pub(super) struct Point {
    pub nu: Vec<Float>,
    pub beta: Vec<Float>,
    pub w: Vec<Float>,
    pub dw: Vec<Float>,
    /// X^T w - y (at p)
    pub g: Vec<Float>,
    pub phi: Float,
}

/// A converged Newton iteration.
pub(super) struct Converged {
    pub pt: Point,
    pub iters: usize,
}

impl Dual {
    pub fn new(
        points: &[Vec<Rational>],
        y: &[Rational],
        depth: u32,
        alpha: &Rational,
        p: u32,
        pd: u32,
    ) -> Dual {
        let d = points.first().map_or(0, Vec::len);
        Dual {
            depth,
            p,
            pd,
            mirror: Mirror::new(depth, alpha, p),
            x: points
                .iter()
                .map(|r| r.iter().map(|v| from_rational(p, v)).collect())
                .collect(),
            xd: points
                .iter()
                .map(|r| r.iter().map(|v| from_rational(pd, v)).collect())
                .collect(),
            y: y.iter().map(|v| from_rational(p, v)).collect(),
            d,
        }
    }

    pub fn n(&self) -> usize {
        self.x.len()
    }

    /// `X v` at precision `prec` with the rows `x`.
    fn x_times(x: &[Vec<Float>], v: &[Float], d: usize, prec: u32) -> Vec<Float> {
        let mut out = vec![Float::new(prec); d];
        let mut t = Float::new(prec);
        for (row, vn) in x.iter().zip(v) {
            if vn.is_zero() {
                continue;
            }
            for (o, xi) in out.iter_mut().zip(row) {
                if !xi.is_zero() {
                    t.assign(xi * vn);
                    *o += &t;
                }
            }
        }
        out
    }

    /// The dual at `nu`; `None` outside the domain (D >= 3) or on overflow.
    pub fn eval(&self, nu: Vec<Float>) -> Option<Point> {
        let p = self.p;
        let beta = Self::x_times(&self.x, &nu, self.d, p);
        let mut w = Vec::with_capacity(self.d);
        let mut dw = Vec::with_capacity(self.d);
        let mut phi = Float::new(p);
        for b in &beta {
            let e = self.mirror.eval(b);
            if !e.w.is_finite() || !e.dw.is_finite() {
                return None;
            }
            phi += self.mirror.wstar(b)?;
            w.push(e.w);
            dw.push(e.dw);
        }
        let mut t = Float::new(p);
        let g: Vec<Float> = self
            .x
            .iter()
            .zip(&self.y)
            .map(|(row, yn)| {
                let mut s = Float::with_val(p, -yn);
                for (xi, wi) in row.iter().zip(&w) {
                    t.assign(xi * wi);
                    s += &t;
                }
                s
            })
            .collect();
        for (yn, vn) in self.y.iter().zip(&nu) {
            t.assign(yn * vn);
            phi -= &t;
        }
        Some(Point {
            nu,
            beta,
            w,
            dw,
            g,
            phi,
        })
    }

    /// The LU of the Hessian at precision `q`.
    fn hessian_lu_at(&self, pt: &Point, q: u32) -> Option<RealLu> {
        let n = self.n();
        let xq: Vec<Vec<Float>> = if q == self.pd {
            self.xd.clone()
        } else {
            self.x
                .iter()
                .map(|r| r.iter().map(|v| Float::with_val(q, v)).collect())
                .collect()
        };
        let dw: Vec<Float> = pt.dw.iter().map(|v| Float::with_val(q, v)).collect();
        let mut h = vec![Float::new(q); n * n];
        let mut t = Float::new(q);
        for a in 0..n {
            let xw: Vec<Float> = xq[a]
                .iter()
                .zip(&dw)
                .map(|(x, v)| Float::with_val(q, x * v))
                .collect();
            for b in 0..=a {
                let mut s = Float::new(q);
                for (u, x) in xw.iter().zip(&xq[b]) {
                    t.assign(u * x);
                    s += &t;
                }
                h[b * n + a].assign(&s);
                h[a * n + b] = s;
            }
        }
        RealLu::factor(h, n)
    }

    /// `H^{-1} X^T w` at `pt` (the continuation's tangent direction, up to the factor D),
    /// with the Hessian and the solve at precision `q` plus 64 + the spread of the
    /// exponents of W': an ill-conditioned solve does not fail, it returns a wrong
    /// direction (the sparse case at D = 3 lost its way below alpha ~ 3e-30 so: the
    /// tangent's components along the directions where W' ~ alpha^(2D-2) were noise and
    /// every prediction left the domain).
    pub fn tangent(&self, pt: &Point, q: u32) -> Option<Vec<Float>> {
        let q = q + spread_bits(&pt.dw);
        let lu = self.hessian_lu_at(pt, q)?;
        let mut r: Vec<Float> = self
            .x
            .iter()
            .map(|row| {
                let mut s = Float::new(q);
                for (x, wi) in row.iter().zip(&pt.w) {
                    s += Float::with_val(q, x * wi);
                }
                s
            })
            .collect();
        lu.solve(&mut r);
        r.iter().all(Float::is_finite).then_some(r)
    }

    /// Damped Newton from `pt` until the step changes `w` by at most `2^-tol_bits`
    /// relative to `||w||_inf` (or stagnates at the rounding floor below `2^-(tol_bits/2)`),
    /// at most `max_iter` iterations.
    pub fn newton(
        &self,
        mut pt: Point,
        tol_bits: i32,
        max_iter: usize,
    ) -> Result<Converged, String> {
        let p = self.p;
        let pd = self.pd;
        let tol = Float::with_val(pd, Float::i_exp(1, -tol_bits));
        let half_tol = Float::with_val(pd, Float::i_exp(1, -tol_bits / 2));
        let loose = Float::with_val(pd, Float::i_exp(1, -20));
        let mut prev_delta: Option<Float> = None;
        let mut escalated = false;
        let mut slow = false;
        for iter in 1..=max_iter {
            // The Hessian at pd; when that fails (singular, non-finite step, failed line
            // search), at pd plus the spread of W' in bits: W' spans up to
            // alpha^-(2D-2) when the support of w is smaller than N (docs/math.md §13.3)
            let hp = if escalated {
                self.pd + spread_bits(&pt.dw)
            } else {
                pd
            };
            let Some(step) = self
                .hessian_lu_at(&pt, hp)
                .map(|lu| {
                    let mut st: Vec<Float> = pt.g.iter().map(|v| -Float::with_val(hp, v)).collect();
                    lu.solve(&mut st);
                    st
                })
                .filter(|st| st.iter().all(Float::is_finite))
            else {
                if escalated {
                    return Err("singular Hessian".into());
                }
                escalated = true;
                continue;
            };
            let xs = Self::x_times(&self.xd, &step, self.d, pd);
            // relative change of w: max |W'_i (X step)_i| / ||w||_inf
            let mut dmax = Float::new(pd);
            let mut wmax = Float::new(pd);
            for ((a, b), w) in xs.iter().zip(&pt.dw).zip(&pt.w) {
                let v = Float::with_val(pd, a * b).abs();
                if v > dmax {
                    dmax = v;
                }
                if w.cmp_abs(&wmax) == Some(Ordering::Greater) {
                    wmax.assign(w.abs_ref());
                }
            }
            let delta = if wmax.is_zero() { dmax } else { dmax / &wmax };
            let stagnated = prev_delta
                .as_ref()
                .is_some_and(|pv| *pv < half_tol && Float::with_val(pd, &delta * 2u32) >= *pv);
            if stagnated {
                return Ok(Converged {
                    pt,
                    iters: iter - 1,
                });
            }
            // largest step: D = 2, |4 dbeta| <= 64; D >= 3, 0.9 of the way to |s| = 1
            let mut t = Float::with_val(p, 1);
            for (i, a) in xs.iter().enumerate() {
                if a.is_zero() {
                    continue;
                }
                let lim = if self.depth == 2 {
                    Float::with_val(pd, 16u32) / Float::with_val(pd, a.abs_ref())
                } else {
                    let s = Float::with_val(p, &pt.beta[i] * self.mirror.c());
                    let room = if a.is_sign_positive() {
                        Float::with_val(p, 1) - s
                    } else {
                        s + 1u32
                    };
                    let ds = Float::with_val(p, a * self.mirror.c()).abs();
                    Float::with_val(p, room * 9u32) / 10u32 / ds
                };
                if lim < t {
                    t.assign(&lim);
                }
            }
            let slope = {
                let mut s = Float::new(pd);
                for (gn, sn) in pt.g.iter().zip(&step) {
                    s += Float::with_val(pd, gn * sn);
                }
                s
            };
            // the dual at nu + tau step
            let at = |tau: &Float| -> Option<Point> {
                let nu: Vec<Float> = pt
                    .nu
                    .iter()
                    .zip(&step)
                    .map(|(v, s)| Float::with_val(p, s * tau) + v)
                    .collect();
                self.eval(nu)
            };
            let mut accepted = None;
            for _ in 0..200 {
                if let Some(trial) = at(&t) {
                    let armijo = Float::with_val(p, &slope * &t) / 10000u32 + &pt.phi;
                    let ok = trial.phi <= armijo
                        || (delta < loose && t == 1 && norm_inf(&trial.g) <= norm_inf(&pt.g));
                    if ok {
                        accepted = Some(trial);
                        break;
                    }
                }
                t /= 2u32;
            }
            if slow && t == 1 {
                // Phi is convex: doubling while it falls ends within a factor 2 of the
                // minimum along the ray
                while let Some(acc) = accepted.as_ref() {
                    let t2 = Float::with_val(p, &t * 2u32);
                    if t2 > Float::with_val(p, Float::i_exp(1, 40)) {
                        break;
                    }
                    match at(&t2) {
                        Some(trial) if trial.phi < acc.phi => {
                            accepted = Some(trial);
                            t = t2;
                        }
                        _ => break,
                    }
                }
            }
            let Some(acc) = accepted else {
                if delta <= tol {
                    // the step meets the goal already (it changes w by at most 2^-tol_bits):
                    // the point is converged, whether or not the line search can resolve
                    // the step (at small alpha and D >= 3 the full step may leave the
                    // domain along directions where W' is tiny, and the decrease of Phi
                    // lies below its rounding)
                    return Ok(Converged {
                        pt,
                        iters: iter - 1,
                    });
                }
                if escalated {
                    return Err("line search failed".into());
                }
                escalated = true;
                continue;
            };
            pt = acc;
            if delta <= tol {
                return Ok(Converged { pt, iters: iter });
            }
            // linear convergence: the iteration crawls (at D = 2 below alpha ~ 1e-400 on
            // the sparse case the gradient shrank by e per iteration, Newton on an
            // exponential: off-support mass decaying along a direction where Phi keeps
            // falling); the next full steps are extended by doubling while Phi falls
            slow = prev_delta
                .as_ref()
                .is_some_and(|pv| Float::with_val(pd, &delta * 4u32) > *pv);
            prev_delta = Some(delta);
        }
        Err(format!("no convergence in {max_iter} Newton iterations"))
    }
}

/// `max |v_i|`.
pub(super) fn norm_inf(v: &[Float]) -> Float {
    let p = v.first().map_or(64, Float::prec);
    crate::num::max_abs(p, v)
}

/// `2^k` for the smallest integer `k` with `(2^k)^D >= v` (`v > 0`).
pub(super) fn pow2_root_above(v: &Float, depth: u32) -> Rational {
    let e = v.get_exp().unwrap_or(0) as i64; // v < 2^e
    let k = e.div_euclid(depth as i64) + i64::from(e.rem_euclid(depth as i64) != 0);
    let two = Rational::from(2);
    if k >= 0 {
        two.pow(k as u32)
    } else {
        Rational::from(1) / two.pow((-k) as u32)
    }
}

/// `64 +` the spread of the binary exponents of `v` (the bits a Hessian with these
/// weights may need beyond its data's own conditioning).
fn spread_bits(v: &[Float]) -> u32 {
    let e: Vec<i32> = v.iter().filter_map(Float::get_exp).collect();
    let (lo, hi) = (e.iter().min(), e.iter().max());
    match (lo, hi) {
        (Some(lo), Some(hi)) => 64 + (hi - lo).unsigned_abs(),
        _ => 64,
    }
}
