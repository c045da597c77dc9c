//! Stopping-rule expressions: a small, total parser and an MPFR evaluator.
//!
//! Case files declare stopping rules `gt(alpha)` as expressions in the
//! variables `alpha`, `D` (the depth) and `mu`, e.g. `alpha^D * log(alpha) / mu`.
//! This module parses such text into an [`Expr`] (a hand-written recursive
//! descent parser that never panics and bounds its input) and evaluates it in
//! MPFR at a requested precision.
//!
//! # Grammar
//!
//! ```text
//! expr    := term (('+' | '-') term)*            left-associative
//! term    := unary (('*' | '/') unary)*          left-associative
//! unary   := '-' unary | power
//! power   := primary ('^' unary)?                right-associative: 2^3^2 = 2^(3^2)
//! primary := number | variable | function '(' args ')' | '(' expr ')'
//! args    := (expr (',' expr)*)?
//! number  := (digit+ ('.' digit*)? | '.' digit+) (('e' | 'E') ('+' | '-')? digit+)?
//! variable:= 'alpha' | 'α' | 'D' | 'mu' | 'μ' | 'µ'          (case-sensitive)
//! function:= 'log' | 'ln' | 'log10' | 'exp' | 'sqrt'          (one argument)
//!          | 'min' | 'max'                                   (two arguments)
//! ```
//!
//! `^` binds tighter than unary minus (`-a^2 = -(a^2)`, `2^-1 = 0.5`); `log`
//! and `ln` are the natural logarithm. Whitespace is allowed between tokens.
//! Numbers are read exactly with [`parse_rational`] (`0.1` is 1/10).
//!
//! Limits: at most [`MAX_LEN`] characters and at most [`MAX_DEPTH`] levels of
//! nesting, where every operand of a unary minus, every exponent, every
//! parenthesised group and every function argument opens a level (so
//! `alpha^(2*D)` has depth 3). Deeper input is rejected, never recursed into.
//!
//! # Canonical form
//!
//! [`Expr`]'s `Display` writes a canonical form with the minimal parentheses
//! (`alpha^D * log(alpha) / mu`, `2^3^2`, `(2^3)^2`, `a - (b - c)`, `-(a * b)`),
//! ASCII names (`α` becomes `alpha`, `ln` becomes `log`) and canonical numbers
//! (`1e-3` becomes `0.001`, `1.50` becomes `1.5`; the written exponent stays
//! within the limit of `parse_rational`, so `.5e-100000` is `0.5e-100000`).
//! Parsing the canonical form
//! gives back an equal tree for every [`Expr`] (within [`MAX_LEN`]; the
//! canonical form puts spaces around `+ - * /`, so it can be longer than a
//! terse input).
//!
//! # Evaluation
//!
//! [`Expr::eval`] works at `prec + 32` bits ([`GUARD_BITS`]): every literal,
//! variable and primitive (`+ - * /`, `^`, `log`, `log10`, `exp`, `sqrt`) is a
//! single correctly rounded MPFR operation at that working precision, and the
//! final result is rounded to `prec` bits. The result is therefore accurate to
//! about `prec` bits unless the expression itself cancels catastrophically
//! (loses more than the 32 guard bits, as in `(alpha + 1e-50) - alpha`).
//! Integer-valued exponents use MPFR's integer powering (`mpfr_pow_si`), so
//! `alpha^D` is exact whenever it is representable. Everything is
//! deterministic: the same inputs and precision give bit-identical results.
//!
//! Undefined or non-finite results are errors ([`EvalError`]) naming the
//! operation and the offending subexpression: the log of a non-positive
//! number, the square root of a negative one, division by zero, a negative
//! base with a non-integer exponent, overflow to infinity, underflow of a
//! nonzero value to zero, NaN.

mod display;
mod eval;
mod lexer;
mod parser;
#[cfg(test)]
mod tests;

use std::str::FromStr;

use rug::Rational;

// Named by the module documentation.
#[cfg(doc)]
use crate::num::exact::parse_rational;

use display::canonical_number;
use parser::parse_with_limit;

/// Maximum input length in characters.
pub const MAX_LEN: usize = 1000;
/// Maximum nesting depth (see the module documentation for what counts).
pub const MAX_DEPTH: usize = 64;
/// Extra bits of working precision used by [`Expr::eval`].
pub const GUARD_BITS: u32 = 32;

/// A variable of a stopping rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Var {
    /// The initialization scale `alpha` (also written `α`).
    Alpha,
    /// The network depth `D`.
    Depth,
    /// The parameter `mu` (also written `μ`); optional at evaluation time.
    Mu,
}

