//! Event location: the event functions of a row, the scan of one integration with its
//! probes on the dense output, and the location of a crossing, first on the step's
//! collocation polynomial, then on exact states.

use crate::flow::{drive_plain, DiagFlow, Loss, Numerics, Scale, Start};
use crate::num::{from_rational, norm1, norm2};
use crate::ode::radau::{Control, OdeError, Segment, Stats, StepRecord};
use crate::ode::tableau::RadauTableau;
use rug::{Assign, Float, Rational};

use super::{TableReferences, TableSpec};

/// Event functions at one state; None at w = 0 (gt = 0), where no direction exists.
#[derive(Clone, Debug)]
struct Values {
    ge: Float,
    gc: Float,
    gk: Float,
}

/// The references of one row at one precision.
pub(super) struct RowRefs {
    prec: u32,
    /// (1 + δ) ||w_l1||_1
    l1_scaled: Float,
    u2: Vec<Float>,
    /// 1 - δ²/2
    cos_delta: Float,
    w_mu: Vec<Vec<Float>>,
}

impl RowRefs {
    pub(super) fn new(
        refs: &TableReferences,
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

/// A sign change seen between two probes (xa, xb) inside a segment.
struct Bracket {
    kind: Kind,
    seg: StepRecord,
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

/// Integrate one row of `loss` at `numerics` and locate its events. The flow starts at
/// its loss's gt_0 (0 or -ln(ln 2)); nothing below assumes gt_0 = 0: the range ends at
/// `gt_max` (far beyond gt_0), `after` multiplies located gt > gt_0, and a μ point
/// before gt_0 is refused by the command.
#[allow(clippy::too_many_arguments)]
pub(super) fn scan(
    z: &[Vec<Rational>],
    loss: Loss,
    depth: u32,
    scale: &Scale,
    refs: &RowRefs,
    spec: &TableSpec,
    numerics: &Numerics,
    cap: Option<&Float>,
) -> Result<Scan, OdeError> {
    let p = numerics.prec;
    let flow = DiagFlow::with_scale(z, depth, scale, p).with_loss(loss);
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
    let mut mu_segs: Vec<Option<StepRecord>> = vec![None; gt_mu.len()];
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
    let mut observer = |seg: &Segment| {
        let x1 = seg.x1();
        for (k, g) in gt_mu.iter().enumerate() {
            if mu_segs[k].is_none() && *g > *seg.x0 && *g <= x1 {
                mu_segs[k] = Some(StepRecord::of(seg));
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
        let mut owned: Option<StepRecord> = None;
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
                    let seg_copy = owned.get_or_insert_with(|| StepRecord::of(seg)).clone();
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
    };
    // the event scan is an observer of the flow's driver; no precision guard (a
    // table reports the digits its verification computation confirms)
    let out = drive_plain(&flow, numerics, &gt_end, Start::Origin, &mut observer)?;
    let mut locate_steps = 0;
    let mut locate = |b: &Bracket| -> Result<(Float, Vec<Float>), OdeError> {
        let (x, y, steps) = locate_event(&flow, &tab, numerics, &tol, refs, b)?;
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
                let (y, steps) = state_at(&flow, numerics, seg, &gt_mu[k])?;
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
        gt_end: out.gt,
        stats: out.stats,
        locate_steps,
    })
}

/// The state at x inside the segment, integrated afresh from the segment's start with
/// the run's numerics (first step straight to x). Returns the state and the steps taken.
fn state_at(
    flow: &DiagFlow,
    numerics: &Numerics,
    seg: &StepRecord,
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
    let mut observer = |_: &Segment| Control::Continue;
    let start = Start::At {
        gt: seg.x0.clone(),
        y: seg.y0.clone(),
        first_step: Some(Float::with_val(p, x - &seg.x0)),
    };
    let out = drive_plain(flow, numerics, x, start, &mut observer)?;
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
    numerics: &Numerics,
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
        let y = b.seg.segment(tab).eval(x);
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
        let (y, s) = state_at(flow, numerics, &b.seg, x)?;
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
