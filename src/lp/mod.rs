//! Exact linear programming over the rationals.
//!
//! * [`solve`]: a dense two-phase primal simplex method on [`rug::Rational`]
//!   with Bland's smallest-index rule, so it terminates on degenerate problems.
//!   Every outcome carries a certificate that can be checked independently of
//!   the solver: [`verify_optimal`], [`verify_infeasible`], [`verify_unbounded`].
//! * [`separability`]: strict linear separability of a dataset
//!   (`exists w: z_n^T w > 0 for all n`), with a Gordan certificate when the
//!   answer is no; checked by [`verify_separability`].
//! * [`l1_max_margin`]: the l1 max-margin LP `min ||w||_1 s.t. z_n^T w >= 1`
//!   together with its dual multipliers; checked by [`verify_l1_max_margin`].
//!
//! No floating point is used anywhere in this module.

use crate::num::rational::{dot, rank};
use rug::Rational;
use std::cmp::Ordering;

#[cfg(test)]
mod tests;

/// `minimize c^T x  subject to  A x = b, x >= 0`.
///
/// `a` is `m x n` (row-major, every row of length `n`), `b` has length `m`
/// and `c` length `n`. Rows may be linearly dependent and `b` may have any
/// sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandardLp {
    pub a: Vec<Vec<Rational>>,
    pub b: Vec<Rational>,
    pub c: Vec<Rational>,
}

impl StandardLp {
    /// Number of equality rows `m`.
    pub fn rows(&self) -> usize {
        self.b.len()
    }

    /// Number of variables `n`.
    pub fn cols(&self) -> usize {
        self.c.len()
    }

    /// Checks that the dimensions of `a`, `b` and `c` agree.
    pub fn check_dims(&self) -> Result<(), String> {
        if self.a.len() != self.b.len() {
            return Err(format!(
                "A has {} rows but b has length {}",
                self.a.len(),
                self.b.len()
            ));
        }
        for (i, row) in self.a.iter().enumerate() {
            if row.len() != self.c.len() {
                return Err(format!(
                    "row {i} of A has length {} but c has length {}",
                    row.len(),
                    self.c.len()
                ));
            }
        }
        Ok(())
    }
}

/// An optimal solution with its optimality certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LpSolution {
    /// Optimal primal vertex (length `n`).
    pub x: Vec<Rational>,
    /// Dual solution of the original rows (length `m`): `A^T y <= c` and
    /// `b^T y = c^T x`.
    pub y: Vec<Rational>,
    /// `c^T x`.
    pub objective: Rational,
    /// Basic columns of `x` (in tableau row order). Their columns of `A` are
    /// linearly independent and `x` vanishes outside them. Redundant rows have
    /// no basic column, so `basis.len() == rank(A) <= m`.
    pub basis: Vec<usize>,
}

/// Result of [`solve`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LpOutcome {
    Optimal(LpSolution),
    /// `y` with `A^T y <= 0` and `b^T y > 0`: no `x >= 0` has `A x = b`.
    Infeasible {
        farkas_y: Vec<Rational>,
    },
    /// Feasible `x` and a ray `d >= 0` with `A d = 0`, `c^T d < 0`.
    Unbounded {
        x: Vec<Rational>,
        ray: Vec<Rational>,
    },
}

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
    for j in 0..t.n + t.m {
        t.cost[j] = if j < n {
            lp.c[j].clone()
        } else {
            Rational::new()
        };
    }
    t.recompute_obj();
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

/// `A x`.
fn mat_vec(a: &[Vec<Rational>], x: &[Rational]) -> Vec<Rational> {
    a.iter().map(|row| dot(row, x)).collect()
}

/// `A^T y` for an `m x n` matrix `a`.
fn mat_t_vec(a: &[Vec<Rational>], y: &[Rational], n: usize) -> Vec<Rational> {
    let mut out = vec![Rational::new(); n];
    for (row, yi) in a.iter().zip(y) {
        if *yi == 0 {
            continue;
        }
        for (o, aij) in out.iter_mut().zip(row) {
            if *aij != 0 {
                *o += Rational::from(aij * yi);
            }
        }
    }
    out
}

