//! Least-squares fits of ln gt against ln(α^D), over a range of the points chosen by a
//! [`FitFrom`] rule.

use crate::num::from_rational;
use rug::{Float, Rational};

/// Which points the line ln gt = a ln(α^D) + b is fitted over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FitFrom {
    /// The asymptotic tail: the points sorted by α^D, the longest run of the largest
    /// ones whose local slopes (between consecutive points) all lie within
    /// [`SLOPE_SPREAD`] of each other (at least the last two points).
    Auto,
    /// Every point.
    All,
    /// The points with α^D >= this value.
    From(Rational),
}

/// The spread (largest minus smallest) of the local slopes allowed in the tail that
/// [`FitFrom::Auto`] fits over: 1/20.
pub fn slope_spread() -> Rational {
    Rational::from((1, 20))
}

impl FitFrom {
    /// A short description for reports: "auto", "all", "alpha^D >= x".
    pub fn describe(&self) -> String {
        match self {
            FitFrom::Auto => "auto".into(),
            FitFrom::All => "all".into(),
            FitFrom::From(x) => format!("alpha^D >= {x}"),
        }
    }
}

/// Least-squares fit y = a x + b over the chosen points with their residuals, and the
/// local slopes between all consecutive points, in MPFR.
#[derive(Clone, Debug)]
pub struct Fit {
    pub depth: u32,
    /// the rule that chose the fitted points
    pub rule: FitFrom,
    /// every point's α^D, ascending
    pub alpha_d: Vec<Rational>,
    /// the fitted points are `alpha_d[first..]`
    pub first: usize,
    /// how many points the line is fitted over (`alpha_d.len() - first`)
    pub points: usize,
    pub a: Float,
    pub b: Float,
    /// residuals ln gt - (a ln α^D + b) of the fitted points
    pub residuals: Vec<Float>,
    /// (ln gt_{k+1} - ln gt_k) / (ln α^D_{k+1} - ln α^D_k) over every consecutive pair
    pub local_slopes: Vec<Float>,
}

impl Fit {
    /// The fitted range [smallest, largest α^D].
    pub fn range(&self) -> (&Rational, &Rational) {
        (
            &self.alpha_d[self.first],
            &self.alpha_d[self.alpha_d.len() - 1],
        )
    }
}

/// The index of the first point of the tail [`FitFrom::Auto`] fits over, given the
/// local slopes of points sorted by α^D.
fn auto_first(slopes: &[Float], prec: u32) -> usize {
    let spread = from_rational(prec, &slope_spread());
    let Some(last) = slopes.last() else {
        return 0;
    };
    let (mut lo, mut hi) = (last.clone(), last.clone());
    let mut first = slopes.len() - 1;
    for k in (0..slopes.len() - 1).rev() {
        let s = &slopes[k];
        let nlo = if *s < lo { s.clone() } else { lo.clone() };
        let nhi = if *s > hi { s.clone() } else { hi.clone() };
        if Float::with_val(prec, &nhi - &nlo) > spread {
            break;
        }
        (lo, hi, first) = (nlo, nhi, k);
    }
    first
}

