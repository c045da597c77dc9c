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

/// The arithmetic the float simplex needs.
pub(super) trait Scalar: Clone {
    /// `q` rounded; `None` if it is not representable (overflow).
    fn from_q(q: &Rational, prec: u32) -> Option<Self>;
    fn zero(prec: u32) -> Self;
    /// An approximate value, for comparisons against tolerances.
    fn approx(&self) -> f64;
    /// `self -= a * b`.
    fn sub_mul(&mut self, a: &Self, b: &Self);
    /// `self /= p`.
    fn div(&mut self, p: &Self);
    /// `a / b`.
    fn quot(a: &Self, b: &Self) -> Self;
    fn less(&self, o: &Self) -> bool;
    /// The exact value.
    fn to_q(&self) -> Option<Rational>;
    /// Tolerance of sign tests at precision `prec`.
    fn tol(prec: u32) -> f64;
}

impl Scalar for Float {
    fn from_q(q: &Rational, prec: u32) -> Option<Float> {
        Some(Float::with_val(prec, q))
    }
    fn zero(prec: u32) -> Float {
        Float::new(prec)
    }
    fn approx(&self) -> f64 {
        self.to_f64()
    }
    fn sub_mul(&mut self, a: &Float, b: &Float) {
        *self -= a * b;
    }
    fn div(&mut self, p: &Float) {
        *self /= p;
    }
    fn quot(a: &Float, b: &Float) -> Float {
        Float::with_val(a.prec(), a / b)
    }
    fn less(&self, o: &Float) -> bool {
        self < o
    }
    fn to_q(&self) -> Option<Rational> {
        self.to_rational()
    }
    fn tol(prec: u32) -> f64 {
        // 2^(-prec/2), but not below what an f64 comparison can resolve.
        2f64.powi(-(prec.min(1600) as i32) / 2).max(1e-300)
    }
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

struct Tableau<S: Scalar> {
    n: usize,
    /// `m` rows of length `n + 1`; the last entry is the right hand side.
    rows: Vec<Vec<S>>,
    /// Reduced costs of the `n` columns, then `-objective`.
    obj: Vec<S>,
    /// Basic variable of each row; `>= n` is an artificial.
    basis: Vec<usize>,
    tol: f64,
}

impl<S: Scalar> Tableau<S> {
    fn new(lp: &StandardLp, prec: u32) -> Option<Tableau<S>> {
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
                row.push(S::from_q(&Rational::from(v * &scale), prec)?);
            }
            rows.push(row);
        }
        let mut obj = vec![S::zero(prec); n + 1];
        for row in &rows {
            let one = S::from_q(&Rational::from(1), prec)?;
            for (o, t) in obj.iter_mut().zip(row) {
                o.sub_mul(&one, t);
            }
        }
        Some(Tableau {
            n,
            rows,
            obj,
            basis: (n..n + m).collect(),
            tol: S::tol(prec),
        })
    }

    fn pivot(&mut self, r: usize, j: usize) {
        let piv = self.rows[r][j].clone();
        let mut prow = std::mem::take(&mut self.rows[r]);
        for t in prow.iter_mut() {
            t.div(&piv);
        }
        let nz: Vec<usize> = (0..prow.len())
            .filter(|&k| prow[k].approx() != 0.0)
            .collect();
        let eliminate = |row: &mut Vec<S>| {
            if row[j].approx() == 0.0 {
                return;
            }
            let f = row[j].clone();
            for &k in &nz {
                row[k].sub_mul(&f, &prow[k]);
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
                    if self.obj[j].approx() < -self.tol
                        && best.is_none_or(|b| self.obj[j].less(&self.obj[b]))
                    {
                        best = Some(j);
                    }
                }
                best
            } else {
                (0..n).find(|&j| self.obj[j].approx() < -self.tol)
            };
            let Some(j) = entering else {
                return Some(true);
            };
            let mut best: Option<(usize, S)> = None;
            for (r, row) in self.rows.iter().enumerate() {
                if row[j].approx() <= self.tol {
                    continue;
                }
                let ratio = S::quot(&row[n], &row[j]);
                let better = match &best {
                    None => true,
                    Some((br, bratio)) => {
                        ratio.less(bratio)
                            || (!bratio.less(&ratio) && self.basis[r] < self.basis[*br])
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
pub(super) fn float_solve<S: Scalar>(lp: &StandardLp, prec: u32) -> FloatOutcome {
    let Some(mut t) = Tableau::<S>::new(lp, prec) else {
        return FloatOutcome::Unknown;
    };
    let n = t.n;
    let m = lp.rows();
    if t.run() != Some(true) {
        return FloatOutcome::Unknown;
    }
    // -obj[n] is the sum of the artificials (rows scaled to entries <= 1).
    if -t.obj[n].approx() > t.tol * (1 + m) as f64 {
        return FloatOutcome::Infeasible;
    }
    for r in 0..m {
        if t.basis[r] < n {
            continue;
        }
        let j = (0..n)
            .filter(|&j| t.rows[r][j].approx().abs() > t.tol)
            .max_by(|&a, &b| {
                let (u, v) = (t.rows[r][a].approx().abs(), t.rows[r][b].approx().abs());
                u.total_cmp(&v)
            });
        match j {
            Some(j) => t.pivot(r, j),
            None => return FloatOutcome::Unknown,
        }
    }
    // Phase 2: the original costs.
    let mut obj = Vec::with_capacity(n + 1);
    for cj in &lp.c {
        match S::from_q(cj, prec) {
            Some(v) => obj.push(v),
            None => return FloatOutcome::Unknown,
        }
    }
    obj.push(S::zero(prec));
    for (row, &bk) in t.rows.iter().zip(&t.basis) {
        let cb = obj[bk].clone();
        if cb.approx() == 0.0 {
            continue;
        }
        for (o, v) in obj.iter_mut().zip(row) {
            o.sub_mul(&cb, v);
        }
    }
    t.obj = obj;
    if t.run() != Some(true) {
        return FloatOutcome::Unknown;
    }
    let mut x = vec![Rational::new(); n];
    for (row, &bk) in t.rows.iter().zip(&t.basis) {
        match row[n].to_q() {
            Some(v) => x[bk] = v,
            None => return FloatOutcome::Unknown,
        }
    }
    FloatOutcome::Optimal(Guess { basis: t.basis, x })
}
