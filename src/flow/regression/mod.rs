//! The square-loss (regression) flow of a depth-D diagonal network (docs/math.md §12).
//!
//! Data: points x_n (rows of `x`), real targets y_n, X = [x_1 .. x_N] (d x N). With
//! L(w) = (1/(2N)) ||X^T w - y||^2 and the residual r = X^T w - y, the dual state
//! nu in R^N with w = W(X nu) (the mirror map of [`crate::model::Mirror`], every D >= 2)
//! follows
//!
//! ```text
//!     d nu / dt = -(1/N) r = (1/N) (y - X^T W(X nu)),    nu(0) = 0   (u(0) = alpha 1)
//! ```
//!
//! the gradient flow of the convex dual Phi(nu) = (1/N) [sum_i W*((X nu)_i) - y^T nu]
//! (tail.rs uses that). The independent variable is a [`Clock`]: the one the driver uses
//! is t itself ([`DRIVER_CLOCK`], docs/math.md §12.2 for the measurements that chose
//! it); s = ln(1 + t) and a residual clock are kept for those measurements.
//!
//! Files: `mod.rs` the flow as an [`Ode`] (right-hand side, analytic Jacobian, error
//! measure); `tail.rs` the certified bound on the remaining change of nu and w;
//! `run.rs` the stop rules, the driver and its verification.

mod run;
mod tail;

pub use run::{
    extra_bits, plateau_end, regression_run, regression_run_capped, regression_verified,
    regression_verified_capped, RegFlowError, RegProblem, RegRun, RegStop, RegVerified,
};
pub use tail::{tail_bound, TailBound};

use crate::model::{Mirror, Order, MEMO_SLOTS};
use crate::num::expmemo::ExpMemo;
use crate::num::from_rational;
use crate::num::linalg::{columns, data_row_dots, gram, IntMatrix};
use crate::ode::{ErrorScale, Ode};
use rug::ops::NegAssign;
use rug::{Assign, Float, Rational};

/// The independent variable of the regression flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// s = ln(1 + t): d nu/ds = (1 + t) d nu/dt = e^s (y - X^T w) / N (a measured
    /// candidate; the driver's clock until 2026-12-03).
    LogTime,
    /// t itself: d nu/dt = (y - X^T w) / N. The driver's clock ([`DRIVER_CLOCK`]).
    Time,
    /// sigma = ln(L(0) / L(t)), the log of the loss decrease: d nu/d sigma =
    /// -r ||r||^2 / (2 r^T M r), M = X^T diag(w') X (a measured candidate; t not carried).
    Residual,
}

impl Clock {
    pub fn name(self) -> &'static str {
        match self {
            Clock::LogTime => "s = ln(1 + t)",
            Clock::Time => "t",
            Clock::Residual => "sigma = ln(L0 / L)",
        }
    }
}

/// The clock of the driver (`regression_verified`): t. Measured against s = ln(1 + t) on
/// the sparse case (docs/math.md §12.2): the same number of steps within a few percent
/// from alpha = 10^3 down to 10^-100 at D = 2 and 10^-3 at D = 3, and 20% to 65% fewer
/// RHS evaluations (the factor e^s of the log clock changes the Jacobian across a step,
/// so its simplified Newton iterations contract slowly and fail at larger steps).
pub const DRIVER_CLOCK: Clock = Clock::Time;

/// The regression flow for one dataset, depth and alpha, at a fixed precision.
#[derive(Clone)]
pub struct RegFlow {
    pub prec: u32,
    pub n: usize,
    pub d: usize,
    /// the points x_n as rows: x[n][i]
    pub x: Vec<Vec<Float>>,
    /// the same as columns: xc[i][n] = x[n][i]
    pub xc: Vec<Vec<Float>>,
    /// the points exactly as an integer matrix over a common denominator, when its
    /// entries fit in 64 bits: X nu and X^T v take it ([`IntMatrix`]; numeric version 22)
    xint: Option<IntMatrix>,
    pub y: Vec<Float>,
    pub mirror: Mirror,
    pub clock: Clock,
}

/// Everything derived from a state nu.
#[derive(Clone, Debug)]
pub struct RegDerived {
    pub beta: Vec<Float>,
    pub w: Vec<Float>,
    pub dw: Vec<Float>,
    pub d2w: Vec<Float>,
    /// r = X^T w - y
    pub r: Vec<Float>,
}

