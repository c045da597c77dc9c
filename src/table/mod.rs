//! Tables of the training accuracy a regime requires (paper Fig. 5b) and of the path's
//! closest approach to the kernel solution (Appendix H.1).
//!
//! For one depth D and scale α (or α^D) the flow is integrated once from gt = 0; the
//! observer watches four event functions of the state at the end and at three interior
//! points of every accepted half step (dense output):
//! - excess l1: g_e = ||w||_1 - (1 + δ) ||w_l1||_1 γ (γ = min margin). g_e <= 0 exactly
//!   when γ > 0 and ||w_hat||_1 / ||w_l1||_1 - 1 <= δ (w_hat = w / γ), and g_e > 0 while
//!   the data are not yet separated, so the first downward crossing is the smallest gt at
//!   which the excess l1 norm falls to δ. It need not stay there (a path that starts
//!   near the l1 direction passes below δ early, then moves towards w_l2 and back):
//!   the required accuracy is the last downward crossing, from which on the excess
//!   stays <= δ up to the end of the integrated range (at least `after` times that gt);
//!   the first crossing and the first upward one are reported too.
//! - closest approach to w_l2: with u = w / ||w||_2 and u2 = w_l2 / ||w_l2||_2, the
//!   distance ||u - u2||_2 is smallest where c = u . u2 is largest; along the flow
//!   dw/dgt = w'(β) ⊙ g / S (docs/math.md §3.1, §10.4), so dc/dgt has the sign of
//!   g_c = u2 . (w' ⊙ g) - c u . (w' ⊙ g), and a local closest approach is a downward
//!   crossing of g_c. Located from the derivative, the minimizer comes to full
//!   precision, not to the square root of it as from the distance itself.
//! - kernel exit: g_k = (1 - δ²/2) - c, negative while ||u - u2||_2 < δ; the first
//!   upward crossing after the path has come within δ is where it leaves.
//! - μ points gt = α^D / μ: the state is computed there exactly.
//!
//! An event is located in two phases: regula falsi (Illinois) on the step's collocation
//! polynomial, then on exact states, each of them integrated afresh from the start of
//! the step (the dense output is only as accurate as the stage order; a fresh step to
//! the point is as accurate as any step of the run). The row is then computed again
//! with the verification numerics of `run` (more bits, a tighter tolerance), and every
//! reported number carries the digits the two computations share.

use crate::flow::run::{default_stages, Numerics};
use crate::flow::{DiagFlow, Scale};
use crate::num::{decimal_digits_of_bits, from_rational, norm1, norm2};
use crate::ode::radau::{Control, OdeError, Radau, RadauOptions, Segment, Stats};
use crate::ode::tableau::RadauTableau;
use crate::reference::{l1, l2, qmu};
use rayon::prelude::*;
use rug::{Assign, Float, Rational};

/// What to tabulate.
#[derive(Clone, Debug)]
pub struct TableSpec {
    pub depths: Vec<u32>,
    pub scales: Vec<Scale>,
    /// threshold δ in (0, 1)
    pub delta: Rational,
    /// μ values for the points gt = α^D / μ
    pub mus: Vec<Rational>,
    /// keep integrating to `after` times the gt of the last event needed (> 1), to see
    /// whether the excess l1 norm stays below δ
    pub after: Rational,
    /// integrate at most to this gt; None: 10^6 max(1, α^D)
    pub gt_max: Option<Rational>,
    pub numerics: Numerics,
    pub verify: bool,
}

impl TableSpec {
    /// The end of the integrated range for one row.
    pub fn gt_max_for(&self, alpha_d: &Rational) -> Rational {
        match &self.gt_max {
            Some(g) => g.clone(),
            None => {
                let one = Rational::from(1);
                let base = if *alpha_d > one { alpha_d.clone() } else { one };
                base * Rational::from(1_000_000)
            }
        }
    }
}

/// The numerics of a table's verification computation: 64 more bits and a tolerance
/// 10^-10 tighter (the digits reported are those on which the two computations agree,
/// so the second needs only to be clearly more accurate than the first).
pub fn table_verification_numerics(main: &Numerics) -> Numerics {
    let tol = &main.tol * crate::num::ten_pow_neg(10);
    Numerics {
        prec: main.prec + 64,
        stages: default_stages(&tol).max(main.stages),
        tol,
    }
}

/// Errors that stop a table before any row is computed.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("data: {0}")]
    Reference(String),
    #[error("mu = {mu} at depth {depth}: {reason}")]
    Qmu {
        mu: Rational,
        depth: u32,
        reason: String,
    },
}

/// The reference predictors one depth needs, exact where they can be.
#[derive(Clone, Debug)]
pub struct References {
    /// ||w_l1||_1 (the optimal value; unique even when w_l1 is not)
    pub l1_norm: Rational,
    pub w_l2: Vec<Rational>,
    /// per depth (same order as the spec's depths), per μ: w_μ at the main precision and
    /// at the verification precision (solved twice, independently)
    pub w_mu: Vec<Vec<(Vec<Float>, Vec<Float>)>>,
}

