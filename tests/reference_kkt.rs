//! KKT residuals of given predictors: the reference solutions satisfy their own KKT
//! conditions to the precision, fail the others', and the flow's own multipliers nu
//! satisfy the exact stationarity identity of docs/math.md §4 along the path.

use ibcert::case::Case;
use ibcert::flow::DiagFlow;
use ibcert::flow::{integrate, Numerics, Summary};
use ibcert::num::{from_rational, ten_pow_neg};
use ibcert::reference::kkt::{kkt_residuals, Problem};
use ibcert::reference::{l1, l2, qmu};
use rug::ops::Pow;
use rug::{Float, Rational};
use std::path::Path;

fn three_point() -> Vec<Vec<Rational>> {
    Case::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("cases/three_point.toml"))
        .unwrap()
        .z()
}

fn tiny(prec: u32, below: i32) -> Float {
    Float::with_val(prec, Float::i_exp(1, below - prec as i32))
}

fn floats(prec: u32, v: &[Rational]) -> Vec<Float> {
    v.iter().map(|q| from_rational(prec, q)).collect()
}

#[test]
fn references_satisfy_their_own_kkt_conditions_and_not_the_others() {
    let p = 256;
    let z = three_point();
    let tol = Float::with_val(p, Float::i_exp(1, -100));
    let w2 = floats(p, &l2::l2_max_margin(&z).unwrap().w);
    let w1 = floats(p, &l1::l1_max_margin(&z).unwrap().w);
    let mu = Rational::from((1, 2));
    let wq = qmu::solve_qmu(&z, 2, &mu, p, None).unwrap().w;
    let cases = [
        (&w2, Problem::L2),
        (&w1, Problem::L1),
        (
            &wq,
            Problem::Qmu {
                depth: 2,
                mu: mu.clone(),
            },
        ),
    ];
    for (w, problem) in &cases {
        let r = kkt_residuals(&z, w, problem, None, &tol, &tol, p);
        assert!(
            r.max() < tiny(p, 40),
            "{problem:?}: own residuals {:?}",
            r.report()
        );
    }
    // w_l2 is not l1-stationary and w_l1 not l2-stationary on these data
    let r = kkt_residuals(&z, &w2, &Problem::L1, None, &tol, &tol, p);
    assert!(
        r.stationarity > Float::with_val(p, Float::i_exp(1, -12)),
        "{:?}",
        r.report()
    );
    let r = kkt_residuals(&z, &w1, &Problem::L2, None, &tol, &tol, p);
    assert!(
        r.stationarity > Float::with_val(p, Float::i_exp(1, -12)),
        "{:?}",
        r.report()
    );
    // and an infeasible point shows its infeasibility
    let half: Vec<Float> = w2.iter().map(|x| Float::with_val(p, x / 2u32)).collect();
    let r = kkt_residuals(&z, &half, &Problem::L2, None, &tol, &tol, p);
    assert!(
        r.primal_infeasibility == Float::with_val(p, 1) / 2u32,
        "{:?}",
        r.report()
    );
}

/// docs/math.md §4: along the whole path, with mu' = alpha^D / gamma, grad Q^D_{mu'}(w_hat)
/// is a non-negative multiple of Z nu (kappa Z nu). The flow's own multipliers satisfy
/// stationarity for Q_{mu'} at w_hat to the integration accuracy.
#[test]
fn flow_multipliers_satisfy_the_exact_stationarity_identity() {
    let p = 256;
    let z = three_point();
    for (depth, alpha, gt) in [(2u32, 100, 20_000), (3, 2, 500)] {
        let alpha = Rational::from(alpha);
        let numerics = Numerics {
            prec: p,
            tol: ten_pow_neg(40),
            stages: 24,
        };
        let flow = DiagFlow::new(&z, depth, &alpha, p);
        let sol = integrate(&flow, &numerics, &Float::with_val(p, gt), &[], |_| {}).unwrap();
        let s = Summary::at(&flow, &sol.gt, &sol.y);
        // mu' = alpha^D / gamma, kept exact through gamma's rational value
        let gamma = s.gamma.to_rational().unwrap();
        let mu_prime = alpha.clone().pow(depth as i32) / gamma;
        let tol = Float::with_val(p, Float::i_exp(1, -60));
        let r = kkt_residuals(
            &z,
            &s.w_hat,
            &Problem::Qmu {
                depth,
                mu: mu_prime,
            },
            Some(&s.nu),
            &tol,
            &tol,
            p,
        );
        let flow_stat = r.stationarity_flow.clone().unwrap();
        assert!(
            flow_stat < Float::with_val(p, Float::i_exp(1, -120)),
            "D = {depth}: {:?}",
            r.report()
        );
        // the flow is not stationary for the l1 problem at this accuracy
        let r1 = kkt_residuals(&z, &s.w_hat, &Problem::L1, Some(&s.nu), &tol, &tol, p);
        assert!(
            r1.stationarity > Float::with_val(p, Float::i_exp(1, -30)),
            "{:?}",
            r1.report()
        );
    }
}

/// l_{2/D} stationarity (D >= 3): on the three-point data the l1 solution (5/9, 8/9, 0)
/// has two active points spanning its support, so the gradient (2/D)|w_i|^(2/D-1) on the
/// support is fitted exactly by non-negative multipliers; a point off the constraint
/// boundary scaled up is not stationary.
#[test]
fn l2_over_d_stationarity() {
    let p = 256;
    let z = three_point();
    let tol = Float::with_val(p, Float::i_exp(1, -100));
    let w1 = floats(p, &l1::l1_max_margin(&z).unwrap().w);
    for depth in [3u32, 10] {
        let r = kkt_residuals(&z, &w1, &Problem::L2OverD { depth }, None, &tol, &tol, p);
        assert!(r.max() < tiny(p, 40), "D = {depth}: {:?}", r.report());
    }
    // w_l2 has all three coordinates nonzero and two active points: 3 equations, 2 multipliers
    let w2 = floats(p, &l2::l2_max_margin(&z).unwrap().w);
    let r = kkt_residuals(&z, &w2, &Problem::L2OverD { depth: 3 }, None, &tol, &tol, p);
    assert!(
        r.stationarity > Float::with_val(p, Float::i_exp(1, -12)),
        "{:?}",
        r.report()
    );
}
