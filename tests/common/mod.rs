//! Helpers shared by the integration tests: bundled cases, and the single-point answer
//! computed independently of `ibcert::model` and of the integrator.
#![allow(dead_code)]

use ibcert::case::Case;
use rug::ops::Pow;
use rug::Float;
use std::path::Path;

/// A bundled case by file name.
pub fn load(name: &str) -> Case {
    Case::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("cases")
            .join(name),
    )
    .expect("bundled case loads")
}

/// The data rows z_n = y_n x_n of a bundled case.
pub fn rows(name: &str) -> Vec<Vec<rug::Rational>> {
    load(name).z()
}

/// w_i(beta) computed independently of `ibcert::model`, from the parameters
/// u± (D = 2: u± = α e^{±2β}; D ≥ 3: u± = α (1 ∓ s)^(-1/(D-2)), s = α^(D-2) D (D-2) β)
/// through w = u+^D - u-^D, with powers taken as exp(k ln x).
pub fn w_independent(depth: u32, alpha: &Float, beta: &Float) -> Float {
    let p = beta.prec();
    let (up, um) = if depth == 2 {
        let e = Float::with_val(p, beta * 2u32).exp();
        (
            Float::with_val(p, alpha * &e),
            Float::with_val(p, alpha / &e),
        )
    } else {
        let c = Float::with_val(p, alpha.clone().pow(depth - 2)) * (depth * (depth - 2));
        let s = Float::with_val(p, &c * beta);
        let k = Float::with_val(p, -1) / (depth - 2);
        let rp = (Float::with_val(p, 1 - s.clone()).ln() * &k).exp();
        let rm = (Float::with_val(p, 1 + s).ln() * &k).exp();
        (rp * alpha, rm * alpha)
    };
    let d = Float::with_val(p, depth);
    (Float::with_val(p, up.ln() * &d).exp()) - (Float::with_val(p, um.ln() * &d).exp())
}

/// The single-point answer: nu solving sum_i z_i w_i(z_i nu) = gt, by bisection then
/// Newton (with a numerical derivative) at `prec` bits.
pub fn single_point_nu(z: &[Float], depth: u32, alpha: &Float, gt: &Float, prec: u32) -> Float {
    let g = |nu: &Float| -> Float {
        let mut acc = Float::new(prec);
        for zi in z {
            let b = Float::with_val(prec, zi * nu);
            acc += Float::with_val(prec, zi * w_independent(depth, alpha, &b));
        }
        acc - gt
    };
    // bracket: g(0) = -gt < 0; for D >= 3 nu is bounded by |s| < 1
    let mut lo = Float::new(prec);
    let mut hi = Float::with_val(prec, Float::i_exp(1, -40));
    if depth > 2 {
        let c = Float::with_val(prec, alpha.clone().pow(depth - 2)) * (depth * (depth - 2));
        let zmax = z
            .iter()
            .map(|v| Float::with_val(prec, v.abs_ref()))
            .fold(Float::new(prec), |a, b| a.max(&b));
        let bound = Float::with_val(prec, &c * &zmax).recip();
        hi = Float::with_val(
            prec,
            &bound * (1 - Float::with_val(prec, Float::i_exp(1, -(prec as i32 / 2)))),
        );
    } else {
        // w_i(b) >= w_i'(0) b = 8 alpha^2 b for b >= 0 (sinh x >= x), so the root is at
        // most gt / (8 alpha^2 sum_i z_i^2), whatever the scale of the data
        let mut zz = Float::new(prec);
        for zi in z {
            zz += Float::with_val(prec, zi.square_ref());
        }
        let lin =
            Float::with_val(prec, gt / zz) / Float::with_val(prec, alpha.clone().square() * 8u32);
        if lin > hi {
            hi = lin;
        }
        while g(&hi) < 0 {
            hi *= 2u32;
        }
    }
    // the root can be many orders of magnitude below the bracket's upper end (data of
    // size 10^300): bisect geometrically first, from a lower end 2^-4096 of the upper
    let far = Float::with_val(prec, &hi * Float::with_val(prec, Float::i_exp(1, -4096)));
    if g(&far) < 0 {
        lo = far;
        while Float::with_val(prec, &hi / &lo) > 2u32 {
            let mid = Float::with_val(prec, &lo * &hi).sqrt();
            if g(&mid) < 0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
    }
    for _ in 0..(prec / 2) {
        let mid = Float::with_val(prec, &lo + &hi) / 2u32;
        if g(&mid) < 0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mut x = Float::with_val(prec, &lo + &hi) / 2u32;
    let eps = Float::with_val(prec, Float::i_exp(1, -(prec as i32 / 3)));
    for _ in 0..8 {
        let gx = g(&x);
        let xp = Float::with_val(prec, &x * (1 + eps.clone()));
        let dg = Float::with_val(prec, g(&xp) - &gx) / Float::with_val(prec, &x * &eps);
        x -= gx / dg;
    }
    x
}
