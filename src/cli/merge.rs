//! `ibcert merge`: partial reports and results directories of a sweep, combined into
//! the report an unsharded run gives (byte for byte with --no-timing).

use super::check::{check_cases, describe, CheckOptions};
use super::write_output;
use crate::checks::{AlphaResult, RunSettings};
use crate::options::CliError;
use crate::sweep::JobRecord;
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Output format of `merge`: the formats of the sweep's command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MergeFormat {
    Text,
    Json,
    Junit,
    Markdown,
    Csv,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Partial reports (`--shard` output) and results directories (`--results-dir`).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output format: text, json or junit for checks (default text); markdown, csv or
    /// json for tables (default markdown).
    #[arg(long, value_enum)]
    pub format: Option<MergeFormat>,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Leave the timing fields out (byte-identical with an unsharded --no-timing run).
    #[arg(long)]
    pub no_timing: bool,
    /// Merge an incomplete set: the jobs missing are reported as not run (their
    /// checks fail, exit 1) and listed, instead of refused.
    #[arg(long)]
    pub allow_partial: bool,
    /// Tables: at most this many significant digits in Markdown (as `table --digits`).
    #[arg(long, default_value_t = 12)]
    pub digits: u32,
}

/// The ids of the jobs a merge lacks, refused unless `--allow-partial`.
pub(super) fn refuse_missing(
    missing: &[String],
    total: usize,
    allow: bool,
) -> Result<(), CliError> {
    if missing.is_empty() || allow {
        if !missing.is_empty() {
            eprintln!(
                "warning: {} of {total} jobs missing (reported as not run): {}",
                missing.len(),
                missing.join(" ")
            );
        }
        return Ok(());
    }
    Err(CliError::input(format!(
        "incomplete: {} of {total} jobs have no result in the inputs: {} (run the missing shards, or merge with --allow-partial)",
        missing.len(),
        missing.join(" ")
    )))
}

pub(super) fn cmd_merge(a: &MergeArgs) -> Result<i32, CliError> {
    super::check_output(a.output.as_deref())?;
    let (sweep, records) = crate::sweep::collect(&a.inputs).map_err(CliError::input)?;
    match sweep.command.as_str() {
        "check" => merge_check(a, &sweep, &records),
        "table" => super::table::merge_table(a, &sweep, &records),
        other => Err(CliError::input(format!(
            "{}: results of an unknown command {other:?}",
            a.inputs[0].display()
        ))),
    }
}

fn merge_check(
    a: &MergeArgs,
    sweep: &crate::sweep::Sweep,
    records: &BTreeMap<String, JobRecord>,
) -> Result<i32, CliError> {
    use crate::report::check::{CheckFormat, SuiteReport};
    let format = match a.format {
        None | Some(MergeFormat::Text) => CheckFormat::Text,
        Some(MergeFormat::Json) => CheckFormat::Json,
        Some(MergeFormat::Junit) => CheckFormat::Junit,
        Some(f) => {
            return Err(CliError::input(format!(
                "--format: {f:?} is a table format; a check sweep merges to text, json or junit"
            )))
        }
    };
    let opts: CheckOptions = serde_json::from_value(sweep.options.clone())
        .map_err(|e| CliError::input(format!("the sweep's options are unreadable: {e}")))?;
    let cases = check_cases(&sweep.cases, &opts)?;
    let all = crate::checks::jobs(
        &cases,
        &RunSettings {
            verify: opts.verify,
        },
    );
    let mut results = Vec::with_capacity(all.len());
    let mut missing = Vec::new();
    for j in &all {
        match records.get(&j.id) {
            Some(r) => {
                let res: AlphaResult = serde_json::from_value(r.result.clone()).map_err(|e| {
                    CliError::input(format!(
                        "job {} ({}): the result is unreadable: {e}",
                        j.id,
                        describe(&cases, j)
                    ))
                })?;
                if res.alpha != cases[j.case].0.checks[j.check].alphas[j.alpha] {
                    return Err(CliError::input(format!(
                        "job {}: the result is of alpha = {}, not of {}",
                        j.id,
                        res.alpha,
                        describe(&cases, j)
                    )));
                }
                results.push(Some(res));
            }
            None => {
                missing.push(j.id.clone());
                results.push(None);
            }
        }
    }
    refuse_missing(&missing, all.len(), a.allow_partial)?;
    let kinds = crate::checks::prepare_all(&cases, |_, _| true);
    let mut report = SuiteReport::new(crate::checks::assemble(&cases, &kinds, results))
        .with_data(cases.iter().map(|(c, _)| c));
    report.missing_jobs = missing;
    let text = SuiteReport::exporter(format, !a.no_timing).export(&report);
    write_output(a.output.as_deref(), &text)?;
    Ok(if report.all_met() { 0 } else { 1 })
}
