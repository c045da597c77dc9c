use super::*;

fn data() -> (Vec<Vec<Rational>>, Vec<Rational>) {
    let q = |a: i64, b: i64| Rational::from((a, b));
    (
        vec![
            vec![q(1, 1), q(1, 2), q(-1, 3), q(0, 1)],
            vec![q(1, 4), q(1, 1), q(1, 5), q(-1, 2)],
            vec![q(-1, 2), q(2, 3), q(1, 1), q(1, 3)],
        ],
        vec![q(1, 1), q(-1, 2), q(2, 3)],
    )
}

/// A state nu of the flow, shrunk by 10^-(D-2) so that s = c beta stays well inside
/// (-1, 1) for the deeper networks.
fn state(p: u32, depth: u32) -> Vec<Float> {
    let shrink = Rational::from((1, 10u32.pow(depth - 2)));
    [(1, 3), (-1, 7), (1, 5)]
        .iter()
        .map(|&q| from_rational(p, &(Rational::from(q) * &shrink)))
        .collect()
}

/// The right-hand side with its exponentials updated across Newton iterations agrees
/// with the plain one to a few units of the working precision, for every clock and
/// D = 2, 3, 4, and takes the short path for most of them.
#[test]
fn rhs_memo_matches_rhs_along_a_newton_iteration() {
    let p = 192;
    let (pts, y) = data();
    for clock in [Clock::LogTime, Clock::Time, Clock::Residual] {
        for depth in [2u32, 3, 4] {
            let f = RegFlow::new(&pts, &y, depth, &Rational::from((3, 2)), p, clock);
            let nu = state(p, depth);
            let dnu: Vec<Float> = [(1, 2), (1, 3), (-2, 7)]
                .iter()
                .map(|&q| from_rational(p, &Rational::from(q)))
                .collect();
            let what = format!("{clock:?} D = {depth}");
            let x = Float::with_val(p, 0.75);
            let c = crate::flow::memo_check::along_newton(&f, &x, &nu, &dnu, &what);
            // the mirror map's functions of the d = 4 coordinates, and e^x for the
            // log-time clock (the same x every time: the last value)
            let per = 4 * crate::flow::memo_check::mirror_calls(depth)
                + u64::from(clock == Clock::LogTime);
            assert_eq!(c.fresh + c.updates, 12 * per, "{what}: {c:?}");
            assert!(c.updates >= 12 * per * 2 / 3, "{what}: {c:?}");
        }
    }
}

/// The analytic Jacobian against central differences of the right-hand side, for every
/// clock and D = 2, 3, 5.
#[test]
fn jacobian_matches_finite_differences() {
    let p = 400;
    let (pts, y) = data();
    for clock in [Clock::LogTime, Clock::Time, Clock::Residual] {
        for depth in [2u32, 3, 5] {
            let f = RegFlow::new(&pts, &y, depth, &Rational::from((3, 2)), p, clock);
            let n = f.dim();
            let nu = state(p, depth);
            let x = Float::with_val(p, 0.75);
            let mut jac = vec![Float::new(p); n * n];
            f.jacobian(&x, &nu, &mut jac);
            let h = Float::with_val(p, Float::i_exp(1, -90));
            for k in 0..n {
                let mut yp = nu.clone();
                let mut ym = nu.clone();
                yp[k] += &h;
                ym[k] -= &h;
                let mut fp = vec![Float::new(p); n];
                let mut fm = vec![Float::new(p); n];
                f.rhs(&x, &yp, &mut fp);
                f.rhs(&x, &ym, &mut fm);
                for a in 0..n {
                    let fd = Float::with_val(p, &fp[a] - &fm[a]) / Float::with_val(p, &h * 2u32);
                    let diff = Float::with_val(p, &fd - &jac[a * n + k]).abs();
                    let sc = Float::with_val(p, jac[a * n + k].abs_ref()) + 1u32;
                    assert!(
                        diff < sc * Float::with_val(p, Float::i_exp(1, -150)),
                        "{clock:?} D={depth} J[{a}][{k}]: fd {fd} vs {}",
                        jac[a * n + k]
                    );
                }
            }
        }
    }
}

/// A run whose cancellation flag is set (the verification beside a main run that
/// failed) ends in an error (at the first step it takes), and with the flag clear it
/// reaches the limit.
#[test]
fn a_cancelled_run_ends_in_an_error() {
    use super::run::run_cancellable;
    use std::sync::atomic::AtomicBool;
    let (pts, y) = data();
    let alpha = Rational::from((1, 10));
    let prob = RegProblem {
        points: &pts,
        y: &y,
        depth: 2,
        alpha: &alpha,
        anchors: &[],
    };
    let tol = crate::num::ten_pow_neg(12);
    let numerics = crate::flow::Numerics {
        prec: 128,
        stages: crate::flow::default_stages(&tol),
        tol,
    };
    let stop = RegStop::Limit(10);
    let run = |flag: bool| {
        let cancel = AtomicBool::new(flag);
        run_cancellable(&prob, &numerics, &stop, DRIVER_CLOCK, None, Some(&cancel))
    };
    match run(true) {
        Err(RegFlowError::Invalid(m)) => assert!(m.contains("cancelled"), "{m}"),
        other => panic!("expected the cancellation, got {other:?}"),
    }
    let done = run(false).expect("the limit");
    assert!(done.stats.accepted > 1, "{:?}", done.stats);
}
