//! Exact parsing and display of numbers.
//!
//! Every number that enters ibcert from a case file or the command line is
//! parsed *exactly*: `"0.1"` is the rational 1/10, never the nearest binary
//! float. Three entry points:
//!
//! * [`parse_rational`]: integers, decimals (with optional exponent) and
//!   fractions, as an exact [`Rational`]. The written exponent is limited to
//!   |exp| <= [`MAX_RATIONAL_EXP`] so that a tiny input such as `1e999999999`
//!   cannot make us materialize a gigantic integer.
//! * [`parse_decimal`]: decimals only, kept symbolically as
//!   `coeff * 10^exp10` (a [`Decimal`]) with |exp10| <= [`MAX_DECIMAL_EXP`].
//!   This is what thresholds such as `--loss 1e-4000000` use: they are held
//!   exactly without ever computing 10^4000000.
//! * [`rational_to_decimal_string`]: correctly rounded decimal rendering of
//!   a rational for display.
//!
//! Accepted syntax (surrounding whitespace is ignored):
//!
//! ```text
//! integer  := sign? digit+
//! decimal  := sign? (digit+ ('.' digit*)? | '.' digit+) (('e'|'E') sign? digit+)?
//! fraction := integer ws* '/' ws* integer          (denominator != 0)
//! sign     := '+' | '-'
//! ```
//!
//! Rejected: empty strings, `nan`, `inf`, hexadecimal, doubled signs,
//! a dangling exponent (`1e`), any trailing garbage.

use rug::{Float, Integer, Rational};

/// Largest |exponent| accepted by [`parse_rational`] (and the largest
/// |exp10| for which [`Decimal::to_rational`] materializes the value).
pub const MAX_RATIONAL_EXP: i64 = 100_000;

/// Largest |exp10| accepted by [`parse_decimal`].
pub const MAX_DECIMAL_EXP: i64 = 1_000_000_000_000_000;

const EXPECTED: &str = "expected a decimal like 0.25, 1e-3 or a fraction like 1/3";

fn not_a_number(detail: &str) -> String {
    format!("not a number: {detail}")
}

/// The pieces of a syntactically valid decimal literal.
struct Scanned<'a> {
    negative: bool,
    int_digits: &'a str,
    frac_digits: &'a str,
    /// The written exponent (0 if none), already checked against the limit.
    exp: i64,
}

/// Checks that `s` is a plain (optionally signed) integer literal.
fn scan_integer(s: &str) -> Option<(bool, &str)> {
    let (negative, digits) = split_sign(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        Some((negative, digits))
    } else {
        None
    }
}

fn split_sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

fn garbage_reason(s: &str) -> String {
    let (_, body) = split_sign(s);
    let lower = body.to_ascii_lowercase();
    if matches!(lower.as_str(), "nan" | "inf" | "infinity") {
        not_a_number(&format!("NaN and infinity are not allowed; {EXPECTED}"))
    } else {
        not_a_number(EXPECTED)
    }
}

/// Scans a decimal literal (already trimmed). `max_exp` bounds the written
/// exponent.
fn scan_decimal(s: &str, max_exp: i64) -> Result<Scanned<'_>, String> {
    if s.is_empty() {
        return Err(not_a_number(&format!("empty string; {EXPECTED}")));
    }
    let (negative, rest) = split_sign(s);
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = &rest[..i];
    let mut frac_digits = "";
    if i < bytes.len() && bytes[i] == b'.' {
        let start = i + 1;
        let mut j = start;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        frac_digits = &rest[start..j];
        i = j;
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return Err(garbage_reason(s));
    }
    let mut exp: i64 = 0;
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let (exp_negative, exp_str) = split_sign(&rest[i + 1..]);
        if exp_str.is_empty() {
            return Err(not_a_number(&format!(
                "missing exponent digits after 'e'; {EXPECTED}"
            )));
        }
        if !exp_str.bytes().all(|b| b.is_ascii_digit()) {
            return Err(garbage_reason(s));
        }
        let significant = exp_str.trim_start_matches('0');
        // More than 18 significant digits cannot fit any limit we use.
        let magnitude = if significant.len() > 18 {
            None
        } else if significant.is_empty() {
            Some(0)
        } else {
            significant.parse::<i64>().ok()
        };
        match magnitude {
            Some(m) if m <= max_exp => exp = if exp_negative { -m } else { m },
            _ => {
                let sign = if exp_negative { "-" } else { "" };
                return Err(format!(
                    "exponent {sign}{significant} out of range: |exponent| must be at most {max_exp}"
                ));
            }
        }
        i = bytes.len();
    }
    if i != bytes.len() {
        return Err(garbage_reason(s));
    }
    Ok(Scanned {
        negative,
        int_digits,
        frac_digits,
        exp,
    })
}

