//! `ibcert check`: the theorem checks of case files, whole or as one shard of a sweep
//! (`--shard`, `--results-dir`, `--max-time`; merged by `ibcert merge`).

use super::sweep_run::{write_partial, Started, SweepRun};
use super::{case_files, write_output};
use crate::case::Case;
use crate::checks::{AlphaResult, CheckJob, RunSettings};
use crate::options::{load_any_case_source, CliError, NumericsArgs};
use crate::report::check::CheckFormat;
use crate::sweep::{CaseSource, Shard, Sweep};
use clap::Args;
use rug::Rational;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Case files and directories (every *.toml inside, sorted by name).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format (default text; with --shard the output is always the partial
    /// report, JSON).
    #[arg(long, value_enum)]
    pub format: Option<CheckFormat>,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Leave the timing fields out (byte-identical reports for the same inputs).
    #[arg(long)]
    pub no_timing: bool,
    /// Skip the verification runs (digits are then not reported).
    #[arg(long)]
    pub no_verify: bool,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Print the jobs (check, alpha) with their stable ids instead of running them
    /// (text, or JSON with --format json).
    #[arg(long)]
    pub list_jobs: bool,
    /// Run every check with this loss (default: each check's own `loss`, else its
    /// case's, else exp).
    #[arg(long, value_enum)]
    pub loss_fn: Option<crate::options::LossFn>,
    #[command(flatten)]
    pub sweep: SweepArgs,
    #[command(flatten)]
    pub numerics_opts: NumericsArgs,
    #[command(flatten)]
    pub digits_opt: crate::options::DigitsArg,
}

/// The options of `check` and `table` that split a sweep and keep its results.
#[derive(Args, Debug, Clone, Default)]
pub struct SweepArgs {
    /// Run only shard K of N (1 <= K <= N): the jobs whose stable id falls in it. The
    /// output is then a partial report (JSON) for `ibcert merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Keep one result file per job in DIR (created when missing) and skip the jobs
    /// whose result is already there: a rerun after a crash runs only what is missing.
    /// `ibcert merge DIR` reads it.
    #[arg(long, value_name = "DIR")]
    pub results_dir: Option<PathBuf>,
    /// Stop after this long (seconds, or 90s, 5m, 2h): jobs not finished are reported
    /// as not run (exit 1); with --results-dir, the finished ones are kept and a job
    /// in flight is checkpointed, so a rerun continues it.
    #[arg(long, value_name = "DURATION")]
    pub max_time: Option<String>,
    /// With --results-dir: checkpoint a job in flight this often (seconds, 90s, 5m, or
    /// accepted steps: 200steps); default 60s.
    #[arg(long, value_name = "EVERY", requires = "results_dir")]
    pub checkpoint_every: Option<String>,
}

/// [`SweepArgs`] validated.
pub(super) struct SweepPlan {
    pub shard: Option<Shard>,
    pub results_dir: Option<PathBuf>,
    pub deadline: Option<Instant>,
    pub every: crate::flow::Every,
}

impl SweepArgs {
    pub(super) fn validate(&self) -> Result<SweepPlan, CliError> {
        use crate::flow::checkpoint::{parse_duration, parse_every};
        let shard = match &self.shard {
            Some(s) => Some(Shard::parse(s).map_err(|e| CliError::input(format!("--shard: {e}")))?),
            None => None,
        };
        let deadline = match &self.max_time {
            Some(t) => Some(
                Instant::now()
                    + parse_duration(t).map_err(|e| CliError::input(format!("--max-time: {e}")))?,
            ),
            None => None,
        };
        let every = match &self.checkpoint_every {
            Some(e) => {
                parse_every(e).map_err(|e| CliError::input(format!("--checkpoint-every: {e}")))?
            }
            None => crate::flow::Every::Seconds(60),
        };
        if let Some(d) = &self.results_dir {
            if d.exists() && !d.is_dir() {
                return Err(CliError::input(format!(
                    "--results-dir: {} exists and is not a directory",
                    d.display()
                )));
            }
        }
        Ok(SweepPlan {
            shard,
            results_dir: self.results_dir.clone(),
            deadline,
            every,
        })
    }
}

/// The options of a check sweep that shape its results (kept in its partial reports,
/// so that a merge loads the cases exactly as the shards did).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct CheckOptions {
    pub verify: bool,
    pub numerics: NumericsArgs,
    /// --loss-fn: every check's loss (absent: each check's own)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_fn: Option<crate::options::LossFn>,
}

type Cases = Vec<(Case, Vec<Vec<Rational>>)>;

