//! The dense two-phase primal simplex method on exact rationals.

use super::{LpOutcome, LpSolution, StandardLp};
use crate::num::rational::dot;
use rug::Rational;
use std::cmp::Ordering;

#[cfg(test)]
mod tests;

/// Which entering/leaving rule the simplex uses. Only Bland's rule is
/// guaranteed to terminate; Dantzig's rule exists to demonstrate cycling in
/// the unit tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PivotRule {
    Bland,
    #[cfg(test)]
    Dantzig,
}

/// Outcome of running the simplex loop on the current tableau.
#[derive(Debug, PartialEq, Eq)]
enum Phase {
    Optimal,
    /// Entering column with no positive entry: the objective is unbounded.
    Unbounded(usize),
    /// Iteration limit hit (only used by tests).
    IterationLimit,
}

/// Dense simplex tableau for `A' x = b'` (`b' >= 0`) extended by an identity
/// block of artificial columns `n..n+m`. Column `n + m` holds the right hand
/// side. Because the artificial block starts as the identity, it always holds
/// `B^{-1}`.
struct Tableau {
    n: usize,
    m: usize,
    rows: Vec<Vec<Rational>>,
    /// Reduced costs for every column; the last entry is `-objective`.
    obj: Vec<Rational>,
    basis: Vec<usize>,
    /// Column costs of the current phase (length `n + m`).
    cost: Vec<Rational>,
}

impl Tableau {
    /// Builds the phase-1 tableau. Rows with negative `b_i` are negated; the
    /// sign of each row is returned so duals can be mapped back.
    fn phase1(lp: &StandardLp) -> (Tableau, Vec<bool>) {
        let m = lp.rows();
        let n = lp.cols();
        let width = n + m + 1;
        let mut rows = Vec::with_capacity(m);
        let mut negated = Vec::with_capacity(m);
        for i in 0..m {
            let neg = lp.b[i] < 0;
            let mut row = Vec::with_capacity(width);
            for aij in &lp.a[i] {
                row.push(if neg {
                    Rational::from(-aij)
                } else {
                    aij.clone()
                });
            }
            for k in 0..m {
                row.push(Rational::from(u32::from(k == i)));
            }
            row.push(if neg {
                Rational::from(-&lp.b[i])
            } else {
                lp.b[i].clone()
            });
            rows.push(row);
            negated.push(neg);
        }
        let mut cost = vec![Rational::new(); n + m];
        for cj in cost.iter_mut().skip(n) {
            *cj = Rational::from(1);
        }
        let mut t = Tableau {
            n,
            m,
            rows,
            obj: Vec::new(),
            basis: (n..n + m).collect(),
            cost,
        };
        t.recompute_obj();
        (t, negated)
    }

    fn rhs(&self) -> usize {
        self.n + self.m
    }

    /// `obj_j = cost_j - sum_k cost_{B_k} T[k][j]`, last entry `-c_B^T x_B`.
    fn recompute_obj(&mut self) {
        let width = self.n + self.m + 1;
        let mut obj: Vec<Rational> = (0..width)
            .map(|j| {
                if j < self.n + self.m {
                    self.cost[j].clone()
                } else {
                    Rational::new()
                }
            })
            .collect();
        for (row, &bk) in self.rows.iter().zip(&self.basis) {
            let cb = &self.cost[bk];
            if *cb == 0 {
                continue;
            }
            for (o, t) in obj.iter_mut().zip(row) {
                if *t != 0 {
                    *o -= Rational::from(cb * t);
                }
            }
        }
        self.obj = obj;
    }

    /// Pivots on `(r, j)`: column `j` enters, `basis[r]` leaves.
    fn pivot(&mut self, r: usize, j: usize) {
        let piv = self.rows[r][j].clone();
        debug_assert!(piv != 0);
        if piv != 1 {
            for t in self.rows[r].iter_mut() {
                if *t != 0 {
                    *t /= &piv;
                }
            }
        }
        let prow = std::mem::take(&mut self.rows[r]);
        let nz: Vec<usize> = (0..prow.len()).filter(|&k| prow[k] != 0).collect();
        let eliminate = |row: &mut Vec<Rational>| {
            if row[j] == 0 {
                return;
            }
            let f = row[j].clone();
            for &k in &nz {
                row[k] -= Rational::from(&f * &prow[k]);
            }
        };
        for (i, row) in self.rows.iter_mut().enumerate() {
            if i != r {
                eliminate(row);
            }
        }
        eliminate(&mut self.obj);
        self.rows[r] = prow;
        self.basis[r] = j;
    }

    /// Entering column: among columns `0..limit`, one with negative reduced
    /// cost (smallest index for Bland, most negative for Dantzig).
    fn entering(&self, limit: usize, rule: PivotRule) -> Option<usize> {
        match rule {
            PivotRule::Bland => (0..limit).find(|&j| self.obj[j] < 0),
            #[cfg(test)]
            PivotRule::Dantzig => {
                let mut best: Option<usize> = None;
                for j in 0..limit {
                    if self.obj[j] < 0 && best.is_none_or(|b| self.obj[j] < self.obj[b]) {
                        best = Some(j);
                    }
                }
                best
            }
        }
    }

