//! The KKT residuals of a candidate `(w, lambda)` and the certificate threshold.

use super::coords::grad_q_mu_at;
use rug::{Assign, Float, Rational};
use std::cmp::Ordering;

/// KKT residuals of a candidate `(w, lambda)` (see [`kkt_residuals`]).
#[derive(Clone, Debug)]
pub struct KktResiduals {
    /// `||grad Q_mu(w) - Z lambda||_inf / ||Z lambda||_inf`
    pub stationarity: Float,
    /// `max_n max(0, 1 - z_n^T w)`
    pub primal_infeasibility: Float,
    /// `max_n lambda_n |z_n^T w - 1| / max(1, max_n lambda_n)`
    pub complementarity: Float,
}

impl KktResiduals {
    /// The largest of the three residuals (NaN if any is NaN).
    pub fn max(&self) -> Float {
        let all = [
            &self.stationarity,
            &self.primal_infeasibility,
            &self.complementarity,
        ];
        if let Some(bad) = all.iter().find(|x| x.is_nan()) {
            return (*bad).clone();
        }
        let mut m = self.stationarity.clone();
        if self.primal_infeasibility > m {
            m.assign(&self.primal_infeasibility);
        }
        if self.complementarity > m {
            m.assign(&self.complementarity);
        }
        m
    }

    /// True when every residual is below [`certificate_threshold`]`(prec)` (NaN fails).
    pub fn certified(&self, prec: u32) -> bool {
        let m = self.max();
        !m.is_nan() && m < certificate_threshold(prec)
    }
}

/// The solution is certified when every residual is below `2^-(prec - 32)`.
pub fn certificate_threshold(prec: u32) -> Float {
    Float::with_val(prec.max(8), Float::i_exp(1, -(prec as i32 - 32)))
}

/// KKT residuals of `(w, lambda)` for `w_mu`, in `prec`-bit arithmetic with the exact
/// rational data (each product `z_ni w_i` correctly rounded): see [`KktResiduals`].
/// `w` has length d, `lambda` length N. Independent of the solver; usable for any
/// candidate pair (e.g. the flow's normalized predictor with multipliers kappa nu).
pub fn kkt_residuals(
    z: &[Vec<Rational>],
    depth: u32,
    mu: &Rational,
    prec: u32,
    w: &[Float],
    lambda: &[Float],
) -> KktResiduals {
    let d = w.len();
    assert_eq!(lambda.len(), z.len(), "one multiplier per data row");
    let grad = grad_q_mu_at(depth, mu, w, prec);
    let mut theta = vec![Float::new(prec); d];
    for (zn, ln) in z.iter().zip(lambda) {
        assert_eq!(zn.len(), d, "data rows must have length d = w.len()");
        for i in 0..d {
            theta[i] += Float::with_val(prec, ln * &zn[i]);
        }
    }
    let mut num = Float::new(prec);
    let mut den = Float::new(prec);
    for i in 0..d {
        let r = Float::with_val(prec, &grad[i] - &theta[i]).abs();
        if r > num || r.is_nan() {
            num = r;
        }
        if theta[i].cmp_abs(&den) == Some(Ordering::Greater) {
            den.assign(theta[i].abs_ref());
        }
    }
    let stationarity = if den.is_zero() { num } else { num / den };
    let mut infeas = Float::new(prec);
    let mut comp = Float::new(prec);
    for (zn, ln) in z.iter().zip(lambda) {
        let mut m = Float::new(prec);
        for i in 0..d {
            m += Float::with_val(prec, &w[i] * &zn[i]);
        }
        m -= 1u32; // z_n^T w - 1
        if m.is_nan() {
            infeas = m.clone();
        } else if m.is_sign_negative() {
            let v = Float::with_val(prec, -&m);
            if v > infeas {
                infeas = v;
            }
        }
        let c = Float::with_val(prec, m.abs_ref()) * ln;
        if c > comp || c.is_nan() {
            comp = c;
        }
    }
    let mut lmax = Float::with_val(prec, 1);
    for l in lambda {
        if *l > lmax {
            lmax.assign(l);
        }
    }
    KktResiduals {
        stationarity,
        primal_infeasibility: infeas,
        complementarity: comp / lmax,
    }
}
