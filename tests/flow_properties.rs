//! Property tests of the numerics on random separable data (issue "Reliability: hostile
//! input, long runs, reproducibility"): small random datasets (d, N in 2..=4, rational
//! entries k/3, labels from a random separator so that no point is on its boundary),
//! D in {2, 3}, alpha in {1/2, 1, 3/2, 2}, the flow run to gt in [50, 500] at cheap
//! numerics (128 bits, tolerance 1e-20, the default 12 stages), sampled at 24 log-spaced
//! points of the dense output from gt = 1/100 to the end. At every sample:
//!
//! * the invariant: |-log L(w(nu)) - gt| <= tol^((s+1)/(2s)) (1 + gt);
//! * nu is non-decreasing componentwise (up to the same error allowance, relative to nu);
//! * gamma <= gt <= gamma + ln N (up to the drift allowance);
//! * the exact stationarity identity grad Q_{mu'}(w_hat) = kappa Z nu (docs/math.md §4),
//!   with mu' = alpha^D / gamma, componentwise to 2^-(p - 10) of kappa sum_k |z_ki nu_k|;
//! * Lemma 3, Lemma 11/13 and the non-decreasing normalized smoothed margin, through the
//!   `bounds` check's own `bound_violations`.
//!
//! Tolerances (the measured worst cases are printed with IBCERT_PROPS_VERBOSE=1):
//! * the integrator controls the local error of w relative to tol (and of nu relative to
//!   tol (|nu| + 1)); margins are O(gt), so -log L carries an error of order tol gt per
//!   step. The dense output between step ends is accurate to the stage order only (12
//!   stages: the collocation polynomial is uniformly O(h^(s+1)) inside a step against
//!   O(h^(2s)) local error at its ends, so where a step's error is tol the interpolant's
//!   is about tol^((s+1)/(2s)); the allowance is that, times (1 + gt): 1.4e-11 (1 + gt)
//!   for s = 12 at tol = 1e-20. Measured: up to 2.7e6 tol (1 + gt) = 2.7e-14 (1 + gt) on
//!   early samples (a first allowance of 10^6 tol, fitted to the first measurements, was
//!   exceeded by a later random case), while a wrong state (a relative change of 2^-20 of
//!   one nu) fails.
//! * the stationarity identity holds for every nu: only round-off enters (the mirror
//!   map, h_D^{-1} and the sums, each a few ulp, with condition numbers <= 1), so
//!   2^-(p-10) = 1024 ulp of the scale, times 1 + 1/|s_i| for D >= 3 (the mirror map's
//!   h_D(s) cancels to 2 e s for small s = c beta_i; measured up to 0.98 of the
//!   allowance without that factor at gt = 0.016).
//! * Lemma 11/13 and the smoothed margin: BOUND_TOL = 1e-15 relative (no violation at
//!   all was seen in any case: these bounds are not tight on the sampled paths, so a
//!   round-off allowance is enough; a wrong data constant fails). Lemma 3 involves ln t,
//!   whose variable v is only integrated to sqrt(tol) = 1e-10 relative: LEMMA3_TOL =
//!   1e-8 (the bound is far from tight after the first samples anyway).
//!
//! `each_check_catches_a_wrong_input` runs one fixed path and shows that every check
//! fails on a deliberately wrong input (perturbed nu, reordered samples, shifted gt,
//! wrong data constants, wrong kappa).

use ibcert::checks::bounds::bound_violations;
use ibcert::flow::DiagFlow;
use ibcert::flow::{default_stages, log_spaced, run_verified, Numerics, StopRule};
use ibcert::lp::{separability, Separability};
use ibcert::num::{from_rational, ten_pow_neg};
use ibcert::reference::constants::{data_constants, DataConstants};
use ibcert::reference::qmu::grad_q_mu;
use proptest::prelude::*;
use rug::ops::Pow;
use rug::{Float, Rational};

mod common;

const PREC: u32 = 128;
const TOL_DIGITS: u32 = 20;
const SAMPLES: usize = 24;

fn tol() -> Rational {
    ten_pow_neg(TOL_DIGITS)
}

fn f(p: u32, q: &Rational) -> Float {
    from_rational(p, q)
}

