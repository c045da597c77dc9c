//! The report of `ibcert solve` on a regression case (schema `ibcert.solve-regression/1`):
//! the exact min-l2 and min-l1 interpolators with their certificates, and the limits
//! `w_alpha = argmin Q^D_alpha s.t. X^T w = y` at the requested alphas with their verified
//! digits (the agreement of two independent solves), exact residual and stationarity.
//! Coordinates are numbered from 1.

use super::run::CaseInfo;
use super::solve::ExactVector;
use crate::num::{fmt_sig, from_rational, norm1, norm2};
use crate::reference::regression::{L1Interpolator, L2Interpolator, QAlphaSolution};
use rug::{Float, Rational};
use serde::Serialize;

pub const SOLVE_REGRESSION_SCHEMA: &str = "ibcert.solve-regression/1";

#[derive(Clone, Debug, Serialize)]
pub struct CaseLine {
    pub name: String,
    pub path: Option<String>,
    pub points: usize,
    pub dim: usize,
    pub depth: u32,
    pub data: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct L2Line {
    pub w: ExactVector,
    pub norm2_sq: String,
    /// w = X c (1-based points with c_n != 0 are the basis)
    pub c: Vec<String>,
    pub certificate: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct L1Line {
    pub w: ExactVector,
    pub norm1: String,
    pub lambda: Vec<String>,
    /// coordinates with w_i != 0 (1-based)
    pub support: Vec<usize>,
    pub unique: bool,
    pub face_dimension: usize,
    pub vertices: Vec<ExactVector>,
    pub directions: Vec<Vec<String>>,
    pub certificate: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct QLine {
    pub alpha: String,
    pub depth: u32,
    /// w to its verified digits (normwise: small components carry fewer; below the
    /// error level `0(±1e-k)`)
    pub w: Vec<String>,
    pub verified_digits: u32,
    pub norm1: String,
    pub norm2: String,
    /// ||w||_1 / ||w_l1||_1 - 1
    pub excess_l1: String,
    /// ||w - w_l2||_2 / ||w_l2||_2
    pub distance_l2: String,
    /// max_n |x_n^T w - y_n| of the printed (rounded) w, exact, rounded up
    pub residual: String,
    pub stationarity: String,
    pub continuation_steps: usize,
    pub newton_iterations: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct RegressionSolveReport {
    pub schema: &'static str,
    pub case: CaseLine,
    pub task: &'static str,
    pub l2: L2Line,
    pub l1: L1Line,
    pub q_alpha: Vec<QLine>,
    /// Q^D_alpha solves that failed, (alpha, why)
    pub failed: Vec<(String, String)>,
}

/// An alpha as reports show it: exact, or a long one (10^-300) as 12 significant digits.
pub fn shown_alpha(alpha: &Rational) -> String {
    let exact = alpha.to_string();
    if exact.len() > 40 {
        fmt_sig(&from_rational(128, alpha), 12)
    } else {
        exact
    }
}

fn strings(v: &[Rational]) -> Vec<String> {
    v.iter().map(|q| q.to_string()).collect()
}

impl RegressionSolveReport {
    pub fn l2(s: &L2Interpolator, check: Result<(), String>, digits: usize) -> L2Line {
        L2Line {
            w: ExactVector::of(&s.w, digits),
            norm2_sq: s.norm2_sq.to_string(),
            c: strings(&s.c),
            certificate: check.map_or_else(|e| format!("FAILED: {e}"), |_| "verified".into()),
        }
    }

    pub fn l1(s: &L1Interpolator, check: Result<(), String>, digits: usize) -> L1Line {
        L1Line {
            w: ExactVector::of(&s.w, digits),
            norm1: s.norm1.to_string(),
            lambda: strings(&s.lambda),
            support: s.support.iter().map(|i| i + 1).collect(),
            unique: s.face.unique,
            face_dimension: s.face.dimension,
            vertices: s
                .face
                .vertices
                .iter()
                .map(|v| ExactVector::of(v, digits))
                .collect(),
            directions: s.face.directions.iter().map(|v| strings(v)).collect(),
            certificate: check.map_or_else(|e| format!("FAILED: {e}"), |_| "verified".into()),
        }
    }

    /// One Q^D_alpha limit, measured against the exact interpolators.
    pub fn q(
        alpha: &Rational,
        depth: u32,
        sol: &QAlphaSolution,
        l2: &L2Interpolator,
        l1: &L1Interpolator,
    ) -> QLine {
        let w = &sol.solve.w;
        let prec = w.first().map_or(64, Float::prec);
        let k = sol.verified_digits.max(1) as usize;
        let shown = k.min(12);
        let w_l2: Vec<Float> = l2.w.iter().map(|q| from_rational(prec, q)).collect();
        let diff: Vec<Float> = w
            .iter()
            .zip(&w_l2)
            .map(|(a, b)| Float::with_val(prec, a - b))
            .collect();
        let n2l2 = norm2(prec, &w_l2);
        let dist = if n2l2.is_zero() {
            norm2(prec, &diff)
        } else {
            norm2(prec, &diff) / n2l2
        };
        let l1n = from_rational(prec, &l1.norm1);
        let excess = if l1n.is_zero() {
            norm1(prec, w)
        } else {
            norm1(prec, w) / &l1n - 1u32
        };
        QLine {
            alpha: shown_alpha(alpha),
            depth,
            w: super::fmt_vector(w, k as u32),
            verified_digits: sol.verified_digits,
            norm1: fmt_sig(&norm1(prec, w), k),
            norm2: fmt_sig(&norm2(prec, w), k),
            excess_l1: fmt_sig(&excess, shown),
            distance_l2: fmt_sig(&dist, shown),
            residual: fmt_sig(&sol.residual, 3),
            stationarity: fmt_sig(&sol.stationarity, 3),
            continuation_steps: sol.solve.continuation_steps,
            newton_iterations: sol.solve.newton_iterations,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("json")
    }

    pub fn to_text(&self) -> String {
        let c = &self.case;
        let info = CaseInfo {
            name: c.name.clone(),
            path: c.path.clone(),
            points: c.points,
            dim: c.dim,
            depth: c.depth,
            data: c.data.clone(),
        };
        let mut o = info.text_lines(", regression (square loss)");
        o += "\n";
        let list = |v: &[String]| format!("[{}]", v.join(", "));
        let set = |v: &[usize]| {
            let s: Vec<String> = v.iter().map(|i| i.to_string()).collect();
            format!("{{{}}}", s.join(", "))
        };
        let l2 = &self.l2;
        o += &format!("min-l2 interp.  w = {}\n", list(&l2.w.fractions));
        o += &format!("                  = {}\n", list(&l2.w.decimals));
        o += &format!("                ||w||_2^2 = {}\n", l2.norm2_sq);
        o += &format!(
            "                w = X c, c = {}; certificate {}\n\n",
            list(&l2.c),
            l2.certificate
        );
        let l1 = &self.l1;
        o += &format!("min-l1 interp.  w = {}\n", list(&l1.w.fractions));
        o += &format!("                  = {}\n", list(&l1.w.decimals));
        o += &format!("                ||w||_1 = {}\n", l1.norm1);
        o += &format!("                lambda = {}\n", list(&l1.lambda));
        o += &format!(
            "                support (coordinates) {}; certificate {}\n",
            set(&l1.support),
            l1.certificate
        );
        if l1.unique {
            o += "                unique optimum\n";
        } else {
            o += &format!(
                "                NOT unique: the optimal face has dimension {}; vertices found:\n",
                l1.face_dimension
            );
            for v in &l1.vertices {
                o += &format!("                  {}\n", list(&v.fractions));
            }
            o += "                directions:\n";
            for v in &l1.directions {
                o += &format!("                  {}\n", list(v));
            }
        }
        for q in &self.q_alpha {
            o += &format!(
                "\nQ^{}_alpha limit at alpha = {}  [{} digits]\n",
                q.depth, q.alpha, q.verified_digits
            );
            o += &format!("                w = {}\n", list(&q.w));
            o += &format!(
                "                ||w||_1 = {}, ||w||_2 = {}\n",
                q.norm1, q.norm2
            );
            o += &format!(
                "                excess l1 ||w||_1/||w_l1||_1 - 1 = {}, distance to w_l2 (relative) = {}\n",
                q.excess_l1, q.distance_l2
            );
            o += &format!(
                "                residual max|x_n^T w - y_n| = {}, stationarity {}; {} continuation steps, {} Newton iterations\n",
                q.residual, q.stationarity, q.continuation_steps, q.newton_iterations
            );
        }
        for (a, why) in &self.failed {
            o += &format!("\nQ_alpha limit at alpha = {a}: FAILED: {why}\n");
        }
        o
    }
}
