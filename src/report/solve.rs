//! The report of `ibcert solve`: the three reference predictors of a case with their
//! certificates, as text or JSON (schema `ibcert.solve/1`). Points are numbered from 1.
//! Exact solutions are printed as fractions and as decimals to the requested digits;
//! Q_mu solutions (irrational in general) are printed to the digits on which a solve at
//! the requested precision and one at 64 more bits agree.

use super::run::CaseInfo;
use crate::num::exact::rational_to_decimal_string;
use crate::num::{agreeing_digits, decimal_digits_of_bits, fmt_sig};
use crate::reference::constants::DataConstants;
use crate::reference::l1::L1Solution;
use crate::reference::l2::L2Solution;
use crate::reference::qmu::{certificate_threshold, QmuSolution};
use rug::{Float, Rational};
use serde::Serialize;

pub const SOLVE_SCHEMA: &str = "ibcert.solve/1";

#[derive(Clone, Debug, Serialize)]
pub struct ExactVector {
    pub fractions: Vec<String>,
    pub decimals: Vec<String>,
}

impl ExactVector {
    pub fn of(v: &[Rational], digits: usize) -> ExactVector {
        ExactVector {
            fractions: v.iter().map(|q| q.to_string()).collect(),
            decimals: v.iter().map(|q| decimal(q, digits)).collect(),
        }
    }
}

fn decimal(q: &Rational, digits: usize) -> String {
    if *q == 0 {
        "0".to_string()
    } else {
        rational_to_decimal_string(q, digits)
    }
}

