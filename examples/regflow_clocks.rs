//! The regression flow's clocks measured (docs/math.md §12.2): steps, rejected steps and
//! RHS evaluations to reach the limit to 30 digits (tail bound) on a fixed N = 3, d = 6
//! problem, for s = ln(1 + t), t and the residual clock sigma = ln(L0/L), at alpha =
//! 1e-3, 1e-30, 1e-100, 1e-300 and D = 2, 3:
//! `cargo run --release --example regflow_clocks [max_steps]`.

use ibcert::flow::regression::{regression_run_capped, Clock, RegProblem, RegStop};
use ibcert::flow::{default_stages, Numerics};
use ibcert::num::ten_pow_neg;
use rug::ops::Pow;
use rug::{Integer, Rational};
use std::time::Instant;

/// The N = 3, d = 6 problem of tests/regression_flow.rs: entries k/8, k in [-8, 8].
fn problem() -> (Vec<Vec<Rational>>, Vec<Rational>) {
    let mut s = 20260u64;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        Rational::from((((s >> 33) % 17) as i64 - 8, 8))
    };
    let pts: Vec<Vec<Rational>> = (0..3).map(|_| (0..6).map(|_| next()).collect()).collect();
    let y: Vec<Rational> = (0..3).map(|_| next()).collect();
    (pts, y)
}

fn main() {
    let max_steps: u64 = std::env::args()
        .nth(1)
        .map_or(3000, |a| a.parse().expect("max_steps"));
    let only: Option<String> = std::env::args().nth(2);
    let (pts, y) = problem();
    let tol = ten_pow_neg(32);
    let numerics = Numerics {
        prec: 192,
        stages: default_stages(&tol),
        tol,
    };
    println!("clock | D | alpha | steps | rejected | RHS | wall s | t end | tail digits");
    for clock in [Clock::LogTime, Clock::Residual, Clock::Time] {
        if only.as_deref().is_some_and(|o| o != format!("{clock:?}")) {
            continue;
        }
        for depth in [2u32, 3] {
            for k in [3u32, 30, 100, 300] {
                let alpha = Rational::from((1, Integer::from(10).pow(k)));
                let prob = RegProblem {
                    points: &pts,
                    y: &y,
                    depth,
                    alpha: &alpha,
                    anchors: &[],
                };
                let t0 = Instant::now();
                match regression_run_capped(
                    &prob,
                    &numerics,
                    &RegStop::Limit(30),
                    clock,
                    Some(max_steps),
                ) {
                    Ok(run) => println!(
                        "{} | {depth} | 1e-{k} | {} | {} | {} | {:.1} | {} | {}",
                        clock.name(),
                        run.stats.accepted,
                        run.stats.rejected,
                        run.stats.rhs_evals,
                        t0.elapsed().as_secs_f64(),
                        run.t
                            .as_ref()
                            .map_or("-".into(), |t| ibcert::num::fmt_sig(t, 4)),
                        run.tail.as_ref().map_or(0, |t| t.digits)
                    ),
                    Err(e) => println!(
                        "{} | {depth} | 1e-{k} | failed after {:.1} s: {e}",
                        clock.name(),
                        t0.elapsed().as_secs_f64()
                    ),
                }
            }
        }
    }
}