/// The references of a table (l1 and l2 once; Q_μ per depth and μ at both precisions).
pub fn references(z: &[Vec<Rational>], spec: &TableSpec) -> Result<References, TableError> {
    let s1 = l1::l1_max_margin(z).map_err(|e| TableError::Reference(e.to_string()))?;
    let s2 = l2::l2_max_margin(z).map_err(|e| TableError::Reference(e.to_string()))?;
    let vprec = table_verification_numerics(&spec.numerics).prec;
    let mut w_mu = Vec::new();
    for &depth in &spec.depths {
        let mut per = Vec::new();
        for mu in &spec.mus {
            let solve = |prec: u32| {
                qmu::solve_qmu(z, depth, mu, prec, None)
                    .map(|s| s.w)
                    .map_err(|e| TableError::Qmu {
                        mu: mu.clone(),
                        depth,
                        reason: e.to_string(),
                    })
            };
            per.push((solve(spec.numerics.prec)?, solve(vprec)?));
        }
        w_mu.push(per);
    }
    Ok(References {
        l1_norm: s1.norm1,
        w_l2: s2.w,
        w_mu,
    })
}

/// Event functions at one state; None at w = 0 (gt = 0), where no direction exists.
#[derive(Clone, Debug)]
struct Values {
    ge: Float,
    gc: Float,
    gk: Float,
}

/// The references of one row at one precision.
struct RowRefs {
    prec: u32,
    /// (1 + δ) ||w_l1||_1
    l1_scaled: Float,
    u2: Vec<Float>,
    /// 1 - δ²/2
    cos_delta: Float,
    w_mu: Vec<Vec<Float>>,
}

impl RowRefs {
    fn new(
        refs: &References,
        depth_index: usize,
        delta: &Rational,
        prec: u32,
        verify: bool,
    ) -> RowRefs {
        let l1_scaled = from_rational(prec, &(refs.l1_norm.clone() * (Rational::from(1) + delta)));
        let w2: Vec<Float> = refs.w_l2.iter().map(|q| from_rational(prec, q)).collect();
        let n2 = norm2(prec, &w2);
        let u2 = w2.iter().map(|x| Float::with_val(prec, x / &n2)).collect();
        let half_sq = Rational::from(1) - delta.clone().square() / 2u32;
        let w_mu = refs.w_mu[depth_index]
            .iter()
            .map(|(a, b)| {
                let src = if verify { b } else { a };
                src.iter().map(|x| Float::with_val(prec, x)).collect()
            })
            .collect();
        RowRefs {
            prec,
            l1_scaled,
            u2,
            cos_delta: from_rational(prec, &half_sq),
            w_mu,
        }
    }

    fn values(&self, flow: &DiagFlow, y: &[Float]) -> Option<Values> {
        let p = self.prec;
        let der = flow.derive(&y[..flow.n]);
        let nw = norm2(p, &der.w);
        if nw.is_zero() {
            return None;
        }
        let ge = norm1(p, &der.w) - Float::with_val(p, &self.l1_scaled * &der.gamma);
        // dw ∝ w' ⊙ g; c = u . u2
        let mut dot_u2_dw = Float::new(p);
        let mut dot_u_dw = Float::new(p);
        let mut c = Float::new(p);
        let mut t = Float::new(p);
        for i in 0..flow.d {
            let dwi = Float::with_val(p, &der.dw[i] * &der.g[i]);
            t.assign(&self.u2[i] * &dwi);
            dot_u2_dw += &t;
            t.assign(&der.w[i] * &dwi);
            dot_u_dw += &t;
            t.assign(&der.w[i] * &self.u2[i]);
            c += &t;
        }
        c /= &nw;
        dot_u_dw /= &nw;
        let gc = dot_u2_dw - Float::with_val(p, &c * &dot_u_dw);
        let gk = Float::with_val(p, &self.cos_delta - &c);
        Some(Values { ge, gc, gk })
    }

    /// ||w/||w|| - u2||_2
    fn kernel_distance(&self, flow: &DiagFlow, y: &[Float]) -> Float {
        let p = self.prec;
        let der = flow.derive(&y[..flow.n]);
        let nw = norm2(p, &der.w);
        let diff: Vec<Float> = der
            .w
            .iter()
            .zip(&self.u2)
            .map(|(w, u)| Float::with_val(p, w / &nw) - u)
            .collect();
        norm2(p, &diff)
    }

    /// ||w_hat - w_μ||_2 / ||w_μ||_2 with w_hat = w / γ
    fn mu_distance(&self, flow: &DiagFlow, y: &[Float], k: usize) -> Float {
        let p = self.prec;
        let der = flow.derive(&y[..flow.n]);
        let w_mu = &self.w_mu[k];
        let diff: Vec<Float> = der
            .w
            .iter()
            .zip(w_mu)
            .map(|(w, m)| Float::with_val(p, w / &der.gamma) - m)
            .collect();
        norm2(p, &diff) / norm2(p, w_mu)
    }
}

