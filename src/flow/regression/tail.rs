//! The certified tail of the regression flow (docs/math.md §12.3): how far the flow's
//! limit nu* (the minimizer of the convex dual Phi) can be from a state nu, and so how
//! much w can still change.
//!
//! With g = grad Phi(nu) = r / N and a lower bound mu on the Hessian
//! (1/N) X^T diag(W'(X nu')) X over the ball |nu' - nu| <= rho: if ||g|| / mu <= rho then
//! the minimizer lies in the ball and |nu - nu*|_2 <= R = ||g|| / mu. W' is even and
//! increasing in |beta|, so on the ball W'_i >= W'(max(0, |beta_i| - ||x^(i)|| rho)) (x^(i)
//! the i-th coordinates of the points) and |w_i - w*_i| <= W'(|beta_i| + ||x^(i)|| R)
//! ||x^(i)|| R. The smallest eigenvalue of the N x N matrix is bounded below by
//! 1 / ||H^{-1}||_F, halved (the inverse is computed in floating point: the halving covers
//! a relative error of up to 1/2 in its Frobenius norm). When no ball closes, the global
//! bound W' >= W'(0) = 2 D^2 alpha^(2D-2) is used (rho = infinity).
//!
//! At small alpha that smallest eigenvalue is ~alpha^(2D-2) and the ball bound certifies
//! nothing; the Bregman bound against exact interpolators (anchors, [`anchor_bound`])
//! needs none, and the tail bound reports the smaller of the two.

use super::RegFlow;
use crate::num::from_rational;
use crate::num::linalg::RealLu;
use crate::num::{digits_from_rel_error, max_abs};
use rug::{Assign, Float, Rational};

/// The certified distance from a state to the flow's limit.
#[derive(Clone, Debug)]
pub struct TailBound {
    /// a bound on max_i |w_i - w*_i|: the smaller of the ball bound's and the anchors'
    pub w_dist: Float,
    /// w_dist / ||w||_inf
    pub rel: Float,
    /// floor(-log10 rel), at most the cap given
    pub digits: u32,
    /// the ball bound on nu (None when the Hessian is numerically singular)
    pub ball: Option<BallBound>,
    /// which bound gave `w_dist`: None the ball bound, Some(j) the Bregman bound against
    /// the j-th anchor (an exact interpolator, [`anchor_bound`])
    pub anchor: Option<usize>,
}

/// The bound from a ball around nu on which the Hessian of Phi is bounded below.
#[derive(Clone, Debug)]
pub struct BallBound {
    /// a bound on ||nu - nu*||_2
    pub nu_dist: Float,
    /// the bound on max_i |w_i - w*_i| it gives
    pub w_dist: Float,
    /// the lower bound on the Hessian of Phi used
    pub mu: Float,
    /// ||grad Phi||_2 including the rounding allowance
    pub grad: Float,
    /// the ball bound closed (false: the global bound W' >= W'(0) was used)
    pub local: bool,
}

/// Attempts at closing a ball before the global bound is used.
const BALL_TRIES: usize = 8;