impl RegFlow {
    /// `points`: N rows x_n of length d; `y`: N targets; exact.
    pub fn new(
        points: &[Vec<Rational>],
        y: &[Rational],
        depth: u32,
        alpha: &Rational,
        prec: u32,
        clock: Clock,
    ) -> RegFlow {
        let n = points.len();
        let d = points.first().map_or(0, Vec::len);
        let x: Vec<Vec<Float>> = points
            .iter()
            .map(|r| r.iter().map(|q| from_rational(prec, q)).collect())
            .collect();
        RegFlow {
            prec,
            n,
            d,
            xc: columns(&x, d),
            x,
            xint: IntMatrix::new(points, d, prec),
            y: y.iter().map(|q| from_rational(prec, q)).collect(),
            mirror: Mirror::new(depth, alpha, prec),
            clock,
        }
    }

    /// beta = X nu
    pub fn beta(&self, nu: &[Float]) -> Vec<Float> {
        data_row_dots(&self.xc, self.xint.as_ref().map(|m| &m.cols), nu, self.prec)
    }

    /// X^T v for a d-vector v (N values).
    pub fn xt(&self, v: &[Float]) -> Vec<Float> {
        data_row_dots(&self.x, self.xint.as_ref().map(|m| &m.rows), v, self.prec)
    }

    /// w, w', w'' and the residual at nu.
    pub fn derive(&self, nu: &[Float]) -> RegDerived {
        self.derive_upto(nu, Order::D2w)
    }

    /// [`RegFlow::derive`] with the mirror map's derivatives up to `order` (the others
    /// NaN: the right-hand side needs w alone).
    pub fn derive_upto(&self, nu: &[Float], order: Order) -> RegDerived {
        self.derive_with(nu, order, None)
    }

    /// [`RegFlow::derive_upto`] with the mirror map's elementary functions from `memo`
    /// (slots 0..MEMO_SLOTS d; see [`ExpMemo`]).
    fn derive_with(&self, nu: &[Float], order: Order, memo: Option<&mut ExpMemo>) -> RegDerived {
        let beta = self.beta(nu);
        let (w, dw, d2w) = match memo {
            Some(memo) => self.mirror.eval_all_memo(&beta, order, memo),
            None => self.mirror.eval_all(&beta, order),
        };
        let mut r = self.xt(&w);
        for (a, b) in r.iter_mut().zip(&self.y) {
            *a -= b;
        }
        RegDerived {
            beta,
            w,
            dw,
            d2w,
            r,
        }
    }

    /// ||v||_2
    pub fn norm2(&self, v: &[Float]) -> Float {
        crate::num::norm2(self.prec, v)
    }

    /// M = X^T diag(a) X (N x N, row-major) for a d-vector of weights a.
    pub fn gram(&self, a: &[Float]) -> Vec<Float> {
        gram(&self.x, a, self.prec)
    }

    /// The time t at the clock value `x` (LogTime: e^x - 1; Time: x). None for the
    /// residual clock, which does not carry t.
    pub fn time_at(&self, x: &Float) -> Option<Float> {
        match self.clock {
            Clock::LogTime => Some(Float::with_val(self.prec, x.exp_m1_ref())),
            Clock::Time => Some(Float::with_val(self.prec, x)),
            Clock::Residual => None,
        }
    }

    /// The clock value at time t (LogTime: ln(1 + t); Time: t). None for the residual
    /// clock.
    pub fn clock_at_time(&self, t: &Float) -> Option<Float> {
        match self.clock {
            Clock::LogTime => Some(Float::with_val(self.prec, t.ln_1p_ref())),
            Clock::Time => Some(Float::with_val(self.prec, t)),
            Clock::Residual => None,
        }
    }

    /// dt/d(clock) at the clock value `x` divided by N, for the time-based clocks:
    /// LogTime e^x / N, Time 1/N.
    fn rate(&self, x: &Float) -> Float {
        self.rate_with(x, None)
    }

    /// [`RegFlow::rate`], e^x from `memo`'s slot MEMO_SLOTS d when given (a stage's x is the same
    /// in every Newton iteration: its value is then the last one).
    fn rate_with(&self, x: &Float, memo: Option<&mut ExpMemo>) -> Float {
        let p = self.prec;
        let k = match (self.clock, memo) {
            (Clock::LogTime, Some(memo)) => memo.exp(MEMO_SLOTS * self.d, x),
            (Clock::LogTime, None) => Float::with_val(p, x.exp_ref()),
            _ => Float::with_val(p, 1),
        };
        k / self.n as u32
    }

