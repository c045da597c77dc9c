//! Fuzz target: arbitrary bytes -> UTF-8 -> `Expr::parse`, and on success
//! evaluation at a few alphas, depths and mu at modest precision, plus the
//! canonical `Display` round trip. The same text also goes through the exact
//! number parsers `parse_rational` and `parse_decimal`.
//!
//! Property: never panics, hangs or allocates without bound.
#![no_main]

use ibcert::rule::{Expr, MAX_LEN};
use ibcert::num::exact::{parse_decimal, parse_rational};
use libfuzzer_sys::fuzz_target;
use rug::{Integer, Rational};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_rational(text);
    if let Ok(d) = parse_decimal(text) {
        let _ = d.to_rational();
        if d.is_positive() {
            let _ = d.ln(64);
        }
    }
    let e = match Expr::parse(text) {
        Ok(e) => e,
        Err(err) => {
            assert!(!err.to_string().is_empty());
            return;
        }
    };
    // Canonical form: re-parses to the same tree (within MAX_LEN), and the
    // tree is accepted by Expr::new.
    let canon = e.to_string();
    if canon.chars().count() <= MAX_LEN {
        assert_eq!(Expr::parse(&canon).as_ref(), Ok(&e), "canonical form {canon:?}");
    }
    assert_eq!(Expr::new(e.node().clone()).as_ref(), Ok(&e));
    let _ = e.variables();

    let alphas = [
        Rational::from((1, 1000)),
        Rational::from((1, 2)),
        Rational::from(3),
        Rational::from(Integer::from(Integer::u_pow_u(10, 30))),
    ];
    let mu = Rational::from((1, 10));
    for depth in [2u32, 7] {
        for mu in [None, Some(&mu)] {
            for a in &alphas {
                let _ = e.eval(a, depth, mu, 64);
            }
            let _ = e.increasing_on(&alphas, depth, mu, 96);
        }
    }
    let _ = e.eval(&alphas[1], u32::MAX, Some(&mu), 300);
});
