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

use std::fmt;
use std::str::FromStr;

use rug::ops::Pow;
use rug::{Float, Integer, Rational};

use crate::num::exact::{parse_rational, MAX_RATIONAL_EXP};
use crate::num::{fmt_sig, from_rational};

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
// Lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(String),
    Ident(String),
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    /// A character that starts no token.
    Bad(char),
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Num(s) => format!("number `{s}`"),
            Tok::Ident(s) => format!("`{s}`"),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Plus => "`+`".into(),
            Tok::Minus => "`-`".into(),
            Tok::Star => "`*`".into(),
            Tok::Slash => "`/`".into(),
            Tok::Caret => "`^`".into(),
            Tok::Bad(c) => format!("character {c:?}"),
            Tok::End => "end of expression".into(),
        }
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits `chars` into tokens with their character offsets. Lexing stops at
/// the first character that starts no token (emitted as [`Tok::Bad`]); the
/// list always ends with [`Tok::End`] or [`Tok::Bad`].
fn lex(chars: &[char]) -> Vec<(Tok, usize)> {
    let mut out = Vec::new();
    let n = chars.len();
    let mut i = 0;
    let digit_at = |j: usize| j < n && chars[j].is_ascii_digit();
    while i < n {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let tok = match c {
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            ',' => Tok::Comma,
            '+' => Tok::Plus,
            '-' => Tok::Minus,
            '*' => Tok::Star,
            '/' => Tok::Slash,
            '^' => Tok::Caret,
            _ if c.is_ascii_digit() || (c == '.' && digit_at(i + 1)) => {
                while digit_at(i) {
                    i += 1;
                }
                if i < n && chars[i] == '.' {
                    i += 1;
                    while digit_at(i) {
                        i += 1;
                    }
                }
                if i < n && (chars[i] == 'e' || chars[i] == 'E') {
                    let sign = i + 1 < n && (chars[i + 1] == '+' || chars[i + 1] == '-');
                    let first = if sign { i + 2 } else { i + 1 };
                    if digit_at(first) {
                        i = first;
                        while digit_at(i) {
                            i += 1;
                        }
                    }
                }
                out.push((Tok::Num(chars[start..i].iter().collect()), start));
                continue;
            }
            _ if is_ident_start(c) => {
                while i < n && is_ident_continue(chars[i]) {
                    i += 1;
                }
                out.push((Tok::Ident(chars[start..i].iter().collect()), start));
                continue;
            }
            _ => {
                out.push((Tok::Bad(c), start));
                return out;
            }
        };
        out.push((tok, start));
        i += 1;
    }
    out.push((Tok::End, n));
    out
}

// ---------------------------------------------------------------------------
// Parser

const EXPECT_OPERAND: &str = "a number, a variable, a function or `(`";
const EXPECT_OPERATOR: &str = "an operator or the end of the expression";

struct Parser {
    toks: Vec<(Tok, usize)>,
    at: usize,
    depth: usize,
}

