//! Unit tests for the simplex internals.

use super::*;
use crate::lp::{
    verify_feasible, verify_infeasible, verify_optimal, verify_outcome, verify_unbounded,
};
use crate::num::rational::rank;
use crate::num::testing::q;

fn qi(v: i64) -> Rational {
    Rational::from(v)
}

/// Beale's example in standard form; columns 0..3 are the slacks, which form
/// a feasible (degenerate) starting basis.
fn beale() -> StandardLp {
    StandardLp {
        a: vec![
            vec![qi(1), qi(0), qi(0), q(1, 4), qi(-60), q(-1, 25), qi(9)],
            vec![qi(0), qi(1), qi(0), q(1, 2), qi(-90), q(-1, 50), qi(3)],
            vec![qi(0), qi(0), qi(1), qi(0), qi(0), qi(1), qi(0)],
        ],
        b: vec![qi(0), qi(0), qi(1)],
        c: vec![qi(0), qi(0), qi(0), q(-3, 4), qi(150), q(-1, 50), qi(6)],
    }
}

/// Phase-2 tableau started from an identity basis `basis` of `lp` (which
/// must be primal feasible).
fn from_identity_basis(lp: &StandardLp, basis: &[usize]) -> Tableau {
    let (mut t, negated) = Tableau::phase1(lp);
    assert!(negated.iter().all(|&b| !b));
    for (r, &j) in basis.iter().enumerate() {
        t.pivot(r, j);
    }
    t.set_phase2_costs(&lp.c);
    t
}

#[test]
fn dantzig_cycles_on_beale_but_bland_terminates() {
    let lp = beale();
    let n = lp.cols();

    // Dantzig's rule from the slack basis returns to it after 6 pivots.
    let mut t = from_identity_basis(&lp, &[0, 1, 2]);
    let start = t.basis.clone();
    let mut revisited = false;
    for _ in 0..6 {
        // One pivot per call.
        assert_eq!(t.run(n, PivotRule::Dantzig, Some(1)), Phase::IterationLimit);
        let mut b = t.basis.clone();
        b.sort_unstable();
        if b == start {
            revisited = true;
            break;
        }
    }
    assert!(revisited, "Dantzig's rule did not cycle on Beale's example");
    assert_eq!(t.obj[t.rhs()], 0, "cycle must not change the objective");

    // Bland's rule from the same basis reaches the optimum -1/20.
    let mut t = from_identity_basis(&lp, &[0, 1, 2]);
    assert_eq!(t.run(n, PivotRule::Bland, Some(1000)), Phase::Optimal);
    assert_eq!(Rational::from(-&t.obj[t.rhs()]), q(-1, 20));
    let x = t.primal();
    assert_eq!(dot(&lp.c, &x), q(-1, 20));
    verify_feasible(&lp, &x).unwrap();
}

#[test]
fn full_solver_on_beale() {
    let lp = beale();
    let LpOutcome::Optimal(sol) = solve(&lp) else {
        panic!("expected optimal")
    };
    assert_eq!(sol.objective, q(-1, 20));
    verify_optimal(&lp, &sol).unwrap();
}

#[test]
fn negated_rows_map_duals_back() {
    // min x0 + x1 s.t. -x0 - 2 x1 = -2  ->  x = (0, 1), objective 1.
    let lp = StandardLp {
        a: vec![vec![qi(-1), qi(-2)]],
        b: vec![qi(-2)],
        c: vec![qi(1), qi(1)],
    };
    let LpOutcome::Optimal(sol) = solve(&lp) else {
        panic!("expected optimal")
    };
    assert_eq!(sol.x, vec![qi(0), qi(1)]);
    assert_eq!(sol.y, vec![q(-1, 2)]);
    verify_optimal(&lp, &sol).unwrap();
}

#[test]
fn redundant_row_keeps_artificial_in_zero_row() {
    // Row 2 = row 0 + row 1.
    let lp = StandardLp {
        a: vec![
            vec![qi(1), qi(1), qi(0)],
            vec![qi(0), qi(1), qi(1)],
            vec![qi(1), qi(2), qi(1)],
        ],
        b: vec![qi(1), qi(1), qi(2)],
        c: vec![qi(1), qi(0), qi(1)],
    };
    let LpOutcome::Optimal(sol) = solve(&lp) else {
        panic!("expected optimal")
    };
    assert_eq!(sol.objective, 0);
    assert_eq!(sol.x, vec![qi(0), qi(1), qi(0)]);
    assert_eq!(sol.basis.len(), 2);
    verify_optimal(&lp, &sol).unwrap();
}

#[test]
fn rank_helper() {
    assert_eq!(rank(vec![], 0), 0);
    assert_eq!(rank(vec![vec![qi(1), qi(2)], vec![qi(2), qi(4)]], 2), 1);
    assert_eq!(
        rank(
            vec![
                vec![qi(0), qi(1), qi(2)],
                vec![qi(1), qi(0), qi(0)],
                vec![qi(1), qi(1), qi(2)],
            ],
            3
        ),
        2
    );
    assert_eq!(rank(vec![vec![qi(0), qi(1)], vec![qi(1), qi(0)]], 2), 2);
}

#[test]
fn verifiers_reject_bad_certificates() {
    let lp = StandardLp {
        a: vec![vec![qi(1), qi(1)]],
        b: vec![qi(1)],
        c: vec![qi(1), qi(2)],
    };
    let good = LpSolution {
        x: vec![qi(1), qi(0)],
        y: vec![qi(1)],
        objective: qi(1),
        basis: vec![0],
    };
    verify_optimal(&lp, &good).unwrap();
    let mut bad = good.clone();
    bad.y = vec![qi(2)];
    assert!(verify_optimal(&lp, &bad).is_err());
    let mut bad = good.clone();
    bad.x = vec![qi(0), qi(1)];
    bad.objective = qi(2);
    bad.basis = vec![1];
    assert!(verify_optimal(&lp, &bad).is_err());
    let mut bad = good.clone();
    bad.basis = vec![1];
    assert!(verify_optimal(&lp, &bad).is_err());
    assert!(verify_infeasible(&lp, &[qi(-1)]).is_err());
    assert!(verify_infeasible(&lp, &[qi(1)]).is_err());
    assert!(verify_unbounded(&lp, &[qi(1), qi(0)], &[qi(1), qi(-1)]).is_err());
}

#[test]
fn empty_problems() {
    let lp = StandardLp {
        a: vec![],
        b: vec![],
        c: vec![qi(1), qi(0)],
    };
    let LpOutcome::Optimal(sol) = solve(&lp) else {
        panic!("expected optimal")
    };
    assert_eq!(sol.objective, 0);
    verify_optimal(&lp, &sol).unwrap();

    let lp = StandardLp {
        a: vec![],
        b: vec![],
        c: vec![qi(1), qi(-1)],
    };
    let out = solve(&lp);
    assert!(matches!(out, LpOutcome::Unbounded { .. }));
    verify_outcome(&lp, &out).unwrap();

    // 0 = 1 with no variables.
    let lp = StandardLp {
        a: vec![vec![]],
        b: vec![qi(1)],
        c: vec![],
    };
    let out = solve(&lp);
    assert!(matches!(out, LpOutcome::Infeasible { .. }));
    verify_outcome(&lp, &out).unwrap();
}
