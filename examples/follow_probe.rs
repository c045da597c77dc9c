//! The verification that follows the main run's accepted half steps with more stages
//! (`Radau::follow`, docs/math.md §9.8) against the main run and an independent adaptive
//! verification: errors of the state against a run at 512 bits and a tolerance 10^-20
//! tighter, work counters and wall times (256 bits for the main run, 320 for both
//! verifications).
//! `cargo run --release --example follow_probe CASE ALPHA GT_END TOL_DIGITS STAGES EXTRA_STAGES`
use ibcert::case::Case;
use ibcert::flow::DiagFlow;
use ibcert::num::{from_rational, rel_diff_inf};
use ibcert::ode::radau::{Control, FollowState, Radau, RadauOptions, Segment, StepRecord};
use ibcert::ode::tableau::RadauTableau;
use ibcert::ode::Ode;
use rug::ops::Pow;
use rug::{Float, Rational};
use std::path::Path;
use std::time::Instant;

fn run(
    flow: &DiagFlow,
    s: usize,
    tol: &Rational,
    end: &Rational,
) -> (Vec<Float>, Vec<StepRecord>, f64, u64) {
    let p = flow.prec();
    let tab = RadauTableau::cached(s, p);
    let mut opts = RadauOptions::new(from_rational(p, tol));
    opts.max_steps = 100_000;
    let y0 = vec![Float::new(p); flow.dim()];
    let mut recs = Vec::new();
    let t = Instant::now();
    let out = Radau::new(flow, &tab, opts)
        .integrate(
            &flow.gt_start(),
            &y0,
            &from_rational(p, end),
            |seg: &Segment| {
                recs.push(StepRecord::of(seg));
                Control::Continue
            },
        )
        .unwrap();
    (out.y, recs, t.elapsed().as_secs_f64(), out.stats.rhs_evals)
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let case = Case::load(Path::new(&a[1])).unwrap();
    let alpha: Rational = a[2].parse().unwrap();
    let end: Rational = a[3].parse().unwrap();
    let d: u32 = a[4].parse().unwrap();
    let s: usize = a[5].parse().unwrap();
    let extra: usize = a[6].parse().unwrap();
    let tol = Rational::from((1, rug::Integer::from(10).pow(d)));
    let tol_v = Rational::from((1, rug::Integer::from(10).pow(d + 6)));
    let p = 256;
    let flow = DiagFlow::new(&case.z(), case.depth, &alpha, p);
    let (ym, recs, tm, rm) = run(&flow, s, &tol, &end);
    println!("main: {} segments, {rm} RHS, {tm:.3} s", recs.len());
    // reference: 512 bits, tol 1e-20 tighter, 24 stages
    let fr = DiagFlow::new(&case.z(), case.depth, &alpha, 512);
    let tol_r = Rational::from((1, rug::Integer::from(10).pow(d + 20)));
    let (yr, _, tr, rr) = run(&fr, 24, &tol_r, &end);
    println!("reference: {rr} RHS, {tr:.3} s");
    let pv = p + 64;
    let fv = DiagFlow::new(&case.z(), case.depth, &alpha, pv);
    // today's verification
    let (yv0, _, tv0, rv0) = run(&fv, s, &tol_v, &end);
    println!("adaptive verification: {rv0} RHS, {tv0:.3} s");
    let sv = s + extra;
    let tab = RadauTableau::cached(sv, pv);
    let opts = RadauOptions::new(from_rational(pv, &tol_v));
    let t = Instant::now();
    let tabm = RadauTableau::cached(s, p);
    let mut st = FollowState::start(&fv.gt_start(), &vec![Float::new(pv); fv.dim()], pv);
    for rec in &recs {
        let seg = Segment {
            tab: &tabm,
            x0: &rec.x0,
            h: &rec.h,
            y0: &rec.y0,
            z: &rec.z,
            jac: None,
        };
        st = Radau::new(&fv, &tab, opts.clone())
            .follow(st, &seg, |_| {})
            .unwrap();
    }
    let y = st.y;
    let stats = st.stats;
    let tv = t.elapsed().as_secs_f64();
    println!(
        "follow verification ({sv} stages): {} RHS, {} Newton its, {} jac, {} splits, {tv:.3} s",
        stats.rhs_evals, stats.newton_iters, stats.jac_evals, stats.rejected
    );
    let e = |v: &[Float]| {
        let vv: Vec<Float> = v.iter().map(|x| Float::with_val(512, x)).collect();
        let d = rel_diff_inf(512, &vv, &yr);
        d.to_f64()
    };
    println!(
        "error main {:.2e}, adaptive verif {:.2e}, follow verif {:.2e}",
        e(&ym),
        e(&yv0),
        e(&y)
    );
    let dd = |u: &[Float], v: &[Float]| {
        let uu: Vec<Float> = u.iter().map(|x| Float::with_val(512, x)).collect();
        let vv: Vec<Float> = v.iter().map(|x| Float::with_val(512, x)).collect();
        rel_diff_inf(512, &uu, &vv).to_f64()
    };
    println!(
        "main vs adaptive {:.2e}, main vs follow {:.2e}",
        dd(&ym, &yv0),
        dd(&ym, &y)
    );
}