/// Which event function, and which way it crosses zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// g_e from > 0 to <= 0
    ExcessDown,
    /// g_e from <= 0 to > 0
    ExcessUp,
    /// g_c from > 0 to <= 0
    Closest,
    /// g_k from < 0 to >= 0
    KernelExit,
}

impl Kind {
    fn value(self, v: &Values) -> &Float {
        match self {
            Kind::ExcessDown | Kind::ExcessUp => &v.ge,
            Kind::Closest => &v.gc,
            Kind::KernelExit => &v.gk,
        }
    }
}

/// An owned copy of one accepted half step, kept for locating an event inside it.
#[derive(Clone)]
struct OwnedSeg {
    x0: Float,
    h: Float,
    y0: Vec<Float>,
    z: Vec<Vec<Float>>,
}

impl OwnedSeg {
    fn of(seg: &Segment) -> OwnedSeg {
        OwnedSeg {
            x0: seg.x0.clone(),
            h: seg.h.clone(),
            y0: seg.y0.to_vec(),
            z: seg.z.to_vec(),
        }
    }

    fn eval(&self, tab: &RadauTableau, x: &Float) -> Vec<Float> {
        Segment {
            tab,
            x0: &self.x0,
            h: &self.h,
            y0: &self.y0,
            z: &self.z,
        }
        .eval(x)
    }

    fn x1(&self) -> Float {
        Float::with_val(self.x0.prec(), &self.x0 + &self.h)
    }
}

/// A sign change seen between two probes (xa, xb) inside a segment.
struct Bracket {
    kind: Kind,
    seg: OwnedSeg,
    xa: Float,
    xb: Float,
}

/// One row computed at one set of numerics.
#[derive(Clone, Debug)]
pub struct Scan {
    /// smallest gt with excess l1 <= δ
    pub first: Option<Float>,
    /// first gt after `first` where the excess l1 norm is above δ again
    pub recross: Option<Float>,
    /// the last downward crossing, when the excess l1 norm stays <= δ from there to
    /// the end of the integrated range: the required accuracy
    pub required: Option<Float>,
    /// closest approach to w_l2: (gt*, distance)
    pub closest: Option<(Float, Float)>,
    /// first gt with distance < δ (a probe, not located)
    pub entered: bool,
    /// first gt after entering with distance >= δ
    pub kernel_exit: Option<Float>,
    /// per μ: (gt = α^D/μ, distance to w_μ); None when beyond the integrated range
    pub mu_points: Vec<Option<(Float, Float)>>,
    /// where the integration stopped
    pub gt_end: Float,
    /// the main integration's work
    pub stats: Stats,
    /// accepted steps spent locating events
    pub locate_steps: u64,
}