/// The tail bound at the state `nu` of `flow`, with at most `cap` digits; None when the
/// Hessian is numerically singular (dependent points, for which this bound does not
/// apply: the driver refuses them beforehand; or a Hessian not resolved at the working
/// precision plus the spread of W').
pub fn tail_bound(
    flow: &RegFlow,
    nu: &[Float],
    cap: u32,
    anchors: &[Vec<Rational>],
) -> Option<TailBound> {
    let p = flow.prec;
    let n = flow.n;
    let d = flow.d;
    let der = flow.derive(nu);
    // ||x^(i)||_2 and sum_k |x_ki nu_k| (for the rounding allowance)
    let mut rown = vec![Float::new(p); d];
    let mut babs = vec![Float::new(p); d];
    for (row, v) in flow.x.iter().zip(nu) {
        for i in 0..d {
            rown[i] += Float::with_val(p, row[i].square_ref());
            babs[i] += Float::with_val(p, &row[i] * v).abs();
        }
    }
    for r in rown.iter_mut() {
        r.sqrt_mut();
    }
    // grad Phi = r / N, plus the rounding of r: each w_i from beta_i carries
    // |w_i| 2^-(p-k) + w'_i |delta beta_i|, |delta beta_i| <= 2^-(p-k) sum_k |x_ki nu_k|,
    // k = 8 + log2(N + d) (the accumulated roundings of the sums, with a margin)
    let k = 8 + (64 - ((n + d) as u64).leading_zeros()) as i32;
    let eps = Float::with_val(p, Float::i_exp(1, -(p as i32 - k)));
    let mut allow = Float::new(p);
    // |r_n| for the true w: the computed |r_n| plus its allowance
    let mut rb = Vec::with_capacity(n);
    for ((row, yn), rn) in flow.x.iter().zip(&flow.y).zip(&der.r) {
        let mut s = Float::with_val(p, yn.abs_ref());
        for i in 0..d {
            let e =
                Float::with_val(p, der.w[i].abs_ref()) + Float::with_val(p, &der.dw[i] * &babs[i]);
            s += e * Float::with_val(p, row[i].abs_ref());
        }
        rb.push(Float::with_val(p, &s * &eps) + Float::with_val(p, rn.abs_ref()));
        if s > allow {
            allow = s;
        }
    }
    // the rounding of beta_i and of w_i (the anchor bound's allowance)
    let eb: Vec<Float> = babs.iter().map(|b| Float::with_val(p, b * &eps)).collect();
    let ew: Vec<Float> = der
        .w
        .iter()
        .zip(&der.dw)
        .zip(&eb)
        .map(|((w, dw), e)| (Float::with_val(p, w.abs_ref()) * &eps) + Float::with_val(p, dw * e))
        .collect();
    allow *= &eps;
    allow *= Float::with_val(p, n as u32).sqrt();
    let grad = (flow.norm2(&der.r) + allow) / n as u32;
    let mu_at = |rho: Option<&Float>| -> Option<Float> {
        let weights: Vec<Float> = match rho {
            None => vec![flow.mirror.eval(&Float::new(p)).dw; d],
            Some(rho) => der
                .beta
                .iter()
                .zip(&rown)
                .map(|(b, xn)| {
                    let mut m = Float::with_val(p, b.abs_ref()) - Float::with_val(p, xn * rho);
                    if m.is_sign_negative() {
                        m.assign(0);
                    }
                    flow.mirror.eval(&m).dw
                })
                .collect(),
        };
        // the Hessian's eigenvalues may span the range of W' (alpha^(2D-2) to O(1)
        // when fewer than N coordinates are active): factor it with that many more bits
        let q = p + spread_bits(&weights);
        let h: Vec<Float> = flow
            .gram(&weights)
            .into_iter()
            .map(|v| Float::with_val(q, v) / n as u32)
            .collect();
        let lu = RealLu::factor(h, n)?;
        let mut frob = Float::new(q);
        for j in 0..n {
            let mut e = vec![Float::new(q); n];
            e[j].assign(1);
            lu.solve(&mut e);
            for v in &e {
                if !v.is_finite() {
                    return None;
                }
                frob += Float::with_val(q, v.square_ref());
            }
        }
        let mu = Float::with_val(p, frob.sqrt_ref()).recip() / 2u32;
        (mu.is_finite() && mu.is_sign_positive() && !mu.is_zero()).then_some(mu)
    };
    let ball = (|| -> Option<BallBound> {
        let mu0 = mu_at(Some(&Float::new(p)))?;
        let mut rho = Float::with_val(p, &grad / &mu0) * 2u32;
        let mut found = None;
        for _ in 0..BALL_TRIES {
            let Some(mu) = mu_at(Some(&rho)) else { break };
            let r = Float::with_val(p, &grad / &mu);
            if r <= rho {
                found = Some((mu, r, true));
                break;
            }
            rho = r * 2u32;
        }
        let (mu, nu_dist, local) = match found {
            Some(f) => f,
            None => {
                let mu = mu_at(None)?;
                let r = Float::with_val(p, &grad / &mu);
                (mu, r, false)
            }
        };
        let mut w_dist = Float::new(p);
        for (b, xn) in der.beta.iter().zip(&rown) {
            let a = Float::with_val(p, xn * &nu_dist);
            let top = Float::with_val(p, b.abs_ref()) + &a;
            let slope = flow.mirror.eval(&top).dw;
            let v = if slope.is_finite() {
                slope * a
            } else {
                Float::with_val(p, rug::float::Special::Infinity)
            };
            if v > w_dist || !v.is_finite() {
                w_dist = v;
            }
        }
        Some(BallBound {
            nu_dist,
            w_dist,
            mu,
            grad: grad.clone(),
            local,
        })
    })();
    let wmax = max_abs(p, &der.w);
    let mut best = ball.as_ref().map(|b| (b.w_dist.clone(), None));
    for (j, u) in anchors.iter().enumerate() {
        if let Some(v) = anchor_bound(flow, &der, &eb, &ew, &rb, u) {
            if best.as_ref().is_none_or(|b| v < b.0) {
                best = Some((v, Some(j)));
            }
        }
    }
    let (w_dist, anchor) = best?;
    let rel = if w_dist.is_zero() {
        Float::new(p)
    } else if wmax.is_zero() {
        Float::with_val(p, rug::float::Special::Infinity)
    } else {
        Float::with_val(p, &w_dist / &wmax)
    };
    let digits = digits_from_rel_error(&rel, cap);
    Some(TailBound {
        w_dist,
        rel,
        digits,
        ball,
        anchor,
    })
}

