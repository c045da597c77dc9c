//! `ibcert run` on a regression case: the square-loss flow (`flow::regression`) from
//! u(0) = alpha 1 to a time, a residual or its limit, with its verification run.

use super::flow::RunArgs;
use crate::case::Case;
use crate::flow::guard::carried_digits;
use crate::flow::regression::{regression_verified_capped, RegFlowError, RegProblem, RegStop};
use crate::flow::tol_digits;
use crate::options::{arg_rational, positive, CliError};
use crate::reference::regression::limit_anchors;
use crate::report::run::CaseInfo;
use crate::report::run_regression::RegRunReport;
use crate::report::RunFormat;
use clap::Args;
use std::path::Path;

/// The stop rules of the regression flow (`ibcert run` on a regression case).
#[derive(Args, Debug, Clone, Default)]
pub struct RegressionStopArgs {
    /// Regression cases: stop at time t = T (exact, > 0).
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub time: Option<String>,
    /// Regression cases: stop at the first time ||X^T w - y||_2 <= R (exact, > 0).
    #[arg(long, value_name = "R", allow_hyphen_values = true)]
    pub residual: Option<String>,
    /// Regression cases: stop at the flow's limit once the tail bound certifies K digits
    /// of it (the default stop; default K: the digits of the tolerance, at most those the
    /// precision carries less 4).
    #[arg(long, value_name = "K")]
    pub limit_digits: Option<u32>,
}

impl RegressionStopArgs {
    /// A classification case takes none of these.
    pub fn refuse_for_classification(&self, path: &Path) -> Result<(), CliError> {
        for (flag, given) in [
            ("--time", self.time.is_some()),
            ("--residual", self.residual.is_some()),
            ("--limit-digits", self.limit_digits.is_some()),
        ] {
            if given {
                return Err(CliError::input(format!(
                    "{flag}: a stop rule of the regression flow; {} is a classification case (stop it with --gt, --loss or --mu)",
                    path.display()
                )));
            }
        }
        Ok(())
    }
}

/// The most digits the limit stop may ask at `prec` bits: those the precision carries
/// less 4 (the verification run asks 15 more, at its higher precision).
fn max_limit_digits(prec: u32) -> u32 {
    carried_digits(prec, 0).saturating_sub(4).max(1)
}

/// Refuse the options of the classification flow (and of its long-run machinery) on a
/// regression case, naming each.
fn refuse_classification_options(a: &RunArgs, path: &Path) -> Result<(), CliError> {
    let f = &a.flow;
    let stop = "the regression flow (square loss) stops by --time, --residual or --limit-digits (default: the limit)";
    let refusals: [(&str, bool, &str); 9] = [
        ("--gt", f.gt.is_some(), stop),
        ("--loss", f.loss.is_some(), stop),
        ("--mu", f.mu.is_some(), stop),
        ("--loss-fn", f.loss_fn.is_some(), "a regression case is trained with the square loss"),
        ("--checkpoint", f.checkpoint.is_some(), "checkpoints are for the classification flow's long runs"),
        ("--checkpoint-every", f.checkpoint_every.is_some(), "checkpoints are for the classification flow's long runs"),
        ("--resume", f.resume.is_some(), "checkpoints are for the classification flow's long runs"),
        ("--max-time", f.max_time.is_some(), "not available for the regression flow (--max-steps is)"),
        ("--no-auto-precision", f.no_auto_precision, "the regression flow's working precision is the given one plus the bits its mirror map consumes"),
    ];
    for (flag, given, why) in refusals {
        if given {
            return Err(CliError::input(format!(
                "{flag}: {} is a regression case: {why}",
                path.display()
            )));
        }
    }
    Ok(())
}

pub(super) fn cmd_run_regression(a: &RunArgs, case: Case) -> Result<i32, CliError> {
    let path = a.flow.case.as_path();
    refuse_classification_options(a, path)?;
    let alpha = match &a.flow.alpha {
        Some(s) => positive("--alpha", arg_rational("--alpha", s)?)?,
        None => {
            return Err(CliError::input(format!(
                "--alpha: required for a regression case ({}): the scale of the initialization u(0) = alpha 1",
                path.display()
            )))
        }
    };
    let numerics = a.flow.digits_opt.with(&a.flow.numerics_opts).of(&case)?;
    let r = &a.regression;
    let given = [
        r.time.is_some(),
        r.residual.is_some(),
        r.limit_digits.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(CliError::input(
            "give at most one stop rule: --time, --residual or --limit-digits",
        ));
    }
    let most = max_limit_digits(numerics.prec);
    let stop = if let Some(t) = &r.time {
        RegStop::Time(positive("--time", arg_rational("--time", t)?)?)
    } else if let Some(v) = &r.residual {
        RegStop::Residual(positive("--residual", arg_rational("--residual", v)?)?)
    } else if let Some(k) = r.limit_digits {
        if k == 0 || k > most {
            return Err(CliError::input(format!(
                "--limit-digits: must be between 1 and {most} (the digits {} bits carry less 4), got {k}; raise --precision for more",
                numerics.prec
            )));
        }
        RegStop::Limit(k)
    } else {
        RegStop::Limit(tol_digits(&numerics.tol).clamp(1, most))
    };
    if a.flow.max_steps == Some(0) {
        return Err(CliError::input("--max-steps: must be at least 1"));
    }
    let anchors = match stop {
        RegStop::Limit(_) => limit_anchors(&case.points, &case.targets),
        _ => Vec::new(),
    };
    let problem = RegProblem {
        points: &case.points,
        y: &case.targets,
        depth: case.depth,
        alpha: &alpha,
        anchors: &anchors,
    };
    let v = regression_verified_capped(
        &problem,
        &numerics,
        &stop,
        !a.flow.no_verify,
        a.flow.max_steps,
    )
    .map_err(|e| match e {
        RegFlowError::Invalid(_) | RegFlowError::Dependent => {
            CliError::input(format!("{}: {e}", path.display()))
        }
        _ => CliError::failed(e.to_string()),
    })?;
    let mut report = RegRunReport::build(CaseInfo::of(&case), &case.points, &alpha, &stop, &v);
    if a.no_timing {
        report.drop_timing();
    }
    match a.format {
        RunFormat::Text => print!("{}", report.to_text()),
        RunFormat::Json => println!("{}", report.to_json()),
    }
    Ok(0)
}
