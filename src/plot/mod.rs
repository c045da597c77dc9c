//! `ibcert plot`: the paper's figures as SVG (plotters' SVG backend, no system
//! libraries).
//!
//! Every curve is one path of the flow for one (D, alpha), integrated in MPFR by
//! [`crate::flow::run::integrate`] and sampled on its dense output at log-spaced gt
//! (plus the points gt = alpha^D / mu of `--mu`). The plotted quantities (excess
//! norms, directions, kernel distances) are computed in MPFR from the samples and
//! only then converted to f64 coordinates. Independent curves run in parallel
//! (rayon); the output does not depend on the thread count.
//!
//! Kinds: [`sphere`] (Fig. 3/4), [`excess`] (Fig. 5a and Fig. 7), [`kernel`]
//! (Fig. 9) and [`required`] (Fig. 5b, the renderer only: its data come from the
//! table module).

pub mod excess;
pub mod figure;
pub mod kernel;
pub mod required;
pub mod sphere;

use crate::case::Case;
use crate::flow::run::{integrate, log_spaced, FlowError, Numerics};
use crate::flow::DiagFlow;
use crate::num::from_rational;
use crate::options::{
    arg_rational, depth_list, load_case, optional_positive_list, positive, positive_list, CliError,
};
use crate::rule::Expr;
use clap::{Args, ValueEnum};
use rayon::prelude::*;
use rug::ops::Pow;
use rug::{Float, Rational};
use std::path::PathBuf;

/// The figure to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlotKind {
    /// Fig. 3/4: directions w/||w||_2 as azimuth/pitch, with w_l2, w_l1, the Q_mu path
    #[value(name = "sphere")]
    Sphere,
    /// Fig. 5a: excess l1 norm ||w_hat||_1/||w_l1||_1 - 1 against gt
    #[value(name = "excess-l1")]
    ExcessL1,
    /// Fig. 7: excess l1 against excess l2 along the path
    #[value(name = "excess-plane")]
    ExcessPlane,
    /// Fig. 9: tangent-kernel distance 1 - cos(K_t, K_0) against gt
    #[value(name = "kernel-distance")]
    KernelDistance,
    /// Fig. 5b: the gt from which on the excess l1 norm stays <= delta, against alpha^D
    /// (log-log), one series per depth with its least-squares line (as `ibcert table`)
    #[value(name = "required-accuracy")]
    RequiredAccuracy,
}

/// The default end of every path: well into the rich regime for alpha > 1
/// (alpha^(2D)), at least 100 alpha^D, and at least 100.
pub const DEFAULT_STOP: &str = "max(max(alpha^(2*D), 100*alpha^D), 100)";

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// Case file (TOML, format version 1).
    pub case: PathBuf,
    /// The figure.
    #[arg(long, value_enum)]
    pub kind: PlotKind,
    /// Write the SVG here (written whole at the end; nothing is left on failure).
    #[arg(long, short)]
    pub output: PathBuf,
    /// Initialization scales, one curve each (comma-separated, exact, each once); default:
    /// the case's alpha.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub alphas: Option<Vec<String>>,
    /// Instead of --alphas: values of alpha^D (comma-separated, exact); per depth,
    /// alpha = (alpha^D)^(1/D), rounded to a rational of precision + 32 bits unless exact.
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        conflicts_with = "alphas"
    )]
    pub alpha_d: Option<Vec<String>>,
    /// Depths D from 2 to 1000, one curve each per alpha (comma-separated, each once);
    /// default: the case's depth.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub depths: Option<Vec<String>>,
    /// End every path at this gt (exact); default: the --stop rule.
    #[arg(long, group = "end", allow_hyphen_values = true)]
    pub gt_max: Option<String>,
    /// End every path at gt = EXPR in alpha, D (as in case files); default
    /// "max(max(alpha^(2*D), 100*alpha^D), 100)".
    #[arg(long, group = "end")]
    pub stop: Option<String>,
    /// First sample (gt, exact); default 1/100.
    #[arg(long, allow_hyphen_values = true)]
    pub from: Option<String>,
    /// Log-spaced samples per curve.
    #[arg(long, default_value_t = 80)]
    pub samples: usize,
    /// Mark the points gt = alpha^D / mu on every path (and w_mu where drawn);
    /// comma-separated, each once.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub mu: Vec<String>,
    #[command(flatten)]
    pub numerics_opts: crate::options::NumericsArgs,
    /// required-accuracy: the threshold delta in (0, 1) on the excess l1 norm.
    #[arg(long, default_value = "0.05", allow_hyphen_values = true)]
    pub delta: String,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// Where each path ends.