impl Var {
    /// All variables, in canonical order.
    pub const ALL: [Var; 3] = [Var::Alpha, Var::Depth, Var::Mu];

    /// The canonical (ASCII) name.
    pub fn name(self) -> &'static str {
        match self {
            Var::Alpha => "alpha",
            Var::Depth => "D",
            Var::Mu => "mu",
        }
    }

    fn from_name(name: &str) -> Option<Var> {
        match name {
            "alpha" | "α" => Some(Var::Alpha),
            "D" => Some(Var::Depth),
            // U+03BC GREEK SMALL LETTER MU and U+00B5 MICRO SIGN.
            "mu" | "μ" | "µ" => Some(Var::Mu),
            _ => None,
        }
    }
}

/// A one-argument function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Func {
    /// Natural logarithm (`log` or `ln`).
    Log,
    /// Decimal logarithm.
    Log10,
    /// Exponential.
    Exp,
    /// Square root.
    Sqrt,
}

impl Func {
    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Func::Log => "log",
            Func::Log10 => "log10",
            Func::Exp => "exp",
            Func::Sqrt => "sqrt",
        }
    }
}

/// A two-operand operation (`min` and `max` are written as functions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Min,
    Max,
}

impl BinOp {
    fn describe(self) -> &'static str {
        match self {
            BinOp::Add => "addition",
            BinOp::Sub => "subtraction",
            BinOp::Mul => "multiplication",
            BinOp::Div => "division",
            BinOp::Pow => "power",
            BinOp::Min => "min",
            BinOp::Max => "max",
        }
    }
}

/// A node of the expression tree.
///
/// Trees built by hand must go through [`Expr::new`], which checks that they
/// have a canonical text form (literals are non-negative terminating
/// decimals; negation is [`Node::Neg`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    /// An exact literal (non-negative, with a terminating decimal expansion).
    Num(Rational),
    Var(Var),
    Neg(Box<Node>),
    Func(Func, Box<Node>),
    Bin(BinOp, Box<Node>, Box<Node>),
}

/// A parsed stopping-rule expression. See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Expr {
    root: Node,
}

/// Why an expression could not be parsed. Positions are character offsets
/// (counting Unicode scalar values, starting at 0) into the input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExprError {
    #[error("empty expression")]
    Empty,
    #[error("expression too long: more than {max} characters")]
    TooLong { pos: usize, max: usize },
    #[error("at character {pos}: expression nested more than {max} levels deep")]
    TooDeep { pos: usize, max: usize },
    #[error("at character {pos}: unexpected character {ch:?}")]
    UnexpectedChar { pos: usize, ch: char },
    #[error("at character {pos}: unexpected {found}, expected {expected}")]
    UnexpectedToken {
        pos: usize,
        found: String,
        expected: &'static str,
    },
    #[error("at character {pos}: unexpected end of expression, expected {expected}")]
    UnexpectedEnd { pos: usize, expected: &'static str },
    #[error("at character {pos}: unknown variable `{name}` (the variables are alpha, D and mu)")]
    UnknownVariable { pos: usize, name: String },
    #[error(
        "at character {pos}: unknown function `{name}` (the functions are log, ln, log10, exp, sqrt, min and max)"
    )]
    UnknownFunction { pos: usize, name: String },
    #[error("at character {pos}: `{name}` takes {expected} argument(s), got {found}")]
    ArgCount {
        pos: usize,
        name: String,
        expected: usize,
        found: usize,
    },
    #[error("at character {pos}: bad number `{text}`: {reason}")]
    BadNumber {
        pos: usize,
        text: String,
        reason: String,
    },
    /// A hand-built tree rejected by [`Expr::new`].
    #[error("invalid expression tree: {reason}")]
    InvalidTree { reason: String },
}

impl ExprError {
    /// The character offset the error refers to (`None` for [`ExprError::InvalidTree`]).
    pub fn pos(&self) -> Option<usize> {
        match self {
            ExprError::Empty => Some(0),
            ExprError::TooLong { pos, .. }
            | ExprError::TooDeep { pos, .. }
            | ExprError::UnexpectedChar { pos, .. }
            | ExprError::UnexpectedToken { pos, .. }
            | ExprError::UnexpectedEnd { pos, .. }
            | ExprError::UnknownVariable { pos, .. }
            | ExprError::UnknownFunction { pos, .. }
            | ExprError::ArgCount { pos, .. }
            | ExprError::BadNumber { pos, .. } => Some(*pos),
            ExprError::InvalidTree { .. } => None,
        }
    }
}

