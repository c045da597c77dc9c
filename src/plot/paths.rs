//! The paths of a plot job: each curve's flow integrated by
//! [`crate::flow::integrate`] (in parallel, results in curve order) and sampled on
//! its dense output at log-spaced gt and at the points gt = alpha^D / mu.

use super::args::{alpha_text, End, PlotJob, Spec};
use crate::flow::DiagFlow;
use crate::flow::{integrate, log_spaced, FlowError};
use crate::num::from_rational;
use crate::options::CliError;
use rayon::prelude::*;
use rug::ops::Pow;
use rug::{Float, Rational};

/// One computed path: the reduced value at each sample (None where it is not
/// defined, e.g. w_hat while the margin is not positive) and at the mu-iso points.
pub struct PathOut<T> {
    pub spec: Spec,
    pub gt_end: Float,
    /// (gt, value) at the log-spaced samples, in increasing gt
    pub points: Vec<(Float, T)>,
    /// (mu, gt = alpha^D / mu, value) for the mus whose point lies on the path
    pub iso: Vec<(Rational, Float, T)>,
}

impl PlotJob {
    /// The end gt of a path, at the working precision.
    pub fn gt_end(&self, spec: &Spec) -> Result<Float, CliError> {
        let p = self.numerics.prec;
        let g = match &self.end {
            End::Gt(g) => from_rational(p, g),
            End::Expr(e) => e.eval(&spec.alpha, spec.depth, None, p).map_err(|err| {
                CliError::input(format!("--stop: at {}: {err}", spec.label(true)))
            })?,
        };
        if !g.is_finite() || g <= 0 {
            return Err(CliError::input(format!(
                "--stop: at {} the end gt is {}, not a positive number",
                spec.label(true),
                crate::num::fmt_sig(&g, 6)
            )));
        }
        if g <= self.loss.gt_start(p) {
            return Err(CliError::input(format!(
                "--stop: at {} the end gt is {}, not beyond the start of the {} flow, gt = {}",
                spec.label(true),
                crate::num::fmt_sig(&g, 6),
                self.loss.name(),
                self.loss.describe_start()
            )));
        }
        Ok(g)
    }

    /// Integrate every spec's path (in parallel, results in spec order) and reduce
    /// each sample with `f(flow, gt, state)`.
    pub fn run_paths<T, F>(&self, f: F) -> Result<Vec<PathOut<T>>, CliError>
    where
        T: Send,
        F: Fn(&DiagFlow, &Float, &[Float]) -> T + Sync,
    {
        // validate every end first (clear input errors before any work)
        let mut ends = Vec::new();
        for s in &self.specs {
            let g = self.gt_end(s)?;
            let hi = g.to_rational().expect("finite");
            if self.from >= hi {
                return Err(CliError::input(format!(
                    "--from: the first sample gt = {} does not lie below the end of the path \
                     ({} at {})",
                    alpha_text(&self.from),
                    crate::num::fmt_sig(&g, 8),
                    s.label(true)
                )));
            }
            ends.push((g, hi));
        }
        let bar = crate::output::JobProgress::new(self.specs.len(), self.progress, Some("paths"));
        let out: Vec<Result<PathOut<T>, CliError>> = self
            .specs
            .par_iter()
            .zip(ends.par_iter())
            .map(|(spec, (gt_end, hi))| {
                let r = self.one_path(spec, gt_end, hi, &f);
                bar.inc();
                r
            })
            .collect();
        bar.finish();
        out.into_iter().collect()
    }

    fn one_path<T, F>(
        &self,
        spec: &Spec,
        gt_end: &Float,
        hi: &Rational,
        f: &F,
    ) -> Result<PathOut<T>, CliError>
    where
        F: Fn(&DiagFlow, &Float, &[Float]) -> T,
    {
        let p = self.numerics.prec;
        let mut at: Vec<Rational> = log_spaced(&self.from, hi, self.samples, p);
        let ad = spec.alpha.clone().pow(spec.depth as i32);
        // the flow starts at gt_0 (0, or -ln(ln 2) for logistic): no sample before it
        let start = self.loss.gt_start(p);
        let iso_gt: Vec<(Rational, Rational)> = self
            .mus
            .iter()
            .map(|mu| (mu.clone(), Rational::from(&ad / mu)))
            .filter(|(_, g)| from_rational(p, g) > start && g <= hi)
            .collect();
        let n_grid = at.len();
        at.extend(iso_gt.iter().map(|(_, g)| g.clone()));
        let mut floats: Vec<Float> = at.iter().map(|q| from_rational(p, q)).collect();
        floats.sort_by(|a, b| a.partial_cmp(b).expect("finite samples"));
        floats.dedup();
        let flow = DiagFlow::new(&self.z, spec.depth, &spec.alpha, p).with_loss(self.loss);
        let sol = integrate(&flow, &self.numerics, gt_end, &floats, |_| {}).map_err(|e| {
            let what = spec.label(true);
            match e {
                FlowError::PrecisionTooLow { .. } => {
                    CliError::input(format!("--precision: {what}: {e}"))
                }
                FlowError::NonPositiveTarget(_) | FlowError::BeforeStart { .. } => {
                    CliError::input(format!("{what}: {e}"))
                }
                _ => CliError::failed(format!("{what}: {e}")),
            }
        })?;
        let grid: Vec<Float> = at[..n_grid].iter().map(|q| from_rational(p, q)).collect();
        let iso_f: Vec<Float> = iso_gt.iter().map(|(_, g)| from_rational(p, g)).collect();
        let mut points = Vec::new();
        let mut iso = Vec::new();
        for (gt, y) in &sol.samples {
            let on_grid = grid.iter().any(|g| g == gt);
            let iso_idx: Vec<usize> = (0..iso_f.len()).filter(|&i| iso_f[i] == *gt).collect();
            if on_grid {
                points.push((gt.clone(), f(&flow, gt, y)));
            }
            for i in iso_idx {
                iso.push((iso_gt[i].0.clone(), gt.clone(), f(&flow, gt, y)));
            }
        }
        Ok(PathOut {
            spec: spec.clone(),
            gt_end: gt_end.clone(),
            points,
            iso,
        })
    }

    /// The settings line under the title.
    pub fn subtitle(&self) -> String {
        let tol = crate::num::fmt_sig(&from_rational(64, &self.numerics.tol), 2);
        format!(
            "case {} (N = {}, d = {}) · {} samples per path from gt = {} to {} · MPFR {} bits, tol {}",
            self.case.name,
            self.case.n_points(),
            self.case.dim(),
            self.samples,
            alpha_text(&self.from),
            self.end.describe(),
            self.numerics.prec,
            tol
        ) + &self.loss_note()
    }

    /// " · logistic loss (from gt_0 = ...)" for a loss other than exp, else nothing
    /// (exp figures read as before there was a choice).
    pub fn loss_note(&self) -> String {
        match self.loss {
            crate::flow::Loss::Exp => String::new(),
            l => format!(" · {} loss (from gt = {})", l.name(), l.describe_start()),
        }
    }

    /// Whether the legend must name the depth (several depths plotted).
    pub fn several_depths(&self) -> bool {
        self.depths.len() > 1
    }
}