fn verbose() -> bool {
    std::env::var_os("IBCERT_PROPS_VERBOSE").is_some()
}

/// One sampled path and what it was computed from.
struct Path {
    z: Vec<Vec<Rational>>,
    depth: u32,
    alpha: Rational,
    flow: DiagFlow,
    samples: Vec<(Float, Vec<Float>)>,
}

fn run_path(z: Vec<Vec<Rational>>, depth: u32, alpha: Rational, gt: u32) -> Path {
    let tol = tol();
    let numerics = Numerics {
        prec: PREC,
        stages: default_stages(&tol),
        tol,
    };
    let at = log_spaced(
        &Rational::from((1, 100)),
        &Rational::from(gt),
        SAMPLES,
        PREC,
    );
    let v = run_verified(
        &z,
        depth,
        &alpha,
        &StopRule::Gt(Rational::from(gt)),
        &numerics,
        &at,
        false,
        |_, _| {},
    )
    .expect("the flow integrates");
    let p = v.main.numerics.prec;
    assert_eq!(v.main.samples.len(), SAMPLES, "every sample point taken");
    Path {
        flow: DiagFlow::new(&z, depth, &alpha, p),
        z,
        depth,
        alpha,
        samples: v.main.samples,
    }
}

/// The dense output's accuracy where the step ends carry tol: tol^((s+1)/(2s)), s stages.
fn dense_tol(p: u32) -> Float {
    let s = default_stages(&tol());
    let e = Float::with_val(p, s + 1) / (2 * s);
    f(p, &tol()).pow(e)
}

/// dense_tol (1 + gt) at precision p
fn drift_allowance(p: u32, gt: &Float) -> Float {
    Float::with_val(p, gt + 1u32) * dense_tol(p)
}

/// Largest |(-log L) - gt| / allowance over the samples (must be <= 1).
fn check_invariant(path: &Path, samples: &[(Float, Vec<Float>)]) -> Result<Float, String> {
    let fl = &path.flow;
    let p = fl.prec;
    let mut worst = Float::new(p);
    for (gt, y) in samples {
        let der = fl.derive(&y[..fl.n]);
        let drift = Float::with_val(p, fl.neg_log_loss(&der) - gt).abs();
        let r = drift / drift_allowance(p, gt);
        if r > 1u32 {
            return Err(format!(
                "invariant: |-log L - gt| at gt = {} is {:.3e} times the allowance",
                gt.to_f64(),
                r.to_f64()
            ));
        }
        worst = worst.max(&r);
    }
    Ok(worst)
}

/// nu_k(next) >= nu_k(prev) - allowance: the increments are p_k / S > 0 exactly, but
/// tiny (e^-(m_k - gamma)) for non-support points; the allowance is the state's error
/// scale at the dense output, dense_tol (|nu_k| + 1).
fn check_nu_monotone(path: &Path, samples: &[(Float, Vec<Float>)]) -> Result<Float, String> {
    let p = path.flow.prec;
    let n = path.flow.n;
    let tol = dense_tol(p);
    let mut worst = Float::new(p);
    for pair in samples.windows(2) {
        let (g0, a) = &pair[0];
        let (g1, b) = &pair[1];
        for k in 0..n {
            let drop = Float::with_val(p, &a[k] - &b[k]);
            let allow = (Float::with_val(p, a[k].abs_ref()) + 1u32) * &tol;
            let r = drop / allow;
            if r > 1u32 {
                return Err(format!(
                    "nu_{k} decreases from gt = {} to {} by {:.3e} times the allowance",
                    g0.to_f64(),
                    g1.to_f64(),
                    r.to_f64()
                ));
            }
            worst = worst.max(&r);
        }
    }
    Ok(worst)
}

