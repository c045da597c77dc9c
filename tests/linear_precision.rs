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
    ill_conditioned(12, DEFAULT);
}

/// The same with 6 components and [`LinearPrecision::ReducedAll`] (the flows' choice):
/// the dense block factorizations at 64 bits pass the same pivot test, so the
/// ill-conditioned matrix falls back and the well-conditioned one keeps 64 bits. With
/// the default `Reduced`, 6 components keep the working precision: the same work as
/// `Working` to the count.
#[test]
fn a_small_problem_reduces_only_when_asked_to() {
    ill_conditioned(6, LinearPrecision::ReducedAll(REDUCED_LINEAR_BITS));
    let p = 192;
    let ls: Vec<Rational> = (0..6).map(|k| Rational::from(-(k + 1))).collect();
    let ode = StiffLinear::new(p, &ls);
    let y0: Vec<Float> = (0..6).map(|i| Float::with_val(p, i + 1)).collect();
    let (x0, x_end) = (Float::new(p), Float::with_val(p, 1));
    let tol = ten_pow_neg(30);
    let (_, s, _) = run(&ode, 8, &tol, (&x0, &y0), &x_end, DEFAULT);
    let (_, sw, _) = run(&ode, 8, &tol, (&x0, &y0), &x_end, LinearPrecision::Working);
    assert_eq!(s, sw);
}

