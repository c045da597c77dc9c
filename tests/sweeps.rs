//! Sweeps (issue 15): `--shard K/N`, partial reports, `ibcert merge`, `--results-dir`
//! with resumption after a SIGKILL, `--max-time`, and what a merge refuses. The merged
//! report must be the unsharded run's byte for byte (`--no-timing`) in every format.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Fast numerics for the bundled suite (looser than tests/cases.rs: 1e-12): the jobs'
/// results are what they are; the sweep must only reproduce them.
const FAST: [&str; 6] = [
    "--no-verify",
    "--precision",
    "128",
    "--tol",
    "1e-12",
    "--no-progress",
];

fn cases_dir() -> String {
    format!("{}/cases", env!("CARGO_MANIFEST_DIR"))
}

/// Tier 1's part of the bundled suite (50 jobs of both tasks, about 3 s on one
/// thread); tier 2 runs the same tests on the whole of cases/.
fn some_cases() -> Vec<String> {
    [
        "fig3b.toml",
        "fig3c.toml",
        "single_point.toml",
        "regression_single.toml",
    ]
    .iter()
    .map(|c| common::case_path(c))
    .collect()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// `ibcert check ARGS` on the given paths with the fast numerics.
fn check(paths: &[&str], extra: &[&str]) -> Output {
    let mut args = vec!["check"];
    args.extend(paths);
    args.extend(FAST);
    args.extend(extra);
    common::run(&args)
}

/// The job ids of a check sweep (`--list-jobs --format json`).
fn job_ids(paths: &[&str]) -> Vec<String> {
    let o = check(paths, &["--list-jobs", "--format", "json"]);
    common::json(&o)["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap().to_string())
        .collect()
}

/// GNU parallel, required under CI (which installs it); elsewhere a test that needs it
/// says so and returns.
fn have_parallel() -> bool {
    let ok = Command::new("parallel")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "GNU parallel is missing (CI installs the Debian package `parallel`)"
        );
        eprintln!("skipped: GNU parallel is not installed");
    }
    ok
}

fn merge(inputs: &[&str], extra: &[&str]) -> Output {
    let mut args = vec!["merge"];
    args.extend(inputs);
    args.extend(extra);
    common::run(&args)
}

#[test]
fn bad_shards_are_refused() {
    let tp = common::case_path("three_point.toml");
    for (shard, why) in [
        ("0/4", "count from 1"),
        ("5/4", "between 1 and N = 4"),
        ("1/0", "at least 1"),
        ("x", "K/N"),
    ] {
        common::assert_bad(&check(&[&tp], &["--shard", shard]), &["--shard", why]);
        let o = common::run(&["table", &tp, "--alphas", "2", "--shard", shard]);
        common::assert_bad(&o, &["--shard", why]);
    }
    // a shard writes the partial report (JSON); the other formats come from merge
    common::assert_bad(
        &check(&[&tp], &["--shard", "1/2", "--format", "junit"]),
        &["--format", "merge"],
    );
    common::assert_bad(
        &merge(&["/nonexistent/p.json"], &[]),
        &["/nonexistent/p.json"],
    );
}

