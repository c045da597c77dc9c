//! Exact linear algebra over rationals (`rug::Rational`): dot products, Gaussian
//! elimination, row echelon form, rank and null spaces. Shared by the LP and the exact
//! reference solutions.

use rug::{Assign, Integer, Rational};

/// `u^T v` (exact). The sum is kept as an unreduced fraction over the least common
/// multiple of the terms' denominators (seen so far) and reduced once at the end: when
/// the denominators share a common multiple, as data with a fixed number of decimals
/// and a solution vector over one denominator do, each term costs a divisibility test
/// instead of the gcd that reducing every partial sum would cost.
pub fn dot(u: &[Rational], v: &[Rational]) -> Rational {
    let mut num = Integer::new();
    let mut den = Integer::from(1);
    let mut pn = Integer::new();
    let mut pd = Integer::new();
    let mut t = Integer::new();
    for (a, b) in u.iter().zip(v) {
        if *a == 0 || *b == 0 {
            continue;
        }
        pn.assign(a.numer() * b.numer());
        pd.assign(a.denom() * b.denom());
        if den.is_divisible(&pd) {
            // num += pn * (den / pd)
            t.assign(den.div_exact_ref(&pd));
            t *= &pn;
            num += &t;
        } else {
            // den' = lcm(den, pd) = den * m with m = pd / gcd(den, pd)
            let g = Integer::from(den.gcd_ref(&pd));
            let m = Integer::from(pd.div_exact_ref(&g));
            num *= &m;
            t.assign(den.div_exact_ref(&g));
            t *= &pn;
            num += &t;
            den *= &m;
        }
    }
    Rational::from((num, den))
}

/// `A^T v = sum_n v_n a_n` for the rows `a_n` of `a` (length `len`), exact; zero
/// weights and entries are skipped.
pub fn mat_t_vec(a: &[Vec<Rational>], v: &[Rational], len: usize) -> Vec<Rational> {
    let mut out = vec![Rational::new(); len];
    for (row, vn) in a.iter().zip(v) {
        if *vn == 0 {
            continue;
        }
        for (o, aij) in out.iter_mut().zip(row) {
            if *aij != 0 {
                *o += Rational::from(aij * vn);
            }
        }
    }
    out
}

/// Solves the square system `a x = b` by Gaussian elimination; `None` if `a`
/// is singular.
pub fn solve_square(mut a: Vec<Vec<Rational>>, mut b: Vec<Rational>) -> Option<Vec<Rational>> {
    let n = b.len();
    for col in 0..n {
        let p = (col..n).find(|&i| a[i][col] != 0)?;
        a.swap(col, p);
        b.swap(col, p);
        let prow = a[col].clone();
        let pb = b[col].clone();
        for i in col + 1..n {
            if a[i][col] == 0 {
                continue;
            }
            let f = Rational::from(&a[i][col] / &prow[col]);
            for k in col..n {
                if prow[k] != 0 {
                    a[i][k] -= Rational::from(&f * &prow[k]);
                }
            }
            b[i] -= Rational::from(&f * &pb);
        }
    }
    let mut x = vec![Rational::new(); n];
    for i in (0..n).rev() {
        let mut s = b[i].clone();
        for k in i + 1..n {
            if a[i][k] != 0 {
                s -= Rational::from(&a[i][k] * &x[k]);
            }
        }
        x[i] = s / &a[i][i];
    }
    Some(x)
}

