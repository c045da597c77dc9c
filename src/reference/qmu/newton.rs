//! The projected Newton iteration on the dual, with the reduction to a basic (linearly
//! independent) set of positive multipliers.

use super::dual::{Point, Problem};
use crate::num::linalg::RealLu;
use rug::ops::NegAssign;
use rug::{Assign, Float};
use std::cmp::Ordering;

/// Iteration cap of the Newton solver.
const MAX_ITER: usize = 400;

impl Problem {
    /// A vector `v != 0` with `sum_j v_j z_{cols[j]} = 0` (to a relative tolerance of
    /// `2^-(p/2)`), or None when those rows are linearly independent. Gaussian elimination
    /// with partial pivoting over the columns in order; the first column without a pivot
    /// gives `v` by back substitution.
    fn null_vector(&self, cols: &[usize]) -> Option<Vec<Float>> {
        let p = self.p;
        let d = self.d;
        let m = cols.len();
        let tol = Float::with_val(p, Float::i_exp(1, -(p as i32 / 2)));
        let mut a: Vec<Vec<Float>> = (0..d)
            .map(|i| cols.iter().map(|&k| self.z[k][i].clone()).collect())
            .collect();
        let colmax: Vec<Float> = (0..m)
            .map(|j| {
                let mut c = Float::new(p);
                for row in &a {
                    if row[j].cmp_abs(&c) == Some(Ordering::Greater) {
                        c.assign(row[j].abs_ref());
                    }
                }
                c
            })
            .collect();
        let mut t = Float::new(p);
        let mut rank = 0;
        for j in 0..m {
            // pivot search in rows rank..d of column j
            let mut best = rank;
            for i in rank..d {
                if a[i][j].cmp_abs(&a[best][j]) == Some(Ordering::Greater) {
                    best = i;
                }
            }
            let dependent = rank == d || {
                let lim = Float::with_val(p, &colmax[j] * &tol);
                a[best][j].cmp_abs(&lim) != Some(Ordering::Greater)
            };
            if dependent {
                // columns 0..j are pivot columns in rows 0..j: solve for v with v_j = 1
                let mut v = vec![Float::new(p); m];
                v[j].assign(1);
                for k in (0..j).rev() {
                    let mut s = Float::with_val(p, &a[k][j]);
                    for l in k + 1..j {
                        t.assign(&a[k][l] * &v[l]);
                        s += &t;
                    }
                    v[k] = -(s / &a[k][k]);
                }
                return Some(v);
            }
            a.swap(rank, best);
            let (top, bottom) = a.split_at_mut(rank + 1);
            let prow = &top[rank];
            for row in bottom.iter_mut() {
                if row[j].is_zero() {
                    continue;
                }
                let f = Float::with_val(p, &row[j] / &prow[j]);
                for l in j..m {
                    t.assign(&f * &prow[l]);
                    row[l] -= &t;
                }
            }
            rank += 1;
        }
        None
    }

