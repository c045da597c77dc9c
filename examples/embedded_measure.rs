//! Step doubling against the embedded (RADAU5-style) error estimate on the ODE test
//! problems: work counters, wall time and the actual error against a reference with
//! twice the bits and a tolerance 10^-20 tighter (the closed form for StiffLinear).
//! `cargo run --release --example embedded_measure [TOL_DIGITS...]` (default 20 40);
//! RAYON_NUM_THREADS=1 for comparable wall times.

use ibcert::flow::{bits_for_digits, default_stages};
use ibcert::num::{digits_from_rel_error, from_rational, rel_diff_inf, ten_pow_neg};
use ibcert::ode::problems::{Robertson, StiffLinear, VanDerPol};
use ibcert::ode::radau::{Control, ErrorEstimate, Radau, RadauOptions, Stats};
use ibcert::ode::tableau::RadauTableau;
use ibcert::ode::Ode;
use rug::ops::Pow;
use rug::{Float, Rational};
use std::time::Instant;

fn run<O: Ode>(
    ode: &O,
    s: usize,
    tol: &Rational,
    est: ErrorEstimate,
    emb_tol: Option<Float>,
    x_end: &Rational,
    y0: &[Rational],
) -> Result<(Vec<Float>, Stats, f64), String> {
    let p = ode.prec();
    let tab = RadauTableau::cached(s, p);
    let mut opts = RadauOptions::new(from_rational(p, tol));
    opts.estimate = est;
    opts.embedded_tol = emb_tol;
    opts.max_steps = 200_000;
    if est == ErrorEstimate::Embedded {
        if let Ok(g) = std::env::var("GROWTH") {
            let (a, b) = g.split_once('/').unwrap_or((&g, "1"));
            opts.max_step_growth =
                ibcert::ode::radau::Ratio::new(a.parse().unwrap(), b.parse().unwrap());
        }
    }
    let solver = Radau::new(ode, &tab, opts);
    let y0: Vec<Float> = y0.iter().map(|q| from_rational(p, q)).collect();
    let t = Instant::now();
    let out = solver
        .integrate(&Float::new(p), &y0, &from_rational(p, x_end), |_| {
            Control::Continue
        })
        .map_err(|e| e.to_string())?;
    Ok((out.y, out.stats, t.elapsed().as_secs_f64()))
}

#[allow(clippy::type_complexity)]
fn problem(
    name: &str,
    prec: u32,
) -> (Box<dyn Fn(u32) -> Box<dyn OdeDyn>>, Rational, Vec<Rational>) {
    let _ = prec;
    match name {
        "stifflinear" => (
            Box::new(|p| {
                Box::new(StiffLinear::new(
                    p,
                    &[
                        Rational::from(-1),
                        Rational::from(-1000),
                        Rational::from(-1_000_000),
                    ],
                )) as Box<dyn OdeDyn>
            }),
            Rational::from(10),
            vec![Rational::from(1), Rational::from(2), Rational::from(-3)],
        ),
        "robertson" => (
            Box::new(|p| Box::new(Robertson::new(p)) as Box<dyn OdeDyn>),
            Rational::from(100),
            vec![Rational::from(1), Rational::from(0), Rational::from(0)],
        ),
        "vanderpol" => (
            Box::new(|p| {
                Box::new(VanDerPol::new(p, &Rational::from((1, 1000)))) as Box<dyn OdeDyn>
            }),
            Rational::from((3, 2)),
            vec![Rational::from(2), Rational::from((-2, 3))],
        ),
        _ => panic!("unknown problem {name}"),
    }
}