/// Integrate one row at `numerics` and locate its events.
fn scan(
    z: &[Vec<Rational>],
    depth: u32,
    scale: &Scale,
    refs: &RowRefs,
    spec: &TableSpec,
    numerics: &Numerics,
    cap: Option<&Float>,
) -> Result<Scan, OdeError> {
    let p = numerics.prec;
    let flow = DiagFlow::with_scale(z, depth, scale, p);
    let tab = RadauTableau::cached(numerics.stages, p);
    let tol = from_rational(p, &numerics.tol);
    let alpha_d = scale.alpha_pow_d(depth);
    let mut gt_end = from_rational(p, &spec.gt_max_for(&alpha_d));
    if let Some(c) = cap {
        if *c < gt_end {
            gt_end = Float::with_val(p, c);
        }
    }
    let after = from_rational(p, &spec.after);
    let gt_mu: Vec<Float> = spec
        .mus
        .iter()
        .map(|mu| from_rational(p, &(alpha_d.clone() / mu)))
        .collect();
    let mut brackets: Vec<Bracket> = Vec::new();
    let mut mu_segs: Vec<Option<OwnedSeg>> = vec![None; gt_mu.len()];
    let mut prev: Option<(Float, Values)> = None;
    // approximate gt of the last downward crossing while below δ
    let mut excess_at: Option<Float> = None;
    let mut any_down = false;
    let mut closest_at: Option<Float> = None;
    let mut entered = false;
    let mut exit_seen = false;
    let quarter = [
        Float::with_val(p, 1) / 4u32,
        Float::with_val(p, 1) / 2u32,
        Float::with_val(p, 3) / 4u32,
    ];
    let solver = Radau::new(&flow, &tab, RadauOptions::new(tol.clone()));
    let out = solver.integrate(
        &Float::new(p),
        &vec![Float::new(p); flow.dim_state()],
        &gt_end,
        |seg| {
            let x1 = seg.x1();
            for (k, g) in gt_mu.iter().enumerate() {
                if mu_segs[k].is_none() && *g > *seg.x0 && *g <= x1 {
                    mu_segs[k] = Some(OwnedSeg::of(seg));
                }
            }
            let mut probes: Vec<(Float, Vec<Float>)> = quarter
                .iter()
                .map(|q| {
                    (
                        Float::with_val(p, seg.x0 + Float::with_val(p, seg.h * q)),
                        seg.eval_theta(q),
                    )
                })
                .collect();
            probes.push((x1.clone(), seg.y1()));
            let mut owned: Option<OwnedSeg> = None;
            for (x, y) in probes {
                let Some(v) = refs.values(&flow, &y) else {
                    continue;
                };
                if v.gk.is_sign_negative() {
                    entered = true;
                }
                if let Some((xa, va)) = &prev {
                    let mut hits = Vec::new();
                    let down = |a: &Float, b: &Float| *a > 0u32 && *b <= 0u32;
                    if down(&va.ge, &v.ge) {
                        excess_at = Some(x.clone());
                        any_down = true;
                        hits.push(Kind::ExcessDown);
                    } else if any_down && va.ge <= 0u32 && v.ge > 0u32 {
                        excess_at = None;
                        hits.push(Kind::ExcessUp);
                    }
                    if down(&va.gc, &v.gc) {
                        closest_at = Some(x.clone());
                        hits.push(Kind::Closest);
                    }
                    if entered && !exit_seen && va.gk < 0u32 && v.gk >= 0u32 {
                        exit_seen = true;
                        hits.push(Kind::KernelExit);
                    }
                    for kind in hits {
                        let seg_copy = owned.get_or_insert_with(|| OwnedSeg::of(seg)).clone();
                        brackets.push(Bracket {
                            kind,
                            seg: seg_copy,
                            xa: xa.clone(),
                            xb: x.clone(),
                        });
                    }
                }
                prev = Some((x, v));
            }
            let past = |e: &Option<Float>| {
                e.as_ref()
                    .is_some_and(|g| x1 >= Float::with_val(p, g * &after))
            };
            let done_excess = past(&excess_at);
            let done_mu = gt_mu.iter().all(|g| *g <= x1);
            // the kernel part is done once the path has left the δ-neighbourhood of w_l2,
            // or is outside it well past its closest approach or past the excess event
            let inside = prev.as_ref().is_some_and(|(_, v)| v.gk.is_sign_negative());
            let done_kernel = exit_seen || (!inside && (past(&closest_at) || done_excess));
            if done_excess && done_mu && done_kernel {
                Control::Stop
            } else {
                Control::Continue
            }
        },
    )?;
    let mut locate_steps = 0;
    let mut locate = |b: &Bracket| -> Result<(Float, Vec<Float>), OdeError> {
        let (x, y, steps) = locate_event(&flow, &tab, &tol, refs, b)?;
        locate_steps += steps;
        Ok((x, y))
    };
    // refine the first downward crossing, the first upward one after it, and the last
    // downward one when nothing follows it
    let last_kind = brackets
        .iter()
        .rev()
        .find(|b| matches!(b.kind, Kind::ExcessDown | Kind::ExcessUp))
        .map(|b| b.kind);
    let n_down = brackets
        .iter()
        .filter(|b| b.kind == Kind::ExcessDown)
        .count();
    let mut seen_down = 0;
    let mut seen_up = false;
    let brackets: Vec<(Bracket, bool, bool)> = brackets
        .into_iter()
        .filter_map(|b| match b.kind {
            Kind::ExcessDown => {
                seen_down += 1;
                let first = seen_down == 1;
                let last = seen_down == n_down && last_kind == Some(Kind::ExcessDown);
                (first || last).then_some((b, first, last))
            }
            Kind::ExcessUp => (!std::mem::replace(&mut seen_up, true)).then_some((b, false, false)),
            _ => Some((b, false, false)),
        })
        .collect();
    let mut first = None;
    let mut required = None;
    let mut recross = None;
    let mut closest: Option<(Float, Float)> = None;
    let mut kernel_exit = None;
    for (b, is_first, is_last) in &brackets {
        let (x, y) = locate(b)?;
        match b.kind {
            Kind::ExcessDown => {
                if *is_last {
                    required = Some(x.clone());
                }
                if *is_first {
                    first = Some(x);
                }
            }
            Kind::ExcessUp => recross = Some(x),
            Kind::KernelExit => kernel_exit = Some(x),
            Kind::Closest => {
                let dist = refs.kernel_distance(&flow, &y);
                if closest.as_ref().is_none_or(|(_, d)| dist < *d) {
                    closest = Some((x, dist));
                }
            }
        }
    }
    let mut mu_points = Vec::new();
    for (k, seg) in mu_segs.iter().enumerate() {
        mu_points.push(match seg {
            Some(seg) => {
                let (y, steps) = state_at(&flow, &tab, &tol, seg, &gt_mu[k])?;
                locate_steps += steps;
                Some((gt_mu[k].clone(), refs.mu_distance(&flow, &y, k)))
            }
            None => None,
        });
    }
    Ok(Scan {
        first,
        recross,
        required,
        closest,
        entered,
        kernel_exit,
        mu_points,
        gt_end: out.x,
        stats: out.stats,
        locate_steps,
    })
}

