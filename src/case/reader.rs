//! The field readers of the case-file parser: strings, integers and exact
//! numbers read from TOML values, the running bit budget
//! ([`MAX_NUMBER_BITS`]), and the construction of [`CaseError::Invalid`]
//! messages (field paths, quoted excerpts).

use std::cell::Cell;

use rug::Rational;
use toml::{Table, Value};

use crate::case::{CaseError, MAX_NUMBER_BITS};
use crate::num::exact::{parse_rational, rational_to_decimal_string};
use crate::rule::{Expr, Node};

/// Longest excerpt of user text quoted in an error message, in characters.
const MAX_QUOTED: usize = 60;
/// Longest line of a TOML syntax error message, in characters.
const MAX_LINE: usize = 160;

/// Short description of a TOML value for error messages.
pub(super) fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let shown: String = s.chars().take(40).collect();
            let ellipsis = if s.chars().count() > 40 { "..." } else { "" };
            format!("string \"{shown}{ellipsis}\"")
        }
        Value::Integer(i) => format!("integer {i}"),
        Value::Float(x) => format!("float {x:?}"),
        Value::Boolean(b) => format!("boolean {b}"),
        Value::Datetime(d) => format!("datetime {d}"),
        Value::Array(_) => "an array".to_string(),
        Value::Table(_) => "a table".to_string(),
    }
}

