//! The l_{2/D} max-margin problem
//!
//! ```text
//!     min  f(w) = sum_i |w_i|^(2/D)   s.t.   z_n^T w >= 1  for every n
//! ```
//!
//! whose KKT points are the fixed-alpha limits of the flow (Theorem 2 of the paper; for
//! D = 2 it is the l1 problem). For D >= 3 the objective is concave on every closed orthant,
//! so the problem has local minima that are not global (the paper's Fig. 4(b), App. H.3).
//!
//! **Global minimum by vertex enumeration.** On a closed orthant O the feasible set
//! F ∩ O is a pointed polyhedron, conv(V) + cone(R), and f is concave and bounded below
//! there. Along a ray v + t r (t >= 0) a concave function bounded below cannot decrease, so
//! for x = sum_j θ_j (v_j + r) concavity gives f(x) >= sum_j θ_j f(v_j + r) >= min_j f(v_j):
//! the minimum over F ∩ O is attained at a vertex. A vertex of F ∩ O is a feasible point at
//! which d linearly independent hyperplanes among {z_n^T w = 1} and {w_i = 0} are tight, and
//! every such feasible point is a vertex of F ∩ O for its own orthant. So the global minimum
//! is the least f over the feasible solutions of the C(N + d, d) square systems, solved
//! exactly (only the objective values are MPFR).
//!
//! **Strict local minimum (D >= 3).** At a KKT point w with support S (w_i != 0) and
//! active set A (z_n^T w = 1), if |A| = |S| = rank Z_{S,A} and the (then unique)
//! multipliers are all positive, w is a strict local minimum: a feasible direction d that
//! moves an off-support coordinate by a costs t^(2/D) a^(2/D), which beats the O(t a)
//! first-order gain; one that stays on S raises f at first order, since
//! grad f_S . d_S = lambda^T Z_{S,A}^T d_S with lambda > 0, Z_A^T d >= 0, and
//! Z_{S,A}^T d_S = 0 only for d_S = 0.

use crate::num::from_rational;
use crate::num::rational::{dot, rank, solve_square};
use crate::reference::kkt::{kkt_residuals, Problem};
use rug::ops::Pow;
use rug::{Float, Rational};
use std::collections::BTreeSet;

/// The largest number of square systems C(N + d, d) the enumeration will solve.
pub const MAX_SYSTEMS: u128 = 200_000;

/// f(w) = sum_i |w_i|^(2/D) (the l1 norm for D = 2).
pub fn quasi_norm(depth: u32, w: &[Float], prec: u32) -> Float {
    let expo = Float::with_val(prec, 2) / depth;
    let mut s = Float::new(prec);
    for x in w {
        if !x.is_zero() {
            s += Float::with_val(prec, x.abs_ref()).pow(&expo);
        }
    }
    s
}

/// f at an exact point.
pub fn quasi_norm_exact(depth: u32, w: &[Rational], prec: u32) -> Float {
    let f: Vec<Float> = w.iter().map(|q| from_rational(prec, q)).collect();
    quasi_norm(depth, &f, prec)
}

/// The global minimum of the l_{2/D} max-margin problem.
#[derive(Clone, Debug)]
pub struct GlobalMin {
    /// a minimizer (the first in enumeration order among ties)
    pub w: Vec<Rational>,
    pub value: Float,
    /// distinct feasible vertices found
    pub vertices: usize,
    /// vertices whose value ties with the minimum (within 2^(-prec/2) relative)
    pub minimizers: usize,
}

/// C(n, k), saturating at u128::MAX.
fn binomial(n: usize, k: usize) -> u128 {
    let mut c: u128 = 1;
    for i in 0..k.min(n - k) {
        c = c.saturating_mul((n - i) as u128) / (i as u128 + 1);
    }
    c
}

