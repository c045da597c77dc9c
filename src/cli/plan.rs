//! `ibcert plan`: a ready-to-run script that runs a check sweep in N shards (Slurm array
//! jobs, GNU parallel, or a GitHub Actions matrix) and then merges the shards' results
//! into one report. Nothing is run here: the cases are loaded and validated once, so a bad
//! case or option fails now (exit 2) rather than in N jobs later.
//!
//! Every shard runs `ibcert check PATHS --shard K/N --results-dir DIR --no-progress
//! --output DIR/shard-K-of-N.json`; the merge runs `ibcert merge DIR` to JUnit
//! (`DIR/report.xml`), JSON (`DIR/report.json`, both without timing) and text
//! (`DIR/report.txt`). A shard whose checks ran but did not all hold exits 1 from
//! `ibcert check`; the scripts count it as a completed shard (exit 0), so schedulers only
//! see real failures (bad input, crash, time limit) as failed, and the merged report
//! carries the verdict.

use super::{case_files, write_output};
use crate::options::{CliError, NumericsArgs};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

/// The default install step of a workflow: build ibcert from the checked-out repository
/// (m4 is installed first when missing: GMP and MPFR are built from source).
pub const DEFAULT_INSTALL: &str = "cargo install --locked --path .";

/// GitHub Actions runs at most 256 jobs from one matrix.
pub const GITHUB_MAX_MATRIX: usize = 256;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// A bash script that is the Slurm array job and, run with `bash`, its own submitter.
    Slurm,
    /// A bash script running the shards with GNU parallel on this machine.
    Parallel,
    /// A GitHub Actions workflow (a matrix of shards, then a merge job).
    Github,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// Case files and directories (every *.toml inside), as the shards will name them:
    /// relative paths are relative to the directory the script runs in.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Where the shards run.
    #[arg(long, value_enum)]
    pub engine: Engine,
    /// The number of shards N (at most 256 for github).
    #[arg(long, value_name = "N")]
    pub shards: usize,
    /// The results directory of the sweep: one result file per job (a rerun skips the
    /// jobs already there), the shards' partial reports, the logs and the merged reports.
    #[arg(long, value_name = "DIR", default_value = "ibcert-results")]
    pub results_dir: PathBuf,
    /// slurm: the most array tasks in one submission (the cluster's MaxArraySize); more
    /// shards are submitted as several arrays.
    #[arg(long, value_name = "M", default_value_t = 1000)]
    pub max_array_size: usize,
    /// How the scripts invoke ibcert (one word, a program): default, for slurm and
    /// parallel, this executable's absolute path; for github `ibcert`.
    #[arg(long, value_name = "CMD")]
    pub ibcert: Option<String>,
    /// github: the shell command of the step that installs ibcert on the runner (by
    /// default preceded by installing m4 when it is missing).
    #[arg(
        long,
        value_name = "CMD",
        default_value = DEFAULT_INSTALL
    )]
    pub install: String,
    /// Write the script to this file (made executable) instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Passed to every shard: skip the verification runs.
    #[arg(long)]
    pub no_verify: bool,
    /// Passed to every shard.
    #[command(flatten)]
    pub numerics_opts: NumericsArgs,
    #[command(flatten)]
    pub digits_opt: crate::options::DigitsArg,
    /// Passed to every shard: the loss of every check (see `check --loss-fn`).
    #[arg(long, value_enum)]
    pub loss_fn: Option<crate::options::LossFn>,
    /// Passed to every shard: stop it cleanly after this long (seconds, 90s, 5m, 2h);
    /// its finished jobs stay in the results directory and a job in flight is
    /// checkpointed, so rerunning the shard (or the plan) continues it. Keep it below
    /// the engine's own time limit.
    #[arg(long, value_name = "DURATION")]
    pub max_time: Option<String>,
    /// Passed to every shard: how often a job in flight is checkpointed (default 60s).
    #[arg(long, value_name = "EVERY")]
    pub checkpoint_every: Option<String>,
}

