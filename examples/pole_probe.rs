//! Probe: the sparse regression case at depth D and alpha = 10^-k to the limit (30
//! digits, 256 bits, tol 1e-32, 20 stages, no verification) or to a time: steps,
//! rejections, RHS, the tail bound's digits and the agreement with the Q^D_alpha reference.
//! `cargo run --release --example pole_probe D k [max_attempts [t_end]]`.

use ibcert::case::Case;
use ibcert::flow::regression::{regression_run_capped, Clock, RegProblem, RegStop};
use ibcert::flow::Numerics;
use ibcert::num::ten_pow_neg;
use ibcert::reference::regression::q_alpha_limit;
use rug::ops::Pow;
use rug::{Integer, Rational};
use std::path::Path;
use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let depth: u32 = a[1].parse().expect("D");
    let k: u32 = a[2].parse().expect("k");
    let cap: u64 = a.get(3).map_or(100_000, |v| v.parse().expect("cap"));
    if a.get(4).map(String::as_str) == Some("ref") {
        let case = Case::load(Path::new("cases/regression_sparse.toml")).expect("case");
        let alpha = Rational::from((1, Integer::from(10).pow(k)));
        for pr in [320u32, 448, 640, 1024] {
            match q_alpha_limit(&case.points, &case.targets, depth, &alpha, pr) {
                Ok(r) => println!("prec {pr}: verified {} digits", r.verified_digits),
                Err(e) => println!("prec {pr}: {e}"),
            }
        }
        return;
    }
    let stop = match a.get(4) {
        Some(t) => RegStop::Time(t.parse::<Rational>().expect("t")),
        None => RegStop::Limit(30),
    };
    let case = Case::load(Path::new("cases/regression_sparse.toml")).expect("case");
    let alpha = Rational::from((1, Integer::from(10).pow(k)));
    let anchors = ibcert::reference::regression::limit_anchors(&case.points, &case.targets);
    let prob = RegProblem {
        points: &case.points,
        y: &case.targets,
        depth,
        alpha: &alpha,
        anchors: &anchors,
    };
    let numerics = Numerics {
        prec: 256,
        stages: 20,
        tol: ten_pow_neg(32),
    };
    let t0 = Instant::now();
    match regression_run_capped(&prob, &numerics, &stop, Clock::Time, Some(cap)) {
        Ok(run) => {
            let r =
                q_alpha_limit(&case.points, &case.targets, depth, &alpha, 640).expect("reference");
            let pr = r.solve.w[0].prec();
            let w: Vec<rug::Float> = run.w.iter().map(|v| rug::Float::with_val(pr, v)).collect();
            let agree = ibcert::num::agreeing_digits(&w, &r.solve.w, 200);
            println!(
            "D={depth} a=1e-{k}: {} steps ({} rej), {} RHS, {:.1} s, t={}, tail {}, agrees with Q_alpha to {agree} digits",
            run.stats.accepted,
            run.stats.rejected,
            run.stats.rhs_evals,
            t0.elapsed().as_secs_f64(),
            run.t
                .as_ref()
                .map_or("-".into(), |t| ibcert::num::fmt_sig(t, 4)),
            run.tail.as_ref().map_or(0, |t| t.digits)
        );
        }
        Err(e) => println!(
            "D={depth} a=1e-{k}: failed after {:.1} s: {e}",
            t0.elapsed().as_secs_f64()
        ),
    }
}
