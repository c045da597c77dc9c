//! The canonical text form of expressions (see the module documentation).

use std::fmt;

use rug::{Integer, Rational};

use crate::num::exact::MAX_RATIONAL_EXP;

use super::{BinOp, Expr, Node};

/// Binding strength of a node's outermost construct (higher binds tighter).
fn strength(node: &Node) -> u8 {
    match node {
        Node::Bin(BinOp::Add | BinOp::Sub, ..) => 1,
        Node::Bin(BinOp::Mul | BinOp::Div, ..) => 2,
        Node::Neg(_) => 3,
        Node::Bin(BinOp::Pow, ..) => 4,
        Node::Num(_) | Node::Var(_) | Node::Func(..) | Node::Bin(BinOp::Min | BinOp::Max, ..) => 5,
    }
}

fn write_operand(f: &mut fmt::Formatter<'_>, node: &Node, min: u8) -> fmt::Result {
    if strength(node) < min {
        write!(f, "(")?;
        write_node(f, node)?;
        write!(f, ")")
    } else {
        write_node(f, node)
    }
}

fn write_node(f: &mut fmt::Formatter<'_>, node: &Node) -> fmt::Result {
    match node {
        Node::Num(q) => match canonical_number(q) {
            Some(s) => f.write_str(&s),
            // Not representable as a literal (only in trees Expr::new rejects).
            None => write!(f, "({q})"),
        },
        Node::Var(v) => f.write_str(v.name()),
        Node::Neg(x) => {
            write!(f, "-")?;
            write_operand(f, x, 3)
        }
        Node::Func(func, x) => {
            write!(f, "{}(", func.name())?;
            write_node(f, x)?;
            write!(f, ")")
        }
        Node::Bin(op, a, b) => match op {
            BinOp::Min | BinOp::Max => {
                write!(f, "{}(", if *op == BinOp::Min { "min" } else { "max" })?;
                write_node(f, a)?;
                write!(f, ", ")?;
                write_node(f, b)?;
                write!(f, ")")
            }
            BinOp::Pow => {
                write_operand(f, a, 5)?;
                write!(f, "^")?;
                write_operand(f, b, 3)
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let (sym, s) = match op {
                    BinOp::Add => ("+", 1),
                    BinOp::Sub => ("-", 1),
                    BinOp::Mul => ("*", 2),
                    _ => ("/", 2),
                };
                write_operand(f, a, s)?;
                write!(f, " {sym} ")?;
                write_operand(f, b, s + 1)
            }
        },
    }
}

impl fmt::Display for Node {
    /// The canonical text of this subtree (see the module documentation).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_node(f, self)
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_node(f, &self.root)
    }
}

/// The canonical literal for `q`: `None` unless `q` is non-negative with a
/// terminating decimal expansion. Plain notation (`0.001`, `2500`) is used
/// when it has at most 10 characters or is no longer than scientific
/// notation (`12e-30`, `1e100`, with an integer mantissa without trailing
/// zeros); otherwise scientific.
pub(super) fn canonical_number(q: &Rational) -> Option<String> {
    if *q < 0 {
        return None;
    }
    if *q == 0 {
        return Some("0".into());
    }
    let mut rest = q.denom().clone();
    let twos = rest.remove_factor_mut(&Integer::from(2));
    let fives = rest.remove_factor_mut(&Integer::from(5));
    if rest != 1 {
        return None;
    }
    // q = c * 10^-k with c an integer.
    let k = twos.max(fives);
    let c = (q.numer() * Integer::from(Integer::u_pow_u(10, k))) / q.denom();
    let digits = c.to_string();
    let mant = digits.trim_end_matches('0');
    let e = (digits.len() - mant.len()) as i64 - i64::from(k);
    let len = mant.len() as i64;
    // The written exponent must stay within parse_rational's limit, or the
    // canonical form would not re-parse: `.5e-100000` is 5e-100001, written
    // `0.5e-100000`, and `10e100000` is written as such, not `1e100001`.
    let sci = if e == 0 {
        mant.to_string()
    } else if e > MAX_RATIONAL_EXP {
        let zeros = "0".repeat((e - MAX_RATIONAL_EXP) as usize);
        format!("{mant}{zeros}e{MAX_RATIONAL_EXP}")
    } else if e < -MAX_RATIONAL_EXP {
        // mant * 10^e = (mant * 10^-k) * 10^-MAX_RATIONAL_EXP
        let k = (-MAX_RATIONAL_EXP - e) as usize;
        let frac = if mant.len() > k {
            let (a, b) = mant.split_at(mant.len() - k);
            format!("{a}.{b}")
        } else {
            format!("0.{}{mant}", "0".repeat(k - mant.len()))
        };
        format!("{frac}e-{MAX_RATIONAL_EXP}")
    } else {
        format!("{mant}e{e}")
    };
    // Digits before the decimal point in plain notation.
    let int_digits = len + e;
    let plain_len = if e >= 0 {
        len + e
    } else if int_digits > 0 {
        len + 1
    } else {
        2 - int_digits + len
    };
    if plain_len > 10 && plain_len > sci.len() as i64 {
        return Some(sci);
    }
    let plain = if e >= 0 {
        let mut s = mant.to_string();
        s.extend(std::iter::repeat_n('0', e as usize));
        s
    } else if int_digits > 0 {
        let (a, b) = mant.split_at(int_digits as usize);
        format!("{a}.{b}")
    } else {
        let mut s = String::from("0.");
        s.extend(std::iter::repeat_n('0', (-int_digits) as usize));
        s.push_str(mant);
        s
    };
    Some(plain)
}
