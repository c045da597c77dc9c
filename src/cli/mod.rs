//! Command-line interface: the clap definitions, one module per command (`flow` for run
//! and trace, `check`, `solve`, `table`, `plan`), and the entry point. Options are validated once,
//! into exact types, with the shared parsers of `crate::options`; the numeric modules
//! never see strings. Exit codes: 0 success, 1 a computation failed or was stopped,
//! 2 bad input (arguments or case file), 130 Ctrl-C.

mod check;
mod compare;
mod flow;
mod merge;
mod plan;
mod run_regression;
mod solve;
mod sweep_run;
mod table;
mod table_regression;

pub use crate::options::{arg_rational, load_case, numerics_of, positive, positive_list, CliError};
pub use check::{CheckArgs, SweepArgs};
pub use compare::CompareArgs;
pub use flow::{FlowArgs, FlowJob, RunArgs, TraceArgs};
pub use merge::{MergeArgs, MergeFormat};
pub use plan::{shell_line, shell_quote, Engine, PlanArgs};
pub use solve::SolveArgs;
pub use table::{table_spec, TableArgs};

use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "ibcert",
    version = crate::VERSION_LONG,
    about = "Certify implicit-bias claims for depth-D diagonal linear networks by integrating the exp-loss gradient flow in arbitrary precision"
)]
pub struct Cli {
    /// Worker threads for the parallel parts of the computation (default: every core;
    /// the environment variable RAYON_NUM_THREADS sets the same). Results are identical
    /// bit for bit whatever the count.
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Integrate the flow of a case to a stopping rule and report the predictor.
    Run(RunArgs),
    /// Sample the path of the flow (dense output) at given or log-spaced gt values.
    Trace(TraceArgs),
    /// Compare the exp-loss and logistic-loss flows at listed gt: the distance between
    /// their normalized predictors and directions, from which gt they agree to K digits,
    /// and the rate.
    CompareLosses(CompareArgs),
    /// Run the theorem checks declared in case files (files or directories of *.toml).
    Check(CheckArgs),
    /// Compute the reference predictors (l2, l1 exactly; Q_mu in MPFR) with certificates.
    Solve(SolveArgs),
    /// Tabulate the training accuracy a regime requires (paper Fig. 5b) and the closest
    /// approach to the kernel solution, per depth and alpha, with fits.
    Table(TableArgs),
    /// Combine the partial reports and results directories of a sharded sweep (check or
    /// table) into the report an unsharded run gives.
    Merge(MergeArgs),
    /// Run fixed workloads and print wall time, steps, RHS evaluations and digits.
    Bench(BenchArgs),
    /// Draw a figure of the paper (SVG): sphere, excess-l1, excess-plane, kernel-distance,
    /// required-accuracy.
    Plot(crate::plot::PlotArgs),
    /// Write a ready-to-run script that runs a check sweep in N shards on Slurm, GNU
    /// parallel or GitHub Actions, then merges.
    Plan(PlanArgs),
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Run only the workloads whose name contains this string.
    #[arg(long)]
    pub filter: Option<String>,
    /// List the workloads (those --filter selects) without running them.
    #[arg(long)]
    pub list: bool,
    /// Run the side-by-side workloads instead: ibcert at "30 digits" (128 bits, tol
    /// 1e-30) and "40 digits" (192 bits, tol 1e-40), the precision guard raising the
    /// bits where a workload needs more, next to a float64 peer, scipy's
    /// solve_ivp (BDF, Radau, LSODA; python3 from PATH with numpy and scipy:
    /// `pip install numpy scipy`). Without python3 or its packages the ibcert side runs
    /// alone after a message saying how to install them (exit 0).
    #[arg(long)]
    pub peers: bool,
    /// The peer script (default: benches/peers/scipy_flow.py of the source tree the
    /// binary was built from; the environment variable IBCERT_PEER_SCRIPT sets the same).
    #[arg(long, value_name = "PATH", requires = "peers")]
    pub peer_script: Option<PathBuf>,
    /// Seconds each peer method may take before it is reported as a timeout (at
    /// γ̃ = 10^7 every method takes under a second; at 10^9 and 10^11, workloads b9 and
    /// b11, BDF and Radau do not finish).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, requires = "peers")]
    pub peer_timeout: u32,
    /// Time every ibcert run and every peer method N times and report the fastest of
    /// each (the minimum wall time: the results are the same every time, and the
    /// minimum is the time least disturbed by whatever else the machine does). A peer
    /// method that times out or fails is not repeated.
    #[arg(long, value_name = "N", default_value_t = 1, requires = "peers")]
    pub rounds: u32,
    /// How the peer's methods get the flow's Jacobian: exact (the analytic one, the
    /// strongest float64 peer), fd (none: each method's own finite differences, scipy's
    /// default, rows BDF/fd, Radau/fd, LSODA/fd), or both. Without the Jacobian, BDF
    /// needs 750 times more evaluations on random10 at γ̃ = 10^7, LSODA over 5,000 times.
    #[arg(
        long,
        value_enum,
        value_name = "HOW",
        default_value = "exact",
        requires = "peers"
    )]
    pub peer_jacobian: crate::bench::peers::PeerJacobian,
}

