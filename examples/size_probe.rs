//! The flow on the bench's random N x N data (D = 2, alpha = 1, 192 bits, tol 1e-30):
//! wall, steps, RHS evaluations and the end state's first coordinate, for before/after
//! comparisons of the per-step cost. Args: N gt [verify 0|1] [bits tol stages]
use ibcert::bench::scale::random_z;
use ibcert::flow::{default_stages, run_verified, Numerics, StopRule};
use ibcert::num::exact::parse_rational;
use rug::Rational;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let n: usize = a[1].parse().unwrap();
    let gt = parse_rational(&a[2]).unwrap();
    let verify = a.get(3).is_some_and(|v| v == "1");
    let z = random_z(n, n, 1);
    let tol = parse_rational(a.get(5).map_or("1e-30", |s| s)).unwrap();
    let numerics = Numerics {
        prec: a.get(4).map_or(192, |s| s.parse().unwrap()),
        stages: a
            .get(6)
            .map_or(default_stages(&tol), |s| s.parse().unwrap()),
        tol,
    };
    let v = run_verified(
        &z,
        2,
        &Rational::from(1),
        &StopRule::Gt(gt),
        &numerics,
        &[],
        verify,
        |_, _| {},
    )
    .unwrap();
    println!(
        "N {n}: main {:.2} s ({} steps, {} RHS, {} Newton), check {:.2} s, digits {:?}, nu1 {}",
        v.main.wall.as_secs_f64(),
        v.main.stats.accepted,
        v.main.stats.rhs_evals,
        v.main.stats.newton_iters,
        v.check.as_ref().map_or(0.0, |c| c.wall.as_secs_f64()),
        v.digits,
        v.main.y[0].to_string_radix(10, Some(40))
    );
}
