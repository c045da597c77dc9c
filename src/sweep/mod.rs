//! Sweeps beyond one machine: the jobs of `check` and `table` split into shards by
//! their stable ids ([`Shard`]), their results kept one file per job in a results
//! directory ([`ResultsDir`]: resume after a crash or a pre-emption) or together in a
//! partial report ([`Partial`]), and merged back ([`collect`]) into exactly the report an
//! unsharded run gives. Every file is JSON and carries its numbers exactly
//! ([`crate::num::serial`]), so a merge draws the verdicts and fits from the very
//! numbers the jobs computed. The formats are documented in docs/sweeps.md.
//!
//! A [`Sweep`] is what a merge needs besides the results: the command, the case files'
//! text (so a merge needs no access to them, and refuses results of other contents) and
//! the options that shape the results.

pub mod shard;

pub use shard::Shard;

use crate::num::{sha256_hex, NUMERIC_VERSION};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const PARTIAL_SCHEMA: &str = "ibcert.partial/1";
pub const SWEEP_SCHEMA: &str = "ibcert.sweep/1";
pub const JOB_SCHEMA: &str = "ibcert.job/1";

/// A case file of a sweep: its name as given on the command line, and its content
/// (with the data files it names, so that a merge reads no file but its inputs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseSource {
    pub file: String,
    pub sha256: String,
    pub text: String,
    /// the data files the case names (`[data] file = ...`); absent when none
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_files: Vec<DataFileSource>,
}

/// A data file of a case in a sweep: its name as the case gives it, the SHA-256 of its
/// bytes and the bytes in hexadecimal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataFileSource {
    pub name: String,
    pub sha256: String,
    pub hex: String,
}

fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(2 * bytes.len());
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl CaseSource {
    /// Read a case file and the data files it names (the message names a file that
    /// cannot be read).
    pub fn read(path: &Path) -> Result<CaseSource, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))?;
        let dir = crate::case::Case::dir_of(path);
        let mut data_files = Vec::new();
        for name in crate::case::data_file_names(&text) {
            let p = dir.join(&name);
            let bytes = std::fs::read(&p).map_err(|e| {
                // the case's own error first, when it has one (the parser reads the
                // [data] table in order)
                match crate::case::Case::load(path) {
                    Err(why) => why.to_string(),
                    Ok(_) => format!(
                        "{}: data.file: cannot read data file {}: {e}",
                        path.display(),
                        p.display()
                    ),
                }
            })?;
            data_files.push(DataFileSource {
                name,
                sha256: sha256_hex(&bytes),
                hex: to_hex(&bytes),
            });
        }
        Ok(CaseSource {
            file: path.display().to_string(),
            sha256: sha256_hex(text.as_bytes()),
            text,
            data_files,
        })
    }

    /// The data files kept, (name, bytes), each checked against its SHA-256.
    pub fn data_bytes(&self) -> Result<Vec<(String, Vec<u8>)>, String> {
        self.data_files
            .iter()
            .map(|d| match from_hex(&d.hex) {
                Some(b) if sha256_hex(&b) == d.sha256 => Ok((d.name.clone(), b)),
                _ => Err(format!(
                    "{}: the copy of data file {} kept in the sweep is damaged (its bytes do not have the SHA-256 recorded)",
                    self.file, d.name
                )),
            })
            .collect()
    }
}

/// What a sweep is: everything besides the job results that its report depends on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    pub schema: String,
    pub numeric_version: u32,
    /// "check" or "table"
    pub command: String,
    pub cases: Vec<CaseSource>,
    /// the command's options that shape the results (the command reads them back)
    pub options: Value,
}

impl Sweep {
    pub fn new(command: &str, cases: Vec<CaseSource>, options: Value) -> Sweep {
        Sweep {
            schema: SWEEP_SCHEMA.to_string(),
            numeric_version: NUMERIC_VERSION,
            command: command.to_string(),
            cases,
            options,
        }
    }