fn check_len(what: &str, v: &[Rational], len: usize) -> Result<(), String> {
    if v.len() == len {
        Ok(())
    } else {
        Err(format!("{what} has length {} but expected {len}", v.len()))
    }
}

/// Checks primal feasibility `A x = b, x >= 0`.
pub fn verify_feasible(lp: &StandardLp, x: &[Rational]) -> Result<(), String> {
    lp.check_dims()?;
    check_len("x", x, lp.cols())?;
    if let Some(j) = x.iter().position(|xj| *xj < 0) {
        return Err(format!("x[{j}] = {} < 0", x[j]));
    }
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
    check_len("ray", ray, lp.cols())?;
    if let Some(j) = ray.iter().position(|d| *d < 0) {
        return Err(format!("ray[{j}] = {} < 0", ray[j]));
    }
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

/// Strict linear separability of a dataset through the origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Separability {
    /// `w` with `z_n^T w >= 1` for every `n` (exact).
    Separable { w: Vec<Rational> },
    /// `lambda >= 0` with `sum lambda = 1` and `sum_n lambda_n z_n = 0`
    /// (Gordan certificate: no `w` has all `z_n^T w > 0`).
    NotSeparable { lambda: Vec<Rational> },
}

/// Dimension `d` of a dataset; panics if the rows disagree.
fn data_dim(z: &[Vec<Rational>]) -> usize {
    let d = z.first().map_or(0, Vec::len);
    if let Some(n) = z.iter().position(|zn| zn.len() != d) {
        panic!(
            "lp: data row {n} has length {} but row 0 has length {d}",
            z[n].len()
        );
    }
    d
}

/// The LP `Z (w+ - w-) - s = 1`, `w+, w-, s >= 0` with variables ordered
/// `[w+ (d), w- (d), s (N)]` and costs `[w_cost; w_cost; 0]`.
/// The margin LP `Z^T (w+ - w-) - s = 1` in standard form, variables `[w+, w-, s]`,
/// cost `w_cost` on every `w+`, `w-` column and 0 on the slacks (`w_cost = 1`: the l1
/// max-margin LP; `w_cost = 0`: feasibility).
pub(crate) fn margin_lp(z: &[Vec<Rational>], d: usize, w_cost: u32) -> StandardLp {
    let nn = z.len();
    let a = z
        .iter()
        .enumerate()
        .map(|(k, zk)| {
            let mut row = Vec::with_capacity(2 * d + nn);
            row.extend(zk.iter().cloned());
            row.extend(zk.iter().map(|v| Rational::from(-v)));
            row.extend((0..nn).map(|l| Rational::from(-i32::from(l == k))));
            row
        })
        .collect();
    let mut c = vec![Rational::from(w_cost); 2 * d];
    c.extend((0..nn).map(|_| Rational::new()));
    StandardLp {
        a,
        b: vec![Rational::from(1); nn],
        c,
    }
}

/// `w = w+ - w-` from the solution of [`margin_lp`].
/// `w = w+ - w-` from the LP variables `[w+, w-, s]`.
pub(crate) fn split_w(x: &[Rational], d: usize) -> Vec<Rational> {
    (0..d).map(|j| Rational::from(&x[j] - &x[d + j])).collect()
}

/// Decides whether some `w` has `z_n^T w > 0` for all rows `z_n` of `z`.
///
/// Solves the feasibility LP `Z w - s = 1, s >= 0` (`w = w+ - w-`). If it is
/// infeasible, the Farkas certificate `y` satisfies `Z^T y = 0`, `y >= 0`,
/// `sum y > 0`, and `lambda = y / sum y`. A zero row `z_n` gives
/// `lambda = e_n` directly. An empty dataset is (vacuously) separable.
///
/// # Panics
/// If the rows of `z` have different lengths.
pub fn separability(z: &[Vec<Rational>]) -> Separability {
    let d = data_dim(z);
    if let Some(k) = z.iter().position(|zk| zk.iter().all(|v| *v == 0)) {
        let mut lambda = vec![Rational::new(); z.len()];
        lambda[k] = Rational::from(1);
        return Separability::NotSeparable { lambda };
    }
    let lp = margin_lp(z, d, 0);
    match solve(&lp) {
        LpOutcome::Optimal(sol) => Separability::Separable {
            w: split_w(&sol.x, d),
        },
        LpOutcome::Infeasible { farkas_y } => {
            let total: Rational = farkas_y.iter().sum();
            debug_assert!(total > 0);
            let lambda = farkas_y
                .iter()
                .map(|y| Rational::from(y / &total))
                .collect();
            Separability::NotSeparable { lambda }
        }
        LpOutcome::Unbounded { .. } => unreachable!("feasibility LP has zero cost"),
    }
}