/// y' = M y in `dim` dimensions, one slow mode beside the others at -10^30 k (falls back
/// from the reduced precision `lin`) or -10^6 k (keeps it).
fn ill_conditioned(dim: usize, lin: LinearPrecision) {
    let p = 192;
    let x0 = Float::new(p);
    let x_end = Float::with_val(p, 1);
    let y0q: Vec<Rational> = (0..dim as i32)
        .map(|i| Rational::from((i - 5, 3)))
        .collect();
    let y0: Vec<Float> = y0q.iter().map(|q| from_rational(p, q)).collect();
    let tol = ten_pow_neg(30);
    for (scale, falls_back) in [(30u32, true), (6, false)] {
        let ls: Vec<Rational> = (0..dim)
            .map(|k| match k {
                0 => Rational::from(-1),
                _ => -Rational::from(Integer::from(10).pow(scale) * k as u32),
            })
            .collect();
        let ode = StiffLinear::new(p, &ls);
        let (y, s, full) = run(&ode, 8, &tol, (&x0, &y0), &x_end, lin);
        let (yw, sw, fullw) = run(&ode, 8, &tol, (&x0, &y0), &x_end, LinearPrecision::Working);
        assert_eq!(full, falls_back, "{dim} components, 10^{scale}: {s:?}");
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

/// y' = J y with J = P (-I + b N) P^{-1}: N the n x n shift (ones above the diagonal),
/// P the lower triangle of ones (P^{-1}: 1 on the diagonal, -1 below it). J is dense
/// and has one eigenvalue, -1, in a single Jordan block: the condition number of the
/// Newton matrices d I - J is about (b / |d + 1|)^(n-1), so a linear-algebra precision
/// below its logarithm gives corrections off by more than themselves.
/// Exact solution: y(x) = P e^-x sum_k (b x)^k / k! N^k P^{-1} y0.
struct JordanBlock {
    prec: u32,
    n: usize,
    b: Rational,
    m: Vec<Float>,
}

impl JordanBlock {
    fn new(prec: u32, n: usize, b: Rational) -> JordanBlock {
        let pe = |i: usize, k: usize| i32::from(k <= i);
        let pinv = |k: usize, j: usize| {
            if j == k {
                1
            } else if j + 1 == k {
                -1
            } else {
                0
            }
        };
        let core = |k: usize, l: usize| {
            if k == l {
                Rational::from(-1)
            } else if l == k + 1 {
                b.clone()
            } else {
                Rational::new()
            }
        };
        let mut m = vec![Float::new(prec); n * n];
        for i in 0..n {
            for j in 0..n {
                let mut acc = Rational::new();
                for k in 0..n {
                    for l in 0..n {
                        let c = pe(i, k) * pinv(l, j);
                        if c != 0 {
                            acc += core(k, l) * c;
                        }
                    }
                }
                m[i * n + j] = from_rational(prec, &acc);
            }
        }
        JordanBlock { prec, n, b, m }
    }

    fn exact(&self, y0: &[Rational], x: &Float) -> Vec<Float> {
        let (n, p) = (self.n, self.prec);
        // c = P^{-1} y0, then e^-x sum_k (b x)^k / k! N^k c, then P
        let c: Vec<Rational> = (0..n)
            .map(|k| {
                if k == 0 {
                    y0[0].clone()
                } else {
                    Rational::from(&y0[k] - &y0[k - 1])
                }
            })
            .collect();
        let bx = Float::with_val(p, x * from_rational(p, &self.b));
        let e = Float::with_val(p, -x).exp();
        let core: Vec<Float> = (0..n)
            .map(|i| {
                let mut acc = Float::new(p);
                let mut term = Float::with_val(p, 1);
                for k in 0..n - i {
                    acc += Float::with_val(p, &term * from_rational(p, &c[i + k]));
                    term *= &bx;
                    term /= (k + 1) as u32;
                }
                acc * &e
            })
            .collect();
        (0..n)
            .map(|i| {
                let mut acc = Float::new(p);
                for v in &core[..=i] {
                    acc += v;
                }
                acc
            })
            .collect()
    }
}

impl Ode for JordanBlock {
    fn dim(&self) -> usize {
        self.n
    }
    fn prec(&self) -> u32 {
        self.prec
    }
    fn rhs(&self, _x: &Float, y: &[Float], out: &mut [Float]) {
        let n = self.n;
        for i in 0..n {
            let mut v = Float::new(self.prec);
            for j in 0..n {
                v += Float::with_val(self.prec, &self.m[i * n + j] * &y[j]);
            }
            out[i] = v;
        }
    }
    fn jacobian(&self, _x: &Float, _y: &[Float], jac: &mut [Float]) {
        for (j, m) in jac.iter_mut().zip(&self.m) {
            *j = m.clone();
        }
    }
}

/// A stage solve that fails at the reduced precision without a refused factorization
/// (the pivot test passes; the Newton matrices are merely too ill-conditioned for it):
/// the first failure shortens the step as any Newton failure does, the second in a row
/// is retried at the working precision, which converges and is kept; the answer is the
/// exact solution's to the tolerance, as with the working precision throughout. (At
/// 64 bits the pivot test refuses this problem's factorizations once b is large enough
/// for 64 bits to fail, so the linear-algebra precision is lowered to 8 bits to reach
/// the Newton failures.)
#[test]
fn newton_failures_in_a_row_at_the_reduced_precision_fall_back_to_the_working_one() {
    let p = 192;
    let n = 12;
    let ode = JordanBlock::new(p, n, Rational::from(1000));
    let x0 = Float::new(p);
    let x_end = Float::with_val(p, 1);
    let y0q: Vec<Rational> = (0..n as i32).map(|i| Rational::from((i + 1, 7))).collect();
    let y0: Vec<Float> = y0q.iter().map(|q| from_rational(p, q)).collect();
    let tol = ten_pow_neg(30);
    // at 8 bits the Newton matrices (condition about 10^8 at these steps) give
    // corrections off by more than themselves, while every pivot passes the test
    const BITS: u32 = 8;
    let (y, s, full) = run(
        &ode,
        8,
        &tol,
        (&x0, &y0),
        &x_end,
        LinearPrecision::Reduced(BITS),
    );
    let (yw, sw, fullw) = run(&ode, 8, &tol, (&x0, &y0), &x_end, LinearPrecision::Working);
    assert!(full, "{s:?}");
    assert!(!fullw);
    // two Newton failures in a row at 8 bits (the first shortens the step, the second
    // is retried at the working precision, which converges and is kept), one rejected
    // attempt more than at the working precision throughout, and no refused factorization
    assert_eq!(s.newton_failures, 2, "{s:?} {sw:?}");
    assert_eq!(sw.newton_failures, 0, "{sw:?}");
    assert_eq!(s.rejected, sw.rejected + 1, "{s:?} {sw:?}");
    let exact = ode.exact(&y0q, &x_end);
    for (what, v) in [("reduced", &y), ("working", &yw)] {
        let d = digits_from_rel_error(&rel_diff_inf(p, v, &exact), 50);
        assert!(d >= 28, "{what}: {d} digits ({s:?})");
    }
}
