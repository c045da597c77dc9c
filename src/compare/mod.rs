//! Comparing the exp-loss and the logistic-loss flows of one case (issue 13, item 4):
//! one run per loss to the largest listed gt, sampled at every listed gt, and at each
//! the distance between the normalized predictors w_hat = w / gamma,
//! d(gt) = ||w_hat_exp - w_hat_log||_2 / ||w_hat_exp||_2, and between the directions
//! u = w / ||w||_2, ||u_exp - u_log||_2. Every number carries the digits on which the
//! main and the verification runs agree, never more than the per-sample digits of the
//! predictors allow (an error of 10^-k in w_hat, normwise, is an error of about
//! sqrt(d) 10^-k / d(gt) in d(gt), relative). Then: from which listed gt on the two
//! agree to K digits (d <= 10^-K), and the rate, the least-squares slope of ln d against
//! ln gt over the listed points, with the gt where the fitted line reaches 10^-K (an
//! extrapolation).

use crate::flow::{run_job, FlowError, Job, JobOutcome, Loss, Numerics, RunControl, StopRule};
use crate::flow::{Summary, Verified};
use crate::num::{digits_from_rel_error, from_rational, norm2, scalar_digits};
use rug::{Float, Rational};
use std::time::Duration;

/// What to compare: a case's data at one alpha, the listed gt (ascending, each beyond
/// the logistic start), the numerics of both runs, and the K of "agree to K digits".
pub struct CompareJob<'a> {
    pub z: &'a [Vec<Rational>],
    pub depth: u32,
    pub alpha: &'a Rational,
    pub numerics: &'a Numerics,
    pub gts: &'a [Rational],
    pub verify: bool,
    pub digits: u32,
}

/// A number and the digits verification vouches for (None: not verified).
#[derive(Clone, Debug)]
pub struct Measured {
    pub value: Float,
    pub digits: Option<u32>,
}

/// One run of a loss.
pub struct LossRun {
    pub loss: Loss,
    pub verified: Verified,
    /// wall time of the run (main and verification)
    pub wall: Duration,
}

/// The comparison at one listed gt.
#[derive(Clone, Debug)]
pub struct Point {
    pub gt: Rational,
    /// ||w_hat_exp - w_hat_log||_2 / ||w_hat_exp||_2
    pub rel_distance: Measured,
    /// ||u_exp - u_log||_2, u = w / ||w||_2
    pub direction_distance: Measured,
    /// the per-sample digits of w_hat of each run (exp, logistic), None unverified
    pub input_digits: Option<(u32, u32)>,
    /// d <= 10^-K: Some(true/false) when the digits decide it, None when d lies too
    /// close to 10^-K for them
    pub agrees: Option<bool>,
}

/// A slope between two listed gt.
#[derive(Clone, Debug)]
pub struct LocalSlope {
    pub from: Rational,
    pub to: Rational,
    pub slope: Measured,
}

/// The rate: ln d fitted against ln gt by least squares over the listed points.
#[derive(Clone, Debug)]
pub struct Rate {
    pub slope: Measured,
    pub local: Vec<LocalSlope>,
    /// where the fitted line reaches 10^-K (an extrapolation; None when the line does
    /// not decrease)
    pub extrapolated_gt: Option<Measured>,
}

/// The whole comparison.
pub struct Comparison {
    pub exp: LossRun,
    pub logistic: LossRun,
    pub digits: u32,
    pub points: Vec<Point>,
    /// the smallest listed gt from which on (it and every larger listed gt) the two
    /// agree to K digits, decided by the verified digits; None when no listed gt does
    pub agree_from: Option<Rational>,
    /// None with fewer than two points or a zero distance
    pub rate: Option<Rate>,
}

/// The gt of the listed values (exact, ascending) that the runs can sample: beyond the
/// logistic start gt_0 = -ln(ln 2). Returns the first one that is not.
pub fn first_before_start(gts: &[Rational]) -> Option<&Rational> {
    let start = Loss::Logistic.gt_start(128);
    gts.iter().find(|q| from_rational(128, q) <= start)
}

/// Run both losses (in parallel) and compare them. `progress(run, phase, gt)`: run 0 is
/// exp, 1 logistic; phase 0 the main run, 1 the verification.
pub fn compare(
    job: &CompareJob,
    progress: &(dyn Fn(usize, usize, &Float) + Sync),
) -> Result<Comparison, FlowError> {
    let end = job.gts.iter().max().expect("at least one gt").clone();
    let rule = StopRule::Gt(end);
    let one = |loss: Loss, k: usize| -> Result<LossRun, FlowError> {
        let start = std::time::Instant::now();
        let j = Job {
            z: job.z,
            depth: job.depth,
            alpha: job.alpha,
            rule: &rule,
            numerics: job.numerics,
            sample_at: job.gts,
            verify: job.verify,
            loss,
        };
        match run_job(&j, RunControl::default(), |phase, x| progress(k, phase, x))? {
            JobOutcome::Done(verified) => Ok(LossRun {
                loss,
                verified,
                wall: start.elapsed(),
            }),
            JobOutcome::Halted(_) => unreachable!("no limits were set"),
        }
    };
    let (e, l) = rayon::join(|| one(Loss::Exp, 0), || one(Loss::Logistic, 1));
    let (exp, logistic) = (e?, l?);
    Ok(assemble(job, exp, logistic))
}

