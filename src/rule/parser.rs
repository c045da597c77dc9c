//! The recursive-descent parser of the stop-rule language.

use crate::num::exact::parse_rational;

use super::lexer::{lex, Tok};
use super::{BinOp, ExprError, Func, Node, Var, MAX_DEPTH};

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
/// [`Expr::new`](super::Expr::new) parses without one).
pub(super) fn parse_with_limit(s: &str, max_len: Option<usize>) -> PResult<Node> {
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