/// gamma <= gt <= gamma + ln N, each up to the drift allowance.
fn check_gamma_bracket(path: &Path, samples: &[(Float, Vec<Float>)]) -> Result<Float, String> {
    let fl = &path.flow;
    let p = fl.prec;
    let ln_n = Float::with_val(p, fl.n as u32).ln();
    let mut worst = Float::with_val(p, -1000);
    for (gt, y) in samples {
        let der = fl.derive(&y[..fl.n]);
        let allow = drift_allowance(p, gt);
        let lo = Float::with_val(p, &der.gamma - gt) / &allow;
        let hi = Float::with_val(p, gt - Float::with_val(p, &der.gamma + &ln_n)) / &allow;
        for (r, what) in [(lo, "gamma <= gt"), (hi, "gt <= gamma + ln N")] {
            if r > 1u32 {
                return Err(format!(
                    "{what} fails at gt = {} by {:.3e} times the allowance (gamma = {})",
                    gt.to_f64(),
                    r.to_f64(),
                    der.gamma.to_f64()
                ));
            }
            worst = worst.max(&r);
        }
    }
    Ok(worst)
}

/// kappa (docs/math.md §4) as a multiple of gamma: 4 / alpha^2 (D = 2), D (D-2) / alpha^2.
fn kappa_over_gamma(depth: u32, alpha: &Rational) -> Rational {
    let a2 = alpha.clone().pow(2);
    if depth == 2 {
        Rational::from(4) / a2
    } else {
        Rational::from(depth * (depth - 2)) / a2
    }
}

/// grad Q_{mu'}(w_hat) = kappa Z nu componentwise to 2^-(p-10) kappa sum_k |z_ki nu_k|,
/// with `kg` = kappa / gamma. Returns the worst ratio residual / allowance.
fn check_stationarity(
    path: &Path,
    samples: &[(Float, Vec<Float>)],
    kg: &Rational,
) -> Result<Float, String> {
    let fl = &path.flow;
    let p = fl.prec;
    let ad = path.alpha.clone().pow(path.depth as i32);
    let ulps = Float::with_val(p, Float::i_exp(1, -(p as i32 - 10)));
    let mut worst = Float::new(p);
    for (gt, y) in samples {
        let nu = &y[..fl.n];
        let der = fl.derive(nu);
        let gamma_q = der.gamma.to_rational().expect("finite gamma");
        let mu = Rational::from(&ad / &gamma_q);
        let w_hat: Vec<Float> = der
            .w
            .iter()
            .map(|x| Float::with_val(p, x / &der.gamma))
            .collect();
        let grad = grad_q_mu(path.depth, &mu, &w_hat);
        let kappa = Float::with_val(p, f(p, kg) * &der.gamma);
        for i in 0..fl.d {
            let mut zn = Float::new(p);
            let mut scale = Float::new(p);
            for (k, row) in path.z.iter().enumerate() {
                let t = Float::with_val(p, f(p, &row[i]) * &nu[k]);
                scale += Float::with_val(p, t.abs_ref());
                zn += t;
            }
            let rhs = Float::with_val(p, &kappa * &zn);
            let res = Float::with_val(p, &grad[i] - &rhs).abs();
            // D >= 3: the mirror map's h_D(s) = (1-s)^-e - (1+s)^-e cancels to 2 e s for
            // small s = c beta, so w carries a relative round-off of 2^-p (1 + 1/|s|)
            let mut allow = Float::with_val(p, &kappa * &scale) * &ulps;
            if path.depth >= 3 && !der.beta[i].is_zero() {
                let s = Float::with_val(p, path.flow.mirror.c() * &der.beta[i]).abs();
                allow *= Float::with_val(p, s.recip_ref()) + 1u32;
            }
            if allow.is_zero() {
                if !res.is_zero() {
                    return Err(format!("stationarity: coordinate {i} is off at zero scale"));
                }
                continue;
            }
            let r = res / allow;
            if r > 1u32 {
                return Err(format!(
                    "stationarity identity: coordinate {i} at gt = {} off by {:.3e} times 2^-(p-10) of the scale",
                    gt.to_f64(),
                    r.to_f64()
                ));
            }
            worst = worst.max(&r);
        }
    }
    Ok(worst)
}

const BOUND_TOL: i32 = -15;
const LEMMA3_TOL: i32 = -8;

