//! Radau IIA integrator over MPFR.
//!
//! * Stage equations solved by simplified Newton with the analytic Jacobian of the
//!   problem ([`Ode::jacobian`]), evaluated once per step at its start. The Newton
//!   matrix I - hA⊗J is block-diagonalized with A^{-1} = TΛT^{-1} (Hairer & Wanner,
//!   IV.8): one real n x n system per real eigenvalue and one complex n x n system per
//!   complex pair, each factored once per step size.
//! * Local error from step doubling: every step is taken once with h and twice with
//!   h/2 (the two half steps start from the full step's collocation polynomial, so
//!   their Newton iterations start close). The half-step result is kept and the
//!   difference, divided by 2^s - 1 (the stage order s, a conservative choice that
//!   stays honest when stiff components show order reduction), is the error estimate.
//! * Dense output: each accepted half step is reported as a [`Segment`] carrying its
//!   collocation polynomial (degree s), for sampling and event location.

use super::tableau::{EigBlock, RadauTableau};
use super::Ode;
use crate::num::linalg::{ComplexLu, RealLu};
use rayon::prelude::*;
use rug::ops::Pow;
use rug::{Assign, Complex, Float};
use serde::{Deserialize, Serialize};

/// Integration options.
#[derive(Clone, Debug)]
pub struct RadauOptions {
    /// local error tolerance (relative to the problem's error norm)
    pub tol: Float,
    /// first step size; default tol^(1/2s) capped at the interval length
    pub h_init: Option<Float>,
    /// maximum accepted + rejected steps
    pub max_steps: u64,
    /// maximum Newton iterations per stage solve
    pub max_newton: usize,
}

impl RadauOptions {
    pub fn new(tol: Float) -> RadauOptions {
        RadauOptions {
            tol,
            h_init: None,
            max_steps: 10_000_000,
            max_newton: 25,
        }
    }
}

/// Work counters.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stats {
    pub accepted: u64,
    pub rejected: u64,
    pub rhs_evals: u64,
    pub jac_evals: u64,
    pub lu_decomps: u64,
    pub newton_iters: u64,
    pub newton_failures: u64,
}

/// One step of dense output: the collocation polynomial on [x0, x0 + h].
pub struct Segment<'a> {
    pub tab: &'a RadauTableau,
    pub x0: &'a Float,
    pub h: &'a Float,
    pub y0: &'a [Float],
    /// stage increments Z_i = Y_i - y0, i = 1..s (Z_s = y1 - y0)
    pub z: &'a [Vec<Float>],
}

impl Segment<'_> {
    pub fn x1(&self) -> Float {
        Float::with_val(self.x0.prec(), self.x0 + self.h)
    }

    /// The state at the end of the segment.
    pub fn y1(&self) -> Vec<Float> {
        let s = self.tab.s;
        self.y0
            .iter()
            .zip(&self.z[s - 1])
            .map(|(a, b)| Float::with_val(a.prec(), a + b))
            .collect()
    }

    /// The collocation polynomial at θ = (x - x0)/h (θ in [0, 1] interpolates; outside
    /// it extrapolates).
    pub fn eval_theta(&self, theta: &Float) -> Vec<Float> {
        let w = self.tab.dense_weights(theta);
        let prec = self.x0.prec();
        let mut out: Vec<Float> = self.y0.iter().map(|v| Float::with_val(prec, v)).collect();
        let mut t = Float::new(prec);
        for (wi, zi) in w.iter().zip(self.z) {
            for (o, z) in out.iter_mut().zip(zi) {
                t.assign(wi * z);
                *o += &t;
            }
        }
        out
    }

    /// The collocation polynomial at x.
    pub fn eval(&self, x: &Float) -> Vec<Float> {
        let theta = Float::with_val(self.x0.prec(), x - self.x0) / self.h;
        self.eval_theta(&theta)
    }
}

/// What the observer wants after a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}

