//! Tables of the training accuracy a regime requires (paper Fig. 5b) and of the path's
//! closest approach to the kernel solution (Appendix H.1).
//!
//! For one loss, depth D and scale α (or α^D) the flow is integrated once from its start
//! (gt = 0 for the exp-loss, gt_0 = -ln(ln 2) for the logistic loss); the
//! observer watches four event functions of the state at the end and at three interior
//! points of every accepted step (dense output):
//! - excess l1: g_e = ||w||_1 - (1 + δ) ||w_l1||_1 γ (γ = min margin). g_e <= 0 exactly
//!   when γ > 0 and ||w_hat||_1 / ||w_l1||_1 - 1 <= δ (w_hat = w / γ), and g_e > 0 while
//!   the data are not yet separated, so the first downward crossing is the smallest gt at
//!   which the excess l1 norm falls to δ. It need not stay there (a path that starts
//!   near the l1 direction passes below δ early, then moves towards w_l2 and back):
//!   the required accuracy is the last downward crossing, from which on the excess
//!   stays <= δ up to the end of the integrated range (at least `after` times that gt);
//!   the first crossing and the first upward one are reported too.
//! - closest approach to w_l2: with u = w / ||w||_2 and u2 = w_l2 / ||w_l2||_2, the
//!   distance ||u - u2||_2 is smallest where c = u . u2 is largest; along the flow
//!   dw/dgt = w'(β) ⊙ g / S (docs/math.md §3.1, §10.4), so dc/dgt has the sign of
//!   g_c = u2 . (w' ⊙ g) - c u . (w' ⊙ g), and a local closest approach is a downward
//!   crossing of g_c. Located from the derivative, the minimizer comes to full
//!   precision, not to the square root of it as from the distance itself.
//! - kernel exit: g_k = (1 - δ²/2) - c, negative while ||u - u2||_2 < δ; the first
//!   upward crossing after the path has come within δ is where it leaves.
//! - μ points gt = α^D / μ: the state is computed there exactly.
//!
//! An event is located in two phases: regula falsi (Illinois) on the step's collocation
//! polynomial, then on exact states, each of them integrated afresh from the start of
//! the step (the dense output is only as accurate as the stage order; a fresh step to
//! the point is as accurate as any step of the run). The row is then computed again
//! with the verification numerics of [`VERIFICATION`] (more bits, a tighter
//! tolerance), and every reported number carries the digits the two computations share.

mod events;
mod fit;
pub mod regression;

pub use events::Scan;
use events::{scan, RowRefs};
pub use fit::{fit_log_log, slope_spread, Fit, FitFrom};

use crate::flow::{Loss, Numerics, Scale, VERIFICATION};
use crate::num::decimal_digits_of_bits;
use crate::ode::radau::{OdeError, Stats};
use crate::reference::{l1, l2, qmu};
use rayon::prelude::*;
use rug::{Float, Rational};
use serde::{Deserialize, Serialize};

/// What to tabulate.
#[derive(Clone, Debug)]
pub struct TableSpec {
    /// the losses the flows are trained with (each once; rows and fits per loss)
    pub losses: Vec<Loss>,
    pub depths: Vec<u32>,
    pub scales: Vec<Scale>,
    /// threshold δ in (0, 1)
    pub delta: Rational,
    /// μ values for the points gt = α^D / μ
    pub mus: Vec<Rational>,
    /// keep integrating to `after` times the gt of the last event needed (> 1), to see
    /// whether the excess l1 norm stays below δ
    pub after: Rational,
    /// integrate at most to this gt; None: 10^6 max(1, α^D)
    pub gt_max: Option<Rational>,
    pub numerics: Numerics,
    pub verify: bool,
    /// which points the required-accuracy fits use (the closest-approach fits use all)
    pub fit_from: FitFrom,
}

impl TableSpec {
    /// The end of the integrated range for one row.
    pub fn gt_max_for(&self, alpha_d: &Rational) -> Rational {
        match &self.gt_max {
            Some(g) => g.clone(),
            None => {
                let one = Rational::from(1);
                let base = if *alpha_d > one { alpha_d.clone() } else { one };
                base * Rational::from(1_000_000)
            }
        }
    }

    /// The stable id of the row (loss, depth, scale) of a table on `case`
    /// ([`crate::case::job`]): what the row's result depends on and nothing else. The
    /// loss is a field only when it is not exp (exp ids are those of tables before
    /// there was a choice of loss).
    pub fn row_job_id(
        &self,
        case: &crate::case::Case,
        loss: Loss,
        depth: u32,
        scale: &Scale,
    ) -> String {
        let mus: Vec<String> = self.mus.iter().map(|m| m.to_string()).collect();
        let mut fields = vec![("job", "table-row".to_string())];
        if loss != Loss::Exp {
            fields.push(("loss", loss.name().to_string()));
        }
        fields.extend([
            ("row_depth", depth.to_string()),
            ("scale", format!("{scale:?}")),
            ("delta", self.delta.to_string()),
            ("mus", mus.join(",")),
            ("after", self.after.to_string()),
            ("gt_max", format!("{:?}", self.gt_max)),
            crate::case::job::numerics_field(&self.numerics, self.verify),
        ]);
        crate::case::job::job_id(case, &fields)
    }
}