/// w_hat and the direction at every sample of a solution.
fn views(
    flow: &crate::flow::DiagFlow,
    samples: &[(Float, Vec<Float>)],
) -> Vec<(Vec<Float>, Vec<Float>)> {
    samples
        .iter()
        .map(|(gt, y)| {
            let s = Summary::at(flow, gt, y);
            (s.w_hat, s.direction)
        })
        .collect()
}

/// ||a - b||_2 / ||a||_2 (`relative`) or ||a - b||_2, at `p` bits.
fn distance(p: u32, a: &[Float], b: &[Float], relative: bool) -> Float {
    let d: Vec<Float> = a
        .iter()
        .zip(b)
        .map(|(x, y)| Float::with_val(p, x - y))
        .collect();
    let n = norm2(p, &d);
    if relative {
        n / norm2(p, a)
    } else {
        n
    }
}

/// 10^-k at `p` bits.
fn ten_neg(p: u32, k: u32) -> Float {
    from_rational(p, &crate::num::ten_pow_neg(k))
}

/// The digits of a distance `d` of vectors known to `k` digits normwise (infinity
/// norm) in dimension `dim`: its relative error is at most about
/// `factor` sqrt(dim) 10^-k / d.
fn distance_cap(d: &Float, k: u32, dim: usize, factor: u32) -> u32 {
    let p = d.prec();
    if d.is_zero() {
        return 0;
    }
    let e = ten_neg(p, k) * Float::with_val(p, dim as u32).sqrt() * factor;
    digits_from_rel_error(&(e / d), k)
}

fn assemble(job: &CompareJob, exp: LossRun, logistic: LossRun) -> Comparison {
    let ve = &exp.verified;
    let vl = &logistic.verified;
    let p = ve.flow().prec.max(vl.flow().prec);
    let dim = ve.flow().d;
    let main_e = views(ve.flow(), &ve.main.samples);
    let main_l = views(vl.flow(), &vl.main.samples);
    let checks = match (&ve.check, ve.check_flow(), &vl.check, vl.check_flow()) {
        (Some(ce), Some(fe), Some(cl), Some(fl)) => {
            Some((views(fe, &ce.samples), views(fl, &cl.samples)))
        }
        _ => None,
    };
    let pc = match (ve.check_flow(), vl.check_flow()) {
        (Some(a), Some(b)) => a.prec.max(b.prec),
        _ => p,
    };
    let threshold = ten_neg(p, job.digits);
    let mut points = Vec::new();
    for (i, gt) in job.gts.iter().enumerate() {
        let (we, ue) = &main_e[i];
        let (wl, ul) = &main_l[i];
        let rd = distance(p, we, wl, true);
        let dd = distance(p, ue, ul, false);
        let inputs = checks
            .as_ref()
            .map(|_| (ve.sample_digits[i], vl.sample_digits[i]));
        let (rdig, ddig) = match (&checks, inputs) {
            (Some((ce, cl)), Some((ke, kl))) => {
                let k = ke.min(kl);
                let crd = distance(pc, &ce[i].0, &cl[i].0, true);
                let cdd = distance(pc, &ce[i].1, &cl[i].1, false);
                let rcap = distance_cap(&rd, k, dim, 2);
                let dcap = distance_cap(&dd, k, dim, 4);
                (
                    Some(scalar_digits(&rd, &crd, rcap)),
                    Some(scalar_digits(&dd, &cdd, dcap)),
                )
            }
            _ => (None, None),
        };
        let agrees = decide(&rd, rdig, &threshold);
        points.push(Point {
            gt: gt.clone(),
            rel_distance: Measured {
                value: rd,
                digits: rdig,
            },
            direction_distance: Measured {
                value: dd,
                digits: ddig,
            },
            input_digits: inputs,
            agrees,
        });
    }
    let agree_from = agree_from(&points);
    let rate = rate(&points, job.digits, p);
    Comparison {
        exp,
        logistic,
        digits: job.digits,
        points,
        agree_from,
        rate,
    }
}

/// d <= t, when the digits of d decide it (unverified: 6 digits assumed).
fn decide(d: &Float, digits: Option<u32>, t: &Float) -> Option<bool> {
    let p = d.prec();
    let k = digits.unwrap_or(crate::num::decimal_digits_of_bits(p).min(6));
    if k == 0 {
        return None;
    }
    let e = ten_neg(p, k);
    let hi = Float::with_val(p, d * Float::with_val(p, 1 + &e));
    let lo = Float::with_val(p, d * Float::with_val(p, 1 - &e));
    if hi <= *t {
        Some(true)
    } else if lo > *t {
        Some(false)
    } else {
        None
    }
}

/// The smallest listed gt from which on every point agrees (decidedly).
fn agree_from(points: &[Point]) -> Option<Rational> {
    let mut from = None;
    for pt in points.iter().rev() {
        if pt.agrees == Some(true) {
            from = Some(pt.gt.clone());
        } else {
            break;
        }
    }
    from
}

