//! `ibcert check`: the theorem checks of case files.

use super::{case_files, write_output};
use crate::options::{load_case, CliError};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Case files and directories (every *.toml inside, sorted by name).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::report::check::CheckFormat::Text)]
    pub format: crate::report::check::CheckFormat,
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
    #[command(flatten)]
    pub numerics_opts: crate::options::NumericsArgs,
}

pub(super) fn cmd_check(a: &CheckArgs) -> Result<i32, CliError> {
    use crate::checks::{job_count, run_cases, RunSettings};
    use crate::report::check::SuiteReport;
    super::check_output(a.output.as_deref())?;
    let mut cases = Vec::new();
    for f in case_files(&a.paths)? {
        let (mut case, z) = load_case(&f)?;
        let o = &a.numerics_opts;
        if o.precision.is_some() || o.tol.is_some() || o.stages.is_some() {
            // the overrides replace the case's numerics; the stages follow the new
            // tolerance unless given (a case's own stages were chosen for its tolerance)
            if o.tol.is_some() {
                case.numerics.stages = None;
            }
            let n = o.of(&case)?;
            case.numerics.precision = n.prec;
            case.numerics.tolerance = n.tol;
            case.numerics.stages = Some(n.stages);
        }
        cases.push((case, z));
    }
    if a.list_jobs {
        let verify = !a.no_verify;
        let mut lines = Vec::new();
        for (case, _) in &cases {
            for spec in &case.checks {
                for alpha in &spec.alphas {
                    lines.push(super::JobLine {
                        id: crate::case::job::check_job_id(case, spec, alpha, verify),
                        case: case.name.clone(),
                        file: case.path.as_ref().map(|p| p.display().to_string()),
                        job: format!("check \"{}\" at alpha = {alpha}", spec.name),
                    });
                }
            }
        }
        let json = a.format == crate::report::check::CheckFormat::Json;
        write_output(a.output.as_deref(), &super::list_jobs(&lines, json))?;
        return Ok(0);
    }
    let jobs = job_count(&cases);
    let bar = crate::output::JobProgress::new(jobs, !a.no_progress, None);
    let results = run_cases(
        &cases,
        &RunSettings {
            verify: !a.no_verify,
        },
        || bar.inc(),
    );
    bar.finish();
    let report = SuiteReport::new(results);
    let timing = !a.no_timing;
    let text = SuiteReport::exporter(a.format, timing).export(&report);
    write_output(a.output.as_deref(), &text)?;
    Ok(if report.all_met() { 0 } else { 1 })
}