/// Solves the square system `a x = rhs` exactly by fraction-free (Bareiss)
/// elimination over the integers, after scaling each row to integers; `None` if `a`
/// is singular. Much faster than [`solve_square`] on large dense systems, whose
/// rational pivots grow their denominators.
pub fn solve_square_bareiss(a: &[Vec<Rational>], rhs: &[Rational]) -> Option<Vec<Rational>> {
    let k = rhs.len();
    if k == 0 {
        return Some(Vec::new());
    }
    // Integer rows [a_i | rhs_i] (each scaled by the lcm of its denominators).
    let mut m: Vec<Vec<Integer>> = a
        .iter()
        .zip(rhs)
        .map(|(row, r)| {
            let mut l = Integer::from(1);
            for v in row.iter().chain(std::iter::once(r)) {
                if *v.denom() != 1 {
                    l.lcm_mut(v.denom());
                }
            }
            row.iter()
                .chain(std::iter::once(r))
                .map(|v| v.numer() * Integer::from(&l / v.denom()))
                .collect()
        })
        .collect();
    let mut prev = Integer::from(1);
    for p in 0..k {
        // Pivot: the smallest nonzero entry of column p (keeps the numbers small).
        let r = (p..k)
            .filter(|&i| m[i][p] != 0)
            .min_by_key(|&i| m[i][p].significant_bits())?;
        m.swap(p, r);
        let (top, bottom) = m.split_at_mut(p + 1);
        let prow = &top[p];
        for row in bottom.iter_mut() {
            let f = std::mem::take(&mut row[p]);
            for j in p + 1..=k {
                let mut v = Integer::from(&row[j] * &prow[p]);
                if f != 0 && prow[j] != 0 {
                    v -= Integer::from(&f * &prow[j]);
                }
                v.div_exact_mut(&prev);
                row[j] = v;
            }
        }
        prev = m[p][p].clone();
    }
    // det = prev; back substitution for X = det * x, which is integral.
    let det = prev;
    let mut xs = vec![Integer::new(); k];
    for i in (0..k).rev() {
        let mut s = Integer::from(&m[i][k] * &det);
        for j in i + 1..k {
            if m[i][j] != 0 && xs[j] != 0 {
                s -= Integer::from(&m[i][j] * &xs[j]);
            }
        }
        s.div_exact_mut(&m[i][i]);
        xs[i] = s;
    }
    Some(
        xs.into_iter()
            .map(|v| Rational::from((v, det.clone())))
            .collect(),
    )
}

/// Reduced row echelon form of the rows `m` (all of length `width`): the
/// non-zero rows of the RREF and their pivot columns.
pub fn rref(mut m: Vec<Vec<Rational>>, width: usize) -> (Vec<Vec<Rational>>, Vec<usize>) {
    let mut pivots = Vec::new();
    let mut r = 0;
    for col in 0..width {
        let Some(p) = (r..m.len()).find(|&i| m[i][col] != 0) else {
            continue;
        };
        m.swap(r, p);
        let piv = m[r][col].clone();
        for v in m[r].iter_mut() {
            if *v != 0 {
                *v /= &piv;
            }
        }
        let prow = m[r].clone();
        for (i, row) in m.iter_mut().enumerate() {
            if i == r || row[col] == 0 {
                continue;
            }
            let f = row[col].clone();
            for (x, pk) in row.iter_mut().zip(&prow) {
                if *pk != 0 {
                    *x -= Rational::from(&f * pk);
                }
            }
        }
        pivots.push(col);
        r += 1;
        if r == m.len() {
            break;
        }
    }
    m.truncate(r);
    (m, pivots)
}

/// Rank of a list of vectors of length `width`.
pub fn rank(m: Vec<Vec<Rational>>, width: usize) -> usize {
    rref(m, width).1.len()
}

/// A basis of the null space `{x : m x = 0}` (rows of length `width`), each
/// vector scaled to coprime integers with a positive last non-zero entry.
pub fn null_space(m: Vec<Vec<Rational>>, width: usize) -> Vec<Vec<Rational>> {
    let (rows, pivots) = rref(m, width);
    let mut is_pivot = vec![false; width];
    for &p in &pivots {
        is_pivot[p] = true;
    }
    (0..width)
        .filter(|&f| !is_pivot[f])
        .map(|f| {
            let mut v = vec![Rational::new(); width];
            v[f] = Rational::from(1);
            for (row, &p) in rows.iter().zip(&pivots) {
                v[p] = Rational::from(-&row[f]);
            }
            primitive(v)
        })
        .collect()
}

/// Scales a non-zero vector to coprime integer entries whose last non-zero
/// entry is positive.
pub fn primitive(v: Vec<Rational>) -> Vec<Rational> {
    use rug::Integer;
    let mut den = Integer::from(1);
    for x in &v {
        den.lcm_mut(x.denom());
    }
    let ints: Vec<Integer> = v
        .iter()
        .map(|x| x.numer() * Integer::from(&den / x.denom()))
        .collect();
    let mut g = Integer::new();
    for x in &ints {
        g.gcd_mut(x);
    }
    if g == 0 {
        return v;
    }
    if ints.iter().rev().find(|x| **x != 0).is_some_and(|x| *x < 0) {
        g = -g;
    }
    ints.into_iter().map(|x| Rational::from(x / &g)).collect()
}