/// Result of an integration.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub x: Float,
    pub y: Vec<Float>,
    pub stats: Stats,
    /// the observer asked to stop before x_end
    pub stopped: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum OdeError {
    #[error("step size underflow at x = {x}: the problem is too stiff or singular for the working precision")]
    StepTooSmall { x: String },
    #[error("step limit of {limit} reached at x = {x}")]
    MaxSteps { limit: u64, x: String },
    #[error("the solution became non-finite at x = {x}")]
    NonFinite { x: String },
}

/// The previous accepted full step (x0, h, y0, Z), the source of predictors.
#[derive(Clone, Debug)]
pub struct StepRecord {
    pub x0: Float,
    pub h: Float,
    pub y0: Vec<Float>,
    /// stage increments of the full step
    pub z: Vec<Vec<Float>>,
}

/// The integrator's loop state between two accepted steps: everything that the next
/// steps depend on, so that an integration continued from it (with
/// [`Radau::integrate_from`]) is identical bit for bit to one that never stopped.
#[derive(Clone, Debug)]
pub struct RadauState {
    pub x: Float,
    pub y: Vec<Float>,
    /// the next step size to try
    pub h: Float,
    /// the previous accepted full step (None before the first)
    pub prev: Option<StepRecord>,
    /// the last step attempt was rejected (limits the next step's growth)
    pub last_rejected: bool,
    pub stats: Stats,
    /// the last measured Newton contraction rate (seeds the next Newton stopping test)
    pub faccon: Float,
}

/// The loop state seen by a step hook after an accepted step (by reference: taking a
/// [`RadauState`] from it with [`StepView::snapshot`] is the only copy).
pub struct StepView<'a> {
    pub x: &'a Float,
    pub y: &'a [Float],
    pub h: &'a Float,
    pub prev: Option<&'a StepRecord>,
    pub last_rejected: bool,
    pub stats: &'a Stats,
    pub faccon: &'a Float,
}

impl StepView<'_> {
    pub fn snapshot(&self) -> RadauState {
        RadauState {
            x: self.x.clone(),
            y: self.y.to_vec(),
            h: self.h.clone(),
            prev: self.prev.cloned(),
            last_rejected: self.last_rejected,
            stats: self.stats.clone(),
            faccon: self.faccon.clone(),
        }
    }
}

struct Factors {
    real: Vec<Option<RealLu>>,
    pairs: Vec<Option<ComplexLu>>,
}

/// The integrator's state for one problem.
pub struct Radau<'a, O: Ode> {
    ode: &'a O,
    tab: &'a RadauTableau,
    opts: RadauOptions,
    n: usize,
    prec: u32,
    jac: Vec<Float>,
    pub stats: Stats,
    faccon: Float,
}

/// out_k = sum_j m[k][j] v_j for an s x s row-major matrix m acting on s vectors,
/// in parallel over k (each row computed as it would be serially).
fn transform(m: &[Float], v: &[Vec<Float>], out: &mut [Vec<Float>]) {
    let s = v.len();
    out.par_iter_mut().enumerate().for_each(|(k, ok)| {
        let p = ok.first().map_or(64, |x| x.prec());
        let mut t = Float::new(p);
        for x in ok.iter_mut() {
            x.assign(0);
        }
        for j in 0..s {
            let c = &m[k * s + j];
            if c.is_zero() {
                continue;
            }
            for (o, vj) in ok.iter_mut().zip(&v[j]) {
                t.assign(c * vj);
                *o += &t;
            }
        }
    });
}

/// A step-control constant p/q as a 64-bit float (the controller needs no more).
fn ratio(p: u32, q: u32) -> Float {
    Float::with_val(64, p) / q
}

fn all_finite(v: &[Float]) -> bool {
    v.iter().all(|x| x.is_finite())
}

impl<'a, O: Ode> Radau<'a, O> {
    pub fn new(ode: &'a O, tab: &'a RadauTableau, opts: RadauOptions) -> Self {
        let n = ode.dim();
        let prec = ode.prec();
        Radau {
            ode,
            tab,
            opts,
            n,
            prec,
            jac: vec![Float::new(prec); n * n],
            stats: Stats::default(),
            faccon: Float::with_val(prec, 1),
        }
    }

