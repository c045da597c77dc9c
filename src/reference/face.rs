//! The optimal face of an l1 LP in the variables `x = [w+ (d), w- (d), rest] >= 0`,
//! `w = w+ - w-`, shared by the l1 max-margin predictor (`l1.rs`, where `rest` are the
//! margin slacks) and the min-l1 interpolator (`regression/l1.rs`, no `rest`). The
//! method is documented in `l1.rs`; what differs between the two problems is only which
//! equality rows in w-space hold on the whole face (the tight margins, resp. every
//! interpolation constraint), which the caller passes as a function of the columns that
//! are positive somewhere on the face.

use crate::lp::{solve, split_w, LpOutcome, StandardLp};
use crate::num::rational::{dot, null_space, rank, solve_square_bareiss};
use rug::Rational;

/// The optimal face `F` of an l1 problem (a polytope in w-space).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptimalFace {
    /// `F` is the single point `w`.
    pub unique: bool,
    /// Dimension of `F` (0 when unique).
    pub dimension: usize,
    /// Distinct vertices of `F` (the first is `w`); their affine hull is
    /// `aff(F)`.
    pub vertices: Vec<Vec<Rational>>,
    /// A basis of the direction space of `aff(F)` (coprime integer vectors);
    /// empty when unique.
    pub directions: Vec<Vec<Rational>>,
}

/// `P_F` restricted to the columns `cols`: `maximize obj^T x` over it
/// (`obj` indexed by full columns). Returns the optimal vertex as a full
/// vector.
fn maximize_on_face(lp: &StandardLp, cols: &[usize], obj: &[Rational]) -> Vec<Rational> {
    let sub = StandardLp {
        a: lp
            .a
            .iter()
            .map(|row| cols.iter().map(|&j| row[j].clone()).collect())
            .collect(),
        b: lp.b.clone(),
        c: cols.iter().map(|&j| Rational::from(-&obj[j])).collect(),
    };
    match solve(&sub) {
        LpOutcome::Optimal(sol) => {
            let mut x = vec![Rational::new(); lp.cols()];
            for (k, &j) in cols.iter().enumerate() {
                x[j] = sol.x[k].clone();
            }
            x
        }
        LpOutcome::Infeasible { .. } => unreachable!("the optimal face contains x*"),
        LpOutcome::Unbounded { .. } => unreachable!("the optimal face is bounded"),
    }
}

/// `||w||_1`.
pub(super) fn norm1(w: &[Rational]) -> Rational {
    w.iter().map(|v| Rational::from(v.abs_ref())).sum()
}

/// The optimal face of `lp` (variables `[w+ (d), w- (d), rest]`, cost 1 on the `w`
/// columns) from an optimal vertex `x_star` and the reduced costs `rc >= 0` of an
/// optimal dual. `tight_rows(positive)` gives the w-space rows `a` with `a^T w` constant
/// on the face, given which columns are positive somewhere on it (for the margin LP: the
/// points whose slack is zero on the whole face). See `l1.rs` for the method.
pub(super) fn optimal_face(
    lp: &StandardLp,
    d: usize,
    x_star: &[Rational],
    rc: &[Rational],
    tight_rows: impl Fn(&[bool]) -> Vec<Vec<Rational>>,
) -> OptimalFace {
    let ncols = lp.cols();
    let w = split_w(x_star, d);
    debug_assert!(rc.iter().all(|v| *v >= 0));
    let cols: Vec<usize> = (0..ncols).filter(|&j| rc[j] == 0).collect();

    // Implicit equalities of P_F.
    let mut xs: Vec<Vec<Rational>> = vec![x_star.to_vec()];
    let mut positive = vec![false; ncols];
    let mark = |positive: &mut Vec<bool>, x: &[Rational]| {
        for (p, v) in positive.iter_mut().zip(x) {
            if *v > 0 {
                *p = true;
            }
        }
    };
    mark(&mut positive, x_star);
    for &j in &cols {
        if positive[j] {
            continue;
        }
        let mut obj = vec![Rational::new(); ncols];
        obj[j] = Rational::from(1);
        let x = maximize_on_face(lp, &cols, &obj);
        if x[j] > 0 {
            mark(&mut positive, &x);
            xs.push(x);
        }
    }

    // Affine hull in w-space.
    let mut sigma = vec![Rational::new(); d];
    for i in 0..d {
        assert!(
            !(positive[i] && positive[d + i]),
            "l1: w_{i} takes both signs on the optimal face (internal error)"
        );
        if positive[i] {
            sigma[i] = Rational::from(1);
        } else if positive[d + i] {
            sigma[i] = Rational::from(-1);
        }
    }
    let mut rows = tight_rows(&positive);
    let point = full_rank_by_block(&rows, &sigma);
    for i in 0..d {
        if sigma[i] == 0 {
            let mut e = vec![Rational::new(); d];
            e[i] = Rational::from(1);
            rows.push(e);
        }
    }
    rows.push(sigma);
    // The face is a point when a square block of these rows is nonsingular (the
    // common case, decided by fraction-free elimination); else the full null space.
    let directions = if point {
        Vec::new()
    } else {
        null_space(rows, d)
    };
    let dimension = directions.len();

    // Vertices.
    let mut vertices: Vec<Vec<Rational>> = Vec::new();
    let push = |vertices: &mut Vec<Vec<Rational>>, v: Vec<Rational>| {
        if !vertices.contains(&v) {
            vertices.push(v);
        }
    };
    for x in &xs {
        push(&mut vertices, split_w(x, d));
    }
    if dimension > 0 {
        let w_objective = |c: &[Rational], sign: i32| -> Vec<Rational> {
            let mut obj = vec![Rational::new(); ncols];
            for i in 0..d {
                obj[i] = Rational::from(&c[i] * sign);
                obj[d + i] = Rational::from(&c[i] * -sign);
            }
            obj
        };
        for i in 0..d {
            let mut e = vec![Rational::new(); d];
            e[i] = Rational::from(1);
            for sign in [1, -1] {
                let x = maximize_on_face(lp, &cols, &w_objective(&e, sign));
                push(&mut vertices, split_w(&x, d));
            }
        }
        // Complete the vertex set until it affinely spans F.
        loop {
            let diffs = differences(&vertices, &w);
            if rank(diffs.clone(), d) == dimension {
                break;
            }
            // c orthogonal to the vertices found but not to the face.
            let c = null_space(diffs, d)
                .into_iter()
                .find(|c| directions.iter().any(|v| dot(c, v) != 0))
                .expect("some normal of the found vertices is not normal to the face");
            let before = vertices.len();
            for sign in [1, -1] {
                let x = maximize_on_face(lp, &cols, &w_objective(&c, sign));
                let v = split_w(&x, d);
                let level = dot(&c, &v);
                let level0 = dot(&c, &w);
                if level != level0 {
                    push(&mut vertices, v);
                    break;
                }
            }
            assert!(
                vertices.len() > before,
                "l1: the face is flat along a computed direction (internal error)"
            );
        }
    }
    OptimalFace {
        unique: dimension == 0,
        dimension,
        vertices,
        directions,
    }
}