/// Parses an unsigned digit string (may be empty, meaning 0).
fn digits_to_integer(digits: &str) -> Integer {
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        Integer::new()
    } else {
        // Only ASCII digits reach here, so parsing cannot fail.
        Integer::from_str_radix(digits, 10).expect("validated digit string")
    }
}

/// 10^e as an exact rational (e may be negative). Callers bound |e|.
fn pow10(e: i64) -> Rational {
    let magnitude =
        u32::try_from(e.unsigned_abs()).expect("power of ten exponent bounded by caller");
    let p = Integer::from(Integer::u_pow_u(10, magnitude));
    if e >= 0 {
        Rational::from(p)
    } else {
        Rational::from((Integer::from(1), p))
    }
}

/// Parses an exact rational: an integer (`3`, `-7`, `+2`), a decimal
/// (`0.1`, `-.5`, `2.`, `1.25e-3`, `1E300`, `6.02e+23`) or a fraction
/// (`1/3`, `-22/7`, ` 1 / 3 `; both sides integers, denominator nonzero).
///
/// The result is exact (`"0.1"` is 1/10). The written exponent must satisfy
/// |exp| <= [`MAX_RATIONAL_EXP`]; larger exponents are rejected to avoid
/// memory bombs (use [`parse_decimal`] for extreme thresholds).
///
/// The error is a short human-readable reason; for malformed input it starts
/// with `"not a number: "`.
pub fn parse_rational(s: &str) -> Result<Rational, String> {
    let s = s.trim();
    if let Some((num, den)) = s.split_once('/') {
        let (num, den) = (num.trim(), den.trim());
        let (Some((num_neg, num_digits)), Some((den_neg, den_digits))) =
            (scan_integer(num), scan_integer(den))
        else {
            return Err(not_a_number(
                "both sides of a fraction must be integers, like 1/3 or -22/7",
            ));
        };
        let den = digits_to_integer(den_digits);
        if den == 0 {
            return Err("zero denominator: a fraction n/d needs d != 0".to_string());
        }
        let num = digits_to_integer(num_digits);
        let q = Rational::from((num, den));
        return Ok(if num_neg != den_neg { -q } else { q });
    }
    let sc = scan_decimal(s, MAX_RATIONAL_EXP)?;
    let frac_len =
        i64::try_from(sc.frac_digits.len()).map_err(|_| "number too long".to_string())?;
    let mut all = String::with_capacity(sc.int_digits.len() + sc.frac_digits.len());
    all.push_str(sc.int_digits);
    all.push_str(sc.frac_digits);
    let coeff = digits_to_integer(&all);
    // |exp10| <= MAX_RATIONAL_EXP + input length: cost bounded by the input size.
    let exp10 = sc.exp - frac_len;
    let mut q = Rational::from(coeff) * pow10(exp10);
    if sc.negative {
        q = -q;
    }
    Ok(q)
}

/// An exact decimal `coeff * 10^exp10`, kept symbolic so that huge or tiny
/// magnitudes (e.g. `1e-4000000`) cost nothing.
///
/// Values produced by [`parse_decimal`] are normalized: `coeff` has no
/// trailing decimal zeros, and zero is represented as `0 * 10^0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decimal {
    pub coeff: Integer,
    pub exp10: i64,
}