    /// Make the positive multipliers independent: while the rows `z_n` with `lambda_n > 0`
    /// are dependent, move along a null direction `v` (`Z v = 0`, so `w` is unchanged and
    /// `f` changes by `-t sum(v)`, chosen `<= 0`) until a multiplier reaches zero.
    /// Each move drops one multiplier; a move that raises `f` beyond rounding is refused.
    pub(super) fn reduce_dependent(&self, mut pt: Point) -> Point {
        let p = self.p;
        for _ in 0..self.n() {
            let pos: Vec<usize> = (0..self.n()).filter(|&k| !pt.lambda[k].is_zero()).collect();
            let Some(mut v) = self.null_vector(&pos) else {
                break;
            };
            let mut sum = Float::new(p);
            for x in &v {
                sum += x;
            }
            if sum.is_sign_negative() {
                for x in v.iter_mut() {
                    x.neg_assign();
                }
            }
            // ratio test over the entries that decrease
            let mut best: Option<(usize, Float)> = None;
            for (j, &k) in pos.iter().enumerate() {
                if v[j].is_sign_negative() && !v[j].is_zero() {
                    let r = Float::with_val(p, &pt.lambda[k] / &v[j]).abs();
                    if best.as_ref().is_none_or(|(_, b)| r < *b) {
                        best = Some((j, r));
                    }
                }
            }
            let Some((jmin, tstep)) = best else {
                break; // no entry decreases: cannot happen for separable data
            };
            let mut lam = pt.lambda.clone();
            for (j, &k) in pos.iter().enumerate() {
                let mut x = Float::with_val(p, &v[j] * &tstep);
                x += &lam[k];
                if x.is_sign_negative() || j == jmin {
                    x.assign(0);
                }
                lam[k] = x;
            }
            let Some(np) = self.eval(lam) else {
                break;
            };
            // accept unless f rose beyond rounding (scale: sum of lambda)
            let mut scale = Float::with_val(p, 1);
            for l in &pt.lambda {
                scale += l;
            }
            scale *= Float::with_val(p, Float::i_exp(1, -(p as i32 / 2)));
            if Float::with_val(p, &np.f - &pt.f) > scale {
                break;
            }
            pt = np;
        }
        pt
    }