/// A word for a POSIX shell: unchanged when it is made of safe characters only, else in
/// single quotes (a single quote inside written as '\'').
pub fn shell_quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Words joined into a shell command line, each quoted.
pub fn shell_line<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|w| shell_quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn path_word(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// What every script needs: validated values and the quoted pieces of the commands.
struct Plan {
    n: usize,
    threads: usize,
    ibcert: String,
    dir: String,
    /// `PATHS [--no-verify] [--precision P] [--tol T] [--stages S]`, quoted
    check_words: String,
}

impl Plan {
    /// `--results-dir DIR --no-progress` with the shard's own options: `shard` and `out`
    /// are shell text (already quoted or expanded by the script).
    fn shard_tail(&self, dir: &str, shard: &str, out: &str) -> String {
        format!(
            "{} --shard {shard} --results-dir {dir} --no-progress --output {out}",
            self.check_words
        )
    }
}

/// The merge commands: JUnit and JSON without timing, then text. `merge` is the shell
/// text that starts each (`ibcert merge DIR`), `dir` the results directory's shell text.
fn merge_lines(merge: &str, dir: &str) -> Vec<String> {
    [
        ("junit", " --no-timing", "report.xml"),
        ("json", " --no-timing", "report.json"),
        ("text", "", "report.txt"),
    ]
    .iter()
    .map(|(format, timing, file)| {
        format!("{merge} --format {format}{timing} --output {dir}/{file}")
    })
    .collect()
}

/// `ibcert plan`: `threads` is the global `--threads` (the threads of each shard).
pub(super) fn cmd_plan(a: &PlanArgs, threads: Option<usize>) -> Result<i32, CliError> {
    super::check_output(a.output.as_deref())?;
    if a.shards == 0 {
        return Err(CliError::input("--shards: must be at least 1, got 0"));
    }
    if a.engine == Engine::Github && a.shards > GITHUB_MAX_MATRIX {
        return Err(CliError::input(format!(
            "--shards: GitHub Actions runs at most {GITHUB_MAX_MATRIX} jobs from one matrix, got {}",
            a.shards
        )));
    }
    if a.max_array_size == 0 {
        return Err(CliError::input(
            "--max-array-size: must be at least 1, got 0",
        ));
    }
    if a.results_dir.as_os_str().is_empty() {
        return Err(CliError::input("--results-dir: empty path"));
    }
    if a.ibcert.as_deref().is_some_and(|s| s.trim().is_empty()) {
        return Err(CliError::input("--ibcert: empty command"));
    }
    // words that go into the script: no control characters (a line break would end a
    // comment or a YAML block), no GitHub expressions (the runner would evaluate them)
    let on_github = a.engine == Engine::Github;
    let mut written: Vec<(&str, String)> = vec![("--results-dir", path_word(&a.results_dir))];
    written.extend(a.paths.iter().map(|p| ("PATH", path_word(p))));
    if let Some(c) = &a.ibcert {
        written.push(("--ibcert", c.clone()));
    }
    for (option, w) in &written {
        if w.chars().any(char::is_control) {
            return Err(CliError::input(format!(
                "{option}: {w:?}: control characters (line breaks, tabs) cannot be written into the script"
            )));
        }
        if on_github && w.contains("${{") {
            return Err(CliError::input(format!(
                "{option}: {w:?}: `${{{{` would be read by GitHub Actions as an expression"
            )));
        }
    }
    if on_github {
        for p in a.paths.iter().filter(|p| p.is_absolute()) {
            eprintln!(
                "warning: {}: an absolute path; the workflow runs in the repository's checkout, \
                 where case paths are relative to its root",
                p.display()
            );
        }
    }
    // the same expansion and validation as `ibcert check`, overrides included
    let mut sources = Vec::new();
    for f in case_files(&a.paths)? {
        sources.push(crate::sweep::CaseSource::read(&f).map_err(CliError::input)?);
    }
    super::check::check_cases(
        &sources,
        &super::check::CheckOptions {
            verify: !a.no_verify,
            numerics: a.digits_opt.with(&a.numerics_opts),
            loss_fn: a.loss_fn,
        },
    )?;
    let sweep_opts = super::SweepArgs {
        max_time: a.max_time.clone(),
        checkpoint_every: a.checkpoint_every.clone(),
        ..Default::default()
    };
    sweep_opts.validate()?;
    let ibcert = match &a.ibcert {
        Some(s) => s.clone(),
        None if a.engine == Engine::Github => "ibcert".to_string(),
        None => std::env::current_exe()
            .map_err(|e| CliError::input(format!("--ibcert: cannot find this executable: {e}")))?
            .to_string_lossy()
            .into_owned(),
    };
    let mut words: Vec<String> = a.paths.iter().map(|p| path_word(p)).collect();
    if a.no_verify {
        words.push("--no-verify".into());
    }
    let o = &a.numerics_opts;
    if let Some(p) = o.precision {
        words.extend(["--precision".into(), p.to_string()]);
    }
    if let Some(t) = &o.tol {
        words.extend(["--tol".into(), t.clone()]);
    }
    if let Some(s) = o.stages {
        words.extend(["--stages".into(), s.to_string()]);
    }
    if let Some(k) = a.digits_opt.digits {
        words.extend(["--digits".into(), k.to_string()]);
    }
    if let Some(l) = a.loss_fn {
        words.extend(["--loss-fn".into(), l.loss().name().to_string()]);
    }
    if let Some(t) = &a.max_time {
        words.extend(["--max-time".into(), t.clone()]);
    }
    if let Some(e) = &a.checkpoint_every {
        words.extend(["--checkpoint-every".into(), e.clone()]);
    }
    let plan = Plan {
        n: a.shards,
        threads: threads.unwrap_or(1),
        ibcert,
        dir: path_word(&a.results_dir),
        check_words: shell_line(&words),
    };
    let text = match a.engine {
        Engine::Slurm => slurm(&plan, a.max_array_size),
        Engine::Parallel => parallel(&plan),
        Engine::Github => github(&plan, &a.install, threads),
    };
    write_output(a.output.as_deref(), &text)?;
    #[cfg(unix)]
    if let (Some(p), Engine::Slurm | Engine::Parallel) = (&a.output, a.engine) {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755));
    }
    Ok(0)
}