    /// Evaluate the Jacobian at (x, y) and factor the Newton matrices for step h.
    fn factor_at(&mut self, x: &Float, y: &[Float], h: &Float) -> Option<Factors> {
        self.ode.jacobian(x, y, &mut self.jac);
        self.stats.jac_evals += 1;
        self.factor(h)
    }

    fn factor(&mut self, h: &Float) -> Option<Factors> {
        let n = self.n;
        let p = self.prec;
        let jac = &self.jac;
        // one factorization per eigenvalue block, in parallel
        type Lu = (Option<RealLu>, Option<ComplexLu>);
        let lus: Vec<Option<Lu>> = self
            .tab
            .blocks
            .par_iter()
            .map(|b| match b {
                EigBlock::Real { lambda, .. } => {
                    let d = Float::with_val(p, lambda / h);
                    let mut m: Vec<Float> = jac.iter().map(|x| Float::with_val(p, -x)).collect();
                    for i in 0..n {
                        m[i * n + i] += &d;
                    }
                    RealLu::factor(m, n).map(|lu| (Some(lu), None))
                }
                EigBlock::Pair { alpha, beta, .. } => {
                    let dr = Float::with_val(p, alpha / h);
                    let di = Float::with_val(p, -beta) / h;
                    let mut m: Vec<Complex> =
                        jac.iter().map(|x| Complex::with_val(p, -x)).collect();
                    for i in 0..n {
                        let c = Complex::with_val(p, (&dr, &di));
                        m[i * n + i] += c;
                    }
                    ComplexLu::factor(m, n).map(|lu| (None, Some(lu)))
                }
            })
            .collect();
        self.stats.lu_decomps += lus.len() as u64;
        let mut real = Vec::new();
        let mut pairs = Vec::new();
        for lu in lus {
            let (r, c) = lu?;
            real.push(r);
            pairs.push(c);
        }
        Some(Factors { real, pairs })
    }

