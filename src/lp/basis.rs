//! Exact certification of a guessed basis, the way exact LP solvers do it: with
//! the basis `B` (m columns of `A`), solve `B x_B = b` and `B^T y = c_B` exactly and
//! check `x_B >= 0` and the reduced costs `c - A^T y >= 0`. Then `(x, y)` is an
//! optimal pair and [`super::verify_optimal`] accepts it.
//!
//! Columns of `B` with a single nonzero (the slack columns of the margin LPs) are
//! eliminated directly; the rest is a square system solved by fraction-free
//! (Bareiss) elimination over the integers after scaling its rows to integers.

use super::LpSolution;
use super::StandardLp;
use crate::num::rational::{dot, solve_square_bareiss as solve_square};
use rug::{Integer, Rational};

/// The result of [`certify`].
pub(super) struct Certified {
    pub sol: LpSolution,
    /// `x_B > 0` and every nonbasic reduced cost `> 0`: then `x` and `y` are the
    /// unique optimal primal and dual solutions, so every exact method finds them.
    pub strict: bool,
}

/// Certifies `basis` (`m` distinct columns, in any order) as optimal for `lp`;
/// `None` when `B` is singular, `x_B` has a negative entry or a reduced cost is
/// negative.
pub(super) fn certify(lp: &StandardLp, basis: &[usize]) -> Option<Certified> {
    let m = lp.rows();
    let n = lp.cols();
    if basis.len() != m {
        return None;
    }
    let mut is_basic = vec![false; n];
    for &k in basis {
        if k >= n || is_basic[k] {
            return None;
        }
        is_basic[k] = true;
    }
    // Singleton columns of B, each owning its row.
    let mut row_owner: Vec<Option<usize>> = vec![None; m];
    let mut core_cols = Vec::new();
    for &k in basis {
        let mut nz = (0..m).filter(|&i| lp.a[i][k] != 0);
        let first = nz.next()?;
        if nz.next().is_none() && row_owner[first].is_none() {
            row_owner[first] = Some(k);
        } else {
            core_cols.push(k);
        }
    }
    let core_rows: Vec<usize> = (0..m).filter(|&i| row_owner[i].is_none()).collect();
    if core_rows.len() != core_cols.len() {
        return None;
    }
    let core: Vec<Vec<Rational>> = core_rows
        .iter()
        .map(|&i| core_cols.iter().map(|&k| lp.a[i][k].clone()).collect())
        .collect();
    let core_t: Vec<Vec<Rational>> = (0..core_cols.len())
        .map(|t| core.iter().map(|row| row[t].clone()).collect())
        .collect();
    // Duals of the singleton rows: a_{r,k} y_r = c_k.
    let mut y = vec![Rational::new(); m];
    for (r, owner) in row_owner.iter().enumerate() {
        if let Some(k) = owner {
            y[r] = Rational::from(&lp.c[*k] / &lp.a[r][*k]);
        }
    }
    let rhs_p: Vec<Rational> = core_rows.iter().map(|&i| lp.b[i].clone()).collect();
    let rhs_d: Vec<Rational> = core_cols
        .iter()
        .map(|&k| {
            let mut v = lp.c[k].clone();
            for (r, owner) in row_owner.iter().enumerate() {
                if owner.is_some() && lp.a[r][k] != 0 && y[r] != 0 {
                    v -= Rational::from(&lp.a[r][k] * &y[r]);
                }
            }
            v
        })
        .collect();
    let (xp, yd) = rayon::join(
        || solve_square(&core, &rhs_p),
        || solve_square(&core_t, &rhs_d),
    );
    let (xp, yd) = (xp?, yd?);
    let mut x = vec![Rational::new(); n];
    for (t, &k) in core_cols.iter().enumerate() {
        x[k] = xp[t].clone();
    }
    for (t, &i) in core_rows.iter().enumerate() {
        y[i] = yd[t].clone();
    }
    for (r, owner) in row_owner.iter().enumerate() {
        if let Some(k) = owner {
            let mut v = lp.b[r].clone();
            for &c in &core_cols {
                if lp.a[r][c] != 0 {
                    v -= Rational::from(&lp.a[r][c] * &x[c]);
                }
            }
            x[*k] = v / &lp.a[r][*k];
        }
    }
    let mut strict = true;
    for &k in basis {
        if x[k] < 0 {
            return None;
        }
        strict &= x[k] > 0;
    }
    // Reduced costs c_j - A_j^T y of the nonbasic columns, with y = Y / D, Y integral.
    let den = y.iter().fold(Integer::from(1), |l, v| l.lcm(v.denom()));
    let yi: Vec<Rational> = y.iter().map(|v| Rational::from(v * &den)).collect();
    for j in (0..n).filter(|&j| !is_basic[j]) {
        let mut s = Rational::from(&lp.c[j] * &den);
        for (i, row) in lp.a.iter().enumerate() {
            if row[j] != 0 && yi[i] != 0 {
                s -= Rational::from(&row[j] * &yi[i]);
            }
        }
        if s < 0 {
            return None;
        }
        strict &= s > 0;
    }
    let objective = dot(&lp.c, &x);
    Some(Certified {
        sol: LpSolution {
            x,
            y,
            objective,
            basis: basis.to_vec(),
        },
        strict,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lp::{float_guess, margin_lp, verify_optimal, FloatOutcome};
    use crate::num::testing::q;

    /// A small deterministic generator (64-bit LCG).
    fn lcg(state: &mut u64) -> i64 {
        *state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((*state >> 33) % 2001) as i64 - 1000
    }

    #[test]
    fn bareiss_agrees_with_gaussian_elimination() {
        let mut s = 7u64;
        for k in 0..9 {
            let a: Vec<Vec<Rational>> = (0..k)
                .map(|_| {
                    (0..k)
                        .map(|_| q(lcg(&mut s), 1 + lcg(&mut s).abs()))
                        .collect()
                })
                .collect();
            let b: Vec<Rational> = (0..k).map(|_| q(lcg(&mut s), 7)).collect();
            let want = crate::num::rational::solve_square(a.clone(), b.clone());
            assert_eq!(solve_square(&a, &b), want);
        }
        // Singular: two equal rows.
        let a = vec![vec![q(1, 2), q(1, 3)], vec![q(1, 2), q(1, 3)]];
        assert_eq!(solve_square(&a, &[q(1, 1), q(2, 1)]), None);
    }

    #[test]
    fn the_float_guess_certifies_on_random_margin_lps() {
        // Random data with N = d: the 64-bit basis certifies, strictly, so the exact
        // simplex is not needed.
        let mut s = 11u64;
        for n in [3, 8, 15, 25] {
            let z: Vec<Vec<Rational>> = (0..n)
                .map(|_| (0..n).map(|_| q(lcg(&mut s), 1000)).collect())
                .collect();
            let lp = margin_lp(&z, n, 1);
            let FloatOutcome::Optimal(g) = float_guess(&lp, 64) else {
                panic!("the float simplex failed at n = {n}")
            };
            let c = certify(&lp, &g.basis).expect("the guess certifies");
            assert!(c.strict);
            verify_optimal(&lp, &c.sol).unwrap();
        }
    }

    #[test]
    fn a_wrong_basis_does_not_certify() {
        // min x1 + 2 x2 s.t. x1 + x2 = 1: basis {x2} is feasible but not optimal;
        // with x1 - x2 = 1 the basis {x2} is infeasible (x2 = -1).
        let lp = StandardLp {
            a: vec![vec![q(1, 1), q(1, 1)]],
            b: vec![q(1, 1)],
            c: vec![q(1, 1), q(2, 1)],
        };
        assert!(certify(&lp, &[1]).is_none());
        let c = certify(&lp, &[0]).unwrap();
        assert!(c.strict);
        assert_eq!(c.sol.x, vec![q(1, 1), q(0, 1)]);
        let mut lp2 = lp.clone();
        lp2.a[0][1] = q(-1, 1);
        assert!(certify(&lp2, &[1]).is_none());
        assert!(certify(&lp, &[0, 0]).is_none());
    }
}
