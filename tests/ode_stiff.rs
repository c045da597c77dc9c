//! The Radau IIA integrator alone, on standard stiff problems with known answers.

use ibcert::num::{digits_from_rel_error, from_rational, rel_diff_inf, ten_pow_neg};
use ibcert::ode::problems::{Robertson, StiffLinear, VanDerPol};
use ibcert::ode::radau::{Control, Radau, RadauOptions};
use ibcert::ode::tableau::RadauTableau;
use rug::{Complete, Float, Rational};

mod common;
use common::{solve, solve_with};

/// y' = M y with eigenvalues -1, -10^3, -10^6: the closed form to at least 50 digits at 256 bits.
#[test]
fn stiff_linear_closed_form_50_digits() {
    let p = 256;
    let ode = StiffLinear::new(
        p,
        &[
            Rational::from(-1),
            Rational::from(-1000),
            Rational::from(-1_000_000),
        ],
    );
    let y0 = [Rational::from(1), Rational::from(2), Rational::from(-3)];
    for x_end in [
        Rational::from((1, 1000)),
        Rational::from(1),
        Rational::from(10),
    ] {
        let (y, stats) = solve(&ode, 10, &ten_pow_neg(55), &x_end, &y0);
        let exact = ode.exact(&y0, &from_rational(p, &x_end), p);
        let digits = digits_from_rel_error(&rel_diff_inf(p, &y, &exact), 77);
        assert!(digits >= 50, "x = {x_end}: {digits} digits ({stats:?})");
    }
}

/// y' = M y in 12 dimensions (eigenvalues -1 to -10^6, -1/2 to -10^5/2 and a slow mode
/// -10^-3; M dense below the diagonal): the integrator reduces the Jacobian to
/// Hessenberg form (n >= HESSENBERG_MIN_DIM) and factors every block in O(n^2). The
/// closed form to at least 28 digits at 160 bits, with an odd and an even stage count
/// (a real block and complex pairs).
#[test]
fn stiff_linear_12_dims_through_the_hessenberg_path() {
    let p = 160;
    const { assert!(12 >= ibcert::ode::radau::options::HESSENBERG_MIN_DIM) };
    let mut lambdas: Vec<Rational> = (0..11)
        .map(|k| {
            let l = Rational::from(rug::Integer::u_pow_u(10, k / 2).complete());
            if k % 2 == 0 {
                -l
            } else {
                -l / 2u32
            }
        })
        .collect();
    lambdas.push(-Rational::from((1, 1000)));
    let ode = StiffLinear::new(p, &lambdas);
    let y0: Vec<Rational> = (0..12).map(|i| Rational::from((i - 5, 3))).collect();
    for stages in [8, 11] {
        let x_end = Rational::from(2);
        let (y, stats) = solve(&ode, stages, &ten_pow_neg(30), &x_end, &y0);
        let exact = ode.exact(&y0, &from_rational(p, &x_end), p);
        let digits = digits_from_rel_error(&rel_diff_inf(p, &y, &exact), 48);
        eprintln!("{stages} stages: {digits} digits ({stats:?})");
        assert!(digits >= 28, "{stages} stages: {digits} digits ({stats:?})");
        // the Jacobian at `stage_jacobians` points per step attempt (one Hessenberg
        // reduction, the midpoint's): the half steps of step doubling reuse the full
        // step's
        let m = RadauOptions::new(Float::with_val(p, 1)).stage_jacobians as u64;
        assert!(
            stats.jac_evals <= m * (stats.accepted + stats.rejected + stats.newton_failures),
            "{stats:?}"
        );
    }
}

/// Robertson to x = 100 (stiffness ratio ~10^11): the answer agrees across a doubling of
/// the precision and a tightening of the tolerance.
#[test]
fn robertson_across_precisions() {
    let x_end = Rational::from(100);
    let y0 = [Rational::from(1), Rational::from(0), Rational::from(0)];
    let lo = Robertson::new(192);
    let (ylo, s1) = solve(&lo, 8, &ten_pow_neg(30), &x_end, &y0);
    // the reference: 128 more bits and a tolerance 10^-15 tighter
    let hi = Robertson::new(320);
    let (yhi, _) = solve(&hi, 12, &ten_pow_neg(45), &x_end, &y0);
    let digits = digits_from_rel_error(&rel_diff_inf(320, &ylo, &yhi), 80);
    assert!(digits >= 26, "Robertson: {digits} digits ({s1:?})");
    // mass conservation y1 + y2 + y3 = 1 holds to the precision
    let mut sum = Float::with_val(320, -1);
    for v in &yhi {
        sum += v;
    }
    assert!(sum.abs() < Float::with_val(320, Float::i_exp(1, -250)));
}

/// Van der Pol with eps = 10^-3 over a relaxation oscillation: agreement across precisions.
#[test]
fn van_der_pol_across_precisions() {
    let eps = Rational::from((1, 1000));
    let x_end = Rational::from((3, 2));
    let y0 = [Rational::from(2), Rational::from((-2, 3))];
    let lo = VanDerPol::new(192, &eps);
    let (ylo, s1) = solve(&lo, 8, &ten_pow_neg(30), &x_end, &y0);
    // the reference: 128 more bits and a tolerance 10^-15 tighter
    let hi = VanDerPol::new(320, &eps);
    let (yhi, _) = solve(&hi, 12, &ten_pow_neg(45), &x_end, &y0);
    let digits = digits_from_rel_error(&rel_diff_inf(320, &ylo, &yhi), 80);
    assert!(digits >= 25, "Van der Pol: {digits} digits ({s1:?})");
}

