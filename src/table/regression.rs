//! `ibcert table` on a regression case: for each depth D and each eps, the alphas at
//! which the limit `w_alpha = argmin Q^D_alpha s.t. X^T w = y` (the square-loss flow's
//! limit from `u(0) = alpha 1`) is within a factor `1 + eps` of the optimal norms:
//!
//! * rich side: the largest alpha with `||w_alpha||_1 <= (1 + eps) ||w_l1||_1`;
//! * kernel side: the smallest alpha with `||w_alpha||_2^2 <= (1 + eps) ||w_l2||_2^2`;
//!
//! side by side with Theorem 2's sufficient alphas (D = 2; Woodworth et al. 2020), so that
//! a user sees how loose the theorem's bound is. No flow is integrated: every value is a
//! certified [`q_alpha_limit`] (two independent solves, the digits they share), and each
//! comparison with eps is decided only when the excess and its error bound from those
//! digits ([`l1_excess`], [`l2_excess`]) are on one side of eps.
//!
//! Search (docs/math.md §13.6): alphas live on a grid of `per_decade` points per decade,
//! `alpha_j ~ 10^(j / per_decade)` written as an exact decimal with 12 significant digits
//! (exact powers of ten at whole decades). From alpha = 1 the search moves by 1, 2, 4, ...
//! decades until the statement changes (or the range given ends), then bisects on the grid
//! to two neighbouring grid points: one where the statement holds and one where it does
//! not. Each excess is assumed monotone in alpha only between the two points of the final
//! bracket's search; every evaluated alpha is kept, and the report says whether the
//! excesses are monotone over all of them (a certified violation is named: it is real,
//! not round-off).

use crate::num::{fmt_sig, from_rational};
use crate::reference::regression::{
    l1_excess, l2_excess, min_l1_interpolator, min_l2_interpolator, q_alpha_limit, theorem2,
    NormExcess,
};
use rayon::prelude::*;
use rug::ops::Pow;
use rug::{Float, Integer, Rational};

/// What to tabulate.
#[derive(Clone, Debug)]
pub struct RegTableSpec {
    pub depths: Vec<u32>,
    /// each > 0
    pub eps: Vec<Rational>,
    /// bits of the Q^D_alpha limits (the verification solve adds 64)
    pub prec: u32,
    /// the search range, log10 alpha in [min_log10, max_log10] (min < 0 < max)
    pub min_log10: i32,
    pub max_log10: i32,
    /// grid points per decade (>= 1)
    pub per_decade: u32,
    /// also integrate the flow at each located alpha and report the time it needs to
    /// come within eps of its limit ([`FlowTime`])
    pub flow_time: bool,
}

/// The optimisation cost at one located alpha: the first time t at which the flow's w(t)
/// is within eps of its limit w_alpha, max_i |w_i(t) - w_alpha,i| <= eps ||w_alpha||_inf
/// (w_alpha the certified Q^D_alpha solution; first seen at the end of an accepted step
/// and located inside it by bisection on the step's dense output), with the digits of t
/// on which a verification run agrees.
#[derive(Clone, Debug)]
pub struct FlowTime {
    pub t: Float,
    /// digits of t shared with the verification run
    pub digits: u32,
    /// accepted steps of the main run
    pub steps: u64,
}

/// A flow-time run gives up after this many step attempts (each run): the flow at an
/// alpha far into the rich regime crosses long saddle plateaus.
pub const FLOW_TIME_MAX_STEPS: u64 = 5_000;

/// The limit at one grid alpha.
#[derive(Clone, Debug)]
pub struct Sample {
    /// grid index: log10 alpha ~ j / per_decade
    pub j: i64,
    pub alpha: Rational,
    /// ||w||_1 / ||w_l1||_1 - 1 with its error bound
    pub l1: NormExcess,
    /// ||w||_2^2 / ||w_l2||_2^2 - 1 with its error bound
    pub l2: NormExcess,
    /// verified digits of w_alpha
    pub digits: u32,
}

/// Where a statement starts to hold, as far as the search could tell.
#[derive(Clone, Debug)]
pub enum Threshold {
    /// the statement holds at `inside` and not at `outside`, neighbours on the grid
    Found { inside: Sample, outside: Sample },
    /// it holds over the whole range searched up to its far end `at`
    Everywhere { at: Sample },
    /// it does not hold anywhere up to the end of the range, `last`
    NotReached { last: Sample },
    /// the verified digits cannot tell the excess from eps at this alpha
    Undecided { at: Sample },
    /// the limit could not be computed at `alpha`
    Failed { alpha: Rational, error: String },
}

