//! The Newton matrices at a reduced precision (`RadauOptions::linear_precision`, 64 bits
//! by default): the same solution as at the working precision, to far below the
//! tolerance, and a fallback to the working precision where 64 bits cannot carry the
//! Newton matrix.

use ibcert::flow::DiagFlow;
use ibcert::num::{digits_from_rel_error, from_rational, rel_diff_inf, ten_pow_neg};
use ibcert::ode::problems::StiffLinear;
use ibcert::ode::radau::options::REDUCED_LINEAR_BITS;
use ibcert::ode::radau::{Control, LinearPrecision, Radau, RadauOptions, Stats};
use ibcert::ode::tableau::RadauTableau;
use ibcert::ode::Ode;
use rug::ops::Pow;
use rug::{Float, Integer, Rational};

mod common;
use common::load;

const DEFAULT: LinearPrecision = LinearPrecision::Reduced(REDUCED_LINEAR_BITS);

/// Integrate `ode` from `x0` with `y0` to `x_end` (stages, tolerance) with the Newton
/// matrices at `lin`: the end state, the work and whether the run ended with them at the
/// working precision.
fn run<O: Ode>(
    ode: &O,
    stages: usize,
    tol: &Rational,
    (x0, y0): (&Float, &[Float]),
    x_end: &Float,
    lin: LinearPrecision,
) -> (Vec<Float>, Stats, bool) {
    let p = ode.prec();
    let tab = RadauTableau::new(stages, p);
    let mut opts = RadauOptions::new(from_rational(p, tol));
    opts.linear_precision = lin;
    let solver = Radau::new(ode, &tab, opts);
    let state = solver.initial_state(x0, y0, x_end);
    let mut full = false;
    let out = solver
        .integrate_from(
            state,
            x_end,
            |_| Control::Continue,
            |v| {
                full = v.lin_full;
                Control::Continue
            },
        )
        .expect("integrates");
    (out.y, out.stats, full)
}

/// y' = M y in 12 dimensions, one slow mode (-1) beside eleven at -10^30 k, M = P Λ P^-1
/// dense: M's entries are ~10^30 and its slow direction is what is left after they
/// cancel, so a 64-bit Newton matrix (errors ~10^30 · 2^-64 ≫ 1) cannot resolve it: a
/// pivot of the Hessenberg LU falls below 2^-32 of the matrix's scale, the attempt is
/// retried at the working precision (192 bits), which succeeds and is kept. Same answer
/// and the same steps as a run at the working precision throughout, for one repeated
/// attempt. A stiff problem whose Newton matrix 64 bits carry (eigenvalues -1 to -10^6)
/// keeps the reduced precision to the end.
#[test]
fn an_ill_conditioned_newton_matrix_falls_back_to_the_working_precision() {
    let p = 192;
    let x0 = Float::new(p);
    let x_end = Float::with_val(p, 1);
    let y0q: Vec<Rational> = (0..12).map(|i| Rational::from((i - 5, 3))).collect();
    let y0: Vec<Float> = y0q.iter().map(|q| from_rational(p, q)).collect();
    let tol = ten_pow_neg(30);
    for (scale, falls_back) in [(30u32, true), (6, false)] {
        let ls: Vec<Rational> = (0..12)
            .map(|k| match k {
                0 => Rational::from(-1),
                _ => -Rational::from(Integer::from(10).pow(scale) * k as u32),
            })
            .collect();
        let ode = StiffLinear::new(p, &ls);
        let (y, s, full) = run(&ode, 8, &tol, (&x0, &y0), &x_end, DEFAULT);
        let (yw, sw, fullw) = run(&ode, 8, &tol, (&x0, &y0), &x_end, LinearPrecision::Working);
        assert_eq!(full, falls_back, "10^{scale}: {s:?}");
        assert!(!fullw);
        let exact = ode.exact(&y0q, &x_end, p);
        for (what, v) in [("reduced", &y), ("working", &yw)] {
            let d = digits_from_rel_error(&rel_diff_inf(p, v, &exact), 50);
            assert!(d >= 28, "10^{scale}, {what}: {d} digits");
        }
        assert_eq!((s.accepted, s.rejected), (sw.accepted, sw.rejected));
        if falls_back {
            // one step attempt repeated (its Jacobian again), and nothing else
            assert_eq!(s.jac_evals, sw.jac_evals + 1, "{s:?} {sw:?}");
            assert!(s.newton_failures <= sw.newton_failures + 1, "{s:?} {sw:?}");
            assert_eq!(s.newton_iters, sw.newton_iters, "{s:?} {sw:?}");
        }
    }
}

/// The flow of the bundled random data (α = 1, to gt = 10^3, 128 bits, tolerance 1e-20)
/// with 64-bit Newton matrices and at the working precision: the same steps and the same
/// state to far below the tolerance (the fixed point of the stage equations does not
/// depend on the Newton matrix).
#[test]
fn the_flow_is_the_same_with_64_bit_newton_matrices() {
    let p = 128;
    let case = load("random10.toml");
    let flow = DiagFlow::new(&case.z(), case.depth, &Rational::from(1), p);
    let y0 = vec![Float::new(p); flow.dim()];
    let x0 = flow.gt_start();
    let gt = Float::with_val(p, 1000);
    let tol = ten_pow_neg(20);
    let stages = ibcert::flow::default_stages(&tol);
    let (y, s, full) = run(&flow, stages, &tol, (&x0, &y0), &gt, DEFAULT);
    let (yw, sw, _) = run(
        &flow,
        stages,
        &tol,
        (&x0, &y0),
        &gt,
        LinearPrecision::Working,
    );
    assert!(!full, "{s:?}");
    assert_eq!((s.accepted, s.rejected), (sw.accepted, sw.rejected));
    let d = digits_from_rel_error(&rel_diff_inf(p, &y, &yw), 38);
    assert!(d >= 30, "{d} digits in common");
}
