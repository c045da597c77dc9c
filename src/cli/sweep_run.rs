//! What `check` and `table` share when they run the jobs of a sweep: the results
//! already in a results directory, the saving of every finished job, the jobs left
//! unrun by `--max-time`, and the partial report of a shard. Generic over the result
//! type of one job (a check's alpha, a table's row).

use super::check::SweepPlan;
use super::write_output;
use crate::options::CliError;
use crate::sweep::{JobRecord, Partial, ResultsDir, Sweep, PARTIAL_SCHEMA};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A job this invocation is responsible for: its id and what it computes.
pub(super) struct Selected {
    pub id: String,
    pub job: String,
}

/// A started sweep run ([`SweepRun::start`]): the run, the selected jobs (for
/// [`SweepRun::close`] and the reports) and the jobs left to run.
pub(super) struct Started<'a, R, J> {
    pub run: SweepRun<R>,
    pub picked: Vec<Selected>,
    pub todo: Vec<&'a J>,
}

/// The results of a sweep's selected jobs as they come in.
pub(super) struct SweepRun<R> {
    dir: Option<ResultsDir>,
    results: Mutex<HashMap<String, R>>,
    write_errors: Mutex<Vec<String>>,
    /// "jobs" or "rows", for messages
    noun: &'static str,
}

impl<R: Serialize + DeserializeOwned + Send> SweepRun<R> {
    /// Create the results directory when asked for, and take the results of the
    /// selected jobs that it holds already (one that cannot be read is reported and
    /// its job runs again).
    pub fn open(
        plan: &SweepPlan,
        sweep: &Sweep,
        selected: &[Selected],
        noun: &'static str,
    ) -> Result<SweepRun<R>, CliError> {
        let dir = match &plan.results_dir {
            Some(d) => Some(
                ResultsDir::create(d, sweep)
                    .map_err(|e| CliError::input(format!("--results-dir: {e}")))?,
            ),
            None => None,
        };
        let mut results = HashMap::new();
        if let Some(dir) = &dir {
            for s in selected {
                let read = dir.load(&s.id).and_then(|r| {
                    r.map(|r| {
                        serde_json::from_value::<R>(r.result)
                            .map_err(|e| format!("the result of job {} is unreadable: {e}", s.id))
                    })
                    .transpose()
                });
                match read {
                    Ok(Some(r)) => {
                        results.insert(s.id.clone(), r);
                    }
                    Ok(None) => {}
                    Err(e) => eprintln!("warning: {e}; the job runs again"),
                }
            }
        }
        Ok(SweepRun {
            dir,
            results: Mutex::new(results),
            write_errors: Mutex::new(Vec::new()),
            noun,
        })
    }

    /// Start a sweep's run: the jobs of `all` this invocation is responsible for (those of
    /// its shard, or all), the results directory's results for them, the message of how
    /// many run now, and the jobs left to run.
    pub fn start<'a, J>(
        plan: &SweepPlan,
        sweep: &Sweep,
        all: &'a [J],
        id: impl Fn(&J) -> &str,
        describe: impl Fn(&J) -> String,
        noun: &'static str,
    ) -> Result<Started<'a, R, J>, CliError> {
        let selected: Vec<&J> = all
            .iter()
            .filter(|j| plan.shard.is_none_or(|s| s.contains(id(j))))
            .collect();
        let picked: Vec<Selected> = selected
            .iter()
            .map(|j| Selected {
                id: id(j).to_string(),
                job: describe(j),
            })
            .collect();
        let run = SweepRun::open(plan, sweep, &picked, noun)?;
        let todo: Vec<&J> = selected.into_iter().filter(|j| !run.has(id(j))).collect();
        run.announce(todo.len());
        Ok(Started { run, picked, todo })
    }

    /// Whether the job's result is there already.
    pub fn has(&self, id: &str) -> bool {
        self.results.lock().expect("lock").contains_key(id)
    }

    /// Say how many jobs run now and how many were found (with a results directory).
    pub fn announce(&self, todo: usize) {
        if let Some(dir) = &self.dir {
            eprintln!(
                "ibcert: {}: {todo} to run, {} already in {}",
                self.noun,
                self.results.lock().expect("lock").len(),
                dir.dir.display()
            );
        }
    }

    /// The checkpoint file of a job in flight (with a results directory).
    pub fn checkpoint_path(&self, id: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.checkpoint_path(id))
    }

    pub fn has_dir(&self) -> bool {
        self.dir.is_some()
    }

    /// A job finished: keep its result, and save it to the results directory.
    pub fn finished(&self, id: &str, job: &str, r: R) {
        if let Some(dir) = &self.dir {
            let rec = JobRecord::new(
                id,
                job,
                serde_json::to_value(&r).expect("result serializes"),
            );
            if let Err(e) = dir.save(&rec) {
                self.write_errors.lock().expect("lock").push(e);
            }
        }
        self.results.lock().expect("lock").insert(id.to_string(), r);
    }

    /// Every result, and the ids of the selected jobs without one (stopped by
    /// `--max-time`, which is reported); fails when a result could not be saved.
    pub fn close(
        self,
        selected: &[Selected],
    ) -> Result<(HashMap<String, R>, Vec<String>), CliError> {
        if let Some(e) = self.write_errors.into_inner().expect("lock").first() {
            return Err(CliError::failed(format!("--results-dir: {e}")));
        }
        let results = self.results.into_inner().expect("lock");
        let not_run: Vec<String> = selected
            .iter()
            .filter(|s| !results.contains_key(&s.id))
            .map(|s| s.id.clone())
            .collect();
        if !not_run.is_empty() {
            eprintln!(
                "ibcert: --max-time reached: {} of {} {} not run{}",
                not_run.len(),
                selected.len(),
                self.noun,
                if self.dir.is_some() {
                    "; run again with the same --results-dir to continue"
                } else {
                    ""
                }
            );
        }
        Ok((results, not_run))
    }
}

/// Write the partial report of `shard`: the selected jobs' results (timing fields
/// left out unless `timing`) and the ids of those not run; exit code 1 when some were
/// not run.
pub(super) fn write_partial<R: Serialize>(
    shard: crate::sweep::Shard,
    sweep: Sweep,
    selected: &[Selected],
    results: &HashMap<String, R>,
    not_run: Vec<String>,
    timing: bool,
    output: Option<&Path>,
) -> Result<i32, CliError> {
    let jobs = selected
        .iter()
        .filter_map(|s| {
            results.get(&s.id).map(|r| {
                let mut v = serde_json::to_value(r).expect("result serializes");
                if !timing {
                    v.as_object_mut().map(|o| o.remove("wall_seconds"));
                }
                JobRecord::new(&s.id, &s.job, v)
            })
        })
        .collect();
    let code = if not_run.is_empty() { 0 } else { 1 };
    let partial = Partial {
        schema: PARTIAL_SCHEMA.to_string(),
        shard: Some(shard.to_string()),
        sweep,
        jobs,
        not_run,
    };
    write_output(output, &partial.to_json())?;
    Ok(code)
}