#[derive(Clone, Debug)]
pub enum End {
    Gt(Rational),
    Expr(Expr),
}

impl End {
    pub fn describe(&self) -> String {
        match self {
            End::Gt(g) => format!("gt = {}", alpha_text(g)),
            End::Expr(e) => format!("gt = {e}"),
        }
    }
}

/// One curve: a depth and an alpha.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub depth: u32,
    pub alpha: Rational,
    /// the alpha^D the curve was asked for (--alpha-d), for its label
    pub alpha_d: Option<Rational>,
}

impl Spec {
    /// "α = 10, D = 2" (the depth only when the figure has several).
    pub fn label(&self, with_depth: bool) -> String {
        let a = match &self.alpha_d {
            Some(ad) => format!("α^D = {}", alpha_text(ad)),
            None => format!("α = {}", alpha_text(&self.alpha)),
        };
        if with_depth {
            format!("{a}, D = {}", self.depth)
        } else {
            a
        }
    }
}

/// An exact rational as a short text: integers and terminating decimals with at
/// most 8 digits after the point as decimals ("100", "0.05"), others as p/q.
pub fn alpha_text(q: &Rational) -> String {
    if q.denom() == &1 {
        return q.numer().to_string();
    }
    for k in 1..=8u32 {
        let scaled = Rational::from(q * rug::Integer::from(rug::Integer::u_pow_u(10, k)));
        if scaled.denom() == &1 {
            let neg = scaled.numer().is_negative();
            let digits = rug::Integer::from(scaled.numer().abs_ref()).to_string();
            let k = k as usize;
            let padded = format!("{digits:0>width$}", width = k + 1);
            let (int, frac) = padded.split_at(padded.len() - k);
            return format!("{}{int}.{frac}", if neg { "-" } else { "" });
        }
    }
    q.to_string()
}

/// A validated plot job.
pub struct PlotJob {
    pub case: Case,
    /// z_n = y_n x_n, exact
    pub z: Vec<Vec<Rational>>,
    pub kind: PlotKind,
    pub output: PathBuf,
    pub specs: Vec<Spec>,
    pub depths: Vec<u32>,
    pub end: End,
    pub from: Rational,
    pub samples: usize,
    pub mus: Vec<Rational>,
    pub numerics: Numerics,
    pub progress: bool,
}