/// Lemma 3, Lemma 11/13 and the smoothed margin through the `bounds` check's function.
fn check_bounds(
    path: &Path,
    samples: &[(Float, Vec<Float>)],
    k: &DataConstants,
) -> Result<[Float; 3], String> {
    let p = path.flow.prec;
    let v = bound_violations(&path.flow, &path.alpha, k, samples, path.depth);
    let ten = |e: i32| Float::with_val(p, Float::with_val(p, 10).pow(e));
    let b = ten(BOUND_TOL);
    let l3 = ten(LEMMA3_TOL);
    if v.lemma3 > l3 {
        return Err(format!(
            "Lemma 3 violated by {:.3e} (relative)",
            v.lemma3.to_f64()
        ));
    }
    if v.lemma11_13 > b {
        return Err(format!(
            "Lemma 11/13 violated by {:.3e} (relative)",
            v.lemma11_13.to_f64()
        ));
    }
    if v.smoothed_margin > b {
        return Err(format!(
            "the normalized smoothed margin decreases by {:.3e} (relative)",
            v.smoothed_margin.to_f64()
        ));
    }
    Ok([v.lemma3, v.lemma11_13, v.smoothed_margin])
}

fn check_all(path: &Path) -> Result<(), String> {
    let s = &path.samples;
    let k = data_constants(&path.z).map_err(|e| e.to_string())?;
    let inv = check_invariant(path, s)?;
    let mono = check_nu_monotone(path, s)?;
    let br = check_gamma_bracket(path, s)?;
    let st = check_stationarity(path, s, &kappa_over_gamma(path.depth, &path.alpha))?;
    let b = check_bounds(path, s, &k)?;
    if verbose() {
        eprintln!(
            "N = {}, d = {}, D = {}, alpha = {}, gt = {}: drift/allow {:.2e}, nu drop/allow {:.2e}, bracket {:.2e}, stationarity/allow {:.2e}, lemma3 {:.2e}, lemma11/13 {:.2e}, smoothed margin {:.2e}",
            path.flow.n,
            path.flow.d,
            path.depth,
            path.alpha,
            s.last().unwrap().0.to_f64(),
            inv.to_f64(),
            mono.to_f64(),
            br.to_f64(),
            st.to_f64(),
            b[0].to_f64(),
            b[1].to_f64(),
            b[2].to_f64()
        );
    }
    Ok(())
}

/// A random separable dataset: rows z_n = y_n x_n with entries k/3 (|k| <= 6), labels
/// y_n = sign(x_n . w*) for a random non-zero integer w*, no point on its boundary.
#[derive(Clone, Debug)]
struct Data {
    z: Vec<Vec<Rational>>,
    depth: u32,
    alpha: Rational,
    gt: u32,
}

fn data() -> impl Strategy<Value = Data> {
    (
        2usize..=4,
        2usize..=4,
        prop_oneof![Just(2u32), Just(3u32)],
        prop_oneof![Just((1, 2)), Just((1, 1)), Just((3, 2)), Just((2, 1))],
        50u32..=500,
    )
        .prop_flat_map(|(d, n, depth, alpha, gt)| {
            (
                proptest::collection::vec(-3i32..=3, d),
                proptest::collection::vec(proptest::collection::vec(-6i32..=6, d), n),
                Just((depth, alpha, gt)),
            )
        })
        .prop_filter_map(
            "a separator with every point off its boundary",
            |(ws, xs, (depth, (an, ad), gt))| {
                if ws.iter().all(|&v| v == 0) {
                    return None;
                }
                let mut z = Vec::new();
                for x in &xs {
                    let dot: i32 = x.iter().zip(&ws).map(|(a, b)| a * b).sum();
                    if dot == 0 {
                        return None;
                    }
                    let y = dot.signum();
                    z.push(x.iter().map(|&k| Rational::from((y * k, 3))).collect());
                }
                Some(Data {
                    z,
                    depth,
                    alpha: Rational::from((an, ad)),
                    gt,
                })
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: common::proptest_cases(16),
        max_shrink_iters: 16,
        ..ProptestConfig::default()
    })]

    #[test]
    fn flow_properties_on_random_separable_data(data in data()) {
        // the crate's own exact separability check agrees with the construction
        let separable = matches!(separability(&data.z), Separability::Separable { .. });
        prop_assert!(separable, "not separable: {:?}", data);
        let path = run_path(data.z.clone(), data.depth, data.alpha.clone(), data.gt);
        if let Err(e) = check_all(&path) {
            return Err(TestCaseError::fail(format!("{e}\ndata: {data:?}")));
        }
    }
}