/// Fit ln gt = a ln(α^D) + b over the `(α^D, gt)` pairs `from` chooses (the pairs are
/// sorted by α^D first). None when fewer than two distinct α^D are chosen.
pub fn fit_log_log(
    depth: u32,
    pts: &[(Rational, Float)],
    prec: u32,
    from: &FitFrom,
) -> Option<Fit> {
    if pts.len() < 2 {
        return None;
    }
    let mut pts = pts.to_vec();
    pts.sort_by(|p, q| p.0.cmp(&q.0));
    let xs: Vec<Float> = pts
        .iter()
        .map(|(a, _)| from_rational(prec, a).ln())
        .collect();
    let ys: Vec<Float> = pts
        .iter()
        .map(|(_, g)| Float::with_val(prec, g.ln_ref()))
        .collect();
    let local_slopes: Vec<Float> = xs
        .windows(2)
        .zip(ys.windows(2))
        .map(|(x, y)| Float::with_val(prec, &y[1] - &y[0]) / Float::with_val(prec, &x[1] - &x[0]))
        .collect();
    let first = match from {
        FitFrom::All => 0,
        FitFrom::Auto => auto_first(&local_slopes, prec),
        FitFrom::From(lo) => pts.iter().position(|(a, _)| a >= lo)?,
    };
    let (fx, fy) = (&xs[first..], &ys[first..]);
    if fx.len() < 2 {
        return None;
    }
    let n = fx.len() as u32;
    let mut sx = Float::new(prec);
    let mut sy = Float::new(prec);
    for (x, y) in fx.iter().zip(fy) {
        sx += x;
        sy += y;
    }
    let mx = Float::with_val(prec, &sx / n);
    let my = Float::with_val(prec, &sy / n);
    let mut sxx = Float::new(prec);
    let mut sxy = Float::new(prec);
    for (x, y) in fx.iter().zip(fy) {
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
    let residuals = fx
        .iter()
        .zip(fy)
        .map(|(x, y)| Float::with_val(prec, y - Float::with_val(prec, &a * x)) - &b)
        .collect();
    Some(Fit {
        depth,
        rule: from.clone(),
        points: fx.len(),
        alpha_d: pts.into_iter().map(|(a, _)| a).collect(),
        first,
        a,
        b,
        residuals,
        local_slopes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Rational {
        s.parse().unwrap()
    }

    const P: u32 = 256;

    /// ln gt = ln(α^D) + 3 for α^D >= 1, flat (gt = e^3) below.
    fn hockey_stick() -> Vec<(Rational, Float)> {
        ["1/100", "1/10", "1/2", "1", "10", "100", "1000", "10000"]
            .iter()
            .map(|s| {
                let x = q(s);
                let lx = from_rational(P, &x).ln();
                let lx = if lx < 0 { Float::new(P) } else { lx };
                (x, Float::with_val(P, lx + 3u32).exp())
            })
            .collect()
    }

    fn close(a: &Float, b: u32, digits: i32) -> bool {
        Float::with_val(P, a - b).abs() < Float::with_val(P, Float::i_exp(1, -digits))
    }

    #[test]
    fn auto_fits_the_asymptotic_tail_exactly() {
        let f = fit_log_log(2, &hockey_stick(), P, &FitFrom::Auto).unwrap();
        assert_eq!((f.first, f.points, f.alpha_d.len()), (3, 5, 8));
        assert_eq!(f.range(), (&q("1"), &q("10000")));
        assert!(close(&f.a, 1, 200), "a = {}", f.a);
        assert!(close(&f.b, 3, 200), "b = {}", f.b);
        assert_eq!(f.local_slopes.len(), 7);
        assert!(f.local_slopes[..3].iter().all(|s| s.is_zero()));
        assert!(f.local_slopes[3..].iter().all(|s| close(s, 1, 200)));
    }

    #[test]
    fn all_points_fit_is_biased_and_from_is_honoured() {
        let pts = hockey_stick();
        let all = fit_log_log(2, &pts, P, &FitFrom::All).unwrap();
        assert_eq!((all.first, all.points), (0, 8));
        assert!(all.a < 0.9 && all.a > 0.5, "a = {}", all.a);
        let from = fit_log_log(2, &pts, P, &FitFrom::From(q("10"))).unwrap();
        assert_eq!((from.first, from.points), (4, 4));
        assert!(close(&from.a, 1, 200));
        // between two points: the first point at or above the bound
        let mid = fit_log_log(2, &pts, P, &FitFrom::From(q("2"))).unwrap();
        assert_eq!(mid.range(), (&q("10"), &q("10000")));
        // fewer than two points chosen: no fit
        assert!(fit_log_log(2, &pts, P, &FitFrom::From(q("10000"))).is_none());
        assert!(fit_log_log(2, &pts, P, &FitFrom::From(q("20000"))).is_none());
    }

    #[test]
    fn auto_is_order_independent_and_uses_the_stated_spread() {
        let mut pts = hockey_stick();
        pts.reverse();
        let f = fit_log_log(2, &pts, P, &FitFrom::Auto).unwrap();
        assert_eq!(f.range(), (&q("1"), &q("10000")));
        // slopes 0.5, 0.96, 1, 1 (spread 0.04 <= 1/20 kept, 0.5 not) and 0.9, 1, 1 (0.1 not)
        let mk = |slopes: &[&str]| -> Vec<(Rational, Float)> {
            let mut y = Float::with_val(P, 1);
            let mut out = vec![(q("1"), y.clone().exp())];
            for (k, s) in slopes.iter().enumerate() {
                let s = from_rational(P, &q(s));
                y += s * Float::with_val(P, 10u32).ln();
                out.push((
                    rug::ops::Pow::pow(Rational::from(10u32), k as u32 + 1),
                    y.clone().exp(),
                ));
            }
            out
        };
        let f = fit_log_log(2, &mk(&["1/2", "24/25", "1", "1"]), P, &FitFrom::Auto).unwrap();
        assert_eq!((f.first, f.points), (1, 4));
        let f = fit_log_log(2, &mk(&["9/10", "1", "1"]), P, &FitFrom::Auto).unwrap();
        assert_eq!((f.first, f.points), (1, 3));
        // two points: both
        let f = fit_log_log(2, &mk(&["1/2"]), P, &FitFrom::Auto).unwrap();
        assert_eq!((f.first, f.points), (0, 2));
    }
}