impl Threshold {
    /// The alpha that satisfies the statement and is nearest to where it stops holding.
    pub fn inside(&self) -> Option<&Sample> {
        match self {
            Threshold::Found { inside, .. } => Some(inside),
            Threshold::Everywhere { at } => Some(at),
            _ => None,
        }
    }
}

/// Theorem 2's sufficient alpha (D = 2): the exact decimal bound (12 digits, rounded to the
/// theorem's side) and its log10, or why it is not available.
pub type Bound = Result<(Rational, String), String>;

/// One (D, eps) row.
#[derive(Clone, Debug)]
pub struct RegRow {
    pub depth: u32,
    pub eps: Rational,
    /// largest alpha with the l1 statement
    pub l1: Threshold,
    /// smallest alpha with the l2 statement
    pub l2: Threshold,
    /// Theorem 2 (D = 2 only): the l1 statement holds for alpha <= this
    pub theorem2_l1: Option<Bound>,
    /// Theorem 2 (D = 2 only): the l2 statement holds for alpha >= this
    pub theorem2_l2: Option<Bound>,
    /// with [`RegTableSpec::flow_time`]: the flow time at the l1 side's alpha
    /// ([`Threshold::inside`]; None without one)
    pub flow_time_l1: Option<Result<FlowTime, String>>,
    /// the same at the l2 side's alpha
    pub flow_time_l2: Option<Result<FlowTime, String>>,
}

/// The evaluated limits of one depth, by increasing alpha, and whether both excesses are
/// monotone over them.
#[derive(Clone, Debug)]
pub struct DepthSamples {
    pub depth: u32,
    pub samples: Vec<Sample>,
    /// None when monotone (excess l1 non-decreasing and excess l2 non-increasing in alpha,
    /// within the error bounds); else the first certified violation, in words
    pub violation: Option<String>,
}

/// The table.
#[derive(Clone, Debug)]
pub struct RegTable {
    pub norm1_l1: Rational,
    pub norm2_sq_l2: Rational,
    pub rows: Vec<RegRow>,
    pub depths: Vec<DepthSamples>,
    /// Q^D_alpha limits computed (each two solves)
    pub evaluations: usize,
}

/// The grid alpha `~ 10^(j / per_decade)`: an exact power of ten at whole decades, else
/// the decimal with 12 significant digits nearest to it (increasing in `j`: neighbours
/// differ by a factor of at least 10^(1/per_decade) - far above the rounding).
pub fn grid_alpha(j: i64, per_decade: u32) -> Rational {
    let pd = i64::from(per_decade);
    let k = j.div_euclid(pd);
    let r = j.rem_euclid(pd);
    let pow10 = |e: i64| -> Rational {
        let p = Integer::from(10u32).pow(e.unsigned_abs() as u32);
        if e >= 0 {
            Rational::from(p)
        } else {
            Rational::from((Integer::from(1), p))
        }
    };
    if r == 0 {
        return pow10(k);
    }
    // 10^(r / pd) in (1, 10), to 11 decimals after the point
    let p = 128;
    let m = Float::with_val(
        p,
        Float::with_val(p, r) / pd as u32 * Float::with_val(p, 10u32).ln(),
    )
    .exp();
    let scaled = Float::with_val(p, &m * 100_000_000_000u64).round();
    let mant = scaled.to_integer().expect("finite");
    Rational::from(mant) * pow10(k - 11)
}

/// log10 of a grid alpha as shown: `j / per_decade` as an exact decimal when it has at
/// most 6 decimals (every per_decade of the form 2^a 5^b up to 10^6), else to 8 digits.
pub fn log10_text(j: i64, per_decade: u32) -> String {
    crate::num::exact::exact_decimal(&Rational::from((j, per_decade)), 6)
        .unwrap_or_else(|| fmt_sig(&(Float::with_val(64, j) / per_decade), 8))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decision {
    Holds,
    Fails,
    Undecided,
}

/// Which statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    /// excess l1 <= eps, expected for small alpha
    L1,
    /// excess l2 <= eps, expected for large alpha
    L2,
}

struct Problem<'a> {
    points: &'a [Vec<Rational>],
    y: &'a [Rational],
    norm1: &'a Rational,
    norm2_sq: &'a Rational,
    prec: u32,
    per_decade: u32,
}

