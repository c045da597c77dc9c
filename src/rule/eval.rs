//! MPFR evaluation of expressions and the monotonicity check.

use rug::ops::Pow;
use rug::{Float, Rational};

use crate::num::{fmt_sig, from_rational};

use super::{BinOp, EvalError, Expr, Func, Node, Var, GUARD_BITS};

impl Expr {
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