    /// Solve the stage equations for one step from (x0, y0) with step h; `z` holds the
    /// starting guess and receives the solution. Returns false when Newton fails.
    #[allow(clippy::too_many_arguments)]
    fn newton(
        &mut self,
        x0: &Float,
        y0: &[Float],
        h: &Float,
        z: &mut [Vec<Float>],
        fac: &Factors,
        kappa: &Float,
    ) -> bool {
        let s = self.tab.s;
        let n = self.n;
        let p = self.prec;
        let tab = self.tab;
        let ode = self.ode;
        let scale = ode.error_scale(y0, &self.opts.tol);
        // w = Tinv z
        let mut w = vec![vec![Float::new(p); n]; s];
        transform(&tab.tinv, z, &mut w);
        let mut f = vec![vec![Float::new(p); n]; s];
        let mut g = vec![vec![Float::new(p); n]; s];
        let mut dw = vec![vec![Float::new(p); n]; s];
        let xs: Vec<Float> = tab
            .c
            .iter()
            .map(|c| Float::with_val(p, c * h) + x0)
            .collect();
        let hinv = Float::with_val(p, h.recip_ref());
        let mut eta = Float::with_val(64, &self.faccon)
            .max(&Float::with_val(64, Float::i_exp(1, -(p as i32))));
        eta = eta.pow(ratio(4, 5));
        let mut prev: Option<Float> = None;
        for it in 0..self.opts.max_newton {
            self.stats.newton_iters += 1;
            // the s stage derivatives are independent: evaluate them in parallel
            // (each is computed exactly as it would be serially: bit-identical results)
            f.par_iter_mut().enumerate().for_each(|(i, fi)| {
                let yi: Vec<Float> = y0
                    .iter()
                    .zip(&z[i])
                    .map(|(a, b)| Float::with_val(p, a + b))
                    .collect();
                ode.rhs(&xs[i], &yi, fi);
            });
            self.stats.rhs_evals += s as u64;
            if !f.iter().all(|v| all_finite(v)) {
                return false;
            }
            // g = Tinv f
            transform(&tab.tinv, &f, &mut g);
            // block solves, in parallel over the eigenvalue blocks
            let solved: Vec<(usize, Vec<Float>, Option<Vec<Float>>)> = tab
                .blocks
                .par_iter()
                .enumerate()
                .map(|(bi, b)| {
                    let mut t = Float::new(p);
                    match b {
                        EigBlock::Real { k, lambda } => {
                            let lh = Float::with_val(p, lambda * &hinv);
                            let mut r: Vec<Float> = (0..n)
                                .map(|i| {
                                    t.assign(&lh * &w[*k][i]);
                                    Float::with_val(p, &g[*k][i] - &t)
                                })
                                .collect();
                            fac.real[bi]
                                .as_ref()
                                .expect("real block factored")
                                .solve(&mut r);
                            (*k, r, None)
                        }
                        EigBlock::Pair { k, alpha, beta } => {
                            let ah = Float::with_val(p, alpha * &hinv);
                            let bh = Float::with_val(p, beta * &hinv);
                            let k = *k;
                            let mut r: Vec<Complex> = (0..n)
                                .map(|i| {
                                    // re = g_k - (α w_k + β w_{k+1})/h, im = g_{k+1} - (-β w_k + α w_{k+1})/h
                                    let mut re = g[k][i].clone();
                                    t.assign(&ah * &w[k][i]);
                                    re -= &t;
                                    t.assign(&bh * &w[k + 1][i]);
                                    re -= &t;
                                    let mut im = g[k + 1][i].clone();
                                    t.assign(&bh * &w[k][i]);
                                    im += &t;
                                    t.assign(&ah * &w[k + 1][i]);
                                    im -= &t;
                                    Complex::with_val(p, (re, im))
                                })
                                .collect();
                            fac.pairs[bi]
                                .as_ref()
                                .expect("pair block factored")
                                .solve(&mut r);
                            let (re, im): (Vec<Float>, Vec<Float>) =
                                r.into_iter().map(|c| c.into_real_imag()).unzip();
                            (k, re, Some(im))
                        }
                    }
                })
                .collect();
            for (k, re, im) in solved {
                dw[k] = re;
                if let Some(im) = im {
                    dw[k + 1] = im;
                }
            }
            // dz = T dw; z += dz; the Newton correction's size is the largest stage's
            let norms: Vec<Float> = z
                .par_iter_mut()
                .enumerate()
                .map(|(i, zi)| {
                    let mut t = Float::new(p);
                    let mut dz = vec![Float::new(p); n];
                    for k in 0..s {
                        let c = &tab.t[i * s + k];
                        for m in 0..n {
                            t.assign(c * &dw[k][m]);
                            dz[m] += &t;
                        }
                    }
                    let e = scale.norm(&dz);
                    for (a, b) in zi.iter_mut().zip(&dz) {
                        *a += b;
                    }
                    e
                })
                .collect();
            let mut dnorm = Float::new(p);
            for e in norms {
                if e > dnorm {
                    dnorm = e;
                }
            }
            for k in 0..s {
                for m in 0..n {
                    w[k][m] += &dw[k][m];
                }
            }
            if !dnorm.is_finite() {
                return false;
            }
            if let Some(prev) = &prev {
                if prev.is_zero() {
                    return true;
                }
                let theta = Float::with_val(64, &dnorm / prev);
                if theta >= ratio(99, 100) {
                    // a correction this far below the goal is round-off: the ratio of two
                    // such says nothing about contraction (from an accurate guess, e.g. for
                    // data of size 10^300, both are ~10^-560 and their ratio is noise), and
                    // the iterate already meets the goal
                    if dnorm
                        <= Float::with_val(64, kappa * Float::with_val(64, Float::i_exp(1, -20)))
                    {
                        return true;
                    }
                    self.stats.newton_failures += 1;
                    return false;
                }
                eta = Float::with_val(64, &theta / (Float::with_val(64, 1) - &theta));
                // predicted to miss the goal within the remaining iterations: give up early
                let remaining = (self.opts.max_newton - 1 - it) as i32;
                let pred = Float::with_val(64, theta.clone().pow(remaining)) * &eta * &dnorm;
                if pred > *kappa && Float::with_val(64, &eta * &dnorm) > *kappa {
                    self.stats.newton_failures += 1;
                    return false;
                }
                self.faccon = Float::with_val(p, &theta);
            }
            // at least two iterations, so that the contraction rate is measured, not assumed
            if dnorm.is_zero() || (prev.is_some() && Float::with_val(64, &eta * &dnorm) <= *kappa) {
                return true;
            }
            prev = Some(dnorm);
        }
        self.stats.newton_failures += 1;
        false
    }