/// Object-safe wrapper so the problems can be boxed.
trait OdeDyn: Sync {
    fn as_ode(&self) -> Dyn<'_>;
    fn exact(&self, _y0: &[Rational], _x: &Float, _p: u32) -> Option<Vec<Float>> {
        None
    }
}
struct Dyn<'a>(&'a (dyn OdeObj + 'a));
trait OdeObj: Sync {
    fn dim(&self) -> usize;
    fn prec(&self) -> u32;
    fn rhs(&self, x: &Float, y: &[Float], out: &mut [Float]);
    fn jacobian(&self, x: &Float, y: &[Float], jac: &mut [Float]);
}
impl<T: Ode> OdeObj for T {
    fn dim(&self) -> usize {
        Ode::dim(self)
    }
    fn prec(&self) -> u32 {
        Ode::prec(self)
    }
    fn rhs(&self, x: &Float, y: &[Float], out: &mut [Float]) {
        Ode::rhs(self, x, y, out)
    }
    fn jacobian(&self, x: &Float, y: &[Float], jac: &mut [Float]) {
        Ode::jacobian(self, x, y, jac)
    }
}
impl Ode for Dyn<'_> {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn prec(&self) -> u32 {
        self.0.prec()
    }
    fn rhs(&self, x: &Float, y: &[Float], out: &mut [Float]) {
        self.0.rhs(x, y, out)
    }
    fn jacobian(&self, x: &Float, y: &[Float], jac: &mut [Float]) {
        self.0.jacobian(x, y, jac)
    }
}
impl OdeDyn for StiffLinear {
    fn as_ode(&self) -> Dyn<'_> {
        Dyn(self)
    }
    fn exact(&self, y0: &[Rational], x: &Float, p: u32) -> Option<Vec<Float>> {
        Some(StiffLinear::exact(self, y0, x, p))
    }
}
impl OdeDyn for Robertson {
    fn as_ode(&self) -> Dyn<'_> {
        Dyn(self)
    }
}
impl OdeDyn for VanDerPol {
    fn as_ode(&self) -> Dyn<'_> {
        Dyn(self)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let probs: Vec<String> = std::env::var("PROBLEMS")
        .unwrap_or_else(|_| "stifflinear,robertson,vanderpol".into())
        .split(',')
        .map(String::from)
        .collect();
    // constants C of the mapped tolerance C tol^((s+1)/(2s))
    let consts: Vec<f64> = std::env::var("CONSTS")
        .unwrap_or_else(|_| "1".into())
        .split(',')
        .map(|c| c.parse().unwrap())
        .collect();
    let digits: Vec<u32> = if args.is_empty() {
        vec![20, 40]
    } else {
        args.iter().map(|a| a.parse().unwrap()).collect()
    };
    println!("problem\ts\ttol\testimate\tacc\trej(nf)\trhs\tnewton\tlu\twall_s\trel_err\tdigits");
    for name in &probs {
        for &k in &digits {
            let tol = ten_pow_neg(k);
            let s = std::env::var("STAGES")
                .map(|v| v.parse().unwrap())
                .unwrap_or_else(|_| default_stages(&tol));
            let p = bits_for_digits(k).unwrap();
            let (mk, x_end, y0) = problem(name, p);
            // reference
            let pr = 2 * p;
            let refp = mk(pr);
            let xr = from_rational(pr, &x_end);
            let reference = match refp.exact(&y0, &xr, pr) {
                Some(e) => e,
                None => {
                    let rs = default_stages(&ten_pow_neg(k + 20));
                    let (y, st, w) = run(
                        &refp.as_ode(),
                        rs,
                        &ten_pow_neg(k + 20),
                        ErrorEstimate::StepDoubling,
                        None,
                        &x_end,
                        &y0,
                    )
                    .expect("reference");
                    eprintln!("{name} ref tol 1e-{}: s={rs} {st:?} {w:.1}s", k + 20);
                    y
                }
            };
            let ode = mk(p);
            let tolf = from_rational(p, &tol);
            let mut variants: Vec<(String, ErrorEstimate, Option<Float>)> = vec![
                ("doubling".into(), ErrorEstimate::StepDoubling, None),
                ("embedded".into(), ErrorEstimate::Embedded, None),
            ];
            for c in &consts {
                let ex = Float::with_val(64, (s + 1) as u32) / (2 * s as u32);
                let m = Float::with_val(p, tolf.clone().pow(&ex)) * *c;
                variants.push((
                    format!("emb tol={c}*tol^({}/{})", s + 1, 2 * s),
                    ErrorEstimate::Embedded,
                    Some(m),
                ));
            }
            for (label, est, et) in variants {
                match run(&ode.as_ode(), s, &tol, est, et, &x_end, &y0) {
                    Ok((y, st, w)) => {
                        let yr: Vec<Float> = y.iter().map(|v| Float::with_val(pr, v)).collect();
                        let e = rel_diff_inf(pr, &yr, &reference);
                        let d = digits_from_rel_error(&e, 200);
                        println!(
                            "{name}\t{s}\t1e-{k}\t{label}\t{}\t{}({})\t{}\t{}\t{}\t{w:.3}\t{}\t{d}",
                            st.accepted,
                            st.rejected,
                            st.newton_failures,
                            st.rhs_evals,
                            st.newton_iters,
                            st.lu_decomps,
                            e.to_string_radix(10, Some(3)),
                        );
                    }
                    Err(e) => println!("{name}\t{s}\t1e-{k}\t{label}\tFAILED: {e}"),
                }
            }
        }
    }
}
