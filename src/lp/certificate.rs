//! Checks of the solver's certificates, independent of the solver: each recomputes
//! what its certificate claims, exactly.

use super::{LpOutcome, LpSolution, StandardLp};
use crate::num::rational::{dot, mat_t_vec, rank};
use rug::Rational;

/// `A x`.
fn mat_vec(a: &[Vec<Rational>], x: &[Rational]) -> Vec<Rational> {
    a.iter().map(|row| dot(row, x)).collect()
}

pub(super) fn check_len(what: &str, v: &[Rational], len: usize) -> Result<(), String> {
    if v.len() == len {
        Ok(())
    } else {
        Err(format!("{what} has length {} but expected {len}", v.len()))
    }
}

/// Checks that `v` has length `len` and no negative entry.
pub(super) fn check_nonnegative(what: &str, v: &[Rational], len: usize) -> Result<(), String> {
    check_len(what, v, len)?;
    if let Some(j) = v.iter().position(|vj| *vj < 0) {
        return Err(format!("{what}[{j}] = {} < 0", v[j]));
    }
    Ok(())
}

/// Checks primal feasibility `A x = b, x >= 0`.
pub fn verify_feasible(lp: &StandardLp, x: &[Rational]) -> Result<(), String> {
    lp.check_dims()?;
    check_nonnegative("x", x, lp.cols())?;
    for (i, (axi, bi)) in mat_vec(&lp.a, x).iter().zip(&lp.b).enumerate() {
        if axi != bi {
            return Err(format!("(A x)[{i}] = {axi} != b[{i}] = {bi}"));
        }
    }
    Ok(())
}

/// Checks dual feasibility `A^T y <= c`.
pub fn verify_dual_feasible(lp: &StandardLp, y: &[Rational]) -> Result<(), String> {
    lp.check_dims()?;
    check_len("y", y, lp.rows())?;
    let aty = mat_t_vec(&lp.a, y, lp.cols());
    for (j, (v, cj)) in aty.iter().zip(&lp.c).enumerate() {
        if v > cj {
            return Err(format!("(A^T y)[{j}] = {v} > c[{j}] = {cj}"));
        }
    }
    Ok(())
}

/// Checks an optimality certificate independently of the solver: primal
/// feasibility, dual feasibility, `c^T x = b^T y = objective`, and that
/// `basis` lists distinct, linearly independent columns outside of which `x`
/// vanishes.
pub fn verify_optimal(lp: &StandardLp, sol: &LpSolution) -> Result<(), String> {
    verify_feasible(lp, &sol.x)?;
    verify_dual_feasible(lp, &sol.y)?;
    let primal = dot(&lp.c, &sol.x);
    let dual = dot(&lp.b, &sol.y);
    if primal != dual {
        return Err(format!("c^T x = {primal} != b^T y = {dual}"));
    }
    if primal != sol.objective {
        return Err(format!(
            "reported objective {} != c^T x = {primal}",
            sol.objective
        ));
    }
    let n = lp.cols();
    let mut in_basis = vec![false; n];
    for &k in &sol.basis {
        if k >= n {
            return Err(format!("basis index {k} out of range (n = {n})"));
        }
        if in_basis[k] {
            return Err(format!("basis index {k} repeated"));
        }
        in_basis[k] = true;
    }
    if let Some(j) = (0..n).find(|&j| !in_basis[j] && sol.x[j] != 0) {
        return Err(format!("x[{j}] = {} != 0 but {j} is not basic", sol.x[j]));
    }
    let cols: Vec<Vec<Rational>> = sol
        .basis
        .iter()
        .map(|&k| lp.a.iter().map(|row| row[k].clone()).collect())
        .collect();
    if rank(cols, lp.rows()) != sol.basis.len() {
        return Err("basis columns are linearly dependent".to_string());
    }
    Ok(())
}

/// Checks a Farkas certificate of infeasibility: `A^T y <= 0`, `b^T y > 0`.
pub fn verify_infeasible(lp: &StandardLp, farkas_y: &[Rational]) -> Result<(), String> {
    lp.check_dims()?;
    check_len("farkas_y", farkas_y, lp.rows())?;
    let aty = mat_t_vec(&lp.a, farkas_y, lp.cols());
    if let Some(j) = aty.iter().position(|v| *v > 0) {
        return Err(format!("(A^T y)[{j}] = {} > 0", aty[j]));
    }
    let by = dot(&lp.b, farkas_y);
    if by <= 0 {
        return Err(format!("b^T y = {by} <= 0"));
    }
    Ok(())
}

/// Checks an unboundedness certificate: `x` feasible, `ray >= 0`,
/// `A ray = 0`, `c^T ray < 0`.
pub fn verify_unbounded(lp: &StandardLp, x: &[Rational], ray: &[Rational]) -> Result<(), String> {
    verify_feasible(lp, x)?;
    check_nonnegative("ray", ray, lp.cols())?;
    for (i, v) in mat_vec(&lp.a, ray).iter().enumerate() {
        if *v != 0 {
            return Err(format!("(A ray)[{i}] = {v} != 0"));
        }
    }
    let cd = dot(&lp.c, ray);
    if cd >= 0 {
        return Err(format!("c^T ray = {cd} >= 0"));
    }
    Ok(())
}

/// Checks whichever certificate `outcome` carries.
pub fn verify_outcome(lp: &StandardLp, outcome: &LpOutcome) -> Result<(), String> {
    match outcome {
        LpOutcome::Optimal(sol) => verify_optimal(lp, sol),
        LpOutcome::Infeasible { farkas_y } => verify_infeasible(lp, farkas_y),
        LpOutcome::Unbounded { x, ray } => verify_unbounded(lp, x, ray),
    }
}
