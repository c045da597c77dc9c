//! `ibcert plot`: the paper's figures as SVG (plotters' SVG backend, no system
//! libraries).
//!
//! Every curve is one path of the flow for one (D, alpha), integrated in MPFR by
//! [`crate::flow::integrate`] and sampled on its dense output at log-spaced gt
//! (plus the points gt = alpha^D / mu of `--mu`). The plotted quantities (excess
//! norms, directions, kernel distances) are computed in MPFR from the samples and
//! only then converted to f64 coordinates. Independent curves run in parallel
//! (rayon); the output does not depend on the thread count.
//!
//! Kinds: [`sphere`] (Fig. 3/4), [`excess`] (Fig. 5a and Fig. 7), [`kernel`]
//! (Fig. 9) and [`required`] (Fig. 5b, the renderer only: its data come from the
//! table module); for regression cases [`regression`] (Woodworth et al.'s Fig. 1b and
//! 2b, from the Q^D_alpha limits: no flow). The command's parts: `args` (the options and their validation into a
//! [`PlotJob`]), `paths` (integrating and sampling the curves), `refs` (the reference
//! predictors); this file runs the command.

pub mod excess;
pub mod figure;
pub mod kernel;
pub mod regression;
pub mod required;
pub mod sphere;

mod args;
mod paths;
mod refs;

pub use args::{alpha_text, root_of, End, PlotArgs, PlotJob, PlotKind, Spec, DEFAULT_STOP};
pub use paths::PathOut;
pub use refs::{f64_of, face_segment, PlotReferences};

use crate::num::from_rational;
use crate::options::CliError;
use rug::Rational;

/// Map a figure error to the CLI's.
pub fn figure_error(e: figure::FigureError) -> CliError {
    CliError::failed(e.to_string())
}

/// The `plot` command.
pub fn cmd_plot(a: &PlotArgs) -> Result<(), CliError> {
    if regression::is_regression_kind(a.kind) {
        return regression::cmd_plot_regression(a);
    }
    if a.log10_alpha_range.is_some() {
        return Err(CliError::input(
            "--log10-alpha-range: only for the regression figures (--kind regression-norms, q-ratio)",
        ));
    }
    let job = a.validate()?;
    let fig = match job.kind {
        PlotKind::Sphere => sphere::figure(&job)?,
        PlotKind::ExcessL1 => excess::excess_l1_figure(&job)?,
        PlotKind::ExcessPlane => excess::excess_plane_figure(&job)?,
        PlotKind::KernelDistance => kernel::figure(&job)?,
        PlotKind::RegressionNorms | PlotKind::QRatio => unreachable!("drawn above"),
        PlotKind::RequiredAccuracy => {
            let delta = crate::options::arg_rational("--delta", a.delta.trim())?;
            if delta <= 0 || delta >= 1 {
                return Err(CliError::input(format!(
                    "--delta: must be in (0, 1), got {}",
                    a.delta.trim()
                )));
            }
            let series = required_series(&job, &delta)?;
            let subtitle = format!(
                "case {} (N = {}, d = {}) · required gt: excess l1 stays <= delta = {} (as ibcert table, unverified) · MPFR {} bits, tol {}",
                job.case.name,
                job.case.n_points(),
                job.case.dim(),
                alpha_text(&delta),
                job.numerics.prec,
                crate::num::fmt_sig(&from_rational(64, &job.numerics.tol), 2),
            ) + &job.loss_note();
            let fitted = format!(
                "the lines above, ln gt = a ln(alpha^D) + b, are fitted {}",
                fit_rule_text(&job.fit_from)
            );
            let svg = required::required_accuracy_svg(&series, (&subtitle, &fitted))
                .map_err(figure_error)?;
            return crate::output::write_atomic(&job.output, svg)
                .map_err(|e| CliError::input(format!("--output: {e}")));
        }
    };
    let svg = fig.to_svg().map_err(figure_error)?;
    crate::output::write_atomic(&job.output, svg)
        .map_err(|e| CliError::input(format!("--output: {e}")))
}

/// How the fitted points were chosen, for the subtitle.
fn fit_rule_text(f: &crate::table::FitFrom) -> String {
    use crate::table::FitFrom;
    match f {
        FitFrom::Auto => format!(
            "over the largest alpha^D whose local slopes agree within {} (--fit-from auto)",
            alpha_text(&crate::table::slope_spread())
        ),
        FitFrom::All => "over every alpha^D (--fit-from all)".into(),
        FitFrom::From(x) => format!("over alpha^D >= {} (--fit-from)", alpha_text(x)),
    }
}

/// The Fig. 5b data from `ibcert table` (unverified: plot coordinates only): per
/// depth, the required gt at each alpha (or alpha^D) of the job, and the fit.
fn required_series(
    job: &PlotJob,
    delta: &Rational,
) -> Result<Vec<required::RequiredSeries>, CliError> {
    let scales = args::table_scales(&job.specs, job.depths[0]);
    let spec = crate::table::TableSpec {
        losses: vec![job.loss],
        depths: job.depths.clone(),
        scales,
        delta: delta.clone(),
        mus: Vec::new(),
        after: Rational::from(10),
        gt_max: None,
        numerics: job.numerics.clone(),
        verify: false,
        fit_from: job.fit_from.clone(),
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
        .map(|&d| {
            let fit = table
                .required_fits
                .iter()
                .find(|(_, f)| f.depth == d)
                .map(|(_, f)| f);
            let x = |q: &Rational| from_rational(64, q).to_f64();
            required::RequiredSeries {
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
                fit: fit.map(|f| (f64_of(&f.a), f64_of(&f.b))),
                fit_range: fit.map(|f| {
                    let (lo, hi) = f.range();
                    (x(lo), x(hi))
                }),
                local_slopes: fit
                    .map(|f| {
                        f.alpha_d
                            .windows(2)
                            .zip(&f.local_slopes)
                            .map(|(w, s)| {
                                (((x(&w[0]).ln() + x(&w[1]).ln()) / 2.0).exp(), f64_of(s))
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect())
}