/// The state at x inside the segment, integrated afresh from the segment's start with
/// the run's tolerance (first step straight to x). Returns the state and the steps taken.
fn state_at(
    flow: &DiagFlow,
    tab: &RadauTableau,
    tol: &Float,
    seg: &OwnedSeg,
    x: &Float,
) -> Result<(Vec<Float>, u64), OdeError> {
    // a point within the resolution of x of the step's start is the start (a step
    // that short would underflow)
    let p = flow.prec;
    let res =
        Float::with_val(p, x.abs_ref()) * Float::with_val(p, Float::i_exp(1, -(p as i32 - 32)));
    if Float::with_val(p, x - &seg.x0) <= res {
        return Ok((seg.y0.clone(), 0));
    }
    let mut opts = RadauOptions::new(tol.clone());
    opts.h_init = Some(Float::with_val(flow.prec, x - &seg.x0));
    let out = Radau::new(flow, tab, opts).integrate(&seg.x0, &seg.y0, x, |_| Control::Continue)?;
    Ok((out.y, out.stats.accepted))
}

/// Regula falsi with the Illinois modification on [a, b], fa and fb of opposite signs
/// (fa "before", fb "after" the crossing). Stops when the bracket or the last move is
/// below `tolx`, on an exact zero, or after `max_iter` evaluations. Returns the point
/// with the smaller |f| of the final bracket, and its payload.
fn illinois<T: Clone, E>(
    mut a: (Float, Float, T),
    mut b: (Float, Float, T),
    tolx: &Float,
    max_iter: usize,
    mut f: impl FnMut(&Float) -> Result<(Float, T), E>,
) -> Result<(Float, T), E> {
    let p = a.0.prec();
    let mut side = 0i8;
    let mut last: Option<Float> = None;
    for _ in 0..max_iter {
        let width = Float::with_val(p, &b.0 - &a.0).abs();
        if width <= *tolx {
            break;
        }
        let num = Float::with_val(p, &a.0 * &b.1) - Float::with_val(p, &b.0 * &a.1);
        let den = Float::with_val(p, &b.1 - &a.1);
        let mut c = Float::with_val(p, &num / &den);
        let (lo, hi) = if a.0 < b.0 {
            (&a.0, &b.0)
        } else {
            (&b.0, &a.0)
        };
        if !c.is_finite() || c <= *lo || c >= *hi {
            c = Float::with_val(p, &a.0 + &b.0) / 2u32;
        }
        let (fc, tc) = f(&c)?;
        if fc.is_zero() {
            return Ok((c, tc));
        }
        let moved = last
            .as_ref()
            .map(|l| Float::with_val(p, &c - l).abs() <= *tolx)
            .unwrap_or(false);
        last = Some(c.clone());
        if fc.is_sign_negative() == b.1.is_sign_negative() {
            b = (c, fc, tc);
            if side == -1 {
                a.1 /= 2u32;
            }
            side = -1;
        } else {
            a = (c, fc, tc);
            if side == 1 {
                b.1 /= 2u32;
            }
            side = 1;
        }
        if moved {
            break;
        }
    }
    Ok(if a.1.cmp_abs(&b.1) == Some(std::cmp::Ordering::Less) {
        (a.0, a.2)
    } else {
        (b.0, b.2)
    })
}

