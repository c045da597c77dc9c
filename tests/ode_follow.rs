//! Following an integration's accepted steps with more stages (`Radau::follow`, the
//! flow's verification): on problems with known answers, the follower is far more
//! accurate than the integration it follows, on the same steps, with one stage solve
//! per step; a step whose stage solve does not converge is split.

use ibcert::num::{from_rational, rel_diff_inf, ten_pow_neg};
use ibcert::ode::problems::{StiffLinear, VanDerPol};
use ibcert::ode::radau::{
    Control, ErrorEstimate, FollowState, LinearPrecision, OwnedStepJacobian, Radau, RadauOptions,
    Segment, Stats, StepRecord,
};
use ibcert::ode::tableau::RadauTableau;
use ibcert::ode::Ode;
use rug::{Float, Rational};

/// Integrate adaptively (step doubling) from (0, y0) to x_end, keeping every segment.
fn guide<O: Ode>(
    ode: &O,
    s: usize,
    tol: &Rational,
    y0: &[Float],
    x_end: &Float,
) -> (Vec<Float>, Vec<StepRecord>) {
    let p = ode.prec();
    let tab = RadauTableau::cached(s, p);
    let mut recs = Vec::new();
    let out = Radau::new(ode, &tab, RadauOptions::new(from_rational(p, tol)))
        .integrate(&Float::new(p), y0, x_end, |seg: &Segment| {
            recs.push(StepRecord::of(seg));
            Control::Continue
        })
        .expect("the guide integrates");
    (out.y, recs)
}

/// Follow the guide's segments (tableau `s_main`) with `s` stages at the ODE's
/// precision and tolerance `tol`: the end state, its stats and the pieces seen.
fn follow<O: Ode>(
    ode: &O,
    s: usize,
    tol: &Rational,
    recs: &[StepRecord],
    s_main: usize,
    opts: impl Fn(&mut RadauOptions),
) -> (Vec<Float>, Stats, usize) {
    let p = ode.prec();
    let tab = RadauTableau::cached(s, p);
    let gtab = RadauTableau::cached(s_main, recs[0].x0.prec());
    let mut st = FollowState::start(&Float::new(p), &recs[0].y0, p);
    let mut pieces = 0;
    for r in recs {
        let seg = r.segment(&gtab);
        let mut o = RadauOptions::new(from_rational(p, tol));
        opts(&mut o);
        st = Radau::new(ode, &tab, o)
            .follow(st, &seg, |_| pieces += 1)
            .expect("the follower follows");
        assert_eq!(
            st.x,
            Float::with_val(p, &r.x0 + &r.h),
            "the follower ends where the segment does"
        );
    }
    (st.y, st.stats, pieces)
}

fn err(p: u32, y: &[Float], exact: &[Float]) -> Float {
    let y: Vec<Float> = y.iter().map(|v| Float::with_val(p, v)).collect();
    rel_diff_inf(p, &y, exact)
}

/// y' = M y with eigenvalues -1, -10^3, -10^6, the guide at 5 stages and tol 1e-12 (its
/// error is the discretization's): the follower with 4 more stages, 64 more bits and a
/// tolerance 10^-6 tighter (the flow's verification policy) is at least 10^4 times more
/// accurate against the closed form, with one stage solve per segment (measured: 10^13
/// times), and so is one with 2 more stages, the flows' since numeric version 23
/// (measured: 1.6 · 10^6 times); with the guide's own 5 stages it is not (the mesh alone
/// does not make a verification). Work pinned.
#[test]
fn a_follower_with_four_more_stages_is_far_more_accurate_on_the_same_steps() {
    let lambdas = [
        Rational::from(-1),
        Rational::from(-1000),
        Rational::from(-1_000_000),
    ];
    let y0q = [Rational::from(1), Rational::from(2), Rational::from(-3)];
    let (pm, pv) = (128, 192);
    let main = StiffLinear::new(pm, &lambdas);
    let ver = StiffLinear::new(pv, &lambdas);
    let x_end = Rational::from(10);
    let y0: Vec<Float> = y0q.iter().map(|q| from_rational(pm, q)).collect();
    let tol = ten_pow_neg(12);
    let (ym, recs) = guide(&main, 5, &tol, &y0, &from_rational(pm, &x_end));
    let exact = ver.exact(&y0q, &from_rational(pv, &x_end), pv);
    let em = err(pv, &ym, &exact);
    let tol_v = ten_pow_neg(18);
    let (yv, stats, pieces) = follow(&ver, 9, &tol_v, &recs, 5, |_| {});
    let ev = err(pv, &yv, &exact);
    eprintln!(
        "main {em:.3e}, follower {ev:.3e}, {} segments, {stats:?}",
        recs.len()
    );
    assert!(
        em > ten_from(-16),
        "the guide's error {em:.3e} should be the discretization's"
    );
    assert!(
        Float::with_val(64, &ev * 10_000u32) < em,
        "main {em:.3e}, follower {ev:.3e}"
    );
    assert_eq!(pieces, recs.len());
    assert_eq!(stats.accepted as usize, recs.len());
    assert_eq!(stats.rejected, 0);
    // one Jacobian per segment
    assert_eq!(stats.jac_evals as usize, recs.len());
    assert_eq!(
        (recs.len(), stats.newton_iters, stats.rhs_evals),
        (104, 208, 1872),
        "work pin"
    );
    // two more stages (the flows' policy since numeric version 23, VerificationPolicy::
    // extra_stages): order 13 against 9 on the same steps
    let (y2, _, _) = follow(&ver, 7, &tol_v, &recs, 5, |_| {});
    let e2 = err(pv, &y2, &exact);
    eprintln!("main {em:.3e}, two more stages {e2:.3e}");
    assert!(
        Float::with_val(64, &e2 * 10_000u32) < em,
        "main {em:.3e}, two more stages {e2:.3e}"
    );
    // the same stages on the same steps: no more accurate than the guide's discretization
    let (ys, _, _) = follow(&ver, 5, &tol_v, &recs, 5, |_| {});
    let es = err(pv, &ys, &exact);
    assert!(
        Float::with_val(64, &es * 100u32) > em,
        "main {em:.3e}, same stages {es:.3e}"
    );
}