/// Why an expression could not be evaluated. `op` names the operation and
/// `at` is the canonical text of the failing subexpression.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    #[error("the expression uses `{name}` but no value for {name} was given")]
    MissingVariable { name: &'static str },
    #[error("{op} undefined in `{at}`: {reason}")]
    Domain {
        op: &'static str,
        at: String,
        reason: String,
    },
    #[error("division by zero in {op} `{at}`")]
    DivisionByZero { op: &'static str, at: String },
    #[error("overflow to infinity in {op} `{at}`")]
    Overflow { op: &'static str, at: String },
    #[error("underflow: {op} `{at}` is nonzero but too small to represent")]
    Underflow { op: &'static str, at: String },
    #[error("{op} `{at}` is not a number (NaN)")]
    NaN { op: &'static str, at: String },
    #[error("precision {prec} bits out of range [{min}, {max}]")]
    Precision { prec: u32, min: u32, max: u32 },
    #[error("alphas must be strictly increasing, but alphas[{index}] <= alphas[{}]", index - 1)]
    UnsortedAlphas { index: usize },
}

// ---------------------------------------------------------------------------
// Expr API (evaluation is in eval.rs)

impl Expr {
    /// Parses an expression (see the module documentation for the grammar
    /// and limits). Never panics.
    pub fn parse(s: &str) -> Result<Expr, ExprError> {
        parse_with_limit(s, Some(MAX_LEN)).map(|root| Expr { root })
    }

    /// Wraps a hand-built tree after checking that it has a canonical text
    /// form: at most [`MAX_LEN`] nodes, literals non-negative terminating
    /// decimals (write `-3` as `Neg(Num(3))` and `1/3` as a division), and a
    /// canonical form that re-parses to the same tree within [`MAX_DEPTH`].
    pub fn new(root: Node) -> Result<Expr, ExprError> {
        // Iterative walk first, so that no recursion sees an oversized tree.
        let mut stack = vec![&root];
        let mut count = 0usize;
        while let Some(n) = stack.pop() {
            count += 1;
            if count > MAX_LEN {
                return Err(ExprError::InvalidTree {
                    reason: format!("more than {MAX_LEN} nodes"),
                });
            }
            match n {
                Node::Num(q) => {
                    if canonical_number(q).is_none() {
                        return Err(ExprError::InvalidTree {
                            reason: format!(
                                "literal {q} is not a non-negative terminating decimal"
                            ),
                        });
                    }
                }
                Node::Var(_) => {}
                Node::Neg(x) | Node::Func(_, x) => stack.push(x),
                Node::Bin(_, a, b) => {
                    stack.push(a);
                    stack.push(b);
                }
            }
        }
        let text = root.to_string();
        match parse_with_limit(&text, None) {
            Ok(back) if back == root => Ok(Expr { root }),
            Ok(_) => Err(ExprError::InvalidTree {
                reason: format!("canonical form `{text}` re-parses to a different tree"),
            }),
            Err(e) => Err(ExprError::InvalidTree {
                reason: format!("canonical form does not re-parse: {e}"),
            }),
        }
    }

    /// The root of the tree.
    pub fn node(&self) -> &Node {
        &self.root
    }

    /// The tree.
    pub fn into_node(self) -> Node {
        self.root
    }

    /// Canonical names of the variables that occur, in the order alpha, D, mu.
    pub fn variables(&self) -> Vec<&'static str> {
        let mut seen = [false; 3];
        let mut stack = vec![&self.root];
        while let Some(n) = stack.pop() {
            match n {
                Node::Num(_) => {}
                Node::Var(v) => seen[*v as usize] = true,
                Node::Neg(x) | Node::Func(_, x) => stack.push(x),
                Node::Bin(_, a, b) => {
                    stack.push(a);
                    stack.push(b);
                }
            }
        }
        Var::ALL
            .iter()
            .filter(|v| seen[**v as usize])
            .map(|v| v.name())
            .collect()
    }

    /// True when the variable occurs.
    pub fn uses(&self, var: Var) -> bool {
        self.variables().contains(&var.name())
    }
}

impl FromStr for Expr {
    type Err = ExprError;
    fn from_str(s: &str) -> Result<Expr, ExprError> {
        Expr::parse(s)
    }
}

impl serde::Serialize for Expr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Expr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Expr, D::Error> {
        let s = String::deserialize(d)?;
        Expr::parse(&s).map_err(serde::de::Error::custom)
    }
}