/// The global minimum of sum |w_i|^(2/D) over {w : z_n^T w >= 1}, by vertex enumeration
/// (see the module documentation). Fails when the data are not separable (no feasible
/// vertex) or when C(N + d, d) exceeds [`MAX_SYSTEMS`].
pub fn global_min(z: &[Vec<Rational>], depth: u32, prec: u32) -> Result<GlobalMin, String> {
    let n = z.len();
    let d = z.first().map_or(0, |r| r.len());
    if n == 0 || d == 0 {
        return Err("no data".to_string());
    }
    let systems = binomial(n + d, d);
    if systems > MAX_SYSTEMS {
        return Err(format!(
            "vertex enumeration would solve C({}, {d}) = {systems} systems (at most {MAX_SYSTEMS})",
            n + d
        ));
    }
    // the hyperplanes: z_n^T w = 1 (n < N), then w_i = 0
    let plane = |k: usize| -> (Vec<Rational>, Rational) {
        if k < n {
            (z[k].clone(), Rational::from(1))
        } else {
            let mut e = vec![Rational::new(); d];
            e[k - n] = Rational::from(1);
            (e, Rational::new())
        }
    };
    let mut seen: BTreeSet<Vec<Rational>> = BTreeSet::new();
    let mut found: Vec<(Vec<Rational>, Float)> = Vec::new();
    let mut idx: Vec<usize> = (0..d).collect();
    loop {
        let (a, b): (Vec<Vec<Rational>>, Vec<Rational>) = idx.iter().map(|&k| plane(k)).unzip();
        if let Some(w) = solve_square(a, b) {
            if z.iter().all(|zn| dot(zn, &w) >= 1) && seen.insert(w.clone()) {
                let v = quasi_norm_exact(depth, &w, prec);
                found.push((w, v));
            }
        }
        // next combination in lexicographic order
        let m = n + d;
        let Some(i) = (0..d).rev().find(|&i| idx[i] < m - d + i) else {
            break;
        };
        idx[i] += 1;
        for j in i + 1..d {
            idx[j] = idx[j - 1] + 1;
        }
    }
    let (bw, bv) = found
        .iter()
        .min_by(|x, y| x.1.partial_cmp(&y.1).expect("finite values"))
        .cloned()
        .ok_or_else(|| "no feasible vertex: the data are not linearly separable".to_string())?;
    let slack = Float::with_val(prec, &bv * crate::num::pow2(prec, -(prec as i32) / 2));
    let top = Float::with_val(prec, &bv + &slack);
    let minimizers = found.iter().filter(|(_, v)| *v <= top).count();
    Ok(GlobalMin {
        w: bw,
        value: bv,
        vertices: found.len(),
        minimizers,
    })
}

/// What the KKT conditions of the l_{2/D} problem say about an exact point.
#[derive(Clone, Debug)]
pub struct PointAnalysis {
    /// min_n z_n^T w (exact); a KKT point has min margin 1
    pub min_margin: Rational,
    /// coordinates with w_i != 0 (0-based)
    pub support: Vec<usize>,
    /// points with z_n^T w = 1 exactly (0-based)
    pub active: Vec<usize>,
    /// sum |w_i|^(2/D)
    pub value: Float,
    /// relative stationarity residual with the best non-negative multipliers on `active`
    pub stationarity: Float,
    /// the multipliers of `active`, in order
    pub multipliers: Vec<Float>,
    /// whether the residual is below 2^(-prec/2): w is a KKT point
    pub kkt: bool,
    /// D >= 3, KKT, |A| = |S| = rank Z_{S,A} and every multiplier positive: a strict
    /// local minimum (module documentation)
    pub strict_local_min: bool,
}

