//! The exp-loss or logistic-loss gradient flow of a depth-D diagonal network in the
//! log-loss parametrization (docs/math.md §3, "Logistic loss").
//!
//! Independent variable gt = -log L. State y = (nu_1..nu_N, v) with
//!     d nu / d gt = p / S,   d v / d gt = 1/S - v,
//! where beta = Z nu, w = w(beta) (mirror map), p = softmax(-Z^T w) for the exp-loss
//! (the logistic weights are in [`loss`]), g = Z p,
//! S = g^T diag(w'(beta)) g, and v = t e^{-gt} (so ln t = gt + ln v). Carrying v
//! instead of ln t keeps the state regular at gt = 0 (t = 0, ln t = -inf) and the
//! equation for v is linear with rate 1; v does not feed back into nu.
//!
//! The Jacobian is analytic (see [`DiagFlow::jacobian`]); the error measure asks for
//! relative accuracy of w itself (through dw = diag(w') Z dnu), of nu and of v.

pub mod checkpoint;
mod control;
mod drive;
mod follower;
pub mod guard;
mod loss;
mod numerics;
pub mod regression;
pub mod run;
mod stop;
mod summary;
mod verify;

pub use control::{
    Budget, CheckpointSink, Every, Halt, Halted, InFlight, Limits, PrecisionPolicy, PrecisionRaise,
    RunControl, Snapshot, MAIN_RUN,
};
pub use drive::{
    drive, drive_plain, integrate, solve_why, Controls, Drive, Driven, FlowError, InFlightSink,
    Observer, Solution, Start,
};
pub use loss::Loss;
pub use numerics::{
    bits_for_digits, default_stages, flow_options, log_spaced, stages_for_digits, tol_digits,
    Numerics, EMBEDDED_TOL_FACTOR, MAX_DIGIT_ATTEMPTS,
};
pub use run::{run_job, run_verified, Job, JobOutcome, MAX_PREC};
pub use stop::StopRule;
pub use summary::Summary;
pub use verify::{
    agreeing_digits, Attempt, DigitsAsked, VerificationPolicy, Verified, VERIFICATION,
};

use crate::model::{Mirror, Order, MEMO_SLOTS};
use crate::num::dot::{dot_into, Term};
use crate::num::expmemo::ExpMemo;
use crate::num::from_rational;
use crate::num::linalg::{columns, data_row_dots, gram, row_dots, IntMatrix};
use crate::num::mul::{mul, mul_assign};
use crate::ode::{ErrorScale, Ode};
use rayon::prelude::*;
use rug::{Assign, Float, Rational};

/// The flow for one dataset, depth and α, at a fixed precision.
#[derive(Clone)]
pub struct DiagFlow {
    pub prec: u32,
    pub n: usize,
    pub d: usize,
    /// z_n as rows: zr[n][i]
    pub zr: Vec<Vec<Float>>,
    /// the same as columns: zc[i][n] = zr[n][i] (Z nu and Z p as contiguous dot products)
    pub zc: Vec<Vec<Float>>,
    /// the data exactly as an integer matrix over a common denominator, when its
    /// entries fit in 64 bits: the right-hand side's products Z nu, Z^T w and Z p take
    /// it ([`IntMatrix`]; numeric version 22)
    zint: Option<IntMatrix>,
    pub mirror: Mirror,
    /// the loss (the flow's weights and its starting gt)
    pub loss: Loss,
    /// The absolute floor of the nu error weights: 1, or, when the flow starts on a scale
    /// of nu far above 1 (data entries ~ 10^-300 or tiny alpha), that scale
    /// (see [`DiagFlow::nu_scale`]).
    nu_floor: Float,
}

/// Start scales beyond 2^20 (in nu) or below 2^-20 (in gt, the first step) take over
/// from the fixed defaults; data and alpha of ordinary size never reach them, so their
/// runs are unchanged.
const SCALE_TAKEOVER: i32 = 20;