fn ten_from(e: i32) -> Float {
    Float::with_val(64, Float::i_exp(1, 0)) * Float::with_val(64, 10).pow(e)
}

use rug::ops::Pow;

/// Van der Pol (eps = 1/10) to x = 1/2 against a guide whose polynomial is a poor
/// start (the constant y0 over the whole interval, in two segments): with at most 8
/// Newton iterations a stage solve over a whole segment fails, and the follower splits
/// the segments until each piece converges; the end state agrees with an adaptive
/// integration at a far tighter tolerance to the follower's accuracy.
#[test]
fn a_stage_solve_that_fails_is_split_into_halves() {
    let p = 192;
    let eps = Rational::from((1, 10));
    let ode = VanDerPol::new(p, &eps);
    let y0 = vec![Float::with_val(p, 2), Float::with_val(p, 0)];
    let half = Float::with_val(p, 1) / 4u32;
    let s_main = 3;
    let z0 = vec![vec![Float::new(p); 2]; s_main];
    let recs = vec![
        StepRecord {
            x0: Float::new(p),
            h: half.clone(),
            y0: y0.clone(),
            z: z0.clone(),
        },
        StepRecord {
            x0: half.clone(),
            h: half.clone(),
            y0: y0.clone(),
            z: z0,
        },
    ];
    let (y, stats, pieces) = follow(&ode, 8, &ten_pow_neg(20), &recs, s_main, |o| {
        o.max_newton = 8
    });
    let x_end = Float::with_val(p, 1) / 2u32;
    let (yr, _) = guide(&ode, 12, &ten_pow_neg(30), &y0, &x_end);
    let e = err(p, &y, &yr);
    eprintln!("{pieces} pieces, {stats:?}, error {e:.3e}");
    assert!(stats.rejected > 0, "{stats:?}");
    assert_eq!(stats.accepted as usize, pieces);
    // each split adds one piece: pieces = segments + splits
    assert_eq!(pieces as u64, 2 + stats.rejected);
    assert_eq!((pieces, stats.rhs_evals), (32, 2264), "work pin");
    assert!(e < ten_from(-14), "error {e:.3e}");
}

/// A guide that hands on its Jacobians (the embedded estimate's full steps, with the
/// flows' 64-bit Newton matrices): Van der Pol (eps = 1/10, stiff enough to need Newton)
/// to x = 1, the guide at 8 stages and 1e-18, followed with 10 stages and 1e-24. With the
/// guide's Jacobians the follower evaluates none, and it converges to the same
/// collocation solutions as with its own, in as many iterations: the end states agree
/// to far below its tolerance (measured: 1.1e-38).
#[test]
fn a_follower_factors_with_the_guides_jacobians() {
    let p = 192;
    let ode = VanDerPol::new(p, &Rational::from((1, 10)));
    let y0 = vec![Float::with_val(p, 2), Float::with_val(p, 0)];
    let tab = RadauTableau::cached(8, p);
    let mut opts = RadauOptions::new(from_rational(p, &ten_pow_neg(18)));
    opts.estimate = ErrorEstimate::Embedded;
    opts.linear_precision = LinearPrecision::ReducedAll(64);
    let mut recs = Vec::new();
    Radau::new(&ode, &tab, opts)
        .integrate(
            &Float::new(p),
            &y0,
            &Float::with_val(p, 1),
            |seg: &Segment| {
                recs.push((
                    StepRecord::of(seg),
                    seg.jac.as_ref().map(OwnedStepJacobian::of),
                ));
                Control::Continue
            },
        )
        .expect("the guide integrates");
    assert!(recs.len() > 5 && recs.iter().all(|(_, j)| j.is_some()));
    let ftab = RadauTableau::cached(10, p);
    let run = |handed: bool| {
        let mut st = FollowState::start(&Float::new(p), &y0, p);
        for (r, j) in &recs {
            let mut seg = r.segment(&tab);
            if handed {
                seg.jac = j.as_ref().map(OwnedStepJacobian::view);
            }
            let mut o = RadauOptions::new(from_rational(p, &ten_pow_neg(24)));
            o.linear_precision = LinearPrecision::ReducedAll(64);
            st = Radau::new(&ode, &ftab, o)
                .follow(st, &seg, |_| {})
                .expect("the follower follows");
        }
        st
    };
    let (with, own) = (run(true), run(false));
    eprintln!(
        "{} segments: {:?} against {:?}",
        recs.len(),
        with.stats,
        own.stats
    );
    assert_eq!(with.stats.jac_evals, 0);
    assert_eq!(own.stats.jac_evals as usize, recs.len());
    let e = err(p, &with.y, &own.y);
    eprintln!("the two followers differ by {e:.3e}");
    assert!(e < ten_from(-30), "the two followers differ by {e:.3e}");
    assert_eq!(
        (recs.len(), with.stats.newton_iters, own.stats.newton_iters),
        (113, 226, 226),
        "work pin"
    );
}
