//! The integrator's step bound ([`Ode::step_bound`]) on a problem with a closed form: a
//! steady drift y1' = 1 beside a stiff decay y2' = -λ y2, with a bound at every multiple
//! of 10 of x. No step may cross a multiple, and once the decay has died out (the error
//! estimate asks for more growth than the limit allows) the step grows to the bound at
//! once, starting its stage solve from y rather than from the last step's polynomial.

use ibcert::num::{from_rational, ten_pow_neg};
use ibcert::ode::radau::{Control, Radau, RadauOptions, Stats};
use ibcert::ode::tableau::RadauTableau;
use ibcert::ode::Ode;
use rug::{Assign, Float};
use std::sync::Mutex;

struct DriftDecay {
    prec: u32,
    lambda: Float,
    period: u32,
    bounded: bool,
}

impl Ode for DriftDecay {
    fn dim(&self) -> usize {
        2
    }
    fn prec(&self) -> u32 {
        self.prec
    }
    fn rhs(&self, _x: &Float, y: &[Float], out: &mut [Float]) {
        out[0].assign(1);
        out[1].assign(&self.lambda * &y[1]);
        out[1] = -out[1].clone();
    }
    fn jacobian(&self, _x: &Float, _y: &[Float], jac: &mut [Float]) {
        jac[0].assign(0);
        jac[1].assign(0);
        jac[2].assign(0);
        jac[3].assign(-&self.lambda);
    }
    fn bounds_steps(&self) -> bool {
        self.bounded
    }
    /// The distance to the next multiple of `period` above x.
    fn step_bound(&self, x: &Float, _y: &[Float], _f: &[Float], _tol: &Float) -> Option<Float> {
        let k = Float::with_val(self.prec, x / self.period).floor() + 1u32;
        Some(k * self.period - x)
    }
}

/// Integrate from 0 to 100; the end state, the stats and every half step's (x0, x1).
fn run(lambda: u32, bounded: bool) -> (Vec<Float>, Stats, Vec<(Float, Float)>) {
    let p = 192;
    let ode = DriftDecay {
        prec: p,
        lambda: Float::with_val(p, lambda),
        period: 10,
        bounded,
    };
    let tab = RadauTableau::new(12, p);
    let solver = Radau::new(
        &ode,
        &tab,
        RadauOptions::new(from_rational(p, &ten_pow_neg(30))),
    );
    let segs = Mutex::new(Vec::new());
    let out = solver
        .integrate(
            &Float::new(p),
            &[Float::new(p), Float::with_val(p, 1)],
            &Float::with_val(p, 100),
            |seg| {
                segs.lock().unwrap().push((seg.x0.clone(), seg.x1()));
                Control::Continue
            },
        )
        .expect("integration succeeds");
    (out.y, out.stats, segs.into_inner().unwrap())
}

#[test]
fn steps_stop_at_the_bound_and_grow_to_it() {
    let (y, stats, segs) = run(1000, true);
    // the closed form: y1 = 100, y2 = e^-100000 (far below the tolerance 1e-30)
    let e1 = Float::with_val(192, &y[0] - 100u32).abs();
    assert!(e1 < Float::with_val(192, 1e-40), "y1 = {}", y[0]);
    assert!(
        y[1].clone().abs() < Float::with_val(192, 1e-30),
        "y2 = {}",
        y[1]
    );
    // no step crosses a multiple of 10
    for (x0, x1) in &segs {
        let k = Float::with_val(192, x0 / 10u32).floor() + 1u32;
        assert!(
            *x1 <= k * 10u32,
            "a step from {x0} to {x1} crosses a multiple of 10"
        );
    }
    // after the decay, whole periods: every multiple of 10 from 20 on is a step's end
    // (each full step is two half steps: the first ends at its middle)
    for m in 2..=10u32 {
        let at = Float::with_val(192, 10 * m);
        assert!(segs.iter().any(|(_, x1)| *x1 == at), "no step ends at {at}");
    }
    // and nothing else: from 20 on, one step (two half steps) per period
    let late = segs.iter().filter(|(x0, _)| *x0 >= 20u32).count();
    assert_eq!(late, 16, "half steps from x = 20 on");
    // without the bound the step grows by at most 6 per step and ends where it may
    let (y_free, free, segs_free) = run(1000, false);
    assert!(Float::with_val(192, &y_free[0] - 100u32).abs() < Float::with_val(192, 1e-40));
    assert!(
        segs_free.iter().any(|(x0, x1)| {
            let k = Float::with_val(192, x0 / 10u32).floor() + 1u32;
            *x1 > k * 10u32
        }),
        "unbounded: some step crosses a multiple of 10 ({free:?})"
    );
    // work pinned: (accepted, rejected, RHS evaluations)
    assert_eq!(
        (stats.accepted, stats.rejected, stats.rhs_evals),
        (32, 3, 2552),
        "{stats:?}"
    );
}

/// With the drift alone the error estimate is 0 from the first step on: the step grows
/// to the bound at once, so the run is the first step and one step per period after it.
#[test]
fn a_zero_estimate_grows_the_step_to_the_bound() {
    let (y, stats, _) = run(0, true);
    assert!(Float::with_val(192, &y[0] - 100u32).abs() < Float::with_val(192, 1e-50));
    // (growing by at most 6 per step instead, the first period would take 4 steps: 13)
    assert_eq!((stats.accepted, stats.rejected), (11, 0), "{stats:?}");
}
