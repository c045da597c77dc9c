use ibcert::case::Case;
use ibcert::flow::run::{default_stages, run_verified, Numerics, StopRule, Summary};
use ibcert::flow::DiagFlow;
use ibcert::num::exact::parse_rational;
use std::path::Path;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let case = Case::load(Path::new(&a[1])).unwrap();
    let alpha = parse_rational(&a[2]).unwrap();
    let gt = parse_rational(&a[3]).unwrap();
    let tol = parse_rational(&a[4]).unwrap();
    let prec: u32 = a[5].parse().unwrap();
    let stages = a
        .get(6)
        .map(|s| s.parse().unwrap())
        .unwrap_or(default_stages(&tol));
    let num = Numerics { prec, tol, stages };
    let t = std::time::Instant::now();
    let v = run_verified(
        &case.z(),
        case.depth,
        &alpha,
        &StopRule::Gt(gt),
        &num,
        &[],
        a.get(7).is_some(),
        |_, _| {},
    )
    .unwrap();
    println!(
        "stages {stages} main {:?} wall {:?} total {:?} digits {:?}",
        v.main.stats,
        v.main.wall,
        t.elapsed(),
        v.digits
    );
    if let Some(c) = &v.check {
        println!("check {:?} {:?}", c.stats, c.wall);
    }
    let flow = DiagFlow::new(&case.z(), case.depth, &alpha, prec);
    let s = Summary::at(&flow, &v.main.gt, &v.main.y);
    println!(
        "gamma {} drift_rel {}",
        ibcert::num::fmt_sig(&s.gamma, 20),
        ibcert::num::fmt_sig(&s.drift_rel, 5)
    );
    for x in &s.w_hat {
        print!("{} ", ibcert::num::fmt_sig(x, 12));
    }
    println!();
}