    /// Why `other` (read from `origin`) is not the same sweep, naming the difference.
    pub fn differs(&self, other: &Sweep, origin: &str) -> Option<String> {
        if other.numeric_version != self.numeric_version {
            return Some(format!(
                "{origin}: made with ibcert numeric version {}, but the other inputs with version {} (results of different numerics are never merged)",
                other.numeric_version, self.numeric_version
            ));
        }
        if other.command != self.command {
            return Some(format!(
                "{origin}: results of `{}`, but the other inputs are of `{}`",
                other.command, self.command
            ));
        }
        let files = |s: &Sweep| s.cases.iter().map(|c| c.file.clone()).collect::<Vec<_>>();
        if files(other) != files(self) {
            return Some(format!(
                "{origin}: a sweep over other case files ({}) than the other inputs ({})",
                files(other).join(", "),
                files(self).join(", ")
            ));
        }
        for (a, b) in self.cases.iter().zip(&other.cases) {
            if a.sha256 != b.sha256 || a.text != b.text {
                return Some(format!(
                    "{origin}: case file {} has other contents (SHA-256 {}) than in the other inputs ({})",
                    b.file, b.sha256, a.sha256
                ));
            }
            if a.data_files != b.data_files {
                let shas = |c: &CaseSource| {
                    let v: Vec<String> = c
                        .data_files
                        .iter()
                        .map(|d| format!("{} {}", d.name, d.sha256))
                        .collect();
                    v.join(", ")
                };
                return Some(format!(
                    "{origin}: the data files of case file {} have other contents ({}) than in the other inputs ({})",
                    b.file,
                    shas(b),
                    shas(a)
                ));
            }
        }
        if other.options != self.options {
            return Some(format!(
                "{origin}: other options ({}) than the other inputs ({})",
                other.options, self.options
            ));
        }
        None
    }
}

/// The result of one job, as a results directory holds it (one file) and a partial
/// report lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub schema: String,
    pub id: String,
    /// what the job computed, in words
    pub job: String,
    /// the command's result type, exactly ([`crate::checks::AlphaResult`],
    /// [`crate::table::Row`])
    pub result: Value,
}

impl JobRecord {
    pub fn new(id: &str, job: &str, result: Value) -> JobRecord {
        JobRecord {
            schema: JOB_SCHEMA.to_string(),
            id: id.to_string(),
            job: job.to_string(),
            result,
        }
    }
}

/// A partial report: the results of one shard's jobs that finished, and the ids of
/// those that did not (stopped by `--max-time`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Partial {
    pub schema: String,
    /// "K/N", or None for an unsharded run
    pub shard: Option<String>,
    pub sweep: Sweep,
    pub jobs: Vec<JobRecord>,
    pub not_run: Vec<String>,
}

impl Partial {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("partial report serializes") + "\n"
    }
}

/// A results directory: `sweep.json` (the last sweep written into it) and
/// `jobs/<id>.json` per finished job, `jobs/<id>.checkpoint.json` while one is in
/// flight. Every file is written atomically.
pub struct ResultsDir {
    pub dir: PathBuf,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, schema: &str) -> Result<T, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a valid JSON file: {e}", path.display()))?;
    if v.get("schema").and_then(Value::as_str) != Some(schema) {
        return Err(format!(
            "{}: not an ibcert file of schema {schema} (schema: {})",
            path.display(),
            v.get("schema").unwrap_or(&Value::Null)
        ));
    }
    serde_json::from_value(v).map_err(|e| format!("{}: {e}", path.display()))
}

impl ResultsDir {
    /// Create the directory (and `jobs/`) when missing, and record the sweep in it.
    pub fn create(dir: &Path, sweep: &Sweep) -> Result<ResultsDir, String> {
        let jobs = dir.join("jobs");
        std::fs::create_dir_all(&jobs)
            .map_err(|e| format!("{}: cannot create: {e}", jobs.display()))?;
        let text = serde_json::to_string_pretty(sweep).expect("sweep serializes") + "\n";
        crate::output::write_atomic(&dir.join("sweep.json"), text).map_err(|e| e.to_string())?;
        Ok(ResultsDir {
            dir: dir.to_path_buf(),
        })
    }

    pub fn job_path(&self, id: &str) -> PathBuf {
        self.dir.join("jobs").join(format!("{id}.json"))
    }

    pub fn checkpoint_path(&self, id: &str) -> PathBuf {
        self.dir.join("jobs").join(format!("{id}.checkpoint.json"))
    }