/// "1 entry", "3 entries".
pub(super) fn count(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

pub(super) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// At most [`MAX_QUOTED`] characters of `s`, with `...` when cut.
pub(super) fn clip(s: &str) -> String {
    let shown: String = s.chars().take(MAX_QUOTED).collect();
    if shown.len() < s.len() {
        format!("{shown}...")
    } else {
        shown
    }
}

/// `message` with every line cut to at most [`MAX_LINE`] characters (the
/// toml crate quotes the offending line, which may be a megabyte long).
pub(super) fn clip_lines(message: &str) -> String {
    message
        .lines()
        .map(|line| {
            let shown: String = line.chars().take(MAX_LINE).collect();
            if shown.len() < line.len() {
                format!("{shown}...")
            } else {
                shown
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An exact number for an error message: in full when short, else its
/// value to 12 significant digits (a number may have 100000 digits).
pub(super) fn short(q: &Rational) -> String {
    let full = q.to_string();
    if full.len() <= MAX_QUOTED {
        full
    } else {
        format!("about {}", rational_to_decimal_string(q, 12))
    }
}

/// Size of an exact number in bits, as charged against [`MAX_NUMBER_BITS`].
pub(super) fn number_bits(q: &Rational) -> u64 {
    u64::from(q.numer().significant_bits()) + u64::from(q.denom().significant_bits())
}

/// The number as the user wrote it (for messages about its value).
pub(super) fn shown_number(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{}\"", clip(s)),
        Value::Integer(i) => i.to_string(),
        Value::Float(x) => format!("{x:?}"),
        other => describe(other),
    }
}

pub(super) struct Parser<'a> {
    pub(super) origin: &'a str,
    /// Bits of the exact numbers read so far (see [`MAX_NUMBER_BITS`]).
    pub(super) bits: Cell<u64>,
    /// Where the data files the case names are read from.
    pub(super) files: crate::case::DataFiles<'a>,
}

impl Parser<'_> {
    pub(super) fn err(&self, field: impl Into<String>, reason: impl Into<String>) -> CaseError {
        CaseError::Invalid {
            origin: self.origin.to_string(),
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(super) fn check_unknown(
        &self,
        table: &Table,
        prefix: &str,
        allowed: &[&str],
    ) -> Result<(), CaseError> {
        if let Some(key) = table.keys().find(|k| !allowed.contains(&k.as_str())) {
            let key = clip(key);
            let where_ = if prefix.is_empty() {
                "at the top level".to_string()
            } else {
                format!("in [{prefix}]")
            };
            return Err(self.err(
                join(prefix, &key),
                format!(
                    "unknown field `{key}` {where_} (allowed fields: {})",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn required<'v>(
        &self,
        table: &'v Table,
        prefix: &str,
        key: &str,
    ) -> Result<&'v Value, CaseError> {
        table
            .get(key)
            .ok_or_else(|| self.err(join(prefix, key), "missing required field"))
    }

    pub(super) fn string(&self, v: &Value, field: &str) -> Result<String, CaseError> {
        match v {
            Value::String(s) if s.trim().is_empty() => Err(self.err(field, "must not be empty")),
            Value::String(s) => Ok(s.clone()),
            other => Err(self.err(
                field,
                format!("expected a non-empty string, found {}", describe(other)),
            )),
        }
    }

    pub(super) fn integer(&self, v: &Value, field: &str, what: &str) -> Result<i64, CaseError> {
        match v {
            Value::Integer(i) => Ok(*i),
            other => Err(self.err(field, format!("expected {what}, found {}", describe(other)))),
        }
    }

    /// Adds `bits` to the running total of the case, erroring at `field`
    /// when the total exceeds [`MAX_NUMBER_BITS`].
    pub(super) fn charge(&self, field: &str, bits: u64) -> Result<(), CaseError> {
        let total = self.bits.get().saturating_add(bits);
        self.bits.set(total);
        if total > MAX_NUMBER_BITS {
            return Err(self.err(
                field,
                format!(
                    "too much exact data: the numbers of this case file take more than {MAX_NUMBER_BITS} bits in total (about 20 million decimal digits)"
                ),
            ));
        }
        Ok(())
    }

    /// An exact number: TOML integer, TOML float (read as its shortest
    /// decimal form) or a string parsed by [`parse_rational`]. Its size is
    /// charged against [`MAX_NUMBER_BITS`].
    pub(super) fn number(&self, v: &Value, field: &str) -> Result<Rational, CaseError> {
        let q = self.number_uncharged(v, field)?;
        self.charge(field, number_bits(&q))?;
        Ok(q)
    }

    /// A stopping or window rule (`what`) at `field`: parses `text` and
    /// charges its literals against [`MAX_NUMBER_BITS`].
    pub(super) fn rule(&self, text: &str, field: &str, what: &str) -> Result<Expr, CaseError> {
        let e = Expr::parse(text).map_err(|e| {
            self.err(
                field,
                format!("{what} \"{}\" does not parse: {e}", clip(text)),
            )
        })?;
        let mut bits = 0u64;
        let mut stack = vec![e.node()];
        while let Some(n) = stack.pop() {
            match n {
                Node::Num(q) => bits = bits.saturating_add(number_bits(q)),
                Node::Var(_) => {}
                Node::Neg(x) | Node::Func(_, x) => stack.push(x),
                Node::Bin(_, a, b) => {
                    stack.push(a);
                    stack.push(b);
                }
            }
        }
        self.charge(field, bits)?;
        Ok(e)
    }

    pub(super) fn number_uncharged(&self, v: &Value, field: &str) -> Result<Rational, CaseError> {
        match v {
            Value::Integer(i) => Ok(Rational::from(*i)),
            Value::Float(x) => {
                if !x.is_finite() {
                    return Err(self.err(
                        field,
                        format!("not a number ({x}): NaN and infinity are not allowed"),
                    ));
                }
                // The one permitted use of f64: the toml crate hands us TOML
                // floats as f64, and we take the *shortest decimal string that
                // round-trips* to that f64 (Rust's `{:e}` formatting, e.g.
                // 0.1 -> "1e-1", 1e300 -> "1e300") and parse that string
                // exactly. So a TOML float 0.1 means exactly 1/10, which is
                // what the author wrote whenever they wrote at most ~15
                // significant digits. Strings avoid the question entirely.
                let shortest = format!("{x:e}");
                parse_rational(&shortest)
                    .map_err(|reason| self.err(field, format!("float {x}: {reason}")))
            }
            Value::String(s) => parse_rational(s).map_err(|reason| {
                let detail = reason.strip_prefix("not a number: ").unwrap_or(&reason);
                let shown: String = s.chars().take(60).collect();
                let ellipsis = if s.chars().count() > 60 { "..." } else { "" };
                self.err(field, format!("not a number \"{shown}{ellipsis}\": {detail}"))
            }),
            other => Err(self.err(
                field,
                format!(
                    "expected a number (integer, float, or a string such as \"0.1\" or \"1/3\"), found {}",
                    describe(other)
                ),
            )),
        }
    }
}