fn one_based(v: &[usize]) -> Vec<usize> {
    v.iter().map(|i| i + 1).collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct L2Report {
    pub w: ExactVector,
    pub norm2_sq: String,
    pub lambda: ExactVector,
    /// points with lambda_n > 0 (1-based)
    pub support_vectors: Vec<usize>,
    /// points with margin exactly 1 (1-based)
    pub active: Vec<usize>,
    /// "verified" or the reason the independent check failed
    pub certificate: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct FaceReport {
    pub unique: bool,
    pub dimension: usize,
    pub vertices: Vec<ExactVector>,
    pub directions: Vec<Vec<String>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct L1Report {
    pub w: ExactVector,
    pub norm1: String,
    pub lambda: ExactVector,
    /// coordinates with w_i != 0 (1-based)
    pub support: Vec<usize>,
    pub active: Vec<usize>,
    pub face: FaceReport,
    pub certificate: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct QmuReport {
    pub mu: String,
    pub depth: u32,
    pub precision: u32,
    /// digits of w on which this solve and one at 64 more bits agree
    pub digits: u32,
    pub w: Vec<String>,
    pub lambda: Vec<String>,
    pub support_vectors: Vec<usize>,
    pub norm1: String,
    pub excess_l1: String,
    pub stationarity: String,
    pub primal_infeasibility: String,
    pub complementarity: String,
    pub threshold: String,
    pub certified: bool,
    pub iterations: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConstantsReport {
    pub gamma2_sq: String,
    pub gamma2: String,
    pub xbar: String,
    pub l1_margin: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SolveReport {
    pub schema: &'static str,
    pub case: CaseInfo,
    pub constants: ConstantsReport,
    pub l2: L2Report,
    pub l1: L1Report,
    pub qmu: Vec<QmuReport>,
}

impl SolveReport {
    pub fn l2(sol: &L2Solution, check: Result<(), String>, digits: usize) -> L2Report {
        L2Report {
            w: ExactVector::of(&sol.w, digits),
            norm2_sq: sol.norm2_sq.to_string(),
            lambda: ExactVector::of(&sol.lambda, digits),
            support_vectors: one_based(&sol.support),
            active: one_based(&sol.active),
            certificate: check.map_or_else(|e| format!("FAILED: {e}"), |_| "verified".to_string()),
        }
    }

    pub fn l1(sol: &L1Solution, check: Result<(), String>, digits: usize) -> L1Report {
        L1Report {
            w: ExactVector::of(&sol.w, digits),
            norm1: sol.norm1.to_string(),
            lambda: ExactVector::of(&sol.lambda, digits),
            support: one_based(&sol.support),
            active: one_based(&sol.active),
            face: FaceReport {
                unique: sol.face.unique,
                dimension: sol.face.dimension,
                vertices: sol
                    .face
                    .vertices
                    .iter()
                    .map(|v| ExactVector::of(v, digits))
                    .collect(),
                directions: sol
                    .face
                    .directions
                    .iter()
                    .map(|v| v.iter().map(|q| q.to_string()).collect())
                    .collect(),
            },
            certificate: check.map_or_else(|e| format!("FAILED: {e}"), |_| "verified".to_string()),
        }
    }

    pub fn constants(c: &DataConstants, digits: usize) -> ConstantsReport {
        let p = 64 + 4 * digits as u32;
        let g2 = crate::num::from_rational(p, &c.gamma2_sq).sqrt();
        ConstantsReport {
            gamma2_sq: c.gamma2_sq.to_string(),
            gamma2: fmt_sig(&g2, digits),
            xbar: c.xbar.to_string(),
            l1_margin: c.l1_margin.to_string(),
        }
    }

    /// `sol` at the requested precision, `check` the same problem at 64 more bits.
    pub fn qmu(
        sol: &QmuSolution,
        check: &QmuSolution,
        l1_norm: &Rational,
        max_digits: usize,
    ) -> QmuReport {
        let p = sol.prec;
        // `digits` reports what the comparison verifies; --digits only caps what is shown
        let digits = agreeing_digits(&sol.w, &check.w, decimal_digits_of_bits(p));
        let shown = digits.min(max_digits as u32);
        let vec = |v: &[Float]| super::fmt_vector(v, shown);
        let n1 = crate::num::norm1(p, &sol.w);
        // w_mu has margin >= 1 with equality on the support: its l1 excess is direct
        let excess = n1.clone() / crate::num::from_rational(p, l1_norm) - 1u32;
        QmuReport {
            mu: sol.mu.to_string(),
            depth: sol.depth,
            precision: p,
            digits,
            w: vec(&sol.w),
            lambda: vec(&sol.lambda),
            support_vectors: one_based(&sol.support),
            norm1: fmt_sig(&n1, shown.max(1) as usize),
            excess_l1: fmt_sig(&excess, 6),
            stationarity: fmt_sig(&sol.residuals.stationarity, 3),
            primal_infeasibility: fmt_sig(&sol.residuals.primal_infeasibility, 3),
            complementarity: fmt_sig(&sol.residuals.complementarity, 3),
            threshold: format!("2^-{}", p - 32),
            certified: sol.residuals.certified(p) && sol.residuals.max() < certificate_threshold(p),
            iterations: sol.iterations,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("solve report serializes")
    }

    pub fn to_text(&self) -> String {
        let mut o = self.case.case_line("");
        let k = &self.constants;
        o += &format!(
            "constants       gamma_2^2 = {} (gamma_2 = {}), xbar = {}, l1 margin = {}\n\n",
            k.gamma2_sq, k.gamma2, k.xbar, k.l1_margin
        );
        let list = |v: &[String]| format!("[{}]", v.join(", "));
        let set = |v: &[usize]| {
            format!(
                "{{{}}}",
                v.iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let l2 = &self.l2;
        o += &format!("l2 max-margin   w = {}\n", list(&l2.w.fractions));
        o += &format!("                  = {}\n", list(&l2.w.decimals));
        o += &format!("                ||w||_2^2 = {}\n", l2.norm2_sq);
        o += &format!("                lambda = {}\n", list(&l2.lambda.fractions));
        o += &format!(
            "                support vectors {}, active points {}; certificate {}\n\n",
            set(&l2.support_vectors),
            set(&l2.active),
            l2.certificate
        );
        let l1 = &self.l1;
        o += &format!("l1 max-margin   w = {}\n", list(&l1.w.fractions));
        o += &format!("                  = {}\n", list(&l1.w.decimals));
        o += &format!("                ||w||_1 = {}\n", l1.norm1);
        o += &format!("                lambda = {}\n", list(&l1.lambda.fractions));
        o += &format!(
            "                support (coordinates) {}, active points {}; certificate {}\n",
            set(&l1.support),
            set(&l1.active),
            l1.certificate
        );
        if l1.face.unique {
            o += "                unique optimum\n";
        } else {
            o += &format!(
                "                NOT unique: the optimal face has dimension {}; vertices found:\n",
                l1.face.dimension
            );
            for v in &l1.face.vertices {
                o += &format!("                  {}\n", list(&v.fractions));
            }
            o += "                directions:\n";
            for v in &l1.face.directions {
                o += &format!("                  {}\n", list(v));
            }
        }
        for q in &self.qmu {
            o += &format!(
                "\nQ_mu (D = {})    mu = {}: w = {}  [{} digits]\n",
                q.depth,
                q.mu,
                list(&q.w),
                q.digits
            );
            o += &format!(
                "                lambda = {}, support vectors {}\n",
                list(&q.lambda),
                set(&q.support_vectors)
            );
            o += &format!(
                "                ||w||_1 = {}, excess l1 = {}\n",
                q.norm1, q.excess_l1
            );
            o += &format!(
                "                residuals: stationarity {}, infeasibility {}, complementarity {} (threshold {}: {}), {} Newton iterations\n",
                q.stationarity,
                q.primal_infeasibility,
                q.complementarity,
                q.threshold,
                if q.certified { "certified" } else { "NOT certified" },
                q.iterations
            );
        }
        o
    }
}