/// Errors that stop a table before any row is computed.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("data: {0}")]
    Reference(String),
    #[error("mu = {mu} at depth {depth}: {reason}")]
    Qmu {
        mu: Rational,
        depth: u32,
        reason: String,
    },
}

/// The reference predictors one depth needs, exact where they can be.
#[derive(Clone, Debug)]
pub struct TableReferences {
    /// ||w_l1||_1 (the optimal value; unique even when w_l1 is not)
    pub l1_norm: Rational,
    pub w_l2: Vec<Rational>,
    /// per depth (same order as the spec's depths), per μ: w_μ at the main precision and
    /// at the verification precision (solved twice, independently)
    pub w_mu: Vec<Vec<(Vec<Float>, Vec<Float>)>>,
}

/// The references of a table (l1 and l2 once; Q_μ per depth and μ at both precisions);
/// they do not depend on the loss (one set for every loss of the table).
pub fn references(z: &[Vec<Rational>], spec: &TableSpec) -> Result<TableReferences, TableError> {
    let s1 = l1::l1_max_margin(z).map_err(|e| TableError::Reference(e.to_string()))?;
    let s2 = l2::l2_max_margin(z).map_err(|e| TableError::Reference(e.to_string()))?;
    let vprec = VERIFICATION.numerics(&spec.numerics).prec;
    let mut w_mu = Vec::new();
    for &depth in &spec.depths {
        let mut per = Vec::new();
        for mu in &spec.mus {
            let solve = |prec: u32| {
                qmu::solve_qmu(z, depth, mu, prec, None)
                    .map(|s| s.w)
                    .map_err(|e| TableError::Qmu {
                        mu: mu.clone(),
                        depth,
                        reason: e.to_string(),
                    })
            };
            per.push((solve(spec.numerics.prec)?, solve(vprec)?));
        }
        w_mu.push(per);
    }
    Ok(TableReferences {
        l1_norm: s1.norm1,
        w_l2: s2.w,
        w_mu,
    })
}

/// A located quantity of the main computation with the digits the verification
/// computation confirms (None without verification).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Certified {
    #[serde(with = "crate::num::serial::float")]
    pub value: Float,
    pub digits: Option<u32>,
}

/// One row of the table. Serialized exactly (job results of sweeps): a merged table
/// fits its lines to these very numbers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Row {
    /// the loss the flow is trained with (results written before there was a choice:
    /// exp)
    #[serde(default)]
    pub loss: Loss,
    pub depth: u32,
    pub scale: Scale,
    #[serde(with = "crate::num::serial::rational")]
    pub alpha_d: Rational,
    #[serde(with = "crate::num::serial::rational")]
    pub gt_max: Rational,
    /// smallest gt with excess l1 <= δ
    pub first: Option<Certified>,
    /// first gt after it with excess l1 > δ again (it did not stay below)
    pub recross: Option<Certified>,
    /// the gt from which on the excess l1 norm stays <= δ up to the end of the range
    pub required: Option<Certified>,
    pub closest_gt: Option<Certified>,
    pub closest_distance: Option<Certified>,
    pub entered: bool,
    pub kernel_exit: Option<Certified>,
    /// per μ: gt and distance to w_μ
    pub mu_points: Vec<Option<(Certified, Certified)>>,
    #[serde(with = "crate::num::serial::float")]
    pub gt_end: Float,
    pub stats: Stats,
    pub locate_steps: u64,
    /// the verification computation disagreed on which events exist
    pub mismatch: Vec<String>,
}

fn certify(
    name: &str,
    a: &Option<Float>,
    b: Option<&Option<Float>>,
    cap: u32,
    mismatch: &mut Vec<String>,
) -> Option<Certified> {
    let value = a.clone()?;
    let digits = match b {
        None => None,
        Some(Some(v)) => Some(crate::num::scalar_digits(&value, v, cap)),
        Some(None) => {
            mismatch.push(format!("{name}: found by the main computation only"));
            Some(0)
        }
    };
    Some(Certified { value, digits })
}

/// Compute one row of the exp-loss: [`row_of`] with [`Loss::Exp`].
pub fn row(
    z: &[Vec<Rational>],
    depth_index: usize,
    scale: &Scale,
    refs: &TableReferences,
    spec: &TableSpec,
) -> Result<Row, OdeError> {
    row_of(z, Loss::Exp, depth_index, scale, refs, spec)
}