    /// Leaving row by the minimum ratio test; ties go to the smallest basic
    /// variable index (Bland's rule; also the textbook tie-break under which
    /// Dantzig's rule cycles on Beale's example).
    fn leaving(&self, j: usize) -> Option<usize> {
        let rhs = self.rhs();
        let mut best: Option<(usize, Rational)> = None;
        for (r, row) in self.rows.iter().enumerate() {
            if row[j] <= 0 {
                continue;
            }
            let ratio = Rational::from(&row[rhs] / &row[j]);
            let better = match &best {
                None => true,
                Some((br, bratio)) => match ratio.cmp(bratio) {
                    Ordering::Less => true,
                    Ordering::Greater => false,
                    Ordering::Equal => self.basis[r] < self.basis[*br],
                },
            };
            if better {
                best = Some((r, ratio));
            }
        }
        best.map(|(r, _)| r)
    }

    /// Runs simplex iterations with entering candidates `0..limit`.
    fn run(&mut self, limit: usize, rule: PivotRule, max_iter: Option<usize>) -> Phase {
        let mut iter = 0usize;
        loop {
            let Some(j) = self.entering(limit, rule) else {
                return Phase::Optimal;
            };
            let Some(r) = self.leaving(j) else {
                return Phase::Unbounded(j);
            };
            if let Some(mx) = max_iter {
                if iter >= mx {
                    return Phase::IterationLimit;
                }
            }
            self.pivot(r, j);
            iter += 1;
        }
    }

    /// Current basic solution restricted to the original columns.
    fn primal(&self) -> Vec<Rational> {
        let mut x = vec![Rational::new(); self.n];
        let rhs = self.rhs();
        for (row, &bk) in self.rows.iter().zip(&self.basis) {
            if bk < self.n {
                x[bk] = row[rhs].clone();
            }
        }
        x
    }

    /// Duals of the original (un-negated) rows: `y' = c_B^T B^{-1}` read off
    /// the artificial columns as `y'_i = cost_{n+i} - obj_{n+i}`.
    fn dual(&self, negated: &[bool]) -> Vec<Rational> {
        (0..self.m)
            .map(|i| {
                let yi = Rational::from(&self.cost[self.n + i] - &self.obj[self.n + i]);
                if negated[i] {
                    -yi
                } else {
                    yi
                }
            })
            .collect()
    }

    /// Sets the phase-2 costs: `c` on the original columns, 0 on the artificials;
    /// and the reduced costs that go with them.
    fn set_phase2_costs(&mut self, c: &[Rational]) {
        for j in 0..self.n + self.m {
            self.cost[j] = if j < self.n {
                c[j].clone()
            } else {
                Rational::new()
            };
        }
        self.recompute_obj();
    }

    /// Moves artificial variables out of the basis after a successful phase 1
    /// (they are all at level zero). Rows where this is impossible are zero on
    /// every original column, i.e. redundant; their artificial stays basic at
    /// zero, and no later pivot can change that row.
    fn drive_out_artificials(&mut self) {
        for r in 0..self.m {
            if self.basis[r] < self.n {
                continue;
            }
            if let Some(j) = (0..self.n).find(|&j| self.rows[r][j] != 0) {
                self.pivot(r, j);
            }
        }
    }
}

/// Solves `min c^T x s.t. A x = b, x >= 0` exactly.
///
/// # Panics
/// If the dimensions of `lp` are inconsistent (see [`StandardLp::check_dims`]).
pub fn solve(lp: &StandardLp) -> LpOutcome {
    let rule = PivotRule::Bland;
    if let Err(e) = lp.check_dims() {
        panic!("lp::solve: malformed LP: {e}");
    }
    let n = lp.cols();
    let (mut t, negated) = Tableau::phase1(lp);

    // Phase 1: minimize the sum of the artificials. Artificials that leave
    // the basis never re-enter.
    match t.run(n, rule, None) {
        Phase::Optimal => {}
        other => unreachable!("phase 1 is bounded below by 0, got {other:?}"),
    }
    if t.obj[t.rhs()] != 0 {
        // obj[rhs] = -(sum of artificials) < 0: infeasible. The phase-1 duals
        // satisfy A'^T y' <= 0 (nonnegative reduced costs) and b'^T y' > 0.
        return LpOutcome::Infeasible {
            farkas_y: t.dual(&negated),
        };
    }
    t.drive_out_artificials();

    // Phase 2: original costs; artificials cost 0 and may not enter.
    t.set_phase2_costs(&lp.c);
    match t.run(n, rule, None) {
        Phase::Optimal => {}
        Phase::Unbounded(j) => {
            let x = t.primal();
            let mut ray = vec![Rational::new(); n];
            ray[j] = Rational::from(1);
            for (row, &bk) in t.rows.iter().zip(&t.basis) {
                if bk < n {
                    ray[bk] = Rational::from(-&row[j]);
                }
            }
            return LpOutcome::Unbounded { x, ray };
        }
        Phase::IterationLimit => unreachable!("no iteration limit was set"),
    }
    let x = t.primal();
    let y = t.dual(&negated);
    let objective = dot(&lp.c, &x);
    let basis = t.basis.iter().copied().filter(|&k| k < n).collect();
    LpOutcome::Optimal(LpSolution {
        x,
        y,
        objective,
        basis,
    })
}