/// Everything derived from a state that reports and checks need.
#[derive(Clone, Debug)]
pub struct Derived {
    pub beta: Vec<Float>,
    pub w: Vec<Float>,
    pub dw: Vec<Float>,
    pub d2w: Vec<Float>,
    pub margins: Vec<Float>,
    /// min margin (gamma)
    pub gamma: Float,
    /// the weights: softmax(-margins) for exp, sigma(-m) / sum log(1 + exp(-m)) for
    /// logistic (flow/loss.rs)
    pub p: Vec<Float>,
    /// logistic: the diagonal of -dp/dm, p sigma(m) (None for exp: p itself)
    pub p_diag: Option<Vec<Float>>,
    /// g = Z p
    pub g: Vec<Float>,
    /// S = g^T diag(w') g
    pub s: Float,
    /// sum_n exp(-(m_n - gamma)) for exp, sum_n exp(-(m_n - gamma)) phi(exp(-m_n)) for
    /// logistic: -log L = gamma - ln(sum_exp) + ln N
    pub sum_exp: Float,
}

/// The initialization scale of a run: α itself, or α^D (tables over values of α^D,
/// paper Fig. 5b), both exact.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Scale {
    Alpha(#[serde(with = "crate::num::serial::rational")] Rational),
    AlphaPowD(#[serde(with = "crate::num::serial::rational")] Rational),
}

impl Scale {
    /// α^D exactly (given, or the D-th power of α).
    pub fn alpha_pow_d(&self, depth: u32) -> Rational {
        use rug::ops::Pow;
        match self {
            Scale::Alpha(a) => a.clone().pow(depth as i32),
            Scale::AlphaPowD(v) => v.clone(),
        }
    }

    /// The mirror map at this scale.
    pub fn mirror(&self, depth: u32, prec: u32) -> Mirror {
        match self {
            Scale::Alpha(a) => Mirror::new(depth, a, prec),
            Scale::AlphaPowD(v) => Mirror::from_alpha_pow(depth, v, prec),
        }
    }

    /// "alpha = 2" or "alpha^D = 1/100".
    pub fn describe(&self) -> String {
        match self {
            Scale::Alpha(a) => format!("alpha = {a}"),
            Scale::AlphaPowD(v) => format!("alpha^D = {v}"),
        }
    }
}

impl DiagFlow {
    /// `z`: N rows z_n = y_n x_n of length d, exact.
    pub fn new(z: &[Vec<Rational>], depth: u32, alpha: &Rational, prec: u32) -> DiagFlow {
        DiagFlow::with_mirror(z, Mirror::new(depth, alpha, prec))
    }

    /// The flow at a scale given as α or α^D.
    pub fn with_scale(z: &[Vec<Rational>], depth: u32, scale: &Scale, prec: u32) -> DiagFlow {
        DiagFlow::with_mirror(z, scale.mirror(depth, prec))
    }

    fn with_mirror(z: &[Vec<Rational>], mirror: Mirror) -> DiagFlow {
        let prec = mirror.prec;
        let n = z.len();
        let d = z[0].len();
        let zr: Vec<Vec<Float>> = z
            .iter()
            .map(|row| row.iter().map(|q| from_rational(prec, q)).collect())
            .collect();
        let zc = columns(&zr, d);
        let zint = IntMatrix::new(z, d, prec);
        let mut flow = DiagFlow {
            prec,
            n,
            d,
            zr,
            zc,
            zint,
            mirror,
            loss: Loss::Exp,
            nu_floor: Float::with_val(prec, 1),
        };
        let scale = flow.nu_scale();
        if scale.is_finite() && scale > Float::with_val(prec, Float::i_exp(1, SCALE_TAKEOVER)) {
            flow.nu_floor = scale;
        }
        flow
    }

    /// The same flow for the loss `loss` (exp by default).
    pub fn with_loss(mut self, loss: Loss) -> DiagFlow {
        if loss != self.loss {
            self.loss = loss;
            self.nu_floor = Float::with_val(self.prec, 1);
            let scale = self.nu_scale();
            if scale.is_finite()
                && scale > Float::with_val(self.prec, Float::i_exp(1, SCALE_TAKEOVER))
            {
                self.nu_floor = scale;
            }
        }
        self
    }

    /// gt at the start (w = 0): 0 for exp, -ln(ln 2) for logistic.
    pub fn gt_start(&self) -> Float {
        self.loss.gt_start(self.prec)
    }

    /// 1/S at nu = 0: the growth of nu per unit of gt at the start (nu scales like 1/c^2
    /// when the data scale by c, and so does this).
    pub fn nu_scale(&self) -> Float {
        let der = self.derive(&vec![Float::new(self.prec); self.n]);
        Float::with_val(self.prec, der.s.recip_ref())
    }

    /// beta = Z nu
    pub fn beta(&self, nu: &[Float]) -> Vec<Float> {
        self.z_times(nu)
    }

    /// Z v for an N-vector v (d values): by the data's integer form when they have one.
    fn z_times(&self, v: &[Float]) -> Vec<Float> {
        data_row_dots(&self.zc, self.zint.as_ref().map(|z| &z.cols), v, self.prec)
    }

    /// margins z_n^T w
    pub fn margins(&self, w: &[Float]) -> Vec<Float> {
        data_row_dots(&self.zr, self.zint.as_ref().map(|z| &z.rows), w, self.prec)
    }

    /// All derived quantities at the state `nu` (first N components of y).
    pub fn derive(&self, nu: &[Float]) -> Derived {
        self.derive_upto(nu, Order::D2w)
    }

    /// [`DiagFlow::derive`] with the mirror map's derivatives up to `order` (w'' NaN
    /// below `Order::D2w`: the right-hand side needs w and w' only).
    pub fn derive_upto(&self, nu: &[Float], order: Order) -> Derived {
        self.derive_with(nu, order, None)
    }

    /// [`DiagFlow::derive_upto`] with its elementary functions from `memo` (the mirror
    /// map's in slots 0..MEMO_SLOTS d, the weights' exponentials in the N after them;
    /// see [`ExpMemo`]): for evaluations near the last ones with the same memo, the
    /// values may differ in the last few bits.
    fn derive_with(&self, nu: &[Float], order: Order, mut memo: Option<&mut ExpMemo>) -> Derived {
        let p = self.prec;
        let beta = self.beta(nu);
        let (w, dw, d2w) = match memo.as_deref_mut() {
            Some(memo) => self.mirror.eval_all_memo(&beta, order, memo),
            None => self.mirror.eval_all(&beta, order),
        };
        let margins = self.margins(&w);
        let mut gamma = margins[0].clone();
        for m in &margins[1..] {
            if *m < gamma {
                gamma.assign(m);
            }
        }
        let base = MEMO_SLOTS * self.d;
        let e: Vec<Float> = margins
            .iter()
            .enumerate()
            .map(|(k, m)| {
                let x = Float::with_val(p, &gamma - m);
                match memo.as_deref_mut() {
                    Some(memo) => memo.exp(base + k, &x),
                    None => crate::num::exp::exp(p, &x),
                }
            })
            .collect();
        let (pe, p_diag, sum_exp) = loss::weights(self.loss, &gamma, e);
        let g = self.z_times(&pe);
        let mut t = Float::new(p);
        let mut s = Float::new(p);
        for i in 0..self.d {
            mul(&mut t, &g[i], &g[i]);
            mul_assign(&mut t, &dw[i]);
            s += &t;
        }
        Derived {
            beta,
            w,
            dw,
            d2w,
            margins,
            gamma,
            p: pe,
            p_diag,
            g,
            s,
            sum_exp,
        }
    }

    /// The right-hand side (p/S, 1/S - v) at y = (nu, v), its exponentials from `memo`
    /// when given.
    fn velocity(&self, y: &[Float], out: &mut [Float], memo: Option<&mut ExpMemo>) {
        let der = self.derive_with(&y[..self.n], Order::Dw, memo);
        let inv_s = Float::with_val(self.prec, der.s.recip_ref());
        for k in 0..self.n {
            mul(&mut out[k], &der.p[k], &inv_s);
        }
        out[self.n].assign(&inv_s - &y[self.n]);
    }

    /// -log L(w) = gamma - ln(sum_n exp(-(m_n - gamma))) + ln N: equals gt exactly
    /// along the true flow (the invariant).
    pub fn neg_log_loss(&self, der: &Derived) -> Float {
        let p = self.prec;
        let ln_sum = Float::with_val(p, der.sum_exp.ln_ref());
        let ln_n = Float::with_val(p, self.n as u32).ln();
        Float::with_val(p, &der.gamma - &ln_sum) + ln_n
    }
}

impl Ode for DiagFlow {
    fn dim(&self) -> usize {
        self.n + 1
    }

    fn prec(&self) -> u32 {
        self.prec
    }

    fn rhs(&self, _x: &Float, y: &[Float], out: &mut [Float]) {
        self.velocity(y, out, None);
    }

    fn rhs_memo(&self, _x: &Float, y: &[Float], out: &mut [Float], memo: &mut ExpMemo) {
        self.velocity(y, out, Some(memo));
    }

    /// With M = Z^T diag(w') Z, dp/dnu = -(diag p - p p^T) M =: P' (logistic:
    /// -(diag(p sigma(m)) - p p^T) M),
    /// dS/dnu_k = 2 sum_i w'_i g_i (Z P')_ik + sum_i g_i^2 w''_i z_ki, and
    /// d(p/S)/dnu = P'/S - p (dS/dnu)^T / S^2; d v'/d nu = -(dS/dnu)/S^2, d v'/d v = -1.
    fn jacobian(&self, _x: &Float, y: &[Float], jac: &mut [Float]) {
        let p = self.prec;
        let n = self.n;
        let dim = n + 1;
        let der = self.derive(&y[..n]);
        let mut t = Float::new(p);
        // M_nk = sum_i z_ni w'_i z_ki
        let m = gram(&self.zr, &der.dw, p);
        // (p^T M)_k
        let mut ptm = vec![Float::new(p); n];
        for k in 0..n {
            dot_into(
                &mut ptm[k],
                der.p
                    .iter()
                    .enumerate()
                    .map(|(j, pj)| Term::prod(pj, &m[j * n + k])),
            );
        }
        // P'_nk = -p_n (M_nk - (p^T M)_k) for exp; for logistic (diag c = p sigma(m)),
        // P'_nk = -c_n M_nk + p_n (p^T M)_k
        let mut pp = vec![Float::new(p); n * n];
        for a in 0..n {
            for k in 0..n {
                let v = match &der.p_diag {
                    None => {
                        let mut v = Float::with_val(p, &m[a * n + k] - &ptm[k]);
                        v *= &der.p[a];
                        v
                    }
                    Some(c) => {
                        let mut v = Float::with_val(p, &c[a] * &m[a * n + k]);
                        t.assign(&der.p[a] * &ptm[k]);
                        v -= &t;
                        v
                    }
                };
                pp[a * n + k] = -v;
            }
        }
        // dS_k
        let ag: Vec<Float> = der
            .dw
            .iter()
            .zip(&der.g)
            .map(|(a, g)| Float::with_val(p, a * g) * 2u32)
            .collect();
        let g2a: Vec<Float> = der
            .g
            .iter()
            .zip(&der.d2w)
            .map(|(g, a)| Float::with_val(p, g.square_ref()) * a)
            .collect();
        // dS_k = sum_i ag_i (Z P')_ik + sum_i g2a_i z_ki = sum_a c_a P'_ak + g2a . z_k with
        // c_a = sum_i ag_i z_ai: O(N^2 + N d) instead of O(N^2 d)
        let c = row_dots(&self.zr, &ag, p);
        let ds: Vec<Float> = (0..n)
            .into_par_iter()
            .map(|k| {
                let mut acc = Float::new(p);
                dot_into(
                    &mut acc,
                    c.iter()
                        .enumerate()
                        .map(|(a, ca)| Term::prod(ca, &pp[a * n + k]))
                        .chain(g2a.iter().zip(&self.zr[k]).map(|(x, z)| Term::prod(x, z))),
                );
                acc
            })
            .collect();
        let inv_s = Float::with_val(p, der.s.recip_ref());
        let inv_s2 = Float::with_val(p, inv_s.square_ref());
        for a in 0..n {
            for k in 0..n {
                let mut v = Float::with_val(p, &pp[a * n + k] * &inv_s);
                t.assign(&der.p[a] * &ds[k]);
                t *= &inv_s2;
                v -= &t;
                jac[a * dim + k] = v;
            }
            jac[a * dim + n].assign(0);
        }
        for k in 0..n {
            let v = Float::with_val(p, &ds[k] * &inv_s2);
            jac[n * dim + k] = -v;
        }
        jac[n * dim + n].assign(-1);
    }

    /// The gt over which beta moves by its mirror map's scale of nonlinearity (1/4 for
    /// D = 2; (1 - max |s|)/c for D >= 3, s = c beta), at the rate d beta/d gt = g/S,
    /// times 1/16; given only when below 2^-20 (data entries ~ 10^-300: the default
    /// first step would send beta far out of range and halving would not come back).
    fn first_step_bound(&self, _x: &Float, y: &[Float]) -> Option<Float> {
        let p = self.prec;
        let der = self.derive(&y[..self.n]);
        let gmax = crate::num::max_abs(p, &der.g);
        if gmax.is_zero() || !der.s.is_finite() || der.s.is_zero() {
            return None;
        }
        let rate = gmax / &der.s;
        let beta_scale = if self.mirror.depth == 2 {
            Float::with_val(p, 0.25)
        } else {
            let s: Vec<Float> = der
                .beta
                .iter()
                .map(|b| Float::with_val(p, b * self.mirror.c()))
                .collect();
            (Float::with_val(p, 1) - crate::num::max_abs(p, &s)) / self.mirror.c()
        };
        let bound = beta_scale / rate / 16u32;
        (bound.is_finite() && bound < Float::with_val(p, Float::i_exp(1, -SCALE_TAKEOVER)))
            .then_some(bound)
    }

    /// Relative accuracy of w (rows diag(w') Z acting on dnu, weighted by
    /// 1/(tol ||w||_inf)), plus |dnu_k| / (tol (nu_floor + |nu_k|)) and |dv| / (tol |v|).
    fn error_scale(&self, y: &[Float], tol: &Float) -> ErrorScale {
        let p = self.prec;
        let n = self.n;
        let dim = n + 1;
        let mut inv_weights: Vec<Float> = y[..n]
            .iter()
            .map(|v| (Float::with_val(p, v.abs_ref()) + &self.nu_floor) * tol)
            .map(|x| x.recip())
            .collect();
        // v only gives ln t (reported, never fed back): ask for sqrt(tol) relative accuracy,
        // so that its O(1) relaxation does not limit steps taken on the scale of gt.
        // (at v = 0, the start, absolute on the same floor as nu: v starts as gt/S too)
        let vs = if y[n].is_zero() {
            self.nu_floor.clone()
        } else {
            Float::with_val(p, y[n].abs_ref())
        };
        inv_weights.push((vs * Float::with_val(p, tol.sqrt_ref())).recip());
        let der_beta = self.beta(&y[..n]);
        let mut wmax = Float::new(p);
        let mut rows = vec![Float::new(crate::ode::NORM_PREC); self.d * dim];
        for i in 0..self.d {
            let ev = self.mirror.eval(&der_beta[i]);
            if ev.w.cmp_abs(&wmax) == Some(std::cmp::Ordering::Greater) {
                wmax.assign(ev.w.abs_ref());
            }
            for k in 0..n {
                rows[i * dim + k].assign(&ev.dw * &self.zr[k][i]);
            }
        }
        let linear = if wmax.is_zero() {
            None
        } else {
            Some((rows, self.d, Float::with_val(p, wmax * tol).recip()))
        };
        ErrorScale::new(inv_weights, linear)
    }
}

/// Exact value of the decimal precision a state at `gt` needs to resolve O(1) margin
/// differences plus `digits` digits: log2(gt) + digits * log2(10) + 16 guard bits.
pub fn bits_needed(gt: &Float, digits: u32) -> u32 {
    let lg = if *gt > 1u32 {
        let l = Float::with_val(64, gt.log2_ref()).ceil();
        l.to_integer()
            .and_then(|z| z.to_u32())
            .unwrap_or(u32::MAX / 2)
    } else {
        0
    };
    lg.saturating_add((digits as u64 * 33220 / 10000) as u32 + 16)
}

/// A check shared by the flows' tests: [`Ode::rhs_memo`] along a Newton-like sequence.
#[cfg(test)]
pub(crate) mod memo_check {
    use crate::num::expmemo::ExpMemo;
    use crate::ode::Ode;
    use rug::ops::Pow;
    use rug::Float;

    /// The memo calls of the mirror map per coordinate near β = 0 (|cβ| < 1/4): D = 2
    /// an expm1; D = 3 atanh and expm1 (the powers 1/(1 ± s)^3 computed afresh);
    /// D >= 4 the two powers (1 ± s)^(-e) as well.
    pub(crate) fn mirror_calls(depth: u32) -> u64 {
        match depth {
            2 => 1,
            3 => 2,
            _ => 4,
        }
    }

    /// Evaluates f with one memo at the points y + 10^(-3k) dy, k = 1..12 (the stage
    /// values of a Newton iteration converging to y), against the plain right-hand side
    /// at the same points: within 2^-(p - 12) of max |f| in every component. Returns the
    /// memo's counts, for the caller to check that the short path was taken.
    pub(crate) fn along_newton<O: Ode>(
        f: &O,
        x: &Float,
        y: &[Float],
        dy: &[Float],
        what: &str,
    ) -> crate::num::expmemo::MemoCounts {
        let p = f.prec();
        let n = f.dim();
        let mut memo = ExpMemo::new();
        for k in 1..=12 {
            let scale = Float::with_val(p, 10u32).pow(-3i32 * k);
            let yk: Vec<Float> = y
                .iter()
                .zip(dy)
                .map(|(a, b)| Float::with_val(p, b * &scale) + a)
                .collect();
            let mut plain = vec![Float::new(p); n];
            let mut memod = vec![Float::new(p); n];
            f.rhs(x, &yk, &mut plain);
            f.rhs_memo(x, &yk, &mut memod, &mut memo);
            let big = plain
                .iter()
                .map(|v| Float::with_val(p, v.abs_ref()))
                .fold(Float::new(p), |a, b| a.max(&b));
            let bound = big >> (p as i32 - 12);
            for (i, (a, b)) in plain.iter().zip(&memod).enumerate() {
                let d = Float::with_val(p, a - b).abs();
                assert!(
                    d <= bound,
                    "{what}: k = {k}, f[{i}] {a} vs {b} with the memo"
                );
            }
        }
        memo.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The right-hand side with its exponentials updated from one Newton iteration to
    /// the next agrees with the plain one to a few units of the working precision, and
    /// takes the short path for most of them, for D = 2, 3, 4 and both losses.
    #[test]
    fn rhs_memo_matches_rhs_along_a_newton_iteration() {
        let p = 192;
        let q = |a: i64, b: i64| Rational::from((a, b));
        let z = vec![
            vec![q(1, 1), q(1, 2), q(-1, 3)],
            vec![q(1, 4), q(1, 1), q(1, 5)],
            vec![q(-1, 2), q(2, 3), q(1, 1)],
        ];
        for (depth, loss) in [2u32, 3, 4]
            .into_iter()
            .flat_map(|d| Loss::ALL.into_iter().map(move |l| (d, l)))
        {
            let f = DiagFlow::new(&z, depth, &q(3, 2), p).with_loss(loss);
            let shrink = q(1, 10i64.pow(depth - 2));
            let y: Vec<Float> = [q(1, 3), q(1, 7), q(1, 5), q(1, 3)]
                .iter()
                .map(|v| from_rational(p, &Rational::from(v * &shrink)))
                .collect();
            let dy: Vec<Float> = [q(1, 2), q(-1, 3), q(2, 7), q(1, 1)]
                .iter()
                .map(|v| from_rational(p, v))
                .collect();
            let what = format!("D = {depth}, {loss:?}");
            let c = memo_check::along_newton(&f, &Float::new(p), &y, &dy, &what);
            // 12 evaluations of the mirror map's functions and the N weights: the first
            // of each fresh, a fresh one after every 8 updates, the rest updated
            let total = 12 * (3 * memo_check::mirror_calls(depth) + 3);
            assert_eq!(c.fresh + c.updates, total, "{what}: {c:?}");
            assert!(c.updates >= total * 2 / 3, "{what}: {c:?}");
        }
    }

    /// The analytic Jacobian against central differences of the right-hand side.
    #[test]
    fn jacobian_matches_finite_differences() {
        let p = 400;
        let z = vec![
            vec![
                Rational::from((1, 1)),
                Rational::from((1, 2)),
                Rational::from((-1, 3)),
            ],
            vec![
                Rational::from((1, 4)),
                Rational::from((1, 1)),
                Rational::from((1, 5)),
            ],
            vec![
                Rational::from((-1, 2)),
                Rational::from((2, 3)),
                Rational::from((1, 1)),
            ],
        ];
        for (depth, loss) in [2u32, 3, 5]
            .into_iter()
            .flat_map(|d| Loss::ALL.into_iter().map(move |l| (d, l)))
        {
            let f = DiagFlow::new(&z, depth, &Rational::from((3, 2)), p).with_loss(loss);
            let dim = f.dim();
            // keep s = c beta well inside (-1, 1) for the deeper networks
            let shrink = Rational::from((1, 10u32.pow(depth - 2)));
            let y: Vec<Float> = [
                Rational::from((1, 30)),
                Rational::from((1, 70)),
                Rational::from((1, 50)),
            ]
            .iter()
            .map(|q| from_rational(p, &Rational::from(q * &shrink)))
            .chain(std::iter::once(from_rational(p, &Rational::from((1, 3)))))
            .collect();
            let x = Float::new(p);
            let mut jac = vec![Float::new(p); dim * dim];
            f.jacobian(&x, &y, &mut jac);
            let h = Float::with_val(p, Float::i_exp(1, -90));
            for k in 0..dim {
                let mut yp = y.clone();
                let mut ym = y.clone();
                yp[k] += &h;
                ym[k] -= &h;
                let mut fp = vec![Float::new(p); dim];
                let mut fm = vec![Float::new(p); dim];
                f.rhs(&x, &yp, &mut fp);
                f.rhs(&x, &ym, &mut fm);
                for a in 0..dim {
                    let fd = Float::with_val(p, &fp[a] - &fm[a]) / Float::with_val(p, &h * 2u32);
                    let diff = Float::with_val(p, &fd - &jac[a * dim + k]).abs();
                    let sc = Float::with_val(p, jac[a * dim + k].abs_ref()) + 1u32;
                    assert!(
                        diff < sc * Float::with_val(p, Float::i_exp(1, -150)),
                        "D={depth} {loss:?} J[{a}][{k}]: fd {fd} vs {}",
                        jac[a * dim + k]
                    );
                }
            }
        }
    }
}