/// Parses a decimal (same syntax as [`parse_rational`] without fractions)
/// into a symbolic [`Decimal`], accepting exponents with
/// |exp| <= [`MAX_DECIMAL_EXP`] (10^15). Never materializes 10^exp.
pub fn parse_decimal(s: &str) -> Result<Decimal, String> {
    let s = s.trim();
    if s.contains('/') {
        return Err(not_a_number(
            "a fraction is not allowed here; expected a decimal like 0.25 or 1e-3",
        ));
    }
    let sc = scan_decimal(s, MAX_DECIMAL_EXP)?;
    let int_digits = sc.int_digits.trim_start_matches('0');
    let mut all = String::with_capacity(int_digits.len() + sc.frac_digits.len());
    all.push_str(int_digits);
    all.push_str(sc.frac_digits);
    let trimmed = all.trim_end_matches('0');
    let trailing_zeros = (all.len() - trimmed.len()) as i128;
    let coeff = digits_to_integer(trimmed);
    if coeff == 0 {
        return Ok(Decimal { coeff, exp10: 0 });
    }
    let exp10 = i128::from(sc.exp) - sc.frac_digits.len() as i128 + trailing_zeros;
    if exp10.abs() > i128::from(MAX_DECIMAL_EXP) {
        return Err(format!(
            "exponent out of range: the value is 10^{exp10} in magnitude, |exponent| must be at most {MAX_DECIMAL_EXP}"
        ));
    }
    Ok(Decimal {
        coeff: if sc.negative { -coeff } else { coeff },
        exp10: exp10 as i64,
    })
}

impl Decimal {
    /// The exact value, or `None` when |exp10| > [`MAX_RATIONAL_EXP`]
    /// (materializing it could exhaust memory).
    pub fn to_rational(&self) -> Option<Rational> {
        if self.exp10.abs() > MAX_RATIONAL_EXP {
            return None;
        }
        Some(Rational::from(&self.coeff) * pow10(self.exp10))
    }

    /// True when the value is strictly positive.
    pub fn is_positive(&self) -> bool {
        self.coeff > 0
    }

    /// Natural logarithm `ln(coeff) + exp10 * ln(10)`, computed in MPFR and
    /// returned at precision `prec` bits (accurate to about one ulp; the
    /// internal working precision carries 64+ guard bits and values near 1 are
    /// handled with `ln_1p` to avoid cancellation).
    ///
    /// # Panics
    /// If `coeff <= 0` (the logarithm is undefined). Callers must check
    /// [`Decimal::is_positive`] first.
    pub fn ln(&self, prec: u32) -> Float {
        assert!(
            self.coeff > 0,
            "Decimal::ln of a non-positive value ({}e{})",
            self.coeff,
            self.exp10
        );
        let wp = prec.saturating_add(128);
        // value = m * 10^e_sci with m in [1, 10).
        let ndigits = self.coeff.to_string_radix(10).len() as i64;
        let e_sci = self.exp10.saturating_add(ndigits - 1);
        let result = if e_sci == 0 || e_sci == -1 {
            // value in [0.1, 10): |exp10| <= ndigits, so materializing is
            // cheap; ln_1p(value - 1) avoids cancellation near 1.
            let v = Rational::from(&self.coeff) * pow10(self.exp10);
            Float::with_val(wp, v - 1u32).ln_1p()
        } else {
            // |value| outside [0.1, 10): the two terms cannot cancel badly.
            let ln_coeff = Float::with_val(wp, &self.coeff).ln();
            let ln10 = Float::with_val(wp, 10u32).ln();
            ln_coeff + ln10 * self.exp10
        };
        Float::with_val(prec, result)
    }
}

/// `q` as an exact decimal with at most `max_decimals` digits after the point ("0.05",
/// "-3", "123.456"), or None when it has more (1/3, 10^-40 with max_decimals < 40).
pub fn exact_decimal(q: &Rational, max_decimals: u32) -> Option<String> {
    if q.denom() == &1 {
        return Some(q.numer().to_string());
    }
    for k in 1..=max_decimals {
        let scaled = Rational::from(q * Integer::from(Integer::u_pow_u(10, k)));
        if scaled.denom() == &1 {
            let neg = scaled.numer().is_negative();
            let digits = Integer::from(scaled.numer().abs_ref()).to_string();
            let k = k as usize;
            let padded = format!("{digits:0>width$}", width = k + 1);
            let (int, frac) = padded.split_at(padded.len() - k);
            return Some(format!("{}{int}.{frac}", if neg { "-" } else { "" }));
        }
    }
    None
}

