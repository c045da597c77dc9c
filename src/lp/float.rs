//! A floating-point simplex that only *guesses*: an optimal basis for [`super::solve`]
//! (certified exactly in `basis.rs`) and a strictly feasible point for
//! [`super::separability`] (checked exactly in `margin.rs`). Nothing it returns is
//! trusted; a wrong guess only costs the time of the exact fallback.
//!
//! Dense two-phase primal simplex in MPFR ([`rug::Float`], 64 bits then 256) on the rows
//! scaled to a largest entry of 1, Dantzig's rule (Bland's after many iterations,
//! against cycling), and an iteration limit. The artificial columns are not stored:
//! once an artificial leaves the basis it never re-enters.

use super::StandardLp;
use rug::{Float, Rational};

/// Tolerance of the sign tests at precision `prec`: 2^(-prec/2).
fn tolerance(prec: u32) -> Float {
    Float::with_val(prec, Float::i_exp(1, -((prec / 2) as i32)))
}

/// The guess: a basis of `m` original columns (in row order) and the basic solution.
pub(super) struct Guess {
    pub basis: Vec<usize>,
    /// The primal point, rounded exactly to rationals (length `n`).
    pub x: Vec<Rational>,
}

/// What the float simplex found.
pub(super) enum FloatOutcome {
    Optimal(Guess),
    /// Phase 1 ended with a positive sum of artificials.
    Infeasible,
    /// Anything else: unbounded, redundant rows, iteration limit, overflow.
    Unknown,
}

struct Tableau {
    n: usize,
    /// `m` rows of length `n + 1`; the last entry is the right hand side.
    rows: Vec<Vec<Float>>,
    /// Reduced costs of the `n` columns, then `-objective`.
    obj: Vec<Float>,
    /// Basic variable of each row; `>= n` is an artificial.
    basis: Vec<usize>,
    tol: Float,
    neg_tol: Float,
}

/// `x -= a * b`.
fn sub_mul(x: &mut Float, a: &Float, b: &Float) {
    *x -= a * b;
}

impl Tableau {
    fn new(lp: &StandardLp, prec: u32) -> Tableau {
        let n = lp.cols();
        let m = lp.rows();
        let mut rows = Vec::with_capacity(m);
        for (arow, bi) in lp.a.iter().zip(&lp.b) {
            // Scale the row to a largest entry of magnitude 1 and b_i >= 0.
            let big = arow
                .iter()
                .chain(std::iter::once(bi))
                .max_by(|u, v| u.cmp_abs(v))
                .cloned()
                .unwrap_or_default();
            let mut scale = if big == 0 {
                Rational::from(1)
            } else {
                Rational::from(big.abs_ref()).recip()
            };
            if *bi < 0 {
                scale = -scale;
            }
            let mut row = Vec::with_capacity(n + 1);
            for v in arow.iter().chain(std::iter::once(bi)) {
                row.push(Float::with_val(prec, Rational::from(v * &scale)));
            }
            rows.push(row);
        }
        let mut obj = vec![Float::new(prec); n + 1];
        for row in &rows {
            for (o, t) in obj.iter_mut().zip(row) {
                *o -= t;
            }
        }
        let tol = tolerance(prec);
        Tableau {
            n,
            rows,
            obj,
            basis: (n..n + m).collect(),
            neg_tol: Float::with_val(prec, -&tol),
            tol,
        }
    }

    fn pivot(&mut self, r: usize, j: usize) {
        let piv = self.rows[r][j].clone();
        let mut prow = std::mem::take(&mut self.rows[r]);
        for t in prow.iter_mut() {
            *t /= &piv;
        }
        let nz: Vec<usize> = (0..prow.len()).filter(|&k| !prow[k].is_zero()).collect();
        let eliminate = |row: &mut Vec<Float>| {
            if row[j].is_zero() {
                return;
            }
            let f = row[j].clone();
            for &k in &nz {
                sub_mul(&mut row[k], &f, &prow[k]);
            }
        };
        for row in self.rows.iter_mut() {
            if !row.is_empty() {
                eliminate(row);
            }
        }
        eliminate(&mut self.obj);
        self.rows[r] = prow;
        self.basis[r] = j;
    }

    /// Runs the simplex on the current costs; `Some(true)` optimal, `Some(false)`
    /// unbounded, `None` iteration limit.
    fn run(&mut self) -> Option<bool> {
        let n = self.n;
        let limit = 20 * (n + self.rows.len()) + 200;
        let bland_after = 4 * (n + self.rows.len()) + 50;
        for iter in 0..limit {
            let entering = if iter < bland_after {
                let mut best: Option<usize> = None;
                for j in 0..n {
                    if self.obj[j] < self.neg_tol && best.is_none_or(|b| self.obj[j] < self.obj[b])
                    {
                        best = Some(j);
                    }
                }
                best
            } else {
                (0..n).find(|&j| self.obj[j] < self.neg_tol)
            };
            let Some(j) = entering else {
                return Some(true);
            };
            let mut best: Option<(usize, Float)> = None;
            for (r, row) in self.rows.iter().enumerate() {
                if row[j] <= self.tol {
                    continue;
                }
                let ratio = Float::with_val(row[n].prec(), &row[n] / &row[j]);
                let better = match &best {
                    None => true,
                    Some((br, bratio)) => {
                        ratio < *bratio || (ratio == *bratio && self.basis[r] < self.basis[*br])
                    }
                };
                if better {
                    best = Some((r, ratio));
                }
            }
            let Some((r, _)) = best else {
                return Some(false);
            };
            self.pivot(r, j);
        }
        None
    }
}

/// Runs the float simplex on `lp` at precision `prec`.
pub(super) fn float_solve(lp: &StandardLp, prec: u32) -> FloatOutcome {
    let mut t = Tableau::new(lp, prec);
    let n = t.n;
    let m = lp.rows();
    if t.run() != Some(true) {
        return FloatOutcome::Unknown;
    }
    // -obj[n] is the sum of the artificials (rows scaled to entries <= 1).
    let artificials = Float::with_val(prec, -&t.obj[n]);
    if artificials > Float::with_val(prec, &t.tol * (1 + m) as u64) {
        return FloatOutcome::Infeasible;
    }
    for r in 0..m {
        if t.basis[r] < n {
            continue;
        }
        let row = &t.rows[r];
        let j = (0..n)
            .filter(|&j| row[j].cmp_abs(&t.tol) == Some(std::cmp::Ordering::Greater))
            .max_by(|&a, &b| row[a].cmp_abs(&row[b]).unwrap_or(std::cmp::Ordering::Equal));
        match j {
            Some(j) => t.pivot(r, j),
            None => return FloatOutcome::Unknown,
        }
    }
    // Phase 2: the original costs.
    let mut obj = Vec::with_capacity(n + 1);
    for cj in &lp.c {
        obj.push(Float::with_val(prec, cj));
    }
    obj.push(Float::new(prec));
    for (row, &bk) in t.rows.iter().zip(&t.basis) {
        let cb = obj[bk].clone();
        if cb.is_zero() {
            continue;
        }
        for (o, v) in obj.iter_mut().zip(row) {
            sub_mul(o, &cb, v);
        }
    }
    t.obj = obj;
    if t.run() != Some(true) {
        return FloatOutcome::Unknown;
    }
    let mut x = vec![Rational::new(); n];
    for (row, &bk) in t.rows.iter().zip(&t.basis) {
        match row[n].to_rational() {
            Some(v) => x[bk] = v,
            None => return FloatOutcome::Unknown,
        }
    }
    FloatOutcome::Optimal(Guess { basis: t.basis, x })
}
