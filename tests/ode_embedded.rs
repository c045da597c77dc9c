//! The Radau IIA integrator with the embedded error estimate
//! ([`ErrorEstimate::Embedded`]) on the standard stiff problems: the answers within the
//! tolerance of the closed form or of a reference, odd and even stage counts, the dense
//! output one segment per accepted step, and a resumed integration bit for bit.

use ibcert::num::{digits_from_rel_error, from_rational, rel_diff_inf, ten_pow_neg};
use ibcert::ode::problems::{Robertson, StiffLinear, VanDerPol};
use ibcert::ode::radau::{Control, ErrorEstimate, Radau, RadauOptions, Stats};
use ibcert::ode::tableau::RadauTableau;
use ibcert::ode::Ode;
use rug::{Float, Rational};

mod common;
use common::solve;

fn embedded<O: Ode>(
    ode: &O,
    stages: usize,
    tol: &Rational,
    x_end: &Rational,
    y0: &[Rational],
) -> (Vec<Float>, Stats) {
    let p = ode.prec();
    let tab = RadauTableau::new(stages, p);
    let mut opts = RadauOptions::new(from_rational(p, tol));
    opts.estimate = ErrorEstimate::Embedded;
    let y0: Vec<Float> = y0.iter().map(|q| from_rational(p, q)).collect();
    let mut segments = 0u64;
    let mut end: Option<(Float, Vec<Float>)> = None;
    let out = Radau::new(ode, &tab, opts)
        .integrate(&Float::new(p), &y0, &from_rational(p, x_end), |seg| {
            // one segment per accepted step, each starting where the last ended
            if let Some((x1, y1)) = &end {
                assert_eq!(seg.x0, x1);
                assert_eq!(seg.y0, &y1[..]);
            }
            end = Some((seg.x1(), seg.y1()));
            segments += 1;
            Control::Continue
        })
        .expect("integration succeeds");
    assert_eq!(segments, out.stats.accepted);
    assert_eq!(end.expect("a segment").1, out.y);
    (out.y, out.stats)
}

/// y' = M y with eigenvalues -1, -10^3, -10^6 to x = 10: the closed form within the
/// tolerance 10^-20, with an odd (real block reused) and an even (extra block) stage count.
#[test]
fn stiff_linear_embedded_meets_tolerance() {
    let p = 128;
    let ode = StiffLinear::new(
        p,
        &[
            Rational::from(-1),
            Rational::from(-1000),
            Rational::from(-1_000_000),
        ],
    );
    let y0 = [Rational::from(1), Rational::from(2), Rational::from(-3)];
    let x_end = Rational::from(10);
    let exact = ode.exact(&y0, &from_rational(p, &x_end), p);
    for stages in [7, 8] {
        let (y, stats) = embedded(&ode, stages, &ten_pow_neg(20), &x_end, &y0);
        let digits = digits_from_rel_error(&rel_diff_inf(p, &y, &exact), 38);
        eprintln!("{stages} stages: {digits} digits ({stats:?})");
        assert!(digits >= 20, "{stages} stages: {digits} digits ({stats:?})");
        // one stage solve per step: at most `stage_jacobians` Jacobians per attempt
        let m = RadauOptions::new(Float::with_val(p, 1)).stage_jacobians as u64;
        assert!(
            stats.jac_evals <= m * (stats.accepted + stats.rejected),
            "{stats:?}"
        );
    }
}

/// Robertson to x = 100 and Van der Pol (eps = 10^-3) over a relaxation oscillation at
/// tolerance 10^-20: within two digits of it (the global error of a few hundred steps) of a step-doubling reference with 128 more bits and a
/// tolerance 10^-10 tighter.
#[test]
fn robertson_and_van_der_pol_embedded_meet_tolerance() {
    let tol = ten_pow_neg(20);
    {
        let x_end = Rational::from(100);
        let y0 = [Rational::from(1), Rational::from(0), Rational::from(0)];
        let (y, stats) = embedded(&Robertson::new(128), 8, &tol, &x_end, &y0);
        let (yr, _) = solve(&Robertson::new(256), 12, &ten_pow_neg(30), &x_end, &y0);
        let digits = digits_from_rel_error(&rel_diff_inf(256, &y, &yr), 60);
        eprintln!("Robertson: {digits} digits ({stats:?})");
        assert!(digits >= 18, "Robertson: {digits} digits ({stats:?})");
    }
    {
        let eps = Rational::from((1, 1000));
        let x_end = Rational::from((3, 2));
        let y0 = [Rational::from(2), Rational::from((-2, 3))];
        let (y, stats) = embedded(&VanDerPol::new(128, &eps), 9, &tol, &x_end, &y0);
        let (yr, _) = solve(
            &VanDerPol::new(256, &eps),
            12,
            &ten_pow_neg(30),
            &x_end,
            &y0,
        );
        let digits = digits_from_rel_error(&rel_diff_inf(256, &y, &yr), 60);
        eprintln!("Van der Pol: {digits} digits ({stats:?})");
        assert!(digits >= 18, "Van der Pol: {digits} digits ({stats:?})");
    }
}

/// An embedded integration stopped by its step hook and continued from the snapshot
/// (which carries the predictive controller's state) ends bit for bit where one that
/// never stopped ends.
#[test]
fn embedded_resume_is_bit_identical() {
    let p = 128;
    let eps = Rational::from((1, 1000));
    let ode = VanDerPol::new(p, &eps);
    let tab = RadauTableau::new(6, p);
    let mut opts = RadauOptions::new(from_rational(p, &ten_pow_neg(15)));
    opts.estimate = ErrorEstimate::Embedded;
    let y0 = vec![
        Float::with_val(p, 2),
        from_rational(p, &Rational::from((-2, 3))),
    ];
    let x_end = Float::with_val(p, 1);
    let whole = Radau::new(&ode, &tab, opts.clone())
        .integrate(&Float::new(p), &y0, &x_end, |_| Control::Continue)
        .unwrap();
    let solver = Radau::new(&ode, &tab, opts.clone());
    let st = solver.initial_state(&Float::new(p), &y0, &x_end);
    let mut snap = None;
    let first = solver
        .integrate_from(
            st,
            &x_end,
            |_| Control::Continue,
            |v| {
                if v.stats.accepted == 20 {
                    snap = Some(v.snapshot());
                    Control::Stop
                } else {
                    Control::Continue
                }
            },
        )
        .unwrap();
    assert!(first.stopped);
    let snap = snap.expect("stopped at step 20");
    assert!(snap.pred.is_some());
    let rest = Radau::new(&ode, &tab, opts)
        .integrate_from(snap, &x_end, |_| Control::Continue, |_| Control::Continue)
        .unwrap();
    assert_eq!(rest.y, whole.y);
    assert_eq!(rest.stats, whole.stats);
}