/// The Bregman bound on max_i |w*_i - w_i| against an exact interpolator `u`
/// (X^T u = y; docs/math.md §12.3). With Q the potential of the mirror map (Q'' = 1/W'
/// coordinatewise) and w = W(X nu): for every interpolator u',
/// D_Q(u', w) = Q(u') - Q(w) - nu^T (y - X^T w), so the limit w* (the Q-least
/// interpolator) minimizes D_Q(., w) over the interpolators and D_Q(w*, w) <= D_Q(u, w) =: E.
/// E is bounded coordinatewise: u_i = 0 gives W*(beta_i) exactly; otherwise
/// (u_i - w_i)^2 / (2 W'(b)) with b below the beta of the smallest |.| on the segment from
/// w_i to u_i (convexity of W on beta >= 0: if delta W'(|beta_i| - delta) >= |u_i - w_i|,
/// then W(|beta_i| - delta) lies below that point). Then |w*_i - w_i| < Delta as soon as
/// Delta^2 >= 2 E W'(|beta_i| + Delta / W'(beta_i)) (a larger distance would make the
/// divergence of coordinate i alone exceed E). `eb` and `ew` bound the rounding of beta and
/// w (the tail bound's allowance); None when a bound leaves the domain or overflows.
pub fn anchor_bound(
    flow: &RegFlow,
    der: &super::RegDerived,
    eb: &[Float],
    ew: &[Float],
    rb: &[Float],
    u: &[Rational],
) -> Option<Float> {
    let p = flow.prec;
    let m = &flow.mirror;
    let eps = Float::with_val(p, Float::i_exp(1, -(p as i32 - 8)));
    let wp = |b: &Float| -> Option<Float> {
        let v = m.eval(b).dw;
        (v.is_finite() && !v.is_zero()).then_some(v)
    };
    let w0 = wp(&Float::new(p))?;
    // W' at |beta_i| - eb_i (at 0 below it): a lower bound on W' at the true beta_i
    let lower_slope = |i: usize| -> Option<Float> {
        let b = Float::with_val(p, der.beta[i].abs_ref()) - &eb[i];
        if b.is_sign_negative() || b.is_zero() {
            Some(w0.clone())
        } else {
            wp(&b)
        }
    };
    let mut e = Float::new(p);
    for i in 0..flow.d {
        let ab = Float::with_val(p, der.beta[i].abs_ref());
        if u[i] == 0 {
            // D_q(0, w_i) = W*(beta_i), W* even and increasing in |beta|
            e += m.wstar(&Float::with_val(p, &ab + &eb[i]))?;
            continue;
        }
        let ui = from_rational(p, &u[i]);
        // a >= |u_i - w_i| for the true w_i
        let a = Float::with_val(p, &ui - &der.w[i]).abs()
            + &ew[i]
            + Float::with_val(p, ui.abs_ref()) * &eps;
        let aw = Float::with_val(p, der.w[i].abs_ref()) - &ew[i];
        let same_side = ui.is_sign_positive() == der.w[i].is_sign_positive() && a < aw;
        let slope = if same_side {
            // delta with delta W'(|beta_i| - eb_i - delta) >= a
            let g0 = lower_slope(i)?;
            let mut delta = Float::with_val(p, &a / &g0);
            let mut found = None;
            for _ in 0..64 {
                let b = Float::with_val(p, &ab - &eb[i]) - &delta;
                if b.is_sign_negative() || b.is_zero() {
                    break;
                }
                let g = wp(&b)?;
                if Float::with_val(p, &delta * &g) >= a {
                    found = Some(g);
                    break;
                }
                delta = Float::with_val(p, &a / &g) * 65u32 / 64u32;
            }
            found.unwrap_or_else(|| w0.clone())
        } else {
            w0.clone()
        };
        e += Float::with_val(p, a.square_ref()) / slope / 2u32;
    }
    if !e.is_finite() {
        return None;
    }
    // the sums' rounding, with a wide margin
    e *= Float::with_val(p, 1) + Float::with_val(p, Float::i_exp(1, -40));
    if e.is_zero() {
        return Some(crate::num::max_abs(p, ew));
    }
    // a beta >= 0 with W(beta) >= |w_i| + delta (true w_i), given g0 <= W' at the true
    // beta_i and ab >= |beta_i|: by convexity ab + delta / g0 (W(b) >= W(|beta_i|) +
    // (b - |beta_i|) W'(|beta_i|)); when that lies beyond the pole (D >= 3), the gap to
    // the pole from ab halved until W there is large enough (W is evaluated, with a
    // rounding margin)
    let beta_above = |i: usize, delta: &Float, g0: &Float, ab: &Float| -> Option<Float> {
        let b = Float::with_val(p, delta / g0) + ab;
        if wp(&b).is_some() {
            return Some(b);
        }
        if m.depth == 2 {
            return None;
        }
        let target = (Float::with_val(p, der.w[i].abs_ref()) + &ew[i] + delta)
            * (Float::with_val(p, 1) + &eps);
        let c = m.c();
        let mut gap = Float::with_val(p, 1) - Float::with_val(p, ab * c);
        if !gap.is_sign_positive() || gap.is_zero() {
            return None;
        }
        // W < alpha^D (1 - s)^-e, e = D/(D-2): W reaches the target only once
        // 1 - s <= (alpha^D / target)^(1/e); start there (twice that) and halve
        let dd = m.depth;
        let guess = (Float::with_val(p, &m.alpha_d / &target).ln() * (dd - 2) / dd).exp() * 2u32;
        if guess < gap {
            gap = guess;
        }
        for _ in 0..p {
            gap /= 2u32;
            let b = (Float::with_val(p, 1) - &gap) / c;
            let v = m.eval_upto(&b, crate::model::Order::W).w;
            if !v.is_finite() {
                return None;
            }
            if v >= target {
                return Some(b);
            }
        }
        None
    };
    let two_e = Float::with_val(p, &e * 2u32);
    let mut deltas = Vec::with_capacity(flow.d);
    for i in 0..flow.d {
        let g0 = lower_slope(i)?;
        let ab = Float::with_val(p, der.beta[i].abs_ref()) + &eb[i];
        let mut delta = Float::with_val(p, &two_e * &g0).sqrt();
        let mut ok = false;
        for _ in 0..64 {
            // b with W(b) >= |w_i| + delta: W' at |w_i| + delta is at most W'(b)
            let b = beta_above(i, &delta, &g0, &ab)?;
            let g = wp(&b)?;
            let need = Float::with_val(p, &two_e * &g);
            if Float::with_val(p, delta.square_ref()) >= need {
                ok = true;
                break;
            }
            delta = need.sqrt() * 65u32 / 64u32;
        }
        if !ok {
            return None;
        }
        deltas.push(delta);
    }
    support_solve(flow, der, rb, &mut deltas);
    let mut w_dist = Float::new(p);
    for (delta, e) in deltas.iter().zip(ew) {
        let v = Float::with_val(p, delta + e);
        if v > w_dist {
            w_dist = v;
        }
    }
    Some(w_dist)
}

