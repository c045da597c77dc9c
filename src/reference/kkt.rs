//! KKT residuals of a given predictor (e.g. the flow's w_hat) against each reference
//! problem, all of the form  min f(w)  s.t.  z_n^T w >= 1:
//!
//! * `L2`:  f = ||w||^2 / 2,   grad f = w
//! * `L1`:  f = ||w||_1,       subgradient sign(w_i) on the support, [-1, 1] off it
//! * `Qmu`: f = Q^D_mu(w) = sum_i q^D(w_i / mu),  grad f_i = q^D'(w_i / mu) / mu
//! * `L2OverD` (D >= 3): the l_{2/D} quasi-norm sum_i |w_i|^(2/D), the problem whose
//!   KKT points are the fixed-alpha rich limits (equivalently min ||u||_2 s.t. margins
//!   >= 1); gradient (2/D) |w_i|^(2/D - 1) sign(w_i) on the support, unconstrained off it.
//!
//! Residuals: primal infeasibility max_n max(0, 1 - z_n^T w); complementarity
//! max_n lambda_n |z_n^T w - 1|; stationarity ||g - Z_A lambda||_inf / ||g||_inf measured
//! two ways: with the best multipliers (non-negative least squares over the
//! near-active constraints A = {n : z_n^T w <= 1 + active_tol}), and with the flow's own
//! multipliers nu scaled by the best non-negative factor c (g ≈ c Z nu; docs/math.md §4:
//! along the path grad Q^D_{mu'}(w_hat) = kappa Z nu exactly, mu' = alpha^D / gamma).
//! For `L1`, off-support coordinates contribute max(0, |(Z lambda)_i| - 1) to the
//! stationarity residual.

use crate::num::{from_rational, max_abs, nnls::nnls};
use rug::ops::Pow;
use rug::{Assign, Float, Rational};
use serde::Serialize;

/// Which problem the residuals refer to.
#[derive(Clone, Debug)]
pub enum Problem {
    L2,
    L1,
    Qmu { depth: u32, mu: Rational },
    L2OverD { depth: u32 },
}

/// The KKT residuals of a predictor.
#[derive(Clone, Debug)]
pub struct Residuals {
    pub primal_infeasibility: Float,
    pub complementarity: Float,
    /// with the best non-negative multipliers on the near-active set
    pub stationarity: Float,
    /// with the flow's multipliers nu, best non-negative scale (None without nu)
    pub stationarity_flow: Option<Float>,
    pub multipliers: Vec<Float>,
    pub near_active: Vec<usize>,
}

/// Residuals rendered for reports.
#[derive(Clone, Debug, Serialize)]
pub struct ResidualsReport {
    pub primal_infeasibility: String,
    pub complementarity: String,
    pub stationarity: String,
    pub stationarity_flow: Option<String>,
    pub near_active: Vec<usize>,
}

impl Residuals {
    pub fn report(&self) -> ResidualsReport {
        let f = |x: &Float| crate::num::fmt_sig(x, 3);
        ResidualsReport {
            primal_infeasibility: f(&self.primal_infeasibility),
            complementarity: f(&self.complementarity),
            stationarity: f(&self.stationarity),
            stationarity_flow: self.stationarity_flow.as_ref().map(f),
            near_active: self.near_active.clone(),
        }
    }

    /// The largest of the residuals (the flow variant excluded).
    pub fn max(&self) -> Float {
        let mut m = self.primal_infeasibility.clone();
        for r in [&self.complementarity, &self.stationarity] {
            if *r > m {
                m.assign(r);
            }
        }
        m
    }
}

/// Gradient (or the chosen subgradient representative) of the objective at w, and a
/// mask of the coordinates on which stationarity is an equation (the others, for L1,
/// only require |(Z lambda)_i| <= 1; for L2OverD, nothing).
fn gradient(
    problem: &Problem,
    w: &[Float],
    prec: u32,
    zero_tol: &Float,
) -> (Vec<Float>, Vec<bool>) {
    let d = w.len();
    let on_support: Vec<bool> = w
        .iter()
        .map(|x| x.cmp_abs(zero_tol) == Some(std::cmp::Ordering::Greater))
        .collect();
    match problem {
        Problem::L2 => (
            w.iter().map(|x| Float::with_val(prec, x)).collect(),
            vec![true; d],
        ),
        Problem::L1 => (
            w.iter()
                .zip(&on_support)
                .map(|(x, &s)| {
                    if !s {
                        Float::new(prec)
                    } else if x.is_sign_negative() {
                        Float::with_val(prec, -1)
                    } else {
                        Float::with_val(prec, 1)
                    }
                })
                .collect(),
            on_support,
        ),
        Problem::Qmu { depth, mu } => (
            crate::reference::qmu::grad_q_mu(*depth, mu, w),
            vec![true; d],
        ),
        Problem::L2OverD { depth } => {
            let expo = Float::with_val(prec, 2) / *depth - 1u32; // 2/D - 1 < 0
            let c = Float::with_val(prec, 2) / *depth;
            (
                w.iter()
                    .zip(&on_support)
                    .map(|(x, &s)| {
                        if !s {
                            return Float::new(prec);
                        }
                        let a = Float::with_val(prec, x.abs_ref()).pow(&expo) * &c;
                        if x.is_sign_negative() {
                            -a
                        } else {
                            a
                        }
                    })
                    .collect(),
                on_support,
            )
        }
    }
}

