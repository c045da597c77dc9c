//! The classification flow in the clock sigma = ln(1 + gt) (dy/dsigma = e^sigma f(y)),
//! through the same Radau integrator and its one-matrix simplified Newton, against the
//! gt clock: work counters and nu_1 at the end (docs/benchmarks.md, "not levers").
//! `cargo run --release --example logclock_probe CASE ALPHA GT_END TOL_DIGITS STAGES`,
//! e.g. `cases/three_point.toml 100 10000000 40 24` (256 bits).
use ibcert::case::Case;
use ibcert::flow::DiagFlow;
use ibcert::num::from_rational;
use ibcert::ode::radau::{Control, Radau, RadauOptions};
use ibcert::ode::tableau::RadauTableau;
use ibcert::ode::{ErrorScale, Ode};
use rug::ops::Pow;
use rug::{Float, Rational};
use std::path::Path;

struct LogClock<'a> {
    inner: &'a DiagFlow,
}

impl Ode for LogClock<'_> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn prec(&self) -> u32 {
        self.inner.prec()
    }
    fn rhs(&self, x: &Float, y: &[Float], out: &mut [Float]) {
        let p = self.prec();
        let k = Float::with_val(p, x.exp_ref());
        let gt = Float::with_val(p, &k - 1u32);
        self.inner.rhs(&gt, y, out);
        for o in out.iter_mut() {
            *o *= &k;
        }
    }
    fn jacobian(&self, x: &Float, y: &[Float], jac: &mut [Float]) {
        let p = self.prec();
        let k = Float::with_val(p, x.exp_ref());
        let gt = Float::with_val(p, &k - 1u32);
        self.inner.jacobian(&gt, y, jac);
        for o in jac.iter_mut() {
            *o *= &k;
        }
    }
    fn error_scale(&self, y: &[Float], tol: &Float) -> ErrorScale {
        self.inner.error_scale(y, tol)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case = Case::load(Path::new(&args[1])).unwrap();
    let alpha: Rational = args[2].parse().unwrap();
    let gt_end: Rational = args[3].parse().unwrap();
    let tol: Rational = Rational::from((
        1,
        rug::Integer::from(10).pow(args[4].parse::<u32>().unwrap()),
    ));
    let s: usize = args[5].parse().unwrap();
    let p = 256;
    let flow = DiagFlow::new(&case.z(), case.depth, &alpha, p);
    let tab = RadauTableau::cached(s, p);
    let y0 = vec![Float::new(p); flow.dim()];
    for clock in ["gt", "log"] {
        let mut opts = RadauOptions::new(from_rational(p, &tol));
        opts.max_steps = 100_000;
        let t = std::time::Instant::now();
        let out = if clock == "gt" {
            Radau::new(&flow, &tab, opts).integrate(
                &Float::new(p),
                &y0,
                &from_rational(p, &gt_end),
                |_| Control::Continue,
            )
        } else {
            let lc = LogClock { inner: &flow };
            let end = Float::with_val(p, from_rational(p, &gt_end) + 1u32).ln();
            Radau::new(&lc, &tab, opts).integrate(&Float::new(p), &y0, &end, |_| Control::Continue)
        };
        match out {
            Ok(o) => println!(
                "{clock}: {} steps, {} rejected, {} RHS, {} Newton its, {} failures, {:.3} s, nu0 = {}",
                o.stats.accepted,
                o.stats.rejected,
                o.stats.rhs_evals,
                o.stats.newton_iters,
                o.stats.newton_failures,
                t.elapsed().as_secs_f64(),
                o.y[0].to_string_radix(10, Some(45))
            ),
            Err(e) => println!("{clock}: error {e}"),
        }
    }
}
