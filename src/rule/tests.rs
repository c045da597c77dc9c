//! Unit tests of the stop-rule language.

use rug::{Float, Rational};

use crate::num::exact::parse_rational;

use super::display::canonical_number;
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
