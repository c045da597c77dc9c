//! Exact text forms of MPFR numbers and rationals, for the files ibcert writes and reads
//! back (checkpoints, job results, partial reports): every number round-trips bit for bit.
//!
//! An MPFR number is `<mantissa in hex>p<binary exponent>` (value = mantissa * 2^exponent,
//! e.g. `-1a3fp-250`; `0`, `-0`, `inf`, `-inf`, `nan` for the special values), read back at
//! a precision recorded beside it. The serde adapters [`float`] and [`opt_float`] write
//! `<precision>:<exact>` (e.g. `256:-1a3fp-250`), [`rational`] writes `p/q` in decimal.

use rug::{Float, Integer};

/// An MPFR number exactly, as `<hex mantissa>p<exponent>`.
pub fn float_to_string(x: &Float) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x.is_sign_negative() { "-inf" } else { "inf" }.to_string();
    }
    if x.is_zero() {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let (mut m, mut e) = x.to_integer_exp().expect("finite");
    // drop the mantissa's trailing zero bits (shorter, and the same value)
    let tz = m.find_one(0).unwrap_or(0);
    if tz > 0 {
        m >>= tz;
        e += tz as i32;
    }
    format!("{}p{}", m.to_string_radix(16), e)
}

/// Inverse of [`float_to_string`] at precision `prec`; refuses a mantissa that does
/// not fit in `prec` bits (the value would not be the one written).
pub fn float_from_str(s: &str, prec: u32) -> Result<Float, String> {
    match s {
        "nan" => return Ok(Float::with_val(prec, rug::float::Special::Nan)),
        "inf" => return Ok(Float::with_val(prec, rug::float::Special::Infinity)),
        "-inf" => return Ok(Float::with_val(prec, rug::float::Special::NegInfinity)),
        "0" => return Ok(Float::with_val(prec, rug::float::Special::Zero)),
        "-0" => return Ok(Float::with_val(prec, rug::float::Special::NegZero)),
        _ => {}
    }
    let bad = || format!("{s:?} is not an exact number (<hex mantissa>p<exponent>)");
    let (m, e) = s.split_once('p').ok_or_else(bad)?;
    let digits = m.strip_prefix('-').unwrap_or(m);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let m = Integer::from_str_radix(m, 16).map_err(|_| bad())?;
    let e: i32 = e.parse().map_err(|_| bad())?;
    let ma = Integer::from(m.abs_ref());
    let bits = ma.significant_bits() - ma.find_one(0).unwrap_or(0);
    if bits > prec {
        return Err(format!("{s:?} has more than {prec} significant bits"));
    }
    let mut f = Float::with_val(prec, &m);
    if !f.is_finite() {
        return Err(bad());
    }
    f <<= e;
    if !f.is_finite() || f.is_zero() {
        return Err(format!("{s:?} is outside the exponent range"));
    }
    Ok(f)
}

/// `<precision>:<exact>`: the number and its precision.
pub fn float_with_prec(x: &Float) -> String {
    format!("{}:{}", x.prec(), float_to_string(x))
}

/// Inverse of [`float_with_prec`]; refuses a precision outside
/// [`super::MIN_PRECISION`]..=[`super::MAX_PRECISION`] (or below MPFR's minimum).
pub fn float_from_prec_str(s: &str) -> Result<Float, String> {
    let (p, x) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?} is not <precision>:<exact number>"))?;
    let prec: u32 = p
        .parse()
        .map_err(|_| format!("{s:?}: the precision {p:?} is not a whole number"))?;
    if !(1..=super::MAX_PRECISION).contains(&prec) {
        return Err(format!("{s:?}: precision {prec} is out of range"));
    }
    float_from_str(x, prec)
}

/// serde adapter: an MPFR number as `<precision>:<exact>`.
pub mod float {
    use rug::Float;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &Float, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::float_with_prec(x))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Float, D::Error> {
        let s = String::deserialize(d)?;
        super::float_from_prec_str(&s).map_err(serde::de::Error::custom)
    }
}

/// serde adapter: an optional MPFR number (`null` or `<precision>:<exact>`).
pub mod opt_float {
    use rug::Float;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &Option<Float>, s: S) -> Result<S::Ok, S::Error> {
        match x {
            Some(x) => s.serialize_some(&super::float_with_prec(x)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Float>, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        s.map(|s| super::float_from_prec_str(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// serde adapter: a rational as `p/q` (or `p`) in decimal.
pub mod rational {
    use rug::Rational;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &Rational, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&x.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Rational, D::Error> {
        let s = String::deserialize(d)?;
        Rational::from_str_radix(&s, 10)
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a rational p/q")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_round_trip_with_their_precision() {
        let third = Float::with_val(300, 1) / 3u32;
        for x in [
            third.clone(),
            -third,
            Float::with_val(64, 0),
            Float::with_val(64, rug::float::Special::Infinity),
            Float::with_val(128, rug::float::Special::NegZero),
            Float::with_val(256, 1) << 100_000,
        ] {
            let s = float_with_prec(&x);
            let y = float_from_prec_str(&s).unwrap();
            assert_eq!(y.prec(), x.prec(), "{s}");
            assert!(
                (y.is_nan() && x.is_nan())
                    || (y == x && y.is_sign_negative() == x.is_sign_negative()),
                "{s}"
            );
        }
        assert!(float_from_prec_str("12").is_err());
        assert!(float_from_prec_str("x:1p0").is_err());
        assert!(float_from_prec_str("0:1p0").is_err());
        assert!(float_from_prec_str("64:zzp0").is_err());
        // more mantissa bits than the precision: refused, not rounded
        assert!(float_from_prec_str("8:1ffp0").is_err());
    }
}