/// Locate an event to the working precision: first on the collocation polynomial,
/// then on exact states around its estimate. Returns (gt, state, steps taken).
fn locate_event(
    flow: &DiagFlow,
    tab: &RadauTableau,
    tol: &Float,
    refs: &RowRefs,
    b: &Bracket,
) -> Result<(Float, Vec<Float>, u64), OdeError> {
    let p = flow.prec;
    let kind = b.kind;
    // the event function signed so that the side the crossing leaves is positive
    let signed = |y: &[Float]| -> Option<Float> {
        let v = refs.values(flow, y)?;
        let f = kind.value(&v).clone();
        Some(match kind {
            Kind::ExcessDown | Kind::Closest => f,
            Kind::ExcessUp | Kind::KernelExit => -f,
        })
    };
    let span_tol = |x: &Float, bits: i32| {
        let scale = if x.cmp_abs(&b.seg.h) == Some(std::cmp::Ordering::Greater) {
            Float::with_val(p, x.abs_ref())
        } else {
            b.seg.h.clone()
        };
        scale * Float::with_val(p, Float::i_exp(1, -bits))
    };
    // phase 1: the collocation polynomial
    let dense = |x: &Float| -> Result<(Float, ()), OdeError> {
        let y = b.seg.eval(tab, x);
        Ok((signed(&y).unwrap_or_else(|| Float::with_val(p, 1)), ()))
    };
    let fa = dense(&b.xa)?.0;
    let fb = dense(&b.xb)?.0;
    let (r, _) = illinois(
        (b.xa.clone(), fa, ()),
        (b.xb.clone(), fb, ()),
        &span_tol(&b.xb, (p / 2) as i32),
        100,
        dense,
    )?;
    // phase 2: exact states, integrated from the start of the step
    let steps = std::cell::Cell::new(0u64);
    let exact = |x: &Float| -> Result<(Float, Vec<Float>), OdeError> {
        let (y, s) = state_at(flow, tab, tol, &b.seg, x)?;
        steps.set(steps.get() + s);
        let f = signed(&y).unwrap_or_else(|| Float::with_val(p, 1));
        Ok((f, y))
    };
    let x1 = b.seg.x1();
    let clamp = |x: Float| -> Float {
        if x < b.seg.x0 {
            b.seg.x0.clone()
        } else if x > x1 {
            x1.clone()
        } else {
            x
        }
    };
    // the exact states are smooth in x only to about the Newton goal (tol / 100), so
    // the location is pushed to a thousandth of the tolerance, relative, and no further
    let mut tolx = span_tol(&r, 0) * tol / 1000u32;
    let floor = span_tol(&r, p as i32 - 16);
    if tolx < floor {
        tolx = floor;
    }
    // Newton on exact values with the slope of the collocation polynomial (a central
    // difference; the slope needs few digits): from the polynomial's ~stage-order
    // digits one correction reaches the tolerance, so usually two exact states suffice
    let eta = span_tol(&r, (p / 4) as i32);
    let slope = Float::with_val(
        p,
        dense(&Float::with_val(p, &r + &eta))?.0 - dense(&Float::with_val(p, &r - &eta))?.0,
    ) / Float::with_val(p, &eta * 2u32);
    let (fr, yr) = exact(&r)?;
    if fr.is_zero() {
        return Ok((r, yr, steps.get()));
    }
    if slope.is_finite() && !slope.is_zero() {
        let (mut x, mut fx, mut yx) = (r.clone(), fr.clone(), yr.clone());
        let mut last_dx: Option<Float> = None;
        for _ in 0..4 {
            let dx = Float::with_val(p, &fx / &slope);
            if dx.cmp_abs(&tolx) != Some(std::cmp::Ordering::Greater) {
                return Ok((x, yx, steps.get()));
            }
            // give up on Newton when it does not contract fast or leaves the step
            if last_dx.as_ref().is_some_and(|l| {
                Float::with_val(p, dx.abs_ref()) * 4u32 > Float::with_val(p, l.abs_ref())
            }) {
                break;
            }
            let xn = Float::with_val(p, &x - &dx);
            if xn < b.seg.x0 || xn > x1 {
                break;
            }
            let (fn_, yn) = exact(&xn)?;
            if fn_.is_zero() {
                return Ok((xn, yn, steps.get()));
            }
            last_dx = Some(dx);
            (x, fx, yx) = (xn, fn_, yn);
        }
    }
    let mut eps = span_tol(&r, (p / 8) as i32);
    let mut bracket = None;
    for _ in 0..8 {
        // the root is after r when r is still on the "before" side
        let other = clamp(if fr.is_sign_positive() {
            Float::with_val(p, &r + &eps)
        } else {
            Float::with_val(p, &r - &eps)
        });
        let (fo, yo) = exact(&other)?;
        if fo.is_sign_positive() != fr.is_sign_positive() {
            bracket = Some(if fr.is_sign_positive() {
                ((r.clone(), fr.clone(), yr.clone()), (other, fo, yo))
            } else {
                ((other, fo, yo), (r.clone(), fr.clone(), yr.clone()))
            });
            break;
        }
        if other == b.seg.x0 || other == x1 {
            break;
        }
        eps *= Float::with_val(p, Float::i_exp(1, 16));
    }
    let Some((lo, hi)) = bracket else {
        // no sign change on exact states (a tangency within round-off): keep the
        // polynomial's estimate with its exact state
        return Ok((r, yr, steps.get()));
    };
    let (x, y) = illinois(lo, hi, &tolx, 40, exact)?;
    Ok((x, y, steps.get()))
}

/// A located quantity of the main computation with the digits the verification
/// computation confirms (None without verification).
#[derive(Clone, Debug)]
pub struct Certified {
    pub value: Float,
    pub digits: Option<u32>,
}

