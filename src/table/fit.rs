//! Least-squares fits of ln gt against ln(α^D).

use crate::num::from_rational;
use rug::{Float, Rational};

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