/// Expand files and directories into a sorted list of case files.
pub(crate) fn case_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| {
                    CliError::input(format!("{}: cannot read directory: {e}", p.display()))
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "toml"))
                .collect();
            v.sort();
            out.extend(v);
        } else {
            out.push(p.clone());
        }
    }
    if out.is_empty() {
        return Err(CliError::input("no case files found in the given paths"));
    }
    Ok(out)
}

/// Print `text`, or write it whole to `path` (`--output`; nothing is left on failure).
/// One job of a sweep as `--list-jobs` shows it.
#[derive(serde::Serialize)]
struct JobLine {
    id: String,
    case: String,
    file: Option<String>,
    /// what the job computes: "check NAME at alpha = A", "row D = 2, alpha^D = 10"
    job: String,
}

/// The job list: one line per job (id first), or JSON (schema `ibcert.jobs/1`).
fn list_jobs(jobs: &[JobLine], json: bool) -> String {
    if json {
        #[derive(serde::Serialize)]
        struct JobList<'a> {
            schema: &'static str,
            jobs: &'a [JobLine],
        }
        let v = JobList {
            schema: "ibcert.jobs/1",
            jobs,
        };
        serde_json::to_string_pretty(&v).expect("json") + "\n"
    } else {
        jobs.iter()
            .map(|j| format!("{}  {}  {}\n", j.id, j.case, j.job))
            .collect()
    }
}

/// Fail before any work when `--output` cannot be written (a missing directory, a
/// directory named as the file), rather than after the computation.
fn check_output(path: Option<&Path>) -> Result<(), CliError> {
    match path {
        None => Ok(()),
        Some(p) => {
            crate::output::check_target(p).map_err(|e| CliError::input(format!("--output: {e}")))
        }
    }
}

fn write_output(path: Option<&Path>, text: &str) -> Result<(), CliError> {
    match path {
        None => {
            print!("{text}");
            Ok(())
        }
        Some(p) => crate::output::write_atomic(p, text)
            .map_err(|e| CliError::input(format!("--output: {e}"))),
    }
}

fn cmd_bench(a: &BenchArgs) -> Result<i32, CliError> {
    use crate::bench::peers;
    let (names, all) = if a.peers {
        (
            peers::selected(a.filter.as_deref()),
            peers::workload_names(),
        )
    } else {
        (
            crate::bench::selected(a.filter.as_deref()),
            crate::bench::workload_names(),
        )
    };
    if names.is_empty() {
        return Err(CliError::input(format!(
            "--filter: no workload name contains {:?}; the workloads are: {}",
            a.filter.as_deref().unwrap_or(""),
            all.join("; ")
        )));
    }
    if a.peers && a.peer_timeout == 0 {
        return Err(CliError::input(
            "--peer-timeout: must be at least 1 second, got 0".to_string(),
        ));
    }
    if a.peers && !(1..=peers::MAX_ROUNDS).contains(&a.rounds) {
        return Err(CliError::input(format!(
            "--rounds: must be 1 to {}, got {}",
            peers::MAX_ROUNDS,
            a.rounds
        )));
    }
    if a.list {
        for n in names {
            println!("{n}");
        }
        return Ok(0);
    }
    if a.peers {
        let opts = peers::PeerOptions {
            script: a.peer_script.clone(),
            timeout_secs: a.peer_timeout,
            rounds: a.rounds,
            jacobian: a.peer_jacobian,
        };
        // exit 0 also when the peer could not run: the ibcert side ran, and a message
        // said how to install the peer's packages
        peers::run(a.filter.as_deref(), &opts).map_err(CliError::failed)?;
        return Ok(0);
    }
    crate::bench::run(a.filter.as_deref()).map_err(CliError::failed)?;
    Ok(0)
}

/// Entry point: parse, dispatch, print errors, return the exit code.
pub fn main() -> i32 {
    use clap::{CommandFactory, FromArgMatches};
    let version: &'static str = Box::leak(crate::version_line().into_boxed_str());
    let parsed = Cli::command()
        .version(version)
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    if let Some(n) = cli.threads {
        if n == 0 {
            eprintln!("error: --threads: must be at least 1, got 0");
            return 2;
        }
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
        {
            eprintln!("error: --threads: {e}");
            return 1;
        }
    }
    let result = match &cli.command {
        Command::Check(a) => check::cmd_check(a),
        Command::Run(a) => flow::cmd_run(a),
        Command::Trace(a) => flow::cmd_trace(a).map(|_| 0),
        Command::CompareLosses(a) => compare::cmd_compare(a),
        Command::Solve(a) => solve::cmd_solve(a).map(|_| 0),
        Command::Table(a) => table::cmd_table(a),
        Command::Merge(a) => merge::cmd_merge(a),
        Command::Bench(a) => cmd_bench(a),
        Command::Plot(a) => crate::plot::cmd_plot(a).map(|_| 0),
        Command::Plan(a) => plan::cmd_plan(a, cli.threads),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", e.message);
            e.code
        }
    }
}
