//! Non-negative least squares over MPFR (Lawson & Hanson, "Solving Least Squares
//! Problems", ch. 23): min ||A x - b||_2 subject to x >= 0, for the small dense
//! problems of KKT residuals (A is m x k with k <= a few dozen). The passive-set
//! subproblems are solved through the normal equations with LU at the working
//! precision plus 64 guard bits.

use super::linalg::RealLu;
use rug::{Assign, Float};

/// Columns of A as vectors: `cols[j]` is column j (length m).
pub fn nnls(cols: &[Vec<Float>], b: &[Float], prec: u32) -> Vec<Float> {
    let k = cols.len();
    let wp = prec + 64;
    let mut x = vec![Float::new(wp); k];
    if k == 0 {
        return Vec::new();
    }
    let cols: Vec<Vec<Float>> = cols
        .iter()
        .map(|c| c.iter().map(|v| Float::with_val(wp, v)).collect())
        .collect();
    let b: Vec<Float> = b.iter().map(|v| Float::with_val(wp, v)).collect();
    let dot = |u: &[Float], v: &[Float]| {
        let mut s = Float::new(wp);
        let mut t = Float::new(wp);
        for (a, c) in u.iter().zip(v) {
            t.assign(a * c);
            s += &t;
        }
        s
    };
    let residual = |x: &[Float]| -> Vec<Float> {
        let mut r = b.clone();
        let mut t = Float::new(wp);
        for (j, c) in cols.iter().enumerate() {
            if x[j].is_zero() {
                continue;
            }
            for (ri, ci) in r.iter_mut().zip(c) {
                t.assign(ci * &x[j]);
                *ri -= &t;
            }
        }
        r
    };
    // gradient tolerance: relative to ||A|| ||b||
    let scale = {
        let nb = dot(&b, &b).sqrt();
        let na = cols
            .iter()
            .map(|c| dot(c, c).sqrt())
            .fold(Float::new(wp), |a, v| a.max(&v));
        Float::with_val(wp, nb * na) * Float::with_val(wp, Float::i_exp(1, -(prec as i32 - 8)))
    };
    let mut passive = vec![false; k];
    // least squares on the passive set via normal equations
    let solve_passive = |passive: &[bool]| -> Option<Vec<Float>> {
        let idx: Vec<usize> = (0..k).filter(|&j| passive[j]).collect();
        let p = idx.len();
        let mut g = vec![Float::new(wp); p * p];
        let mut rhs = vec![Float::new(wp); p];
        for (a, &ja) in idx.iter().enumerate() {
            rhs[a] = dot(&cols[ja], &b);
            for (c, &jc) in idx.iter().enumerate() {
                g[a * p + c] = dot(&cols[ja], &cols[jc]);
            }
        }
        let lu = RealLu::factor(g, p)?;
        lu.solve(&mut rhs);
        let mut z = vec![Float::new(wp); k];
        for (a, &ja) in idx.iter().enumerate() {
            z[ja] = rhs[a].clone();
        }
        Some(z)
    };
    for _outer in 0..(3 * k + 10) {
        let r = residual(&x);
        let w: Vec<Float> = cols.iter().map(|c| dot(c, &r)).collect();
        // most positive gradient component among the active (zero) variables
        let mut best: Option<usize> = None;
        for j in 0..k {
            if !passive[j] && w[j] > scale && best.is_none_or(|bj| w[j] > w[bj]) {
                best = Some(j);
            }
        }
        let Some(t) = best else { break };
        passive[t] = true;
        for _inner in 0..(3 * k + 10) {
            let Some(z) = solve_passive(&passive) else {
                // dependent columns: drop the one just added and stop growing
                passive[t] = false;
                return x.into_iter().map(|v| Float::with_val(prec, v)).collect();
            };
            if (0..k)
                .filter(|&j| passive[j])
                .all(|j| z[j].is_sign_positive() && !z[j].is_zero())
            {
                x = z;
                break;
            }
            // step towards z until a passive variable hits zero
            let mut alpha: Option<Float> = None;
            for j in 0..k {
                if passive[j] && (z[j].is_sign_negative() || z[j].is_zero()) {
                    let den = Float::with_val(wp, &x[j] - &z[j]);
                    if den.is_zero() {
                        continue;
                    }
                    let a = Float::with_val(wp, &x[j] / &den);
                    if alpha.as_ref().is_none_or(|al| a < *al) {
                        alpha = Some(a);
                    }
                }
            }
            let alpha = alpha.unwrap_or_else(|| Float::new(wp));
            for j in 0..k {
                let d = Float::with_val(wp, &z[j] - &x[j]) * &alpha;
                x[j] += d;
            }
            for j in 0..k {
                if passive[j] && (x[j].is_zero() || x[j].is_sign_negative()) {
                    passive[j] = false;
                    x[j] = Float::new(wp);
                }
            }
        }
    }
    x.into_iter().map(|v| Float::with_val(prec, v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(p: u32, v: i32) -> Float {
        Float::with_val(p, v)
    }

    #[test]
    fn unconstrained_optimum_inside() {
        // A = I (2x2), b = (1, 2): x = (1, 2)
        let p = 200;
        let cols = vec![vec![f(p, 1), f(p, 0)], vec![f(p, 0), f(p, 1)]];
        let x = nnls(&cols, &[f(p, 1), f(p, 2)], p);
        assert_eq!(x[0], 1);
        assert_eq!(x[1], 2);
    }

    #[test]
    fn bound_active() {
        // A = I, b = (1, -2): x = (1, 0)
        let p = 200;
        let cols = vec![vec![f(p, 1), f(p, 0)], vec![f(p, 0), f(p, 1)]];
        let x = nnls(&cols, &[f(p, 1), f(p, -2)], p);
        assert_eq!(x[0], 1);
        assert!(x[1].is_zero());
    }

    #[test]
    fn overdetermined_fit() {
        // columns (1,1,0), (0,1,1); b = (1,2,1): exact fit x = (1, 1)
        let p = 200;
        let cols = vec![
            vec![f(p, 1), f(p, 1), f(p, 0)],
            vec![f(p, 0), f(p, 1), f(p, 1)],
        ];
        let x = nnls(&cols, &[f(p, 1), f(p, 2), f(p, 1)], p);
        for v in &x {
            let e = Float::with_val(p, v - 1u32).abs();
            assert!(e < Float::with_val(p, Float::i_exp(1, -190)), "{v}");
        }
        // b = (1, 0, -1): best fit with x >= 0: x = (1/2·?, 0): minimize (x1-1)^2 + x1^2 + 1 -> x1 = 1/2
        let x = nnls(&cols, &[f(p, 1), f(p, 0), f(p, -1)], p);
        let e = Float::with_val(p, &x[0] - Float::with_val(p, 1) / 2u32).abs();
        assert!(e < Float::with_val(p, Float::i_exp(1, -190)), "{}", x[0]);
        assert!(x[1].is_zero());
    }
}
