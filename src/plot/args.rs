//! The options of `ibcert plot` ([`PlotArgs`]) and their validation into a [`PlotJob`]:
//! the curves (one [`Spec`] per depth and alpha), where the paths end, the samples.
//! Lists are parsed by [`crate::options`] (no empty entry, no repeat).

use crate::case::Case;
use crate::flow::Numerics;
use crate::num::from_rational;
use crate::options::{
    arg_rational, depth_list, load_case, optional_positive_list, positive, positive_list, CliError,
};
use crate::rule::Expr;
use clap::{Args, ValueEnum};
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
    /// Regression cases (Woodworth et al. 2020, Fig. 1b): the excess l1 and l2 norms of
    /// the limit argmin Q^D_alpha s.t. X^T w = y against alpha, one pair per depth
    #[value(name = "regression-norms")]
    RegressionNorms,
    /// Regression cases (Fig. 2b): Q^D_alpha(e_1) / Q^D_alpha(1/sqrt(d)) against alpha,
    /// one curve per depth
    #[value(name = "q-ratio")]
    QRatio,
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
    /// First sample (gt, exact); default 1/100 (exp), 1/2 (logistic: its flow starts
    /// at gt_0 = -ln(ln 2) = 0.3665..., and samples must lie beyond it).
    #[arg(long, allow_hyphen_values = true)]
    pub from: Option<String>,
    /// The loss the paths are trained with (default: the case's `loss`, else exp); the
    /// required-accuracy figure tabulates this loss.
    #[arg(long, value_enum)]
    pub loss_fn: Option<crate::options::LossFn>,
    /// Log-spaced samples per curve.
    #[arg(long, default_value_t = 80)]
    pub samples: usize,
    /// Mark the points gt = alpha^D / mu on every path (and w_mu where drawn);
    /// comma-separated, each once.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub mu: Vec<String>,
    #[command(flatten)]
    pub numerics_opts: crate::options::NumericsArgs,
    #[command(flatten)]
    pub digits_opt: crate::options::DigitsArg,
    /// required-accuracy: the threshold delta in (0, 1) on the excess l1 norm.
    #[arg(long, default_value = "0.05", allow_hyphen_values = true)]
    pub delta: String,
    /// required-accuracy: which points each depth's line is fitted over, as in `ibcert
    /// table`: auto (the largest alpha^D whose local slopes agree within 0.05), all,
    /// or the smallest alpha^D to use (exact).
    #[arg(long, default_value = "auto", allow_hyphen_values = true)]
    pub fit_from: String,
    /// Regression figures: log10 alpha from MIN to MAX (integers, MIN < 0 < MAX);
    /// default -12,4. --samples alphas, log-spaced.
    #[arg(long, value_name = "MIN,MAX", allow_hyphen_values = true)]
    pub log10_alpha_range: Option<String>,
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
    crate::num::exact::exact_decimal(q, 8).unwrap_or_else(|| q.to_string())
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
    /// required-accuracy: the points each fit uses
    pub fit_from: crate::table::FitFrom,
    /// the loss every path is trained with
    pub loss: crate::flow::Loss,
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
        let loss = self.loss_fn.map_or(case.loss, |l| l.loss());
        let from = match &self.from {
            Some(f) => positive("--from", arg_rational("--from", f)?)?,
            None if loss == crate::flow::Loss::Logistic => Rational::from((1, 2)),
            None => Rational::from((1, 100)),
        };
        if from_rational(64, &from) <= loss.gt_start(64) {
            return Err(CliError::input(format!(
                "--from: the first sample gt = {} is not beyond the start of the {} flow, gt = {}",
                alpha_text(&from),
                loss.name(),
                loss.describe_start()
            )));
        }
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
        let numerics = self.digits_opt.with(&self.numerics_opts).of(&case)?;
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
        let fit_from = crate::options::fit_from("--fit-from", &self.fit_from)?;
        if self.kind == PlotKind::RequiredAccuracy {
            crate::options::fit_range_check(
                "--fit-from",
                &fit_from,
                &depths,
                &table_scales(&specs, depths[0]),
            )?;
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
            fit_from,
            loss,
        })
    }
}

/// The scales of the curves at depth `first`, as `ibcert table` takes them (alpha^D
/// when the curves were given by --alpha-d, else alpha).
pub fn table_scales(specs: &[Spec], first: u32) -> Vec<crate::flow::Scale> {
    use crate::flow::Scale;
    specs
        .iter()
        .filter(|s| s.depth == first)
        .map(|s| match &s.alpha_d {
            Some(ad) => Scale::AlphaPowD(ad.clone()),
            None => Scale::Alpha(s.alpha.clone()),
        })
        .collect()
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