    /// The right-hand side at (x, y), its exponentials from `memo` when given.
    fn velocity(&self, x: &Float, y: &[Float], out: &mut [Float], mut memo: Option<&mut ExpMemo>) {
        let p = self.prec;
        // the time clocks need the residual alone; the residual clock also w'
        let order = match self.clock {
            Clock::LogTime | Clock::Time => Order::W,
            Clock::Residual => Order::Dw,
        };
        let der = self.derive_with(y, order, memo.as_deref_mut());
        match self.clock {
            Clock::LogTime | Clock::Time => {
                let k = self.rate_with(x, memo);
                for (o, r) in out.iter_mut().zip(&der.r) {
                    o.assign(r * &k);
                    o.neg_assign();
                }
            }
            Clock::Residual => {
                // -r a / (2 b), a = ||r||^2, b = r^T M r
                let m = self.gram(&der.dw);
                let (a, b, _) = residual_parts(p, &der.r, &m, self.n);
                let f = Float::with_val(p, &a / &b) / 2u32;
                for (o, r) in out.iter_mut().zip(&der.r) {
                    o.assign(r * &f);
                    o.neg_assign();
                }
            }
        }
    }
}

impl Ode for RegFlow {
    fn dim(&self) -> usize {
        self.n
    }

    fn prec(&self) -> u32 {
        self.prec
    }

    fn rhs(&self, x: &Float, y: &[Float], out: &mut [Float]) {
        self.velocity(x, y, out, None);
    }

    fn rhs_memo(&self, x: &Float, y: &[Float], out: &mut [Float], memo: &mut ExpMemo) {
        self.velocity(x, y, out, Some(memo));
    }

    /// Time clocks: J = -(dt/dclock / N) M with M = X^T diag(w') X (dr/dnu = M).
    /// Residual clock, f = -r a / (2 b) with a = r^T r, b = r^T M r:
    /// J_jk = -a M_jk / (2b) - r_j (M r)_k / b + a r_j (db)_k / (2 b^2), where
    /// (db)_k = 2 (M M r)_k + sum_i w''_i q_i^2 x_ki, q = X r.
    fn jacobian(&self, x: &Float, y: &[Float], jac: &mut [Float]) {
        let p = self.prec;
        let n = self.n;
        let der = self.derive(y);
        let m = self.gram(&der.dw);
        match self.clock {
            Clock::LogTime | Clock::Time => {
                let k = self.rate(x);
                for (j, v) in jac.iter_mut().zip(&m) {
                    j.assign(v * &k);
                    j.neg_assign();
                }
            }
            Clock::Residual => {
                let (a, b, mr) = residual_parts(p, &der.r, &m, n);
                let q = self.beta(&der.r);
                let mut t = Float::new(p);
                let db: Vec<Float> = (0..n)
                    .map(|k| {
                        let mut s = Float::new(p);
                        for j in 0..n {
                            t.assign(&m[k * n + j] * &mr[j]);
                            s += &t;
                        }
                        s *= 2u32;
                        for i in 0..self.d {
                            t.assign(q[i].square_ref());
                            t *= &der.d2w[i];
                            t *= &self.x[k][i];
                            s += &t;
                        }
                        s
                    })
                    .collect();
                let a2b = Float::with_val(p, &a / &b) / 2u32;
                let a2b2 = Float::with_val(p, &a2b / &b);
                for j in 0..n {
                    for k in 0..n {
                        let mut v = Float::with_val(p, &m[j * n + k] * &a2b);
                        v.neg_assign();
                        t.assign(&der.r[j] * &mr[k]);
                        t /= &b;
                        v -= &t;
                        t.assign(&der.r[j] * &db[k]);
                        t *= &a2b2;
                        v += &t;
                        jac[j * n + k] = v;
                    }
                }
            }
        }
    }

    fn bounds_steps(&self) -> bool {
        self.clock == Clock::Time && self.mirror.depth >= 3
    }