/// The cases of a sweep as `check` runs them: each file's text, then the numerics
/// options (which replace the case's numerics; the stages follow a new tolerance
/// unless given, since a case's own stages were chosen for its tolerance).
pub(super) fn check_cases(sources: &[CaseSource], opts: &CheckOptions) -> Result<Cases, CliError> {
    let mut cases = Vec::new();
    for src in sources {
        let (mut case, z) = load_any_case_source(src)?;
        let o = &opts.numerics;
        if let Some(k) = o.digits {
            crate::options::digits_numerics("--digits", k)?;
            case.numerics.ask_digits(k);
        } else if o.any() {
            if o.tol.is_some() {
                case.numerics.stages = None;
            }
            let n = o.of(&case)?;
            case.numerics.precision = n.prec;
            case.numerics.tolerance = n.tol;
            case.numerics.stages = Some(n.stages);
            case.numerics.digits = None;
        }
        if let Some(l) = opts.loss_fn {
            for spec in case.checks.iter_mut() {
                if spec.kind.tag().is_regression() {
                    // the square loss: --loss-fn is for the classification flows
                    continue;
                }
                if l.loss() != crate::flow::Loss::Exp
                    && spec.kind.tag() == crate::case::spec::CheckKind::Bounds
                {
                    return Err(CliError::input(format!(
                        "--loss-fn {}: {}: check[{}] ({}) is a bounds check; the path bounds (Lemma 3, Lemma 11/13) are derived for the exp-loss",
                        l.loss().name(),
                        src.file,
                        spec.index,
                        spec.name
                    )));
                }
                spec.loss = l.loss();
            }
        }
        cases.push((case, z));
    }
    Ok(cases)
}

/// What the job computes, in words.
pub(super) fn describe(cases: &Cases, job: &CheckJob) -> String {
    let spec = &cases[job.case].0.checks[job.check];
    format!(
        "check \"{}\" at alpha = {}",
        spec.name, spec.alphas[job.alpha]
    )
}

pub(super) fn cmd_check(a: &CheckArgs) -> Result<i32, CliError> {
    use crate::report::check::SuiteReport;
    super::check_output(a.output.as_deref())?;
    let plan = a.sweep.validate()?;
    if plan.shard.is_some() && a.format.is_some_and(|f| f != CheckFormat::Json) {
        return Err(CliError::input(
            "--format: with --shard the output is the partial report (JSON); `ibcert merge` writes the other formats",
        ));
    }
    let mut sources = Vec::new();
    for f in case_files(&a.paths)? {
        sources.push(CaseSource::read(&f).map_err(CliError::input)?);
    }
    let opts = CheckOptions {
        verify: !a.no_verify,
        numerics: a.digits_opt.with(&a.numerics_opts),
        loss_fn: a.loss_fn,
    };
    let cases = check_cases(&sources, &opts)?;
    let settings = RunSettings {
        verify: opts.verify,
    };
    let all = crate::checks::jobs(&cases, &settings);
    if a.list_jobs {
        let lines: Vec<super::JobLine> = all
            .iter()
            .map(|j| super::JobLine {
                id: j.id.clone(),
                case: cases[j.case].0.name.clone(),
                file: Some(sources[j.case].file.clone()),
                job: describe(&cases, j),
            })
            .collect();
        let json = a.format == Some(CheckFormat::Json);
        write_output(a.output.as_deref(), &super::list_jobs(&lines, json))?;
        return Ok(0);
    }
    let sweep = Sweep::new(
        "check",
        sources,
        serde_json::to_value(&opts).expect("options serialize"),
    );
    let Started { run, picked, todo } = SweepRun::<AlphaResult>::start(
        &plan,
        &sweep,
        &all,
        |j| &j.id,
        |j| describe(&cases, j),
        "jobs",
    )?;
    // references for the checks that run a job here, or for every verdict when the
    // report is whole
    let kinds = crate::checks::prepare_all(&cases, |ci, ki| {
        plan.shard.is_none() || todo.iter().any(|j| j.case == ci && j.check == ki)
    });
    let bar = crate::output::JobProgress::new(todo.len(), !a.no_progress, None);
    crate::checks::run_jobs(
        &cases,
        &kinds,
        &todo,
        &settings,
        &crate::checks::JobControl {
            deadline: plan.deadline,
            checkpoint: run.has_dir().then(|| (PathBuf::new(), plan.every)),
        },
        |j| run.checkpoint_path(&j.id),
        |j, r| {
            run.finished(&j.id, &describe(&cases, j), r.clone());
            bar.inc();
        },
    );
    bar.finish();
    let (mut results, not_run) = run.close(&picked)?;
    let timing = !a.no_timing;
    if let Some(shard) = plan.shard {
        return write_partial(
            shard,
            sweep,
            &picked,
            &results,
            not_run,
            timing,
            a.output.as_deref(),
        );
    }
    let ordered: Vec<Option<AlphaResult>> = all.iter().map(|j| results.remove(&j.id)).collect();
    let report = SuiteReport::new(crate::checks::assemble(&cases, &kinds, ordered))
        .with_data(cases.iter().map(|(c, _)| c));
    let format = a.format.unwrap_or(CheckFormat::Text);
    let text = SuiteReport::exporter(format, timing).export(&report);
    write_output(a.output.as_deref(), &text)?;
    Ok(if report.all_met() && not_run.is_empty() {
        0
    } else {
        1
    })
}