/// Checks a [`Separability`] certificate independently of the solver.
pub fn verify_separability(z: &[Vec<Rational>], sep: &Separability) -> Result<(), String> {
    let d = z.first().map_or(0, Vec::len);
    if let Some(k) = z.iter().position(|zk| zk.len() != d) {
        return Err(format!("data row {k} has length {} != {d}", z[k].len()));
    }
    match sep {
        Separability::Separable { w } => {
            check_len("w", w, d)?;
            for (k, zk) in z.iter().enumerate() {
                let m = dot(zk, w);
                if m < 1 {
                    return Err(format!("z_{k}^T w = {m} < 1"));
                }
            }
            Ok(())
        }
        Separability::NotSeparable { lambda } => {
            check_len("lambda", lambda, z.len())?;
            if let Some(k) = lambda.iter().position(|l| *l < 0) {
                return Err(format!("lambda[{k}] = {} < 0", lambda[k]));
            }
            let total: Rational = lambda.iter().sum();
            if total != 1 {
                return Err(format!("sum lambda = {total} != 1"));
            }
            let zl = mat_t_vec(z, lambda, d);
            if let Some(j) = zl.iter().position(|v| *v != 0) {
                return Err(format!("(sum_n lambda_n z_n)[{j}] = {} != 0", zl[j]));
            }
            Ok(())
        }
    }
}

/// The l1 max-margin problem `min ||w||_1 s.t. z_n^T w >= 1 for all n`.
///
/// Returns `(w, lambda)`: an optimal `w` and dual multipliers `lambda >= 0`
/// (one per data row) with `||sum_n lambda_n z_n||_inf <= 1` and
/// `sum lambda = ||w||_1`, which certifies optimality of `w` by weak duality.
/// Returns `None` if the data is not strictly separable (then the LP is
/// infeasible).
///
/// # Panics
/// If the rows of `z` have different lengths.
pub fn l1_max_margin(z: &[Vec<Rational>]) -> Option<(Vec<Rational>, Vec<Rational>)> {
    let d = data_dim(z);
    let lp = margin_lp(z, d, 1);
    match solve(&lp) {
        // y >= 0 from the s columns; |Z^T y| <= 1 from the w+ / w- columns.
        // At an optimum w+_j w-_j = 0, so c^T x = ||w||_1.
        LpOutcome::Optimal(sol) => Some((split_w(&sol.x, d), sol.y)),
        LpOutcome::Infeasible { .. } => None,
        LpOutcome::Unbounded { .. } => unreachable!("l1 norm is bounded below by 0"),
    }
}

/// Checks an [`l1_max_margin`] result: `z_n^T w >= 1`, `lambda >= 0`,
/// `||sum_n lambda_n z_n||_inf <= 1` and `sum lambda = ||w||_1`.
pub fn verify_l1_max_margin(
    z: &[Vec<Rational>],
    w: &[Rational],
    lambda: &[Rational],
) -> Result<(), String> {
    verify_separability(z, &Separability::Separable { w: w.to_vec() })?;
    check_len("lambda", lambda, z.len())?;
    if let Some(k) = lambda.iter().position(|l| *l < 0) {
        return Err(format!("lambda[{k}] = {} < 0", lambda[k]));
    }
    let zl = mat_t_vec(z, lambda, w.len());
    if let Some(j) = zl.iter().position(|v| Rational::from(v.abs_ref()) > 1) {
        return Err(format!(
            "|(sum_n lambda_n z_n)[{j}]| = {} > 1",
            Rational::from(zl[j].abs_ref())
        ));
    }
    let norm: Rational = w.iter().map(|v| Rational::from(v.abs_ref())).sum();
    let total: Rational = lambda.iter().sum();
    if norm != total {
        return Err(format!("||w||_1 = {norm} != sum lambda = {total}"));
    }
    Ok(())
}