/// Newton with the Jacobian's variation along the step (`stage_jacobians` = 3 or 5)
/// against simplified Newton (1) on Van der Pol and Robertson, 192 bits, tol 1e-30: the
/// same answer (at least 25 digits against a reference with 128 more bits and a
/// tolerance 10^-15 tighter), in fewer Newton iterations and right-hand sides.
#[test]
fn stage_jacobians_reach_the_same_answer_with_fewer_iterations() {
    let eps = Rational::from((1, 1000));
    let tol = ten_pow_neg(30);
    let vdp_end = Rational::from((3, 2));
    let vdp_y0 = [Rational::from(2), Rational::from((-2, 3))];
    let (vdp_ref, _) = solve(
        &VanDerPol::new(320, &eps),
        12,
        &ten_pow_neg(45),
        &vdp_end,
        &vdp_y0,
    );
    let vdp: Vec<_> = [1, 3, 5]
        .map(|m| {
            solve_with(
                &VanDerPol::new(192, &eps),
                12,
                &tol,
                |o| o.stage_jacobians = m,
                &vdp_end,
                &vdp_y0,
            )
        })
        .into();
    let rob_end = Rational::from(100);
    let rob_y0 = [Rational::from(1), Rational::from(0), Rational::from(0)];
    let (rob_ref, _) = solve(
        &Robertson::new(320),
        12,
        &ten_pow_neg(45),
        &rob_end,
        &rob_y0,
    );
    let rob: Vec<_> = [1, 3, 5]
        .map(|m| {
            solve_with(
                &Robertson::new(192),
                12,
                &tol,
                |o| o.stage_jacobians = m,
                &rob_end,
                &rob_y0,
            )
        })
        .into();
    for (name, y_ref, runs) in [
        ("Van der Pol", &vdp_ref, &vdp),
        ("Robertson", &rob_ref, &rob),
    ] {
        for (m, (y, _)) in [1, 3, 5].iter().zip(runs) {
            let digits = digits_from_rel_error(&rel_diff_inf(320, y, y_ref), 80);
            assert!(digits >= 25, "{name}, stage_jacobians {m}: {digits} digits");
        }
        let (s1, s3, s5) = (&runs[0].1, &runs[1].1, &runs[2].1);
        assert!(
            s5.newton_iters < s1.newton_iters,
            "{name}: {s5:?} against {s1:?}"
        );
        assert!(
            s3.newton_iters < s1.newton_iters,
            "{name}: {s3:?} against {s1:?}"
        );
        assert!(s5.rhs_evals < s1.rhs_evals, "{name}: {s5:?} against {s1:?}");
        assert_eq!(s1.inner_iters, 0);
    }
}

/// Dense output: the collocation polynomial between steps matches the closed form.
#[test]
fn dense_output_matches_closed_form() {
    let p = 256;
    let ode = StiffLinear::new(
        p,
        &[
            Rational::from(-1),
            Rational::from(-10),
            Rational::from(-100),
        ],
    );
    let y0r = [Rational::from(1), Rational::from(1), Rational::from(1)];
    let tab = RadauTableau::new(8, p);
    let solver = Radau::new(
        &ode,
        &tab,
        RadauOptions::new(from_rational(p, &ten_pow_neg(40))),
    );
    let y0: Vec<Float> = y0r.iter().map(|q| from_rational(p, q)).collect();
    let mut worst = 100u32;
    let mut checked = 0;
    solver
        .integrate(&Float::new(p), &y0, &Float::with_val(p, 2), |seg| {
            for k in 1..4u32 {
                let x = Float::with_val(p, seg.h * k) / 4u32 + seg.x0;
                let y = seg.eval(&x);
                let e = ode.exact(&y0r, &x, p);
                worst = worst.min(digits_from_rel_error(&rel_diff_inf(p, &y, &e), 100));
                checked += 1;
            }
            Control::Continue
        })
        .unwrap();
    assert!(checked > 0);
    // the interpolant has the stage order s (error ~ tol^((s+1)/2s)), less than the step ends
    assert!(worst >= 20, "dense output digits {worst}");
}

/// Span scale: from x = 0 to a far end point (10^100) and to a near one (10^-100). The
/// step-size underflow floor at x = 0 must not depend on the end point (a floor taken
/// from x_end = 10^100 turned every reasonable first step into an "underflow").
/// y' = M y with eigenvalues 0, -1, -10^3: the closed form to at least 15 digits, in few
/// steps (the step grows geometrically once the transients have decayed).
#[test]
fn far_and_near_end_points() {
    let p = 128;
    let ode = StiffLinear::new(
        p,
        &[Rational::from(0), Rational::from(-1), Rational::from(-1000)],
    );
    let y0 = [Rational::from(1), Rational::from(2), Rational::from(-3)];
    let far = Rational::from(rug::Integer::from(rug::Integer::u_pow_u(10, 100)));
    let near = Rational::from(rug::Integer::from(rug::Integer::u_pow_u(10, 100))).recip();
    for x_end in [far, near] {
        let (y, stats) = solve(&ode, 8, &ten_pow_neg(20), &x_end, &y0);
        let exact = ode.exact(&y0, &from_rational(p, &x_end), p);
        let digits = digits_from_rel_error(&rel_diff_inf(p, &y, &exact), 38);
        assert!(digits >= 15, "x = {x_end}: {digits} digits ({stats:?})");
        assert!(stats.accepted < 2000, "x = {x_end}: {stats:?}");
    }
}