impl PlotArgs {
    pub fn validate(&self) -> Result<PlotJob, CliError> {
        let (case, z) = load_case(&self.case)?;
        let alpha_ds = match &self.alpha_d {
            Some(list) => Some(positive_list("--alpha-d", list)?),
            None => None,
        };
        let alphas = match &self.alphas {
            Some(list) => positive_list("--alphas", list)?,
            None if alpha_ds.is_some() => Vec::new(),
            None => vec![case.numerics.alpha.clone().ok_or_else(|| {
                CliError::input(format!(
                    "--alphas: not given, and {} sets no numerics.alpha",
                    self.case.display()
                ))
            })?],
        };
        let depths = match &self.depths {
            Some(list) => depth_list("--depths", list)?,
            None => vec![case.depth],
        };
        let end = match (&self.gt_max, &self.stop) {
            (Some(g), _) => End::Gt(positive("--gt-max", arg_rational("--gt-max", g)?)?),
            (None, s) => {
                let text = s.as_deref().unwrap_or(DEFAULT_STOP);
                let e = Expr::parse(text).map_err(|e| CliError::input(format!("--stop: {e}")))?;
                if e.uses(crate::rule::Var::Mu) {
                    return Err(CliError::input(
                        "--stop: the rule may use alpha and D only (mu is not defined for a plot path)",
                    ));
                }
                End::Expr(e)
            }
        };
        let from = match &self.from {
            Some(f) => positive("--from", arg_rational("--from", f)?)?,
            None => Rational::from((1, 100)),
        };
        if self.samples < 2 {
            return Err(CliError::input(format!(
                "--samples: at least 2 samples per curve are needed, got {}",
                self.samples
            )));
        }
        if self.samples > 100_000 {
            return Err(CliError::input(format!(
                "--samples: at most 100000 samples per curve, got {}",
                self.samples
            )));
        }
        // in increasing order (the legend's and the markers')
        let mut mus = optional_positive_list("--mu", &self.mu)?;
        mus.sort();
        let numerics = self.numerics_opts.of(&case)?;
        let prec = numerics.prec;
        crate::output::check_target(&self.output)
            .map_err(|e| CliError::input(format!("--output: {e}")))?;
        let mut specs = Vec::new();
        for &depth in &depths {
            let pairs: Vec<(Rational, Option<Rational>)> = match &alpha_ds {
                Some(ads) => ads
                    .iter()
                    .map(|ad| (root_of(ad, depth, prec + 32), Some(ad.clone())))
                    .collect(),
                None => alphas.iter().map(|a| (a.clone(), None)).collect(),
            };
            for (alpha, alpha_d) in pairs {
                // the lists have no repeats, so neither have the curves
                specs.push(Spec {
                    depth,
                    alpha,
                    alpha_d,
                });
            }
        }
        Ok(PlotJob {
            case,
            z,
            kind: self.kind,
            output: self.output.clone(),
            specs,
            depths,
            end,
            from,
            samples: self.samples,
            mus,
            numerics,
            progress: !self.no_progress,
        })
    }
}

/// x^(1/D) as a rational: exact when x is the D-th power of a rational, else
/// rounded to `bits` bits.
pub fn root_of(x: &Rational, depth: u32, bits: u32) -> Rational {
    let (nr, nrem) = x.numer().clone().root_rem(rug::Integer::new(), depth);
    let (dr, drem) = x.denom().clone().root_rem(rug::Integer::new(), depth);
    if nrem == 0 && drem == 0 {
        return Rational::from((nr, dr));
    }
    let f = from_rational(bits, x);
    let r = Float::with_val(bits, f.root_ref(depth));
    r.to_rational().expect("finite root")
}

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
        let iso_gt: Vec<(Rational, Rational)> = self
            .mus
            .iter()
            .map(|mu| (mu.clone(), Rational::from(&ad / mu)))
            .filter(|(_, g)| *g > 0 && g <= hi)
            .collect();
        let n_grid = at.len();
        at.extend(iso_gt.iter().map(|(_, g)| g.clone()));
        let mut floats: Vec<Float> = at.iter().map(|q| from_rational(p, q)).collect();
        floats.sort_by(|a, b| a.partial_cmp(b).expect("finite samples"));
        floats.dedup();
        let flow = DiagFlow::new(&self.z, spec.depth, &spec.alpha, p);
        let sol = integrate(&flow, &self.numerics, gt_end, &floats, |_| {}).map_err(|e| {
            let what = spec.label(true);
            match e {
                FlowError::PrecisionTooLow { .. } => {
                    CliError::input(format!("--precision: {what}: {e}"))
                }
                FlowError::NonPositiveTarget(_) => CliError::input(format!("{what}: {e}")),
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
        )
    }

    /// Whether the legend must name the depth (several depths plotted).
    pub fn several_depths(&self) -> bool {
        self.depths.len() > 1
    }
}

/// Map a figure error to the CLI's.
pub fn figure_error(e: figure::FigureError) -> CliError {
    CliError::failed(e.to_string())
}