/// Every check fails on a deliberately wrong input: the checks are not vacuous.
#[test]
fn each_check_catches_a_wrong_input() {
    let q = |a: i32, b: i32| Rational::from((a, b));
    let z = vec![
        vec![q(1, 1), q(1, 3), q(-2, 3)],
        vec![q(-1, 3), q(1, 1), q(1, 3)],
        vec![q(2, 3), q(2, 3), q(0, 1)],
    ];
    for depth in [2u32, 3] {
        let path = run_path(z.clone(), depth, q(1, 1), 200);
        check_all(&path).expect("the true path passes");
        let p = path.flow.prec;
        let s = &path.samples;
        let k = data_constants(&z).unwrap();
        // one nu perturbed by a relative 2^-20 (1e-6) at one sample: invariant
        let mut bad = s.clone();
        let m = SAMPLES / 2;
        bad[m].1[0] *= Float::with_val(p, 1) + Float::with_val(p, Float::i_exp(1, -20));
        assert!(
            check_invariant(&path, &bad).is_err(),
            "D = {depth}: perturbed nu passes the invariant"
        );
        // the identity holds for every nu, so perturb only its right-hand side: kappa
        let wrong_kappa = kappa_over_gamma(depth, &q(1, 1)) * q(1_000_001, 1_000_000);
        assert!(
            check_stationarity(&path, s, &wrong_kappa).is_err(),
            "D = {depth}: wrong kappa passes"
        );
        // and it resolves kappa to near working precision: a relative 2^-100 is seen
        let eps = Rational::from(1) + Rational::from((1, 1u128 << 100));
        let near_kappa = kappa_over_gamma(depth, &q(1, 1)) * eps;
        assert!(
            check_stationarity(&path, s, &near_kappa).is_err(),
            "D = {depth}: kappa (1 + 2^-100) passes"
        );
        // samples in reverse order: nu decreases, the smoothed margin decreases
        let rev: Vec<(Float, Vec<Float>)> = s.iter().rev().cloned().collect();
        assert!(
            check_nu_monotone(&path, &rev).is_err(),
            "D = {depth}: reversed nu passes"
        );
        let v = bound_violations(&path.flow, &path.alpha, &k, &rev, depth);
        assert!(
            v.smoothed_margin > Float::with_val(p, Float::i_exp(1, -20)),
            "D = {depth}: reversed smoothed margin passes"
        );
        // gt shifted past gamma + ln N, and below gamma
        let ln_n = Float::with_val(p, 3u32).ln();
        let late: Vec<(Float, Vec<Float>)> = s
            .iter()
            .map(|(g, y)| (Float::with_val(p, g + &ln_n) + 1u32, y.clone()))
            .collect();
        assert!(
            check_gamma_bracket(&path, &late).is_err(),
            "D = {depth}: gt > gamma + ln N passes"
        );
        let early: Vec<(Float, Vec<Float>)> = s
            .iter()
            .map(|(_, y)| {
                let der = path.flow.derive(&y[..3]);
                (Float::with_val(p, &der.gamma - 1u32), y.clone())
            })
            .filter(|(g, _)| g.is_sign_positive())
            .collect();
        assert!(
            !early.is_empty() && check_gamma_bracket(&path, &early).is_err(),
            "D = {depth}: gt < gamma passes"
        );
        // wrong constants: gamma_2^2 four times too large (Lemma 3 too strong), xbar halved
        let mut k3 = k.clone();
        k3.gamma2_sq *= 4u32;
        let v3 = bound_violations(&path.flow, &path.alpha, &k3, s, depth);
        assert!(
            v3.lemma3 > Float::with_val(p, Float::i_exp(1, -20)),
            "D = {depth}: wrong gamma_2 passes Lemma 3"
        );
        let mut k11 = k.clone();
        k11.xbar /= 4u32;
        let v11 = bound_violations(&path.flow, &path.alpha, &k11, s, depth);
        assert!(
            v11.lemma11_13 > Float::with_val(p, Float::i_exp(1, -20)),
            "D = {depth}: wrong xbar passes Lemma 11/13"
        );
        assert!(check_bounds(&path, s, &k3).is_err() && check_bounds(&path, s, &k11).is_err());
    }
}