impl Problem<'_> {
    fn sample(&self, depth: u32, j: i64) -> Result<Sample, (Rational, String)> {
        let alpha = grid_alpha(j, self.per_decade);
        let sol = q_alpha_limit(self.points, self.y, depth, &alpha, self.prec)
            .map_err(|e| (alpha.clone(), e.to_string()))?;
        let w = &sol.solve.w;
        let k = sol.verified_digits;
        Ok(Sample {
            j,
            alpha,
            l1: l1_excess(w, k, self.norm1, self.prec),
            l2: l2_excess(w, k, self.norm2_sq, self.prec),
            digits: k,
        })
    }
}

fn decide(s: &Sample, side: Side, eps: &Float) -> Decision {
    let x = match side {
        Side::L1 => &s.l1,
        Side::L2 => &s.l2,
    };
    if x.certainly_at_most(eps) {
        Decision::Holds
    } else if x.certainly_above(eps) {
        Decision::Fails
    } else {
        Decision::Undecided
    }
}

/// The search of the module docs for one depth, eps and side; every sample it evaluates is
/// pushed to `seen`.
fn search(
    pb: &Problem,
    depth: u32,
    eps: &Rational,
    side: Side,
    range: (i64, i64),
    seen: &mut Vec<Sample>,
) -> Threshold {
    let eps_f = from_rational(pb.prec, eps);
    let pd = i64::from(pb.per_decade);
    // toward: the direction in j in which the statement is expected to start holding
    let toward: i64 = match side {
        Side::L1 => -1,
        Side::L2 => 1,
    };
    // an evaluation that ends the search returns its Threshold (boxed: it is large)
    let mut eval = |j: i64| -> Result<(Sample, Decision), Box<Threshold>> {
        match pb.sample(depth, j) {
            Ok(s) => {
                let d = decide(&s, side, &eps_f);
                seen.push(s.clone());
                if d == Decision::Undecided {
                    return Err(Box::new(Threshold::Undecided { at: s }));
                }
                Ok((s, d))
            }
            Err((alpha, error)) => Err(Box::new(Threshold::Failed { alpha, error })),
        }
    };
    let clamp = |j: i64| j.clamp(range.0, range.1);
    let start = clamp(0);
    let (first, d0) = match eval(start) {
        Ok(v) => v,
        Err(t) => return *t,
    };
    // scan: away from the holding side while it holds, toward it while it fails
    let dir = if d0 == Decision::Holds {
        -toward
    } else {
        toward
    };
    let (mut near, mut near_j) = (first, start); // last point with decision d0
    let mut step = pd;
    let (far, far_j) = loop {
        let next = clamp(near_j + dir * step);
        if next == near_j {
            // the range ends with the statement as at the start
            return if d0 == Decision::Holds {
                Threshold::Everywhere { at: near }
            } else {
                Threshold::NotReached { last: near }
            };
        }
        let (s, d) = match eval(next) {
            Ok(v) => v,
            Err(t) => return *t,
        };
        if d != d0 {
            break (s, next);
        }
        near = s;
        near_j = next;
        step *= 2;
    };
    let (mut hold, mut fail) = if d0 == Decision::Holds {
        ((near, near_j), (far, far_j))
    } else {
        ((far, far_j), (near, near_j))
    };
    // bisect on the grid
    while (hold.1 - fail.1).abs() > 1 {
        let mid = hold.1 + (fail.1 - hold.1) / 2;
        let (s, d) = match eval(mid) {
            Ok(v) => v,
            Err(t) => return *t,
        };
        if d == Decision::Holds {
            hold = (s, mid);
        } else {
            fail = (s, mid);
        }
    }
    Threshold::Found {
        inside: hold.0,
        outside: fail.0,
    }
}