/// One row of the table.
#[derive(Clone, Debug)]
pub struct Row {
    pub depth: u32,
    pub scale: Scale,
    pub alpha_d: Rational,
    pub gt_max: Rational,
    /// smallest gt with excess l1 <= δ
    pub first: Option<Certified>,
    /// first gt after it with excess l1 > δ again (it did not stay below)
    pub recross: Option<Certified>,
    /// the gt from which on the excess l1 norm stays <= δ up to the end of the range
    pub required: Option<Certified>,
    pub closest_gt: Option<Certified>,
    pub closest_distance: Option<Certified>,
    pub entered: bool,
    pub kernel_exit: Option<Certified>,
    /// per μ: gt and distance to w_μ
    pub mu_points: Vec<Option<(Certified, Certified)>>,
    pub gt_end: Float,
    pub stats: Stats,
    pub locate_steps: u64,
    /// the verification computation disagreed on which events exist
    pub mismatch: Vec<String>,
}

fn certify(
    name: &str,
    a: &Option<Float>,
    b: Option<&Option<Float>>,
    cap: u32,
    mismatch: &mut Vec<String>,
) -> Option<Certified> {
    let value = a.clone()?;
    let digits = match b {
        None => None,
        Some(Some(v)) => Some(crate::num::scalar_digits(&value, v, cap)),
        Some(None) => {
            mismatch.push(format!("{name}: found by the main computation only"));
            Some(0)
        }
    };
    Some(Certified { value, digits })
}

/// Compute one row: the main scan and, unless disabled, the verification scan.
pub fn row(
    z: &[Vec<Rational>],
    depth_index: usize,
    scale: &Scale,
    refs: &References,
    spec: &TableSpec,
) -> Result<Row, OdeError> {
    let depth = spec.depths[depth_index];
    let main_refs = RowRefs::new(refs, depth_index, &spec.delta, spec.numerics.prec, false);
    let main = scan(z, depth, scale, &main_refs, spec, &spec.numerics, None)?;
    let check = if spec.verify {
        let vn = table_verification_numerics(&spec.numerics);
        let vrefs = RowRefs::new(refs, depth_index, &spec.delta, vn.prec, true);
        // the verification computation needs to reach the main one's events only (5%
        // beyond the last); whether the excess stays below delta further on is the
        // main computation's finding
        let mut last: Option<Float> = None;
        let events = [
            &main.first,
            &main.recross,
            &main.required,
            &main.kernel_exit,
        ]
        .into_iter()
        .flatten()
        .chain(main.closest.as_ref().map(|(g, _)| g))
        .chain(main.mu_points.iter().flatten().map(|(g, _)| g));
        for g in events {
            if last.as_ref().is_none_or(|l| g > l) {
                last = Some(g.clone());
            }
        }
        let cap = last.map(|g| Float::with_val(vn.prec, g * 21u32) / 20u32);
        Some(scan(z, depth, scale, &vrefs, spec, &vn, cap.as_ref())?)
    } else {
        None
    };
    let cap = decimal_digits_of_bits(spec.numerics.prec);
    let mut mismatch = Vec::new();
    let c = check.as_ref();
    let first = certify(
        "first excess l1 crossing",
        &main.first,
        c.map(|c| &c.first),
        cap,
        &mut mismatch,
    );
    let required = certify(
        "required accuracy",
        &main.required,
        c.map(|c| &c.required),
        cap,
        &mut mismatch,
    );
    let recross = certify(
        "re-crossing",
        &main.recross,
        c.map(|c| &c.recross),
        cap,
        &mut mismatch,
    );
    let kernel_exit = certify(
        "kernel exit",
        &main.kernel_exit,
        c.map(|c| &c.kernel_exit),
        cap,
        &mut mismatch,
    );
    let split = |s: &Scan| -> (Option<Float>, Option<Float>) {
        match &s.closest {
            Some((g, d)) => (Some(g.clone()), Some(d.clone())),
            None => (None, None),
        }
    };
    let (mg, md) = split(&main);
    let cs = c.map(split);
    let closest_gt = certify(
        "closest approach",
        &mg,
        cs.as_ref().map(|x| &x.0),
        cap,
        &mut mismatch,
    );
    let closest_distance = certify(
        "closest distance",
        &md,
        cs.as_ref().map(|x| &x.1),
        cap,
        &mut mismatch,
    );
    let mut mu_points = Vec::new();
    for (k, m) in main.mu_points.iter().enumerate() {
        let cm = c.map(|c| c.mu_points[k].clone());
        let (g, d) = match m {
            Some((g, d)) => (Some(g.clone()), Some(d.clone())),
            None => (None, None),
        };
        let (cg, cd) = match &cm {
            Some(Some((g, d))) => (Some(Some(g.clone())), Some(Some(d.clone()))),
            Some(None) => (Some(None), Some(None)),
            None => (None, None),
        };
        let name = format!("mu = {}", spec.mus[k]);
        let pg = certify(&name, &g, cg.as_ref(), cap, &mut mismatch);
        let pd = certify(&name, &d, cd.as_ref(), cap, &mut mismatch);
        mu_points.push(pg.zip(pd));
    }
    if let Some(c) = c {
        if c.entered != main.entered {
            mismatch.push("entering the kernel neighbourhood: the computations disagree".into());
        }
        for (name, a, b) in [
            ("first excess l1 crossing", &c.first, &main.first),
            ("required accuracy", &c.required, &main.required),
            ("re-crossing", &c.recross, &main.recross),
            ("kernel exit", &c.kernel_exit, &main.kernel_exit),
        ] {
            if a.is_some() && b.is_none() {
                mismatch.push(format!(
                    "{name}: found by the verification computation only"
                ));
            }
        }
    }
    let alpha_d = scale.alpha_pow_d(depth);
    Ok(Row {
        depth,
        scale: scale.clone(),
        gt_max: spec.gt_max_for(&alpha_d),
        alpha_d,
        first,
        recross,
        required,
        closest_gt,
        closest_distance,
        entered: main.entered,
        kernel_exit,
        mu_points,
        gt_end: main.gt_end,
        stats: main.stats,
        locate_steps: main.locate_steps,
        mismatch,
    })
}