/// The KKT analysis of an exact point for the l_{2/D} problem (l1 for D = 2).
pub fn analyze_point(z: &[Vec<Rational>], w: &[Rational], depth: u32, prec: u32) -> PointAnalysis {
    let margins: Vec<Rational> = z.iter().map(|zn| dot(zn, w)).collect();
    let min_margin = margins
        .iter()
        .min()
        .cloned()
        .unwrap_or_else(|| Rational::from(1));
    let support: Vec<usize> = (0..w.len()).filter(|&i| w[i] != 0).collect();
    let active: Vec<usize> = (0..z.len()).filter(|&k| margins[k] == 1).collect();
    let wf: Vec<Float> = w.iter().map(|q| from_rational(prec, q)).collect();
    let problem = if depth == 2 {
        Problem::L1
    } else {
        Problem::L2OverD { depth }
    };
    // exact active set and support: tolerances below the rounding of exact margins
    let act_tol = crate::num::pow2(prec, -(prec as i32) / 2);
    let zero_tol = Float::new(prec);
    let r = kkt_residuals(z, &wf, &problem, None, &act_tol, &zero_tol, prec);
    let threshold = crate::num::pow2(prec, -(prec as i32) / 2);
    let kkt = min_margin == 1 && r.stationarity <= threshold;
    let multipliers: Vec<Float> = active.iter().map(|&k| r.multipliers[k].clone()).collect();
    let rows: Vec<Vec<Rational>> = active
        .iter()
        .map(|&k| support.iter().map(|&i| z[k][i].clone()).collect())
        .collect();
    let strict_local_min = depth >= 3
        && kkt
        && active.len() == support.len()
        && !support.is_empty()
        && rank(rows, support.len()) == support.len()
        && multipliers.iter().all(|l| *l > threshold);
    PointAnalysis {
        min_margin,
        support,
        active,
        value: quasi_norm(depth, &wf, prec),
        stationarity: r.stationarity,
        multipliers,
        kkt,
        strict_local_min,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Rational {
        crate::num::exact::parse_rational(s).unwrap()
    }

    fn rows(r: &[&[&str]]) -> Vec<Vec<Rational>> {
        r.iter()
            .map(|row| row.iter().map(|s| q(s)).collect())
            .collect()
    }

    /// Two points in the plane, z_1 = (1, 9/10), z_2 = (0, 1): the feasible vertices are
    /// (1/10, 1) (both active), (0, 10/9) (on the w_2 axis, z_1 active) and none on the
    /// w_1 axis (z_2 has no first coordinate). l1 prefers (1/10, 1) (11/10 < 10/9), the
    /// l_{2/3} quasi-norm prefers the sparse (0, 10/9): (10/9)^(2/3) = 1.0728 against
    /// (1/10)^(2/3) + 1 = 1.2154. The hand-computed values are checked to 30 digits.
    #[test]
    fn global_minimum_of_a_two_point_problem() {
        let p = 200;
        let z = rows(&[&["1", "9/10"], &["0", "1"]]);
        let g1 = global_min(&z, 2, p).unwrap();
        assert_eq!(g1.w, vec![q("1/10"), q("1")]);
        assert_eq!(g1.vertices, 2);
        assert_eq!(g1.minimizers, 1);
        let eleven_tenths = Float::with_val(p, 11) / 10u32;
        assert!(Float::with_val(p, &g1.value - &eleven_tenths).abs() < 1e-55);
        let g3 = global_min(&z, 3, p).unwrap();
        assert_eq!(g3.w, vec![q("0"), q("10/9")]);
        let want = (Float::with_val(p, 10) / 9u32).pow(Float::with_val(p, 2) / 3u32);
        assert!(Float::with_val(p, &g3.value - &want).abs() < 1e-55);
        assert_eq!(
            format!("{:.10}", g3.value.to_f64()),
            format!("{:.10}", (10f64 / 9.0).powf(2.0 / 3.0))
        );
    }

    /// The same data: (1/10, 1) is the l1 optimum but not l_{2/3}-stationary (the
    /// multipliers solving the square system Z lambda = (2/3)(10^(1/3), 1) are
    /// lambda_1 = (2/3) 10^(1/3) > 0, lambda_2 = (2/3)(1 - (9/10) 10^(1/3)) < 0, so the best
    /// non-negative ones leave a residual); (0, 10/9) is a KKT point and, with
    /// |A| = |S| = 1 and a positive multiplier, a strict local minimum. For D = 2 every
    /// KKT point is global and none is certified "strict local" by the D >= 3 argument.
    #[test]
    fn kkt_analysis_of_exact_points() {
        let p = 200;
        let z = rows(&[&["1", "9/10"], &["0", "1"]]);
        let l1pt = vec![q("1/10"), q("1")];
        let a = analyze_point(&z, &l1pt, 3, p);
        assert_eq!(a.min_margin, 1);
        assert_eq!(a.active, vec![0, 1]);
        assert_eq!(a.support, vec![0, 1]);
        assert!(!a.kkt);
        assert!(a.stationarity > 1e-3, "{}", a.stationarity);
        let b = analyze_point(&z, &[q("0"), q("10/9")], 3, p);
        assert!(b.kkt, "{}", b.stationarity);
        assert_eq!(b.active, vec![0]);
        assert_eq!(b.support, vec![1]);
        assert!(b.strict_local_min);
        // lambda_1 = (2/3) w_2^(-1/3) / (9/10), w_2 = 10/9
        let want = Float::with_val(p, 2) / 3u32
            * (Float::with_val(p, 10) / 9u32).pow(Float::with_val(p, -1) / 3u32)
            * 10u32
            / 9u32;
        assert!(Float::with_val(p, &b.multipliers[0] - &want).abs() < 1e-55);
        // D = 2: (1/10, 1) is the l1 optimum, a KKT point, not "strict local" in this sense
        let c = analyze_point(&z, &l1pt, 2, p);
        assert!(c.kkt && !c.strict_local_min);
        // a point that is not normalized is not a KKT point
        let d = analyze_point(&z, &[q("0"), q("2")], 3, p);
        assert_eq!(d.min_margin, q("9/5"));
        assert!(!d.kkt);
    }

    #[test]
    fn refuses_what_it_cannot_do() {
        // not separable: z and -z
        let z = rows(&[&["1", "1"], &["-1", "-1"]]);
        assert!(global_min(&z, 3, 128)
            .unwrap_err()
            .contains("not linearly separable"));
        // too many systems: C(2 * 12, 12) = 2704156
        let z: Vec<Vec<Rational>> = (0..12)
            .map(|k| (0..12).map(|i| Rational::from(i32::from(i == k))).collect())
            .collect();
        assert!(global_min(&z, 3, 128).unwrap_err().contains("at most"));
    }
}