/// Compute one row of `loss`: the main scan and, unless disabled, the verification
/// scan (the same loss).
pub fn row_of(
    z: &[Vec<Rational>],
    loss: Loss,
    depth_index: usize,
    scale: &Scale,
    refs: &TableReferences,
    spec: &TableSpec,
) -> Result<Row, OdeError> {
    let depth = spec.depths[depth_index];
    let main_refs = RowRefs::new(refs, depth_index, &spec.delta, spec.numerics.prec, false);
    let main = scan(
        z,
        loss,
        depth,
        scale,
        &main_refs,
        spec,
        &spec.numerics,
        None,
    )?;
    let check = if spec.verify {
        let vn = VERIFICATION.numerics(&spec.numerics);
        let vrefs = RowRefs::new(refs, depth_index, &spec.delta, vn.prec, true);
        // the verification computation needs to reach the main one's events only (5%
        // beyond the last); whether the excess stays below delta further on is the
        // main computation's finding
        let mut last: Option<Float> = None;
        let events = [
            &main.first,
            &main.recross,
            &main.required,
            &main.kernel_exit,
        ]
        .into_iter()
        .flatten()
        .chain(main.closest.as_ref().map(|(g, _)| g))
        .chain(main.mu_points.iter().flatten().map(|(g, _)| g));
        for g in events {
            if last.as_ref().is_none_or(|l| g > l) {
                last = Some(g.clone());
            }
        }
        let cap = last.map(|g| Float::with_val(vn.prec, g * 21u32) / 20u32);
        Some(scan(
            z,
            loss,
            depth,
            scale,
            &vrefs,
            spec,
            &vn,
            cap.as_ref(),
        )?)
    } else {
        None
    };
    let cap = decimal_digits_of_bits(spec.numerics.prec);
    let mut mismatch = Vec::new();
    let c = check.as_ref();
    let first = certify(
        "first excess l1 crossing",
        &main.first,
        c.map(|c| &c.first),
        cap,
        &mut mismatch,
    );
    let required = certify(
        "required accuracy",
        &main.required,
        c.map(|c| &c.required),
        cap,
        &mut mismatch,
    );
    let recross = certify(
        "re-crossing",
        &main.recross,
        c.map(|c| &c.recross),
        cap,
        &mut mismatch,
    );
    let kernel_exit = certify(
        "kernel exit",
        &main.kernel_exit,
        c.map(|c| &c.kernel_exit),
        cap,
        &mut mismatch,
    );
    let split = |s: &Scan| -> (Option<Float>, Option<Float>) {
        match &s.closest {
            Some((g, d)) => (Some(g.clone()), Some(d.clone())),
            None => (None, None),
        }
    };
    let (mg, md) = split(&main);
    let cs = c.map(split);
    let closest_gt = certify(
        "closest approach",
        &mg,
        cs.as_ref().map(|x| &x.0),
        cap,
        &mut mismatch,
    );
    let closest_distance = certify(
        "closest distance",
        &md,
        cs.as_ref().map(|x| &x.1),
        cap,
        &mut mismatch,
    );
    let mut mu_points = Vec::new();
    for (k, m) in main.mu_points.iter().enumerate() {
        let cm = c.map(|c| c.mu_points[k].clone());
        let (g, d) = match m {
            Some((g, d)) => (Some(g.clone()), Some(d.clone())),
            None => (None, None),
        };
        let (cg, cd) = match &cm {
            Some(Some((g, d))) => (Some(Some(g.clone())), Some(Some(d.clone()))),
            Some(None) => (Some(None), Some(None)),
            None => (None, None),
        };
        let name = format!("mu = {}", spec.mus[k]);
        let pg = certify(&name, &g, cg.as_ref(), cap, &mut mismatch);
        let pd = certify(&name, &d, cd.as_ref(), cap, &mut mismatch);
        mu_points.push(pg.zip(pd));
    }
    if let Some(c) = c {
        if c.entered != main.entered {
            mismatch.push("entering the kernel neighbourhood: the computations disagree".into());
        }
        for (name, a, b) in [
            ("first excess l1 crossing", &c.first, &main.first),
            ("required accuracy", &c.required, &main.required),
            ("re-crossing", &c.recross, &main.recross),
            ("kernel exit", &c.kernel_exit, &main.kernel_exit),
        ] {
            if a.is_some() && b.is_none() {
                mismatch.push(format!(
                    "{name}: found by the verification computation only"
                ));
            }
        }
    }
    let alpha_d = scale.alpha_pow_d(depth);
    Ok(Row {
        loss,
        depth,
        scale: scale.clone(),
        gt_max: spec.gt_max_for(&alpha_d),
        alpha_d,
        first,
        recross,
        required,
        closest_gt,
        closest_distance,
        entered: main.entered,
        kernel_exit,
        mu_points,
        gt_end: main.gt_end,
        stats: main.stats,
        locate_steps: main.locate_steps,
        mismatch,
    })
}