/// Sharpens the bounds `delta_i >= |w*_i - w_i|` on the largest coordinates S (|w_i| >=
/// 2^-40 ||w||_inf, at most N, X_S^T of full column rank): Delta = w* - w satisfies
/// X^T Delta = r exactly (r = y - X^T w), so X_S^T Delta_S = r - X_{S^c}^T Delta_{S^c} =: v
/// with |v_n| <= rb_n + sum_{i not in S} |x_ni| delta_i, and with L = (X_S X_S^T)^{-1} X_S
/// (computed; E = L X_S^T - I, ||E||_inf = e < 1 measured), Delta_S = L v - E Delta_S:
/// |Delta_S| <= |L| |v| + e B componentwise, B = max(|L| |v|) / (1 - e). The Bregman bound
/// charges every coordinate with the whole divergence; near-pole coordinates that still
/// carry most of it (w_i ~ 1e-61 at D = 3, alpha = 1e-100 on the sparse case) then hide
/// that the support is already converged: this moves their small Delta_i onto S through
/// the constraint instead (docs/math.md §12.3).
fn support_solve(flow: &RegFlow, der: &super::RegDerived, rb: &[Float], deltas: &mut [Float]) {
    let p = flow.prec;
    let n = flow.n;
    let wmax = crate::num::max_abs(p, &der.w);
    if wmax.is_zero() {
        return;
    }
    let floor = Float::with_val(p, &wmax * Float::with_val(p, Float::i_exp(1, -40)));
    let mut idx: Vec<usize> = (0..flow.d)
        .filter(|&i| Float::with_val(p, der.w[i].abs_ref()) >= floor)
        .collect();
    if idx.is_empty() || idx.len() > n {
        return;
    }
    idx.sort_unstable();
    let m = idx.len();
    // G = X_S X_S^T (m x m), L = G^{-1} X_S (m x N)
    let mut g = vec![Float::new(p); m * m];
    for a in 0..m {
        for b in 0..m {
            let mut s = Float::new(p);
            for row in &flow.x {
                s += Float::with_val(p, &row[idx[a]] * &row[idx[b]]);
            }
            g[a * m + b] = s;
        }
    }
    let Some(lu) = RealLu::factor(g, m) else {
        return;
    };
    let mut l = vec![vec![Float::new(p); n]; m];
    for (k, row) in flow.x.iter().enumerate() {
        let mut col: Vec<Float> = idx.iter().map(|&i| row[i].clone()).collect();
        lu.solve(&mut col);
        if !col.iter().all(Float::is_finite) {
            return;
        }
        for (a, v) in col.into_iter().enumerate() {
            l[a][k] = v;
        }
    }
    // e = ||L X_S^T - I||_inf
    let mut e = Float::new(p);
    for (a, la) in l.iter().enumerate() {
        let mut rowsum = Float::new(p);
        for b in 0..m {
            let mut s = Float::new(p);
            for (lk, row) in la.iter().zip(&flow.x) {
                s += Float::with_val(p, lk * &row[idx[b]]);
            }
            if a == b {
                s -= 1u32;
            }
            rowsum += s.abs();
        }
        if rowsum > e {
            e = rowsum;
        }
    }
    // the rounding of the check itself and of the data (X at p bits: |L| |X - X~| <=
    // ||L||_inf m max|x| 2^-p), with a wide margin
    let mut lnorm = Float::new(p);
    for la in &l {
        let mut s = Float::new(p);
        for v in la {
            s += Float::with_val(p, v.abs_ref());
        }
        if s > lnorm {
            lnorm = s;
        }
    }
    let mut xmax = Float::new(p);
    for row in &flow.x {
        for &i in &idx {
            if row[i].cmp_abs(&xmax) == Some(std::cmp::Ordering::Greater) {
                xmax = Float::with_val(p, row[i].abs_ref());
            }
        }
    }
    e += Float::with_val(p, Float::i_exp(1, -(p as i32 - 16))) * (lnorm * xmax * m as u32 + 1u32);
    if e >= Float::with_val(p, Float::i_exp(1, -1)) {
        return;
    }
    let in_s = |i: usize| idx.binary_search(&i).is_ok();
    let v: Vec<Float> = flow
        .x
        .iter()
        .zip(rb)
        .map(|(row, r)| {
            let mut s = r.clone();
            for (i, di) in deltas.iter().enumerate() {
                if !in_s(i) {
                    s += Float::with_val(p, row[i].abs_ref()) * di;
                }
            }
            s
        })
        .collect();
    let lv: Vec<Float> = l
        .iter()
        .map(|la| {
            let mut s = Float::new(p);
            for (lk, vk) in la.iter().zip(&v) {
                s += Float::with_val(p, lk.abs_ref()) * vk;
            }
            // the products' and sums' rounding
            s * (Float::with_val(p, 1) + Float::with_val(p, Float::i_exp(1, -(p as i32 - 16))))
        })
        .collect();
    let top = crate::num::max_abs(p, &lv);
    let b = top / (Float::with_val(p, 1) - &e);
    for (a, &i) in idx.iter().enumerate() {
        let bound = Float::with_val(p, &e * &b) + &lv[a];
        if bound < deltas[i] {
            deltas[i] = bound;
        }
    }
}

/// 64 + the spread of the binary exponents of `v` (the bits an N x N matrix with these
/// weights may need beyond its data's own conditioning).
fn spread_bits(v: &[Float]) -> u32 {
    let e: Vec<i32> = v.iter().filter_map(Float::get_exp).collect();
    match (e.iter().min(), e.iter().max()) {
        (Some(lo), Some(hi)) => 64 + (hi - lo).unsigned_abs(),
        _ => 64,
    }
}