/// The `plot` command.
pub fn cmd_plot(a: &PlotArgs) -> Result<(), CliError> {
    let job = a.validate()?;
    let fig = match job.kind {
        PlotKind::Sphere => sphere::figure(&job)?,
        PlotKind::ExcessL1 => excess::excess_l1_figure(&job)?,
        PlotKind::ExcessPlane => excess::excess_plane_figure(&job)?,
        PlotKind::KernelDistance => kernel::figure(&job)?,
        PlotKind::RequiredAccuracy => {
            let delta = crate::options::arg_rational("--delta", a.delta.trim())?;
            if delta <= 0 || delta >= 1 {
                return Err(CliError::input(format!(
                    "--delta: must be in (0, 1), got {}",
                    a.delta.trim()
                )));
            }
            let series = required_series(&job, &delta)?;
            let mut fig = required::required_accuracy_figure(&series).map_err(figure_error)?;
            fig.subtitle = format!(
                "case {} (N = {}, d = {}) · required gt: excess l1 stays <= delta = {} (as ibcert table, unverified) · MPFR {} bits, tol {}",
                job.case.name,
                job.case.n_points(),
                job.case.dim(),
                alpha_text(&delta),
                job.numerics.prec,
                crate::num::fmt_sig(&from_rational(64, &job.numerics.tol), 2)
            );
            fig
        }
    };
    let svg = fig.to_svg().map_err(figure_error)?;
    crate::output::write_atomic(&job.output, svg)
        .map_err(|e| CliError::input(format!("--output: {e}")))
}

/// The Fig. 5b data from `ibcert table` (unverified: plot coordinates only): per
/// depth, the required gt at each alpha (or alpha^D) of the job, and the fit.
fn required_series(
    job: &PlotJob,
    delta: &Rational,
) -> Result<Vec<required::RequiredSeries>, CliError> {
    use crate::flow::Scale;
    let first = job.depths[0];
    let scales: Vec<Scale> = job
        .specs
        .iter()
        .filter(|s| s.depth == first)
        .map(|s| match &s.alpha_d {
            Some(ad) => Scale::AlphaPowD(ad.clone()),
            None => Scale::Alpha(s.alpha.clone()),
        })
        .collect();
    let spec = crate::table::TableSpec {
        depths: job.depths.clone(),
        scales,
        delta: delta.clone(),
        mus: Vec::new(),
        after: Rational::from(10),
        gt_max: None,
        numerics: job.numerics.clone(),
        verify: false,
    };
    let refs = crate::table::references(&job.z, &spec).map_err(|e| {
        CliError::input(format!(
            "{}: {e}",
            job.case
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ))
    })?;
    let table = crate::table::compute(&job.z, &spec, &refs, || {})
        .map_err(|e| CliError::failed(format!("integration failed: {e}")))?;
    Ok(job
        .depths
        .iter()
        .map(|&d| required::RequiredSeries {
            depth: d,
            points: table
                .rows
                .iter()
                .filter(|r| r.depth == d)
                .filter_map(|r| {
                    let g = r.required.as_ref()?;
                    Some((from_rational(64, &r.alpha_d).to_f64(), f64_of(&g.value)))
                })
                .collect(),
            fit: table
                .required_fits
                .iter()
                .find(|f| f.depth == d)
                .map(|f| (f64_of(&f.a), f64_of(&f.b))),
        })
        .collect())
}

/// f64 of an MPFR value (display only).
pub fn f64_of(x: &Float) -> f64 {
    x.to_f64()
}

/// Points of a one-dimensional l1 optimal face (the segment between its two
/// vertices), exact: t = k/40 for k = 0..=40 and the point of least l2 norm, in
/// order of t. None for a unique optimum or a face of dimension 2 or more.
pub fn face_segment(face: &crate::reference::l1::OptimalFace) -> Option<Vec<Vec<Rational>>> {
    if face.dimension != 1 || face.vertices.len() != 2 {
        return None;
    }
    let (v0, v1) = (&face.vertices[0], &face.vertices[1]);
    let at = |t: &Rational| -> Vec<Rational> {
        v0.iter()
            .zip(v1)
            .map(|(a, b)| (a * (Rational::from(1) - t)) + Rational::from(b * t))
            .collect()
    };
    // argmin_t ||v0 + t (v1 - v0)||^2 = <v0, v0 - v1> / ||v0 - v1||^2, clamped to [0, 1]
    let diff: Vec<Rational> = v0
        .iter()
        .zip(v1)
        .map(|(a, b)| Rational::from(a - b))
        .collect();
    let dd: Rational = diff.iter().map(|x| Rational::from(x * x)).sum();
    let vd: Rational = v0
        .iter()
        .zip(&diff)
        .map(|(a, x)| Rational::from(a * x))
        .sum();
    let t_min = (vd / dd).clamp(&Rational::new(), &Rational::from(1));
    let mut ts: Vec<Rational> = (0..=40).map(|k| Rational::from((k, 40))).collect();
    ts.push(t_min);
    ts.sort();
    ts.dedup();
    Some(ts.iter().map(at).collect())
}