    /// The result of job `id` when the directory holds it; an error names a file that
    /// is there but is not a result of that job.
    pub fn load(&self, id: &str) -> Result<Option<JobRecord>, String> {
        let path = self.job_path(id);
        if !path.exists() {
            return Ok(None);
        }
        let r: JobRecord = read_json(&path, JOB_SCHEMA)?;
        if r.id != id {
            return Err(format!(
                "{}: holds the result of job {}, not {id}",
                path.display(),
                r.id
            ));
        }
        Ok(Some(r))
    }

    pub fn save(&self, record: &JobRecord) -> Result<(), String> {
        let text = serde_json::to_string_pretty(record).expect("job serializes") + "\n";
        crate::output::write_atomic(&self.job_path(&record.id), text).map_err(|e| e.to_string())
    }
}

/// One input of a merge, read.
struct Input {
    origin: String,
    sweep: Sweep,
    jobs: Vec<JobRecord>,
}

fn read_input(path: &Path) -> Result<Input, String> {
    if path.is_dir() {
        let sweep: Sweep = read_json(&path.join("sweep.json"), SWEEP_SCHEMA)?;
        let jobs_dir = path.join("jobs");
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&jobs_dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.ends_with(".json") && !n.ends_with(".checkpoint.json"))
                })
                .collect(),
            Err(e) => return Err(format!("{}: cannot read: {e}", jobs_dir.display())),
        };
        files.sort();
        let mut jobs = Vec::new();
        for f in files {
            let r: JobRecord = read_json(&f, JOB_SCHEMA)?;
            let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            if r.id != stem {
                return Err(format!(
                    "{}: holds the result of job {}, not of the job its name says",
                    f.display(),
                    r.id
                ));
            }
            jobs.push(r);
        }
        Ok(Input {
            origin: path.display().to_string(),
            sweep,
            jobs,
        })
    } else {
        let p: Partial = read_json(path, PARTIAL_SCHEMA)?;
        Ok(Input {
            origin: path.display().to_string(),
            sweep: p.sweep,
            jobs: p.jobs,
        })
    }
}

/// A result without its timing fields (what two runs of one job must agree on).
fn without_timing(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "wall_seconds")
                .map(|(k, v)| (k.clone(), without_timing(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_timing).collect()),
        other => other.clone(),
    }
}

/// Read merge inputs (partial reports and results directories): their one sweep and
/// every job result by id. Refuses inputs of different sweeps (numeric version, case
/// contents, options), files that are not ibcert results, and one job with different
/// results in two inputs; a numeric version other than this ibcert's is refused too
/// (the verdicts are drawn again here).
pub fn collect(paths: &[PathBuf]) -> Result<(Sweep, BTreeMap<String, JobRecord>), String> {
    let mut sweep: Option<Sweep> = None;
    let mut first_origin = String::new();
    let mut jobs: BTreeMap<String, (JobRecord, String)> = BTreeMap::new();
    for p in paths {
        let input = read_input(p)?;
        match &sweep {
            None => {
                if input.sweep.numeric_version != NUMERIC_VERSION {
                    return Err(format!(
                        "{}: made with ibcert numeric version {}, but this ibcert has version {NUMERIC_VERSION}: merge with the ibcert that made it",
                        input.origin, input.sweep.numeric_version
                    ));
                }
                first_origin = input.origin.clone();
                sweep = Some(input.sweep.clone());
            }
            Some(s) => {
                if let Some(why) = s.differs(&input.sweep, &input.origin) {
                    return Err(format!("{why} (first input: {first_origin})"));
                }
            }
        }
        for r in input.jobs {
            if let Some((prev, origin)) = jobs.get(&r.id) {
                if without_timing(&prev.result) != without_timing(&r.result) {
                    return Err(format!(
                        "job {} has different results in {origin} and {}",
                        r.id, input.origin
                    ));
                }
                continue;
            }
            jobs.insert(r.id.clone(), (r, input.origin.clone()));
        }
    }
    let sweep = sweep.ok_or("no inputs")?;
    Ok((sweep, jobs.into_iter().map(|(k, (r, _))| (k, r)).collect()))
}