    /// Starting guess for the stages of a step (x0, h) from a polynomial `prev` (the
    /// previous segment, or the full step): Z_i = u(x0 + c_i h) - y0.
    fn guess_from(&self, prev: &Segment, x0: &Float, h: &Float, y0: &[Float]) -> Vec<Vec<Float>> {
        let p = self.prec;
        (0..self.tab.s)
            .into_par_iter()
            .map(|i| {
                let x = Float::with_val(p, &self.tab.c[i] * h) + x0;
                let u = prev.eval(&x);
                u.iter()
                    .zip(y0)
                    .map(|(a, b)| Float::with_val(p, a - b))
                    .collect()
            })
            .collect()
    }

    /// Integrate from (x0, y0) to x_end (> x0). The observer sees every accepted half
    /// step as a dense-output segment and may stop the integration.
    pub fn integrate(
        self,
        x0: &Float,
        y0: &[Float],
        x_end: &Float,
        observer: impl FnMut(&Segment) -> Control + Send,
    ) -> Result<Outcome, OdeError> {
        let state = self.initial_state(x0, y0, x_end);
        self.integrate_from(state, x_end, observer, |_: &StepView| Control::Continue)
    }

    /// The first step tried from (x0, y0), before it is cut to the span: the option's,
    /// else tol^(1/(2s)), cut to the problem's bound when it gives one.
    fn first_step(&self, x0: &Float, y0: &[Float]) -> Float {
        let p = self.prec;
        match &self.opts.h_init {
            Some(h) => Float::with_val(p, h),
            None => {
                let e = Float::with_val(64, 1) / (2 * self.tab.s as u32);
                let h = Float::with_val(p, self.opts.tol.clone().pow(e));
                match self.ode.first_step_bound(x0, y0) {
                    Some(b) if b.is_finite() && b > 0u32 && b < h => Float::with_val(p, &b),
                    _ => h,
                }
            }
        }
    }

    /// The loop state at the start of an integration from (x0, y0) towards x_end.
    pub fn initial_state(&self, x0: &Float, y0: &[Float], x_end: &Float) -> RadauState {
        let p = self.prec;
        let span = Float::with_val(p, x_end - x0);
        let mut h = self.first_step(x0, y0);
        if h > span {
            h.assign(&span);
        }
        RadauState {
            x: Float::with_val(p, x0),
            y: y0.iter().map(|v| Float::with_val(p, v)).collect(),
            h,
            prev: None,
            last_rejected: false,
            stats: Stats::default(),
            faccon: Float::with_val(p, 1),
        }
    }

    /// Continue an integration from a loop state (from [`Radau::initial_state`] or a
    /// [`StepView::snapshot`] of an earlier integration of the same problem with the
    /// same tableau and options) to x_end. Besides the observer, `step_hook` sees the
    /// loop state after every accepted step except the last, and may stop there: the
    /// integration can then be continued from its snapshot, bit for bit.
    pub fn integrate_from(
        self,
        state: RadauState,
        x_end: &Float,
        observer: impl FnMut(&Segment) -> Control + Send,
        step_hook: impl FnMut(&StepView) -> Control + Send,
    ) -> Result<Outcome, OdeError> {
        // run on a rayon worker, so that the parallel loops of every step do not each
        // pay for a hand-off from a thread outside the pool
        rayon::scope(|_| self.integrate_on_worker(state, x_end, observer, step_hook))
    }