/// The `#SBATCH --output` line: the path as it is when plain, in double quotes when that
/// is enough (sbatch reads quotes in directives), else none (the submitter passes it).
fn sbatch_output_directive(dir: &str) -> String {
    let path = format!("{dir}/logs/%x-%A_%a.out");
    if shell_quote(&path) == path {
        format!("#SBATCH --output={path}\n")
    } else if !path.contains(['"', '\\', '\n']) {
        format!("#SBATCH --output=\"{path}\"\n")
    } else {
        "# (no #SBATCH --output: the results directory's name cannot be written there)\n".into()
    }
}

fn slurm(p: &Plan, max_array: usize) -> String {
    let (n, t) = (p.n, p.threads);
    let first = n.min(max_array);
    let shard = p.shard_tail("\"$DIR\"", "\"$K/$N\"", "\"$DIR/shard-$K-of-$N.json\"");
    let dir = shell_quote(&p.dir);
    let merge = merge_lines(&format!("{} merge {dir}", shell_quote(&p.ibcert)), &dir).join("; ");
    format!(
        r#"#!/bin/bash
#SBATCH --job-name=ibcert-sweep
#SBATCH --array=0-{last}
#SBATCH --cpus-per-task={t}
{output}#
# Generated by `ibcert plan --engine slurm`: a check sweep in {n} shards as a Slurm array
# job, then a merge job. Threads per shard: {t} (`ibcert plan --threads T`).
#
# Submit it with `bash THIS_SCRIPT` from the directory the case paths are relative to: it
# creates {dir_show}/logs, submits the {n} shards as array jobs of at most {max_array} tasks
# each (the cluster's MaxArraySize; IBCERT_SHARD_OFFSET tells each array where its shards
# start), then a merge job that runs after all of them (afterany) and writes
# {dir_show}/report.xml (JUnit), report.json and report.txt. It prints the job ids.
# Plain `sbatch THIS_SCRIPT` runs shards 1..{first} only (all of them when N <= {max_array}),
# without the merge, and needs `mkdir -p {dir_show}/logs` first.
#
# A shard's exit status: ibcert's, except 1 (the checks ran, some did not hold), which
# counts as a completed shard (0): the merged report carries the verdict. Resubmitting
# skips the jobs whose results are already in {dir_show}.
set -euo pipefail

IBCERT={ibcert}
DIR={dir}
N={n}
MAX_ARRAY={max_array}

if [ -z "${{SLURM_ARRAY_TASK_ID:-}}" ]; then
    # the submitter
    mkdir -p "$DIR/logs"
    ids=()
    offset=0
    while [ "$offset" -lt "$N" ]; do
        count=$(( N - offset < MAX_ARRAY ? N - offset : MAX_ARRAY ))
        id=$(sbatch --parsable --array="0-$(( count - 1 ))" \
            --output="$DIR/logs/%x-%A_%a.out" \
            --export="ALL,IBCERT_SHARD_OFFSET=$offset" "$0")
        id=${{id%%;*}}
        ids+=("$id")
        echo "shards $(( offset + 1 ))-$(( offset + count )) of $N: array job $id"
        offset=$(( offset + count ))
    done
    dependency=$(IFS=:; echo "${{ids[*]}}")
    merge={merge_q}
    id=$(sbatch --parsable --job-name=ibcert-merge --output="$DIR/logs/%x-%j.out" \
        --dependency="afterany:$dependency" --wrap "$merge")
    id=${{id%%;*}}
    echo "merge: job $id (reports: $DIR/report.xml, $DIR/report.json, $DIR/report.txt)"
    exit 0
fi

# an array task: shard K of N
K=$(( SLURM_ARRAY_TASK_ID + 1 + ${{IBCERT_SHARD_OFFSET:-0}} ))
if [ "$K" -gt "$N" ]; then
    echo "shard $K: beyond the $N shards, nothing to do"
    exit 0
fi
mkdir -p "$DIR"
status=0
"$IBCERT" --threads "${{SLURM_CPUS_PER_TASK:-{t}}}" check {shard} || status=$?
if [ "$status" -eq 1 ]; then
    status=0
fi
exit "$status"
"#,
        last = first - 1,
        output = sbatch_output_directive(&p.dir),
        dir_show = p.dir,
        ibcert = shell_quote(&p.ibcert),
        merge_q = shell_quote(&merge),
    )
}