#[test]
fn shards_partition_the_jobs_and_are_stable_when_jobs_are_added() {
    let tp = common::case_path("fig3c.toml");
    let all = job_ids(&[&tp]);
    let dir = common::temp_dir("shard-part");
    let mut seen = Vec::new();
    let mut per_shard = Vec::new();
    for k in 1..=3 {
        let out = dir.join(format!("p{k}.json"));
        let o = check(
            &[&tp],
            &[
                "--shard",
                &format!("{k}/3"),
                "--output",
                &s(&out),
                "--no-timing",
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(v["schema"], "ibcert.partial/1");
        assert_eq!(v["shard"], format!("{k}/3"));
        let ids: Vec<String> = v["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_str().unwrap().to_string())
            .collect();
        seen.extend(ids.clone());
        per_shard.push(ids);
    }
    seen.sort();
    let mut want = all.clone();
    want.sort();
    assert_eq!(seen, want, "every job in exactly one shard");
    assert!(
        per_shard.iter().all(|p| !p.is_empty()),
        "12 jobs over 3 shards"
    );
    // adding a case (more jobs) moves none of the old ones: their shard is the same
    let sp = common::case_path("single_point.toml");
    let o = check(&[&tp, &sp], &["--shard", "2/3", "--list-jobs"]);
    let _ = o; // --list-jobs lists every job; the shard of one is a function of its id
    for (k, ids) in per_shard.iter().enumerate() {
        let o = check(
            &[&tp, &sp],
            &["--shard", &format!("{}/3", k + 1), "--no-timing"],
        );
        let v = common::json(&o);
        let got: Vec<String> = v["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_str().unwrap().to_string())
            .filter(|id| all.contains(id))
            .collect();
        assert_eq!(&got, ids, "shard {} of fig3c's jobs", k + 1);
    }
}

/// Run the shards through GNU parallel (4 at once over 2 cores) into partial reports.
fn parallel_shards(dir: &Path, paths: &[&str], n: usize) -> Vec<String> {
    let bin = env!("CARGO_BIN_EXE_ibcert");
    let mut cmd = Command::new("parallel");
    cmd.env("RAYON_NUM_THREADS", "1")
        .args(["--jobs", "2", "--halt", "now,fail=1", "--joblog"])
        .arg(dir.join("joblog"))
        .arg(bin)
        .arg("check")
        .args(paths)
        .args(FAST)
        .args(["--no-timing", "--shard", &format!("{{}}/{n}"), "--output"])
        .arg(dir.join("shard-{}.json"))
        .arg(":::")
        .args((1..=n).map(|k| k.to_string()));
    let o = cmd.output().expect("parallel runs");
    assert!(
        o.status.success(),
        "parallel: {}{}",
        common::stdout(&o),
        common::stderr(&o)
    );
    (1..=n)
        .map(|k| s(&dir.join(format!("shard-{k}.json"))))
        .collect()
}

#[test]
fn bundled_cases_in_four_shards_through_gnu_parallel_merge_to_the_same_bytes() {
    let cases = some_cases();
    let cases: Vec<&str> = cases.iter().map(String::as_str).collect();
    sharded_through_parallel(&cases);
}

#[test]
#[ignore = "slow: the whole bundled suite sharded, about 1 minute"]
fn whole_bundled_suite_in_four_shards_through_gnu_parallel_merges_to_the_same_bytes() {
    sharded_through_parallel(&[&cases_dir()]);
}

fn sharded_through_parallel(cases: &[&str]) {
    if !have_parallel() {
        return;
    }
    let dir = common::temp_dir("shard-parallel");
    let parts = parallel_shards(&dir, cases, 4);
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    for format in ["json", "junit", "text"] {
        let whole = check(cases, &["--no-timing", "--format", format]);
        let merged = merge(&parts, &["--no-timing", "--format", format]);
        assert_eq!(
            common::stdout(&whole),
            common::stdout(&merged),
            "format {format}: {}",
            common::stderr(&merged)
        );
        // the same verdicts, so the same exit code
        assert_eq!(whole.status.code(), merged.status.code(), "{format}");
    }
    // the order of the inputs does not matter
    let mut rev = parts.clone();
    rev.reverse();
    assert_eq!(
        common::stdout(&merge(&rev, &["--no-timing", "--format", "json"])),
        common::stdout(&merge(&parts, &["--no-timing", "--format", "json"]))
    );
}

#[test]
fn merge_refuses_incomplete_sets_other_versions_other_cases_and_disagreeing_duplicates() {
    let tp = common::case_path("fig3c.toml");
    let dir = common::temp_dir("merge-bad");
    let mut parts = Vec::new();
    for k in 1..=2 {
        let out = dir.join(format!("p{k}.json"));
        let o = check(
            &[&tp],
            &[
                "--shard",
                &format!("{k}/2"),
                "--output",
                &s(&out),
                "--no-timing",
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
        parts.push(out);
    }
    let (p1, p2) = (s(&parts[0]), s(&parts[1]));
    let read = |p: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let write = |name: &str, v: &serde_json::Value| -> String {
        let p = dir.join(name);
        std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
        s(&p)
    };
    // incomplete: the missing ids are listed
    let v2 = read(&parts[1]);
    let missing: Vec<&str> = v2["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    common::assert_bad(
        &merge(&[&p1], &[]),
        &["incomplete", missing[0], "--allow-partial"],
    );
    // ... unless --allow-partial: the report says what is missing, the checks fail
    let o = merge(
        &[&p1],
        &["--allow-partial", "--no-timing", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));
    let v = common::json(&o);
    assert_eq!(v["missing_jobs"].as_array().unwrap().len(), missing.len());
    let text = common::stdout(&merge(&[&p1], &["--allow-partial", "--no-timing"]));
    assert!(text.contains("not run at alpha"), "{text}");
    assert!(
        text.contains(&format!("incomplete: {} jobs missing", missing.len())),
        "{text}"
    );
    // another numeric version
    let mut v = read(&parts[1]);
    v["sweep"]["numeric_version"] = serde_json::json!(999);
    let other = write("version.json", &v);
    common::assert_bad(
        &merge(&[&p1, &other], &[]),
        &["version.json", "numeric version 999"],
    );
    common::assert_bad(&merge(&[&other], &[]), &["numeric version 999"]);
    // other case contents under the same name
    let mut v = read(&parts[1]);
    let t = v["sweep"]["cases"][0]["text"]
        .as_str()
        .unwrap()
        .replace("alphas = [3, 10, 30, 100]", "alphas = [3, 10, 30]");
    v["sweep"]["cases"][0]["text"] = serde_json::json!(t);
    v["sweep"]["cases"][0]["sha256"] = serde_json::json!("0".repeat(64));
    let edited = write("edited.json", &v);
    common::assert_bad(
        &merge(&[&p1, &edited], &[]),
        &["edited.json", "fig3c.toml", "other contents"],
    );
    // other options (verification)
    let mut v = read(&parts[1]);
    v["sweep"]["options"]["verify"] = serde_json::json!(true);
    let opts = write("options.json", &v);
    common::assert_bad(
        &merge(&[&p1, &opts], &[]),
        &["options.json", "other options"],
    );
    // a job twice with different results
    let mut v = read(&parts[1]);
    v["jobs"][0]["result"]["digits"] = serde_json::json!(77);
    let dup = write("dup.json", &v);
    common::assert_bad(
        &merge(&[&p1, &p2, &dup], &[]),
        &["different results", "dup.json"],
    );
    // the same job twice with the same result is fine
    let o = merge(&[&p1, &p2, &p2], &["--no-timing"]);
    assert_eq!(
        o.status.code(),
        check(&[&tp], &["--no-timing"]).status.code()
    );
    // not an ibcert file, a bad number inside one
    let junk = common::temp_file("merge-bad", "junk.json", "{\"schema\": \"other\"}");
    common::assert_bad(&merge(&[&s(&junk)], &[]), &["junk.json", "schema"]);
    let mut v = read(&parts[1]);
    v["jobs"][0]["result"]["gt"] = serde_json::json!("128:zz");
    let badnum = write("badnum.json", &v);
    common::assert_bad(&merge(&[&p1, &badnum], &[]), &["unreadable", "zz"]);
    // a table format for a check sweep
    common::assert_bad(&merge(&[&p1, &p2], &["--format", "csv"]), &["--format"]);
}

fn count_results(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("jobs"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| {
                    let n = e.file_name().to_string_lossy().to_string();
                    n.ends_with(".json") && !n.ends_with(".checkpoint.json")
                })
                .count()
        })
        .unwrap_or(0)
}

/// "jobs: R to run, K already in DIR" of a run with --results-dir.
fn to_run(o: &Output) -> (usize, usize) {
    let e = common::stderr(o);
    let line = e
        .lines()
        .find(|l| l.contains("to run,"))
        .unwrap_or_else(|| panic!("no job count: {e}"));
    let nums: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    (nums[0], nums[1])
}

#[test]
fn a_killed_sweep_reruns_only_the_missing_jobs_and_merges_to_the_same_bytes() {
    let cases = some_cases();
    let cases: Vec<&str> = cases.iter().map(String::as_str).collect();
    killed_and_rerun(&cases);
}

fn killed_and_rerun(cases: &[&str]) {
    let total = job_ids(cases).len();
    let dir = common::temp_dir("kill");
    let results = dir.join("results");
    let mut child = common::bin()
        .arg("check")
        .args(cases)
        .args(FAST)
        .args(["--no-timing", "--results-dir"])
        .arg(&results)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // SIGKILL once a few jobs have finished
    let t0 = std::time::Instant::now();
    while count_results(&results) < 5 {
        assert!(t0.elapsed().as_secs() < 120, "no results written");
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before the kill"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let kept = count_results(&results);
    assert!(kept >= 5 && kept < total, "{kept} of {total}");
    // a result file is never half-written: every one reads back
    let o = merge(&[&s(&results)], &["--allow-partial", "--no-timing"]);
    assert!(matches!(o.status.code(), Some(1)), "{}", common::stderr(&o));
    // the rerun runs exactly the missing jobs
    let o = check(
        cases,
        &[
            "--no-timing",
            "--results-dir",
            &s(&results),
            "--format",
            "json",
        ],
    );
    let (ran, reused) = to_run(&o);
    assert_eq!((ran, reused), (total - kept, kept));
    let whole = check(cases, &["--no-timing", "--format", "json"]);
    assert_eq!(common::stdout(&o), common::stdout(&whole));
    assert_eq!(count_results(&results), total);
    // a third run has nothing left to do, and merging the directory gives the same bytes
    let o = check(
        cases,
        &[
            "--no-timing",
            "--results-dir",
            &s(&results),
            "--format",
            "json",
        ],
    );
    assert_eq!(to_run(&o), (0, total));
    assert_eq!(common::stdout(&o), common::stdout(&whole));
    let m = merge(&[&s(&results)], &["--no-timing", "--format", "json"]);
    assert_eq!(common::stdout(&m), common::stdout(&whole));
}

#[test]
fn corrupt_result_files_are_refused_by_merge_and_rerun_by_check() {
    let tp = common::case_path("single_point.toml");
    let dir = common::temp_dir("corrupt");
    let results = dir.join("r");
    let o = check(&[&tp], &["--no-timing", "--results-dir", &s(&results)]);
    let code = o.status.code();
    let ids = job_ids(&[&tp]);
    let victim: PathBuf = results.join("jobs").join(format!("{}.json", ids[0]));
    std::fs::write(&victim, "{\"schema\": \"ibcert.job/1\", \"id\": tru").unwrap();
    common::assert_bad(&merge(&[&s(&results)], &[]), &[&s(&victim)]);
    // a result of another job under this job's name
    let other =
        std::fs::read_to_string(results.join("jobs").join(format!("{}.json", ids[1]))).unwrap();
    std::fs::write(&victim, &other).unwrap();
    common::assert_bad(
        &merge(&[&s(&results)], &[]),
        &[&s(&victim), "not of the job"],
    );
    // check warns and runs that job again
    let o = check(&[&tp], &["--no-timing", "--results-dir", &s(&results)]);
    assert_eq!(o.status.code(), code);
    assert!(
        common::stderr(&o).contains("runs again"),
        "{}",
        common::stderr(&o)
    );
    assert_eq!(to_run(&o), (1, ids.len() - 1));
    let o = merge(&[&s(&results)], &["--no-timing"]);
    assert_eq!(
        common::stdout(&o),
        common::stdout(&check(&[&tp], &["--no-timing"]))
    );
}

#[test]
fn small_table_in_three_shards_merges_to_the_same_bytes_in_every_format() {
    let tp = common::case_path("three_point.toml");
    let dir = common::temp_dir("table-shards");
    let base = [
        "table",
        &tp,
        "--alpha-d",
        "1,10,100",
        "--depths",
        "2,3",
        "--no-verify",
        "--precision",
        "128",
        "--tol",
        "1e-12",
        "--no-progress",
        "--no-timing",
        "--mu",
        "1/2",
    ];
    let mut parts = Vec::new();
    for k in 1..=3 {
        let out = dir.join(format!("t{k}.json"));
        let mut args = base.to_vec();
        let shard = format!("{k}/3");
        let outs = s(&out);
        args.extend(["--shard", &shard, "--output", &outs]);
        let o = common::run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
        parts.push(outs);
    }
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    for format in ["markdown", "csv", "json"] {
        let mut args = base.to_vec();
        args.extend(["--format", format]);
        let whole = common::ok_stdout(&common::run(&args));
        let merged = common::ok_stdout(&merge(&parts, &["--no-timing", "--format", format]));
        assert_eq!(whole, merged, "{format}");
    }
    // a missing shard (one that holds jobs)
    let rest = without_a_shard_with_jobs(&parts);
    common::assert_bad(&merge(&rest, &[]), &["incomplete"]);
    let o = merge(&rest, &["--allow-partial", "--no-timing"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        common::stdout(&o).contains("Incomplete"),
        "{}",
        common::stdout(&o)
    );
    common::assert_bad(&merge(&parts, &["--format", "junit"]), &["--format"]);
}

/// A two-loss table (exp and logistic rows, fits per loss) in three shards merges to
/// the unsharded table's bytes in every format; the exp rows keep their ids.
#[test]
fn two_loss_table_in_three_shards_merges_to_the_same_bytes_in_every_format() {
    let tp = common::case_path("three_point.toml");
    let dir = common::temp_dir("table-loss-shards");
    let base = [
        "table",
        &tp,
        "--losses",
        "exp,logistic",
        "--alpha-d",
        "1,10",
        "--depths",
        "2,3",
        "--no-verify",
        "--precision",
        "128",
        "--tol",
        "1e-12",
        "--no-progress",
        "--no-timing",
        "--mu",
        "1/20",
    ];
    let mut parts = Vec::new();
    for k in 1..=3 {
        let out = s(&dir.join(format!("t{k}.json")));
        let shard = format!("{k}/3");
        let mut args = base.to_vec();
        args.extend(["--shard", &shard, "--output", &out]);
        let o = common::run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
        parts.push(out);
    }
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    for format in ["markdown", "csv", "json"] {
        let mut args = base.to_vec();
        args.extend(["--format", format]);
        let whole = common::ok_stdout(&common::run(&args));
        assert!(whole.contains("logistic"), "{format}");
        let merged = common::ok_stdout(&merge(&parts, &["--no-timing", "--format", format]));
        assert_eq!(whole, merged, "{format}");
    }
    // without a shard that holds jobs the set is incomplete
    common::assert_bad(
        &merge(&without_a_shard_with_jobs(&parts), &[]),
        &["incomplete"],
    );
}

/// The shard files but the first that holds jobs: which shard holds which job depends
/// on the jobs' ids, and so on the numeric version (a shard may hold none).
fn without_a_shard_with_jobs<'a>(parts: &[&'a str]) -> Vec<&'a str> {
    let holds_jobs = |p: &str| -> bool {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        v["jobs"].as_array().is_some_and(|a| !a.is_empty())
    };
    let drop = parts
        .iter()
        .position(|p| holds_jobs(p))
        .expect("a shard with jobs");
    (0..parts.len())
        .filter(|&k| k != drop)
        .map(|k| parts[k])
        .collect()
}

/// A job longer than the time allowed: halted at --max-time with its checkpoint in the
/// results directory (exit 1, reported as not run), continued by the rerun, and the
/// result is the uninterrupted run's bit for bit.
#[test]
fn max_time_stops_a_sweep_cleanly_and_the_rerun_continues_the_checkpointed_job() {
    let case = "format = 1\nname = \"long_job\"\ndepth = 2\n[data]\npoints = [[\"1\", \"1/2\", \"1/5\"], [\"-1/5\", \"-1\", \"1/10\"], [\"3/2\", \"6/5\", \"1/2\"]]\nlabels = [1, -1, 1]\n[numerics]\nprecision = 320\ntolerance = \"1e-50\"\n[[check]]\nname = \"rich\"\nkind = \"rich\"\nstop = \"alpha^(2*D)\"\nalphas = [100]\ntolerance = \"1e-3\"\n";
    // (about 3 s of work on the 2-core machine, main run and verification: the one-second
    // limit falls inside it)
    let path = common::temp_file("maxtime", "long.toml", case);
    let p = s(&path);
    let results = path.parent().unwrap().join("r");
    let r = s(&results);
    let args = |extra: &[&'static str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "check",
            &p,
            "--no-progress",
            "--no-timing",
            "--format",
            "json",
        ]
        .iter()
        .map(|x| x.to_string())
        .collect();
        v.extend(extra.iter().map(|x| x.to_string()));
        v
    };
    let run = |v: Vec<String>| -> Output {
        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
        common::run(&refs)
    };
    let mut a = args(&["--max-time", "1", "--checkpoint-every", "1steps"]);
    a.extend(["--results-dir".to_string(), r.clone()]);
    let o = run(a.clone());
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));
    assert!(common::stderr(&o).contains("--max-time reached: 1 of 1 jobs not run"));
    let v = common::json(&o);
    assert_eq!(v["results"][0]["alphas"][0]["error"], "not run");
    assert!(!v["results"][0]["meets_expectation"].as_bool().unwrap());
    let ckpt: Vec<_> = std::fs::read_dir(results.join("jobs"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .ends_with(".checkpoint.json")
        })
        .collect();
    assert_eq!(ckpt.len(), 1, "the job in flight is checkpointed");
    let mut a = args(&[]);
    a.extend(["--results-dir".to_string(), r.clone()]);
    let resumed = run(a);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        common::stderr(&resumed)
    );
    let whole = run(args(&[]));
    assert_eq!(common::stdout(&resumed), common::stdout(&whole));
    assert_eq!(count_results(&results), 1);
    assert!(
        !ckpt[0].path().exists(),
        "a finished job's checkpoint is removed"
    );
}