    fn integrate_on_worker(
        mut self,
        state: RadauState,
        x_end: &Float,
        mut observer: impl FnMut(&Segment) -> Control,
        mut step_hook: impl FnMut(&StepView) -> Control,
    ) -> Result<Outcome, OdeError> {
        let p = self.prec;
        let s = self.tab.s;
        let n = self.n;
        let tab = self.tab;
        let RadauState {
            mut x,
            mut y,
            mut h,
            prev: mut prev_seg,
            mut last_rejected,
            stats,
            faccon,
        } = state;
        self.stats = stats;
        self.faccon = faccon;
        // error-estimate divisor 2^s - 1 and step-size exponent 1/(2s)
        let divisor = Float::with_val(p, Float::i_exp(1, s as i32)) - 1u32;
        let expo = Float::with_val(64, -1) / (2 * s as u32);
        let steps_limit = self.opts.max_steps;
        // the resolution of x relative to |x|
        let unit = Float::with_val(p, Float::i_exp(1, -(p as i32 - 16)));
        // the first step from x = 0 (the scale of the underflow floor there)
        let first_step = if x.is_zero() {
            self.first_step(&x, &y)
        } else {
            Float::new(p)
        };
        loop {
            if self.stats.accepted + self.stats.rejected >= steps_limit {
                return Err(OdeError::MaxSteps {
                    limit: steps_limit,
                    x: crate::num::fmt_sig(&x, 12),
                });
            }
            let remaining = Float::with_val(p, x_end - &x);
            // the resolution of x
            let res = Float::with_val(p, x.abs_ref()) * &unit;
            if remaining <= res {
                // x_end is within the resolution of x (a sliver left by rounding):
                // the state at x is the state at x_end to the working precision
                return Ok(Outcome {
                    x: Float::with_val(p, x_end),
                    y,
                    stats: self.stats,
                    stopped: false,
                });
            }
            let mut last = false;
            // a step that would leave a sliver of less than 2^-20 of itself goes to x_end
            let stretched =
                Float::with_val(p, &h * (1 + Float::with_val(64, Float::i_exp(1, -20))));
            if stretched >= remaining {
                h.assign(&remaining);
                last = true;
            }
            // underflow: h below the resolution of x; at x = 0, where that resolution is 0,
            // below the same fraction of the first step tried, cut to the span (else a
            // first step that never converges would be halved forever, MPFR's exponent
            // range being practically unbounded). Not the end point's: a far end point
            // (x_end = 1e100) would make every reasonable first step an underflow.
            let floor = if x.is_zero() {
                Float::with_val(p, first_step.abs_ref()).min(&remaining) * &unit
            } else {
                res
            };
            if h <= floor || h.is_zero() {
                return Err(OdeError::StepTooSmall {
                    x: crate::num::fmt_sig(&x, 12),
                });
            }
            let h2 = Float::with_val(p, &h / 2u32);
            // full step: predictor from the previous step's collocation polynomial,
            // Jacobian at the predicted midpoint of the step
            let xmid = Float::with_val(p, &x + &h2);
            let (mut zf, ymid_pred) = match &prev_seg {
                Some(rec) => {
                    let seg = Segment {
                        tab,
                        x0: &rec.x0,
                        h: &rec.h,
                        y0: &rec.y0,
                        z: &rec.z,
                    };
                    (self.guess_from(&seg, &x, &h, &y), seg.eval(&xmid))
                }
                None => (vec![vec![Float::new(p); n]; s], y.clone()),
            };
            // Newton goal: 1/100 of the tolerance, for the full step too (a looser goal
            // for the full step, which only feeds the error estimate, was measured to
            // cost more steps than it saves iterations)
            let kappa = Float::with_val(p, 1) / 100u32;
            let okf = match self.factor_at(&xmid, &ymid_pred, &h) {
                Some(fac) => self.newton(&x, &y, &h, &mut zf, &fac, &kappa),
                None => false,
            };
            if !okf {
                h /= 2u32;
                self.stats.rejected += 1;
                last_rejected = true;
                continue;
            }
            let full = Segment {
                tab,
                x0: &x,
                h: &h,
                y0: &y,
                z: &zf,
            };
            // two half steps from the full step's polynomial, each with the Jacobian at
            // its own midpoint
            let h4 = Float::with_val(p, &h / 4u32);
            let xq1 = Float::with_val(p, &x + &h4);
            let xm = Float::with_val(p, &x + &h2);
            let xq3 = Float::with_val(p, &xm + &h4);
            let mut za = self.guess_from(&full, &x, &h2, &y);
            let ok_a = match self.factor_at(&xq1, &full.eval(&xq1), &h2) {
                Some(fac) => self.newton(&x, &y, &h2, &mut za, &fac, &kappa),
                None => false,
            };
            let ym: Vec<Float> = y
                .iter()
                .zip(&za[s - 1])
                .map(|(a, b)| Float::with_val(p, a + b))
                .collect();
            let mut zb = self.guess_from(&full, &xm, &h2, &ym);
            let ok_b = ok_a
                && match self.factor_at(&xq3, &full.eval(&xq3), &h2) {
                    Some(fac) => self.newton(&xm, &ym, &h2, &mut zb, &fac, &kappa),
                    None => false,
                };
            if !ok_b {
                h /= 2u32;
                self.stats.rejected += 1;
                last_rejected = true;
                continue;
            }
            let y_half: Vec<Float> = ym
                .iter()
                .zip(&zb[s - 1])
                .map(|(a, b)| Float::with_val(p, a + b))
                .collect();
            let diff: Vec<Float> = y_half
                .iter()
                .zip(y.iter().zip(&zf[s - 1]))
                .map(|(a, (b, c))| Float::with_val(p, a - b) - c)
                .collect();
            if !all_finite(&y_half) {
                return Err(OdeError::NonFinite {
                    x: crate::num::fmt_sig(&x, 12),
                });
            }
            let err = self.ode.error_scale(&y_half, &self.opts.tol).norm(&diff) / &divisor;
            let err64 = Float::with_val(64, &err);
            let mut fac = if err64.is_zero() {
                Float::with_val(64, 6)
            } else {
                Float::with_val(64, err64.pow(&expo)) * ratio(9, 10)
            };
            if err <= 1u32 {
                // accept
                self.stats.accepted += 1;
                let seg_a = Segment {
                    tab,
                    x0: &x,
                    h: &h2,
                    y0: &y,
                    z: &za,
                };
                let mut stop = observer(&seg_a) == Control::Stop;
                if !stop {
                    let seg_b = Segment {
                        tab,
                        x0: &xm,
                        h: &h2,
                        y0: &ym,
                        z: &zb,
                    };
                    stop = observer(&seg_b) == Control::Stop;
                }
                let x_new = if last {
                    Float::with_val(p, x_end)
                } else {
                    Float::with_val(p, &x + &h)
                };
                prev_seg = Some(StepRecord {
                    x0: x.clone(),
                    h: h.clone(),
                    y0: y.clone(),
                    z: zf,
                });
                x = x_new;
                y = y_half;
                if stop {
                    return Ok(Outcome {
                        x,
                        y,
                        stats: self.stats,
                        stopped: !last,
                    });
                }
                if last {
                    return Ok(Outcome {
                        x,
                        y,
                        stats: self.stats,
                        stopped: false,
                    });
                }
                let maxfac = if last_rejected { 1 } else { 6 };
                if fac > maxfac {
                    fac = Float::with_val(64, maxfac);
                }
                if fac < ratio(1, 5) {
                    fac = ratio(1, 5);
                }
                last_rejected = false;
                h *= &fac;
                let view = StepView {
                    x: &x,
                    y: &y,
                    h: &h,
                    prev: prev_seg.as_ref(),
                    last_rejected,
                    stats: &self.stats,
                    faccon: &self.faccon,
                };
                if step_hook(&view) == Control::Stop {
                    return Ok(Outcome {
                        x,
                        y,
                        stats: self.stats,
                        stopped: true,
                    });
                }
            } else {
                self.stats.rejected += 1;
                last_rejected = true;
                if fac > ratio(9, 10) {
                    fac = ratio(9, 10);
                }
                if fac < ratio(1, 10) {
                    fac = ratio(1, 10);
                }
                h *= &fac;
            }
        }
    }
}