fn parallel(p: &Plan) -> String {
    let (n, t) = (p.n, p.threads);
    let shard = p.shard_tail("\"$DIR\"", "\"$1/$N\"", "\"$DIR/shard-$1-of-$N.json\"");
    let merges: String = merge_lines("merge_to", "\"$DIR\"")
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    format!(
        r#"#!/bin/bash
# Generated by `ibcert plan --engine parallel`: a check sweep in {n} shards run by GNU
# parallel on this machine, then merged into {dir_show}/report.xml (JUnit), report.json
# and report.txt. Run it from the directory the case paths are relative to. Threads per
# shard: {t}; shards at once: IBCERT_JOBS, else the cores / {t}.
#
# A shard's exit status: ibcert's, except 1 (the checks ran, some did not hold), which
# counts as completed (0). Run the script again after an interruption or a failure: the
# joblog skips the completed shards (--resume-failed reruns the failed ones) and the
# shards skip the jobs whose results are already in {dir_show}. Exit status: 0 every
# check held, 1 some did not, else the failure.
set -euo pipefail

IBCERT={ibcert}
DIR={dir}
N={n}
export IBCERT DIR N

shard() {{
    local status=0
    "$IBCERT" --threads {t} check {shard} || status=$?
    if [ "$status" -eq 1 ]; then
        status=0
    fi
    return "$status"
}}
export -f shard

mkdir -p "$DIR"
jobs=${{IBCERT_JOBS:-$(( $(nproc) / {t} ))}}
if [ "$jobs" -lt 1 ]; then
    jobs=1
fi
status=0
parallel --jobs "$jobs" --joblog "$DIR/joblog" --resume-failed --halt never \
    shard ::: $(seq 1 "$N") || status=$?
if [ "$status" -ne 0 ]; then
    echo "ibcert plan: $status shard(s) failed (see $DIR/joblog); run this script again to retry them" >&2
    exit "$status"
fi

verdict=0
merge_to() {{
    local status=0
    "$IBCERT" merge "$DIR" "$@" || status=$?
    if [ "$status" -eq 1 ]; then
        verdict=1
    elif [ "$status" -ne 0 ]; then
        exit "$status"
    fi
}}
{merges}echo "reports: $DIR/report.xml, $DIR/report.json, $DIR/report.txt"
exit "$verdict"
"#,
        dir_show = p.dir,
        ibcert = shell_quote(&p.ibcert),
        dir = shell_quote(&p.dir),
    )
}