/// KKT residuals of `w` for `problem` on data z (rows z_n). `nu`: the flow's
/// multipliers, if any. `active_tol`: constraints with z_n^T w <= 1 + active_tol count
/// as near-active. Coordinates with |w_i| <= zero_tol count as off the support.
pub fn kkt_residuals(
    z: &[Vec<Rational>],
    w: &[Float],
    problem: &Problem,
    nu: Option<&[Float]>,
    active_tol: &Float,
    zero_tol: &Float,
    prec: u32,
) -> Residuals {
    let n = z.len();
    let d = w.len();
    let zf: Vec<Vec<Float>> = z
        .iter()
        .map(|r| r.iter().map(|q| from_rational(prec, q)).collect())
        .collect();
    let mut t = Float::new(prec);
    let margins: Vec<Float> = zf
        .iter()
        .map(|r| {
            let mut m = Float::new(prec);
            for (a, b) in r.iter().zip(w) {
                t.assign(a * b);
                m += &t;
            }
            m
        })
        .collect();
    let mut infeas = Float::new(prec);
    for m in &margins {
        let v = Float::with_val(prec, 1 - m.clone());
        if v > infeas {
            infeas = v;
        }
    }
    let near_active: Vec<usize> = (0..n)
        .filter(|&k| Float::with_val(prec, &margins[k] - 1u32) <= *active_tol)
        .collect();
    let (g, eq) = gradient(problem, w, prec, zero_tol);
    let gnorm = max_abs(prec, &g);
    // stationarity residual of multipliers lambda (full length n)
    let stat = |lambda: &[Float]| -> Float {
        let mut zl = vec![Float::new(prec); d];
        for (k, l) in lambda.iter().enumerate() {
            if l.is_zero() {
                continue;
            }
            for i in 0..d {
                zl[i] += Float::with_val(prec, &zf[k][i] * l);
            }
        }
        let mut r = Float::new(prec);
        for i in 0..d {
            let v = if eq[i] {
                Float::with_val(prec, &g[i] - &zl[i]).abs()
            } else if matches!(problem, Problem::L1) {
                (Float::with_val(prec, zl[i].abs_ref()) - 1u32).max(&Float::new(prec))
            } else {
                Float::new(prec)
            };
            if v > r {
                r = v;
            }
        }
        if gnorm.is_zero() {
            r
        } else {
            r / &gnorm
        }
    };
    // best multipliers: NNLS over the near-active constraints, on the equation rows
    let rows: Vec<usize> = (0..d).filter(|&i| eq[i]).collect();
    let cols: Vec<Vec<Float>> = near_active
        .iter()
        .map(|&k| rows.iter().map(|&i| zf[k][i].clone()).collect())
        .collect();
    let b: Vec<Float> = rows.iter().map(|&i| g[i].clone()).collect();
    let fit = nnls(&cols, &b, prec);
    let mut lambda = vec![Float::new(prec); n];
    for (a, &k) in near_active.iter().enumerate() {
        lambda[k] = fit[a].clone();
    }
    let stationarity = stat(&lambda);
    let mut compl = Float::new(prec);
    for k in 0..n {
        let v = Float::with_val(prec, &margins[k] - 1u32).abs() * &lambda[k];
        if v > compl {
            compl = v;
        }
    }
    let stationarity_flow = nu.map(|nu| {
        // best c >= 0 for g ≈ c Z nu on the equation rows
        let mut znu = vec![Float::new(prec); d];
        for (k, l) in nu.iter().enumerate() {
            for i in 0..d {
                znu[i] += Float::with_val(prec, &zf[k][i] * l);
            }
        }
        let col: Vec<Float> = rows.iter().map(|&i| znu[i].clone()).collect();
        let c = nnls(&[col], &b, prec);
        let scaled: Vec<Float> = nu
            .iter()
            .map(|x| Float::with_val(prec, x * &c[0]))
            .collect();
        stat(&scaled)
    });
    Residuals {
        primal_infeasibility: infeas,
        complementarity: compl,
        stationarity,
        stationarity_flow,
        multipliers: lambda,
        near_active,
    }
}