/// The exact reference predictors every kind needs, with their norms in MPFR.
pub struct References {
    pub l1: crate::reference::l1::L1Solution,
    pub l2: crate::reference::l2::L2Solution,
    /// ||w_l1||_1
    pub n1: Float,
    /// ||w_l2||_2
    pub n2: Float,
    /// the data mean sum_n z_n / N (the direction the flow starts in)
    pub mean: Vec<Rational>,
}

impl References {
    pub fn new(z: &[Vec<Rational>], prec: u32) -> Result<References, CliError> {
        let err = |e: crate::reference::l2::ReferenceError| CliError::input(format!("data: {e}"));
        let l1 = crate::reference::l1::l1_max_margin(z).map_err(err)?;
        let l2 = crate::reference::l2::l2_max_margin(z).map_err(err)?;
        let n1 = from_rational(prec, &l1.norm1);
        let n2 = from_rational(prec, &l2.norm2_sq).sqrt();
        let d = z[0].len();
        let nn = Rational::from(z.len());
        let mean = (0..d)
            .map(|i| {
                let s: Rational = z.iter().map(|r| r[i].clone()).sum();
                s / &nn
            })
            .collect();
        Ok(References {
            l1,
            l2,
            n1,
            n2,
            mean,
        })
    }

    /// (excess l1, excess l2) of a predictor w in MPFR, w rescaled to margin 1
    /// (w_hat = w / min_n z_n^T w, as in [`crate::flow::run::Summary`]); None when
    /// the margin is not positive (w_hat undefined).
    pub fn excess(&self, flow: &DiagFlow, w: &[Float]) -> Option<(Float, Float)> {
        let p = flow.prec;
        let m = flow.margins(w);
        let gamma = m.iter().min_by(|a, b| a.partial_cmp(b).expect("finite"))?;
        if *gamma <= 0 {
            return None;
        }
        let l1 = Float::with_val(p, crate::num::norm1(p, w) / gamma);
        let l2 = Float::with_val(p, crate::num::norm2(p, w) / gamma);
        let e1 = Float::with_val(p, &l1 / &self.n1) - 1u32;
        let e2 = Float::with_val(p, &l2 / &self.n2) - 1u32;
        Some((e1, e2))
    }

    /// [`References::excess`] of an exact vector.
    pub fn excess_exact(&self, flow: &DiagFlow, w: &[Rational]) -> Option<(Float, Float)> {
        let wf: Vec<Float> = w.iter().map(|q| from_rational(flow.prec, q)).collect();
        self.excess(flow, &wf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_texts() {
        let q = |s: &str| crate::num::exact::parse_rational(s).unwrap();
        assert_eq!(alpha_text(&q("100")), "100");
        assert_eq!(alpha_text(&q("1/2")), "0.5");
        assert_eq!(alpha_text(&q("-0.05")), "-0.05");
        assert_eq!(alpha_text(&q("1/3")), "1/3");
        assert_eq!(alpha_text(&q("123.456")), "123.456");
        assert_eq!(alpha_text(&q("1e-9")), "1/1000000000");
    }

    #[test]
    fn roots() {
        let q = |s: &str| crate::num::exact::parse_rational(s).unwrap();
        assert_eq!(root_of(&q("1"), 10, 100), q("1"));
        assert_eq!(root_of(&q("0.01"), 2, 100), q("0.1"));
        assert_eq!(root_of(&q("8/27"), 3, 100), q("2/3"));
        // 0.1^(1/3) rounded: its cube is 0.1 to about 100 bits
        let r = root_of(&q("0.1"), 3, 100);
        let err = (Rational::from(rug::ops::Pow::pow(&r, 3u32)) - q("0.1")).abs();
        assert!(err > 0 && err < Rational::from((1, 1u64 << 62)) * Rational::from((1, 1u64 << 35)));
    }
}