/// A YAML scalar in double quotes (JSON's string syntax is YAML's).
fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string")
}

fn github(p: &Plan, install: &str, threads: Option<usize>) -> String {
    let n = p.n;
    let t = match threads {
        Some(t) => t.to_string(),
        None => "\"$(nproc)\"".to_string(),
    };
    let ib = shell_quote(&p.ibcert);
    let dir = shell_quote(&p.dir);
    let shard = p.shard_tail(
        &dir,
        &format!("\"${{{{ matrix.shard }}}}/{n}\""),
        &format!("{dir}/\"shard-${{{{ matrix.shard }}}}-of-{n}.json\""),
    );
    let merges: String = merge_lines(&format!("{ib} merge {dir}"), &dir)
        .iter()
        .map(|l| format!("          {l} || status=$?\n"))
        .collect();
    let matrix: Vec<String> = (1..=n).map(|k| k.to_string()).collect();
    let reports: String = ["report.xml", "report.json", "report.txt"]
        .iter()
        .map(|f| format!("            {}/{f}\n", p.dir))
        .collect();
    let m4 = if install == DEFAULT_INSTALL {
        "command -v m4 >/dev/null || sudo apt-get install -y m4\n          "
    } else {
        ""
    };
    let install_step = format!(
        "      - name: install ibcert\n        run: |\n          {m4}{}\n",
        install.replace('\n', "\n          ")
    );
    format!(
        r#"# Generated by `ibcert plan --engine github`: a check sweep in {n} shards (a job
# matrix), then a merge job that runs whatever the shards' outcome and uploads the
# JUnit, JSON and text reports (artifact ibcert-report). Each shard uploads its results
# directory as the artifact ibcert-shard-K. A shard whose checks ran but did not all
# hold succeeds (ibcert's exit 1 is taken as completed); the merge step fails then.
name: ibcert sweep

on:
  workflow_dispatch:

jobs:
  shard:
    name: shard ${{{{ matrix.shard }}}} of {n}
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        shard: [{matrix}]
    steps:
      - uses: actions/checkout@v4
{install_step}      - name: check shard ${{{{ matrix.shard }}}} of {n}
        run: |
          mkdir -p {dir}
          {ib} --threads {t} check {shard} || test $? -eq 1
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: ibcert-shard-${{{{ matrix.shard }}}}
          path: {dir_show}
          if-no-files-found: ignore

  merge:
    needs: shard
    if: always()
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
{install_step}      - uses: actions/download-artifact@v4
        with:
          pattern: ibcert-shard-*
          merge-multiple: true
          path: {dir_show}
      - name: merge
        run: |
          status=0
{merges}          exit "$status"
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: ibcert-report
          path: |
{reports}"#,
        matrix = matrix.join(", "),
        dir_show = yaml_string(&p.dir),
    )
}