    /// Projected Newton from `lambda0` (which must lie in the domain) until the natural
    /// residual is below `tol`. Returns the final point, iterations, and whether it
    /// converged (false: stalled or iteration cap; the caller's certificate decides).
    pub(super) fn newton(&self, lambda0: Vec<Float>, tol: &Float) -> Option<(Point, usize, bool)> {
        let p = self.p;
        let n = self.n();
        let d = self.d;
        let mut pt = self.eval(lambda0)?;
        let mut r;
        let mut r_best = self.residual(&pt);
        let cap = Float::with_val(p, Float::i_exp(1, -10));
        let sigma = Float::with_val(p, Float::i_exp(1, -13));
        let mut t = Float::new(p);
        let mut damped = false;
        for it in 0..MAX_ITER {
            pt = self.reduce_dependent(pt);
            r = self.residual(&pt);
            if r <= *tol {
                return Some((pt, it, true));
            }
            let rc = if r < cap { r.clone() } else { cap.clone() };
            // epsilon-active set
            let mut big = Float::new(p);
            for l in &pt.lambda {
                if *l > big {
                    big.assign(l);
                }
            }
            let eps = Float::with_val(p, &big * &rc);
            let mut free = Vec::new();
            let mut held = Vec::new();
            for k in 0..n {
                if pt.lambda[k] <= eps && pt.g[k].is_sign_positive() && !pt.g[k].is_zero() {
                    held.push(k);
                } else {
                    free.push(k);
                }
            }
            // direction
            let mut dir = vec![Float::new(p); n];
            // z_k * a for the rows involved
            let za: Vec<Vec<Float>> = (0..n)
                .map(|k| {
                    (0..d)
                        .map(|i| Float::with_val(p, &self.z[k][i] * &pt.a[i]))
                        .collect()
                })
                .collect();
            let dot = |x: &[Float], y: &[Float]| -> Float {
                let mut s = Float::new(p);
                let mut tt = Float::new(p);
                for i in 0..d {
                    tt.assign(&x[i] * &y[i]);
                    s += &tt;
                }
                s
            };
            // held rows: the scaled gradient step -g_k / H_kk, but at least far enough to
            // reach the bound at a unit step (a pure gradient step crawls when H_kk is large)
            for &k in &held {
                let hkk = dot(&za[k], &self.z[k]);
                let mut step = if hkk.is_zero() {
                    pt.lambda[k].clone()
                } else {
                    Float::with_val(p, &pt.g[k] / &hkk)
                };
                if step < pt.lambda[k] {
                    step.assign(&pt.lambda[k]);
                }
                dir[k] = -step;
            }
            let m = free.len();
            let mut pred = Float::new(p); // g_F^T (-d_F) > 0
            if m > 0 {
                let mut hm = vec![Float::new(p); m * m];
                let mut hmax = Float::new(p);
                for r1 in 0..m {
                    for r2 in r1..m {
                        let v = dot(&za[free[r1]], &self.z[free[r2]]);
                        if r1 == r2 && v > hmax {
                            hmax.assign(&v);
                        }
                        hm[r2 * m + r1].assign(&v);
                        hm[r1 * m + r2] = v;
                    }
                }
                // Levenberg-Marquardt shift only where it is needed: more free rows than
                // dimensions (H_FF singular), or after a strongly damped step. Otherwise
                // rho = 0: a shift of r * max diag would cap the rate at rho / lambda_min(H_FF)
                // until r < 1 / cond(H_FF).
                let mut rho = if m > d || damped {
                    Float::with_val(p, &hmax * &rc)
                } else {
                    Float::new(p)
                };
                let tiny = Float::with_val(p, Float::i_exp(1, -60));
                for _attempt in 0..64 {
                    let mut hr = hm.clone();
                    for j in 0..m {
                        hr[j * m + j] += &rho;
                    }
                    let mut ok = false;
                    if let Some(lu) = RealLu::factor(hr, m) {
                        let mut rhs: Vec<Float> = free.iter().map(|&k| -pt.g[k].clone()).collect();
                        lu.solve(&mut rhs);
                        pred.assign(0);
                        for (j, &k) in free.iter().enumerate() {
                            t.assign(&pt.g[k] * &rhs[j]);
                            pred -= &t;
                        }
                        // a numerically singular H_FF shows as a non-finite or non-descent step
                        ok = pred.is_finite()
                            && (pred.is_sign_positive() || pred.is_zero())
                            && rhs.iter().all(Float::is_finite);
                        if ok {
                            for (j, &k) in free.iter().enumerate() {
                                dir[k].assign(&rhs[j]);
                            }
                        }
                    }
                    if ok {
                        break;
                    }
                    if rho.is_zero() {
                        rho = Float::with_val(p, &hmax * &rc);
                        if rho.is_zero() {
                            rho = Float::with_val(p, &hmax * &tiny);
                        }
                        if rho.is_zero() {
                            rho.assign(&tiny);
                        }
                    } else {
                        rho *= 16u32;
                    }
                }
            }
            if !dir.iter().all(Float::is_finite) {
                return Some((pt, it, false));
            }
            // line search along the projection arc
            let mut alpha = Float::with_val(p, 1);
            let mut accepted = None;
            for ls in 0..200 {
                let lam: Vec<Float> = (0..n)
                    .map(|k| {
                        let mut v = Float::with_val(p, &dir[k] * &alpha);
                        v += &pt.lambda[k];
                        if v.is_sign_negative() {
                            v.assign(0);
                        }
                        v
                    })
                    .collect();
                if let Some(np) = self.eval(lam) {
                    // required decrease: sigma (alpha pred + sum_W g_k (lambda_k - lambda_k(alpha)))
                    let mut req = Float::with_val(p, &pred * &alpha);
                    for &k in &held {
                        let dl = Float::with_val(p, &pt.lambda[k] - &np.lambda[k]);
                        t.assign(&pt.g[k] * &dl);
                        req += &t;
                    }
                    req *= &sigma;
                    let dec = Float::with_val(p, &pt.f - &np.f);
                    let nr = self.residual(&np);
                    let half_best = Float::with_val(p, &r_best / 2u32);
                    if dec >= req || (ls == 0 && nr <= half_best) {
                        accepted = Some((np, nr));
                        break;
                    }
                }
                alpha /= 2u32;
            }
            damped = alpha < Float::with_val(p, Float::i_exp(1, -6));
            match accepted {
                Some((np, nr)) => {
                    if nr < r_best {
                        r_best.assign(&nr);
                    }
                    pt = np;
                }
                None => return Some((pt, it + 1, false)),
            }
        }
        let ok = self.residual(&pt) <= *tol;
        Some((pt, MAX_ITER, ok))
    }
}