/// A whole table.
#[derive(Clone, Debug)]
pub struct Table {
    pub rows: Vec<Row>,
    /// per loss and depth (the spec's orders): ln gt = a ln(α^D) + b over the required
    /// accuracies the spec's `fit_from` chooses (a depth with fewer than two such
    /// points has none)
    pub required_fits: Vec<(Loss, Fit)>,
    /// per loss and depth: ln gt* = a ln(α^D) + b over the closest approaches to w_l2
    pub closest_fits: Vec<(Loss, Fit)>,
}

/// One row job of a table: the loss, the depth (index into the spec's depths) and the
/// scale.
#[derive(Clone, Debug)]
pub struct RowJob {
    pub loss: Loss,
    pub depth_index: usize,
    pub scale_index: usize,
    /// its stable id ([`TableSpec::row_job_id`])
    pub id: String,
}

/// Every row job of the table, in report order (loss, then depth, then scale).
pub fn row_jobs(case: &crate::case::Case, spec: &TableSpec) -> Vec<RowJob> {
    let mut out = Vec::new();
    for &loss in &spec.losses {
        for (di, &d) in spec.depths.iter().enumerate() {
            for (si, s) in spec.scales.iter().enumerate() {
                out.push(RowJob {
                    loss,
                    depth_index: di,
                    scale_index: si,
                    id: spec.row_job_id(case, loss, d, s),
                });
            }
        }
    }
    out
}

/// Compute the rows of `todo` in parallel; `done` is called after each row with it and
/// its wall time. A row not started before `deadline` gives None (a row in flight
/// runs to its end).
pub fn compute_rows(
    z: &[Vec<Rational>],
    spec: &TableSpec,
    refs: &TableReferences,
    todo: &[&RowJob],
    deadline: Option<std::time::Instant>,
    done: impl Fn(&RowJob, &Row, f64) + Sync,
) -> Result<Vec<Option<Row>>, OdeError> {
    todo.par_iter()
        .map(|j| {
            if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                return Ok(None);
            }
            let start = std::time::Instant::now();
            let r = row_of(
                z,
                j.loss,
                j.depth_index,
                &spec.scales[j.scale_index],
                refs,
                spec,
            )?;
            done(j, &r, start.elapsed().as_secs_f64());
            Ok(Some(r))
        })
        .collect()
}

/// The table of `rows` (in report order): the rows and the fits over them.
pub fn assemble(spec: &TableSpec, rows: Vec<Row>) -> Table {
    let fits = |pick: &dyn Fn(&Row) -> Option<Float>, from: &FitFrom| -> Vec<(Loss, Fit)> {
        spec.losses
            .iter()
            .flat_map(|&loss| spec.depths.iter().map(move |&d| (loss, d)))
            .filter_map(|(loss, d)| {
                let pts: Vec<(Rational, Float)> = rows
                    .iter()
                    .filter(|r| r.loss == loss && r.depth == d)
                    .filter_map(|r| pick(r).map(|g| (r.alpha_d.clone(), g)))
                    .collect();
                fit_log_log(d, &pts, 128, from).map(|f| (loss, f))
            })
            .collect()
    };
    let required_fits = fits(
        &|r: &Row| r.required.as_ref().map(|c| c.value.clone()),
        &spec.fit_from,
    );
    let closest_fits = fits(
        &|r: &Row| r.closest_gt.as_ref().map(|c| c.value.clone()),
        &FitFrom::All,
    );
    Table {
        rows,
        required_fits,
        closest_fits,
    }
}

/// Compute every (loss, depth, scale) row in parallel, then the fits; `done` is called
/// after each row.
pub fn compute(
    z: &[Vec<Rational>],
    spec: &TableSpec,
    refs: &TableReferences,
    done: impl Fn() + Sync,
) -> Result<Table, OdeError> {
    // no ids needed here
    let jobs: Vec<RowJob> = spec
        .losses
        .iter()
        .flat_map(|&loss| {
            (0..spec.depths.len()).flat_map(move |di| {
                (0..spec.scales.len()).map(move |si| RowJob {
                    loss,
                    depth_index: di,
                    scale_index: si,
                    id: String::new(),
                })
            })
        })
        .collect();
    let todo: Vec<&RowJob> = jobs.iter().collect();
    let rows = compute_rows(z, spec, refs, &todo, None, |_, _, _| done())?;
    Ok(assemble(spec, rows.into_iter().flatten().collect()))
}