/// Renders `q` in decimal with `digits` significant digits (at least 1),
/// correctly rounded with round-half-to-even on the exact value.
///
/// Fixed notation is used when the decimal exponent e (value = d.ddd * 10^e)
/// lies in [-4, 15], otherwise scientific notation such as `1.2500000e-7`.
/// Trailing zeros are kept, so the number of significant digits shown is
/// always `digits` (zero renders as `0.000…` with `digits` zeros). For
/// display only.
pub fn rational_to_decimal_string(q: &Rational, digits: usize) -> String {
    let digits = digits.max(1);
    if *q == 0 {
        return if digits == 1 {
            "0".to_string()
        } else {
            format!("0.{}", "0".repeat(digits - 1))
        };
    }
    let negative = *q < 0;
    let a = Rational::from(q.abs_ref());
    // Estimate e = floor(log10 a) from bit lengths (log10 2 ~ 0.30103), then
    // correct exactly.
    let bits = i64::from(a.numer().significant_bits()) - i64::from(a.denom().significant_bits());
    let mut e = (bits * 30103).div_euclid(100_000);
    while pow10(e) > a {
        e -= 1;
    }
    while pow10(e + 1) <= a {
        e += 1;
    }
    let d = digits as i64;
    // scaled in [10^(d-1), 10^d)
    let scaled: Rational = &a * pow10(d - 1 - e);
    let (num, den) = scaled.into_numer_denom();
    let (mut m, rem) = num.div_rem_floor(den.clone());
    let twice: Integer = rem * 2u32;
    if twice > den || (twice == den && m.is_odd()) {
        m += 1u32;
    }
    let mut s = m.to_string_radix(10);
    if s.len() > digits {
        // rounded up to 10^d
        s.truncate(digits);
        e += 1;
    }
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if (-4..=15).contains(&e) {
        if e >= 0 {
            let int_len = (e + 1) as usize;
            if s.len() <= int_len {
                out.push_str(&s);
                out.push_str(&"0".repeat(int_len - s.len()));
            } else {
                out.push_str(&s[..int_len]);
                out.push('.');
                out.push_str(&s[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.push_str(&"0".repeat((-e - 1) as usize));
            out.push_str(&s);
        }
    } else {
        out.push_str(&s[..1]);
        if s.len() > 1 {
            out.push('.');
            out.push_str(&s[1..]);
        }
        out.push('e');
        out.push_str(&e.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn q(n: i64, d: i64) -> Rational {
        Rational::from((n, d))
    }

    #[test]
    fn integers() {
        assert_eq!(parse_rational("3").unwrap(), 3);
        assert_eq!(parse_rational("-7").unwrap(), -7);
        assert_eq!(parse_rational("+2").unwrap(), 2);
        assert_eq!(parse_rational("  42 ").unwrap(), 42);
        assert_eq!(parse_rational("-0").unwrap(), 0);
    }

    #[test]
    fn decimals() {
        assert_eq!(parse_rational("0.1").unwrap(), q(1, 10));
        assert_eq!(parse_rational("-.5").unwrap(), q(-1, 2));
        assert_eq!(parse_rational("2.").unwrap(), 2);
        assert_eq!(parse_rational("1.25e-3").unwrap(), q(1, 800));
        assert_eq!(
            parse_rational("1E300").unwrap(),
            Rational::from(Integer::from(Integer::u_pow_u(10, 300)))
        );
        assert_eq!(
            parse_rational("1e-300").unwrap(),
            Rational::from((1, Integer::from(Integer::u_pow_u(10, 300))))
        );
        assert_eq!(
            parse_rational("6.02e+23").unwrap(),
            Rational::from(Integer::from(602) * Integer::from(Integer::u_pow_u(10, 21)))
        );
        assert_eq!(parse_rational("-2.5e-3").unwrap(), q(-1, 400));
        assert!(parse_rational("1e100000").unwrap() > 0);
    }

    #[test]
    fn fractions() {
        assert_eq!(parse_rational("1/3").unwrap(), q(1, 3));
        assert_eq!(parse_rational("-22/7").unwrap(), q(-22, 7));
        assert_eq!(parse_rational(" 1 / 3 ").unwrap(), q(1, 3));
        assert_eq!(parse_rational("4/-6").unwrap(), q(-2, 3));
        assert_eq!(parse_rational("0/5").unwrap(), 0);
    }

    #[test]
    fn rejects() {
        for bad in [
            "", "  ", "nan", "NaN", "inf", "-inf", "infinity", "1/0", "1e", "1e+", "--1", "+-1",
            "0x10", "1.2.3", "1e5x", "abc", "1 2", "1/2/3", "0.5/2", "1/", "/2", ".", "-", "e5",
            "1_000", "١", "1e1.5",
        ] {
            assert!(parse_rational(bad).is_err(), "accepted {bad:?}");
        }
        assert!(parse_rational("abc")
            .unwrap_err()
            .starts_with("not a number"));
        assert!(parse_rational("1/0")
            .unwrap_err()
            .contains("zero denominator"));
        assert!(parse_rational("1e").unwrap_err().contains("exponent"));
        assert!(parse_rational("nan").unwrap_err().contains("NaN"));
    }

    #[test]
    fn exponent_bomb_rejected() {
        let err = parse_rational("1e100001").unwrap_err();
        assert!(err.contains("out of range"), "{err}");
        assert!(parse_rational("1e-999999999999999999999999").is_err());
        assert!(parse_rational("1e4000000").is_err());
    }

    #[test]
    fn decimal_symbolic() {
        let d = parse_decimal("1e-4000000").unwrap();
        assert_eq!(
            d,
            Decimal {
                coeff: Integer::from(1),
                exp10: -4_000_000
            }
        );
        assert!(d.is_positive());
        assert!(d.to_rational().is_none());
        let d = parse_decimal("-12.500e3").unwrap();
        assert_eq!(
            d,
            Decimal {
                coeff: Integer::from(-125),
                exp10: 2
            }
        );
        assert_eq!(d.to_rational().unwrap(), -12500);
        assert!(!d.is_positive());
        let d = parse_decimal("0.000").unwrap();
        assert_eq!(
            d,
            Decimal {
                coeff: Integer::new(),
                exp10: 0
            }
        );
        assert!(parse_decimal("1e1000000000000000").is_ok());
        assert!(parse_decimal("1e1000000000000001").is_err());
        assert!(parse_decimal("1e99999999999999999999").is_err());
        assert!(parse_decimal("1/3").is_err());
        assert!(parse_decimal("abc").is_err());
    }

    #[test]
    fn decimal_ln() {
        let prec = 200;
        let ln10 = Float::with_val(prec, 10).ln();
        let d = parse_decimal("1e-4000000").unwrap();
        let expect = Float::with_val(prec, &ln10 * -4_000_000i64);
        let got = d.ln(prec);
        let rel = (Float::with_val(prec, &got - &expect) / &expect).abs();
        assert!(
            rel < Float::with_val(prec, Float::i_exp(1, -190)),
            "{got} vs {expect}"
        );
        // value near 1: ln(1 + 1e-50) ~ 1e-50
        let d = parse_decimal("1.00000000000000000000000000000000000000000000000001").unwrap();
        let got = d.ln(prec);
        let tiny = Float::with_val(prec, parse_rational("1e-50").unwrap());
        let rel = (Float::with_val(prec, &got - &tiny) / &tiny).abs();
        assert!(rel < Float::with_val(prec, Float::i_exp(1, -100)), "{got}");
        // value just below 1
        let d = parse_decimal("0.99999999999999999999999999999999999999").unwrap();
        let got = d.ln(prec);
        assert!(got < 0 && got > Float::with_val(prec, parse_rational("-1.1e-38").unwrap()));
        assert_eq!(parse_decimal("1").unwrap().ln(64), 0);
    }

    #[test]
    #[should_panic]
    fn decimal_ln_nonpositive_panics() {
        let _ = parse_decimal("-1").unwrap().ln(64);
    }

    #[test]
    fn render() {
        let r = |s: &str, d: usize| rational_to_decimal_string(&parse_rational(s).unwrap(), d);
        assert_eq!(r("1.25e-7", 8), "1.2500000e-7");
        assert_eq!(r("1/3", 5), "0.33333");
        assert_eq!(r("2/3", 5), "0.66667");
        assert_eq!(r("-2/3", 3), "-0.667");
        assert_eq!(r("0.0001", 2), "0.00010");
        assert_eq!(r("0.00001", 2), "1.0e-5");
        assert_eq!(r("123.456", 4), "123.5");
        assert_eq!(r("9.9999", 3), "10.0");
        assert_eq!(r("99999", 2), "100000");
        assert_eq!(r("1e15", 3), "1000000000000000");
        assert_eq!(r("1e16", 3), "1.00e16");
        assert_eq!(r("1e300", 1), "1e300");
        assert_eq!(r("0", 4), "0.000");
        assert_eq!(r("0", 1), "0");
        // round half to even
        assert_eq!(r("0.125", 2), "0.12");
        assert_eq!(r("0.135", 2), "0.14");
        assert_eq!(r("2.5", 1), "2");
        assert_eq!(r("3.5", 1), "4");
        assert_eq!(r("1", 0), "1");
        assert_eq!(r("-1e-300", 3), "-1.00e-300");
    }

    /// Exact value of sign int.frac e exp computed independently.
    fn expected_decimal(neg: bool, int: &str, frac: &str, exp: i64) -> Rational {
        let mut coeff = Integer::from(0);
        for c in int.chars().chain(frac.chars()) {
            coeff = coeff * 10u32 + c.to_digit(10).unwrap();
        }
        let e = exp - frac.len() as i64;
        let p = Integer::from(Integer::u_pow_u(10, e.unsigned_abs() as u32));
        let mut v = if e >= 0 {
            Rational::from(coeff * p)
        } else {
            Rational::from((coeff, p))
        };
        if neg {
            v = -v;
        }
        v
    }

    proptest! {
        #[test]
        fn prop_fraction(p in any::<i64>(), d in any::<i64>().prop_filter("nonzero", |d| *d != 0)) {
            let s = format!("{p}/{d}");
            prop_assert_eq!(parse_rational(&s).unwrap(), Rational::from((p, d)));
            let s = format!(" {p} / {d} ");
            prop_assert_eq!(parse_rational(&s).unwrap(), Rational::from((p, d)));
        }

        #[test]
        fn prop_decimal(
            neg in any::<bool>(),
            int in "[0-9]{0,25}",
            frac in "[0-9]{0,25}",
            has_dot in any::<bool>(),
            exp in proptest::option::of(-400i64..400),
            upper in any::<bool>(),
        ) {
            prop_assume!(!(int.is_empty() && frac.is_empty()));
            let has_dot = has_dot || !frac.is_empty();
            prop_assume!(!int.is_empty() || has_dot);
            let mut s = String::new();
            if neg { s.push('-'); }
            s.push_str(&int);
            if has_dot { s.push('.'); s.push_str(&frac); }
            if let Some(e) = exp {
                s.push(if upper { 'E' } else { 'e' });
                s.push_str(&e.to_string());
            }
            let want = expected_decimal(neg, &int, &frac, exp.unwrap_or(0));
            prop_assert_eq!(parse_rational(&s).unwrap(), want.clone());
            let d = parse_decimal(&s).unwrap();
            prop_assert_eq!(d.to_rational().unwrap(), want.clone());
            prop_assert_eq!(d.is_positive(), want > 0);
        }

        #[test]
        fn prop_render_roundtrip(p in any::<i64>(), d in 1i64..1_000_000, digits in 1usize..30) {
            // Rendering then parsing is within half an ulp of the last digit.
            let v = Rational::from((p, d));
            let s = rational_to_decimal_string(&v, digits);
            let back = parse_rational(&s).unwrap();
            if v != 0 {
                let err = (Rational::from(&back - &v) / &v).abs();
                let bound = Rational::from((Integer::from(1), Integer::from(Integer::u_pow_u(10, digits as u32 - 1))));
                prop_assert!(err <= bound, "{} -> {}", v, s);
            } else {
                prop_assert_eq!(back, 0);
            }
        }
    }
}