/// An absolute error bound of ln d: 2 10^-k (the relative error of d, with room for
/// the logarithm and rounding); unverified: None.
fn ln_err(p: u32, m: &Measured) -> Option<Float> {
    m.digits.map(|k| ten_neg(p, k) * 2u32)
}

/// Relative error `abs / |v|` as digits, capped at `cap`.
fn digits_of(abs: &Float, v: &Float, cap: u32) -> u32 {
    if v.is_zero() {
        return 0;
    }
    let p = v.prec();
    digits_from_rel_error(
        &Float::with_val(p, abs / Float::with_val(p, v.abs_ref())),
        cap,
    )
}

/// Least squares of y against x: (slope, xbar, ybar).
fn fit(p: u32, x: &[Float], y: &[Float]) -> (Float, Float, Float) {
    let n = x.len() as u32;
    let xbar = x.iter().fold(Float::new(p), |a, b| a + b) / n;
    let ybar = y.iter().fold(Float::new(p), |a, b| a + b) / n;
    let mut sxy = Float::new(p);
    let mut sxx = Float::new(p);
    for (xi, yi) in x.iter().zip(y) {
        let dx = Float::with_val(p, xi - &xbar);
        sxy += Float::with_val(p, &dx * Float::with_val(p, yi - &ybar));
        sxx += Float::with_val(p, dx.square_ref());
    }
    (sxy / sxx, xbar, ybar)
}

/// ln gt where the line through (xbar, ybar) with `slope` reaches ln 10^-K.
fn reach(p: u32, slope: &Float, xbar: &Float, ybar: &Float, k: u32) -> Float {
    let target = -(Float::with_val(p, 10).ln() * k);
    Float::with_val(p, xbar + Float::with_val(p, target - ybar) / slope)
}

fn rate(points: &[Point], k: u32, p: u32) -> Option<Rate> {
    if points.len() < 2 || points.iter().any(|pt| pt.rel_distance.value.is_zero()) {
        return None;
    }
    let verified = points.iter().all(|pt| pt.rel_distance.digits.is_some());
    let x: Vec<Float> = points
        .iter()
        .map(|pt| from_rational(p, &pt.gt).ln())
        .collect();
    let y: Vec<Float> = points
        .iter()
        .map(|pt| Float::with_val(p, pt.rel_distance.value.ln_ref()))
        .collect();
    let errs: Option<Vec<Float>> = points
        .iter()
        .map(|pt| ln_err(p, &pt.rel_distance))
        .collect();
    let (slope, xbar, ybar) = fit(p, &x, &y);
    // propagated errors: slope = sum c_i y_i with c_i = (x_i - xbar) / Sxx
    let mut sxx = Float::new(p);
    for xi in &x {
        sxx += Float::with_val(p, Float::with_val(p, xi - &xbar).square_ref());
    }
    let cap = crate::num::decimal_digits_of_bits(p);
    let (slope_digits, e_slope, e_ybar) = match &errs {
        Some(e) if verified => {
            let mut es = Float::new(p);
            let mut ey = Float::new(p);
            for (xi, ei) in x.iter().zip(e) {
                let c = Float::with_val(p, xi - &xbar).abs() / &sxx;
                es += Float::with_val(p, &c * ei);
                ey += ei;
            }
            ey /= x.len() as u32;
            (Some(digits_of(&es, &slope, cap)), Some(es), Some(ey))
        }
        _ => (None, None, None),
    };
    let local = points
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let dx = Float::with_val(p, &x[i + 1] - &x[i]);
            let s = Float::with_val(p, Float::with_val(p, &y[i + 1] - &y[i]) / &dx);
            let digits = errs.as_ref().map(|e| {
                let abs = Float::with_val(p, &e[i] + &e[i + 1]) / &dx;
                digits_of(&abs, &s, cap)
            });
            LocalSlope {
                from: w[0].gt.clone(),
                to: w[1].gt.clone(),
                slope: Measured { value: s, digits },
            }
        })
        .collect();
    let extrapolated_gt = if slope.is_sign_negative() && !slope.is_zero() {
        let ln_g = reach(p, &slope, &xbar, &ybar, k);
        let digits = match (&e_slope, &e_ybar) {
            (Some(es), Some(ey)) => {
                // d ln gt* <= ey / |s| + |target - ybar| es / s^2: the relative error of gt*
                let target = -(Float::with_val(p, 10).ln() * k);
                let s2 = Float::with_val(p, slope.square_ref());
                let abs = Float::with_val(p, ey / Float::with_val(p, slope.abs_ref()))
                    + Float::with_val(p, Float::with_val(p, target - &ybar).abs() * es) / s2;
                Some(digits_from_rel_error(&abs, cap))
            }
            _ => None,
        };
        Some(Measured {
            value: ln_g.exp(),
            digits,
        })
    } else {
        None
    };
    Some(Rate {
        slope: Measured {
            value: slope,
            digits: slope_digits,
        },
        local,
        extrapolated_gt,
    })
}