/// Whether the rows of `aff(F)` (the tight rows, the `e_i` with `sigma_i = 0` and
/// `sigma`) have full rank `d` because the tight rows restricted to the coordinates
/// with `sigma_i != 0` form a nonsingular square matrix (the `e_i` rows cover the
/// other coordinates). `false` means: not decided this way.
fn full_rank_by_block(tight: &[Vec<Rational>], sigma: &[Rational]) -> bool {
    let cols: Vec<usize> = (0..sigma.len()).filter(|&i| sigma[i] != 0).collect();
    if cols.len() != tight.len() {
        return false;
    }
    let block: Vec<Vec<Rational>> = tight
        .iter()
        .map(|row| cols.iter().map(|&i| row[i].clone()).collect())
        .collect();
    solve_square_bareiss(&block, &vec![Rational::new(); cols.len()]).is_some()
}

/// `v - w` for every `v` in `vs`.
fn differences(vs: &[Vec<Rational>], w: &[Rational]) -> Vec<Vec<Rational>> {
    vs.iter()
        .map(|v| {
            v.iter()
                .zip(w)
                .map(|(a, b)| Rational::from(a - b))
                .collect()
        })
        .collect()
}

/// The checks of an [`OptimalFace`] that do not depend on the problem: `unique` iff
/// `dimension == 0`; `directions` are `dimension` linearly independent vectors of
/// length `d`; every vertex is feasible (`feasible`) with `||v||_1 = opt` and distinct;
/// `w` is a vertex; the vertices affinely span `w + span(directions)`; and every
/// direction passes `direction_ok` (complementary slackness with the dual).
pub(super) fn verify_face(
    face: &OptimalFace,
    w: &[Rational],
    opt: &Rational,
    feasible: impl Fn(&[Rational], &str) -> Result<(), String>,
    direction_ok: impl Fn(usize, &[Rational]) -> Result<(), String>,
) -> Result<(), String> {
    let d = w.len();
    if face.unique != (face.dimension == 0) {
        return Err(format!(
            "unique = {} but dimension = {}",
            face.unique, face.dimension
        ));
    }
    if face.directions.len() != face.dimension {
        return Err(format!(
            "{} directions for dimension {}",
            face.directions.len(),
            face.dimension
        ));
    }
    if let Some(k) = face.directions.iter().position(|v| v.len() != d) {
        return Err(format!(
            "direction {k} has length {}",
            face.directions[k].len()
        ));
    }
    if rank(face.directions.clone(), d) != face.dimension {
        return Err("directions are linearly dependent".to_string());
    }
    if !face.vertices.iter().any(|v| v == w) {
        return Err("w is not among the vertices".to_string());
    }
    for (k, v) in face.vertices.iter().enumerate() {
        if v.len() != d {
            return Err(format!("vertex {k} has length {}", v.len()));
        }
        if face.vertices[..k].contains(v) {
            return Err(format!("vertex {k} is repeated"));
        }
        feasible(v, &format!("vertex {k}"))?;
        let nv = norm1(v);
        if nv != *opt {
            return Err(format!("vertex {k}: ||v||_1 = {nv} != OPT = {opt}"));
        }
    }
    let diffs = differences(&face.vertices, w);
    let r_diffs = rank(diffs.clone(), d);
    let mut both = diffs;
    both.extend(face.directions.iter().cloned());
    let r_both = rank(both, d);
    if r_diffs != face.dimension || r_both != face.dimension {
        return Err(format!(
            "vertex differences have rank {r_diffs}, together with the directions {r_both}, \
             but the dimension is {}",
            face.dimension
        ));
    }
    for (k, v) in face.directions.iter().enumerate() {
        direction_ok(k, v)?;
    }
    Ok(())
}
