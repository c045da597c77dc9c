//! Theorem 2 of Woodworth et al. 2020 (D = 2): the alphas from which the limit
//! `w_alpha = argmin Q_alpha s.t. X^T w = y` is within a factor (1 + eps) of the minimum
//! l1 norm (small alpha) or of the minimum squared l2 norm (large alpha), evaluated in
//! logarithms so that no bound over- or underflows (docs/math.md §13.5):
//!
//! ```text
//! l1:  alpha <= min{ (2(1+eps) L1)^(-(2+eps)/(2 eps)), exp(-d / (eps L1)) }
//!      ln bound = min{ -(2+eps)/(2 eps) ln(2(1+eps) L1), -d / (eps L1) }
//! l2:  alpha >= sqrt(2(1+eps)(1+2/eps) L2)       (L2 = ||w_l2||_2, L2^2 exact)
//!      ln bound = ln(2(1+eps)(1+2/eps)) / 2 + ln(L2^2) / 4
//! ```
//!
//! The bound is then written as an exact decimal with [`BOUND_DIGITS`] significant digits,
//! rounded toward the theorem's side (down for l1, up for l2), so that the alpha a check
//! runs at is covered by the theorem.

use crate::num::from_rational;
use rug::ops::Pow;
use rug::{Float, Integer, Rational};

/// Significant decimal digits of a bound as a check uses it.
pub const BOUND_DIGITS: u32 = 12;
/// The largest |log10 alpha| a bound may have (as for the exponents of numbers in case
/// files).
pub const MAX_LOG10: u32 = 100_000;
/// Precision of the evaluation (bits): the log10 of a bound is known to far better than
/// the 12 digits written.
const PREC: u32 = 320;

/// ln of Theorem 2's l1 bound for `eps` > 0, `l1 = ||w_l1||_1` > 0 and dimension `d`.
pub fn ln_l1_bound(eps: &Rational, l1: &Rational, d: usize) -> Float {
    let p = PREC;
    let e = from_rational(p, eps);
    let l = from_rational(p, l1);
    // -(2 + eps) / (2 eps) * ln(2 (1 + eps) L1)
    let a = -Float::with_val(p, &e + 2u32) / Float::with_val(p, &e * 2u32)
        * Float::with_val(p, (Float::with_val(p, &e + 1u32) * 2u32) * &l).ln();
    // -d / (eps L1)
    let b = -Float::with_val(p, d) / Float::with_val(p, &e * &l);
    if a < b {
        a
    } else {
        b
    }
}

/// ln of Theorem 2's l2 bound for `eps` > 0 and `l2_sq = ||w_l2||_2^2` > 0.
pub fn ln_l2_bound(eps: &Rational, l2_sq: &Rational) -> Float {
    let p = PREC;
    let c = (2 * (Rational::from(1) + eps)) * (Rational::from(1) + Rational::from(2) / eps);
    from_rational(p, &c).ln() / 2u32 + from_rational(p, l2_sq).ln() / 4u32
}

/// `exp(ln_b)` as an exact decimal with [`BOUND_DIGITS`] significant digits, rounded down
/// (`up == false`) or up, with its log10 (12 digits, for reports).
///
/// # Errors
/// When `|log10 bound| > MAX_LOG10`, or `ln_b` is not finite.
pub fn decimal_bound(ln_b: &Float, up: bool) -> Result<(Rational, String), String> {
    if !ln_b.is_finite() {
        return Err(format!("the bound is not finite (ln bound = {ln_b})"));
    }
    let p = PREC;
    let ln10 = Float::with_val(p, 10u32).ln();
    let log10 = Float::with_val(p, ln_b / &ln10);
    if log10.clone().abs() > MAX_LOG10 {
        return Err(format!(
            "the bound is 10^{}: beyond 10^-{MAX_LOG10} .. 10^{MAX_LOG10}",
            crate::num::fmt_sig(&log10, 8)
        ));
    }
    let k = log10.clone().floor();
    let frac = Float::with_val(p, &log10 - &k);
    let m = Float::with_val(p, &frac * &ln10).exp(); // in [1, 10)
    let scale = Float::with_val(p, 10u32).pow(BOUND_DIGITS - 1);
    let slack = Float::with_val(p, Float::i_exp(1, -((p - 64) as i32)));
    let scaled = if up {
        (Float::with_val(p, &m * &scale) * (Float::with_val(p, 1u32) + &slack)).ceil()
    } else {
        (Float::with_val(p, &m * &scale) * (Float::with_val(p, 1u32) - &slack)).floor()
    };
    let int = scaled.to_integer().expect("finite");
    let k = k.to_integer().expect("finite").to_i64().expect("small") - i64::from(BOUND_DIGITS - 1);
    let ten = Integer::from(10);
    let value = if k >= 0 {
        Rational::from(int * ten.pow(k as u32))
    } else {
        Rational::from((int, ten.pow((-k) as u32)))
    };
    Ok((value, crate::num::fmt_sig(&log10, 12)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_example_is_about_1e_434() {
        // d = 10, eps = 1/100, ||w_l1||_1 = 1: exp(-1000) = 10^-434.29...
        let ln_b = ln_l1_bound(&Rational::from((1, 100)), &Rational::from(1), 10);
        // the other term is -(201/2) ln 2.02 = -70.7: exp(-d / (eps L1)) is the smaller
        assert!(
            Float::with_val(PREC, &ln_b + 1000u32).abs() < 1e-90,
            "{ln_b}"
        );
        let (down, log10) = decimal_bound(&ln_b, false).unwrap();
        assert!(log10.starts_with("-434.29448190"), "{log10}");
        // 10^-434.294481903... = 5.07595889754946e-435
        let lo = Rational::from((507_595_889_754u64, Integer::from(10).pow(446)));
        assert_eq!(down, lo);
        let (up, _) = decimal_bound(&ln_b, true).unwrap();
        assert_eq!(
            up,
            Rational::from((507_595_889_755u64, Integer::from(10).pow(446)))
        );
    }

    #[test]
    fn l2_bound_is_a_square_root() {
        // eps = 1: 2 * 2 * 3 = 12, ||w_l2||_2^2 = 9: sqrt(12 * 3) = 6
        let ln_b = ln_l2_bound(&Rational::from(1), &Rational::from(9));
        let (up, _) = decimal_bound(&ln_b, true).unwrap();
        let (down, _) = decimal_bound(&ln_b, false).unwrap();
        assert!(down <= 6 && up >= 6, "{down} {up}");
        assert!(Rational::from(&up - &down) <= Rational::from((1, 10_000_000_000u64)));
    }
}