/// The first certified violation of monotonicity over `samples` (sorted by alpha): the
/// excess l1 must not fall and the excess l2 must not rise as alpha grows.
fn monotone_violation(samples: &[Sample]) -> Option<String> {
    for w in samples.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        let p = a.l1.value.prec();
        // excess l1 falls from a to b (alpha increasing): certainly when a's lower end
        // exceeds b's upper end
        let a_lo = Float::with_val(p, &a.l1.value - &a.l1.err);
        let b_hi = Float::with_val(p, &b.l1.value + &b.l1.err);
        if a_lo > b_hi {
            return Some(format!(
                "the excess l1 norm falls from {} at alpha = {} to {} at alpha = {} (certified by the verified digits)",
                fmt_sig(&a.l1.value, 6),
                fmt_sig(&from_rational(64, &a.alpha), 6),
                fmt_sig(&b.l1.value, 6),
                fmt_sig(&from_rational(64, &b.alpha), 6),
            ));
        }
        let a_hi = Float::with_val(p, &a.l2.value + &a.l2.err);
        let b_lo = Float::with_val(p, &b.l2.value - &b.l2.err);
        if b_lo > a_hi {
            return Some(format!(
                "the excess l2 norm rises from {} at alpha = {} to {} at alpha = {} (certified by the verified digits)",
                fmt_sig(&a.l2.value, 6),
                fmt_sig(&from_rational(64, &a.alpha), 6),
                fmt_sig(&b.l2.value, 6),
                fmt_sig(&from_rational(64, &b.alpha), 6),
            ));
        }
    }
    None
}

/// Theorem 2's bounds for `eps` (D = 2 only).
fn theorem2_bounds(
    depth: u32,
    eps: &Rational,
    norm1: &Rational,
    norm2_sq: &Rational,
    d: usize,
) -> (Option<Bound>, Option<Bound>) {
    if depth != 2 {
        return (None, None);
    }
    let l1 = theorem2::decimal_bound(&theorem2::ln_l1_bound(eps, norm1, d), false);
    let l2 = theorem2::decimal_bound(&theorem2::ln_l2_bound(eps, norm2_sq), true);
    (Some(l1), Some(l2))
}

/// The flow time to within `eps` of the limit at `alpha` ([`FlowTime`]): the limit by
/// [`q_alpha_limit`] at `prec` bits, then the flow at `prec` bits and tolerance
/// min(1e-12, eps 1e-8), verified.
fn flow_time(
    points: &[Vec<Rational>],
    y: &[Rational],
    depth: u32,
    alpha: &Rational,
    eps: &Rational,
    prec: u32,
) -> Result<FlowTime, String> {
    use crate::flow::regression::{regression_verified_capped, RegProblem, RegStop};
    let limit = q_alpha_limit(points, y, depth, alpha, prec).map_err(|e| e.to_string())?;
    let target = limit
        .solve
        .w
        .iter()
        .map(|v| v.to_rational().ok_or("a non-finite limit"))
        .collect::<Result<Vec<Rational>, _>>()?;
    let tol = crate::num::ten_pow_neg(12).min(Rational::from(eps / 100_000_000u32));
    let numerics = crate::flow::Numerics {
        prec,
        stages: crate::flow::default_stages(&tol),
        tol,
    };
    let problem = RegProblem {
        points,
        y,
        depth,
        alpha,
        anchors: &[],
    };
    let stop = RegStop::Near {
        target,
        eps: eps.clone(),
    };
    let v = regression_verified_capped(&problem, &numerics, &stop, true, Some(FLOW_TIME_MAX_STEPS))
        .map_err(|e| format!("the flow to within eps of its limit: {e}"))?;
    let t = v.main.t.clone().ok_or("the run has no time")?;
    let tc = v
        .check
        .as_ref()
        .and_then(|c| c.t.clone())
        .ok_or("the verification run has no time")?;
    let tm = Float::with_val(tc.prec(), &t);
    Ok(FlowTime {
        t,
        digits: crate::num::scalar_digits(&tm, &tc, v.carried),
        steps: v.main.stats.accepted,
    })
}