    /// D >= 3 in t (docs/math.md §12.2, "The pole approach"): s_i = c beta_i moves at
    /// ds_i/dt = c (X f)_i towards its pole at |s_i| = 1, where w_i blows up. While the
    /// distance d_i = 1 - |s_i| exceeds the landing distance max(delta_i, rho_i), nu moves
    /// on a straight line to the tolerance and the step may end at that distance at once:
    /// delta_i is where w_i = alpha^D delta_i^(-e) reaches tol ||w||_inf (below it the
    /// error measure does not see w_i), rho_i (times 16) the change of s_i that an error
    /// of tol (1 + |nu_k|) in nu makes (a stage solve resolves s_i no finer). Closer, at
    /// most 9/10 of the straight-line time to the pole. The bound is the least over the
    /// coordinates moving outwards.
    fn step_bound(&self, _x: &Float, y: &[Float], f: &[Float], tol: &Float) -> Option<Float> {
        let p = self.prec;
        let beta = self.beta(y);
        let dbeta = self.beta(f);
        let c = self.mirror.c();
        let (w, _, _) = self.mirror.eval_all(&beta, Order::W);
        let theta = crate::num::max_abs(p, &w) * tol;
        // delta = (alpha^D / theta)^((D-2)/D)
        let dd = self.mirror.depth;
        let delta = (Float::with_val(p, &self.mirror.alpha_d / &theta).ln() * (dd - 2) / dd).exp();
        // 1 + |nu_k|: the error measure's scale of nu
        let scale: Vec<Float> = y
            .iter()
            .map(|v| Float::with_val(p, v.abs_ref()) + 1u32)
            .collect();
        let mut best: Option<Float> = None;
        for (i, (b, db)) in beta.iter().zip(&dbeta).enumerate() {
            if db.is_zero() || (!b.is_zero() && b.is_sign_negative() != db.is_sign_negative()) {
                continue;
            }
            let s = Float::with_val(p, b * c);
            let v = Float::with_val(p, db * c).abs();
            let dist = Float::with_val(p, 1 - s.abs());
            // the resolution of s_i by a stage solve: nu to tol (1 + |nu_k|) moves s_i
            // by up to rho = tol c sum_k |x_ki| (1 + |nu_k|); a step may not land
            // closer to the pole than that (times 16)
            let mut rho = Float::new(p);
            for (row, sc) in self.x.iter().zip(&scale) {
                rho += Float::with_val(p, row[i].abs_ref()) * sc;
            }
            rho *= c;
            rho *= tol;
            rho *= 16u32;
            let far = Float::with_val(p, &dist - rho.max(&delta));
            let near = Float::with_val(p, &dist * 9u32) / 10u32;
            let bound = far.max(&near) / v;
            if best.as_ref().is_none_or(|bb| bound < *bb) {
                best = Some(bound);
            }
        }
        best
    }

    /// Relative accuracy of w (rows diag(w') X acting on dnu, weighted by
    /// 1/(tol ||w||_inf)), plus |dnu_k| / (tol (1 + |nu_k|)): the same measure as the
    /// classification flow's (docs/math.md §3.4).
    fn error_scale(&self, y: &[Float], tol: &Float) -> ErrorScale {
        let p = self.prec;
        let n = self.n;
        let inv_weights: Vec<Float> = y
            .iter()
            .map(|v| (Float::with_val(p, v.abs_ref()) + 1u32) * tol)
            .map(|v| v.recip())
            .collect();
        let beta = self.beta(y);
        let mut wmax = Float::new(p);
        let mut rows = vec![Float::new(crate::ode::NORM_PREC); self.d * n];
        for (i, b) in beta.iter().enumerate() {
            let ev = self.mirror.eval(b);
            if ev.w.cmp_abs(&wmax) == Some(std::cmp::Ordering::Greater) {
                wmax.assign(ev.w.abs_ref());
            }
            for k in 0..n {
                rows[i * n + k].assign(&ev.dw * &self.x[k][i]);
            }
        }
        let linear =
            (!wmax.is_zero()).then(|| (rows, self.d, Float::with_val(p, wmax * tol).recip()));
        ErrorScale::new(inv_weights, linear)
    }
}

/// a = r^T r, b = r^T M r and M r.
fn residual_parts(p: u32, r: &[Float], m: &[Float], n: usize) -> (Float, Float, Vec<Float>) {
    let mut t = Float::new(p);
    let mr: Vec<Float> = (0..n)
        .map(|j| {
            let mut s = Float::new(p);
            for k in 0..n {
                t.assign(&m[j * n + k] * &r[k]);
                s += &t;
            }
            s
        })
        .collect();
    let mut a = Float::new(p);
    let mut b = Float::new(p);
    for (ri, mi) in r.iter().zip(&mr) {
        t.assign(ri.square_ref());
        a += &t;
        t.assign(ri * mi);
        b += &t;
    }
    (a, b, mr)
}

#[cfg(test)]
mod tests;