/// Least-squares fit y = a x + b with residuals, and the local slopes between
/// consecutive points, in MPFR.
#[derive(Clone, Debug)]
pub struct Fit {
    pub depth: u32,
    pub points: usize,
    pub a: Float,
    pub b: Float,
    pub residuals: Vec<Float>,
    pub local_slopes: Vec<Float>,
}

/// Fit ln gt = a ln(α^D) + b over `(α^D, gt)` pairs (at least two distinct α^D).
pub fn fit_log_log(depth: u32, pts: &[(Rational, Float)], prec: u32) -> Option<Fit> {
    if pts.len() < 2 {
        return None;
    }
    let xs: Vec<Float> = pts
        .iter()
        .map(|(a, _)| from_rational(prec, a).ln())
        .collect();
    let ys: Vec<Float> = pts
        .iter()
        .map(|(_, g)| Float::with_val(prec, g.ln_ref()))
        .collect();
    let n = pts.len() as u32;
    let mut sx = Float::new(prec);
    let mut sy = Float::new(prec);
    for (x, y) in xs.iter().zip(&ys) {
        sx += x;
        sy += y;
    }
    let mx = Float::with_val(prec, &sx / n);
    let my = Float::with_val(prec, &sy / n);
    let mut sxx = Float::new(prec);
    let mut sxy = Float::new(prec);
    for (x, y) in xs.iter().zip(&ys) {
        let dx = Float::with_val(prec, x - &mx);
        let dy = Float::with_val(prec, y - &my);
        sxy += Float::with_val(prec, &dx * &dy);
        sxx += dx.square();
    }
    if sxx.is_zero() {
        return None;
    }
    let a = Float::with_val(prec, &sxy / &sxx);
    let b = Float::with_val(prec, &my - Float::with_val(prec, &a * &mx));
    let residuals = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| Float::with_val(prec, y - Float::with_val(prec, &a * x)) - &b)
        .collect();
    let local_slopes = xs
        .windows(2)
        .zip(ys.windows(2))
        .map(|(x, y)| Float::with_val(prec, &y[1] - &y[0]) / Float::with_val(prec, &x[1] - &x[0]))
        .collect();
    Some(Fit {
        depth,
        points: pts.len(),
        a,
        b,
        residuals,
        local_slopes,
    })
}

/// A whole table.
#[derive(Clone, Debug)]
pub struct Table {
    pub rows: Vec<Row>,
    /// per depth: ln gt = a ln(α^D) + b over the required accuracies
    pub required_fits: Vec<Fit>,
    /// per depth: ln gt* = a ln(α^D) + b over the closest approaches to w_l2
    pub closest_fits: Vec<Fit>,
}

/// Compute every (depth, scale) row in parallel; `done` is called after each row.
pub fn compute(
    z: &[Vec<Rational>],
    spec: &TableSpec,
    refs: &References,
    done: impl Fn() + Sync,
) -> Result<Table, OdeError> {
    let jobs: Vec<(usize, &Scale)> = (0..spec.depths.len())
        .flat_map(|di| spec.scales.iter().map(move |s| (di, s)))
        .collect();
    let rows: Vec<Row> = jobs
        .par_iter()
        .map(|(di, s)| {
            let r = row(z, *di, s, refs, spec);
            done();
            r
        })
        .collect::<Result<_, _>>()?;
    let fits = |pick: &dyn Fn(&Row) -> Option<Float>| -> Vec<Fit> {
        spec.depths
            .iter()
            .filter_map(|&d| {
                let pts: Vec<(Rational, Float)> = rows
                    .iter()
                    .filter(|r| r.depth == d)
                    .filter_map(|r| pick(r).map(|g| (r.alpha_d.clone(), g)))
                    .collect();
                fit_log_log(d, &pts, 128)
            })
            .collect()
    };
    let required_fits = fits(&|r: &Row| r.required.as_ref().map(|c| c.value.clone()));
    let closest_fits = fits(&|r: &Row| r.closest_gt.as_ref().map(|c| c.value.clone()));
    Ok(Table {
        rows,
        required_fits,
        closest_fits,
    })
}