/// Compute the table: every (depth, eps, side) search in parallel (each sequential, so
/// the result does not depend on the thread count).
///
/// # Errors
/// When the data admit no interpolator or the targets are all zero (message).
pub fn compute(
    points: &[Vec<Rational>],
    y: &[Rational],
    spec: &RegTableSpec,
) -> Result<RegTable, String> {
    let l1 = min_l1_interpolator(points, y).map_err(|e| e.to_string())?;
    let l2 = min_l2_interpolator(points, y).map_err(|e| e.to_string())?;
    if l1.norm1 == 0 {
        return Err("the targets are all zero: w = 0 is the only limit".to_string());
    }
    let pb = Problem {
        points,
        y,
        norm1: &l1.norm1,
        norm2_sq: &l2.norm2_sq,
        prec: spec.prec,
        per_decade: spec.per_decade,
    };
    let pd = i64::from(spec.per_decade);
    let range = (
        i64::from(spec.min_log10) * pd,
        i64::from(spec.max_log10) * pd,
    );
    let mut tasks = Vec::new();
    for &depth in &spec.depths {
        for eps in &spec.eps {
            for side in [Side::L1, Side::L2] {
                tasks.push((depth, eps.clone(), side));
            }
        }
    }
    let done: Vec<(Threshold, Vec<Sample>)> = tasks
        .par_iter()
        .map(|(depth, eps, side)| {
            let mut seen = Vec::new();
            let t = search(&pb, *depth, eps, *side, range, &mut seen);
            (t, seen)
        })
        .collect();
    let d = points.first().map_or(0, Vec::len);
    let mut rows = Vec::new();
    let mut evaluations = 0;
    let mut by_depth: Vec<DepthSamples> = spec
        .depths
        .iter()
        .map(|&depth| DepthSamples {
            depth,
            samples: Vec::new(),
            violation: None,
        })
        .collect();
    let mut it = done.into_iter();
    for (di, &depth) in spec.depths.iter().enumerate() {
        for eps in &spec.eps {
            let (t1, s1) = it.next().expect("l1 task");
            let (t2, s2) = it.next().expect("l2 task");
            evaluations += s1.len() + s2.len();
            by_depth[di].samples.extend(s1);
            by_depth[di].samples.extend(s2);
            let (theorem2_l1, theorem2_l2) =
                theorem2_bounds(depth, eps, &l1.norm1, &l2.norm2_sq, d);
            rows.push(RegRow {
                depth,
                eps: eps.clone(),
                l1: t1,
                l2: t2,
                theorem2_l1,
                theorem2_l2,
                flow_time_l1: None,
                flow_time_l2: None,
            });
        }
    }
    if spec.flow_time {
        // one flow per (row, side) with a located alpha, in parallel (each sequential)
        let jobs: Vec<(usize, bool, Rational)> = rows
            .iter()
            .enumerate()
            .flat_map(|(i, r)| {
                [(true, &r.l1), (false, &r.l2)]
                    .into_iter()
                    .filter_map(move |(l1, t)| t.inside().map(|s| (i, l1, s.alpha.clone())))
            })
            .collect();
        let times: Vec<Result<FlowTime, String>> = jobs
            .par_iter()
            .map(|(i, _, alpha)| {
                let r = &rows[*i];
                flow_time(points, y, r.depth, alpha, &r.eps, spec.prec)
            })
            .collect();
        for ((i, l1, _), ft) in jobs.into_iter().zip(times) {
            if l1 {
                rows[i].flow_time_l1 = Some(ft);
            } else {
                rows[i].flow_time_l2 = Some(ft);
            }
        }
    }
    for ds in &mut by_depth {
        // the same grid point evaluated twice gives the same numbers (a deterministic
        // solve): keep one
        ds.samples.sort_by_key(|s| s.j);
        ds.samples.dedup_by_key(|s| s.j);
        ds.violation = monotone_violation(&ds.samples);
    }
    Ok(RegTable {
        norm1_l1: l1.norm1,
        norm2_sq_l2: l2.norm2_sq,
        rows,
        depths: by_depth,
        evaluations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_alphas_are_exact_decades_and_increasing_decimals() {
        assert_eq!(grid_alpha(0, 100), 1);
        assert_eq!(grid_alpha(-300, 100), Rational::from((1, 1000)));
        assert_eq!(grid_alpha(200, 100), 100);
        // 10^(1/2) = 3.16227766017 (12 significant digits, nearest)
        assert_eq!(
            grid_alpha(50, 100),
            Rational::from((316_227_766_017u64, 100_000_000_000u64))
        );
        assert_eq!(
            grid_alpha(-150, 100),
            Rational::from((316_227_766_017u64, 10_000_000_000_000u64))
        );
        assert_eq!(log10_text(-85, 100), "-0.85");
        assert_eq!(log10_text(-300, 100), "-3");
        assert_eq!(log10_text(7, 1000), "0.007");
        assert_eq!(log10_text(0, 100), "0");
        assert_eq!(log10_text(1, 3), "0.33333333");
        let mut last = grid_alpha(-2001, 1000);
        for j in -2000..2000 {
            let a = grid_alpha(j, 1000);
            assert!(a > last, "j = {j}");
            last = a;
        }
    }
}