type PResult<T> = Result<T, ExprError>;

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.at].0
    }

    fn pos(&self) -> usize {
        self.toks[self.at].1
    }

    /// Consumes the current token (never moves past the final one).
    fn bump(&mut self) -> (Tok, usize) {
        let t = self.toks[self.at].clone();
        if self.at + 1 < self.toks.len() {
            self.at += 1;
        }
        t
    }

    /// The error for the current token when `expected` was wanted.
    fn unexpected(&self, expected: &'static str) -> ExprError {
        let pos = self.pos();
        match self.peek() {
            Tok::End => ExprError::UnexpectedEnd { pos, expected },
            Tok::Bad(ch) => ExprError::UnexpectedChar { pos, ch: *ch },
            t => ExprError::UnexpectedToken {
                pos,
                found: t.describe(),
                expected,
            },
        }
    }

    fn expect(&mut self, tok: Tok, expected: &'static str) -> PResult<()> {
        if *self.peek() == tok {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn expr(&mut self) -> PResult<Node> {
        let mut lhs = self.term()?;
        loop {
            let op = match self.peek() {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.term()?;
            lhs = Node::Bin(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn term(&mut self) -> PResult<Node> {
        let mut lhs = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.unary()?;
            lhs = Node::Bin(op, Box::new(lhs), Box::new(rhs));
        }
    }

    /// Every recursion of the grammar passes through here, so this is where
    /// the depth limit is enforced.
    fn unary(&mut self) -> PResult<Node> {
        if self.depth >= MAX_DEPTH {
            return Err(ExprError::TooDeep {
                pos: self.pos(),
                max: MAX_DEPTH,
            });
        }
        self.depth += 1;
        let r = if *self.peek() == Tok::Minus {
            self.bump();
            self.unary().map(|x| Node::Neg(Box::new(x)))
        } else {
            self.power()
        };
        self.depth -= 1;
        r
    }

    fn power(&mut self) -> PResult<Node> {
        let base = self.primary()?;
        if *self.peek() == Tok::Caret {
            self.bump();
            let exp = self.unary()?;
            Ok(Node::Bin(BinOp::Pow, Box::new(base), Box::new(exp)))
        } else {
            Ok(base)
        }
    }

    fn primary(&mut self) -> PResult<Node> {
        match self.peek().clone() {
            Tok::Num(text) => {
                let pos = self.pos();
                self.bump();
                parse_rational(&text)
                    .map(Node::Num)
                    .map_err(|reason| ExprError::BadNumber { pos, text, reason })
            }
            Tok::Ident(name) => {
                let pos = self.pos();
                self.bump();
                self.ident(name, pos)
            }
            Tok::LParen => {
                self.bump();
                let e = self.expr()?;
                self.expect(Tok::RParen, "`)`")?;
                Ok(e)
            }
            _ => Err(self.unexpected(EXPECT_OPERAND)),
        }
    }

    fn ident(&mut self, name: String, pos: usize) -> PResult<Node> {
        if let Some(v) = Var::from_name(&name) {
            return Ok(Node::Var(v));
        }
        let (arity, canonical) = match name.as_str() {
            "log" | "ln" => (1, "log"),
            "log10" => (1, "log10"),
            "exp" => (1, "exp"),
            "sqrt" => (1, "sqrt"),
            "min" => (2, "min"),
            "max" => (2, "max"),
            _ => {
                return Err(if *self.peek() == Tok::LParen {
                    ExprError::UnknownFunction { pos, name }
                } else {
                    ExprError::UnknownVariable { pos, name }
                })
            }
        };
        self.expect(Tok::LParen, "`(` after a function name")?;
        let mut args = Vec::new();
        if *self.peek() == Tok::RParen {
            self.bump();
        } else {
            loop {
                args.push(self.expr()?);
                match self.peek() {
                    Tok::Comma => {
                        self.bump();
                    }
                    Tok::RParen => {
                        self.bump();
                        break;
                    }
                    _ => return Err(self.unexpected("`,` or `)`")),
                }
            }
        }
        if args.len() != arity {
            return Err(ExprError::ArgCount {
                pos,
                name,
                expected: arity,
                found: args.len(),
            });
        }
        let mut args = args.into_iter().map(Box::new);
        let a = args.next().expect("arity checked");
        Ok(match canonical {
            "log" => Node::Func(Func::Log, a),
            "log10" => Node::Func(Func::Log10, a),
            "exp" => Node::Func(Func::Exp, a),
            "sqrt" => Node::Func(Func::Sqrt, a),
            _ => {
                let b = args.next().expect("arity checked");
                let op = if canonical == "min" {
                    BinOp::Min
                } else {
                    BinOp::Max
                };
                Node::Bin(op, a, b)
            }
        })
    }
}

/// Parses with an optional length limit (the canonical-form check of
/// [`Expr::new`] parses without one).
fn parse_with_limit(s: &str, max_len: Option<usize>) -> PResult<Node> {
    if let Some(max) = max_len {
        if s.chars().nth(max).is_some() {
            return Err(ExprError::TooLong { pos: max, max });
        }
    }
    let chars: Vec<char> = s.chars().collect();
    if chars.iter().all(|c| c.is_whitespace()) {
        return Err(ExprError::Empty);
    }
    let mut p = Parser {
        toks: lex(&chars),
        at: 0,
        depth: 0,
    };
    let node = p.expr()?;
    if *p.peek() != Tok::End {
        return Err(p.unexpected(EXPECT_OPERATOR));
    }
    Ok(node)
}

// ---------------------------------------------------------------------------
// Canonical display

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
fn canonical_number(q: &Rational) -> Option<String> {
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

// ---------------------------------------------------------------------------
// Expr API

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

    /// Evaluates at `alpha`, depth `D = depth` and `mu` (needed only when the
    /// expression uses `mu`), returning a float of precision `prec`.
    ///
    /// Works at `prec +` [`GUARD_BITS`] bits with correctly rounded MPFR
    /// primitives and rounds the result to `prec`; deterministic. Undefined
    /// or non-finite results are errors naming the operation (see
    /// [`EvalError`]).
    pub fn eval(
        &self,
        alpha: &Rational,
        depth: u32,
        mu: Option<&Rational>,
        prec: u32,
    ) -> Result<Float, EvalError> {
        let (min, max) = (rug::float::prec_min(), rug::float::prec_max());
        if !(min..=max).contains(&prec) {
            return Err(EvalError::Precision { prec, min, max });
        }
        let wp = prec.saturating_add(GUARD_BITS).min(max);
        let mu = match mu {
            Some(m) => Some(from_rational(wp, m)),
            None if self.uses(Var::Mu) => return Err(EvalError::MissingVariable { name: "mu" }),
            None => None,
        };
        let env = Env {
            wp,
            alpha: from_rational(wp, alpha),
            depth: Float::with_val(wp, depth),
            mu,
        };
        let v = eval_node(&self.root, &env)?;
        let out = Float::with_val(prec, &v);
        if out.is_infinite() {
            return Err(EvalError::Overflow {
                op: "final rounding",
                at: self.to_string(),
            });
        }
        Ok(out)
    }

    /// True when the values at the given strictly increasing `alphas`, each
    /// computed by [`Expr::eval`] at precision `prec`, are strictly
    /// increasing (values equal after rounding to `prec` count as not
    /// increasing). Fewer than two alphas give `true`. Errors when the alphas
    /// are not strictly increasing or an evaluation fails.
    pub fn increasing_on(
        &self,
        alphas: &[Rational],
        depth: u32,
        mu: Option<&Rational>,
        prec: u32,
    ) -> Result<bool, EvalError> {
        if let Some(i) = (1..alphas.len()).find(|&i| alphas[i] <= alphas[i - 1]) {
            return Err(EvalError::UnsortedAlphas { index: i });
        }
        let mut prev: Option<Float> = None;
        let mut increasing = true;
        for a in alphas {
            let v = self.eval(a, depth, mu, prec)?;
            if let Some(p) = &prev {
                if v <= *p {
                    increasing = false;
                }
            }
            prev = Some(v);
        }
        Ok(increasing)
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

// ---------------------------------------------------------------------------
// Evaluation

struct Env {
    wp: u32,
    alpha: Float,
    depth: Float,
    mu: Option<Float>,
}

fn show(x: &Float) -> String {
    fmt_sig(x, 6)
}

/// Turns a non-finite or underflowed result of `op` into an error.
/// `nonzero` says whether the exact result is known to be nonzero.
fn check(op: &'static str, node: &Node, r: Float, nonzero: bool) -> Result<Float, EvalError> {
    if r.is_nan() {
        Err(EvalError::NaN {
            op,
            at: node.to_string(),
        })
    } else if r.is_infinite() {
        Err(EvalError::Overflow {
            op,
            at: node.to_string(),
        })
    } else if nonzero && r.is_zero() {
        Err(EvalError::Underflow {
            op,
            at: node.to_string(),
        })
    } else {
        Ok(r)
    }
}

fn domain(op: &'static str, node: &Node, reason: String) -> EvalError {
    EvalError::Domain {
        op,
        at: node.to_string(),
        reason,
    }
}

fn eval_node(node: &Node, env: &Env) -> Result<Float, EvalError> {
    let wp = env.wp;
    match node {
        Node::Num(q) => Ok(from_rational(wp, q)),
        Node::Var(Var::Alpha) => Ok(env.alpha.clone()),
        Node::Var(Var::Depth) => Ok(env.depth.clone()),
        Node::Var(Var::Mu) => env
            .mu
            .clone()
            .ok_or(EvalError::MissingVariable { name: "mu" }),
        Node::Neg(x) => Ok(-eval_node(x, env)?),
        Node::Func(func, x) => {
            let x = eval_node(x, env)?;
            match func {
                Func::Log | Func::Log10 => {
                    let name = func.name();
                    if x <= 0 {
                        return Err(domain(
                            name,
                            node,
                            format!("logarithm of a non-positive number ({})", show(&x)),
                        ));
                    }
                    let r = if *func == Func::Log {
                        Float::with_val(wp, x.ln_ref())
                    } else {
                        Float::with_val(wp, x.log10_ref())
                    };
                    check(name, node, r, false)
                }
                Func::Exp => check("exp", node, Float::with_val(wp, x.exp_ref()), true),
                Func::Sqrt => {
                    if x < 0 {
                        return Err(domain(
                            "sqrt",
                            node,
                            format!("square root of a negative number ({})", show(&x)),
                        ));
                    }
                    check("sqrt", node, Float::with_val(wp, x.sqrt_ref()), false)
                }
            }
        }
        Node::Bin(op, a, b) => {
            let x = eval_node(a, env)?;
            let y = eval_node(b, env)?;
            let name = op.describe();
            match op {
                BinOp::Add => check(name, node, Float::with_val(wp, &x + &y), false),
                BinOp::Sub => check(name, node, Float::with_val(wp, &x - &y), false),
                BinOp::Mul => {
                    let nonzero = !x.is_zero() && !y.is_zero();
                    check(name, node, Float::with_val(wp, &x * &y), nonzero)
                }
                BinOp::Div => {
                    if y.is_zero() {
                        return Err(EvalError::DivisionByZero {
                            op: name,
                            at: node.to_string(),
                        });
                    }
                    let nonzero = !x.is_zero();
                    check(name, node, Float::with_val(wp, &x / &y), nonzero)
                }
                BinOp::Pow => pow(node, &x, &y, wp),
                BinOp::Min => Ok(if y < x { y } else { x }),
                BinOp::Max => Ok(if y > x { y } else { x }),
            }
        }
    }
}

/// `x^y` at precision `wp`; integer-valued exponents that fit in an `i64`
/// use MPFR's integer powering.
fn pow(node: &Node, x: &Float, y: &Float, wp: u32) -> Result<Float, EvalError> {
    let name = "power";
    if x.is_zero() && *y < 0 {
        return Err(EvalError::DivisionByZero {
            op: name,
            at: node.to_string(),
        });
    }
    let integer = y.is_integer();
    if *x < 0 && !integer {
        return Err(domain(
            name,
            node,
            format!(
                "negative base ({}) with a non-integer exponent ({})",
                show(x),
                show(y)
            ),
        ));
    }
    let small = integer && y.get_exp().is_none_or(|e| e <= 62);
    let r = match small
        .then(|| y.to_integer().and_then(|n| n.to_i64()))
        .flatten()
    {
        Some(n) => Float::with_val(wp, x.pow(n)),
        None => Float::with_val(wp, x.pow(y)),
    };
    check(name, node, r, !x.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Expr {
        Expr::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn q(s: &str) -> Rational {
        parse_rational(s).unwrap()
    }

    #[test]
    fn lexes_numbers_like_parse_rational() {
        for (s, v) in [
            ("0.5", "1/2"),
            (".5", "1/2"),
            ("2.", "2"),
            ("1e-3", "1/1000"),
            ("1E+3", "1000"),
            ("12.50e1", "125"),
        ] {
            assert_eq!(p(s).node(), &Node::Num(q(v)), "{s}");
        }
        // `2e` is the number 2 followed by the unknown variable `e`.
        assert!(matches!(
            Expr::parse("2e"),
            Err(ExprError::UnexpectedToken { pos: 1, .. })
        ));
        assert!(matches!(
            Expr::parse("1e999999"),
            Err(ExprError::BadNumber { pos: 0, .. })
        ));
        assert!(matches!(
            Expr::parse("."),
            Err(ExprError::UnexpectedChar { pos: 0, ch: '.' })
        ));
    }

    #[test]
    fn canonical_numbers() {
        for (v, s) in [
            ("0", "0"),
            ("1/2", "0.5"),
            ("1/1000", "0.001"),
            ("100", "100"),
            ("1e9", "1000000000"),
            ("1e10", "1e10"),
            ("1e-9", "1e-9"),
            ("12345678901", "12345678901"),
            ("1234/100", "12.34"),
            ("3/8", "0.375"),
        ] {
            assert_eq!(canonical_number(&q(v)).as_deref(), Some(s), "{v}");
        }
        assert_eq!(canonical_number(&q("1/3")), None);
        assert_eq!(canonical_number(&q("-1")), None);
        // A huge exponent renders compactly without materializing digits.
        assert_eq!(canonical_number(&q("1e99999")).as_deref(), Some("1e99999"));
    }

    #[test]
    fn unicode_and_aliases() {
        assert_eq!(p("α^D / μ"), p("alpha^D / mu"));
        assert_eq!(p("µ"), p("mu"));
        assert_eq!(p("ln(α)").to_string(), "log(alpha)");
    }

    #[test]
    fn depth_counting() {
        // alpha^(2*D): unary > pow exponent unary > paren expr unary.
        let deep = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
        assert!(Expr::parse(&deep(MAX_DEPTH - 1)).is_ok());
        assert!(matches!(
            Expr::parse(&deep(MAX_DEPTH)),
            Err(ExprError::TooDeep { .. })
        ));
        let negs = format!("{}1", "-".repeat(MAX_DEPTH - 1));
        assert!(Expr::parse(&negs).is_ok());
        let negs = format!("{}1", "-".repeat(MAX_DEPTH));
        assert!(matches!(
            Expr::parse(&negs),
            Err(ExprError::TooDeep { pos: 64, max: 64 })
        ));
        // Long flat chains are not nesting.
        let chain = vec!["1"; 400].join("+");
        assert!(Expr::parse(&chain).is_ok());
    }

    #[test]
    fn worst_case_inputs_fit_a_small_stack() {
        // Maximal nesting, maximal flat chains and their mixture, on a
        // thread with a 512 KiB stack: parse, display, new and eval.
        let inputs = [
            format!("{}alpha{}", "(".repeat(63), ")".repeat(63)),
            format!("{}alpha", "-".repeat(63)),
            vec!["2"; 32].join("^"),
            vec!["alpha"; 166].join("-"),
            format!(
                "{}{}{}",
                "(".repeat(60),
                vec!["1"; 440].join("-"),
                ")".repeat(60)
            ),
            format!("{}1{}", "log(".repeat(63), ")".repeat(63)),
        ];
        std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || {
                for s in &inputs {
                    assert!(s.chars().count() <= MAX_LEN, "{}", s.len());
                    let e = p(s);
                    let back = Expr::new(e.node().clone()).unwrap();
                    assert_eq!(back, e);
                    let _ = e.eval(&q("2"), 2, None, 64);
                }
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn new_rejects_non_canonical_trees() {
        assert!(Expr::new(Node::Num(q("-3"))).is_err());
        assert!(Expr::new(Node::Num(q("1/3"))).is_err());
        let mut n = Node::Var(Var::Alpha);
        for _ in 0..100 {
            n = Node::Neg(Box::new(n));
        }
        assert!(matches!(Expr::new(n), Err(ExprError::InvalidTree { .. })));
        let e = p("alpha^D * log(alpha) / mu");
        assert_eq!(Expr::new(e.node().clone()), Ok(e));
    }

    #[test]
    fn pow_paths() {
        let prec = 128;
        let v = |s: &str| p(s).eval(&q("3"), 2, None, prec).unwrap();
        assert_eq!(v("alpha^D"), 9);
        assert_eq!(v("(-2)^3"), -8);
        assert_eq!(v("2^-2"), Float::with_val(prec, 0.25f32));
        assert_eq!(v("0^0"), 1);
        assert_eq!(v("1^1e99999"), 1);
        assert!(matches!(
            p("alpha^1e99999").eval(&q("3"), 2, None, prec),
            Err(EvalError::Overflow { op: "power", .. })
        ));
        assert!(matches!(
            p("0.5^1e99999").eval(&q("3"), 2, None, prec),
            Err(EvalError::Underflow { op: "power", .. })
        ));
        assert!(matches!(
            p("(-2)^0.5").eval(&q("3"), 2, None, prec),
            Err(EvalError::Domain { op: "power", .. })
        ));
        assert!(matches!(
            p("0^-1").eval(&q("3"), 2, None, prec),
            Err(EvalError::DivisionByZero { op: "power", .. })
        ));
    }

    #[test]
    fn errors_name_the_subexpression() {
        let e = p("alpha + 1 / (D - 2)")
            .eval(&q("1"), 2, None, 64)
            .unwrap_err();
        assert_eq!(
            e,
            EvalError::DivisionByZero {
                op: "division",
                at: "1 / (D - 2)".into()
            }
        );
        assert!(e.to_string().contains("1 / (D - 2)"));
    }

    #[test]
    fn precision_bounds() {
        let e = p("alpha");
        assert!(matches!(
            e.eval(&q("1"), 2, None, 0),
            Err(EvalError::Precision { .. })
        ));
        assert_eq!(e.eval(&q("1"), 2, None, 1).unwrap(), 1);
    }
}
